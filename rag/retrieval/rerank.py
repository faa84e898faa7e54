"""Reranking as an improvement, never a dependency: a failed call keeps the fused order."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rag.errors import AIError
from rag.providers.rerankers.base import Reranker
from rag.types import Hit

log = logging.getLogger(__name__)


def rerank_or_keep(reranker: Reranker, query: str, hits: Sequence[Hit],
                   top_k: int) -> tuple[list[Hit], bool]:
    """(hits, reranked): the reranker's top_k, or the fused top_k if its call failed.

    The call itself is already logged (with its retries) by the AI client; this adds why the
    results are in fused order.
    """
    try:
        return reranker.rerank(query, hits, top_k), True
    except AIError as exc:
        log.warning("reranking with %s failed, keeping the fused order: %s", reranker.name, exc)
        return list(hits[:top_k]), False
