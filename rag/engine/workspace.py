"""What the app adds around the service, for every browser session at once.

A *view* is a `RagService` for one collection answering with one set of `AskOptions` (the
chat's settings panel); views share the root service's embedder, store connection, caches and
metrics, and only the root service is ever closed. The workspace also keeps uploaded PDFs so
that the page viewer can draw them (PDFs and scanned images), and the signed-in users'
conversations.
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ingest.formats.base import LoadOptions
from ingest.loaders import IMAGE_SUFFIXES, content_id
from rag.app.history import HistoryStore
from rag.app.metrics import Metrics
from rag.engine.options import AskOptions
from rag.engine.pages import RenderedPage, render_image, render_page
from rag.errors import (
    CollectionExists,
    CollectionProtected,
    ConfigError,
    no_such_collection,
    taken_in_other_case,
)
from rag.providers.generators.base import Generator
from rag.registry import make_generator
from rag.service import RagService
from rag.settings import COLLECTION_NAME, COLLECTION_RULE, Settings
from rag.stores.base import StoredDocument
from rag.types import source_name

MB = 1024 * 1024
_MOST_VIEWS = 64  # views and generators kept; the least recently made go first


class UploadLike(Protocol):
    """What the app hands over for each uploaded file (Streamlit's UploadedFile fits)."""

    name: str
    size: int

    def getvalue(self) -> bytes: ...


@dataclass(frozen=True)
class DocumentRow:
    """A line of the app's document table."""

    doc_id: str
    name: str
    title: str
    source: str
    pages: int | None  # PDFs only
    chunks: int
    ingested_at: str | None  # ISO 8601, UTC; None for documents stored before the field
    media_type: str
    summary: str | None = None  # with RAG_ENRICH: the chat model's summary and keywords
    keywords: tuple[str, ...] = ()

    @classmethod
    def from_payload(cls, p: dict) -> DocumentRow:
        source = str(p.get("source", ""))
        return cls(str(p.get("doc_id", "")), source_name(source),
                   str(p.get("title", "")), source, p.get("pages"), int(p.get("chunks", 0)),
                   p.get("ingested_at"), str(p.get("media_type", "")), p.get("summary"),
                   tuple(p.get("keywords") or ()))


#: The kinds of file the page viewer draws, by suffix.
DRAWABLE_SUFFIXES = (".pdf", *IMAGE_SUFFIXES)


def is_pdf(name: str, data: bytes) -> bool:
    return name.lower().endswith(".pdf") and b"%PDF" in data[:1024]


def drawable_suffix(name: str, data: bytes) -> str | None:
    """".pdf" or the image's suffix for a file the page viewer can draw, else None."""
    if is_pdf(name, data):
        return ".pdf"
    suffix = Path(name).suffix.lower()
    return suffix if suffix in IMAGE_SUFFIXES else None


def uploads_folder(settings: Settings) -> Path:
    """Where the uploads of this store's documents are kept for the page viewer: the data
    folder's `uploads` for the store that first kept them there (named in its `.store`), a
    folder of its own inside for any other (another engine, path or server on the same data
    folder): each engine removes at start the kept uploads its store does not hold, and must
    not remove those of a store it cannot see."""
    root = settings.data_dir / "uploads"
    store = settings.qdrant_url or (
        f"{settings.qdrant_engine}:{settings.resolved_qdrant_path.resolve()}")
    marker = root / ".store"
    try:
        owner = marker.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        owner = None
    except OSError:  # unreadable: the folder as before; the engine says what is wrong with it
        return root
    if owner is None:
        with suppress(OSError):  # a folder it cannot write: the ingest that keeps one says so
            root.mkdir(parents=True, exist_ok=True)
            marker.write_text(store, encoding="utf-8")
        return root
    if owner == store:
        return root
    return root / f"store-{hashlib.sha256(store.encode()).hexdigest()[:12]}"


class Workspace:
    """The root service and everything the app's sessions share around it.

    Usage:
        workspace = Workspace(build_service(settings))
        view = workspace.view("manuals", options)   # a RagService
        workspace.document_rows("manuals")
        workspace.close()
    """

    def __init__(self, service: RagService) -> None:
        self.service = service
        self.settings = service.settings
        self.default_collection = service.settings.collection
        self.default_options = AskOptions.defaults(service.settings)
        self.uploads = uploads_folder(service.settings)
        self._lock = threading.Lock()
        # a collection's creation, deletion and opening: each checked and done as one
        self._naming = threading.RLock()
        self._views: dict[tuple[str, AskOptions | None], RagService] = {}
        self._generators: dict[tuple, Generator] = {}
        self._history: HistoryStore | None = None

    @property
    def metrics(self) -> Metrics:
        return self.service.metrics

    @property
    def history(self) -> HistoryStore:
        """Stored conversations of signed-in users (opened on first use)."""
        with self._lock:
            if self._history is None:
                self._history = HistoryStore(self.settings.data_dir / "history.sqlite3")
            return self._history

    # --- views -----------------------------------------------------------------------------
    def view(self, collection: str | None = None,
             options: AskOptions | None = None) -> RagService:
        """The service for an existing `collection`, answering with `options` (ConfigError
        for one that does not exist: a view never makes one, or a question racing a delete
        would bring the collection back)."""
        name = collection or self.default_collection
        key = (name, options)
        found = self._views.get(key)  # without the lock, which every question would queue on
        if found is not None:
            return found
        root = self.service
        settings = options.apply(root.settings) if options else root.settings
        settings = settings.model_copy(update={"collection": name})
        store = root.store
        if name != store.collection:
            store = store.with_collection(name)
            with self._naming:  # checked and opened as one, against a delete
                if not store.exists():
                    raise no_such_collection(name, self.collections())
                store.ensure_collection()
        view = RagService(settings, root.embedder, store, self._generator(settings, options),
                          root.cache, root.metrics, root.reranker, root.content_filter,
                          root.budgets)
        with self._lock:
            _keep_recent(self._views)
            return self._views.setdefault(key, view)

    def _generator(self, settings: Settings, options: AskOptions | None) -> Generator:
        if options is None or options.generator_key == self.default_options.generator_key:
            return self.service.generator
        with self._lock:
            found = self._generators.get(options.generator_key)
        if found is not None:
            return found
        made = make_generator(settings, self.service.embedder)
        with self._lock:
            _keep_recent(self._generators)
            kept = self._generators.setdefault(options.generator_key, made)
        if kept is not made:
            made.close()
        return kept

    # --- collections -----------------------------------------------------------------------
    def collections(self) -> list[str]:
        """Every collection's name; the configured one first (it always exists). A folder of
        the embedded store named as no collection can be (`manuals.bak`, a copy made by hand)
        is not one: no door could open it."""
        default = self.default_collection
        return [default] + [n for n in self.service.store.collections()
                            if n != default and is_collection_name(n)]

    def has_collection(self, name: str) -> bool:
        """Whether the collection exists; asked by every question, so the configured one
        costs nothing and another one look. A name no collection can have is none, whatever
        the store holds under it."""
        return name == self.default_collection or (
            is_collection_name(name) and self.service.store.with_collection(name).exists())

    def made(self, name: str) -> int | None:
        """When the collection of this name was made (`Store.made`), or None when there is
        none: an ingest asked of one is not taken by another made since under its name."""
        if not self.has_collection(name):
            return None
        return self.service.store.with_collection(name).made()

    def create_collection(self, name: str) -> RagService:
        name = name.strip()
        check_collection_name(name)
        with self._naming:
            names = self.service.store.collections()
            if name in names:
                raise CollectionExists(f"A collection named '{name}' already exists.")
            if taken := taken_in_other_case(name, names):
                raise taken
            made = self.service.store.with_collection(name)
            made.ensure_collection()
            made.start_fresh_version()
            return self.view(name)  # before a delete can come between

    def delete_collection(self, name: str) -> None:
        if name == self.default_collection:
            raise CollectionProtected(f"'{name}' is the configured collection (RAG_COLLECTION) "
                                      "and cannot be deleted here; delete its documents "
                                      "instead.")
        store = self.service.store
        # found and dropped as one: a delete or a create between would have this one drop
        # a collection it never saw (made again meanwhile, and reported made)
        with self._naming:
            names = store.collections()
            if name not in names:
                raise no_such_collection(name, names)
            with self._lock:
                for key in [k for k in self._views if k[0] == name]:
                    del self._views[key]
            held = {p["doc_id"] for p in store.with_collection(name).document_payloads()}
            store.with_collection(name).drop()
        self.forget_uploads(held)

    def holds(self, doc_id: str) -> bool:
        """Whether any collection holds the document."""
        store = self.service.store
        return any(store.with_collection(n).holds(doc_id) for n in self.collections())

    def holds_source(self, source: str) -> bool:
        """Whether any collection holds a document stored under this path (or upload name)."""
        store = self.service.store
        return any(store.with_collection(n).live_at(source) is not None
                   for n in self.collections())

    def forget_uploads(self, doc_ids: set[str]) -> None:
        """Remove the kept uploads of these documents that no collection holds any more."""
        for doc_id in doc_ids:
            if not self.holds(doc_id):
                for suffix in DRAWABLE_SUFFIXES:
                    (self.uploads / f"{doc_id}{suffix}").unlink(missing_ok=True)

    def forget_unheld_uploads(self) -> None:
        """Remove every kept upload no collection holds: left by a version replaced, or a
        collection deleted, while the engine was down or before their removal was kept up.
        Run by the ingest worker, so that no ingest keeps a file meanwhile."""
        if self.uploads.is_dir():
            self.forget_uploads({path.name.split(".", 1)[0] for path in self.uploads.iterdir()
                                 if path.suffix.lower() in DRAWABLE_SUFFIXES})

    # --- documents -------------------------------------------------------------------------
    def document_rows(self, collection: str | None = None) -> list[DocumentRow]:
        store = self.view(collection).store
        return [DocumentRow.from_payload(p) for p in store.document_payloads()]

    def keep_original(self, doc_id: str, data: bytes, suffix: str = ".pdf") -> None:
        """Keep an uploaded PDF or image so that the page viewer can draw it."""
        path = self.uploads / f"{doc_id}{suffix}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{threading.get_ident()}.part")
            try:
                tmp.write_bytes(data)
                tmp.replace(path)
            finally:
                tmp.unlink(missing_ok=True)  # a copy cut short by a full disk is no copy

    def delete_document(self, collection: str | None, doc_id: str) -> list[StoredDocument]:
        """Delete a document, and its kept upload when no collection holds it any more."""
        removed = self.view(collection).delete(doc_id)
        self.forget_uploads({d.doc_id for d in removed})
        return removed

    # --- the page viewer -------------------------------------------------------------------
    def original_pdf(self, doc_id: str, source: str) -> tuple[bytes | None, str | None]:
        """The PDF or image a passage came from, or None and why it cannot be shown (None: a
        file the viewer does not draw)."""
        suffix = Path(source).suffix.lower()
        if suffix not in DRAWABLE_SUFFIXES:
            return None, None
        if source.startswith("upload:"):
            path = self.uploads / f"{doc_id}{suffix}"
            if not path.exists():
                return None, ("The uploaded file was not kept (it was uploaded before the app "
                              "kept it); upload it again to see its pages.")
            return path.read_bytes(), None
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            return None, f"{source} cannot be read here ({exc.strerror or exc})."
        if content_id(data) != doc_id:
            return None, f"{source} has changed since it was ingested; ingest it again."
        return data, None

    def source_page(self, doc_id: str, source: str, page: int,
                    passage: str) -> tuple[RenderedPage | None, str | None]:
        """The cited page drawn with the passage highlighted, or None and the reason."""
        data, reason = self.original_pdf(doc_id, source)
        if data is None:
            return None, reason
        options = LoadOptions.from_settings(self.settings)
        try:
            if Path(source).suffix.lower() in IMAGE_SUFFIXES:
                return render_image(data, page, passage, options), None
            return render_page(data, page, passage, options=options), None
        except Exception as exc:  # a page pdfium cannot draw must not break the chat
            return None, f"The page could not be drawn ({type(exc).__name__}: {exc})."

    def close(self) -> None:
        """Close the root service, the generators made for other options, and the history."""
        with self._lock:
            generators = list(self._generators.values())
            self._generators.clear()
            self._views.clear()
        for generator in generators:
            generator.close()
        if self._history is not None:
            self._history.close()
        self.service.close()


def is_collection_name(name: str) -> bool:
    """Whether a collection may be named `name` (COLLECTION_RULE). A folder of the embedded
    store named otherwise (`manuals.bak`, copied by hand), or a name longer than a file
    name may be, is none."""
    return COLLECTION_NAME.fullmatch(name) is not None


def check_collection_name(name: str) -> None:
    """ConfigError unless a collection may be named `name`: checked wherever one is named,
    before the store is asked."""
    if not is_collection_name(name):
        raise ConfigError(f"'{name}' is not a valid collection name: {COLLECTION_RULE}.")


def _keep_recent(cache: dict) -> None:
    while len(cache) >= _MOST_VIEWS:
        cache.pop(next(iter(cache)))
