"""Passages an embedded store has read, kept in memory for the next question.

A hybrid search reads the payloads of its best twenty-odd candidates and decodes their
sentence vectors, the largest share of its work done in Python, and on a busy engine much of
its wait for the interpreter lock (docs/performance.md, "The engine under load"). Related
questions bring the same passages back, so an embedded store keeps the hits it made from
them. Only this process writes an embedded store, so it can tell when an entry may be out of
date: a write forgets the points it wrote (a write by filter, every point), and the rest stay
through an ingest into the same collection.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from rag.types import Hit

#: passages kept per collection: about 16 KB each (text, decoded sentence vectors, int8 word
#: vectors)
PASSAGES = 2048


class PassageCache:
    """An LRU of hits by point id, their scores left at 0, for one collection.

    Usage:
        generation = cache.generation          # before reading the store
        found = cache.get(ids)
        ... read and decode the others ...
        cache.put(made, generation)            # dropped if a write came in between
        cache.forget(written_ids)              # after every write (None: every point)
    """

    def __init__(self, size: int = PASSAGES) -> None:
        self.size = size
        self.generation = 0
        self._hits: OrderedDict[Any, Hit] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, ids: Iterable[Any]) -> dict[Any, Hit]:
        with self._lock:
            found = {pid: self._hits[pid] for pid in ids if pid in self._hits}
            for pid in found:
                self._hits.move_to_end(pid)
        return found

    def put(self, hits: Mapping[Any, Hit], generation: int) -> None:
        """Keep `hits`, read while the cache was at `generation`: a write since then may
        have changed them, and they are not kept."""
        with self._lock:
            if generation != self.generation:
                return
            self._hits.update(hits)
            while len(self._hits) > self.size:
                self._hits.popitem(last=False)

    def forget(self, ids: Iterable[Any] | None = None) -> None:
        """Points `ids` were written or deleted (None: any point may have been)."""
        with self._lock:
            self.generation += 1
            if ids is None:
                self._hits.clear()
                return
            for pid in ids:
                self._hits.pop(pid, None)

    def __len__(self) -> int:
        return len(self._hits)
