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
        "Name | Contact | Contact",
        "Name: Ann Lee; Contact: ann@example.com; Contact: Reception",
        "Name: Ben Okafor; Contact: ben@example.com; Contact: Workshop"]


def test_amounts_under_a_merged_header_cell_are_values_not_a_second_header_row() -> None:
    rows = [["Room", "Price per night", ""],
            ["Double", "110 GBP", "130 GBP"],
            ["Twin", "100 GBP", "140 GBP"]]
    assert lines("rooms.docx", word_table(rows, [((0, 1), (0, 2))]))[:2] == [
        "Room | Price per night | Price per night",
        "Room: Double; Price per night: 110 GBP; Price per night: 130 GBP"]


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


# a header of sizes: figures, which name no column by their words alone
DRINKS = [["Drink", "250 ml", "500 ml"], ["Tea", "2.10", "3.20"], ["Coffee", "2.40", "3.60"]]
DRINK_LINES = ["Drink | 250 ml | 500 ml", "Drink: Tea; 250 ml: 2.10; 500 ml: 3.20",
               "Drink: Coffee; 250 ml: 2.40; 500 ml: 3.60"]
UNNAMED_DRINK_LINES = ["Drink | 250 ml | 500 ml", "Tea | 2.10 | 3.20", "Coffee | 2.40 | 3.60"]
REPEATING = "<w:trPr><w:tblHeader/></w:trPr>"


def styled(data: bytes, style: str, look: str | None = None) -> bytes:
    """The document's table in a table style of its own whose properties are `style`'s XML,
    the table's `w:tblLook` attributes `look` (none: Word applies the first row's formatting)."""
    import io

    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    document = docx.Document(io.BytesIO(data))
    document.styles.element.append(parse_xml(
        f'<w:style {nsdecls("w")} w:type="table" w:styleId="Prices"><w:name w:val="Prices"/>'
        f'<w:basedOn w:val="TableNormal"/>{style}</w:style>'))
    properties = document.tables[0]._tbl.tblPr
    for old in properties.findall(qn("w:tblStyle")) + properties.findall(qn("w:tblLook")):
        properties.remove(old)
    properties.insert(0, parse_xml(f'<w:tblStyle {nsdecls("w")} w:val="Prices"/>'))
    if look is not None:
        properties.append(parse_xml(f'<w:tblLook {nsdecls("w")} {look}/>'))
    return saved(document)


@pytest.mark.parametrize("style, look", [
    (f'<w:tblStylePr w:type="firstRow"><w:rPr><w:b/></w:rPr>{REPEATING}</w:tblStylePr>', None),
    (f'<w:tblStylePr w:type="firstRow">{REPEATING}</w:tblStylePr>', 'w:firstRow="1"'),
    (f'<w:tblStylePr w:type="firstRow">{REPEATING}</w:tblStylePr>', 'w:val="04A0"'),
    (REPEATING, 'w:firstRow="0"'),
], ids=["first-row-formatting", "first-row-on", "first-row-in-val", "style-rows"])
def test_a_first_row_the_table_style_repeats_as_the_header_names_the_values(
        style: str, look: str | None) -> None:
    assert lines("drinks.docx", styled(word_table(DRINKS, []), style, look)) == DRINK_LINES


@pytest.mark.parametrize("look", ['w:firstRow="0"', 'w:val="0400"'])
def test_a_style_marking_the_first_row_counts_only_where_the_table_applies_it(
        look: str) -> None:
    first_row = f'<w:tblStylePr w:type="firstRow">{REPEATING}</w:tblStylePr>'
    assert lines("drinks.docx", styled(word_table(DRINKS, []), first_row, look)
                 ) == UNNAMED_DRINK_LINES


def test_a_rows_own_setting_overrides_its_table_styles_header_mark() -> None:
    import io

    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document(io.BytesIO(styled(word_table(DRINKS, []), REPEATING)))
    document.tables[0].rows[0]._tr.get_or_add_trPr().append(
        parse_xml(f'<w:tblHeader {nsdecls("w")} w:val="0"/>'))
    assert lines("drinks.docx", saved(document)) == UNNAMED_DRINK_LINES


def test_a_first_row_marked_as_the_header_on_the_row_names_the_values() -> None:
    assert lines("drinks.docx", marked_as_header(word_table(DRINKS, []), 1)) == DRINK_LINES


def test_a_title_across_the_table_above_a_header_of_sizes_marked_to_repeat() -> None:
    rows = [["Cafe prices", "", ""], *DRINKS]
    document = marked_as_header(word_table(rows, [((0, 0), (0, 2))]), 2)
    assert lines("drinks.docx", document) == ["Cafe prices", *DRINK_LINES]


@pytest.mark.parametrize("suffix, build", [(".docx", word_table), (".pptx", slide_table)])
def test_a_header_cell_merged_across_two_columns_names_the_values_of_both(
        suffix: str, build) -> None:
    rows = [["Name", "Phone", "", "Site"],
            ["Ann Lee", "0113 496 0123", "0777 000 111", "Leeds"],
            ["Ben Okafor", "0113 496 0456", "0777 000 222", "York"]]
    assert lines("staff" + suffix, build(rows, [((0, 1), (0, 2))])) == [
        "Name | Phone | Phone | Site",
        "Name: Ann Lee; Phone: 0113 496 0123; Phone: 0777 000 111; Site: Leeds",
        "Name: Ben Okafor; Phone: 0113 496 0456; Phone: 0777 000 222; Site: York"]


PLANS = [["Item", "Basic", "Pro"],
         ["Salary", "30,000 EUR", "45,000 EUR"],
         ["Benefits", "", ""],
         ["Holidays", "25 days", "30 days"],
         ["Car", "No", "Yes"]]


@pytest.mark.parametrize("suffix, build", [(".docx", word_table), (".pptx", slide_table)])
def test_a_row_of_one_cell_across_the_table_is_a_title_of_the_rows_under_it(
        suffix: str, build) -> None:
    assert lines("plans" + suffix, build(PLANS, [((2, 0), (2, 2))])) == [
        "Item | Basic | Pro",
        "Item: Salary; Basic: 30,000 EUR; Pro: 45,000 EUR",
        "Benefits",
        "Item: Holidays; Basic: 25 days; Pro: 30 days",
        "Item: Car; Basic: No; Pro: Yes"]


def test_a_row_of_one_value_not_merged_across_the_table_stays_a_row() -> None:
    """Nothing but the merge tells a section's title from an item without values."""
    assert lines("plans.docx", word_table(PLANS, []))[2] == "Item: Benefits"


def test_a_table_style_takes_the_header_mark_of_the_style_it_is_based_on() -> None:
    import io

    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document(io.BytesIO(styled(word_table(DRINKS, []), "")))
    style = document.styles.element.xpath("./w:style[@w:styleId='Prices']")[0]
    style.find(f"{{{style.nsmap['w']}}}basedOn").set(f"{{{style.nsmap['w']}}}val", "Base")
    document.styles.element.append(parse_xml(
        f'<w:style {nsdecls("w")} w:type="table" w:styleId="Base"><w:name w:val="Base"/>'
        f'<w:tblStylePr w:type="firstRow">{REPEATING}</w:tblStylePr></w:style>'))
    assert lines("drinks.docx", saved(document)) == DRINK_LINES
