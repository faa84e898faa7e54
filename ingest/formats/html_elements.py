"""HTML's elements by how a browser draws them: shared by an .html file's reading (`web`) and
the reading of a Markdown file's inline HTML (`markdown_html`), so that both show the same
text of one element."""

from __future__ import annotations

import re

# a definition's term (<dt>) is one too, but leads into its definition (`web`)
BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "caption", "dd", "details", "dialog", "div",
    "dl", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hgroup", "hr", "legend", "li", "main", "nav", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
    "center", "dir", "menu"})  # older HTML's, blocks still
# never shown as text; a `<noembed>`'s is for a browser without `<embed>`, a `<noframes>`'s
# for one without frames, which none lacks; a `<datalist>`'s options are what a form's box
# suggests as one types in it, never drawn in the page
NOT_SHOWN = frozenset({"script", "style", "noscript", "template", "noembed", "noframes",
                       "datalist"})
# what these hold is for a browser that cannot play or draw them (a `<video>`'s "Your
# browser does not support video"), or, an `<iframe>`'s, shown by none; an `<object>`'s is
# shown whenever its file cannot be (a plug-in's), and is kept. A `<select>`'s options are
# a form's choices, listed under the control when it is clicked, not the page's prose
UNREAD_INSIDE = frozenset({"video", "audio", "canvas", "iframe", "select"})
# inside an `<svg>` only these draw text: a `<title>` is a tooltip, a `<desc>` or stray text
# is never drawn; a `<foreignObject>` draws the HTML it holds
SVG_TEXT = frozenset({"text", "foreignobject"})  # html.parser writes names in lower case
# drawn as a box of their own (a picture, an icon, a player, a form's control), which stands
# between the words on either side: "Press the [icon] button", not "thebutton"; an
# `<input>`'s value is an attribute, no text of the page
BOXES = frozenset({"img", "svg", "video", "audio", "canvas", "iframe", "object", "embed",
                   "input", "button", "select", "textarea", "meter", "progress"})

# marks where a box stood in a reading's text, for `boxes_as_spaces`
BOX = "\x04"
# a run of boxes and the spaces around it (the lookbehind starts a match only at a run's
# start: a long run of spaces is read once)
_BOX_RUN = re.compile(r"(?<![ \t])[ \t]*\x04[ \t\x04]*")
# punctuation that a browser draws against the box beside it, with no space between them
_OPENING = frozenset("([{")
_CLOSING = frozenset(".,;:!?)]}”’»›")


def boxes_as_spaces(text: str) -> str:
    """`text` with each run of boxes (`BOX`) and the spaces around it read as one space
    between the words on either side, as none next to punctuation that closes before it
    or opens after it: `Press <button>Send</button>.` is `Press Send.`, not `Press Send .`"""
    return _BOX_RUN.sub(_box_space, text)


def _box_space(run: re.Match[str]) -> str:
    text, start, end = run.string, run.start(), run.end()
    opened = start > 0 and text[start - 1] in _OPENING
    closing = end < len(text) and text[end] in _CLOSING
    return "" if opened or closing else " "
