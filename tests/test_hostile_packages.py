"""Zip-based files (.docx, .pptx, .xlsx, .epub) and HTML pages made to cost far more to read
than their size suggests: a merged cell spanning many rows, a zip directory understating a
part, a spine naming one chapter over and over, elements nested past the XML parser's depth
limit, millions of empty elements, an entity the file declares itself."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.formats import containers, ebook, web
from ingest.formats.base import start_tags
from ingest.loaders import load_bytes, load_file
from rag.errors import DocumentError
from tests.docgen import make_docx, make_epub, make_pptx, make_xlsx

MIB = 1 << 20

CONTAINER_XML = ('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:'
                 'opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/'
                 'content.opf" media-type="application/oebps-package+xml"/></rootfiles>'
                 '</container>')


def chapter(body: str) -> str:
    return (f'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>C'
            f'</title></head><body>{body}</body></html>')


def write_epub(path: Path, chapters: dict[str, str], spine: list[str]) -> Path:
    """A book holding `chapters` (id: body) and reading them in the order `spine` names."""
    manifest = "".join(f'<item id="{id_}" href="{id_}.xhtml" media-type="application/'
                       f'xhtml+xml"/>' for id_ in chapters)
    itemrefs = "".join(f'<itemref idref="{id_}"/>' for id_ in spine)
    opf = ('<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
           'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
           '<dc:identifier id="id">x</dc:identifier><dc:title>T</dc:title><dc:language>en'
           f'</dc:language></metadata><manifest>{manifest}</manifest><spine>{itemrefs}'
           '</spine></package>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        package.writestr("META-INF/container.xml", CONTAINER_XML)
        package.writestr("OEBPS/content.opf", opf)
        for id_, body in chapters.items():
            package.writestr(f"OEBPS/{id_}.xhtml", chapter(body))
    return path


def text_of(path: Path) -> str:
    return "\n".join(page.text for page in load_file(path).pages)


def test_a_long_merged_cell_is_read_once_however_many_rows_and_columns_it_spans(
        tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=6, cols=4)
    table.cell(0, 0).text = "tallcell " * 200
    for row in range(6):
        table.cell(row, 3).text = f"row{row}"
    table.cell(0, 0).merge(table.cell(5, 0))  # down every row
    table.cell(1, 1).text = "widecell"
    table.cell(1, 1).merge(table.cell(1, 2))  # across two columns
    document.save(tmp_path / "merged.docx")

    text = text_of(tmp_path / "merged.docx")
    assert text.count("tallcell") == 200
    assert text.count("widecell") == 1
    assert all(f"row{row}" in text for row in range(6))


def lying_docx(path: Path, unpacked_mib: int, declared: int) -> Path:
    """A Word document whose body inflates to `unpacked_mib` MiB though its zip directory,
    and its local header, say `declared` bytes (a few hundred KiB packed)."""
    import docx

    valid = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("A short true body.")
    document.save(valid)
    packed = io.BytesIO()
    with zipfile.ZipFile(valid) as source, \
            zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as package:
        for member in source.infolist():
            if member.filename != "word/document.xml":
                package.writestr(member, source.read(member.filename))
                continue
            with package.open(member.filename, "w") as body:
                body.write(source.read(member.filename))
                for _ in range(unpacked_mib):
                    body.write(b" " * MIB)
    data = bytearray(packed.getvalue())
    name = b"word/document.xml"
    at = data.find(name)
    while at >= 0:
        if data[at - 30:at - 26] == b"PK\x03\x04":  # local header: its unpacked size
            struct.pack_into("<I", data, at - 30 + 22, declared)
        elif data[at - 46:at - 42] == b"PK\x01\x02":  # central directory: the same
            struct.pack_into("<I", data, at - 46 + 24, declared)
        at = data.find(name, at + 1)
    path.write_bytes(bytes(data))
    return path


def test_a_part_larger_than_its_zip_declares_is_refused_a_piece_at_a_time(
        tmp_path: Path) -> None:
    path = lying_docx(tmp_path / "lying.docx", unpacked_mib=48, declared=1000)
    data = path.read_bytes()
    tracemalloc.start()
    try:
        with pytest.raises(DocumentError) as info:
            load_bytes(path, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MIB  # the part's 48 MiB never held at once
    assert info.value.reason == "corrupt"
    assert "word/document.xml unpacks to more than the 1,000 bytes" in str(info.value)


def test_a_spine_naming_one_chapter_again_and_again_reads_it_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_epub(tmp_path / "looping.epub",
                      {"empty": "<p></p>" * 50, "real": "<p>Real words.</p>"},
                      ["real"] + ["empty"] * 500 + ["real"])
    parsed: list[bytes] = []

    def counted(path: Path, content: bytes) -> tuple[str, str]:
        parsed.append(content)
        return chapter_text(path, content)

    chapter_text = ebook.chapter_text
    monkeypatch.setattr(ebook, "chapter_text", counted)
    document = load_file(path)
    assert len(parsed) == 2
    assert [page.text for page in document.pages] == ["Real words."]


def test_text_nested_deep_in_an_epub_chapter_is_kept(tmp_path: Path) -> None:
    depth = 300
    body = ("<p>before nestbefore</p>" + "<div>" * depth + "deepword" + "</div>" * depth
            + "<p>after nestafter</p>")
    path = write_epub(tmp_path / "deep.epub", {"c1": body}, ["c1"])
    text = text_of(path)
    assert all(word in text for word in ("nestbefore", "deepword", "nestafter"))


def nested_tables_docx(path: Path, depth: int) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("Nested tables.")
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    for level in range(depth):
        cell.paragraphs[0].text = f"level{level}"
        cell = cell.add_table(rows=1, cols=1).cell(0, 0)
    cell.paragraphs[0].text = "deepestcellword"
    document.save(path)
    return path


def test_tables_nested_past_the_parsers_limit_say_so_not_damaged(tmp_path: Path) -> None:
    assert "deepestcellword" in text_of(nested_tables_docx(tmp_path / "some.docx", 20))
    with pytest.raises(DocumentError) as info:
        load_file(nested_tables_docx(tmp_path / "deep.docx", 100))
    assert info.value.reason == "too-large"
    assert "nested too deeply to read" in str(info.value)
    assert "damaged" not in str(info.value)


def docx_with_body(path: Path, body: str) -> Path:
    """A Word document whose body is the XML `body` (in w: elements), packed small."""
    import docx

    valid = io.BytesIO()
    docx.Document().save(valid)
    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    with zipfile.ZipFile(valid) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename == "word/document.xml":
                content = (f'<?xml version="1.0"?><w:document xmlns:w="{namespace}"><w:body>'
                           f'{body}</w:body></w:document>').encode()
            package.writestr(member.filename, content)
    return path


@pytest.mark.parametrize(("body", "bound"), [
    ("<w:p/>" * 200_001 + "<w:p><w:r><w:t>tail</w:t></w:r></w:p>", "200,000 paragraphs"),
    ('<w:altChunk xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
     ' r:id="rId1"/>' * 200_001 + "<w:p><w:r><w:t>tail</w:t></w:r></w:p>",
     "200,000 paragraphs"),  # each chunk imported a paragraph
    ("<w:p>" + "<w:r/>" * 1_000_001 + "</w:p>", "1,000,000 runs of text"),
    ('<w:p><m:oMath xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math">'
     + "<m:r/>" * 1_000_001 + "</m:oMath></w:p>", "1,000,000 runs of text"),
])
def test_a_body_of_countless_empty_paragraphs_or_runs_is_refused_before_it_is_walked(
        tmp_path: Path, body: str, bound: str) -> None:
    """Each paragraph and run costs python-docx tens of microseconds: a small file of
    millions of them would keep an ingest busy for minutes."""
    path = docx_with_body(tmp_path / "countless.docx", body)
    assert path.stat().st_size < 1 * MIB
    with pytest.raises(DocumentError) as info:
        load_file(path)
    assert info.value.reason == "too-large"
    assert f"too large to read: more than {bound}" in str(info.value)
    fits = docx_with_body(tmp_path / "fits.docx", "<w:p/>" * 1000 + "<w:p><w:r><w:t>tail"
                          "</w:t></w:r></w:p>")
    assert text_of(fits) == "tail"


def with_inserted(data: bytes, part: str, after: bytes, inserted: bytes) -> bytes:
    """The package `data` with `inserted` put into its `part` after the first `after`."""
    def insert(content: bytes) -> bytes:
        at = content.index(after) + len(after)
        return content[:at] + inserted + content[at:]
    return with_part_edited(data, part, insert)


def with_part_edited(data: bytes, part: str, edit: Callable[[bytes], bytes]) -> bytes:
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as package:
        for member in source.infolist():
            content = source.read(member.filename)
            package.writestr(member.filename,
                             edit(content) if member.filename == part else content)
    return packed.getvalue()


def elements_outside(data: bytes, streamed: str) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return sum(start_tags(package.read(name)) for name in package.namelist()
                   if not name.startswith(streamed))


MANY_ELEMENTS = [
    ("countless.docx", lambda: make_docx([("Dingo", ["Dingoes howl."])]),
     "word/document.xml", b"<w:body>", b"<w:p/>"),
    ("countless.pptx", lambda: make_pptx([{"title": "Lyrebird", "body": ["They mimic."]}]),
     "ppt/slides/slide1.xml", b"<a:bodyPr/>", b"<a:p/>"),
    ("countless.xlsx", lambda: make_xlsx({"Data": [["Bilby"], ["Numbat"]]}),
     "xl/styles.xml", b"</fonts>", b"<extLst/>"),
    ("countless.epub", lambda: make_epub([("Wombat", "Wombats dig.")]),
     "EPUB/toc.ncx", b"<navMap>", b"<x/>"),
]


@pytest.mark.parametrize(("name", "make", "part", "after", "element"), MANY_ELEMENTS)
def test_a_package_of_more_elements_than_the_bound_is_refused_before_it_is_parsed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, make, part: str,
        after: bytes, element: bytes) -> None:
    """python-docx and python-pptx parse every part when they open a file, openpyxl a
    workbook's shared strings, ebooklib a book's contents: millions of empty elements pack
    into a few kilobytes and take gigabytes as nodes. A workbook's sheets are streamed, the rest
of it parsed whole."""
    monkeypatch.setattr(containers, "MAX_PACKAGE_ELEMENTS", 1000)
    data = with_inserted(make(), part, after, element * 1000)
    with pytest.raises(DocumentError) as info:
        load_bytes(tmp_path / name, data)
    assert info.value.reason == "too-large"
    assert "too large to read: more than 1,000 elements" in str(info.value)


def test_elements_are_counted_in_the_parts_bytes_before_the_parser_reads_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A parser would stop at the damage below, and never get to count the elements."""
    monkeypatch.setattr(containers, "MAX_PACKAGE_ELEMENTS", 1000)
    path = docx_with_body(tmp_path / "unclosed.docx", "<w:p/>" * 1000 + "<w:p></w:r>")
    with pytest.raises(DocumentError) as info:
        load_file(path)
    assert info.value.reason == "too-large"


def test_a_workbooks_sheets_are_streamed_and_their_cells_not_counted_as_elements(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_xlsx({"Data": [["Item", "Count"], *([f"bilby {n}", n] for n in range(500))]})
    monkeypatch.setattr(containers, "MAX_PACKAGE_ELEMENTS",
                        elements_outside(data, "xl/worksheets/"))
    document = load_bytes(tmp_path / "cells.xlsx", data)
    assert "bilby 499" in document.pages[0].text


def with_part_added(data: bytes, part: str, content: bytes, content_type: str) -> bytes:
    """The package `data` with `part` added, its content type listed."""
    override = f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'.encode()
    listed = with_part_edited(data, "[Content_Types].xml",
                              lambda types: types.replace(b"</Types>", override))
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(listed)) as source, \
            zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as package:
        for member in source.infolist():
            package.writestr(member, source.read(member.filename))
        package.writestr(part, content)
    return packed.getvalue()


def linking_workbook() -> bytes:
    """A workbook whose workbook part refers to an external link (its part not added)."""
    data = make_xlsx({"Summary": [["Region", "Orders"], ["North", 5]]})
    data = with_part_edited(data, "xl/workbook.xml", lambda xml: xml.replace(
        b"<definedNames/>", b'<externalReferences><externalReference xmlns:r="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships" r:id="rId9"/>'
        b"</externalReferences><definedNames/>"))
    return with_part_edited(data, "xl/_rels/workbook.xml.rels", lambda xml: xml.replace(
        b"</Relationships>", b'<Relationship Type="http://schemas.openxmlformats.org/office'
        b'Document/2006/relationships/externalLink" Target="externalLinks/externalLink1.xml" '
        b'Id="rId9"/></Relationships>'))


SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml."
UNPARSED_PARTS = [
    # a pivot table's cached source data, which openpyxl's read-only mode never opens
    ("pivot.xlsx", lambda: make_xlsx({"Summary": [["Region", "Orders"], ["North", 5]]}),
     "xl/pivotCache/pivotCacheRecords1.xml", b"<pivotCacheRecords>" + b"<r/>" * 2000
     + b"</pivotCacheRecords>", SPREADSHEET + "pivotCacheRecords+xml", "North"),
    # another workbook's sheets, cached behind a link its formulas follow
    ("links.xlsx", lambda: linking_workbook(), "xl/externalLinks/externalLink1.xml",
     b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
     b"<externalBook><sheetDataSet><sheetData sheetId=\"0\">" + b'<row r="1"/>' * 2000
     + b"</sheetData></sheetDataSet></externalBook></externalLink>",
     SPREADSHEET + "externalLink+xml", "North"),
    # a picture's bytes, whose `<`s open no element: python-docx and python-pptx keep it
    ("photo.docx", lambda: make_docx([("Dingo", ["Dingoes howl."])]),
     "word/media/image9.png", b"\x89PNG" + b"<\x00" * 2000, "image/png", "howl"),
    ("photo.pptx", lambda: make_pptx([{"title": "Lyrebird", "body": ["They mimic."]}]),
     "ppt/media/image9.jpeg", b"\xff\xd8" + b"<\x01" * 2000, "image/jpeg", "mimic"),
    ("photo.xlsx", lambda: make_xlsx({"Summary": [["Region", "Orders"], ["North", 5]]}),
     "xl/media/image9.png", b"\x89PNG" + b"<\x00" * 2000, "image/png", "North"),
]


@pytest.mark.parametrize(("name", "make", "part", "content", "content_type", "text"),
                         UNPARSED_PARTS)
def test_the_elements_of_parts_no_library_parses_are_not_counted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, make, part: str,
        content: bytes, content_type: str, text: str) -> None:
    """A summary sheet whose pivot cache holds 80,000 records was refused as too large."""
    data = make()
    monkeypatch.setattr(containers, "MAX_PACKAGE_ELEMENTS", elements_outside(data, "-") + 1000)
    document = load_bytes(tmp_path / name, with_part_added(data, part, content, content_type))
    assert text in document.pages[0].text


def chart_workbook() -> bytes:
    """A workbook of a sheet and a chart sheet showing it."""
    import openpyxl
    from openpyxl.chart import BarChart, Reference

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Region", "Orders"])
    sheet.append(["North", 5])
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=2))
    workbook.create_chartsheet("Chart").add_chart(chart)
    packed = io.BytesIO()
    workbook.save(packed)
    return packed.getvalue()


def relabelled(data: bytes, part: str, content_type: str) -> bytes:
    """The package `data` with its listing giving `part` another content type."""
    def relabel(types: bytes) -> bytes:
        at = types.index(f'PartName="/{part}"'.encode())
        start, end = types.index(b'ContentType="', at) + 13, types.index(b'"/>', at)
        return types[:start] + content_type.encode() + types[end:]
    return with_part_edited(data, "[Content_Types].xml", relabel)


@pytest.mark.parametrize("part", ["xl/charts/chart1.xml", "xl/drawings/drawing1.xml",
                                  "xl/chartsheets/sheet1.xml", "xl/styles.xml"])
def test_a_workbook_part_openpyxl_parses_is_counted_whatever_its_content_type(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part: str) -> None:
    """openpyxl finds its styles by name and a chart sheet's parts by their relationships:
    labelled a picture, such a part is parsed all the same."""
    monkeypatch.setattr(containers, "MAX_PACKAGE_ELEMENTS", 1000)
    data = with_part_edited(chart_workbook(), part, lambda xml: xml[:xml.rindex(b"</")]
                            + b"<extLst/>" * 1000 + xml[xml.rindex(b"</"):])
    with pytest.raises(DocumentError) as info:
        load_bytes(tmp_path / "relabelled.xlsx", relabelled(data, part, "image/png"))
    assert "too large to read: more than 1,000 elements" in str(info.value)


def test_a_package_within_the_element_bound_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_pptx([{"title": "Lyrebird", "body": ["Lyrebirds mimic chainsaws."]}])
    monkeypatch.setattr(containers, "MAX_PACKAGE_ELEMENTS", elements_outside(data, "-"))
    assert "chainsaws" in load_bytes(tmp_path / "fits.pptx", data).pages[0].text


@pytest.mark.parametrize(("name", "make"), [
    ("countless.html", lambda tags: (b"<html><body><p>Bandicoots burrow.</p>" + tags
                                     + b"</body></html>")),
    ("countless.epub", lambda tags: make_epub([("Bandicoot", "Bandicoots burrow."
                                                + tags.decode())])),
])
def test_html_of_more_elements_than_the_bound_is_refused_before_it_is_parsed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, make) -> None:
    """BeautifulSoup builds a Python object for each element: a 3 MB page of unclosed tags
    would take a minute and most of a gigabyte."""
    monkeypatch.setattr(web, "MAX_HTML_ELEMENTS", 100)
    within = load_bytes(tmp_path / name, make(b"<i>" * 50))
    assert "Bandicoots burrow." in within.pages[0].text
    with pytest.raises(DocumentError) as info:
        load_bytes(tmp_path / name, make(b"<i>" * 100))
    assert info.value.reason == "too-large"
    assert "too large to read: more than 100 elements" in str(info.value)


def test_text_around_an_entity_the_file_declares_is_read_and_the_entity_named(
        tmp_path: Path) -> None:
    """The parser leaves such an entity unexpanded (it could name a file of the machine
    reading it); the words after it are the document's all the same."""
    data = make_docx([("Dingo", ["The dingo was imported by &co; in 1788 and spread."])])
    data = with_part_edited(data, "word/document.xml", lambda content: content.replace(
        b"?>", b'?><!DOCTYPE d [<!ENTITY co "Contoso">]>', 1).replace(b"&amp;co;", b"&co;"))
    document = load_bytes(tmp_path / "entity.docx", data)
    text = " ".join(page.text for page in document.pages)
    assert "The dingo was imported by" in text
    assert "in 1788 and spread." in text
    assert document.warnings == ("1 reference to an entity the file declares itself left out "
                                 "(&co;): the text around it is read",)
