"""Find the chunks that best match a question: dense, sparse (lexical) or both fused, then
optionally reranked.

For a question being answered (`lenient`), a question that cannot be embedded (the embedding
service is down, or the question is longer than the embedder takes) is searched by its words
alone: the sparse half needs no model. The retrieval then says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from rag.errors import AIError, InputTooLongError
from rag.providers.embedders.base import Embedder
from rag.providers.rerankers.base import Reranker
from rag.retrieval.cache import Cache
from rag.retrieval.fusion import fuse_dbsf
from rag.retrieval.rerank import rerank_or_keep
from rag.stores.base import HYBRID_DEPTH, ChunkStore
from rag.text import lexical
from rag.types import Hit, SearchMode

log = logging.getLogger(__name__)

SPARSE_ONLY_NOTE = ("The search matched words only: the question could not be embedded ({}).")


@dataclass(frozen=True)
class Retrieval:
    """Hits, whether a configured reranker failed (they are then in fused order), and why
    the search fell back to words only (None when it did not)."""

    hits: list[Hit]
    rerank_failed: bool = False
    sparse_only: str | None = None


class Retriever:
    def __init__(self, embedder: Embedder, store: ChunkStore, mode: SearchMode = "hybrid",
                 cache: Cache | None = None, reranker: Reranker | None = None,
                 rerank_candidates: int = 20) -> None:
        self.embedder = embedder
        self.store = store
        self.mode = mode
        self.cache = cache
        self.reranker = reranker
        self.rerank_candidates = rerank_candidates

    @property
    def rerank_key(self) -> list[object] | None:
        """What reranking changes about results (None when off): part of the answer-cache key."""
        if self.reranker is None:
            return None
        return [self.reranker.name, self.rerank_candidates]

    def embed_query(self, query: str) -> np.ndarray:
        """The query's vector, from the cache when this embedder has seen the query before."""
        if self.cache is not None:
            cached = self.cache.query_vector(self.embedder.name, query)
            if cached is not None:
                return cached
        vector = self.embedder.embed_query(query)
        if self.cache is not None:
            self.cache.set_query_vector(self.embedder.name, query, vector)
        return vector

    def search(self, query: str, top_k: int, mode: SearchMode | None = None,
               doc_id: str | None = None, source: str | None = None) -> list[Hit]:
        """The best `top_k` hits; see `retrieve` for what reranking does to them."""
        return self.retrieve(query, top_k, mode, doc_id, source).hits

    def sparse_half(self, query: str, top_k: int) -> list[Hit]:
        """The sparse half of a hybrid search, as deep as the hybrid query's own (to be fused
        later by `retrieve(sparse_hits=...)`)."""
        depth = max(top_k, self.rerank_candidates) if self.reranker else top_k
        return self.store.search(None, lexical.query_vector(query),
                                 max(depth * 4, HYBRID_DEPTH), "sparse")

    def retrieve(self, query: str, top_k: int, mode: SearchMode | None = None,
                 doc_id: str | None = None, source: str | None = None, *,
                 lenient: bool = False, sparse_hits: list[Hit] | None = None) -> Retrieval:
        """The best `top_k` hits, and whether reranking failed.

        With a reranker, the best `rerank_candidates` fused hits are reranked and the top_k
        kept in the reranker's order; each hit's `score` is then the reranker's score, not the
        fused one. If the reranker fails, the fused top_k are returned (with fused scores).
        `sparse_hits` (from `sparse_half`, fetched earlier) stand for the sparse half of a
        hybrid search over the whole collection: only the dense half runs here.
        """
        mode = mode or self.mode
        dense, sparse_only = None, None
        if mode != "sparse":
            try:
                dense = self.embed_query(query)
            except (AIError, InputTooLongError) as exc:
                if not lenient:
                    raise
                log.warning("question embedding failed, searching by words only: %s", exc)
                mode, sparse_only = "sparse", _first_sentence(exc)
        elif not lenient:
            self.embedder.check_length(query, "question")
        depth = max(top_k, self.rerank_candidates) if self.reranker else top_k
        if sparse_hits is not None and mode == "hybrid" and not (doc_id or source):
            dense_hits = self.store.search(dense, None, max(depth * 4, HYBRID_DEPTH), "dense")
            hits = fuse_dbsf([dense_hits, sparse_hits], depth)
        else:
            sparse = lexical.query_vector(query) if mode != "dense" else None
            hits = self.store.search(dense, sparse, depth, mode, doc_id=doc_id, source=source)
        if self.reranker is None:
            return Retrieval(hits, sparse_only=sparse_only)
        reranked, ok = rerank_or_keep(self.reranker, query, hits, top_k)
        return Retrieval(reranked, rerank_failed=not ok, sparse_only=sparse_only)


def _first_sentence(exc: Exception) -> str:
    text = str(exc).split(". ")[0].rstrip(".")
    return text if len(text) <= 200 else text[:197] + "..."
