"""Distribution-based score fusion of result lists fetched apart, as Qdrant fuses a hybrid query.

Used when the two halves of a hybrid search ran at different times (the sparse half alongside
a follow-up question's rewrite). Each list's scores are normalised by its own mean and spread
(mean ± 3 standard deviations mapped to 0..1), and a passage's fused score is the sum over the
lists that found it.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import replace

from rag.types import Hit


def fuse_dbsf(lists: Sequence[Sequence[Hit]], top_k: int) -> list[Hit]:
    """The best `top_k` hits of `lists` fused, with the fused score."""
    fused: dict[str, float] = {}
    first: dict[str, Hit] = {}
    for hits in lists:
        if not hits:
            continue
        scores = [hit.score for hit in hits]
        mean = statistics.fmean(scores)
        spread = statistics.pstdev(scores) if len(scores) > 1 else 0.0
        low, high = mean - 3 * spread, mean + 3 * spread
        for hit in hits:
            norm = 0.5 if high <= low else min(1.0, max(0.0, (hit.score - low) / (high - low)))
            fused[hit.chunk_id] = fused.get(hit.chunk_id, 0.0) + norm
            first.setdefault(hit.chunk_id, hit)
    best = sorted(fused, key=lambda chunk: -fused[chunk])[:top_k]
    return [replace(first[chunk], score=fused[chunk]) for chunk in best]
