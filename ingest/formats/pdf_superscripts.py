"""Digits a PDF draws small and raised after a word or a number, which pdfium's text glues to it.

A footnote's mark ("Australia¹ and", "a Terminal⁴ so") comes out as "Australia1 and" or
"Terminal4so": a search term no question holds, and a number read into the sentence. Such a
mark is left out, with a space kept between the words it joined. Digits raised after a symbol
of a letter or two ("x²", "cm²", "R²", "dx²") or after a closing bracket ("(y − ȳ)²") are an
exponent instead, and are written as plain text writes one, "x^2" (a superscript digit would
not last: text is NFKC-normalised, which makes "²" a "2"). A mark follows a word of three
letters or more, a two-letter word ("of", "be"), a name with a dot, slash or underscore in it
("Rmath.h", "asan_symbolize.py"), a name ending in digits ("C99³", "pcre2⁵"), a closing mark
(".", ",", ":", a quote) or a call's empty brackets ("new()¹²"). Digits raised after a number
no one raises to a power are a mark: a year ("in 2019¹"), a version or decimal ("Python 3.11²")
or a number a label word gives ("Figure 2³", "p. 12⁴"), whose notes may be endnotes or carry an
unraised number. Digits raised after another number ("2³¹", "ISO/IEC 60559¹") are read off the
page: a mark when a footnote of that number starts a line of the page (its own number raised
above its first word), else an exponent, "2^31". Digits whose footnote the page sets at its
foot (`pdf_footnotes`, which takes it out of the text) are its mark after a name or a number
("UTF-16LE¹", "gcc 10¹⁰⁷"), and an exponent after a letter ("x²"), two in lower case ("mc²") or
a bracket's end. Subscripts ("H₂O") and digits of the text's own size are left as they are.

The page's text is pdfium's bounded text, which leaves out most line breaks pdfium generates
where a raised character sits apart from its line ("y²" then ", in"): its characters are found
among the page's indexed ones in order, the extra breaks passed over (`char_indexes`). A page
where they cannot be matched is left as it is. A break it keeps before raised digits ("4",
"³", at a line's start) or after them, before a character on the line of the one they are
raised after, is left out with them; so is a space it puts before digits set a little apart
from what they follow, nearer than a word space (TeX's room after an italic word's slant:
"provided 3the language").
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Collection, Sequence

import pypdfium2.raw as pdfium_c

from rag.text.lexical import STOP_WORDS

# digits right after a letter, a digit, or a closing mark that a footnote's mark can follow,
# or after one of these and a line break pdfium put in where a raised character starts a line,
# or a space it put in where the mark stands a little apart (`_Page.set_against`)
_BASE = r"[^\W_]|[.,;:)\]”’\"']"
_AFTER_WORD = re.compile(
    rf"(?:(?<={_BASE})|(?<=(?:{_BASE})\r\n)|(?<=(?:{_BASE})\n)|(?<=(?:{_BASE}) ))\d+")
# a mark at most this share of the size of the character before it away from it is set
# against it (after an italic word TeX leaves its slant's room); a word space is wider
SET_AGAINST = 0.15
MAX_DIGITS = 3  # a raised number is at most this long
# what the digits are raised after: the characters since a space, an opening bracket or an
# operator (a symbol "x", "cm", a word, a file's name "Rmath.h", a bracket's end "(a+b)")
SYMBOL_CHARS = 40  # looked back over at most
_SYMBOL_BEFORE = re.compile(rf"[^\s(\[{{=+\-−*/]{{1,{SYMBOL_CHARS}}}$")
_EXPONENT_BASE = re.compile(r"[\d.,]*[^\W\d_]{1,2}|.*[)\]]")
# what an exponent follows even where the page has a footnote of its number: a letter or two
# in lower case ("x", "2x", "mc", "cm"), a bracket's end; not a name ("UTF-16LE", "UCS-2")
_FORMULA_SYMBOL = re.compile(r"[\d.,]*(?:[^\W\d_]|[^\W\d_A-Z]{2})|.*[)\]]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CALLED = "()"  # a call's empty brackets ("new()"): a bracket's end no power is raised on
# numbers that take a footnote's mark rather than an exponent
YEARS = range(1000, 2100)
LABELS = frozenset({"figure", "fig.", "figs.", "table", "tab.", "section", "sec.", "§",
                    "chapter", "chap.", "ch.", "page", "pages", "p.", "pp.", "equation", "eq.",
                    "eqn.", "appendix", "part", "example", "listing", "volume", "vol.",
                    "no.", "step", "note", "item", "line", "lines", "version", "release"})
LABEL_CHARS = 20  # looked back over for a label word
_WORD_BEFORE = re.compile(r"([^\W\d_][\w.]*|§)\s*$")
# a footnote's own number, where its text starts a line at the page's foot
_FOOTNOTE_START = re.compile(r"^(\d{1,3})\s+(?=\w)", re.MULTILINE)
SMALLER = 0.8  # a raised digit's font is at most this share of the character's before it
RAISED = 0.2  # and its baseline at least this share of that character's size above it
LINE_TOLERANCE = 0.5  # points between two baselines of one line
_CLOSING = frozenset(".,;:!?)]}’”\"'")  # what follows a word with no space between
_GENERATED = frozenset("\r\n ")  # what pdfium adds between characters, not all kept in a text
_HYPHEN_MARKS = frozenset("\x02\ufffe")  # a hyphen taken out, as each kind of text marks it


def superscripts_written(textpage, text: str, indexes: Sequence[int] | None = None,
                         noted: Collection[str] = ()) -> str:
    """The page's `text` (pdfium's bounded text of `textpage`, or another reading of its
    characters whose `indexes` among pdfium's are given) with footnote marks left out and
    exponents written as such. `noted` are the numbers of the page's footnotes that its
    text no longer holds (`pdf_footnotes`)."""
    found = list(_AFTER_WORD.finditer(text))
    if not found:
        return text
    at = indexes if indexes is not None else char_indexes(text, textpage)
    if at is None:
        return text
    page = _Page(textpage, text, at, noted)
    pieces, done = [], 0
    for digits in found:
        start, end = page.raised_from(*digits.span()), digits.end()
        if start is None or not page.set_against(start):
            continue
        pieces.append(text[done:page.base_of(start) + 1])
        goes_on = page.past_line_break(start, end)
        # what the line break left out stood between stays apart: "(1 − x)^2 e", "MB. ‘TeX"
        apart = goes_on > end and goes_on < len(text) and text[goes_on] not in _CLOSING
        if page.is_exponent(start, end):
            pieces.append("^" + text[start:end] + (" " if apart else ""))
        else:  # a footnote's mark
            glued = goes_on < len(text) and text[goes_on].isalnum()
            pieces.append(" " if glued or apart else "")
        done = goes_on
    return "".join(pieces) + text[done:] if pieces else text


class _Page:
    """A page's text, its characters' indexes among pdfium's, and the footnotes it holds."""

    def __init__(self, textpage, text: str, at: Sequence[int], noted: Collection[str] = ()
                 ) -> None:
        self.textpage, self.text, self.at, self.noted = textpage, text, at, noted
        self._footnotes: dict[str, set[int]] | None = None

    def base_of(self, start: int) -> int:
        """Where the character the digits at `start` are raised after is, past a line break
        or a space pdfium put in between."""
        before = start - 1
        while self.text[before] in "\r\n ":
            before -= 1
        return before

    def set_against(self, start: int) -> bool:
        """Whether the digits at `start` are set against the character they are raised
        after: a space between them is no wider than SET_AGAINST of its size, room TeX
        leaves after an italic word's slant ("provided³ the"), not a word space ("the ¹⁴C
        isotope", "f · 2")."""
        if self.text[start - 1] != " ":
            return True
        base = self.at[self.base_of(start)]
        gap = _char_box(self.textpage, self.at[start])[0] - _char_box(self.textpage, base)[1]
        return gap <= SET_AGAINST * pdfium_c.FPDFText_GetFontSize(self.textpage, base)

    def raised_from(self, start: int, end: int) -> int | None:
        """Where the raised digits end the digits from `start` to `end` begin ("2³¹": at
        "3"), or None when the last ones are not raised."""
        # most numbers are of one size: one look at their last digit tells
        if not _smaller(self.textpage, self.at[end - 1], self.at[self.base_of(start)]):
            return None
        for first in range(max(start, end - MAX_DIGITS), end):
            before = self.at[self.base_of(first)]
            if all(_raised(self.textpage, self.at[i], before) for i in range(first, end)):
                return first
        return None

    def past_line_break(self, start: int, end: int) -> int:
        """Where the text goes on after digits raised from `start` to `end`: past a line break
        pdfium put after them when the next character is on the line of the one they are
        raised after ("4", "³", ", whereas")."""
        line_break = re.match(r"\r?\n", self.text[end:end + 2])
        if line_break is None:
            return end
        after, base = end + line_break.end(), self.at[self.base_of(start)]
        if after >= len(self.text) or self.at[after] < 0:
            return end
        rise = baseline(self.textpage, self.at[after]) - baseline(self.textpage, base)
        return after if abs(rise) < LINE_TOLERANCE else end

    def is_exponent(self, start: int, end: int) -> bool:
        """Whether digits raised at `start` are an exponent (of "x", "cm", "2xy", "(a+b)",
        "2") rather than a footnote's mark. Digits whose footnote the page sets at its foot
        (`noted`) are its mark after a name or a number ("UTF-16LE¹", "gcc 10¹⁰⁷"), not after
        a formula's symbol ("x²", "mc²", "(a+b)²")."""
        base = self.base_of(start) + 1
        symbol = _SYMBOL_BEFORE.search(self.text, max(0, base - SYMBOL_CHARS), base)
        if symbol is None or self.text.endswith(_CALLED, 0, base):
            return False
        if self.text[start:end] in self.noted and not _FORMULA_SYMBOL.fullmatch(symbol.group()):
            return False  # its footnote is at the page's foot, and it follows a name or number
        if _NUMBER.fullmatch(symbol.group()):
            if _takes_marks(symbol.group(), self.text[max(0, symbol.start() - LABEL_CHARS):
                                                      symbol.start()]):
                return False
            # "2³¹" is an exponent, "ISO/IEC 60559¹" a mark: its footnote is on the page
            return not self.footnotes().get(self.text[start:end], set()) - {start}
        if not _EXPONENT_BASE.fullmatch(symbol.group()):
            return False
        # a word of two letters ("of", "be") is prose; one letter ("a", "x") is a variable
        return len(symbol.group()) != 2 or symbol.group().lower() not in STOP_WORDS

    def footnotes(self) -> dict[str, set[int]]:
        """Where the page holds each footnote's text, by its number: a line that starts with
        digits raised above the word after them."""
        if self._footnotes is None:
            self._footnotes = {}
            for number in _FOOTNOTE_START.finditer(self.text):
                if self._raised_above_next(*number.span(1), number.end()):
                    self._footnotes.setdefault(number.group(1), set()).add(number.start())
        return self._footnotes

    def _raised_above_next(self, start: int, end: int, next_char: int) -> bool:
        if self.at[next_char] < 0:
            return False
        return all(_raised(self.textpage, self.at[i], self.at[next_char])
                   for i in range(start, end))


def _takes_marks(number: str, before: str) -> bool:
    """Whether `number`, with `before` ahead of it, reads as a number no one raises to a
    power: a year ("2019"), a version or decimal ("3.11"), or what a label word numbers
    ("Figure 2", "p. 12"). Its notes may be endnotes or lack a raised number, so the page
    cannot tell."""
    if "." in number or (len(number) == 4 and number.isdigit() and int(number) in YEARS):
        return True
    label = _WORD_BEFORE.search(before)
    return label is not None and label.group(1).lower() in LABELS


def char_indexes(text: str, textpage) -> Sequence[int] | None:
    """Each character's index among the page's characters (-1: white space they lack), or None
    when the text is not those characters, some white space more or less."""
    count = pdfium_c.FPDFText_CountChars(textpage)
    if len(text) == count:
        return range(count)
    indexed = textpage.get_text_range()
    at: list[int] = []
    j = 0
    for ch in text:
        while j < len(indexed) and not _same(indexed[j], ch) and indexed[j] in _GENERATED:
            j += 1
        if j < len(indexed) and _same(indexed[j], ch):
            at.append(j)
            j += 1
        elif ch.isspace():
            at.append(-1)
        else:
            return None
    return at


def _same(indexed: str, ch: str) -> bool:
    return indexed == ch or (indexed in _HYPHEN_MARKS and ch in _HYPHEN_MARKS)


def _raised(textpage, index: int, before: int) -> bool:
    """Whether the character at `index` is drawn smaller than the one at `before` (the last
    one ahead of the digits), its baseline raised above that one's."""
    if not _smaller(textpage, index, before):
        return False
    reference = pdfium_c.FPDFText_GetFontSize(textpage, before)
    rise = baseline(textpage, index) - baseline(textpage, before)
    return RAISED * reference <= rise < reference  # within the line, not on the one above


def _smaller(textpage, index: int, before: int) -> bool:
    """Whether the character at `index` is drawn in a font at most SMALLER of the size of the
    one at `before`."""
    if before < 0:
        return False
    size = pdfium_c.FPDFText_GetFontSize(textpage, index)
    return 0 < size <= SMALLER * pdfium_c.FPDFText_GetFontSize(textpage, before)


def _char_box(textpage, index: int) -> tuple[float, float]:
    """The left and right edges of the page's character at `index`, in points."""
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    pdfium_c.FPDFText_GetCharBox(textpage, index, ctypes.byref(left), ctypes.byref(right),
                                 ctypes.byref(bottom), ctypes.byref(top))
    return left.value, right.value


def baseline(textpage, index: int) -> float:
    """The baseline of the page's character at `index`, in points from the page's foot."""
    x, y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(textpage, index, ctypes.byref(x), ctypes.byref(y))
    return y.value
