"""Tables of rows: Excel workbooks (.xlsx, with openpyxl) and CSV files.

A row becomes one line that names each value by its column's header ("Region: North; Q1:
1200"), so a passage taken from the middle of a sheet still says what its numbers are. A
workbook is read in openpyxl's read-only mode, a row at a time, with the values Excel last
computed (not the formulas), each number as its cell's format shows it (`15%`, `$1,200.50`);
each sheet is a page whose locator is "sheet <name>". Rows holding a value are counted as they
are read, and reading stops past MAX_ROWS; the characters a row yields are counted as its cells
are shown, and reading stops past MAX_DOCUMENT_CHARS; every cell a workbook hands over, empty or
not, is counted too, and reading stops past MAX_CELLS_WALKED.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ingest.formats.base import (
    MAX_DOCUMENT_CHARS,
    MAX_ROWS,
    PARAGRAPH_BREAK,
    LoadOptions,
    Pages,
    Parsed,
    too_large,
    too_much_text,
)
from ingest.formats.containers import check_package, reading
from ingest.formats.number_formats import shown_number
from ingest.formats.text import decode_text
from rag.errors import DocumentError

# Cells a workbook hands over, empty or not, a missing row counting as one: a file can declare a
# range, or number its rows, far past the cells it stores, and each one padded costs time.
MAX_CELLS_WALKED = 20_000_000
# csv.Sniffer's regular expressions backtrack over their sample in quadratic time.
SNIFF_CHARS = 4096

Cell = TypeVar("Cell")


def load_xlsx(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    import openpyxl

    check_package(path, data, streamed=("xl/worksheets/",))
    pages = Pages(path)
    bounds = TableBounds(path)
    with reading(path, "Excel workbook"):
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            title = (workbook.properties.title or "").strip()
            for number, sheet in enumerate(workbook.worksheets, start=1):
                # each row ends at its last stored cell, not at the range the file declares
                sheet.reset_dimensions()
                lines = table_text(walked(sheet.iter_rows(), bounds), shown_cell, bounds)
                if lines:
                    pages.add(number, PARAGRAPH_BREAK.join(lines), f"sheet {sheet.title}")
        finally:
            workbook.close()
    return Parsed(title or path.stem, pages.pages)


def load_csv(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    text = decode_text(path, data)
    # a cell may be as long as a document (Python's csv stops at 128 KiB and calls it an error)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_DOCUMENT_CHARS))
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            sniff_sample(text), delimiters=",;\t|")
    except csv.Error:  # one column, or no clear delimiter
        dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    pages = Pages(path)
    with reading(path, "CSV file", (csv.Error,)):
        cells = csv.reader(io.StringIO(text, newline=""), dialect)
        try:
            lines = table_text(cells, cell_text, TableBounds(path))
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):  # a cell past the document's bound
                raise too_much_text(path, MAX_DOCUMENT_CHARS) from None
            raise
    pages.add(None, PARAGRAPH_BREAK.join(lines))
    return Parsed(path.stem, pages.pages)


def sniff_sample(text: str) -> str:
    """The first lines of a CSV file, whole, up to SNIFF_CHARS; the first line cut there if it
    is longer. A line cut short could hold fewer delimiters than the rest and hide them."""
    if len(text) <= SNIFF_CHARS:
        return text
    end = max(text.rfind("\n", 0, SNIFF_CHARS), text.rfind("\r", 0, SNIFF_CHARS))
    return text[:end + 1] if end > 0 else text[:SNIFF_CHARS]


class TableBounds:
    """What reading one file has cost so far: rows holding a value (stopped past MAX_ROWS),
    cells walked (past MAX_CELLS_WALKED) and characters of text (past MAX_DOCUMENT_CHARS)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = self.cells = self.chars = 0

    def add_row(self) -> None:
        self.rows += 1
        if self.rows > MAX_ROWS:
            raise too_large(self.path, f"more than {MAX_ROWS:,} rows")

    def add_cells(self, cells: int) -> None:
        self.cells += max(cells, 1)
        if self.cells > MAX_CELLS_WALKED:
            raise too_large(self.path, f"more than {MAX_CELLS_WALKED:,} cells, empty cells "
                                       f"and rows included")

    def room(self) -> int:
        """Characters the text can still grow by."""
        return MAX_DOCUMENT_CHARS - self.chars

    def add_text(self, line: str) -> None:
        self.chars += len(line)
        if self.chars > MAX_DOCUMENT_CHARS:
            raise self.too_much_text()

    def too_much_text(self) -> DocumentError:
        return too_much_text(self.path, MAX_DOCUMENT_CHARS)


def walked(rows: Iterable[Sequence[Cell]], bounds: TableBounds) -> Iterator[Sequence[Cell]]:
    """The rows, each counted with its cells before it is read."""
    for row in rows:
        bounds.add_cells(len(row))
        yield row


def table_text(rows: Iterable[Sequence[Cell]], show: Callable[[Cell], str],
               bounds: TableBounds) -> list[str]:
    """The header (the first row with a value) and each row after it as one line."""
    header: list[str] | None = None
    lines = []
    for cells in rows:
        # the values outgrowing the room left stop the row before its line is built: a line
        # holds every value, so a row of copies of one long shared string is refused early
        values = within_room((show(cell) for cell in cells), bounds)
        if not any(values):  # formatted but empty: a sheet's styling can run far past its data
            continue
        bounds.add_row()
        if header is None:
            header = values
            line = " | ".join(v for v in values if v)
        else:
            # a header repeated on every row can make a line far longer than its row
            line = "; ".join(within_room(named_values(header, values), bounds))
        bounds.add_text(line)
        lines.append(line)
    return lines


def within_room(pieces: Iterable[str], bounds: TableBounds) -> list[str]:
    """The pieces of a line, refused as soon as together they outgrow the room left in the
    document's text."""
    kept, chars, room = [], 0, bounds.room()
    for piece in pieces:
        chars += len(piece)
        if chars > room:
            raise bounds.too_much_text()
        kept.append(piece)
    return kept


def named_row(header: Sequence[str], values: Sequence[str]) -> str:
    """A row's values, each named by its column's header ("Region: North; Q1: 1200"); empty
    values left out, a value without a header as it is."""
    return "; ".join(named_values(header, values))


def named_values(header: Sequence[str], values: Sequence[str]) -> Iterator[str]:
    names = list(header[:len(values)]) + [""] * (len(values) - len(header))
    return (f"{name}: {value}" if name else value
            for name, value in zip(names, values, strict=True) if value)


def shown_cell(cell: Any) -> str:
    """A workbook cell's value; a number as its format shows it, when the format is one
    `shown_number` reads."""
    value = cell.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = shown_number(value, getattr(cell, "number_format", None))
        if shown is not None:
            return shown
    return cell_text(value)


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return " ".join(str(value).split())
