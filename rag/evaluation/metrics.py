"""Ranking and answer measures for one relevant item per question."""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Sequence

_CITATION = re.compile(r"\[(\d+)\]")
_CITED = re.compile(r"\s*\[\d+\]")
# a fenced code block or a code span an answer quotes: its brackets are the program's
# ("[1] FALSE")
_FENCED_CODE = re.compile(r"^```.*?^```|`[^`\n]+`", re.DOTALL | re.MULTILINE)
# closing punctuation, then closing quotes or brackets and reference marks ("[3]", ":245",
# a quote's "［3］", which the answer writes full-width to tell it from its own markers)
_SENTENCE_END = re.compile(
    r"""[.?!;:…](?:\s*["'”’)\]])*(?:[\[［][^\]］]{1,30}[\]］]|:\d+(?:,\s?\d+)*)*$""")


def rank_metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    """hit@k, MRR@10 and nDCG@10 for one relevant item per query (rank is 1-based)."""
    n = max(len(ranks), 1)
    in10 = [r for r in ranks if r is not None and r <= 10]
    return {
        "hit@1": sum(1 for r in in10 if r <= 1) / n,
        "hit@5": sum(1 for r in in10 if r <= 5) / n,
        "hit@10": len(in10) / n,
        "mrr@10": sum(1 / r for r in in10) / n,
        "ndcg@10": sum(1 / math.log2(r + 1) for r in in10) / n,
    }


def first_rank(keys: Sequence[Hashable], gold: Hashable) -> int | None:
    """Rank of `gold` among the distinct keys, in order (a paragraph or page split into
    several chunks counts at its first)."""
    seen: list[Hashable] = []
    for key in keys:
        if key not in seen:
            seen.append(key)
    return seen.index(gold) + 1 if gold in seen else None


def first_citation(answer: str) -> int | None:
    """The passage number of an answer's first citation marker [n], outside the code it
    quotes."""
    match = _CITATION.search(_FENCED_CODE.sub("", answer))
    return int(match.group(1)) if match else None


def cuts_a_sentence(answer: str) -> bool:
    """True when a quoted piece of an answer (the text before each citation marker) stops
    without a sentence's closing punctuation: the sign of a sentence cut at a chunk's end.
    A list item or a heading without a final stop counts too, so read it as an upper bound."""
    pieces = (piece.strip() for piece in _CITED.split(answer))
    return any(piece and not _SENTENCE_END.search(piece) for piece in pieces)


def share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None
