"""HTML and images inside Markdown, read as the rendered page shows it.

A README opens with a centred title and badges written in HTML (`<h1 align="center">`,
`<a href=...><img src=...></a>`), and its prose may hold a link, an abbreviation or an entity
(`&mdash;`). Read as written, an answer quotes `</a> <a href=...><img src=...>`, and the
search reads `img`, `src` and `align` as the page's words. Only the names of HTML's elements
are read as tags: Markdown's autolinks (`<https://...>`) and a type's brackets
(`List<String>`) are text. An image, HTML's or Markdown's (`![logo](logo.png)`, a badge
`[![build](badge.svg)](ci)`), is no text either; a frame, a player or a form's control is read
as an .html file's reading reads it (`html_elements`). Code (a fenced block, a code span) is the
caller's to keep out.
"""

from __future__ import annotations

import html
import re

from ingest.formats.base import LIST_BULLET
from ingest.formats.html_elements import (
    BLOCKS,
    BOX,
    BOXES,
    NOT_SHOWN,
    SVG_TEXT,
    UNREAD_INSIDE,
    boxes_as_spaces,
)


def _whole_elements(names: frozenset[str]) -> re.Pattern[str]:
    """The named elements, start tag to end tag, what they hold the second group (each
    pattern stops at the next tag of its kind, or at the next "<" in its start tag: a file
    of unclosed tags is read in linear time)."""
    return re.compile(rf"<({'|'.join(sorted(names))})\b[^<>]*>((?:(?!</?\1\b).)*?)</\1\s*>",
                      re.IGNORECASE | re.DOTALL)


# elements whose content the page does not show, as an .html file's (`html_elements`)
_UNSHOWN = _whole_elements(NOT_SHOWN)
# boxes whose content is for a browser that cannot play or draw them (a video's "Your browser
# does not support video"), or a form's choices (a `<select>`'s): the box alone is drawn
_UNREAD_BOXES = _whole_elements(UNREAD_INSIDE)
# an SVG drawing, of which only its `<text>` and what a `<foreignObject>` holds are drawn
_SVG = _whole_elements(frozenset({"svg"}))
_SVG_TEXT = _whole_elements(SVG_TEXT)
_HEADING = re.compile(r"<h([1-6])\b[^<>]*>((?:(?!</?h[1-6]\b).)*?)</h\1\s*>",
                      re.IGNORECASE | re.DOTALL)
# a ruby (furigana over kanji: `<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>`), whose base
# is read, as an .html file's and a Word document's are, not its reading (`<rt>`) nor the
# brackets drawn around it where ruby is not (`<rp>`); an `<rt>` or an `<rp>` ends at the
# next one, or at the ruby's end, where its end tag is left out, as HTML allows
_RUBY = re.compile(r"<ruby\b[^<>]*>(?:(?!</?ruby\b).)*?</ruby\s*>", re.IGNORECASE | re.DOTALL)
_RUBY_ANNOTATION = re.compile(r"<(rt|rp)\b[^<>]*>(?:(?!</?r[tp]\b).)*(?:</\1\s*>)?",
                              re.IGNORECASE | re.DOTALL)
# a ruby's container of annotations (`<rtc>`: a second reading, a gloss set below the base),
# all it holds, its readings, its text, its tags; to its end tag, or to the ruby's end
_RUBY_TEXT_CONTAINER = re.compile(r"<rtc\b[^<>]*>.*?(?:</rtc\s*>|\Z)",
                                  re.IGNORECASE | re.DOTALL)
# a tag, its attributes quoted or not, over several lines if need be
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)(?:\s(?:[^<>\"']|\"[^\"<>]*\"|'[^'<>]*')*)?/?>")
# elements that stand on lines of their own, as blocks: a definition's term and a table's
# cells too, which an .html file's reading joins to their definition and row
_BLOCKS = BLOCKS | {"dt", "td", "th"}
# elements drawn within a line, or not drawn as text at all (a badge's `<picture>`)
_INLINE = frozenset(
    "a abbr area b bdi bdo big cite code data del dfn em font i ins kbd label map mark "
    "optgroup option output param picture q rb rp rt rtc ruby s samp small source span "
    "strike strong sub sup time track tt u var wbr".split())
# a Markdown image, or a link around one (a badge), its title given or not (no part runs
# past the next bracket: a file of images never closed is read in linear time)
_IMAGE = re.compile(r"\[!\[[^\[\]\n]*\]\([^()\s]*(?:\s+\"[^\"\n()]*\")?\)\]\([^()\s]*\)"
                    r"|!\[[^\[\]\n]*\]\([^()\s]*(?:\s+\"[^\"\n()]*\")?\)")
# a line break inside a table's row ("|Conv|Only 2D.<br/>Weights constant.|") is a space:
# the row is one line
_TABLE_ROW = re.compile(r"^.*\|.*$", re.MULTILINE)
_LINE_BREAK = re.compile(r"<br\b[^<>]*>", re.IGNORECASE)
_RENDERED = "\x03"  # marks a line a tag was taken from: its indentation was the HTML's
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")


def rendered(prose: str, *, opens_line: bool = True, closes_line: bool = True) -> str:
    """`prose` (Markdown outside code) with its HTML read as text: a block element on lines
    of its own, a heading as Markdown's (`<h1>Typer</h1>` is `# Typer`), a list item after a
    bullet, a line break a new line, entities as their characters, a ruby as its base, an
    SVG as the text it draws, a box (an iframe, a player, a button, a form's field) as a
    space between the words around it, its fallback text left out as an .html file's
    reading leaves it; an image (HTML's or Markdown's), a script, a style and a `<datalist>`
    are not text. A line that held a tag loses the spaces at its ends, which were the
    HTML's; `prose` cut from a line at a code span does not open or close the line
    (`opens_line`, `closes_line`), and the space it has next to the code is kept."""
    if "<" not in prose and "&" not in prose and "![" not in prose:
        return prose
    text = _IMAGE.sub(_RENDERED, prose)
    if "<br" in text.lower():
        text = _TABLE_ROW.sub(lambda row: _LINE_BREAK.sub(" ", row.group()), text)
    text = _UNSHOWN.sub("", text)
    text = _UNREAD_BOXES.sub(_RENDERED + BOX, text)
    text = _SVG.sub(_svg_text, text)
    text = _RUBY.sub(_ruby_base, text)
    text = _HEADING.sub(_heading, text)
    text = _TAG.sub(_tag, text)
    if _RENDERED in text:
        lines = text.split("\n")
        last = len(lines) - 1
        text = "\n".join(
            _tidied(line, opens_line or at > 0, closes_line or at < last)
            if _RENDERED in line else line for at, line in enumerate(lines))
        text = _BLANK_LINES.sub("\n\n", text)
    return html.unescape(text)


def _tidied(line: str, opens: bool, closes: bool) -> str:
    """A line that held a tag, its boxes read as spaces (`boxes_as_spaces`), without the
    spaces at the ends it `opens` or `closes` of a line of the file."""
    line = boxes_as_spaces(line.replace(_RENDERED, ""))
    line = line.lstrip() if opens else line
    return line.rstrip() if closes else line


def _svg_text(found: re.Match[str]) -> str:
    """An SVG drawing as a box holding the words it draws, their own tags (`<tspan>`) left
    out."""
    drawn = (_TAG.sub(" ", part.group(2)) for part in _SVG_TEXT.finditer(found.group(0)))
    words = " ".join(" ".join(drawn).split())
    return f"{_RENDERED}{BOX}{words}{BOX}" if words else f"{_RENDERED}{BOX}"


def _ruby_base(found: re.Match[str]) -> str:
    """A ruby's base text, its tags read as any inline element's."""
    return _RUBY_ANNOTATION.sub("", _RUBY_TEXT_CONTAINER.sub("", found.group(0)))


def _heading(found: re.Match[str]) -> str:
    words = " ".join(_TAG.sub(" ", found.group(2)).split())
    return f"{_RENDERED}\n\n{'#' * int(found.group(1))} {words}\n\n" if words else _RENDERED


def _tag(found: re.Match[str]) -> str:
    name = found.group(1).lower()
    closing = found.group(0).startswith("</")
    if name == "br":
        return f"{_RENDERED}\n{_RENDERED}"
    if name == "li":
        return _RENDERED if closing else f"{_RENDERED}\n\n{LIST_BULLET} "
    if name in _BLOCKS:
        return f"{_RENDERED}\n\n{_RENDERED}"
    if name in BOXES:
        return _RENDERED + BOX
    if name in _INLINE:
        return _RENDERED
    return found.group(0)  # no element of HTML's: a type's brackets, text as written
