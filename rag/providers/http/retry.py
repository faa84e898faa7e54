"""How hard one AI call tries: attempts, an overall deadline, backoff with jitter, Retry-After.

Only `TransientAIError` is retried (429, 408, 5xx, timeouts, dropped connections); a server's
`retry-after-ms` or `Retry-After` replaces our backoff only when it asks for more than nothing
and at most 60 s, as the official Cloudflare SDK honours it; any other value leaves the
backoff. No attempt may outlive the deadline: each one's timeouts are cut to the time that is
left.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from rag.errors import AIError, ReaderGone, TransientAIError, reader_left
from rag.types import counted

logger = logging.getLogger("rag.ai")

RETRY_AFTER_MAX_SECONDS = 60.0
R = TypeVar("R")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries. `sleep`, `clock` and `jitter` are seams for fast tests."""

    max_attempts: int = 4
    deadline: float = 60.0
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[float, float], float] = random.uniform

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> RetryPolicy:
        values: dict[str, Any] = {
            "max_attempts": settings.ai_max_attempts,
            "deadline": settings.ai_deadline_seconds,
            "backoff_base": settings.ai_backoff_base_seconds,
            "backoff_max": settings.ai_backoff_max_seconds,
        }
        values.update(overrides)
        return cls(**values)

    def backoff(self, attempt: int) -> float:
        """Delay after failed attempt `attempt` (1-based): half fixed, half jitter, doubling."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + self.jitter(0.0, ceiling / 2)

    def delay_after(self, exc: BaseException | None, attempt: int) -> float:
        """The server's Retry-After when it is one to honour, otherwise our backoff."""
        wait = honoured(exc.retry_after) if isinstance(exc, AIError) else None
        return self.backoff(attempt) if wait is None else wait

    def run(self, attempt: Callable[[float], R], *, on_attempt: Callable[[int], None],
            describe: Callable[[], dict[str, Any]],
            reader_gone: threading.Event | None = None) -> R:
        """Call `attempt(seconds_left)` until it returns or the policy gives up.

        `on_attempt(n)` is told each attempt's number; the error of the last one is raised,
        saying how many attempts it took. Once `reader_gone` is set no attempt is made again:
        the last error is raised at once, or `ReaderGone` after a backoff that began before.
        """
        start = self.clock()

        def stop(state: RetryCallState) -> bool:
            if state.attempt_number >= self.max_attempts or reader_left(reader_gone):
                return True
            return self.clock() - start + state.upcoming_sleep > self.deadline

        def wait_for(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self.delay_after(exc, state.attempt_number)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            logger.debug(json.dumps({
                "event": "ai_retry", **describe(), "attempt": state.attempt_number,
                "sleep_s": round(state.upcoming_sleep, 3),
                "error_code": getattr(exc, "code", None), "status": getattr(exc, "status", None),
            }))

        sleep = self.sleep
        if reader_gone is not None and sleep is time.sleep:  # woken when the reader leaves
            sleep = reader_gone.wait
        retrying = Retrying(
            stop=stop, wait=wait_for, sleep=sleep, before_sleep=before_sleep,
            retry=retry_if_exception_type(TransientAIError), reraise=True,
        )
        attempts = 0
        try:
            for state in retrying:
                with state:
                    if attempts and reader_left(reader_gone):
                        raise ReaderGone
                    attempts = state.retry_state.attempt_number
                    on_attempt(attempts)
                    return attempt(self.deadline - (self.clock() - start))
        except TransientAIError as exc:
            elapsed = self.clock() - start
            if attempts <= 1 and elapsed < self.deadline:
                raise
            text = f"{exc} Gave up after {counted(attempts, 'attempt')} in {elapsed:.1f} s."
            raise type(exc)(text, status=exc.status, code=exc.code,
                            retry_after=exc.retry_after, echoed=exc.echoed) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover


def timeout_within(base: httpx.Timeout, remaining: float) -> httpx.Timeout:
    """`base`, shortened so that one attempt cannot outlive the call's deadline."""
    cap = max(remaining, 0.05)

    def shorten(value: float | None) -> float:
        return cap if value is None else min(value, cap)

    return httpx.Timeout(connect=shorten(base.connect), read=shorten(base.read),
                         write=shorten(base.write), pool=shorten(base.pool))


def honoured(seconds: float | None) -> float | None:
    """`seconds` when it is a wait to honour (0 < seconds <= 60, the SDK's rule), else None:
    a longer wait is not worth holding a call for, and none at all would hammer the server."""
    if seconds is None or not 0 < seconds <= RETRY_AFTER_MAX_SECONDS:
        return None
    return seconds


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait a response asks for, retry-after-ms first, then Retry-After (seconds or HTTP
    date), when it is one to honour (`honoured`); None otherwise. A retry-after-ms that does
    not parse leaves Retry-After to decide, as the SDK does."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        with suppress(ValueError, OverflowError):
            return honoured(float(raw_ms) / 1000.0)
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return honoured(float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError, OverflowError):
        return None
    return honoured(when - (time.time() if now is None else now))
