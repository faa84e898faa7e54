"""Which paragraphs of a Word document start a section: those Word outlines as headings (an
outline level 0 to 8, the paragraph's own, its style's or one inherited through the styles it
is based on) and the Title, whatever a style is named."""

from __future__ import annotations

import io
from pathlib import Path

from ingest.loaders import load_bytes

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def sections(document) -> list[tuple[str | None, str]]:
    """Each section of `document`, loaded as the app loads an upload: (locator, text)."""
    buffer = io.BytesIO()
    document.save(buffer)
    pages = load_bytes(Path("doc.docx"), buffer.getvalue()).pages
    return [(page.locator, page.text) for page in pages]


def new_document():
    import docx

    return docx.Document()


def paragraph_style(document, name: str, based_on: str):
    from docx.enum.style import WD_STYLE_TYPE

    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles[based_on]
    return style


def set_outline_level(element, level: int) -> None:
    """Write `level` into a paragraph's or a style's own properties (python-docx has no API)."""
    from docx.oxml import OxmlElement

    properties = element.get_or_add_pPr()
    setting = OxmlElement("w:outlineLvl")
    setting.set(W + "val", str(level))
    properties.append(setting)


def drop_outline_levels(document) -> None:
    """Leave the styles part without outline levels, as some programs write it."""
    for setting in list(document.styles.element.iter(W + "outlineLvl")):
        setting.getparent().remove(setting)


def test_custom_style_based_on_heading_1_starts_a_section() -> None:
    document = new_document()
    document.add_paragraph("Document Big Title", style="Title")
    document.add_paragraph("Intro under the title.")
    paragraph_style(document, "MyHeading", "Heading 1")
    document.add_paragraph("Custom Styled Section", style="MyHeading")
    document.add_paragraph("Text under the custom heading.")

    assert sections(document) == [
        ("Document Big Title", "Document Big Title\n\nIntro under the title."),
        ("Custom Styled Section", "Custom Styled Section\n\nText under the custom heading."),
    ]


def test_style_named_heading_but_based_on_normal_does_not_start_a_section() -> None:
    document = new_document()
    document.add_heading("Real Section", 1)
    document.add_paragraph("First sentence of the real section.")
    paragraph_style(document, "Heading Note", "Normal")
    document.add_paragraph("Note: keep the lid closed.", style="Heading Note")
    document.add_paragraph("Continuation of the real section.")

    assert sections(document) == [
        ("Real Section", "Real Section\n\nFirst sentence of the real section.\n\n"
                         "Note: keep the lid closed.\n\nContinuation of the real section."),
    ]


def test_built_in_headings_and_title_start_sections() -> None:
    document = new_document()
    document.add_paragraph("Pump Manual", style="Title")
    document.add_paragraph("About this manual.")
    document.add_heading("Installation", 1)
    document.add_paragraph("Mount the pump.")
    document.add_heading("Wiring", 2)
    document.add_paragraph("Connect the mains.")

    assert sections(document) == [
        ("Pump Manual", "Pump Manual\n\nAbout this manual."),
        ("Installation", "Installation\n\nMount the pump."),
        ("Wiring", "Wiring\n\nConnect the mains."),
    ]


def test_paragraph_with_its_own_outline_level_starts_a_section() -> None:
    document = new_document()
    document.add_heading("Overview", 1)
    document.add_paragraph("General words.")
    outlined = document.add_paragraph("Maintenance")
    set_outline_level(outlined._p, 1)
    document.add_paragraph("Descale monthly.")

    assert sections(document) == [
        ("Overview", "Overview\n\nGeneral words."),
        ("Maintenance", "Maintenance\n\nDescale monthly."),
    ]


def test_style_with_its_own_outline_level_starts_a_section() -> None:
    document = new_document()
    document.add_heading("Overview", 1)
    document.add_paragraph("General words.")
    chapter = paragraph_style(document, "Chapter", "Normal")
    set_outline_level(chapter.element, 0)
    document.add_paragraph("Chapter Two", style="Chapter")
    document.add_paragraph("More words.")

    assert sections(document) == [
        ("Overview", "Overview\n\nGeneral words."),
        ("Chapter Two", "Chapter Two\n\nMore words."),
    ]


def test_body_text_level_on_the_paragraph_overrides_its_heading_style() -> None:
    document = new_document()
    document.add_heading("Overview", 1)
    demoted = document.add_heading("Looks like a heading", 2)
    set_outline_level(demoted._p, 9)
    document.add_paragraph("Body words.")

    assert sections(document) == [
        ("Overview", "Overview\n\nLooks like a heading\n\nBody words."),
    ]


def test_built_in_headings_without_outline_levels_in_the_styles_part_still_start_sections(
) -> None:
    document = new_document()
    paragraph_style(document, "MyHeading", "Heading 1")
    paragraph_style(document, "Heading Note", "Normal")
    drop_outline_levels(document)
    document.add_heading("Installation", 1)
    document.add_paragraph("Mount the pump.")
    document.add_paragraph("Note: mind the cable.", style="Heading Note")
    document.add_paragraph("Custom Styled Section", style="MyHeading")
    document.add_paragraph("Text under the custom heading.")

    assert sections(document) == [
        ("Installation", "Installation\n\nMount the pump.\n\nNote: mind the cable."),
        ("Custom Styled Section", "Custom Styled Section\n\nText under the custom heading."),
    ]


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def contents_line(title: str, page: int, anchor: str) -> str:
    """A line of the table of contents Word generates: a link to the heading, a tab and a
    PAGEREF field's result, in the TOC1 style."""
    return (f'<w:p {W_NS}><w:pPr><w:pStyle w:val="TOC1"/></w:pPr><w:hyperlink '
            f'w:anchor="{anchor}"><w:r><w:t>{title}</w:t></w:r><w:r><w:tab/></w:r><w:r>'
            f'<w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> '
            f'PAGEREF {anchor} \\h </w:instrText></w:r><w:r><w:fldChar '
            f'w:fldCharType="separate"/></w:r><w:r><w:t>{page}</w:t></w:r><w:r><w:fldChar '
            f'w:fldCharType="end"/></w:r></w:hyperlink></w:p>')


def test_a_generated_table_of_contents_is_left_out() -> None:
    """Its entries are the headings again with page numbers, and would outrank the sections
    they name in a search: in its building block, or as lines in the TOC styles alone."""
    from docx.oxml import parse_xml

    document = new_document()
    body = document.element.body
    block = parse_xml(
        f'<w:sdt {W_NS}><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/>'
        f'</w:docPartObj></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Contents</w:t></w:r></w:p>'
        f'{contents_line("Installing the pump", 3, "_Toc1")}</w:sdtContent></w:sdt>')
    body.insert(0, block)
    body.insert(1, parse_xml(contents_line("Warranty", 9, "_Toc2")))  # a bare line of one
    document.add_heading("Installing the pump", 1)
    document.add_paragraph("Mount the pump on a level base with four M10 bolts.")
    document.add_heading("Warranty", 1)
    document.add_paragraph("The warranty lasts five years.")
    assert sections(document) == [
        ("Installing the pump", "Installing the pump\n\nMount the pump on a level base with "
                                "four M10 bolts."),
        ("Warranty", "Warranty\n\nThe warranty lasts five years.")]
