"""The embedded store on qdrant-edge: Qdrant's own Rust engine, in this process.

qdrant-client's local mode is plain Python, slow to search and slower as the library grows
(docs/performance.md); qdrant-edge searches 100,000 chunks in milliseconds with the same
vectors, IDF modifier, filters and payload indexes, so only the primitives of `ChunkStore` are
mapped here.

An edge shard is one collection with no name and no metadata, so `EdgeClient` keeps a folder of
them: `<path>/edge/<collection>/shard/` and, beside it, `collection.json` holding what a
qdrant-client collection keeps as metadata (embedder, dimension, version). The folder is locked
for one process at a time, as qdrant-client's embedded store is, which `ChunkStore` relies on.
Optimizers never run (building HNSW for 100,000 points takes minutes on two cores): searches are
exact, which stays far within the latency target at that size.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TypeVar

import numpy as np
import portalocker
import qdrant_edge as qe

from rag.errors import (
    CollectionMissing,
    ConfigError,
    deleted_while_used,
    no_room,
    writing_to,
)
from rag.stores.base import (
    DATA_DIR_ADVICE,
    PAYLOAD_INDEXES,
    ChunkStore,
    Sparse,
    Where,
    build_filter,
    ensure_room,
    locked_error,
    not_permitted,
)
from rag.stores.fusion import DENSE, SPARSE, PointId, ScoredIds
from rag.stores.passages import PassageCache

_SCHEMA = {"keyword": qe.PayloadSchemaType.Keyword, "integer": qe.PayloadSchemaType.Integer}
_NAME = re.compile(r"[^./\\\x00][^/\\\x00]*")  # a collection is a folder: no path tricks
_META = "collection.json"
# Searches run in the calling thread. With a search pool, each one is handed to a pool thread
# and waited for, the GIL held for part of the wait, and on a busy machine that thread's
# wake-up stalls the engine's other requests; an edge shard here is one segment, which a pool
# cannot split anyway (bench/edge_search_threads.py).
_SEARCH_THREADS = 1
# a shard written to has its log trimmed this often (EdgeClient.wrote)
FLUSH_SECONDS = 30.0
T = TypeVar("T")


class EdgeClient:
    """A folder of edge shards, one per collection, each opened once and shared by threads.

    A shard can be open only once, even within one process, so every store of this folder
    (the app's views of other collections) goes through one client.
    """

    def __init__(self, path: str | os.PathLike[str], advice: str = DATA_DIR_ADVICE) -> None:
        self.path = Path(path)
        self.root = self.path / "edge"
        with writing_to(self.path), not_permitted(self.path, advice):
            self.root.mkdir(parents=True, exist_ok=True)
        ensure_room(self.root)  # opening may write a new log segment of 32 MB
        self._lock = threading.RLock()
        self._shards: dict[str, qe.EdgeShard] = {}
        # Closing a shard while another thread queries it fails ("Already borrowed") and
        # leaves it open, its write-ahead log locked: drop and close wait for its users.
        self._users = threading.Condition()
        self._borrowed: Counter[int] = Counter()  # users of each open shard, by id
        # The folder is locked for this process, so its metadata files change only through
        # this client: kept in memory, every question's cache key reads no file.
        self._metadata: dict[str, dict] = {}
        self._passages: dict[str, PassageCache] = {}
        self._flushed: dict[str, float] = {}  # when each shard last wrote its segments out
        with writing_to(self.path), not_permitted(self.path, advice):
            self._lock_file: IO[str] | None = open(self.root / ".lock", "a")  # noqa: SIM115
        try:
            portalocker.lock(self._lock_file, portalocker.LOCK_EX | portalocker.LOCK_NB)
        except portalocker.LockException as exc:
            self._lock_file.close()
            self._lock_file = None
            raise locked_error(str(self.path)) from exc

    def _folder(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise ConfigError(f"'{name}' cannot name a collection of the embedded store.")
        return self.root / name

    def exists(self, name: str) -> bool:
        return (self._folder(name) / _META).is_file()

    def names(self) -> list[str]:
        return sorted(p.parent.name for p in self.root.glob(f"*/{_META}"))

    def create(self, name: str, config: qe.EdgeConfig, metadata: dict) -> None:
        """Create a shard and its indexes; the metadata file, written last, makes it exist."""
        folder = self._folder(name)
        with self._lock:
            shutil.rmtree(folder / "shard", ignore_errors=True)  # an interrupted create
            with writing_to(self.path):
                shard = qe.EdgeShard.create(str(folder / "shard"), config)
                for field, kind in PAYLOAD_INDEXES.items():
                    shard.update(qe.UpdateOperation.create_field_index(field, _SCHEMA[kind]))
            self._shards[name] = shard
            self._write_metadata(name, metadata)
            self.passages(name).forget()

    def shard(self, name: str) -> qe.EdgeShard:
        # every query passes here: an open shard is handed out without the lock, which many
        # answer threads would otherwise queue on
        shard = self._shards.get(name)
        if shard is not None:
            return shard
        with self._lock:
            shard = self._shards.get(name)
            if shard is None:
                if self._lock_file is None:
                    raise ConfigError("The embedded store has been closed.")
                config = shard_config(self.metadata(name)["dimension"])
                with writing_to(self.path):  # loading replays, and may start, its log
                    shard = self._shards[name] = qe.EdgeShard.load(
                        str(self._folder(name) / "shard"), config)
            return shard

    def on_shard(self, name: str, action: Callable[[qe.EdgeShard], T]) -> T:
        """`action` on collection `name`'s shard, which a drop closes only once no action
        uses it; CollectionMissing for a collection dropped before the action began."""
        shard = self.shard(name)
        with self._users:
            if self._shards.get(name) is not shard:  # dropped since it was handed out
                raise deleted_while_used(name)
            self._borrowed[id(shard)] += 1
        try:
            return action(shard)
        except Exception as exc:  # `writing_to`'s work, without a context manager a search
            if (full := no_room(exc, self.path)) is not None:  # the OS's error in the text
                raise full from exc
            raise
        finally:
            with self._users:
                self._borrowed[id(shard)] -= 1
                if not self._borrowed[id(shard)]:
                    del self._borrowed[id(shard)]
                    self._users.notify_all()

    def wrote(self, name: str) -> None:
        """After a write to collection `name`: its shard's segments written out and its log
        trimmed, at most every FLUSH_SECONDS. A shard's log otherwise keeps every write until
        the engine stops (tens of KB a chunk), on disk and in the engine's memory."""
        now = time.monotonic()
        with self._lock:
            if now - self._flushed.setdefault(name, now) < FLUSH_SECONDS:
                return
            self._flushed[name] = now
        try:
            with writing_to(self.path):
                self.on_shard(name, lambda shard: shard.flush())
        except CollectionMissing:  # dropped since the write: nothing left to write out
            pass

    def _close_when_unused(self, shard: qe.EdgeShard) -> None:
        with self._users:
            self._users.wait_for(lambda: id(shard) not in self._borrowed)
        shard.close()

    def passages(self, name: str) -> PassageCache:
        """The passages read from collection `name`, which every store of it shares."""
        cache = self._passages.get(name)
        if cache is None:
            with self._lock:
                cache = self._passages.setdefault(name, PassageCache())
        return cache

    def metadata(self, name: str) -> dict:
        known = self._metadata.get(name)
        if known is None:
            with self._lock:
                try:
                    known = json.loads((self._folder(name) / _META).read_text(encoding="utf-8"))
                except FileNotFoundError:
                    raise deleted_while_used(name) from None
                self._metadata[name] = known
        return dict(known)

    def update_metadata(self, name: str, update: dict) -> None:
        with self._lock:
            self._write_metadata(name, {**self.metadata(name), **update})

    def _write_metadata(self, name: str, metadata: dict) -> None:
        """Replace the file whole, so a crash leaves the old metadata or the new, never half."""
        path = self._folder(name) / _META
        tmp = path.with_name(f"{_META}.tmp")
        with writing_to(self.path):
            tmp.write_text(json.dumps(metadata), encoding="utf-8")
            os.replace(tmp, path)
        self._metadata[name] = dict(metadata)

    def drop(self, name: str) -> None:
        folder = self._folder(name)
        with self._lock:
            with self._users:  # from here on, no new user of the shard
                shard = self._shards.pop(name, None)
            self._metadata.pop(name, None)
            self.passages(name).forget()
            (folder / _META).unlink(missing_ok=True)  # first: a half-deleted folder is gone
            if shard is not None:
                self._close_when_unused(shard)
            shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            with self._users:
                shards = list(self._shards.values())
                self._shards.clear()
            for shard in shards:
                self._close_when_unused(shard)
            self._metadata.clear()
            if self._lock_file is not None:
                portalocker.unlock(self._lock_file)
                self._lock_file.close()
                self._lock_file = None


def shard_config(dimension: int) -> qe.EdgeConfig:
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=dimension, distance=qe.Distance.Cosine)},
        sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        max_search_threads=_SEARCH_THREADS)


def _filter(where: Where | None) -> qe.Filter | None:
    return build_filter(
        where, lambda key, value: qe.FieldCondition(key, match=qe.MatchValue(value)),
        lambda must, must_not, should: qe.Filter(must=must, must_not=must_not, should=should))


def _as_uuids(ids: Sequence[PointId]) -> list[uuid.UUID] | None:
    """Written ids as searches return them (UUIDs; None when one is not a UUID, which no
    id of this app is: then every passage is forgotten)."""
    try:
        return [pid if isinstance(pid, uuid.UUID) else uuid.UUID(str(pid)) for pid in ids]
    except ValueError:
        return None


def _nearest(dense: np.ndarray | None, sparse: Sparse | None) -> qe.Query:
    if dense is not None:
        return qe.Query.Nearest(dense.tolist(), using=DENSE)
    assert sparse is not None
    return qe.Query.Nearest(qe.SparseVector(sparse[0], sparse[1]), using=SPARSE)


class EdgeStore(ChunkStore):
    """One collection on qdrant-edge; the same interface and behaviour as `QdrantStore`."""

    client: EdgeClient
    embedded = True  # the folder is locked for this process

    def _on_shard(self, action: Callable[[qe.EdgeShard], T]) -> T:
        return self.client.on_shard(self.collection, action)

    def _exists(self) -> bool:
        return self.client.exists(self.collection)

    def _check_room(self) -> None:
        ensure_room(self.client.root)

    def _create(self, metadata: dict) -> None:
        self.client.create(self.collection, shard_config(self.dimension), metadata)

    def _metadata(self) -> dict:
        return self.client.metadata(self.collection)

    def _set_metadata(self, update: dict) -> None:
        self.client.update_metadata(self.collection, update)

    def _count(self, where: Where | None) -> int:
        request = qe.CountRequest(exact=True, filter=_filter(where))
        return self._on_shard(lambda shard: shard.count(request))

    def _payload(self, pid: str) -> dict | None:
        points = self._on_shard(
            lambda shard: shard.retrieve([pid], with_payload=True, with_vector=False))
        return (points[0].payload or {}) if points else None

    def _update(self, operation: qe.UpdateOperation, ids: Sequence[PointId] | None) -> None:
        """Every write, of points `ids` (None: of a filter's): the passages read of them are
        forgotten after it."""
        self._on_shard(lambda shard: shard.update(operation))
        self.passage_cache().forget(None if ids is None else _as_uuids(ids))
        self.client.wrote(self.collection)

    def passage_cache(self) -> PassageCache:
        return self.client.passages(self.collection)

    def _payloads(self, ids: list[PointId]) -> dict[PointId, dict]:
        if not ids:
            return {}
        points = self._on_shard(
            lambda shard: shard.retrieve(ids, with_payload=True, with_vector=False))
        return {p.id: p.payload or {} for p in points}

    def upsert_points(self, ids: Sequence[str], dense: np.ndarray, sparse: Sequence[Sparse],
                      payloads: Sequence[dict]) -> None:
        # float32 rows as array('f'): read from its buffer, twice as fast as a list of floats
        # (768 dimensions: 20 against 44 us a point), and the same values exactly
        rows = np.ascontiguousarray(dense, dtype=np.float32)
        points = [
            qe.Point(pid, {DENSE: array("f", row.tobytes()),
                           SPARSE: qe.SparseVector(indices, values)}, payload)
            for pid, row, (indices, values), payload in zip(ids, rows, sparse, payloads,
                                                             strict=True)
        ]
        self._update(qe.UpdateOperation.upsert_points(points), ids)

    def _set_payload(self, ids: list[PointId], payload: dict) -> None:
        self._update(qe.UpdateOperation.set_payload(ids, payload), ids)

    def _delete_ids(self, ids: list[PointId]) -> None:
        self._update(qe.UpdateOperation.delete_points(ids), ids)

    def _delete_where(self, where: Where) -> None:
        flt = _filter(where)
        assert flt is not None
        self._update(qe.UpdateOperation.delete_points_by_filter(flt), None)

    def _scroll_page(self, where: Where, fields: list[str] | None, limit: int,
                     offset: PointId | None) -> tuple[list[tuple[PointId, dict]], PointId | None]:
        request = qe.ScrollRequest(offset=offset, limit=limit, filter=_filter(where),
                                   with_payload=fields or False, with_vector=False)
        points, offset = self._on_shard(lambda shard: shard.scroll(request))
        return [(p.id, p.payload or {}) for p in points], offset

    def _query(self, dense: np.ndarray | None, sparse: Sparse | None, where: Where | None,
               limit: int, with_payload: bool) -> list[tuple[PointId, float, dict]]:
        request = qe.QueryRequest(limit=limit, query=_nearest(dense, sparse),
                                  filter=_filter(where), with_payload=with_payload)
        points = self._on_shard(lambda shard: shard.query(request))
        return [(p.id, p.score, p.payload or {}) for p in points]

    def _query_sides(self, dense: np.ndarray, sparse: Sparse, where: Where | None,
                     limit: int) -> tuple[ScoredIds, ScoredIds]:
        # one call: the shard plans both searches as one batch, one pass over its segment
        flt = _filter(where)
        batch = qe.QueryBatchRequest([
            qe.QueryRequest(limit=limit, query=_nearest(dense, None), filter=flt),
            qe.QueryRequest(limit=limit, query=_nearest(None, sparse), filter=flt)])
        dense_side, sparse_side = self._on_shard(lambda shard: shard.query_batch(batch))
        return ([(p.id, p.score) for p in dense_side], [(p.id, p.score) for p in sparse_side])

    def close(self) -> None:
        self.client.close()

    def collections(self) -> list[str]:
        return self.client.names()

    def drop(self) -> None:
        self.client.drop(self.collection)


def open_edge_client(path: str | os.PathLike[str], advice: str = DATA_DIR_ADVICE) -> EdgeClient:
    """The edge store in folder `path` (collections under `path/edge`, beside and never mixed
    with a qdrant-client store there); fails with ConfigError if another process has it, or
    with `advice` if this user may not write it."""
    return EdgeClient(path, advice)
