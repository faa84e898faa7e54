"""What a file is by its first bytes, whatever its name says: a file named as another type is
refused naming what it really is, and the name to give it."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from typing import NamedTuple

from ingest.formats.containers import package_kind


class Kind(NamedTuple):
    description: str  # "a Word document"
    suffix: str  # ".docx"; "" when no reader of ours takes it by a suffix


_MAGIC = ((b"%PDF-", Kind("a PDF file", ".pdf")), (b"\x89PNG\r\n", Kind("a PNG image", ".png")),
          (b"\xff\xd8\xff", Kind("a JPEG image", ".jpg")))
_ZIP = b"PK\x03\x04"
_UNKNOWN_PACKAGE = Kind("a zip package (an Office file or an EPUB?)", "")
_HTML = Kind("an HTML page", ".html")
# an HTML page opens so, after any byte-order mark, white space and comments
_HTML_OPENING = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])",
    re.IGNORECASE | re.DOTALL)


def binary_kind(data: bytes) -> Kind | None:
    """The kind of a file that is not text: a PDF, a PNG or JPEG image, an Office file or an
    EPUB (by the parts its zip package holds); None for none of those."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data.startswith(_ZIP):
        return _package_kind(data)
    return None


def recognised_kind(data: bytes) -> Kind | None:
    """`binary_kind`, or an HTML page (which a text reader takes as text, so only a reader of
    another type calls it by name)."""
    return binary_kind(data) or (_HTML if _HTML_OPENING.match(data[:4096]) else None)


def rename_hint(kind: Kind) -> str:
    return f"; rename it to {kind.suffix}" if kind.suffix else ""


def _package_kind(data: bytes) -> Kind:
    """An Office file or an EPUB by its zip directory alone: no member is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            found = package_kind(package.namelist())
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError):
        return _UNKNOWN_PACKAGE
    return _UNKNOWN_PACKAGE if found is None else Kind(found[1], found[0])
