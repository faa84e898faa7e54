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


def test_two_pages_are_too_few_to_tell_a_header() -> None:
    pages = _manual("Chapter 2: Otters and Bees {n}", "{n}")[:2]
    document = load_bytes(Path("otters.pdf"), make_pdf(pages))
    assert document.pages[0].text.split()[:5] == ["Chapter", "2:", "Otters", "and", "Bees"]
