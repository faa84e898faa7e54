"""Zip-based files (.docx, .pptx, .xlsx, .epub), checked before a library reads them.

A zip's directory declares each member's unpacked size, and Python's zipfile, which every one
of these libraries reads through, never inflates a member past that size (it stops with a CRC
error). So the declared sizes bound what a library can unpack: a zip bomb named .docx is
refused before one byte is inflated. A password-protected Office file is not a zip at all but
an OLE container holding an "EncryptedPackage" stream, and says so.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.formats.base import (
    MAX_MEMBERS,
    MAX_PART_BYTES,
    MAX_UNPACKED_BYTES,
    MIB,
    library_error,
    too_large,
)
from rag.errors import DocumentError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def check_package(path: Path, data: bytes, streamed: tuple[str, ...] = ()) -> list[str]:
    """The member names of a zip-based file, once its sizes are within bounds.

    Members whose names start with one of `streamed` are read a row at a time (a workbook's
    sheets), so only the total bounds them; every other XML part is parsed whole, and each is
    held to MAX_PART_BYTES.
    """
    suffix = path.suffix.lower()
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_STREAM in data:
            raise DocumentError("encrypted", f"{path}: the file is password-protected; save "
                                             f"a copy without the password first")
        raise DocumentError("mislabelled", f"{path}: an older binary Office file named "
                                           f"{suffix}; save it as {suffix} first")
    if not data.startswith(b"PK"):
        raise DocumentError("mislabelled", f"{path}: named {suffix} but is not a {suffix} "
                                           f"file (not a zip package)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as exc:
        raise DocumentError("corrupt", f"{path}: cannot read the file: damaged or "
                                       f"truncated ({exc})") from exc
    if len(members) > MAX_MEMBERS:
        raise too_large(path, f"{len(members):,} files inside the package is more than "
                              f"{MAX_MEMBERS:,}")
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise too_large(path, f"it unpacks to {unpacked / MIB:,.0f} MiB, more than "
                              f"{MAX_UNPACKED_BYTES // MIB} MiB (a zip bomb?)", hint=None)
    for member in members:
        if member.file_size > MAX_PART_BYTES and not member.filename.startswith(streamed):
            raise too_large(path, f"its part {member.filename} unpacks to "
                                  f"{member.file_size / MIB:,.0f} MiB, more than "
                                  f"{MAX_PART_BYTES // MIB} MiB")
    names = [member.filename for member in members]
    found = package_kind(names)
    if found is not None and found[0] != suffix:
        raise DocumentError("mislabelled", f"{path}: {found[1]} named {suffix}; rename it to "
                                           f"{found[0]}")
    return names


# the part that makes a package what it is, and what it is
_KINDS = (("word/document.xml", ".docx", "a Word document"),
          ("ppt/presentation.xml", ".pptx", "a PowerPoint presentation"),
          ("xl/workbook.xml", ".xlsx", "an Excel workbook"),
          ("META-INF/container.xml", ".epub", "an EPUB book"))


def package_kind(names: list[str]) -> tuple[str, str] | None:
    """The suffix and kind of file a package's members say it is (None: none of ours)."""
    present = set(names)
    return next(((suffix, kind) for part, suffix, kind in _KINDS if part in present), None)


@contextmanager
def reading(path: Path, what: str,
            library_errors: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """What a library raises on a damaged file (its own `library_errors` too) becomes a
    DocumentError ("corrupt")."""
    try:
        yield
    except DocumentError:
        raise
    except (*library_errors, zipfile.BadZipFile, zlib.error, KeyError, ValueError, TypeError,
            AttributeError, IndexError, SyntaxError, OSError, EOFError, RecursionError,
            LookupError, AssertionError) as exc:  # lxml's XMLSyntaxError is a SyntaxError
        raise DocumentError("corrupt", f"{path}: cannot read the {what}: damaged or not "
                                       f"what its name says ({library_error(exc)})") from exc
