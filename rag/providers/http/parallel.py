"""Several requests in flight at once, results in input order (remote embeddings)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def run_concurrently(fn: Callable[[T], R], items: Sequence[T], max_workers: int) -> list[R]:
    """Apply `fn` to every item with at most `max_workers` in flight; results in input order.

    The first failure cancels the work not yet started and is raised. Each call runs in a
    copy of the caller's context, so its log record keeps the caller's request and user.
    """
    if max_workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    results: list[Any] = [None] * len(items)
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rag-ai") as pool:
        futures = {pool.submit(contextvars.copy_context().run, fn, item): index
                   for index, item in enumerate(items)}
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in done:
            exc = future.exception()
            if exc is not None:
                raise exc
            results[futures[future]] = future.result()
    return results
