"""What every format loader shares: its options, its result, the bounds on one document, what
a title in a file's metadata is worth (`metadata_title`), and the warnings of parts left out
(pages, sheets, charts), the first SHOWN_LEFT_OUT of a kind named, the rest counted in one
(`capped_warnings`).

The bounds keep memory flat whatever a file claims to hold. A loader adds its pages (slides,
sheets, chapters, sections) one at a time to `Pages`, which stops the read with a
`DocumentError` ("too-large") as soon as the document goes over a bound, before more is read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from rag.cancel import check_cancelled
from rag.errors import DocumentError
from rag.settings import OcrMode, Settings
from rag.types import Page

MIB = 1 << 20
MAX_FILE_BYTES = 200 * MIB  # read into memory whole: the bound on everything else
MAX_DOCUMENT_CHARS = 20_000_000  # text kept for one document, all pages together
MAX_PAGES = 10_000  # pages, slides, sheets, chapters or sections of one document
MAX_ROWS = 50_000  # rows of one workbook (all sheets) or one CSV file
MAX_UNPACKED_BYTES = 256 * MIB  # what a zip-based file (.docx .pptx .xlsx .epub) expands to
MAX_PART_BYTES = 64 * MIB  # one XML part that a library parses whole (a slide, a chapter)
MAX_MEMBERS = 20_000  # files inside one zip-based file
MAX_PARAGRAPHS = 200_000  # paragraphs of a Word document: python-docx walks each in Python
MAX_RUNS = 1_000_000  # runs of text (spans of one formatting) of a Word document, the same
# elements of a zip-based file's XML parts together (a workbook's streamed sheets aside):
# python-docx and python-pptx parse every part when they open the file, each element a node
# held in memory, so a small file of millions of empty ones would fill it
MAX_PACKAGE_ELEMENTS = 2_000_000
# elements of an HTML page, an EPUB chapter or HTML a Word document imports: BeautifulSoup
# builds a Python object for each, several times an lxml node's size
MAX_HTML_ELEMENTS = 500_000
MAX_IMAGE_PIXELS = 50_000_000  # an image or a rendered page, before it is OCR'd
# between a document's paragraphs, list items, table rows and sheet rows: each is a block of
# its own, never run on into the next as one sentence (a list item or a row has no stop)
PARAGRAPH_BREAK = "\n\n"
# before an item of a bulleted list, whatever glyph the format draws: the answer reads an item
# after it as the list a sentence before it ("the following:") introduces
LIST_BULLET = "•"
# a list's number as each numbering kind writes it; a kind not here is written as a decimal
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
_MOST_LETTERED = 26 * 20  # "tttt...": past this a lettered item is written as its number
# what an office suite writes as a file's title when nobody gave it one ("Binder1" is
# Acrobat's for PDFs combined into one; "Word Document" python-docx's, and "PowerPoint
# Presentation" python-pptx's, for a file without properties), and the way a PDF printed
# from one names its source ("Microsoft Word - Q3 report.docx"): a document's title is shown
# in every citation, and its words count for each of its passages in the search
# (`rag.text.lexical.term_shares`), so a placeholder's "word" or "document" must not
_PRINTED_FROM = re.compile(r"(?:Microsoft\s+)?(?:Word|PowerPoint|Excel)\s+-\s+(.+)", re.I)
_FILE_EXTENSION = re.compile(
    r"\.(?:docx?|docm|dotx?|pptx?|xlsx?|xlsm|rtf|odt|odp|ods|pdf|txt|html?)$", re.I)
_PLACEHOLDER = re.compile(
    r"(?:title|untitled(?: document)?|no title|blank|new document|(?:powerpoint )?presentation"
    r"|(?:word )?document|book|binder|slide|microsoft word|microsoft powerpoint"
    r"|microsoft excel)\s*\d*"
    r"|about:blank",  # a browser's print of a page made in place, which has no address
    re.I)
# parts of one kind left out (pages, slides' charts, sheets) that a warning each names; the
# rest are counted in one, so that a file of hundreds of damaged parts does not bury its
# report under them
SHOWN_LEFT_OUT = 10
# a Python object as its repr names it, quoted or not, with the space before it
_OBJECT_REPR = re.compile(r" ?'?<[\w.]+ object at 0x[0-9a-fA-F]+>'?")


@dataclass(frozen=True)
class LoadOptions:
    """How files are read: whether and how pages without text are OCR'd."""

    ocr: OcrMode = "auto"  # auto: only pages with no text layer (or almost none)
    ocr_languages: str = "eng"  # Tesseract's language codes, joined by '+'
    ocr_dpi: int = 300  # a PDF page is drawn at this for Tesseract; images scaled up to it
    ocr_workers: int = 0  # pages OCR'd at once; 0: one per core

    @classmethod
    def from_settings(cls, settings: Settings) -> LoadOptions:
        return cls(settings.ocr, settings.ocr_languages, settings.ocr_dpi, settings.ocr_workers)

    @property
    def workers(self) -> int:
        if self.ocr_workers:
            return self.ocr_workers
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            return os.cpu_count() or 1


@dataclass
class Parsed:
    """A file's title and pages, and what could not be read without stopping the rest."""

    title: str
    pages: list[Page]
    warnings: list[str] = field(default_factory=list)


class Pages:
    """The pages of one document as a loader reads them, held within the bounds above."""

    def __init__(self, path: Path, max_chars: int = MAX_DOCUMENT_CHARS,
                 max_pages: int = MAX_PAGES) -> None:
        self.path = path
        self.pages: list[Page] = []
        self.chars = 0
        self.max_chars = max_chars
        self.max_pages = max_pages

    def add(self, number: int | None, text: str, locator: str | None = None) -> None:
        check_cancelled()  # a long file is stopped between its pages
        if len(self.pages) >= self.max_pages:
            raise too_large(self.path, f"more than {self.max_pages:,} pages, slides, sheets "
                                       f"or chapters")
        self.chars += len(text)
        if self.chars > self.max_chars:
            raise too_much_text(self.path, self.max_chars)
        self.pages.append(Page(number, text, locator))


def too_large(path: Path, what: str,
              hint: str | None = "split it into smaller files") -> DocumentError:
    """A file over one of the bounds: "<path>: too large to read: <what>; <hint>"."""
    return DocumentError("too-large", f"{path}: too large to read: {what}"
                                      + (f"; {hint}" if hint else ""))


def start_tags(markup: bytes | str) -> int:
    """How many elements `markup` opens, counted in its text before a parser builds any: its
    `<`s less those of an end tag, a comment, a doctype or CDATA, and a processing
    instruction. An upper bound: a `<` inside a comment, CDATA or a script counts too."""
    if isinstance(markup, bytes):
        return (markup.count(b"<") - markup.count(b"</") - markup.count(b"<!")
                - markup.count(b"<?"))
    return markup.count("<") - markup.count("</") - markup.count("<!") - markup.count("<?")


def too_many_elements(path: Path, bound: int) -> DocumentError:
    return too_large(path, f"more than {bound:,} elements")


def too_much_text(path: Path, max_chars: int = MAX_DOCUMENT_CHARS) -> DocumentError:
    return too_large(path, f"more than {max_chars:,} characters of text")


def library_error(exc: BaseException) -> str:
    """What a parsing library said, for a user's message: its type, and its text if any
    ("PdfReadError: startxref not found"; a bare "AssertionError"), without the Python
    objects it names ("<_io.BytesIO object at 0x...>"), which mean nothing to a user."""
    text = _OBJECT_REPR.sub("", str(exc)).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


Part = TypeVar("Part")


def capped_warnings(left_out: Sequence[Part], each: Callable[[Part], str],
                    rest: Callable[[Sequence[Part]], str]) -> list[str]:
    """A warning for each part left out (`each`: "page 4 could not be read ..."), the first
    SHOWN_LEFT_OUT of them, and one for all the others (`rest`: "3 more pages, 11 to 13,
    could not be read; skipped")."""
    if len(left_out) <= SHOWN_LEFT_OUT + 1:  # a count of one would say less in as many words
        return [each(part) for part in left_out]
    return [*(each(part) for part in left_out[:SHOWN_LEFT_OUT]), rest(left_out[SHOWN_LEFT_OUT:])]


def number_span(numbers: Sequence[int]) -> str:
    """The first and the last of the numbers of the parts a warning counts: "11 to 13"."""
    return f"{numbers[0]}" if numbers[0] == numbers[-1] else f"{numbers[0]} to {numbers[-1]}"


def more_pages(numbers: Sequence[int], what: str) -> str:
    """The warning counting the pages (by number) past the ones named, that `what` says of:
    "4 more pages, 11 to 15, could not be read; skipped"."""
    return f"{len(numbers):,} more pages, {number_span(numbers)}, {what}"


def metadata_title(value: object) -> str:
    """The title a file's metadata gives, as people know the document by: without a file
    extension or the "Microsoft Word - " an Office print to PDF puts before it; "" for a
    placeholder ("Untitled", "Document1", "PowerPoint Presentation"), for which the loader
    falls back on what the document shows (a first slide's title) or its file name."""
    title = " ".join(str(value or "").split())
    printed = _PRINTED_FROM.fullmatch(title)
    title = _FILE_EXTENSION.sub("", printed.group(1) if printed else title).strip()
    return "" if _PLACEHOLDER.fullmatch(title) else title


def whole_number(text: str | None, default: int) -> int:
    """An attribute's whole number ("3", a list's start or level), or `default` when it is
    absent or not one: a malformed attribute costs its meaning, not the document."""
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def written_number(value: int, kind: str) -> str:
    """`value` as a list's number of `kind` draws it: "12", "c", "XIV", "07". The kinds are
    Word's (`w:numFmt`: "decimal", "lowerLetter", "upperRoman", "decimalZero"), to which
    PowerPoint's and HTML's are read."""
    if kind in ("lowerLetter", "upperLetter") and 0 < value <= _MOST_LETTERED:
        letter = _LETTERS[(value - 1) % 26] * ((value - 1) // 26 + 1)  # z, aa, bb: as Word
        return letter.upper() if kind == "upperLetter" else letter
    if kind in ("lowerRoman", "upperRoman") and 0 < value < 4000:
        roman = ""
        for amount, numeral in _ROMAN:
            while value >= amount:
                roman, value = roman + numeral, value - amount
        return roman.upper() if kind == "upperRoman" else roman
    if kind == "decimalZero":
        return f"{value:02d}"
    return str(value)
