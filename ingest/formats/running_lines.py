"""Running headers and footers: the lines a PDF repeats at the top or the bottom of its pages.

"Chapter 2: R Basics 5" heads every page of a manual's chapter, and a page number foots most
pages. Left in the text, they are glued to the sentence that runs on from the page before,
so an answer quoting it begins "Chapter 5: R Add-On Packages 23 at the shell prompt", and
every chunk of a page carries the words of its heading. A line is running when, its numbers
set aside (arabic or roman), the same line is among the first (or last) two lines of at least
three pages and starts or ends with a page number that changes from page to page, or of 80%
of the pages whatever it holds ("Confidential"): a closing brace, a "For example:" or a "see
Section 15.4" that happens to end three pages is the text's own. A short chapter's header,
on one or two pages, is running when it is shaped like other chapters' running headers. A
running line is removed from those places only, never from the middle of a page, and never
from a page it would leave empty: a header runs above a page's text, so a page whose only
lines look running (a slide's numbered title, one numbered line per page) holds them as its
text.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace

from rag.types import Page

MIN_PAGES = 3  # a line at the edge of fewer pages than this is the page's own
EDGE_LINES = 2  # lines looked at, at each page's top and bottom
MAX_CHARS = 120  # a longer line is text, not a header
UNNUMBERED = 0.8  # the share of pages a running line without a page number must be on
_NUMBER = re.compile(r"\d+")
_ROMAN = re.compile(r"(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})")
_SPACE = re.compile(r"\s+")
# a chapter's or an appendix's running header, its page number last: "chapter \x00: r bugs \x00",
# "appendix c: obsolete functions \x00"
_CHAPTER_HEADER = re.compile(r"([a-z]+) (?:\x00|[a-z]): \S.* \x00")
MIN_KINDRED = 2  # running headers of this many chapters make a kind
PAGE_NUMBER = "\x00"  # stands for any number in a line's key


def without_running_lines(pages: Sequence[Page]) -> list[Page]:
    """The pages without their running headers and footers."""
    lines = [page.text.split("\n") for page in pages]
    drop: list[set[int]] = [set() for _ in lines]
    for edge in (_top, _bottom):
        seen: Counter[str] = Counter()
        numbers: dict[str, set[str]] = defaultdict(set)  # the numbers each key was seen with
        for page in lines:
            keys = {_key(page[i]): page[i] for i in edge(page)}
            seen.update(keys.keys())
            for key, line in keys.items():
                numbers[key].add(" ".join(_NUMBER.findall(line)))
        everywhere = UNNUMBERED * len(lines)
        running = {key for key, count in seen.items() if key and count >= MIN_PAGES and (
            (_numbered(key) and len(numbers[key]) >= MIN_PAGES) or count >= everywhere)}
        running |= _of_running_kind(running, seen)
        for page, dropped in zip(lines, drop, strict=True):
            dropped.update(i for i in edge(page) if _key(page[i]) in running)
    return [_without(page, text, dropped)
            for page, text, dropped in zip(pages, lines, drop, strict=True)]


def _of_running_kind(running: set[str], seen: Counter[str]) -> set[str]:
    """The lines shaped like running headers of two or more chapters ("Chapter 9: R Bugs 46"
    beside "Chapter 2: Basics 5" and "Chapter 5: Packages 23"), however few pages they head:
    a chapter of one or two pages has its header on too few to be told by repeating."""
    kinds = Counter(match.group(1) for key in running if (match := _CHAPTER_HEADER.fullmatch(key)))
    return {key for key in seen if (match := _CHAPTER_HEADER.fullmatch(key))
            and kinds[match.group(1)] >= MIN_KINDRED}


def _without(page: Page, lines: list[str], dropped: set[int]) -> Page:
    """The page without its `dropped` lines; as it is when they are all the text it has."""
    kept = [line for i, line in enumerate(lines) if i not in dropped]
    if not dropped or not any(line.strip() for line in kept):  # no text for them to run above
        return page
    return replace(page, text="\n".join(kept))


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
