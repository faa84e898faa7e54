"""Dates written in figures ("16/05/2026", "5/16/26", "2026-05-16"), read as the days they
may name, so that a question typing one matches a passage writing the day in words ("16 May
2026", "May 16, 2026") or in other figures, and a question writing it in words matches a
passage typing it.

A date with slashes (or hyphens, with a year of four figures) is read day first
(16/05/2026, the order of the UK and most of Europe) and month first (05/16/2026, the US
order): one whose first number is over 12 can only be
day first, one whose second is over 12 only month first, and one that fits both (05/06/2026)
is read both ways, as either day may be meant. A year of two figures (16/05/26) is read as
Python's `%y` reads it: 69 to 99 are 1969 to 1999, 00 to 68 are 2000 to 2068. A year first
(2026-05-16, 2026/05/16) is always followed by the month. A run of figures and slashes in a
path or an address ("/2026/05/16/", "1/2/3/4") is no date. Figures with dots
("16.05.2026", as German, Russian and much of Europe write a day) are a date when the last
group is a year of four figures from 1800 to 2999 and the first two a day and a month: read
day first only, as every country writing dots does. A version's groups ("2.10.3", "4.3.2025"
with a fourth group after it, "1.16.05.2026") are not.
"""

from __future__ import annotations

import datetime
import re
from functools import lru_cache

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
# a year first, then month and day (ISO's order, with hyphens or slashes); or day and month
# in either order, then a year of four figures or two (slashes only: "10-12-15" is as likely
# a part number as a day); or day, month and a year of four figures with dots
_FIGURES = re.compile(
    r"(?<![\w/.-])(?:(?P<iso_year>\d{4})(?P<sep>[-/])(?P<iso_month>\d{1,2})(?P=sep)"
    r"(?P<iso_day>\d{1,2})|(?P<first>\d{1,2})(?P<between>[/-])(?P<second>\d{1,2})(?P=between)"
    r"(?P<year>\d{4}|(?<=/)\d{2})|(?P<dotted_day>\d{1,2})\.(?P<dotted_month>\d{1,2})\."
    r"(?P<dotted_year>(?:1[89]|2\d)\d{2}))(?![\w/]|[.-]\d)")


@lru_cache(maxsize=4096)
def dates_in(text: str) -> tuple[tuple[str, tuple[datetime.date, ...]], ...]:
    """Each date `text` writes in figures, as written, with the days it may name (one, or
    two for a date that reads either way)."""
    found = []
    for match in _FIGURES.finditer(text):
        days = _days(match)
        if days:
            found.append((match.group(), days))
    return tuple(found)


def _days(match: re.Match[str]) -> tuple[datetime.date, ...]:
    if match["iso_year"]:
        readings = [(int(match["iso_year"]), int(match["iso_month"]), int(match["iso_day"]))]
    elif match["dotted_year"]:
        readings = [(int(match["dotted_year"]), int(match["dotted_month"]),
                     int(match["dotted_day"]))]
    else:
        year = _full_year(match["year"])
        first, second = int(match["first"]), int(match["second"])
        readings = [(year, second, first), (year, first, second)]  # day first, month first
    days = []
    for year, month, day in readings:
        try:
            found = datetime.date(year, month, day)
        except ValueError:
            continue
        if found not in days:
            days.append(found)
    return tuple(days)


def _full_year(written: str) -> int:
    if len(written) == 4:
        return int(written)
    return datetime.datetime.strptime(written, "%y").year


def in_words(day: datetime.date) -> str:
    """"16 May 2026"."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def written_forms(day: datetime.date) -> tuple[str, ...]:
    """The ways a document writes the day: in words, day or month first ("16 May 2026",
    "May 16, 2026"), and in figures, ISO's, day first and month first, with and without
    their zeros."""
    d, m, y, month = day.day, day.month, day.year, MONTHS[day.month - 1]
    return (f"{d} {month} {y}", f"{month} {d}, {y}", f"{y}-{m:02d}-{d:02d}",
            f"{d:02d}/{m:02d}/{y}", f"{m:02d}/{d:02d}/{y}", f"{d}/{m}/{y}", f"{m}/{d}/{y}")


def in_words_throughout(text: str) -> str:
    """`text` with each date in figures written in words ("16 May 2026"; one that reads
    either way, both: "5 June 2026 or 6 May 2026")."""
    for written, days in dates_in(text):
        text = text.replace(written, " or ".join(map(in_words, days)), 1)
    return text


# a day in words, day first or month first, with or without its year ("17 November",
# "14 June 2021", "June 14, 2021"), of any case but "May", which lower case is the verb
_MONTH = "|".join(month if month != "May" else "(?-i:May)" for month in MONTHS)
_IN_WORDS = re.compile(
    rf"\b(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<month>{_MONTH})"
    rf"|(?P<month_first>{_MONTH}) (?P<day_after>\d{{1,2}})(?:st|nd|rd|th)?\b,?)"
    rf"(?: (?P<year>\d{{4}})\b)?", re.IGNORECASE)


def days_named(text: str) -> frozenset[tuple[int, int, int | None]]:
    """The days `text` names, in words or in figures, as (day, month, year), the year None
    where it writes none ("17 November")."""
    found = set()
    for match in _IN_WORDS.finditer(in_words_throughout(text)):
        month = (match["month"] or match["month_first"]).capitalize()
        day = int(match["day"] or match["day_after"])
        found.add((day, MONTHS.index(month) + 1, int(match["year"]) if match["year"] else None))
    return frozenset(found)


def names_day(text: str, day: tuple[int, int, int | None]) -> bool:
    """Whether `text` names `day` (`days_named`): the same day and month, and the same year
    where both write one."""
    return any(found[:2] == day[:2] and None in (found[2], day[2]) or found == day
               for found in days_named(text))
