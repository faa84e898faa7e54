"""A manual's table of contents repeats its headings word for word; search puts the sections
themselves first, and the unit test of what makes a contents page."""

from pathlib import Path

from rag.text.contents import has_dot_leader, is_contents
from tests.pdfgen import make_pdf

CONTENTS = ("Contents\n"
            "1 How do otters sleep without drifting apart? . . . . . . . . . . 2\n"
            "2 What do sea otters eat? . . . . . . . . . . . . . . . . . . . . 3\n"
            "3 How long does a worker bee live? . . . . . . . . . . . . . . . . 4")
SECTIONS = [
    "1 How do otters sleep without drifting apart?\nOtters hold paws while they sleep, so "
    "that the current does not carry them away from each other.",
    "2 What do sea otters eat?\nSea otters eat sea urchins, crabs and clams, which they crack "
    "open with stones.",
    "3 How long does a worker bee live?\nA worker bee lives about six weeks in summer.",
]


def test_the_sections_come_before_the_contents_page(service, tmp_path: Path) -> None:
    manual = tmp_path / "manual.pdf"
    manual.write_bytes(make_pdf([CONTENTS, *SECTIONS]))
    service.ingest([manual])
    hits = service.search("How do otters sleep without drifting apart?", top_k=4)
    pages = [hit.page for hit in hits]
    assert pages[0] == 2 and pages[-1] == 1, pages  # found, but after every section
    answer = service.ask("How do otters sleep without drifting apart?")
    text = "".join(answer)
    assert ". . ." not in text and "hold paws" in text
    assert answer.citations[0].page == 2


def test_what_makes_a_contents_page() -> None:
    assert is_contents(CONTENTS)
    assert not is_contents(SECTIONS[0])
    assert not is_contents("Wait . . . . . what?\nThe dots were a pause. . . . . 3")
    # the last chunk of a contents page: two entries, and a third cut short
    assert is_contents("6 R and Emacs . . . . . . . . . . . 26\n"
                       "6.1 Is there Emacs support for R? . . . . . . . . 26\n"
                       "6.2 Should I run R from within Emacs?.")
    assert not is_contents("Totals . . . . . 12\nThe year closed with a profit, reported in "
                           "full below.\nMore detail follows.\nSee the notes.")


def test_a_dot_leader_is_five_dots_side_by_side_or_a_space_apart() -> None:
    assert has_dot_leader("Installing R . . . . . 12") and has_dot_leader("Index.......7")
    assert not has_dot_leader("Wait... what? e.g. i.e. U.S.A.")
