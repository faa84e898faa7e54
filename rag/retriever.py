"""Find the chunks that best match a question: dense, sparse (lexical) or both fused."""

from __future__ import annotations

import numpy as np

from rag import lexical
from rag.cache import Cache
from rag.embedders.base import Embedder
from rag.store import QdrantStore, SearchMode
from rag.types import Hit


class Retriever:
    def __init__(self, embedder: Embedder, store: QdrantStore, mode: SearchMode = "hybrid",
                 cache: Cache | None = None) -> None:
        self.embedder = embedder
        self.store = store
        self.mode = mode
        self.cache = cache

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
        mode = mode or self.mode
        dense = self.embed_query(query) if mode != "sparse" else None
        if mode == "sparse":
            self.embedder.check_length(query, "question")
        sparse = lexical.query_vector(query) if mode != "dense" else None
        return self.store.search(dense, sparse, top_k, mode, doc_id=doc_id, source=source)
