"""Streamed, cited answers from Workers AI chat models, with fallback models."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from rag.errors import InputTooLongError
from rag.providers.cloudflare import pricing
from rag.providers.cloudflare.catalog import CONTEXT_WINDOWS
from rag.providers.cloudflare.client import cloudflare_http
from rag.providers.cloudflare.route import WorkersAIRoute, chat_cache_key
from rag.providers.generators.base import GenerationRequest, Generator
from rag.providers.generators.prompting import (
    DEFAULT_CONTEXT_WINDOW,
    build_prompt,
    check_answer_room,
    check_question_room,
)
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
            or unavailable after its retries, when its stream breaks before the first word,
            or when it is refused for reasons of its own (its licence, its window).
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
        generator = cls(
            cloudflare_http(settings, transport), WorkersAIRoute(settings),
            settings.workers_ai_chat_model, settings.workers_ai_fallback_models,
            max_tokens=settings.ai_max_tokens, temperature=settings.ai_temperature,
            context_window=settings.ai_context_window,
        )
        check_answer_room(generator.model, generator.window(generator.model), generator.max_tokens)
        return generator

    def __repr__(self) -> str:
        return f"WorkersAIGenerator(model={self.model!r}, fallbacks={self.fallbacks!r})"

    @property
    def identity(self) -> str:
        """Another budget cuts the answer elsewhere (the chat's answer length, say)."""
        return f"{self.model}, max_tokens={self.max_tokens}"

    def close(self) -> None:
        self.http.close()

    def variant(self, model: str) -> WorkersAIGenerator:
        """`model` alone (no fallbacks), on this generator's client."""
        return WorkersAIGenerator(self.http, self.route, model, max_tokens=self.max_tokens,
                                  temperature=self.temperature,
                                  context_window=self.context_window)

    def window(self, model: str) -> int:
        return self.context_window or CONTEXT_WINDOWS.get(model, DEFAULT_CONTEXT_WINDOW)

    def check_question(self, question: str) -> None:
        """Refused, with the primary's reason, only when no model's window fits it, as
        `stream` refuses it."""
        refusals: list[InputTooLongError] = []
        for model in [self.model, *self.fallbacks]:
            try:
                check_question_room(question, model=model, max_tokens=self.max_tokens,
                                    window=self.window(model))
                return
            except InputTooLongError as exc:
                refusals.append(exc)
        raise refusals[0]

    def stream(self, request: GenerationRequest, record: GenerationRecord) -> Iterator[str]:
        """Yield text deltas as they arrive. The prompt is sized for each model before its call;
        a question too long for a model's window goes to the next model whose window fits it,
        and is refused (with the primary's reason) only when none does."""
        candidates: list[Candidate] = []
        too_long: InputTooLongError | None = None
        for model in [self.model, *self.fallbacks]:
            try:
                candidates.append(self._candidate(model, request))
            except InputTooLongError as exc:
                too_long = too_long or exc
        if not candidates and too_long is not None:
            raise too_long
        yield from stream_answer(self.http, candidates, record, pricing.neurons_from_usage,
                                 request.reader_gone)

    def _candidate(self, model: str, request: GenerationRequest) -> Candidate:
        prompt = build_prompt(request.question, request.passages, request.history, model=model,
                              max_tokens=self.max_tokens, window=self.window(model),
                              system=request.system, unheld=request.unheld)
        parameters = {"max_tokens": self.max_tokens, "temperature": self.temperature}
        body = {"messages": prompt.messages, "stream": True, **parameters}
        headers = self.route.chat_headers(
            lambda: chat_cache_key(model, prompt.messages, parameters), request.metadata)
        return Candidate(model=model, url=self.route.url(model), body=body,
                         endpoint=self.route.endpoint, headers=headers,
                         passages_used=prompt.passages_used,
                         estimated_prompt_tokens=prompt.estimated_tokens,
                         flagged_passages=prompt.flagged)
