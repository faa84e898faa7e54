"""Request statistics shared by every process that answers questions (the app, `rag ask`).

Each answered (or failed, or stopped) question is one row in a small SQLite file beside the
other runtime state (`<data dir>/metrics.sqlite3`), so the figures survive a restart and
several processes can write at once; so is each AI call made for a question or an ingest
(its kind, user and neurons). `summary()` turns the rows of a period into the numbers the
status page shows: requests by outcome, the error rate, average and p95 latency, time to
first token, cache hit rate (the answer cache and AI Gateway's) and Workers AI neurons by
kind and by user (the free allocation resets at 00:00 UTC, so "today" is a UTC day here).
`targets()` checks a summary against the service's performance targets.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rag.app.streams import Stream
from rag.errors import ContentBlocked

#: how a question ended: answered; answered from the documents alone because the models (or
#: the embedder) failed, or the user is over budget; cut mid-answer; failed; stopped by the
#: user; refused by the content filter
Outcome = Literal["ok", "degraded", "interrupted", "error", "stopped", "blocked"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    ts REAL NOT NULL,            -- unix time the question was asked
    user TEXT,                   -- signed-in user or anonymous session id
    session TEXT,
    collection TEXT,
    generator TEXT,
    model TEXT,
    cached INTEGER NOT NULL,
    outcome TEXT NOT NULL,       -- ok | degraded | interrupted | error | stopped | blocked
    latency_ms REAL,             -- question to last token (or to the error / the stop)
    ttft_ms REAL,                -- question to first token; NULL when none came
    neurons REAL,                -- Workers AI neurons of the answer, NULL when not Workers AI
    error TEXT
);
CREATE INDEX IF NOT EXISTS requests_ts ON requests (ts);
CREATE TABLE IF NOT EXISTS ai_calls (
    ts REAL NOT NULL,
    user TEXT,
    request_id TEXT,
    kind TEXT NOT NULL,          -- chat | embedding | rerank | guard
    model TEXT,
    outcome TEXT,
    cache_status TEXT,           -- AI Gateway's HIT or MISS
    neurons REAL
);
CREATE INDEX IF NOT EXISTS ai_calls_ts ON ai_calls (ts);
"""
#: columns added after the first release, with their definitions (added when missing)
_ADDED_COLUMNS = {"requests": {"gateway_hit": "INTEGER NOT NULL DEFAULT 0",
                               "request_id": "TEXT"}}


@dataclass(frozen=True)
class RequestRecord:
    """One question as the status page counts it."""

    ts: float
    outcome: Outcome
    latency_ms: float
    ttft_ms: float | None = None
    cached: bool = False
    generator: str = ""
    model: str = ""
    neurons: float | None = None
    user: str | None = None
    session: str | None = None
    collection: str | None = None
    error: str | None = None
    blocked_category: str | None = None  # what the content filter refused it as (not stored)
    gateway_hit: bool = False  # answered from AI Gateway's cache (0 neurons)
    request_id: str | None = None


@dataclass(frozen=True)
class CallRecord:
    """One AI call charged to a user (answers, question embeddings, reranking, ingest)."""

    ts: float
    kind: str
    model: str = ""
    neurons: float | None = None
    user: str | None = None
    request_id: str | None = None
    outcome: str = "ok"
    cache_status: str | None = None


@dataclass(frozen=True)
class Bucket:
    """Requests started in one interval, for the chart."""

    start: float
    requests: int
    errors: int
    p95_latency_ms: float | None


@dataclass
class Summary:
    since: float
    requests: int = 0
    errors: int = 0
    stopped: int = 0
    blocked: int = 0  # refused by the content filter
    interrupted: int = 0
    degraded: int = 0
    avg_latency_ms: float | None = None
    p95_latency_ms: float | None = None
    avg_ttft_ms: float | None = None
    p95_ttft_ms: float | None = None
    cache_hits: int = 0  # the answer cache's and AI Gateway's
    gateway_hits: int = 0
    neurons: float = 0.0  # every AI call of the period: answers, embeddings, rerank, ingest
    answer_neurons: float = 0.0  # the answers' own share
    neurons_by_kind: dict[str, float] = field(default_factory=dict)
    neurons_by_user: dict[str, float] = field(default_factory=dict)
    by_generator: dict[str, int] = field(default_factory=dict)

    @property
    def cache_hit_rate(self) -> float | None:
        """Share of answered questions served from a cache (None before any); a question
        stopped by its reader was not answered."""
        answered = self.requests - self.errors - self.blocked - self.stopped
        return self.cache_hits / answered if answered > 0 else None

    @property
    def error_rate(self) -> float | None:
        """Percent of questions that failed or were cut mid-answer (None before any)."""
        if not self.requests:
            return None
        return 100.0 * (self.errors + self.interrupted) / self.requests

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "cache_hit_rate": self.cache_hit_rate,
                "error_rate": self.error_rate}


@dataclass(frozen=True)
class Target:
    """One of the service's performance targets, and how the period measured up."""

    name: str
    value: float | None
    limit: float
    unit: str
    below: bool  # the value must stay below the limit (else above it)

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None  # nothing measured yet
        return self.value < self.limit if self.below else self.value > self.limit


def targets(summary: Summary) -> list[Target]:
    """First token under 500 ms, average response under 2 s, error rate under 1 %, cache hit
    rate over 50 % (averages over the summary's period)."""
    rate = summary.cache_hit_rate
    return [
        Target("first_token", summary.avg_ttft_ms, 500.0, "ms", below=True),
        Target("response", summary.avg_latency_ms, 2000.0, "ms", below=True),
        Target("error_rate", summary.error_rate, 1.0, "%", below=True),
        Target("cache_hit_rate", None if rate is None else 100.0 * rate, 50.0, "%",
               below=False),
    ]


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def start_of_utc_day(now: float | None = None) -> float:
    moment = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class Metrics:
    """Append-only request log with aggregate queries; thread- and process-safe (SQLite)."""

    def __init__(self, path: Path | None, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # one connection shared by the app's threads (under the lock); SQLite's own file
        # locking keeps several processes apart. In memory when there is no path (tests).
        self._db = sqlite3.connect(":memory:" if path is None else str(path), timeout=10,
                                   check_same_thread=False)
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            # a row per question and per AI call: under WAL, NORMAL never corrupts the file and
            # skips an fsync per commit (a crash may lose the last rows, not the database)
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._add_missing_columns()
        self._listeners: list[Callable[[RequestRecord], None]] = []
        self._closed = False

    def _add_missing_columns(self) -> None:
        with self._lock, self._db:
            for table, columns in _ADDED_COLUMNS.items():
                present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                for name, definition in columns.items():
                    if name not in present:
                        self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")

    def subscribe(self, listener: Callable[[RequestRecord], None]) -> None:
        """Hear of every request recorded from now on (the engine's Prometheus counters)."""
        self._listeners.append(listener)

    def record(self, rec: RequestRecord) -> None:
        row = (rec.ts, rec.user, rec.session, rec.collection, rec.generator, rec.model,
               int(rec.cached), rec.outcome, rec.latency_ms, rec.ttft_ms, rec.neurons,
               (rec.error or "")[:500] or None, int(rec.gateway_hit), rec.request_id)
        if not self._insert(
                "INSERT INTO requests (ts, user, session, collection, generator, model, cached, "
                "outcome, latency_ms, ttft_ms, neurons, error, gateway_hit, request_id) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", row):
            return
        for listener in self._listeners:
            listener(rec)

    def record_call(self, call: CallRecord) -> None:
        """One AI call, charged to its user and kind."""
        row = (call.ts, call.user, call.request_id, call.kind, call.model, call.outcome,
               call.cache_status, call.neurons)
        self._insert("INSERT INTO ai_calls VALUES (?,?,?,?,?,?,?,?)", row)

    def _insert(self, sql: str, row: tuple[Any, ...]) -> bool:
        """Write one row; False once closed. A call still in flight when its service shuts
        down (an ingest stopped with Ctrl-C does not wait for its embedding requests) ends
        after the database: its row is dropped, which is no error."""
        with self._lock:
            if self._closed:
                return False
            with self._db:
                self._db.execute(sql, row)
        return True

    def neurons_by(self, since: float, until: float | None = None) -> dict[tuple[str, str], float]:
        """Neurons per (user, kind) spent in [since, until); calls outside a user's request
        are under "-"."""
        sql = ("SELECT COALESCE(user, '-'), kind, SUM(COALESCE(neurons, 0)) FROM ai_calls "
               "WHERE ts >= ?")
        args: list[Any] = [since]
        if until is not None:
            sql += " AND ts < ?"
            args.append(until)
        with self._lock:
            rows = self._db.execute(sql + " GROUP BY 1, 2 ORDER BY 1, 2", args).fetchall()
        return {(user, kind): float(total) for user, kind, total in rows}

    def neurons_spent(self, user: str, since: float) -> float:
        """The neurons `user`'s calls recorded here spent from `since` on."""
        with self._lock:
            (total,) = self._db.execute(
                "SELECT SUM(COALESCE(neurons, 0)) FROM ai_calls WHERE ts >= ? AND user = ?",
                (since, user)).fetchone()
        return float(total or 0.0)

    def _since(self, select: str, since: float, user: str | None, order: str = "") -> list[tuple]:
        """The rows of `select` (ending in its FROM) from `since` on, of `user` if given."""
        sql = f"{select} WHERE ts >= ?"
        args: list[Any] = [since]
        if user is not None:
            sql += " AND user = ?"
            args.append(user)
        with self._lock:
            return self._db.execute(sql + order, args).fetchall()

    def _calls(self, since: float, user: str | None) -> list[tuple]:
        return self._since("SELECT COALESCE(user, '-'), kind, COALESCE(neurons, 0) FROM ai_calls",
                           since, user)

    def _rows(self, since: float, user: str | None = None) -> list[tuple]:
        return self._since("SELECT ts, generator, cached, outcome, latency_ms, ttft_ms, neurons, "
                           "gateway_hit FROM requests", since, user, " ORDER BY ts")

    def summary(self, since: float | None = None, user: str | None = None) -> Summary:
        """Aggregates over requests asked at or after `since` (default: today, UTC)."""
        since = start_of_utc_day(self.clock()) if since is None else since
        rows = self._rows(since, user)
        out = Summary(since=since, requests=len(rows))
        latencies, ttfts = [], []
        for _ts, generator, cached, outcome, latency, ttft, neurons, gateway_hit in rows:
            out.by_generator[generator] = out.by_generator.get(generator, 0) + 1
            out.errors += outcome == "error"
            out.stopped += outcome == "stopped"
            out.blocked += outcome == "blocked"
            out.interrupted += outcome == "interrupted"
            out.degraded += outcome == "degraded"
            if outcome in ("ok", "degraded"):
                latencies.append(latency)
                out.cache_hits += bool(cached or gateway_hit)
                out.gateway_hits += bool(gateway_hit and not cached)
            if ttft is not None:
                ttfts.append(ttft)
            out.answer_neurons += neurons or 0.0
        for who, kind, neurons in self._calls(since, user):
            out.neurons += neurons
            out.neurons_by_kind[kind] = out.neurons_by_kind.get(kind, 0.0) + neurons
            out.neurons_by_user[who] = out.neurons_by_user.get(who, 0.0) + neurons
        if latencies:
            out.avg_latency_ms = sum(latencies) / len(latencies)
            out.p95_latency_ms = percentile(latencies, 95)
        if ttfts:
            out.avg_ttft_ms = sum(ttfts) / len(ttfts)
            out.p95_ttft_ms = percentile(ttfts, 95)
        return out

    def buckets(self, hours: int = 24, minutes_per_bucket: int = 60) -> list[Bucket]:
        """Requests per interval over the last `hours`, oldest first, empty ones included."""
        width = minutes_per_bucket * 60
        now = self.clock()
        first = (now - hours * 3600) // width * width + width
        rows = self._rows(first)
        slots: dict[float, list[tuple]] = {first + i * width: []
                                           for i in range(int((now - first) // width) + 1)}
        for row in rows:
            slots.setdefault(row[0] // width * width, []).append(row)
        return [
            Bucket(start, len(items), sum(r[3] == "error" for r in items),
                   percentile([r[4] for r in items if r[3] == "ok"], 95))
            for start, items in sorted(slots.items())
        ]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._db.close()


def timed(deltas: Iterator[str], started: float, on_end: Callable[..., None],
          clock: Callable[[], float] = time.monotonic) -> Iterator[str]:
    """Pass a stream through, then call `on_end(outcome, latency_ms, ttft_ms, error)` once.

    The outcome is "ok" when the stream ends, "error" when it raises ("blocked" when the
    content filter withholds the answer), and "stopped" when the reader closes it early (the
    app's stop button), even before its first word, or the reader's thread is stopped; the
    caller tells an interrupted or degraded answer from the answer itself.
    """
    def closed_unstarted() -> None:
        close = getattr(deltas, "close", None)
        if close is not None:
            close()
        on_end("stopped", (clock() - started) * 1000, None, None)

    return Stream(_timed(deltas, started, on_end, clock), closed_unstarted)


def _timed(deltas: Iterator[str], started: float, on_end: Callable[..., None],
           clock: Callable[[], float]) -> Generator[str, None, None]:
    first: float | None = None
    outcome: Outcome = "ok"
    error: str | None = None
    try:
        for delta in deltas:
            if first is None and delta:
                first = clock()
            yield delta
    except GeneratorExit:
        outcome = "stopped"
        raise
    except ContentBlocked as exc:
        outcome, error = "blocked", str(exc)
        raise
    except Exception as exc:
        outcome, error = "error", str(exc)
        raise
    except BaseException:
        outcome = "stopped"
        raise
    finally:
        close = getattr(deltas, "close", None)
        if close is not None:
            close()
        end = clock()
        on_end(outcome, (end - started) * 1000,
               None if first is None else (first - started) * 1000, error)
