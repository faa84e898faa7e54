"""OpenAI-compatible servers: Ollama, vLLM, llama.cpp, OpenAI, and Workers AI's `/ai/v1`.

`POST {base}/embeddings` and `POST {base}/chat/completions` (streamed as SSE), through the same
retrying, logging HTTP layer as the native Workers AI client. The API key is optional because
local servers usually need none.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from rag.ai import cost
from rag.ai.http import AIHttp, RetryPolicy, build_client, make_timeout, run_concurrently
from rag.ai.prompting import build_prompt, context_window
from rag.ai.streaming import Candidate, stream_answer
from rag.embedders.base import Embedder, normalise
from rag.errors import PermanentAIError
from rag.generators.base import GenerationRequest, Generator
from rag.types import GenerationRecord

PROVIDER = "OpenAI-compatible server"
CREDENTIALS_HINT = "OPENAI_BASE_URL and OPENAI_API_KEY"


def openai_http(
    settings: Any, transport: Any = None, *, max_connections: int = 20,
    policy: RetryPolicy | None = None,
) -> AIHttp:
    """An `AIHttp` for `settings.openai_base_url`, with a Bearer key only when one is set."""
    secret_headers: dict[str, str] = {}
    secrets: list[str] = []
    if settings.openai_api_key is not None and settings.openai_api_key.get_secret_value():
        key = settings.openai_api_key.get_secret_value()
        secret_headers["Authorization"] = f"Bearer {key}"
        secrets.append(key)
    client = build_client(
        headers={"Content-Type": "application/json"},
        secret_headers=secret_headers,
        timeout=make_timeout(settings.ai_connect_timeout_seconds, settings.ai_read_timeout_seconds),
        transport=transport,
        max_connections=max_connections,
    )
    return AIHttp(
        client, policy or RetryPolicy.from_settings(settings), provider=PROVIDER,
        credentials_hint=CREDENTIALS_HINT, secrets=secrets,
    )


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
    def dimension(self) -> int:
        """Configured, or learnt from one probe request the first time it is needed."""
        if self._dimension is None:
            with self._probe_lock:
                if self._dimension is None:
                    self._dimension = int(self._request(["dimension probe"]).shape[1])
        return self._dimension

    special_tokens = 2  # [CLS] and [SEP] for the BERT family; BPE models add fewer

    def embed_batches(self, batches: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """`concurrency` requests in flight."""
        return run_concurrently(self.embed_batch, list(batches), self.concurrency)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._request(texts)
        expected = self.dimension
        if vectors.shape[1] != expected:
            raise PermanentAIError(
                f"{PROVIDER} returned {vectors.shape[1]}-dimensional vectors for {self.model}; "
                f"expected {expected}. Check RAG_OPENAI_EMBEDDING_DIMENSION."
            )
        return normalise(vectors)

    def _request(self, texts: Sequence[str]) -> np.ndarray:
        body = {"model": self.model, "input": list(texts)}
        with self.http.call(model=self.model, endpoint="embeddings", items=len(texts)) as stats:
            data = self.http.post_json(self.url, body, stats)
            rows = data.get("data")
            if not isinstance(rows, list) or len(rows) != len(texts):
                raise PermanentAIError(
                    f"{PROVIDER} returned {len(rows) if isinstance(rows, list) else 0} embeddings "
                    f"for {len(texts)} texts ({self.model})."
                )
            ordered = sorted(rows, key=lambda row: row.get("index", 0))
            try:
                vectors = np.asarray([row["embedding"] for row in ordered], dtype=np.float32)
            except (KeyError, TypeError, ValueError) as exc:
                raise PermanentAIError(
                    f"{PROVIDER} sent malformed embeddings for {self.model}."
                ) from exc
        if vectors.ndim != 2:
            raise PermanentAIError(f"{PROVIDER} sent malformed embeddings for {self.model}.")
        return vectors


class OpenAIGenerator(Generator):
    """Streamed, cited answers from `/v1/chat/completions`.

    Parameters:
        http: from `openai_http`.
        base_url, model: where and what to ask.
        max_tokens, temperature: sent with every request.
        context_window: the server's window (Ollama num_ctx, vLLM --max-model-len); unknown
            models otherwise get a conservative default.
    """

    name = "openai"

    def __init__(
        self, http: AIHttp, base_url: str, model: str, *, max_tokens: int = 512,
        temperature: float = 0.2, context_window: int | None = None,
    ) -> None:
        self.http = http
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.context_window = context_window

    @classmethod
    def from_settings(cls, settings: Any, transport: Any = None) -> OpenAIGenerator:
        return cls(
            openai_http(settings, transport), settings.openai_base_url, settings.openai_chat_model,
            max_tokens=settings.ai_max_tokens, temperature=settings.ai_temperature,
            context_window=settings.ai_context_window,
        )

    def __repr__(self) -> str:
        return f"OpenAIGenerator(model={self.model!r}, url={self.url!r})"

    def stream(self, request: GenerationRequest, record: GenerationRecord) -> Iterator[str]:
        prompt = build_prompt(
            request.question, request.passages, request.history, model=self.model,
            max_tokens=self.max_tokens, window=context_window(self.model, self.context_window),
            system=request.system,
        )
        body = {
            "model": self.model, "messages": prompt.messages, "stream": True,
            "max_tokens": self.max_tokens, "temperature": self.temperature,
            "stream_options": {"include_usage": True},
        }
        candidate = Candidate(
            model=self.model, url=self.url, body=body, endpoint="chat.completions",
            notes={
                "passages_used": prompt.passages_used,
                "estimated_prompt_tokens": prompt.estimated_tokens,
            },
        )
        yield from stream_answer(self.http, [candidate], record, cost.neurons_from_usage)
