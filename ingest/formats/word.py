"""Word (.docx) with python-docx: headings, paragraphs, tables (nested ones too), text boxes
and content controls in reading order; headers, footers, footnotes and comments are not read.

A document has no pages to cite, so each heading starts a section: a page without a number
whose locator is the heading ("Installation"), which citations show.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from ingest.formats.base import PARAGRAPH_BREAK, LoadOptions, Pages, Parsed
from ingest.formats.containers import check_package, reading
from ingest.formats.sheets import named_row

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
        for block in blocks(document):
            if isinstance(block, Table):
                lines += table_lines(block)
                continue
            text = block.text.strip()
            boxed = boxed_lines(block)  # a text box's words, after the paragraph holding it
            if not text:
                lines += boxed
                continue
            style = block.style.name if block.style is not None else ""
            if style == "Title" and not title:
                title = text
            if style.startswith("Heading") or style == "Title":
                if lines:
                    pages.add(None, PARAGRAPH_BREAK.join(lines), heading)
                heading, lines = short(text), []
            lines.append(text)
            lines += boxed
        if lines:
            pages.add(None, PARAGRAPH_BREAK.join(lines), heading)
    return Parsed(title or path.stem, pages.pages)


def blocks(parent) -> Iterator:
    """The paragraphs and tables of a document's body in reading order, those inside a
    content control (a template's or a form's fields, `<w:sdt>`) too, which python-docx's
    own iteration passes over."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    def walk(element) -> Iterator:
        for child in element.iterchildren():
            if child.tag == qn("w:p"):
                yield Paragraph(child, parent)
            elif child.tag == qn("w:tbl"):
                yield Table(child, parent)
            elif child.tag == qn("w:sdt"):
                content = child.find(qn("w:sdtContent"))
                if content is not None:
                    yield from walk(content)

    return walk(parent.element.body)


def boxed_lines(paragraph) -> list[str]:
    """The paragraphs of the text boxes anchored in `paragraph` (a shape's text, which
    `paragraph.text` leaves out); a box drawn twice, for Word and for older readers, once."""
    from docx.oxml.ns import qn

    boxes = paragraph._p.iter(qn("w:txbxContent"))
    texts = ["".join(t.text or "" for t in p.iter(qn("w:t")))
             for box in boxes for p in box.iter(qn("w:p"))]
    return list(dict.fromkeys(" ".join(t.split()) for t in texts if t.strip()))


def cell_text(cell) -> str:
    """A cell's words: its paragraphs, and a table nested in it row by row."""
    from docx.table import Table

    if not hasattr(cell, "iter_inner_content"):  # PowerPoint's cells hold text only
        return " ".join(cell.text.split())
    parts = []
    for inner in cell.iter_inner_content():
        parts += table_lines(inner) if isinstance(inner, Table) else [inner.text]
    return " ".join(" ".join(parts).split())


def table_lines(table) -> list[str]:
    """A table's rows, a merged cell once. When the first row reads as a header (two or more
    cells of words, no digits), each row after it names its values by it, as a sheet's rows
    do ("Model: K200; Capacity: 1.7 litres"), so a row quoted alone still says what its
    values are; otherwise a row's cells are joined by ' | ' ("Voltage | 230 V")."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # a merged cell is one cell object repeated (Word) or spanned ones (PowerPoint):
            # its text once, its other columns empty; equal values in two cells stay two
            merged = cell._tc is getattr(previous, "_tc", None) or getattr(cell, "is_spanned",
                                                                          False)
            cells.append("" if merged else cell_text(cell))
            previous = cell
        if any(cells):
            rows.append(cells)
    if not rows:
        return []
    header = rows[0]
    named = [c for c in header if c]
    if len(rows) < 2 or len(named) < 2 or any(ch.isdigit() for c in named for ch in c):
        return [" | ".join(c for c in cells if c) for cells in rows]
    return [" | ".join(named)] + [named_row(header, cells) for cells in rows[1:]]


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LOCATOR_CHARS else text[:LOCATOR_CHARS - 1] + "…"
