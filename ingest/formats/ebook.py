"""EPUB with ebooklib: each chapter of the reading order is a page, its locator
"chapter 2: <title>" (the title from the table of contents, else the chapter's own heading)."""

from __future__ import annotations

import io
import posixpath
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

from ingest.formats.base import LoadOptions, Pages, Parsed, metadata_title
from ingest.formats.containers import check_package, reading
from ingest.formats.web import visible
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
        book, missing = read_despite_missing_chapters(data)
        titles = toc_titles(book.toc)
        number = 0
        for item in spine_chapters(book):
            heading, text = chapter_text(item.content or b"")
            if not text:
                continue
            number += 1
            name = titles.get(posixpath.normpath(item.get_name())) or heading
            pages.add(number, text, f"chapter {number}: {short(name)}" if name
                      else f"chapter {number}")
        metadata = book.get_metadata("DC", "title")
    title = metadata_title(metadata[0][0]) if metadata else ""
    return Parsed(title or path.stem, pages.pages,
                  [f"{name} is missing from the book: its text is left out" for name in missing])


def read_despite_missing_chapters(data: bytes) -> tuple[Any, list[str]]:
    """The book, and the chapter files its manifest lists but its archive lacks. ebooklib
    refuses a book missing any file it lists; a chapter lost from an otherwise sound book
    should cost that chapter only, so each missing one is read as an empty page, up to
    `_MOST_MISSING` of them (a book missing more is no book)."""
    from ebooklib import epub

    missing: list[str] = []
    while True:
        try:
            return epub.read_epub(io.BytesIO(data), {"ignore_ncx": False}), missing
        except KeyError as exc:
            name = _missing_file(exc)
            if name is None or not _CHAPTER_FILE.search(name) or len(missing) >= _MOST_MISSING:
                raise
            missing.append(name)
            data = _with_empty_page(data, name)


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


def toc_titles(toc) -> dict[str, str]:
    """Table-of-contents titles by the file they point to (first entry per file wins)."""
    titles: dict[str, str] = {}
    if not isinstance(toc, (list, tuple)):  # ebooklib's reading of an empty navMap: one Link
        toc = [toc]
    for entry in toc:
        if isinstance(entry, tuple):  # (section, children)
            section, children = entry
            _note(titles, section)
            titles = {**toc_titles(children), **titles}
        else:
            _note(titles, entry)
    return titles


def _note(titles: dict[str, str], entry) -> None:
    href, title = getattr(entry, "href", ""), getattr(entry, "title", "")
    if href and title:
        titles.setdefault(posixpath.normpath(href.split("#")[0]), " ".join(title.split()))


def chapter_text(content: bytes) -> tuple[str, str]:
    """A chapter's first heading and its visible text, from the file as the book holds it,
    parsed as an .html file is: ebooklib's own `get_content()` redraws the chapter with lxml,
    which drops without a word whatever is nested deeper than its parser's limit."""
    soup, text = visible(content)
    # not the file's <title>, often the book's own, which ebooklib's redrawn chapter left out
    first = soup.find(["h1", "h2", "h3"])
    heading = " ".join(first.get_text(" ").split()) if first else ""
    return heading, text
