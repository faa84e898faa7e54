"""HTML: the visible text of the body, without scripts and styles; one page."""

from __future__ import annotations

from pathlib import Path

from ingest.formats.base import LoadOptions, Pages, Parsed
from ingest.formats.text import decode_text


def load_html(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(path, data), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    body = soup.body or soup
    lines = (line.strip() for line in body.get_text("\n").splitlines())
    pages = Pages(path)
    pages.add(None, "\n".join(line for line in lines if line))
    return Parsed(title or path.stem, pages.pages)
