"""EPUB chapters that share one file: the table of contents points at anchors inside it
(`all.xhtml#ch2`), as in many Project Gutenberg and converted books. Each anchor starts a
chapter of its own, numbered and titled as a chapter file is."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from ingest.loaders import load_bytes

_NUMERALS = ("I", "II", "III", "IV")


def _chapter(n: int, *, anchor: str = "h2") -> str:
    """Chapter `n` of the shared file: its heading (the anchored element) and two
    paragraphs, the last holding a word found in no other chapter."""
    numeral = _NUMERALS[n - 1]
    heading = (f'<h2 id="ch{n}">Chapter {numeral}</h2>' if anchor == "h2"
               else f'<a name="ch{n}"></a><h2>Chapter {numeral}</h2>')
    return (heading + f"<p>The voyage went on in chapter {numeral}.</p>"
            f"<p>closingword{n} ends chapter {numeral}.</p>")


def _book(files: dict[str, str], toc: Sequence, spine: Sequence[str] | None = None) -> bytes:
    """An EPUB of `files` (name: body markup), its table of contents `toc` (ebooklib's
    Links and (Section, children) tuples) and its reading order (the files', by default)."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("anchored-book")
    book.set_title("Anchored Book")
    book.set_language("en")
    items = {}
    for name, body in files.items():
        item = epub.EpubHtml(title=name, file_name=name, lang="en")
        item.content = f"<html><body>{body}</body></html>"
        book.add_item(item)
        items[name] = item
    book.toc = list(toc)
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *(items[name] for name in (spine or list(files)))]
    out = io.BytesIO()
    epub.write_epub(out, book)
    return out.getvalue()


def _with_file(data: bytes, name: str, markup: str) -> bytes:
    """The book with its file `name` holding `markup` as written (ebooklib's writer redraws a
    chapter with lxml, which drops what is nested deeper than its limit)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            copy.writestr(info, markup.encode() if info.filename == name
                          else source.read(info.filename))
    return out.getvalue()


def _link(href: str, title: str):
    from ebooklib import epub

    return epub.Link(href, title, href.replace("/", "-").replace("#", "-"))


def _pages(data: bytes) -> list[tuple[int | None, str | None, str]]:
    document = load_bytes(Path("book.epub"), data)
    return [(page.number, page.locator, page.text) for page in document.pages]


def _anchored_toc(numbers: Sequence[int] = (1, 2, 3, 4)) -> list:
    return [_link(f"text/all.xhtml#ch{n}", f"Chapter {_NUMERALS[n - 1]}") for n in numbers]


def test_a_file_the_table_of_contents_names_percent_encoded_is_found() -> None:
    """An href is a URL: an accent or a space in a file's name is written %-encoded there,
    as ebooklib, Sigil and Calibre write it."""
    name = "text/tout le récit.xhtml"
    toc = [_link(f"text/tout%20le%20r%C3%A9cit.xhtml#ch{n}", f"Chapter {_NUMERALS[n - 1]}")
           for n in (1, 2)]
    pages = _pages(_book({name: _chapter(1) + _chapter(2)}, toc))
    assert [(number, locator) for number, locator, _ in pages] == [
        (1, "chapter 1: Chapter I"), (2, "chapter 2: Chapter II")]
    assert "closingword2" not in pages[0][2]


def test_each_anchor_in_the_table_of_contents_starts_a_chapter_of_its_own() -> None:
    data = _book({"text/all.xhtml": "".join(_chapter(n) for n in (1, 2, 3, 4))},
                 _anchored_toc())
    pages = _pages(data)
    assert [(number, locator) for number, locator, _ in pages] == [
        (1, "chapter 1: Chapter I"), (2, "chapter 2: Chapter II"),
        (3, "chapter 3: Chapter III"), (4, "chapter 4: Chapter IV")]
    assert [text for _, _, text in pages] == [_chapter_text(n) for n in (1, 2, 3, 4)]


def test_old_style_named_anchors_start_chapters_too() -> None:
    data = _book({"text/all.xhtml": "".join(_chapter(n, anchor="a") for n in (1, 2))},
                 _anchored_toc((1, 2)))
    pages = _pages(data)
    assert [locator for _, locator, _ in pages] == ["chapter 1: Chapter I",
                                                    "chapter 2: Chapter II"]
    assert "closingword1" in pages[0][2] and "closingword2" not in pages[0][2]
    assert pages[1][2].startswith("Chapter II")


def test_text_before_the_first_anchor_is_the_files_own_entry() -> None:
    """The same file listed without an anchor (a part holding its chapters) and with."""
    from ebooklib import epub

    body = "<h1>Part One</h1><p>An opening note.</p>" + _chapter(1) + _chapter(2)
    toc = [(epub.Section("The First Part", "text/all.xhtml"), _anchored_toc((1, 2)))]
    pages = _pages(_book({"text/all.xhtml": body}, toc))
    assert pages == [
        (1, "chapter 1: The First Part", "Part One\n\nAn opening note."),
        (2, "chapter 2: Chapter I", _chapter_text(1)),
        (3, "chapter 3: Chapter II", _chapter_text(2))]


def test_text_before_the_first_anchor_without_an_entry_is_titled_by_its_heading() -> None:
    body = "<h1>Preface</h1><p>An opening note.</p>" + _chapter(1) + _chapter(2)
    pages = _pages(_book({"text/all.xhtml": body}, _anchored_toc((1, 2))))
    assert [(number, locator) for number, locator, _ in pages] == [
        (1, "chapter 1: Preface"), (2, "chapter 2: Chapter I"), (3, "chapter 3: Chapter II")]


def test_chapters_are_numbered_on_across_files_in_reading_order() -> None:
    files = {"text/intro.xhtml": "<h1>Introduction</h1><p>Before it all.</p>",
             "text/all.xhtml": _chapter(1) + _chapter(2),
             "text/notes.xhtml": "<p>Untitled notes.</p>",
             "text/end.xhtml": "<h1>Afterword</h1><p>After it all.</p>"}
    toc = [_link("text/intro.xhtml", "Introduction"), *_anchored_toc((1, 2)),
           _link("text/end.xhtml", "Afterword")]
    pages = _pages(_book(files, toc))
    assert [(number, locator) for number, locator, _ in pages] == [
        (1, "chapter 1: Introduction"), (2, "chapter 2: Chapter I"),
        (3, "chapter 3: Chapter II"), (4, "chapter 4"), (5, "chapter 5: Afterword")]


def test_chapters_follow_the_text_when_the_contents_list_them_out_of_order() -> None:
    data = _book({"text/all.xhtml": "".join(_chapter(n) for n in (1, 2, 3))},
                 _anchored_toc((3, 1, 2)))
    pages = _pages(data)
    assert [(number, locator) for number, locator, _ in pages] == [
        (1, "chapter 1: Chapter I"), (2, "chapter 2: Chapter II"),
        (3, "chapter 3: Chapter III")]
    assert [text for _, _, text in pages] == [_chapter_text(n) for n in (1, 2, 3)]


def test_an_anchor_the_file_lacks_cuts_nothing() -> None:
    """A browser following the entry lands at the file's start; chapter II, which has no
    anchor of its own in the contents, stays with chapter I."""
    toc = [_link("text/all.xhtml#ch1", "Chapter I"), _link("text/all.xhtml#gone", "Lost"),
           _link("text/all.xhtml#ch3", "Chapter III")]
    pages = _pages(_book({"text/all.xhtml": "".join(_chapter(n) for n in (1, 2, 3))}, toc))
    assert [(number, locator) for number, locator, _ in pages] == [
        (1, "chapter 1: Chapter I"), (2, "chapter 2: Chapter III")]
    assert pages[0][2] == _chapter_text(1) + "\n\n" + _chapter_text(2)


def test_a_file_whose_anchors_are_all_missing_is_one_chapter_as_before() -> None:
    toc = [_link("text/all.xhtml#nowhere", "The Whole Story")]
    pages = _pages(_book({"text/all.xhtml": _chapter(1) + _chapter(2)}, toc))
    assert pages == [(1, "chapter 1: The Whole Story",
                      _chapter_text(1) + "\n\n" + _chapter_text(2))]


def test_an_anchor_inside_a_paragraph_cuts_the_paragraph_there() -> None:
    body = ('<h2 id="one">One</h2><p>The first tale ends here. '
            '<span id="two">The second tale</span> begins mid-paragraph.</p>')
    toc = [_link("text/all.xhtml#one", "Tale One"), _link("text/all.xhtml#two", "Tale Two")]
    pages = _pages(_book({"text/all.xhtml": body}, toc))
    assert pages == [(1, "chapter 1: Tale One", "One\n\nThe first tale ends here."),
                     (2, "chapter 2: Tale Two", "The second tale begins mid-paragraph.")]


def test_a_spine_listing_the_shared_file_twice_reads_its_chapters_once() -> None:
    files = {"text/all.xhtml": _chapter(1) + _chapter(2)}
    data = _book(files, _anchored_toc((1, 2)), spine=["text/all.xhtml", "text/all.xhtml"])
    assert [(number, locator) for number, locator, _ in _pages(data)] == [
        (1, "chapter 1: Chapter I"), (2, "chapter 2: Chapter II")]


def test_an_anchored_table_starts_its_chapter_at_the_table() -> None:
    body = (_chapter(1) + '<table id="sizes"><tr><th>Model</th><th>Size</th></tr>'
            "<tr><td>K200</td><td>Large</td></tr></table><p>After the table.</p>")
    toc = [*_anchored_toc((1,)), _link("text/all.xhtml#sizes", "Sizes")]
    pages = _pages(_book({"text/all.xhtml": body}, toc))
    assert pages == [(1, "chapter 1: Chapter I", _chapter_text(1)),
                     (2, "chapter 2: Sizes",
                      "Model | Size\n\nModel: K200; Size: Large\n\nAfter the table.")]


def test_the_same_anchor_listed_twice_is_titled_by_its_first_entry() -> None:
    from ebooklib import epub

    toc = [(epub.Section("Book One", "text/all.xhtml#ch1"), _anchored_toc((1, 2)))]
    pages = _pages(_book({"text/all.xhtml": _chapter(1) + _chapter(2)}, toc))
    assert [(number, locator) for number, locator, _ in pages] == [
        (1, "chapter 1: Book One"), (2, "chapter 2: Chapter II")]


def test_marks_planted_in_a_books_text_cut_nothing() -> None:
    """The characters that mark an anchor's place while the file is cut, written into the
    book itself: left out, never read as a cut."""
    body = _chapter(1) + "<p>Odd \ufdd07\ufdd1 text.</p>" + _chapter(2)
    pages = _pages(_book({"text/all.xhtml": body}, _anchored_toc((1, 2))))
    assert [(number, locator) for number, locator, _ in pages] == [
        (1, "chapter 1: Chapter I"), (2, "chapter 2: Chapter II")]
    assert pages[0][2].endswith("Odd 7 text.")


def test_anchors_are_found_in_the_file_as_written() -> None:
    """Windows line ends, a `>` in an attribute's value and text nested hundreds of elements
    deep: each chapter starts at its own anchor and keeps all its text."""
    depth = 300
    markup = ('<?xml version="1.0" encoding="utf-8"?>\r\n<html xmlns="http://www.w3.org/1999/'
              'xhtml"><head><title>All</title></head>\r\n<body>\r\n'
              + _chapter(1).replace("<h2 ", '<h2 title="a > b"\r\n    ')
              + "\r\n" + "<div>" * depth + "deepword" + "</div>" * depth + "\r\n"
              + _chapter(2).replace("<p>", "\r\n<p>") + "\r\n</body></html>")
    data = _with_file(_book({"text/all.xhtml": "<p>placeholder</p>"}, _anchored_toc((1, 2))),
                      "EPUB/text/all.xhtml", markup)
    pages = _pages(data)
    assert pages == [(1, "chapter 1: Chapter I", _chapter_text(1) + "\n\ndeepword"),
                     (2, "chapter 2: Chapter II", _chapter_text(2))]


def test_a_book_without_anchors_is_read_a_chapter_a_file() -> None:
    """An empty file is no chapter and takes no number."""
    files = {"a.xhtml": "<h1>Dawn</h1><p>First light.</p>",
             "b.xhtml": "<h1>Noon</h1><p>High sun.</p>",
             "empty.xhtml": "<p> </p>",
             "c.xhtml": "<p>No heading here.</p>"}
    toc = [_link("a.xhtml", "The Dawn"), _link("b.xhtml", "The Noon"),
           _link("empty.xhtml", "Blank")]
    assert _pages(_book(files, toc)) == [
        (1, "chapter 1: The Dawn", "Dawn\n\nFirst light."),
        (2, "chapter 2: The Noon", "Noon\n\nHigh sun."),
        (3, "chapter 3", "No heading here.")]


def test_a_chapter_cut_off_inside_a_tag_ends_before_it() -> None:
    """A chapter file cut short inside a tag loses the tag, which a browser draws nothing
    of; one cut inside its `<html>` tag holds no text, and is no chapter."""
    files = {"a.xhtml": "<p>First light.</p>", "b.xhtml": "<p>High sun.</p>",
             "c.xhtml": "<p>Dusk.</p>", "text/all.xhtml": _chapter(1) + _chapter(2)}
    data = _book(files, [_link("a.xhtml", "Dawn"), _link("b.xhtml", "Noon"),
                         _link("c.xhtml", "Dusk"), *_anchored_toc((1, 2))])
    data = _with_file(data, "EPUB/a.xhtml", '<html><body><p>First light.</p><p class="cu')
    data = _with_file(data, "EPUB/b.xhtml", '<html xmlns="http://www.w3.org/1999/xhtml" xm')
    data = _with_file(data, "EPUB/text/all.xhtml",
                      f"<html><body>{_chapter(1)}{_chapter(2)}<p>Cut <b")
    assert _pages(data) == [(1, "chapter 1: Dawn", "First light."),
                            (2, "chapter 2: Dusk", "Dusk."),
                            (3, "chapter 3: Chapter I", _chapter_text(1)),
                            (4, "chapter 4: Chapter II", _chapter_text(2) + "\n\nCut")]


def _chapter_text(n: int) -> str:
    numeral = _NUMERALS[n - 1]
    return (f"Chapter {numeral}\n\nThe voyage went on in chapter {numeral}.\n\n"
            f"closingword{n} ends chapter {numeral}.")
