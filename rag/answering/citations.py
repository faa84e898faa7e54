"""Check the citation markers [n] in a streamed answer against the passages it was given.

A marker that names a passage that was not retrieved is removed from the text and counted;
the numbers that remain map back to file, page and passage through `Answer.citations`.
Works on a stream: a marker split across deltas ("[", "3", "]") is held until it closes.
A delta that quotes a document (`Quoted`) is not checked: its brackets ("[12]" in a paper,
"[1,3;2,4]" in a manual's code) are the document's, not markers. A model quotes too, without
saying so: a bracket whose words before or after it stand so in a passage ("in report
[42]", R's "Lst[[4]]" or its output's "[16] tas vic") is the passage's, neither a citation
nor a marker to remove. Such a bracket is written with full-width brackets ("［12］") outside
code, so that neither a reader nor a client mapping the answer's "[n]" to its citations takes
it for one of the answer's markers; in code (a fenced block, an inline span) it stays as
written, as code must to be copied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from rag.providers.generators.base import Quoted

T = TypeVar("T")

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
_FULL_WIDTH = str.maketrans("[]", "\uff3b\uff3d")  # "[2]" as "［2］"
_FENCE = r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})"
_FENCE_LINE = re.compile(_FENCE, re.MULTILINE)
# a code span on one line, as CommonMark finds it: a run of backticks closed by one as long
_SPAN = re.compile(r"(?<!`)(?P<run>`+)(?!`).+?(?<!`)(?P=run)(?!`)")
_CODE = re.compile(rf"(?ms:{_FENCE}.*?(?:^[ \t]{{0,3}}(?P=fence)|\Z))|{_SPAN.pattern}",
                   re.MULTILINE)


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
        self._written = ""  # all of it, as the generator wrote it

    def filter(self, deltas: Iterator[str]) -> Iterator[str]:
        """Yield the deltas with unknown markers removed, as soon as that can be decided."""
        held = ""
        for delta in deltas:
            if isinstance(delta, Quoted):
                if held:
                    yield self._check(held)
                    held = ""
                self._remember(delta)
                yield Quoted(as_document_brackets(delta))
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
        self._written += text

    def _check(self, text: str, after: str = "") -> str:
        before, pieces, start = self._before, [], 0
        for match in _MARKER.finditer(text):
            at, following = match.start(), text[match.end():] + after
            marker = self._replace(match, before + text[:at], following,
                                   lambda at=at: _in_code(self._written + text[:at]))
            kept = text[start:at]
            if not marker and not following[:1].isalnum():
                # a marker removed whole takes the space before it along: "true [7]." reads
                # "true.", not "true ."
                kept = kept.rstrip(" \t")
            pieces += [kept, marker]
            start = match.end()
        pieces.append(text[start:])
        self._remember(text)  # as written: the words before a bracket, however cut in deltas
        return "".join(pieces)

    def _replace(self, match: re.Match[str], before: str, after: str,
                 in_code: Callable[[], bool]) -> str:
        if self._quoted(before, match.group(0), after):
            return match.group(0) if in_code() else _full_width(match)
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


def listed(passages: Sequence[T], found: int, cited: Sequence[int]) -> list[T]:
    """The passages an answer lists as its citations: the `found` the search gave (at most
    its top_k), then those read beside them for the answer (the code a passage introduces,
    `rag.retrieval.introduced_code`) up to the last the answer cites. One read beside and
    not quoted is no source of the answer; one before a cited one stays, as [n] is always
    the list's n-th."""
    return list(passages[:max(found, max(cited, default=0))])


def as_document_brackets(text: str) -> str:
    """Quoted `text` with each bracket that reads as a citation marker ("[2]", "[1, 3]")
    written with full-width brackets ("［2］"), outside its code."""
    out, start = [], 0
    for code in _CODE.finditer(text):
        out += [_MARKER.sub(_full_width, text[start:code.start()]), code.group()]
        start = code.end()
    out.append(_MARKER.sub(_full_width, text[start:]))
    return "".join(out)


def _full_width(match: re.Match[str]) -> str:
    return match.group(0).translate(_FULL_WIDTH)


def _in_code(written: str) -> bool:
    """Whether what follows `written` is code: inside a fenced block it opened, or a code
    span opened on its last line."""
    if len(_FENCE_LINE.findall(written)) % 2:
        return True
    line = written[written.rfind("\n") + 1:]
    return "`" in _SPAN.sub("", line)


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
    whose next words may show it to be a passage's; and the spaces before either, or ending
    the text, which a marker after them may take along."""
    end = len(text)
    cut = text.rfind("[")
    if cut != -1 and "]" not in text[cut:] and len(text) - cut <= _HOLD:
        end = cut
    for match in _MARKER.finditer(text, 0, end):
        if len(text) - match.end() < _CONTEXT:
            end = match.start()
            break
    # and the spaces before it, which go if a marker after them does
    return len(text[:end].rstrip(" \t"))
