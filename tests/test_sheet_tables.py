"""How a sheet's or a CSV file's rows become passages: which row is a header, how a large
number is written, and which number a sheet is cited by. Each file is made here and read by
the loader `rag ingest` uses, then chunked as ingest chunks it."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference

from ingest.chunking import Chunker
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
