"""A reasoning model's leading `<think>...</think>` block, kept from the reader.

DeepSeek-R1 and Qwen3 (served without a reasoning parser, on Ollama, llama.cpp or Workers AI)
may open their answer with the reasoning that led to it; the answer proper follows the block.
"""

from __future__ import annotations

from collections.abc import Iterator

from rag.types import GenerationRecord

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


class LeadingThink:
    """Drops the `<think>...</think>` block a reasoning model (DeepSeek-R1, Qwen3) may open
    its answer with, however the chunks split it; text after the start passes untouched."""

    def __init__(self) -> None:
        self.state = "start"  # start -> thinking -> trimming -> passing, or start -> passing
        self.held = ""

    def feed(self, delta: str) -> str:
        """What of `delta` (and what was held back) the reader should see now."""
        if self.state == "passing":
            return delta
        self.held += delta
        if self.state == "start":
            text = self.held.lstrip()
            if THINK_OPEN.startswith(text):
                return ""  # "<thi" may still become the tag
            if not text.startswith(THINK_OPEN):
                return self._pass()
            self.state, self.held = "thinking", text[len(THINK_OPEN):]
        if self.state == "thinking":
            end = self.held.find(THINK_CLOSE)
            if end < 0:
                # only a tail that may hold the start of the closing tag: linear in the block
                self.held = self.held[-(len(THINK_CLOSE) - 1):]
                return ""
            self.state, self.held = "trimming", self.held[end + len(THINK_CLOSE):]
        self.held = self.held.lstrip()  # the blank lines between the block and the answer
        return self._pass() if self.held else ""

    def finish(self) -> str:
        """What is still held when the stream ends: an answer too short to tell."""
        return self._pass() if self.state == "start" else ""

    def _pass(self) -> str:
        self.state, shown, self.held = "passing", self.held, ""
        return shown


def without_leading_think(deltas: Iterator[str], record: GenerationRecord) -> Iterator[str]:
    """`deltas` without a leading think block; an interruption's notice (it arrives once
    `record.interrupted` is set) always passes."""
    think = LeadingThink()
    for delta in deltas:
        shown = delta if record.interrupted else think.feed(delta)
        if shown:
            yield shown
    rest = think.finish()
    if rest:
        yield rest
