"""Right-to-left text (Arabic, Persian, Hebrew) that pdfium reads out of its order.

A PDF draws glyphs where they stand, not in the order they are read: Chromium and fpdf2 draw
right-to-left text glyph by glyph from left to right, each glyph an object of its own. pdfium
puts such glyphs back in reading order and fails on many: it returns whole words
letter-reversed ("عقي" for "يقع") or runs them together, and a search for the words on the
page finds nothing. Whether it failed is seen on the page itself: read in order, each
right-to-left letter on a line stands left of the one before it. pypdf reads these files in
order, and its text is taken for a page where pdfium's runs rightwards (`misordered`) and
pypdf holds the same letters (`same_letters`).
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from collections import Counter
from itertools import pairwise

import pypdfium2.raw as pdfium_c

from rag.text.controls import is_right_to_left

# Hebrew, Arabic (with Persian's and Urdu's letters), Syriac, Thaana, N'Ko and their
# presentation forms: a page without one of these is not looked at again
_RTL_RANGES = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc"
_RIGHT_TO_LEFT = re.compile(f"[{_RTL_RANGES}]")
# Read in order, no step between two right-to-left letters of a line runs rightwards; a few
# may where pdfium takes two columns' lines at one height for one line.
MISORDERED_SHARE = 0.1
# pypdf writes a right-to-left word and a figure or a Latin word beside it with no space
# between ("مارس12", "عامLinux"), where the page has one: each would be searched as one word
_GLUED = re.compile(f"(?<=[{_RTL_RANGES}])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[{_RTL_RANGES}])")
# and a right-to-left line's closing stop at the line's start, where it is drawn
_LEADING_STOP = re.compile(f"^([.!:\u060c\u061b\u061f]++)[ \t]*+(.*[{_RTL_RANGES}].*?)[ \t]*$",
                           re.MULTILINE)


def tidied(pypdf_text: str) -> str:
    """pypdf's text of a right-to-left page with a space between a right-to-left word and a
    figure or Latin word it runs into, and each line's closing stop at its end."""
    return _LEADING_STOP.sub(r"\2\1", _GLUED.sub(" ", pypdf_text))


def has_right_to_left(text: str) -> bool:
    return _RIGHT_TO_LEFT.search(text) is not None


def misordered(textpage) -> bool:
    """Whether pdfium's text of the page (`textpage`) holds its right-to-left letters out of
    reading order: more than a few steps from one such letter to the next on its line run
    rightwards."""
    rightwards = steps = 0
    for (x, bottom, top), (next_x, next_bottom, next_top) in pairwise(
            _right_to_left_letters(textpage)):
        if next_bottom < top and bottom < next_top:  # on one line: their heights overlap
            steps += 1
            if next_x > x:
                rightwards += 1
    return rightwards > MISORDERED_SHARE * steps


def _right_to_left_letters(textpage) -> list[tuple[float, float, float]]:
    """The middle, bottom and top of each right-to-left letter of the page, in pdfium's
    order."""
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    letters = []
    for index, char in enumerate(_indexed_chars(textpage)):
        if char.isalpha() and is_right_to_left(char):
            pdfium_c.FPDFText_GetCharBox(textpage.raw, index, left, right, bottom, top)
            letters.append(((left.value + right.value) / 2, bottom.value, top.value))
    return letters


def _indexed_chars(textpage) -> str:
    """The page's characters, one for each of pdfium's indexes."""
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count > 0 else ""
    if len(text) == count:
        return text
    # a character outside the BMP is two of pdfium's indexes: read them one by one
    return "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, index))
                   for index in range(count))


def same_letters(text: str, other: str) -> bool:
    """Whether two readings of a page hold the same right-to-left letters, as many of each
    (compatibility forms, such as the presentation forms pypdf returns, read as their
    letters)."""
    return _letter_counts(text) == _letter_counts(other)


def _letter_counts(text: str) -> Counter[str]:
    return Counter(char for char in unicodedata.normalize("NFKC", text)
                   if char.isalpha() and is_right_to_left(char))


def word_key(word: str) -> str:
    """A word as the page viewer matches it against pdfium's text: a right-to-left word and
    its reversal are one, since the stored text may hold in order a word pdfium reverses."""
    return min(word, word[::-1]) if has_right_to_left(word) else word
