"""Word, PowerPoint, Excel, CSV and EPUB files, made with the libraries that read them: the text
a user gets back, the locator each page carries, and a reason for every file that cannot be
read (damaged, password-protected, a zip bomb, over a bound)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.formats import sheets
from ingest.loaders import load_bytes
from rag.errors import DocumentError
from tests.docgen import (
    damaged,
    make_docx,
    make_epub,
    make_pptx,
    make_xlsx,
    pptx_with_smartart,
    without_table_grids,
    zip_bomb,
)


def docx_report() -> bytes:
    return make_docx([("Installation", ["Unpack the pump and bolt it to the floor."]),
                      ("Maintenance", ["Grease the bearings every spring."])],
                     title="Pump manual", table=[["Part", "Interval"], ["Seal", "6 months"]])


def pptx_deck() -> bytes:
    return make_pptx([
        {"title": "Quarterly budget", "body": ["Travel costs fell by a tenth."],
         "notes": "Mention the new travel policy.",
         "table": [["Team", "Spend"], ["Sales", "1200"]]},
        {"title": "Hiring plan", "body": ["Two engineers join in March."]},
    ])


def xlsx_book() -> bytes:
    return make_xlsx({"Costs": [["Region", "Q1", "Q2"], ["North", 1200, 1350.5],
                                [None, None, None], ["South", 800, None]],
                      "Empty": [],
                      "Staff": [["Name", "Role"], ["Ada", "Engineer"]]})


def test_docx_sections_in_reading_order_with_headings_as_locators() -> None:
    doc = load_bytes(Path("manual.docx"), docx_report())
    assert doc.title == "Pump manual"
    assert [(p.number, p.locator) for p in doc.pages] == [(None, "Installation"),
                                                         (None, "Maintenance")]
    assert doc.pages[0].text == "Installation\n\nUnpack the pump and bolt it to the floor."
    # the table comes after the paragraph it follows in the document, its cells side by side;
    # each paragraph and row a block of its own
    assert doc.pages[1].text.split("\n\n") == ["Maintenance", "Grease the bearings every spring.",
                                              "Part | Interval", "Part: Seal; Interval: 6 months"]
    assert doc.media_type.endswith("wordprocessingml.document")


def test_a_word_table_names_values_by_its_header_row_when_it_has_one() -> None:
    import docx

    document = docx.Document()
    for rows in ([["Model", "Capacity"], ["K200", "1.7 litres"], ["K300", ""]],
                 [["Voltage", "230 V"], ["Current", "10 A"]]):  # a header holds no figures
        table = document.add_table(rows=len(rows), cols=2)
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                table.cell(r, c).text = value
    buf = io.BytesIO()
    document.save(buf)
    text = load_bytes(Path("kettles.docx"), buf.getvalue()).pages[0].text
    assert text.split("\n\n") == ["Model | Capacity", "Model: K200; Capacity: 1.7 litres",
                                   "Model: K300", "Voltage | 230 V", "Current | 10 A"]



def test_equal_values_in_two_cells_are_two_values_and_a_merged_cell_is_one() -> None:
    import docx
    import pptx
    from pptx.util import Inches

    rows = [["Feature", "Basic", "Pro"], ["Bluetooth", "Yes", "Yes"], ["Colour", "Grey", ""]]
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    table.cell(2, 1).merge(table.cell(2, 2))  # "Grey" for both models
    buf = io.BytesIO()
    document.save(buf)
    word = load_bytes(Path("models.docx"), buf.getvalue()).pages[0].text.split("\n\n")

    deck = pptx.Presentation()
    shape = deck.slides.add_slide(deck.slide_layouts[6]).shapes.add_table(
        3, 3, Inches(1), Inches(1), Inches(6), Inches(2))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            shape.table.cell(r, c).text = value
    shape.table.cell(2, 1).merge(shape.table.cell(2, 2))
    buf = io.BytesIO()
    deck.save(buf)
    slide = load_bytes(Path("models.pptx"), buf.getvalue()).pages[0].text.split("\n\n")

    expected = ["Feature | Basic | Pro", "Feature: Bluetooth; Basic: Yes; Pro: Yes",
                "Feature: Colour; Basic: Grey"]
    assert word == expected and slide == expected


def test_word_text_in_nested_tables_content_controls_and_text_boxes_is_read() -> None:
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    document.add_paragraph("Body first.")
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "Outer cell"
    inner = outer.cell(0, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "Inner left", "Inner right"
    body = document.element.body
    body.insert(len(body) - 1, parse_xml(  # a form's field: a block-level content control
        f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p><w:r><w:t>Field text.</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>"))
    anchor = document.add_paragraph("Anchor paragraph.")
    anchor._p.append(parse_xml(  # a text box, as Word writes one for older readers
        f"<w:r {nsdecls('w')} xmlns:v='urn:schemas-microsoft-com:vml'><w:pict><v:shape>"
        "<v:textbox><w:txbxContent><w:p><w:r><w:t>Boxed text.</w:t></w:r></w:p></w:txbxContent>"
        "</v:textbox></v:shape></w:pict></w:r>"))
    buf = io.BytesIO()
    document.save(buf)
    assert load_bytes(Path("form.docx"), buf.getvalue()).pages[0].text.split("\n\n") == [
        "Body first.", "Outer cell | Inner left | Inner right", "Field text.",
        "Anchor paragraph.", "Boxed text."]

def test_an_inline_content_control_keeps_its_text_in_its_paragraph_in_order() -> None:
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    def field(text: str) -> str:  # a form's field among a paragraph's runs, as Word writes it
        return (f"<w:sdt {nsdecls('w')}><w:sdtPr><w:date/></w:sdtPr><w:sdtContent>"
                f"<w:r><w:t>{text}</w:t></w:r></w:sdtContent></w:sdt>")

    document = docx.Document()
    dated = document.add_paragraph("Date: ")
    dated._p.append(parse_xml(field("2024-05-01")))
    dated.add_run(", signed by ")
    dated._p.append(parse_xml(field("Dana Reyes")))
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    cell.paragraphs[0].add_run("Due: ")
    cell.paragraphs[0]._p.append(parse_xml(field("2024-06-30")))
    buf = io.BytesIO()
    document.save(buf)
    assert load_bytes(Path("form.docx"), buf.getvalue()).pages[0].text.split("\n\n") == [
        "Date: 2024-05-01, signed by Dana Reyes", "Due: 2024-06-30"]


def test_a_word_table_without_its_column_grid_is_read_as_word_opens_it() -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for r, values in enumerate([["Model", "Capacity", "Colour"], ["K200", "1.7 litres", "red"]]):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    table.cell(2, 0).merge(table.cell(2, 1)).text = "Both sizes"  # a cell spanning two columns
    table.cell(2, 2).text = "blue"
    table.cell(1, 2).add_table(rows=1, cols=1).cell(0, 0).text = "matt"  # a nested table
    buf = io.BytesIO()
    document.save(buf)
    with_grid = load_bytes(Path("kettles.docx"), buf.getvalue()).pages
    without_grid = load_bytes(Path("kettles.docx"), without_table_grids(buf.getvalue())).pages
    assert "Model: K200; Capacity: 1.7 litres; Colour: red matt" in with_grid[0].text
    assert without_grid == with_grid


def test_a_word_document_python_docx_calls_invalid_is_corrupt_not_a_crash(monkeypatch) -> None:
    from docx.oxml.exceptions import InvalidXmlError

    from ingest.formats import word

    def refused(table, numbers=None) -> list[str]:
        raise InvalidXmlError("required ``<w:tblPr>`` child element not present")

    monkeypatch.setattr(word, "table_lines", refused)
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("odd.docx"), docx_report())
    assert info.value.reason == "corrupt" and "InvalidXmlError" in str(info.value)


@pytest.mark.parametrize(("pre", "kept"), [
    ("def f():\n    return   1\n\n\nend", "def f():\n    return   1\n\nend"),
    ("    indented first\n\tand a tab  ", "    indented first\n\tand a tab"),
    ("<b>if</b> x:\n    <i>y</i>()<br>  z", "if x:\n    y()\n  z"),
    ("windows:\r\n  line  \r\n", "windows:\n  line"),
])
def test_html_pre_keeps_its_lines_indentation(pre: str, kept: str) -> None:
    page = f"<html><body><p>  Run   this: </p><pre>{pre}</pre><p> Then  stop. </p></body></html>"
    [read] = load_bytes(Path("code.html"), page.encode()).pages
    assert read.text == f"Run this:\n\n{kept}\n\nThen stop."


def test_html_table_of_contents_linking_into_the_page_is_left_out() -> None:
    # its entries repeat the headings' words and answer nothing (as a PDF's contents pages)
    page = ("<html><body><h1>Users and Groups</h1>"
            '<div class="toc"><dl><dt><b>Table of Contents</b></dt>'
            '<dt>1. <a href="#intro">Introduction</a></dt>'
            '<dt>2. <a href="#entries">Users and Groups</a></dt></dl></div>'
            '<h2 id="intro">Introduction</h2><p>The package holds the master files. '
            'See <a href="#entries">the entries</a> and <a href="#top">the top</a>.</p>'
            '<h2 id="entries">Users and Groups</h2><p>staff: Allows local changes.</p>'
            '<ul><li><a href="https://www.debian.org/">Debian</a></li>'
            '<li><a href="https://www.debian.org/doc/">Documents</a></li></ul>'
            "</body></html>")
    [read] = load_bytes(Path("groups.html"), page.encode()).pages
    assert "Table of Contents" not in read.text and "1. Introduction" not in read.text
    assert read.text.startswith("Users and Groups\n\nIntroduction\n\nThe package holds")
    assert "See the entries and the top." in read.text  # a sentence's own links stay
    assert read.text.endswith("• Debian\n\n• Documents")  # links out of the page stay
    # a page that is nothing but such links keeps them: they are all it says
    only = ('<html><body><ul><li><a href="#a">Alpha section</a></li>'
            '<li><a href="#b">Beta section</a></li></ul></body></html>')
    [read] = load_bytes(Path("index.html"), only.encode()).pages
    assert read.text == "• Alpha section\n\n• Beta section"


def test_html_site_menus_and_search_box_are_left_out() -> None:
    # the same on every page of a site: "Downloads" would match a question on each of them;
    # and a theme picker's menu (mdBook's, Sphinx's) is no text of the page's
    page = ('<html><body><header><a href="/">PyThing</a>'
            '<nav><ul><li><a href="/download/">Downloads</a></li>'
            '<li><a href="/docs/">Documentation</a></li></ul></nav></header>'
            '<div class="related" role="navigation"><a href="/genindex/">index</a> | '
            '<a href="/modindex/">modules</a> | <a href="next.html">next</a></div>'
            '<div role="search"><h3>Quick search</h3><form><input name="q"></form></div>'
            '<ul role="menu"><li role="none"><button role="menuitem">Light</button></li>'
            '<li role="none"><button role="menuitem">Dark</button></li></ul>'
            "<main><h1>Installing</h1><p>Run the installer you downloaded.</p>"
            '<nav aria-label="breadcrumb" role="navigation"><a href="/">Home</a> / '
            '<a href="/docs/">Docs</a><nav><a href="/x/">Nested</a></nav></nav>'
            "</main><footer>Licensed under the MIT licence.</footer></body></html>")
    [read] = load_bytes(Path("install.html"), page.encode()).pages
    assert read.text == ("PyThing\n\nInstalling\n\nRun the installer you downloaded.\n\n"
                         "Licensed under the MIT licence.")
    # a page that is nothing but a menu keeps it: it is all the page says
    only = '<html><body><nav><a href="/a/">Alpha</a> <a href="/b/">Beta</a></nav></body></html>'
    [read] = load_bytes(Path("menu.html"), only.encode()).pages
    assert read.text == "Alpha Beta"
    # a <nav> of prose is no menu: a page put its content there
    wrapped = ('<html><body><nav><h1>Tides</h1><p>The moon pulls the sea twice a day; see '
               '<a href="/moon/">the moon</a>.</p><nav><a href="/a/">Home</a></nav></nav>'
               "<footer>2024</footer></body></html>")
    [read] = load_bytes(Path("tides.html"), wrapped.encode()).pages
    assert read.text.startswith("Tides\n\nThe moon pulls the sea twice a day; see the moon.")


FERRY_BODY = ("<main><h1>Ferry times</h1><p>The ferry to Hoy leaves Stromness at 9 am and "
              "returns at 5 pm.</p><p>Tickets are sold on board. Dogs travel free.</p></main>")
FERRY_FOOTER = ("<p>&copy; 2026 Orkney Ferries Ltd. All rights reserved.</p><ul>"
                '<li><a href="/privacy">Privacy policy</a></li>'
                '<li><a href="/terms">Terms of travel</a></li></ul>')
FERRY_TEXT = ("Ferry times\n\nThe ferry to Hoy leaves Stromness at 9 am and returns at 5 pm.\n\n"
              "Tickets are sold on board. Dogs travel free.")


@pytest.mark.parametrize("page", [
    f"<html><body>{FERRY_BODY}<footer>{FERRY_FOOTER}</footer></body></html>",
    # inside the page's wrapper, and ARIA's page footer
    f'<html><body><div id="page">{FERRY_BODY}<footer>{FERRY_FOOTER}</footer></div></body></html>',
    f'<html><body>{FERRY_BODY}<div role="contentinfo">{FERRY_FOOTER}</div></body></html>',
    # the marks between its links are no prose
    f'<html><body>{FERRY_BODY}<footer>Copyright 2026 | <a href="/privacy">Privacy</a> | '
    '<a href="/terms">Terms</a> | <a href="/contact">Contact</a></footer></body></html>',
    # a footer named by its class or its id alone, as a page without HTML5's <footer> marks it
    f'<html><body>{FERRY_BODY}<div class="footer">{FERRY_FOOTER}</div></body></html>',
    f'<html><body>{FERRY_BODY}<div class="wide site-footer">{FERRY_FOOTER}</div></body></html>',
    f'<html><body>{FERRY_BODY}<div id="siteFooter">{FERRY_FOOTER}</div></body></html>',
    f'<html><body>{FERRY_BODY}<table><tr><td id="footer_links">{FERRY_FOOTER}</td></tr>'
    "</table></body></html>",
], ids=["body", "wrapper", "contentinfo", "links-and-bars", "class", "classes", "id",
        "id-in-layout-table"])
def test_an_html_pages_footer_of_links_and_notices_is_left_out(page: str) -> None:
    """The same on every page of a site: its copyright line and links would match a
    question on each of them."""
    [read] = load_bytes(Path("ferry.html"), page.encode()).pages
    assert read.text == FERRY_TEXT


def test_an_html_footer_of_prose_or_of_an_article_or_a_quote_stays() -> None:
    # a page footer mostly of prose is the page's content, less its copyright line: the same
    # on every page of the site, it was quoted after the sentence answering
    about = ("<p>Orkney Ferries is run by the islands' council and sails all year.</p>"
             "<p>&copy; 2026 Orkney Ferries Ltd.</p>")
    for footer in (f"<footer>{about}</footer>", f'<div class="site-footer">{about}</div>'):
        page = f"<html><body>{FERRY_BODY}{footer}</body></html>"
        [read] = load_bytes(Path("ferry.html"), page.encode()).pages
        assert read.text == (FERRY_TEXT + "\n\nOrkney Ferries is run by the islands' council "
                             "and sails all year.")
    # an article's footer and a quote's source are theirs, not the page's
    article = ("<html><body><article><blockquote><p>The sea is calm today.</p><footer>"
               '<a href="/skipper">The skipper</a></footer></blockquote><p>Sailings run.</p>'
               '<footer>Filed under <a href="/news">News</a></footer></article></body></html>')
    [read] = load_bytes(Path("news.html"), article.encode()).pages
    assert read.text == ("The sea is calm today.\n\nThe skipper\n\nSailings run.\n\n"
                         "Filed under News")
    # an article's element so named is its own, and a wrapper of the page so named no footer
    article = ("<html><body><article><p>Sailings run.</p><div class=\"footer\">Filed under "
               '<a href="/news">News</a></div></article></body></html>')
    [read] = load_bytes(Path("news.html"), article.encode()).pages
    assert read.text == "Sailings run.\n\nFiled under News"
    wrapper = (f'<html><body><div class="page-with-footer">{FERRY_BODY}<p><a href="/fares">'
               "Fares</a></p></div></body></html>")
    [read] = load_bytes(Path("ferry.html"), wrapper.encode()).pages
    assert read.text == FERRY_TEXT + "\n\nFares"
    # a page that is nothing but its footer keeps it: it is all the page says
    only = f"<html><body><footer>{FERRY_FOOTER}</footer></body></html>"
    [read] = load_bytes(Path("footer.html"), only.encode()).pages
    assert read.text.startswith("© 2026 Orkney Ferries Ltd.")


def test_an_answer_quotes_no_line_of_an_html_pages_footer(service, tmp_path: Path) -> None:
    """Its copyright line, in the passage of a short page, was quoted after the sentence
    answering the question."""
    path = tmp_path / "ferry.html"
    path.write_text(f"<html><body>{FERRY_BODY}<footer>{FERRY_FOOTER}</footer></body></html>",
                    encoding="utf-8")
    assert service.ingest([path]).ok
    answer = service.ask("When does the ferry return?").text
    assert "returns at 5 pm" in answer and "Orkney Ferries Ltd" not in answer, answer


PLUMBER_PAGE = ('<html><body><main><h1>Acme Plumbing</h1><p>We fix leaking pipes and boilers '
                'across Leeds.</p></main>\n<footer><a href="/">Home</a> <a href="/about">About</a> '
                '<a href="/privacy">Privacy</a>\n<p>Emergency line: 0113 496 0123</p>\n'
                "<p>&copy; 2026 Acme Plumbing Ltd</p></footer>\n</body></html>")
BAKERY_PAGE = ("<html><body><main><h1>Crumb Bakery</h1><p>We bake sourdough and pastries every "
               "morning.</p></main>\n<footer>\n<p>Open Tuesday to Saturday, 7:00 to 15:00.</p>\n"
               "<p>14 Kirkgate, Otley LS21 3HJ</p>\n"
               '<a href="/menu">Menu</a> <a href="/jobs">Jobs</a> <a href="/privacy">Privacy</a> '
               '<a href="https://instagram.com/crumb">Instagram</a>\n'
               "<p>&copy; 2026 Crumb Bakery Ltd. All rights reserved.</p>\n</footer></body></html>")


@pytest.mark.parametrize(("page", "text"), [
    (PLUMBER_PAGE, "Acme Plumbing\n\nWe fix leaking pipes and boilers across Leeds.\n\n"
                   "Emergency line: 0113 496 0123"),
    (BAKERY_PAGE, "Crumb Bakery\n\nWe bake sourdough and pastries every morning.\n\n"
                  "Open Tuesday to Saturday, 7:00 to 15:00.\n\n14 Kirkgate, Otley LS21 3HJ"),
    # a list of links goes whole, bullets and all; an address's lines stay, a line of a
    # paragraph that is a notice goes
    (f"<html><body>{FERRY_BODY}<footer><ul>"
     '<li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of travel</a></li>'
     '<li><a href="/cookies">Cookies</a></li><li><a href="/contact">Contact us</a></li></ul>'
     "<address>Pier Road<br>Stromness</address>"
     "<p>Phone 01856 850 000<br>&copy; 2026 Orkney Ferries Ltd. | All rights reserved.</p>"
     "</footer></body></html>",
     f"{FERRY_TEXT}\n\nPier Road\nStromness\n\nPhone 01856 850 000"),
    # a link that calls or writes to the page's owner is a contact detail, no menu's
    (f"<html><body>{FERRY_BODY}<footer>"
     '<p>Call <a href="tel:+441856850000">01856 850 000</a></p>'
     '<p><a href="mailto:sail@ferries.example">sail@ferries.example</a></p>'
     '<p><a href="/privacy">Privacy</a> | <a href="/terms">Terms</a> | '
     '<a href="/cookies">Cookies</a> | <a href="/jobs">Jobs</a> | <a href="/press">Press</a></p>'
     "<p>&copy; 2026 Orkney Ferries Ltd. All rights reserved.</p></footer></body></html>",
     f"{FERRY_TEXT}\n\nCall 01856 850 000\n\nsail@ferries.example"),
], ids=["links-beside-a-phone-line", "hours-and-address", "list-address-and-lines",
        "phone-and-mail-links"])
def test_an_html_pages_footer_keeps_its_blocks_that_are_not_links_or_notices(
        page: str, text: str) -> None:
    """A small business's footer is often the only place its page gives its phone number,
    hours and address: only its links and notices go."""
    [read] = load_bytes(Path("page.html"), page.encode()).pages
    assert read.text == text


@pytest.mark.slow
def test_an_answer_quotes_contact_details_from_an_html_pages_footer(
        service, tmp_path: Path) -> None:
    for name, page in (("contact.html", PLUMBER_PAGE), ("bakery.html", BAKERY_PAGE)):
        (tmp_path / name).write_text(page, encoding="utf-8")
    assert service.ingest([tmp_path / "contact.html", tmp_path / "bakery.html"]).ok
    answer = service.ask("What is the emergency line number for Acme Plumbing?").text
    assert "0113 496 0123" in answer and "©" not in answer, answer
    answer = service.ask("When is the bakery open?").text
    assert "Open Tuesday to Saturday, 7:00 to 15:00." in answer and "©" not in answer, answer


def test_html_heading_permalink_marks_are_left_out() -> None:
    page = ('<html><body><h2>Shell window<a class="headerlink" href="#shell-window">¶</a></h2>'
            '<p>It runs code<a href="#fn1">[1]</a>. See <a href="#menus">the menus</a>.</p>'
            '<h3><a class="anchor" href="#menus">#</a> Menus</h3></body></html>')
    [read] = load_bytes(Path("help.html"), page.encode()).pages
    assert read.text == "Shell window\n\nIt runs code[1]. See the menus.\n\nMenus"


def test_pptx_slide_is_a_page_with_title_body_table_and_notes() -> None:
    doc = load_bytes(Path("deck.pptx"), pptx_deck())
    assert doc.title == "Quarterly budget"  # no title set: the first slide's
    assert [(p.number, p.locator) for p in doc.pages] == [(1, "slide 1: Quarterly budget"),
                                                         (2, "slide 2: Hiring plan")]
    assert doc.pages[0].text.split("\n\n") == [
        "Quarterly budget", "• Travel costs fell by a tenth.", "Team | Spend",
        "Team: Sales; Spend: 1200",
        "Notes:", "Mention the new travel policy."]


def test_a_decks_footer_and_date_are_read_once_and_slide_numbers_never() -> None:
    """PowerPoint draws them on every slide alike: on each they would match a question by
    every slide, but once they are the deck's words."""
    import pptx
    from pptx.enum.shapes import PP_PLACEHOLDER

    deck = pptx.Presentation()
    layout = deck.slide_layouts[1]
    furniture = {PP_PLACEHOLDER.FOOTER: "Acme Corp, confidential",
                 PP_PLACEHOLDER.DATE: "May 2024", PP_PLACEHOLDER.SLIDE_NUMBER: "7"}
    for title in ("Budget", "Hiring"):
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = title
        slide.placeholders[1].text_frame.text = f"{title} grew."
        for placeholder in layout.placeholders:
            if placeholder.placeholder_format.type in furniture:
                slide.shapes.clone_placeholder(placeholder)
        for shape in slide.placeholders:
            text = furniture.get(shape.placeholder_format.type)
            if text:
                shape.text_frame.text = text
    data = io.BytesIO()
    deck.save(data)
    first, second = load_bytes(Path("deck.pptx"), data.getvalue()).pages
    assert first.text.split("\n\n") == ["Budget", "• Budget grew.", "May 2024",
                                         "Acme Corp, confidential"]
    assert second.text.split("\n\n") == ["Hiring", "• Hiring grew."]


def test_a_footer_hidden_in_the_selection_pane_is_not_read() -> None:
    import pptx
    from pptx.enum.shapes import PP_PLACEHOLDER

    deck = pptx.Presentation()
    layout = deck.slide_layouts[1]
    slide = deck.slides.add_slide(layout)
    slide.shapes.title.text = "Budget"
    footer = next(p for p in layout.placeholders
                  if p.placeholder_format.type == PP_PLACEHOLDER.FOOTER)
    slide.shapes.clone_placeholder(footer)
    shape = next(p for p in slide.placeholders
                 if p.placeholder_format.type == PP_PLACEHOLDER.FOOTER)
    shape.text_frame.text = "Draft, do not circulate"
    shape._element.xpath("./*[1]/p:cNvPr")[0].set("hidden", "1")
    data = io.BytesIO()
    deck.save(data)
    [page] = load_bytes(Path("deck.pptx"), data.getvalue()).pages
    assert "Draft" not in page.text


def test_a_slides_chart_gives_its_title_and_its_figures_named_by_category() -> None:
    import pptx
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # a title, and room for the chart
    slide.shapes.title.text = "Sales chart"
    data = CategoryChartData()
    data.categories = ["Q1", "Q2"]
    data.add_series("Revenue", (1200, 1350.5))
    data.add_series("Costs", (800, None))
    frame = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(2),
                                   Inches(6), Inches(4), data)
    frame.chart.has_title = True
    frame.chart.chart_title.text_frame.text = "Quarterly revenue"
    buffer = io.BytesIO()
    deck.save(buffer)
    (page,) = load_bytes(Path("chart.pptx"), buffer.getvalue()).pages
    assert (page.locator, page.text.split("\n\n")) == ("slide 1: Sales chart", [
        "Sales chart", "Quarterly revenue", "Q1 | Q2", "Revenue; Q1: 1200; Q2: 1350.5",
        "Costs; Q1: 800"])


def test_a_slides_chart_over_dates_shows_them_and_its_figures_as_formatted() -> None:
    """A chart keeps its dates as serial numbers and its figures as values, with the number
    formats it shows them in: read in those, as a sheet's cells are."""
    import datetime

    import pptx
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Margin trend"
    data = CategoryChartData(number_format="0%")
    data.categories = [datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)]
    data.add_series("Margin", (0.12, 0.155))
    slide.shapes.add_chart(XL_CHART_TYPE.LINE, Inches(1), Inches(2), Inches(6), Inches(4), data)
    buffer = io.BytesIO()
    deck.save(buffer)
    (page,) = load_bytes(Path("chart.pptx"), buffer.getvalue()).pages
    assert page.text.split("\n\n")[1:] == [
        "2024-01-01 | 2024-02-01", "Margin; 2024-01-01: 12%; 2024-02-01: 16%"]


def chart_deck(number_format: str, values: tuple[float, ...], slides: int = 1) -> bytes:
    """Slides each of whose charts shows one series of figures under `number_format`."""
    import pptx
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    deck = pptx.Presentation()
    for _ in range(slides):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = "Rota"
        data = CategoryChartData(number_format=number_format)
        data.categories = ["Mon", "Tue", "Wed"]
        data.add_series("Overtime", values)
        slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(2),
                               Inches(6), Inches(4), data)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def test_a_slides_chart_shows_days_under_an_elapsed_format_as_time_elapsed() -> None:
    (page,) = load_bytes(Path("rota.pptx"), chart_deck("[h]:mm", (1.5, 2.25, 0.75))).pages
    assert page.text.split("\n\n")[-1] == "Overtime; Mon: 36:00; Tue: 54:00; Wed: 18:00"


def test_a_slides_chart_figure_past_any_date_is_shown_as_the_figure() -> None:
    deck = chart_deck("yyyy-mm-dd", (45323, 3_000_000, -3_000_000_000))
    (page,) = load_bytes(Path("deadlines.pptx"), deck).pages
    assert page.text.split("\n\n")[-1] == (
        "Overtime; Mon: 2024-02-01; Tue: 3000000; Wed: -3000000000")


def test_pptx_paragraphs_keep_the_bullets_and_numbers_powerpoint_draws() -> None:
    """A content placeholder's paragraphs are bulleted by its master's body style unless a
    paragraph says otherwise; numbers count through a run at one level; a title slide's
    subtitle and a text box draw no mark."""
    import pptx
    from pptx.oxml.ns import qn
    from pptx.util import Inches

    deck = pptx.Presentation()
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = "Q3 plan"
    cover.placeholders[1].text_frame.text = "Prepared by the board"
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Q3 goals"
    body = slide.placeholders[1].text_frame
    body.text = "We will focus on three goals:"
    for text, level, bullet in [
            ("ship the mobile app", 1, None), ("hire two engineers", 1, None),
            ("Then, in order:", 0, ("buNone", {})),
            ("Freeze the scope.", 1, ("buAutoNum", {"type": "arabicPeriod", "startAt": "3"})),
            ("Test it.", 1, ("buAutoNum", {"type": "arabicPeriod", "startAt": "3"})),
            ("Release it.", 1, ("buAutoNum", {"type": "alphaLcParenR"}))]:
        paragraph = body.add_paragraph()
        paragraph.text, paragraph.level = text, level
        if bullet:
            name, attributes = bullet
            paragraph._p.get_or_add_pPr().append(
                paragraph._p.makeelement(qn(f"a:{name}"), attributes))
    slide.shapes.add_textbox(Inches(1), Inches(6), Inches(4), Inches(1)).text_frame.text = (
        "Draft: not for circulation")
    data = io.BytesIO()
    deck.save(data)
    cover_page, goals = load_bytes(Path("plan.pptx"), data.getvalue()).pages
    assert cover_page.text.split("\n\n") == ["Q3 plan", "Prepared by the board"]
    assert goals.text.split("\n\n") == [
        "Q3 goals", "• We will focus on three goals:", "• ship the mobile app",
        "• hire two engineers", "Then, in order:", "3. Freeze the scope.", "4. Test it.",
        "a) Release it.", "Draft: not for circulation"]


@pytest.mark.parametrize("level", ["x", "42", "-1"])
def test_a_slide_paragraphs_malformed_level_costs_only_its_mark(level: str) -> None:
    """A list level out of the schema's range: the text is read all the same, the level
    taken as the nearest there is."""
    import pptx

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Odd levels"
    body = slide.placeholders[1].text_frame
    body.text = "First point."
    paragraph = body.add_paragraph()
    paragraph.text = "Second point."
    paragraph._p.get_or_add_pPr().set("lvl", level)
    data = io.BytesIO()
    deck.save(data)
    [page] = load_bytes(Path("odd.pptx"), data.getvalue()).pages
    assert page.text.split("\n\n") == ["Odd levels", "• First point.", "• Second point."]


def test_xlsx_sheet_is_a_page_and_rows_carry_their_header() -> None:
    doc = load_bytes(Path("book.xlsx"), xlsx_book())
    # the empty sheet has no page, and numbers stay the sheets' own
    assert [(p.number, p.locator) for p in doc.pages] == [(1, "sheet Costs"), (3, "sheet Staff")]
    assert doc.pages[0].text.split("\n\n") == ["Region | Q1 | Q2",
                                              "Region: North; Q1: 1200; Q2: 1350.5",
                                              "Region: South; Q1: 800"]
    assert doc.pages[1].text.split("\n\n")[1] == "Name: Ada; Role: Engineer"


def test_xlsx_gives_values_not_formulas() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Item", "Cost"])
    sheet.append(["Bolt", "=2+2"])
    buf = io.BytesIO()
    book.save(buf)
    text = load_bytes(Path("formula.xlsx"), buf.getvalue()).pages[0].text
    # openpyxl writes no cached value, as a file never opened in Excel has none: no formula
    assert "=2+2" not in text and "Item: Bolt" in text


UNSAVED_WARNING = ("3 formulas (e.g. Q1!C3, Q1!B4) have no saved result (the workbook was "
                   "written by a program and never recalculated): their cells are left out. "
                   "Open and save it in Excel or LibreOffice, then ingest it again.")


def costs_with_formulas() -> bytes:
    """Formulas as a program writes them: openpyxl saves no result for any of them."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Q1"
    for row in [["Item", "Cost", "Doubled"], ["Bolt", 2, 4], ["Nut", 3, "=B3*2"],
                ["Total", "=SUM(B2:B3)", None]]:
        sheet.append(row)
    book.create_sheet("Q2").append(["Total", "=Q1!B4"])
    hidden = book.create_sheet("Workings")
    hidden.append(["Scratch", "=1+1"])
    hidden.sheet_state = "hidden"  # its formulas are left out with it, and not counted
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def with_saved_results(data: bytes, results: dict[str, str]) -> bytes:
    """The workbook with each named cell's formula followed by its result, as Excel saves it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                for ref, result in results.items():
                    body = re.sub(rf'(<c r="{ref}"[^>]*><f>[^<]*</f>)<v\s*(?:/>|></v>)'.encode(),
                                  rf"\1<v>{result}</v>".encode(), body)
            copy.writestr(info, body)
    return out.getvalue()


def test_xlsx_formulas_without_a_saved_result_are_reported_and_the_rest_is_read() -> None:
    doc = load_bytes(Path("costs.xlsx"), costs_with_formulas())
    assert [p.locator for p in doc.pages] == ["sheet Q1", "sheet Q2"]
    assert doc.pages[0].text.split("\n\n") == ["Item | Cost | Doubled",
                                                "Item: Bolt; Cost: 2; Doubled: 4",
                                                "Item: Nut; Cost: 3", "Item: Total"]
    assert doc.warnings == (UNSAVED_WARNING,)


def test_xlsx_formulas_with_saved_results_are_read_without_a_warning() -> None:
    saved = with_saved_results(costs_with_formulas(), {"C3": "6", "B4": "5", "B1": "5"})
    doc = load_bytes(Path("costs.xlsx"), saved)
    assert doc.pages[0].text.split("\n\n")[2:] == ["Item: Nut; Cost: 3; Doubled: 6",
                                                    "Item: Total; Cost: 5"]
    assert doc.pages[1].text == "Total | 5"  # Q2!B1
    assert doc.warnings == ()


def test_xlsx_one_formula_without_a_result_is_named_alone() -> None:
    doc = load_bytes(Path("costs.xlsx"),
                     with_saved_results(costs_with_formulas(), {"C3": "6", "B1": "5"}))
    assert doc.warnings == ("1 formula (Q1!B4) has no saved result (the workbook was written by "
                            "a program and never recalculated): its cell is left out. Open and "
                            "save it in Excel or LibreOffice, then ingest it again.",)


def without_recalculation_mark(data: bytes) -> bytes:
    """The workbook as Excel or LibreOffice would save it: not marked to be recalculated when
    it is opened (openpyxl marks every workbook it writes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/workbook.xml":
                body, marks = re.subn(rb'\sfullCalcOnLoad="1"', b"", body)
                assert marks == 1
            copy.writestr(info, body)
    return out.getvalue()


def xlsxwriter_report() -> bytes:
    """A report as XlsxWriter (the writer pandas uses) saves it: each formula's result 0 unless
    the caller gives its value, and the workbook marked to be recalculated when it is opened."""
    import xlsxwriter

    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf) as book:
        costs = book.add_worksheet("Q1")
        for number, row in enumerate([["Item", "Cost", "Doubled"], ["Bolt", 2], ["Washer", 0],
                                      ["Total"]]):
            costs.write_row(number, 0, row)
        costs.write_formula("C2", "=B2*2", None, 4)  # its value given: kept
        costs.write_formula("C3", "=B3*2", None, 0)  # given, yet no different from the default
        costs.write_formula("B4", "=SUM(B2:B3)")
        labels = book.add_worksheet("Labels")
        for number, row in enumerate([["Name", "Label"], ["Ada"], ["Grace"]]):
            labels.write_row(number, 0, row)
        labels.write_formula("B2", '=A2&" (engineer)"')  # a text formula's result: 0 as well
        labels.write_formula("B3", '=A3&" (admiral)"')
    return buf.getvalue()


def test_xlsx_placeholder_results_in_a_workbook_to_recalculate_are_left_out_and_reported() -> None:
    doc = load_bytes(Path("report.xlsx"), xlsxwriter_report())
    assert [p.locator for p in doc.pages] == ["sheet Q1", "sheet Labels"]
    # the literal 0 stays; the formulas' zeros are the writer's, not results
    assert doc.pages[0].text.split("\n\n") == ["Item | Cost | Doubled",
                                                "Item: Bolt; Cost: 2; Doubled: 4",
                                                "Item: Washer; Cost: 0", "Item: Total"]
    assert doc.pages[1].text.split("\n\n") == ["Name | Label", "Name: Ada", "Name: Grace"]
    assert doc.warnings == (
        "4 formulas (e.g. Q1!C3, Q1!B4) were saved with placeholder results by the program "
        "that wrote the workbook, which asks Excel to recalculate them on opening: their "
        "cells are left out. Open and save it in Excel or LibreOffice, then ingest it again.",)


@pytest.mark.parametrize("marked", [True, False], ids=["marked", "not marked"])
def test_xlsx_a_formulas_saved_zero_is_a_placeholder_only_in_a_workbook_to_recalculate(
        marked: bool) -> None:
    saved = with_saved_results(costs_with_formulas(), {"C3": "6", "B4": "0", "B1": "5"})
    doc = load_bytes(Path("costs.xlsx"), saved if marked else without_recalculation_mark(saved))
    total = "Item: Total" if marked else "Item: Total; Cost: 0"
    assert doc.pages[0].text.split("\n\n")[2:] == ["Item: Nut; Cost: 3; Doubled: 6", total]
    assert doc.pages[1].text == "Total | 5"
    assert doc.warnings == ((
        "1 formula (Q1!B4) was saved with a placeholder result by the program that wrote the "
        "workbook, which asks Excel to recalculate it on opening: its cell is left out. Open "
        "and save it in Excel or LibreOffice, then ingest it again.",) if marked else ())


def test_xlsx_formulas_without_a_result_and_with_a_placeholder_are_reported_together() -> None:
    doc = load_bytes(Path("costs.xlsx"),
                     with_saved_results(costs_with_formulas(), {"C3": "0", "B1": "5"}))
    assert doc.pages[0].text.split("\n\n")[2:] == ["Item: Nut; Cost: 3", "Item: Total"]
    assert doc.warnings == (
        "1 formula (Q1!B4) has no saved result (the workbook was written by a program and never "
        "recalculated) and 1 formula (Q1!C3) was saved with a placeholder result by the program "
        "that wrote the workbook, which asks Excel to recalculate it on opening: their cells are "
        "left out. Open and save it in Excel or LibreOffice, then ingest it again.",)


def test_xlsx_an_array_formulas_placeholders_are_left_out_in_every_cell_of_its_range() -> None:
    """XlsxWriter saves an array formula (and a dynamic one) in its range's first cell and 0
    in each of the others: read as results, every row would say "Doubled: 0"."""
    import xlsxwriter

    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf) as book:
        sales = book.add_worksheet("Q1")
        sales.write_row(0, 0, ["Region", "Sales", "Doubled", "Tripled"])
        for number, row in enumerate([["North", 10], ["South", 20], ["East", 0]], start=1):
            sales.write_row(number, 0, row)
        sales.write_array_formula("C2:C4", "{=B2:B4*2}", None, 20)  # the first cell's given
        sales.write_dynamic_array_formula("D2:D4", "=B2:B4*3")
    doc = load_bytes(Path("sales.xlsx"), buf.getvalue())
    assert doc.pages[0].text.split("\n\n") == [
        "Region | Sales | Doubled | Tripled", "Region: North; Sales: 10; Doubled: 20",
        "Region: South; Sales: 20", "Region: East; Sales: 0"]
    assert doc.warnings[0].startswith("5 formulas (e.g. Q1!D2, Q1!C3) were saved with "
                                      "placeholder results")


SHEET_CELLS = (
    '<c r="A1"><f>1+1</f><v>2</v></c>'  # computed and saved, as Excel and LibreOffice save
    '<c r="A2"><f>1+1</f><v></v></c><c r="A3"><f>1+1</f><v/></c>'  # openpyxl: empty
    '<c r="A4"><f>IF(A1>0,1,2)</f></c>'  # none at all
    '<c r="A5" t="str"><f>""</f><v></v></c>'  # a formula giving "": an empty text, saved
    '<c r="A6" t="str"><f>""</f></c>'
    '<c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f><v>4</v></c>'
    '<c r="B2"><f t="shared" si="0"/><v>4</v></c><c r="B3"><f t="shared" si="0"/></c>'
    '<c r="C1"><f t="array" ref="C1:C2">A1:A2*2</f><v>4</v></c><c r="C2"><v>4</v></c>'
    '<c r="D1"><f t="array" ref="D1:D2">A1:A2*2</f></c>'
    '<c r="E1">\n  <f>1+1</f>\n  <v>2</v>\n</c><c r="E2">\n  <f>1+1</f>\n</c><c><f>1</f></c>')
SHEET_TAIL = (  # formulas of conditional formats and sparklines are not cells'
    '<conditionalFormatting sqref="A1"><cfRule type="expression" priority="1">'
    '<formula>A1&gt;0</formula></cfRule></conditionalFormatting><extLst><ext uri="{05C6}">'
    '<x14:sparklineGroups><x14:sparklineGroup><x14:sparklines><x14:sparkline><xm:f>S!A1:A2'
    '</xm:f><xm:sqref>F1</xm:sqref></x14:sparkline></x14:sparklines></x14:sparklineGroup>'
    '</x14:sparklineGroups></ext></extLst>')
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
UNSAVED_CELLS = ["A2", "A3", "A4", "A6", "B3", "D1", "E2", None]


def sheet_xml(cells: str, prefix: str = "") -> bytes:
    """A sheet's XML holding `cells`, its own elements named with `prefix` (`x:`) if any."""
    xml = (f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1">{cells}</row></sheetData>'
           f'{SHEET_TAIL}</worksheet>')
    if prefix:  # every element of the sheet's namespace, not the extensions' (x14:, xm:)
        xml = re.sub(r"<(/?)(?!/|x14:|xm:)", rf"<\1{prefix}", xml).replace(
            "xmlns=", f"xmlns:{prefix[:-1]}=")
    return f'<?xml version="1.0"?>{xml}'.encode()


PLACEHOLDER_CELLS = (  # in a workbook marked to be recalculated when it is opened
    '<c r="F1"><f>SUM(A1:A2)</f><v>0</v></c>'  # XlsxWriter's placeholder
    '<c r="F2" t="n"><f>A1-A1</f><v>0.0</v></c>'
    '<c r="F3">\n  <f>A1*0</f>\n  <v>-0</v>\n</c>'
    '<c r="F4"><f>1+1</f><v>2</v></c>'  # a result given by the writer
    '<c r="F5" t="b"><f>1&gt;2</f><v>0</v></c>'  # FALSE
    '<c r="F6" t="str"><f>"0"</f><v>0</v></c>'  # the text "0"
    '<c r="F7" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="F8"><v>0</v></c>'
    # an array formula's first cell holds it; XlsxWriter saves 0 in the others of its range
    '<c r="G1"><f ref="G1:G3" t="array">A1:A3*2</f><v>4</v></c><c r="G2"><v>0</v></c>'
    '<c r="G3" t="n"><v>0.0</v></c><c r="G4"><v>0</v></c>')
# a formula's saved 0 or empty text is a placeholder there: "+"
RECALCULATED_CELLS = ["A2", "A3", "A4", "A5+", "A6", "B3", "D1", "E2", None, "F1+", "F2+", "F3+",
                      "G2+", "G3+"]


def left_out(xml: bytes, recalculated: bool = False) -> list[str | None]:
    """The cells the scan leaves out, a placeholder's reference marked with a `+`."""
    return [(found.cell + "+" if found.cell and found.placeholder else found.cell)
            for found in sheets.formulas_left_out(io.BytesIO(xml), recalculated)]


@pytest.mark.parametrize("prefix", ["", "x:"])
def test_formulas_without_a_result_are_found_in_the_sheet_xml(prefix: str) -> None:
    xml = sheet_xml(SHEET_CELLS + PLACEHOLDER_CELLS, prefix)
    assert left_out(xml) == UNSAVED_CELLS
    assert left_out(xml, recalculated=True) == RECALCULATED_CELLS


@pytest.mark.parametrize("piece", [1, 2, 5, 13, 64])
def test_formulas_without_a_result_are_found_across_the_pieces_read(
        piece: int, monkeypatch: pytest.MonkeyPatch) -> None:
    xml = sheet_xml((SHEET_CELLS + PLACEHOLDER_CELLS) * 3)
    monkeypatch.setattr(sheets, "SCAN_BYTES", piece)
    assert left_out(xml) == UNSAVED_CELLS * 3
    assert left_out(xml, recalculated=True) == RECALCULATED_CELLS * 3


@pytest.mark.parametrize(("calculation", "asked"), [
    ('<calcPr calcId="124519" fullCalcOnLoad="1"/>', True),  # XlsxWriter, openpyxl
    ("<x:calcPr fullCalcOnLoad='true' calcId='1'></x:calcPr>", True),
    ('<calcPr calcId="191029"/>', False),  # Excel
    ('<calcPr fullCalcOnLoad="0"/>', False), ('<calcPr/>', False), ("", False),
    ('<definedName name="fullCalcOnLoad">1</definedName><calcPr/>', False)])
def test_a_workbook_asking_to_be_recalculated_when_opened_is_told_apart(
        calculation: str, asked: bool) -> None:
    xml = (f'<?xml version="1.0"?><workbook xmlns="{MAIN_NS}"><sheets><sheet name="S" '
           f'sheetId="1" r:id="rId1"/></sheets>{calculation}</workbook>').encode()
    assert sheets.asks_recalculation(xml) is asked


def test_xlsx_numbers_read_as_their_format_shows_them() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Region", "Discount", "Price", "Budget", "Margin", "Weight"])
    sheet.append(["North", 0.15, 1200.5, 2_500_000, -0.034, 12])
    for cell, number_format in zip(sheet[2][1:], ["0%", '"$"#,##0.00', '#,##0,"k"',
                                                   "0.0%;[Red]-0.0%", '0 "kg"'], strict=True):
        cell.number_format = number_format
    sheet.append(["South", 0.5, 3, 1e-5, 7, 2.25])
    sheet["D3"].number_format = "0.00E+00"  # outside the formats read: the stored value
    buf = io.BytesIO()
    book.save(buf)
    rows = load_bytes(Path("prices.xlsx"), buf.getvalue()).pages[0].text.split("\n\n")
    assert rows[1] == ("Region: North; Discount: 15%; Price: $1,200.50; Budget: 2,500k; "
                       "Margin: -3.4%; Weight: 12 kg")
    assert rows[2] == ("Region: South; Discount: 0.5; Price: 3; Budget: 1e-05; Margin: 7; "
                       "Weight: 2.25")


def test_csv_rows_carry_their_header_with_the_delimiter_found() -> None:
    doc = load_bytes(Path("stock.csv"), b"part;count\nbolt;40\nwasher;\n")
    assert doc.pages[0].text.split("\n\n") == ["part | count", "part: bolt; count: 40",
                                              "part: washer"]
    assert doc.media_type == "text/csv" and doc.pages[0].locator is None


def test_epub_chapter_is_a_page_titled_from_the_table_of_contents() -> None:
    doc = load_bytes(Path("tale.epub"), make_epub(
        [("The harbour", "Boats rest in the harbour at night."),
         ("The storm", "Waves broke over the pier.")], title="Sea stories"))
    assert doc.title == "Sea stories"
    assert [(p.number, p.locator) for p in doc.pages] == [(1, "chapter 1: The harbour"),
                                                         (2, "chapter 2: The storm")]
    assert "Waves broke over the pier." in doc.pages[1].text


def test_an_epub_without_a_table_of_contents_is_read_by_its_headings() -> None:
    doc = load_bytes(Path("plain.epub"), make_epub(
        [("Pangolins", "Pangolins eat ants."), ("Aardvarks", "Aardvarks dig.")],
        contents=False))
    assert [(p.number, p.locator) for p in doc.pages] == [(1, "chapter 1: Pangolins"),
                                                         (2, "chapter 2: Aardvarks")]
    with pytest.raises(DocumentError, match="no extractable text") as refused:
        load_bytes(Path("unbound.epub"), make_epub([("One", "Words.")], contents=False,
                                                   spine=False))
    assert "TypeError" not in str(refused.value)


def without(package: bytes, name: str) -> bytes:
    """A copy of a zip package with the file `name` left out."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            if info.filename != name:
                copy.writestr(info, source.read(info.filename))
    return out.getvalue()


def test_an_epub_missing_a_chapter_file_keeps_the_others_and_says_which() -> None:
    book = make_epub([("Tides", "The tide turns twice a day."),
                      ("Gulls", "Gulls follow the fishing boats."),
                      ("Nets", "Nets are mended on the quay.")])
    doc = load_bytes(Path("coast.epub"), without(book, "EPUB/chap_2.xhtml"))
    assert [p.locator for p in doc.pages] == ["chapter 1: Tides", "chapter 2: Nets"]
    assert doc.warnings == ("EPUB/chap_2.xhtml is missing from the book: its text is left out",)
    with pytest.raises(DocumentError) as refused:  # without its package file, no book at all
        load_bytes(Path("bare.epub"), without(book, "EPUB/content.opf"))
    assert refused.value.reason == "corrupt"


def cut_short(package: bytes, name: str) -> bytes:
    """A copy of a zip package whose file `name` holds only its first half."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            body = source.read(info.filename)
            copy.writestr(info, damaged(body) if info.filename == name else body)
    return out.getvalue()


@pytest.mark.parametrize(("broken", "why"), [
    (cut_short, "its part ppt/charts/chart1.xml cannot be read (XMLSyntaxError: "),
    (without, "its part is missing from the file")])
def test_a_chart_whose_part_is_damaged_or_missing_is_left_out_and_named(broken, why) -> None:
    deck = broken(chart_deck("0", (1, 2, 3)), "ppt/charts/chart1.xml")
    doc = load_bytes(Path("rota.pptx"), deck)
    assert [(page.locator, page.text) for page in doc.pages] == [("slide 1: Rota", "Rota")]
    (warning,) = doc.warnings
    assert warning.startswith(f"slide 1: a chart is left out: {why}")


@pytest.mark.parametrize("charts", [11, 13])
def test_past_ten_charts_left_out_the_rest_are_counted_in_one_warning(charts: int) -> None:
    """A warning each would bury the file's report under hundreds of them; eleven are named
    all, a count of one being no shorter."""
    deck = chart_deck("0", (1, 2, 3), slides=charts)
    for number in range(1, charts + 1):
        deck = cut_short(deck, f"ppt/charts/chart{number}.xml")
    doc = load_bytes(Path("rota.pptx"), deck)
    assert len(doc.pages) == charts
    named = 10 if charts > 11 else charts
    assert [warning.split(":")[0] for warning in doc.warnings[:named]] == [
        f"slide {number}" for number in range(1, named + 1)]
    assert doc.warnings[named:] == (() if charts == 11 else (
        "3 more charts or SmartArt diagrams on slides 11 to 13 are left out: their parts are "
        "missing from the file or cannot be read",))


def test_a_smartart_diagram_whose_data_part_is_damaged_is_left_out_and_named() -> None:
    deck = cut_short(pptx_with_smartart("Onboarding", [["Sign the contract"]],
                                        below="Ask HR."), "ppt/diagrams/data1.xml")
    doc = load_bytes(Path("onboarding.pptx"), deck)
    assert [page.text for page in doc.pages] == ["Onboarding\n\nAsk HR."]
    (warning,) = doc.warnings
    assert warning.startswith("slide 1: a SmartArt diagram is left out: its data part "
                              "ppt/diagrams/data1.xml cannot be read (XMLSyntaxError: ")


@pytest.mark.parametrize("lost", ["xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"])
def test_a_sheet_whose_part_is_missing_is_named_and_the_others_keep_their_numbers(
        lost: str) -> None:
    book = without(make_xlsx({"North": [["Region", "Sales"], ["North", 1200]],
                              "South": [["Region", "Sales"], ["South", 800]],
                              "West": [["Region", "Sales"], ["West", 950]]}), lost)
    doc = load_bytes(Path("regions.xlsx"), book)
    name = {"xl/worksheets/sheet2.xml": "South", "xl/worksheets/sheet3.xml": "West"}[lost]
    assert [(page.number, page.locator) for page in doc.pages] == [
        (number, f"sheet {sheet}") for number, sheet in enumerate(["North", "South", "West"], 1)
        if sheet != name]
    assert doc.warnings == (f"sheet {name} ({lost}) is missing from the workbook: its text is "
                            f"left out",)


@pytest.mark.parametrize("missing", [11, 14])
def test_past_ten_sheets_missing_the_rest_are_counted_in_one_warning(missing: int) -> None:
    book = make_xlsx({f"Week {number}": [["Region", "Sales"], ["North", number]]
                      for number in range(1, missing + 2)})
    for number in range(2, missing + 2):
        book = without(book, f"xl/worksheets/sheet{number}.xml")
    doc = load_bytes(Path("weeks.xlsx"), book)
    assert [page.locator for page in doc.pages] == ["sheet Week 1"]
    named = 10 if missing > 11 else missing
    assert doc.warnings[:named] == tuple(
        f"sheet Week {number} (xl/worksheets/sheet{number}.xml) is missing from the workbook: "
        f"its text is left out" for number in range(2, named + 2))
    assert doc.warnings[named:] == (() if missing == 11 else (
        "4 more sheets, tabs 12 to 15, are missing from the workbook: their text is left out",))


def rewritten(package: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """A copy of a zip package whose file `name` is `change`d."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            body = source.read(info.filename)
            copy.writestr(info, change(body) if info.filename == name else body)
    return out.getvalue()


def not_xml(_: bytes) -> bytes:
    return b"not XML at all"


def three_slides(notes: str | None = None) -> bytes:
    return make_pptx([{"title": "Budget", "body": ["Travel costs fell."], "notes": notes},
                      {"title": "Hiring", "body": ["Two engineers join."]},
                      {"title": "Offices", "body": ["Leeds opens in May."]}])


@pytest.mark.parametrize("change", [damaged, not_xml])
def test_a_slide_whose_part_is_damaged_is_named_and_the_others_are_read(change) -> None:
    deck = rewritten(three_slides(), "ppt/slides/slide2.xml", change)
    doc = load_bytes(Path("plan.pptx"), deck)
    assert [(page.number, page.locator) for page in doc.pages] == [
        (1, "slide 1: Budget"), (3, "slide 3: Offices")]
    (warning,) = doc.warnings
    assert warning.startswith("slide 2 could not be read: its part ppt/slides/slide2.xml is "
                              "damaged (XMLSyntaxError: ")


def test_a_slide_whose_notes_part_is_damaged_is_read_without_them() -> None:
    deck = rewritten(three_slides(notes="Mention the travel policy."),
                     "ppt/notesSlides/notesSlide1.xml", damaged)
    doc = load_bytes(Path("plan.pptx"), deck)
    assert [page.text for page in doc.pages] == [
        "Budget\n\n• Travel costs fell.", "Hiring\n\n• Two engineers join.",
        "Offices\n\n• Leeds opens in May."]
    (warning,) = doc.warnings
    assert warning.startswith("slide 1's notes could not be read: its part "
                              "ppt/notesSlides/notesSlide1.xml is damaged (XMLSyntaxError: ")
    assert warning.endswith("; the slide is read without them")


def unlisted(relationships: bytes) -> bytes:
    """The deck's relationships without the one to its second slide."""
    return re.sub(rb'<Relationship [^>]*Target="slides/slide2.xml"/>', b"", relationships)


@pytest.mark.parametrize(("broken", "part"), [
    (lambda deck: without(deck, "ppt/slides/slide2.xml"), "its part ppt/slides/slide2.xml"),
    # the slide list's id leads nowhere: no relationship names the part
    (lambda deck: rewritten(deck, "ppt/_rels/presentation.xml.rels", unlisted), "its part")],
    ids=["part-gone", "relationship-gone"])
def test_a_slide_whose_part_is_missing_is_named_and_the_others_are_read(broken, part) -> None:
    doc = load_bytes(Path("plan.pptx"), broken(three_slides()))
    assert [(page.number, page.locator) for page in doc.pages] == [
        (1, "slide 1: Budget"), (3, "slide 3: Offices")]
    assert doc.warnings == (f"slide 2 could not be read: {part} is missing from the file",)


def test_a_slide_whose_notes_part_is_missing_is_read_without_them() -> None:
    deck = without(three_slides(notes="Mention the travel policy."),
                   "ppt/notesSlides/notesSlide1.xml")
    doc = load_bytes(Path("plan.pptx"), deck)
    assert [page.text for page in doc.pages] == [
        "Budget\n\n• Travel costs fell.", "Hiring\n\n• Two engineers join.",
        "Offices\n\n• Leeds opens in May."]
    assert doc.warnings == ("slide 1's notes could not be read: its part "
                            "ppt/notesSlides/notesSlide1.xml is missing from the file; the slide "
                            "is read without them",)


@pytest.mark.parametrize(("part", "what"), [
    ("ppt/slideLayouts/slideLayout2.xml", "layout"),
    ("ppt/slideMasters/slideMaster1.xml", "layout's master")])
def test_slides_whose_layout_or_master_is_missing_are_read_without_it(part, what) -> None:
    doc = load_bytes(Path("plan.pptx"), without(three_slides(notes="Mention the travel policy."),
                                                part))
    # the text is the slides' own: only the bullet the master gives their body is lost
    assert [page.text for page in doc.pages] == [
        "Budget\n\nTravel costs fell.\n\nNotes:\n\nMention the travel policy.",
        "Hiring\n\nTwo engineers join.", "Offices\n\nLeeds opens in May."]
    assert doc.warnings == (f"3 slides, 1 to 3, are read without their {what}: its part {part} "
                            "is missing from the file; the bullets and placements it gives are "
                            "left out",)


def without_shapes_tree(design: bytes) -> bytes:
    """A layout's or master's part, sound XML, without the shapes tree every one holds."""
    return re.sub(rb"<p:cSld.*</p:cSld>", b"", design, flags=re.DOTALL)


def another_kind(_: bytes) -> bytes:
    """Sound XML of no layout's or master's kind."""
    return b"<html><body>Not a layout</body></html>"


@pytest.mark.parametrize("change", [damaged, not_xml, without_shapes_tree, another_kind])
@pytest.mark.parametrize(("part", "what"), [
    ("ppt/slideLayouts/slideLayout2.xml", "layout"),
    ("ppt/slideMasters/slideMaster1.xml", "layout's master")])
def test_slides_whose_layout_or_master_is_damaged_are_read_without_it(part, what,
                                                                      change) -> None:
    deck = rewritten(three_slides(notes="Mention the travel policy."), part, change)
    doc = load_bytes(Path("plan.pptx"), deck)
    assert [page.text for page in doc.pages] == [
        "Budget\n\nTravel costs fell.\n\nNotes:\n\nMention the travel policy.",
        "Hiring\n\nTwo engineers join.", "Offices\n\nLeeds opens in May."]
    (warning,) = doc.warnings
    error = {without_shapes_tree: "InvalidXmlError", another_kind: "AttributeError"}.get(
        change, "XMLSyntaxError")
    assert warning.startswith(f"3 slides, 1 to 3, are read without their {what}: its part "
                              f"{part} is damaged ({error}: ")
    assert warning.endswith("); the bullets and placements it gives are left out")


# the deck's theme and settings, a layout no slide uses, the notes' master: no text is read
# from these, and python-pptx parses some of them as the file opens
@pytest.mark.parametrize("part", [
    "ppt/theme/theme1.xml", "ppt/presProps.xml", "ppt/viewProps.xml", "ppt/tableStyles.xml",
    "ppt/slideLayouts/slideLayout1.xml", "ppt/notesMasters/notesMaster1.xml"])
def test_a_damaged_part_no_text_comes_from_leaves_the_deck_whole(part) -> None:
    deck = rewritten(three_slides(notes="Mention the travel policy."), part, damaged)
    doc = load_bytes(Path("plan.pptx"), deck)
    assert [page.text for page in doc.pages] == [
        "Budget\n\n• Travel costs fell.\n\nNotes:\n\nMention the travel policy.",
        "Hiring\n\n• Two engineers join.", "Offices\n\n• Leeds opens in May."]
    assert doc.warnings == ()


def without_layout_relationship(relationships: bytes) -> bytes:
    return re.sub(rb'<Relationship [^>]*/slideLayout" [^>]*/>', b"", relationships)


def test_a_slide_no_relationship_gives_a_layout_is_read_without_one() -> None:
    deck = rewritten(three_slides(), "ppt/slides/_rels/slide2.xml.rels",
                     without_layout_relationship)
    doc = load_bytes(Path("plan.pptx"), deck)
    assert [page.text for page in doc.pages] == [
        "Budget\n\n• Travel costs fell.", "Hiring\n\nTwo engineers join.",
        "Offices\n\n• Leeds opens in May."]
    assert doc.warnings == ("slide 2 is read without its layout: its part is missing from the "
                            "file; the bullets and placements it gives are left out",)


def test_a_slide_missing_the_elements_every_slide_has_is_named_as_damaged() -> None:
    empty = b'<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>'
    deck = rewritten(three_slides(), "ppt/slides/slide3.xml", lambda _: empty)
    doc = load_bytes(Path("plan.pptx"), deck)
    assert [page.number for page in doc.pages] == [1, 2]
    (warning,) = doc.warnings
    assert warning.startswith("slide 3 could not be read: its part ppt/slides/slide3.xml is "
                              "damaged (InvalidXmlError: ")


def test_a_slide_nested_past_the_parsers_limit_is_named_so_not_damaged() -> None:
    deep = (b'<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
            + b"<p:x>" * 300 + b"</p:x>" * 300 + b"</p:sld>")
    deck = rewritten(three_slides(), "ppt/slides/slide2.xml", lambda _: deep)
    doc = load_bytes(Path("plan.pptx"), deck)
    assert [page.number for page in doc.pages] == [1, 3]
    assert doc.warnings == ("slide 2 could not be read: its part ppt/slides/slide2.xml is nested "
                            "too deeply to read (elements within elements past the XML "
                            "parser's limit)",)


@pytest.mark.parametrize(("missing", "faults"), [
    ((), "damaged"), ((12, 13, 14), "missing from the file"),
    ((13,), "damaged or missing from the file")])
def test_past_ten_damaged_slides_the_rest_are_counted_in_one_warning(
        missing: tuple[int, ...], faults: str) -> None:
    deck = make_pptx([{"title": f"Week {number}"} for number in range(1, 15)])
    for number in range(2, 15):
        name = f"ppt/slides/slide{number}.xml"
        deck = without(deck, name) if number in missing else rewritten(deck, name, not_xml)
    doc = load_bytes(Path("weeks.pptx"), deck)
    assert [page.locator for page in doc.pages] == ["slide 1: Week 1"]
    assert [warning.split(":")[0] for warning in doc.warnings[:10]] == [
        f"slide {number} could not be read" for number in range(2, 12)]
    assert doc.warnings[10:] == (
        f"3 more slides, 12 to 14, could not be read: their parts are {faults}",)


@pytest.mark.parametrize(("broken", "why"), [
    (lambda deck, name: rewritten(deck, name, damaged), "damaged (XMLSyntaxError: "),
    (without, "missing from the file)")])
def test_a_deck_none_of_whose_slides_can_be_read_fails_saying_so(broken, why) -> None:
    deck = three_slides()
    for number in (1, 2, 3):
        deck = broken(deck, f"ppt/slides/slide{number}.xml")
    with pytest.raises(DocumentError) as refused:
        load_bytes(Path("plan.pptx"), deck)
    assert refused.value.reason == "corrupt"
    assert str(refused.value).startswith(
        "plan.pptx: cannot read the PowerPoint file: none of its slides could be read (slide 1 "
        f"could not be read: its part ppt/slides/slide1.xml is {why}")


def three_sheets() -> bytes:
    return make_xlsx({"North": [["Region", "Sales"], ["North", 1200]],
                      "South": [["Region", "Sales"], ["South", 800]],
                      "West": [["Region", "Sales"], ["West", 950]]})


@pytest.mark.parametrize("change", [damaged, not_xml])
def test_a_worksheet_whose_part_is_damaged_is_named_and_the_others_are_read(change) -> None:
    """Cut short, the sheet fails as its rows are read; not XML, as openpyxl opens it."""
    book = rewritten(three_sheets(), "xl/worksheets/sheet2.xml", change)
    doc = load_bytes(Path("regions.xlsx"), book)
    assert [(page.number, page.locator) for page in doc.pages] == [
        (1, "sheet North"), (3, "sheet West")]
    (warning,) = doc.warnings
    assert warning.startswith("worksheet 'South' could not be read: its part "
                              "xl/worksheets/sheet2.xml is damaged (ParseError: ")


def workbook_with_chart_sheet() -> bytes:
    import openpyxl
    from openpyxl.chart import BarChart, Reference

    book = openpyxl.Workbook()
    data = book.active
    data.title = "Sales"
    for row in [["Month", "Sales"], ["January", 1200], ["February", 800]]:
        data.append(row)
    chart = BarChart()
    chart.add_data(Reference(data, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    book.create_chartsheet("Chart").add_chart(chart)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("part", ["xl/chartsheets/sheet1.xml", "xl/drawings/drawing1.xml",
                                  "xl/charts/chart1.xml"])
@pytest.mark.parametrize("change", [damaged, not_xml])
def test_a_damaged_chart_sheet_leaves_the_worksheets_read(part: str, change) -> None:
    """A chart sheet holds no text the loader reads, so its damage loses nothing."""
    doc = load_bytes(Path("sales.xlsx"), rewritten(workbook_with_chart_sheet(), part, change))
    assert [(page.locator, "January; Sales: 1200" in page.text)
            for page in doc.pages] == [("sheet Sales", True)]


def test_a_damaged_worksheets_formulas_are_not_counted_as_left_out() -> None:
    book = make_xlsx({"North": [["Region", "Sales"], ["North", 1200]],
                      "South": [["Region", "Sales"], ["South", "=1+1"]]})
    # its closing tags cut off: every row is read before the parser fails
    book = rewritten(book, "xl/worksheets/sheet2.xml", lambda body: body[:-20])
    doc = load_bytes(Path("regions.xlsx"), book)
    assert [page.locator for page in doc.pages] == ["sheet North"]
    (warning,) = doc.warnings
    assert warning.startswith("worksheet 'South' could not be read")


def test_past_ten_damaged_worksheets_the_rest_are_counted_in_one_warning() -> None:
    book = make_xlsx({f"Week {number}": [["Region", "Sales"], ["North", number]]
                      for number in range(1, 15)})
    for number in range(2, 15):
        book = rewritten(book, f"xl/worksheets/sheet{number}.xml", not_xml)
    doc = load_bytes(Path("weeks.xlsx"), book)
    assert [page.locator for page in doc.pages] == ["sheet Week 1"]
    assert [warning.split(":")[0] for warning in doc.warnings[:10]] == [
        f"worksheet 'Week {number}' could not be read" for number in range(2, 12)]
    assert doc.warnings[10:] == (
        "3 more worksheets, tabs 12 to 14, could not be read: their parts are damaged",)


def test_a_workbook_none_of_whose_worksheets_can_be_read_fails_saying_so() -> None:
    book = three_sheets()
    for number in (1, 2, 3):
        book = rewritten(book, f"xl/worksheets/sheet{number}.xml", damaged)
    with pytest.raises(DocumentError) as refused:
        load_bytes(Path("regions.xlsx"), book)
    assert refused.value.reason == "corrupt"
    assert str(refused.value).startswith(
        "regions.xlsx: cannot read the Excel workbook: none of its worksheets could be read "
        "(worksheet 'North' could not be read: its part xl/worksheets/sheet1.xml is damaged ")


def test_a_hidden_sheet_whose_part_is_missing_costs_no_warning() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Region", "Sales"])
    book.active.append(["North", 1200])
    book.create_sheet("Workings").sheet_state = "hidden"  # its text would be left out anyway
    buf = io.BytesIO()
    book.save(buf)
    doc = load_bytes(Path("hidden.xlsx"), without(buf.getvalue(), "xl/worksheets/sheet2.xml"))
    assert [page.locator for page in doc.pages] == ["sheet Sheet"] and doc.warnings == ()


def test_an_epub_whose_contents_page_is_empty_is_named_damaged() -> None:
    book, emptied = io.BytesIO(), "EPUB/nav.xhtml"
    with zipfile.ZipFile(io.BytesIO(make_epub([("Tides", "The tide turns.")]))) as source, \
            zipfile.ZipFile(book, "w") as copy:
        for info in source.infolist():
            copy.writestr(info, b"" if info.filename == emptied else source.read(info.filename))
    with pytest.raises(DocumentError) as refused:
        load_bytes(Path("blank-contents.epub"), book.getvalue())
    assert refused.value.reason == "corrupt" and "Document is empty" in str(refused.value)


PROPERTIES = "docProps/core.xml"
# an Office file of each kind titled by its properties, and the title it is read under
# without them: a deck's first slide's, else the file's name
TITLED = {
    ".docx": (docx_report, "report"),
    ".pptx": (lambda: make_pptx([{"title": "Quarterly budget", "body": ["Costs fell."]}],
                                title="Budget review"), "Quarterly budget"),
    ".xlsx": (lambda: make_xlsx({"Costs": [["Region", "Q1"], ["North", 1200]]},
                                title="Regional costs"), "report"),
}


@pytest.mark.parametrize(("broken", "fault"), [
    (lambda package: rewritten(package, PROPERTIES, not_xml),
     "damaged (XMLSyntaxError: Start tag expected, '<' not found"),
    (lambda package: cut_short(package, PROPERTIES), "damaged (XMLSyntaxError: "),
    (lambda package: rewritten(package, PROPERTIES, another_kind),
     "damaged (of another kind: its root element is html)"),
    (lambda package: without(package, PROPERTIES), "missing from the file")],
    ids=["not-xml", "cut-short", "another-kind", "missing"])
@pytest.mark.parametrize("suffix", sorted(TITLED))
def test_a_damaged_or_missing_properties_part_costs_the_title_not_the_file(
        suffix: str, broken, fault: str) -> None:
    made, untitled = TITLED[suffix]
    sound = load_bytes(Path(f"report{suffix}"), made())
    doc = load_bytes(Path(f"report{suffix}"), broken(made()))
    assert doc.title == untitled != sound.title
    assert [page.text for page in doc.pages] == [page.text for page in sound.pages]
    (warning,) = doc.warnings
    assert warning.startswith(f"its properties part {PROPERTIES} is {fault}")
    assert warning.endswith(": its title and author are left out")


def with_custom_properties(package: bytes) -> bytes:
    """A copy of an Office package holding custom properties (File > Properties > Custom),
    named by its relationships and its content types as Office names them."""
    custom = ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
              'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
              '2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" '
              'pid="2" name="Client"><vt:lpwstr>Acme</vt:lpwstr></property></Properties>')
    relationship = ('<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/custom-properties" '
                    'Target="docProps/custom.xml"/></Relationships>')
    override = ('<Override PartName="/docProps/custom.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>')
    package = rewritten(package, "_rels/.rels",
                        lambda xml: xml.replace(b"</Relationships>", relationship.encode()))
    package = rewritten(package, "[Content_Types].xml",
                        lambda xml: xml.replace(b"</Types>", override.encode()))
    out = io.BytesIO(package)
    with zipfile.ZipFile(out, "a") as copy:
        copy.writestr("docProps/custom.xml", custom)
    return out.getvalue()


# the application's properties and custom ones: no text or title is read from them, and a
# library fails a file on one missing (python-docx) or damaged (openpyxl's custom ones)
@pytest.mark.parametrize("broken", [not_xml, damaged, None], ids=["not-xml", "cut-short",
                                                                  "missing"])
@pytest.mark.parametrize("part", ["docProps/app.xml", "docProps/custom.xml"])
@pytest.mark.parametrize("suffix", sorted(TITLED))
def test_a_damaged_or_missing_properties_part_no_title_comes_from_costs_nothing(
        suffix: str, part: str, broken) -> None:
    package = with_custom_properties(TITLED[suffix][0]())
    sound = load_bytes(Path(f"report{suffix}"), package)
    doc = load_bytes(Path(f"report{suffix}"),
                     without(package, part) if broken is None else rewritten(package, part,
                                                                             broken))
    assert (doc.title, doc.pages, doc.warnings) == (sound.title, sound.pages, ())


def with_bad_date(core: bytes) -> bytes:
    """Core properties whose creation date is no date: sound XML, a value not of its type."""
    return re.sub(rb"(<dcterms:created[^>]*>)[^<]*", rb"\1garbage", core)


@pytest.mark.parametrize("suffix", sorted(TITLED))
def test_a_properties_value_not_of_its_type_costs_the_title_not_the_file(suffix: str) -> None:
    """openpyxl reads the core properties' values by their types as it opens a workbook."""
    made, untitled = TITLED[suffix]
    package = made()
    assert b"<dcterms:created" in zipfile.ZipFile(io.BytesIO(package)).read(PROPERTIES)
    sound = load_bytes(Path(f"report{suffix}"), package)
    doc = load_bytes(Path(f"report{suffix}"), rewritten(package, PROPERTIES, with_bad_date))
    assert [page.text for page in doc.pages] == [page.text for page in sound.pages]
    if suffix == ".xlsx":
        assert doc.title == untitled != sound.title
        assert doc.warnings == (f"its properties part {PROPERTIES} is damaged (ValueError: Value "
                                "must be ISO datetime format): its title and author are left "
                                "out",)
    else:  # python-docx and python-pptx read a date only when asked for it
        assert (doc.title, doc.warnings) == (sound.title, ())


def test_a_custom_property_not_of_its_type_costs_nothing() -> None:
    package = with_custom_properties(TITLED[".xlsx"][0]())
    sound = load_bytes(Path("report.xlsx"), package)
    doc = load_bytes(Path("report.xlsx"), rewritten(
        package, "docProps/custom.xml",
        lambda xml: xml.replace(b"<vt:lpwstr>Acme</vt:lpwstr>", b"<vt:i4>Acme</vt:i4>")))
    assert (doc.title, doc.pages, doc.warnings) == (sound.title, sound.pages, ())


MAKERS = {".docx": docx_report, ".pptx": pptx_deck, ".xlsx": xlsx_book,
          ".epub": lambda: make_epub([("One", "Text.")])}


@pytest.mark.parametrize("suffix", sorted(MAKERS))
def test_a_damaged_copy_of_each_type_is_corrupt(suffix: str) -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path(f"broken{suffix}"), damaged(MAKERS[suffix]()))
    assert info.value.reason == "corrupt" and f"broken{suffix}" in str(info.value)


@pytest.mark.parametrize("suffix", sorted(MAKERS))
def test_a_package_missing_its_parts_is_corrupt_not_a_crash(suffix: str) -> None:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as package:
        package.writestr("readme.txt", "not an office document")
    with pytest.raises(DocumentError) as info:
        load_bytes(Path(f"hollow{suffix}"), buf.getvalue())
    assert info.value.reason == "corrupt"


@pytest.mark.parametrize("suffix", [".docx", ".pptx", ".xlsx"])
def test_a_password_protected_office_file_says_so(suffix: str) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = io.BytesIO(MAKERS[suffix]())
    locked = io.BytesIO()
    OOXMLFile(plain).encrypt("secret", locked)
    with pytest.raises(DocumentError) as info:
        load_bytes(Path(f"locked{suffix}"), locked.getvalue())
    assert info.value.reason == "encrypted" and "password" in str(info.value)


def test_a_zip_bomb_named_docx_is_refused_before_it_is_inflated() -> None:
    bomb = zip_bomb("word/document.xml", unpacked_mib=300)
    assert len(bomb) < 2 << 20
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("invoice.docx"), bomb)
    assert info.value.reason == "too-large"
    assert "unpacks to 300 MiB" in str(info.value) and "zip bomb" in str(info.value)


def test_one_oversized_part_is_refused_even_when_the_total_fits() -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("huge.pptx"), zip_bomb("ppt/slides/slide1.xml", unpacked_mib=80))
    assert info.value.reason == "too-large" and "ppt/slides/slide1.xml" in str(info.value)


def test_an_old_binary_office_file_renamed_is_mislabelled() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("old.docx"), ole)
    assert info.value.reason == "mislabelled" and "save it as .docx" in str(info.value)



@pytest.mark.parametrize(("made", "named", "found"), [
    (docx_report, "report.pptx", "a Word document named .pptx; rename it to .docx"),
    (pptx_deck, "deck.xlsx", "a PowerPoint presentation named .xlsx; rename it to .pptx"),
    (xlsx_book, "book.docx", "an Excel workbook named .docx; rename it to .xlsx"),
    (lambda: make_epub([("One", "<p>Words.</p>")]), "book.docx",
     "an EPUB book named .docx; rename it to .epub")])
def test_a_package_under_another_packages_suffix_is_named_for_what_it_is(
        made, named: str, found: str) -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path(named), made())
    assert info.value.reason == "mislabelled" and str(info.value) == f"{named}: {found}"

def test_rows_are_counted_as_they_are_read_and_reading_stops_past_the_bound(
        monkeypatch) -> None:
    monkeypatch.setattr(sheets, "MAX_ROWS", 3)
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("long.csv"), b"a,b\n1,2\n3,4\n5,6\n")
    assert info.value.reason == "too-large" and "more than 3 rows" in str(info.value)
    assert load_bytes(Path("short.csv"), b"a,b\n1,2\n3,4\n").pages[0].text




def test_a_csv_cell_longer_than_pythons_default_limit_is_read() -> None:
    long_cell = "word " * 40_000  # 200,000 characters
    data = f'name,notes\nAda,"{long_cell}"\n'.encode()
    text = load_bytes(Path("notes.csv"), data).pages[0].text
    assert text.startswith("name | notes\n\nname: Ada; notes: word word")

def test_a_csv_cell_past_the_documents_bound_is_too_large_not_damaged(monkeypatch) -> None:
    monkeypatch.setattr(sheets, "MAX_DOCUMENT_CHARS", 200_000)
    previous = sheets.csv.field_size_limit(131_072)  # Python's default, as a fresh process has
    try:
        data = ("name,notes\nAda," + "w" * 300_000 + "\n").encode()
        with pytest.raises(DocumentError) as refused:
            load_bytes(Path("notes.csv"), data)
    finally:
        sheets.csv.field_size_limit(previous)
    assert refused.value.reason == "too-large"
    assert "more than 200,000 characters of text" in str(refused.value)


def test_empty_rows_do_not_count_towards_the_bound(monkeypatch) -> None:
    import openpyxl
    from openpyxl.styles import Font

    monkeypatch.setattr(sheets, "MAX_ROWS", 3)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Item", "Qty"])
    sheet.append(["Bolt", 3])
    for row in range(3, 40):  # styled down the sheet, as banding or borders leave it
        sheet.cell(row=row, column=1).font = Font(bold=True)
    sheet.cell(row=60, column=1, value="Washer")
    buf = io.BytesIO()
    book.save(buf)
    # a lone value after the blank rows reads as a note under the table, not one of its rows
    assert load_bytes(Path("styled.xlsx"), buf.getvalue()).pages[0].text.split("\n\n") == [
        "Item | Qty", "Item: Bolt; Qty: 3", "Washer"]
    assert load_bytes(Path("gaps.csv"), b"a,b\n\n1,2\n,\n\n3,4\n").pages[0].text

@pytest.mark.slow
def test_a_100000_row_sheet_is_refused_with_its_reason() -> None:
    rows = ([f"item {n}", n, n * 0.5] for n in range(100_000))
    data = make_xlsx({"Big": [["Item", "Count", "Half"], *rows]})
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("big.xlsx"), data)
    assert info.value.reason == "too-large"
    assert f"more than {sheets.MAX_ROWS:,} rows" in str(info.value)


def with_part(package: bytes, name: str, body: bytes) -> bytes:
    """A copy of a zip package whose file `name` holds `body`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            copy.writestr(info, body if info.filename == name else source.read(info.filename))
    return out.getvalue()


NAMING_A_LOST_PACKAGE_FILE = (
    b'<?xml version="1.0"?><container version="1.0" '
    b'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
    b'<rootfile full-path="EPUB/missing.opf" media-type="application/oebps-package+xml"/>'
    b"</rootfiles></container>")
NAMING_NO_PACKAGE_FILE = (b'<container version="1.0" '
                          b'xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
                          b"<rootfiles/></container>")


@pytest.mark.parametrize(("broken", "why"), [
    (lambda book: with_part(book, "META-INF/container.xml", NAMING_A_LOST_PACKAGE_FILE),
     "its package file EPUB/missing.opf, named by META-INF/container.xml, is missing from "
     "the file"),
    (lambda book: without(book, "EPUB/content.opf"),
     "its package file EPUB/content.opf, named by META-INF/container.xml, is missing from "
     "the file"),
    (lambda book: with_part(book, "META-INF/container.xml", b"<container><rootfiles><rootfile"),
     "its container META-INF/container.xml is damaged (XMLSyntaxError: "),
    (lambda book: cut_short(book, "EPUB/content.opf"),
     "its package file EPUB/content.opf is damaged (XMLSyntaxError: "),
    (lambda book: without(book, "META-INF/container.xml"),
     "its container META-INF/container.xml is missing from the file"),
    (lambda book: with_part(book, "META-INF/container.xml", NAMING_NO_PACKAGE_FILE),
     "its container META-INF/container.xml names no package file"),
], ids=["names-a-lost-package-file", "package-file-lost", "container-not-xml",
        "package-file-cut-short", "container-lost", "names-no-package-file"])
def test_an_epub_whose_container_or_package_file_is_lost_or_damaged_names_it(broken,
                                                                              why) -> None:
    book = make_epub([("Tides", "The tide turns twice a day.")])
    with pytest.raises(DocumentError) as refused:
        load_bytes(Path("coast.epub"), broken(book))
    assert refused.value.reason == "corrupt"
    assert f"coast.epub: cannot read the EPUB book: {why}" in str(refused.value)


def test_an_epub_whose_package_file_ebooklib_reads_past_a_fault_in_is_read() -> None:
    book = make_epub([("Tides", "The tide turns twice a day.")], title="Fish and Chips")
    with zipfile.ZipFile(io.BytesIO(book)) as package:
        listing = package.read("EPUB/content.opf")
    # a bare "&" is not XML, but ebooklib's lenient parser reads the rest of the book
    sloppy = with_part(book, "EPUB/content.opf", listing.replace(b" and ", b" & "))
    doc = load_bytes(Path("sloppy.epub"), sloppy)
    assert [page.locator for page in doc.pages] == ["chapter 1: Tides"]
