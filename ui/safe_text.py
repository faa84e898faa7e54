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
one where an escaped "_" inside it becomes part of its target), so an invisible word joiner
goes before its "://" and after its "www" or "@". Streamlit's own codes (":material/home:",
":red[text]", emoji names) get one after their opening colon, so they show as typed.

Code blocks (found by a CommonMark parser, markdown-it) are kept as they are, each re-fenced
on its own so that no renderer can read its lines as anything but code; any other line that
looks like a fence is escaped, so that only those fences open code.
"""

from __future__ import annotations

import re

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


def _inert(line: str) -> str:
    """A line with its addresses and Streamlit codes broken by an invisible joiner."""
    if ":" in line or "www" in line.lower() or "@" in line:
        line = _STREAMLIT_CODE.sub(_JOINER, _LINKABLE.sub(_JOINER, line))
    return line


def plain(text: object) -> str:
    """`text` as literal Markdown: shown as written, each line break kept."""
    lines = (_inert(_INLINE.sub(r"\\\1", line)).strip() for line in str(text).splitlines())
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
        line = _inert(_ACTIVE.sub(r"\\\1", lines[n]))
        out.append(_FENCE_LIKE.sub(r"\1\\\2", line))  # only our own fences open code
        n += 1
    return "".join(out)


def _code_block(content: str, info: str) -> str:
    """A code block in a fence of its own, blank lines around it: where it starts and ends
    is then the same for every parser and in every context (a list, a table, an export)."""
    fence = "`" * max(8, max((len(run) for run in re.findall(r"`+", content)), default=0) + 1)
    language = re.sub(r"[^\w+#.-]", "", info.split()[0]) if info.strip() else ""
    body = content if content.endswith("\n") or not content else content + "\n"
    return f"\n{fence}{language}\n{body}{fence}\n\n"
