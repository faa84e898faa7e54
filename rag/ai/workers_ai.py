"""Cloudflare Workers AI: embeddings (bge), streamed chat (Llama) and reranking, natively or via
AI Gateway.

Routes (contract §1.1, §6.1); the model id is inserted literally, slashes and "@" included:

* native:  {cloudflare_base_url}/accounts/{account}/ai/run/{model}
* gateway: {cloudflare_ai_gateway_base_url}/{account}/{gateway}/workers-ai/{model}

Both take the same bodies and return the `{"result": ..., "success": ...}` envelope.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from rag.ai import cost
from rag.ai.http import AIHttp, RetryPolicy, build_client, make_timeout, run_concurrently
from rag.ai.prompting import build_prompt, context_window
from rag.ai.streaming import Candidate, stream_answer
from rag.embedders.base import Embedder, normalise
from rag.errors import ConfigError, InputTooLongError, PermanentAIError
from rag.generators.base import GenerationRequest, Generator
from rag.types import GenerationRecord

PROVIDER = "Workers AI"
CREDENTIALS_HINT = "CLOUDFLARE_API_TOKEN (Workers AI Read + Edit) and CLOUDFLARE_ACCOUNT_ID"
MAX_TEXTS_PER_REQUEST = 100  # the bge schema's maxItems
EMBEDDING_DIMENSIONS = {
    "@cf/baai/bge-small-en-v1.5": 384,
    "@cf/baai/bge-base-en-v1.5": 768,
    "@cf/baai/bge-large-en-v1.5": 1024,
    "@cf/baai/bge-m3": 1024,
}
BGE_QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: "


class WorkersAIRoute:
    """Where requests for a model go, and the AI Gateway headers that go with them."""

    def __init__(self, settings: Any) -> None:
        self.account = settings.cloudflare_account_id
        self.gateway = settings.cloudflare_ai_gateway_id
        self.base = settings.cloudflare_base_url.rstrip("/")
        self.gateway_base = settings.cloudflare_ai_gateway_base_url.rstrip("/")
        self.headers: dict[str, str] = {}
        if self.gateway:
            if settings.ai_gateway_cache_ttl is not None:
                self.headers["cf-aig-cache-ttl"] = str(settings.ai_gateway_cache_ttl)
            if settings.ai_gateway_skip_cache:
                self.headers["cf-aig-skip-cache"] = "true"

    @property
    def endpoint(self) -> str:
        return "gateway" if self.gateway else "run"

    def url(self, model: str) -> str:
        if self.gateway:
            return f"{self.gateway_base}/{self.account}/{self.gateway}/workers-ai/{model}"
        return f"{self.base}/accounts/{self.account}/ai/run/{model}"


def workers_ai_http(
    settings: Any, transport: Any = None, *, max_connections: int = 20,
    policy: RetryPolicy | None = None,
) -> AIHttp:
    """An `AIHttp` for Workers AI; ConfigError names the missing credential variables."""
    missing = [
        name for name, value in (
            ("CLOUDFLARE_ACCOUNT_ID", settings.cloudflare_account_id),
            ("CLOUDFLARE_API_TOKEN", settings.cloudflare_api_token),
        ) if not value
    ]
    if missing:
        raise ConfigError(
            f"Workers AI needs {' and '.join(missing)}. Create a token with Workers AI Read and "
            "Edit permissions in the Cloudflare dashboard and set both variables."
        )
    token = settings.cloudflare_api_token.get_secret_value()
    secret_headers = {"Authorization": f"Bearer {token}"}
    secrets = [token]
    gateway_token = getattr(settings, "cloudflare_ai_gateway_token", None)
    if settings.cloudflare_ai_gateway_id and gateway_token is not None:
        secret_headers["cf-aig-authorization"] = f"Bearer {gateway_token.get_secret_value()}"
        secrets.append(gateway_token.get_secret_value())
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


def unwrap(data: dict[str, Any], model: str) -> dict[str, Any]:
    """The `result` of a v4 envelope; a 200 with success=false is still an error."""
    if data.get("success") is False:
        raise PermanentAIError(f"{PROVIDER} reported a failure for {model}: {data.get('errors')}")
    result = data.get("result", data)
    if not isinstance(result, dict):
        raise PermanentAIError(f"{PROVIDER} sent no result for {model}.")
    return result


class WorkersAIEmbedder(Embedder):
    """bge embeddings on Workers AI: 100 texts per request, several requests in flight.

    Usage:
        embedder = WorkersAIEmbedder.from_settings(settings)
        vectors = embedder.embed_documents(chunks)   # (n, 768), input order

    Parameters:
        http: the Workers AI client (see `workers_ai_http`).
        route: native or gateway route.
        model: e.g. "@cf/baai/bge-base-en-v1.5".
        concurrency: requests in flight during `embed_documents`.

    Texts are sent with `pooling: "cls"`, which Cloudflare recommends for retrieval; cls and
    mean vectors are not comparable, so this is fixed rather than a setting.
    """

    max_tokens = 512
    max_batch = MAX_TEXTS_PER_REQUEST
    special_tokens = 2  # [CLS] and [SEP]
    pooling = "cls"

    def __init__(self, http: AIHttp, route: WorkersAIRoute, model: str, concurrency: int = 4):
        self.http = http
        self.route = route
        self.model = model
        self.concurrency = max(1, concurrency)
        self.name = f"workers-ai:{model}"
        self.dimension = EMBEDDING_DIMENSIONS.get(model, 768)
        english_bge = "/bge-" in model and "-en-" in model
        self.query_instruction = BGE_QUERY_INSTRUCTION if english_bge else ""

    @classmethod
    def from_settings(cls, settings: Any, transport: Any = None) -> WorkersAIEmbedder:
        concurrency = settings.ai_embed_concurrency
        http = workers_ai_http(settings, transport, max_connections=max(10, concurrency * 2))
        return cls(http, WorkersAIRoute(settings), settings.workers_ai_embedding_model, concurrency)

    def __repr__(self) -> str:
        return f"WorkersAIEmbedder(model={self.model!r}, endpoint={self.route.endpoint!r})"

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
                return self._embed_checked(part, start)
            return self._embed(part, sum(token_counts[start : start + self.max_batch]))

        return np.concatenate(run_concurrently(batch, list(starts), self.concurrency)).astype(
            np.float32)

    def _embed_checked(self, texts: Sequence[str], first: int) -> np.ndarray:
        counts = self.count_tokens_many(texts)
        self.check_counts(counts, first)
        return self._embed(texts, sum(counts))

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One request for at most 100 non-empty texts; checks the returned shape."""
        return self._embed(texts)

    def _embed(self, texts: Sequence[str], tokens: int | None = None) -> np.ndarray:
        """`embed_batch`, given the texts' token total when the caller has counted it already
        (counting every chunk twice cost a fifth of a remote ingest's client time)."""
        if len(texts) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} texts per request, got {len(texts)}")
        for position, text in enumerate(texts):
            if not text.strip():
                raise PermanentAIError(f"Text {position} is empty; Workers AI rejects empty text.")
        body = {"text": list(texts), "pooling": self.pooling}
        url, endpoint = self.route.url(self.model), self.route.endpoint
        with self.http.call(model=self.model, endpoint=endpoint, items=len(texts)) as stats:
            data = self.http.post_json(url, body, stats, self.route.headers)
            rows = unwrap(data, self.model).get("data")
            vectors = self._check(rows, len(texts))
            if stats.cache_status == "HIT":
                stats.neurons = 0.0
            elif stats.reported_neurons is None and self.model in cost.PRICES:
                if tokens is None:
                    tokens = sum(self.count_tokens_many(texts))
                stats.neurons = cost.neurons_for(self.model, tokens)
        return normalise(vectors)

    def _check(self, rows: Any, expected: int) -> np.ndarray:
        try:
            vectors = np.asarray(rows, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise PermanentAIError(
                f"{PROVIDER} sent malformed embeddings for {self.model}."
            ) from exc
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


class WorkersAIGenerator(Generator):
    """Streamed, cited answers from Workers AI chat models, with fallback models.

    Usage:
        generator = WorkersAIGenerator.from_settings(settings)
        record = GenerationRecord()
        for delta in generator.stream(GenerationRequest(question, hits), record):
            print(delta, end="")
        record.model, record.usage["neurons"], record.notice

    Parameters:
        http, route: as for the embedder.
        model: primary chat model; `fallbacks` are tried in order when it is out of capacity
            or unavailable after its retries, or when its stream breaks before the first token.
        max_tokens, temperature: sent with every request.
        context_window: overrides the per-model window table (see prompting.CONTEXT_WINDOWS).
    """

    name = "workers-ai"

    def __init__(
        self, http: AIHttp, route: WorkersAIRoute, model: str, fallbacks: Sequence[str] = (), *,
        max_tokens: int = 512, temperature: float = 0.2, context_window: int | None = None,
    ) -> None:
        self.http = http
        self.route = route
        self.model = model
        self.fallbacks = [m for m in dict.fromkeys(fallbacks) if m and m != model]
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.context_window = context_window

    @classmethod
    def from_settings(cls, settings: Any, transport: Any = None) -> WorkersAIGenerator:
        return cls(
            workers_ai_http(settings, transport), WorkersAIRoute(settings),
            settings.workers_ai_chat_model, settings.workers_ai_fallback_models,
            max_tokens=settings.ai_max_tokens, temperature=settings.ai_temperature,
            context_window=settings.ai_context_window,
        )

    def __repr__(self) -> str:
        return f"WorkersAIGenerator(model={self.model!r}, fallbacks={self.fallbacks!r})"

    def stream(self, request: GenerationRequest, record: GenerationRecord) -> Iterator[str]:
        """Yield text deltas as they arrive. The prompt is sized for each model before its call."""
        candidates = [self._candidate(self.model, request)]
        for model in self.fallbacks:
            try:
                candidates.append(self._candidate(model, request))
            except InputTooLongError:
                continue  # this fallback's window is too small; the others may do
        yield from stream_answer(self.http, candidates, record, cost.neurons_from_usage)

    def _candidate(self, model: str, request: GenerationRequest) -> Candidate:
        prompt = build_prompt(
            request.question, request.passages, request.history, model=model,
            max_tokens=self.max_tokens, window=context_window(model, self.context_window),
            system=request.system,
        )
        body = {
            "messages": prompt.messages, "stream": True,
            "max_tokens": self.max_tokens, "temperature": self.temperature,
        }
        return Candidate(
            model=model, url=self.route.url(model), body=body, endpoint=self.route.endpoint,
            headers=dict(self.route.headers),
            notes={
                "passages_used": prompt.passages_used,
                "estimated_prompt_tokens": prompt.estimated_tokens,
            },
        )


# --- reranking -----------------------------------------------------------------------------

def rerank(
    http: AIHttp, route: WorkersAIRoute, model: str, query: str, contexts: Sequence[str],
    top_k: int,
) -> list[tuple[int, float]]:
    """Score `contexts` against `query` in one request: (index into contexts, score), best first.

    Body `{"query", "contexts": [{"text"}], "top_k"}`; result `{"response": [{"id", "score"}]}`.
    Callers fit each pair into the model's 512 tokens first (see rag.rerank). The reranker's price
    is not in the contract, so nothing is computed: a figure the server reports is kept (and
    any `usage` logged), otherwise the call records 0 neurons.
    """
    body = {"query": query, "contexts": [{"text": text} for text in contexts], "top_k": top_k}
    with http.call(model=model, endpoint=route.endpoint, items=len(contexts)) as stats:
        data = http.post_json(route.url(model), body, stats, route.headers)
        result = unwrap(data, model)
        ranked = _ranking(result.get("response"), len(contexts), model)
        usage = result.get("usage") if isinstance(result.get("usage"), dict) else None
        if usage:
            record = {"event": "ai_usage", "model": model, "usage": usage}
            logging.getLogger("rag.ai").info(http.redact(json.dumps(record)))
        if stats.cache_status == "HIT":
            stats.neurons = 0.0
        elif stats.reported_neurons is None:
            # price UNCONFIRMED: usage.neurons if reported, else 0 rather than a made-up rate
            stats.neurons = cost.neurons_from_usage(model, usage) or 0.0
    return ranked[:top_k]


def _ranking(rows: Any, n_contexts: int, model: str) -> list[tuple[int, float]]:
    """Validated (id, score) pairs sorted best first; ids must index the contexts sent."""
    try:
        pairs = [(int(row["id"]), float(row["score"])) for row in rows]
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentAIError(f"{PROVIDER} sent a malformed ranking for {model}.") from exc
    if any(not 0 <= index < n_contexts for index, _ in pairs):
        raise PermanentAIError(
            f"{PROVIDER} ranked a context that was not sent ({model}, {n_contexts} contexts)."
        )
    return sorted(pairs, key=lambda pair: -pair[1])
