"""The reranker seam: a cross-encoder that reorders the fused candidates of a search."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from rag.types import Hit


class Reranker(ABC):
    """Scores passages against a query. `name` identifies the model (it keys the answer cache)."""

    name: str

    @abstractmethod
    def rerank(self, query: str, hits: Sequence[Hit], top_k: int) -> list[Hit]:
        """The best `top_k` of `hits`, best first, each with the reranker's score."""

    def close(self) -> None:
        """Release connections (remote rerankers)."""
        return None  # nothing to release for a model in this process
