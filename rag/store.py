"""Qdrant storage through qdrant-client: embedded (a folder) by default, a server by URL.

The store's logic (pending → live writes, filters, search modes) is `rag.store_base`; this
module only maps its primitives onto qdrant-client. `rag.store_edge` does the same for the
qdrant-edge engine.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
from qdrant_client import QdrantClient, models

from rag.store_base import (
    DENSE,
    HYBRID_DEPTH,
    LIVE,
    PAYLOAD_INDEXES,
    PENDING,
    RETIRED,
    SPARSE,
    ChunkStore,
    PointId,
    SearchMode,
    Sparse,
    StoredDocument,
    Where,
    locked_error,
    point_id,
)

__all__ = ["DENSE", "HYBRID_DEPTH", "LIVE", "PENDING", "RETIRED", "SPARSE", "QdrantStore",
           "SearchMode", "StoredDocument", "open_client", "point_id"]

log = logging.getLogger(__name__)

_SCHEMA = {"keyword": models.PayloadSchemaType.KEYWORD,
           "integer": models.PayloadSchemaType.INTEGER}


def open_client(url: str | None, api_key: str | None, path: str | None) -> QdrantClient:
    """A client for a server when `url` is set, else for the embedded store at `path`."""
    if url:
        return QdrantClient(url=url, api_key=api_key, timeout=60)
    try:
        return QdrantClient(path=path)
    except RuntimeError as exc:  # the embedded store is locked by another process
        raise locked_error(path) from exc


def _filter(where: Where | None) -> models.Filter | None:
    if where is None:
        return None
    match = lambda pairs: [  # noqa: E731
        models.FieldCondition(key=k, match=models.MatchValue(value=v)) for k, v in pairs]
    return models.Filter(must=match(where.must) or None, must_not=match(where.must_not) or None,
                         should=match(where.should) or None)


class QdrantStore(ChunkStore):
    """One collection holding chunks with a dense and a sparse vector each."""

    client: QdrantClient

    def __init__(self, client: QdrantClient, collection: str, embedder_name: str,
                 dimension: int) -> None:
        super().__init__(client, collection, embedder_name, dimension)
        # Embedded mode evaluates payload filters in Python, point by point (10x the cost of a
        # dense search), and only this process can have the store open: see ChunkStore.
        options = client.init_options
        self.embedded = not (options.get("url") or options.get("host"))

    def _exists(self) -> bool:
        return self.client.collection_exists(self.collection)

    def _create(self, metadata: dict) -> None:
        self.client.create_collection(
            self.collection,
            vectors_config={
                DENSE: models.VectorParams(size=self.dimension, distance=models.Distance.COSINE)
            },
            sparse_vectors_config={
                SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)
            },
            metadata=metadata,
        )
        # a server needs the indexes for our filters; embedded mode ignores them
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Payload indexes have no effect")
            for field, kind in PAYLOAD_INDEXES.items():
                self.client.create_payload_index(self.collection, field, _SCHEMA[kind])

    def _metadata(self) -> dict:
        return self.client.get_collection(self.collection).config.metadata or {}

    def _set_metadata(self, update: dict) -> None:
        self.client.update_collection(self.collection, metadata=update)

    def _count(self, where: Where | None) -> int:
        return self.client.count(self.collection, count_filter=_filter(where), exact=True).count

    def _payload(self, pid: str) -> dict | None:
        points = self.client.retrieve(self.collection, [pid], with_payload=True,
                                      with_vectors=False)
        return (points[0].payload or {}) if points else None

    def upsert_points(self, ids: Sequence[str], dense: np.ndarray, sparse: Sequence[Sparse],
                      payloads: Sequence[dict]) -> None:
        points = [
            models.PointStruct(
                id=pid,
                vector={DENSE: vector.tolist(),
                        SPARSE: models.SparseVector(indices=indices, values=values)},
                payload=payload,
            )
            for pid, vector, (indices, values), payload in zip(ids, dense, sparse, payloads,
                                                                strict=True)
        ]
        self.client.upsert(self.collection, points=points, wait=True)

    def _set_payload(self, ids: list[PointId], payload: dict) -> None:
        self.client.set_payload(self.collection, payload=payload, points=ids, wait=True)

    def _delete_ids(self, ids: list[PointId]) -> None:
        self.client.delete(self.collection, points_selector=models.PointIdsList(points=ids),
                           wait=True)

    def _delete_where(self, where: Where) -> None:
        self.client.delete(self.collection,
                           points_selector=models.FilterSelector(filter=_filter(where)),
                           wait=True)

    def _scroll_page(self, where: Where, fields: list[str] | None, limit: int,
                     offset: PointId | None) -> tuple[list[tuple[PointId, dict]], PointId | None]:
        points, offset = self.client.scroll(
            self.collection, scroll_filter=_filter(where), limit=limit, offset=offset,
            with_payload=fields or False, with_vectors=False)
        return [(p.id, p.payload or {}) for p in points], offset

    def _query(self, dense: np.ndarray | None, sparse: Sparse | None, where: Where | None,
               limit: int, depth: int) -> list[tuple[PointId, float, dict]]:
        flt = _filter(where)
        dense_query = dense.tolist() if dense is not None else None
        sparse_query = models.SparseVector(indices=sparse[0], values=sparse[1]) if sparse else None
        if dense_query is not None and sparse_query is not None:
            result = self.client.query_points(
                self.collection,
                prefetch=[
                    models.Prefetch(query=dense_query, using=DENSE, filter=flt, limit=depth),
                    models.Prefetch(query=sparse_query, using=SPARSE, filter=flt, limit=depth),
                ],
                query=models.FusionQuery(fusion=models.Fusion.DBSF),
                limit=limit, with_payload=True,
            )
        else:
            result = self.client.query_points(
                self.collection, query=dense_query if sparse_query is None else sparse_query,
                using=DENSE if sparse_query is None else SPARSE, query_filter=flt, limit=limit,
                with_payload=True)
        return [(p.id, p.score, p.payload or {}) for p in result.points]

    def close(self) -> None:
        self.client.close()

    def collections(self) -> list[str]:
        return sorted(c.name for c in self.client.get_collections().collections)

    def drop(self) -> None:
        self.client.delete_collection(self.collection)
