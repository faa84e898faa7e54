"""Tables of rows: Excel workbooks (.xlsx, with openpyxl) and CSV files.

A row becomes one line that names each value by its column's header ("Region: North; Q1:
1200"), so a passage taken from the middle of a sheet still says what its numbers are. A
workbook is read in openpyxl's read-only mode, a row at a time, with the values Excel last
computed (not the formulas), each number as its cell's format shows it (`15%`, `$1,200.50`);
each sheet is a page whose locator is "sheet <name>". Rows holding a value are counted as they
are read, and reading stops past MAX_ROWS.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

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


def load_xlsx(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    import openpyxl

    check_package(path, data, streamed=("xl/worksheets/",))
    pages = Pages(path)
    rows = RowCount(path)
    with reading(path, "Excel workbook"):
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            title = (workbook.properties.title or "").strip()
            for number, sheet in enumerate(workbook.worksheets, start=1):
                shown = ([shown_cell(cell) for cell in row] for row in sheet.iter_rows())
                lines = table_text(shown, rows)
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
            text[:65536], delimiters=",;\t|")
    except csv.Error:  # one column, or no clear delimiter
        dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    pages = Pages(path)
    with reading(path, "CSV file", (csv.Error,)):
        cells = csv.reader(io.StringIO(text, newline=""), dialect)
        try:
            lines = table_text(([cell_text(cell) for cell in row] for row in cells),
                               RowCount(path))
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):  # a cell past the document's bound
                raise too_much_text(path, MAX_DOCUMENT_CHARS) from None
            raise
    pages.add(None, PARAGRAPH_BREAK.join(lines))
    return Parsed(path.stem, pages.pages)


class RowCount:
    """Rows read so far from one file, stopped past MAX_ROWS."""

    def __init__(self, path: Path) -> None:
        self.path, self.rows = path, 0

    def add(self) -> None:
        self.rows += 1
        if self.rows > MAX_ROWS:
            raise too_large(self.path, f"more than {MAX_ROWS:,} rows")


def table_text(rows: Iterable[list[str]], count: RowCount) -> list[str]:
    """The header (the first row with a value) and each row after it as one line."""
    header: list[str] | None = None
    lines = []
    for values in rows:
        if not any(values):  # formatted but empty: a sheet's styling can run far past its data
            continue
        count.add()
        if header is None:
            header = values
            lines.append(" | ".join(v for v in values if v))
            continue
        lines.append(named_row(header, values))
    return lines


def named_row(header: Sequence[str], values: Sequence[str]) -> str:
    """A row's values, each named by its column's header ("Region: North; Q1: 1200"); empty
    values left out, a value without a header as it is."""
    names = list(header[:len(values)]) + [""] * (len(values) - len(header))
    return "; ".join(f"{name}: {value}" if name else value
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
