"""Request statistics shared by every process that answers questions (the app, `rag ask`).

Each answered (or failed, or stopped) question is one row in a small SQLite file beside the
other runtime state (`<data dir>/metrics.sqlite3`), so the figures survive a restart and
several processes can write at once. `summary()` turns the rows of a period into the numbers
the status page shows: requests, errors, average and p95 latency, time to first token, cache
hit rate and Workers AI neurons (the free allocation resets at 00:00 UTC, so "today" is a UTC
day here).
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from rag.errors import ContentBlocked

Outcome = Literal["ok", "error", "stopped", "blocked"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    ts REAL NOT NULL,            -- unix time the question was asked
    user TEXT,                   -- signed-in user or anonymous session id
    session TEXT,
    collection TEXT,
    generator TEXT,
    model TEXT,
    cached INTEGER NOT NULL,
    outcome TEXT NOT NULL,       -- ok | error | stopped | blocked
    latency_ms REAL,             -- question to last token (or to the error / the stop)
    ttft_ms REAL,                -- question to first token; NULL when none came
    neurons REAL,                -- Workers AI neurons of the answer, NULL when not Workers AI
    error TEXT
);
CREATE INDEX IF NOT EXISTS requests_ts ON requests (ts);
"""


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
    avg_latency_ms: float | None = None
    p95_latency_ms: float | None = None
    avg_ttft_ms: float | None = None
    p95_ttft_ms: float | None = None
    cache_hits: int = 0
    neurons: float = 0.0
    by_generator: dict[str, int] = field(default_factory=dict)

    @property
    def cache_hit_rate(self) -> float | None:
        """Share of answered questions served from the answer cache (None before any)."""
        answered = self.requests - self.errors - self.blocked
        return self.cache_hits / answered if answered > 0 else None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "cache_hit_rate": self.cache_hit_rate}


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def start_of_utc_day(now: float | None = None) -> float:
    moment = datetime.fromtimestamp(time.time() if now is None else now, tz=timezone.utc)
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
        self._db.executescript(_SCHEMA)
        self._listeners: list[Callable[[RequestRecord], None]] = []

    def subscribe(self, listener: Callable[[RequestRecord], None]) -> None:
        """Hear of every request recorded from now on (the engine's Prometheus counters)."""
        self._listeners.append(listener)

    def record(self, rec: RequestRecord) -> None:
        row = (rec.ts, rec.user, rec.session, rec.collection, rec.generator, rec.model,
               int(rec.cached), rec.outcome, rec.latency_ms, rec.ttft_ms, rec.neurons,
               (rec.error or "")[:500] or None)
        with self._lock, self._db:
            self._db.execute("INSERT INTO requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", row)
        for listener in self._listeners:
            listener(rec)

    def _rows(self, since: float, user: str | None = None) -> list[tuple]:
        sql = ("SELECT ts, generator, cached, outcome, latency_ms, ttft_ms, neurons "
               "FROM requests WHERE ts >= ?")
        args: list[Any] = [since]
        if user is not None:
            sql += " AND user = ?"
            args.append(user)
        with self._lock:
            return self._db.execute(sql + " ORDER BY ts", args).fetchall()

    def summary(self, since: float | None = None, user: str | None = None) -> Summary:
        """Aggregates over requests asked at or after `since` (default: today, UTC)."""
        since = start_of_utc_day(self.clock()) if since is None else since
        rows = self._rows(since, user)
        out = Summary(since=since, requests=len(rows))
        latencies, ttfts = [], []
        for _ts, generator, cached, outcome, latency, ttft, neurons in rows:
            out.by_generator[generator] = out.by_generator.get(generator, 0) + 1
            out.errors += outcome == "error"
            out.stopped += outcome == "stopped"
            out.blocked += outcome == "blocked"
            if outcome == "ok":
                latencies.append(latency)
                out.cache_hits += bool(cached)
            if ttft is not None:
                ttfts.append(ttft)
            out.neurons += neurons or 0.0
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
            self._db.close()


def timed(deltas: Iterator[str], started: float, on_end: Callable[..., None],
          clock: Callable[[], float] = time.monotonic) -> Iterator[str]:
    """Pass a stream through, then call `on_end(outcome, latency_ms, ttft_ms, error)` once.

    The outcome is "ok" when the stream ends, "error" when it raises ("blocked" when the
    content filter withholds the answer), and "stopped" when the reader closes it early (the
    app's stop button) or the reader's thread is stopped.
    """
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
