"""A reasoning model's leading `<think>...</think>` block, kept from the reader.

DeepSeek-R1 and Qwen3 (served without a reasoning parser, on Ollama, llama.cpp or Workers AI)
may open their answer with the reasoning that led to it; the answer proper follows the block.
DeepSeek-R1's distilled models and QwQ have the chat template open the block in the prompt,
so their output starts inside it, with no `<think>`: for them everything up to `</think>` is
reasoning, and an answer that never closes one was no reasoning at all. A server with a
reasoning parser (vLLM's, Ollama's) sends the reasoning in a field of its own: its text is
then the answer from the first word.
"""

from __future__ import annotations

import re

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
OPENED_BY_TEMPLATE = re.compile(r"deepseek-r1|qwq", re.IGNORECASE)


class LeadingThink:
    """Drops the `<think>...</think>` block a reasoning model (DeepSeek-R1, Qwen3) may open
    its answer with, however the chunks split it; text after the start passes untouched."""

    def __init__(self, opened: bool = False) -> None:
        # start -> thinking -> trimming -> passing, or start -> passing; a block the template
        # `opened`: opened -> trimming -> passing, or opened -> (the end) everything held
        self.state = "opened" if opened else "start"
        self.held = ""
        self.searched = 0  # where the closing tag may start in `held`, once opened

    def feed(self, delta: str) -> str:
        """What of `delta` (and what was held back) the reader should see now."""
        if self.state == "passing":
            return delta
        self.held += delta
        if self.state == "opened":  # all is kept: with no closing tag it was the answer
            end = self.held.find(THINK_CLOSE, self.searched)
            if end < 0:
                self.searched = max(0, len(self.held) - len(THINK_CLOSE) + 1)
                return ""
            self.state, self.held = "trimming", self.held[end + len(THINK_CLOSE):]
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
        """What is still held when the stream ends: an answer too short to tell, or one a
        template-opened block never closed."""
        return self._pass() if self.state in ("start", "opened") else ""

    def broken_off(self) -> str:
        """What is still held when the stream breaks: the text of a template-opened block not
        closed yet, which is the answer as far as it went (the model never said otherwise),
        unless it opened a block of its own; reasoning, or the start of a tag, is not shown."""
        text = self.held.lstrip()
        if self.state == "opened" and text and not text.startswith(THINK_OPEN):
            return self._pass()
        return ""

    def reasoned_apart(self) -> None:
        """The server sends the reasoning in a field of its own (a reasoning parser): the
        template's block is closed there, and the text is the answer from its first word."""
        if self.state == "opened":
            self.state = "start"

    def _pass(self) -> str:
        self.state, shown, self.held = "passing", self.held, ""
        return shown
