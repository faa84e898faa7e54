"""Numbers as Excel shows them under a cell's format, for the formats that change what a number
means to its reader, and None (the stored value stays) for the rest."""

from __future__ import annotations

import pytest

from ingest.formats.number_formats import shown_number

ACCOUNTING = '_($* #,##0.00_);_($* (#,##0.00);_($* "-"??_);_(@_)'


@pytest.mark.parametrize(("value", "number_format", "shown"), [
    (0.15, "0%", "15%"),
    (0.125, "0.0%", "12.5%"),
    (0.07, "0.00%", "7.00%"),
    (1200.5, '"$"#,##0.00', "$1,200.50"),
    (-5, "$#,##0.00", "-$5.00"),
    (99, "#,##0.00 [$€-407]", "99.00 €"),
    (1234.5, "[$£-809]#,##0.00", "£1,234.50"),
    (-5, ACCOUNTING, "$(5.00)"),
    (0, ACCOUNTING, "$-"),
    (1234567, "#,##0", "1,234,567"),
    (1_000_000, "$#,##0,", "$1,000"),
    (12_200_000, "#.0,,", "12.2"),
    (8.9, "#.##", "8.9"),
    (0.5, "#.##", ".5"),
    (2.5, "0", "3"),  # half away from zero, as Excel rounds
    (-2.5, "0", "-3"),
    (1.005, "0.00", "1.01"),  # the decimal written, not the binary float below it
    (12, '0 "kg"', "12 kg"),
    (1.5, "0.0\\h", "1.5h"),
    (5, "[Red]0.00", "5.00"),
    (-5, "0.00;[Red]-0.00", "-5.00"),
])
def test_formats_that_change_what_a_number_says(value: float, number_format: str,
                                                 shown: str) -> None:
    assert shown_number(value, number_format) == shown


@pytest.mark.parametrize("number_format", [
    None, "", "General", "@", "0.00E+00", "# ?/?", "mm-dd-yy", "h:mm", "[<100]0",
    "000-0000", '"unclosed', "0;0;0;0;0",
])
def test_formats_outside_the_subset_keep_the_stored_value(number_format: str | None) -> None:
    assert shown_number(1234.5, number_format) is None
