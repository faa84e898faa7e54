"""PDF: each page's text layer, and Tesseract's reading of the pages that have none (scans).

The text layer comes from pdfium (pypdfium2), with pypdf as the fallback for files pdfium
cannot open. With RAG_OCR=auto a page is OCR'd when its text layer holds almost nothing and it
shows an image: a scan. A mixed PDF gets its text pages read and its scanned pages OCR'd, each
under its own page number. OCR renders the page with pdfium at RAG_OCR_DPI, one page per OCR
thread at a time (`ocr.read_pages`), with pdfium's lock taken only while a page is drawn.
Running headers and footers are taken out of the pages' text (`running_lines`).
"""

from __future__ import annotations

import io
import logging
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.formats import ocr
from ingest.formats.base import (
    MAX_DOCUMENT_CHARS,
    MAX_IMAGE_PIXELS,
    MAX_PAGES,
    LoadOptions,
    OcrMode,
    Pages,
    Parsed,
    library_error,
    too_large,
    too_much_text,
)
from ingest.formats.pdf_text import mended
from ingest.formats.running_lines import without_running_lines
from ingest.pdfium import PDFIUM_LOCK
from rag.errors import DocumentError

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)
# pypdf logs every repair it tries on a damaged file ("incorrect startxref pointer",
# "PdfReadError(...)" with the file's bytes); with no handler of its own Python prints them
# amid the progress lines. A file it cannot read is reported with the reason all the same.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

MIN_TEXT_CHARS = 20  # fewer characters (besides spaces) than this: "almost no text layer"

# pdfium ends lines with \r\n and marks a hyphenation point it has joined with \x02
_PDFIUM_TEXT = re.compile("\r\n|\r|\x02")


def needs_ocr(page, text: str, mode: OcrMode) -> bool:
    """Whether a pdfium page with this text layer is OCR'd (its objects are looked at only
    when its text is scant: a text page is not slowed)."""
    if mode == "off":
        return False
    if mode == "force":
        return True
    return len("".join(text.split())) < MIN_TEXT_CHARS and shows_image(page)


def shows_image(page) -> bool:
    """Whether a pdfium page draws at least one image (a scan is one)."""
    import pypdfium2.raw as pdfium_c

    return next(iter(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])), None) is not None


def page_text(page) -> str:
    """pdfium's text of a page, line ends and hyphenation marks tidied."""
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_bounded()
    finally:
        textpage.close()
    return mended(_PDFIUM_TEXT.sub(lambda m: "" if m.group() == "\x02" else "\n", text))


def render_for_ocr(page, dpi: int) -> tuple[Image, int]:
    """A pdfium page drawn in grey at `dpi` (less for a page too large to draw at it)."""
    width, height = page.get_size()
    scale = min(dpi / 72, math.sqrt(MAX_IMAGE_PIXELS / max(width * height, 1)))
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        image = bitmap.to_pil().copy()  # the bitmap's memory is freed with it
    finally:
        bitmap.close()
    return image, round(scale * 72)


def load_pdf(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    """A PDF's title and the text of each page: pdfium's, or pypdf's when pdfium cannot open
    the file (pypdf reads some damaged files pdfium refuses, and names why it cannot)."""
    if not data.lstrip()[:1024].find(b"%PDF") >= 0:
        raise DocumentError("mislabelled", f"{path}: named .pdf but is not a PDF file")
    return _pdfium_pages(path, data, options) or _pypdf_pages(path, data)


def _pdfium_pages(path: Path, data: bytes, options: LoadOptions) -> Parsed | None:
    """pdfium's text extraction, in C++: much faster than pypdf's on real manuals, with the
    same words (it also joins words hyphenated across lines). None if it cannot open."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            return None
    try:
        texts, scans, warnings = {}, [], []
        chars = 0  # all of `texts`: the bound is met before any page is OCR'd
        with PDFIUM_LOCK:
            if len(pdf) > MAX_PAGES:
                raise too_large(path, f"{len(pdf):,} pages is more than {MAX_PAGES:,}")
            for number in range(1, len(pdf) + 1):
                try:
                    page = pdf[number - 1]
                    try:
                        texts[number] = page_text(page)
                        chars += len(texts[number])
                        if chars > MAX_DOCUMENT_CHARS:
                            raise too_much_text(path, MAX_DOCUMENT_CHARS)
                        if needs_ocr(page, texts[number], options.ocr):
                            scans.append(number)
                    finally:
                        page.close()
                except pdfium.PdfiumError as exc:  # one bad page must not lose the others
                    log.warning("%s: page %d unreadable (%s); skipped", path, number, exc)
                    warnings.append(f"page {number} could not be read ({exc}); skipped")
            title = (pdf.get_metadata_value("Title") or "").strip()
        if scans:
            warnings += _ocr_pages(path, pdf, scans, texts, chars, options)
    finally:
        with PDFIUM_LOCK:
            pdf.close()
    pages = Pages(path, MAX_DOCUMENT_CHARS)
    for number, text in texts.items():
        pages.add(number, text)
    return Parsed(title or path.stem, without_running_lines(pages.pages), warnings)


def _ocr_pages(path: Path, pdf, scans: list[int], texts: dict[int, str], chars: int,
               options: LoadOptions) -> list[str]:
    """Put Tesseract's text in `texts` for the scanned pages; warnings for those it could not
    read (their text layer is kept). Raises when OCR is missing and nothing else has text, and
    as soon as the pages' text (`chars` so far) goes over the bound: later pages are not OCR'd."""
    import pypdfium2 as pdfium

    unavailable = ocr.missing(options.ocr_languages)
    if unavailable:
        if not any(text.strip() for text in texts.values()):
            raise DocumentError("ocr-unavailable", f"{path}: no text layer on its "
                                f"{len(scans)} scanned pages, and {unavailable}")
        return [f"{_pages(scans)} not OCR'd: {unavailable}"]

    def render(number: int) -> tuple[Image, int]:
        with PDFIUM_LOCK:
            page = pdf[number - 1]
            try:
                return render_for_ocr(page, options.ocr_dpi)
            finally:
                page.close()

    warnings = []
    for number, outcome in ocr.read_pages(render, scans, options):
        if isinstance(outcome, ocr.OcrPage):
            if outcome.text.strip():
                chars += len(outcome.text) - len(texts[number])
                if chars > MAX_DOCUMENT_CHARS:
                    raise too_much_text(path, MAX_DOCUMENT_CHARS)
                texts[number] = outcome.text
        elif isinstance(outcome, (ocr.OcrFailed, ocr.OcrUnavailable, pdfium.PdfiumError)):
            warnings.append(f"page {number} not OCR'd: {outcome}")
        else:
            raise outcome
    return warnings


def _pages(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:10])) + (", ..." if len(numbers) > 10 else "")
    return f"page {shown}" if len(numbers) == 1 else f"pages {shown}"


def _pypdf_pages(path: Path, data: bytes) -> Parsed:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    warnings = []
    pages = Pages(path)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(
                "encrypted", f"{path}: the PDF is password-protected; remove the password first"
            )
        if len(reader.pages) > MAX_PAGES:
            raise too_large(path, f"{len(reader.pages):,} pages is more than {MAX_PAGES:,}")
        for number, page in enumerate(reader.pages, start=1):
            try:
                text = page.extract_text() or ""
            except Exception as exc:  # one bad page must not lose the others
                log.warning("%s: page %d unreadable (%s); skipped", path, number, exc)
                warnings.append(f"page {number} could not be read ({exc}); skipped")
                continue
            pages.add(number, mended(text))
        meta_title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            NotImplementedError, RecursionError, OSError, AssertionError) as exc:
        reason = "encrypted" if "decrypt" in str(exc).lower() else "corrupt"
        raise DocumentError(
            reason, f"{path}: cannot read the PDF: damaged, or built in a way its readers do "
                    f"not understand ({library_error(exc)})"
        ) from exc
    title = str(meta_title).strip() if meta_title else ""
    return Parsed(title or path.stem, without_running_lines(pages.pages), warnings)
