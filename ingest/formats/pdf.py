"""PDF: each page's text layer, and Tesseract's reading of the pages that have none (scans).

The text layer comes from pdfium (pypdfium2). pypdf, which repairs some damage pdfium does
not, reads what pdfium could not: a file it cannot open, the pages it cannot load, and every
page of a file where pdfium (and OCR) found no text at all; a file pdfium reads is not slowed by
it. With RAG_OCR=auto a page is OCR'd when its text layer holds almost nothing and it
shows an image, or little and images cover it: a scan, bare or under a stamped line. A mixed
PDF gets its text pages read and its scanned pages OCR'd, each under its own page number. OCR
renders the page with pdfium at RAG_OCR_DPI, one page per OCR thread at a time
(`ocr.read_pages`), with pdfium's lock taken only while a page is drawn.
A page whose right-to-left letters (Arabic, Persian, Hebrew) pdfium reads out of their order
takes pypdf's text instead (`pdf_rtl`). Running headers and footers are taken out of the
pages' text (`running_lines`), and footnotes at a page's foot out of its running text, to
follow it as paragraphs of their own (`pdf_footnotes`). Before either reader opens the file,
its streams are measured (`pdf_streams`): a compression bomb is refused, never inflated. A
page neither reader can read, or Tesseract cannot, is named in a warning, the first
SHOWN_LEFT_OUT of each kind, one more counting the rest (`warning_texts`).
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.formats import ocr
from ingest.formats.base import (
    MAX_DOCUMENT_CHARS,
    MAX_IMAGE_PIXELS,
    MAX_PAGES,
    PARAGRAPH_BREAK,
    LoadOptions,
    OcrMode,
    Pages,
    Parsed,
    capped_warnings,
    library_error,
    metadata_title,
    more_pages,
    too_large,
    too_much_text,
)
from ingest.formats.pdf_cells import cells_marked
from ingest.formats.pdf_code import code_fenced
from ingest.formats.pdf_columns import column_reading
from ingest.formats.pdf_footnotes import footnotes_apart
from ingest.formats.pdf_glyph_names import glyph_names_read
from ingest.formats.pdf_headings import headings_set_apart
from ingest.formats.pdf_page_box import page_box_text
from ingest.formats.pdf_rtl import has_right_to_left, misordered, same_letters, tidied
from ingest.formats.pdf_scans import covered_by_images, stamped_at_edges
from ingest.formats.pdf_streams import check_inflation
from ingest.formats.pdf_superscripts import char_indexes, superscripts_written
from ingest.formats.pdf_text import Spellings, line_end_hyphens_resolved, mended
from ingest.formats.running_lines import without_running_lines
from ingest.formats.sniffing import recognised_kind, rename_hint
from ingest.pdfium import PDFIUM_LOCK
from rag.cancel import check_cancelled
from rag.errors import DocumentError
from rag.types import Page, counted

if TYPE_CHECKING:
    from PIL.Image import Image
    from pypdf import PdfReader
    from pypdfium2 import PdfDocument

log = logging.getLogger(__name__)
# pypdf logs every repair it tries on a damaged file ("incorrect startxref pointer",
# "PdfReadError(...)" with the file's bytes); with no handler of its own Python prints them
# amid the progress lines. A file it cannot read is reported with the reason all the same.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

MIN_TEXT_CHARS = 20  # fewer characters (besides spaces) than this: "almost no text layer"
# a page whose text layer holds fewer than SPARSE_TEXT_CHARS characters, under images
# covering it (`pdf_scans`), is a scan under a stamped line (an e-filing header, a Bates
# number, "Page 2 of 9"); a page of text, or a figure within a page's margins, is not
SPARSE_TEXT_CHARS = 200

# pdfium ends lines with \r\n
_PDFIUM_LINE_END = re.compile("\r\n|\r")


def needs_ocr(page, text: str, mode: OcrMode) -> bool:
    """Whether a pdfium page with this text layer is OCR'd: a page with almost no text that
    shows an image, or with little text, all at its top or bottom edge, that images cover (a
    stamped scan, where a slide's or a cover's text over a picture is in its body). Its objects are
    looked at only when its text is scant: a text page is not slowed. With OCR off a scan is
    still found, to be named as a page not read rather than dropped without a word."""
    if mode == "force":
        return True
    chars = len("".join(text.split()))
    if chars < MIN_TEXT_CHARS:
        return shows_image(page)
    return chars < SPARSE_TEXT_CHARS and stamped_at_edges(page) and covered_by_images(page)


def shows_image(page) -> bool:
    """Whether a pdfium page draws at least one image (a scan is one)."""
    import pypdfium2.raw as pdfium_c

    return next(iter(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])), None) is not None


@dataclass(frozen=True)
class PageRead:
    """pdfium's text of a page: its footnotes (`pdf_footnotes`) last, each a paragraph, and
    their text alone ("" when it has none)."""

    text: str
    notes: str = ""


@dataclass(frozen=True)
class MarkedPage:
    """pdfium's text of a page, its body and each of its footnotes, line ends tidied and
    footnote marks glued to words left out, but the hyphens pdfium took out at line ends
    still marked: whether each belongs to its word is decided by how the whole document
    writes the word elsewhere (`pdf_text.Spellings`), which is known once every page is read."""

    body: str
    notes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The page's text, its footnotes last, each a paragraph."""
        return PARAGRAPH_BREAK.join((self.body, *self.notes))

    def tidied(self, spellings: Spellings) -> PageRead:
        """The page's text with its marked hyphens put back or taken out as the document's
        `spellings` say (`keeps_hyphen`), and mended."""
        body = _tidied(self.body, spellings)
        notes = PARAGRAPH_BREAK.join(_tidied(note, spellings) for note in self.notes)
        return PageRead(f"{body}{PARAGRAPH_BREAK}{notes}" if notes else body, notes)


def page_text(page) -> str:
    """pdfium's text of a page, line ends and the hyphens it took out at line ends tidied
    (by the page's own spellings: the rest of its file is not read), footnote marks glued to
    words left out, its footnotes last."""
    marked = marked_page(page)
    return marked.tidied(Spellings.of([marked.text])).text


def marked_page(page) -> MarkedPage:
    """pdfium's text of a page, its line-end hyphens still marked (`MarkedPage`)."""
    textpage = page.get_textpage()
    try:
        return _marked_text(textpage)
    finally:
        textpage.close()


def read_page(page) -> tuple[MarkedPage, bool]:
    """pdfium's text of a page (`marked_page`), and whether it holds right-to-left letters
    out of reading order (a page without any is not looked at again)."""
    textpage = page.get_textpage()
    try:
        marked = _marked_text(textpage)
        return marked, has_right_to_left(marked.text) and misordered(textpage)
    finally:
        textpage.close()


def _marked_text(textpage) -> MarkedPage:
    columns = column_reading(textpage)
    if columns is None:
        text = page_box_text(textpage)
        indexes = char_indexes(text, textpage)
    else:
        text, indexes = columns.text, columns.indexes
    text, indexes = glyph_names_read(textpage, text, indexes)
    text, indexes, footnotes = footnotes_apart(textpage, text, indexes)
    text, indexes = headings_set_apart(textpage, text, indexes)
    text, indexes = code_fenced(textpage, text, indexes)
    text, indexes = cells_marked(textpage, text, indexes)
    numbers = frozenset(note.number for note in footnotes)
    body = _line_ends_tidied(superscripts_written(textpage, text, indexes, numbers))
    notes = tuple(_line_ends_tidied(superscripts_written(textpage, note.text, note.indexes))
                  for note in footnotes)
    return MarkedPage(body, notes)


def _line_ends_tidied(text: str) -> str:
    return _PDFIUM_LINE_END.sub("\n", text)


def _tidied(text: str, spellings: Spellings) -> str:
    return mended(line_end_hyphens_resolved(text, spellings))


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


# kinds of a page's warning, each what the one counting those past SHOWN_LEFT_OUT says of them
UNREAD = "could not be read; skipped"
NOT_OCRD = "not OCR'd"


@dataclass(frozen=True)
class PageWarning:
    """What could not be read on some pages: moot once those pages are all read after all."""

    pages: frozenset[int]
    text: str
    # one page's warning of a kind (UNREAD, NOT_OCRD) that past SHOWN_LEFT_OUT of them is
    # counted, not given; "": given whatever the count
    kind: str = ""


@dataclass
class PdfText:
    """One reader's text of a PDF, page by page, before running lines are taken out, and the
    pages it could not read."""

    title: str
    texts: dict[int, str] = field(default_factory=dict)  # by page number, in page order
    unread: list[int] = field(default_factory=list)
    warnings: list[PageWarning] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)  # the page's own label, where set
    misordered: list[int] = field(default_factory=list)  # right-to-left letters out of order
    # the footnotes ending a page's text, by page number, where it has any (`PageRead`)
    notes: dict[int, str] = field(default_factory=dict)

    @property
    def chars(self) -> int:
        return sum(map(len, self.texts.values()))

    def has_text(self) -> bool:
        return any(text.strip() for text in self.texts.values())


def not_a_pdf(path: Path, data: bytes) -> DocumentError:
    """A file named .pdf that is not one: its real kind named when its bytes tell it."""
    kind = recognised_kind(data)
    if kind is None:
        return DocumentError("mislabelled", f"{path}: named .pdf but is not a PDF file")
    return DocumentError("mislabelled", f"{path}: {kind.description} named .pdf"
                                        f"{rename_hint(kind)}")


def load_pdf(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    """A PDF's title and the text of each page: pdfium's, with pypdf's for what pdfium could
    not read: the file when pdfium cannot open it, the pages it cannot load, every page when
    it (and OCR) found no text on any, and the pages whose right-to-left letters it reads out
    of order. pypdf is tried only then: a file pdfium reads whole is not slowed by it."""
    if not data.lstrip()[:1024].find(b"%PDF") >= 0:
        raise not_a_pdf(path, data)
    check_inflation(path, data)  # pdfium inflates a stream whole: a bomb must not reach it
    read = _pdfium_read(path, data, options)
    if read is None:
        return _parsed(path, _pypdf_read(path, data))
    if read.misordered:
        read = _reordered(path, data, read)
    if read.unread or not read.has_text():
        read = _rescued(path, data, read)
    return _parsed(path, read)


def _parsed(path: Path, read: PdfText) -> Parsed:
    pages = Pages(path, MAX_DOCUMENT_CHARS)
    notes = {}
    for number, text in read.texts.items():
        body, notes[number] = _body_and_notes(text, read.notes.get(number, ""))
        pages.add(number, body)
    labelled = [labelled_page(with_notes(page, notes[page.number or 0]),
                              read.labels.get(page.number or 0, ""))
                for page in without_running_lines(pages.pages)]
    return Parsed(read.title or path.stem, labelled, warning_texts(read.warnings))


def warning_texts(warnings: list[PageWarning]) -> list[str]:
    """The warnings' texts in order, a page's warnings of one kind (`PageWarning.kind`)
    together where the first of them stands, those past SHOWN_LEFT_OUT counted in one: a file
    of hundreds of damaged pages does not bury its report under a warning for each."""
    groups: list[list[PageWarning]] = []
    kinds: dict[str, list[PageWarning]] = {}
    for warning in warnings:
        if warning.kind in kinds:
            kinds[warning.kind].append(warning)
            continue
        groups.append([warning])
        if warning.kind:
            kinds[warning.kind] = groups[-1]
    return [text for group in groups for text in capped_warnings(
        group, lambda warning: warning.text,
        lambda rest: more_pages([min(warning.pages) for warning in rest], rest[0].kind))]


def _body_and_notes(text: str, notes: str) -> tuple[str, str]:
    """A page's text apart from the footnotes that end it; all of it and no notes when it
    does not end with them (pypdf's text, or OCR's, stands in for pdfium's)."""
    if not notes or not text.endswith(PARAGRAPH_BREAK + notes):
        return text, ""
    return text[:-len(PARAGRAPH_BREAK + notes)], notes


def with_notes(page: Page, notes: str) -> Page:
    """The page with its footnotes after its text, a paragraph each (`Page.notes`): running
    lines are looked for in its text alone, whose foot they are at."""
    if not notes:
        return page
    return replace(page, text=f"{page.text}{PARAGRAPH_BREAK}{notes}" if page.text.strip()
                   else notes, notes=notes)


def labelled_page(page: Page, label: str) -> Page:
    """The page, cited as "page 63 (labelled 57)" when the PDF labels it otherwise than its
    place in the file: a manual's front matter numbered i, ii, ... puts the number printed on
    a page, which its reader sees and its viewer shows, apart from the page's place, which
    the viewer's "go to page" and the app's page view take."""
    # printable only: a label is the PDF author's text, shown in terminals and pages
    label = "".join(c for c in " ".join(label.split()) if c.isprintable())[:40]
    if not label or page.number is None or label == str(page.number):
        return page
    return replace(page, locator=f"page {page.number} (labelled {label})")


def _pdfium_read(path: Path, data: bytes, options: LoadOptions) -> PdfText | None:
    """pdfium's text extraction, in C++: much faster than pypdf's on real manuals, with the
    same words (it also joins words hyphenated across lines), and OCR of the scanned pages.
    None if it cannot open the file."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            return None
    try:
        with PDFIUM_LOCK:
            read, scans = _pdfium_pages(path, pdf, options)
        if scans:
            read.warnings += _ocr_pages(path, pdf, scans, read.texts, read.chars, options)
    finally:
        with PDFIUM_LOCK:
            pdf.close()
    return read


def _pdfium_pages(path: Path, pdf: PdfDocument, options: LoadOptions
                  ) -> tuple[PdfText, list[int]]:
    """The text layer of each page of an open pdfium document, and the pages to OCR. The
    hyphens pdfium took out at line ends are settled once every page is read, by the words
    of the whole document (`MarkedPage`). Raises as soon as the text goes over the bound,
    before any page is OCR'd."""
    import pypdfium2 as pdfium

    if len(pdf) > MAX_PAGES:
        raise too_large(path, f"{len(pdf):,} pages is more than {MAX_PAGES:,}")
    read = PdfText(metadata_title(pdf.get_metadata_value("Title")))
    marked: dict[int, MarkedPage] = {}
    scans, chars = [], 0
    for number in range(1, len(pdf) + 1):
        check_cancelled()
        try:
            page = pdf[number - 1]
            try:
                read.labels[number] = pdf.get_page_label(number - 1)
                marked[number], out_of_order = read_page(page)
                text = marked[number].text
                chars += len(text)
                if chars > MAX_DOCUMENT_CHARS:
                    raise too_much_text(path, MAX_DOCUMENT_CHARS)
                if needs_ocr(page, text, options.ocr):
                    scans.append(number)
                elif out_of_order:
                    read.misordered.append(number)
            finally:
                page.close()
        except pdfium.PdfiumError as exc:  # one bad page must not lose the others
            log.warning("%s: page %d unreadable by pdfium (%s)", path, number, exc)
            read.unread.append(number)
            read.warnings.append(unread_page(number, exc))
    spellings = Spellings.of(page.text for page in marked.values())
    for number, page_marked in marked.items():
        page_read = page_marked.tidied(spellings)
        read.texts[number] = page_read.text
        if page_read.notes:
            read.notes[number] = page_read.notes
    return read, scans


def unread_page(number: int, exc: Exception) -> PageWarning:
    """The warning that page `number` could not be read, `exc` saying why."""
    return PageWarning(frozenset({number}), f"page {number} could not be read ({exc}); skipped",
                       UNREAD)


def _reordered(path: Path, data: bytes, read: PdfText) -> PdfText:
    """`read` with pypdf's text for the pages whose right-to-left letters pdfium reads out
    of order, where pypdf reads the same letters; pdfium's text stands where it cannot."""
    try:
        reader = _pypdf_reader(path, data)
        pypdf_read = _pypdf_pages(path, reader, read.misordered, MAX_DOCUMENT_CHARS)
    except Exception as exc:  # a damaged file can make pypdf raise anything: pdfium's text stands
        log.info("%s: pypdf could not read the right-to-left pages (%s)", path,
                 library_error(exc))
        return read
    tidy = {number: tidied(text) for number, text in pypdf_read.texts.items()}
    reordered = [number for number, text in tidy.items()
                 if same_letters(text, read.texts[number])]
    if reordered:
        log.info("%s: %s read by pypdf, in right-to-left order", path, _pages(reordered))
    texts = {**read.texts, **{number: tidy[number] for number in reordered}}
    return replace(read, texts=texts, misordered=[])


def _rescued(path: Path, data: bytes, read: PdfText) -> PdfText:
    """pdfium's `read` with pypdf's text for the pages it could not load, or for every page
    when it found no text on any; `read` as it is when pypdf cannot read them either."""
    try:
        reader = _pypdf_reader(path, data)
        count = len(reader.pages)
        numbers = ([number for number in read.unread if number <= count] if read.has_text()
                   else range(1, count + 1))
        rescue = _pypdf_pages(path, reader, numbers, MAX_DOCUMENT_CHARS - read.chars)
    except Exception as exc:  # a damaged file can make pypdf raise anything: pdfium's text stands
        log.info("%s: pypdf could not read what pdfium could not (%s)", path, library_error(exc))
        return read
    recovered = {number: text for number, text in rescue.texts.items() if text.strip()}
    if recovered:
        log.info("%s: %s read by pypdf", path, _pages(sorted(recovered)))
    return PdfText(
        read.title, dict(sorted({**read.texts, **recovered}.items())),
        [number for number in read.unread if number not in recovered],
        [warning for warning in read.warnings if not warning.pages.issubset(recovered)])


def _ocr_pages(path: Path, pdf, scans: list[int], texts: dict[int, str], chars: int,
               options: LoadOptions) -> list[PageWarning]:
    """Put Tesseract's text in `texts` for the scanned pages; warnings for those it could not
    read (their text layer is kept). Raises when OCR is missing and nothing else has text, and
    as soon as the pages' text (`chars` so far) goes over the bound: later pages are not OCR'd."""
    import pypdfium2 as pdfium

    if options.ocr == "off":  # named, not read; a PDF of scans alone fails in `loaders`
        return [PageWarning(frozenset(scans), f"{_pages(scans)} not OCR'd: OCR is off "
                            "(RAG_OCR=auto reads them)")] if any(
            text.strip() for text in texts.values()) else []
    unavailable = ocr.missing(options.ocr_languages)
    if unavailable:
        if not any(text.strip() for text in texts.values()):
            raise DocumentError("ocr-unavailable", f"{path}: no text layer on its "
                                f"{counted(len(scans), 'scanned page')}, and {unavailable}")
        return [PageWarning(frozenset(scans), f"{_pages(scans)} not OCR'd: {unavailable}")]

    def render(number: int) -> tuple[Image, int]:
        with PDFIUM_LOCK:
            page = pdf[number - 1]
            try:
                return render_for_ocr(page, options.ocr_dpi)
            finally:
                page.close()

    warnings, poor = [], {}
    for number, outcome in ocr.read_pages(render, scans, options):
        if isinstance(outcome, ocr.OcrPage):
            if outcome.poor:
                poor[number] = outcome.confidence
            if outcome.text.strip():
                text = (outcome.text if options.ocr == "force"
                        else with_lines_ocr_lost(outcome.text, texts[number]))
                chars += len(text) - len(texts[number])
                if chars > MAX_DOCUMENT_CHARS:
                    raise too_much_text(path, MAX_DOCUMENT_CHARS)
                texts[number] = text
        elif isinstance(outcome, (ocr.OcrFailed, ocr.OcrUnavailable, pdfium.PdfiumError)):
            warnings.append(PageWarning(frozenset({number}), f"page {number} not OCR'd: {outcome}",
                                        NOT_OCRD))
        else:
            raise outcome
    if note := ocr.poor_reading_note(poor):
        warnings.append(PageWarning(frozenset(poor), note))
    return warnings


def with_lines_ocr_lost(ocr_text: str, layer: str) -> str:
    """A scanned page's OCR text, then the lines of its text layer whose words OCR did not
    all read: a stamp drawn as text (a Bates number, an invisible earlier OCR) OCR may misread
    or not see at all."""
    read = set(_WORD.findall(ocr_text.casefold()))
    lost = [line.strip() for line in layer.splitlines()
            if not read.issuperset(_WORD.findall(line.casefold()))]
    return "\n".join([ocr_text, *lost])


_WORD = re.compile(r"\w+")


def _pages(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:10])) + (", ..." if len(numbers) > 10 else "")
    return f"page {shown}" if len(numbers) == 1 else f"pages {shown}"


def _pypdf_read(path: Path, data: bytes) -> PdfText:
    """pypdf's text of every page of a file pdfium cannot open. Raises when pypdf cannot
    read it either, saying why."""
    from pypdf.errors import PdfReadError

    try:
        reader = _pypdf_reader(path, data)
        read = _pypdf_pages(path, reader, range(1, len(reader.pages) + 1), MAX_DOCUMENT_CHARS)
        meta_title = (reader.metadata or {}).get("/Title") if reader.metadata else None
        read.labels = _pypdf_labels(reader)
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            NotImplementedError, RecursionError, OSError, AssertionError) as exc:
        reason = "encrypted" if "decrypt" in str(exc).lower() else "corrupt"
        raise DocumentError(
            reason, f"{path}: cannot read the PDF: damaged, or built in a way its readers do "
                    f"not understand ({library_error(exc)})"
        ) from exc
    return replace(read, title=metadata_title(meta_title))


def _pypdf_labels(reader: PdfReader) -> dict[int, str]:
    """pypdf's labels of the pages, by number; none when it cannot read them."""
    try:
        return dict(enumerate(reader.page_labels, 1))
    except Exception:  # a damaged label tree must not lose a file whose text reads
        return {}


def _pypdf_reader(path: Path, data: bytes) -> PdfReader:
    """pypdf's reader of the file, decrypted when its password is empty."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise DocumentError(
            "encrypted", f"{path}: the PDF is password-protected; remove the password first"
        )
    if len(reader.pages) > MAX_PAGES:
        raise too_large(path, f"{len(reader.pages):,} pages is more than {MAX_PAGES:,}")
    return reader


def _pypdf_pages(path: Path, reader: PdfReader, numbers: Iterable[int], max_chars: int
                 ) -> PdfText:
    """pypdf's text of the numbered pages (no title). Raises as soon as the text goes over
    `max_chars`."""
    pages = Pages(path, max_chars)
    unread, warnings = [], []
    for number in numbers:
        page = reader.pages[number - 1]
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # one bad page must not lose the others
            log.warning("%s: page %d unreadable by pypdf (%s)", path, number, exc)
            unread.append(number)
            warnings.append(unread_page(number, exc))
            continue
        pages.add(number, mended(text))
    return PdfText("", {page.number: page.text for page in pages.pages}, unread, warnings)
