"""Running headers and footers leave a PDF's text; the text's own lines at a page's edge stay."""

from pathlib import Path

import pytest

from ingest.loaders import load_bytes
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
