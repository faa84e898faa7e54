"""A circuit breaker per model and server: a model that is down is skipped instead of retried
each time. The server (the base URL calls go to) is part of the key: a breaker opened by a
base URL with nothing behind it does not skip the same model once the setting names another.

When a call to a model still fails with a transient error (out of capacity, 5xx, timeouts,
dropped connections) after all its retries, its breaker opens for `seconds`: every process
sharing the state (`providers.state`) skips the model at once, so the fallback model answers
without the wasted attempts. When the time is up, the first caller to claim the probe sends
one request with a single attempt: success closes the breaker, failure opens it again. Others
keep skipping the model while the probe is out.

    closed ──(fails through its retries)──► open ──(time is up)──► half-open: one probe
      ▲                                                               │
      └──────────────────────── the probe succeeds ◄──────────────────┘ (fails: open again)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from rag.providers.state import SharedState, state_for
from rag.settings import masked_url

log = logging.getLogger("rag.ai")

PREFIX = "breaker:"
PROBE_PREFIX = "breaker-probe:"
PROBE_SECONDS = 30.0  # a probe that never reports back frees the claim after this long

#: what a caller may do with a model: send as usual, send the one probe, or skip it
Admission = Literal["closed", "probe", "open"]


@dataclass(frozen=True)
class OpenBreaker:
    """A model being skipped, as the Status page and /metrics show it."""

    model: str
    reason: str
    opened_at: float
    until: float

    def seconds_left(self, now: float) -> float:
        return max(0.0, self.until - now)


class Breakers:
    """The breakers of every model, in shared state.

    Usage:
        admission = breakers.admit(model, server)      # "open": skip it
        ... call with one attempt if admission == "probe" ...
        breakers.succeeded(model, server) / breakers.failed(model, reason, server)
    """

    def __init__(self, state: SharedState | None, seconds: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.seconds = seconds
        self.clock = clock

    @property
    def enabled(self) -> bool:
        return self.state is not None and self.seconds > 0

    def admit(self, model: str, server: str = "") -> Admission:
        if not self.enabled:
            return "closed"
        assert self.state is not None
        key = _key(model, server)
        opened = _record(self.state.get(PREFIX + key))
        if opened is None:
            return "closed"
        if self.clock() < opened.until:
            return "open"
        # time is up: one caller (in any process) probes, the others keep skipping
        claimed = self.state.add(PROBE_PREFIX + key, self.clock(), PROBE_SECONDS)
        return "probe" if claimed else "open"

    def succeeded(self, model: str, server: str = "") -> None:
        if not self.enabled:
            return
        assert self.state is not None
        key = _key(model, server)
        # a probe is only claimed while the breaker is on record, and closing it frees the
        # claim: so a closed breaker costs a success one read, not a write of the shared store
        if self.state.get(PREFIX + key):
            log.info("circuit closed for %s: it answered again", model)
            self.state.delete(PREFIX + key)
            self.state.delete(PROBE_PREFIX + key)

    def failed(self, model: str, reason: str, server: str = "") -> None:
        """Open (or re-open) the model's breaker for `seconds`."""
        if not self.enabled:
            return
        assert self.state is not None
        key, now = _key(model, server), self.clock()
        self.state.set(PREFIX + key, {"model": model, "reason": reason[:300], "opened_at": now,
                                      "until": now + self.seconds},
                       ttl=self.seconds + 24 * 3600)  # kept past `until` to need a probe
        self.state.delete(PROBE_PREFIX + key)
        log.warning("circuit open for %s for %.0f s: %s", model, self.seconds, reason[:300])

    def reason(self, model: str, server: str = "") -> str:
        """Why the model's breaker opened ("" when it is not on record): a skip names the
        failure behind it, which may be a setting to fix rather than a model that is down."""
        if not self.enabled:
            return ""
        assert self.state is not None
        opened = _record(self.state.get(PREFIX + _key(model, server)))
        return opened.reason if opened is not None else ""

    def open_breakers(self) -> list[OpenBreaker]:
        """Models currently skipped (open, or waiting for their probe)."""
        if not self.enabled:
            return []
        assert self.state is not None
        found = [opened for key, value in self.state.items(PREFIX).items()
                 if (opened := _record(value, key.removeprefix(PREFIX))) is not None]
        return sorted(found, key=lambda b: b.model)


def _record(value: object, model: str = "") -> OpenBreaker | None:
    """A breaker as `failed` stores it, or None for anything else (another program's value
    under our prefix must not break the answers or the metrics)."""
    if not isinstance(value, dict):
        return None
    try:
        return OpenBreaker(str(value.get("model") or model), str(value.get("reason", "")),
                           float(value.get("opened_at", 0)), float(value.get("until", 0)))
    except (TypeError, ValueError):
        return None


def _key(model: str, server: str) -> str:
    # masked: a key is stored, in Redis too, and a base URL may carry a password
    return f"{masked_url(server)} {model}" if server else model


def breakers_for(settings: object) -> Breakers:
    """The breakers of this data dir (or of the Redis at RAG_REDIS_URL)."""
    seconds = float(getattr(settings, "ai_breaker_seconds", 0) or 0)
    return Breakers(state_for(settings) if seconds > 0 else None, seconds)
