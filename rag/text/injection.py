"""Spot instruction-like text inside a passage: a document that talks to the model.

A passage is quoted material, never instructions (the prompt says so, and its delimiters
cannot be forged). A passage that nonetheless reads like a prompt injection ("ignore previous
instructions", "you are now ...", "system prompt") is flagged, so that the call log and the
answer's citations say which passages tried. Flagging changes nothing else: the passage may be
a security report quoting an attack, and is still used.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.text.images import image_addresses
from rag.text.sanitize import skeleton

_OBJECTS = r"(?:instructions?|prompts?|rules|directions|directives|guidelines|context|messages?)"
#: flag name → what it looks for (matched on the cleaned text's skeleton, case-insensitively)
PATTERNS: dict[str, re.Pattern[str]] = {
    "ignore-instructions": re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass|skip)\b[\w\s,'-]{0,30}?"
        r"\b(?:previous|prior|above|earlier|preceding|original|all|any|your|the|system)\s+"
        r"(?:\w+\s+)?" + _OBJECTS + r"\b", re.I),
    "role-change": re.compile(
        r"\byou\s+are\s+now\b|\bfrom\s+now\s+on,?\s+you\b|\bact\s+as\s+(?:an?\s+)?"
        r"(?:unrestricted|unfiltered|jailbroken|evil|dan)\b|\bdeveloper\s+mode\b|"
        r"\bdo\s+anything\s+now\b", re.I),
    "system-prompt": re.compile(r"\bsystem\s+(?:prompt|message|instructions?)\b", re.I),
    "new-instructions": re.compile(
        r"\b(?:new|updated|real|actual|hidden)\s+instructions?\s*:|"
        r"\binstructions?\s+(?:to|for)\s+(?:the\s+)?(?:ai|assistant|model|llm|chatbot)\b", re.I),
}
# an image's address (`rag.text.images` finds them as a renderer does, in every form) that
# would send a client's conversation to a host: a placeholder to fill in, or words for it
_CARRYING_ADDRESS = re.compile(
    r"^(?:https?:)?//.*(?:\{|%7B|<|%3C|conversation|history|secret|token)", re.I | re.S)


# every answer asks it of its five passages, and the library's popular passages come back
# question after question
@lru_cache(maxsize=4096)
def instruction_flags(text: str) -> tuple[str, ...]:
    """The names of the instruction-like patterns found in `text` (empty: none)."""
    seen = skeleton(text)
    flags = [name for name, pattern in PATTERNS.items() if pattern.search(seen)]
    if any(map(_CARRYING_ADDRESS.search, image_addresses(seen))):
        flags.append("exfiltration")
    return tuple(flags)
