"""Read files into pages of text, one loader per file type.

PDF text comes from pdfium (pypdfium2), with pypdf as the fallback for files pdfium cannot
open. Each loader returns a `Document` or raises `DocumentError` with a short reason
("encrypted", "corrupt", "empty", "too-large", "unsupported", "mislabelled", "binary") so that
a batch can report the file and go on with the rest.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ingest.pdfium import PDFIUM_LOCK
from rag.errors import DocumentError
from rag.text.sanitize import clean
from rag.types import Document, Page

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 200 * 1024 * 1024


def content_id(data: bytes) -> str:
    """A document's identity: the hash of its bytes, so a renamed copy is the same document."""
    return hashlib.sha256(data).hexdigest()[:32]


def _decode_text(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise DocumentError("binary", f"{path}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _load_text(path: Path, data: bytes) -> tuple[str, list[Page]]:
    text = _decode_text(path, data)
    return path.stem, [Page(None, text)]


def _load_markdown(path: Path, data: bytes) -> tuple[str, list[Page]]:
    text = _decode_text(path, data)
    title = next(
        (line.lstrip("#").strip() for line in text.splitlines() if line.startswith("# ")),
        path.stem,
    )
    return title, [Page(None, text)]


def _load_html(path: Path, data: bytes) -> tuple[str, list[Page]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode_text(path, data), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    body = soup.body or soup
    lines = (line.strip() for line in body.get_text("\n").splitlines())
    return title or path.stem, [Page(None, "\n".join(line for line in lines if line))]


def _load_pdf(path: Path, data: bytes) -> tuple[str, list[Page]]:
    """A PDF's title and the text of each page: pdfium's, or pypdf's when pdfium cannot open
    the file (pypdf reads some damaged files pdfium refuses, and names why it cannot)."""
    if not data.lstrip()[:1024].find(b"%PDF") >= 0:
        raise DocumentError("mislabelled", f"{path}: named .pdf but is not a PDF file")
    return _pdfium_pages(path, data) or _pypdf_pages(path, data)


def _pdfium_pages(path: Path, data: bytes) -> tuple[str, list[Page]] | None:
    """pdfium's text extraction, in C++: much faster than pypdf's on real manuals, with the
    same words (it also joins words hyphenated across lines). None if it cannot open."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            return None
        try:
            pages = []
            for number in range(1, len(pdf) + 1):
                try:
                    page = pdf[number - 1]
                    textpage = page.get_textpage()
                    text = textpage.get_text_bounded()
                    textpage.close()
                    page.close()
                except pdfium.PdfiumError as exc:  # one bad page must not lose the others
                    log.warning("%s: page %d unreadable (%s); skipped", path, number, exc)
                    continue
                pages.append(Page(number, _PDFIUM_TEXT.sub(
                    lambda m: "" if m.group() == "\x02" else "\n", text)))
            title = (pdf.get_metadata_value("Title") or "").strip()
        finally:
            pdf.close()
    return title or path.stem, pages


# pdfium ends lines with \r\n and marks a hyphenation point it has joined with \x02
_PDFIUM_TEXT = re.compile("\r\n|\r|\x02")


def _pypdf_pages(path: Path, data: bytes) -> tuple[str, list[Page]]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(
                "encrypted", f"{path}: the PDF is password-protected; remove the password first"
            )
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            try:
                pages.append(Page(number, page.extract_text() or ""))
            except Exception as exc:  # one bad page must not lose the others
                log.warning("%s: page %d unreadable (%s); skipped", path, number, exc)
        meta_title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            NotImplementedError, RecursionError, OSError, AssertionError) as exc:
        reason = "encrypted" if "decrypt" in str(exc).lower() else "corrupt"
        raise DocumentError(
            reason, f"{path}: cannot read the PDF ({type(exc).__name__}: {exc})"
        ) from exc
    title = str(meta_title).strip() if meta_title else ""
    return title or path.stem, pages


LOADERS: dict[str, Callable[[Path, bytes], tuple[str, list[Page]]]] = {
    ".pdf": _load_pdf,
    ".txt": _load_text,
    ".text": _load_text,
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".html": _load_html,
    ".htm": _load_html,
}

MEDIA_TYPES = {".pdf": "application/pdf", ".md": "text/markdown", ".markdown": "text/markdown",
               ".html": "text/html", ".htm": "text/html"}


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in LOADERS


def refusal(path: Path, size: int) -> DocumentError | None:
    """Why a file of `size` bytes is refused before it is read, or None: its type, its
    emptiness, its size."""
    suffix = path.suffix.lower()
    if suffix not in LOADERS:
        return DocumentError("unsupported", f"{path}: unsupported file type {suffix or '(none)'}; "
                                            f"supported: {', '.join(sorted(LOADERS))}")
    if size == 0:
        return DocumentError("empty", f"{path}: the file is empty")
    if size > MAX_FILE_BYTES:
        return DocumentError("too-large", f"{path}: {size / 2**20:.0f} MiB is over the "
                                          f"{MAX_FILE_BYTES // 2**20} MiB limit per file")
    return None


def load_bytes(path: Path, data: bytes, source: str | None = None) -> Document:
    """Load a file's bytes (an upload, or a file read from disk) as a Document."""
    refused = refusal(path, len(data)) or (
        DocumentError("empty", f"{path}: the file is empty") if not data.strip() else None)
    if refused is not None:
        raise refused
    suffix = path.suffix.lower()
    title, pages, removed = cleaned(*LOADERS[suffix](path, data))
    if not any(page.text.strip() for page in pages):
        hint = " (a scanned PDF? run OCR on it first)" if suffix == ".pdf" else ""
        raise DocumentError("empty", f"{path}: no extractable text{hint}")
    return Document(
        source=source or str(path), doc_id=content_id(data), title=title, pages=pages,
        media_type=MEDIA_TYPES.get(suffix, "text/plain"), removed=removed,
    )


def cleaned(title: str, pages: list[Page]) -> tuple[str, list[Page], dict[str, int]]:
    """Title and pages as `rag.text.sanitize.clean` leaves them (no invisible characters, no
    chat-template markers), and what it removed: a document's text reaches prompts."""
    removed: Counter[str] = Counter()
    title_cleaned = clean(title, tidy_spaces=True)
    removed.update(title_cleaned.removed)
    kept = []
    for page in pages:
        page_cleaned = clean(page.text)
        removed.update(page_cleaned.removed)
        kept.append(Page(page.number, page_cleaned.text))
    return title_cleaned.text, kept, dict(removed)


def load_file(path: Path) -> Document:
    """Read and load one file from disk."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError("unreadable", f"{path}: {exc.strerror or exc}") from exc
    return load_bytes(path, data)
