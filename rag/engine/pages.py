"""A PDF page or a scanned image as a picture, with a cited passage highlighted on it
(pypdfium2 + Pillow, offline).

The passage is the chunk text our loader extracted (pdfium's text, with line breaks and
hyphenation marks tidied; pypdf's for files pdfium could not open and for pages whose
right-to-left letters pdfium reads out of order; Tesseract's for a scan), so the two are
matched word by word (case-insensitive, and a right-to-left word also as its reversal, as
pdfium reads some of them), not character by character. Every run of at least three
consecutive passage words found in order on the page is highlighted; a passage that starts on
this page and ends on the next is highlighted where it is. On a page that was read by OCR (no
text layer) the page is OCR'd again as at ingest, same image, same words, and Tesseract's word
boxes are highlighted.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from ingest.formats import ocr
from ingest.formats.base import LoadOptions
from ingest.formats.images import dpi_of, for_ocr, frame, frames, open_image
from ingest.formats.pdf import marked_page, needs_ocr, render_for_ocr
from ingest.formats.pdf_columns import column_reading
from ingest.formats.pdf_rtl import word_key
from ingest.pdfium import PDFIUM_LOCK

_WORD = re.compile(r"\w+", re.UNICODE)
# between the halves of a word a line's end cut: a hyphen (pdfium's soft one, \x02, among
# them) and the line break, or pdfium's mark alone where it took both out (\x02, \ufffe)
_LINE_END_HYPHEN = re.compile(r"[-\x02\u00ad][ \t]*\r?\n[ \t]*|[\x02\ufffe]")
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
    return [(word_key(m.group().lower()), m.start(), m.end()) for m in _WORD.finditer(text)]


def _page_words(text: str, wanted: set[str]) -> list[tuple[str, int, int]]:
    """The page's words, a word hyphenated at a line's end ("inspec-" then "tion") as one
    where the passage holds it so, as ingest joined it (not "well-" then "known", which it
    keeps hyphenated: two words, as the passage has them)."""
    words: list[tuple[str, int, int]] = []
    for word, start, end in _words(text):
        if (words and words[-1][0] + word in wanted
                and _LINE_END_HYPHEN.fullmatch(text, words[-1][2], start)):
            before, first, _ = words.pop()
            word, start = before + word, first
        words.append((word, start, end))
    return words


def passage_spans(page_text: str, passage: str, min_words: int = 3) -> list[tuple[int, int]]:
    """Character spans of `page_text` that hold the passage's words in order."""
    wanted = [w for w, _, _ in _words(passage)]
    page_words = _page_words(page_text, set(wanted))
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
                scale: float = 1.5, options: LoadOptions | None = None,
                longest_side: int = 2400) -> RenderedPage:
    """Render page `page_number` (1-based) of a PDF, highlighting `passage` where found, at
    `scale` or smaller: no side longer than `longest_side` pixels (a page may be declared
    200 inches square, which would take gigabytes at the scale a letter page is shown).

    With `options`, a page read by OCR at ingest is OCR'd again for its word boxes (pdfium's
    lock is not held meanwhile). Raises ValueError for a page outside the document, and
    pypdfium2's PdfiumError for a file pdfium cannot open.
    """
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
        try:
            if not 1 <= page_number <= len(pdf):
                raise ValueError(f"page {page_number} is outside the document "
                                 f"(1 to {len(pdf)})")
            pages = len(pdf)
            page = pdf[page_number - 1]
            scale = min(scale, longest_side / max(*page.get_size(), 1))
            image = page.render(scale=scale).to_pil().convert("RGBA")
            boxes: list[tuple[int, int, int, int]] = []
            scan = None
            # weighed by the text ingest weighs it by (`_pdfium_pages`): a scan there is one here
            if passage and options is not None and needs_ocr(page, marked_page(page).text,
                                                             options.ocr):
                scan = render_for_ocr(page, options.ocr_dpi)
            elif passage:
                boxes = _boxes(page, passage, scale, image.height)
            page.close()
        finally:
            pdf.close()
    if scan is not None and passage and options is not None:
        scan_image, dpi = scan
        boxes = _ocr_boxes(scan_image, passage, options, dpi, scale * 72 / dpi)
    return _drawn(image, boxes, page_number, pages)


def render_image(data: bytes, page_number: int, passage: str | None = None,
                 options: LoadOptions | None = None, longest_side: int = 1400) -> RenderedPage:
    """Frame `page_number` (1-based) of an image file, with `passage` highlighted by OCR."""
    image = open_image(Path("image"), data)
    count, _ = frames(image)
    if not 1 <= page_number <= count:
        raise ValueError(f"page {page_number} is outside the image (1 to {count})")
    full = frame(image, page_number)
    boxes: list[tuple[int, int, int, int]] = []
    factor = min(1.0, longest_side / max(full.size))
    if passage:  # OCR'd as at ingest, so the words are the same
        options = options or LoadOptions()
        scanned, dpi, upscale = for_ocr(full, dpi_of(image), options)
        boxes = _ocr_boxes(scanned, passage, options, dpi, factor / upscale)
    shown = full if factor == 1.0 else full.resize(
        (round(full.width * factor), round(full.height * factor)))
    return _drawn(shown.convert("RGBA"), boxes, page_number, count)


def _drawn(image, boxes: list[tuple[int, int, int, int]], page_number: int,
           pages: int) -> RenderedPage:
    from PIL import Image, ImageDraw

    if boxes:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for box in boxes:
            draw.rectangle(box, fill=HIGHLIGHT_FILL, outline=HIGHLIGHT_EDGE, width=2)
        image = Image.alpha_composite(image, overlay)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG", optimize=True)
    return RenderedPage(buf.getvalue(), image.width, image.height, page_number, pages, boxes)


def _ocr_boxes(image, passage: str, options: LoadOptions, dpi: int | None,
               factor: float) -> list[tuple[int, int, int, int]]:
    """Tesseract's boxes of the passage's words on `image`, scaled by `factor`, joined along
    each line; none when OCR is not installed or fails (the page is shown all the same)."""
    try:
        scanned = ocr.read_image(image, options, dpi)
    except (ocr.OcrUnavailable, ocr.OcrFailed):
        return []
    boxes: list[tuple[int, int, int, int]] = []
    for start, end in passage_spans(scanned.text, passage):
        line: list[int] | None = None
        for word in scanned.words:
            if word.end <= start or word.start >= end:  # a word overlapping the span is in it
                continue
            left, top, right, bottom = (round(v * factor) for v in word.box)
            if line and top < line[3] and bottom > line[1] and left >= line[2]:
                line[2], line[1], line[3] = right, min(line[1], top), max(line[3], bottom)
                continue
            if line:
                boxes.append(_padded(line))
            line = [left, top, right, bottom]
        if line:
            boxes.append(_padded(line))
    return boxes


def _padded(box: list[int]) -> tuple[int, int, int, int]:
    return box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2


def _boxes(page, passage: str, scale: float, height_px: int) -> list[tuple[int, int, int, int]]:
    textpage = page.get_textpage()
    try:
        ranges = _passage_ranges(textpage, passage)
        # the box pdfium draws: the crop box within the media box, either inherited from the
        # page tree (fpdf2 writes them there); get_cropbox() reads the page's own alone and
        # falls back to US Letter, which put an A4 page's highlights a few lines too high
        left, bottom, right, top = page.get_bbox()
        size = ((right - left) * scale, (top - bottom) * scale)  # the page drawn upright
        boxes = []
        for start, end in ranges:
            for i in range(textpage.count_rects(start, end - start)):
                x0, y0, x1, y1 = textpage.get_rect(i)
                upright = ((x0 - left) * scale, (top - y1) * scale, (x1 - left) * scale,
                           (top - y0) * scale)
                x0, y0, x1, y1 = _turned(upright, size, page.get_rotation())
                boxes.append((int(x0) - 2, int(y0) - 2, int(x1) + 2, int(y1) + 2))
        return [b for b in boxes if b[3] > 0 and b[1] < height_px]
    finally:
        textpage.close()


def _passage_ranges(textpage, passage: str) -> list[tuple[int, int]]:
    """The runs of pdfium's character indexes the passage covers on the page, read in the
    order ingest read it (a page of two columns drawn line by line, column by column)."""
    columns = column_reading(textpage)
    if columns is not None:
        return [run for start, end in passage_spans(columns.text, passage)
                for run in columns.index_ranges(start, end)]
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count > 0 else ""
    indexes = _char_indexes(text)
    if indexes[-1] != count:  # characters pdfium cannot map to its own: no highlight
        return []
    return [(indexes[start], indexes[end]) for start, end in passage_spans(text, passage)]


def _char_indexes(text: str) -> list[int]:
    """pdfium's index of each character of `text`, and of its end: a character outside the
    BMP (a math italic 𝑛, an emoji) is two of pdfium's (UTF-16's), one of Python's."""
    indexes, at = [], 0
    for char in text:
        indexes.append(at)
        at += 2 if ord(char) > 0xFFFF else 1
    indexes.append(at)
    return indexes


def _turned(box: tuple[float, float, float, float], size: tuple[float, float],
            rotation: int) -> tuple[float, float, float, float]:
    """A box on the upright page (`size` wide and high, y down) where it lies once the page
    is turned `rotation` degrees clockwise, as /Rotate turns it and pdfium draws it."""
    x0, y0, x1, y1 = box
    width, height = size
    if rotation == 90:
        return height - y1, x0, height - y0, x1
    if rotation == 180:
        return width - x1, height - y1, width - x0, height - y0
    if rotation == 270:
        return y0, width - x1, y1, width - x0
    return box

