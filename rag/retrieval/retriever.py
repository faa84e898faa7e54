"""Find the chunks that best match a question: dense, sparse (lexical) or both fused; in
hybrid mode the fused candidates rescored by their best sentence; then optionally reranked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.providers.embedders.base import Embedder
from rag.providers.rerankers.base import Reranker
from rag.retrieval.cache import Cache
from rag.retrieval.rerank import rerank_or_keep
from rag.retrieval.rescoring import SentenceRescorer
from rag.stores.base import ChunkStore
from rag.text import lexical
from rag.types import Hit, SearchMode


@dataclass(frozen=True)
class Retrieval:
    """Hits, and whether a configured reranker failed (they are then in fused order)."""

    hits: list[Hit]
    rerank_failed: bool = False


class Retriever:
    def __init__(self, embedder: Embedder, store: ChunkStore, mode: SearchMode = "hybrid",
                 cache: Cache | None = None, reranker: Reranker | None = None,
                 rerank_candidates: int = 20, rescore: bool = True) -> None:
        self.embedder = embedder
        self.store = store
        self.mode = mode
        self.cache = cache
        self.reranker = reranker
        self.rerank_candidates = rerank_candidates
        self.rescorer = SentenceRescorer(embedder) if rescore else None

    @property
    def rerank_key(self) -> list[object] | None:
        """What reranking changes about results (None when off): part of the answer-cache key."""
        key: list[object] = ["sentences"] if self.rescorer else []
        if self.reranker is not None:
            key += [self.reranker.name, self.rerank_candidates]
        return key or None

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

    def retrieve(self, query: str, top_k: int, mode: SearchMode | None = None,
                 doc_id: str | None = None, source: str | None = None) -> Retrieval:
        """The best `top_k` hits, and whether reranking failed.

        In hybrid mode the best fused hits are first rescored by their best sentence
        (`rescoring.SentenceRescorer`, when on). With a reranker, the best `rerank_candidates`
        of those are then reranked and the top_k kept in the reranker's order; each hit's
        `score` is then the reranker's score. If the reranker fails, the top_k are returned in
        the order before it.
        """
        mode = mode or self.mode
        dense = self.embed_query(query) if mode != "sparse" else None
        if mode == "sparse":
            self.embedder.check_length(query, "question")
        return self.retrieve_with(query, dense, top_k, mode, doc_id, source)

    def retrieve_with(self, query: str, dense: np.ndarray | None, top_k: int,
                      mode: SearchMode, doc_id: str | None = None,
                      source: str | None = None) -> Retrieval:
        """`retrieve` with the query's dense vector already made (None in sparse mode)."""
        sparse = (lexical.query_vector(query, self.store.lexical_scheme)
                  if mode != "dense" else None)
        rescorer = self.rescorer if mode == "hybrid" and dense is not None else None
        depth = top_k
        if rescorer:
            depth = max(depth, rescorer.candidates)
        if self.reranker:
            depth = max(depth, self.rerank_candidates)
        hits = self.store.search(dense, sparse, depth, mode, doc_id=doc_id, source=source)
        if rescorer:
            assert dense is not None
            hits = rescorer.rescore(dense, hits)
        if self.reranker is None:
            return Retrieval(hits[:top_k])
        reranked, ok = rerank_or_keep(self.reranker, query, hits[: self.rerank_candidates],
                                      top_k)
        return Retrieval(reranked, rerank_failed=not ok)
