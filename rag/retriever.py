"""Find the chunks that best match a question: dense, sparse (lexical) or both fused."""

from __future__ import annotations

from rag import lexical
from rag.embedders.base import Embedder
from rag.store import QdrantStore, SearchMode
from rag.types import Hit


class Retriever:
    def __init__(self, embedder: Embedder, store: QdrantStore, mode: SearchMode = "hybrid") -> None:
        self.embedder = embedder
        self.store = store
        self.mode = mode

    def search(self, query: str, top_k: int, mode: SearchMode | None = None,
               doc_id: str | None = None, source: str | None = None) -> list[Hit]:
        mode = mode or self.mode
        dense = self.embedder.embed_query(query) if mode != "sparse" else None
        if mode == "sparse":
            self.embedder.check_length(query, "question")
        sparse = lexical.query_vector(query) if mode != "dense" else None
        return self.store.search(dense, sparse, top_k, mode, doc_id=doc_id, source=source)
