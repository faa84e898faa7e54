"""A printed manual's cross-references: "see Section 7.2 [How can I save my workspace?], page 28".

The title in brackets is another section's. Its words say what that section is about, not
what the sentence around it says: "you can compile R yourself on a number of Unix-like
platforms (see Section 2.2 [What machines does R run on?], page 3)" is not the answer to
"Which platforms does R run on?", and holding all its words it outscored the section that
is. So where a question's words are matched against a passage's (the search's rescoring, the
extractive answer's sentence scores), the passage is read with those titles blanked out.
"""

from __future__ import annotations

import re
from functools import lru_cache

# texinfo's printed form: the title in brackets, then the page it is on
CROSS_REFERENCE = re.compile(r"\[([^\[\]]{3,200})\],?\s+page\s+\d+")


def title_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Where the titles of the text's cross-references lie (`text[start:end]`)."""
    # nearly every text: no pattern to run, and no cache entry pushing a passage out
    return _found_spans(text) if "page" in text else ()


@lru_cache(maxsize=4096)  # the same passages come back for related questions
def _found_spans(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(match.span(1) for match in CROSS_REFERENCE.finditer(text))


def without_titles(text: str) -> str:
    """The text with each cross-reference's title turned into spaces: the words around it
    keep their places (`text[start:end]` still finds them)."""
    spans = title_spans(text)
    if not spans:
        return text
    kept, at = [], 0
    for start, end in spans:
        kept += [text[at:start], " " * (end - start)]
        at = end
    kept.append(text[at:])
    return "".join(kept)


def inside_titles(spans: tuple[tuple[int, int], ...], start: int) -> bool:
    """Whether a position lies inside one of the title `spans`."""
    return any(begin <= start < end for begin, end in spans)
