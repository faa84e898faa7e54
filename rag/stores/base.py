"""What every chunk store does, whichever Qdrant engine holds the points.

Writes are made safe by a `status` field on every point. A document's chunks are written as
`pending` (never searchable), then the document's older versions at the same source are retired
and the new one made `live`, then the retired points are deleted. Search only sees `live`
points, so old and new chunks are never mixed, and a failed write leaves only pending points,
which `discard` removes. An embedded store found with points that are not live when this
process first opens it was stopped by a crash: pending points are dropped, and retired ones
are deleted when their source's new version went live, or made live again when it did not.

This logic, the payload shape, point ids, filters and hits live here once; an engine (`qdrant`
for qdrant-client, `edge` for qdrant-edge) supplies only the primitives at the end of
`ChunkStore`, taking engine-neutral `Where` filters that `build_filter` turns into its own.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import threading
import time
import uuid
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from rag.errors import ConfigError, EmbedderMismatchError, StoreError, empty_filter
from rag.stores import sentence_vectors, word_vectors
from rag.stores.fusion import (
    DENSE,
    FUSION_WEIGHTS,
    SPARSE,
    PointId,
    ScoredIds,
    best_of_side,
    fuse_dbsf,
    fusion_depth,
)
from rag.stores.passages import PassageCache
from rag.stores.switch import SwitchLock
from rag.text import lexical
from rag.text.contents import is_contents
from rag.types import Chunk, Hit, SearchMode, SentenceVectors, as_stored

log = logging.getLogger(__name__)

LIVE, PENDING, RETIRED = "live", "pending", "retired"
# free space an embedded store keeps in hand: its files are sparse and mapped in memory, and a
# write into one on a full disk kills the process (SIGBUS) where it would fail with a message
MIN_FREE_BYTES = 64 * 2**20
Sparse = tuple[list[int], list[float]]

# payload fields that filters use, and the kind of index each gets
PAYLOAD_INDEXES = {"doc_id": "keyword", "source": "keyword", "status": "keyword",
                   "position": "integer"}
DOCUMENT_FIELDS = ["doc_id", "source", "title", "chunks", "media_type"]
_POINT_NAMESPACE = uuid.UUID("3f1c3b6e-8d2a-4c1e-9a57-2b9e4d0c7a11")

Store = TypeVar("Store", bound="ChunkStore")


def point_id(doc_id: str, position: int) -> str:
    """Same document, same position, same id: writing a document twice writes nothing new."""
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{doc_id}:{position}"))


def ensure_room(folder: Path) -> None:
    """Refuse to open or write an embedded store on a disk nearly full, with why."""
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        raise StoreError(
            f"The disk holding the embedded store at {folder} has {free // 2**20} MB free, "
            f"under the {MIN_FREE_BYTES // 2**20} MB the store keeps in hand for its files: "
            "free some space, or set RAG_DATA_DIR to a folder on a larger disk.")


def locked_error(path: str | None) -> ConfigError:
    """Only one process may hold an embedded store: the message says what to do instead."""
    return ConfigError(
        f"The embedded Qdrant store at {path} is open in another process (another `rag` "
        f"command still running?). Wait for it to end, or run a Qdrant server and set "
        f"RAG_QDRANT_URL. While `rag ui` runs, `rag` commands go through it instead."
    )


#: what to do about a store in the data folder that this user may not write
DATA_DIR_ADVICE = ("run as the owner of the data folder, or give RAG_DATA_DIR a folder you can "
                   "write to")


@contextmanager
def not_permitted(folder: Path, advice: str = DATA_DIR_ADVICE) -> Iterator[None]:
    """A store this user may not write (the data folder of whoever set it up) said in one
    line, with `advice`: even a search opens the store for writing, since it locks it."""
    try:
        yield
    except PermissionError as exc:
        raise ConfigError(f"Cannot open the store in {folder} ({exc.strerror}): "
                          f"{advice}.") from None


def refuse_unwritable(folder: Path) -> None:
    """Raise PermissionError for the first file or folder of a store that this user may not
    write: a store that opens read-only would fail only at its first write, mid-ingest."""
    for root, _, files in os.walk(folder):  # each folder is a root in turn
        for path in (root, *(os.path.join(root, name) for name in files)):
            if not os.access(path, os.W_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)


@dataclass(frozen=True)
class StoredDocument:
    doc_id: str
    source: str
    title: str
    chunks: int
    media_type: str


@dataclass(frozen=True)
class Where:
    """A payload filter either engine can express: every `must` pair matches, no `must_not`
    pair does, and, when `should` is given, at least one of its pairs does."""

    must: tuple[tuple[str, str | int], ...] = ()
    must_not: tuple[tuple[str, str | int], ...] = ()
    should: tuple[tuple[str, str | int], ...] = ()


FIRST_CHUNKS = (("status", LIVE), ("position", 0))  # one point per live document
C = TypeVar("C")
F = TypeVar("F")


def build_filter(where: Where | None, condition: Callable[[str, str | int], C],
                 combine: Callable[[list[C] | None, list[C] | None, list[C] | None], F]
                 ) -> F | None:
    """An engine's filter for `where`: `condition(key, value)` makes one exact match and
    `combine(must, must_not, should)` the filter (each list None when empty)."""
    if where is None:
        return None
    match = lambda pairs: [condition(k, v) for k, v in pairs] or None  # noqa: E731
    return combine(match(where.must), match(where.must_not), match(where.should))


def _stored(payload: dict) -> StoredDocument:
    return StoredDocument(payload["doc_id"], payload["source"], payload.get("title", ""),
                          int(payload.get("chunks", 0)), payload.get("media_type", ""))


def chunk_payload(chunk: Chunk, chunk_total: int, media_type: str, extra: dict | None,
                  sentences: SentenceVectors | None = None) -> dict:
    """What a point stores besides its vectors: a citation's fields and the document's, and
    the chunk's sentence vectors when given."""
    payload = {
        "doc_id": chunk.doc_id, "source": chunk.source, "title": chunk.title,
        "page": chunk.page, "locator": chunk.locator, "position": chunk.position,
        "start": chunk.start, "end": chunk.end, "text": chunk.text,
        "token_count": chunk.token_count,
        "chunks": chunk_total, "media_type": media_type, "status": PENDING,
        **(extra or {}),  # document fields the app shows (pages, ingested_at)
    }
    if chunk.code_fence:
        payload["code_fence"] = chunk.code_fence
    payload["opens_inside_code"] = chunk.code_fence is not None
    if chunk.lead_in:
        payload["lead_in"] = chunk.lead_in
    payload["opens_inside_sentence"] = chunk.opens_inside_sentence
    payload["closes_inside_sentence"] = chunk.closes_inside_sentence
    if sentences is not None:
        payload[sentence_vectors.FIELD] = sentence_vectors.encode(sentences.spans,
                                                                  sentences.vectors)
        if sentences.words is not None:
            payload[word_vectors.FIELD] = word_vectors.encode(sentences.words)
    return payload


def make_hits(found: Sequence[tuple[PointId, float, dict]]) -> list[Hit]:
    """Hits from (id, score, payload), their stored sentence vectors decoded together."""
    vectors = sentence_vectors.decode_many([payload.get(sentence_vectors.FIELD)
                                            for _, _, payload in found])
    return [make_hit(pid, score, payload, _with_words(sentences, payload))
            for (pid, score, payload), sentences in zip(found, vectors, strict=True)]


def _by_score(found: list[tuple[PointId, float, dict]]) -> list[tuple[PointId, float, dict]]:
    """Best first, equal scores (the same words in two files) by id, as the fusion orders
    them: the engines hand ties back in the order points were written, which ingest varies."""
    return sorted(found, key=lambda point: (-point[1], str(point[0])))


def _with_words(sentences: SentenceVectors | None, payload: dict) -> SentenceVectors | None:
    """A chunk's stored sentences, with its stored word vectors when it has them."""
    words = word_vectors.decode(payload.get(word_vectors.FIELD))
    return sentences if sentences is None or words is None else replace(sentences, words=words)


def make_hit(pid: PointId, score: float, payload: dict,
             sentences: SentenceVectors | None) -> Hit:
    return Hit(doc_id=payload["doc_id"], source=payload["source"], page=payload.get("page"),
               chunk_id=str(pid), score=float(score), text=payload["text"],
               title=payload.get("title", ""), position=int(payload.get("position", 0)),
               locator=payload.get("locator"),  # absent from points stored before locators
               sentence_vectors=sentences, code_fence=payload.get("code_fence"),
               opens_inside_code=payload.get("opens_inside_code"),
               lead_in=payload.get("lead_in"),
               opens_inside_sentence=payload.get("opens_inside_sentence"),
               closes_inside_sentence=payload.get("closes_inside_sentence"))


@dataclass
class Writes:
    """What this process is writing into one collection, shared by every store object of it
    (each view of a collection has one of its own)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    docs: set[str] = field(default_factory=set)
    recovered: bool = False  # a crash's residue was dealt with when the store was opened
    switch: SwitchLock = field(default_factory=SwitchLock)  # a version made live, searched
    # a version made live, a document deleted: one at a time, since each changes the points
    # the other has found (the versions a new one replaces, the documents at a path)
    changing: threading.Lock = field(default_factory=threading.Lock)


_WRITES: weakref.WeakKeyDictionary[Any, dict[str, Writes]] = weakref.WeakKeyDictionary()
_WRITES_LOCK = threading.Lock()


def writes_of(client: Any, collection: str) -> Writes:
    with _WRITES_LOCK:
        return _WRITES.setdefault(client, {}).setdefault(collection, Writes())


class ChunkStore(ABC):
    """One collection holding chunks with a dense and a sparse vector each."""

    # True when only this process can have the store open (embedded stores): then, while no
    # document is being written here, every point is live and search can skip the status
    # filter, and points that are not live when the store is opened are a crash's residue.
    embedded: bool = True

    def __init__(self, client: Any, collection: str, embedder_name: str,
                 dimension: int | Callable[[], int]) -> None:
        self.client = client  # the engine's connection, shared by `with_collection` stores
        self.collection = collection
        self.embedder_name = embedder_name
        # or how to learn it: asked (a remote model's probe request) only when no collection
        # recorded it, so that opening the library needs no model
        self._dimension = dimension
        # given as a number: the embedder knows its length, or a setting says it
        self._dimension_set = not callable(dimension)
        self._writes = writes_of(client, collection)
        # how the stored sparse vectors were made, which decides how queries are made
        self.lexical_scheme = lexical.SCHEME
        # how stored sentence vectors are made; None: the collection keeps none
        self.sentence_scheme: str | None = sentence_vectors.SCHEME

    @property
    def dimension(self) -> int:
        """The embedder's vector length."""
        if callable(self._dimension):
            self._dimension = int(self._dimension())
        return self._dimension

    # --- collection ------------------------------------------------------------------------
    def ensure_collection(self) -> None:
        """Create the collection, or check that it was filled by the same embedder (and with
        sparse vectors this version can query)."""
        if not self._exists():
            # born with its identity (`made`): never seen by another door without it
            self._create({"embedder": self.embedder_name, "dimension": self.dimension,
                          "dimension_set": self._dimension_set,
                          "lexical": lexical.SCHEME, "sentences": sentence_vectors.SCHEME,
                          "made": time.time_ns() // 1000})
            self.lexical_scheme = lexical.SCHEME
            self.sentence_scheme = sentence_vectors.SCHEME
            with self._writes.lock:
                self._writes.recovered = True  # made by this process: no residue to find
            return
        meta = self._metadata()
        name, dim = meta.get("embedder"), meta.get("dimension")
        if (name == self.embedder_name and callable(self._dimension) and isinstance(dim, int)
                and not (meta.get("dimension_set") and self.size() == 0)):
            # the model's, as the collection recorded it; but a length a setting gave an
            # empty collection may have been a mistake, now unset: the model says (below)
            self._dimension = dim
        if name == self.embedder_name and dim == self.dimension:
            self.lexical_scheme = self._check_lexical(meta.get("lexical"))
            self.sentence_scheme = self._check_sentences(meta.get("sentences"))
            if self.embedded:
                self._recover()
            return
        if self.size() == 0:  # a first ingest that failed (say, a misspelt model) stored nothing
            log.info("collection '%s' is empty: made again for embedder %s (it was made for %s)",
                     self.collection, self.embedder_name, name)
            self.drop()
            self.ensure_collection()
            self.start_fresh_version()
            return
        raise EmbedderMismatchError(
            f"Collection '{self.collection}' was filled by embedder {name} ({dim} dims), but "
            f"the configured embedder is {self.embedder_name} ({self.dimension} dims). "
            f"{setting_back(str(name), self.embedder_name, dim)}, or use another RAG_COLLECTION "
            f"(or delete this one: rag collections delete {self.collection}) to re-ingest."
        )

    def _recover(self) -> None:
        """Once per process and collection, before any write: points that are not live are a
        crash's residue (only this process can hold an embedded store). Pending points never
        went live; retired ones are the older version of a changed file, deleted when its new
        version went live and made live again when the crash came before it did."""
        with self._writes.lock:  # a write waits: its pending points are not residue
            if self._writes.recovered:
                return
            self._writes.recovered = True
            pending = Where(must=(("status", PENDING),))
            if self._count(pending):  # a store only read writes nothing: its disk may be full
                self._delete_where(pending)
            retired: dict[str, list[PointId]] = {}
            for pid, payload in self._scroll(Where(must=(("status", RETIRED),)), ["source"]):
                retired.setdefault(payload.get("source", ""), []).append(pid)
            for source, ids in retired.items():
                if self.live_at(source) is None:
                    log.warning("collection '%s': %s was being replaced when the app stopped; "
                                "its earlier version is searchable again", self.collection,
                                source)
                    self._set_payload(ids, {"status": LIVE})
                else:
                    self._delete_ids(ids)

    def _check_lexical(self, scheme: str | None) -> str:
        """The collection's lexical scheme: this version's, or an earlier one this version
        still reads (its queries, and the files added to it, made as it was filled), or none
        (a collection filled before schemes were recorded, searched as it always was)."""
        if scheme in (None, lexical.UNIGRAM_SCHEME):
            log.warning("collection '%s' was indexed without phrase terms: keyword search works "
                        "as before; re-ingest into a new collection (RAG_COLLECTION) for the "
                        "better ranking", self.collection)
            return lexical.UNIGRAM_SCHEME
        if scheme == lexical.SPACED_SCHEME:
            log.info("collection '%s' was indexed before words were read in every script: "
                     "keyword search of Chinese, Japanese, Korean, Thai, Hindi and the like "
                     "improves once it is re-ingested into a new collection (RAG_COLLECTION)",
                     self.collection)
            return scheme
        if scheme == lexical.ACCENTED_SCHEME:
            log.info("collection '%s' was indexed before accents were taken off words: a word "
                     "typed without its accents ('cafe' for 'café') finds it by keyword once "
                     "it is re-ingested into a new collection (RAG_COLLECTION)", self.collection)
            return scheme
        if scheme == lexical.OPERATORLESS_SCHEME:
            log.info("collection '%s' was indexed before operators were terms: an operator "
                     "such as '&&', '<<-' or '%%in%%' is found by keyword once it is "
                     "re-ingested into a new collection (RAG_COLLECTION)", self.collection)
            return scheme
        if scheme == lexical.UNDOTTED_SCHEME:
            log.info("collection '%s' was indexed before dotted names were terms: a name "
                     "such as 'as.vector' or 'is.na' is found by keyword as written once it "
                     "is re-ingested into a new collection (RAG_COLLECTION)", self.collection)
            return scheme
        if scheme != lexical.SCHEME:
            raise ConfigError(
                f"Collection '{self.collection}' was indexed by a newer version of this app "
                f"(lexical scheme {scheme}; this version knows {lexical.SCHEME}). Upgrade the "
                f"app (or restart a running engine that predates the upgrade), or use another "
                f"RAG_COLLECTION to re-ingest.")
        return scheme

    def _check_sentences(self, scheme: str | None) -> str | None:
        """The collection's sentence-vector scheme, or None: one filled before sentence
        vectors were stored (or by a version storing them another way) gets none, so that
        all its hits are rescored alike, by sentences embedded at question time."""
        if scheme == sentence_vectors.SCHEME:
            return scheme
        log.warning("collection '%s' keeps no sentence vectors of this version's kind: hybrid "
                    "search embeds its passages' sentences per question; re-ingest into a new "
                    "collection (RAG_COLLECTION) for faster questions", self.collection)
        return None

    def version(self) -> int:
        """Bumped by every ingest or delete: answer caches key on it."""
        return int(self._metadata().get("version", 0))

    def bump_version(self) -> None:
        self._set_metadata({"version": self.version() + 1})

    def start_fresh_version(self) -> None:
        """A collection made (again) starts its version where no earlier one of its name
        was, so that no answer cached for that one is replayed."""
        self._set_metadata({"version": time.time_ns() // 1000})

    def made(self) -> int:
        """When this collection was made (0 for one made before this was kept): a collection
        deleted and made again under its name is another one, whose `made` differs."""
        return int(self._metadata().get("made", 0))

    def identity(self) -> tuple[int, int]:
        """`made`, then `version`, in one read: an answer cached from this collection is
        valid for these, and for no other library's collection of its name and version
        sharing the cache (RAG_CACHE_DIR)."""
        meta = self._metadata()
        return int(meta.get("made", 0)), int(meta.get("version", 0))

    def exists(self) -> bool:
        """Whether this store's collection exists (one look, not a listing of them all)."""
        return self._exists()

    def with_collection(self: Store, name: str) -> Store:
        """A store for another collection of the same Qdrant, sharing this one's connection.

        Only the store that opened the connection is ever closed.
        """
        # the length as this store was given it: learnt from the model is not set
        dimension = self._dimension if self._dimension_set else (lambda: self.dimension)
        return type(self)(self.client, name, self.embedder_name, dimension)

    # --- writing ---------------------------------------------------------------------------
    def count(self, doc_id: str, status: str = LIVE) -> int:
        return self._count(Where(must=(("doc_id", doc_id), ("status", status))))

    def holds(self, doc_id: str) -> bool:
        """Whether any point of this document is here, in any status."""
        return self._count(Where(must=(("doc_id", doc_id),))) > 0

    def size(self) -> int:
        """Every point of the collection, in any status."""
        return self._count(None)

    def document_count(self) -> int:
        """How many documents are live: a count of their first chunks, which the payload
        index answers without reading the documents (a health probe's, every few seconds).
        Counted as a search is made, never while a new version replaces an old one (`activate`),
        when neither is live."""
        with self._writes.switch.searching():
            return self._count(Where(must=FIRST_CHUNKS))

    def live_copy_of(self, doc_id: str) -> StoredDocument | None:
        """The live document with this content, if any: one lookup of its first chunk by id."""
        payload = self._payload(point_id(doc_id, 0))
        if not payload or payload.get("status") != LIVE:
            return None
        return _stored(payload)

    def live_at(self, source: str) -> StoredDocument | None:
        """The live document stored under this source path, if any."""
        found = self._first_chunks(Where(must=(("source", source),)), DOCUMENT_FIELDS)
        return next((_stored(payload) for payload in found), None)

    def _check_room(self) -> None:  # noqa: B027 (a server's disk is its own affair)
        """Refuse a write the disk has no room for (an embedded store's own disk)."""

    def upsert_pending(self, chunks: Sequence[Chunk], dense: np.ndarray,
                       sparse: Sequence[Sparse], chunk_total: int,
                       media_type: str, extra: dict | None = None,
                       sentences: Sequence[SentenceVectors] | None = None) -> None:
        """Write chunks as pending: stored, but invisible to search until `activate`.
        `sentences` (one per chunk) are kept only in a collection that keeps them."""
        self._check_room()
        if chunks:
            with self._writes.lock:
                self._writes.docs.add(chunks[0].doc_id)
        kept = (sentences if sentences is not None and self.sentence_scheme
                else [None] * len(chunks))
        self.upsert_points([point_id(c.doc_id, c.position) for c in chunks], dense, sparse,
                           [chunk_payload(c, chunk_total, media_type, extra, s)
                            for c, s in zip(chunks, kept, strict=True)])

    def activate(self, doc_id: str, source: str, chunks: int) -> bool:
        """Make a fully written document live, replacing older versions at the same source;
        True if there were any. The collection's version then moves on: an answer cached
        from a replaced version must not be replayed, whatever the caller reports.

        The new points are addressed by id and only the old ones are found by filter, so this
        costs one scan in embedded mode, however large the collection.
        """
        with self._written(doc_id), self._writes.changing:
            old = self._ids(Where(must=(("source", source),), must_not=(("doc_id", doc_id),)))
            with self._writes.switch.switching():  # no search sees neither version live
                if old:
                    self._set_payload(old, {"status": RETIRED})
                self._set_payload([point_id(doc_id, i) for i in range(chunks)],
                                  {"status": LIVE})
            if old:
                self._delete_ids(old)
                self.bump_version()
        return bool(old)

    @contextmanager
    def _written(self, doc_id: str) -> Iterator[None]:
        """Mark a document as being written until the block ends, however it ends."""
        with self._writes.lock:
            self._writes.docs.add(doc_id)
        try:
            yield
        finally:
            with self._writes.lock:
                self._writes.docs.discard(doc_id)

    def _needs_status_filter(self) -> bool:
        with self._writes.lock:
            return not self.embedded or bool(self._writes.docs)

    def _ids(self, where: Where) -> list[PointId]:
        return [pid for pid, _ in self._scroll(where, None)]

    def _scroll(self, where: Where, fields: list[str] | None) -> Iterator[tuple[PointId, dict]]:
        """Every point matching `where`, a page at a time: a large collection is never read
        at once (ids alone come in larger pages)."""
        offset = None
        while True:
            points, offset = self._scroll_page(where, fields, 1024 if fields is None else 256,
                                               offset)
            yield from points
            if offset is None:
                return

    def discard(self, doc_id: str) -> None:
        """Remove a document's pending points after a failed write. When that fails too (the
        disk still full), the document stays marked as being written: search keeps filtering
        by status, so its pending points are never found, until the next open drops them."""
        with self._writes.lock:
            self._writes.docs.add(doc_id)
        self._delete_where(Where(must=(("doc_id", doc_id), ("status", PENDING))))
        with self._writes.lock:
            self._writes.docs.discard(doc_id)

    def delete(self, doc_id_or_source: str) -> list[StoredDocument]:
        """Delete every chunk of the documents with this id or source path; return them.
        A new version being written at the path is left to its ingest, which would
        otherwise fail on its own chunks gone, leaving neither version: the documents being
        written when the delete begins, and pending chunks whenever they were written (an
        ingest may write its first ones between the two)."""
        with self._writes.changing:
            with self._writes.lock:
                written = tuple(("doc_id", doc_id) for doc_id in sorted(self._writes.docs))
            where = Where(should=(("doc_id", doc_id_or_source),
                                  ("source", as_stored(doc_id_or_source))),
                          must_not=(*written, ("status", PENDING)))
            removed = [_stored(p) for p in self._first_chunks(where, DOCUMENT_FIELDS)]
            if removed:
                self._delete_where(where)
        return removed

    # --- reading ---------------------------------------------------------------------------
    def documents(self) -> list[StoredDocument]:
        """The live documents, by source; listed as `document_count` counts them."""
        with self._writes.switch.searching():
            found = [_stored(p) for p in self._first_chunks(Where(), DOCUMENT_FIELDS)]
        return sorted(found, key=lambda d: d.source)

    def document_payloads(self) -> list[dict]:
        """The first chunk's payload of every live document (text left out), by source.

        Besides StoredDocument's fields it holds `pages` and `ingested_at` for documents
        ingested since those fields were added, and `summary` and `keywords` for documents
        ingested with RAG_ENRICH.
        """
        fields = [*DOCUMENT_FIELDS, "pages", "ingested_at", "summary", "keywords"]
        with self._writes.switch.searching():  # as `documents`
            found = list(self._first_chunks(Where(), fields))
        return sorted(found, key=lambda d: d.get("source", ""))

    def _first_chunks(self, where: Where, fields: list[str]) -> Iterator[dict]:
        first = Where(must=FIRST_CHUNKS + where.must, must_not=where.must_not,
                      should=where.should)
        return (payload for _, payload in self._scroll(first, fields))

    def sparse_side(self, sparse: Sparse, top_k: int) -> ScoredIds:
        """The sparse side of a hybrid search for `top_k`, ids and scores only: fetched ahead
        (beside a follow-up question's rewrite) and handed to `search(sparse_side=...)`."""
        with self._writes.switch.searching():
            found = self._query(None, sparse, self._where(None, None), fusion_depth(top_k),
                                False)
        return [(pid, score) for pid, score, _ in found]

    def search(self, dense: np.ndarray | None, sparse: Sparse | None, top_k: int,
               mode: SearchMode = "hybrid", doc_id: str | None = None,
               source: str | None = None,
               sparse_side: ScoredIds | None = None, side_best: int = 0) -> list[Hit]:
        """Top chunks by dense, sparse, or both fused.

        Hybrid fuses each retriever's top HYBRID_DEPTH by distribution-based score fusion
        (scores normalised by their mean and spread, weighted by FUSION_WEIGHTS, then summed),
        which retrieved better than reciprocal rank fusion (docs/evaluation.md). The fusion
        runs here rather than in Qdrant, whose DBSF takes no weights, so every engine fuses
        alike. `sparse_side` (from `sparse_side`) stands for a hybrid search's sparse side.
        With `side_best`, a hybrid search's top_k are followed by each side's best
        `side_best` that the fusion ranked lower, in fused order.
        """
        with self._writes.switch.searching():
            return self._search(dense, sparse, top_k, mode, doc_id, source, sparse_side,
                                side_best)

    def _search(self, dense: np.ndarray | None, sparse: Sparse | None, top_k: int,
                mode: SearchMode, doc_id: str | None, source: str | None,
                sparse_side: ScoredIds | None, side_best: int) -> list[Hit]:
        where = self._where(doc_id, source)
        has_terms = bool(sparse and sparse[0])
        if mode == "sparse" and not has_terms:
            return []
        if mode == "hybrid" and sparse_side is not None:
            return self._fused(dense, None, where, top_k, side_best, sparse_side)
        if mode == "dense" or (mode == "hybrid" and not has_terms):
            return make_hits(_by_score(self._query(dense, None, where, top_k, True)))
        if mode == "sparse":
            return make_hits(_by_score(self._query(None, sparse, where, top_k, True)))
        return self._fused(dense, sparse, where, top_k, side_best)

    def _where(self, doc_id: str | None, source: str | None) -> Where | None:
        must: list[tuple[str, str | int]] = []
        if self._needs_status_filter():
            must.append(("status", LIVE))
        for name, value in (("doc_id", doc_id), ("source", source)):
            if value == "":  # matched by none, and never to be dropped as if none was given
                raise empty_filter(name)
            if value is not None:
                must.append((name, as_stored(value) if name == "source" else value))
        return Where(must=tuple(must)) if must else None

    def _fused(self, dense: np.ndarray | None, sparse: Sparse | None, where: Where | None,
               top_k: int, side_best: int = 0, sparse_side: ScoredIds | None = None
               ) -> list[Hit]:
        """Each side's top `fusion_depth` (ids and scores only), fused; hits for the top_k,
        and for each side's best `side_best` the top_k left out."""
        depth = fusion_depth(top_k)
        if sparse_side is None:
            assert dense is not None and sparse is not None
            dense_side, sparse_side = self._query_sides(dense, sparse, where, depth)
        else:
            dense_side = [(pid, score) for pid, score, _
                          in self._query(dense, None, where, depth, False)]
        fused = fuse_dbsf([(FUSION_WEIGHTS[DENSE], dense_side),
                           (FUSION_WEIGHTS[SPARSE], sparse_side)])
        best = fused[:top_k]
        if not side_best:
            return self._hits(best)
        return self._with_sides_best(best, fused[top_k:], (dense_side, sparse_side), side_best)

    def _with_sides_best(self, best: list[tuple[PointId, float]],
                         rest: list[tuple[PointId, float]], sides: Sequence[ScoredIds],
                         side_best: int) -> list[Hit]:
        """Hits for `best`, then for each side's best `side_best` among `rest`, in fused
        order. A table of contents' passages take none of a side's places: they match a
        question by its headings' words, above the sections they list (a manual's contents
        pages can push those out of a side's best), and go last anyway (`rag.retrieval`)."""
        known: dict[str, Hit] = {}
        placeless: set[str] = set()
        placed = {pid for side in sides for pid in best_of_side(side, placeless, side_best)}
        unread = best + [(pid, score) for pid, score in rest if pid in placed]
        while unread:  # read on until every side's places are taken by passages read
            read = {hit.chunk_id: hit for hit in self._hits(unread)}
            known.update(read)
            # a point deleted since the searches is not read, and takes no place either
            placeless.update(str(pid) for pid, _ in unread if str(pid) not in read)
            placeless.update(chunk_id for chunk_id, hit in read.items() if is_contents(hit.text))
            placed = {pid for side in sides for pid in best_of_side(side, placeless, side_best)}
            unread = [(pid, score) for pid, score in rest
                      if pid in placed and str(pid) not in known]
        return ([known[str(pid)] for pid, _ in best if str(pid) in known]
                + [known[str(pid)] for pid, _ in rest if pid in placed])

    def _hits(self, scored: list[tuple[PointId, float]]) -> list[Hit]:
        """Hits for scored ids: from the passage cache where it holds them, the others read
        and decoded together (and kept). A point deleted since the searches is left out."""
        cache = self.passage_cache()
        if cache is None:
            payloads = self._payloads([pid for pid, _ in scored])
            return make_hits([(pid, score, payloads[pid]) for pid, score in scored
                              if pid in payloads])
        generation = cache.generation
        known = cache.get(pid for pid, _ in scored)
        missing = [pid for pid, _ in scored if pid not in known]
        if missing:
            payloads = self._payloads(missing)
            read = [(pid, 0.0, payloads[pid]) for pid in missing if pid in payloads]
            made = {hit_id: hit for (hit_id, _, _), hit in zip(read, make_hits(read),
                                                                strict=True)}
            cache.put(made, generation)
            known.update(made)
        return [replace(known[pid], score=float(score)) for pid, score in scored
                if pid in known]

    def chunks_after(self, hit: Hit, count: int) -> list[Hit]:
        """The live chunks of `hit`'s document at the `count` positions after its, in order,
        each scored as `hit` is: read by their ids, which document and position make."""
        ids = [point_id(hit.doc_id, hit.position + n) for n in range(1, count + 1)]
        found = [(pid, hit.score, payload) for pid, payload in self._payloads(ids).items()
                 if payload.get("doc_id") == hit.doc_id and payload.get("status") == LIVE]
        return sorted(make_hits(found), key=lambda h: h.position)

    def passage_cache(self) -> PassageCache | None:
        """Where this collection's read passages are kept: only a store that no other
        process writes can keep them (`EdgeStore`)."""
        return None

    # --- the engine's primitives -----------------------------------------------------------
    @abstractmethod
    def _exists(self) -> bool: ...

    @abstractmethod
    def _create(self, metadata: dict) -> None:
        """Create the collection with its vectors, PAYLOAD_INDEXES and `metadata`."""

    @abstractmethod
    def _metadata(self) -> dict: ...

    @abstractmethod
    def _set_metadata(self, update: dict) -> None:
        """Merge `update` into the collection's metadata."""

    @abstractmethod
    def _count(self, where: Where | None) -> int: ...

    @abstractmethod
    def _payload(self, pid: str) -> dict | None:
        """The payload of one point, or None when there is no such point."""

    @abstractmethod
    def _payloads(self, ids: list[PointId]) -> dict[PointId, dict]:
        """The payloads of the points that exist among `ids`, by id."""

    @abstractmethod
    def upsert_points(self, ids: Sequence[str], dense: np.ndarray, sparse: Sequence[Sparse],
                      payloads: Sequence[dict]) -> None:
        """Write points exactly as given (the benchmark fills collections with it)."""

    @abstractmethod
    def _set_payload(self, ids: list[PointId], payload: dict) -> None: ...

    @abstractmethod
    def _delete_ids(self, ids: list[PointId]) -> None: ...

    @abstractmethod
    def _delete_where(self, where: Where) -> None: ...

    @abstractmethod
    def _scroll_page(self, where: Where, fields: list[str] | None, limit: int,
                     offset: PointId | None) -> tuple[list[tuple[PointId, dict]], PointId | None]:
        """Up to `limit` points matching `where` from `offset` on, as (id, payload) with the
        payload cut to `fields` (None: no payload), and the offset of the next page or None."""

    @abstractmethod
    def _query(self, dense: np.ndarray | None, sparse: Sparse | None, where: Where | None,
               limit: int, with_payload: bool) -> list[tuple[PointId, float, dict]]:
        """Nearest points by the one vector given (the other None), with their payloads when
        asked (else empty dicts)."""

    @abstractmethod
    def _query_sides(self, dense: np.ndarray, sparse: Sparse, where: Where | None,
                     limit: int) -> tuple[ScoredIds, ScoredIds]:
        """The dense and the sparse nearest points, ids and scores only, as one batch: the
        engine plans and runs both searches in one call."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def collections(self) -> list[str]:
        """Names of every collection this store's Qdrant holds."""

    @abstractmethod
    def drop(self) -> None:
        """Delete this store's collection and everything in it."""


#: the setting that picks each remote embedder's model
MODEL_SETTINGS = {"workers-ai": "RAG_WORKERS_AI_EMBEDDING_MODEL",
                  "openai": "RAG_OPENAI_EMBEDDING_MODEL"}


def setting_back(stored: str, configured: str, stored_dim: int | None = None) -> str:
    """The settings that open a collection another embedder filled, with the values that
    filled it: the setting that picks the model (for the local model, its precision: fp32
    was the default before int8), or for the same model the vector length `stored_dim` it was
    asked for, and the embedder when that changed too."""
    kind, _, model = stored.partition(":")
    if kind == "local":
        precision = "int8" if stored.endswith("-int8") else "fp32"
        model_setting = f"RAG_LOCAL_PRECISION={precision}"
    elif kind in MODEL_SETTINGS:
        model_setting = f"{MODEL_SETTINGS[kind]}={model}"
    else:  # an embedder this version does not have
        return "Set RAG_EMBEDDER back"
    if kind != configured.partition(":")[0]:
        return f"Set RAG_EMBEDDER={kind} (with {model_setting}) back"
    if stored == configured and kind == "openai" and stored_dim is not None:
        return f"Set RAG_OPENAI_EMBEDDING_DIMENSION={stored_dim} to open it"
    return f"Set {model_setting} to open it"
