"""The two halves of a hybrid search fetched apart (the sparse half searched alongside a
follow-up question's rewrite), fused exactly as the store fuses a hybrid search: weighted
distribution-based score fusion (`stores.base.fuse_dbsf`, `FUSION_WEIGHTS`)."""

from __future__ import annotations

from dataclasses import replace

from rag.stores.base import DENSE, FUSION_WEIGHTS, SPARSE, fuse_dbsf
from rag.types import Hit


def fuse_halves(dense_hits: list[Hit], sparse_hits: list[Hit], top_k: int) -> list[Hit]:
    """The best `top_k` of both halves, each with its fused score."""
    found = {hit.chunk_id: hit for hit in [*sparse_hits, *dense_hits]}
    fused = fuse_dbsf([(FUSION_WEIGHTS[DENSE], [(h.chunk_id, h.score) for h in dense_hits]),
                       (FUSION_WEIGHTS[SPARSE], [(h.chunk_id, h.score) for h in sparse_hits])])
    return [replace(found[chunk], score=score) for chunk, score in fused[:top_k]]
