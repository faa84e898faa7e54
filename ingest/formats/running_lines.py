"""Running headers and footers: the lines a PDF repeats at the top or the bottom of its pages.

"Chapter 2: R Basics 5" heads every page of a manual's chapter, and a page number foots most
pages. Left in the text, they are glued to the sentence that runs on from the page before,
so an answer quoting it begins "Chapter 5: R Add-On Packages 23 at the shell prompt", and
every chunk of a page carries the words of its heading. A line is running when, its numbers
set aside (arabic or roman), the same line is among the first (or last) two lines of at least
three pages and starts or ends with a page number, or of 80% of the pages with the same
numbers on each ("Confidential") or with a page number. A number is a page number when it
follows the page: on at least three of the line's pages it is the page's place in the file
times one (or two, a spread's two pages on one) plus the same offset, so a book numbered
from 11, front matter numbered i, ii, iii, pages skipped or missing the line all count,
while a figure of each page's own ("Amount due 407", "Exercise 12") stays. A closing brace, a
"For example:" or a "see Section 15.4" that happens to end three pages is the text's own. A
short chapter's header, on one or two pages, is running when it is shaped like other
chapters' running headers and its number follows the page as theirs do. A running line is
removed from those places only, never from the middle of a page, and never from a page it
would leave empty: a header runs above a page's text, so a page whose only lines look running
(a slide's numbered title, one numbered line per page) holds them as its text.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from rag.types import Page

MIN_PAGES = 3  # a line at the edge of fewer pages than this is the page's own
EDGE_LINES = 2  # lines looked at, at each page's top and bottom
MAX_CHARS = 120  # a longer line is text, not a header
UNNUMBERED = 0.8  # the share of pages a running line without a page number must be on
MIN_RENUMBERED = 2  # pages a page number's second numbering (front matter's) must be on
PAGE_STEPS = (1, 2)  # the page number goes on by one a page, or by two where a page is a spread
_NUMBER = re.compile(r"\d+")
_ROMAN = re.compile(r"(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
_SPACE = re.compile(r"\s+")
# a chapter's or an appendix's running header, its page number last: "chapter \x00: r bugs \x00",
# "appendix c: obsolete functions \x00"
_CHAPTER_HEADER = re.compile(r"([a-z]+) (?:\x00|[a-z]): \S.* \x00")
MIN_KINDRED = 2  # running headers of this many chapters make a kind
PAGE_NUMBER = "\x00"  # stands for any number in a line's key

# how a page number follows the page: `step * place + offset`, the place being the page's in
# the file
Numbering = tuple[int, int]


@dataclass
class _Edge:
    """The lines at one edge of the pages (their tops, or their bottoms), by key."""

    page_count: int
    seen: Counter[str] = field(default_factory=Counter)
    numbers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # for each key, on how many pages its numbers follow the page in each way
    numberings: dict[str, Counter[Numbering]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, place: int, keys: dict[str, str]) -> None:
        """Count the page at `place` whose lines at this edge are `keys` (key: line)."""
        self.seen.update(keys.keys())
        for key, line in keys.items():
            self.numbers[key].add(" ".join(_NUMBER.findall(line)))
            self.numberings[key].update(set(_numberings(line, place)))

    def page_numberings(self, key: str) -> set[Numbering]:
        """The ways the key's numbers follow the page on enough pages to be its page number:
        one on MIN_PAGES pages, and then any other of its step on fewer, MIN_RENUMBERED (front
        matter's i, ii before the body's 1, 2, 3)."""
        pages = self.numberings[key]
        steps = {step for (step, _), count in pages.items() if count >= MIN_PAGES}
        return {(step, offset) for (step, offset), count in pages.items()
                if step in steps and count >= MIN_RENUMBERED}

    def running(self, key: str, line: str, place: int) -> bool:
        """Whether the line, at this edge of the page at `place`, is a running one."""
        if not key or self.seen[key] < MIN_PAGES:
            return False
        everywhere = self.seen[key] >= UNNUMBERED * self.page_count
        if everywhere and len(self.numbers[key]) == 1:  # "Confidential": the same on each page
            return True
        # a line on nearly every page may hold its page number anywhere ("Page 3 of 10")
        may_hold_page_number = everywhere or _numbered(key)
        return may_hold_page_number and _follows(line, place, self.page_numberings(key))


def without_running_lines(pages: Sequence[Page]) -> list[Page]:
    """The pages without their running headers and footers."""
    lines = [page.text.split("\n") for page in pages]
    places = [_place(page, index) for index, page in enumerate(pages)]
    drop: list[set[int]] = [set() for _ in lines]
    for edge in (_top, _bottom):
        found = _Edge(len(lines))
        for page, place in zip(lines, places, strict=True):
            found.add(place, {_key(page[i]): page[i] for i in edge(page)})
        kinds = _running_kinds(found)
        for page, place, dropped in zip(lines, places, drop, strict=True):
            dropped.update(i for i in edge(page) if found.running(_key(page[i]), page[i], place)
                           or _of_running_kind(_key(page[i]), page[i], place, kinds))
    return [_without(page, text, dropped)
            for page, text, dropped in zip(pages, lines, drop, strict=True)]


def _place(page: Page, index: int) -> int:
    """The page's place in the file: its number, which counts the pages left out too."""
    return page.number if page.number is not None else index + 1


def _running_kinds(found: _Edge) -> dict[str, set[Numbering]]:
    """The kinds of chapter header that run over two or more chapters ("chapter" for
    "Chapter 2: Basics 5" and "Chapter 5: Packages 23"), each with the ways its page numbers
    follow the pages."""
    chapters: Counter[str] = Counter()
    numberings: dict[str, set[Numbering]] = defaultdict(set)
    for key in found.seen:
        match = _CHAPTER_HEADER.fullmatch(key)
        if match and (followed := found.page_numberings(key)):
            chapters[match.group(1)] += 1
            numberings[match.group(1)] |= followed
    return {kind: numberings[kind] for kind, count in chapters.items() if count >= MIN_KINDRED}


def _of_running_kind(key: str, line: str, place: int,
                     kinds: dict[str, set[Numbering]]) -> bool:
    """A line shaped like the running headers of two or more chapters ("Chapter 9: R Bugs 46"
    beside "Chapter 2: Basics 5" and "Chapter 5: Packages 23"), its number following the page
    as theirs do, however few pages it heads: a chapter of one or two pages has its header on
    too few to be told by repeating."""
    match = _CHAPTER_HEADER.fullmatch(key)
    return bool(match) and _follows(line, place, kinds.get(match.group(1), set()))


def _follows(line: str, place: int, numberings: set[Numbering]) -> bool:
    return not numberings.isdisjoint(_numberings(line, place))


def _numberings(line: str, place: int) -> Iterator[Numbering]:
    """The ways the line's numbers could follow the page at `place`: each number `n` as
    `step * place + offset`."""
    for number in _numbers(line):
        for step in PAGE_STEPS:
            yield step, number - step * place


def _numbers(line: str) -> list[int]:
    """The line's arabic numbers, or its roman one ("xii", front matter's page number)."""
    text = line.strip().lower()
    if _ROMAN.fullmatch(text):
        return [_roman_value(text)]
    return [int(number) for number in _NUMBER.findall(line)]


def _roman_value(numeral: str) -> int:
    values = [_ROMAN_VALUES[char] for char in numeral]
    # a digit before a greater one is taken away from it ("iv", "xc")
    return sum(-value if value < after else value
               for value, after in zip(values, [*values[1:], 0], strict=True))


def _without(page: Page, lines: list[str], dropped: set[int]) -> Page:
    """The page without its `dropped` lines; as it is when they are all the text it has."""
    kept = [line for i, line in enumerate(lines) if i not in dropped]
    if not dropped or not any(line.strip() for line in kept):  # no text for them to run above
        return page
    # the blank line that set a header apart from a heading below it goes with the header
    return replace(page, text="\n".join(kept).strip("\n"))


def _top(page: list[str]) -> list[int]:
    return [i for i, line in enumerate(page) if line.strip()][:EDGE_LINES]


def _bottom(page: list[str]) -> list[int]:
    return [i for i, line in enumerate(page) if line.strip()][-EDGE_LINES:]


def _key(line: str) -> str:
    """The line with its numbers set aside; "" for one that cannot be running."""
    text = _SPACE.sub(" ", line.strip().lower())
    if not text or len(text) > MAX_CHARS:
        return ""
    return PAGE_NUMBER if _ROMAN.fullmatch(text) else _NUMBER.sub(PAGE_NUMBER, text)


def _numbered(key: str) -> bool:
    """A bare page number, or words that begin or end with one ("chapter 2: basics 5")."""
    if key == PAGE_NUMBER:
        return True
    words = sum(char.isalpha() for char in key) >= 3
    return words and (key.startswith(PAGE_NUMBER) or key.endswith(PAGE_NUMBER))
