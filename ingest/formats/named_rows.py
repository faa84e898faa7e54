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


def named_values(header: Sequence[str], values: Sequence[str]) -> Iterator[str]:
    names = list(header[:len(values)]) + [""] * (len(values) - len(header))
    return (f"{name}: {value}" if name else value
            for name, value in zip(names, values, strict=True) if value)
