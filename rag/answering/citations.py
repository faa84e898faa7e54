"""Check the citation markers [n] in a streamed answer against the passages it was given.

A marker that names a passage that was not retrieved is removed from the text and counted;
the numbers that remain map back to file, page and passage through `Answer.citations`.
Works on a stream: a marker split across deltas ("[", "3", "]") is held until it closes.
A delta that quotes a document (`Quoted`) passes untouched: its brackets ("[12]" in a paper,
"[1,3;2,4]" in a manual's code) are the document's, not markers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.providers.generators.base import Quoted

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_HOLD = 16  # longest partial marker worth holding back, in characters


class CitationChecker:
    def __init__(self, passages: int) -> None:
        self.passages = passages
        self.cited: set[int] = set()
        self.dropped = 0

    def filter(self, deltas: Iterator[str]) -> Iterator[str]:
        """Yield the deltas with unknown markers removed, as soon as that can be decided."""
        held = ""
        for delta in deltas:
            if isinstance(delta, Quoted):
                if held:
                    yield self._check(held)
                    held = ""
                yield delta
                continue
            held += delta
            cut = held.rfind("[")
            if cut != -1 and "]" not in held[cut:] and len(held) - cut <= _HOLD:
                ready, held = held[:cut], held[cut:]
            else:
                ready, held = held, ""
            if ready:
                yield self._check(ready)
        if held:
            yield self._check(held)

    def _check(self, text: str) -> str:
        return _MARKER.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
        valid = [n for n in numbers if 1 <= n <= self.passages]
        self.dropped += len(numbers) - len(valid)
        self.cited.update(valid)
        return "".join(f"[{n}]" for n in valid)
