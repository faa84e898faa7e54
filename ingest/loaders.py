"""Read files into pages of text: one loader per file type, each in `ingest.formats`.

Each loader returns the file's title and pages (with warnings for parts it could not read) or
raises `DocumentError` with a short reason ("encrypted", "corrupt", "empty", "too-large",
"unsupported", "mislabelled", "binary", "ocr-unavailable") so that a batch can report the file
and go on with the rest. The bounds on what one file may hold are in `ingest.formats.base`.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePath

from ingest.formats.base import (
    MAX_DOCUMENT_CHARS,
    MAX_FILE_BYTES,
    MIB,
    LoadOptions,
    Parsed,
    too_much_text,
)
from ingest.formats.containers import OFFICE_VARIANTS
from ingest.formats.ebook import load_epub
from ingest.formats.images import load_image
from ingest.formats.pdf import load_pdf
from ingest.formats.sheets import load_csv, load_xlsx
from ingest.formats.slides import load_pptx
from ingest.formats.text import load_markdown, load_text
from ingest.formats.web import load_html
from ingest.formats.word import load_docx
from rag.errors import DocumentError
from rag.text.sanitize import TooLongNormalized, clean
from rag.types import Document, Page

Loader = Callable[[Path, bytes, LoadOptions], Parsed]

LOADERS: dict[str, Loader] = {
    ".pdf": load_pdf,
    ".txt": load_text,
    ".text": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".docx": load_docx,
    ".pptx": load_pptx,
    ".xlsx": load_xlsx,
    ".csv": load_csv,
    ".tsv": load_csv,
    ".epub": load_epub,
    ".png": load_image,
    ".jpg": load_image,
    ".jpeg": load_image,
    ".tif": load_image,
    ".tiff": load_image,
}
LOADERS |= {variant: LOADERS[plain]
            for plain, variants in OFFICE_VARIANTS.items() for variant in variants}

MEDIA_TYPES = {
    ".pdf": "application/pdf", ".md": "text/markdown", ".markdown": "text/markdown",
    ".html": "text/html", ".htm": "text/html",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv", ".tsv": "text/tab-separated-values", ".epub": "application/epub+zip",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".docm": "application/vnd.ms-word.document.macroEnabled.12",
    ".dotx": "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    ".dotm": "application/vnd.ms-word.template.macroEnabled.12",
    ".pptm": "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
    ".ppsx": "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
    ".ppsm": "application/vnd.ms-powerpoint.slideshow.macroEnabled.12",
    ".potx": "application/vnd.openxmlformats-officedocument.presentationml.template",
    ".potm": "application/vnd.ms-powerpoint.template.macroEnabled.12",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".xltx": "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
    ".xltm": "application/vnd.ms-excel.template.macroEnabled.12",
}

SUPPORTED_SUFFIXES = tuple(sorted(LOADERS))
# each loader's files in words, in the order the app's uploader lists them
FORMAT_NAMES: dict[Loader, str] = {
    load_pdf: "PDF and scans", load_image: "images", load_docx: "Word", load_pptx: "PowerPoint",
    load_xlsx: "Excel", load_csv: "CSV", load_epub: "EPUB", load_text: "text",
    load_markdown: "Markdown", load_html: "HTML",
}


def format_names() -> list[str]:
    """The formats read, in words: a loader registered without a name is a KeyError here, so
    a new format cannot go unnamed where files are added."""
    named = [FORMAT_NAMES[loader] for loader in LOADERS.values()]
    return [name for name in FORMAT_NAMES.values() if name in named]


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def content_id(data: bytes) -> str:
    """A document's identity: the hash of its bytes, so a renamed copy is the same document."""
    return hashlib.sha256(data).hexdigest()[:32]


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in LOADERS


def unsupported(name: str) -> str:
    """Why a file of this name is not read, for a name no loader reads: "unsupported file type
    .zip; supported: ...", or what in the name hides a type that is read: a space or a dot
    after it ("notes.txt ", which Windows would not even write), or nothing before it (".txt")."""
    trimmed = name.rstrip(" .")
    hidden = PurePath(trimmed).suffix.lower() if trimmed != name else ""
    if hidden in LOADERS:
        end = "a space" if name.endswith(" ") else "a dot"
        return f"the name ends in {end} after its type {hidden}, so it has none; rename it"
    if name.lower() in LOADERS:
        return f"the name has nothing before its type {name}, so it has none; rename it"
    suffix = PurePath(name).suffix.lower()
    return f"unsupported file type {suffix or '(none)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}"


def refusal(path: Path, size: int) -> DocumentError | None:
    """Why a file of `size` bytes is refused before it is read, or None: its type, its
    emptiness, its size."""
    if not is_supported(path):
        return DocumentError("unsupported", f"{path}: {unsupported(path.name)}")
    if size == 0:
        return DocumentError("empty", f"{path}: the file is empty")
    if size > MAX_FILE_BYTES:
        return DocumentError("too-large", f"{path}: {size / MIB:.0f} MiB is over the "
                                          f"{MAX_FILE_BYTES // MIB} MiB limit per file")
    return None


def load_bytes(path: Path, data: bytes, source: str | None = None,
               options: LoadOptions | None = None) -> Document:
    """Load a file's bytes (an upload, or a file read from disk) as a Document."""
    options = options or LoadOptions()
    refused = refusal(path, len(data)) or (
        DocumentError("empty", f"{path}: the file holds only white space: no text to index")
        if not data.strip() else None)
    if refused is not None:
        raise refused
    suffix = path.suffix.lower()
    parsed = LOADERS[suffix](path, data, options)
    title, pages, removed = cleaned(path, parsed.title, parsed.pages)
    if not any(page.text.strip() for page in pages):
        hint = (" (a scanned PDF? OCR is off: set RAG_OCR=auto)"
                if suffix == ".pdf" and options.ocr == "off" else "")
        if parsed.warnings:  # why there is none: "page 1 could not be read (...); skipped"
            hint += f": {'; '.join(parsed.warnings)}"
        raise DocumentError("empty", f"{path}: no extractable text{hint}")
    return Document(
        source=source or str(path), doc_id=content_id(data), title=title, pages=pages,
        media_type=MEDIA_TYPES.get(suffix, "text/plain"), warnings=tuple(parsed.warnings),
        removed=removed,
    )


def cleaned(path: Path, title: str, pages: list[Page]
            ) -> tuple[str, list[Page], dict[str, int]]:
    """Title and pages as `rag.text.sanitize.clean` leaves them (no invisible characters, no
    chat-template markers), and what it removed: a document's text reaches prompts."""
    removed: Counter[str] = Counter()
    title_cleaned = clean(title, tidy_spaces=True)
    removed.update(title_cleaned.removed)
    kept = []
    left = MAX_DOCUMENT_CHARS  # bounded again: normalizing can make the text far longer
    for page in pages:
        try:
            page_cleaned = clean(page.text, max_chars=left)
        except TooLongNormalized:
            raise too_much_text(path, MAX_DOCUMENT_CHARS) from None
        left -= len(page_cleaned.text)
        removed.update(page_cleaned.removed)
        kept.append(replace(page, text=page_cleaned.text,
                            notes=_notes_cleaned(page.notes, page_cleaned.text)))
    return title_cleaned.text, kept, dict(removed)


def _notes_cleaned(notes: str, text: str) -> str:
    """A page's footnotes as cleaning leaves them, which end its cleaned `text`; none when
    they no longer do."""
    if not notes:
        return notes
    cleaned_notes = clean(notes).text
    return cleaned_notes if cleaned_notes and text.endswith(cleaned_notes) else ""


def load_file(path: Path, options: LoadOptions | None = None) -> Document:
    """Read and load one file from disk."""
    return load_bytes(path, read_file(path), options=options)


def read_file(path: Path, label: Path | None = None) -> bytes:
    """A file's bytes; a file over the size limit (MAX_FILE_BYTES) is refused by its size on
    disk before a byte is read, and no more than the limit is read of one that grows
    meanwhile. `label` names the file in messages (default `path`)."""
    label = label or path
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            refused = refusal(label, size)
            if refused is not None and refused.reason == "too-large":
                raise refused
            # a read reserves the memory it may fill: the size on disk, unless the file grew
            data = handle.read(size + 1)
            if len(data) > size:  # grown, or a file whose size says nothing (/proc)
                data += handle.read(MAX_FILE_BYTES + 1 - len(data))
    except OSError as exc:
        raise DocumentError("unreadable", f"{label}: {exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise DocumentError("too-large", f"{label}: over the {MAX_FILE_BYTES // MIB} MiB "
                                         "limit per file (it grew while it was read)")
    return data
