"""Optional second pass over the fused candidates: a cross-encoder reorders them.

Only Workers AI's reranker (`@cf/baai/bge-reranker-base`) is offered: no reranker weights can
be installed from PyPI for local use, and a remote one costs a request per question, so it is
off unless `RAG_RERANK=workers-ai`. Reranking is an improvement, never a dependency: when the
call fails after its retries, the fused order is kept and a warning logged.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rag.ai.prompting import estimate_tokens
from rag.errors import AIError, ConfigError
from rag.types import Hit

if TYPE_CHECKING:
    from rag.ai.http import AIHttp
    from rag.ai.workers_ai import WorkersAIRoute

log = logging.getLogger(__name__)

PAIR_FRAMING_TOKENS = 4  # <s> query </s></s> context </s>: XLM-RoBERTa's pair framing


class Reranker(ABC):
    """Scores passages against a query. `name` identifies the model (it keys the answer cache)."""

    name: str

    @abstractmethod
    def rerank(self, query: str, hits: Sequence[Hit], top_k: int) -> list[Hit]:
        """The best `top_k` of `hits`, best first, each with the reranker's score."""


class WorkersAIReranker(Reranker):
    """bge-reranker-base on Workers AI (native or via AI Gateway), one request per question.

    Usage:
        reranker = WorkersAIReranker.from_settings(settings)
        best = reranker.rerank("where do llamas live?", fused_hits, top_k=5)

    Each query + passage pair must fit the model's 512 tokens; longer passages are trimmed
    for scoring only. The hits returned keep their full text, which is what users see.
    The rest of the wire (retries, call log, gateway, neurons) is `workers_ai.rerank`'s.
    """

    max_tokens = 512  # per query + passage pair (bge-reranker-base)

    def __init__(self, http: AIHttp, route: WorkersAIRoute, model: str) -> None:
        self.http = http  # closed by RagService.close, like the embedder's and generator's
        self.route = route
        self.model = model
        self.name = f"workers-ai:{model}"

    @classmethod
    def from_settings(cls, settings: Any, transport: Any = None) -> WorkersAIReranker:
        from rag.ai.workers_ai import WorkersAIRoute, workers_ai_http

        return cls(workers_ai_http(settings, transport), WorkersAIRoute(settings),
                   settings.rerank_model)

    def __repr__(self) -> str:
        return f"WorkersAIReranker(model={self.model!r}, endpoint={self.route.endpoint!r})"

    def rerank(self, query: str, hits: Sequence[Hit], top_k: int) -> list[Hit]:
        from rag.ai.workers_ai import rerank

        if not hits:
            return []
        query_text, contexts = fit_pairs(query, [hit.text for hit in hits], self.max_tokens)
        ranked = rerank(self.http, self.route, self.model, query_text, contexts, top_k)
        return [replace(hits[index], score=score) for index, score in ranked]


def make_reranker(settings: Any) -> Reranker | None:
    """The configured reranker, or None when `RAG_RERANK=off` (the default).

    Checked when the service is built, so a missing credential stops startup with a message
    rather than silently serving unreranked results.
    """
    if settings.rerank == "off":
        return None
    missing = [name for name, value in (
        ("CLOUDFLARE_ACCOUNT_ID", settings.cloudflare_account_id),
        ("CLOUDFLARE_API_TOKEN", settings.cloudflare_api_token),
    ) if not value]
    if missing:
        raise ConfigError(
            f"RAG_RERANK=workers-ai needs {' and '.join(missing)} (the reranker runs on Workers "
            "AI). Set them, or set RAG_RERANK=off."
        )
    return WorkersAIReranker.from_settings(settings)


def rerank_or_keep(reranker: Reranker, query: str, hits: Sequence[Hit],
                   top_k: int) -> tuple[list[Hit], bool]:
    """(hits, reranked): the reranker's top_k, or the fused top_k if its call failed.

    Answers must not fail because reranking did; the call itself is already logged (with its
    retries) by the AI client, this adds why the results are in fused order.
    """
    try:
        return reranker.rerank(query, hits, top_k), True
    except AIError as exc:
        log.warning("reranking with %s failed, keeping the fused order: %s", reranker.name, exc)
        return list(hits[:top_k]), False


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
