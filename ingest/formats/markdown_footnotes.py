"""Footnotes in Markdown (GitHub's, Pandoc's: `board[^1].` and `[^1]: Card payments only.`),
read as the rendered page shows them.

A rendered page draws a reference as a small number and the notes in a list at the page's
end, without their brackets. Read as written, `[^1]` stays in the sentence an answer quotes,
and the note, `[^1]: Card payments only since March 2023.`, is a line of the last passage,
quoted beside whatever that passage answers. So the notes are taken out of the text, each a
passage of its own (`footnote_passages`), and the references are left out of the sentences
that hold them (`reference_marks`). markdown-it's footnote plugin tells a note from text that
looks like one (in fenced code, an indented block).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

# a note's definition opening its line: without one, a file has no notes to parse for
_DEFINITION = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:", re.MULTILINE)


class Footnote(NamedTuple):
    label: str  # what its references and its definition name it by: "1", "card"
    text: str  # its paragraphs, as Markdown, a blank line between two


def footnotes_apart(markdown: str) -> tuple[str, list[Footnote]]:
    """The text without its footnotes' definitions (each note's lines, its paragraphs
    indented under it too), and the notes, in the order they are defined. Only the blocks
    are parsed: a note's place and paragraphs are all it takes, and reading every sentence's
    inline Markdown too would take seconds over a long file."""
    if _DEFINITION.search(markdown) is None:
        return markdown, []
    parser = MarkdownIt("commonmark").use(footnote_plugin)
    parser.core.ruler.enableOnly(["normalize", "block"])
    notes, spans = [], []
    for definition, inside in _definitions(parser.parse(markdown)):
        if definition.map is None:
            continue
        spans.append((definition.map[0], definition.map[1]))
        text = "\n\n".join(token.content for token in inside if token.type == "inline")
        if text.strip():
            notes.append(Footnote(str(definition.meta["label"]), text))
    return _without_lines(markdown, spans), notes


def reference_marks(notes: list[Footnote]) -> re.Pattern[str] | None:
    """What a reference to one of the notes is written as (`[^1]`), for leaving it out of
    its sentence; None without notes. A bracket naming no note is text, as the page shows."""
    if not notes:
        return None
    labels = "|".join(re.escape(label) for label in dict.fromkeys(n.label for n in notes))
    return re.compile(rf"\[\^(?:{labels})\]")


def _definitions(tokens: list[Token]) -> list[tuple[Token, list[Token]]]:
    """Each note's opening token (its label, its lines) and the tokens its definition
    holds."""
    found: list[tuple[Token, list[Token]]] = []
    inside: list[Token] | None = None
    for token in tokens:
        if token.type == "footnote_reference_open":
            inside = []
            found.append((token, inside))
        elif token.type == "footnote_reference_close":
            inside = None
        elif inside is not None:
            inside.append(token)
    return [(opening, held) for opening, held in found if opening.meta.get("label")]


def _without_lines(markdown: str, spans: list[tuple[int, int]]) -> str:
    """`markdown` without the lines from each span's start up to its end, nor the blank
    lines after it, which parted the note from what follows."""
    lines = markdown.split("\n")
    dropped = set()
    for start, end in spans:
        while end < len(lines) and not lines[end].strip():
            end += 1
        dropped.update(range(start, end))
    return "\n".join(line for at, line in enumerate(lines) if at not in dropped)
