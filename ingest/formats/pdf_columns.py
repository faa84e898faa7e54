"""Two columns drawn a line of each at a time, read one column after the other.

Most PDFs draw a two-column page column by column, and pdfium reads it in that order. Some
generators draw the left column's line, then the right column's line at the same height:
pdfium then reads the two as one line ("The Gannet class ferry was launched The Puffin class
ferry entered"), and every sentence of the page is garbled. Such a page is told by its text
runs (pdfium's rectangles, one per run of text on a line): on many lines, a run is followed by
one at the same height across a wide gap, the same gap down the page, near the middle of the
text, each side filling most of its column. There the page is read in bands from the top: a
line crossing the gutter (a title, a rule of text across the page) as it stands, and a
stretch of column lines as its left column's lines, then its right column's.
"""

from __future__ import annotations

import ctypes
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c

from ingest.formats.pdf_text import HYPHENATION_MARK

Box = tuple[float, float, float, float]  # left, bottom, right, top

MIN_GUTTER_EMS = 1.5  # a gap between two runs of one line at least this many line heights
MIN_COLUMN_LINES = 4  # lines jumping across the one gutter before a page counts as two columns
MIDDLE = (0.3, 0.7)  # where the gutter lies across the text's width
FILLED = 0.75  # the share of its column's width a side's median line fills
MIN_LINE_EMS = 12  # and that line's width in line heights: a prose line, not a table's cell
TABLE_SHARE = 0.25  # lines with more gaps than the gutter's, at most, per line jumping it
HALF = 0.5  # a side of a line of prose is this share of its widest line, at least
_LINE_END = "\r\n"  # pdfium's, which its readers below expect
_HYPHEN_TAKEN_OUT = "\ufffe"  # pdfium's indexed text marks so a hyphen and line break it took out


@dataclass(frozen=True)
class Reading:
    """A page's text in reading order, and each character's index among pdfium's (-1 for a
    line break put in), as `superscripts_written` takes them."""

    text: str
    indexes: list[int]

    def index_ranges(self, start: int, end: int) -> list[tuple[int, int]]:
        """The runs of pdfium's indexes that the text's characters `start` to `end` are."""
        ranges: list[tuple[int, int]] = []
        for index in self.indexes[start:end]:
            if index < 0:
                continue
            if ranges and ranges[-1][1] == index:
                ranges[-1] = (ranges[-1][0], index + 1)
            else:
                ranges.append((index, index + 1))
        return ranges


def column_reading(textpage) -> Reading | None:
    """The page read column by column, or None for a page pdfium reads in order (nearly all:
    they cost one pass over the page's text runs)."""
    columns = _columns(_runs(textpage))
    if columns is None:
        return None
    chars = textpage.get_text_range()
    if len(chars) != textpage.count_chars():  # a character outside the BMP is two indexes
        return None
    return _read_by_columns(textpage, chars, columns)


@dataclass(frozen=True)
class _Columns:
    """Where two columns of prose stand on a page: the gutter's x, and the heights (bottom,
    top) from their first lines on both sides to their last. A line on both sides outside
    them (a table's row under the text) is read as it stands, though it leaves the gutter
    clear."""

    gutter: float
    bottom: float
    top: float

    def holds(self, middle: float) -> bool:
        return self.bottom <= middle <= self.top


def _runs(textpage) -> list[Box]:
    left, bottom, right, top = (ctypes.c_double() for _ in range(4))
    runs = []
    for index in range(pdfium_c.FPDFText_CountRects(textpage.raw, 0, -1)):
        pdfium_c.FPDFText_GetRect(textpage.raw, index, left, top, right, bottom)
        runs.append((left.value, bottom.value, right.value, top.value))
    return runs


def _same_line(one: Box, other: Box) -> bool:
    overlap = min(one[3], other[3]) - max(one[1], other[1])
    return overlap > 0.5 * min(one[3] - one[1], other[3] - other[1])


def _columns(runs: Sequence[Box]) -> _Columns | None:
    """Where two columns stand, that many lines jump across the gutter between, in pdfium's
    order; or None."""
    if len(runs) < 2 * MIN_COLUMN_LINES:
        return None
    lines = [_Line(line) for line in _lines_of(runs)]
    jumping = [line for line in lines if len(line.gaps) == 1]
    if len(jumping) < MIN_COLUMN_LINES:
        return None
    text_left = min(run[0] for run in runs)
    text_right = max(run[2] for run in runs)
    low, high = (text_left + share * (text_right - text_left) for share in MIDDLE)
    best = _most_spanned([line.gaps[0] for line in jumping], low, high)
    if best is None:
        return None
    across = [line for line in jumping if line.gaps[0][0] <= best <= line.gaps[0][1]]
    # a table's rows jump over a gap between each of their cells: no columns of prose
    tabled = sum(len(line.gaps) > 1 for line in lines)
    if len(across) < MIN_COLUMN_LINES or tabled > TABLE_SHARE * len(across):
        return None
    lefts = [(line.gaps[0][0] - line.left, line.height) for line in across]
    rights = [(line.right - line.gaps[0][1], line.height) for line in across]
    if not (_prose_column(lefts) and _prose_column(rights)):
        return None
    widest_left = max(width for width, _ in lefts)
    widest_right = max(width for width, _ in rights)
    # the lines of prose, a side of each as long as half its column at least: not a table's
    # row of short cells across the gutter
    prose = [line for line, (left, _), (right, _) in zip(across, lefts, rights, strict=True)
             if left >= HALF * widest_left or right >= HALF * widest_right]
    return _Columns(best, min(line.bottom for line in prose), max(line.top for line in prose))


def _lines_of(runs: Sequence[Box]) -> list[list[Box]]:
    """The runs in pdfium's order, grouped by the line they stand on."""
    lines: list[list[Box]] = []
    for run in runs:
        if lines and _same_line(lines[-1][-1], run):
            lines[-1].append(run)
        else:
            lines.append([run])
    return lines


class _Line:
    """A line's runs: where it starts and ends, its height, and the gaps of a gutter's width
    between one run and the next (each its start and end)."""

    def __init__(self, runs: list[Box]) -> None:
        self.left, self.right = runs[0][0], runs[-1][2]
        self.bottom, self.top = min(run[1] for run in runs), max(run[3] for run in runs)
        self.height = max(max(run[3] - run[1] for run in runs), 1.0)
        self.gaps = [(before[2], after[0]) for before, after in zip(runs, runs[1:], strict=False)
                     if after[0] - before[2] >= MIN_GUTTER_EMS * self.height]


def _most_spanned(gaps: Sequence[tuple[float, float]], low: float,
                  high: float) -> float | None:
    """The x between `low` and `high` that the most gaps span, by one sweep over their ends
    (a page of a wide table has thousands of gaps: each against every other would take
    seconds)."""
    clipped = [(max(start, low), min(end, high)) for start, end in gaps]
    ends = sorted([(start, 0) for start, end in clipped if start <= end]
                  + [(end, 1) for start, end in clipped if start <= end])  # starts first
    best, most, spanning = None, 0, 0
    for at, (x, is_end) in enumerate(ends):
        if is_end:
            spanning -= 1
            continue
        spanning += 1
        if spanning > most:  # as far as the next end or start, `spanning` gaps span it
            most, best = spanning, (x + ends[at + 1][0]) / 2
    return best


def _prose_column(lines: Sequence[tuple[float, float]]) -> bool:
    """Whether one side's lines (each its width and height) are a column of prose: long
    lines, most filling the column, where a table's column holds short cells of any width."""
    widths = [width for width, _ in lines]
    median_width = statistics.median(widths)
    return (median_width >= FILLED * max(widths)
            and statistics.median(width / height for width, height in lines) >= MIN_LINE_EMS)


def _read_by_columns(textpage, chars: str, columns: _Columns) -> Reading:
    left_side: list[list[int]] = []
    right_side: list[list[int]] = []
    lines: list[list[int]] = []

    def close_band() -> None:
        lines.extend(left_side + right_side)
        left_side.clear()
        right_side.clear()

    for line in _lines(chars):
        placed = [_placed(textpage, index, columns.gutter) for index in line]
        sides = [side for side, _ in placed]
        middles = [middle for side, middle in placed if side != "none"]
        # a line on both sides of the gutter beyond the columns' lines is a table's row; on
        # one side, the end of a column longer than the other
        both = "left" in sides and "right" in sides
        if ("across" in sides or not middles
                or (both and not columns.holds(statistics.median(middles)))):
            close_band()
            lines.append(line)
            continue
        left, right = _split(chars, line, sides)
        if left:
            left_side.append(left)
        if right:
            right_side.append(right)
    close_band()
    return _joined(chars, lines)


def _lines(chars: str) -> list[list[int]]:
    """pdfium's lines of the page as its characters' indexes, line breaks left out."""
    lines: list[list[int]] = [[]]
    for index, char in enumerate(chars):
        if char == "\n":
            lines.append([])
        elif char != "\r":
            lines[-1].append(index)
    return [line for line in lines if line]


def _placed(textpage, index: int, gutter: float) -> tuple[str, float]:
    """Which side of the gutter a character stands on (or across it; "none" for a space
    pdfium put in, which has no box), and the height of its middle."""
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    pdfium_c.FPDFText_GetCharBox(textpage.raw, index, left, right, bottom, top)
    middle = (bottom.value + top.value) / 2
    if right.value <= left.value:
        return "none", middle
    if right.value <= gutter:
        return "left", middle
    return ("right" if left.value >= gutter else "across"), middle


def _split(chars: str, line: list[int], sides: list[str]) -> tuple[list[int], list[int]]:
    """A line's characters left and right of the gutter, a space going with the character
    before it, and the spaces at either side's ends left out."""
    left: list[int] = []
    right: list[int] = []
    side = "left"
    for index, where in zip(line, sides, strict=True):
        if where != "none":
            side = where
        (left if side == "left" else right).append(index)
    return _trimmed(chars, left), _trimmed(chars, right)


def _trimmed(chars: str, part: list[int]) -> list[int]:
    start, end = 0, len(part)
    while start < end and chars[part[start]].isspace():
        start += 1
    while end > start and chars[part[end - 1]].isspace():
        end -= 1
    return part[start:end]


def _joined(chars: str, lines: list[list[int]]) -> Reading:
    """The lines as one text, a word a column's line breaks with a hyphen marked as pdfium
    marks one it takes out (`HYPHENATION_MARK`, the line break with it)."""
    text: list[str] = []
    indexes: list[int] = []
    for number, line in enumerate(lines):
        if number:
            if text and text[-1] == "-" and len(text) > 1 and text[-2].isalpha():
                text[-1] = HYPHENATION_MARK
            else:
                text.extend(_LINE_END)
                indexes.extend((-1, -1))
        for index in line:
            char = chars[index]
            text.append(HYPHENATION_MARK if char == _HYPHEN_TAKEN_OUT else char)
            indexes.append(index)
    return Reading("".join(text), indexes)
