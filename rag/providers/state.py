"""Small state shared by every process on the data dir, or by every replica through Redis.

Circuit breakers and per-user budgets live here. By default the state is a diskcache store in
`<data dir>/state` (SQLite, safe for several processes on one machine: separate `rag ask`
processes and the engine agree); with RAG_REDIS_URL set it is in Redis, so that engine
replicas on several machines agree too. Values are small JSON-able objects with a lifetime.

An outage of the shared store must not stop answers: a Redis error is logged and the call
answers as if nothing were stored (`get` None, `add` True, `incr` the amount). For a few
seconds after a call finds Redis unreachable it is not asked at all, so that a Redis that
stopped answering costs one timeout every few seconds instead of one for every read of every
question (`Outage`, which the rate limits use too). A value that is not this app's JSON
(another program's, under the same prefix) reads as absent.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from rag.errors import ConfigError
from rag.settings import make_folder

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
    def raise_to(self, key: str, floor: float, ttl: float) -> float:
        """Make a number at least `floor` (a count another record proves), atomically, and
        return it: what a count read lower than it should be (a Redis restarted without its
        data) is restored with, never added twice when several processes restore it."""

    @abstractmethod
    def items(self, prefix: str) -> dict[str, Any]:
        """Every live key starting with `prefix`, and its value."""

    def close(self) -> None:
        return None


class DiskState(SharedState):
    """A diskcache store in one folder (its own, apart from the answer cache)."""

    def __init__(self, directory: Path) -> None:
        import diskcache

        make_folder(directory, "run as the owner of the data folder, or give RAG_DATA_DIR a "
                    "folder you can write to")
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
            total = _number(self._store.get(key, 0.0))
            if _refused(key, amount):
                return total
            total += amount
            self._store.set(key, total, expire=ttl)
        return total

    def raise_to(self, key: str, floor: float, ttl: float) -> float:
        with self._store.transact():
            total = _number(self._store.get(key, 0.0))
            if _refused(key, floor) or total >= floor:
                return total
            self._store.set(key, floor, expire=ttl)
        return floor

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


def _number(value: Any) -> float:
    """A stored count; anything else (NULL, which SQLite makes of NaN, or another program's
    value) counts as 0 rather than stopping every later count of the key."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _refused(key: str, amount: float) -> bool:
    """A non-finite amount is never added: it would leave the total unusable until it
    expires."""
    if math.isfinite(amount):
        return False
    log.warning("ignored an increment of %s by %r: not a finite number", key, amount)
    return True


# a Redis that stops answering costs a call this long, never a hang: every question waits on it
REDIS_TIMEOUTS = {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}

#: after an error, how long Redis is left alone before it is asked again
OUTAGE_SECONDS = 5.0

T = TypeVar("T")

# a max-update in one step: of replicas restoring one count together, none adds to another's;
# a value that is not a number (another program's) is left alone
_RAISE_TO = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current == nil then return false end
if current >= tonumber(ARGV[1]) then return tostring(current) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
"""


@cache
def _redis_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """Redis not reached (an outage), and Redis refusing one call (about one key)."""
    from redis.exceptions import ConnectionError, RedisError, TimeoutError

    return (ConnectionError, TimeoutError), (RedisError,)


class Outage:
    """Remembers that a shared store stopped answering, so that callers skip it for `seconds`
    rather than each waiting out its timeout. When the time is up, one caller tries it again
    while the others go on skipping until that try reports (`began` or `ended`), or for
    `seconds` more if it never does.

    Usage:
        value = outage.guarded("get", lambda: redis.get(key), None)
    """

    def __init__(self, what: str, seconds: float = OUTAGE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.seconds = seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._out = False  # an outage is on
        self._until = 0.0  # skipped until then

    def skipping(self) -> bool:
        with self._lock:
            if not self._out:
                return False
            now = self.clock()
            if now < self._until:
                return True
            self._until = now + self.seconds  # this caller tries; the others wait for it
            return False

    def began(self, call: str, exc: BaseException) -> None:
        with self._lock:
            if not self._out:  # one warning an outage, not one a caller or a try
                log.warning("%s unavailable (RAG_REDIS_URL) for %s: %s; asked again every "
                            "%.0f s", self.what, call, exc, self.seconds)
            self._out, self._until = True, self.clock() + self.seconds

    def ended(self) -> None:
        with self._lock:
            if self._out:
                log.warning("%s available again (RAG_REDIS_URL)", self.what)
                self._out, self._until = False, 0.0

    def guarded(self, call: str, work: Callable[[], T], fallback: T) -> T:
        """`work()`; `fallback` while the store is out, when it turns out unreachable (an
        outage begins), or when it refuses this call (about one key: logged, no outage)."""
        if self.skipping():
            return fallback
        unreachable, refused = _redis_errors()
        try:
            done = work()
        except unreachable as exc:
            self.began(call, exc)
            return fallback
        except refused as exc:  # another program's type of value, no right to a key
            log.warning("%s (RAG_REDIS_URL): Redis refused %s: %s", self.what, call, exc)
            self.ended()  # it answered
            return fallback
        self.ended()
        return done


class RedisState(SharedState):
    """The same, in Redis (values as JSON); errors are logged and treated as "nothing there"."""

    def __init__(self, url: str, prefix: str = "rag:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, **REDIS_TIMEOUTS)
        self.url = url
        self._prefix = prefix
        # why the first call found no Redis (an outage at start), for the door to say
        self.unreachable_at_start: str | None = None
        self.outage = Outage("shared state")
        self._raise_to = self._redis.register_script(_RAISE_TO)

    def _safe(self, what: str, fallback: Any, work: Callable[[], Any]) -> Any:
        return self.outage.guarded(what, work, fallback)

    def _decode(self, key: str, raw: Any) -> Any | None:
        try:
            return json.loads(raw)
        except ValueError:
            log.warning("ignored %s%s in Redis: its value is not this app's", self._prefix, key)
            return None

    def get(self, key: str) -> Any | None:
        raw = self._safe("get", None, lambda: self._redis.get(self._prefix + key))
        return None if raw is None else self._decode(key, raw)

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._safe("set", None, lambda: self._redis.set(
            self._prefix + key, json.dumps(value), px=max(1, int(ttl * 1000))))

    def add(self, key: str, value: Any, ttl: float) -> bool:
        return bool(self._safe("add", True, lambda: self._redis.set(
            self._prefix + key, json.dumps(value), px=max(1, int(ttl * 1000)), nx=True)))

    def delete(self, key: str) -> None:
        self._safe("delete", None, lambda: self._redis.delete(self._prefix + key))

    def incr(self, key: str, amount: float, ttl: float) -> float:
        if _refused(key, amount):
            return _number(self.get(key))

        def work() -> float:
            pipe = self._redis.pipeline()
            pipe.incrbyfloat(self._prefix + key, amount)
            pipe.pexpire(self._prefix + key, max(1, int(ttl * 1000)))
            return float(pipe.execute()[0])

        return float(self._safe("incr", amount, work))

    def raise_to(self, key: str, floor: float, ttl: float) -> float:
        if _refused(key, floor):
            return _number(self.get(key))
        raised = self._safe("raise_to", None, lambda: self._raise_to(
            keys=[self._prefix + key], args=[repr(float(floor)), max(1, int(ttl * 1000))]))
        return floor if raised is None else _number(raised)

    def items(self, prefix: str) -> dict[str, Any]:
        from redis.exceptions import ResponseError

        def work() -> dict[str, Any]:
            found = {}
            for raw in self._redis.scan_iter(match=self._prefix + prefix + "*", count=200):
                key = (raw.decode() if isinstance(raw, bytes) else str(raw)).removeprefix(
                    self._prefix)
                try:
                    value = self._redis.get(self._prefix + key)
                except ResponseError as exc:  # another program's value of another type
                    log.warning("ignored %s%s in Redis: %s", self._prefix, key, exc)
                    continue
                if value is not None and (decoded := self._decode(key, value)) is not None:
                    found[key] = decoded
            return found

        return self._safe("items", {}, work)

    def check(self) -> None:
        """Refuse a Redis that answers but will not serve us (a wrong password, a database
        it does not have): unlike an outage, that lasts, and would leave the limits and
        budgets off for good. A Redis that does not answer is let be, as an outage. The
        check reads one of the app's keys, so a user whose rights are only those (an ACL,
        without PING) is served, and one without them is refused."""
        from redis.exceptions import (
            AuthenticationError,
            NoPermissionError,
            RedisError,
            ResponseError,
        )

        try:
            self._redis.exists(self._prefix + "check")  # a read the app's keys allow
        except NoPermissionError as exc:
            raise ConfigError(f"Invalid setting: RAG_REDIS_URL: Redis refused it ({exc}). "
                              f"Let its user read and write the app's keys "
                              f"({self._prefix}*, LIMITS:*); see docs/security.md.") from exc
        except (AuthenticationError, ResponseError) as exc:
            raise ConfigError(f"Invalid setting: RAG_REDIS_URL: Redis refused it ({exc}). "
                              "Fix the URL's password or database number.") from exc
        except RedisError as exc:
            self._refuse_a_failed_tls(exc)
            self.outage.began("its first call", exc)
            self.unreachable_at_start = str(exc)

    def _refuse_a_failed_tls(self, exc: Exception) -> None:
        """A rediss:// URL whose handshake fails on a server that answers does so for good
        (a plain Redis, a certificate not trusted): refused as a setting, not an outage."""
        import ssl

        if not self.url.startswith("rediss://"):
            return
        kwargs = self._redis.connection_pool.connection_kwargs
        failure = exc.__cause__ or exc.__context__
        if isinstance(failure, ssl.SSLError) and not isinstance(failure, TimeoutError):
            raise ConfigError(f"Invalid setting: RAG_REDIS_URL: Redis refused it (the TLS "
                              f"handshake failed: {failure}). Check the server's TLS "
                              "certificate, or use redis:// for a server without TLS.") from exc
        if _speaks_plain_redis(str(kwargs.get("host")), int(kwargs.get("port") or 6379)):
            raise ConfigError("Invalid setting: RAG_REDIS_URL: Redis refused it (the TLS "
                              f"handshake failed: {exc}). The server does not speak TLS: use "
                              "redis:// rather than rediss://, or turn TLS on in Redis.") from exc

    def close(self) -> None:
        self._redis.close()


def _speaks_plain_redis(host: str, port: int) -> bool:
    """Whether the server at host:port answers a plain-text PING as Redis does (a reply or an
    error, either way one RESP line), within the usual timeout."""
    try:
        timeout = REDIS_TIMEOUTS["socket_connect_timeout"]
        with socket.create_connection((host, port), timeout) as sock:
            sock.settimeout(REDIS_TIMEOUTS["socket_timeout"])
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError:
        return False
    return reply[:1] in (b"+", b"-") and reply.endswith(b"\r\n")


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
            if redis_url:
                state = RedisState(redis_url)
                try:
                    state.check()
                except ConfigError:
                    state.close()
                    raise
            else:
                state = DiskState(Path(data_dir) / "state")
            _opened[key] = state
        return state


def state_for(settings: Any) -> SharedState:
    return shared_state(settings.data_dir, settings.redis_url)
