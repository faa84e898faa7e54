"""Who a piece of work is for: the request id and user of the question or ingest running now.

`request_scope` sets them for the current context; every log record then carries them
(`logs`), and every AI call made inside is charged to the scope's `ledger` (neurons by kind
and by user, budgets). Work handed to another thread keeps its scope: `submit` for a pool,
`in_scope` for an answer's stream, which is read a piece at a time from whichever thread the
door uses.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from rag.app.streams import Stream

T = TypeVar("T")


class Ledger(Protocol):
    """Hears every AI call made inside a scope (its `calllog` record)."""

    def on_ai_call(self, call: dict[str, Any], scope: Scope) -> None: ...


@dataclass(frozen=True)
class Scope:
    request_id: str
    user: str | None = None
    ledger: Ledger | None = None


_current: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("rag_scope",
                                                                        default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex[:12]


def current() -> Scope | None:
    return _current.get()


def _outer_id() -> str:
    outer = _current.get()
    return outer.request_id if outer else new_request_id()


@contextmanager
def request_scope(user: str | None = None, ledger: Ledger | None = None,
                  request_id: str | None = None) -> Iterator[Scope]:
    """Run the block as one request for `user`, with the id given, else that of the request
    under way (an HTTP request's), else a new one."""
    scope = Scope(request_id or _outer_id(), user, ledger)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def enter_scope(user: str | None = None, ledger: Ledger | None = None) -> Scope:
    """Make the current context a request's for `user`, for good: for a context copied for
    the request alone (`contextvars.copy_context()`), run with `context.run(enter_scope, ...)`.
    Its id is the one of the request under way (an HTTP request's), else a new one."""
    scope = Scope(_outer_id(), user, ledger)
    _current.set(scope)
    return scope


def in_scope(context: contextvars.Context, items: Iterator[T]) -> Iterator[T]:
    """`items`, each step run in `context` whatever thread reads it (a generator's frame
    otherwise sees the reading thread's context); closed, `items` is closed there too."""
    return Stream(_in_scope(context, items), lambda: _close_in(context, items))


def _in_scope(context: contextvars.Context, items: Iterator[T]) -> Generator[T, None, None]:
    end = object()
    try:
        while True:
            item = context.run(next, items, end)
            if item is end:
                return
            yield item  # type: ignore[misc]
    finally:
        _close_in(context, items)


def _close_in(context: contextvars.Context, items: Iterator[T]) -> None:
    close = getattr(items, "close", None)
    if close is not None:
        context.run(close)


def submit(pool: Executor, fn: Callable[..., T], *args: Any) -> Future[T]:
    """`pool.submit`, the work running in a copy of the caller's context."""
    return pool.submit(contextvars.copy_context().run, fn, *args)
