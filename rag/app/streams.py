"""A stream whose cleanup runs however early it is closed.

A generator closed before its first item runs none of its own code, `finally` included; an
answer stopped before its first word (the stop button, a closed tab) would then never be
counted, nor its inner stream closed. `Stream` runs the cleanup it is given in that case.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import TypeVar

T = TypeVar("T")


class Stream(Iterator[T]):
    """`items` passed through; `close` before the first item calls `if_unstarted` too."""

    def __init__(self, items: Generator[T, None, None], if_unstarted: Callable[[], None]) -> None:
        self._items = items
        self._if_unstarted: Callable[[], None] | None = if_unstarted

    def __iter__(self) -> Stream[T]:
        return self

    def __next__(self) -> T:
        self._if_unstarted = None
        return next(self._items)

    def close(self) -> None:
        cleanup, self._if_unstarted = self._if_unstarted, None
        self._items.close()
        if cleanup is not None:
            cleanup()
