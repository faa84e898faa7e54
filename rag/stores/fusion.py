"""Hybrid search's fusion: each side's scores normalised and weighted, then summed per point.

The stores run the dense and the lexical search apart (ids and scores only) and fuse them
here, the same on every Qdrant engine: Qdrant's own DBSF takes no weights.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

DENSE = "dense"
SPARSE = "lexical"
HYBRID_DEPTH = 100  # candidates per retriever before fusion; deeper than 40 measured better
# each side's weight in the fused score: the lexical side is the surer one on every style of
# text measured, the dense side the one that finds paraphrases (docs/evaluation.md)
FUSION_WEIGHTS = {DENSE: 1.0, SPARSE: 1.5}
PointId = Any  # a str, or whatever id type the engine hands back (qdrant-edge: uuid.UUID)
ScoredIds = list[tuple[PointId, float]]  # one side of a hybrid search, best first


def fusion_depth(top_k: int) -> int:
    """Candidates each side of a hybrid search brings to the fusion."""
    return max(top_k * 4, HYBRID_DEPTH)


def best_of_side(side: ScoredIds, placeless: set[str], count: int) -> list[PointId]:
    """The side's best `count` ids, those in `placeless` passed over."""
    return list(itertools.islice((pid for pid, _ in side if str(pid) not in placeless), count))


def fuse_dbsf(ranked: Sequence[tuple[float, Sequence[tuple[PointId, float]]]]
              ) -> list[tuple[PointId, float]]:
    """Distribution-based score fusion, as Qdrant's DBSF, with a weight per list.

    Each list's scores are mapped so that its mean less three standard deviations is 0 and its
    mean plus three is 1, then weighted and summed per point (a point missing from a list gets
    nothing from it). Best first. In plain Python: for a few dozen scores, numpy's calls
    would each let go of the interpreter lock and wait to take it back on a busy engine.
    """
    fused: dict[PointId, float] = {}
    for weight, hits in ranked:
        if not hits:
            continue
        scores = [score for _, score in hits]
        mean = math.fsum(scores) / len(scores)
        spread = 6 * math.sqrt(math.fsum((score - mean) ** 2 for score in scores) / len(scores))
        for pid, score in hits:
            value = (score - mean) / spread + 0.5 if spread > 0 else 1.0
            fused[pid] = fused.get(pid, 0.0) + weight * value
    # ties by id: the engines hand them back in the order points were written
    return sorted(fused.items(), key=lambda item: (-item[1], str(item[0])))
