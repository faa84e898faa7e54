"""A date, a time or a duration as Excel shows it under its cell's number format: `Jan-24`
for 2024-01-01 under `mmm-yy`, `01/05/2024 14:30` under `dd/mm/yyyy hh:mm`, `26:30` for a
duration of 26.5 hours under `[h]:mm`.

openpyxl gives a date cell's value as a datetime (a duration, under an elapsed-time format, as
a timedelta), which Python writes as `2024-05-01T14:30:00` or `1 day, 2:30:00`: neither is
what the sheet's reader saw, nor what they would type to find it. This reads the date and
time codes of a format (years, months, days, weekdays, hours, minutes, seconds, AM/PM,
elapsed `[h]`, `[m]`, `[s]`) in English; anything else (fractions of a second, a locale's
calendar, a format Excel shows in the reader's own date order) gives None, and the caller
writes the value in ISO order.
"""

from __future__ import annotations

import datetime
import functools
import re

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Excel's built-in short date and date-time (numFmtId 14 and 22), which it shows in the order
# of the reader's locale, not as these codes say: ISO order tells no locale's reader wrong
LOCALE_FORMATS = frozenset({"mm-dd-yy", "m/d/yy h:mm"})
_TOKEN = re.compile(r'"[^"]*"|\\.|[_*].|\[[^\]]*\]|am/pm|a/p|y+|m+|d+|h+|s+|.',
                    re.IGNORECASE | re.DOTALL)
_ELAPSED = re.compile(r"\[(h+|m+|s+)\]", re.IGNORECASE)
_IGNORED_BRACKET = re.compile(r"\[(?:\$[^\]]*|[a-z]+|color ?\d+)\]", re.IGNORECASE)
_LITERAL = set(" -/:,.()'")

Moment = datetime.datetime | datetime.date | datetime.time | datetime.timedelta


def shown_date(value: Moment, number_format: str | None) -> str | None:
    """`value` as `number_format` shows it, or None for a format outside what is read."""
    if not number_format or number_format in LOCALE_FORMATS:
        return None
    tokens = _tokens(number_format.split(";")[0])
    if tokens is None:
        return None
    parts = _parts(value)
    if parts is None or not _fits(tokens, value):
        return None
    parts["twelve_hour"] = any(kind == "ampm" for _, kind in tokens)
    return "".join(_written(token, kind, parts) for token, kind in tokens)


@functools.lru_cache(maxsize=256)
def _tokens(section: str) -> tuple[tuple[str, str], ...] | None:
    """Each piece of the format with its kind: a literal ("text"), or a date or time code
    ("y", "month", "d", "h", "minute", "s", "ampm", "elapsed"); None for a code not read."""
    raw = _TOKEN.findall(section)
    kinds: list[tuple[str, str]] = []
    for token in raw:
        lower = token.lower()
        if token.startswith('"'):
            kinds.append((token[1:-1], "text"))
        elif token.startswith("\\"):
            kinds.append((token[1:], "text"))
        elif token[0] in "_*":
            continue  # padding to a character's width, or a fill: no text
        elif token.startswith("["):
            if _ELAPSED.fullmatch(token):
                kinds.append((lower[1:-1], "elapsed"))
            elif not _IGNORED_BRACKET.fullmatch(token):
                return None
        elif lower in ("am/pm", "a/p"):
            kinds.append((token, "ampm"))
        elif lower[0] in "ydhs":
            kinds.append((lower, {"y": "y", "d": "d", "h": "h", "s": "s"}[lower[0]]))
        elif lower[0] == "m":
            kinds.append((lower, "month"))
        elif token in _LITERAL:
            kinds.append((token, "text"))
        else:
            return None  # "0" after seconds (fractions), "e" (a locale's era), "@", ...
    return tuple(_minutes_told(kinds))


def _minutes_told(kinds: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`m` is a month, but minutes after hours or before seconds (`h:mm`, `mm:ss`)."""
    codes = [at for at, (_, kind) in enumerate(kinds) if kind != "text"]
    for number, at in enumerate(codes):
        token, kind = kinds[at]
        if kind != "month" or len(token) > 2:
            continue
        before = kinds[codes[number - 1]] if number else None
        after = kinds[codes[number + 1]] if number + 1 < len(codes) else None
        if (before and (before[1] == "h" or before[0].startswith("h"))) or (
                after and (after[1] == "s" or after[0].startswith("s"))):
            kinds[at] = (token, "minute")
    return kinds


def _fits(tokens: tuple[tuple[str, str], ...], value: Moment) -> bool:
    """A duration or a time of day has no date to show; a format needs a code at all."""
    kinds = {kind for _, kind in tokens}
    if isinstance(value, (datetime.time, datetime.timedelta)) and kinds & {"y", "month", "d"}:
        return False
    return bool(kinds - {"text"})


def _parts(value: Moment) -> dict[str, int] | None:
    if isinstance(value, datetime.timedelta):
        seconds = round(value.total_seconds())
        if seconds < 0:
            return None
        return {"seconds": seconds, "hour": seconds // 3600 % 24,
                "minute": seconds // 60 % 60, "second": seconds % 60}
    if isinstance(value, datetime.datetime):
        moment = _to_the_second(value)
        return {"year": moment.year, "month": moment.month, "day": moment.day,
                "weekday": moment.weekday(), "hour": moment.hour, "minute": moment.minute,
                "second": moment.second,
                "seconds": moment.hour * 3600 + moment.minute * 60 + moment.second}
    if isinstance(value, datetime.date):
        return {"year": value.year, "month": value.month, "day": value.day,
                "weekday": value.weekday(), "hour": 0, "minute": 0, "second": 0, "seconds": 0}
    return {"hour": value.hour, "minute": value.minute, "second": value.second,
            "seconds": value.hour * 3600 + value.minute * 60 + value.second}


def _to_the_second(value: datetime.datetime) -> datetime.datetime:
    """The second Excel shows for a moment, rounded to; the last second of 9999 (SQL Server's
    largest datetime, 23:59:59.997, a common "no end date") has none after it, and is kept."""
    try:
        return (value + datetime.timedelta(microseconds=500_000)).replace(microsecond=0)
    except OverflowError:
        return value.replace(microsecond=0)


def _written(token: str, kind: str, parts: dict[str, int]) -> str:
    if kind == "text":
        return token
    if kind == "y":
        return f"{parts['year'] % 100:02d}" if len(token) <= 2 else f"{parts['year']:04d}"
    if kind == "month":
        month = parts["month"]
        return {1: str(month), 2: f"{month:02d}", 3: MONTHS[month - 1][:3],
                5: MONTHS[month - 1][0]}.get(len(token), MONTHS[month - 1])
    if kind == "d":
        day = parts["day"]
        return {1: str(day), 2: f"{day:02d}", 3: WEEKDAYS[parts["weekday"]][:3]}.get(
            len(token), WEEKDAYS[parts["weekday"]])
    if kind == "h":
        hour = parts["hour"]
        if parts.get("twelve_hour"):
            hour = hour % 12 or 12
        return str(hour) if len(token) == 1 else f"{hour:02d}"
    if kind == "minute":
        return str(parts["minute"]) if len(token) == 1 else f"{parts['minute']:02d}"
    if kind == "s":
        return str(parts["second"]) if len(token) == 1 else f"{parts['second']:02d}"
    if kind == "elapsed":
        total = {"h": parts["seconds"] // 3600, "m": parts["seconds"] // 60,
                 "s": parts["seconds"]}[token[0]]
        return str(total).zfill(len(token))
    # AM/PM: "AM" or "PM" as the code is cased, A/P its letter
    after_noon = parts["hour"] >= 12
    if token.lower() == "a/p":
        letter = "P" if after_noon else "A"
        return letter if token[0].isupper() else letter.lower()
    shown = "PM" if after_noon else "AM"
    return shown if token[:2].isupper() else shown.lower()
