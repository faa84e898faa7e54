"""Streamed, cited answers from any OpenAI-compatible `/v1/chat/completions` endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rag.errors import PermanentAIError
from rag.providers.cloudflare import pricing
from rag.providers.cloudflare.catalog import CONTEXT_WINDOWS
from rag.providers.generators.base import GenerationRequest, Generator
from rag.providers.generators.prompting import (
    DEFAULT_CONTEXT_WINDOW,
    Prompt,
    build_prompt,
    check_answer_room,
    check_question_room,
)
from rag.providers.generators.streaming import Candidate, stream_answer
from rag.providers.http.client import AIHttp
from rag.providers.openai_compat import openai_http, public_url
from rag.types import GenerationRecord

# asks a stream's token usage at its end; servers copying an older OpenAI API (Azure OpenAI's
# before 2024-09, some proxies) refuse the request that names it, with a 400 naming it
STREAM_OPTIONS = "stream_options"
# the base URLs that refused it once: asked without it from then on, in this process
_REFUSING_STREAM_OPTIONS: set[str] = set()


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
        generator = cls(
            openai_http(settings, transport), settings.openai_base_url, settings.openai_chat_model,
            max_tokens=settings.ai_max_tokens, temperature=settings.ai_temperature,
            context_window=settings.ai_context_window,
        )
        check_answer_room(generator.model, generator.window, generator.max_tokens)
        return generator

    def __repr__(self) -> str:
        return f"OpenAIGenerator(model={self.model!r}, url={self.url!r})"

    @property
    def identity(self) -> str:
        """Another server may serve another model under the same name, and another budget
        cuts the answer elsewhere; the URL without credentials, since the key is shared."""
        return f"{self.model} at {public_url(self.base_url)}, max_tokens={self.max_tokens}"

    @property
    def base_url(self) -> str:
        return self.url.removesuffix("/chat/completions")

    def close(self) -> None:
        self.http.close()

    def variant(self, model: str) -> OpenAIGenerator:
        return OpenAIGenerator(self.http, self.base_url, model,
                               max_tokens=self.max_tokens, temperature=self.temperature,
                               context_window=self.context_window)

    @property
    def window(self) -> int:
        """Workers AI's `/ai/v1` serves its own models: their windows are known."""
        return self.context_window or CONTEXT_WINDOWS.get(self.model, DEFAULT_CONTEXT_WINDOW)

    def check_question(self, question: str) -> None:
        check_question_room(question, model=self.model, max_tokens=self.max_tokens,
                            window=self.window)

    def stream(self, request: GenerationRequest, record: GenerationRecord) -> Iterator[str]:
        prompt = build_prompt(
            request.question, request.passages, request.history, model=self.model,
            max_tokens=self.max_tokens, window=self.window,
            system=request.system, unheld=request.unheld,
        )
        body = {
            "model": self.model, "messages": prompt.messages, "stream": True,
            "max_tokens": self.max_tokens, "temperature": self.temperature,
        }
        asks_usage = self.base_url not in _REFUSING_STREAM_OPTIONS
        try:
            yield from self._answer(request, record, prompt, body, asks_usage)
        except PermanentAIError as exc:  # refused at once: nothing was said yet
            if not (asks_usage and STREAM_OPTIONS in str(exc)):
                raise
            _REFUSING_STREAM_OPTIONS.add(self.base_url)
            yield from self._answer(request, record, prompt, body, asks_usage=False)

    def _answer(self, request: GenerationRequest, record: GenerationRecord, prompt: Prompt,
                body: dict[str, Any], asks_usage: bool) -> Iterator[str]:
        if asks_usage:
            body = {**body, STREAM_OPTIONS: {"include_usage": True}}
        candidate = Candidate(model=self.model, url=self.url, body=body,
                              endpoint="chat.completions", passages_used=prompt.passages_used,
                              estimated_prompt_tokens=prompt.estimated_tokens,
                              flagged_passages=prompt.flagged)
        yield from stream_answer(self.http, [candidate], record, pricing.neurons_on_any_server,
                                 request.reader_gone)
