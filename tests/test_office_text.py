"""Word and PowerPoint text a reader sees that a plain run-by-run read would lose or
misname: a text box in a table cell, inserted symbols, equations, words under a phonetic
guide, content imported from another file, SmartArt, table headers holding digits or under
a title, macro-enabled and template packages saved under .docx or .pptx; and an EPUB book
whose reading order names a contents file it lacks."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ingest.formats.base import library_error
from ingest.loaders import load_bytes
from rag.errors import DocumentError
from tests.docgen import (
    docx_importing,
    make_docx,
    make_pptx,
    make_xlsx,
    pptx_with_smartart,
)

NAMESPACES = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
              'xmlns:v="urn:schemas-microsoft-com:vml" '
              'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"')


OPENXML = "application/vnd.openxmlformats-officedocument."


def xml(text: str):
    from lxml import etree

    return etree.fromstring(text)


def saved(document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def paragraphs(name: str, data: bytes) -> list[str]:
    return [block for page in load_bytes(Path(name), data).pages
            for block in page.text.split("\n\n")]


def text_box(text: str):
    """A run holding a text box, as Word writes one for older readers."""
    return xml(f"<w:r {NAMESPACES}><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r>"
               f"<w:t>{text}</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict>"
               "</w:r>")


def test_a_text_box_anchored_in_a_table_cell_is_read_in_the_cell() -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    for r, values in enumerate([["Part", "Note"], ["Widget", "See box"]]):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    table.cell(1, 1).paragraphs[0]._p.append(text_box("Handle with gloves."))
    assert paragraphs("boxed.docx", saved(document)) == [
        "Part | Note", "Part: Widget; Note: See box Handle with gloves."]


@pytest.mark.parametrize(("font", "code", "shown"), [
    ("Symbol", "F0B0", "°"), ("Symbol", "F070", "π"), ("Symbol", "F0A3", "≤"),
    ("Symbol", "F0B4", "×"), ("Wingdings", "F0FC", "✓"), ("Arial", "00B0", "°"),
    ("Wingdings", "F021", ""), ("Symbol", "F080", "")])
def test_an_inserted_symbol_is_its_character(font: str, code: str, shown: str) -> None:
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph("The kiln runs at 900")
    paragraph._p.append(xml(f'<w:r {NAMESPACES}><w:sym w:font="{font}" w:char="{code}"/></w:r>'))
    paragraph.add_run("C.")
    assert paragraphs("kiln.docx", saved(document)) == [f"The kiln runs at 900{shown}C."]


def equation(body: str, display: bool = False) -> object:
    math = f"<m:oMath {NAMESPACES}>{body}</m:oMath>"
    return xml(f"<m:oMathPara {NAMESPACES}>{math}</m:oMathPara>" if display else math)


def r(text: str) -> str:
    return f"<m:r><m:t>{text}</m:t></m:r>"


def power(base: str, exponent: str) -> str:
    return f"<m:sSup><m:e>{base}</m:e><m:sup>{exponent}</m:sup></m:sSup>"


def test_an_equation_keeps_its_place_in_the_sentence_in_a_linear_form() -> None:
    import docx

    document = docx.Document()
    sentence = document.add_paragraph("The area of a circle is ")
    sentence._p.append(equation(r("A=π") + power(r("r"), r("2"))))
    sentence.add_run(" where r is the radius.")
    document.add_paragraph()._p.append(equation(r("E=m") + power(r("c"), r("2")), display=True))
    document.add_paragraph()._p.append(equation(
        r("x=") + "<m:f><m:num>" + r("-b±") + "<m:rad><m:radPr><m:degHide m:val='1'/>"
        "</m:radPr><m:deg/><m:e>" + power(r("b"), r("2")) + r("-4ac") + "</m:e></m:rad>"
        "</m:num><m:den>" + r("2a") + "</m:den></m:f>"))
    document.add_paragraph()._p.append(equation(
        "<m:nary><m:naryPr><m:chr m:val='∑'/></m:naryPr><m:sub>" + r("i=1") + "</m:sub>"
        "<m:sup>" + r("n") + "</m:sup><m:e><m:sSub><m:e>" + r("x") + "</m:e><m:sub>"
        + r("i") + "</m:sub></m:sSub></m:e></m:nary>" + r("=") + power(
            "<m:d><m:e>" + r("a+b") + "</m:e></m:d>", r("n+1"))))
    assert paragraphs("maths.docx", saved(document)) == [
        "The area of a circle is A=πr^2 where r is the radius.", "E=mc^2",
        "x=(-b±√(b^2-4ac))/2a", "∑_(i=1)^n x_i=(a+b)^(n+1)"]


def ruby(base: str, reading: str) -> object:
    """A run of Word's Phonetic Guide: `reading` set small above `base`."""
    return xml(f"<w:r {NAMESPACES}><w:ruby><w:rubyPr><w:hps w:val='10'/><w:lid w:val='ja-JP'/>"
               f"</w:rubyPr><w:rt><w:r><w:t>{reading}</w:t></w:r></w:rt><w:rubyBase><w:r>"
               f"<w:t>{base}</w:t></w:r></w:rubyBase></w:ruby></w:r>")


def test_words_under_a_phonetic_guide_are_read_in_place_without_their_reading() -> None:
    import docx

    document = docx.Document()
    cell = document.add_table(rows=1, cols=1).cell(0, 0).paragraphs[0]
    for paragraph in (document.add_paragraph(), cell):
        paragraph.add_run("この")
        paragraph._p.append(ruby("船", "ふね"))
        paragraph.add_run("は毎朝")
        paragraph._p.append(ruby("八時", "はちじ"))
        paragraph.add_run("に出航します。")
    assert paragraphs("ferry.docx", saved(document)) == ["この船は毎朝八時に出航します。"] * 2


HTML_CHUNK = ("text/html", b"<html><head><meta charset='windows-1252'></head><body>"
                           b"<p>The ferry timetable changes on 1 November.</p>"
                           b"<p>Caf\xe9 opens at six.</p></body></html>")


def test_html_or_text_a_word_document_imports_is_read_in_its_place() -> None:
    document = docx_importing([HTML_CHUNK, ("text/plain", b"Bring your ticket.")])
    loaded = load_bytes(Path("timetable.docx"), document)
    assert [block for page in loaded.pages for block in page.text.split("\n\n")] == [
        "Before.", "The ferry timetable changes on 1 November.", "Café opens at six.",
        "Bring your ticket.", "After."]
    assert loaded.warnings == ()


def test_html_a_word_table_cell_imports_is_read_in_the_cell() -> None:
    assert paragraphs("timetable.docx", docx_importing([HTML_CHUNK], in_cell=True)) == [
        "Before.", "The ferry timetable changes on 1 November. Café opens at six.", "After."]


@pytest.mark.parametrize(("content_type", "data", "kind"), [
    (OPENXML + "wordprocessingml.document.main+xml",
     make_docx([("Imported", ["Words of another document."])]), "a Word document"),
    ("application/rtf", rb"{\rtf1 Words in RTF.}", "RTF")])
def test_a_part_of_another_kind_a_word_document_imports_is_named_in_a_warning(
        content_type: str, data: bytes, kind: str) -> None:
    loaded = load_bytes(Path("merged.docx"), docx_importing([(content_type, data)]))
    assert loaded.pages[0].text == "Before.\n\nAfter."
    assert loaded.warnings == (
        f"1 part imported from another file ({kind}) left out: Word merges it into the text "
        f"when it opens the document. Open and save it in Word, then ingest it again.",)


def test_smartart_text_is_read_in_the_diagram_s_place_a_point_a_line() -> None:
    deck = pptx_with_smartart("Onboarding process", [
        ["Sign the contract"], [], ["Collect the badge", "from reception"]],
        below="Ask HR if anything is missing.")
    assert paragraphs("onboarding.pptx", deck) == [
        "Onboarding process", "Sign the contract", "Collect the badge from reception",
        "Ask HR if anything is missing."]


def test_a_smartart_diagram_whose_data_part_is_missing_is_left_out_with_its_slide_kept(
        ) -> None:
    deck = pptx_with_smartart("Onboarding process", [["Sign the contract"]],
                              below="Ask HR if anything is missing.", data_id="rId99")
    assert paragraphs("onboarding.pptx", deck) == [
        "Onboarding process", "Ask HR if anything is missing."]
    assert load_bytes(Path("onboarding.pptx"), deck).warnings == (
        "slide 1: a SmartArt diagram is left out: its data part is missing from the file",)


def word_table(rows: list[list[str]], merged_title: bool = False) -> bytes:
    import docx

    document = docx.Document()
    table = document.add_table(rows=len(rows), cols=len(rows[-1]))
    for r_, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r_, c).text = value
    if merged_title:  # a title merged across the table, above its header
        table.cell(0, 0).merge(table.cell(0, len(rows[-1]) - 1)).text = rows[0][0]
    return saved(document)


@pytest.mark.parametrize("header", [["Region", "Q1", "Q2"], ["Region", "2023", "2024"]])
def test_a_word_or_slide_table_header_naming_quarters_or_years_names_the_values(
        header: list[str]) -> None:
    rows = [header, ["North", "1200", "1350"]]
    expected = [" | ".join(header),
                f"{header[0]}: North; {header[1]}: 1200; {header[2]}: 1350"]
    assert paragraphs("figures.docx", word_table(rows)) == expected
    deck = make_pptx([{"title": "Figures", "table": rows}])
    assert paragraphs("figures.pptx", deck) == ["Figures", *expected]


def test_a_word_table_whose_first_row_is_data_names_nothing() -> None:
    rows = [["2021", "100", "x"], ["2022", "110", "y"]]
    assert paragraphs("data.docx", word_table(rows)) == ["2021 | 100 | x", "2022 | 110 | y"]


def test_a_title_merged_across_a_word_table_is_a_line_above_its_header() -> None:
    rows = [["Price list", "", ""], ["Model", "Capacity", "Price"], ["K200", "1.7 litres", "$39"]]
    assert paragraphs("prices.docx", word_table(rows, merged_title=True)) == [
        "Price list", "Model | Capacity | Price",
        "Model: K200; Capacity: 1.7 litres; Price: $39"]


def retyped(package: bytes, old: str, new: str) -> bytes:
    """`package` with its main part's content type `old` made `new`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            copy.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize("kind", [
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    OPENXML + "wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"])
def test_a_macro_enabled_document_or_template_saved_as_docx_is_read(kind: str) -> None:
    document = retyped(make_docx([("Summary", ["Quarterly macro report."])]),
                       OPENXML + "wordprocessingml.document.main+xml", kind)
    assert paragraphs("macros.docx", document) == ["Summary", "Quarterly macro report."]


@pytest.mark.parametrize("kind", [
    OPENXML + "presentationml.slideshow.main+xml",
    OPENXML + "presentationml.template.main+xml",
    "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml"])
def test_a_slideshow_or_template_saved_as_pptx_is_read(kind: str) -> None:
    deck = retyped(make_pptx([{"title": "Deck", "body": ["Shown as a slideshow."]}]),
                   OPENXML + "presentationml.presentation.main+xml", kind)
    assert paragraphs("show.pptx", deck) == ["Deck", "• Shown as a slideshow."]


@pytest.mark.parametrize(("name", "kind"), [
    ("macros.docm", "application/vnd.ms-word.document.macroEnabled.main+xml"),
    ("letter.dotx", OPENXML + "wordprocessingml.template.main+xml"),
    ("letter.dotm", "application/vnd.ms-word.template.macroEnabledTemplate.main+xml")])
def test_a_macro_enabled_document_or_template_is_read_under_its_own_suffix(
        name: str, kind: str) -> None:
    document = retyped(make_docx([("Summary", ["Quarterly macro report."])]),
                       OPENXML + "wordprocessingml.document.main+xml", kind)
    loaded = load_bytes(Path(name), document)
    assert [block for page in loaded.pages for block in page.text.split("\n\n")] == [
        "Summary", "Quarterly macro report."]
    assert loaded.media_type.startswith("application/vnd.")


@pytest.mark.parametrize(("name", "kind"), [
    ("show.ppsx", OPENXML + "presentationml.slideshow.main+xml"),
    ("show.pptm", "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"),
    ("show.potx", OPENXML + "presentationml.template.main+xml")])
def test_a_slideshow_or_template_is_read_under_its_own_suffix(name: str, kind: str) -> None:
    deck = retyped(make_pptx([{"title": "Deck", "body": ["Shown as a slideshow."]}]),
                   OPENXML + "presentationml.presentation.main+xml", kind)
    assert paragraphs(name, deck) == ["Deck", "• Shown as a slideshow."]


@pytest.mark.parametrize(("name", "kind"), [
    ("budget.xlsm", "application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
    ("budget.xltx", OPENXML + "spreadsheetml.template.main+xml")])
def test_a_macro_enabled_workbook_or_template_is_read_under_its_own_suffix(
        name: str, kind: str) -> None:
    workbook = retyped(make_xlsx({"Budget": [["Item", "Cost"], ["Paper", 12]]}),
                       OPENXML + "spreadsheetml.sheet.main+xml", kind)
    text = "\n".join(page.text for page in load_bytes(Path(name), workbook).pages)
    assert "Paper" in text and "12" in text


def test_a_word_document_under_a_workbook_suffix_is_mislabelled() -> None:
    with pytest.raises(DocumentError) as raised:
        load_bytes(Path("report.xlsm"), make_docx([("Summary", ["Text."])]))
    assert raised.value.reason == "mislabelled"
    assert "a Word document named .xlsm; rename it to .docx" in str(raised.value)


def test_a_text_shape_saved_without_geometry_is_read_with_the_rest_of_its_deck() -> None:
    """A body placeholder's text kept in a shape with an empty `<p:spPr/>` and no
    placeholder, which python-pptx cannot type but PowerPoint draws."""
    from pptx import Presentation

    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = "Safety briefing"
    first.placeholders[1].text = "Wear a life jacket on deck at all times"
    second = deck.slides.add_slide(deck.slide_layouts[1])
    second.shapes.title.text = "Muster stations"
    body = second.placeholders[1]
    body.text = "Muster station A is on the upper deck"
    placeholder = body._element.find(
        ".//{http://schemas.openxmlformats.org/presentationml/2006/main}ph")
    placeholder.getparent().remove(placeholder)
    pages = load_bytes(Path("briefing.pptx"), saved(deck)).pages
    assert [page.text for page in pages] == [
        "Safety briefing\n\n• Wear a life jacket on deck at all times",
        "Muster stations\n\nMuster station A is on the upper deck"]


@pytest.mark.parametrize(("name", "package", "application"), [
    ("towns.xlsx", lambda: make_xlsx({"Towns": [["Town", "Population"], ["Oban", 8500]]}),
     "Excel"),
    ("kettle.docx", lambda: make_docx([("Kettle", ["Descale it monthly."])]), "Word"),
    ("deck.pptx", lambda: make_pptx([{"title": "Deck", "body": ["A point."]}]), "PowerPoint")])
def test_a_strict_open_xml_file_is_refused_saying_how_to_save_it(
        name: str, package, application: str) -> None:
    strict = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package())) as source, \
            zipfile.ZipFile(strict, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith(".rels"):  # as Office's Strict Open XML names them
                data = data.replace(b"http://schemas.openxmlformats.org/officeDocument/2006/",
                                    b"http://purl.oclc.org/ooxml/officeDocument/")
            copy.writestr(info, data)
    with pytest.raises(DocumentError) as raised:
        load_bytes(Path(name), strict.getvalue())
    suffix = Path(name).suffix
    assert raised.value.reason == "unsupported"
    assert str(raised.value) == (
        f"{name}: saved as Strict Open XML, which the app cannot read: open it in "
        f"{application} and save it as a regular {suffix} file, then ingest that")


def test_a_library_error_names_no_python_object() -> None:
    said = ValueError(f"file '{io.BytesIO()}' is not a Word file, content type is 'x'")
    assert library_error(said) == "ValueError: file is not a Word file, content type is 'x'"


def test_an_epub_whose_spine_names_a_missing_ncx_is_read_by_its_navigation_titles() -> None:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("nav-only")
    book.set_title("Dunmore Tales")
    book.set_language("en")
    chapters = []
    for n, (title, text) in enumerate([("Arrival", "The ferry reached Dunmore at dawn."),
                                       ("The Market", "Fishmongers shouted prices.")], start=1):
        chapter = epub.EpubHtml(title=title, file_name=f"c{n}.xhtml", lang="en")
        chapter.content = f"<html><body><p>{text}</p></body></html>"
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = tuple(chapters)
    book.add_item(epub.EpubNav())  # and no NCX, which the spine still names (toc="ncx")
    book.spine = chapters
    buf = io.BytesIO()
    epub.write_epub(buf, book)
    with zipfile.ZipFile(buf) as package:
        opf = package.read("EPUB/content.opf")
    assert b'toc="ncx"' in opf and b"application/x-dtbncx+xml" not in opf
    doc = load_bytes(Path("tales.epub"), buf.getvalue())
    assert [(p.locator, p.text) for p in doc.pages] == [
        ("chapter 1: Arrival", "The ferry reached Dunmore at dawn."),
        ("chapter 2: The Market", "Fishmongers shouted prices.")]
