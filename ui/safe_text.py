"""Untrusted text (documents, their titles and file names, questions, model output) made inert
for Streamlit's Markdown, and for the exported conversation.

Streamlit escapes raw HTML already, but still draws Markdown images (a remote image is fetched
by the browser the moment it is shown: the exfiltration path of a poisoned document) and turns
`[text](javascript:...)` or `[text](https://...)` into links that hide their target. So:

* `plain(text)`: every Markdown character that means something escaped; the text shows as
  written.
* `safe_markdown(text)`: emphasis, lists, headings and code keep working, but `[`, `<`, `$`
  and backslashes are escaped outside code blocks, so no image, link, autolink, HTML tag or
  formula can form (each needs one of those characters, unescaped, to begin).

In both, a bare web or mail address stays text: GFM would link it (a live link, and a broken
one where an escaped "_" inside it becomes part of its target), so it is shown as inline code,
which no renderer links and which copies exactly as written. An address inside the model's own
inline code, or one the pattern misses, gets an invisible word joiner before its "://" and
after its "www" or "@" instead. Streamlit's own codes (":material/home:", ":red[text]", emoji
names) get one after their opening colon, so they show as typed.

Code blocks (found by a CommonMark parser, markdown-it) are kept as they are, each re-fenced
on its own so that no renderer can read its lines as anything but code; any other line that
looks like a fence is escaped, so that only those fences open code.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it import MarkdownIt

# inline syntax anywhere on a line, and the block syntax that only counts at its start
_INLINE = re.compile(r"([\\`*_\[<|~$])")
_LINE_START = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])")
_ACTIVE = re.compile(r"([\\\[<$])")
_FENCE_LIKE = re.compile(r"^(\s*)(`{3}|~{3})")
_parser = MarkdownIt("commonmark")
_JOINER = "\u2060"  # WORD JOINER: invisible, and it breaks the patterns below
_LINKABLE = re.compile(r"(?=://)|(?<=\bwww)(?=\.)|(?<=\w@)(?=\w)", re.IGNORECASE)
# ":material/home:", ":red[x]", ":red-background[x]", ":small[x]", ":smile:"; not "Re:Meeting"
_STREAMLIT_CODE = re.compile(
    r"(?<=:)(?=material/|(?:red|orange|yellow|green|blue|violet|gray|grey|rainbow|primary|"
    r"small)(?:-background)?\\?\[|[a-z0-9_+-]+:(?!/))")


# a web or mail address as GFM would link it; its last character is not a closing
# punctuation mark, which GFM leaves out of a link too, and it holds no "|", which would
# split a table's cell inside its code span
_ADDRESS = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s`<>\"|]*[^\s`<>\"|.,;:!?')\]*_~]"
    r"|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)


def _inert(line: str) -> str:
    """A line with its addresses and Streamlit codes broken by an invisible joiner."""
    if ":" in line or "www" in line.lower() or "@" in line:
        line = _STREAMLIT_CODE.sub(_JOINER, _LINKABLE.sub(_JOINER, line))
    return line


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
    return _inert(_INLINE.sub(r"\\\1", piece))


def plain(text: object) -> str:
    """`text` as literal Markdown: shown as written, each line break kept."""
    lines = (_with_addresses_as_code(line, _plain_piece).strip()
             for line in str(text).splitlines())
    return "  \n".join(_LINE_START.sub(_escape_marker, line) for line in lines)


def _escape_marker(match: re.Match[str]) -> str:
    marker = match.group(2)
    return match.group(1) + (marker[:-1] + "\\" + marker[-1] if marker[0].isdigit()
                             else "\\" + marker)


def safe_markdown(text: str) -> str:
    """Markdown that can show formatting and code but cannot load or run anything."""
    lines = text.splitlines(keepends=True)
    blocks = {token.map[0]: token for token in _parser.parse(text)
              if token.type in ("fence", "code_block") and token.map}
    out: list[str] = []
    n = 0
    while n < len(lines):
        block = blocks.get(n)
        if block is not None and block.map:
            out.append(_code_block(block.content, block.info))
            n = block.map[1]
            continue
        line = lines[n]
        if "`" in line:  # the model's own inline code: an address in it must not close it
            line = _markdown_piece(line)
        else:
            line = _with_addresses_as_code(line, _markdown_piece)
        out.append(_FENCE_LIKE.sub(r"\1\\\2", line))  # only our own fences open code
        n += 1
    return "".join(out)


def _markdown_piece(piece: str) -> str:
    return _inert(_ACTIVE.sub(r"\\\1", piece))


def _code_block(content: str, info: str) -> str:
    """A code block in a fence of its own, blank lines around it: where it starts and ends
    is then the same for every parser and in every context (a list, a table, an export)."""
    fence = "`" * max(8, max((len(run) for run in re.findall(r"`+", content)), default=0) + 1)
    language = re.sub(r"[^\w+#.-]", "", info.split()[0]) if info.strip() else ""
    body = content if content.endswith("\n") or not content else content + "\n"
    return f"\n{fence}{language}\n{body}{fence}\n\n"
