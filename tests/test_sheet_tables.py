"""How a sheet's or a CSV file's rows become passages: which row is a header, how a large
number is written, and which number a sheet is cited by. Each file is made here and read by
the loader `rag ingest` uses, then chunked as ingest chunks it."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference

from ingest.chunking import Chunker
from ingest.formats import sheets
from ingest.formats.sheets import names_columns
from ingest.loaders import load_bytes
from rag.text.tokens import TokenCounter
from rag.types import Chunk


def passages(path: Path) -> list[Chunk]:
    """The file's passages as ingest makes them."""
    document = load_bytes(path, path.read_bytes())
    return Chunker(TokenCounter.bundled(), 200, 30, 254)(document)


def passage_with(word: str, path: Path) -> Chunk:
    return next(passage for passage in passages(path) if word in passage.text)


def workbook(path: Path, rows: list[list[object]], title: str = "Log") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def text_lines(path: Path) -> list[str]:
    return [line for passage in passages(path) for line in passage.text.split("\n") if line]


# a first row of figures is data, not a header


def test_a_csv_whose_first_row_holds_figures_is_read_as_plain_rows(tmp_path: Path) -> None:
    csv = tmp_path / "log.csv"
    csv.write_text("2021,100,csvnumA\n2022,200,csvnumB\n2023,300,csvnumC\n")
    assert text_lines(csv) == ["2021 | 100 | csvnumA", "2022 | 200 | csvnumB",
                               "2023 | 300 | csvnumC"]
    assert passage_with("csvnumB", csv).page is None


def test_a_sheet_whose_first_row_holds_figures_is_read_as_plain_rows(tmp_path: Path) -> None:
    book = workbook(tmp_path / "log.xlsx",
                    [[2021, 100, "xlsnumA"], [2022, 200, "xlsnumB"], [2023, 300, "xlsnumC"]])
    found = passage_with("xlsnumB", book)
    assert "2022 | 200 | xlsnumB" in found.text
    assert "2021: 2022" not in found.text
    assert (found.page, found.locator) == (1, "sheet Log")


def test_a_header_of_words_still_names_each_rows_values(tmp_path: Path) -> None:
    csv = tmp_path / "models.csv"
    csv.write_text("Model,Capacity,Q1\nK200,1.7 litres,30\n")
    assert text_lines(csv) == ["Model | Capacity | Q1", "Model: K200; Capacity: 1.7 litres; Q1: 30"]


# a header whose columns are years


def test_a_title_above_a_header_of_years_is_a_line_of_its_own(tmp_path: Path) -> None:
    book = workbook(tmp_path / "years.xlsx",
                    [["Regional sales report"], ["Region", 2023, 2024],
                     ["Northyearmarker", 1200, 1350], ["Southyearmarker", 800, 950]],
                    title="Sales")
    assert text_lines(book) == [
        "Regional sales report", "Region | 2023 | 2024",
        "Region: Northyearmarker; 2023: 1200; 2024: 1350",
        "Region: Southyearmarker; 2023: 800; 2024: 950"]
    found = passage_with("Northyearmarker", book)
    assert (found.page, found.locator) == (1, "sheet Sales")


def test_a_csv_header_of_a_word_then_years_names_each_rows_values(tmp_path: Path) -> None:
    csv = tmp_path / "years.csv"
    csv.write_text("Region,2023,2024,Change\nNorthcsvyear,1200,1350,12%\n")
    assert text_lines(csv)[-1] == "Region: Northcsvyear; 2023: 1200; 2024: 1350; Change: 12%"


@pytest.mark.parametrize("row", [
    ["2021", "100", "x"],  # opens with a figure
    ["2021", "2022", "2023"],  # years alone: a row of dates as much as a header
    ["North", "2021", "100"],  # a figure that is no year
    ["North", "2021", "2021"],  # a header names each column once
    ["North", "1850", "1851"],  # no year a report's columns are named by
])
def test_a_row_of_figures_is_data_even_with_years_in_it(row: list[str]) -> None:
    assert not names_columns(row)


@pytest.mark.parametrize("row", [
    ["Region", "2023", "2024"],
    ["Region", "", "2023", "2024", "Change"],
    ["Model", "Capacity", "Q1"],
])
def test_a_row_of_words_or_a_word_then_years_is_a_header(row: list[str]) -> None:
    assert names_columns(row)


# a large number under General format


def test_a_float_past_exact_integers_is_written_with_the_files_digits_only(
        tmp_path: Path) -> None:
    book = workbook(tmp_path / "nums.xlsx",
                    [["Item", "Big", "Id"], ["ratiomarker", 1.234567890123457e+19,
                                             1.23456789012345e+18]], title="Nums")
    assert text_lines(book)[-1] == ("Item: ratiomarker; Big: 12345678901234570000; "
                                    "Id: 1234567890123450000")


def test_an_integral_float_below_exact_integers_keeps_its_digits(tmp_path: Path) -> None:
    book = workbook(tmp_path / "nums.xlsx",
                    [["Item", "Count", "Max"], ["countmarker", 1500.0, float(2**53)]])
    assert text_lines(book)[-1] == f"Item: countmarker; Count: 1500; Max: {2**53}"


# a chart sheet keeps its tab's number


def test_sheets_after_a_chart_sheet_keep_their_tab_positions(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    data = book.active
    data.title = "Data Sheet"
    for row in [["Fruit", "Count"], ["applemarker", 3], ["bananamarker", 5]]:
        data.append(row)
    chart = BarChart()
    chart.add_data(Reference(data, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    book.create_chartsheet("Chart1").add_chart(chart)
    after = book.create_sheet("After Chart")
    after.append(["Key", "Value"])
    after.append(["afterchartmarker", 1])
    path = tmp_path / "chart.xlsx"
    book.save(path)
    found = passage_with("afterchartmarker", path)
    assert (found.page, found.locator) == (3, "sheet After Chart")
    first = passage_with("applemarker", path)
    assert (first.page, first.locator) == (1, "sheet Data Sheet")


# a table that is not the sheet's first block


def test_key_value_lines_above_a_wider_table_are_not_its_header(tmp_path: Path) -> None:
    book = workbook(tmp_path / "report.xlsx",
                    [["Quarterly sales report"], ["Prepared by", "Finance team"],
                     ["Date", "2024-10-01"], [], ["Region", "Q1", "Q2", "Q3"],
                     ["Prepnorth", 1200, 1350, 1400]], title="Sales")
    assert text_lines(book) == [
        "Quarterly sales report", "Prepared by: Finance team", "Date: 2024-10-01",
        "Region | Q1 | Q2 | Q3", "Region: Prepnorth; Q1: 1200; Q2: 1350; Q3: 1400"]


def test_a_key_value_line_right_above_a_csv_table_is_not_its_header(tmp_path: Path) -> None:
    csv = tmp_path / "report.csv"
    csv.write_text("Prepared by,Finance team\nRegion,Q1,Q2,Q3\nCsvnorth,1200,1350,1400\n")
    assert text_lines(csv) == ["Prepared by: Finance team", "Region | Q1 | Q2 | Q3",
                               "Region: Csvnorth; Q1: 1200; Q2: 1350; Q3: 1400"]


def test_a_table_after_a_blank_row_is_named_by_its_own_header(tmp_path: Path) -> None:
    book = workbook(tmp_path / "report.xlsx",
                    [["Region", "Q1", "Q2"], ["Northreg", 1200, 1350], [], [],
                     ["Name", "Role", "Office"], ["Ingridname", "Engineer", "Oslo"]])
    assert text_lines(book) == [
        "Region | Q1 | Q2", "Region: Northreg; Q1: 1200; Q2: 1350",
        "Name | Role | Office", "Name: Ingridname; Role: Engineer; Office: Oslo"]


def test_two_tables_of_the_same_column_kinds_each_keep_their_header(tmp_path: Path) -> None:
    """A word, then figures, in both: the second's header names its own rows, however well
    they would fit the first's columns."""
    book = workbook(tmp_path / "report.xlsx",
                    [["Region", "Q1", "Q2"], ["Northreg", 1200, 1350], [],
                     ["Product", "Units", "Price"], ["Appleprod", 5, 1.2]])
    assert text_lines(book)[-2:] == ["Product | Units | Price",
                                     "Product: Appleprod; Units: 5; Price: 1.2"]


def test_a_table_of_words_goes_on_past_a_blank_row(tmp_path: Path) -> None:
    csv = tmp_path / "staff.csv"
    csv.write_text("Name,Role\nAda,Engineer\n\nBen,Pilot\n")
    assert text_lines(csv) == ["Name | Role", "Name: Ada; Role: Engineer",
                               "Name: Ben; Role: Pilot"]


def test_a_two_column_list_of_labels_and_values_reads_as_label_value_lines(
        tmp_path: Path) -> None:
    csv = tmp_path / "project.csv"
    csv.write_text('Project,Apollo Refit\nOwner,Dana Whitfield\nBudget,"50,000 EUR"\n'
                   "Deadline,2025-03-31\nStatus,On track\n")
    assert text_lines(csv) == ["Project: Apollo Refit", "Owner: Dana Whitfield",
                               "Budget: 50,000 EUR", "Deadline: 2025-03-31", "Status: On track"]


def test_a_row_after_a_blank_row_naming_a_year_stays_a_row_of_its_table(tmp_path: Path) -> None:
    csv = tmp_path / "stock.csv"
    csv.write_text("Item,Qty\nbolt,5\n\nwasher,1999\n")
    assert text_lines(csv) == ["Item | Qty", "Item: bolt; Qty: 5", "Item: washer; Qty: 1999"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_note_under_a_table_after_a_blank_row_is_a_line_of_its_own(
        tmp_path: Path, suffix: str) -> None:
    source = "Source: National Records of Scotland, mid-2022 estimates"
    if suffix == ".csv":
        path = tmp_path / "towns.csv"
        path.write_text(f'Town,Population\nOban,8500\nFort William,10500\n\n"{source}"\n')
    else:
        path = workbook(tmp_path / "towns.xlsx", [["Town", "Population"], ["Oban", 8500],
                                                 ["Fort William", 10500], [], [source]])
    assert text_lines(path) == [
        "Town | Population", "Town: Oban; Population: 8500",
        "Town: Fort William; Population: 10500", source]


def test_notes_after_a_blank_row_lead_the_rows_that_go_on_under_the_header(
        tmp_path: Path) -> None:
    """Rows of one value in the first column open the rows after a blank row as notes; a
    wider row, and a value in another column, are the table's."""
    book = workbook(tmp_path / "stock.xlsx",
                    [["Item", "Qty"], ["bolt", 5], [], ["Notes"], ["Reorder monthly"],
                     ["washer", 7], ["spring"], [], [None, 8]])
    assert text_lines(book) == ["Item | Qty", "Item: bolt; Qty: 5", "Notes", "Reorder monthly",
                                "Item: washer; Qty: 7", "Item: spring", "Qty: 8"]


# a CSV file's delimiter


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_a_csv_with_lines_above_its_header_is_split_on_its_delimiter(
        tmp_path: Path, delimiter: str) -> None:
    """A bank's or a report's export: account lines, a blank line, then the table, its
    amounts with decimal commas; the sniffer finds no delimiter alike on nearly every line."""
    rows = [["Kontonummer", "12345678"], ["Zeitraum", "01.05.2024 - 31.05.2024"], [],
            ["Datum", "Empfänger", "Verwendungszweck", "Betrag"],
            ["02.05.2024", "Stadtwerke Oban", "Strom Mai, Abschlag", "-45,20"],
            ["03.05.2024", "Hafenamt", "Liegeplatz, Juni", "-120,00"]]
    path = tmp_path / "konto.csv"
    path.write_text("".join(delimiter.join(row) + "\n" for row in rows))
    assert text_lines(path) == [
        "Kontonummer: 12345678", "Zeitraum: 01.05.2024 - 31.05.2024",
        "Datum | Empfänger | Verwendungszweck | Betrag",
        "Datum: 02.05.2024; Empfänger: Stadtwerke Oban; Verwendungszweck: Strom Mai, Abschlag; "
        "Betrag: -45,20",
        "Datum: 03.05.2024; Empfänger: Hafenamt; Verwendungszweck: Liegeplatz, Juni; "
        "Betrag: -120,00"]


def test_a_delimiter_in_quotes_splits_no_field_when_the_delimiter_is_counted() -> None:
    sample = 'Datum;Text;Betrag\n1.5.;"Miete; Mai";"-1,00"\n2.5.;"Strom; Juni";"-2,00"\n'
    assert sheets.steadiest_delimiter(sample, ",") == ";"


def test_lines_of_one_column_have_no_delimiter_though_one_line_holds_one() -> None:
    assert sheets.steadiest_delimiter("one column\nof words\n", ",") is None
    assert sheets.steadiest_delimiter("Notes\nBuy milk; eggs\nCall Ana\n", ",") is None


def test_a_title_line_above_a_semicolon_csv_is_a_line_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("Report generated 2024-05-01\nName;City;Amount\nAna;Oban;12,50\n"
                    "Ben;Perth;7,25\n")
    assert text_lines(path) == ["Report generated 2024-05-01", "Name | City | Amount",
                                "Name: Ana; City: Oban; Amount: 12,50",
                                "Name: Ben; City: Perth; Amount: 7,25"]


# cells as the sheet shows them


def test_dates_durations_and_truth_values_read_as_the_sheet_shows_them(tmp_path: Path) -> None:
    took = datetime.timedelta(hours=26, minutes=30)
    book = workbook(tmp_path / "log.xlsx", [
        ["Task", "Started", "Took", "Billable"],
        ["Migration", datetime.datetime(2024, 5, 1, 14, 30), took, True],
        ["Backup", datetime.datetime(2024, 5, 2, 9, 15), took, False]])
    edited = openpyxl.load_workbook(book)
    edited.active["B2"].number_format = "dd/mm/yyyy hh:mm"
    edited.active["C2"].number_format = "[h]:mm"
    edited.active["B3"].number_format = "mm-dd-yy"  # the reader's own short date: ISO order
    edited.save(book)
    assert text_lines(book)[1:] == [
        "Task: Migration; Started: 01/05/2024 14:30; Took: 26:30; Billable: TRUE",
        "Task: Backup; Started: 2024-05-02 09:15; Took: 26:30:00; Billable: FALSE"]


def test_the_largest_datetime_reads_as_its_format_shows_it(tmp_path: Path) -> None:
    book = workbook(tmp_path / "contracts.xlsx", [
        ["Contract", "Ends"], ["Lease", datetime.datetime(9999, 12, 31, 23, 59, 59, 997_000)]])
    edited = openpyxl.load_workbook(book)
    edited.active["B2"].number_format = "yyyy-mm-dd"
    edited.save(book)
    assert text_lines(book)[1:] == ["Contract: Lease; Ends: 9999-12-31"]


def test_a_date_whose_format_fails_is_written_in_iso_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(value: object, number_format: str | None) -> str | None:
        raise ArithmeticError("a format's code no reader foresaw")

    book = workbook(tmp_path / "log.xlsx", [["Task", "Started"],
                                            ["Backup", datetime.datetime(2024, 5, 2, 9, 15)]])
    edited = openpyxl.load_workbook(book)
    edited.active["B2"].number_format = "dd/mm/yyyy hh:mm"
    edited.save(book)
    monkeypatch.setattr(sheets, "shown_date", failing)
    assert text_lines(book)[1:] == ["Task: Backup; Started: 2024-05-02 09:15"]


@pytest.mark.parametrize(("number_format", "header"), [
    ("mmm-yy", "Store | Jan-24 | Feb-24"), ("yyyy-mm-dd", "Store | 2024-01-01 | 2024-02-01")])
def test_a_header_of_months_typed_as_dates_names_each_rows_values(
        tmp_path: Path, number_format: str, header: str) -> None:
    book = workbook(tmp_path / "monthly.xlsx", [
        ["Store", datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)], ["Kirkstore", 111, 222]])
    edited = openpyxl.load_workbook(book)
    for cell in edited.active[1][1:]:
        cell.number_format = number_format
    edited.save(book)
    months = header.split(" | ")[1:]
    assert text_lines(book) == [header,
                                f"Store: Kirkstore; {months[0]}: 111; {months[1]}: 222"]


# what the author hid


def test_hidden_rows_and_columns_are_left_out(tmp_path: Path) -> None:
    book = workbook(tmp_path / "prices.xlsx", [
        ["Product", "Price", "Internal cost"], ["Hidwidget", 20, 7],
        ["Supplier discount code SAVE-INSIDE-40 for staff only"], ["Hidgadget", 35, 12]])
    edited = openpyxl.load_workbook(book)
    edited.active.row_dimensions[3].hidden = True
    edited.active.column_dimensions["C"].hidden = True
    edited.save(book)
    assert text_lines(book) == ["Product | Price", "Product: Hidwidget; Price: 20",
                                "Product: Hidgadget; Price: 35"]


def test_hidden_rows_are_found_in_rows_that_state_no_number() -> None:
    xml = (b'<worksheet xmlns="x"><cols><col min="2" max="3" hidden="true"/><col min="4" '
           b'max="4"/></cols><sheetData><row r="2"><c r="A2"/></row><row hidden="1"/>'
           b'<row spans="1:2"/><row r="7" hidden="1"><c r="A7"/></row></sheetData>'
           b'<rowBreaks count="1"><brk id="3" hidden="1"/></rowBreaks></worksheet>')
    assert list(sheets.hidden_rows_and_columns(io.BytesIO(xml))) == [
        (b"col", 2, 3), (b"row", 3, 3), (b"row", 7, 7)]


ORDERS = [["Order", "Region", "Amount"], ["A-1", "North", 120], ["A-2", "South", 340],
          ["A-3", "North", 90], ["A-4", "West", 410], [], ["Staff note: margin 12%"]]
ORDER_LINES = ["Order | Region | Amount", "Order: A-1; Region: North; Amount: 120",
               "Order: A-2; Region: South; Amount: 340", "Order: A-3; Region: North; Amount: 90",
               "Order: A-4; Region: West; Amount: 410"]


def filtered_as_excel_saves_it(book: Path, rows: tuple[int, ...]) -> Path:
    """The rows a filter leaves out marked hidden, as Excel saves them; row 7 hidden by
    Format > Hide, outside the filter's range."""
    edited = openpyxl.load_workbook(book)
    for row in (*rows, 7):
        edited.active.row_dimensions[row].hidden = True
    edited.save(book)
    return book


def test_rows_an_autofilter_hides_are_read(tmp_path: Path) -> None:
    book = workbook(tmp_path / "orders.xlsx", ORDERS)
    edited = openpyxl.load_workbook(book)
    edited.active.auto_filter.ref = "A1:C5"
    edited.active.auto_filter.add_filter_column(1, ["North"])  # the view: Region = North
    edited.save(book)
    assert text_lines(filtered_as_excel_saves_it(book, (3, 5))) == ORDER_LINES


def test_rows_a_tables_filter_hides_are_read(tmp_path: Path) -> None:
    from openpyxl.worksheet.filters import AutoFilter
    from openpyxl.worksheet.table import Table

    book = workbook(tmp_path / "orders.xlsx", ORDERS)
    edited = openpyxl.load_workbook(book)
    table = Table(displayName="Orders", ref="A1:C5", autoFilter=AutoFilter(ref="A1:C5"))
    table.autoFilter.add_filter_column(1, ["North"])
    edited.active.add_table(table)
    edited.save(book)
    assert text_lines(filtered_as_excel_saves_it(book, (3, 5))) == ORDER_LINES


def test_hidden_rows_under_a_filter_that_filters_nothing_stay_hidden(tmp_path: Path) -> None:
    book = workbook(tmp_path / "orders.xlsx", ORDERS)
    edited = openpyxl.load_workbook(book)
    edited.active.auto_filter.ref = "A1:C5"  # its buttons shown, no column filtered
    edited.save(book)
    assert text_lines(filtered_as_excel_saves_it(book, (3,))) == [
        line for line in ORDER_LINES if "A-2" not in line]


@pytest.mark.parametrize(("tail", "rows"), [
    (b'<x:autoFilter ref="A1:C9"><x:filterColumn colId="1"/></x:autoFilter>', range(1, 10)),
    (b'<autoFilter ref="B:C"><filterColumn colId="0"/></autoFilter>', range(1, 1_048_577)),
    (b'<autoFilter ref="A1:C9"/><mergeCells count="0"/>', None),
    (b'<autoFilter ref="A1:C9"><sortState ref="A2:C9"/></autoFilter>', None),
    (b'<customSheetViews><customSheetView><autoFilter ref="A1:C9"><filterColumn colId="1"/>'
     b'</autoFilter></customSheetView></customSheetViews>', None),
])
def test_a_filters_rows_are_found_whatever_the_pieces_read(
        tail: bytes, rows: range | None, monkeypatch: pytest.MonkeyPatch) -> None:
    xml = (b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>autoFilter</t>'
           b'</is></c></row></sheetData>' + tail + b'</worksheet>')
    for size in range(1, len(xml) + 1):
        monkeypatch.setattr(sheets, "SCAN_BYTES", size)
        assert sheets.filter_rows(io.BytesIO(xml)) == rows, size
