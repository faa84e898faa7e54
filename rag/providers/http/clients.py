"""httpx clients of one kept-alive connection each, lent out one call at a time.

httpx's own pool, before each request and after each response, asks every idle connection
whether the server has hung up (a poll each) while holding the pool's lock. With tens of
answers streaming at once on a busy engine, every poll waits its turn for the interpreter
and every call queues behind that lock: kept alive in one shared pool, connections cost more
than new ones (docs/performance.md). A client of one connection asks one.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx


class ClientPool:
    """Up to `size` clients made by `make`, each lent to one call at a time.

    Usage:
        pool = ClientPool(lambda: httpx.Client(limits=httpx.Limits(max_connections=1)), 100)
        with pool.lease() as client:
            client.post(...)
    """

    def __init__(self, make: Callable[[], httpx.Client], size: int) -> None:
        self._make = make
        self._slots = threading.BoundedSemaphore(size)
        self._idle: queue.SimpleQueue[httpx.Client] = queue.SimpleQueue()
        self._made: list[httpx.Client] = []
        self._lock = threading.Lock()
        self.sample = self._new()  # timeouts, headers and auth, as every client has them
        self._idle.put(self.sample)

    def _new(self) -> httpx.Client:
        client = self._make()
        with self._lock:
            self._made.append(client)
        return client

    @contextmanager
    def lease(self) -> Iterator[httpx.Client]:
        """A client for one call (its retries included); waits for one while `size` are out,
        up to the clients' pool timeout."""
        if not self._slots.acquire(timeout=self.sample.timeout.pool):
            raise httpx.PoolTimeout("every connection to the provider is busy")
        try:
            client = self._idle.get_nowait()
        except queue.Empty:
            client = self._new()
        try:
            yield client
        finally:
            self._idle.put(client)
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            made = list(self._made)
        for client in made:
            client.close()
