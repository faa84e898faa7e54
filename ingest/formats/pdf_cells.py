"""A page's columns of cells that its text layer runs together: a table's rows and a
description list's terms.

pdfium writes a line's words with a space between them however far apart they are drawn, so
a table's row ("Kettle K2", "2200 W", "49.99 GBP") reads as words of one sentence with the
next row's, and a description list's term ("lm" at the margin, "Using the Latin Modern
fonts." in the column beside it) as the first word of its description. Where words of a line
are drawn at least GAP_EMS times the font's size apart, they are cells of columns. A run of
MIN_TABLE_ROWS lines or more, each of MIN_TABLE_CELLS cells or more, as many on each line and
each column's cells starting or ending at one place, is a table, written as every other
format's table is (`rag.text.table_rows`): each row a paragraph of its own, its first row its
header's cells and each row under it naming its values by them ("Model: Kettle K2; Power:
2200 W") where the first row is set bold and the next is not, as a header is; each row as its
cells otherwise (a list of names set in columns is no table with a header). A line of two
cells, a short term at the margin (no section's number, no command's option) and a
description of a few words beside it (no contents' dot leaders), is a description list's
entry, a paragraph of its own, when every such line of its list is (a table of operators,
"/" and "%o%" beside their meanings, is read one way throughout):
"lm: Using the Latin Modern fonts.". Code's lines (between fences, `pdf_code`) are left as
they are: their gaps align comments.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c

from ingest.formats.base import LIST_BULLET
from ingest.formats.pdf_headings import set_bold
from rag.text.table_rows import cells_line, named_row

GAP_EMS = 1.0  # a justified line's widest space is well under the font's size
ALIGNED = 3.0  # points: cells of one column start or end this close
MIN_TABLE_ROWS = 3  # a header and two rows
MIN_TABLE_CELLS = 3
TERM_WORDS = 3  # a description list's term is a word or a few
DESCRIPTION_WORDS = 3  # a description is words of prose, not a page number
LINE_END = "\r\n"  # pdfium's line end: the text is tidied after, as the rest of it
PARAGRAPH = LINE_END * 2
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_WORD = re.compile(r"\S+")
_FENCE = "```"
_TERM_ENDS = ":;,.!?"
_SECTION_NUMBER = re.compile(r"(?:[A-Z]|\d+)(?:\.\d+)*\.?")  # "A.1.3", "12.2", "3."
_LEADERS = re.compile(r"(?:\. ?){3}")  # a contents' entry: "Strings . . . . 41"


@dataclass(frozen=True)
class Cell:
    """A cell of a line: its characters' span in the line, and where it is drawn (points)."""

    start: int
    end: int
    left: float
    right: float


def cells_marked(textpage, text: str, indexes: Sequence[int] | None
                 ) -> tuple[str, Sequence[int] | None]:
    """`text` (pdfium's text of `textpage`; `indexes`: each character's index among the page's
    characters, -1 for white space they lack) with each table written as rows and each
    description list's entry as "term: description", and the indexes of the text so made (-1
    for each character added); both as they are when the page has neither."""
    if indexes is None:
        return text, indexes
    lines = [(found.start(), found.group()) for found in _LINE.finditer(text) if found.group()]
    cells = _line_cells(textpage, lines, indexes)
    tables = _tables(cells)
    in_table = {i for first, last in tables for i in range(first, last + 1)}
    terms = _description_entries(lines, cells, in_table)
    if not tables and not terms:
        return text, indexes
    headed = {first for first, _ in tables
              if set_bold(textpage, _drawn(lines[first], indexes))
              and not set_bold(textpage, _drawn(lines[first + 1], indexes))}
    return _rewritten(text, list(indexes), lines, cells, tables, set(terms), headed)


def _drawn(line: tuple[int, str], indexes: Sequence[int]) -> list[int]:
    start, text = line
    return [index for index in indexes[start:start + len(text)] if index >= 0]


def _line_cells(textpage, lines: list[tuple[int, str]], indexes: Sequence[int]
                ) -> list[list[Cell]]:
    """Each line's cells (none for a line of code, between fences)."""
    found: list[list[Cell]] = []
    in_code = False
    for start, line in lines:
        if line.strip().startswith(_FENCE):
            in_code = not in_code
            found.append([])
            continue
        found.append([] if in_code else _cells(textpage, line, indexes[start:start + len(line)]))
    return found


def _cells(textpage, line: str, indexes: Sequence[int]) -> list[Cell]:
    """A line's words grouped into cells: a word drawn GAP_EMS or more past the one before
    opens another. Empty for a line whose words are not all drawn."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(line)]
    if len(words) < 2 or any(indexes[a] < 0 or indexes[b - 1] < 0 for a, b in words):
        return []
    cells: list[Cell] = []
    start, left = words[0][0], _box(textpage, indexes[words[0][0]])[0]
    end = words[0][1]
    gap = GAP_EMS * pdfium_c.FPDFText_GetFontSize(textpage, indexes[start])
    for a, b in words[1:]:
        right = _box(textpage, indexes[end - 1])[1]
        next_left = _box(textpage, indexes[a])[0]
        if next_left - right >= gap > 0:
            cells.append(Cell(start, end, left, right))
            start, left = a, next_left
        end = b
    cells.append(Cell(start, end, left, _box(textpage, indexes[end - 1])[1]))
    return cells if len(cells) > 1 else []


def _box(textpage, index: int) -> tuple[float, float]:
    """Where the page's character at `index` starts and ends from the page's left."""
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    pdfium_c.FPDFText_GetCharBox(textpage, index, ctypes.byref(left), ctypes.byref(right),
                                 ctypes.byref(bottom), ctypes.byref(top))
    return left.value, right.value


def _tables(cells: list[list[Cell]]) -> list[tuple[int, int]]:
    """The first and last line of each table: a run of lines of as many cells, their columns
    aligned."""
    tables: list[tuple[int, int]] = []
    first = 0
    while first < len(cells):
        last = first
        if len(cells[first]) >= MIN_TABLE_CELLS:
            while last + 1 < len(cells) and _aligned(cells[first], cells[last + 1]):
                last += 1
        if last - first + 1 >= MIN_TABLE_ROWS:
            tables.append((first, last))
        first = last + 1
    return tables


def _aligned(row: list[Cell], other: list[Cell]) -> bool:
    """Whether two lines' cells are in the same columns: as many, each starting or ending
    where the other's does (text set left, figures right)."""
    return len(row) == len(other) and all(
        abs(a.left - b.left) <= ALIGNED or abs(a.right - b.right) <= ALIGNED
        for a, b in zip(row, other, strict=True))


def _description_entries(lines: list[tuple[int, str]], cells: list[list[Cell]],
                         in_table: set[int]) -> list[int]:
    """The lines that are a description list's entries: of the lines of two cells whose
    descriptions start at one place (a list's), all or none, so that a list whose terms are
    operators ("%o%" beside "/") is read one way throughout."""
    lists: list[list[int]] = []
    for i, row in enumerate(cells):
        if len(row) != 2 or i in in_table:
            continue
        same = next((found for found in lists
                     if abs(cells[found[0]][1].left - row[1].left) <= ALIGNED), None)
        if same is None:
            lists.append([i])
        else:
            same.append(i)
    return sorted(i for found in lists
                  if all(_description_entry(lines[j][1], cells[j]) for j in found)
                  for i in found)


def _description_entry(line: str, row: list[Cell]) -> bool:
    """Whether a line of cells is a description list's entry: a short term with a letter in
    it, not closed by a stop, and a description of a few words beside it."""
    if len(row) != 2:
        return False
    term, description = (line[cell.start:cell.end] for cell in row)
    # a command's option ("--with-x") is left to the segmenter, which reads a list of them
    return (len(term.split()) <= TERM_WORDS and any(ch.isalpha() for ch in term)
            and not term.startswith("-")
            and not _SECTION_NUMBER.fullmatch(term) and term[-1] not in _TERM_ENDS
            and not _LEADERS.search(description)
            and len(description.split()) >= DESCRIPTION_WORDS)


def _rewritten(text: str, indexes: list[int], lines: list[tuple[int, str]],
               cells: list[list[Cell]], tables: list[tuple[int, int]], terms: set[int],
               headed: set[int]) -> tuple[str, list[int]]:
    """The text with each table's lines and each description list's entry rewritten, and
    the indexes to match."""
    firsts = {first: last for first, last in tables}
    pieces: list[str] = []
    at: list[int] = []

    def add(piece: str, piece_indexes: Sequence[int] | None = None) -> None:
        pieces.append(piece)
        at.extend(piece_indexes if piece_indexes is not None else [-1] * len(piece))

    i = 0
    while i < len(lines):
        start, line = lines[i]
        if i in firsts:
            last = firsts[i]
            # the rows are written anew: a table's characters keep no place on the page
            # a table opens a paragraph: its header is no word of the sentence before
            add((LINE_END if i else "")
                + _table_text(lines[i:last + 1], cells[i:last + 1], i in headed))
            i = last + 1
            continue
        if i in terms:
            term = cells[i][0]
            if i:  # an entry opens a paragraph: its term is no word of the sentence before
                add(LINE_END)
            # an entry is a list's item, as a bulleted one is: counted and quoted on its line
            add(f"{LIST_BULLET} ")
            add(line[:term.end], indexes[start:start + term.end])
            add(": ")
            rest = cells[i][1].start
            add(line[rest:], indexes[start + rest:start + len(line)])
        else:
            add(line, indexes[start:start + len(line)])
        i += 1
    return "".join(pieces), at


def _table_text(lines: list[tuple[int, str]], rows: list[list[Cell]], has_header: bool
                ) -> str:
    """A table's lines as rows, each a paragraph: its header's cells (`has_header`), then each
    row naming its values by them; or, without a header, each row's cells."""
    values = [[line[cell.start:cell.end] for cell in row]
              for (_, line), row in zip(lines, rows, strict=True)]
    header = values[0]
    written = [cells_line(header)] if has_header else []
    written += [named_row(header, row) if has_header else cells_line(row)
                for row in values[1 if has_header else 0:]]
    return PARAGRAPH.join(written) + PARAGRAPH
