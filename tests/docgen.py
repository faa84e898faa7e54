"""Documents of every supported type for tests, made with the libraries that read them, and
scans made by rendering text PDFs to images (what a scanner hands over: pages of pixels)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from tests.pdfgen import make_pdf


def make_docx(sections: Sequence[tuple[str, Sequence[str]]], title: str | None = None,
              table: Sequence[Sequence[str]] | None = None) -> bytes:
    """A Word document: a Heading 1 and its paragraphs per section, then `table`."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def without_table_grids(data: bytes) -> bytes:
    """A Word document whose tables lack their column grid (`<w:tblGrid>`), as some
    generators write them: Word opens such a file, python-docx's `table.columns` refuses it."""
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(io.BytesIO(data))
    for table in list(document.element.body.iter(qn("w:tbl"))):
        table.remove(table.find(qn("w:tblGrid")))
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def make_pptx(slides: Sequence[dict], title: str | None = None) -> bytes:
    """A deck: each slide a dict with `title`, `body` (lines), and optional `notes`, `table`."""
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    if title:
        deck.core_properties.title = title
    layout = deck.slide_layouts[1]  # title and content
    for spec in slides:
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = spec["title"]
        slide.placeholders[1].text_frame.text = "\n".join(spec.get("body", []))
        if spec.get("table"):
            rows = spec["table"]
            shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(1), Inches(5),
                                           Inches(6), Inches(1.5))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    shape.table.cell(r, c).text = value
        if spec.get("notes"):
            slide.notes_slide.notes_text_frame.text = spec["notes"]
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()


def docx_importing(chunks: Sequence[tuple[str, bytes]], in_cell: bool = False) -> bytes:
    """A Word document importing each (content type, bytes) part in a `w:altChunk` between
    the paragraphs "Before." and "After.", as web apps and HTML-to-Word converters write one;
    the chunks in the one cell of a table there with `in_cell`."""
    import docx
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    document.add_paragraph("Before.")
    cell = document.add_table(rows=1, cols=1).cell(0, 0)._tc if in_cell else None
    after = document.add_paragraph("After.")._p
    for n, (content_type, data) in enumerate(chunks, start=1):
        part = Part(PackURI(f"/word/chunk{n}.bin"), content_type, data, document.part.package)
        rid = document.part.relate_to(part, "http://schemas.openxmlformats.org/"
                                            "officeDocument/2006/relationships/aFChunk")
        chunk = parse_xml(f'<w:altChunk {nsdecls("w", "r")} r:id="{rid}"/>')
        if cell is not None:
            cell.append(chunk)
        else:
            after.addprevious(chunk)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def pptx_with_smartart(title: str, points: Sequence[Sequence[str]], below: str,
                       data_id: str | None = None) -> bytes:
    """A slide titled `title` holding a SmartArt diagram whose points hold `points` (each
    point's paragraphs), then a text box reading `below`; the diagram's link to its data
    part `data_id` instead when given (one naming no part)."""
    import pptx
    from lxml import etree
    from pptx.opc.package import Part
    from pptx.opc.packuri import PackURI
    from pptx.util import Inches

    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    dgm = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    slide.shapes.title.text = title
    slide.shapes.add_textbox(Inches(1), Inches(5), Inches(6), Inches(1)).text_frame.text = below
    texts = "".join(
        f'<dgm:pt modelId="{n}"><dgm:prSet/><dgm:spPr/><dgm:t><a:bodyPr/>'
        + ("".join(f"<a:p><a:r><a:t>{line}</a:t></a:r></a:p>" for line in lines)
           or "<a:p><a:endParaRPr/></a:p>")
        + "</dgm:t></dgm:pt>" for n, lines in enumerate(points, start=1))
    data = (f'<dgm:dataModel xmlns:dgm="{dgm}" xmlns:a="{a}"><dgm:ptLst>'
            f'<dgm:pt modelId="0" type="doc"><dgm:prSet/><dgm:spPr/></dgm:pt>{texts}'
            "</dgm:ptLst><dgm:cxnLst/><dgm:bg/><dgm:whole/></dgm:dataModel>")
    part = Part(PackURI("/ppt/diagrams/data1.xml"),
                "application/vnd.openxmlformats-officedocument.drawingml.diagramData+xml",
                deck.part.package, data.encode())
    rid = slide.part.relate_to(part, "http://schemas.openxmlformats.org/officeDocument/"
                                     "2006/relationships/diagramData")
    slide.shapes._spTree.append(etree.fromstring(
        '<p:graphicFrame xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
        f' xmlns:a="{a}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><p:nvGraphicFramePr><p:cNvPr id="9" name="Diagram 8"/>'
        "<p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr><p:xfrm>"
        '<a:off x="914400" y="1828800"/><a:ext cx="6096000" cy="2032000"/></p:xfrm>'
        f'<a:graphic><a:graphicData uri="{dgm}"><dgm:relIds xmlns:dgm="{dgm}" '
        f'r:dm="{data_id or rid}" r:lo="{rid}" r:qs="{rid}" r:cs="{rid}"/></a:graphicData>'
        "</a:graphic></p:graphicFrame>"))
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()


def make_xlsx(sheets: dict[str, Sequence[Sequence[object]]], title: str | None = None) -> bytes:
    """A workbook written in write-only mode (so a large one is made in little memory)."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    if title:
        workbook.properties.title = title
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def make_epub(chapters: Sequence[tuple[str, str]], title: str = "A Book", *,
              contents: bool = True, spine: bool = True) -> bytes:
    """An EPUB with one XHTML file per (title, body paragraph text) chapter, its table of
    contents (an empty one without `contents`) and its reading order (only the contents page
    without `spine`)."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("test-book")
    book.set_title(title)
    book.set_language("en")
    items = []
    for n, (heading, text) in enumerate(chapters, start=1):
        item = epub.EpubHtml(title=heading, file_name=f"chap_{n}.xhtml", lang="en")
        item.content = f"<h1>{heading}</h1><p>{text}</p>"
        book.add_item(item)
        items.append(item)
    book.toc = items if contents else []
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *items] if spine else ["nav"]
    buf = io.BytesIO()
    epub.write_epub(buf, book)
    return buf.getvalue()


def page_images(pages: Sequence[str], dpi: int = 150) -> list:
    """Each page of a text PDF drawn at `dpi` in grey: a clean scan."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(make_pdf(list(pages)))
    try:
        return [pdf[i].render(scale=dpi / 72, grayscale=True).to_pil().copy()
                for i in range(len(pdf))]
    finally:
        pdf.close()


def scanned_pdf(pages: Sequence[str], dpi: int = 150) -> bytes:
    """A PDF of page images only, no text layer: what a scanner makes of these pages."""
    images = page_images(pages, dpi)
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return buf.getvalue()


def scanned_image(text: str, dpi: int = 150, kind: str = "PNG") -> bytes:
    [image] = page_images([text], dpi)
    buf = io.BytesIO()
    image.save(buf, kind, dpi=(dpi, dpi))
    return buf.getvalue()


def damaged(data: bytes) -> bytes:
    """The first half of a file: what an interrupted download or copy leaves."""
    return data[: len(data) // 2]


def zip_bomb(name: str, unpacked_mib: int = 300) -> bytes:
    """A zip named like an Office file whose one member inflates to `unpacked_mib` MiB of
    zeros (a few hundred KiB packed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        with package.open(name, "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(unpacked_mib):
                member.write(block)
    return buf.getvalue()


TEXT = ("Hydraulic pumps move fluid through the pressure lines of the press.",
        "Check every seal for wear before the morning shift begins.",
        "The relief valve opens when the pressure passes two hundred bar.",
        "Operators record each reading in the maintenance log by hand.",
        "Replace the filter cartridge after four hundred running hours.",
        "A warning lamp shows when the reservoir level falls too low.")

SENTENCES = (
    "Spring water from the northern hills fills the old stone cistern each April.",
    "The village baker lights his oven at four and sells rye loaves by seven.",
    "Migrating geese rest on the lake for two weeks before flying south.",
    "A narrow gauge railway once carried slate from the quarry to the harbour.",
    "Teachers at the small school collect rainfall figures with their pupils.",
    "The ferry timetable changes in October when the winter storms arrive.",
    "Beekeepers move their hives to the heather moors in late summer.",
    "Fishermen mend their nets on the quay while gulls circle overhead.",
    "The library keeps parish records going back three hundred years.",
    "Wild thyme and sea pinks grow along the cliff path above the bay.",
    "A retired engineer restored the windmill and grinds flour on Sundays.",
    "Visitors must book the lighthouse tour a day in advance.",
)


def full_page(seed: int, lines: int = 30) -> str:
    """A page of real sentences in an order set by `seed`: about 400 words."""
    return "\n".join(SENTENCES[(seed * 5 + n * 7) % len(SENTENCES)] for n in range(lines))
