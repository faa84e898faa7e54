"""EPUB with ebooklib: each chapter of the reading order is a page, its locator
"chapter 2: <title>" (the title from the table of contents, else the chapter's own heading);
a file the table of contents points into at anchors holds a chapter from each anchor on."""

from __future__ import annotations

import io
import posixpath
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote

from ingest.formats.base import LoadOptions, Pages, Parsed, metadata_title
from ingest.formats.containers import (
    DAMAGE_ERRORS,
    MISSING,
    check_package,
    declared_pieces,
    reading,
    small_tree,
    xml_fault,
)
from ingest.formats.web import markup_text, visible
from ingest.formats.word import short
from rag.errors import DocumentError

# fonts obfuscated by these are listed in encryption.xml too; any other algorithm is DRM
_FONT_OBFUSCATION = {b"http://www.idpf.org/2008/embedding", b"http://ns.adobe.com/pdf/enc#RC"}
_ALGORITHM = re.compile(rb'Algorithm="([^"]*)"')
_NO_ITEM = re.compile(r"There is no item named '(.+)' in the archive")  # zipfile's KeyError
# a chapter's file; not the package file or container, without which there is no book
_CHAPTER_FILE = re.compile(r"\.x?html?$", re.IGNORECASE)
_MOST_MISSING = 20
# what stands in for a missing chapter: a page with nothing on it, which a navigation page
# (parsed by ebooklib itself) must be too
_EMPTY_PAGE = b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title></title></head><body/></html>'
# the two parts every book opens with: the container names the package file, which lists
# the book's chapters and their order
_CONTAINER = "META-INF/container.xml"
_ROOTFILE = "{urn:oasis:names:tc:opendocument:xmlns:container}rootfile"
_PACKAGE_MEDIA_TYPE = "application/oebps-package+xml"
_PACKAGE_ROOT = "{http://www.idpf.org/2007/opf}package"


def load_epub(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    from ebooklib import epub
    from lxml import etree

    names = check_package(path, data)
    if "META-INF/encryption.xml" in names and _drm(data):
        raise DocumentError("encrypted", f"{path}: the book is DRM-protected")
    pages = Pages(path)
    # lxml's own errors: ebooklib parses the navigation page with it (an empty one, say)
    with reading(path, "EPUB book", (epub.EpubException, etree.LxmlError)), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ebooklib warns about its own future defaults
        book, missing = read_naming_a_damaged_package(path, data)
        entries = toc_entries(book.toc)
        number = 0
        for item in spine_chapters(book):
            name = posixpath.normpath(item.get_name())
            for title, text in chapter_parts(path, item.content or b"", entries.get(name, [])):
                number += 1
                pages.add(number, text, f"chapter {number}: {short(title)}" if title
                          else f"chapter {number}")
        metadata = book.get_metadata("DC", "title")
    title = metadata_title(metadata[0][0]) if metadata else ""
    return Parsed(title or path.stem, pages.pages,
                  [f"{name} is missing from the book: its text is left out" for name in missing])


def read_naming_a_damaged_package(path: Path, data: bytes) -> tuple[Any, list[str]]:
    """The book and its missing chapters (`read_despite_missing_chapters`). ebooklib reads
    its container and package file leniently and, when that fails, says a missing package
    file is a missing container, or fails further on with an error naming no part: so a
    failure names the damaged part, when it is one of these two. They are only checked once
    ebooklib has failed, since it reads much that a strict parser would refuse."""
    from ebooklib import epub
    from lxml import etree

    try:
        return read_despite_missing_chapters(data)
    except (epub.EpubException, etree.LxmlError, *DAMAGE_ERRORS) as exc:
        fault = package_fault(path, data)
        if fault is None:
            raise
        raise DocumentError("corrupt", f"{path}: cannot read the EPUB book: {fault}") from exc


def package_fault(path: Path, data: bytes) -> str | None:
    """What is wrong with a book's container or the package file it names ("its package
    file OEBPS/content.opf is damaged (XMLSyntaxError: ...)"); None when both are sound."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        members = {member.filename: member for member in package.infolist()}
    container = members.get(_CONTAINER)
    if container is None:
        return f"its container {_CONTAINER} is {MISSING}"
    fault = xml_fault(declared_pieces(path, data, container), None)
    if fault is not None:
        return f"its container {_CONTAINER} is {fault}"
    name = package_file_name(b"".join(declared_pieces(path, data, container)))
    if name is None:
        return f"its container {_CONTAINER} names no package file"
    if name not in members:
        return f"its package file {name}, named by {_CONTAINER}, is {MISSING}"
    fault = xml_fault(declared_pieces(path, data, members[name]), _PACKAGE_ROOT)
    return None if fault is None else f"its package file {name} is {fault}"


def package_file_name(container: bytes) -> str | None:
    """The package file a container names, as ebooklib picks it: the last one of its
    media type, its path normalised."""
    root = small_tree(container)
    names = [] if root is None else [
        rootfile.get("full-path") or "" for rootfile in root.iter(_ROOTFILE)
        if rootfile.get("media-type") == _PACKAGE_MEDIA_TYPE]
    return posixpath.normpath(names[-1]) if names and names[-1] else None


def read_despite_missing_chapters(data: bytes) -> tuple[Any, list[str]]:
    """The book, and the chapter files its manifest lists but its archive lacks. ebooklib
    refuses a book missing any file it lists; a chapter lost from an otherwise sound book
    should cost that chapter only, so each missing one is read as an empty page, up to
    `_MOST_MISSING` of them (a book missing more is no book). A spine naming a missing NCX
    table of contents costs that table only: the navigation document's is read instead."""
    from ebooklib import epub

    missing: list[str] = []
    options = {"ignore_ncx": False}
    while True:
        try:
            return epub.read_epub(io.BytesIO(data), options), missing
        except KeyError as exc:
            name = _missing_file(exc)
            if name is None or not _CHAPTER_FILE.search(name) or len(missing) >= _MOST_MISSING:
                raise
            missing.append(name)
            data = _with_empty_page(data, name)
        except AttributeError:
            # the spine names an NCX table of contents the manifest lacks, as ebooklib
            # writes a book given a navigation document alone: its titles come from that
            if options["ignore_ncx"]:
                raise
            options = {"ignore_ncx": True}


def _missing_file(exc: KeyError) -> str | None:
    """The archive member zipfile says it lacks, if that is what `exc` is."""
    said = _NO_ITEM.fullmatch(str(exc.args[0])) if exc.args else None
    return said.group(1) if said else None


def _with_empty_page(data: bytes, name: str) -> bytes:
    """The package with an empty page `name` added."""
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as package:
        package.writestr(name, _EMPTY_PAGE)
    return out.getvalue()


def spine_chapters(book) -> list:
    """The chapters of the reading order, each once: a spine naming one file again adds
    nothing to read (and a book repeating an empty chapter would otherwise be parsed as often
    as it likes without counting towards the chapter bound). Not the table of contents, and
    not a cover page, which ebooklib draws as a picture of its own."""
    from ebooklib import ITEM_DOCUMENT, epub

    items: dict[str, object] = {}
    for item in book.get_items():
        items.setdefault(item.get_id(), item)  # the first of an id, as ebooklib looks it up
    chapters, seen = [], set()
    for idref, _linear in book.spine:
        item = items.get(idref)
        if (item is None or item.get_type() != ITEM_DOCUMENT
                or isinstance(item, (epub.EpubNav, epub.EpubCoverHtml))):
            continue
        name = posixpath.normpath(item.get_name())
        if name not in seen:
            seen.add(name)
            chapters.append(item)
    return chapters


def _drm(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        listing = package.read("META-INF/encryption.xml")
    return any(a not in _FONT_OBFUSCATION for a in _ALGORITHM.findall(listing))


class TocEntry(NamedTuple):
    """An entry of the table of contents within the file it points to: the id of the element
    it leads to ("" for the file's start), and its title."""

    anchor: str
    title: str


def toc_entries(toc) -> dict[str, list[TocEntry]]:
    """The table of contents' entries by the file they point to, in its order: a section
    before the entries nested in it."""
    entries: dict[str, list[TocEntry]] = {}
    for file, entry in _flattened(toc):
        entries.setdefault(file, []).append(entry)
    return entries


def _flattened(toc) -> list[tuple[str, TocEntry]]:
    if not isinstance(toc, (list, tuple)):  # ebooklib's reading of an empty navMap: one Link
        toc = [toc]
    found: list[tuple[str, TocEntry]] = []
    for entry in toc:
        if isinstance(entry, tuple):  # (section, children)
            section, children = entry
            found += _entry(section) + _flattened(children)
        else:
            found += _entry(entry)
    return found


def _entry(link) -> list[tuple[str, TocEntry]]:
    href, title = getattr(link, "href", "") or "", getattr(link, "title", "") or ""
    title = " ".join(title.split())
    if not href or not title:
        return []
    file, _, anchor = href.partition("#")
    # an href is a URL: "tout_le_r%C3%A9cit.xhtml" names the manifest's "tout_le_récit.xhtml"
    return [(posixpath.normpath(unquote(file)), TocEntry(unquote(anchor), title))]


def chapter_parts(path: Path, content: bytes, entries: list[TocEntry]) -> list[tuple[str, str]]:
    """A chapter file's chapters, each its title and its text. A file the table of contents
    points into at anchors (several chapters in one file, as Project Gutenberg's books are)
    is cut at each anchored element, so that no passage mixes two chapters; what comes
    before the first anchor is the file's own chapter."""
    titles = _anchor_titles(entries)
    anchors = list(titles)
    if not anchors:
        heading, text = chapter_text(path, content)
        return [(entries[0].title if entries else heading, text)] if text else []
    soup, text = visible(path, _marked(content, anchors))
    lead, cuts = _split_at_marks(text)
    # a link to an anchor the text lacks leads to the file's start, as a browser's does
    cut = {anchors[index] for index in cuts}
    to_start = [entry.title for entry in entries if entry.anchor not in cut]
    parts = [(to_start[0] if to_start else _lead_heading(soup), lead)]
    parts += [(titles[anchors[index]], piece) for index, piece in cuts.items()]
    return [(title, piece) for title, piece in parts if piece]


def _split_at_marks(text: str) -> tuple[str, dict[int, str]]:
    """The text before the first mark, and the text after each mark up to the next, by the
    mark's anchor. A mark the layout repeated (one in a table's header cell names every
    row's values) cuts once: the first."""
    pieces = _MARK.split(text)  # text, index, text, index, ... text
    lead: list[str] = [pieces[0]]
    cuts: dict[int, list[str]] = {}
    current: list[str] | None = None
    for index_text, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        index = int(index_text)
        if index not in cuts:
            current = cuts[index] = []
        (lead if current is None else current).append(piece)
    return _joined(lead), {index: _joined(found) for index, found in cuts.items()}


def _joined(pieces: list[str]) -> str:
    return "".join(pieces).strip()


# stands where an anchored element starts: Unicode's noncharacters, kept for a program's
# own use (a book's own are taken out first), which the layout keeps as they are
_MARK_START, _MARK_END = "\ufdd0", "\ufdd1"
_MARK_CHARACTER = re.compile(f"[{_MARK_START}{_MARK_END}]")
_MARK = re.compile(f"{_MARK_START}(\\d+){_MARK_END}")
# a start tag, its attributes' quoted values holding any `>`
_START_TAG = re.compile(r"""<[^\s/>]+(?:[^"'>]|"[^"]*"|'[^']*')*>""")
# elements that hold no text of their own, or none the layout shows where it stands (a
# table's or a list's between their cells and items): the mark goes before them
_HOLDS_NO_TEXT = frozenset({
    "area", "base", "br", "col", "colgroup", "dl", "embed", "hr", "img", "input", "link",
    "meta", "ol", "source", "table", "tbody", "tfoot", "thead", "tr", "track", "ul", "wbr"})


def _anchor_titles(entries: list[TocEntry]) -> dict[str, str]:
    """The anchors the entries point at, in table-of-contents order, each titled by its
    first entry (a section and the chapter nested in it may lead to one place)."""
    titles: dict[str, str] = {}
    for entry in entries:
        if entry.anchor:
            titles.setdefault(entry.anchor, entry.title)
    return titles


def _marked(content: bytes, anchors: list[str]) -> str:
    """The file's markup with a numbered mark where each anchored element it holds starts
    (an anchor is an element's `id`, or an `<a name>` as older books write it). Written into
    the source, not the parsed tree: BeautifulSoup writes a deeply nested tree out by
    recursion, and fails on the depths a chapter parsed as an .html file is allowed."""
    from bs4 import BeautifulSoup

    # a hostile book's own marks cut nothing
    markup = _MARK_CHARACTER.sub("", markup_text(content))
    targets = _anchor_targets(BeautifulSoup(markup, "html.parser"))
    line_starts = [0] + [found.end() for found in re.finditer("\n", markup)]
    places: list[tuple[int, int]] = []
    for index, anchor in enumerate(anchors):
        target = targets.get(anchor)
        if target is not None and target.sourceline is not None:
            tag_start = line_starts[target.sourceline - 1] + target.sourcepos
            places.append((_mark_place(markup, tag_start, target.name), index))
    pieces: list[str] = []
    done = 0
    for place, index in sorted(places):  # one pass: a big book's file is copied once
        pieces += [markup[done:place], f"{_MARK_START}{index}{_MARK_END}"]
        done = place
    return "".join(pieces) + markup[done:]


def _mark_place(markup: str, tag_start: int, name: str) -> int:
    """Where an anchored element's mark goes: inside it, after its start tag, or before it
    when it holds no text the layout shows in place."""
    start_tag = _START_TAG.match(markup, tag_start)
    if name in _HOLDS_NO_TEXT or start_tag is None:
        return tag_start
    return start_tag.end()


def _anchor_targets(soup) -> dict[str, Any]:
    """Elements by the anchors naming them, the first of a name winning as in a browser;
    one pass, however many entries the table of contents has."""
    targets: dict[str, Any] = {}
    for tag in soup.find_all(True):
        for name in (tag.get("id"), tag.get("name") if tag.name == "a" else None):
            if isinstance(name, str) and name:
                targets.setdefault(name, tag)
    return targets


def _lead_heading(soup) -> str:
    """The first heading before the first anchor's mark: the title of the text that
    precedes the table of contents' first chapter in the file."""
    from bs4 import NavigableString

    for node in soup.descendants:
        if isinstance(node, NavigableString):
            if _MARK_START in node:
                return ""
        elif node.name in ("h1", "h2", "h3"):
            before = node.get_text(" ").split(_MARK_START)[0]
            return " ".join(before.split())
    return ""


def chapter_text(path: Path, content: bytes) -> tuple[str, str]:
    """A chapter's first heading and its visible text, from the file as the book holds it,
    parsed as an .html file is: ebooklib's own `get_content()` redraws the chapter with lxml,
    which drops without a word whatever is nested deeper than its parser's limit."""
    soup, text = visible(path, content)
    # not the file's <title>, often the book's own, which ebooklib's redrawn chapter left out
    first = soup.find(["h1", "h2", "h3"])
    heading = " ".join(first.get_text(" ").split()) if first else ""
    return heading, text
