"""Headings a PDF draws larger than its text, set apart by blank lines.

A PDF's text holds no structure: "Impeller" drawn at 16 points above "Replace the impeller
after 2000 hours of use." at 12 comes out as two lines, which the sentence segmenter joins into
one sentence ("Impeller Replace the impeller ..."), quoted by an answer as if the page said it.
A numbered heading is told by its number (`rag.text.sentences`); an unnumbered one only by its
size. So a short line without a closing stop, whose characters are drawn at least HEADING_SCALE
times the size most of the page's characters are, gets a blank line before and after it: a
paragraph of its own, as a Markdown heading is. A line going on in lower case after such a line
is the rest of its sentence, unless the line is set bold, as a heading is and a sentence set
large seldom is: "B.1 Configuration options" in a bold face above "configure has many options:
..." (a command's name opening the section) is a heading still.
"""

from __future__ import annotations

import ctypes
import itertools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from statistics import median

import pypdfium2.raw as pdfium_c

from rag.text.lexical import STOP_WORDS

HEADING_SCALE = 1.15
HEADING_WORDS = 10  # a longer line is a sentence set large (a pull quote), not a title
HEADING_CHARS = 100
HEADING_LINES = 3  # a heading wraps over this many lines at most
BODY_SHARE = 0.2
SAMPLED = 5  # characters of a line whose size is read
# a heading's characters may be at most this share of the page's, or the page has no body
# size to compare with (a title page, a slide)
HEADING_SHARE = 0.5
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_CLOSED = re.compile(r"[.,;:!]$")  # a question may be a heading: an FAQ's
FIXED_PITCH = 1  # the font descriptor's flag (PDF 32000-1, 9.8.2)
# the weight pdfium reads off a font's stems, at least this for a bold face (TeX's bold
# extended is read heavier, its roman lighter)
BOLD_WEIGHT = 500
_BOLD_NAME = re.compile("bold", re.IGNORECASE)
FONT_NAME_BYTES = 128  # a font's name is read into this many bytes, cut short past them
PARAGRAPH_BREAK = "\r\n"  # pdfium's line end: the text is tidied after, as the rest of it


def headings_set_apart(textpage, text: str, indexes: Sequence[int] | None
                       ) -> tuple[str, Sequence[int] | None]:
    """`text` (pdfium's text of `textpage`; `indexes`: each character's index among the page's
    characters, -1 for white space they lack) with a blank line around each heading line, and
    the indexes of the text so made; both as they are when the page has no such line."""
    if indexes is None:
        return text, indexes
    lines = [(found.start(), found.group()) for found in _LINE.finditer(text) if found.group()]
    on_page = [[index for index in indexes[start:start + len(line)] if index >= 0]
               for start, line in lines]
    sizes = [line_size(textpage, line_indexes) for line_indexes in on_page]
    body = text_size(sizes, on_page)
    if body is None:
        return text, indexes
    total = sum(len(line) for size, line in zip(sizes, on_page, strict=True) if size)
    large = [_set_large(textpage, line, size, line_indexes, body)
             for (_, line), size, line_indexes in zip(lines, sizes, on_page, strict=True)]
    drawn = [round(size * 2) / 2 if is_large else None
             for size, is_large in zip(sizes, large, strict=True)]
    headings = _heading_lines([line for _, line in lines], drawn,
                              lambda i: set_bold(textpage, on_page[i]))
    heading_chars = sum(len(on_page[i]) for i in headings)
    if not headings or heading_chars > HEADING_SHARE * total:
        return text, indexes
    return _apart(text, list(indexes), lines, headings)


def text_size(sizes: Sequence[float], on_page: Sequence[Sequence[int]]) -> float | None:
    """The size a page's text is drawn at, its lines drawn at `sizes` with the characters
    `on_page`: the largest a good share of its characters are, since a page of code examples or
    a listing may hold more characters set smaller than its text. None for a page without
    characters."""
    counted: Counter[float] = Counter()
    for size, line_indexes in zip(sizes, on_page, strict=True):
        if size:
            counted[round(size * 2) / 2] += len(line_indexes)
    if not counted:
        return None
    total = sum(counted.values())
    return max(size for size, chars in counted.items() if chars >= BODY_SHARE * total)


def line_size(textpage, indexes: Sequence[int]) -> float:
    """The size a line is drawn at: the median of a few of its characters' (reading every
    character's would cost a call each, as much as the rest of a page's reading)."""
    picked = indexes[::max(1, len(indexes) // SAMPLED)][:SAMPLED]
    return median([pdfium_c.FPDFText_GetFontSize(textpage, index) for index in picked]) \
        if picked else 0.0


def _fixed_pitch(textpage, index: int) -> bool:
    flags = ctypes.c_int(0)
    pdfium_c.FPDFText_GetFontInfo(textpage, index, None, 0, ctypes.byref(flags))
    return bool(flags.value & FIXED_PITCH)


def set_bold(textpage, indexes: Sequence[int]) -> bool:
    """Whether most of a few of a line's characters (as `line_size` reads) are set in a bold
    face: a font whose stems pdfium reads at BOLD_WEIGHT or heavier, or, where the file gives
    no stems (a standard font such as Helvetica-Bold, which no file embeds), one whose name
    says so."""
    picked = indexes[::max(1, len(indexes) // SAMPLED)][:SAMPLED]
    return sum(_bold(textpage, index) for index in picked) * 2 > len(picked)


def _bold(textpage, index: int) -> bool:
    weight = pdfium_c.FPDFText_GetFontWeight(textpage, index)
    if weight > 0:
        return weight >= BOLD_WEIGHT
    name = ctypes.create_string_buffer(FONT_NAME_BYTES)
    pdfium_c.FPDFText_GetFontInfo(textpage, index, name, FONT_NAME_BYTES, None)
    return bool(_BOLD_NAME.search(name.value.decode("latin-1")))


def _set_large(textpage, line: str, size: float, indexes: list[int], body: float) -> bool:
    """Whether a line is no longer than a heading's, holds letters and is drawn larger than
    the page's text, in a font not of fixed pitch: code set in a typewriter font is often
    drawn at another nominal size than the text around it, and a heading seldom is code."""
    return (bool(line.strip()) and len(line.strip()) <= HEADING_CHARS
            and any(ch.isalpha() for ch in line) and size >= HEADING_SCALE * body
            and not _fixed_pitch(textpage, indexes[len(indexes) // 2]))


def _heading_lines(lines: list[str], drawn: list[float | None],
                   bold: Callable[[int], bool]) -> dict[int, int]:
    """The lines of each run of up to HEADING_LINES lines drawn large at one size (`drawn`,
    None for a line that is not: a heading wrapped over two or three) whose last line is
    short and ends without a closing stop or a word such as "is" or "the", before a line
    that does not go on in lower case unless the last line is `bold`: a sentence set large,
    or going on into the text, is no heading. The lines before the last may be long: a
    heading wraps where its line is full ("7.32 How can I capture or ignore errors in a
    long" / "simulation?"). Each heading
    line maps to the first large line above it: a chapter's heading drawn larger right above
    a section's ("2 R Basics" / "2.1 What is R?") is set apart with it, each judged alone."""
    headings: dict[int, int] = {}
    for is_large, block in itertools.groupby(range(len(lines)),
                                             key=lambda i: drawn[i] is not None):
        block = list(block)
        if not is_large:
            continue
        for _, run in itertools.groupby(block, key=drawn.__getitem__):
            run = list(run)
            if _is_heading(lines, run, bold):
                headings.update(dict.fromkeys(run, block[0]))
    return headings


def _is_heading(lines: list[str], run: list[int], bold: Callable[[int], bool]) -> bool:
    """Whether a run of lines drawn large at one size is a heading (`_heading_lines`)."""
    last = lines[run[-1]].strip()
    if len(run) > HEADING_LINES or len(last.split()) > HEADING_WORDS:
        return False
    after = next((lines[i].strip() for i in range(run[-1] + 1, len(lines))
                  if lines[i].strip()), "")
    return (not _CLOSED.search(last) and last.split()[-1].lower() not in STOP_WORDS
            and (not after[:1].islower() or bold(run[-1])))


def _apart(text: str, indexes: list[int], lines: list[tuple[int, str]],
           headings: dict[int, int]) -> tuple[str, list[int]]:
    """The text with a blank line between each heading and the line before or after it that
    is none of its lines (a heading wrapped over two lines stays one; a chapter's heading and
    a section's under it are two), where there is none yet, and the indexes to match (-1 for
    each line end added)."""
    pieces: list[str] = []
    at: list[int] = []
    for i, (start, line) in enumerate(lines):
        pieces.append(line)
        at += indexes[start:start + len(line)]
        follows = i + 1 < len(lines)
        blank_after = follows and not lines[i + 1][1].strip()
        if follows and not blank_after and headings.get(i) != headings.get(i + 1) \
                and line.strip():
            pieces.append(PARAGRAPH_BREAK)
            at += [-1] * len(PARAGRAPH_BREAK)
    return "".join(pieces), at
