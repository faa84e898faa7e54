"""Markdown's pipe tables (GitHub's), each row naming its values by the header.

A row of a table, quoted or found alone, says nothing of what its cells are ("| K200 | 1.7
litres | $39 |"): as a sheet's rows, a Word table's and an HTML table's, each becomes a
paragraph that names them ("Model: K200; Capacity: 1.7 litres; Price: $39"), after the header
itself ("Model | Capacity | Price"). Tables in fenced code are examples, and stay as written.
"""

from __future__ import annotations

import re

from rag.text.table_rows import cells_line, named_row

# the line under a table's header: a dash run a column, each maybe aligned (":--", "--:")
# (every run of spaces is followed by what it cannot hold: no line makes it backtrack)
_DELIMITER = re.compile(r"[ \t]*(?:\|[ \t]*)?:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*(?:\|[ \t]*)?")
_FENCE = re.compile(r"\s{0,3}(`{3,}|~{3,})")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def with_named_rows(markdown: str) -> str:
    """`markdown` with each pipe table's rows named by its header, a paragraph each."""
    lines = markdown.split("\n")
    out: list[str] = []
    fence: str | None = None
    at = 0
    while at < len(lines):
        line = lines[at]
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
        elif opened:
            fence = opened.group(1)
        elif at + 1 < len(lines) and (header := _table_header(line, lines[at + 1])):
            body_end = at + 2
            while body_end < len(lines) and "|" in lines[body_end] and lines[body_end].strip():
                body_end += 1
            rows = [named_row(header, _cells(row)) for row in lines[at + 2:body_end]]
            if out and out[-1].strip():
                out.append("")
            out.append("\n\n".join([cells_line(header), *rows]))
            if body_end < len(lines) and lines[body_end].strip():
                out.append("")
            at = body_end
            continue
        out.append(line)
        at += 1
    return "\n".join(out)


def _table_header(line: str, under: str) -> list[str] | None:
    """The header's cells when `line` heads a table (`under` is its delimiter row, with as
    many columns), of two or more named columns; else None."""
    if "|" not in line or "-" not in under or not _DELIMITER.fullmatch(under):
        return None
    header = _cells(line)
    if len(header) != len(_cells(under)) or sum(1 for name in header if name) < 2:
        return None
    return header


def _cells(row: str) -> list[str]:
    """A row's cells, without the pipes at its ends; `\\|` is a pipe inside a cell."""
    row = row.strip()
    row = row.removeprefix("|")
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [cell.strip().replace("\\|", "|") for cell in _UNESCAPED_PIPE.split(row)]
