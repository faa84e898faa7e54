"""Tables of contents: lines of titles with dot leaders and page numbers.

A contents page repeats every heading's words (an FAQ's contents, every question word for
word), so it matches questions as well as the sections themselves do, while it answers none
of them and cites the wrong page.
"""

from __future__ import annotations

import re
from functools import lru_cache

_DOT_LEADER = re.compile(r"(?:\.\s?){5,}")  # "Installing R . . . . . 12"
_ENTRY = re.compile(_DOT_LEADER.pattern + r"\s*\d+\s*$")
# a chunk cut from the end of a contents page can hold two entries and the start of a third
MIN_ENTRIES = 2


def has_dot_leader(text: str) -> bool:
    """Whether the text holds a run of five dots, side by side or a space apart. Search asks
    it of every candidate passage, and most hold no two dots that close: a substring test
    says so far sooner than the pattern."""
    return (".." in text or ". ." in text) and _DOT_LEADER.search(text) is not None


# every search asks it of each candidate passage, mostly the same passages again (a store's
# passage cache hands out the same text): a text's hash is computed once and kept with it
@lru_cache(maxsize=4096)
def is_contents(text: str) -> bool:
    """True when at least half of the text's lines (and two or more) are contents entries."""
    if not has_dot_leader(text):
        return False
    lines = [line for line in text.split("\n") if line.strip()]
    entries = sum(1 for line in lines if _ENTRY.search(line))
    return entries >= MIN_ENTRIES and entries * 2 >= len(lines)
