"""Word and PowerPoint tables whose header is several rows (a row of groups merged across
columns over a row of names, or Word rows marked to repeat as the header) name each column by
all of them, as an HTML table's header rows do; and a Word row starting under a later column
(`w:gridBefore`) keeps its cells under their own columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_merged_cells import lines, saved, slide_table, word_table

# "Room" merged down the two header rows, "Weekday" and "Weekend" each across two columns
RATES = [["Room", "Weekday", "", "Weekend", ""],
         ["", "Price", "Tax", "Price", "Tax"],
         ["Double", "110 GBP", "10 GBP", "130 GBP", "12 GBP"],
         ["Twin", "100 GBP", "9 GBP", "140 GBP", "14 GBP"]]
RATE_GROUPS = [((0, 1), (0, 2)), ((0, 3), (0, 4))]
ROOM_DOWN = [((0, 0), (1, 0))]
RATE_LINES = [
    "Room | Weekday Price | Weekday Tax | Weekend Price | Weekend Tax",
    "Room: Double; Weekday Price: 110 GBP; Weekday Tax: 10 GBP; Weekend Price: 130 GBP; "
    "Weekend Tax: 12 GBP",
    "Room: Twin; Weekday Price: 100 GBP; Weekday Tax: 9 GBP; Weekend Price: 140 GBP; "
    "Weekend Tax: 14 GBP"]


@pytest.mark.parametrize("suffix, build", [(".docx", word_table), (".pptx", slide_table)])
def test_a_row_of_groups_over_a_row_of_names_names_each_column_by_both(
        suffix: str, build) -> None:
    assert lines("rates" + suffix, build(RATES, ROOM_DOWN + RATE_GROUPS)) == RATE_LINES


def test_groups_over_names_are_a_header_without_a_cell_merged_down_when_figures_follow(
        ) -> None:
    assert lines("rates.docx", word_table(RATES, RATE_GROUPS)) == RATE_LINES


def test_a_title_across_the_table_stays_a_line_above_a_header_of_two_rows() -> None:
    rows = [["Rates 2026", "", "", "", ""], *RATES]
    merges = [((0, 0), (0, 4)), ((1, 0), (2, 0)), ((1, 1), (1, 2)), ((1, 3), (1, 4))]
    assert lines("rates.docx", word_table(rows, merges)) == ["Rates 2026", *RATE_LINES]


def test_a_merged_cell_over_rows_of_words_names_no_second_header_row() -> None:
    """Two cells of words under "Contact" merged across them are a person's details, not
    names of columns: nothing says the row under the header is a header too."""
    rows = [["Name", "Contact", ""],
            ["Ann Lee", "ann@example.com", "Reception"],
            ["Ben Okafor", "ben@example.com", "Workshop"]]
    assert lines("staff.docx", word_table(rows, [((0, 1), (0, 2))])) == [
        "Name | Contact",
        "Name: Ann Lee; Contact: ann@example.com; Reception",
        "Name: Ben Okafor; Contact: ben@example.com; Workshop"]


def test_amounts_under_a_merged_header_cell_are_values_not_a_second_header_row() -> None:
    rows = [["Room", "Price per night", ""],
            ["Double", "110 GBP", "130 GBP"],
            ["Twin", "100 GBP", "140 GBP"]]
    assert lines("rooms.docx", word_table(rows, [((0, 1), (0, 2))]))[:2] == [
        "Room | Price per night", "Room: Double; Price per night: 110 GBP; 130 GBP"]


def marked_as_header(data: bytes, count: int) -> bytes:
    """The document's table with its first `count` rows marked "Repeat as header row"."""
    import io

    import docx
    from docx.oxml import OxmlElement

    document = docx.Document(io.BytesIO(data))
    for row in document.tables[0].rows[:count]:
        row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    return saved(document)


def test_rows_marked_to_repeat_as_the_header_name_each_column_together() -> None:
    rows = [["Model", "Capacity", "Power"],
            ["", "litres", "watts"],
            ["K200", "1.7", "2200"]]
    assert lines("kettles.docx", marked_as_header(word_table(rows, []), 2)) == [
        "Model | Capacity litres | Power watts",
        "Model: K200; Capacity litres: 1.7; Power watts: 2200"]


def test_a_row_starting_under_a_later_column_keeps_its_cells_under_their_columns() -> None:
    import io

    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rows = [["Room", "Weekday", "Weekend"], ["Double", "110 GBP", "130 GBP"],
            ["Twin", "100 GBP", "140 GBP"]]
    document = docx.Document(io.BytesIO(word_table(rows, [])))
    tr = document.tables[0].rows[2]._tr
    tr.remove(tr.tc_lst[0])  # the row starts under "Weekday", as Word draws gridBefore
    skipped = OxmlElement("w:gridBefore")
    skipped.set(qn("w:val"), "1")
    tr.get_or_add_trPr().append(skipped)
    assert lines("rooms.docx", saved(document))[-1] == "Weekday: 100 GBP; Weekend: 140 GBP"


def test_a_row_under_a_header_of_two_rows_answers_by_both_names(
        service, tmp_path: Path) -> None:
    (tmp_path / "rates.docx").write_bytes(word_table(RATES, ROOM_DOWN + RATE_GROUPS))
    assert service.ingest([tmp_path / "rates.docx"]).ok
    answer = service.ask("What is the weekend tax for a twin room?")
    assert "Weekend Tax: 14 GBP" in answer.text
