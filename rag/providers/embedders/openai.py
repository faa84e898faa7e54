"""Embeddings from any OpenAI-compatible `/v1/embeddings` endpoint."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from rag.errors import PermanentAIError
from rag.providers.embedders.base import Embedder, normalise, received_vectors
from rag.providers.http.client import AIHttp
from rag.providers.http.parallel import run_concurrently
from rag.providers.openai_compat import PROVIDER, openai_http, public_url

#: the setting that sets the texts a request (`max_batch`), named when a request is too large
BATCH_SETTING = "RAG_EMBED_BATCH_SIZE"
#: where the expected vector length came from, which decides what a mismatch tells to change
DimensionSource = Literal["setting", "collection", "server"]


class OpenAIEmbedder(Embedder):
    """Embeddings from `/v1/embeddings`; several requests in flight, results in input order.

    Parameters:
        http: from `openai_http`.
        base_url: e.g. "http://localhost:11434/v1".
        model: e.g. "nomic-embed-text".
        dimension: vector length; None asks the server once (one short request).
        max_tokens: the model's per-text limit; texts above it are refused, never truncated.
        max_batch, concurrency: texts per request and requests in flight.

    Token counts use BERT WordPiece, exact for the common BERT-family embedders (nomic, bge,
    all-minilm) and an over-count for BPE models, so limits are never exceeded silently.
    """

    special_tokens = 2  # [CLS] and [SEP] for the BERT family; BPE models add fewer

    def __init__(
        self, http: AIHttp, base_url: str, model: str, *, dimension: int | None = None,
        max_tokens: int = 512, max_batch: int = 32, concurrency: int = 4,
    ) -> None:
        self.http = http
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self.name = f"openai:{model}"
        self.max_tokens = max_tokens
        self.max_batch = max_batch
        self.concurrency = max(1, concurrency)
        self._dimension = dimension
        self._dimension_source: DimensionSource = "setting"
        self._probe_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any, transport: Any = None) -> OpenAIEmbedder:
        concurrency = settings.ai_embed_concurrency
        return cls(
            openai_http(settings, transport, max_connections=max(10, concurrency * 2)),
            settings.openai_base_url, settings.openai_embedding_model,
            dimension=settings.openai_embedding_dimension,
            max_tokens=settings.openai_embedding_max_tokens,
            max_batch=settings.embed_batch_size, concurrency=concurrency,
        )

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(model={self.model!r}, url={self.url!r})"

    @property
    def base_url(self) -> str:
        return self.url.removesuffix("/embeddings")

    def close(self) -> None:
        self.http.close()

    @property
    def known_dimension(self) -> int | None:
        return self._dimension

    def adopt_dimension(self, dimension: int) -> None:
        if self._dimension is None:
            self._dimension, self._dimension_source = dimension, "collection"

    @property
    def dimension(self) -> int:  # type: ignore[override]
        """Configured, or learnt from one probe request the first time it is needed."""
        if self._dimension is None:
            with self._probe_lock:
                if self._dimension is None:
                    self._dimension = int(self._request(["dimension probe"]).shape[1])
                    self._dimension_source = "server"
        return self._dimension

    def embed_batches(self, batches: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """`concurrency` requests in flight."""
        return run_concurrently(self.embed_batch, list(batches), self.concurrency)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._request(texts)
        expected = self.dimension
        if vectors.shape[1] != expected:
            raise PermanentAIError(
                f"{PROVIDER} returned {vectors.shape[1]}-dimensional vectors for {self.model}; "
                f"expected {expected}. {self._what_to_change()}"
            )
        return normalise(vectors)

    def _what_to_change(self) -> str:
        """The advice for a mismatch, by where the expected length came from: only the
        setting's own value should send the reader to the setting."""
        if self._dimension_source == "collection":
            return (f"The collection was filled with {self._dimension}-dimensional vectors: "
                    "use another RAG_COLLECTION for this model, or the model that filled it "
                    "(RAG_OPENAI_EMBEDDING_MODEL, OPENAI_BASE_URL).")
        if self._dimension_source == "server":
            return ("The server's first vectors had that length: check that "
                    "RAG_OPENAI_EMBEDDING_MODEL names one model on one server.")
        return "Check RAG_OPENAI_EMBEDDING_DIMENSION."

    def _request(self, texts: Sequence[str]) -> np.ndarray:
        body = {"model": self.model, "input": list(texts)}
        with self.http.call(model=self.model, endpoint="embeddings", kind="embedding",
                            items=len(texts), items_setting=BATCH_SETTING) as stats:
            data = self.http.post_json(self.url, body, stats)
            rows = data.get("data")
            if not isinstance(rows, list) or len(rows) != len(texts):
                raise PermanentAIError(
                    f"{PROVIDER} returned {len(rows) if isinstance(rows, list) else 0} embeddings "
                    f"for {len(texts)} texts ({self.model})."
                )
            vectors = self._vectors(rows)
            if vectors.ndim == 2 and vectors.shape[1] == 0:  # no collection takes them
                raise PermanentAIError(
                    f"{PROVIDER} at {public_url(self.base_url)} sent empty vectors for "
                    f"{self.model}: check that RAG_OPENAI_EMBEDDING_MODEL names an embedding "
                    "model."
                )
        if vectors.ndim != 2:
            raise self._malformed()
        return vectors

    def _vectors(self, rows: list[Any]) -> np.ndarray:
        """The rows' vectors in input order: by `index` when every row gives one."""
        if not all(isinstance(row, dict) for row in rows):
            raise self._malformed()  # llama.cpp-style bare lists, or worse
        if any(isinstance(row.get("embedding"), str) for row in rows):
            raise PermanentAIError(
                f"{PROVIDER} sent base64-encoded embeddings for {self.model}, which are not "
                "supported: the server must send lists of floats (encoding_format \"float\")."
            )
        try:
            return received_vectors([row["embedding"] for row in _in_input_order(rows)])
        except (KeyError, TypeError, ValueError) as exc:
            raise self._malformed() from exc

    def _malformed(self) -> PermanentAIError:
        return PermanentAIError(f"{PROVIDER} sent malformed embeddings for {self.model}.")


def _in_input_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows sorted by `index`; as sent when none has one. Indexes that are not exactly
    0..n-1 would pair a vector with the wrong text: a `ValueError`."""
    indexes = [row.get("index") for row in rows]
    if all(index is None for index in indexes):
        return rows
    if sorted(i for i in indexes if isinstance(i, int) and not isinstance(i, bool)) != list(
            range(len(rows))):
        raise ValueError(f"embedding indexes {indexes[:8]} are not 0..{len(rows) - 1}")
    return sorted(rows, key=lambda row: row["index"])
