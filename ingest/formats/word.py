"""Word (.docx) with python-docx: headings, paragraphs, tables (nested ones too), text boxes
and content controls in reading order, the text as a reader now sees it (tracked insertions in,
deletions and hidden text out, hidden by the run or by its style; equations and inserted
symbols in their place: `word_math`; the words a phonetic guide annotates, without their
reading; content imported from an HTML or plain text file: `word_chunks`); headers, footers,
footnotes and comments are not read.

A document has no pages to cite, so each heading starts a section: a page without a number
whose locator is the heading ("Installation"), which citations show. A heading is what Word
outlines as one (its navigation pane, its table of contents): a paragraph of an outline level,
its own or its style's, or of the Title style.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ingest.formats.base import (
    LIST_BULLET,
    MAX_PARAGRAPHS,
    MAX_RUNS,
    PARAGRAPH_BREAK,
    LoadOptions,
    Pages,
    Parsed,
    metadata_title,
    too_large,
    whole_number,
)
from ingest.formats.containers import (
    check_package,
    know_main_parts,
    main_part,
    parsed_as,
    reading,
    without_unreadable_properties,
)
from ingest.formats.sheets import (
    MAX_TITLE_ROWS,
    could_be_header,
    could_be_title,
    filled,
    is_figure,
)
from ingest.formats.word_chunks import IMPORTED, keep_chunks_unparsed, merge_imported_chunks
from ingest.formats.word_math import MATH, MATH_RUN, math_text, symbol_text
from rag.text.table_rows import cells_line, named_row

if TYPE_CHECKING:
    from ingest.formats.word_lists import ListNumbers

LOCATOR_CHARS = 80
WORD_MAX_COLUMNS = 63  # the most columns Word lets a table have
# a cell merged down several rows is read in each when its text is no longer than this: a
# label naming a group of rows (a category, a site, a date) is a few words, where a paragraph
# merged down the rows, repeated in each, would fill the passages around it with its copies
MAX_REPEATED_CELL_CHARS = 100
# a figure and the word of its unit or currency: "110 GBP", "3 nights"
FIGURE_AND_WORD = re.compile(r"\W*\d[\d.,]*\s?[^\W\d_]+\.?")
OFF = frozenset({"0", "false", "off"})  # an on/off setting's values that turn it off
# a table's older `w:tblLook w:val`: a hexadecimal mask, whose bit 0x0020 applies its style's
# first row formatting
HEX_LOOK = re.compile(r"[0-9A-Fa-f]{1,4}")
FIRST_ROW_LOOK = 0x0020
# a list item's number or bullet, as `numbered_text` writes it before the item
LIST_MARK = re.compile(
    rf"(?:{LIST_BULLET}|\(?(?:\d+(?:\.\d+)*|[a-zA-Z]|[ivxlcdm]+|[IVXLCDM]+)[.)])\s")
# the main parts of a macro-enabled document, a template and a macro-enabled template
DOCUMENT_LIKE_PARTS = ("application/vnd.ms-word.document.macroEnabled.main+xml",
                       "application/vnd.openxmlformats-officedocument.wordprocessingml"
                       ".template.main+xml",
                       "application/vnd.ms-word.template.macroEnabledTemplate.main+xml")
# WordprocessingML's namespace, as lxml spells a tag: named here so that reading a tag needs
# no python-docx import when the module is
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Word's outline levels: 0 to 8 are headings' (Heading 1 to Heading 9), 9 is body text
HEADING_LEVELS = range(9)
BODY_TEXT_LEVEL = 9
# each document's table styles' header marks (`style_repeats_first_row`), by the document's
# part, dropped with it
STYLE_MARKS: weakref.WeakKeyDictionary[Any, dict[tuple[str | None, bool], bool]] = (
    weakref.WeakKeyDictionary())
# the names Word stores for its built-in heading styles, whatever the language it shows them in
BUILT_IN_HEADINGS = {f"heading {number}": number - 1 for number in range(1, 10)}


def tags(*names: str) -> frozenset[str]:
    return frozenset(W + name for name in names)


def load_docx(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    from docx.opc.exceptions import OpcError
    from docx.opc.part import XmlPart
    from docx.oxml.exceptions import XmlchemyError
    from docx.table import Table

    from ingest.formats.word_lists import ListNumbers

    check_package(path, data, parsed=parsed_as(part_factory(), XmlPart))
    pages = Pages(path)
    with reading(path, "Word document", (OpcError, XmlchemyError)):
        data, warnings = without_unreadable_properties(path, data)
        document = opened_document(path, data)
        check_counts(path, document.element.body)
        warnings += without_entity_references(document.element.body)
        warnings += merge_imported_chunks(path, document)
        hide_styled_text(document)
        numbers = ListNumbers.of(document)
        title = metadata_title(document.core_properties.title)
        heading: str | None = None
        lines: list[str] = []
        style_names: dict[str | None, str] = {}
        style_levels: dict[str | None, int | None] = {}
        for block in blocks(document):
            if isinstance(block, Table):
                lines += table_lines(block, numbers)
                continue
            text = numbered_text(block, numbers)
            boxed = boxed_lines(block)  # a text box's words, after the paragraph holding it
            if not text:
                lines += boxed
                continue
            style = style_name(block, style_names)
            if style == "Title" and not title:
                title = text
            if style == "Title" or outline_level(block, style_levels) in HEADING_LEVELS:
                if lines:
                    pages.add(None, PARAGRAPH_BREAK.join(lines), heading)
                heading, lines = short(text), []
            lines.append(text)
            lines += boxed
        if lines:
            pages.add(None, PARAGRAPH_BREAK.join(lines), heading)
    return Parsed(title or path.stem, pages.pages, warnings)


def opened_document(path: Path, data: bytes):
    """The document python-docx reads, a macro-enabled one (.docm) or a template (.dotx,
    .dotm) saved under .docx too (`part_factory`)."""
    from docx.package import Package
    from docx.parts.document import DocumentPart

    part_factory()
    return main_part(path, data, Package, DocumentPart, "Word document").document


def part_factory():
    """python-docx's part factory, reading a macro-enabled document's or a template's main
    part as a document's, and an imported chunk as bytes (`keep_chunks_unparsed`)."""
    from docx.opc.part import PartFactory
    from docx.parts.document import DocumentPart

    keep_chunks_unparsed(PartFactory)
    know_main_parts(PartFactory, DocumentPart, DOCUMENT_LIKE_PARTS)
    return PartFactory


def check_counts(path: Path, body) -> None:
    """Refuse a body of more paragraphs (an imported chunk, read as one, too) or runs (an
    equation's too) than MAX_PARAGRAPHS or MAX_RUNS before it is walked: counted by lxml in C,
    where reading each costs python-docx tens of microseconds, so a small file of millions of
    empty ones would take minutes."""
    from docx.oxml.ns import qn

    for names, bound, what in (((qn("w:p"), IMPORTED), MAX_PARAGRAPHS, "paragraphs"),
                               ((qn("w:r"), MATH_RUN), MAX_RUNS, "runs of text")):
        if sum(1 for _ in itertools.islice(body.iter(*names), bound + 1)) > bound:
            raise too_large(path, f"more than {bound:,} {what}")


def without_entity_references(body) -> list[str]:
    """Take each reference to an entity the file declares itself (`&co;`, from a DTD, which
    Word never writes) out of the body, the words around it kept in place; the warning
    naming those left out, if any. The parser leaves them unexpanded, as it must (an entity
    can name a file of the machine reading it), and python-docx would end a run's text at
    one, the rest of its words lost without a word."""
    from lxml import etree

    names: list[str] = []
    for reference in list(body.iter(etree.Entity)):
        names.append(reference.text)
        keep_tail(reference)
        reference.getparent().remove(reference)
    if not names:
        return []
    shown = ", ".join(dict.fromkeys(names))
    return [f"{len(names):,} reference{'s' if len(names) > 1 else ''} to an entity the file "
            f"declares itself left out ({shown}): the text around "
            f"{'them' if len(names) > 1 else 'it'} is read"]


def keep_tail(node) -> None:
    """Move the text after `node` to where it stays once `node` is removed: lxml removes a
    node's tail with it."""
    if not node.tail:
        return
    previous = node.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + node.tail
    else:
        parent = node.getparent()
        parent.text = (parent.text or "") + node.tail


def hide_styled_text(document) -> None:
    """Mark hidden, on each run, the text its character or paragraph style hides (Word's
    Hidden effect set on a style, or on the style it is based on), so that `run_text` reads
    a run's own setting alone: a run that sets the effect itself, either way, keeps it."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.text.font import Font

    hidden = {style.style_id for style in document.styles
              if style.type in (WD_STYLE_TYPE.CHARACTER, WD_STYLE_TYPE.PARAGRAPH)
              and style_hides(style)}
    if not hidden:
        return
    for run in document.element.body.iter(W + "r"):
        font = Font(run)
        if font.hidden is not None:
            continue
        paragraph = next(run.iterancestors(W + "p"), None)
        if run.style in hidden or (paragraph is not None and paragraph.style in hidden):
            font.hidden = True


def style_hides(style) -> bool:
    """Whether a style hides its text: its own Hidden setting, else its base style's."""
    settings = (based.font.hidden for based in style_chain(style))
    return next((hidden for hidden in settings if hidden is not None), False)


def style_chain(style) -> Iterator:
    """`style`, then the style it is based on, and so on: where a setting a style leaves unset
    comes from. A chain leading back to itself stops before repeating."""
    seen: set[str] = set()
    while style is not None and style.style_id not in seen:
        seen.add(style.style_id)
        yield style
        style = style.base_style


def style_name(paragraph, known: dict[str | None, str]) -> str:
    """A paragraph's style name, looked up once per style of the document: python-docx
    searches all of a document's styles for the default one for every paragraph without a
    style of its own, so a long plain document would be searched through again and again."""
    style_id = paragraph._p.style
    if style_id not in known:
        style = paragraph.style
        known[style_id] = style.name if style is not None else ""
    return known[style_id]


def outline_level(paragraph, known: dict[str | None, int | None]) -> int | None:
    """A paragraph's outline level, as Word's navigation pane and table of contents read it:
    its own, else its style's (looked up once per style); None when neither sets one."""
    own = own_outline_level(paragraph._p)
    if own is not None:
        return own
    style_id = paragraph._p.style
    if style_id not in known:
        known[style_id] = style_outline_level(paragraph.style)
    return known[style_id]


def style_outline_level(style) -> int | None:
    """A paragraph style's outline level: its own, else that of the nearest style it is based
    on, so a style of one's own based on Heading 1 outlines as Heading 1 does."""
    for based in style_chain(style):
        level = own_outline_level(based.element)
        if level is None:
            level = built_in_heading_level(based.element)
        if level is not None:
            return level
    return None


def own_outline_level(element) -> int | None:
    """The outline level set in a paragraph's or a style's own properties, if any; a
    malformed one reads as body text."""
    setting = element.find(f"{W}pPr/{W}outlineLvl")
    if setting is None:
        return None
    return whole_number(setting.get(W + "val"), BODY_TEXT_LEVEL)


def built_in_heading_level(style_element) -> int | None:
    """The outline level of Word's built-in "heading 1" to "heading 9" styles (by the name the
    file stores, the same in every language), which Word fixes whether or not the styles part
    writes it down: other programs leave it out. A style merely named "Heading Note" has none."""
    return BUILT_IN_HEADINGS.get((style_element.name_val or "").lower())


# Elements whose content a reader sees in their place: a content control's, a custom XML
# tag's (which wraps paragraphs, tables, rows, cells or runs alike)
BLOCK_WRAPPERS = tags("sdt", "sdtContent", "customXml")
TOC_STYLE = re.compile(r"TOC[1-9]", re.IGNORECASE)  # the style ids of a contents' lines
# and, among a paragraph's runs, a link's, a tracked insertion's or move's (the text as it now
# reads; a deletion and a move's old place are not wrappers, so their text stays out), a field's
# result, a smart tag's and a text direction's
INLINE_WRAPPERS = BLOCK_WRAPPERS | tags(
    "hyperlink", "ins", "moveTo", "fldSimple", "smartTag", "dir", "bdo")
BLOCKS, RUNS, ROWS, CELLS = tags("p", "tbl"), tags("r"), tags("tr"), tags("tc")
BREAK = W + "br"
SYMBOL = W + "sym"
RUBY, RUBY_BASE = W + "ruby", W + "rubyBase"
RUN_TEXT = tags("t", "tab", "ptab", "cr", "noBreakHyphen", "br", "sym", "ruby")


def unwrapped(element, wanted: frozenset[str], wrappers: frozenset[str],
              skipped: Callable[[Any], bool] = lambda child: False) -> Iterator:
    """The children of `element` tagged `wanted`, in document order, those inside `wrappers`
    (at any depth) in their place; none of those `skipped` says to leave out."""
    for child in element.iterchildren():
        if skipped(child):
            continue
        if child.tag in wanted:
            yield child
        elif child.tag in wrappers:
            yield from unwrapped(child, wanted, wrappers, skipped)


def is_contents(element) -> bool:
    """A table of contents Word generated: its content control (a "Table of Contents"
    building block), or one of its lines (styles TOC1 to TOC9). Its entries are the
    headings again, with page numbers, and outrank the sections they name in a search, as a
    PDF's contents pages would (those go last; an HTML page's are left out)."""
    if element.tag == W + "sdt":
        gallery = element.find(f"{W}sdtPr/{W}docPartObj/{W}docPartGallery")
        return gallery is not None and gallery.get(W + "val") == "Table of Contents"
    if element.tag == W + "p":
        style = element.find(f"{W}pPr/{W}pStyle")
        return style is not None and TOC_STYLE.fullmatch(style.get(W + "val") or "") is not None
    return False


def blocks(parent, element=None) -> Iterator:
    """The paragraphs and tables of a document's body (or of `element`, a table cell) in
    reading order, those inside a content control (a template's or a form's fields) or a
    custom XML tag too, which python-docx's own iteration passes over."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = parent.element.body if element is None else element
    for child in unwrapped(body, BLOCKS, BLOCK_WRAPPERS, is_contents):
        yield Paragraph(child, parent) if child.tag == W + "p" else Table(child, parent)


def paragraph_text(paragraph) -> str:
    """A paragraph's text, that of its inline content controls (a form's date or name field
    among its runs), links, tracked insertions, fields and tags in its place: python-docx's
    `Paragraph.text` reads only the runs and links directly in the paragraph."""
    return inline_text(paragraph._p)


def inline_text(element) -> str:
    """The text a reader sees in the runs and equations of `element`, in order."""
    return "".join(math_text(e) if e.tag in MATH else run_text(e)
                   for e in unwrapped(element, RUNS | MATH, INLINE_WRAPPERS))


def run_text(run) -> str:
    """A run's text, tabs as tabs and every break (line, page or column) as a new line, so the
    words on either side stay apart; none when the run is hidden: hidden text is no reader's,
    and a classic place to plant instructions for a model."""
    from docx.text.font import Font

    if Font(run).hidden:
        return ""
    return "".join(run_piece(e) for e in run.iterchildren() if e.tag in RUN_TEXT)


def run_piece(element) -> str:
    if element.tag == BREAK:
        return "\n"
    if element.tag == RUBY:
        return ruby_text(element)
    return symbol_text(element) if element.tag == SYMBOL else str(element)


def ruby_text(ruby) -> str:
    """The words a phonetic guide (Word's Phonetic Guide, furigana over kanji) is set over,
    its base, read as the sentence's own; not its reading (`w:rt`), a pronunciation aid
    printed small above them, which the sentence reads without."""
    base = ruby.find(RUBY_BASE)
    return inline_text(base) if base is not None else ""


def numbered_text(paragraph, numbers: ListNumbers | None) -> str:
    """A paragraph's text, after the number Word draws before it in a numbered list."""
    text = paragraph_text(paragraph).strip()
    label = numbers.label(paragraph) if numbers is not None else None  # counted when empty too
    return f"{label} {text}" if text and label else text


def boxed_lines(paragraph) -> list[str]:
    """The paragraphs of the text boxes anchored in `paragraph` (a shape's text, which
    `paragraph.text` leaves out), read as a paragraph is; a box drawn twice, for Word and for
    older readers, once."""
    boxes = paragraph._p.iter(W + "txbxContent")
    texts = [inline_text(p) for box in boxes for p in box.iter(W + "p")]
    return list(dict.fromkeys(" ".join(t.split()) for t in texts if t.strip()))


def cell_text(cell, numbers: ListNumbers | None = None) -> str:
    """A cell's words: its paragraphs, those in its content controls and text boxes, and a
    table nested in it row by row; a Word list's numbers counted by `numbers`, which the
    cells are read in order for: Word counts a list through the body's tables as it reads
    them."""
    from docx.table import Table

    if not hasattr(cell, "iter_inner_content"):  # PowerPoint's cells hold text only
        return " ".join(cell.text.split())
    parts = []
    for inner in blocks(cell, cell._tc):
        parts += (table_lines(inner, numbers) if isinstance(inner, Table)
                  else [numbered_text(inner, numbers), *boxed_lines(inner)])
    return " ".join(" ".join(parts).split())


class GridCell(NamedTuple):
    """A table cell as its row places it on the table's grid: its text (None in the rows
    after the first of a vertical merge, which read the first's), and the columns it spans."""
    text: str | None
    span: int = 1


@dataclass(frozen=True)
class TableRow:
    """A table row's cells, left to right, the grid columns it leaves unfilled at either end
    as empty cells; `repeated`: marked to repeat as a header row on each page (Word's "Repeat
    as header row at the top of each page", `w:tblHeader`)."""
    cells: list[GridCell]
    repeated: bool = False

    def texts(self) -> list[str | None]:
        """The cells' texts by grid column: a merged cell's under its first column, the other
        columns it spans empty."""
        return [text for cell in self.cells for text in [cell.text] + [""] * (cell.span - 1)]

    def spread(self) -> list[str | None]:
        """The cells' texts by grid column, a merged cell's in every column it spans."""
        return [cell.text for cell in self.cells for _ in range(cell.span)]

    def groups(self) -> list[range]:
        """The columns of each cell of text merged across several of them."""
        ends = itertools.accumulate(cell.span for cell in self.cells)
        return [range(end - cell.span, end) for end, cell in zip(ends, self.cells, strict=True)
                if cell.text and cell.span > 1]


def table_lines(table, numbers: ListNumbers | None = None) -> list[str]:
    """A table's rows, a cell merged across columns once a row. When the first rows read as
    a header (`header_rows`), each row after them names its values by it, as a sheet's rows
    do ("Model: K200; Capacity: 1.7 litres"), so a row quoted alone still says what its values
    are; a header's cell merged across columns names each of them, and a header of several
    rows names a column by each of them, top down ("Price per night Weekday"); a title above
    the header (a row of one cell, often merged across the table: `title_rows`) is a line of
    its own, and so is a section's title among the rows (`is_section_title`: "Benefits"),
    which names no column's value. Otherwise a row's cells are joined by ' | ' ("Voltage |
    230 V"). A cell merged down several rows is read in each of them (`filled_down`); a row
    holding nothing of its own, only such cells, is left out: its text is read above it."""
    rows = [row for row in table_rows(table, numbers) if any(row.texts())]
    titles = title_rows(rows)
    lines = [cells_line(own_texts(row.texts())) for row in rows[:titles]]
    rows = rows[titles:]
    heads = header_rows(rows)
    body = rows[heads:]
    values = filled_down([row.texts() for row in body])
    if not heads:
        return lines + [cells_line(cells) for cells in values]
    header = column_names(rows[:heads])
    return lines + [cells_line(header)] + [
        cells_line(cells) if is_section_title(row) else named_row(header, cells)
        for row, cells in zip(body, values, strict=True)]


def title_rows(rows: list[TableRow]) -> int:
    """How many rows open the table as its titles: rows of one short value (a title, often
    a cell merged across the table), at most MAX_TITLE_ROWS of them, right above a row that
    opens a header (`opens_header`); else 0."""
    count = 0
    while count < min(len(rows), MAX_TITLE_ROWS) and could_be_title(own_texts(rows[count].texts())):
        count += 1
    return count if count < len(rows) and opens_header(rows[count]) else 0


def is_section_title(row: TableRow) -> bool:
    """Whether a row under the header is a section's title ("Benefits" between two groups of
    rows): one cell of text merged across every column, a heading of the rows after it, not
    the value of the first column."""
    texts = [cell for cell in row.cells if cell.text]
    width = sum(cell.span for cell in row.cells)
    return len(texts) == 1 and width > 1 and texts[0].span == width


def header_rows(rows: list[TableRow]) -> int:
    """How many rows open the table as its header, 0 when none. The first row is one when it
    reads as a header, as a sheet's does (`could_be_header`: two or more cells of words, "Q1"
    or years among them), not a row of list items (steps numbered across the cells). Rows
    under it belong to the header where that is clear: rows marked to repeat as the header
    on each page (`marked_header_rows`), or rows naming the columns under a cell merged
    across them above (`grouped_header_rows`)."""
    if len(rows) < 2 or not opens_header(rows[0]):
        return 0
    return marked_header_rows(rows) or grouped_header_rows(rows) or 1


def opens_header(row: TableRow) -> bool:
    """Whether a table's first row is its header: it reads as one (`reads_as_header`), or,
    holding two values or more, it is marked to repeat as one, the author's word for it
    whatever its words ("Drink | 250 ml | 500 ml", which would read as a row of values)."""
    values = own_texts(row.texts())
    return reads_as_header(values) or (row.repeated and filled(values) > 1)


def reads_as_header(values: list[str]) -> bool:
    return could_be_header(values) and not any(map(is_list_item, values))


def marked_header_rows(rows: list[TableRow]) -> int:
    """The rows marked to repeat as the header at the top of the table, when there are two
    or more of them, a row under them, and they name two columns or more; else 0."""
    marked = sum(1 for _ in itertools.takewhile(lambda row: row.repeated, rows))
    if marked < 2 or marked == len(rows) or filled(column_names(rows[:marked])) < 2:
        return 0
    return marked


def grouped_header_rows(rows: list[TableRow]) -> int:
    """The rows of a header whose top rows group columns under a cell merged across them
    ("Weekday" over "Price | Tax"): each row under such a row names every column under each
    group (`names_grouped_columns`). Only when clear: a header cell merged down into the
    header's rows under it ("Room" over both), or amounts under every group in the first row
    after them ("110 GBP | 10 GBP"), where a table of words could be a header cell merged over
    rows of values ("Contact" over "Ann Lee | ann@example.com"); else 0."""
    count = 1
    while count < len(rows) - 1 and names_grouped_columns(rows[count - 1], rows[count]):
        count += 1
    if count == 1:
        return 0
    merged_down = any(None in row.texts() for row in rows[1:count])
    grouped = {column for row in rows[:count - 1] for group in row.groups() for column in group}
    return count if merged_down or amounts_under(grouped, rows[count]) else 0


def names_grouped_columns(above: TableRow, row: TableRow) -> bool:
    """Whether `row` names the columns `above` groups: `above` holds a cell merged across
    columns, and `row` reads as a header of no amounts, a cell merged down into it read as
    its text ("Room | 2023 | 2024"), with a text of its own in each column under each
    group."""
    groups = above.groups()
    if not groups:
        return False
    *_, values = filled_down([above.texts(), row.texts()])
    texts = row.texts()
    return (reads_as_header(values) and not any(map(is_amount, values))
            and all(column < len(texts) and texts[column] for group in groups for column in group))


def amounts_under(columns: set[int], row: TableRow) -> bool:
    """Whether each filled cell of `row` in `columns` holds an amount, one at least."""
    texts = own_texts(row.texts())
    under = [texts[column] for column in sorted(columns) if column < len(texts) and texts[column]]
    return bool(under) and all(map(is_amount, under))


def is_amount(text: str) -> bool:
    """A figure ("110", "$1,200"), a measure ("230 V"), or a figure and its unit or currency
    ("110 GBP", "3 nights"): a value, which names no column."""
    return is_figure(text) or FIGURE_AND_WORD.fullmatch(text) is not None


def column_names(header: list[TableRow]) -> list[str]:
    """Each column's name: the texts the header's rows give it, top down ("Price per night
    Weekday"), a cell merged across columns in each of them and one merged down once; the
    same words twice once."""
    spreads = [row.spread() for row in header]
    width = max(map(len, spreads), default=0)
    return [" ".join(dict.fromkeys(text for spread in spreads
                                   if column < len(spread) and (text := spread[column])))
            for column in range(width)]


def own_texts(texts: list[str | None]) -> list[str]:
    """A row's cells' texts, those of cells continuing a vertical merge empty."""
    return [text or "" for text in texts]


def filled_down(rows: list[list[str | None]]) -> Iterator[list[str]]:
    """Each row's cells, a cell continuing a vertical merge (None) holding the text of the
    cell above it, so that each row a category or a site is merged down names it ("Category:
    Travel; Item: Meals"), as HTML's `rowspan` does; a text longer than
    MAX_REPEATED_CELL_CHARS only in the merge's first row. The first row takes nothing from
    above it: a header's or a title's cell merged down names no row's value."""
    above: list[str] = []
    for texts in rows:
        above = [text if text is not None else repeated(above, column)
                 for column, text in enumerate(texts)]
        yield above


def repeated(above: list[str], column: int) -> str:
    text = above[column] if column < len(above) else ""
    return text if len(text) <= MAX_REPEATED_CELL_CHARS else ""


def is_list_item(text: str) -> bool:
    """Whether a cell's text opens with the number or bullet a Word list draws ("2. Fill
    it", "b) Rinse", "• Seal")."""
    return LIST_MARK.match(text) is not None


def table_rows(table, numbers: ListNumbers | None) -> Iterator[TableRow]:
    """A Word or a PowerPoint table's rows."""
    from docx.table import Table

    if not isinstance(table, Table):
        return (TableRow(slide_row_cells(row)) for row in table.rows)
    columns = max(1, grid_columns(table))  # counted once: without a grid, from every row
    styled = style_repeats_first_row(table)
    return (word_row(tr, table, columns, numbers, styled and at == 0)
            for at, tr in enumerate(word_rows(table._tbl)))


def word_rows(tbl) -> Iterator:
    """A Word table's rows (`<w:tr>`), those in a content control (a form's repeating section)
    or a custom XML tag too, which python-docx's `table.rows` passes over."""
    return unwrapped(tbl, ROWS, BLOCK_WRAPPERS)


def word_cells(tr) -> Iterator:
    """A Word row's own cells (`<w:tc>`), those in a content control too."""
    return unwrapped(tr, CELLS, BLOCK_WRAPPERS)


def word_row(tr, table, columns: int, numbers: ListNumbers | None,
             styled_header: bool = False) -> TableRow:
    """A Word row's cells on the grid: the grid columns it skips before its first cell and
    after its last (`w:gridBefore`, `w:gridAfter`: a row starting under a later column) as
    empty cells, so each cell stands under its own column; a merged cell once, its text in
    its first row (None in the rows after: `filled_down` reads the text there); equal values
    in two cells stay two. Read from the row's own cells: python-docx's `row.cells` hands
    back a vertically merged cell in every row it spans, its text read (a list's numbers
    counted) once per row. `styled_header`: the table's style marks the row to repeat as the
    header, which the row's own setting, either way, overrides."""
    from docx.table import _Cell, _Row

    row = _Row(tr, table)
    cells = [GridCell("", within(row.grid_cols_before, columns, 0))]
    for tc in word_cells(tr):
        # "continue": a later row of a vertical merge, whose text is the first row's
        text = None if tc.vMerge == "continue" else cell_text(_Cell(tc, table), numbers)
        cells.append(GridCell(text, within(tc.grid_span, columns, 1)))
    cells.append(GridCell("", within(row.grid_cols_after, columns, 0)))
    own = repeats_as_header(tr)
    return TableRow([cell for cell in cells if cell.span],
                    styled_header if own is None else own)


def within(span: int, columns: int, least: int) -> int:
    """A count of grid columns no less than `least` nor more than the table's `columns`: a
    wider one is a lie, a negative one none."""
    return max(least, min(span, columns))


def repeats_as_header(tr) -> bool | None:
    """Whether a Word row is marked to repeat as a header row at the top of each page
    (`w:tblHeader`, on unless its value says off); None when the row says nothing."""
    return header_mark(tr.find(f"{W}trPr"))


def header_mark(row_properties) -> bool | None:
    """What row properties (`w:trPr`, a row's or a table style's) say of repeating as a
    header row: None when they say nothing."""
    mark = row_properties.find(W + "tblHeader") if row_properties is not None else None
    return None if mark is None else mark.get(W + "val", "true").lower() not in OFF


def style_repeats_first_row(table) -> bool:
    """Whether the table's style marks its first row to repeat as the header
    (`style_marks_first_row`), looked up once per style and document: python-docx searches
    all of a document's styles for the default one on every lookup, seconds over a document
    of thousands of tables. The style is read from the table's XML: python-docx's
    `table.style` refuses a table without properties."""
    from docx.enum.style import WD_STYLE_TYPE

    setting = table._tbl.find(f"{W}tblPr/{W}tblStyle")
    style_id = setting.get(W + "val") if setting is not None else None
    first_row_applies = applies_first_row_formatting(table._tbl)
    known = STYLE_MARKS.setdefault(table.part, {})
    if (style_id, first_row_applies) not in known:
        style = table.part.get_style(style_id, WD_STYLE_TYPE.TABLE)
        known[style_id, first_row_applies] = style is not None and style_marks_first_row(
            style, first_row_applies)
    return known[style_id, first_row_applies]


def style_marks_first_row(style, first_row_applies: bool) -> bool:
    """Whether a table style marks a table's first row to repeat as the header: its own row
    properties, or those of its first row's conditional formatting when the table applies it
    (`w:tblLook`), else those of the style it is based on, and so on."""
    for based in style_chain(style):
        places = [based.element.find(W + "trPr")]
        if first_row_applies:
            places += based.element.xpath("./w:tblStylePr[@w:type='firstRow']/w:trPr")
        marks = [mark for place in places if (mark := header_mark(place)) is not None]
        if marks:
            return marks[-1]
    return False


def applies_first_row_formatting(tbl) -> bool:
    """Whether a table applies its style's first row formatting (`w:tblLook`: its `firstRow`
    attribute, else the bit its older hexadecimal `val` gives it); Word applies it when the
    table says nothing."""
    look = tbl.find(f"{W}tblPr/{W}tblLook")
    if look is None:
        return True
    first_row = look.get(W + "firstRow")
    if first_row is not None:
        return first_row.lower() not in OFF
    value = look.get(W + "val", "")
    return not HEX_LOOK.fullmatch(value) or bool(int(value, 16) & FIRST_ROW_LOOK)


def grid_columns(table) -> int:
    """A Word table's columns: its grid's, or its widest row's when it has no grid (Word
    opens such a table; python-docx's `table.columns` refuses it), at most Word's 63 then, so
    a span claiming millions of columns pads a row with no more than that."""
    from docx.table import _Row

    tbl = table._tbl
    grid = tbl.find(W + "tblGrid")
    if grid is not None:
        return len(grid.findall(W + "gridCol"))
    widest = max((sum(tc.grid_span for tc in word_cells(tr)) + skipped_columns(_Row(tr, table))
                  for tr in word_rows(tbl)), default=0)
    return min(widest, WORD_MAX_COLUMNS)


def skipped_columns(row) -> int:
    return max(0, row.grid_cols_before) + max(0, row.grid_cols_after)


def slide_row_cells(row) -> list[GridCell]:
    """A PowerPoint row's cells: a merged cell once, spanning the grid cells it covers
    (those after its first column marked `hMerge`), its text in its first row; None, as in a
    Word row, in the rows after."""
    cells: list[GridCell] = []
    for cell in row.cells:
        if cell._tc.hMerge and cells:
            cells[-1] = cells[-1]._replace(span=cells[-1].span + 1)
        else:
            cells.append(GridCell(None if cell._tc.vMerge else cell_text(cell)))
    return cells


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LOCATOR_CHARS else text[:LOCATOR_CHARS - 1] + "…"
