"""Untrusted text (documents, their titles and file names, questions, model output) made inert
for Streamlit's Markdown, and for the exported conversation.

Streamlit escapes raw HTML already, but still draws Markdown images (a remote image is fetched
by the browser the moment it is shown: the exfiltration path of a poisoned document) and turns
`[text](javascript:...)` or `[text](https://...)` into links that hide their target. So:

* `plain(text)`: every Markdown character escaped; the text shows exactly as written.
* `safe_markdown(text)`: emphasis, lists, headings and code keep working, but `[`, `]`, `<`,
  `>`, `$` and backslashes are escaped outside code blocks, so no image, link, autolink, HTML
  tag or formula can form. A bare URL still shows as itself (its target is what it says) and
  nothing is loaded until someone clicks it.

Fenced and indented code blocks are left as they are: nothing in them is rendered, and where
they begin and end is read with a CommonMark parser (markdown-it), not guessed.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

# inline syntax anywhere on a line, and the block syntax that only counts at its start
_INLINE = re.compile(r"([\\`*_\[\]<>!|~$])")
_LINE_START = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])")
_ACTIVE = re.compile(r"([\\\[\]<>$])")
_parser = MarkdownIt("commonmark")


def plain(text: object) -> str:
    """`text` as literal Markdown: shown as written, each line break kept."""
    lines = (_INLINE.sub(r"\\\1", line).strip() for line in str(text).splitlines())
    return "  \n".join(_LINE_START.sub(_escape_marker, line) for line in lines)


def _escape_marker(match: re.Match[str]) -> str:
    marker = match.group(2)
    return match.group(1) + (marker[:-1] + "\\" + marker[-1] if marker[0].isdigit()
                             else "\\" + marker)


def safe_markdown(text: str) -> str:
    """Markdown that can show formatting and code but cannot load or run anything."""
    lines = text.splitlines(keepends=True)
    code = _code_lines(text)
    return "".join(line if n in code else _ACTIVE.sub(r"\\\1", line)
                   for n, line in enumerate(lines))


def _code_lines(text: str) -> set[int]:
    """Line numbers inside fenced or indented code blocks, as CommonMark reads them."""
    lines: set[int] = set()
    for token in _parser.parse(text):
        if token.type in ("fence", "code_block") and token.map:
            lines.update(range(*token.map))
    return lines
