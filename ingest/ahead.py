"""Run a function on a stream of items in worker threads, a bounded number ahead, in order.

The ingest pipeline embeds chunk batches here while its own thread chunks the next document
and writes finished batches: with a remote embedder, eight requests wait on the network at
once; with the local one, two batches queue on the model's sessions.
`Executor.map` would not do: it takes the whole input at once, and the input is produced
(parsed, chunked) as it goes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from rag.app.context import submit

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Done(Generic[T, R]):
    """One item and what became of it: `result`, or the `error` `fn` raised."""

    item: T
    result: R | None = None
    error: Exception | None = None


def run_ahead(fn: Callable[[T], R], items: Iterable[T], workers: int,
              needs_work: Callable[[T], bool] = lambda item: True) -> Iterator[Done[T, R]]:
    """Yield `fn(item)` for each item in input order, with up to `workers` calls running and
    one more item drawn ahead. Items for which `needs_work` is false pass straight through.

    The input is drawn only as the window empties, so memory stays bounded. An exception from
    `fn` is handed back with its item; closing the iterator cancels the calls not yet started.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="rag-ingest")
    window = max(1, workers) + 1
    pending: deque[tuple[T, Future[R] | None]] = deque()
    source = iter(items)
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < window:
                item = next(source, _END)
                if item is _END:
                    exhausted = True
                else:
                    # in the caller's context: the calls are charged to its request's user
                    work = submit(pool, fn, item) if needs_work(item) else None
                    pending.append((item, work))
            if not pending:
                return
            item, future = pending.popleft()
            if future is None:
                yield Done(item)
                continue
            error = future.exception()
            if error is not None and not isinstance(error, Exception):
                raise error
            yield Done(item, None if error else future.result(), error)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


_END: object = object()
