"""Markdown quotations (`> ...`) read as the rendered page shows them.

A rendered page draws a quotation's paragraph as one, its lines run together, without the
`>` that opens each line of the source. Read as written, the `>` of each line after the
first stands inside the paragraph's sentence ("> The rent is due > on the first day"), and a
definition written as a term in bold on a line of its own above its meaning ran into it with
the mark between them ("> **Deposit** > Money held against damage."). So each paragraph of a
quotation is one line, opened by its first line's `>`, and a term alone on its first line
leads into its meaning as a definition list's term does ("> **Deposit**: Money held against
damage."). The parser tells a quotation's paragraphs from its lists, tables and code.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_QUOTE_LINE = re.compile(r"^ {0,3}>", re.MULTILINE)
# a fenced code block's opening or closing line: "```" or "~~~", three or more
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
# a term in bold alone on a line, a colon after it or inside it or none: "**Deposit**"
_TERM = re.compile(r"(?P<term>\*\*[^*\n]+\*\*|__[^_\n]+__)[ \t]*:?")
# a GitHub alert's marker ("> [!NOTE]"), which the page draws as the quotation's title
_ALERT = re.compile(r"\[![A-Za-z]+\][ \t]*")
# a term and its colon opening a line: one of a list of definitions ("**TTL**: time to live")
_DEFINED = re.compile(r"(?:\*\*[^*\n]+\*\*|__[^_\n]+__)[ \t]*:|\*\*[^*\n]+:\*\*|__[^_\n]+:__")
# a line break the page draws: a line ending in a backslash or in two spaces or more
_HARD_BREAK = re.compile(r"(?:\\|  )$")
# Pandoc's definition mark opening a meaning's line (": Money held against damage.")
_DEFINITION_MARK = re.compile(r"\A:[ \t]+")


def quotes_joined(markdown: str) -> str:
    """`markdown` with each paragraph of its quotations on one line (`_joined`)."""
    if _QUOTE_LINE.search(markdown) is None:
        return markdown
    lines = markdown.split("\n")
    out: list[str] = []
    at = 0
    for start, end, depth in _quoted_paragraphs(lines):
        out += [*lines[at:start], *_joined(lines[start:end], depth)]
        at = end
    return "\n".join(out + lines[at:])


def _quoted_paragraphs(lines: list[str]) -> list[tuple[int, int, int]]:
    """The lines of each paragraph inside a quotation (first, past the last), in order, and
    how many quotations it is inside. Only the runs of lines holding a quotation are parsed
    (`_quoting_runs`), each alone: parsing a whole file of megabytes takes seconds."""
    parser = MarkdownIt("commonmark").enable("table")
    parser.core.ruler.enableOnly(["normalize", "block"])
    found = []
    for first, past in _quoting_runs(lines):
        depth = 0
        for token in parser.parse("\n".join(lines[first:past])):
            if token.type == "blockquote_open":
                depth += 1
            elif token.type == "blockquote_close":
                depth -= 1
            elif token.type == "paragraph_open" and depth and token.map:
                start, end = token.map
                if end - start > 1:
                    found.append((first + start, first + end, depth))
    return found


def _quoting_runs(lines: list[str]) -> list[tuple[int, int]]:
    """The runs of lines between blank lines, outside fenced code, that hold a line opening a
    quotation: a blank line ends a quotation, so each is read alone as in the file."""
    runs: list[tuple[int, int]] = []
    fence: str | None = None
    start = 0
    for at, line in enumerate([*lines, ""]):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened[1][0] == fence[0] and len(opened[1]) >= len(fence):
                fence, start = None, at + 1
            continue
        if opened or not line.strip():
            if any(_QUOTE_LINE.match(held) for held in lines[start:at]):
                runs.append((start, at))
            fence, start = (opened[1] if opened else None), at + 1
    return runs


def _joined(lines: list[str], depth: int) -> list[str]:
    """A quoted paragraph's lines as one, each after the first without the `>` marks of the
    quotations it is in; but a line opening with a term and its colon, one of a list of
    definitions ("**TTL**: time to live", "**MX**: mail exchanger"), opens a line of its own,
    and so does a line after a line break the page draws (a line ending in `\\` or two spaces)
    or after a GitHub alert's marker."""
    marks = re.compile(rf"(?: {{0,3}}>[ \t]?){{0,{depth}}}")
    opening = marks.match(lines[0])
    assert opening is not None  # the marks may be none
    prefix = lines[0][: opening.end()]
    written = [lines[0][opening.end() :], *(marks.sub("", line, count=1) for line in lines[1:])]
    groups: list[list[str]] = []
    broken = False  # the line before ends in a line break the page draws
    for line in written:
        text = line.strip()
        if not groups or broken or _DEFINED.match(text) or _ALERT.fullmatch(groups[-1][-1]):
            groups.append([])
        broken = _HARD_BREAK.search(line) is not None
        groups[-1].append(text.removesuffix("\\").rstrip() if broken else text)
    return [prefix + _line(group) for group in groups]


def _line(texts: list[str]) -> str:
    """A paragraph's lines run together; a term alone on the first leading into its meaning
    ("**Deposit**: Money held ..."), as a definition list's term does."""
    term = _TERM.fullmatch(texts[0])
    if term is None or len(texts) == 1:
        return " ".join(texts)
    name = term["term"]
    colon = "" if name[:-2].endswith(":") else ":"
    meaning = _DEFINITION_MARK.sub("", texts[1], count=1)
    return f"{name}{colon} " + " ".join([meaning, *texts[2:]])
