"""Per-request answer options (the app's settings panel): generator, model, fallbacks, search
mode, top-k and answer length. Defaults come from the settings object; `apply` gives the
settings a request runs with, so the rest of the code reads one settings object as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from rag.providers.cloudflare.pricing import PRICES
from rag.settings import AnswerStrategy, Settings
from rag.types import SearchMode


@dataclass(frozen=True)
class AskOptions:
    generator: str
    model: str | None = None  # chat model; None for extractive
    fallbacks: tuple[str, ...] = field(default_factory=tuple)  # Workers AI only
    search_mode: SearchMode = "hybrid"
    top_k: int = 5
    max_tokens: int = 512
    # passed with each question: left out of equality and hash, so all strategies share a view
    strategy: AnswerStrategy = field(default="single", compare=False)

    @classmethod
    def defaults(cls, settings: Settings) -> AskOptions:
        generator = settings.resolved_generator
        return cls(generator=generator, model=default_model(settings, generator),
                   fallbacks=tuple(settings.workers_ai_fallback_models),
                   search_mode=settings.search_mode, top_k=settings.top_k,
                   max_tokens=settings.ai_max_tokens, strategy=settings.answer_strategy)

    @property
    def generator_key(self) -> tuple:
        """What a generator is built from: equal keys can share one generator."""
        if self.generator == "extractive":
            return ("extractive",)
        fallbacks = self.fallbacks if self.generator == "workers-ai" else ()
        return (self.generator, self.model, fallbacks, self.max_tokens)

    def with_generator(self, settings: Settings, generator: str) -> AskOptions:
        """Switch generator, taking that generator's configured model."""
        return replace(self, generator=generator, model=default_model(settings, generator))

    def apply(self, settings: Settings) -> Settings:
        """The settings a request with these options runs with."""
        update: dict[str, Any] = {"generator": self.generator, "search_mode": self.search_mode,
                                  "top_k": self.top_k, "ai_max_tokens": self.max_tokens}
        if self.generator == "workers-ai":
            update["workers_ai_chat_model"] = self.model or settings.workers_ai_chat_model
            update["workers_ai_fallback_models"] = [m for m in self.fallbacks if m != self.model]
        elif self.generator == "openai":
            update["openai_chat_model"] = self.model or settings.openai_chat_model
        return settings.model_copy(update=update)


def default_model(settings: Settings, generator: str) -> str | None:
    return {"workers-ai": settings.workers_ai_chat_model,
            "openai": settings.openai_chat_model}.get(generator)


def available_generators(settings: Settings) -> list[str]:
    """Extractive always; Workers AI with credentials; an OpenAI-compatible server when set."""
    names = ["extractive"]
    if settings.has_cloudflare_credentials:
        names.append("workers-ai")
    openai_set = {"openai_base_url", "openai_api_key"} & settings.model_fields_set
    if settings.generator == "openai" or openai_set:
        names.append("openai")
    current = settings.resolved_generator
    return names if current in names else [current, *names]


def workers_ai_chat_models(settings: Settings) -> list[str]:
    """Known Workers AI chat models (those with a price), the configured ones first; not a
    safety classifier (Llama Guard), which answers "safe" or "unsafe" to any question."""
    known = [m for m in PRICES if "/meta/" in m and "-guard-" not in m]
    configured = [settings.workers_ai_chat_model, *settings.workers_ai_fallback_models]
    return list(dict.fromkeys(configured + known))
