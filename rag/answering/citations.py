"""Check the citation markers [n] in a streamed answer against the passages it was given.

A marker that names a passage that was not retrieved is removed from the text and counted;
the numbers that remain map back to file, page and passage through `Answer.citations`.
Works on a stream: a marker split across deltas ("[", "3", "]") is held until it closes.
A delta that quotes a document (`Quoted`) passes untouched: its brackets ("[12]" in a paper,
"[1,3;2,4]" in a manual's code) are the document's, not markers. A model quotes too, without
saying so: a bracket whose words before or after it stand so in a passage ("in report
[42]", R's "Lst[[4]]" or its output's "[16] tas vic") is the passage's, and is left as
written, neither a citation nor a marker to remove.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from rag.providers.generators.base import Quoted

# "[2]", "[1, 3]", "[2; 4]", a range "[1-3]" (or "[1–3]"), and spaces inside: "[ 2 ]"
_ITEM = r"\d+(?:\s*[-–]\s*\d+)?"
_MARKER = re.compile(rf"\[\s*({_ITEM}(?:\s*[,;]\s*{_ITEM})*)\s*\]")
_RANGE_MOST = 20  # a longer range is no citation ("[1-100]"): its numbers are not expanded
_HOLD = 16  # longest partial marker worth holding back, in characters
# the words before a bracket that must stand so in a passage for it to be the passage's: long
# enough that a model's own "[1]" after a phrase rarely matches, short enough to be quoted
_CONTEXT = 12
_ENOUGH = 8
_SPACES = re.compile(r"\s+")


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text)


class CitationChecker:
    """Usage:
        checker = CitationChecker(len(hits), [hit.text for hit in hits])
        for delta in checker.filter(deltas): ...
        checker.cited, checker.dropped
    """

    def __init__(self, passages: int, texts: Sequence[str] = ()) -> None:
        self.passages = passages
        self.texts = [_flat(t) for t in texts]
        self.cited: set[int] = set()
        self.dropped = 0
        self._before = ""  # the end of the text already let through

    def filter(self, deltas: Iterator[str]) -> Iterator[str]:
        """Yield the deltas with unknown markers removed, as soon as that can be decided."""
        held = ""
        for delta in deltas:
            if isinstance(delta, Quoted):
                if held:
                    yield self._check(held)
                    held = ""
                self._remember(delta)
                yield delta
                continue
            held += delta
            cut = _undecided(held)
            ready, held = held[:cut], held[cut:]
            if ready:
                yield self._check(ready, held)
        if held:
            yield self._check(held)

    def _remember(self, text: str) -> None:
        self._before = (self._before + text)[-4 * _CONTEXT:]

    def _check(self, text: str, after: str = "") -> str:
        before = self._before
        checked = _MARKER.sub(lambda m: self._replace(
            m, before + text[:m.start()], text[m.end():] + after), text)
        self._remember(text)  # as written: the words before a bracket, however cut in deltas
        return checked

    def _replace(self, match: re.Match[str], before: str, after: str) -> str:
        if self._quoted(before, match.group(0), after):
            return match.group(0)
        numbers = [n for item in re.split(r"\s*[,;]\s*", match.group(1))
                   for n in _numbers(item)]
        valid = list(dict.fromkeys(n for n in numbers if 1 <= n <= self.passages))
        self.dropped += sum(1 for n in numbers if not 1 <= n <= self.passages)
        self.cited.update(valid)
        return "".join(f"[{n}]" for n in valid)

    def _quoted(self, before: str, bracket: str, after: str) -> bool:
        """Whether the bracket, with the words before or after it, stands so in a passage."""
        if before.endswith("["):  # an index's inner bracket, "Lst[[4]]": never a citation
            return True
        preceding, following = _flat(before)[-_CONTEXT:], _flat(after)[:_CONTEXT]
        # the quote may end or begin within the window: its last or first _ENOUGH characters
        # standing so in a passage are enough
        sizes = range(_ENOUGH, _CONTEXT + 1)
        windows = ([preceding[-n:] + bracket for n in sizes if len(preceding) >= n]
                   + [bracket + following[:n] for n in sizes if len(following) >= n])
        return any(window in text for window in windows for text in self.texts)


def _numbers(item: str) -> list[int]:
    """A marker's item as the numbers it names: "3" is [3], "1-3" is [1, 2, 3]."""
    first, _, last = item.replace("–", "-").partition("-")
    low, high = int(first), int(last or first)
    if high < low or high - low >= _RANGE_MOST:
        return [low, high] if last else [low]  # both ends, checked as any number is
    return list(range(low, high + 1))


def _undecided(text: str) -> int:
    """Where the part of streamed `text` that cannot be let through yet begins: a marker
    still open ("... [", "[1, 3"), or a marker with fewer than `_CONTEXT` characters after it,
    whose next words may show it to be a passage's."""
    end = len(text)
    cut = text.rfind("[")
    if cut != -1 and "]" not in text[cut:] and len(text) - cut <= _HOLD:
        end = cut
    for match in _MARKER.finditer(text, 0, end):
        if len(text) - match.end() < _CONTEXT:
            return match.start()
    return end
