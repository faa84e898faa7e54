"""Per-user daily budgets in neurons, and the ledger every AI call is charged to.

Each AI call made for a user's question or ingest (`app.context`) adds its neurons to that
user's spend of the UTC day, in the shared state (`providers.state`: the data dir's store, or
Redis), and to the metrics (neurons by kind and by user). A user whose spend reached
RAG_USER_DAILY_NEURONS gets extractive answers, with a notice saying why, until 00:00 UTC;
the users in RAG_BUDGET_EXEMPT_USERS never do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from rag.app.context import Scope
from rag.app.metrics import CallRecord, Metrics
from rag.errors import RateLimited
from rag.providers.state import SharedState
from rag.types import is_count

_DAY = 86_400


def utc_day(now: float) -> str:
    return datetime.fromtimestamp(now, tz=timezone.utc).strftime("%Y-%m-%d")


class Budgets:
    """Neurons spent per user per UTC day, against an optional daily limit.

    Usage:
        budgets.charge("alice", 12.5)
        reason = budgets.refusal("alice")   # None while under budget
    """

    def __init__(self, state: SharedState | None, daily_neurons: float | None,
                 exempt: Sequence[str] = (), clock: Callable[[], float] = time.time,
                 recorded: Callable[[str, float], float] | None = None) -> None:
        self.state = state
        self.daily_neurons = daily_neurons
        self.exempt = frozenset(exempt)
        self.clock = clock
        # this engine's own record of a user's spend since a time (its metrics): a budget
        # holds on it while the shared state is out (a Redis outage reads as nothing spent,
        # and drops what is charged meanwhile)
        self.recorded = recorded

    def _key(self, user: str) -> str:
        return f"spend:{utc_day(self.clock())}:{user}"

    def charge(self, user: str, neurons: float) -> float:
        if self.state is None or not is_count(neurons):
            return self.spent(user)
        return self.state.incr(self._key(user), neurons, 2 * _DAY)

    def spent(self, user: str) -> float:
        """What `user` spent today: the shared state's count, or this engine's own record
        when that is more."""
        if self.state is None:
            return 0.0
        spent = self.state.get(self._key(user))
        # a number, as `charge` adds it; anything else under our key is not a spend of ours
        shared = float(spent) if is_count(spent) else 0.0
        if self.recorded is None:
            return shared
        now = self.clock()
        return max(shared, self.recorded(user, now - now % _DAY))

    def refusal(self, user: str | None) -> str | None:
        """Why `user` may not spend more today, or None."""
        used = self._used_up(user)
        if used is None:
            return None
        return (f"{used}, so these are quoted passages rather than a written answer; written "
                "answers come back at 00:00 UTC (RAG_USER_DAILY_NEURONS).")

    def ingest_refusal(self, user: str | None) -> RateLimited | None:
        """Why `user` may not ingest with a remote embedder today (each chunk's embedding is
        spent), or None."""
        used = self._used_up(user)
        if used is None:
            return None
        now = self.clock()
        return RateLimited(f"{used}: an ingest spends more on its embeddings, so it can run "
                           "again at 00:00 UTC (RAG_USER_DAILY_NEURONS).",
                           retry_after=_DAY - now % _DAY)

    def _used_up(self, user: str | None) -> str | None:
        limit = self.daily_neurons
        if limit is None or user is None or user in self.exempt:
            return None
        spent = self.spent(user)
        if spent < limit:
            return None
        noun = "neuron" if limit == 1 else "neurons"
        return f"You have used today's budget of {limit:,.0f} {noun} ({spent:,.1f} spent)"


class Spending:
    """The ledger of one service: each AI call in metrics, and in its user's budget."""

    def __init__(self, metrics: Metrics, budgets: Budgets) -> None:
        self.metrics = metrics
        self.budgets = budgets

    def on_ai_call(self, call: dict[str, Any], scope: Scope) -> None:
        # a figure no call can cost would poison the metrics and the day's spend for good
        neurons = float(call["neurons"]) if is_count(call.get("neurons")) else None
        self.metrics.record_call(CallRecord(
            ts=time.time(), kind=str(call.get("kind", "chat")), model=str(call.get("model", "")),
            neurons=neurons, user=scope.user,
            request_id=scope.request_id, outcome=str(call.get("outcome", "ok")),
            cache_status=call.get("cache_status")))
        if scope.user is not None and neurons:
            self.budgets.charge(scope.user, neurons)
