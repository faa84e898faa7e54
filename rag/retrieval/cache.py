"""On-disk caches with a TTL: query embeddings, and whole answers.

Answer keys include the collection's version, which every ingest or delete bumps, so a change
to the library invalidates that collection's answers without scanning the cache, and a digest
of the engine's source, so an upgraded answerer or prompt never replays the old one's answers.
diskcache keeps the entries in SQLite under RAG_CACHE_DIR, safe for several processes on one
machine.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np


def normalise_question(text: str) -> str:
    """Spacing does not change the question; case may ("c()" and "C()" in R, "US" and
    "us"), so it is kept."""
    return re.sub(r"\s+", " ", text).strip()


ENGINE_PACKAGE = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=4)
def source_digest(package: Path = ENGINE_PACKAGE) -> str:
    """A digest of a package's Python source (names and contents): it changes with any
    release or edit, and is read once per process."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def make_key(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Cache:
    """Query vectors and answers; `enabled=False` makes every lookup a miss."""

    def __init__(self, directory: Path, ttl_seconds: int, enabled: bool = True) -> None:
        self.ttl = ttl_seconds
        self.enabled = enabled and ttl_seconds > 0
        self._store = None
        if self.enabled:
            import diskcache

            directory.mkdir(parents=True, exist_ok=True)
            self._store = diskcache.Cache(str(directory), size_limit=512 * 2**20)

    def get(self, key: str) -> Any | None:
        return self._store.get(key) if self._store is not None else None

    def set(self, key: str, value: Any) -> None:
        if self._store is not None:
            self._store.set(key, value, expire=self.ttl)

    def query_vector(self, embedder_name: str, text: str) -> np.ndarray | None:
        return self.get(make_key("qvec", embedder_name, text))

    def set_query_vector(self, embedder_name: str, text: str, vector: np.ndarray) -> None:
        """Keep a query's vector; one holding NaN or infinity, which no search finds, is
        not kept, so that it is not replayed to the same question for the TTL."""
        if np.isfinite(vector).all():
            self.set(make_key("qvec", embedder_name, text), vector)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
