"""Zip-based files (.docx, .pptx, .xlsx, .epub), checked before a library reads them.

A zip's directory declares each member's unpacked size, and the declared sizes are summed
first: a zip bomb named .docx is refused before one byte is inflated. Python's zipfile, which
every one of these libraries reads through, cuts a member at its declared size, but only after
inflating all a single read asks for, and a library reads a part whole: a directory that
understates a part would let that one read fill memory. So each part a library parses whole is
inflated here first, a piece at a time, and the package is refused as soon as one comes out
larger than declared. As it is inflated, the elements its XML opens are counted, and the
package is refused past MAX_PACKAGE_ELEMENTS in all, before a library builds one of them: a
part of millions of empty elements is small on disk and packed. Only the parts the library
builds a tree of are counted (`ReadParts`: by the content type [Content_Types].xml gives
each, and for openpyxl by name and relationship too): a picture, or a pivot table's cached
records, which openpyxl never opens, costs nothing however many `<` bytes it holds. A
password-protected Office file is not a zip at all but an OLE container holding an
"EncryptedPackage" stream, and says so.

A package's document properties (its title and author; the application's; custom ones) are
parts each library parses or looks up as it opens the file, before a word of text is read: one
damaged, or named by the package's relationships but missing, would fail the whole file. Such a
part is left out of the package before the library opens it (`without_unreadable_properties`),
and the title is then taken as for a file that gives none.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

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
CONTENT_TYPES_PART = "[Content_Types].xml"
PACKAGE_RELATIONSHIPS = "_rels/.rels"  # the package's own: its main part, its properties
MISSING = "missing from the file"  # what is wrong with a part the package lacks
_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True)
class ReadParts:
    """The parts of an Office package that the library reading it builds a tree of: those
    of the content types `kinds` accepts; those `named`, which it opens by name whatever
    their content type; and those a relationship of a type in `followed` ("chart") points
    to, which it opens whatever their content type."""

    kinds: Callable[[str], bool]
    named: frozenset[str] = frozenset()
    followed: frozenset[str] = frozenset()


def check_package(path: Path, data: bytes, streamed: tuple[str, ...] = (),
                  parsed: ReadParts | None = None) -> list[str]:
    """The member names of a zip-based file, once its sizes are within bounds.

    Members whose names start with one of `streamed` are read a row at a time (a workbook's
    sheets), so only the total bounds them; every other XML part is parsed whole, and each is
    held to MAX_PART_BYTES. The elements of an Office package's parts the library reads as
    trees (`parsed`) are counted, and of its [Content_Types].xml and relationship parts,
    which every library parses; without `parsed` (an EPUB), those of every member.
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
        if member.file_size > MAX_PART_BYTES and not is_streamed(member.filename, streamed):
            raise too_large(path, f"its part {member.filename} unpacks to "
                                  f"{member.file_size / MIB:,.0f} MiB, more than "
                                  f"{MAX_PART_BYTES // MIB} MiB")
    names = [member.filename for member in members]
    found = package_kind(names)
    if found is not None and suffix not in (found[0], *OFFICE_VARIANTS.get(found[0], ())):
        raise DocumentError("mislabelled", f"{path}: {found[1]} named {suffix}; rename it to "
                                           f"{found[0]}")
    elements = 0
    for member in parsed_members(data, members, streamed, parsed):
        elements += checked_member_elements(path, data, member)
        if elements > MAX_PACKAGE_ELEMENTS:
            raise too_many_elements(path, MAX_PACKAGE_ELEMENTS)
    if found is not None and found[0] != ".epub" and is_strict(data, names):
        application = {".docx": "Word", ".pptx": "PowerPoint", ".xlsx": "Excel"}[found[0]]
        raise DocumentError("unsupported", f"{path}: saved as Strict Open XML, which the app "
                                           f"cannot read: open it in {application} and save "
                                           f"it as a regular {found[0]} file, then ingest that")
    return names


def parsed_members(data: bytes, members: list[zipfile.ZipInfo], streamed: tuple[str, ...],
                   parsed: ReadParts | None) -> Iterator[zipfile.ZipInfo]:
    """The members whose elements count (`check_package`): [Content_Types].xml and the
    relationship parts first, which are read here to tell which of the others the library
    parses only once their own elements have been counted (the caller counts each member
    before asking for the next)."""
    whole = [member for member in members if not is_streamed(member.filename, streamed)]
    if parsed is None:
        yield from whole
        return
    listing = [member for member in whole if member.filename == CONTENT_TYPES_PART]
    relationships = [member for member in whole if member.filename.endswith(".rels")]
    yield from listing
    yield from relationships
    kind_of = content_types(data, listing[0] if listing else None)
    followed = relationship_targets(data, relationships, parsed.followed)
    for member in whole:
        name = member.filename
        if name != CONTENT_TYPES_PART and not name.endswith(".rels") and (
                kind_of is None or name in parsed.named or name in followed
                or parsed.kinds(kind_of(name))):
            yield member


def is_streamed(name: str, streamed: tuple[str, ...]) -> bool:
    """Whether a member is read a piece at a time: one under `streamed`, but not the
    relationships of those parts, which are parsed whole."""
    return name.startswith(streamed) and not name.endswith(".rels")


def relationship_targets(data: bytes, relationships: list[zipfile.ZipInfo],
                         types: frozenset[str]) -> set[str]:
    """The parts a relationship of one of `types` (the last segment of its type, "chart")
    points to, from any of the `relationships` parts."""
    if not types:
        return set()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {relationship.target for member in relationships
                for relationship in listed_relationships(package, member)
                if relationship.type.rpartition("/")[2] in types}


class Relationship(NamedTuple):
    """A relationship a part of an Office package lists to another part: its id ("rId9"),
    its type (a URI) and the name of the part it points to, as the zip holds it."""

    id: str
    type: str
    target: str


def listed_relationships(package: zipfile.ZipFile, member: zipfile.ZipInfo
                         ) -> Iterator[Relationship]:
    """The relationships to parts of the package that the relationships part `member`
    lists (none when its XML cannot be read)."""
    root = small_tree(package.read(member))
    if root is None:
        return  # the library fails on it, or never reads it
    # "xl/chartsheets/_rels/sheet1.xml.rels" holds the relationships of
    # "xl/chartsheets/sheet1.xml", whose folder a relative target starts from
    folder = posixpath.dirname(posixpath.dirname(member.filename))
    for relationship in root.iter(_RELATIONSHIPS + "Relationship"):
        if relationship.get("TargetMode") == "External":
            continue
        target = relationship.get("Target") or ""
        yield Relationship(relationship.get("Id") or "", relationship.get("Type") or "",
                           target.lstrip("/") if target.startswith("/")
                           else posixpath.normpath(posixpath.join(folder, target)))


def dangling_relationships(data: bytes) -> dict[str, dict[str, Relationship]]:
    """The relationships to parts an Office package lacks, by the name of the part listing
    them ("ppt/presentation.xml"), then by id: python-pptx drops such a relationship as it
    opens the package, and a warning names the missing part from here."""
    dangling: dict[str, dict[str, Relationship]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        members = package.infolist()
        names = {member.filename for member in members}
        for member in members:
            if not member.filename.endswith(".rels"):
                continue
            lost = {relationship.id: relationship
                    for relationship in listed_relationships(package, member)
                    if relationship.target not in names}
            if lost:
                dangling[_listing_part(member.filename)] = lost
    return dangling


class PropertiesKind(NamedTuple):
    """A kind of document-properties part: its root element, when a library reads the
    root's children as that element's (None: only its syntax matters), and what is lost
    without it, as a warning says it (None: nothing the loaders read)."""

    root: str | None
    lost: str | None


# by the last segment of the type of the relationship naming the part
PROPERTIES_KINDS = {
    # python-docx and python-pptx fail on a core part of another root, asking it for a title
    "core-properties": PropertiesKind(
        "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
        "coreProperties", "its title and author"),
    "extended-properties": PropertiesKind(None, None),
    "custom-properties": PropertiesKind(None, None),
}
# where every writer puts them: openpyxl reads the core and custom ones by name, named by a
# relationship or not
CORE_PROPERTIES = "docProps/core.xml"
PROPERTIES_PARTS = {CORE_PROPERTIES: "core-properties",
                    "docProps/app.xml": "extended-properties",
                    "docProps/custom.xml": "custom-properties"}


class UnreadableProperties(NamedTuple):
    """A document-properties part the library could not open: its name, its kind (a key of
    PROPERTIES_KINDS), what is wrong with it (MISSING, "damaged (XMLSyntaxError: ...)"), and
    the ids of the package's relationships naming it."""

    part: str
    kind: str
    fault: str
    relationships: frozenset[str]

    def warning(self) -> str | None:
        """"its properties part docProps/core.xml is damaged (...): its title and author are
        left out"; None for a part nothing is read from."""
        lost = PROPERTIES_KINDS[self.kind].lost
        if lost is None:
            return None
        return f"its properties part {self.part} is {self.fault}: {lost} are left out"


def without_unreadable_properties(path: Path, data: bytes) -> tuple[bytes, list[str]]:
    """An Office package as its library can open it, and the warnings naming what is lost: its
    document-properties parts that are damaged (not XML, cut short, of another kind), or
    that the package's relationships name but it lacks, left out with the relationships
    naming them. Only those small parts are parsed; a package whose properties are sound is
    returned as it is, and only one whose are not is packed anew."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        unreadable = unreadable_properties(path, data, package)
        if not unreadable:
            return data, []
        relationships = package.read(PACKAGE_RELATIONSHIPS) if any(
            each.relationships for each in unreadable) else None
    replaced = {} if relationships is None else {PACKAGE_RELATIONSHIPS: without_relationships(
        relationships, {rid for each in unreadable for rid in each.relationships})}
    repacked = repacked_package(path, data, {each.part for each in unreadable}, replaced)
    return repacked, [warning for each in unreadable if (warning := each.warning())]


def unreadable_properties(path: Path, data: bytes,
                          package: zipfile.ZipFile) -> list[UnreadableProperties]:
    """The document-properties parts of a package, those its own relationships name and
    those at the names every writer gives them, that a library could not open."""
    names = {member.filename: member for member in package.infolist()}
    listed: dict[str, tuple[str, set[str]]] = {
        name: (kind, set()) for name, kind in PROPERTIES_PARTS.items() if name in names}
    if PACKAGE_RELATIONSHIPS in names:
        for relationship in listed_relationships(package, names[PACKAGE_RELATIONSHIPS]):
            kind = relationship.type.rpartition("/")[2]
            if kind in PROPERTIES_KINDS:
                listed.setdefault(relationship.target, (kind, set()))[1].add(relationship.id)
    unreadable = []
    for name, (kind, ids) in listed.items():
        fault = MISSING if name not in names else xml_fault(
            declared_pieces(path, data, names[name]), PROPERTIES_KINDS[kind].root)
        if fault is not None:
            unreadable.append(UnreadableProperties(name, kind, fault, frozenset(ids)))
    return unreadable


class _SyntaxOnly:
    """An lxml parser target that builds nothing: the part's syntax is checked in C, with no
    tree held however many elements it opens (the library may never parse the part, so
    they have not been counted)."""

    def close(self) -> None:
        return None


class _RootTag(_SyntaxOnly):
    """A parser target keeping only the tag of the root element."""

    def __init__(self) -> None:
        self.tag: str | None = None

    def start(self, tag: str, attributes: Any) -> None:
        if self.tag is None:
            self.tag = tag


def xml_fault(pieces: Iterator[bytes], root: str | None) -> str | None:
    """What is wrong with a part's XML, fed a piece at a time: "damaged (XMLSyntaxError:
    ...)" for XML the parser cannot read, or whose root is not `root` (when given); None for
    sound XML. Entities are not expanded, nor anything fetched."""
    from lxml import etree

    target = _RootTag() if root is not None else _SyntaxOnly()
    parser = etree.XMLParser(target=target, resolve_entities=False, no_network=True)
    try:
        for piece in pieces:
            parser.feed(piece)
        parser.close()
    except etree.XMLSyntaxError as exc:
        return f"damaged ({library_error(exc)})"
    if isinstance(target, _RootTag) and target.tag != root:
        return f"damaged (of another kind: its root element is {target.tag})"
    return None


def without_relationships(relationships: bytes, ids: set[str]) -> bytes:
    """A relationships part, parsed by `unreadable_properties` already, without the
    relationships of `ids`."""
    from lxml import etree

    root = small_tree(relationships)
    for relationship in list(root.iter(_RELATIONSHIPS + "Relationship")):
        if relationship.get("Id") in ids:
            root.remove(relationship)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def repacked_package(path: Path, data: bytes, dropped: set[str],
                     replaced: dict[str, bytes]) -> bytes:
    """A copy of a zip package without the members `dropped`, those `replaced` holding the
    bytes given, every other member copied as it unpacks, a piece at a time
    (`declared_pieces`: a damaged one as far as it inflates, for the library to report as it
    reads that part)."""
    out = io.BytesIO()
    # packed fast, not small: the copy lives only as long as the library reads it
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(
            out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as copy:
        for member in source.infolist():
            name = member.filename
            if name in dropped:
                continue
            if name in replaced:
                copy.writestr(name, replaced[name])
                continue
            with copy.open(name, "w") as packed:
                for piece in declared_pieces(path, data, member):
                    packed.write(piece)
    return out.getvalue()


def declared_pieces(path: Path, data: bytes, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member's unpacked bytes a piece at a time (`member_pieces`), cut at the size the zip
    declares, as zipfile cuts it for a library."""
    left = member.file_size
    for piece in member_pieces(path, data, member):
        yield piece[:left]
        left -= min(left, len(piece))
        if not left:
            return


def _listing_part(relationships_part: str) -> str:
    """The part whose relationships a relationships part holds: "ppt/presentation.xml" for
    "ppt/_rels/presentation.xml.rels" ("" for the package's own, "_rels/.rels")."""
    folder, name = posixpath.split(relationships_part)
    return posixpath.join(posixpath.dirname(folder), name.removesuffix(".rels"))


def content_types(data: bytes, listing: zipfile.ZipInfo | None) -> Callable[[str], str] | None:
    """A member's content type as an Office package's [Content_Types].xml gives it, by its
    name or else its extension ("" for neither); None when the listing is missing or cannot
    be parsed, so that every member counts (the library refuses such a package anyway)."""
    if listing is None:
        return None
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        root = small_tree(package.read(listing))
    if root is None:
        return None
    # python-docx, python-pptx and openpyxl match names and extensions without case
    overrides = {(entry.get("PartName") or "").lstrip("/").lower(): entry.get("ContentType", "")
                 for entry in root.iter(_CONTENT_TYPES + "Override")}
    defaults = {(entry.get("Extension") or "").lower(): entry.get("ContentType", "")
                for entry in root.iter(_CONTENT_TYPES + "Default")}

    def kind_of(name: str) -> str:
        lowered = name.lower()
        if lowered in overrides:
            return overrides[lowered]
        return defaults.get(lowered.rpartition(".")[2] if "." in lowered else "", "")
    return kind_of


def small_tree(xml: bytes) -> Any:
    """The tree of a package's listing part, whose elements have been counted: None for
    XML the parser cannot read. Entities are not expanded, nor anything fetched."""
    from lxml import etree

    try:
        return etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None


def parsed_as(factory: Any, tree_part: type) -> ReadParts:
    """The parts python-docx or python-pptx builds a tree of as it opens a package: those
    whose content type its part `factory` reads as a subclass of `tree_part` (their
    XmlPart), whatever relationship leads to them; it keeps any other part (a picture, an
    embedded workbook, a kind it does not know) as bytes."""
    return ReadParts(lambda content_type: issubclass(
        factory.part_type_for.get(content_type, object), tree_part))


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


# what a library raises, besides its own errors and a parser's SyntaxError, on a damaged
# file or on a damaged part of one as it reads the part
DAMAGE_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile, zlib.error, KeyError, ValueError, TypeError, AttributeError, IndexError,
    OSError, EOFError, RecursionError, LookupError, AssertionError)


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
    except (*library_errors, *DAMAGE_ERRORS) as exc:
        raise corrupt(path, what, exc) from exc


def too_deep(exc: SyntaxError) -> bool:
    """Whether lxml gave up on elements nested past its depth limit: the file is sound, only
    deeper than the parser reads (lifting the limit would lift its other guards too)."""
    return "Excessive depth" in str(exc)  # lxml's XMLSyntaxError is a SyntaxError


def corrupt(path: Path, what: str, exc: BaseException) -> DocumentError:
    return DocumentError("corrupt", f"{path}: cannot read the {what}: damaged or not what "
                                    f"its name says ({library_error(exc)})")


def know_main_parts(factory: Any, part_type: type, content_types: tuple[str, ...]) -> None:
    """Have a library's part `factory` read a main part whose content type is one of
    `content_types` (a macro-enabled file, a template, a slideshow saved under the suffix of
    the plain kind) as `part_type`: the application opens those alike and their text is read
    the same way, but python-docx and python-pptx know the plain kind's alone."""
    for content_type in content_types:
        factory.part_type_for.setdefault(content_type, part_type)


def main_part(path: Path, data: bytes, package: Any, part_type: type, what: str) -> Any:
    """An Office package's main part, read as `part_type` (`know_main_parts`). `what`:
    "Word document", "PowerPoint file"."""
    part = package.open(io.BytesIO(data)).main_document_part
    if not isinstance(part, part_type):
        raise DocumentError("corrupt", f"{path}: cannot read the {what}: its main part is of "
                                       f"another kind (its content type is "
                                       f"{part.content_type})")
    return part
