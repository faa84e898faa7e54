"""Streamed, cited answers from Workers AI chat models, with fallback models."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from rag.errors import InputTooLongError
from rag.providers.cloudflare import pricing
from rag.providers.cloudflare.catalog import CONTEXT_WINDOWS
from rag.providers.cloudflare.client import cloudflare_http
from rag.providers.cloudflare.route import WorkersAIRoute
from rag.providers.generators.base import GenerationRequest, Generator
from rag.providers.generators.prompting import DEFAULT_CONTEXT_WINDOW, build_prompt
from rag.providers.generators.streaming import Candidate, stream_answer
from rag.providers.http.client import AIHttp
from rag.types import GenerationRecord


class WorkersAIGenerator(Generator):
    """Streamed, cited answers from Workers AI chat models.

    Usage:
        generator = WorkersAIGenerator.from_settings(settings)
        record = GenerationRecord()
        for delta in generator.stream(GenerationRequest(question, hits), record):
            print(delta, end="")
        record.model, record.neurons, record.notice

    Parameters:
        http, route: the Workers AI client and where its requests go.
        model: primary chat model; `fallbacks` are tried in order when it is out of capacity
            or unavailable after its retries, or when its stream breaks before the first token.
        max_tokens, temperature: sent with every request.
        context_window: overrides the per-model window table (`catalog.CONTEXT_WINDOWS`).
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
            cloudflare_http(settings, transport), WorkersAIRoute(settings),
            settings.workers_ai_chat_model, settings.workers_ai_fallback_models,
            max_tokens=settings.ai_max_tokens, temperature=settings.ai_temperature,
            context_window=settings.ai_context_window,
        )

    def __repr__(self) -> str:
        return f"WorkersAIGenerator(model={self.model!r}, fallbacks={self.fallbacks!r})"

    @property
    def identity(self) -> str:
        return self.model

    def close(self) -> None:
        self.http.close()

    def window(self, model: str) -> int:
        return self.context_window or CONTEXT_WINDOWS.get(model, DEFAULT_CONTEXT_WINDOW)

    def stream(self, request: GenerationRequest, record: GenerationRecord) -> Iterator[str]:
        """Yield text deltas as they arrive. The prompt is sized for each model before its call."""
        candidates = [self._candidate(self.model, request)]
        for model in self.fallbacks:
            try:
                candidates.append(self._candidate(model, request))
            except InputTooLongError:
                continue  # this fallback's window is too small; the others may do
        yield from stream_answer(self.http, candidates, record, pricing.neurons_from_usage)

    def _candidate(self, model: str, request: GenerationRequest) -> Candidate:
        prompt = build_prompt(request.question, request.passages, request.history, model=model,
                              max_tokens=self.max_tokens, window=self.window(model),
                              system=request.system)
        body = {"messages": prompt.messages, "stream": True,
                "max_tokens": self.max_tokens, "temperature": self.temperature}
        return Candidate(model=model, url=self.route.url(model), body=body,
                         endpoint=self.route.endpoint, headers=dict(self.route.headers),
                         passages_used=prompt.passages_used,
                         estimated_prompt_tokens=prompt.estimated_tokens,
                         flagged_passages=prompt.flagged)
