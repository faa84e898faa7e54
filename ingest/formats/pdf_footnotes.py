"""Footnotes: the notes a PDF sets at the foot of a page, smaller than its text.

A page's text layer holds its footnotes where they are drawn, under the body's last line. The
sentence a page's foot interrupts ("For most purposes the only difference between ordered")
then runs on into a footnote ("2 Note that tapply() also works ...") before the next page goes
on with its end ("and unordered factors is ..."), and an answer quotes the two as one sentence.
So a page's footnotes are taken out of its running text: the lines that end its text, below
all of its other lines, drawn at most NOTE_SCALE of the size of the page's text, the first of
them opening with a number drawn smaller than the words after it or raised above them (the
note's own mark). A number alone on its line is such a mark only when it is raised within
the line of the words after it, not a line above them (a column of small figures). Each
note runs from one such numbered line to the next, or to a number inside a line set so that
follows the note before it (notes set side by side: "1 On the ibex. 2 On the yak."), and is
kept, without its number, as a paragraph of its own after the page's text: a search finds it
and cites its page, and the sentence the body leaves unfinished is finished from the next
page (`ingest.chunking`). A short line below the notes at the size of the text (a page
number) stays with the text. A program's listing is no notes: lines numbered on their own
baseline (a note's number is raised) whose text is set in a typewriter font, or
MIN_LISTING_LINES lines or more so, numbered one after the other. A page without such
lines, or whose notes would leave a word taken out of its text that is no note's, is read as
it is.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c

from ingest.formats.pdf_code import typewriter_line
from ingest.formats.pdf_headings import line_size, text_size
from ingest.formats.pdf_superscripts import RAISED, baseline

NOTE_SCALE = 0.9  # a note's lines are drawn at most this share of the size of the text
# a note's number at most this share of the size of its words, or its baseline RAISED
# above theirs
MARK_SCALE = 0.9
FOOTER_LINES = 2  # lines at the text's size under the notes, at most: a page number, a title
FOOTER_WORDS = 6  # words of such a line, at most
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
# a note's number opening its line, its words after it (or on the next line)
_NUMBERED = re.compile(r"[ \t]*(\d{1,3})(?=\s|$)")
_OPENS_NUMBERED = re.compile(r"^[ \t]*\d{1,3}(?=\s|$)", re.MULTILINE)
_NON_SPACE = re.compile(r"\S")
# a number inside a line, between white space: a note's set beside the one before it
_NUMBER_INSIDE = re.compile(r"(?<=[ \t])(\d{1,3})(?=[ \t])")
MIN_LISTING_LINES = 3  # lines numbered one after the other that are a listing's


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
    to match, and the footnotes; the text and indexes as they are when it has none, or when
    its notes cannot be read so that each word taken out of the text is a note's."""
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
    block = lines[first:last + 1]
    numbered = _notes(textpage, text, indexes, block)
    notes = [note for _, note in numbered]
    cut, rest = block[0].start, block[-1].end
    if (not notes or not _words_kept(text[cut:rest], notes)
            or _a_listing(textpage, text, indexes, block, numbered)):
        return text, indexes, []
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
                               baseline(textpage, chars[len(chars) // 2])))
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
    if first > last or first == 0:
        return None
    notes, body, footer = lines[first:last + 1], lines[:first], lines[last + 1:]
    if _number_of(textpage, text, indexes, notes, 0) is None:  # its words are the notes'
        return None
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
    """The note's number opening `lines[at]` (of the notes' lines), set as a mark before the
    words after it (on its line, or the next when it stands alone); None if it opens with
    none."""
    line = lines[at]
    number = _NUMBERED.match(text, line.start, line.end)
    if number is None:
        return None
    words = _NON_SPACE.search(text, number.end(1),
                              lines[at + 1].end if at + 1 < len(lines) else line.end)
    if words is None or not _set_as_mark(textpage, indexes[number.start(1):number.end(1)],
                                         indexes[words.start()], words.start() >= line.end):
        return None
    return number


def _set_as_mark(textpage, digits: Sequence[int], word: int, alone: bool) -> bool:
    """Whether `digits` are drawn as a note's number before the `word` it numbers: smaller
    than it or raised above its baseline; when alone on their line, raised within the
    word's line (a number a line higher, in a column of them, marks nothing)."""
    if word < 0 or min(digits) < 0:
        return False
    word_size = pdfium_c.FPDFText_GetFontSize(textpage, word)
    for digit in digits:
        rise = baseline(textpage, digit) - baseline(textpage, word)
        if alone and not 0 < rise < word_size:
            return False
        if (pdfium_c.FPDFText_GetFontSize(textpage, digit) > MARK_SCALE * word_size
                and rise < RAISED * word_size):
            return False
    return True


def _notes(textpage, text: str, indexes: Sequence[int], lines: list[_Line]
           ) -> list[tuple[re.Match[str], Footnote]]:
    """The footnotes the `lines` hold, each with its number, from a note's number to the next,
    its number left out: one opening a line, or inside a line (notes set side by side) one set
    as a mark that follows the note before it ("1 On the ibex. 2 On the yak."); none when a
    number marks no words."""
    numbers = []
    for at, line in enumerate(lines):
        opening = _number_of(textpage, text, indexes, lines, at)
        numbers += [opening] if opening is not None else []
        for inside in _NUMBER_INSIDE.finditer(text, line.start, line.end):
            if (numbers and int(inside.group(1)) == int(numbers[-1].group(1)) + 1
                    and inside.start() > numbers[-1].end()
                    and _marks_word_after(textpage, text, indexes, inside, line)):
                numbers.append(inside)
    notes = []
    for number, after in zip(numbers, [*(n.start(1) for n in numbers[1:]), lines[-1].end],
                             strict=True):
        start = _NON_SPACE.search(text, number.end(1), after)
        body = text[start.start():after].rstrip() if start is not None else ""
        if not body:  # a number marking no words: not notes after all
            return []
        notes.append((number, Footnote(number.group(1), body,
                                       indexes[start.start():start.start() + len(body)])))
    return notes


def _marks_word_after(textpage, text: str, indexes: Sequence[int], number: re.Match[str],
                      line: _Line) -> bool:
    words = _NON_SPACE.search(text, number.end(1), line.end)
    return words is not None and _set_as_mark(
        textpage, indexes[number.start(1):number.end(1)], indexes[words.start()], False)


def _words_kept(cut: str, notes: list[Footnote]) -> bool:
    """Whether the words cut out of the text are the notes' numbers and words, each once."""
    return cut.split() == [word for note in notes for word in (note.number, *note.text.split())]


def _a_listing(textpage, text: str, indexes: Sequence[int], lines: list[_Line],
               numbered: list[tuple[re.Match[str], Footnote]]) -> bool:
    """Whether the notes are a program's numbered lines: their numbers on the baseline of the
    words after them (a note's is raised), and their text set in a typewriter font, or a
    line each, numbered one after the other, MIN_LISTING_LINES or more."""
    if any(_raised_number(textpage, text, indexes, number) for number, _ in numbered):
        return False
    notes = [note for _, note in numbered]
    first_lines = [note.text.split("\n")[0] for note in notes]
    if all(typewriter_line(textpage, first, note.indexes[:len(first)])
           for first, note in zip(first_lines, notes, strict=True)):
        return True
    return (len(notes) >= MIN_LISTING_LINES and len(notes) == len(lines)
            and all(int(after.number) == int(before.number) + 1
                    for before, after in itertools.pairwise(notes)))


def _raised_number(textpage, text: str, indexes: Sequence[int], number: re.Match[str]
                   ) -> bool:
    """Whether a note's number is raised above the first word after it (or it has none to
    be told by)."""
    words = _NON_SPACE.search(text, number.end(1))
    if words is None or indexes[words.start()] < 0:
        return True
    word = indexes[words.start()]
    rise = baseline(textpage, indexes[number.start(1)]) - baseline(textpage, word)
    return rise >= RAISED * pdfium_c.FPDFText_GetFontSize(textpage, word)

