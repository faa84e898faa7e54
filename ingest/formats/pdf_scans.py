"""Whether images cover a PDF page: a scan, which OCR reads, though a short line of text
(an e-filing header, a Bates number, "Page 2 of 9") is stamped on it as text. The page's image
objects are measured with pypdfium2, those inside form XObjects too, overlaps counted once.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator

import numpy as np
import pypdfium2.raw as pdfium_c
from pypdfium2 import PdfMatrix

SCAN_COVER = 0.8  # the share of a page its images cover, at least, for a scan
EDGE = 0.15  # a stamp stands within this share of the page's height of its top or bottom


def stamped_at_edges(page) -> bool:
    """Whether all of a pdfium page's text stands at its top or bottom edge, as a stamp on a
    scan does (an e-filing header, a Bates number), where a slide's or a cover's text over a
    full-page picture stands in its body."""
    left, bottom, right, top = page.get_bbox()
    band = EDGE * (top - bottom)
    textpage = page.get_textpage()
    try:
        for index in range(textpage.count_chars()):
            x0, y0, x1, y1 = textpage.get_charbox(index)
            if x1 <= x0 and y1 <= y0:  # a space or a line break pdfium put in: no box
                continue
            middle = (y0 + y1) / 2
            if bottom + band < middle < top - band:
                return False
    finally:
        textpage.close()
    return True


def covered_by_images(page) -> bool:
    """Whether images cover at least SCAN_COVER of a pdfium page's visible area, overlaps
    counted once. Form XObjects are looked into only when they and the page's own images
    could cover that much: a figure drawn as thousands of paths in a form is not walked."""
    box = page.get_bbox()
    drawn = [obj for obj in _children(page.raw, pdfium_c.FPDFPage_CountObjects,
                                      pdfium_c.FPDFPage_GetObject)
             if pdfium_c.FPDFPageObj_GetType(obj) in (pdfium_c.FPDF_PAGEOBJ_IMAGE,
                                                      pdfium_c.FPDF_PAGEOBJ_FORM)]
    if _share([_bounds(obj) for obj in drawn], box) < SCAN_COVER:
        return False
    images = [rect for obj in drawn for rect in _image_bounds(obj)]
    return _share(images, box) >= SCAN_COVER


Rect = tuple[float, float, float, float]  # left, bottom, right, top
_FORM_DEPTH = 8  # forms inside forms looked into


def _children(parent, count, get) -> list:
    return [get(parent, index) for index in range(max(count(parent), 0))]


def _bounds(obj) -> Rect:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
        return (0.0, 0.0, 0.0, 0.0)
    return (left.value, bottom.value, right.value, top.value)


def _image_bounds(obj, depth: int = 0) -> Iterator[Rect]:
    """The bounds of the images `obj` draws, in the space `obj` is drawn in: pdfium gives
    those of an object inside a form XObject in the form's own space."""
    kind = pdfium_c.FPDFPageObj_GetType(obj)
    if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
        yield _bounds(obj)
    elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < _FORM_DEPTH:
        matrix = pdfium_c.FS_MATRIX()
        if not pdfium_c.FPDFPageObj_GetMatrix(obj, matrix):
            return
        placed = PdfMatrix.from_raw(matrix)
        for child in _children(obj, pdfium_c.FPDFFormObj_CountObjects,
                               pdfium_c.FPDFFormObj_GetObject):
            for rect in _image_bounds(child, depth + 1):
                yield placed.on_rect(*rect)


def _share(rects: list[Rect], box: Rect) -> float:
    """The share of `box` the union of `rects` covers, on a grid of _GRID x _GRID cells (a
    page of thousands of images is measured as fast as a page of one)."""
    left, bottom, right, top = box
    covered = np.zeros((_GRID, _GRID), dtype=bool)
    for x0, y0, x1, y1 in rects:
        covered[_cell(y0, bottom, top):_cell(y1, bottom, top),
                _cell(x0, left, right):_cell(x1, left, right)] = True
    return float(covered.mean())


_GRID = 200


def _cell(value: float, low: float, high: float) -> int:
    """The grid line nearest `value` between `low` and `high`, 0 to _GRID."""
    share = (value - low) / (high - low) if high > low else 0.0
    if not share > 0:  # NaN too
        return 0
    return _GRID if share >= 1 else round(share * _GRID)
