"""Word (.docx) with python-docx: headings, paragraphs, tables (nested ones too), text boxes
and content controls in reading order; headers, footers, footnotes and comments are not read.

A document has no pages to cite, so each heading starts a section: a page without a number
whose locator is the heading ("Installation"), which citations show.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from pathlib import Path

from ingest.formats.base import (
    MAX_PARAGRAPHS,
    MAX_RUNS,
    PARAGRAPH_BREAK,
    LoadOptions,
    Pages,
    Parsed,
    too_large,
)
from ingest.formats.containers import check_package, reading
from ingest.formats.sheets import named_row

LOCATOR_CHARS = 80
WORD_MAX_COLUMNS = 63  # the most columns Word lets a table have


def load_docx(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    import docx
    from docx.opc.exceptions import OpcError
    from docx.oxml.exceptions import XmlchemyError
    from docx.table import Table

    check_package(path, data)
    pages = Pages(path)
    with reading(path, "Word document", (OpcError, XmlchemyError)):
        document = docx.Document(io.BytesIO(data))
        check_counts(path, document.element.body)
        title = (document.core_properties.title or "").strip()
        heading: str | None = None
        lines: list[str] = []
        style_names: dict[str | None, str] = {}
        for block in blocks(document):
            if isinstance(block, Table):
                lines += table_lines(block)
                continue
            text = paragraph_text(block).strip()
            boxed = boxed_lines(block)  # a text box's words, after the paragraph holding it
            if not text:
                lines += boxed
                continue
            style = style_name(block, style_names)
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


def check_counts(path: Path, body) -> None:
    """Refuse a body of more paragraphs or runs than MAX_PARAGRAPHS or MAX_RUNS before it is
    walked: counted by lxml in C, where reading each costs python-docx tens of microseconds,
    so a small file of millions of empty ones would take minutes."""
    from docx.oxml.ns import qn

    for tag, bound, what in ((qn("w:p"), MAX_PARAGRAPHS, "paragraphs"),
                             (qn("w:r"), MAX_RUNS, "runs of text")):
        if sum(1 for _ in itertools.islice(body.iter(tag), bound + 1)) > bound:
            raise too_large(path, f"more than {bound:,} {what}")


def style_name(paragraph, known: dict[str | None, str]) -> str:
    """A paragraph's style name, looked up once per style of the document: python-docx
    searches all of a document's styles for the default one for every paragraph without a
    style of its own, so a long plain document would be searched through again and again."""
    style_id = paragraph._p.style
    if style_id not in known:
        style = paragraph.style
        known[style_id] = style.name if style is not None else ""
    return known[style_id]


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


def paragraph_text(paragraph) -> str:
    """A paragraph's text, that of its inline content controls (a form's date or name field
    among its runs) in its place: python-docx's `Paragraph.text` reads only the runs and
    links directly in the paragraph."""
    return inline_text(paragraph._p)


def inline_text(element) -> str:
    """The text of the runs and links in `element`, and of the content controls among them,
    in order."""
    from docx.oxml.ns import qn

    texts = []
    for child in element.iterchildren():
        if child.tag in (qn("w:r"), qn("w:hyperlink")):
            texts.append(child.text)  # python-docx's run text: tabs and breaks as \t and \n
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                texts.append(inline_text(content))
    return "".join(texts)


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
        parts += table_lines(inner) if isinstance(inner, Table) else [paragraph_text(inner)]
    return " ".join(" ".join(parts).split())


def table_lines(table) -> list[str]:
    """A table's rows, a merged cell once. When the first row reads as a header (two or more
    cells of words, no digits), each row after it names its values by it, as a sheet's rows
    do ("Model: K200; Capacity: 1.7 litres"), so a row quoted alone still says what its
    values are; otherwise a row's cells are joined by ' | ' ("Voltage | 230 V")."""
    rows = [cells for cells in row_texts(table) if any(cells)]
    if not rows:
        return []
    header = rows[0]
    named = [c for c in header if c]
    if len(rows) < 2 or len(named) < 2 or any(ch.isdigit() for c in named for ch in c):
        return [" | ".join(c for c in cells if c) for cells in rows]
    return [" | ".join(named)] + [named_row(header, cells) for cells in rows[1:]]


def row_texts(table) -> Iterator[list[str]]:
    """Each row's cell texts: a Word table's by grid column, a PowerPoint table's as is."""
    from docx.table import Table

    if not isinstance(table, Table):
        return (slide_row_texts(row) for row in table.rows)
    columns = max(1, grid_columns(table))  # counted once: without a grid, from every row
    return (word_row_texts(row, columns) for row in table.rows)


def word_row_texts(row, columns: int) -> list[str]:
    """A Word row's cells by grid column: a merged cell's text under its first column and in
    its first row, the other columns and rows it covers empty; equal values in two cells stay
    two. Read from the row's own cells: python-docx's `row.cells` hands back a vertically
    merged cell in every row it spans, so its text would be read, and kept, once per row."""
    from docx.table import _Cell

    texts: list[str] = []
    for tc in row._tr.tc_lst:
        # "continue": a later row of a vertical merge, whose text is the first row's
        text = "" if tc.vMerge == "continue" else cell_text(_Cell(tc, row.table))
        # a span wider than the table's `columns` is a lie
        texts += [text] + [""] * (min(tc.grid_span, columns) - 1)
    return texts


def grid_columns(table) -> int:
    """A Word table's columns: its grid's, or its widest row's when it has no grid (Word
    opens such a table; python-docx's `table.columns` refuses it), at most Word's 63 then, so
    a span claiming millions of columns pads a row with no more than that."""
    from docx.oxml.ns import qn

    tbl = table._tbl
    grid = tbl.find(qn("w:tblGrid"))
    if grid is not None:
        return len(grid.findall(qn("w:gridCol")))
    widest = max((sum(tc.grid_span for tc in tr.tc_lst) for tr in tbl.tr_lst), default=0)
    return min(widest, WORD_MAX_COLUMNS)


def slide_row_texts(row) -> list[str]:
    """A PowerPoint row's cells: each merged cell's grid cells are there, marked spanned
    but the first, which holds its text."""
    return ["" if cell.is_spanned else cell_text(cell) for cell in row.cells]


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LOCATOR_CHARS else text[:LOCATOR_CHARS - 1] + "…"
