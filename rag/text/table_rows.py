"""A table's rows as ingest writes them, and as the answer reads them back.

A row is a line naming each value by its column's header ("Region: North; Q1: 1200") rather
than "North 1200": a passage taken from the middle of a table, found or quoted alone, still
says what its figures are. Every table a file can hold (a sheet's, a CSV's, a Word or
PowerPoint table, an HTML or a Markdown table) is written so, its header first as a line of
its cells ("Region | Q1").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

CELL_SEPARATOR = " | "  # between a header's cells, and a row's that names nothing
VALUE_SEPARATOR = "; "  # between a row's named values
NAME_END = ": "  # after a value's column name
# a row's line longer than this is written as several, each opening with the row's first
# value ("Employee: Ann Lee"): a default chunk holds not much more, and a piece of a wide row
# cut off from its first value would no longer say whose figures it holds
WIDE_ROW_CHARS = 600
_NAMED_VALUE = re.compile(rf"(?:^|{re.escape(VALUE_SEPARATOR)})([^:;\n]{{1,80}})"
                          rf"{re.escape(NAME_END)}([^;\n]*)")


def named_row(header: Sequence[str], values: Sequence[str]) -> str:
    """A row's values, each named by its column's header ("Region: North; Q1: 1200"); empty
    values left out, a value without a header as it is."""
    return row_lines(list(named_values(header, values)))


def row_lines(pieces: Sequence[str]) -> str:
    """A row's named values as its line, or as lines of at most WIDE_ROW_CHARS (a value
    allowing) that each open with the row's first value, when it is wider."""
    line = VALUE_SEPARATOR.join(pieces)
    if len(line) <= WIDE_ROW_CHARS:
        return line
    first, lines, current = pieces[0], [], list(pieces[:1])
    for piece in pieces[1:]:
        if len(current) > 1 and len(VALUE_SEPARATOR.join([*current, piece])) > WIDE_ROW_CHARS:
            lines.append(VALUE_SEPARATOR.join(current))
            current = [first]
        current.append(piece)
    lines.append(VALUE_SEPARATOR.join(current))
    return "\n".join(lines)


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
    pairs = _NAMED_VALUE.findall(line)
    if len(pairs) < 2 or VALUE_SEPARATOR.join(
            f"{name}{NAME_END}{value}" for name, value in pairs) != line:
        return None
    return " ".join(value for _, value in pairs)


def names_cells_of(row: str, header: str) -> bool:
    """Whether `row` names its values by `header`'s cells (two of them at least): `header`
    is then its table's header line."""
    cells = header.split(CELL_SEPARATOR)
    return len(cells) >= 2 and sum(f"{cell}{NAME_END}" in row for cell in cells) >= 2
