"""Running headers and footers leave a PDF's text; the text's own lines at a page's edge stay."""

from pathlib import Path

import pytest

from ingest.formats.running_lines import without_running_lines
from ingest.loaders import load_bytes
from rag.types import Page
from tests.pdfgen import make_pdf

BODY = [
    "Otters hold paws while they sleep so that they do not drift apart, and a raft of them",
    "can number a hundred animals. See Section 4.2\n}",
    "Sea otters crack shellfish with stones that they keep in a pouch of loose skin. See "
    "Section 4.2\n}",
    "A worker bee lives about six weeks in summer. See Section 4.2\n}",
]


def _manual(header: str | None, footer: str | None) -> list[str]:
    pages = []
    for number, body in enumerate(BODY, start=1):
        lines = [header.format(n=number)] if header else []
        pages.append("\n".join([*lines, body, *([footer.format(n=number)] if footer else [])]))
    return pages


@pytest.mark.parametrize("header, footer", [
    ("Chapter 2: Otters and Bees {n}", "{n}"),
    ("{n} Otter Handbook (version 7.3)", "Company Confidential"),
    (None, "- {n} -"),
])
def test_running_headers_and_footers_leave_the_text(header, footer) -> None:
    document = load_bytes(Path("otters.pdf"), make_pdf(_manual(header, footer)))
    assert [page.number for page in document.pages] == [1, 2, 3, 4]
    for page, body in zip(document.pages, BODY, strict=True):
        assert page.text.split() == body.split(), page.text
    first = document.pages[0].text.split("\n")
    assert first[0].startswith("Otters hold paws")  # the running sentence begins the page


def test_the_texts_own_lines_at_a_pages_edge_stay() -> None:
    """"See Section 4.2" and a closing brace end three pages, but never with a page number
    that changes from page to page: they are the text's."""
    document = load_bytes(Path("otters.pdf"), make_pdf(BODY))
    assert [page.text.split() for page in document.pages] == [body.split() for body in BODY]


def test_a_header_leaves_the_pages_with_text_but_not_a_page_it_alone_fills() -> None:
    """A page holding only the chapter's header and its number (a full-page figure's) keeps
    them: there is no text for them to run above."""
    pages = [*_manual("Chapter 2: Otters and Bees {n}", "{n}"), "Chapter 2: Otters and Bees 5\n5"]
    document = load_bytes(Path("otters.pdf"), make_pdf(pages))
    assert [page.text.split() for page in document.pages[:4]] == [body.split() for body in BODY]
    assert document.pages[4].text.split() == ["Chapter", "2:", "Otters", "and", "Bees", "5", "5"]


# one numbered line per page, as in qpdf's badlin1.pdf, or a slide's title over its number
NUMBERED_LINES = ["Potato {n}", "Potato {n}\n{n}"]


@pytest.mark.parametrize("layout", NUMBERED_LINES)
def test_numbered_lines_that_are_all_their_pages_hold_stay(layout: str) -> None:
    pages = [layout.format(n=n) for n in range(30)]
    document = load_bytes(Path("potatoes.pdf"), make_pdf(pages))
    assert [page.text.split() for page in document.pages] == [text.split() for text in pages]


def test_a_pdf_of_one_numbered_line_per_page_is_ingested_and_found(service,
                                                                    tmp_path: Path) -> None:
    potatoes = tmp_path / "potatoes.pdf"
    potatoes.write_bytes(make_pdf([f"Potato {n}" for n in range(30)]))
    report = service.ingest([potatoes])
    assert report.totals()["ingested"] == 1 and report.totals()["chunks"] == 30, report
    hit = service.search("Potato 17", top_k=1)[0]
    assert (hit.page, hit.text) == (18, "Potato 17")


def test_two_pages_are_too_few_to_tell_a_header() -> None:
    pages = _manual("Chapter 2: Otters and Bees {n}", "{n}")[:2]
    document = load_bytes(Path("otters.pdf"), make_pdf(pages))
    assert document.pages[0].text.split()[:5] == ["Chapter", "2:", "Otters", "and", "Bees"]


def test_a_short_chapters_header_leaves_its_pages_when_longer_chapters_have_the_kind() -> None:
    """Chapters 2 and 3 head three pages each; chapter 4 is two pages long, too few for its
    header to be told by repeating, but it is shaped like theirs. A caption at a page's top
    ("Figure 2: Rafts in 1990") is of no kind the document runs."""
    chapters = [("Chapter 2: Otters {n}", 3), ("Chapter 3: Bees {n}", 3),
                ("Chapter 4: Ants {n}", 2)]
    headers = [header for header, pages in chapters for _ in range(pages)]
    animals = ["Otters", "Sea otters", "River otters", "Bees", "Bumblebees", "Wasps", "Ants",
               "Termites"]
    bodies = [f"{animal} live in groups." for animal in animals]
    bodies[-1] = "Figure 2: Rafts in 1990\n" + bodies[-1]
    pages = [f"{header.format(n=n + 1)}\n{body}"
             for n, (header, body) in enumerate(zip(headers, bodies, strict=True))]
    document = load_bytes(Path("animals.pdf"), make_pdf(pages))
    assert [page.text.split() for page in document.pages] == [body.split() for body in bodies]


INVOICES = [
    ("Invoice for Aldermoor Bakery", "Goods delivered this month: flour sacks and yeast."),
    ("Invoice for Brightwater Cycles", "Goods delivered this month: bicycle chains and tyres."),
    ("Invoice for Copperfield Dental", "Goods delivered this month: dental mirrors and gloves."),
    ("Invoice for Dunmore Florists", "Goods delivered this month: tulip bulbs and vases."),
]


@pytest.mark.parametrize("footer", [None, "Page {n}"])
def test_a_figure_of_each_pages_own_stays_while_its_page_number_goes(footer: str | None) -> None:
    """One invoice a page, each ending on its amount: the amounts change from page to page,
    but not as the page does, so they are the invoices' text; a "Page 2" footer below them
    is not."""
    bodies = [[title, goods, f"Amount due 4{n}7"] for n, (title, goods) in enumerate(INVOICES)]
    pages = ["\n".join([*body, *([footer.format(n=n)] if footer else [])])
             for n, body in enumerate(bodies, start=1)]
    document = load_bytes(Path("invoices.pdf"), make_pdf(pages))
    assert [page.text.split() for page in document.pages] == [
        " ".join(body).split() for body in bodies]


@pytest.mark.parametrize("numbers", [[3, 6, 9, 12], [2, 3, 5, 8], [10, 12, 13, 15],
                                     [101, 102, 204, 205]])
def test_numbers_that_rise_but_not_with_the_page_stay(numbers: list[int]) -> None:
    """An exercise or a serial number heading each page rises, but not as a page number does:
    one more a page (two more where a page is a spread), counting the pages left out."""
    pages = [f"Exercise {number}\n{body}" for number, body in zip(numbers, BODY, strict=True)]
    document = load_bytes(Path("exercises.pdf"), make_pdf(pages))
    assert [page.text.split() for page in document.pages] == [text.split() for text in pages]


def test_page_numbers_go_from_front_matter_to_the_body_though_pages_lack_them() -> None:
    """Front matter numbered i and ii, the body from 11 on, a page without its number, and a
    page not in the text (its number skipped): each number follows its page, so each goes. A
    number on the last page that does not is the page's own."""
    numbers = {1: "i", 2: "ii", 3: "11", 4: None, 5: "13", 7: "15", 8: "16", 9: "1990"}
    animals = ["Otters", "Bees", "Ants", "Wasps", "Termites", "Moles", "Voles", "Hares"]
    bodies = {place: f"{animal} live in groups."
              for place, animal in zip(numbers, animals, strict=True)}
    pages = [Page(place, "\n".join([bodies[place], *([number] if number else [])]))
             for place, number in numbers.items()]
    texts = [page.text for page in without_running_lines(pages)]
    assert texts == [*list(bodies.values())[:-1], f"{bodies[9]}\n1990"]


def test_a_spreads_two_page_numbers_on_one_page_go() -> None:
    """A scanned book's spread a page: its page numbers go on by two a page."""
    pages = [f"{body}\n{2 * n + 10} {2 * n + 11}" for n, body in enumerate(BODY, start=1)]
    document = load_bytes(Path("spreads.pdf"), make_pdf(pages))
    assert [page.text.split() for page in document.pages] == [body.split() for body in BODY]
