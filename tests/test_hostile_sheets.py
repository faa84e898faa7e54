"""Workbooks and CSV files made to cost far more to read than their size: each is refused, or
read, within the bounds, and without building the text it would amount to first."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.formats import sheets
from ingest.loaders import Document, load_bytes
from rag.errors import DocumentError

MIB = 1024 * 1024
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
OD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def raw_xlsx(path: Path, sheet_xml: str, shared_strings: str | None = None) -> Path:
    """A one-sheet workbook written part by part, so its XML can say what openpyxl never would."""
    shared_type = (f'<Override PartName="/xl/sharedStrings.xml" '
                   f'ContentType="{CT}.sharedStrings+xml"/>' if shared_strings else "")
    shared_rel = (f'<Relationship Id="rId2" Type="{OD}/sharedStrings" '
                  f'Target="sharedStrings.xml"/>' if shared_strings else "")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats'
            '-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>'
            f'{shared_type}</Types>'))
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{PR}">'
                                  f'<Relationship Id="rId1" Type="{OD}/officeDocument" '
                                  f'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {NS} xmlns:r="{OD}">'
                                      f'<sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
                                      f'</sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0"?><Relationships xmlns="{PR}"><Relationship Id="rId1" '
            f'Type="{OD}/worksheet" Target="worksheets/sheet1.xml"/>{shared_rel}</Relationships>'))
        if shared_strings:
            z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst {NS}>'
                                               f'<si><t>{shared_strings}</t></si></sst>')
        z.writestr("xl/worksheets/sheet1.xml",
                   f'<?xml version="1.0"?><worksheet {NS}>{sheet_xml}</worksheet>')
    return path


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def refused_with_peak(read: Callable[[], object]) -> tuple[DocumentError, int]:
    """Why `read` was refused, and the most memory Python held while it ran."""
    tracemalloc.start()
    try:
        with pytest.raises(DocumentError) as refused:
            read()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return refused.value, peak


def load(path: Path) -> Document:
    return load_bytes(path, path.read_bytes())


def test_a_long_shared_string_repeated_across_a_row_is_refused_before_the_row_is_built(
        tmp_path: Path) -> None:
    # one string of ten million characters, shown by forty cells of one row
    book = raw_xlsx(tmp_path / "amplify.xlsx",
                    "<sheetData><row r=\"1\">" + '<c t="s"><v>0</v></c>' * 40
                    + "</row></sheetData>", shared_strings="amplify_" * 1_250_000)
    refused, peak = refused_with_peak(lambda: load(book))
    assert refused.reason == "too-large"
    assert f"more than {sheets.MAX_DOCUMENT_CHARS:,} characters of text" in str(refused)
    assert peak < 300 * MIB  # the row's values alone would hold hundreds of millions


def test_a_header_repeated_on_every_row_is_refused_as_the_rows_are_read(tmp_path: Path) -> None:
    # each row of ones is named by every header: a line of a million characters per row
    header = ",".join(f"h{i}_" + "x" * 2000 for i in range(500))
    data = (header + "\n" + (",".join("1" * 500) + "\n") * 400).encode()
    path = tmp_path / "headers.csv"
    path.write_bytes(data)
    refused, peak = refused_with_peak(lambda: load(path))
    assert refused.reason == "too-large"
    assert f"more than {sheets.MAX_DOCUMENT_CHARS:,} characters of text" in str(refused)
    assert peak < 300 * MIB  # every row's line at once would hold hundreds of millions


def test_a_sheet_declaring_all_of_excels_range_is_read_from_its_stored_cells(
        tmp_path: Path) -> None:
    book = raw_xlsx(tmp_path / "usedrange.xlsx", (
        '<dimension ref="A1:XFD1048576"/><sheetData>'
        f'<row r="1">{inline("A1", "top left")}</row>'
        f'<row r="1048576">{inline("XFD1048576", "bottom right")}</row></sheetData>'))
    assert [page.text for page in load(book).pages] == ["top left\n\nbottom right"]


@pytest.mark.slow
def test_rows_padded_to_excels_last_column_are_refused_past_the_cells_walked(
        tmp_path: Path) -> None:
    # an empty cell in the last column makes every row as wide as Excel allows
    rows = "".join(f'<row r="{n}"><c r="XFD{n}"/></row>' for n in range(2, 1400))
    book = raw_xlsx(tmp_path / "padded.xlsx",
                    f'<sheetData><row r="1">{inline("A1", "top")}</row>{rows}</sheetData>')
    with pytest.raises(DocumentError) as refused:
        load(book)
    assert refused.value.reason == "too-large"
    assert f"more than {sheets.MAX_CELLS_WALKED:,} cells" in str(refused.value)


# what the scan for formulas without a result could backtrack over, were it not linear
UNCLOSED_FORMULAS = {
    "formula tags never closed": "<f " * (MIB // 3),
    "formula text never closed": "<c><f>" + "a" * 4 * MIB,
    "white space after a formula": "<c><f></f>" + " " * 4 * MIB + "x",
    "white space before its value": "<c><f></f>" + " " * 4 * MIB + "<v>1</v></c>",
    "a value tag never closed": "<c><f></f><v " + "x" * 4 * MIB,
    "tags half written": "<f<f/<f>" * (MIB // 2),
    "a namespace prefix never ended": "<" + "a" * 4 * MIB + ":f>",
    "a zero value never closed": "<c><f></f><v>" + "0" * 4 * MIB,
    "zero values never closed": "<c><f></f><v>0.0e" * (MIB // 2),
    "array formula tags never closed": '<f t="array" ' * (MIB // 12),
    # each zero looked for in every range still open, were they not bounded
    "array ranges over the whole sheet, then zeros": (
        '<c r="A1"><f t="array" ref="A1:XFD1048576">1</f><v>1</v></c>' * 20_000
        + '<c r="B2"><v>0</v></c>' * 100_000),
}


@pytest.mark.parametrize("body", UNCLOSED_FORMULAS.values(), ids=UNCLOSED_FORMULAS.keys())
def test_the_scan_for_formulas_without_a_result_takes_linear_time(body: str) -> None:
    xml = f'<?xml version="1.0"?><worksheet {NS}><sheetData><row r="1">{body}'.encode()
    started = time.perf_counter()
    list(sheets.formulas_left_out(io.BytesIO(xml), recalculated=True))
    assert time.perf_counter() - started < 10  # a fraction of a second; quadratic, hours


@pytest.mark.parametrize("body", ["<calcPr " * (MIB // 2), "<" + "a" * 4 * MIB + ":calcPr",
                                  '<calcPr fullCalcOnLoad="' * (MIB // 4),
                                  "<calcPr" + " a='1'" * MIB])
def test_reading_whether_a_workbook_asks_to_be_recalculated_takes_linear_time(
        body: str) -> None:
    started = time.perf_counter()
    sheets.asks_recalculation(f'<?xml version="1.0"?><workbook {NS}>{body}'.encode())
    assert time.perf_counter() - started < 10


def test_the_scan_for_formulas_without_a_result_holds_a_few_pieces_at_most() -> None:
    # no cell starts for 40 MiB: what was held is let go rather than kept for one
    xml = f'<?xml version="1.0"?><worksheet {NS}><sheetData><row r="1"><c><f>'.encode()
    stream = io.BytesIO(xml + b"a" * 40 * MIB + b"</f></c></row></sheetData></worksheet>")
    tracemalloc.start()
    try:
        assert list(sheets.formulas_left_out(stream, recalculated=True)) == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < sheets.MAX_SCAN_CARRY + 4 * sheets.SCAN_BYTES


def test_csv_sniffing_reads_a_short_sample_and_still_finds_the_delimiter(
        tmp_path: Path) -> None:
    # a quote after every comma: the sniffer's expressions backtrack over all of their sample
    hostile = ',"a' * 22_000 + "\nsniffword,1\n"
    assert len(sheets.sniff_sample(hostile)) <= sheets.SNIFF_CHARS
    path = tmp_path / "sniff.csv"
    path.write_text(hostile)
    assert load(path).pages[0].text.endswith("\n\nsniffword; a,a: 1")

    long_table = "part;count\n" + "".join(f"bolt {n};{n}\n" for n in range(2000))
    assert sheets.sniff_sample(long_table).endswith("\n")  # whole lines only
    path.write_text(long_table)
    assert load(path).pages[0].text.split("\n\n")[:2] == ["part | count",
                                                          "part: bolt 0; count: 0"]
