"""Who may call the engine, and how often: API keys, the loopback rule and per-user limits.

Every caller is a `Caller`, a user name for rate limits, history and cost, like a signed-in
user of the chat. An API key names its user; keys come from RAG_API_KEYS and from a keys file
whose lines hold a key in plain or, as `rag keys add` writes them, only its SHA-256. Keys are
compared by hash and never logged. A key is printable ASCII (what an HTTP header carries) and
names one user. With no keys configured the API answers loopback callers only. The engine's
own start token (in server.json) lets the `rag` command on this machine in, as user `local`.

Rate limits use the `limits` library: a moving window per user, in this process by default or
in Redis (RAG_REDIS_URL), so that several engine replicas share one limit.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import os
import re
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from rag.app.context import request_scope
from rag.errors import ConfigError
from rag.providers.state import REDIS_TIMEOUTS, Outage
from rag.settings import Settings, why_not_made
from rag.types import ANONYMOUS_USER, LOCAL_USER

log = logging.getLogger(__name__)

HASH_PREFIX = "sha256:"
HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class Caller:
    """Who is asking: a key's user, the local `rag` command, or an anonymous loopback client."""

    user: str
    trusted: bool = False  # the `rag` command on this machine: it may name a file's source


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return "rag_" + secrets.token_urlsafe(32)


class ApiKeys:
    """The configured keys, held only as hashes."""

    def __init__(self, hashes: dict[str, str]) -> None:
        self._users_by_hash = hashes  # hash -> user

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiKeys:
        owners = read_env_keys(settings.api_keys.get_secret_value()) if settings.api_keys else []
        path = settings.resolved_api_keys_file
        if settings.api_keys_file is not None or path.is_file():
            owners += read_keys_file(path)
        return cls(users_by_hash(owners))

    @property
    def configured(self) -> bool:
        return bool(self._users_by_hash)

    def user_of(self, key: str) -> str | None:
        # looked up by the presented key's hash: the timing reveals nothing about a real key
        return self._users_by_hash.get(key_hash(key))


def read_env_keys(value: str) -> list[tuple[str, str]]:
    """RAG_API_KEYS's "alice:KEY,bob:KEY" as (hash, user) pairs."""
    owners = []
    for entry in filter(None, (e.strip() for e in value.split(","))):
        user, sep, key = (part.strip() for part in entry.partition(":"))
        if not sep or not user or not key:
            raise ConfigError("RAG_API_KEYS holds user:key pairs separated by commas, "
                              "e.g. alice:KEY,bob:KEY.")
        check_sendable(key, f"RAG_API_KEYS: the key of {user}")
        check_user_name(user, "RAG_API_KEYS: ")
        owners.append((key_hash(key), user))
    return owners


def read_keys_file(path: Path) -> list[tuple[str, str]]:
    """The keys file's "user key" and "user sha256:HEX" lines as (hash, user) pairs."""
    try:
        # "-sig": Windows Notepad starts UTF-8 with a byte-order mark, not part of a name
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise ConfigError(f"Cannot read the API keys file {path} ({exc.strerror or exc}); "
                          "fix RAG_API_KEYS_FILE.") from exc
    owners = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ConfigError(f"{path}, line {number}: expected 'user key' or "
                              "'user sha256:HEX'.")
        user, key = parts
        check_user_name(user, f"{path}, line {number}: ")
        owners.append((_line_hash(key, f"{path}, line {number}"), user))
    return owners


def _line_hash(key: str, where: str) -> str:
    """A keys-file line's key as its hash: written as one (in either case), or hashed here."""
    if not key.startswith(HASH_PREFIX):
        check_sendable(key, f"{where}: the key")
        return key_hash(key)
    digest = key.removeprefix(HASH_PREFIX)
    if not HEX_DIGEST.fullmatch(digest):
        raise ConfigError(f"{where}: a hashed key is sha256: followed by 64 hex digits.")
    return digest.lower()  # key_hash's own case, so that it matches


def check_sendable(key: str, whose: str) -> None:
    """Refuse a key no client can send: an HTTP header carries printable ASCII, and a server
    reads any other byte as Latin-1, so that the key's UTF-8 hash would never match."""
    if not all(" " <= c <= "~" for c in key):
        raise ConfigError(f"{whose} has characters other than printable ASCII, which an "
                          "Authorization header cannot carry; use letters, digits and "
                          "punctuation (`rag keys add USER` makes such a key).")


def users_by_hash(owners: list[tuple[str, str]]) -> dict[str, str]:
    """hash -> user; one key given to two users is refused, since it could name only one."""
    users: dict[str, str] = {}
    for hashed, user in owners:
        other = users.setdefault(hashed, user)
        if other != user:
            raise ConfigError(f"Users {other} and {user} have the same API key (RAG_API_KEYS "
                              "or the keys file): give each user a key of their own.")
    return users


def check_user_name(user: str, where: str = "") -> None:
    """Refuse a name the keys file would not read back as the same user; `where` names the
    setting or line it was read from."""
    if not user or not user.isprintable() or any(c.isspace() for c in user):
        raise ConfigError(f"{where}A user name is one word, e.g. alice or ci-bot.")
    if user.startswith("#"):
        raise ConfigError(f"{where}A user name cannot start with '#': the keys file reads such "
                          "a line as a comment.")
    check_not_reserved(user, where)


#: the users a key may not be named after, and who they are
RESERVED_USERS = {LOCAL_USER: "the `rag` command on this machine",
                  ANONYMOUS_USER: "the chat's visitors who have not signed in"}


def check_not_reserved(user: str, where: str = "") -> None:
    """Refuse a key named after a built-in user, whose ingests, budget and cost it would
    share; `where` names the setting or line it was read from."""
    if user in RESERVED_USERS:
        raise ConfigError(f"{where}The user name '{user}' is taken: it names "
                          f"{RESERVED_USERS[user]}, whose ingests, budget and cost a key of "
                          "that name would share. Choose another name.")


def add_key(path: Path, user: str) -> str:
    """A new key for `user`, appended to the keys file as its hash only; the key is returned
    to be shown once."""
    check_user_name(user)
    if "," in user:  # RAG_EDITORS and RAG_BUDGET_EXEMPT_USERS list users between commas
        raise ConfigError("A user name cannot hold ',': RAG_EDITORS could never name it.")
    key = new_key()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # the file cannot exist yet: what is in the way is above it
        raise unwritable_keys_file(path, why_not_made(path, exc)) from exc
    try:
        with open(path, "a", encoding="utf-8", opener=lambda p, f: _private(p, f)) as out:
            out.write(f"{user} {HASH_PREFIX}{key_hash(key)}\n")
    except OSError as exc:
        raise unwritable_keys_file(path, exc.strerror or str(exc)) from exc
    return key


def unwritable_keys_file(path: Path, why: str) -> ConfigError:
    return ConfigError(f"Cannot write the API keys file {path} ({why}); fix RAG_API_KEYS_FILE.")


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    # a dual-stack server sees IPv4 clients as ::ffff:127.0.0.1
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def browser_refusal(host: str | None, origin: str | None) -> str | None:
    """Why a request let in only for coming from this machine (no API keys) is refused, or
    None. A web page the user opens elsewhere can make the browser send a form to the API
    (no preflight for a multipart upload), or, through DNS rebinding, name the API by its own
    domain: its requests then come from this machine too. So the request must be addressed
    to this machine by name (`Host`), and a browser's must come from the engine's own pages
    (`Origin`); `rag`, curl and the SDKs send no Origin."""
    name = _host_name(host)
    if name is None or not (is_loopback(name) or name == socket.gethostname().lower()):
        return (f"The request is addressed to {host or 'no host'}: with no API keys the API "
                "answers requests to this machine by localhost, 127.0.0.1 or ::1 only. Set "
                "RAG_API_KEYS (or `rag keys add USER`) to serve other names.")
    if origin is not None and not same_origin(origin, host):
        return (f"A web page at {origin} may not use this engine's API: with no API keys only "
                "its own pages, the `rag` command and programs on this machine may.")
    return None


def _host_name(host: str | None) -> str | None:
    """The name in a Host header ("[::1]:8501" -> "::1"), lower case."""
    if not host:
        return None
    return (urlsplit(f"http://{host}").hostname or "").lower() or None


def same_origin(origin: str, host: str | None) -> bool:
    """Whether a browser's `Origin` names the host and port its request was sent to (`Host`).
    A Host without a port has the default of the Origin's scheme: behind a TLS proxy the
    page is https://chat.example and the request's Host chat.example."""
    try:
        page = urlsplit(origin)
        default = {"http": 80, "https": 443}.get(page.scheme)
        sent_to = urlsplit(f"//{host}")
        return (origin != "null" and page.hostname is not None and bool(host)
                and (page.hostname, page.port or default)
                == (sent_to.hostname, sent_to.port or default))
    except ValueError:
        return False


class RateLimits:
    """At most `per_minute` questions per user in any 60 seconds; 0 turns the limit off.

    Usage:
        wait = limits.admit("alice")   # 0: go ahead (counted); else seconds to wait
    """

    def __init__(self, per_minute: int, redis_url: str | None = None) -> None:
        self.per_minute = per_minute
        self._item = RateLimitItemPerMinute(max(per_minute, 1))
        options = REDIS_TIMEOUTS if redis_url else {}
        self._limiter = MovingWindowRateLimiter(
            storage_from_string(limits_storage(redis_url), **options))
        self.outage = Outage("rate limits")

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        return cls(settings.rate_limit_per_minute, settings.redis_url)

    def admit(self, user: str) -> float:
        if self.per_minute <= 0:
            return 0.0

        def wait() -> float:
            if self._limiter.hit(self._item, "questions", user):
                return 0.0
            reset = self._limiter.get_window_stats(self._item, "questions", user).reset_time
            return max(reset - time.time(), 0.001)

        # an outage of the shared store must not stop every question: admit, and say so,
        # in the question's request with its user (its log record's fields)
        with request_scope(user):
            return self.outage.guarded(f"{user}'s question, admitted", wait, 0.0)


def limits_storage(redis_url: str | None) -> str:
    """The `limits` storage URI for RAG_REDIS_URL (as redis-py reads it): `limits` names a
    Unix socket redis+unix://."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+" + redis_url
    return redis_url


def retry_after(seconds: float) -> str:
    """The Retry-After header's whole seconds, never 0."""
    return str(max(1, math.ceil(seconds)))
