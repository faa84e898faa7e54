"""Dates, times and durations as Excel shows them under a cell's format, and None (the value
is written in ISO order) for formats outside what is read."""

from __future__ import annotations

import datetime

import pytest

from ingest.formats.date_formats import shown_date

MAY_FIRST = datetime.datetime(2024, 5, 1, 14, 30)


@pytest.mark.parametrize(("value", "number_format", "shown"), [
    (datetime.datetime(2024, 1, 1), "mmm-yy", "Jan-24"),
    (MAY_FIRST, "dd/mm/yyyy hh:mm", "01/05/2024 14:30"),
    (MAY_FIRST, "yyyy-mm-dd h:mm:ss", "2024-05-01 14:30:00"),
    (MAY_FIRST, "h:mm AM/PM", "2:30 PM"),
    (MAY_FIRST, "dddd, mmmm d, yyyy", "Wednesday, May 1, 2024"),
    (MAY_FIRST, "[$-409]mmmm d;@", "May 1"),
    (MAY_FIRST, 'd "de" mmmm', "1 de May"),
    (datetime.datetime(2024, 5, 1, 14, 30, 15, 600_000), "hh:mm:ss", "14:30:16"),
    (datetime.time(9, 5), "h:mm", "9:05"),
    (datetime.timedelta(hours=26, minutes=30), "[h]:mm", "26:30"),
    (datetime.timedelta(hours=26, minutes=30), "[h]:mm:ss", "26:30:00"),
    (datetime.timedelta(minutes=90, seconds=5), "[mm]:ss", "90:05"),
    # SQL Server's largest datetime, a common "no end date": no later second to round to
    (datetime.datetime(9999, 12, 31, 23, 59, 59, 997_000), "yyyy-mm-dd hh:mm:ss",
     "9999-12-31 23:59:59"),
])
def test_a_date_reads_as_its_format_shows_it(value, number_format: str, shown: str) -> None:
    assert shown_date(value, number_format) == shown


@pytest.mark.parametrize("number_format", [
    None, "General", "0.00",
    "mm-dd-yy",  # Excel's built-in short date, shown in the reader's own order
    "hh:mm:ss.000",  # fractions of a second
])
def test_formats_outside_what_is_read_give_none(number_format: str | None) -> None:
    assert shown_date(MAY_FIRST, number_format) is None


def test_a_duration_has_no_date_to_show() -> None:
    assert shown_date(datetime.timedelta(hours=3), "yyyy-mm-dd") is None
