"""A table's row as a line that names each value by its column's header.

"Region: North; Q1: 1200" rather than "North 1200": a passage taken from the middle of a
table, found or quoted alone, still says what its figures are. Every table a file can hold
(a sheet's, a CSV's, a Word or PowerPoint table, an HTML or a Markdown table) is read so.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence


def named_row(header: Sequence[str], values: Sequence[str]) -> str:
    """A row's values, each named by its column's header ("Region: North; Q1: 1200"); empty
    values left out, a value without a header as it is."""
    return "; ".join(named_values(header, values))


def cells_line(values: Sequence[str]) -> str:
    """A row that names nothing (a header, a table without one) as a line: its filled cells
    with " | " between ("Model | Capacity", "Voltage | 230 V")."""
    return " | ".join(value for value in values if value)


def named_values(header: Sequence[str], values: Sequence[str]) -> Iterator[str]:
    names = list(header[:len(values)]) + [""] * (len(values) - len(header))
    return (f"{name}: {value}" if name else value
            for name, value in zip(names, values, strict=True) if value)
