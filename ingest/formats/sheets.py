"""Tables of rows: Excel workbooks (.xlsx, with openpyxl) and CSV files.

A row becomes one line that names each value by its column's header ("Region: North; Q1:
1200"), so a passage taken from the middle of a sheet still says what its numbers are; a
table whose first row is data (`names_columns`) has no header, and its rows are lines of their
cells, as a Word table's are. A workbook is read in openpyxl's read-only mode, a row at a
time, with the values Excel last computed (not the formulas), each number as its cell's
format shows it (`15%`, `$1,200.50`, a date `Jan-24`); each sheet is a page whose locator is
"sheet <name>", a hidden sheet left out, a sheet numbered by its tab; a sheet the workbook
lists but the package lacks is named in a warning (the first SHOWN_LEFT_OUT of them, one more
counting the rest), the sheets after it keeping their numbers, and so is a sheet whose XML is
damaged, the others read; a workbook none of whose visible sheets can be read fails.
A title or a key/value line above a table's header (`opened`) is a line of its own, so the
header names the values; a blank row ends a table, and a header below it opens the next
(`table_text`), a note or a source line of one value below it being a line of its own too.
Rows holding a value are counted as they are read, and reading stops past MAX_ROWS; the
characters a row yields are counted as its cells are shown, and reading stops past
MAX_DOCUMENT_CHARS; every cell a workbook hands over, empty or not, is counted too, and
reading stops past MAX_CELLS_WALKED.

A workbook written by a program (openpyxl, a report generator) and never opened in a
spreadsheet holds formulas with no computed result: openpyxl reads each as an empty cell. The
sheet's XML, scanned once more as bytes beside its rows (`formulas_left_out`), finds them, and
the document is read with a warning naming how many cells are left out.

A program can instead save a placeholder result and mark the workbook to be recalculated when
it is opened (`fullCalcOnLoad`): XlsxWriter, which pandas writes .xlsx with, saves 0 for every
formula whose value its caller does not give. Excel and LibreOffice never save that mark. In a
workbook bearing it, a formula's saved 0 (a number equal to zero) or empty text is taken for a
placeholder: the same scan finds it, ahead of the row openpyxl reads it in, and its cell is left
out and counted in the warning (an empty text reads as an empty cell anyway), since a stale 0
read as a total is wrong data, and a cell left out with a warning is not. A real 0 given by the
caller is left out with them: nothing tells the two apart. Any other saved result is kept: the
writer saves one only when its caller gives it, so it was computed on purpose.
"""

from __future__ import annotations

import csv
import datetime
import functools
import heapq
import io
import itertools
import re
import zipfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, NamedTuple, TypeVar

from ingest.formats.base import (
    MAX_DOCUMENT_CHARS,
    MAX_ROWS,
    MIB,
    PARAGRAPH_BREAK,
    LoadOptions,
    Pages,
    Parsed,
    capped_warnings,
    library_error,
    metadata_title,
    number_span,
    too_large,
    too_much_text,
)
from ingest.formats.containers import (
    CORE_PROPERTIES,
    DAMAGE_ERRORS,
    ReadParts,
    UnreadableProperties,
    check_package,
    reading,
    without_unreadable_properties,
)
from ingest.formats.date_formats import shown_date
from ingest.formats.number_formats import shown_number
from ingest.formats.text import decode_text
from rag.errors import DocumentError
from rag.text.measures import is_measure
from rag.text.table_rows import NAME_END, cells_line, named_values, row_lines

# Cells a workbook hands over, empty or not, a missing row counting as one: a file can declare a
# range, or number its rows, far past the cells it stores, and each one padded costs time.
MAX_CELLS_WALKED = 20_000_000
# csv.Sniffer's regular expressions backtrack over their sample in quadratic time.
SNIFF_CHARS = 4096
DELIMITERS = ",;\t|"  # those a CSV file is looked at for
# Excel's first line naming the delimiter ("sep=;"), which Excel writes and reads
SEPARATOR_LINE = re.compile(r"sep=([^\r\n])(?:\r\n|\r|\n|$)", re.IGNORECASE)
# single-value rows above a table read as its titles: a title, a subtitle, a date or author line
MAX_TITLE_ROWS = 3
MAX_TITLE_CHARS = 1000  # a title is a line, not a page of notes
FIGURE = re.compile(r"[^\w]*\d[\d\W_]*")  # digits and signs, no letters: "30", "$1,200.50", "12%"
# a column named by a year ("Region | 2023 | 2024"), the commonest report layout
YEAR = re.compile(r"(?:19|20)\d\d")
ISO_DATE = re.compile(r"(?:19|20)\d\d-\d\d-\d\d")  # a date cell as written without its format
# integral floats up to here are exact: past it a float's binary digits are no digits of the file
EXACT_INTEGERS = 2**53

# A sheet's XML is scanned for formulas without a result this much at a time; what follows the
# last cell start in a piece waits for the next one. A stretch with no cell start longer than
# MAX_SCAN_CARRY (a cell far past Excel's 32,767 characters, or parts after the cells) is let
# go, so the scan holds at most these two whatever the sheet.
SCAN_BYTES = MIB
MAX_SCAN_CARRY = 8 * MIB
# a sheet's root element, whose prefix (if any) every element of the sheet's own namespace has
SHEET_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]")
CELL_REFERENCE = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{1,3}[0-9]{1,7})["']""")
ZERO = rb"[-+]?0+(?:\.0*)?(?:[eE][-+]?[0-9]+)?"  # a saved number equal to zero
CELL_TYPE = re.compile(rb"""\st\s*=\s*["']([^"'<>]*)["']""")  # none: a number
SHOWN_UNSAVED = 2  # formulas of each kind the warning names; it counts them all
# array formulas' ranges still open at a cell, at most, each looked at for every zero: a sheet
# written for people has a few; beyond that, an array's other cells keep their zeros
MAX_ARRAY_RANGES = 64
# where every writer puts the workbook part, whose calcPr may ask for a recalculation on opening
WORKBOOK_PART = "xl/workbook.xml"
CALCULATION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?calcPr(\s[^<>]*)?/?>")
RECALCULATE_ON_OPENING = re.compile(rb"""\sfullCalcOnLoad\s*=\s*["'](?:1|true)["']""")
PLAIN_SHEET_NAME = re.compile(r"\w+")
# a row's or a column's tag (not a cell's, nor <rowBreaks> or <cols>), and what says it is hidden
LAYOUT_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|col)\s([^<>]*)>")
HIDDEN = re.compile(rb"""\shidden\s*=\s*["'](?:1|true)["']""")
ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']([0-9]{1,7})["']""")
COLUMN_FIRST = re.compile(rb"""\smin\s*=\s*["']([0-9]{1,5})["']""")
COLUMN_LAST = re.compile(rb"""\smax\s*=\s*["']([0-9]{1,5})["']""")
MAX_COLUMNS = 16_384  # Excel's last column, XFD
MAX_ROWS_IN_SHEET = 1_048_576  # Excel's last row
# an AutoFilter's start tag, and the name of the tag after it (filterColumn: it filters); or
# the custom views, which come after the sheet's own filter and hold filters of their own
AUTO_FILTER = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:(customSheetViews)[\s/>]|autoFilter("
                         rb"\s[^<>]*)?>\s*<(?:[A-Za-z_][\w.-]*:)?([A-Za-z]\w*)[\s/>])")
FILTER_REFERENCE = re.compile(rb"""\sref\s*=\s*["']([^"'<>]*)["']""")
TABLE_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"

_SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml."
# the XML parts openpyxl's read-only mode never opens: a pivot table's, its cache's (a copy
# of its source data, saved with the file by default: often the largest part), and other
# workbooks' cached sheets behind external links (`keep_links=False`)
UNREAD_PARTS = frozenset(_SPREADSHEET + kind for kind in (
    "pivotTable+xml", "pivotCacheDefinition+xml", "pivotCacheRecords+xml", "externalLink+xml"))

MOMENTS = (datetime.date, datetime.time, datetime.timedelta)  # datetime is a date

Cell = TypeVar("Cell")


def load_xlsx(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    names = check_package(path, data, streamed=("xl/worksheets/",), parsed=OPENPYXL_READS)
    pages = Pages(path)
    bounds = TableBounds(path)
    left_out = FormulasLeftOut()
    unread: list[UnreadSheet] = []
    with reading(path, "Excel workbook"):
        data, properties_lost = without_unreadable_properties(path, data)
        # openpyxl's parsed calcPr cannot tell: it reads a missing fullCalcOnLoad, as in every
        # workbook Excel saves, as true
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            recalculated = WORKBOOK_PART in names and asks_recalculation(
                package.read(WORKBOOK_PART))
        # openpyxl's own loading, whose reader also knows the sheets the workbook lists
        # without the external links' cached sheets, which it would parse whole
        reader = workbook_reader()(io.BytesIO(data), read_only=True, data_only=True,
                                   keep_links=False)
        reader.read()
        workbook = reader.wb
        try:
            title = metadata_title(workbook.properties.title)
            listed = listed_sheets(reader)
            tabs = tab_positions([sheet.name for sheet in listed])
            read = 0
            for sheet in workbook.worksheets:
                if sheet.sheet_state != "visible":  # hidden, or hidden from Excel's own menu
                    continue
                # a sheet's formulas are counted once it is read whole: a damaged sheet's
                # rows, read up to the damage, are left out with it
                sheet_formulas = FormulasLeftOut()
                try:
                    lines = sheet_lines(sheet, bounds, sheet_formulas, recalculated)
                except (SyntaxError, *DAMAGE_ERRORS) as exc:
                    unread.append(UnreadSheet(tabs[sheet.title], sheet.title,
                                              sheet._worksheet_path, library_error(exc)))
                    continue
                read += 1
                left_out.add(sheet_formulas)
                if lines:
                    pages.add(tabs[sheet.title], PARAGRAPH_BREAK.join(lines),
                              f"sheet {sheet.title}")
        finally:
            workbook.close()
    if unread and not read:
        raise DocumentError("corrupt", f"{path}: cannot read the Excel workbook: none of its "
                                       f"worksheets could be read ({unread[0].warning()})")
    if reader.properties_fault is not None:
        properties_lost.append(unread_core_properties(reader.properties_fault))
    return Parsed(title or path.stem, pages.pages,
                  [*properties_lost, *unread_sheets_warnings(unread),
                   *missing_sheets_warnings(listed), *left_out.warnings()])


def unread_core_properties(fault: str) -> str:
    """The warning for core properties openpyxl could not read, as for a damaged part."""
    return UnreadableProperties(CORE_PROPERTIES, "core-properties", fault,
                                frozenset()).warning() or ""


@functools.cache
def workbook_reader() -> type:
    """openpyxl's workbook reader (read-only), whose worksheets are opened one by one, so
    that one whose XML is damaged fails as its rows are read, and alone: openpyxl reads the
    start of each sheet's XML (the range it declares) as it opens the workbook, and would
    fail it whole."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class OpenedAlone(ReadOnlyWorksheet):
        def _get_size(self) -> None:
            try:
                super()._get_size()
            except (SyntaxError, *DAMAGE_ERRORS):
                pass  # the same read of its rows fails, and the sheet is left out

    class Reader(ExcelReader):
        # what openpyxl could not read of the core properties: their values are typed, and a
        # value not of its type ("garbage" for a date) fails their reading, not their syntax
        properties_fault: str | None = None

        def read_properties(self) -> None:
            try:
                super().read_properties()
            except (SyntaxError, *DAMAGE_ERRORS) as exc:
                self.properties_fault = f"damaged ({library_error(exc)})"

        def read_custom(self) -> None:
            try:
                super().read_custom()
            except (SyntaxError, *DAMAGE_ERRORS):
                pass  # custom properties give no text nor title: nothing is lost

        def read_worksheets(self) -> None:
            """openpyxl's own, in read-only mode, each worksheet an `OpenedAlone`."""
            for sheet, relationship in self.parser.find_sheets():
                if relationship.target not in self.valid_files:
                    continue  # named in a warning: `missing_sheets_warnings`
                if "chartsheet" in relationship.Type:
                    try:
                        self.read_chartsheet(sheet, relationship)
                    except (SyntaxError, *DAMAGE_ERRORS):
                        pass  # a chart sheet holds no text this loader reads: nothing is lost
                    continue
                worksheet = OpenedAlone(self.wb, sheet.name, relationship.target,
                                        self.shared_strings)
                worksheet.sheet_state = sheet.state
                self.wb._sheets.append(worksheet)

    return Reader


def sheet_lines(sheet: Any, bounds: TableBounds, left_out: FormulasLeftOut,
                recalculated: bool) -> list[str]:
    """A visible worksheet's lines (`table_text`), without its hidden rows and columns; its
    formulas without a result, or with a placeholder result in a workbook to be
    `recalculated`, left out and counted in `left_out`."""
    # each row ends at its last stored cell, not at the range the file declares
    sheet.reset_dimensions()
    # the stream openpyxl reads the rows from (it offers no other way to the part)
    with sheet._get_source() as stream, sheet._get_source() as layout:
        found = left_out.counted(sheet.title, formulas_left_out(stream, recalculated))
        rows = HiddenCells(hidden_rows_and_columns(layout),
                           functools.partial(filtered_rows, sheet)).left_out_of(
            walked(sheet.iter_rows(), bounds))
        if recalculated:
            rows = without_placeholders(rows, found)
        lines = table_text(rows, shown_cell, bounds)
        for _ in found:  # those past the last row read are counted too
            pass
    return lines


class UnreadSheet(NamedTuple):
    """A worksheet whose part could not be read: its tab's number, its name, its part, what
    the library said."""

    tab: int
    name: str
    part: str
    error: str

    def warning(self) -> str:
        """"worksheet 'Sales' could not be read: its part xl/worksheets/sheet1.xml is damaged
        (ParseError: ...)"."""
        return (f"worksheet '{self.name}' could not be read: its part {self.part} is damaged "
                f"({self.error})")


def unread_sheets_warnings(unread: Sequence[UnreadSheet]) -> list[str]:
    """A warning for each worksheet that could not be read, the first SHOWN_LEFT_OUT of them,
    and one counting the others by their tabs' numbers."""
    return capped_warnings(
        unread, UnreadSheet.warning,
        lambda rest: f"{len(rest):,} more worksheets, tabs "
                     f"{number_span([sheet.tab for sheet in rest])}, could not be read: their "
                     f"parts are damaged")


class ListedSheet(NamedTuple):
    """A sheet as the workbook part lists it: its name, whether it is a visible worksheet,
    its part, and whether the package holds that part."""

    name: str
    visible_worksheet: bool
    part: str
    packed: bool


def listed_sheets(reader: Any) -> list[ListedSheet]:
    """The sheets a workbook lists, in its tabs' order, as openpyxl's `reader` found them: it
    reads those whose part the package holds and skips the others without a word."""
    sheets = []
    for sheet, relationship in reader.parser.find_sheets():
        visible_worksheet = (sheet.state or "visible") == "visible" and "chartsheet" not in (
            relationship.Type or "")
        sheets.append(ListedSheet(sheet.name, visible_worksheet, relationship.target,
                                  relationship.target in reader.valid_files))
    return sheets


def missing_sheets_warnings(listed: Iterable[ListedSheet]) -> list[str]:
    """A warning for each visible worksheet whose part the package lacks, the first
    SHOWN_LEFT_OUT of them, and one counting the others by their tabs' numbers: its text is
    lost, where a hidden sheet's would be left out anyway and a chart sheet holds none."""
    missing = [(tab, sheet) for tab, sheet in enumerate(listed, start=1)
               if sheet.visible_worksheet and not sheet.packed]
    return capped_warnings(
        missing, lambda found: f"sheet {found[1].name} ({found[1].part}) is missing from the "
                               f"workbook: its text is left out",
        lambda rest: f"{len(rest):,} more sheets, tabs {number_span([tab for tab, _ in rest])}, "
                     f"are missing from the workbook: their text is left out")


def is_read_by_openpyxl(content_type: str) -> bool:
    """Whether openpyxl's read-only mode builds a tree of a part of `content_type`: an XML
    part, not a picture or another binary one, and not one it never opens (UNREAD_PARTS)."""
    is_xml = content_type.endswith("+xml") or content_type in ("application/xml", "text/xml")
    return is_xml and content_type not in UNREAD_PARTS


# besides: the styles and the document's properties, which it opens by name, and a chart
# sheet, its drawing and its charts, which it reaches by relationships
OPENPYXL_READS = ReadParts(
    is_read_by_openpyxl,
    named=frozenset({"xl/styles.xml", CORE_PROPERTIES, "docProps/custom.xml"}),
    followed=frozenset({"chartsheet", "drawing", "chart"}))


def tab_positions(names: Sequence[str]) -> dict[str, int]:
    """Each sheet's number: its tab's position among all tabs, chart sheets (which hold no
    cells and are no worksheets) and sheets whose part is missing included, so a sheet is
    cited by the tab a reader counts to."""
    return {name: number for number, name in enumerate(names, start=1)}


def asks_recalculation(workbook_xml: bytes) -> bool:
    """Whether a workbook part's calcPr asks for every formula to be recalculated when the
    workbook is opened (fullCalcOnLoad): its saved results may then be placeholders."""
    calculation = CALCULATION.search(workbook_xml)
    return bool(calculation and RECALCULATE_ON_OPENING.search(calculation.group(1) or b""))


class LeftOut(NamedTuple):
    """A formula's cell left out: its reference (None: a cell that states none), and whether
    it holds a placeholder result rather than none."""

    cell: str | None
    placeholder: bool


@dataclass
class Tally:
    count: int = 0
    named: list[str] = field(default_factory=list)  # the first SHOWN_UNSAVED

    def formulas(self) -> str:
        """`3 formulas (e.g. Q1!C3, Q1!B4)`, `1 formula (Q1!B4)`"""
        shown = ("e.g. " if self.count > len(self.named) else "") + ", ".join(self.named)
        return f"{self.count:,} formula{'s' if self.count > 1 else ''} ({shown})"


class FormulasLeftOut:
    """The formulas of a workbook whose cells are left out, counted by kind as they are
    found, and the warning that says so."""

    def __init__(self) -> None:
        self.unsaved, self.placeholders = Tally(), Tally()

    def add(self, other: FormulasLeftOut) -> None:
        """Count `other`'s formulas too (a sheet's, once it is read whole)."""
        for mine, theirs in ((self.unsaved, other.unsaved),
                             (self.placeholders, other.placeholders)):
            mine.count += theirs.count
            mine.named += theirs.named[:SHOWN_UNSAVED - len(mine.named)]

    def counted(self, sheet: str, found: Iterable[LeftOut]) -> Iterator[LeftOut]:
        for formula in found:
            tally = self.placeholders if formula.placeholder else self.unsaved
            tally.count += 1
            if len(tally.named) < SHOWN_UNSAVED:
                tally.named.append(cell_name(sheet, formula.cell))
            yield formula

    def warnings(self) -> list[str]:
        """One warning, each kind a clause of it, so what to do is said once."""
        clauses = []
        if self.unsaved.count:
            have = "has" if self.unsaved.count == 1 else "have"
            clauses.append(f"{self.unsaved.formulas()} {have} no saved result (the workbook "
                           f"was written by a program and never recalculated)")
        if self.placeholders.count:
            was, result, it = (("was", "a placeholder result", "it")
                               if self.placeholders.count == 1 else
                               ("were", "placeholder results", "them"))
            clauses.append(f"{self.placeholders.formulas()} {was} saved with {result} by the "
                           f"program that wrote the workbook, which asks Excel to recalculate "
                           f"{it} on opening")
        if not clauses:
            return []
        cells = ("its cell is" if self.unsaved.count + self.placeholders.count == 1 else
                 "their cells are")
        return [f"{' and '.join(clauses)}: {cells} left out. Open and save it in Excel or "
                "LibreOffice, then ingest it again."]


def hidden_rows_and_columns(stream: IO[bytes]) -> Iterator[tuple[bytes, int, int]]:
    """The columns (b"col", first, last) and rows (b"row", number, number) a sheet's XML
    hides (Format > Hide, or a collapsed outline), in the XML's order: its columns, ahead of
    its rows. openpyxl's read-only mode reads neither. Read a piece at a time: no tag holds a
    '<', so each piece is read up to its last one."""
    held = bytearray()
    row = 0
    while True:
        piece = stream.read(SCAN_BYTES)
        held += piece
        end = held.rfind(b"<") if piece else len(held)
        for found in LAYOUT_TAG.finditer(held, 0, max(end, 0)):
            attributes = b" " + found.group(2)
            if found.group(1) == b"row":
                number = ROW_NUMBER.search(attributes)
                row = int(number.group(1)) if number else row + 1
                if HIDDEN.search(attributes):
                    yield b"row", row, row
            elif HIDDEN.search(attributes):
                first, last = COLUMN_FIRST.search(attributes), COLUMN_LAST.search(attributes)
                if first and last:
                    yield b"col", int(first.group(1)), min(int(last.group(1)), MAX_COLUMNS)
        if not piece:
            return
        if end > 0:
            del held[:end]
        elif len(held) > MAX_SCAN_CARRY:  # a tag this long is no row's nor column's
            held.clear()


def columns_in(ranges: list[tuple[int, int]]) -> frozenset[int]:
    """The columns of ranges, each range added once however often they overlap."""
    columns: list[int] = []
    reached = 0
    for first, last in sorted(ranges):
        columns.extend(range(max(first, reached + 1), last + 1))
        reached = max(reached, last)
    return frozenset(columns)


def filtered_rows(sheet: Any) -> list[range]:
    """The rows of each AutoFilter of a sheet that filters on a column: the sheet's own, and
    each of its tables' (Format as Table). Excel marks the rows a filter leaves out of view
    `hidden`, as it marks the rows Format > Hide hides, yet they are a view's choice, not
    content hidden. The sheet's filter follows its rows in the XML: read at the first hidden
    row, so a sheet with none is scanned no more."""
    with sheet._get_source() as stream:
        found = [filter_rows(stream)]
    archive = sheet.parent._archive
    for table in table_parts(archive, sheet._worksheet_path):
        try:
            with archive.open(table) as stream:
                found.append(filter_rows(stream))
        except KeyError:  # a table named but not packed: none to filter
            continue
    return [rows for rows in found if rows is not None]


def table_parts(archive: zipfile.ZipFile, sheet_part: str) -> list[str]:
    """The parts of a sheet's tables, as its relationships name them; none when they cannot be
    read, which openpyxl's read-only mode never reads, so they cost the sheet nothing else."""
    from openpyxl.packaging.relationship import get_dependents, get_rels_path

    try:
        relationships = get_dependents(archive, get_rels_path(sheet_part))
    except (KeyError, ValueError, SyntaxError):  # none, or damaged
        return []
    return [relationship.target for relationship in relationships.find(TABLE_RELATIONSHIP)]


def filter_rows(stream: IO[bytes]) -> range | None:
    """The rows of the first AutoFilter in a part's XML (a sheet's, a table's) when it filters
    on a column (a filterColumn, its first child, is set); read a piece at a time, each up to
    its last tag but one, since a filter's start tag is read with the name of the tag after."""
    from openpyxl.utils.cell import range_boundaries

    held = bytearray()
    while True:
        piece = stream.read(SCAN_BYTES)
        held += piece
        # the regular expression from the first filter's name on: a sheet's rows hold none
        named = [at for at in (held.find(b"autoFilter"), held.find(b"customSheetViews"))
                 if at >= 0]
        found = AUTO_FILTER.search(held, max(held.rfind(b"<", 0, min(named)), 0)) if named \
            else None
        if found:
            reference = FILTER_REFERENCE.search(found.group(2) or b"")
            if found.group(1) or found.group(3) != b"filterColumn" or reference is None:
                return None
            try:
                _, first, _, last = range_boundaries(reference.group(1).decode("ascii"))
            except (ValueError, TypeError, UnicodeDecodeError):
                return None
            return range(first or 1, (last or MAX_ROWS_IN_SHEET) + 1)
        if not piece:
            return None
        last_tag = held.rfind(b"<")
        if last_tag > 0:
            del held[:max(held.rfind(b"<", 0, last_tag), 0)]
        if len(held) > MAX_SCAN_CARRY:  # two tags this far apart are no filter's
            held.clear()


class HiddenCells:
    """A sheet's hidden rows and columns, left out of its rows as openpyxl reads them: what
    the author hid is no reader's, as a hidden sheet is not. A row an AutoFilter hides
    (`filtered_rows`, read at the first hidden row) is kept."""

    def __init__(self, found: Iterator[tuple[bytes, int, int]],
                 filtered: Callable[[], list[range]] = list) -> None:
        self.found = found
        self.filtered = functools.cache(filtered)
        self.next_row: int | None = None
        ranges = []
        for kind, first, last in found:  # the columns come first, then the rows
            if kind == b"row":
                self.next_row = first
                break
            if len(ranges) < MAX_COLUMNS:  # a sheet states each column once at most
                ranges.append((first, last))
        self.columns = columns_in(ranges)

    def left_out_of(self, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        from openpyxl.cell.read_only import EMPTY_CELL

        for row in rows:
            number = max((getattr(cell, "row", 0) for cell in row), default=0)
            while self.next_row is not None and self.next_row < number:
                self.next_row = next((first for kind, first, _ in self.found if kind == b"row"),
                                     None)
            if number and self.next_row == number and not any(
                    number in rows for rows in self.filtered()):
                continue
            if self.columns:
                row = [EMPTY_CELL if getattr(cell, "column", 0) in self.columns else cell
                       for cell in row]
            yield row


def without_placeholders(rows: Iterable[Sequence[Any]],
                         found: Iterator[LeftOut]) -> Iterator[Sequence[Any]]:
    """The rows, each placeholder's cell emptied. The scan finds cells in the order of the
    sheet's XML, the order openpyxl gives its rows in (it skips a row numbered below one it
    gave), so only the placeholders up to the row being read are held."""
    from openpyxl.cell.read_only import EMPTY_CELL
    from openpyxl.utils.cell import coordinate_to_tuple

    # as openpyxl places a cell: by its own reference
    placeholders = (coordinate_to_tuple(formula.cell) for formula in found
                    if formula.placeholder and formula.cell is not None)
    ahead = next(placeholders, None)
    for row in rows:
        here = set()
        if ahead is not None:
            number = max((getattr(cell, "row", 0) for cell in row), default=0)
            while ahead is not None and ahead[0] <= number:
                here.add(ahead)
                ahead = next(placeholders, None)
        if here:
            row = [EMPTY_CELL if (getattr(cell, "row", 0), getattr(cell, "column", 0)) in here
                   else cell for cell in row]
        yield row


def cell_name(sheet: str, cell: str | None) -> str:
    """A cell as a formula names it (`Q1!B4`, `'Q1 2024'!B4`); the sheet's, for a cell that
    states no reference."""
    if cell is None:
        return f"sheet {sheet}"
    if not PLAIN_SHEET_NAME.fullmatch(sheet):
        sheet = "'" + sheet.replace("'", "''") + "'"
    return f"{sheet}!{cell}"


@functools.cache
def unsaved_formula(prefix: bytes, placeholders: bool) -> re.Pattern[bytes]:
    """A cell's formula (elements named with `prefix`) with no result saved after it: no value
    element, or an empty one (group 1 set); with `placeholders`, also one whose result is a
    number equal to zero (group 2 set). A value, when saved, follows its formula: a cell's
    elements come in the order the format sets (formula, value, inline text). Attributes and
    text hold no '<', so no part of a match runs past the next tag but one: each piece of the
    XML is looked at by a few attempts at most, in linear time."""
    name = re.escape(prefix)
    zero = rb"|(<)" + name + rb"v(?:\s[^<>]*)?>" + ZERO + rb"</" + name + rb"v\s*>"
    return re.compile(
        rb"<" + name + rb"f(?:\s[^<>]*)?(?:/>|>[^<]*</" + name + rb"f\s*>)\s*"
        rb"(?:(<)" + name + rb"v(?:\s[^<>]*)?(?:/>|></" + name + rb"v\s*>)"
        # or a tag that is not a value next: white space given back to `\s*` never passes
        rb"|(?=<(?!" + name + rb"v[\s/>])|\Z)" + (zero if placeholders else b"") + rb")")


def formulas_left_out(stream: IO[bytes], recalculated: bool = False) -> Iterator[LeftOut]:
    """The cells of a sheet's XML whose formula has no saved result, and, in a workbook to be
    `recalculated` on opening, those whose result is a placeholder; read a piece at a time.

    openpyxl reads an empty value as no value, yet only a formula giving text ("", t="str")
    saves an empty one: a number, a date or a truth value always has characters. A program that
    writes formulas without computing them (openpyxl) writes no value, or an empty one; or, in a
    workbook to be recalculated, a placeholder: XlsxWriter writes a number, 0, for a formula
    giving text too. A truth value, an error or a text "0" is only ever a result given, and is
    kept. Shared formulas (`<f t="shared" si="0"/>` in every cell after the first) and array
    formulas (in their first cell) are each looked at in the cell that holds them."""
    held = bytearray(stream.read(SCAN_BYTES))
    root = SHEET_ROOT.search(held)
    prefix = root.group(1) + b":" if root and root.group(1) else b""
    formula, cell_start = unsaved_formula(prefix, recalculated), b"<" + prefix + b"c"
    arrays = ArrayResults(prefix) if recalculated else None
    searched = 1  # where a cell start not yet seen may begin: past the one `held` opens with
    while True:
        piece = stream.read(SCAN_BYTES)
        # up to a cell start, every cell's formula and value are whole (a start with a name
        # such as <cols> does as well: neither is ever inside a cell)
        end = held.rfind(cell_start, searched) if piece else len(held)
        if end > 0:
            found = _formula_cells(held, end, formula, recalculated)
            if arrays is not None:  # in the order of the sheet's cells, as they are emptied
                found = heapq.merge(found, arrays.placeholders(held, end))
            for _, left in found:
                yield left
            del held[:end]
        elif len(held) > MAX_SCAN_CARRY:
            del held[:len(held) - len(cell_start)]
        if not piece:
            return
        searched = max(len(held) - len(cell_start) + 1, 1)
        held += piece


def _formula_cells(held: bytearray, end: int, formula: re.Pattern[bytes],
                   recalculated: bool) -> Iterator[tuple[int, LeftOut]]:
    """Each formula of `held[:end]` left out, with where it is."""
    for found in formula.finditer(held, 0, end):
        tag = held[held.rfind(b"<", 0, found.start()):found.start()]  # its cell's
        placeholder = is_placeholder(found, tag)
        if placeholder is None or placeholder and not recalculated:
            continue
        reference = CELL_REFERENCE.search(tag)
        yield found.start(), LeftOut(reference.group(1).decode() if reference else None,
                                     placeholder)


class ArrayResults:
    """The cells of an array formula's range after its first, in a workbook to be
    recalculated: the formula is saved in the first cell alone, and XlsxWriter saves 0 in
    each of the others, a placeholder as its formulas' zeros are. Read piece by piece, in the
    sheet's order: a range's first cell comes before the others."""

    def __init__(self, prefix: bytes) -> None:
        name = re.escape(prefix)
        self.pattern = re.compile(
            # an array formula's range: "C2:C4" (t="array" before or after it)
            rb"<" + name + rb"f\s(?=[^<>]*\bt\s*=\s*[\"']array[\"'])[^<>]*?\bref\s*=\s*"
            rb"[\"']\$?([A-Za-z]{1,3})\$?([0-9]{1,7}):\$?([A-Za-z]{1,3})\$?([0-9]{1,7})[\"']"
            # or a cell holding a number equal to zero and no formula
            rb"|<" + name + rb"c(\s[^<>]*)>\s*<" + name + rb"v(?:\s[^<>]*)?>" + ZERO
            + rb"</" + name + rb"v\s*>")
        self.ranges: list[tuple[int, int, int, int]] = []  # rows, then columns, from first to last

    def placeholders(self, held: bytearray, end: int) -> Iterator[tuple[int, LeftOut]]:
        """The placeholders of `held[:end]`, each with where it is."""
        from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple

        if not self.ranges and b"array" not in held:
            return
        for found in self.pattern.finditer(held, 0, end):
            if found.group(1):
                first = column_index_from_string(found.group(1).decode())
                last = column_index_from_string(found.group(3).decode())
                if len(self.ranges) < MAX_ARRAY_RANGES:
                    self.ranges.append((int(found.group(2)), int(found.group(4)), first, last))
                continue
            attributes = found.group(5)
            kind, reference = CELL_TYPE.search(attributes), CELL_REFERENCE.search(attributes)
            if reference is None or kind and kind.group(1) != b"n":
                continue
            cell = reference.group(1).decode()
            row, column = coordinate_to_tuple(cell)
            self.ranges = [r for r in self.ranges if r[1] >= row]  # rows come in order
            if any(top <= row <= bottom and left <= column <= right
                   for top, bottom, left, right in self.ranges):
                yield found.start(), LeftOut(cell, True)


def is_placeholder(found: re.Match[bytes], tag: bytes) -> bool | None:
    """Whether a formula `unsaved_formula` found in a cell (`tag`, its start) holds a result
    that could be a placeholder (True: a number equal to zero, an empty text), none (False), or
    a result that is kept whatever the workbook asks (None)."""
    if found.lastindex is None:  # no value
        return False
    kind = CELL_TYPE.search(tag)
    cell_type = kind.group(1) if kind else b"n"
    if found.lastindex == 1:  # an empty value
        return cell_type == b"str"
    return True if cell_type == b"n" else None


def load_csv(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    text = decode_text(path, data)
    # a cell may be as long as a document (Python's csv stops at 128 KiB and calls it an error)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_DOCUMENT_CHARS))
    named, text = excel_separator(text)
    dialect = ExcelSeparated(named) if named else sniffed_dialect(path, text)
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


def excel_separator(text: str) -> tuple[str | None, str]:
    """The delimiter an Excel-style first line names (`sep=;`), and the text after that
    line; or none, and the text as it is. The line is an instruction to Excel, not data."""
    line = SEPARATOR_LINE.match(text)
    if line is None:
        return None, text
    return line.group(1), text[line.end():]


class ExcelSeparated(csv.excel):
    """Excel's dialect with the delimiter a `sep=` line names."""

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        super().__init__()


def sniffed_dialect(path: Path, text: str) -> type[csv.Dialect] | csv.Dialect:
    """The dialect csv's sniffer finds in the first lines; else Excel's with the delimiter
    that splits most of them alike (`steadiest_delimiter`); else Excel's (tab-separated for a
    .tsv file): one column."""
    sample = sniff_sample(text)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:  # no delimiter counted alike on nearly every line, or one column
        pass
    tsv = path.suffix.lower() == ".tsv"
    delimiter = steadiest_delimiter(sample, "\t" if tsv else ",")
    if delimiter is None:
        return csv.excel_tab if tsv else csv.excel
    return ExcelSeparated(delimiter)


def steadiest_delimiter(sample: str, first: str) -> str | None:
    """The delimiter that splits the most rows of a sample, two or more, into one number of
    fields, more than one; `first` on a tie, then DELIMITERS' order. Lines above a header (an
    account or a title line) and blank lines fail the sniffer, which wants nearly every line
    alike (`Kontonummer;12345678` above `Datum;Empfänger;Betrag`, decimal commas in the
    rows); rows are read as csv reads them, so a delimiter inside quotes splits nothing."""
    alike: dict[str, int] = {}
    for delimiter in sorted(DELIMITERS, key=lambda candidate: candidate != first):
        widths = Counter(len(row) for row in sample_rows(sample, delimiter))
        alike[delimiter] = max((rows for width, rows in widths.items() if width > 1), default=0)
    chosen = max(alike, key=alike.__getitem__)  # the first of those splitting the most
    return chosen if alike[chosen] > 1 else None  # one line split alone makes no table


def sample_rows(sample: str, delimiter: str) -> list[list[str]]:
    """A sample's rows holding a value, split on a delimiter; none when csv cannot read them."""
    try:
        return [row for row in csv.reader(io.StringIO(sample, newline=""),
                                          ExcelSeparated(delimiter)) if any(row)]
    except csv.Error:
        return []


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
    """The sheet's tables, each as its title lines, its header and each row after it as one
    line (`Table.line`). A table opens the sheet, or follows a blank row (`opened`); rows after
    a blank row that open no table of their own are read as the table before's, but for the
    notes that lead them (`Table.reads_as_note`)."""
    lines: list[str] = []

    def add(line: str) -> None:
        bounds.add_text(line)
        lines.append(line)

    table: Table | None = None
    rest = HeldRows(shown_rows(rows, show, bounds))
    while True:
        head = held_head(rest)
        if not head:
            return lines
        opening = opened(head)
        body: list[Row] = head
        notes = False  # whether the rows given back, after a blank row, may open with notes
        if opening.header_at is not None and (table is None or table.ends_before(opening)):
            for values in opening.titles:
                add(pair_line(values))
            table = Table(None if opening.pairs else opening.header, pairs=opening.pairs)
            body = head[opening.header_at + (0 if opening.pairs else 1):]
            if table.header:
                add(cells_line(table.header))
        elif table is None:  # the sheet's first rows: the first names columns if it reads so
            first = head[0] or []
            table = Table(first if names_columns(first) else None)
            if table.header:
                add(cells_line(first))
                body = head[1:]
        else:
            notes = True
        rest.give_back(body)
        for values in rest:
            if values is BREAK:
                break
            notes = notes and table.reads_as_note(values)
            add(pair_line(values) if notes else table.line(values, bounds))


Row = list[str] | None
BREAK = None  # a run of blank rows between two rows holding values


class HeldRows:
    """Rows read ahead (a table's first rows, looked at for its header) given back, to be
    read again before the rest."""

    def __init__(self, rows: Iterator[Row]) -> None:
        self.rows = rows
        self.held: deque[Row] = deque()

    def __iter__(self) -> HeldRows:
        return self

    def __next__(self) -> Row:
        return self.held.popleft() if self.held else next(self.rows)

    def give_back(self, rows: list[Row]) -> None:
        self.held.extendleft(reversed(rows))


@dataclass
class Table:
    """A table being read: its header, if any; whether its rows are label/value pairs; whether
    every row read so far could have been a header (a table of words)."""

    header: list[str] | None
    pairs: bool = False
    worded: bool = True

    def line(self, values: list[str], bounds: TableBounds) -> str:
        """A row's line: its values named by the header ("Region: North; Q1: 1200"), a pair as
        "label: value", the cells of a row of a table with no header joined by " | "."""
        self.worded = self.worded and could_be_header(values)
        if self.pairs and span(values) == 2:
            return pair_line(values)
        if self.header is None:
            return cells_line(values)
        # a header repeated on every row can make a line far longer than its row
        return row_lines(within_room(named_values(self.header, values), bounds))

    def reads_as_note(self, values: list[str]) -> bool:
        """Whether a row after a blank row, or after the notes that follow one, is a note
        under this table, a line of its own as a title is: one value, in the first column,
        under a header of several ("Source: National Records of Scotland" under `Town |
        Population`). The header would name it as a value of its first column."""
        return self.header is not None and span(self.header) > 1 and span(values) == 1

    def ends_before(self, opening: Opening) -> bool:
        """Whether a table the rows after a blank row open ends this one. A row as wide as
        this table's header goes on as a row of it when it could be a row as well: in a table
        of words, or naming years ("Beta | 2021"), which a data row can hold."""
        if self.header is None or self.pairs or opening.titles:
            return True
        if span(opening.header) != span(self.header):
            return True
        return not self.worded and not any(YEAR.fullmatch(value) or ISO_DATE.fullmatch(value)
                                           for value in opening.header)


class Opening(NamedTuple):
    """What a table's first rows (`held_head`) hold: title lines, then the header's place in
    the rows held (None: no row reads as one), and whether the rows are label/value pairs."""

    titles: list[list[str]]
    header: list[str]
    header_at: int | None
    pairs: bool


def held_head(rows: Iterator[Row]) -> list[Row]:
    """The first rows of a table, held while its header could still be below them: up to
    MAX_TITLE_ROWS short rows of one or two values (titles, a date or author line, a
    key/value line), blank rows between, and the row after them. So no more than one long
    row is held at a time."""
    head: list[Row] = []
    held = 0
    for values in rows:
        if values is BREAK:
            if head:
                head.append(values)
            continue
        head.append(values)
        held += 1
        if held > MAX_TITLE_ROWS or not could_be_title_line(values):
            break
    return head


def opened(head: list[Row]) -> Opening:
    """Which of a table's first rows is its header: the last that could be one (words) and
    is wider than every row above it that is not a title of one value. A row narrower than
    the rows under it is not their header, but a title line or a key/value line above the
    table ("Prepared by | Finance team"). Rows of two values, the second a figure in some
    rows and words in others, are label/value pairs, and no header ("Project | Apollo",
    "Budget | 50,000")."""
    rows = [(place, values) for place, values in enumerate(head) if values is not BREAK]
    chosen: tuple[int, list[str]] | None = None
    for number, (place, values) in enumerate(rows):
        if could_be_header(values) and all(
                could_be_title(above) or span(above) < span(values)
                for _, above in rows[:number]):
            chosen = (place, values)
    if chosen is None:
        return Opening([], [], None, False)
    place, header = chosen
    titles = [values for at, values in rows if at < place]
    under = list(itertools.takewhile(lambda values: values is not BREAK, head[place + 1:]))
    return Opening(titles, header, place, label_value_pairs([header, *under]))


def label_value_pairs(rows: Sequence[list[str]]) -> bool:
    """Whether rows are a key/value list ("Owner | Dana", "Budget | 50,000 EUR"): two
    values each, the first no figure, the second words in some rows and a figure in others,
    as no table's column under its header is; or each label ending in a colon."""
    if len(rows) < 2 or any(span(values) != 2 or filled(values) != 2 for values in rows):
        return False
    labels = [values[0] for values in rows]
    if any(is_figure(label) for label in labels):
        return False
    if all(label.endswith(":") for label in labels):
        return True
    kinds = {is_figure(values[1]) for values in rows[1:]}
    return kinds == {True, False}


def pair_line(values: Sequence[str]) -> str:
    """A title or label/value row as a line: "Prepared by: Finance team"; a single value as
    it is; a wider row its cells joined by " | "."""
    named = [value for value in values if value]
    if len(named) != 2:
        return cells_line(named)
    label, value = named
    return f"{label} {value}" if label.endswith(":") else f"{label}{NAME_END}{value}"


def span(values: Sequence[str]) -> int:
    """Columns up to the row's last value: a row's width, its empty cells between counted."""
    return max((place + 1 for place, value in enumerate(values) if value), default=0)


def shown_rows(rows: Iterable[Sequence[Cell]], show: Callable[[Cell], str],
               bounds: TableBounds) -> Iterator[Row]:
    """Each row holding a value, as the values shown, counted as it is read; BREAK between
    two of them where blank rows part them."""
    blank = False
    read = False
    for cells in rows:
        # the values outgrowing the room left stop the row before its line is built: a line
        # holds every value, so a row of copies of one long shared string is refused early
        values = within_room((show(cell) for cell in cells), bounds)
        if not any(values):  # formatted but empty: a sheet's styling can run far past its data
            blank = True
            continue
        bounds.add_row()
        if blank and read:
            yield BREAK
        blank, read = False, True
        yield values


def could_be_title(values: Sequence[str]) -> bool:
    return filled(values) == 1 and sum(map(len, values)) <= MAX_TITLE_CHARS


def could_be_title_line(values: Sequence[str]) -> bool:
    """A title or a key/value line above a table: one or two values, short."""
    return filled(values) <= 2 and sum(map(len, values)) <= MAX_TITLE_CHARS


def is_figure(value: str) -> bool:
    return bool(FIGURE.fullmatch(value)) or is_measure(value)


def could_be_header(values: Sequence[str]) -> bool:
    """Several values naming columns (`names_columns`)."""
    return filled(values) > 1 and names_columns(values)


def names_columns(values: Sequence[str]) -> bool:
    """Whether a row reads as a header: words, no figures ("Q1" names a column; "30" and
    "230 V" are data),
    as a Word table's header does; or a word, then words and years or dates each once ("Region
    | 2023 | 2024", "Store | 2024-01-01 | 2024-02-01", months typed as dates, whose format may
    show them as words: "Jan-24"). A row opening with a figure ("2021 | 100 | x"), a figure not
    a year or a date, or a year twice is data: a header names each column once, and a row's
    first cell names the row."""
    named = [value for value in values if value]
    years = [value for value in named if YEAR.fullmatch(value) or ISO_DATE.fullmatch(value)]
    if any(FIGURE.fullmatch(value) or is_measure(value)  # "230 V" is no column's name
           for value in named if value not in years):
        return False
    return not years or (named[0] not in years and len(set(years)) == len(years))


def filled(values: Sequence[str]) -> int:
    return sum(1 for value in values if value)


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


def shown_cell(cell: Any) -> str:
    """A workbook cell's value; a number, a date, a time or a duration as its format shows it,
    when the format is one `shown_number` or `shown_date` reads."""
    value = cell.value
    number_format = getattr(cell, "number_format", None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = shown_number(value, number_format)
        if shown is not None:
            return shown
    if isinstance(value, MOMENTS):
        try:
            shown = shown_date(value, number_format)
        except Exception:  # one cell's format must not lose the workbook: ISO order stands
            shown = None
        if shown is not None:
            return " ".join(shown.split())
    return cell_text(value)


def cell_text(value: object) -> str:
    """A value as a spreadsheet writes it: a truth value `TRUE`, a date in ISO order
    (`2024-05-01 14:30`), a duration in hours, minutes and seconds (`26:30:00`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return integral_text(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, datetime.timedelta):
        return duration_text(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return " ".join(str(value).split())


def duration_text(value: datetime.timedelta) -> str:
    """`26:30:00`: hours past a day counted on, as Excel's `[h]:mm:ss` shows them."""
    seconds = round(value.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def integral_text(value: float) -> str:
    """An integral float's digits. Past EXACT_INTEGERS, those of the shortest text that reads
    back as the float (what the file stores, `1.234567890123457e+19`), written out in full as
    a number format's `0` shows it: `int(value)` would add digits the file never held."""
    if abs(value) <= EXACT_INTEGERS:
        return str(int(value))
    return f"{Decimal(repr(value)):f}"
