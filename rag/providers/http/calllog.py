"""One JSON record per AI call, retries included, on the `rag.ai` logger.

A record says which model was called, how (endpoint, items), how long it took and how long to
the first token, how many attempts, how it ended (`ok`, `error`, `interrupted`, `cancelled`),
and what the provider reported (status, error code, cache status, neurons, request ids). A
call the provider refused whatever the question (the token, the account, this model: see
`rag.errors.Refusal`) adds `refused` and `error_message`, the advice to follow.
Headers are never logged, and the text passes through the caller's redaction.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from rag.errors import AIError, CircuitOpenError, ReaderGone, shortened

logger = logging.getLogger("rag.ai")

#: What a call was for, as neurons are counted: answers, embeddings, reranking, safety checks.
CallKind = Literal["chat", "embedding", "rerank", "guard"]


@dataclass
class CallStats:
    """What one AI call did; `logged_call` writes it once when the call ends."""

    provider: str
    model: str
    endpoint: str
    kind: CallKind
    items: int | None = None
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0
    status: int | None = None
    outcome: str = "ok"
    error_code: int | str | None = None
    error: str | None = None
    ttft_ms: float | None = None
    cache_status: str | None = None
    gateway_log_id: str | None = None
    request_id: str | None = None
    reported_neurons: float | None = None  # what the provider said the call cost
    neurons: float | None = None  # what we count: reported, computed, or 0 on a cache hit
    done: bool = False  # a stream reached its end marker (or was a complete JSON body)
    malformed_events: int = 0
    # passages sent with instruction-like text in them (rag.text.injection): number → flags
    flagged_passages: dict[int, list[str]] | None = None
    # the setting that set `items`, named in the advice for a request too large (not logged)
    items_setting: str | None = None
    # what the provider refused whatever the question (`rag.errors.Refusal`), and its message
    # with the advice to follow: the operator must act, so the record says what on
    refused: str | None = None
    error_message: str | None = None

    def mark_first_token(self) -> None:
        if self.ttft_ms is None:
            self.ttft_ms = round((time.monotonic() - self.started) * 1000, 1)

    def fail(self, exc: BaseException, outcome: str = "error") -> None:
        # a model skipped by its open breaker was never called
        self.outcome = "skipped" if isinstance(exc, CircuitOpenError) else outcome
        self.error = type(exc).__name__
        if isinstance(exc, AIError):
            self.error_code = exc.code
            self.status = exc.status if exc.status is not None else self.status
            if exc.refused is not None:
                self.refused = exc.refused
                self.error_message = shortened(exc)

    def as_record(self) -> dict[str, Any]:
        record = {
            "event": "ai_call",
            "provider": self.provider,
            "model": self.model,
            "endpoint": self.endpoint,
            "kind": self.kind,
            "items": self.items,
            "duration_ms": round((time.monotonic() - self.started) * 1000, 1),
            "ttft_ms": self.ttft_ms,
            "attempts": self.attempts,
            "outcome": self.outcome,
            "status": self.status,
            "error": self.error,
            "error_code": self.error_code,
            "refused": self.refused,
            "error_message": self.error_message,
            "cache_status": self.cache_status,
            "neurons": self.neurons if self.neurons is not None else self.reported_neurons,
            "gateway_log_id": self.gateway_log_id,
            # the provider's id for the call; `request_id` is our question's (app.logs)
            "provider_request_id": self.request_id,
            "malformed_events": self.malformed_events or None,
            "flagged_passages": self.flagged_passages or None,
        }
        return {key: value for key, value in record.items() if value is not None}


#: Reads a provider's own response headers (request ids, cost, cache status) into the stats.
HeaderReader = Callable[[httpx.Headers, CallStats], None]


@contextmanager
def logged_call(stats: CallStats, redact: Callable[[str], str]) -> Iterator[CallStats]:
    """Scope of one AI call; logs its outcome once on exit, however it ends."""
    try:
        yield stats
    except (GeneratorExit, ReaderGone):
        stats.outcome = "cancelled"
        raise
    except BaseException as exc:
        stats.fail(exc)
        raise
    finally:
        record = stats.as_record()
        if "error_message" in record:  # kept in the record handlers read, so redacted there too
            record["error_message"] = redact(record["error_message"])
        level = logging.INFO if stats.outcome in ("ok", "cancelled", "skipped") else (
            logging.WARNING)
        logger.log(level, redact(json.dumps(record)), extra={"ai_call": record})
