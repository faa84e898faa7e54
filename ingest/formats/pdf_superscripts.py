"""Digits a PDF draws small and raised after a word, which pdfium's text glues to the word.

A footnote's mark ("Australia¹ and", "a Terminal⁴ so") comes out as "Australia1 and" or
"Terminal4so": a search term no question holds, and a number read into the sentence. Such a
mark is left out, with a space kept between the words it joined. Digits raised after a symbol
of a letter or two ("x²", "cm²", "R²", "dx²") or after a closing bracket ("(y − ȳ)²") are an
exponent instead, and are written as plain text writes one, "x^2" (a superscript digit would
not last: text is NFKC-normalised, which makes "²" a "2"). A mark follows a word of three
letters or more, a two-letter word ("of", "be"), a name with a dot, slash or underscore in it
("Rmath.h", "asan_symbolize.py") or a closing mark (".", ",", ":", a quote). Subscripts
("H₂O") and digits of the text's own size are left as they are.

The page's text is pdfium's bounded text, which leaves out line breaks pdfium generates where a
raised character sits apart from its line ("y²" then ", in"): its characters are found among
the page's indexed ones in order, the extra breaks passed over (`char_indexes`). A page where they
cannot be matched is left as it is.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Sequence

import pypdfium2.raw as pdfium_c

from rag.text.lexical import STOP_WORDS

# digits right after a letter, or after a closing mark that a footnote's mark can follow
_AFTER_WORD = re.compile(r"(?<=[^\W\d_]|[.,;:)\]”’\"'])\d{1,3}(?!\d)")
# what the digits are raised after: the characters since a space, an opening bracket or an
# operator (a symbol "x", "cm", a word, a file's name "Rmath.h", a bracket's end "(a+b)")
SYMBOL_CHARS = 40  # looked back over at most
_SYMBOL_BEFORE = re.compile(rf"[^\s(\[{{=+\-−*/]{{1,{SYMBOL_CHARS}}}$")
_EXPONENT_BASE = re.compile(r"[\d.,]*[^\W\d_]{1,2}|.*[)\]]")
SMALLER = 0.8  # a raised digit's font is at most this share of the character's before it
RAISED = 0.2  # and its baseline at least this share of that character's size above it
_GENERATED = frozenset("\r\n ")  # what pdfium adds between characters, not all kept in a text
_HYPHEN_MARKS = frozenset("\x02\ufffe")  # a hyphen taken out, as each kind of text marks it


def superscripts_written(textpage, text: str, indexes: Sequence[int] | None = None) -> str:
    """The page's `text` (pdfium's bounded text of `textpage`, or another reading of its
    characters whose `indexes` among pdfium's are given) with footnote marks left out and
    exponents written as such."""
    found = list(_AFTER_WORD.finditer(text))
    if not found:
        return text
    at = indexes if indexes is not None else char_indexes(text, textpage)
    if at is None:
        return text
    pieces, done = [], 0
    for digits in found:
        start, end = digits.span()
        if not all(_raised(textpage, at[i], at[start] - 1) for i in range(start, end)):
            continue
        pieces.append(text[done:start])
        if _is_exponent(text, start):
            pieces.append("^" + digits.group())
        else:  # a footnote's mark
            glued = end < len(text) and text[end].isalnum()
            pieces.append(" " if glued else "")
        done = end
    return "".join(pieces) + text[done:] if pieces else text


def _is_exponent(text: str, start: int) -> bool:
    """Whether digits raised at `start` are an exponent (of "x", "cm", "2xy", "(a+b)") rather
    than a footnote's mark."""
    symbol = _SYMBOL_BEFORE.search(text, max(0, start - SYMBOL_CHARS), start)
    if symbol is None or not _EXPONENT_BASE.fullmatch(symbol.group()):
        return False
    # a word of two letters ("of", "be") is prose; one letter ("a", "x") is a variable
    return len(symbol.group()) != 2 or symbol.group().lower() not in STOP_WORDS


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
    if before < 0:
        return False
    size = pdfium_c.FPDFText_GetFontSize(textpage, index)
    reference = pdfium_c.FPDFText_GetFontSize(textpage, before)
    if not (0 < size <= SMALLER * reference):
        return False
    return _baseline(textpage, index) - _baseline(textpage, before) >= RAISED * reference


def _baseline(textpage, index: int) -> float:
    x, y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(textpage, index, ctypes.byref(x), ctypes.byref(y))
    return y.value
