"""Qdrant through qdrant-client: a server or cluster by URL, or its pure-Python local mode.

The store's logic (pending → live writes, filters, search modes) is `base.ChunkStore`; this
module maps its primitives onto qdrant-client, and translates the client's errors at the
boundary: a server that is down or refuses the API key is a one-line `StoreError` that says
what to do. `edge` does the same for the qdrant-edge engine.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
import warnings
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import httpx
import numpy as np
from pydantic import ValidationError
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from rag.errors import StoreError, deleted_while_used, no_room
from rag.settings import masked_url
from rag.stores.base import (
    PAYLOAD_INDEXES,
    ChunkStore,
    Sparse,
    Where,
    build_filter,
    locked_error,
)
from rag.stores.fusion import DENSE, SPARSE, PointId, ScoredIds

log = logging.getLogger(__name__)
_SCHEMA = {"keyword": models.PayloadSchemaType.KEYWORD,
           "integer": models.PayloadSchemaType.INTEGER}


def open_client(url: str | None, api_key: str | None, path: str | None) -> QdrantClient:
    """A client for a server when `url` is set, else for the local-mode store at `path`."""
    if url:
        if api_key and url.startswith("http://"):
            # qdrant-client says so with a Python warning and a line of its source, on the
            # console of every command; the log says it once, in words
            log.warning("RAG_QDRANT_API_KEY is sent unencrypted: RAG_QDRANT_URL is http://; "
                        "use https:// unless the network between them is private")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Api key is used with an insecure")
            client = QdrantClient(url=url, api_key=api_key, timeout=60,
                                  check_compatibility=False)
        return _Translating(client, url)  # type: ignore[return-value]
    try:
        return _Translating(QdrantClient(path=path), None, path)  # type: ignore[return-value]
    except RuntimeError as exc:  # the embedded store is locked by another process
        raise locked_error(path) from exc
    except Exception as exc:
        if (full := no_room(exc, path)) is not None:
            raise full from exc
        raise


def server_error(exc: Exception, url: str) -> StoreError:
    """What a failed call to a Qdrant server means, and what to do about it (the URL shown
    without a user and password it may carry)."""
    url = masked_url(url)
    if isinstance(exc, UnexpectedResponse):
        if exc.status_code in (401, 403):
            return StoreError(f"The Qdrant server at {url} refused the request (HTTP "
                              f"{exc.status_code}): set RAG_QDRANT_API_KEY to its API key.")
        try:  # Qdrant's errors are JSON: anything else is another server's page
            json.loads(exc.content or b"null")
        except ValueError:
            return not_qdrant(url, f"HTTP {exc.status_code}")
        detail = " ".join(exc.content.decode("utf-8", "replace").split())[:200]
        return StoreError(f"The Qdrant server at {url} answered HTTP {exc.status_code}: "
                          f"{detail or exc.reason_phrase}")
    if unreadable_answer(exc):
        return not_qdrant(url, "a success status")
    cause = exc.source if isinstance(exc, ResponseHandlingException) else exc
    return StoreError(f"Cannot reach the Qdrant server at {url} ({type(cause).__name__}: "
                      f"{cause}). Start it, or fix RAG_QDRANT_URL (unset it to use the "
                      "embedded store).")


def not_qdrant(url: str, answered: str) -> StoreError:
    return StoreError(f"The Qdrant server at {url} answered {answered} with a page that is not "
                      "Qdrant's: fix RAG_QDRANT_URL to name a Qdrant server (its REST port, "
                      "6333 by default).")


def unreadable_answer(exc: Exception) -> bool:
    """A success whose body is not what Qdrant sends: qdrant-client fails to decode it (an
    HTML page), to validate it (another API's JSON), or asserts on the result it lacks."""
    if isinstance(exc, ResponseHandlingException):
        return isinstance(exc.source, ValidationError)
    return isinstance(exc, (json.JSONDecodeError, AssertionError))


#: calls whose failure is not a sign that their collection was deleted meanwhile
_MAKING = frozenset({"create_collection", "collection_exists"})


class _Translating:
    """A QdrantClient whose calls fail with our errors: a call on a collection deleted while
    it ran (a 404 from a server, a ValueError or IndexError from local mode) with
    `CollectionMissing`, a server's other errors with `StoreError`, and a local-mode write
    with no room on the disk of `path` with `NoRoom`. `url` is None in local mode, whose calls
    run one at a time: its collections are numpy arrays that a write resizes under a search,
    which then fails."""

    def __init__(self, client: QdrantClient, url: str | None, path: str | None = None) -> None:
        self._client = client
        self._url = url
        self._path = path
        self._one_at_a_time: AbstractContextManager = (
            threading.RLock() if url is None else contextlib.nullcontext())

    @property
    def on_server(self) -> bool:
        return self._url is not None

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        @functools.wraps(attribute)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                with self._one_at_a_time:
                    return attribute(*args, **kwargs)
            except Exception as exc:
                collection = args[0] if args and isinstance(args[0], str) else None
                if collection is not None and name not in _MAKING and self._gone(collection):
                    raise deleted_while_used(collection) from exc
                if self._url is not None and (unreadable_answer(exc) or isinstance(
                        exc, (UnexpectedResponse, ResponseHandlingException, httpx.HTTPError))):
                    raise server_error(exc, self._url) from exc
                if self._url is None and (full := no_room(exc, self._path)) is not None:
                    raise full from exc
                raise

        return call

    def _gone(self, collection: str) -> bool:
        try:
            return not self._client.collection_exists(collection)
        except Exception:  # the server is down: that is the error to report
            return False


def _filter(where: Where | None) -> models.Filter | None:
    return build_filter(
        where, lambda key, value: models.FieldCondition(key=key, match=models.MatchValue(
            value=value)),
        lambda must, must_not, should: models.Filter(must=must, must_not=must_not,
                                                     should=should))


def _nearest(dense: np.ndarray | None, sparse: Sparse | None) -> list[float] | models.SparseVector:
    if dense is not None:
        return dense.tolist()
    assert sparse is not None
    return models.SparseVector(indices=sparse[0], values=sparse[1])


class QdrantStore(ChunkStore):
    """One collection holding chunks with a dense and a sparse vector each."""

    client: QdrantClient

    def __init__(self, client: QdrantClient, collection: str, embedder_name: str,
                 dimension: int | Callable[[], int]) -> None:
        super().__init__(client, collection, embedder_name, dimension)
        # Local mode evaluates payload filters in Python, point by point (far dearer than a
        # dense search), and only this process can have the store open: see ChunkStore.
        self.embedded = not client.on_server  # type: ignore[attr-defined]

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

    def _payloads(self, ids: list[PointId]) -> dict[PointId, dict]:
        if not ids:
            return {}
        points = self.client.retrieve(self.collection, ids, with_payload=True,
                                      with_vectors=False)
        return {p.id: p.payload or {} for p in points}

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
               limit: int, with_payload: bool) -> list[tuple[PointId, float, dict]]:
        result = self.client.query_points(
            self.collection, query=_nearest(dense, sparse),
            using=DENSE if dense is not None else SPARSE, query_filter=_filter(where),
            limit=limit, with_payload=with_payload)
        return [(p.id, p.score, p.payload or {}) for p in result.points]

    def _query_sides(self, dense: np.ndarray, sparse: Sparse, where: Where | None,
                     limit: int) -> tuple[ScoredIds, ScoredIds]:
        # one round trip to a Qdrant server for both searches
        flt = _filter(where)
        dense_side, sparse_side = self.client.query_batch_points(self.collection, [
            models.QueryRequest(query=_nearest(dense, None), using=DENSE, filter=flt,
                                limit=limit, with_payload=False),
            models.QueryRequest(query=_nearest(None, sparse), using=SPARSE, filter=flt,
                                limit=limit, with_payload=False)])
        return ([(p.id, p.score) for p in dense_side.points],
                [(p.id, p.score) for p in sparse_side.points])

    def close(self) -> None:
        self.client.close()

    def collections(self) -> list[str]:
        return sorted(c.name for c in self.client.get_collections().collections)

    def drop(self) -> None:
        self.client.delete_collection(self.collection)
