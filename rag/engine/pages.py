"""A PDF page as an image, with a cited passage highlighted on it (pypdfium2 + Pillow, offline).

The passage is the chunk text our loader extracted (pdfium's text, with line breaks and
hyphenation marks tidied; pypdf's for files pdfium could not open), so the two are matched
word by word
(case-insensitive), not character by character. Every run of at least three consecutive
passage words found in order on the page is highlighted; a passage that starts on this page and
ends on the next is highlighted where it is.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from ingest.pdfium import PDFIUM_LOCK

_WORD = re.compile(r"\w+", re.UNICODE)
HIGHLIGHT_FILL = (255, 214, 0, 90)
HIGHLIGHT_EDGE = (230, 140, 0, 255)


@dataclass(frozen=True)
class RenderedPage:
    png: bytes
    width: int
    height: int
    page: int  # 1-based
    pages: int  # in the document
    boxes: list[tuple[int, int, int, int]]  # highlighted areas, pixels (left, top, right, bottom)

    @property
    def highlighted(self) -> bool:
        return bool(self.boxes)


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


def passage_spans(page_text: str, passage: str, min_words: int = 3) -> list[tuple[int, int]]:
    """Character spans of `page_text` that hold the passage's words in order."""
    page_words = _words(page_text)
    wanted = [w for w, _, _ in _words(passage)]
    if not page_words or not wanted:
        return []
    need = min(min_words, len(wanted))
    matcher = SequenceMatcher(None, [w for w, _, _ in page_words], wanted, autojunk=False)
    spans = []
    for block in matcher.get_matching_blocks():
        if block.size >= need:
            first, last = page_words[block.a], page_words[block.a + block.size - 1]
            spans.append((first[1], last[2]))
    return spans


def render_page(data: bytes, page_number: int, passage: str | None = None,
                scale: float = 1.5) -> RenderedPage:
    """Render page `page_number` (1-based) of a PDF, highlighting `passage` where found.

    Raises ValueError for a page outside the document, and pypdfium2's PdfiumError for a file
    pdfium cannot open.
    """
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        return _render(pdfium.PdfDocument(data), page_number, passage, scale)


def _render(pdf, page_number: int, passage: str | None, scale: float) -> RenderedPage:
    from PIL import Image, ImageDraw

    try:
        if not 1 <= page_number <= len(pdf):
            raise ValueError(f"page {page_number} is outside the document (1 to {len(pdf)})")
        page = pdf[page_number - 1]
        image = page.render(scale=scale).to_pil().convert("RGBA")
        boxes: list[tuple[int, int, int, int]] = []
        if passage and page.get_rotation() == 0:
            boxes = _boxes(page, passage, scale, image.height)
        if boxes:
            overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(overlay)
            for box in boxes:
                draw.rectangle(box, fill=HIGHLIGHT_FILL, outline=HIGHLIGHT_EDGE, width=2)
            image = Image.alpha_composite(image, overlay)
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="PNG", optimize=True)
        return RenderedPage(buf.getvalue(), image.width, image.height, page_number, len(pdf),
                            boxes)
    finally:
        pdf.close()


def _boxes(page, passage: str, scale: float, height_px: int) -> list[tuple[int, int, int, int]]:
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count > 0 else ""
        if len(text) != count:  # characters pdfium cannot map one to one: no highlight
            return []
        left, bottom, _right, _top = page.get_cropbox()
        page_top = page.get_height() + bottom
        boxes = []
        for start, end in passage_spans(text, passage):
            for i in range(textpage.count_rects(start, end - start)):
                x0, y0, x1, y1 = textpage.get_rect(i)
                boxes.append((int((x0 - left) * scale) - 2, int((page_top - y1) * scale) - 2,
                              int((x1 - left) * scale) + 2, int((page_top - y0) * scale) + 2))
        return [b for b in boxes if b[3] > 0 and b[1] < height_px]
    finally:
        textpage.close()

