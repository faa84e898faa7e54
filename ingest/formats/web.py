"""HTML: the visible text of the body, without scripts and styles; one page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ingest.formats.base import LoadOptions, Pages, Parsed
from ingest.formats.text import decode_text

if TYPE_CHECKING:
    from bs4 import BeautifulSoup


def load_html(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    soup, text = visible(decode_text(path, data))
    title = soup.title.get_text(strip=True) if soup.title else ""
    pages = Pages(path)
    pages.add(None, text)
    return Parsed(title or path.stem, pages.pages)


def visible(markup: str | bytes) -> tuple[BeautifulSoup, str]:
    """The parsed HTML without what a browser does not show (scripts, styles, templates), and
    the visible text of its body: its non-blank lines, trimmed."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    body = soup.body or soup
    lines = (line.strip() for line in body.get_text("\n").splitlines())
    return soup, "\n".join(line for line in lines if line)
