"""HTML: the visible text of the body, without scripts, styles and the site's menus; one
page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from itertools import takewhile
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ingest.formats.base import (
    LIST_BULLET,
    MAX_HTML_ELEMENTS,
    LoadOptions,
    Pages,
    Parsed,
    metadata_title,
    start_tags,
    too_many_elements,
    whole_number,
    written_number,
)
from ingest.formats.html_elements import (
    BLOCKS,
    BOX,
    BOXES,
    NOT_SHOWN,
    SVG_TEXT,
    UNREAD_INSIDE,
    boxes_as_spaces,
)
from ingest.formats.text import decode_text
from rag.text.table_rows import cells_line, named_row

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, PageElement, Tag

_CELLS = frozenset({"td", "th"})
# a page's `<title>` names its browser tab (and the document: `load_html`), never drawn in the
# page; kept in the tree for that, and left out of the text where it stands: in the `<head>`,
# or before the text of a page with no `<body>` tag
_TAB_TITLE = "title"
# a definition list's term leads into its text's first paragraph ("sudo: Members of this
# group may run any command"), so that sentence names what it defines
_TERM_END = "\x00"
# a term starts its line (a `dt` is a block): tried from every character of a long paragraph
# instead, the search would read the rest of its line again each time. Its spaces are trimmed
# after the match: the pattern would try every split of a long run of them between its parts
_TERM_JOIN = re.compile(r"^([^\n\x00]*)\x00\s*", re.MULTILINE)
# starts each line of a `<pre>`, whose indentation the tidying of the other lines keeps
_VERBATIM = "\x01"
# follows a list item's mark until the item's first words, past the blank line a block inside
# the item (`<li><p>`) opens with
_ITEM_MARK_END = "\x02"
_ITEM_JOIN = re.compile(_ITEM_MARK_END + r"\s*")
_CLOSING = frozenset(".:;!?")
_SPACE = re.compile(r"\s+")
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b",
                           re.IGNORECASE)
_PARAGRAPHS = re.compile(r"\n{3,}")
# the spaces that text nodes and boxes side by side leave, which a browser draws as one
_SPACES = re.compile(r" {2,}")
# what a browser draws nothing of when the file ends inside it: a start or end tag, a
# comment, a declaration (`<!DOCTYPE`, `<![CDATA[`), a processing instruction; a lone `<`,
# or `</` at the very end, is text
_UNFINISHED = re.compile(r"<(?:[a-zA-Z!?]|/.)", re.DOTALL)
# a quoted attribute value the file ends inside: it runs to the end, past any `>` and tags
# (`<a title="x > y</p><p>More</p>`), since only its own quote ends it
_UNCLOSED_VALUE = re.compile(r"""=\s*(?:"[^"]*|'[^']*)\Z""")
# a table cell longer than this holds prose or a page's layout, not a value to name
MAX_NAMED_CELL_CHARS = 300
# blocks that may be a table of contents of the page's own sections
_CONTENTS_BLOCKS = ("nav", "div", "section", "aside", "ul", "ol", "dl", "table")
# a table of contents' own words beside its links: its title and its entries' numbers
_CONTENTS_OWN_CHARS, _CONTENTS_ENTRY_CHARS = 40, 4
_IN_PAGE = re.compile(r"^#")  # a link to an anchor of the page itself: "#intro"
# what a heading's link to itself shows (Sphinx's, MkDocs', GitHub's, a "link" icon)
_PERMALINK_MARKS = frozenset({"¶", "§", "#", "🔗"})
# ARIA's roles for a search box and an application's menus (a theme picker): controls, whatever
# their words; a site's menus are `<nav>` or role navigation, and mostly links
_CONTROL_ROLES = frozenset({"search", "menu", "menubar"})
# a `<footer>` inside these is theirs (an article's byline, a quote's source), not the page's:
# HTML's accessibility mapping makes only one outside them the page's footer, ARIA's contentinfo
_SECTIONS = frozenset({"article", "aside", "main", "nav", "section", "blockquote"})
_SECTION_ROLES = frozenset({"article", "complementary", "main", "navigation", "region"})
# a class or an id naming a page's footer: the word "footer" in it, between hyphens or
# underscores ("site-footer", "footer_links") or in camel case ("siteFooter")
_FOOTER_NAME = re.compile(r"(?i:(?:^|[-_])footer(?:$|[-_]))|[a-z]Footer(?![a-z])")
# what only a page's wrapper holds, never its footer
_PAGE_CONTENT = ("main", "article", "h1")
# a site's notices, the same on every page: a copyright line ("© 2026 Acme Ltd.")
_NOTICE = re.compile(r"©|\(c\)\s*\d|\bcopyright\b|\ball rights reserved\b", re.IGNORECASE)
_WORD = re.compile(r"\w")
# a link that calls or writes to the page's owner: a footer's contact detail, no site's link
_CONTACT_LINK = re.compile(r"\s*(?:tel|mailto|sms):", re.IGNORECASE)
# what in a page's footer is judged on its own, links and notices or content: a block, a
# definition's term, a table's cell (an old site's footer laid out in a table)
_FOOTER_BLOCKS = BLOCKS | _CELLS | {"dt"}


def load_html(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    soup, text = visible(path, html_markup(path, data))
    # the title's words with single spaces: strip=True would glue "Blimp <b>guide</b>"
    title = metadata_title(soup.title.get_text(" ")) if soup.title else ""
    pages = Pages(path)
    pages.add(None, text)
    return Parsed(title or path.stem, pages.pages, frames_shown(soup) if not text.strip() else [])


def frames_shown(soup: BeautifulSoup) -> list[str]:
    """Where a frameset page's text is: the pages its frames show, which hold all of it."""
    sources = list(dict.fromkeys(" ".join(str(frame["src"]).split())[:120]
                                 for frame in soup.find_all("frame", src=True)))
    if not sources:
        return []
    shown = ", ".join(sources[:5]) + (f" and {len(sources) - 5} more" if len(sources) > 5 else "")
    return [f"a frameset, whose text is in the pages its frames show ({shown}): ingest those"]


def html_markup(path: Path, data: bytes) -> str:
    """An HTML file's markup, decoded in the charset the page declares, else as any text
    file is (`decode_text`)."""
    from bs4.dammit import EncodingDetector

    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    return decode_text(path, data, declared)


def visible(path: Path, markup: str | bytes) -> tuple[BeautifulSoup, str]:
    """The parsed HTML without what a browser does not show (scripts, styles, templates,
    elements hidden by their `hidden` attribute or their own style, a video's fallback
    text, a `<noframes>`'s text, a `<datalist>`'s options, an SVG's title, a tag the file is
    cut off inside) and what is shown but answers nothing (a `<select>`'s options, a table
    of contents of the page, the site's menus, the page's footer of links and notices, a
    heading's permalink mark), and the visible text of its body laid out as a browser lays it
    out (`layout`: without the page's `<title>`, which stays in the tree), a data table's rows
    naming their values by its header (`name_values_by_header`). Markup opening more than
    MAX_HTML_ELEMENTS elements is refused before it is parsed."""
    from bs4 import BeautifulSoup

    text = markup if isinstance(markup, str) else markup_text(markup)
    if start_tags(text) > MAX_HTML_ELEMENTS:
        raise too_many_elements(path, MAX_HTML_ELEMENTS)
    soup = BeautifulSoup(without_unfinished_end(text), "html.parser",
                         string_containers=string_kinds())
    # hidden text is no reader's: and a classic place to plant instructions for a model
    _remove_all(_outermost(soup, lambda tag: tag.name in NOT_SHOWN or _hidden(tag)))
    boxes = _outermost(soup, lambda tag: tag.name in UNREAD_INSIDE)
    _remove_all(child for box in boxes for child in box.contents)
    _remove_all(_undrawn_svg_text(soup))
    without_page_contents(soup.body or soup)
    without_site_menus(soup.body or soup)
    without_page_footer(soup.body or soup)
    without_permalinks(soup.body or soup)
    for table in soup.find_all("table"):
        name_values_by_header(table)
    return soup, layout(soup.body or soup)


def string_kinds() -> dict[str, type]:
    """The kind of string each element's text is parsed as: a ruby's reading (`<rt>`), the
    brackets around it (`<rp>`), a script's, a style's are not the page's text (`layout`
    reads none of them), and nor is what a ruby's `<rtc>` holds, the readings or a gloss set
    over or under its base, as a ruby is read as the words it is set over."""
    from bs4.builder import HTMLTreeBuilder
    from bs4.element import RubyTextString

    return {**HTMLTreeBuilder.DEFAULT_STRING_CONTAINERS, "rtc": RubyTextString}


def markup_text(content: bytes) -> str:
    """An HTML file's markup decoded as BeautifulSoup decodes it: in the charset it
    declares, else the one its bytes look like."""
    from bs4 import UnicodeDammit

    markup = UnicodeDammit(content, is_html=True).unicode_markup
    return content.decode("utf-8", "replace") if markup is None else markup


def without_unfinished_end(markup: str) -> str:
    """The markup without the tag, comment or declaration the file ends inside (a download
    cut short: `<p class="note`), which a browser draws nothing of and html.parser hands
    back as text; a tag whose quoted attribute value is never closed ends there too,
    however many `>` and tags follow (`<a title="x > y</p><p>More</p>`). Only a file that
    may end inside one is tokenized again to find it: not one ending on `>`, as a tag does,
    outside a comment and a quoted value."""
    from html.parser import HTMLParser

    end = markup.rstrip()
    if (end.endswith(">") and end.rfind("<!--") <= end.rfind("-->")
            and not _UNCLOSED_VALUE.search(markup)):
        return markup
    tokenizer = HTMLParser(convert_charrefs=False)
    tokenizer.feed(markup)
    pending = tokenizer.rawdata  # what the tokenizer waits for the rest of
    return markup[:len(markup) - len(pending)] if _UNFINISHED.match(pending) else markup


def without_page_contents(root: Tag) -> None:
    """Leave out a table of contents linking into the page ("1. Introduction" to
    "#intro"): its entries repeat the headings' words, answer nothing, and would come first
    for questions about the headings' subject (a PDF's contents pages, which have no such
    links, the search puts last instead). Not a page that is nothing else: then it is all
    the page says."""
    if root.find("a", href=_IN_PAGE) is None:  # most pages: nothing to look into
        return
    tallies = _tallies(root)
    whole = tallies[id(root)].shown

    def is_contents(block: Tag) -> bool:
        """Two links or more, every one to an anchor of the page, little text besides, and
        less than half the page."""
        tally = tallies[id(block)]
        return (block.name in _CONTENTS_BLOCKS and tally.links >= 2 and not tally.elsewhere
                and tally.own <= _CONTENTS_OWN_CHARS + _CONTENTS_ENTRY_CHARS * tally.links
                and tally.shown < whole / 2)

    _remove_all(_outermost(root, is_contents))


class _Tally(NamedTuple):
    """What an element holds, counted once for the whole page."""

    shown: int  # characters of its text, each piece stripped (`get_text(strip=True)`)
    links: int  # links (`<a href>`)
    elsewhere: int  # of those, links to anything but an anchor of the page
    own: int  # characters of its text outside any link


def _tallies(root: Tag) -> dict[int, _Tally]:
    """Every element's `_Tally`, by `id`, in one walk up from the leaves: asked of each
    element, its whole subtree would be read again for every element above it, and a page
    nested thousands deep would take minutes."""
    from bs4 import CData, NavigableString

    shown_kinds = (NavigableString, CData)  # what get_text reads: not comments
    tallies: dict[int, _Tally] = {}
    # (element, its children counted, inside a link)
    stack: list[tuple[Tag, bool, bool]] = [(root, False, False)]
    while stack:
        tag, counted, in_link = stack.pop()
        inner = in_link or tag.name == "a"
        if not counted:
            stack.append((tag, True, in_link))
            stack.extend((child, False, inner) for child in tag.contents
                         if child.name is not None)
            continue
        shown = links = elsewhere = own = 0
        for child in tag.contents:
            if child.name is None:  # a piece of text
                chars = len(child.strip())
                shown += chars if type(child) in shown_kinds else 0
                own += 0 if inner else chars
            else:
                tally = tallies[id(child)]
                shown, links = shown + tally.shown, links + tally.links
                elsewhere, own = elsewhere + tally.elsewhere, own + tally.own
        if tag.name == "a" and tag.has_attr("href"):
            links += 1
            elsewhere += not _IN_PAGE.match(str(tag["href"]))
        tallies[id(tag)] = _Tally(shown, links, elsewhere, own)
    return tallies


def without_site_menus(root: Tag) -> None:
    """Leave out a site's menus and search box (`<nav>`, or an element whose ARIA role is
    navigation, search, menu or menubar): links to the site's other pages and controls, the
    same on every page of it, which answer nothing and would match a question about their
    words ("Downloads") on every page saved from the site. Not a `<nav>` that is mostly
    prose, nor a page that is nothing else."""
    menus = _outermost(root, _is_menu)
    if not menus:
        return
    menu_chars = sum(len(menu.get_text(strip=True)) for menu in menus)
    if len(root.get_text(strip=True)) > menu_chars:
        _remove_all(menus)


def without_page_footer(root: Tag) -> None:
    """Leave out, from the page's footer (a `<footer>` outside the page's articles, sections
    and quotes, an element whose ARIA role is contentinfo, or one its class or id names a
    footer: `_is_page_footer`), its links and notices: "Privacy | Terms | Contact", "© 2026
    Acme Ltd. All rights reserved.", the same on every page of the site, which answer nothing
    and would match a question about their words on each page saved from it. Its other blocks
    stay, each block and line judged on its own: a small business's phone line, opening hours
    and address are often nowhere else on the page, and a footer's prose (a licence, an
    author's note) is the page's. Not a page that is nothing else."""
    footers = _outermost(root, _is_page_footer)
    parts, chars = [], 0
    for footer in footers:
        footer_parts, footer_chars = _links_and_notices(footer)
        parts += footer_parts
        chars += footer_chars
    if parts and len(root.get_text(strip=True)) > chars:
        _remove_all(parts)


def without_permalinks(root: Tag) -> None:
    """Leave out the mark by which a heading links to itself ("¶" after each of a Sphinx
    page's headings): shown only when the pointer is over the heading, it would be read as
    part of the heading's last word ("Shell window¶")."""
    _remove_all(link for link in root.find_all("a", href=_IN_PAGE)
                if link.get_text(strip=True) in _PERMALINK_MARKS)


def _remove_all(elements: Iterable[PageElement]) -> None:
    """Take the elements out of the tree, each parent's at once. One at a time, each would
    look for its place among its parent's children, in time growing with the square of a
    page's thousands of sibling scripts, hidden paragraphs or menus."""
    by_parent: dict[int, tuple[Tag, list[PageElement]]] = {}
    for element in elements:
        if element.parent is not None:
            by_parent.setdefault(id(element.parent), (element.parent, []))[1].append(element)
    for parent, children in by_parent.values():
        places = {id(child): i for i, child in enumerate(parent.contents)}
        for child in sorted(children, key=lambda c: places[id(c)], reverse=True):
            child.extract(_self_index=places[id(child)])


def _outermost(root: Tag, is_one: Callable[[Tag], bool | None]) -> list[Tag]:
    """The elements below `root` that `is_one` takes (True) and that are not inside another,
    in one walk down the tree, which goes into neither those nor the ones `is_one` keeps
    whole (None). Asking each element for one above it would climb the whole depth of a
    page nested thousands of elements deep once for every one of them."""
    found, stack = [], [child for child in root.contents if child.name is not None]
    while stack:
        tag = stack.pop()
        taken = is_one(tag)
        if taken:
            found.append(tag)
        elif taken is not None:
            stack.extend(child for child in tag.contents if child.name is not None)  # no text
    return found


def _undrawn_svg_text(root: Tag) -> list[PageElement]:
    """The text inside `<svg>` elements that they do not draw: all but their `<text>`
    elements' and what a `<foreignObject>` holds. An icon's `<title>` would otherwise run
    into the word after the icon ("GitHubSource code"). One walk down the tree, which a
    page nested thousands deep allows."""
    found: list[PageElement] = []
    stack: list[tuple[Tag, bool]] = [(root, False)]  # (element, inside an SVG's drawing)
    while stack:
        tag, in_drawing = stack.pop()
        undrawn = (in_drawing or tag.name == "svg") and tag.name not in SVG_TEXT
        for child in tag.contents:
            if child.name is not None:
                stack.append((child, undrawn))
            elif undrawn:
                found.append(child)
    return found


def _is_menu(tag: Tag) -> bool | None:
    """A search box or an application's menu, whatever its words; a site's menu (`<nav>` or
    role navigation) when mostly links, else None: a page's content put there, kept whole."""
    roles = str(tag.get("role") or "").lower().split()
    if not _CONTROL_ROLES.isdisjoint(roles):
        return True
    if tag.name != "nav" and "navigation" not in roles:
        return False
    return True if _mostly_links(tag) else None


def _mostly_links(tag: Tag) -> bool:
    """Half its text or more in links: a menu, not prose a page put in a `<nav>`."""
    linked = sum(len(link.get_text(strip=True)) for link in tag.find_all("a"))
    return 2 * linked >= len(tag.get_text(strip=True))


def _is_page_footer(tag: Tag) -> bool | None:
    """The page's footer: a `<footer>`, role contentinfo, or an element its class or id names
    a footer (`_named_footer`); None for an article, a section or a quote, whose footer is its
    own."""
    roles = str(tag.get("role") or "").lower().split()
    if tag.name == "footer" or "contentinfo" in roles or _named_footer(tag):
        return True
    if tag.name in _SECTIONS or not _SECTION_ROLES.isdisjoint(roles):
        return None
    return False


def _named_footer(tag: Tag) -> bool:
    """Whether its class or id names a footer ("footer", "site-footer", "siteFooter"), as a
    page without HTML5's `<footer>` marks one; not a wrapper of the page so named (one holding
    its `<main>`, an `<article>` or its `<h1>`: "page-with-footer")."""
    names = [*tag.get_attribute_list("class"), *tag.get_attribute_list("id")]
    if not any(_FOOTER_NAME.search(str(name)) for name in names if name):
        return False
    return tag.find(_PAGE_CONTENT) is None


def _links_and_notices(footer: Tag) -> tuple[list[PageElement], int]:
    """The parts of a footer that are mostly links and notices, and their characters, each
    block and line judged on its own: a line (the text and inline elements between blocks
    and line breaks), and a block all of whose lines are, whole (a list of links, with its
    bullets). One walk up from its innermost blocks, which a page nested thousands deep
    allows."""
    found: dict[int, tuple[list[PageElement], int, int]] = {}  # (parts, shown, theirs)
    stack: list[tuple[Tag, bool]] = [(footer, False)]  # (block, its blocks judged)
    while stack:
        block, judged = stack.pop()
        inner = [child for child in block.contents if child.name in _FOOTER_BLOCKS]
        if not judged:
            stack.append((block, True))
            stack.extend((child, False) for child in inner)
            continue
        parts: list[PageElement] = []
        shown = theirs = 0
        for line in _lines_between_blocks(block):
            counts = [_shown_and_boilerplate(node) for node in line]
            line_shown = sum(chars for chars, _ in counts)
            boilerplate = sum(chars for _, chars in counts)
            shown += line_shown
            if line_shown and 2 * boilerplate >= line_shown:
                parts += line
                theirs += line_shown
        for child in inner:
            child_parts, child_shown, child_theirs = found.pop(id(child))
            parts += child_parts
            shown, theirs = shown + child_shown, theirs + child_theirs
        whole = shown > 0 and theirs == shown
        found[id(block)] = ([block], shown, shown) if whole else (parts, shown, theirs)
    parts, _, theirs = found[id(footer)]
    return parts, theirs


def _lines_between_blocks(block: Tag) -> list[list[PageElement]]:
    """The runs of text and inline elements directly in `block`, as a browser draws each on
    a line of its own between its blocks and line breaks, each with the break ending it."""
    lines: list[list[PageElement]] = [[]]
    for child in block.contents:
        if child.name in _FOOTER_BLOCKS:
            lines.append([])
            continue
        lines[-1].append(child)
        if child.name == "br":
            lines.append([])
    return [line for line in lines if line]


def _shown_and_boilerplate(node: PageElement) -> tuple[int, int]:
    """The characters of its text, and of those in links, notices and the marks between them,
    counted in one walk down: asking each piece of text for a link above it would climb a
    page nested thousands deep once for every piece."""
    from bs4 import CData, NavigableString

    shown_kinds = (NavigableString, CData)  # what get_text reads: not comments
    boilerplate = shown = 0
    stack: list[tuple[PageElement, bool]] = [(node, _site_link(node))]  # (node, in a link)
    while stack:
        element, in_link = stack.pop()
        if element.name is not None:
            stack.extend((child, in_link or _site_link(child)) for child in element.contents)
        elif type(element) in shown_kinds:
            chars = len(element.strip())
            shown += chars
            if in_link or _NOTICE.search(element) or not _WORD.search(element):
                boilerplate += chars
    return shown, boilerplate


def _site_link(node: PageElement) -> bool:
    """A link to a page, not one that calls or writes to the page's owner (`tel:`,
    `mailto:`): a footer's phone number and e-mail address are its content."""
    return node.name == "a" and not _CONTACT_LINK.match(str(node.get("href") or ""))


def name_values_by_header(table: Tag) -> None:
    """Rewrite a data table's rows so that each names its values by the header's columns,
    as a sheet's rows do ("Model: K200; Capacity: 1.7 litres"): a row quoted alone still says
    what its numbers are. Merged cells (`colspan`, `rowspan`) are spread over the grid a
    browser draws, each one's text in every cell it covers, as HTML's table model has it;
    the header rows (`<th>` cells alone, or `<thead>`) name a column together ("Price per
    night Weekday"), under a first row of one text across the table, which is its title
    ("Price list 2026") and names none. Only a table that marks its header, of short cells,
    no table inside: a page laid out in a table's cells is left as it is."""
    if table.find("table") is not None:
        return
    rows = table.find_all("tr")
    cells = [row.find_all(_CELLS, recursive=False) for row in rows]
    if len(rows) < 2 or not cells[0]:
        return
    grid = _table_grid(cells)
    if grid is None or any(len(text) > MAX_NAMED_CELL_CHARS for row in grid for _, text in row):
        return
    titled = int(_is_title(grid[0]))
    heads = titled + _header_rows(rows[titled:], cells[titled:], grid[titled:])
    header = _column_names(grid[titled:heads])
    if heads == titled or sum(1 for name in header if name) < 2:
        return
    for at, (row, row_cells, values) in enumerate(zip(rows, cells, grid, strict=True)):
        row.clear()
        if at < titled:
            row.append(_once_each(values))
        elif at == titled:
            row.append(cells_line(header))
        elif at >= heads:
            texts = [text for _, text in values]
            # a section's title spanning the table is one line, not its text once a column
            row.append(_once_each(values) if _is_section_title(row_cells, values)
                       else named_row(header, texts))


# a grid of more cells than this, spans multiplying a table's size, is left as it is laid out
_MAX_GRID_CELLS = 100_000
# HTML's bounds on a cell's spans: browsers read a larger one as these
_MAX_COLSPAN, _MAX_ROWSPAN = 1000, 65534


def _table_grid(cells: list[list[Tag]]) -> list[list[tuple[int, str]]] | None:
    """Each row's cells by column, as a browser places them (HTML's table model): a cell
    after those that rows above span into its row, its text (and the cell's id, which tells
    one spanned cell from two equal ones) in every column and row it spans; a row short of
    the widest one's columns filled with empty cells. None when it would hold more than
    _MAX_GRID_CELLS."""
    placed: dict[tuple[int, int], tuple[int, str]] = {}
    width = 0
    for at, row in enumerate(cells):
        column = 0
        for cell in row:
            while (at, column) in placed:
                column += 1
            across = _span(cell, "colspan", _MAX_COLSPAN)
            # zero spans the rest of the table, as it spans the rest of its section
            down = _span(cell, "rowspan", _MAX_ROWSPAN) or len(cells) - at
            down = min(down, len(cells) - at)
            if len(placed) + across * down > _MAX_GRID_CELLS:
                return None
            text = (id(cell), " ".join(cell.get_text(" ").split()))
            for row_at in range(at, at + down):
                for column_at in range(column, column + across):
                    placed[(row_at, column_at)] = text
            column += across
            width = max(width, column)
    if len(cells) * width > _MAX_GRID_CELLS:
        return None
    return [[placed.get((at, column), (0, "")) for column in range(width)]
            for at in range(len(cells))]


def _span(cell: Tag, name: str, most: int) -> int:
    """A cell's `colspan` or `rowspan` as a browser reads it: a whole number, 1 when it is
    missing or no number, at most `most`; a `rowspan` of 0 kept (the rest of the table)."""
    found = re.match(r"\s*(\d+)", str(cell.get(name, "1")))
    number = int(found.group(1)) if found else 1
    return min(number, most) if number or name == "rowspan" else 1


def _header_rows(rows: list[Tag], cells: list[list[Tag]],
                 grid: list[list[tuple[int, str]]]) -> int:
    """How many rows open the table as its header: those of its `<thead>`, else its first
    row of `<th>` cells and those of `<th>` cells under it naming two columns or more
    ("Weekday | Weekend") and filling every column, with the cells spanning down into it;
    0 when the first row is none. A row of `<th>` cells with one text, or short of the
    table's columns, is a section's title ("Travel kettles", "North | site")."""
    if rows[0].find_parent("thead") is not None:
        return sum(1 for _ in takewhile(lambda row: row.find_parent("thead") is not None, rows))
    if not _all_headings(cells[0]):
        return 0
    count = 1
    while (count < len(rows) and _all_headings(cells[count])
           and len({cell for cell in grid[count] if cell[1]}) >= 2
           and all(cell_id for cell_id, _ in grid[count])):
        count += 1
    return count


def _is_section_title(row_cells: list[Tag], values: list[tuple[int, str]]) -> bool:
    """A row under the header that is a section's title ("Suites"): `<th>` cells alone, or
    one cell of the row's own spanning every column ("<td colspan="3">Training</td>"), a
    heading of the rows under it, not a value of each column."""
    spans_the_table = len(row_cells) == 1 and len({cell_id for cell_id, _ in values}) == 1
    return _all_headings(row_cells) or (spans_the_table and len(values) >= 2)


def _is_title(first_row: list[tuple[int, str]]) -> bool:
    """A first row of one text across a table of two columns or more (a cell spanning them
    all, or one beside empty ones): the table's title, as a `<caption>` is, written once above
    the header; the rows under it name the columns. Taken as the header's top row, its words
    would open every column's name ("Price list 2026 Room")."""
    return len(first_row) >= 2 and len({cell for cell in first_row if cell[1]}) == 1


def _column_names(header_rows: list[list[tuple[int, str]]]) -> list[str]:
    """Each column's name: the texts its header rows give it, top down, a cell spanning
    several of them once ("Room"; "Price per night Weekday")."""
    if not header_rows:
        return []
    names = []
    for column in zip(*header_rows, strict=True):
        cells = list(dict.fromkeys(cell for cell in column if cell[1]))
        names.append(" ".join(text for _, text in cells))
    return names


def _once_each(values: list[tuple[int, str]]) -> str:
    """A row's cells, each spanned cell once, as a line ("Suites", not "Suites | Suites")."""
    return cells_line([text for _, text in dict.fromkeys(values)])


def _all_headings(cells: list[Tag]) -> bool:
    return bool(cells) and all(cell.name == "th" for cell in cells)


def _hidden(tag: Tag) -> bool:
    return tag.has_attr("hidden") or bool(_HIDDEN_STYLE.search(str(tag.get("style") or "")))


def layout(root: Tag) -> str:
    """The text as a browser shows it: white space in the source collapsed (but in `<pre>`),
    each block element (paragraph, heading, list item, a definition's term and its text, a
    table's row) a paragraph of its own, a list's item after the bullet or number it is
    drawn with, inline elements (`<a>`, `<code>`, `<em>`) inside
    the sentence that holds them, a definition's term leading into its text. Read with one
    line per text node instead, "Members can read /var/log , and" kept a space before the
    comma, and a term ran into its text as if part of its first sentence ("adm Group adm is
    used...")."""
    from bs4 import CData, NavigableString

    shown = (NavigableString, CData)  # not comments, doctypes or processing instructions
    parts: list[str] = []
    # (node, inside <pre>) to enter, or a string to emit when a block element ends
    stack: list[tuple[PageElement, bool] | str] = [(root, False)]
    numbers: dict[int, int] = {}  # an ordered list's items' numbers, by id
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        node, pre = item
        if isinstance(node, NavigableString):
            if type(node) in shown:
                text = str(node).replace(_TERM_END, "").replace(_VERBATIM, "").replace(BOX, "")
                parts.append(_lines(text, True) if pre else _SPACE.sub(" ", text))
            continue
        name = node.name
        if name == _TAB_TITLE:
            continue
        if name == "br":
            parts.append(_lines("\n", pre))
            continue
        inner = pre or name == "pre"
        if name in BLOCKS or name == "dt":
            parts.append(_lines("\n\n", inner))
        elif name in BOXES:
            parts.append(_box(pre))
        if name == "ol":
            numbers.update(_item_numbers(node))
        elif name == "li":
            parts.append(f"{numbers[id(node)]}." if id(node) in numbers else LIST_BULLET)
            parts.append(_ITEM_MARK_END)
        after = ("\n\n" if name in BLOCKS else " " if name in _CELLS
                 else _box(pre) if name in BOXES else _defined(node) if name == "dt" else "")
        if after:  # what follows a `<pre>` is tidied again
            stack.append(_lines(after, pre))
        stack.extend((child, inner) for child in reversed(node.contents))
    text = _TERM_JOIN.sub(_join_term, _ITEM_JOIN.sub(" ", boxes_as_spaces("".join(parts))))
    lines = (_tidy_line(line) for line in text.split("\n"))
    # only line breaks: a `<pre>` opening the page keeps its first line's indentation
    return _PARAGRAPHS.sub("\n\n", "\n".join(lines)).strip("\n")


# an `<ol>`'s or `<li>`'s `type`, as a kind of list numbering (the case tells "a" from "A")
_NUMBER_KINDS = {"1": "decimal", "a": "lowerLetter", "A": "upperLetter", "i": "lowerRoman",
                 "I": "upperRoman"}


def _item_numbers(ordered: Tag) -> dict[int, str]:
    """The number a browser draws before each item of an `<ol>`, by the item's id: from its
    `start` (a `reversed` list's from its count of items), one more each (one less); an
    item's `value` numbers it and those after it; written as the item's `type` or the list's
    says ("c", "IV")."""
    items = ordered.find_all("li", recursive=False)
    step = -1 if ordered.has_attr("reversed") else 1
    number = whole_number(ordered.get("start"), len(items) if step < 0 else 1)
    list_kind = _NUMBER_KINDS.get(str(ordered.get("type")), "decimal")
    numbers = {}
    for item in items:
        number = whole_number(item.get("value"), number)
        numbers[id(item)] = written_number(number, _NUMBER_KINDS.get(str(item.get("type")),
                                                                     list_kind))
        number += step
    return numbers


def _box(pre: bool) -> str:
    """What stands for a box's either side: a space in a `<pre>`, whose spaces are kept as
    written, else a mark `boxes_as_spaces` reads against the words and punctuation around."""
    return " " if pre else BOX


def _lines(text: str, verbatim: bool) -> str:
    """`text` with each line it starts marked as a `<pre>`'s when `verbatim`, for
    `_tidy_line`."""
    return text.replace("\n", "\n" + _VERBATIM) if verbatim else text


def _tidy_line(line: str) -> str:
    """A line without the spaces that collapsing the source's white space leaves at its ends
    and between its elements' texts; a `<pre>` line keeps its indentation and spaces."""
    verbatim = line.startswith(_VERBATIM)
    line = line.replace(_VERBATIM, "")
    # rstrip(): a CRLF's \r too
    return line.rstrip() if verbatim else _SPACES.sub(" ", line.strip(" \t"))


def _defined(term: Tag) -> str:
    """What ends a term: a lead into the definition that follows it, or a paragraph's end
    when none does (a table of contents' entries)."""
    following = term.find_next_sibling()
    return _TERM_END if following is not None and following.name == "dd" else "\n\n"


def _join_term(match: re.Match[str]) -> str:
    """A term and its definition's first paragraph as one line ("sudo: Members of ..."); a
    question's its own line, as an FAQ's heading is ("Can I export my data?")."""
    term = match.group(1).strip(" \t")
    if not term:
        return ""
    if term.endswith("?"):
        return f"{term}\n"
    return f"{term} " if term[-1] in _CLOSING else f"{term}: "
