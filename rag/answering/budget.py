"""Per-user daily budgets in neurons, and the ledger every AI call is charged to.

Each AI call made for a user's question or ingest (`app.context`) adds its neurons to that
user's spend of the UTC day, in the shared state (`providers.state`: the data dir's store, or
Redis), and to the metrics (neurons by kind and by user). A user whose spend reached
RAG_USER_DAILY_NEURONS gets extractive answers, with a notice saying why, until 00:00 UTC;
the users in RAG_BUDGET_EXEMPT_USERS never do.

A question's cost is known only once its calls end, so each question a model answers holds
an estimate of its cost against the budget while it runs (`Budgets.admit`): a burst of
questions asked together sees what the others may spend, not only what finished ones did.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from rag.app.context import Scope
from rag.app.metrics import CallRecord, Metrics
from rag.errors import RateLimited
from rag.providers.cloudflare import pricing
from rag.providers.state import SharedState
from rag.types import is_count

_DAY = 86_400
# no question runs longer: the hold of an engine stopped mid-question lapses after it
HOLD_SECONDS = 600.0
# the prompt's words beside its passages (instructions, the question, recent turns); an
# estimate on the high side only matters while questions run together near the budget
PROMPT_TOKENS = 600


def answer_estimate(models: Sequence[str], passages: int, chunk_tokens: int,
                    max_tokens: int) -> float:
    """The neurons an answer drafted by each of `models` may cost at most (Workers AI's; a
    model without a known price at the highest, as its calls are counted)."""
    usage = {"prompt_tokens": PROMPT_TOKENS + passages * chunk_tokens,
             "completion_tokens": max_tokens}
    return sum(pricing.neurons_from_usage(model, usage) for model in models)


def _nothing_held() -> None:
    return None


def utc_day(now: float) -> str:
    return datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%d")


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
        when that is more, which is then written back to the shared state so that the
        other replicas count it too (a Redis restarted without its data, an outage's charges
        it never heard)."""
        if self.state is None:
            return 0.0
        key = self._key(user)
        spent = self.state.get(key)
        # a number, as `charge` adds it; anything else under our key is not a spend of ours
        shared = float(spent) if is_count(spent) else 0.0
        if self.recorded is None:
            return shared
        now = self.clock()
        own = self.recorded(user, now - now % _DAY)
        if own > shared:
            self.state.raise_to(key, own, 2 * _DAY)
        return max(shared, own)

    def refusal(self, user: str | None, held: float = 0.0) -> str | None:
        """Why `user` may not spend more today (with `held` neurons of questions under
        way), or None."""
        limit = self._limit(user)
        if limit is None:
            return None
        spent = self.spent(user)
        if spent >= limit:
            return (f"{_used_up(limit, spent)}, so these are quoted passages rather than a "
                    "written answer; written answers come back at 00:00 UTC "
                    "(RAG_USER_DAILY_NEURONS).")
        if spent + held >= limit:
            return (f"Your questions under way may spend the rest of today's budget of "
                    f"{_neurons(limit)} ({spent:,.1f} spent), so these are quoted passages "
                    "rather than a written answer; written answers come back as they end "
                    "(RAG_USER_DAILY_NEURONS).")
        return None

    def admit(self, user: str | None, estimate: float) -> tuple[str | None, Callable[[], None]]:
        """Why `user`'s question may not be answered by a model (None while under budget,
        counting what the user's questions under way hold), and what ends this question's
        own hold of `estimate` neurons, to be called once it has ended."""
        if self.state is None or self._limit(user) is None or not estimate > 0:
            return self.refusal(user), _nothing_held
        key = f"held:{utc_day(self.clock())}:{user}"
        # added first, then read: of questions asked at once, each sees those before it
        held = self.state.incr(key, estimate, HOLD_SECONDS) - estimate
        reason = self.refusal(user, max(held, 0.0))
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.state.incr(key, -estimate, HOLD_SECONDS)

        if reason is not None:
            release()
            return reason, _nothing_held
        return None, release

    def ingest_refusal(self, user: str | None) -> RateLimited | None:
        """Why `user` may not ingest with a remote embedder today (each chunk's embedding is
        spent), or None."""
        limit = self._limit(user)
        spent = 0.0 if limit is None else self.spent(user)
        if limit is None or spent < limit:
            return None
        now = self.clock()
        return RateLimited(f"{_used_up(limit, spent)}: an ingest spends more on its "
                           "embeddings, so it can run again at 00:00 UTC "
                           "(RAG_USER_DAILY_NEURONS).",
                           retry_after=_DAY - now % _DAY)

    def _limit(self, user: str | None) -> float | None:
        """`user`'s daily budget, or None when they have none."""
        if user is None or user in self.exempt:
            return None
        return self.daily_neurons


def _neurons(count: float) -> str:
    return f"{count:,.0f} {'neuron' if count == 1 else 'neurons'}"


def _used_up(limit: float, spent: float) -> str:
    return f"You have used today's budget of {_neurons(limit)} ({spent:,.1f} spent)"


class Spending:
    """The ledger of one service: each AI call in metrics, and in its user's budget."""

    def __init__(self, metrics: Metrics, budgets: Budgets) -> None:
        self.metrics = metrics
        self.budgets = budgets

    def on_ai_call(self, call: dict[str, Any], scope: Scope) -> None:
        # a figure no call can cost would poison the metrics and the day's spend for good
        neurons = float(call["neurons"]) if is_count(call.get("neurons")) else None
        # charged before it is recorded: the record never runs ahead of the shared count,
        # where `Budgets.spent` would write it back and the charge then add it a second time
        if scope.user is not None and neurons:
            self.budgets.charge(scope.user, neurons)
        self.metrics.record_call(CallRecord(
            ts=time.time(), kind=str(call.get("kind", "chat")), model=str(call.get("model", "")),
            neurons=neurons, user=scope.user,
            request_id=scope.request_id, outcome=str(call.get("outcome", "ok")),
            cache_status=call.get("cache_status")))
