"""Footnotes: the notes a PDF sets at the foot of a page, smaller than its text.

A page's text layer holds its footnotes where they are drawn, under the body's last line. The
sentence a page's foot interrupts ("For most purposes the only difference between ordered")
then runs on into a footnote ("2 Note that tapply() also works ...") before the next page goes
on with its end ("and unordered factors is ..."), and an answer quotes the two as one sentence.
So a page's footnotes are taken out of its running text: the lines that end its text, below
all of its other lines, drawn at most NOTE_SCALE of the size of the page's text, the first of
them opening with a number drawn smaller than the words after it or raised above them (the
note's own mark). Each note runs from one such numbered line to the next, and is kept, without
its number, as a paragraph of its own after the page's text: a search finds it and cites its
page, and the sentence the body leaves unfinished is finished from the next page
(`ingest.chunking`). A short line below the notes at the size of the text (a page number)
stays with the text. A page without such lines is read as it is.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c

from ingest.formats.pdf_headings import line_size, text_size

NOTE_SCALE = 0.9  # a note's lines are drawn at most this share of the size of the text
MARK_SCALE = 0.9  # a note's number at most this share of the size of its words,
RAISED = 0.2  # or its baseline at least this share of their size above theirs
FOOTER_LINES = 2  # lines at the text's size under the notes, at most: a page number, a title
FOOTER_WORDS = 6  # words of such a line, at most
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
# a note's number opening its line, its words after it (or on the next line)
_NUMBERED = re.compile(r"[ \t]*(\d{1,3})(?=\s|$)")
_OPENS_NUMBERED = re.compile(r"^[ \t]*\d{1,3}(?=\s|$)", re.MULTILINE)
_NON_SPACE = re.compile(r"\S")


@dataclass(frozen=True)
class Footnote:
    """One footnote: its number, and its text without it, with each character's index among
    the page's (-1 for white space they lack)."""

    number: str
    text: str
    indexes: Sequence[int]


@dataclass(frozen=True)
class _Line:
    start: int
    end: int  # past its line break
    chars: list[int]  # its characters' indexes among the page's
    size: float
    baseline: float


def footnotes_apart(textpage, text: str, indexes: Sequence[int] | None
                    ) -> tuple[str, Sequence[int] | None, list[Footnote]]:
    """`text` (pdfium's text of `textpage`; `indexes`: each character's index among the page's
    characters, -1 for white space they lack) without the footnotes at its foot, its indexes
    to match, and the footnotes; the text and indexes as they are when it has none."""
    if indexes is None or not _OPENS_NUMBERED.search(text):  # most pages: no need to look
        return text, indexes, []
    lines = _lines(textpage, text, indexes)
    size = text_size([line.size for line in lines], [line.chars for line in lines])
    if size is None:
        return text, indexes, []
    found = _notes_block(textpage, text, indexes, lines, size)
    if found is None:
        return text, indexes, []
    first, last = found
    notes = _notes(textpage, text, indexes, lines[first:last + 1])
    cut, rest = lines[first].start, lines[last].end
    if text[rest:].strip():  # a footer under the notes stays with the text
        return text[:cut] + text[rest:], [*indexes[:cut], *indexes[rest:]], notes
    end = len(text[:cut].rstrip())
    return text[:end], indexes[:end], notes


def _lines(textpage, text: str, indexes: Sequence[int]) -> list[_Line]:
    """The text's lines that hold characters of the page, each with the size it is drawn at
    and its baseline."""
    lines = []
    for found in _LINE.finditer(text):
        line = found.group().rstrip("\r\n")  # pdfium's line break is drawn at no size
        if not line.strip():
            continue
        chars = [index for index in indexes[found.start():found.start() + len(line)]
                 if index >= 0]
        if chars:
            lines.append(_Line(found.start(), found.end(), chars, line_size(textpage, chars),
                               _baseline(textpage, chars[len(chars) // 2])))
    return lines


def _notes_block(textpage, text: str, indexes: Sequence[int], lines: list[_Line], size: float
                 ) -> tuple[int, int] | None:
    """The first and last of `lines` that are the page's footnotes, or None: the small lines
    that end the text (but for a short line or two at the text's size under them), below
    every line above them, the first opening with a note's number."""
    last = len(lines) - 1
    while (last >= 0 and len(lines) - 1 - last < FOOTER_LINES and not _small(lines[last], size)
           and len(text[lines[last].start:lines[last].end].split()) <= FOOTER_WORDS):
        last -= 1
    first = last
    while first >= 0 and _small(lines[first], size):
        first -= 1
    first += 1
    if first > last or first == 0 or _number_of(textpage, text, indexes, lines, first) is None:
        return None
    notes, body, footer = lines[first:last + 1], lines[:first], lines[last + 1:]
    lowest_of_body = min(line.baseline for line in body)
    if (max(line.baseline for line in notes) >= lowest_of_body
            or any(line.baseline >= min(n.baseline for n in notes) for line in footer)
            or all(_small(line, size) for line in body)):
        return None
    return first, last


def _small(line: _Line, size: float) -> bool:
    return 0 < line.size <= NOTE_SCALE * size


def _number_of(textpage, text: str, indexes: Sequence[int], lines: list[_Line], at: int
               ) -> re.Match[str] | None:
    """The note's number opening `lines[at]`, drawn smaller than the words after it or
    raised above them (on its line, or the next when it stands alone); None if it opens
    with none."""
    line = lines[at]
    number = _NUMBERED.match(text, line.start, line.end)
    if number is None:
        return None
    digits = indexes[number.start(1):number.end(1)]
    words = _NON_SPACE.search(text, number.end(1),
                              lines[at + 1].end if at + 1 < len(lines) else line.end)
    if words is None or indexes[words.start()] < 0 or min(digits) < 0:
        return None
    word = indexes[words.start()]
    word_size = pdfium_c.FPDFText_GetFontSize(textpage, word)
    marked = all(
        pdfium_c.FPDFText_GetFontSize(textpage, digit) <= MARK_SCALE * word_size
        or _baseline(textpage, digit) - _baseline(textpage, word) >= RAISED * word_size
        for digit in digits)
    return number if marked else None


def _notes(textpage, text: str, indexes: Sequence[int], lines: list[_Line]) -> list[Footnote]:
    """The footnotes the `lines` hold: each from a line opening with a note's number to the
    next, its number left out."""
    starts = [i for i in range(len(lines))
              if _number_of(textpage, text, indexes, lines, i) is not None]
    notes = []
    for first, after in zip(starts, [*starts[1:], len(lines)], strict=True):
        number = _NUMBERED.match(text, lines[first].start, lines[first].end)
        assert number is not None  # `starts` are the numbered lines
        start = number.end()
        while start < len(text) and text[start].isspace():
            start += 1
        end = lines[after - 1].end
        body = text[start:end].rstrip()
        if body:  # a number without words marks nothing to keep
            notes.append(Footnote(number.group(1), body, indexes[start:start + len(body)]))
    return notes


def _baseline(textpage, index: int) -> float:
    x, y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(textpage, index, ctypes.byref(x), ctypes.byref(y))
    return y.value
