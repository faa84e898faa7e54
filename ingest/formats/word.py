"""Word (.docx) with python-docx: headings, paragraphs and tables in reading order.

A document has no pages to cite, so each heading starts a section: a page without a number
whose locator is the heading ("Installation"), which citations show.
"""

from __future__ import annotations

import io
from pathlib import Path

from ingest.formats.base import PARAGRAPH_BREAK, LoadOptions, Pages, Parsed
from ingest.formats.containers import check_package, reading

LOCATOR_CHARS = 80


def load_docx(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    import docx
    from docx.opc.exceptions import OpcError
    from docx.table import Table

    check_package(path, data)
    pages = Pages(path)
    with reading(path, "Word document", (OpcError,)):
        document = docx.Document(io.BytesIO(data))
        title = (document.core_properties.title or "").strip()
        heading: str | None = None
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines += table_lines(block)
                continue
            text = block.text.strip()
            if not text:
                continue
            style = block.style.name if block.style is not None else ""
            if style == "Title" and not title:
                title = text
            if style.startswith("Heading") or style == "Title":
                if lines:
                    pages.add(None, PARAGRAPH_BREAK.join(lines), heading)
                heading, lines = short(text), []
            lines.append(text)
        if lines:
            pages.add(None, PARAGRAPH_BREAK.join(lines), heading)
    return Parsed(title or path.stem, pages.pages)


def table_lines(table) -> list[str]:
    """A table's rows, cells joined by ' | ' (a merged cell once)."""
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            lines.append(" | ".join(cells))
    return lines


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LOCATOR_CHARS else text[:LOCATOR_CHARS - 1] + "…"
