"""The text a PDF page shows: what lies within its box, and the lines that run past its edge.

pdfium's bounded text holds the characters within a rectangle. Over the page's box (the crop
box within the media box, what a viewer draws) it leaves out what the page hides: text outside
a crop (printer's marks, the other half of a spread) or placed off the page. A line that runs
past the box's edge (a long address, a line of code TeX could not break) is the document's
text all the same; read over the box alone it would end at the edge ("...x86_64.ta" for
"...x86_64.tar.xz"), and its text would not match the page's characters
(`pdf_superscripts.char_indexes`), which leaves the page's footnotes, headings and code in its
text. So on a page where a run of text (a text object's characters on a line) lies partly
within the box, each stretch of a run with a character within it is read whole: a stretch is
the characters that follow each other at the run's spacing, the line going on past the edge.
A jump in a run (a kerning of hundreds of points within a TJ, a letter spacing as wide) ends
a stretch, so what it carries off the page stays out, as does a run wholly outside the box,
however far another line runs (`_runs_on_page_text`). The characters are read as pdfium's
bounded text reads them (`_text_of`), so the text is in the form the page's other readers
expect.
"""

from __future__ import annotations

import ctypes
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c

Box = tuple[float, float, float, float]  # left, bottom, right, top, in points
_LINE_BREAK = "\r\n"  # what pdfium's bounded text puts between lines
# a character further than this many of its font's heights from the one before it in its run
# is a jump: word spaces, kerned or drawn, and a few typewriter spaces in a row are nearer
JUMP = 2.0


def page_box_text(textpage) -> str:
    """pdfium's text of the page within its box, each line partly within it taken to its end,
    as far as it runs on without a jump."""
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
    # its font's height by its advance: the next character of its line starts where it ends
    loose_box: Box
    generated: bool  # put in by pdfium (a space for a gap, a line break), not drawn by the page

    @property
    def drawn(self) -> bool:
        """Whether it covers some of the page (a space or line break pdfium put in does not)."""
        return self.box[0] < self.box[2] and self.box[1] < self.box[3]


def _runs_on_page_text(textpage, page: Box) -> str:
    """The page's text: the characters of each stretch of a run, drawn without a jump, that
    has a character within the box."""
    chars = [_char(textpage.raw, index) for index in range(textpage.count_chars())]
    read = _on_page_stretches(chars, page)
    return _text_of(chars, [char.drawn and index in read for index, char in enumerate(chars)])


def _on_page_stretches(chars: Sequence[_Char], page: Box) -> set[int]:
    """The indexes of the characters of each stretch with a character within the box: a
    stretch is a run's characters each drawn where the one before it ends, give or take a few
    word spaces. A jump starts another, so text set off the page stays out however it is
    joined to a line on it."""
    stretches: list[list[int]] = []
    open_stretch: dict[int, list[int]] = {}
    for index, char in enumerate(chars):
        if char.generated or char.run is None:
            continue
        stretch = open_stretch.get(char.run)
        if stretch is None or not _follows(chars[stretch[-1]], char):
            stretch = open_stretch[char.run] = []
            stretches.append(stretch)
        stretch.append(index)
    return {index for stretch in stretches
            if any(chars[i].drawn and _overlap(chars[i].box, page) for i in stretch)
            for index in stretch}


def _follows(before: _Char, char: _Char) -> bool:
    """Whether `char` is drawn where `before` ends, give or take JUMP of their font's height."""
    height = max(_extent(before.loose_box), _extent(char.loose_box))
    return _gap(before.loose_box, char.loose_box) <= JUMP * height


def _extent(box: Box) -> float:
    """A loose box's longer side: about its font's height, whichever way its line runs."""
    return max(box[2] - box[0], box[3] - box[1])


def _gap(one: Box, other: Box) -> float:
    """How far apart two boxes are, along the line or across it (0 for boxes that meet)."""
    across = max(other[0] - one[2], one[0] - other[2], 0.0)
    up = max(other[1] - one[3], one[1] - other[3], 0.0)
    return math.hypot(across, up)


def _char(raw_textpage, index: int) -> _Char:
    left, right, bottom, top, x, y = (ctypes.c_double() for _ in range(6))
    pdfium_c.FPDFText_GetCharBox(raw_textpage, index, left, right, bottom, top)
    pdfium_c.FPDFText_GetCharOrigin(raw_textpage, index, x, y)
    loose = pdfium_c.FS_RECTF()
    pdfium_c.FPDFText_GetLooseCharBox(raw_textpage, index, loose)
    run = ctypes.cast(pdfium_c.FPDFText_GetTextObject(raw_textpage, index), ctypes.c_void_p)
    box = (min(left.value, right.value), min(bottom.value, top.value),
           max(left.value, right.value), max(bottom.value, top.value))
    loose_box = (min(loose.left, loose.right), min(loose.bottom, loose.top),
                 max(loose.left, loose.right), max(loose.bottom, loose.top))
    return _Char(pdfium_c.FPDFText_GetUnicode(raw_textpage, index), box, y.value, run.value,
                 loose_box, pdfium_c.FPDFText_IsGenerated(raw_textpage, index) == 1)


def _text_of(chars: Sequence[_Char], taken: Sequence[bool]) -> str:
    """The `taken` characters' text as pdfium's bounded text writes the characters within its
    rectangle (`CPDF_TextPage::GetTextByPredicate`): a line break before a taken character on
    another line than the last that opened one, where characters left out came between; a
    space left out kept once after a taken character."""
    pieces: list[str] = []
    line = 0.0
    after_taken = left_out = False
    for char, is_taken in zip(chars, taken, strict=True):
        if is_taken:
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
