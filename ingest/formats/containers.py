"""Zip-based files (.docx, .pptx, .xlsx, .epub), checked before a library reads them.

A zip's directory declares each member's unpacked size, and the declared sizes are summed
first: a zip bomb named .docx is refused before one byte is inflated. Python's zipfile, which
every one of these libraries reads through, cuts a member at its declared size, but only after
inflating all a single read asks for, and a library reads a part whole: a directory that
understates a part would let that one read fill memory. So each part a library parses whole is
inflated here first, a piece at a time, and the package is refused as soon as one comes out
larger than declared. As it is inflated, the elements its XML opens are counted, and the
package is refused past MAX_PACKAGE_ELEMENTS in all, before a library builds one of them: a
part of millions of empty elements is small on disk and packed. A password-protected Office
file is not a zip at all but an OLE container holding an "EncryptedPackage" stream, and says
so.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ingest.formats.base import (
    MAX_MEMBERS,
    MAX_PACKAGE_ELEMENTS,
    MAX_PART_BYTES,
    MAX_UNPACKED_BYTES,
    MIB,
    library_error,
    start_tags,
    too_large,
    too_many_elements,
)
from rag.errors import DocumentError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
# a member's local header: signature, version, flags, method, time, date, CRC, packed and
# unpacked sizes, then the lengths of its name and its extra field, which the data follows
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
INFLATE_PIECE_BYTES = MIB  # what one step of checking a member's real size inflates at most


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
    if found is not None and suffix not in (found[0], *OFFICE_VARIANTS.get(found[0], ())):
        raise DocumentError("mislabelled", f"{path}: {found[1]} named {suffix}; rename it to "
                                           f"{found[0]}")
    elements = 0
    for member in members:
        if not member.filename.startswith(streamed):  # zipfile reads those a piece at a time
            elements += checked_member_elements(path, data, member)
            if elements > MAX_PACKAGE_ELEMENTS:
                raise too_many_elements(path, MAX_PACKAGE_ELEMENTS)
    if found is not None and found[0] != ".epub" and is_strict(data, names):
        application = {".docx": "Word", ".pptx": "PowerPoint", ".xlsx": "Excel"}[found[0]]
        raise DocumentError("unsupported", f"{path}: saved as Strict Open XML, which the app "
                                           f"cannot read: open it in {application} and save "
                                           f"it as a regular {found[0]} file, then ingest that")
    return names


def is_strict(data: bytes, names: list[str]) -> bool:
    """Whether an Office package is Strict Open XML (ISO 29500 Strict, one of Office's "Save
    as" choices), whose parts python-docx, python-pptx and openpyxl do not find: its
    relationships are named in the purl.oclc.org namespace, not openxmlformats.org's."""
    if "_rels/.rels" not in names:
        return False
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return STRICT_NAMESPACE in package.read("_rels/.rels")


def checked_member_elements(path: Path, data: bytes, member: zipfile.ZipInfo) -> int:
    """The elements a member opens (`start_tags`), counted a piece at a time as it unpacks,
    before a library parses it; a member that unpacks to more than its declared size is
    refused as soon as it does, so that the check itself never holds more than a piece."""
    elements = produced = 0
    for piece in member_pieces(path, data, member):
        elements += start_tags(piece)  # an end tag cut between pieces counts: still a bound
        produced += len(piece)
        if produced > member.file_size:
            raise DocumentError("corrupt", f"{path}: cannot read the file: damaged "
                                           f"(its part {member.filename} unpacks to more than "
                                           f"the {member.file_size:,} bytes the zip declares)")
    return elements


def member_pieces(path: Path, data: bytes, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member's unpacked bytes, a piece at a time: a stored one as it is (zipfile copies it
    out cut at the declared size), a deflated one inflated."""
    if member.flag_bits & 0x1:
        raise DocumentError("encrypted", f"{path}: its part {member.filename} is encrypted")
    if member.compress_type == zipfile.ZIP_STORED:
        stored = packed_bytes(path, data, member)[:member.file_size]
        for start in range(0, len(stored), INFLATE_PIECE_BYTES):
            yield bytes(stored[start:start + INFLATE_PIECE_BYTES])
        return
    if member.compress_type != zipfile.ZIP_DEFLATED:
        # zipfile inflates the other methods without any bound on one read's output, and
        # neither Office nor EPUB packages use them
        raise DocumentError("corrupt", f"{path}: cannot read the file: its part "
                                       f"{member.filename} is packed with a method these "
                                       f"files never use ({member.compress_type})")
    yield from inflated_pieces(packed_bytes(path, data, member), member.file_size)


def packed_bytes(path: Path, data: bytes, member: zipfile.ZipInfo) -> memoryview:
    """A member's compressed bytes, where its local header says they start."""
    start = member.header_offset
    header = data[start:start + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size or not header.startswith(_LOCAL_SIGNATURE):
        raise DocumentError("corrupt", f"{path}: cannot read the file: damaged or truncated "
                                       f"(no header for its part {member.filename})")
    *_, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    start += _LOCAL_HEADER.size + name_length + extra_length
    return memoryview(data)[start:start + member.compress_size]


def inflated_pieces(packed: memoryview, declared: int) -> Iterator[bytes]:
    """Deflated `packed`, unpacked a piece at a time until it ends or comes out one byte past
    `declared`: each step asks for no more than that, so a lie costs almost nothing to catch.
    Damaged data ends where it fails: the library reports it as it reads the part."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    try:
        for start in range(0, len(packed), INFLATE_PIECE_BYTES):
            pending = packed[start:start + INFLATE_PIECE_BYTES]
            while pending and not inflater.eof:
                wanted = min(INFLATE_PIECE_BYTES, declared - produced + 1)
                piece = inflater.decompress(pending, wanted)
                produced += len(piece)
                yield piece
                if produced > declared:
                    return
                pending = inflater.unconsumed_tail
            if inflater.eof:
                break
        yield inflater.decompress(b"", declared - produced + 1)  # held back
    except zlib.error:
        return


# Office's macro-enabled files, templates and slideshows: read as the plain kind is, since
# their text is held the same way
OFFICE_VARIANTS = {
    ".docx": (".docm", ".dotx", ".dotm"),
    ".pptx": (".pptm", ".ppsx", ".ppsm", ".potx", ".potm"),
    ".xlsx": (".xlsm", ".xltx", ".xltm"),
}

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
    DocumentError ("corrupt"); XML nested deeper than lxml parses, "too-large"."""
    try:
        yield
    except DocumentError:
        raise
    except SyntaxError as exc:
        if too_deep(exc):
            raise DocumentError("too-large", f"{path}: cannot read the {what}: nested too "
                                             f"deeply to read (elements within elements, "
                                             f"such as tables within tables, past the XML "
                                             f"parser's limit)") from exc
        raise corrupt(path, what, exc) from exc
    except (*library_errors, zipfile.BadZipFile, zlib.error, KeyError, ValueError, TypeError,
            AttributeError, IndexError, OSError, EOFError, RecursionError,
            LookupError, AssertionError) as exc:
        raise corrupt(path, what, exc) from exc


def too_deep(exc: SyntaxError) -> bool:
    """Whether lxml gave up on elements nested past its depth limit: the file is sound, only
    deeper than the parser reads (lifting the limit would lift its other guards too)."""
    return "Excessive depth" in str(exc)  # lxml's XMLSyntaxError is a SyntaxError


def corrupt(path: Path, what: str, exc: BaseException) -> DocumentError:
    return DocumentError("corrupt", f"{path}: cannot read the {what}: damaged or not what "
                                    f"its name says ({library_error(exc)})")


def main_part(path: Path, data: bytes, package: Any, factory: Any, part_type: type,
              content_types: tuple[str, ...], what: str) -> Any:
    """An Office package's main part, read as `part_type` when its content type is one of
    `content_types` too (a macro-enabled file, a template, a slideshow saved under the
    suffix of the plain kind): the application opens those alike and their text is read the
    same way, but python-docx and python-pptx know the plain kind's alone, so the others
    are made known to their `factory`. `what`: "Word document", "PowerPoint file"."""
    for content_type in content_types:
        factory.part_type_for.setdefault(content_type, part_type)
    part = package.open(io.BytesIO(data)).main_document_part
    if not isinstance(part, part_type):
        raise DocumentError("corrupt", f"{path}: cannot read the {what}: its main part is of "
                                       f"another kind (its content type is "
                                       f"{part.content_type})")
    return part
