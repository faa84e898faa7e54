"""Stopping an ingest inside a file, not only between its batches.

A large PDF is parsed for seconds, and a scanned one OCR'd for minutes, before its first
batch is embedded: a cancelled upload, or an engine told to stop (`docker stop` allows ten
seconds), must not wait for that. The ingest's thread makes its cancel event the current one
(`cancellable`); the parsers call `check_cancelled` between pages, and a file being parsed
in the worker process is waited for in short steps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from rag.errors import IngestCancelled

T = TypeVar("T")

STOPPED = "The ingest was stopped; files not yet complete were discarded."
_WAIT_STEP = 0.2  # seconds between looks at the cancel event while a worker parses

_current: ContextVar[threading.Event | None] = ContextVar("ingest_cancel", default=None)


@contextmanager
def cancellable(cancel: threading.Event | None) -> Iterator[None]:
    """Within the block, `check_cancelled` in this thread raises once `cancel` is set."""
    token = _current.set(cancel)
    try:
        yield
    finally:
        _current.reset(token)


def check_cancelled() -> None:
    """Raise `IngestCancelled` if the current ingest was cancelled (nothing outside one)."""
    cancel = _current.get()
    if cancel is not None and cancel.is_set():
        raise IngestCancelled(STOPPED)


def result_unless_cancelled(future: Future[T]) -> T:
    """The future's result, or `IngestCancelled` as soon as the current ingest is cancelled."""
    while True:
        try:
            return future.result(timeout=_WAIT_STEP if _current.get() is not None else None)
        except FutureTimeout:
            check_cancelled()
