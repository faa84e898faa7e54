"""A table's rows as ingest writes them, and as the answer reads them back.

A row is a line naming each value by its column's header ("Region: North; Q1: 1200") rather
than "North 1200": a passage taken from the middle of a table, found or quoted alone, still
says what its figures are. Every table a file can hold (a sheet's, a CSV's, a Word or
PowerPoint table, an HTML or a Markdown table) is written so, its header first as a line of
its cells ("Region | Q1").
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator, Sequence

from rag.text.sentences import sentences

CELL_SEPARATOR = " | "  # between a header's cells, and a row's that names nothing
VALUE_SEPARATOR = "; "  # between a row's named values
NAME_END = ": "  # after a value's column name
# a row's line longer than this is written as several, each opening with the row's first
# value ("Employee: Ann Lee"): a default chunk holds not much more, and a piece of a wide row
# cut off from its first value would no longer say whose figures it holds
WIDE_ROW_CHARS = 600
# a first value longer than this opens each line of its row cut short, leaving the line room
# for the values it carries
OPENING_CHARS = 200
_VALUE_NAME = re.compile(rf"[^:;\n]{{1,80}}{re.escape(NAME_END)}")  # "Comment: "
# a number as a question or a cell writes it: "2500", "2,500", "72.5"
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_A_NUMBER = re.compile(rf"(?<![\w.,-])(?:{_NUMBER})(?![\w]|[.,]\d)")
# a range of numbers in a cell: "1000-4999", "5 – 20", "10 to 50", and an open one: "5000+";
# not part of a code or a date ("NW-100", "2025-11-03"), whose pieces only look like one
_RANGE = re.compile(rf"(?<![\w.,-])({_NUMBER})\s*(?:[-–—]|\bto\b)\s*({_NUMBER})(?![\w-])")
_OPEN_RANGE = re.compile(rf"(?<![\w.,-])({_NUMBER})\s*\+")
_NAMED_VALUE = re.compile(rf"(?:^|{re.escape(VALUE_SEPARATOR)})([^:;\n]{{1,80}})"
                          rf"{re.escape(NAME_END)}([^;\n]*)")


def named_row(header: Sequence[str], values: Sequence[str]) -> str:
    """A row's values, each named by its column's header ("Region: North; Q1: 1200"); empty
    values left out, a value without a header as it is."""
    return row_lines(list(named_values(header, values)))


def row_lines(pieces: Sequence[str], width: int = WIDE_ROW_CHARS) -> str:
    """A row's named values as its line, or, when it is wider, as lines of at most `width`
    characters that each open with the row's first value. A value too long for a line
    is cut at its sentences' ends (between words inside a longer sentence), each part
    named by its column ("ID: 7; Comment: ...", "ID: 7; Comment: ...")."""
    line = VALUE_SEPARATOR.join(pieces)
    if len(line) <= width:
        return line
    # a narrow line keeps half its room for the values it carries
    opening = row_opening(pieces[0], min(OPENING_CHARS, width // 2))
    room = width - len(opening) - len(VALUE_SEPARATOR)
    first_parts = value_parts(pieces[0], room) if opening != pieces[0] else [pieces[0]]
    parts = [*first_parts[1:], *(part for piece in pieces[1:] for part in value_parts(piece, room))]
    lines, current = [], first_parts[:1]
    for part in parts:
        # a line holding the opening alone takes any part: each fits beside it
        if current != [opening] and len(VALUE_SEPARATOR.join([*current, part])) > width:
            lines.append(VALUE_SEPARATOR.join(current))
            current = [opening]
        current.append(part)
    lines.append(VALUE_SEPARATOR.join(current))
    return "\n".join(lines)


def row_opening(first: str, limit: int = OPENING_CHARS) -> str:
    """What each line of a wide row opens with: its first value, cut short between words
    (" …") when it is longer than `limit`."""
    if len(first) <= limit:
        return first
    return textwrap.wrap(first, max(limit - 2, 1))[0] + " …"


def value_parts(piece: str, room: int) -> list[str]:
    """A named value ("Comment: ...") as parts of at most `room` characters, each opening
    with its column's name: whole sentences where they fit, a longer sentence cut between
    words."""
    if len(piece) <= room:
        return [piece]
    named = _VALUE_NAME.match(piece)
    name = named.group() if named else ""
    width = max(room - len(name), 1)
    parts: list[str] = []
    for sentence in sentences(piece[len(name):]):
        for bit in textwrap.wrap(sentence, width, break_on_hyphens=False):
            if parts and len(parts[-1]) + 1 + len(bit) <= width:
                parts[-1] += " " + bit
            else:
                parts.append(bit)
    return [name + part for part in parts]


def cells_line(values: Sequence[str]) -> str:
    """A row that names nothing (a header, a table without one) as a line: its filled cells
    with " | " between ("Model | Capacity", "Voltage | 230 V")."""
    return CELL_SEPARATOR.join(value for value in values if value)


def named_values(header: Sequence[str], values: Sequence[str]) -> Iterator[str]:
    names = list(header[:len(values)]) + [""] * (len(values) - len(header))
    return (f"{name}{NAME_END}{value}" if name else value
            for name, value in zip(names, values, strict=True) if value)


def row_values(line: str) -> str | None:
    """A row's values without their column names ("Ben Okafor Mobile developer" of "Name:
    Ben Okafor; Role: Mobile developer"); None for a line that is no named row."""
    pairs = _named_pairs(line)
    return None if pairs is None else " ".join(value for _, value in pairs)


def row_pieces(line: str) -> list[str] | None:
    """A row's line as the named values it was written from (["Name: Ben Okafor", "Role:
    Mobile developer"]), for `row_lines`; None for a line that is no named row."""
    pairs = _named_pairs(line)
    return None if pairs is None else [f"{name}{NAME_END}{value}" for name, value in pairs]


def _named_pairs(line: str) -> list[tuple[str, str]] | None:
    """(name, value) of each of a row's values, two at least, that make up the whole line."""
    pairs = _NAMED_VALUE.findall(line)
    if len(pairs) < 2 or VALUE_SEPARATOR.join(
            f"{name}{NAME_END}{value}" for name, value in pairs) != line:
        return None
    return pairs


def names_cells_of(row: str, header: str) -> bool:
    """Whether `row` names its values by `header`'s cells (two of them at least): `header`
    is then its table's header line."""
    cells = header.split(CELL_SEPARATOR)
    return len(cells) >= 2 and sum(f"{cell}{NAME_END}" in row for cell in cells) >= 2


def numbers_in(text: str) -> list[float]:
    """The numbers `text` writes on their own ("2500", "2,500", "72.5"), not a code's
    ("NW-100" holds one, "K3" none) nor a word's."""
    return [_as_number(found) for found in _A_NUMBER.findall(text)]


def in_ranges(numbers: Sequence[float], values: str) -> list[float]:
    """Those of `numbers` that fall within a range a row's values write ("2000-4999",
    "5000+"): a question asking about 2500 pallets asks about the row of 2000-4999, which
    no term of the question names."""
    ranges = [(_as_number(low), _as_number(high)) for low, high in _RANGE.findall(values)]
    ranges += [(_as_number(low), float("inf")) for low in _OPEN_RANGE.findall(values)]
    return [n for n in numbers if any(low <= n <= high for low, high in ranges)]


def _as_number(written: str) -> float:
    return float(written.replace(",", ""))
