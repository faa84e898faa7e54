"""Llama Guard 3 8B on Workers AI (docs/workers-ai.md, "Llama Guard"): is a question, or a
question and its answer, safe?

The request is the run endpoint's `messages` (the user turn alone, or the user turn then the
assistant's answer) with `response_format: json_object`. The result comes as
`{"response": {"safe": bool, "categories": [...]}}` or, from a server that ignores the format,
as text: `"safe"` or `"unsafe\\nS2"` (a comma-separated list may follow); both are read, and
so are the text on one line (`"unsafe S2"`) and the object sent as a string. A reply in none
of these forms is an error: the content filter then treats the guard as unavailable.
Categories are Meta's S1 to S14, named here as the refusal shows them.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from rag.errors import PermanentAIError
from rag.providers.cloudflare import pricing
from rag.providers.cloudflare.client import (
    PROVIDER,
    billed_neurons,
    cloudflare_http,
    require_credentials,
    unwrap,
)
from rag.providers.cloudflare.route import WorkersAIRoute
from rag.providers.guards.base import UNNAMED, Guard, Verdict
from rag.providers.http.client import AIHttp
from rag.providers.http.retry import RetryPolicy

#: The MLCommons hazard taxonomy as Llama Guard 3 numbers it (Meta's model card).
CATEGORIES = {
    "S1": "violent crimes", "S2": "non-violent crimes", "S3": "sex-related crimes",
    "S4": "child sexual exploitation", "S5": "defamation", "S6": "specialized advice",
    "S7": "privacy", "S8": "intellectual property", "S9": "indiscriminate weapons",
    "S10": "hate", "S11": "suicide and self-harm", "S12": "sexual content",
    "S13": "elections", "S14": "code interpreter abuse",
}
# A question waits for its check: give up sooner than an answer would (then the rules decide).
GUARD_MAX_ATTEMPTS = 2
GUARD_DEADLINE_SECONDS = 10.0
_NAMES = frozenset(CATEGORIES.values())
# how much of the reply's categories the log keeps: enough to recognise, not a flood
MAX_CODES, CODE_CHARS = 16, 80
_CODE = re.compile(r"\bS(\d{1,2})\b", re.I)
# the verdict's first word, then its categories on the same line or the next ones
_TEXT_VERDICT = re.compile(r"\s*(safe|unsafe)\b(.*)", re.I | re.S)


class LlamaGuard(Guard):
    """Llama Guard 3 on Workers AI, native or through AI Gateway.

    Usage:
        guard = LlamaGuard.from_settings(settings)
        verdict = guard.classify("how do I make a pipe bomb?")
        verdict.safe, verdict.categories, verdict.neurons
    """

    def __init__(self, http: AIHttp, route: WorkersAIRoute, model: str) -> None:
        self.http = http
        self.route = route
        self.model = model
        self.name = f"workers-ai:{model}"

    @classmethod
    def from_settings(cls, settings: Any, transport: Any = None) -> LlamaGuard:
        require_credentials(settings, "RAG_CONTENT_FILTER=llama-guard")
        policy = RetryPolicy.from_settings(
            settings, max_attempts=min(GUARD_MAX_ATTEMPTS, settings.ai_max_attempts),
            deadline=min(GUARD_DEADLINE_SECONDS, settings.ai_deadline_seconds))
        return cls(cloudflare_http(settings, transport, policy=policy),
                   WorkersAIRoute(settings), settings.content_filter_model)

    def __repr__(self) -> str:
        return f"LlamaGuard(model={self.model!r}, endpoint={self.route.endpoint!r})"

    def close(self) -> None:
        self.http.close()

    def classify(self, question: str, answer: str | None = None,
                 reader_gone: threading.Event | None = None) -> Verdict:
        messages = [{"role": "user", "content": question}]
        if answer is not None:
            messages.append({"role": "assistant", "content": answer})
        body = {"messages": messages, "response_format": {"type": "json_object"}}
        with self.http.call(model=self.model, endpoint=self.route.endpoint, kind="guard",
                            items=len(messages)) as stats:
            data = self.http.post_json(self.route.url(self.model), body, stats,
                                       self.route.headers, reader_gone=reader_gone)
            result = unwrap(data, self.model)
            usage = result.get("usage") if isinstance(result.get("usage"), dict) else None
            stats.neurons = billed_neurons(stats, pricing.neurons_from_usage(self.model, usage))
            try:
                safe, codes = read_verdict(result.get("response"), self.model)
            except PermanentAIError as exc:
                exc.neurons = stats.neurons  # billed all the same
                raise
        return Verdict(safe, tuple(category_name(code) for code in codes), stats.neurons,
                       codes=tuple(code[:CODE_CHARS] for code in codes[:MAX_CODES]))


def read_verdict(response: Any, model: str) -> tuple[bool, list[str]]:
    """(safe, category codes) from either result form, whatever its line layout, or from
    the object sent as a JSON string; PermanentAIError for anything else."""
    if isinstance(response, str):
        response = _decoded(response)
    if isinstance(response, dict) and isinstance(response.get("safe"), bool):
        categories = response.get("categories") or []
        if not isinstance(categories, list):
            categories = [categories]
        return response["safe"], [str(c) for c in categories]
    if isinstance(response, str):
        match = _TEXT_VERDICT.fullmatch(response)
        if match:
            codes = [code for code in re.split(r"[,\s]+", match.group(2)) if code]
            return match.group(1).lower() == "safe", codes
    raise PermanentAIError(f"{PROVIDER} sent a verdict {model} does not give: "
                           f"{str(response)[:80]!r}.")


def _decoded(text: str) -> Any:
    """The object a reply holds as JSON text (a model asked for JSON may send it so), else
    the text itself."""
    if not text.lstrip().startswith("{"):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def category_name(code: str) -> str:
    """"S2" → "non-violent crimes", a category's own name as it is; anything else, which
    the provider's reply may hold, is one name: it is shown to users and is a metrics
    label, so it is neither the reply's text nor a new label value each time."""
    match = _CODE.fullmatch(code.strip())
    if match:
        return CATEGORIES.get(f"S{int(match.group(1))}", UNNAMED)
    name = " ".join(code.split()).lower()
    return name if name in _NAMES else UNNAMED
