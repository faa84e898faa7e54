"""Small state shared by every process on the data dir, or by every replica through Redis.

Circuit breakers and per-user budgets live here. By default the state is a diskcache store in
`<data dir>/state` (SQLite, safe for several processes on one machine: separate `rag ask`
processes and the engine agree); with RAG_REDIS_URL set it is in Redis, so that engine
replicas on several machines agree too. Values are small JSON-able objects with a lifetime.

An outage of the shared store must not stop answers: a Redis error is logged and the call
answers as if nothing were stored (`get` None, `add` True, `incr` the amount).
"""

from __future__ import annotations

import json
import logging
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class SharedState(ABC):
    """Keys with a lifetime in seconds; `add` and `incr` are atomic across processes."""

    @abstractmethod
    def get(self, key: str) -> Any | None: ...

    @abstractmethod
    def set(self, key: str, value: Any, ttl: float) -> None: ...

    @abstractmethod
    def add(self, key: str, value: Any, ttl: float) -> bool:
        """Store only if the key is absent; True when this caller stored it."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def incr(self, key: str, amount: float, ttl: float) -> float:
        """Add to a number (0 when absent) and return the new total."""

    @abstractmethod
    def items(self, prefix: str) -> dict[str, Any]:
        """Every live key starting with `prefix`, and its value."""

    def close(self) -> None:
        return None


class DiskState(SharedState):
    """A diskcache store in one folder (its own, apart from the answer cache)."""

    def __init__(self, directory: Path) -> None:
        import diskcache

        directory.mkdir(parents=True, exist_ok=True)
        self._store = diskcache.Cache(str(directory), size_limit=64 * 2**20)

    def get(self, key: str) -> Any | None:
        return self._store.get(key)

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._store.set(key, value, expire=ttl)

    def add(self, key: str, value: Any, ttl: float) -> bool:
        return bool(self._store.add(key, value, expire=ttl))

    def delete(self, key: str) -> None:
        self._store.delete(key)

    def incr(self, key: str, amount: float, ttl: float) -> float:
        with self._store.transact():
            total = float(self._store.get(key, 0.0)) + amount
            self._store.set(key, total, expire=ttl)
        return total

    def items(self, prefix: str) -> dict[str, Any]:
        found = {}
        for key in list(self._store.iterkeys()):
            if isinstance(key, str) and key.startswith(prefix):
                value = self._store.get(key)
                if value is not None:
                    found[key] = value
        return found

    def close(self) -> None:
        self._store.close()


# a Redis that stops answering costs a call this long, never a hang: every question waits on it
REDIS_TIMEOUTS = {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}


class RedisState(SharedState):
    """The same, in Redis (values as JSON); errors are logged and treated as "nothing there"."""

    def __init__(self, url: str, prefix: str = "rag:") -> None:
        import redis
        from redis.exceptions import RedisError

        self._redis = redis.Redis.from_url(url, **REDIS_TIMEOUTS)
        self._errors: tuple[type[Exception], ...] = (RedisError,)
        self._prefix = prefix

    def _safe(self, what: str, fallback: Any, work: Any) -> Any:
        try:
            return work()
        except self._errors as exc:
            log.warning("shared state unavailable (RAG_REDIS_URL) for %s: %s", what, exc)
            return fallback

    def get(self, key: str) -> Any | None:
        raw = self._safe("get", None, lambda: self._redis.get(self._prefix + key))
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._safe("set", None, lambda: self._redis.set(
            self._prefix + key, json.dumps(value), px=max(1, int(ttl * 1000))))

    def add(self, key: str, value: Any, ttl: float) -> bool:
        return bool(self._safe("add", True, lambda: self._redis.set(
            self._prefix + key, json.dumps(value), px=max(1, int(ttl * 1000)), nx=True)))

    def delete(self, key: str) -> None:
        self._safe("delete", None, lambda: self._redis.delete(self._prefix + key))

    def incr(self, key: str, amount: float, ttl: float) -> float:
        def work() -> float:
            pipe = self._redis.pipeline()
            pipe.incrbyfloat(self._prefix + key, amount)
            pipe.pexpire(self._prefix + key, max(1, int(ttl * 1000)))
            return float(pipe.execute()[0])

        return float(self._safe("incr", amount, work))

    def items(self, prefix: str) -> dict[str, Any]:
        def work() -> dict[str, Any]:
            found = {}
            for raw in self._redis.scan_iter(match=self._prefix + prefix + "*", count=200):
                key = raw.decode() if isinstance(raw, bytes) else str(raw)
                value = self._redis.get(key)
                if value is not None:
                    found[key.removeprefix(self._prefix)] = json.loads(value)
            return found

        return self._safe("items", {}, work)

    def close(self) -> None:
        self._redis.close()


_opened: dict[tuple[str, str | None], SharedState] = {}
_lock = threading.Lock()


def shared_state(data_dir: Path, redis_url: str | None = None) -> SharedState:
    """The process's one handle on the state of `data_dir` (or of Redis at `redis_url`).

    Kept open for the life of the process: every generator, view and service of one data dir
    shares it, and it holds no lock between calls.
    """
    key = (str(Path(data_dir).resolve()), redis_url)
    with _lock:
        state = _opened.get(key)
        if state is None:
            state = RedisState(redis_url) if redis_url else DiskState(
                Path(data_dir) / "state")
            _opened[key] = state
        return state


def state_for(settings: Any) -> SharedState:
    return shared_state(settings.data_dir, settings.redis_url)
