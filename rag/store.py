"""Qdrant storage: embedded (a folder) by default, a server by URL, one code path.

Writes are made safe by a `status` field on every point. A document's chunks are written as
`pending` (never searchable), then in one filter-based update the document's older versions
at the same source are retired and the new one made `live`, then the retired points are
deleted. Search only sees `live` points, so old and new chunks are never mixed, and a failed
write leaves only pending points, which `discard` removes.
"""

from __future__ import annotations

import logging
import threading
import uuid
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np
from qdrant_client import QdrantClient, models

from rag.errors import ConfigError, EmbedderMismatchError
from rag.types import Chunk, Hit

log = logging.getLogger(__name__)

DENSE = "dense"
SPARSE = "lexical"
LIVE, PENDING, RETIRED = "live", "pending", "retired"
SearchMode = Literal["dense", "sparse", "hybrid"]
_POINT_NAMESPACE = uuid.UUID("3f1c3b6e-8d2a-4c1e-9a57-2b9e4d0c7a11")


def point_id(doc_id: str, position: int) -> str:
    """Same document, same position, same id: writing a document twice writes nothing new."""
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{doc_id}:{position}"))


@dataclass(frozen=True)
class StoredDocument:
    doc_id: str
    source: str
    title: str
    chunks: int
    media_type: str


def open_client(url: str | None, api_key: str | None, path: str | None) -> QdrantClient:
    """A client for a server when `url` is set, else for the embedded store at `path`."""
    if url:
        return QdrantClient(url=url, api_key=api_key, timeout=60)
    try:
        return QdrantClient(path=path)
    except RuntimeError as exc:  # the embedded store is locked by another process
        raise ConfigError(
            f"The embedded Qdrant store at {path} is open in another process (the app, or "
            f"another `rag` command). Stop it, or run a Qdrant server and set RAG_QDRANT_URL."
        ) from exc


def _stored(payload: dict) -> StoredDocument:
    return StoredDocument(payload["doc_id"], payload["source"], payload.get("title", ""),
                          int(payload.get("chunks", 0)), payload.get("media_type", ""))


def _match(key: str, value: str) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


class QdrantStore:
    """One collection holding chunks with a dense and a sparse vector each."""

    def __init__(self, client: QdrantClient, collection: str, embedder_name: str,
                 dimension: int) -> None:
        self.client = client
        self.collection = collection
        self.embedder_name = embedder_name
        self.dimension = dimension
        # Embedded mode evaluates payload filters in Python, point by point (10x the cost of a
        # dense search), and only this process can have the store open; so while no document
        # is being written here, every point is live and search can skip the status filter.
        options = client.init_options
        self.embedded = not (options.get("url") or options.get("host"))
        self._writing: set[str] = set()
        self._writing_lock = threading.Lock()

    # --- collection ------------------------------------------------------------------------
    def ensure_collection(self) -> None:
        """Create the collection, or check that it was filled by the same embedder."""
        if not self.client.collection_exists(self.collection):
            self.client.create_collection(
                self.collection,
                vectors_config={
                    DENSE: models.VectorParams(size=self.dimension, distance=models.Distance.COSINE)
                },
                sparse_vectors_config={
                    SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)
                },
                metadata={"embedder": self.embedder_name, "dimension": self.dimension},
            )
            self._create_payload_indexes()
            return
        meta = self.client.get_collection(self.collection).config.metadata or {}
        name, dim = meta.get("embedder"), meta.get("dimension")
        if name == self.embedder_name and dim == self.dimension:
            if self.embedded:  # pending or retired points here are left by a crash: drop them
                self._delete(models.Filter(must_not=[_match("status", LIVE)]))
            return
        raise EmbedderMismatchError(
            f"Collection '{self.collection}' was filled by embedder {name} ({dim} dims), but "
            f"the configured embedder is {self.embedder_name} ({self.dimension} dims). Set "
            f"RAG_EMBEDDER back, or use another RAG_COLLECTION (or delete this one) to re-ingest."
        )

    def _create_payload_indexes(self) -> None:
        """Indexes for the filters we use; a server needs them, embedded mode ignores them."""
        schema = {"doc_id": models.PayloadSchemaType.KEYWORD,
                  "source": models.PayloadSchemaType.KEYWORD,
                  "status": models.PayloadSchemaType.KEYWORD,
                  "position": models.PayloadSchemaType.INTEGER}
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Payload indexes have no effect")
            for field, kind in schema.items():
                self.client.create_payload_index(self.collection, field, kind)

    def version(self) -> int:
        """Bumped by every ingest or delete: answer caches key on it."""
        meta = self.client.get_collection(self.collection).config.metadata or {}
        return int(meta.get("version", 0))

    def bump_version(self) -> None:
        self.client.update_collection(self.collection, metadata={"version": self.version() + 1})

    # --- writing ---------------------------------------------------------------------------
    def count(self, doc_id: str, status: str = LIVE) -> int:
        flt = models.Filter(must=[_match("doc_id", doc_id), _match("status", status)])
        return self.client.count(self.collection, count_filter=flt, exact=True).count

    def live_copy_of(self, doc_id: str) -> StoredDocument | None:
        """The live document with this content, if any: one lookup of its first chunk by id."""
        points = self.client.retrieve(self.collection, [point_id(doc_id, 0)],
                                      with_payload=True, with_vectors=False)
        if not points or (points[0].payload or {}).get("status") != LIVE:
            return None
        return _stored(points[0].payload or {})

    def upsert_pending(self, chunks: Sequence[Chunk], dense: np.ndarray,
                       sparse: Sequence[tuple[list[int], list[float]]], chunk_total: int,
                       media_type: str, extra: dict | None = None) -> None:
        """Write chunks as pending: stored, but invisible to search until `activate`."""
        if chunks:
            with self._writing_lock:
                self._writing.add(chunks[0].doc_id)
        points = [
            models.PointStruct(
                id=point_id(chunk.doc_id, chunk.position),
                vector={
                    DENSE: vector.tolist(),
                    SPARSE: models.SparseVector(indices=indices, values=values),
                },
                payload={
                    "doc_id": chunk.doc_id, "source": chunk.source, "title": chunk.title,
                    "page": chunk.page, "position": chunk.position, "start": chunk.start,
                    "end": chunk.end, "text": chunk.text, "token_count": chunk.token_count,
                    "chunks": chunk_total, "media_type": media_type, "status": PENDING,
                    **(extra or {}),  # issue 5: document fields for the app (pages, ingested_at)
                },
            )
            for chunk, vector, (indices, values) in zip(chunks, dense, sparse, strict=True)
        ]
        self.client.upsert(self.collection, points=points, wait=True)

    def activate(self, doc_id: str, source: str, chunks: int) -> None:
        """Make a fully written document live, replacing older versions at the same source.

        The new points are addressed by id and only the old ones are found by filter, so this
        costs one scan in embedded mode, however large the collection.
        """
        with self._written(doc_id):
            old = self._ids(models.Filter(must=[_match("source", source)],
                                          must_not=[_match("doc_id", doc_id)]))
            if old:
                self.client.set_payload(self.collection, payload={"status": RETIRED},
                                        points=old, wait=True)
            self.client.set_payload(self.collection, payload={"status": LIVE},
                                    points=[point_id(doc_id, i) for i in range(chunks)],
                                    wait=True)
            if old:
                self.client.delete(self.collection,
                                   points_selector=models.PointIdsList(points=old), wait=True)

    @contextmanager
    def _written(self, doc_id: str):
        """Mark a document as being written until the block ends, however it ends."""
        with self._writing_lock:
            self._writing.add(doc_id)
        try:
            yield
        finally:
            with self._writing_lock:
                self._writing.discard(doc_id)

    def _needs_status_filter(self) -> bool:
        with self._writing_lock:
            return not self.embedded or bool(self._writing)

    def _ids(self, flt: models.Filter) -> list[str | int]:
        ids: list[str | int] = []
        offset = None
        while True:
            points, offset = self.client.scroll(self.collection, scroll_filter=flt, limit=1024,
                                                offset=offset, with_payload=False,
                                                with_vectors=False)
            ids.extend(p.id for p in points)
            if offset is None:
                return ids

    def discard(self, doc_id: str) -> None:
        """Remove a document's pending points after a failed write."""
        with self._written(doc_id):
            self._delete(models.Filter(must=[_match("doc_id", doc_id),
                                             _match("status", PENDING)]))

    def delete(self, doc_id_or_source: str) -> list[StoredDocument]:
        """Delete every chunk of the documents with this id or source path; return them."""
        flt = models.Filter(should=[_match("doc_id", doc_id_or_source),
                                    _match("source", doc_id_or_source)])
        removed = list(self._first_chunks(flt))
        if removed:
            self._delete(flt)
        return removed

    def _delete(self, flt: models.Filter) -> None:
        self.client.delete(self.collection, points_selector=models.FilterSelector(filter=flt),
                           wait=True)

    # --- reading ---------------------------------------------------------------------------
    def documents(self) -> list[StoredDocument]:
        return sorted(self._first_chunks(None), key=lambda d: d.source)

    def _first_chunks(self, flt: models.Filter | None):
        must = [_match("status", LIVE),
                models.FieldCondition(key="position", match=models.MatchValue(value=0))]
        query = models.Filter(must=must + ([flt] if flt else []))
        offset = None
        while True:
            points, offset = self.client.scroll(
                self.collection, scroll_filter=query, limit=256, offset=offset,
                with_payload=["doc_id", "source", "title", "chunks", "media_type"],
                with_vectors=False,
            )
            for p in points:
                yield _stored(p.payload or {})
            if offset is None:
                return

    def search(self, dense: np.ndarray | None, sparse: tuple[list[int], list[float]] | None,
               top_k: int, mode: SearchMode = "hybrid", doc_id: str | None = None,
               source: str | None = None) -> list[Hit]:
        """Top chunks by dense, sparse, or both fused with reciprocal rank fusion."""
        must = [_match("status", LIVE)] if self._needs_status_filter() else []
        if doc_id:
            must.append(_match("doc_id", doc_id))
        if source:
            must.append(_match("source", source))
        flt = models.Filter(must=must) if must else None
        dense_query = dense.tolist() if dense is not None else None
        sparse_query = models.SparseVector(indices=sparse[0], values=sparse[1]) if sparse else None
        if mode == "dense" or (mode == "hybrid" and not (sparse and sparse[0])):
            result = self.client.query_points(self.collection, query=dense_query, using=DENSE,
                                              query_filter=flt, limit=top_k, with_payload=True)
        elif mode == "sparse":
            if not (sparse and sparse[0]):
                return []
            result = self.client.query_points(self.collection, query=sparse_query, using=SPARSE,
                                              query_filter=flt, limit=top_k, with_payload=True)
        else:
            depth = max(top_k * 4, 20)
            result = self.client.query_points(
                self.collection,
                prefetch=[
                    models.Prefetch(query=dense_query, using=DENSE, filter=flt, limit=depth),
                    models.Prefetch(query=sparse_query, using=SPARSE, filter=flt, limit=depth),
                ],
                query=models.FusionQuery(fusion=models.Fusion.RRF),
                limit=top_k, with_payload=True,
            )
        return [
            Hit(doc_id=p.payload["doc_id"], source=p.payload["source"], page=p.payload.get("page"),
                chunk_id=str(p.id), score=float(p.score), text=p.payload["text"],
                title=p.payload.get("title", ""), position=int(p.payload.get("position", 0)))
            for p in result.points
        ]

    def close(self) -> None:
        self.client.close()

    # --- app support (issue 5) ---
    def collections(self) -> list[str]:
        """Names of every collection on this Qdrant (embedded folder or server)."""
        return sorted(c.name for c in self.client.get_collections().collections)

    def drop(self) -> None:
        """Delete this store's collection and everything in it."""
        self.client.delete_collection(self.collection)

    def document_payloads(self) -> list[dict]:
        """The first chunk's payload of every live document (text left out), by source.

        Besides StoredDocument's fields it holds `pages` and `ingested_at` for documents
        ingested since those fields were added.
        """
        query = models.Filter(must=[
            _match("status", LIVE),
            models.FieldCondition(key="position", match=models.MatchValue(value=0)),
        ])
        fields = ["doc_id", "source", "title", "chunks", "media_type", "pages", "ingested_at"]
        out: list[dict] = []
        offset = None
        while True:
            points, offset = self.client.scroll(self.collection, scroll_filter=query, limit=256,
                                                offset=offset, with_payload=fields,
                                                with_vectors=False)
            out.extend(p.payload or {} for p in points)
            if offset is None:
                return sorted(out, key=lambda d: d.get("source", ""))
