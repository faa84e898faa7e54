"""The text a PDF page shows: what lies within its box, and the lines that run past its edge.

pdfium's bounded text holds the characters within a rectangle. Over the page's box (the crop
box within the media box, what a viewer draws) it leaves out what the page hides: text outside
a crop (printer's marks, the other half of a spread) or placed off the page. A line that runs
past the box's edge (a long address, a line of code TeX could not break) is the document's
text all the same; read over the box alone it would end at the edge ("...x86_64.ta" for
"...x86_64.tar.xz"), and its text would not match the page's characters
(`pdf_superscripts.char_indexes`), which leaves the page's footnotes, headings and code in its
text. So on a page where a run of text (a text object's characters on a line) lies partly
within the box, each run with a character within it is read whole, and a run wholly outside
it stays out, however far another line runs (`_runs_on_page_text`). The characters are read as
pdfium's bounded text reads them (`_text_of`), so the text is in the form the page's other
readers expect.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c

Box = tuple[float, float, float, float]  # left, bottom, right, top, in points
_LINE_BREAK = "\r\n"  # what pdfium's bounded text puts between lines


def page_box_text(textpage) -> str:
    """pdfium's text of the page within its box, each run of text partly within it taken
    whole."""
    page = textpage.page.get_bbox()
    # pdfium reads a rectangle far faster than the characters are read here one by one: only
    # a page with a line past its edge (a few in a manual) is read so
    if not _runs_past_edge(textpage, page):
        return textpage.get_text_bounded(*page)
    return _runs_on_page_text(textpage, page)


def _runs_past_edge(textpage, page: Box) -> bool:
    """Whether a run of text (pdfium's rectangle around a text object's characters on a line)
    lies partly within the page's box and partly outside it."""
    for index in range(textpage.count_rects()):
        run = textpage.get_rect(index)
        if _overlap(run, page) and not _within(run, page):
            return True
    return False


@dataclass(frozen=True)
class _Char:
    """One of pdfium's characters of a page, with what its bounded text reads it by."""

    code: int  # its Unicode code point; 0 for none
    box: Box
    baseline: float
    run: int | None  # the address of the text object drawing it

    @property
    def drawn(self) -> bool:
        """Whether it covers some of the page (a space or line break pdfium put in does not)."""
        return self.box[0] < self.box[2] and self.box[1] < self.box[3]


def _runs_on_page_text(textpage, page: Box) -> str:
    """The page's text: every character of each run with a character within the box."""
    chars = [_char(textpage.raw, index) for index in range(textpage.count_chars())]
    on_page = {char.run for char in chars if char.drawn and _overlap(char.box, page)}
    return _text_of(chars, lambda char: char.drawn and char.run in on_page)


def _char(raw_textpage, index: int) -> _Char:
    left, right, bottom, top, x, y = (ctypes.c_double() for _ in range(6))
    pdfium_c.FPDFText_GetCharBox(raw_textpage, index, left, right, bottom, top)
    pdfium_c.FPDFText_GetCharOrigin(raw_textpage, index, x, y)
    run = ctypes.cast(pdfium_c.FPDFText_GetTextObject(raw_textpage, index), ctypes.c_void_p)
    box = (min(left.value, right.value), min(bottom.value, top.value),
           max(left.value, right.value), max(bottom.value, top.value))
    return _Char(pdfium_c.FPDFText_GetUnicode(raw_textpage, index), box, y.value, run.value)


def _text_of(chars: Sequence[_Char], taken: Callable[[_Char], bool]) -> str:
    """The `taken` characters' text as pdfium's bounded text writes the characters within its
    rectangle (`CPDF_TextPage::GetTextByPredicate`): a line break before a taken character on
    another line than the last that opened one, where characters left out came between; a
    space left out kept once after a taken character."""
    pieces: list[str] = []
    line = 0.0
    after_taken = left_out = False
    for char in chars:
        if taken(char):
            if left_out and char.baseline != line:
                line = char.baseline
                if pieces:
                    pieces.append(_LINE_BREAK)
            after_taken, left_out = True, False
            pieces.append(_written(char.code))
        elif char.code == ord(" "):
            if after_taken:
                pieces.append(" ")
                after_taken = False
        else:
            after_taken, left_out = False, True
    return "".join(pieces)


def _written(code: int) -> str:
    """A character's code point as text; none for 0, nor for what is no character (a lone
    surrogate, past Unicode's last), which pdfium's text, decoded from UTF-16, leaves out."""
    if not code or 0xD800 <= code <= 0xDFFF or code > sys.maxunicode:
        return ""
    return chr(code)


def _overlap(one: Box, other: Box) -> bool:
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]


def _within(one: Box, other: Box) -> bool:
    return other[0] <= one[0] and one[2] <= other[2] and other[1] <= one[1] and one[3] <= other[3]
