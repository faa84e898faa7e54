"""Untrusted text (documents, their titles and file names, questions, model output) made inert
for Streamlit's Markdown, and for the exported conversation.

Streamlit escapes raw HTML already, but still draws Markdown images (a remote image is fetched
by the browser the moment it is shown: the exfiltration path of a poisoned document) and turns
`[text](javascript:...)` or `[text](https://...)` into links that hide their target. So:

* `plain(text)`: every Markdown character that means something escaped, "&" among them (a
  character reference such as "&amp;" or "&lt;" would be decoded); the text shows as written.
* `plain_with_code(text)`: as `plain`, but a fenced code block shows as code (a quote of a
  document's sentences and programs).
* `quoted_with_code(text)`: `text` as a Markdown quote ("> "), its lines escaped as `plain`
  escapes them and its fenced code blocks as code inside the quote (a cited passage).
* `safe_markdown(text)`: emphasis, lists, headings and code keep working, but `[`, `<`, `$`,
  `&`, backticks and backslashes are escaped outside code, so no image, link, autolink, HTML tag
  or formula can form (each needs one of those characters, unescaped, to begin). The model's
  own inline code is kept exactly as written: a code span is found as CommonMark finds it,
  and nothing is active inside one. A span that holds a "|" is shown as text instead, since a
  table would split its cell there and read the pieces as Markdown.

In both, a bare web or mail address stays text: GFM would link it (a live link, and a broken
one where an escaped "_" inside it becomes part of its target), so it is shown as inline code,
which no renderer links and which copies exactly as written. GFM links "www." after any
character but a letter or a digit ("_www.x.example" too), and a mail address whose part
before "@" is only ".+-_" (".@x.example"). An address the pattern misses gets an invisible
word joiner before its "://" and after its "www" or "@" instead.

Streamlit reads directives (remark-directive): a colon followed by a name, as in "status:red",
":blue-badge[x]", "x:red{...}", "::leaf" or ":::box", draws a colour, a badge or a tooltip
icon, or hides the rest of the directive. Each such colon is escaped, so the text shows as
typed. Emoji names and icons (":smile:", ":material/home:") are looked up in the text after
its escapes are read, so they get a joiner after their opening colon instead.

In both, the bidirectional controls (embeddings, overrides, isolates and marks) are written as
their escapes (`\\u202e`): U+202E in "invoice\\u202efdp.txt" draws it as "invoicetxt.pdf" and
turns the app's own words after it backwards. `escape_bidi` does the same for text shown
outside Markdown (a table's cells).

Code blocks (found by a CommonMark parser, markdown-it) are kept as they are, each re-fenced
on its own so that no renderer can read its lines as anything but code; on any other line a
fence's backticks or tildes are escaped, so that only those fences open code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import pairwise

from markdown_it import MarkdownIt
from markdown_it.token import Token

from rag.text.controls import escape_bidi, is_right_to_left

# inline syntax anywhere on a line, and the block syntax that only counts at its start
_INLINE = re.compile(r"([\\`*_\[<|~$&])")
_LINE_START = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])")
_ACTIVE = re.compile(r"([\\`\[<$&])")
# a backtick fence cannot start on a line of safe_markdown: its text's backticks are escaped,
# and a code span's closing backticks would be in the fence's info string, where none may be
_TILDE_FENCE_LIKE = re.compile(r"^(\s*)(~{3})")
_BACKTICKS = re.compile(r"`+")
_parser = MarkdownIt("commonmark")
_PARSER_LINE_BREAK = re.compile(r"\r\n?")
_JOINER = "\u2060"  # WORD JOINER: invisible, and it breaks the patterns below
# quotes, lists or emphasis nested thousands deep (an answer of "> > > ..." or "****...")
# overflow the browser's Markdown renderer, which draws a stack trace in the answer's place;
# no answer needs more than a few levels
DEEPEST = 16
# GFM links "www." after anything but a letter or a digit: a space, a punctuation mark or a
# symbol, "_" among them (a word character to Python, whose "\b" would miss "_www."); and a
# mail address whose local part is any run of letters, digits and ".+-_", ".@host" too
_NOT_AFTER_ALNUM = r"(?<![^\W_])"
_LINKABLE = re.compile(r"(?=://)|(?<=www)(?<![^\W_]www)(?=\.)|(?<=[\w.+-]@)(?=[\w-])",
                       re.IGNORECASE)
# a directive's name may begin with any character but a space or a punctuation mark
_DIRECTIVE = re.compile(r":(?=[^\s!-/:-@\[-`{-~])")
# ":material/home:", ":material_home:", ":smile:", ":streamlit:"; not "https://"
_STREAMLIT_CODE = re.compile(r"(?<=:)(?=material/|[A-Za-z0-9_+-]+:(?!/))")


# a web or mail address as GFM would link it; its last character is not a closing
# punctuation mark, which GFM leaves out of a link too, and it holds no "|", which would
# split a table's cell inside its code span
_ADDRESS = re.compile(
    rf"(?:[a-z][a-z0-9+.-]*://|{_NOT_AFTER_ALNUM}www\.)[^\s`<>\"|]*[^\s`<>\"|.,;:!?')\]*_~]"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)


def _inert(text: str) -> str:
    """Raw text with its addresses and Streamlit codes broken by an invisible joiner. Done
    before escaping: an escaped "_" would hide ":material_home:" from the pattern."""
    if ":" in text or "www" in text.lower() or "@" in text:
        text = _STREAMLIT_CODE.sub(_JOINER, _LINKABLE.sub(_JOINER, text))
    return text


def _without_directives(markdown: str) -> str:
    """Escaped Markdown with each colon that could begin a directive escaped too."""
    return _DIRECTIVE.sub(r"\\:", markdown)


def _with_addresses_as_code(line: str, escape: Callable[[str], str]) -> str:
    """`escape(piece)` for the line's text, each address between as inline code. The
    addresses hold no backtick, so none can end its code span early."""
    out, start = [], 0
    for match in _ADDRESS.finditer(line):
        out.append(escape(line[start:match.start()]))
        out.append(f"`{match.group()}`")
        start = match.end()
    out.append(escape(line[start:]))
    return "".join(out)


def _plain_piece(piece: str) -> str:
    return _without_directives(_INLINE.sub(r"\\\1", _inert(piece)))


def plain(text: object) -> str:
    """`text` as literal Markdown: shown as written, each line break kept."""
    lines = (_with_addresses_as_code(line, _plain_piece).strip()
             for line in escape_bidi(str(text)).splitlines())
    return "  \n".join(_LINE_START.sub(_escape_marker, line) for line in lines)


def isolated(markdown: str) -> str:
    """`markdown` set apart from the text around it for the bidirectional algorithm (FSI ...
    PDI, the app's own, unlike a name's escaped controls) when it holds right-to-left
    letters: an Arabic title beside an Arabic file name would otherwise run into one
    right-to-left run that shows them swapped. Other text is left as it is, to be copied
    and searched without invisible characters."""
    if not any(map(is_right_to_left, markdown)):
        return markdown
    return f"\u2068{markdown}\u2069"


def plain_with_code(text: str) -> str:
    """`text` as `plain` shows it, but for its fenced code blocks, shown as code: a quote of
    a document's sentences and programs (the offline answer's)."""
    out: list[str] = []
    for lines, block in _around_code(escape_bidi(text), ("fence",)):
        out.append(plain("".join(lines)))
        if block is not None:
            out.append(_code_block(block.content, block.info))
    return "".join(out)


def quoted_with_code(text: str) -> str:
    """`text` as a Markdown quote: its lines run together as a page shows them, its paragraphs
    kept apart (a blank line inside a quote is a bare ">"), its fenced code blocks shown as
    code on their own lines. Each line of a block is quoted too: a line without ">" would end
    the quote, and the block with it."""
    out: list[str] = []
    for lines, block in _around_code(escape_bidi(text), ("fence",)):
        out += [f"> {plain(line)}" if line.strip() else ">"
                for line in "".join(lines).splitlines()]
        if block is not None:
            # split at "\n" alone: the block's lines are the parser's
            out += [f"> {line}" if line else ">"
                    for line in _code_block(block.content, block.info).split("\n")]
    return "\n".join(_without_bare_ends(out))


def plain_with_code_line(text: str) -> str:
    """`text` as `plain` shows it, but for its fenced code blocks, each shown on one line as
    inline code: its first line, then "…" when it holds more (a one-line preview of a
    passage, where the whole block would crowd out its prose)."""
    out: list[str] = []
    for lines, block in _around_code(escape_bidi(text), ("fence",)):
        if "".join(lines).strip():
            out.append(plain("".join(lines)))
        if block is not None and block.content.strip():
            out.append(_first_line_as_code(block.content))
    return "  \n".join(out)


def _first_line_as_code(content: str) -> str:
    """The block's first line that is not blank, as inline code, and "…" after it for the
    lines left out."""
    # split at "\n" alone: the block's lines are the parser's
    code = [line.strip() for line in content.split("\n") if line.strip()]
    return _code_span(code[0]) + (" …" if len(code) > 1 else "")


def _code_span(code: str) -> str:
    """`code` as inline code, in a run of backticks longer than any it holds; spaced from
    them when it begins or ends with one, a space the renderer takes away again."""
    ticks = "`" * (max((len(run) for run in _BACKTICKS.findall(code)), default=0) + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{ticks}{pad}{code}{pad}{ticks}"


def _without_bare_ends(quoted: list[str]) -> list[str]:
    """The quote's lines without the bare ">" at either end: the passage's blank lines, or
    the blank line a code block is set apart by, with nothing beyond it to keep apart."""
    start, end = 0, len(quoted)
    while start < end and quoted[start] == ">":
        start += 1
    while end > start and quoted[end - 1] == ">":
        end -= 1
    return quoted[start:end]


def _around_code(text: str, kinds: tuple[str, ...]
                 ) -> Iterator[tuple[list[str], Token | None]]:
    """The text's lines up to each code block of `kinds` (as a CommonMark parser finds
    them: "fence", "code_block") with that block, then its lines after the last (None)."""
    # the parser's lines: it breaks them at "\n", "\r\n" and "\r" only, where Python's
    # `splitlines` breaks at a form feed or U+2028 too, which would shift every block after
    text = _PARSER_LINE_BREAK.sub("\n", text)
    lines = [line for line in re.split(r"(?<=\n)", text) if line]
    blocks = {token.map[0]: token for token in _parser.parse(text)
              if token.type in kinds and token.map}
    before: list[str] = []
    n = 0
    while n < len(lines):
        block = blocks.get(n)
        if block is None or block.map is None:
            before.append(lines[n])
            n += 1
            continue
        yield before, block
        before = []
        n = block.map[1]
    yield before, None


def _escape_marker(match: re.Match[str]) -> str:
    marker = match.group(2)
    return match.group(1) + (marker[:-1] + "\\" + marker[-1] if marker[0].isdigit()
                             else "\\" + marker)


def safe_markdown(text: str) -> str:
    """Markdown that can show formatting and code but cannot load or run anything, nor nest
    deeper than DEEPEST (shown as text then, as `plain_with_code` shows it)."""
    out: list[str] = []
    # the controls escaped in code too: there one reorders the lines around it
    for lines, block in _around_code(escape_bidi(text), ("fence", "code_block")):
        out += [_TILDE_FENCE_LIKE.sub(r"\1\\\2", _inline_markdown(line)) for line in lines]
        if block is not None:
            out.append(_code_block(block.content, block.info))
    markdown = "".join(out)
    return plain_with_code(text) if _nesting(markdown) > DEEPEST else markdown


def _nesting(markdown: str) -> int:
    """How deep the Markdown's quotes and lists, or its emphasis, nest."""
    tokens = _parser.parse(markdown)
    return max([token.level for token in tokens]
               + [child.level for token in tokens for child in token.children or ()], default=0)


def _inline_markdown(line: str) -> str:
    """A line with its text made inert and its code spans as written."""
    parts, start = [], 0
    for span in _code_spans(line):
        parts += [_with_addresses_as_code(line[start:span.start], _markdown_piece),
                  line[span.start:span.stop]]
        start = span.stop
    parts.append(_with_addresses_as_code(line[start:], _markdown_piece))
    return _joined(parts)


def _code_spans(line: str) -> list[range]:
    """Where the line's code spans are, as CommonMark finds them: a run of n backticks opens
    one and the next run of exactly n closes it. A run with no such partner is text, and so
    is a backtick escaped by a backslash, or a span that holds a "|": a table would split
    its cell there and read the pieces as Markdown."""
    runs = [(match.start(), match.end()) for match in _BACKTICKS.finditer(line)]
    spans: list[range] = []
    after = 0
    for n, (start, end) in enumerate(runs):
        if start < after:
            continue  # inside the span just found
        if _escaped(line, start):
            start += 1
        length = end - start
        closer = next((runs[later][1] for later in range(n + 1, len(runs))
                       if runs[later][1] - runs[later][0] == length), None)
        if length == 0 or closer is None:
            continue
        after = closer
        if "|" not in line[end:closer - length]:
            spans.append(range(start, closer))
    return spans


def _escaped(line: str, at: int) -> bool:
    """Whether an odd number of backslashes stands before `at`: the last one escapes it."""
    backslashes = 0
    while backslashes < at and line[at - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _joined(parts: list[str]) -> str:
    """The parts in a row, with an invisible joiner where two meet backtick to backtick: an
    address's code span next to the model's would otherwise make one longer run of them."""
    out = [parts[0]]
    for before, part in pairwise(parts):
        if before.endswith("`") and part.startswith("`"):
            out.append(_JOINER)
        out.append(part)
    return "".join(out)


def _markdown_piece(piece: str) -> str:
    return _without_directives(_ACTIVE.sub(r"\\\1", _inert(piece)))


def _code_block(content: str, info: str) -> str:
    """A code block in a fence of its own, blank lines around it: where it starts and ends
    is then the same for every parser and in every context (a list, a table, an export)."""
    fence = "`" * max(8, max((len(run) for run in re.findall(r"`+", content)), default=0) + 1)
    language = re.sub(r"[^\w+#.-]", "", info.split()[0]) if info.strip() else ""
    body = content if content.endswith("\n") or not content else content + "\n"
    return f"\n{fence}{language}\n{body}{fence}\n\n"
