"""Word and PowerPoint table cells merged down several rows: a short value (a category, a
site) named in every row it spans, so a row found or quoted alone still says which group it
belongs to; a long one (a note merged down the rows) once, in its first row."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ingest.loaders import load_bytes

Cell = tuple[int, int]

EXPENSES = [["Category", "Item", "Limit"],
            ["Travel", "Hotel", "150 EUR"],
            ["", "Meals", "40 EUR"],
            ["", "Taxi", "30 EUR"],
            ["Training", "Meals", "25 EUR"]]
TRAVEL_DOWN = [((1, 0), (3, 0))]
EXPENSE_LINES = ["Category | Item | Limit",
                 "Category: Travel; Item: Hotel; Limit: 150 EUR",
                 "Category: Travel; Item: Meals; Limit: 40 EUR",
                 "Category: Travel; Item: Taxi; Limit: 30 EUR",
                 "Category: Training; Item: Meals; Limit: 25 EUR"]

LONG_NOTE = ("Staff on the early shift open the gates, check the cranes and the fire doors, "
             "and hand the keys to the late shift at the harbour office before leaving.")
SHIFTS = [["Site", "Shift", "Staff", "Notes"],
          ["Harbour", "Early", "4", LONG_NOTE],
          ["", "Late", "3", ""],
          ["", "", "", ""],  # the merged cells' last row: nothing of its own
          ["Depot", "Closed", "", "Gate locked"],
          ["", "", "", "Reopens Monday"]]
SHIFT_MERGES = [((1, 0), (3, 0)), ((1, 3), (3, 3)),  # a site and a long note down three rows
                ((4, 0), (5, 0)), ((4, 1), (5, 2))]  # "Closed" across two columns, two rows
SHIFT_LINES = ["Site | Shift | Staff | Notes",
               f"Site: Harbour; Shift: Early; Staff: 4; Notes: {LONG_NOTE}",
               "Site: Harbour; Shift: Late; Staff: 3",
               "Site: Depot; Shift: Closed; Notes: Gate locked",
               "Site: Depot; Shift: Closed; Notes: Reopens Monday"]


def saved(document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def word_table(rows: list[list[str]], merges: list[tuple[Cell, Cell]]) -> bytes:
    """A Word document of one table, each merge's cells merged as Word's Merge Cells does,
    the merged cell holding the text of its first."""
    import docx

    document = docx.Document()
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    for (r, c), last in merges:
        table.cell(r, c).merge(table.cell(*last)).text = rows[r][c]
    return saved(document)


def slide_table(rows: list[list[str]], merges: list[tuple[Cell, Cell]]) -> bytes:
    """A deck of one slide holding the table, merged as `word_table`'s."""
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    table = deck.slides.add_slide(deck.slide_layouts[6]).shapes.add_table(
        len(rows), len(rows[0]), Inches(1), Inches(1), Inches(8), Inches(4)).table
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    for (r, c), last in merges:
        table.cell(r, c).merge(table.cell(*last))
    return saved(deck)


def lines(name: str, data: bytes) -> list[str]:
    return [line for page in load_bytes(Path(name), data).pages
            for line in page.text.split("\n\n")]


@pytest.mark.parametrize("suffix, build", [(".docx", word_table), (".pptx", slide_table)])
def test_a_cell_merged_down_names_every_row_it_spans(suffix: str, build) -> None:
    assert lines("limits" + suffix, build(EXPENSES, TRAVEL_DOWN)) == EXPENSE_LINES


@pytest.mark.parametrize("suffix, build", [(".docx", word_table), (".pptx", slide_table)])
def test_a_long_merged_text_is_read_once_and_a_cell_merged_both_ways_once_a_row(
        suffix: str, build) -> None:
    assert lines("shifts" + suffix, build(SHIFTS, SHIFT_MERGES)) == SHIFT_LINES


def test_a_header_cell_merged_down_is_no_value_of_the_row_under_it() -> None:
    rows = [["Room", "Price per night", ""], ["", "Weekday", "Weekend"],
            ["Double", "110 GBP", "130 GBP"]]
    merged = word_table(rows, [((0, 0), (1, 0)), ((0, 1), (0, 2))])
    assert "Room: Room" not in "\n".join(lines("rooms.docx", merged))


def test_a_row_under_a_merged_category_answers_for_that_category(
        service, tmp_path: Path) -> None:
    (tmp_path / "limits.docx").write_bytes(word_table(EXPENSES, TRAVEL_DOWN))
    assert service.ingest([tmp_path / "limits.docx"]).ok
    answer = service.ask("What is the meals limit for travel?")
    assert "Category: Travel; Item: Meals; Limit: 40 EUR" in answer.text
