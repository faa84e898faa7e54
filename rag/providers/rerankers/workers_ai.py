"""bge-reranker-base on Workers AI (native or via AI Gateway), one request per question.

No reranker weights can be installed from PyPI for local use, and a remote one costs a request
per question, so reranking is off unless `RAG_RERANK=workers-ai`.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rag.errors import PermanentAIError, top_k_name
from rag.providers.cloudflare import pricing
from rag.providers.cloudflare.catalog import RERANK_MAX_TOKENS
from rag.providers.cloudflare.client import (
    PROVIDER,
    billed_neurons,
    cloudflare_http,
    require_credentials,
    unwrap,
)
from rag.providers.cloudflare.route import WorkersAIRoute
from rag.providers.http.client import AIHttp
from rag.providers.rerankers.base import Reranker
from rag.text.tokens import estimate_tokens
from rag.types import Hit

PAIR_FRAMING_TOKENS = 4  # <s> query </s></s> context </s>: XLM-RoBERTa's pair framing


class WorkersAIReranker(Reranker):
    """bge-reranker-base on Workers AI.

    Usage:
        reranker = WorkersAIReranker.from_settings(settings)
        best = reranker.rerank("where do llamas live?", fused_hits, top_k=5)

    Each query + passage pair must fit the model's 512 tokens; longer passages are trimmed
    for scoring only. The hits returned keep their full text, which is what users see.
    """

    max_tokens = RERANK_MAX_TOKENS

    def __init__(self, http: AIHttp, route: WorkersAIRoute, model: str) -> None:
        self.http = http
        self.route = route
        self.model = model
        self.name = f"workers-ai:{model}"

    @classmethod
    def from_settings(cls, settings: Any, transport: Any = None) -> WorkersAIReranker:
        require_credentials(settings, "RAG_RERANK=workers-ai")
        return cls(cloudflare_http(settings, transport), WorkersAIRoute(settings),
                   settings.rerank_model)

    def __repr__(self) -> str:
        return f"WorkersAIReranker(model={self.model!r}, endpoint={self.route.endpoint!r})"

    def close(self) -> None:
        self.http.close()

    def rerank(self, query: str, hits: Sequence[Hit], top_k: int) -> list[Hit]:
        if not hits:
            return []
        query_text, contexts = fit_pairs(query, [hit.text for hit in hits], self.max_tokens)
        ranked = self.rank(query_text, contexts, top_k)
        return [replace(hits[index], score=score) for index, score in ranked]

    def rank(self, query: str, contexts: Sequence[str],
                top_k: int) -> list[tuple[int, float]]:
        """Score `contexts` in one request: (index into contexts, score), best first.

        Body `{"query", "contexts": [{"text"}], "top_k"}`; result `{"response": [{"id",
        "score"}]}`. The reranker's price is not published, so nothing is computed: a figure
        the server reports is kept (and any `usage` logged), otherwise the call records 0.
        """
        body = {"query": query, "contexts": [{"text": text} for text in contexts],
                "top_k": top_k}
        with self.http.call(model=self.model, endpoint=self.route.endpoint, kind="rerank",
                            items=len(contexts),
                            items_setting=passages_setting(len(contexts), top_k)) as stats:
            data = self.http.post_json(self.route.url(self.model), body, stats,
                                       self.route.headers)
            result = unwrap(data, self.model)
            ranked = _ranking(result.get("response"), len(contexts), self.model)
            usage = result.get("usage") if isinstance(result.get("usage"), dict) else None
            if usage:
                record = {"event": "ai_usage", "model": self.model, "usage": usage}
                logging.getLogger("rag.ai").info(self.http.redact(json.dumps(record)))
            stats.neurons = billed_neurons(
                stats, pricing.neurons_from_usage(self.model, usage) or 0.0)
        return ranked[:top_k]


def passages_setting(sent: int, top_k: int) -> str:
    """The setting that set how many passages a search reranks, for the advice when they are
    too large: the retriever sends the best max(RAG_RERANK_CANDIDATES, top_k), so no more
    than top_k means top_k did (lowering the candidates would send as many), by the name
    the request gave it (`--top-k`, the API's `top_k`, else RAG_TOP_K)."""
    return "RAG_RERANK_CANDIDATES" if sent > top_k else top_k_name()


def _ranking(rows: Any, n_contexts: int, model: str) -> list[tuple[int, float]]:
    """Validated (id, score) pairs sorted best first, one per context: ids must index the
    contexts sent, scores must be finite numbers (a NaN would sort anywhere), and a context
    ranked twice keeps its best score (else one passage would fill several places)."""
    try:
        pairs = [(int(row["id"]), _score(row["score"])) for row in rows]
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentAIError(f"{PROVIDER} sent a malformed ranking for {model}.") from exc
    if any(not 0 <= index < n_contexts for index, _ in pairs):
        raise PermanentAIError(
            f"{PROVIDER} ranked a context that was not sent ({model}, {n_contexts} contexts)."
        )
    best: dict[int, float] = {}
    for index, score in pairs:
        best[index] = max(score, best.get(index, score))
    return sorted(best.items(), key=lambda pair: -pair[1])


def _score(value: Any) -> float:
    """A score as a float; ValueError for anything but a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"not a finite score: {value!r}")
    return float(value)


def fit_pairs(query: str, texts: Sequence[str], limit: int) -> tuple[str, list[str]]:
    """Trim the query to half the limit and each text to what is left of it.

    Counts are the pessimistic `estimate_tokens` (the reranker's own tokenizer is not
    available offline), so a pair the estimate fits also fits the model.
    """
    query = trim_to_tokens(query, limit // 2)
    budget = max(limit - PAIR_FRAMING_TOKENS - estimate_tokens(query), 1)
    return query, [trim_to_tokens(text, budget) for text in texts]


def trim_to_tokens(text: str, budget: int) -> str:
    """The longest prefix of `text` whose estimated token count is within `budget`."""
    if estimate_tokens(text) <= budget:
        return text
    low, high = 0, len(text)  # invariant: text[:low] fits
    while low < high:
        middle = (low + high + 1) // 2
        if estimate_tokens(text[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip()
