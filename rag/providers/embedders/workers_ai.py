"""bge embeddings on Workers AI: 100 texts a request, several requests in flight."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.errors import PermanentAIError
from rag.providers.cloudflare import catalog, pricing
from rag.providers.cloudflare.client import PROVIDER, billed_neurons, cloudflare_http, unwrap
from rag.providers.cloudflare.route import WorkersAIRoute
from rag.providers.embedders.base import Embedder, normalise, received_vectors
from rag.providers.http.client import AIHttp
from rag.providers.http.parallel import run_concurrently


class WorkersAIEmbedder(Embedder):
    """bge embeddings on Workers AI.

    Usage:
        embedder = WorkersAIEmbedder.from_settings(settings)
        vectors = embedder.embed_documents(chunks)   # (n, 768), input order

    Parameters:
        http: the Workers AI client (`cloudflare_http`).
        route: native or gateway route.
        model: e.g. "@cf/baai/bge-base-en-v1.5".
        concurrency: requests in flight during `embed_documents`.

    Texts are sent with `pooling: "cls"`, which Cloudflare recommends for retrieval; cls and
    mean vectors are not comparable, so this is fixed rather than a setting.
    """

    max_tokens = catalog.EMBEDDING_MAX_TOKENS
    max_batch = catalog.MAX_TEXTS_PER_REQUEST
    special_tokens = 2  # [CLS] and [SEP]
    pooling = "cls"

    def __init__(self, http: AIHttp, route: WorkersAIRoute, model: str, concurrency: int = 4):
        self.http = http
        self.route = route
        self.model = model
        self.concurrency = max(1, concurrency)
        self.name = f"workers-ai:{model}"
        self.dimension = catalog.EMBEDDING_DIMENSIONS.get(model, 768)
        english_bge = "/bge-" in model and "-en-" in model
        self.query_instruction = catalog.BGE_QUERY_INSTRUCTION if english_bge else ""

    @classmethod
    def from_settings(cls, settings: Any, transport: Any = None) -> WorkersAIEmbedder:
        concurrency = settings.ai_embed_concurrency
        http = cloudflare_http(settings, transport, max_connections=max(10, concurrency * 2))
        return cls(http, WorkersAIRoute(settings), settings.workers_ai_embedding_model,
                   concurrency)

    def __repr__(self) -> str:
        return f"WorkersAIEmbedder(model={self.model!r}, endpoint={self.route.endpoint!r})"

    def close(self) -> None:
        self.http.close()

    def embed_documents(self, texts: Sequence[str],
                        token_counts: Sequence[int] | None = None) -> np.ndarray:
        """Embed batches concurrently; each batch's lengths are checked before its request.

        Counting inside the batches lets the tokenizer (which releases the GIL) run while other
        requests wait on the network; a chunk over the limit stops the work not yet started
        and is reported (never truncated). The pipeline discards whatever was written before.
        Counts the caller already has (chunking's) are checked instead of counted again.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if token_counts is not None:
            self.check_counts(token_counts)
        starts = range(0, len(texts), self.max_batch)

        def batch(start: int) -> np.ndarray:
            part = texts[start : start + self.max_batch]
            if token_counts is None:
                counts = self.count_tokens_many(part)
                self.check_counts(counts, start)
            else:
                counts = list(token_counts[start : start + self.max_batch])
            return self._embed(part, sum(counts))

        return np.concatenate(run_concurrently(batch, list(starts), self.concurrency)).astype(
            np.float32)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One request for at most 100 non-empty texts; checks the returned shape."""
        return self._embed(texts)

    def _embed(self, texts: Sequence[str], tokens: int | None = None) -> np.ndarray:
        """`embed_batch`, given the texts' token total when the caller has counted it already
        (counting every chunk twice was a fifth of a remote ingest's client time)."""
        if len(texts) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} texts per request, got {len(texts)}")
        for position, text in enumerate(texts):
            if not text.strip():
                raise PermanentAIError(f"Text {position} is empty; Workers AI rejects empty text.")
        body = {"text": list(texts), "pooling": self.pooling}
        with self.http.call(model=self.model, endpoint=self.route.endpoint, kind="embedding",
                            items=len(texts)) as stats:
            data = self.http.post_json(self.route.url(self.model), body, stats,
                                       self.route.headers)
            result = unwrap(data, self.model)
            self._check_pooling(result.get("pooling"))
            vectors = self._check(result.get("data"), len(texts))
            computed = None
            if self.model in pricing.PRICES and stats.reported_neurons is None:
                if tokens is None:
                    tokens = sum(self.count_tokens_many(texts))
                computed = pricing.neurons_for(self.model, tokens)
            stats.neurons = billed_neurons(stats, computed)
        return normalise(vectors)

    def _check_pooling(self, pooling: Any) -> None:
        """Refuse vectors pooled otherwise than asked (a server that ignored the field): they
        would sit beside the others without being comparable. A response that does not say
        is taken at its word."""
        if pooling is not None and pooling != self.pooling:
            raise PermanentAIError(
                f"{PROVIDER} sent malformed embeddings for {self.model}: pooled {pooling!r}, "
                f"asked for {self.pooling!r} (cls and mean vectors are not comparable)."
            )

    def _check(self, rows: Any, expected: int) -> np.ndarray:
        try:
            vectors = received_vectors(rows)
        except (TypeError, ValueError) as exc:
            raise PermanentAIError(f"{PROVIDER} sent malformed embeddings for {self.model}.") \
                from exc
        if vectors.ndim != 2 or vectors.shape[0] != expected:
            raise PermanentAIError(
                f"{PROVIDER} returned {vectors.shape[0] if vectors.ndim else 0} embeddings for "
                f"{expected} texts ({self.model})."
            )
        if vectors.shape[1] != self.dimension:
            raise PermanentAIError(
                f"{PROVIDER} returned {vectors.shape[1]}-dimensional vectors for {self.model}; "
                f"expected {self.dimension}. Check RAG_WORKERS_AI_EMBEDDING_MODEL."
            )
        return vectors
