"""The text a PDF page shows: what lies within its box, and the lines that run past its edge.

pdfium's bounded text holds the characters within a rectangle. Over the page's box (the crop
box within the media box, what a viewer draws) it leaves out what the page hides: text outside
a crop (printer's marks, the other half of a spread) or placed off the page. A line that runs
past the box's edge (a long address, a line of code TeX could not break) is the document's
text all the same; read over the box alone it would end at the edge ("...x86_64.ta" for
"...x86_64.tar.xz"), and its text would not match the page's characters
(`pdf_superscripts.char_indexes`), which leaves the page's footnotes, headings and code in its
text. So the box read is the page's, widened to take in whole each run of text (pdfium's
rectangle around a text object's characters on a line) that lies at least partly within it.
A run wholly outside the page stays out, unless it lies no farther out than such a line runs
(the box read is one rectangle).
"""

from __future__ import annotations

Box = tuple[float, float, float, float]  # left, bottom, right, top, in points


def page_box_text(textpage) -> str:
    """pdfium's text of the page within its box, each line that runs past the box's edge
    taken whole (`widened_box`)."""
    return textpage.get_text_bounded(*widened_box(textpage))


def widened_box(textpage) -> Box:
    """The page's box, widened to hold each run of text that lies at least partly within it."""
    page = textpage.page.get_bbox()
    left, bottom, right, top = page
    for index in range(textpage.count_rects()):
        run = textpage.get_rect(index)
        if _overlap(run, page):
            left, bottom = min(left, run[0]), min(bottom, run[1])
            right, top = max(right, run[2]), max(top, run[3])
    return left, bottom, right, top


def _overlap(one: Box, other: Box) -> bool:
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]
