"""Footnotes in Markdown (GitHub's, Pandoc's: `board[^1].` and `[^1]: Card payments only.`;
Pandoc's inline notes, `at 9.^[Except on public holidays.]`), read as the rendered page shows
them.

A rendered page draws a reference as a small number and the notes in a list at the page's
end, without their brackets. Read as written, `[^1]` stays in the sentence an answer quotes,
and the note, `[^1]: Card payments only since March 2023.`, is a line of the last passage,
quoted beside whatever that passage answers; an inline note is quoted inside its sentence.
So the notes are taken out of the text, each a passage of its own (`footnotes_apart`), and
the references are left out of the sentences that hold them (`reference_marks`). A note no
reference points to is not shown by the page, and is left out. markdown-it's footnote plugin
tells a note from text that looks like one (in code, an indented block) and numbers the
notes as the page does; a regular expression's anchor and character class written in prose
(`^[0-9]+`) is no inline note (`_reads_as_pattern`). A note is read as plain text, as the page
shows it (`plain_text`): its emphasis and its links' addresses left out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple

from markdown_it import MarkdownIt
from markdown_it.helpers import parseLinkLabel
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.footnote.index import footnote_inline

# a note's definition opening its line: without one, a file has no notes to parse for
_DEFINITION = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:", re.MULTILINE)
_INLINE_OPENING = "^["
# what opens a word, before a regular expression's caret ("matches ^[0-9]+", "(^[a-z])")
_OPENS_WORD = frozenset(" \t\n([{\"'")
# a regular expression's quantifier, after its character class ("^[0-9]+", "^[a-z]{2}")
_QUANTIFIERS = frozenset("+*?{")
_REFERENCE_OPENING = "[^"


class Footnote(NamedTuple):
    name: str  # what it is cited by (`_named`)
    text: str  # its paragraphs, as Markdown, a blank line between two
    label: str | None  # what its references name it by (`[^card]`); None for an inline note


@dataclass
class _InlineNote:
    """An inline note as the parser found it."""

    number: int  # the plugin's: the page numbers all notes from 0 in the order they are met
    start: int  # where its `^[` opens, in the text it is written in
    end: int  # past its `]`
    within: int | None = None  # the inline note it is written in, if any
    block: Token | None = None  # else the block text (an `inline` token) it is written in


class _Shown(NamedTuple):
    """A note the page shows."""

    number: int  # the page's, from 0
    label: str | None
    text: str


# inline notes by where they are written
_Placed = defaultdict[int, list[_InlineNote]]


def footnotes_apart(markdown: str) -> tuple[str, list[Footnote]]:
    """The text without its footnotes (each definition's lines, its paragraphs indented under
    it too; each inline note), and the notes a reference points to, in the page's order.
    Only the blocks are parsed, and the inline Markdown of those holding a note's mark: a
    note's place and paragraphs are all it takes, and reading every sentence's inline
    Markdown too would take seconds over a long file."""
    if _DEFINITION.search(markdown) is None and _INLINE_OPENING not in markdown:
        return markdown, []
    found: list[_InlineNote] = []
    parser = _parser(found)
    env: dict[str, Any] = {}
    tokens = parser.parse(markdown, env)
    _parse_marked_blocks(parser, tokens, env, found)
    notes = _Notes(markdown, env.get("footnotes", {}), found)
    notes.add_definitions(_definitions(tokens))
    notes.add_inline(found)
    return notes.text(), _named(notes.shown())


def _named(shown: list[_Shown]) -> list[Footnote]:
    """The notes, each named by its label (`[^card]` is `card`), or in a file holding inline
    notes, which have none, all by the number the page draws: `[^1]` met third is `3`, which
    a note's label and another's number could not both be called."""
    by_label = all(note.label is not None for note in shown)
    return [Footnote(str(note.label) if by_label else str(note.number + 1), note.text,
                     note.label) for note in shown]


def reference_marks(notes: list[Footnote]) -> re.Pattern[str] | None:
    """What a reference to one of the notes is written as (`[^1]`), for leaving it out of
    its sentence; None without notes. A bracket naming no note is text, as the page shows."""
    labels = "|".join(re.escape(label) for label in dict.fromkeys(
        note.label for note in notes if note.label is not None))
    return re.compile(rf"\[\^(?:{labels})\]") if labels else None


class _Notes:
    """A file's notes as they are read: the text they are taken out of, and those the page
    shows, by the number it gives them."""

    def __init__(self, markdown: str, listed: dict[str, Any], found: list[_InlineNote]) -> None:
        self.markdown = markdown
        self.line_starts = _line_starts(markdown)
        self.listed = listed
        # a label's number, once a reference names it
        self.numbers = {label[1:]: number for label, number in listed.get("refs", {}).items()
                        if number >= 0}
        self.in_blocks, self.in_notes = _written_in(found)
        self.cuts: list[tuple[int, int]] = []  # the file's characters they are written in
        self.numbered: list[_Shown] = []
        self.kept_blocks: dict[int, bool] = {}  # a definition's blocks: is its note shown

    def add_definitions(self, definitions: list[tuple[Token, list[Token]]]) -> None:
        for definition, inside in definitions:
            label = str(definition.meta["label"])
            self.kept_blocks.update((id(token), label in self.numbers) for token in inside)
            if definition.map is None:
                continue
            self.cuts.append(_lines_span(self.markdown, self.line_starts, *definition.map))
            text = "\n\n".join(_without_notes(token.content, self.in_blocks[id(token)])
                               for token in inside if token.type == "inline")
            if label in self.numbers and text.strip():
                self.numbered.append(_Shown(self.numbers[label], label, text))

    def add_inline(self, found: list[_InlineNote]) -> None:
        """Each inline note the page shows: one in the text, taken out of it (left as
        written where it is not found there), one in a note the page shows, or in one."""
        shown: dict[int, bool] = {}
        for note in sorted(found, key=lambda note: note.number):  # an outer note first
            if note.within is not None:
                shown[note.number] = shown[note.within]
            elif id(note.block) in self.kept_blocks:
                shown[note.number] = self.kept_blocks[id(note.block)]
            else:
                span = _source_span(self.markdown, self.line_starts, note)
                shown[note.number] = span is not None
                self.cuts += [span] if span else []
            content = self.listed["list"][note.number]["content"]
            if shown[note.number] and content.strip():
                text = _without_notes(content, self.in_notes[note.number])
                self.numbered.append(_Shown(note.number, None, text))

    def text(self) -> str:
        return _without_spans(self.markdown, self.cuts)

    def shown(self) -> list[_Shown]:
        """The notes the page shows, in its order."""
        return sorted(self.numbered, key=lambda note: note.number)


def _parser(found: list[_InlineNote]) -> MarkdownIt:
    """A parser of blocks only, with the footnote plugin; their text, parsed once the blocks
    are (`_parse_marked_blocks`), lists its inline notes in `found` with their places, an
    outer note after those written in it."""
    parser = MarkdownIt("commonmark").use(footnote_plugin)
    parser.core.ruler.enableOnly(["normalize", "block"])

    def inline_note(state: StateInline, silent: bool) -> bool:
        start, first_inside = state.pos, len(found)
        if _reads_as_pattern(state) or not footnote_inline(state, silent):
            return False
        if not silent:
            number = state.tokens[-1].meta["id"]
            for note in found[first_inside:]:
                if note.within is None:
                    note.within = number
            found.append(_InlineNote(number, start, state.pos))
        return True

    parser.inline.ruler.at("footnote_inline", inline_note)
    return parser


def _reads_as_pattern(state: StateInline) -> bool:
    """Whether the `^[...]` at the parser's place is a regular expression's anchor and
    character class written in prose ("matches ^[0-9]+", "^[a-z] for letters"), not an inline
    note: a class of no space that opens a word, where a note's mark follows the word or the
    stop it annotates ("at 9.^[Except ...]"), or a class a quantifier follows."""
    start, src = state.pos, state.src
    if not src.startswith(_INLINE_OPENING, start):
        return False
    end = parseLinkLabel(state, start + 1)
    if end < 0 or any(char.isspace() for char in src[start + 2:end]):
        return False
    opens_word = start == 0 or src[start - 1] in _OPENS_WORD
    return opens_word or src[end + 1:end + 2] in _QUANTIFIERS


def plain_text(markdown: str) -> str:
    """A note's paragraphs (a blank line between two) as the page shows them: without the
    marks of their emphasis (`**card**`), a link as its words (`[the portal](https://...)` is
    `the portal`), code spans as written."""
    parser = MarkdownIt("commonmark")
    return "\n\n".join("".join(_shown(token) for block in parser.parseInline(paragraph)
                                 for token in block.children or [])
                         for paragraph in markdown.split("\n\n"))


def _shown(token: Token) -> str:
    """What an inline token shows as text: its words, none for a mark, a line break's."""
    if token.type in ("text", "html_inline"):
        return token.content
    if token.type == "code_inline":
        return f"{token.markup}{token.content}{token.markup}"
    return "\n" if token.type in ("softbreak", "hardbreak") else ""


def _parse_marked_blocks(parser: MarkdownIt, tokens: list[Token], env: dict[str, Any],
                         found: list[_InlineNote]) -> None:
    """Parse the inline Markdown of the blocks that may hold a reference or an inline note,
    in the page's order, which numbers the notes; each note found is told its block. Past
    the last inline note, once every note is referred to, the rest can change no number."""
    marked = [token for token in tokens if token.type == "inline" and (
        _INLINE_OPENING in token.content or _REFERENCE_OPENING in token.content)]
    last_inline = max((at for at, token in enumerate(marked)
                       if _INLINE_OPENING in token.content), default=-1)
    unreferred = {label[1:] for label in env.get("footnotes", {}).get("refs", {})}
    for at, token in enumerate(marked):
        if at > last_inline and not unreferred:
            return
        first = len(found)
        token.children = []
        parser.inline.parse(token.content, parser, env, token.children)
        unreferred.difference_update(child.meta["label"] for child in token.children
                                     if child.type == "footnote_ref" and "label" in child.meta)
        for note in found[first:]:
            if note.within is None:
                note.block = token


def _written_in(found: list[_InlineNote]) -> tuple[_Placed, _Placed]:
    """The inline notes written in each block's text (by the `id` of its token), and those
    written in each inline note (by its number)."""
    in_blocks: _Placed = defaultdict(list)
    in_notes: _Placed = defaultdict(list)
    for note in found:
        if note.within is None:
            in_blocks[id(note.block)].append(note)
        else:
            in_notes[note.within].append(note)
    return in_blocks, in_notes


def _without_notes(text: str, notes: list[_InlineNote]) -> str:
    """`text` without the inline notes written in it (their places are in it)."""
    kept, at = [], 0
    for note in sorted(notes, key=lambda note: note.start):
        kept.append(text[at:note.start])
        at = note.end
    return "".join(kept) + text[at:]


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


def _line_starts(markdown: str) -> list[int]:
    """Where each line starts, and where a line after the last would."""
    return [0] + [found.end() for found in re.finditer("\n", markdown)] + [len(markdown) + 1]


def _lines_span(markdown: str, line_starts: list[int], start: int, end: int
                ) -> tuple[int, int]:
    """The characters of the lines from `start` up to `end`, and of the blank lines after
    them, which parted the note from what follows."""
    lines = len(line_starts) - 1
    while end < lines and not markdown[line_starts[end]:line_starts[end + 1]].strip():
        end += 1
    return line_starts[start], min(line_starts[end], len(markdown))


def _source_span(markdown: str, line_starts: list[int], note: _InlineNote
                 ) -> tuple[int, int] | None:
    """Where an inline note written in a block's text is in the file. The block's text is
    its lines without what opens them inside a list or a quote (indentation, `> `), each
    line's end the same as in the file; None where a tab was spread into spaces."""
    assert note.block is not None and note.block.map is not None
    content, first_line = note.block.content, note.block.map[0]
    start = _file_offset(markdown, line_starts, content, first_line, note.start)
    end = _file_offset(markdown, line_starts, content, first_line, note.end - 1)
    if start is None or end is None or not markdown.startswith(_INLINE_OPENING, start):
        return None
    return (start, end + 1) if markdown[end] == "]" else None


def _file_offset(markdown: str, line_starts: list[int], content: str, first_line: int,
                 offset: int) -> int | None:
    """Where the character at `offset` in a block's text is in the file."""
    line = content.count("\n", 0, offset)
    line_start = content.rfind("\n", 0, offset) + 1
    line_end = content.find("\n", offset)
    written = content[line_start:line_end if line_end >= 0 else len(content)].rstrip()
    file_line = markdown[line_starts[first_line + line]:line_starts[first_line + line + 1]]
    if not file_line.rstrip().endswith(written):
        return None
    opens_at = len(file_line.rstrip()) - len(written)
    return line_starts[first_line + line] + opens_at + offset - line_start


def _without_spans(markdown: str, spans: list[tuple[int, int]]) -> str:
    """`markdown` without the characters of each span (those inside another's go with it).
    Spans running to the text's end take the line break before them too, so the text ends
    as the last line kept does."""
    kept, at = [], 0
    for start, end in _merged(spans):
        if end == len(markdown) and start > 0 and markdown[start - 1] == "\n":
            start -= 1
        kept.append(markdown[at:start])
        at = end
    return "".join(kept) + markdown[at:]


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans in order, those that touch or overlap made one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
