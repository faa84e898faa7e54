"""Lines that restate a question: an FAQ's or a README's heading ("2.12 Why is R named R?",
"Q: How do I reset my password?", "## What is Streamlit?"), above the section answering it,
and the label an FAQ's answer opens with under one ("A: ...")."""

from __future__ import annotations

import re

# what may open a heading before its words: "2.12", "A.3", "Q:", "## "
_HEADING_MARK = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[A-Z]\.(?:\d+\.?)*|Q\d*[.:]|#{1,6})\s+")
_CLOSING = " \t?.:"
# an FAQ's labels: "Q: How do I ...?" heads "A: Click ...", whose label is no part of the answer
_QUESTION_LABEL = re.compile(r"(?:Q|Question)\s*:\s", re.IGNORECASE)
_ANSWER_LABEL = re.compile(r"^(?:A|Answer)\s*:\s+(?=\S)", re.IGNORECASE)


def plain_line(text: str) -> str:
    """A line as compared with a question: no section number or Markdown heading mark, no
    closing mark, lower case, single spaces."""
    return " ".join(_HEADING_MARK.sub("", text).strip(_CLOSING).lower().split())


def has_line(text: str, asked: str) -> bool:
    """Whether a line of `text` says `asked` (a `plain_line`) and nothing else: a heading
    that is the question. Most texts do not hold the question's longest word at all, which
    a substring test says first, without copying the text."""
    if not asked or max(asked.split(), key=len) not in text.lower():
        return False
    return any(plain_line(line) == asked for line in text.splitlines())


def without_answer_label(text: str, heading: str) -> str:
    """`text` without the "A:" an FAQ opens an answer with under its "Q: ...?" `heading`: it
    says only that the line answers. Elsewhere (a quiz's "A: Paris") it stays."""
    return _ANSWER_LABEL.sub("", text, count=1) if _QUESTION_LABEL.match(heading) else text
