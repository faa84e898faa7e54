"""The one object the CLI and the UI share: ingest, search, ask, list and delete documents.

`build_service(settings)` wires the configured embedder, store and generator together; the
shells (CLI, Streamlit) only call its methods and print what they return.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ingest.loaders import content_id
from ingest.pipeline import FileResult, IngestPipeline, IngestReport
from rag.ai.cost import CostTracker
from rag.cache import Cache, make_key, normalise_question
from rag.citations import CitationChecker
from rag.conversation import HistoryStore, file_name
from rag.embedders.base import Embedder
from rag.errors import ConfigError
from rag.followup import standalone_question
from rag.generators.base import GenerationRequest, Generator
from rag.logs import configure_logging
from rag.metrics import Metrics, RequestRecord, timed
from rag.options import AskOptions
from rag.pages import RenderedPage, render_page
from rag.ratelimit import RateLimiter
from rag.registry import make_embedder, make_generator, make_store
from rag.rerank import Reranker, make_reranker
from rag.retriever import Retriever
from rag.settings import Settings
from rag.store_base import ChunkStore, SearchMode, StoredDocument
from rag.types import Answer, GenerationRecord, Hit

log = logging.getLogger(__name__)

NOTHING_FOUND = (
    "I found nothing in your documents that matches this question. Ingest documents first "
    "(`rag ingest PATH`, or upload them in the app), or rephrase the question."
)


@dataclass
class RagService:
    settings: Settings
    embedder: Embedder
    store: ChunkStore
    generator: Generator
    cache: Cache = field(default_factory=lambda: Cache(Path("."), 0, enabled=False))
    costs: CostTracker = field(default_factory=CostTracker)
    reranker: Reranker | None = None  # RAG_RERANK; search, ask, the app all retrieve through it

    def __post_init__(self) -> None:
        self.retriever = Retriever(self.embedder, self.store, self.settings.search_mode,
                                   self.cache, self.reranker, self.settings.rerank_candidates)
        self.pipeline = IngestPipeline(
            self.embedder, self.store, self.settings.chunk_tokens, self.settings.chunk_overlap,
            self.settings.upsert_batch_size,
        )

    # --- library ---------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path],
               on_file: Callable[[FileResult], None] | None = None) -> IngestReport:
        report = self.pipeline.ingest_paths(paths, on_file)
        if report.totals()["ingested"]:
            self.store.bump_version()
        return report

    def ingest_upload(self, name: str, data: bytes) -> FileResult:
        result = self.pipeline.ingest_bytes(Path(name), data, source=f"upload:{name}")
        if result.status == "ingested":
            self.store.bump_version()
        return result

    def documents(self) -> list[StoredDocument]:
        return self.store.documents()

    def delete(self, doc_id_or_source: str) -> list[StoredDocument]:
        removed = self.store.delete(doc_id_or_source)
        if removed:
            self.store.bump_version()
        return removed

    # --- questions -------------------------------------------------------------------------
    def search(self, query: str, top_k: int | None = None, mode: SearchMode | None = None,
               doc_id: str | None = None, source: str | None = None) -> list[Hit]:
        return self.retriever.search(query, top_k or self.settings.top_k, mode, doc_id, source)

    def ask(self, question: str, top_k: int | None = None,
            history: list[dict[str, str]] | None = None, *, session: str | None = None,
            user: str | None = None) -> Answer:
        """Retrieve, then stream an answer that cites the retrieved passages by number.

        A follow-up is first made standalone; an identical question on an unchanged library
        is answered from the cache (still streamed, and marked cached). Every question is
        timed and counted in `metrics` (issue 5): latency, time to first token, outcome.
        """
        started = time.monotonic()  # issue 5: metrics hook
        try:
            answer = self._ask(question, top_k, history, session=session, user=user)
        except Exception as exc:
            self._count(None, started, "error", None, str(exc), session, user)
            raise
        return self._timed(answer, started, session, user)

    def _ask(self, question: str, top_k: int | None = None,
             history: list[dict[str, str]] | None = None, *, session: str | None = None,
             user: str | None = None) -> Answer:
        history = list(history or [])
        k = top_k or self.settings.top_k
        query = standalone_question(question, history, self.generator)
        key = self._answer_key(question, query, k, history)
        cached = self.cache.get(key)
        if cached is not None:
            return _replay(cached, self.generator.name)
        retrieval = self.retriever.retrieve(query, k)
        hits = retrieval.hits
        record = GenerationRecord()
        record.usage["query"] = query
        if not hits:
            record.model = "none"
            return Answer(iter([NOTHING_FOUND]), [], self.generator.name, record)
        request = GenerationRequest(question, hits, history)
        checker = CitationChecker(len(hits))
        answer = Answer(iter(()), hits, self.generator.name, record)
        key_or_none = None if retrieval.rerank_failed else key  # fused order: don't keep it
        answer.deltas = self._finish(answer, checker.filter(self.generator.stream(request, record)),
                                     checker, key_or_none, session, user)
        return answer

    def _finish(self, answer: Answer, deltas: Iterator[str], checker: CitationChecker,
                key: str | None, session: str | None, user: str | None) -> Iterator[str]:
        """Pass the deltas through, then do the bookkeeping once the stream has ended.

        `key` None: the answer is not cached (it was made from unreranked hits).
        """
        parts = []
        for delta in deltas:
            parts.append(delta)
            yield delta
        record = answer.record
        record.usage["cited"] = sorted(checker.cited)
        record.usage["dropped_citations"] = checker.dropped
        self.costs.add(record.usage.get("neurons"), session=session, user=user)
        if key is not None and (record.notice is None or self.generator.name == "extractive"):
            self.cache.set(key, {
                "text": "".join(parts), "citations": [h.as_json() for h in answer.citations],
                "model": record.model, "usage": dict(record.usage), "notice": record.notice,
            })

    def _answer_key(self, question: str, query: str, k: int,
                    history: list[dict[str, str]]) -> str:
        s = self.settings
        model = {"extractive": s.answer_sentences, "workers-ai": s.workers_ai_chat_model,
                 "openai": s.openai_chat_model}.get(self.generator.name)
        asked = [normalise_question(t["content"]) for t in history if t.get("role") == "user"]
        rerank = self.retriever.rerank_key  # added only when on: keys without it stay valid
        return make_key("answer", s.collection, self.store.version(), self.embedder.name,
                        self.generator.name, model, s.search_mode, k,
                        normalise_question(question), normalise_question(query), asked,
                        *([rerank] if rerank else []))

    def close(self) -> None:
        self.store.close()
        self.cache.close()
        app = self.__dict__.get("_app_state")
        if app is not None:
            app.close()
        for part in (self.embedder, self.generator, self.reranker):
            http = getattr(part, "http", None)
            if http is not None:
                http.close()

    # --- app support (issue 5) ---
    # A *view* is a RagService for another collection and/or other answer options (the app's
    # settings panel). It shares this service's embedder, Qdrant client, caches, cost tracker
    # and metrics; only the service made by build_service is ever closed.

    @property
    def _app(self) -> _AppState:
        state = self.__dict__.get("_app_state")
        if state is None:
            state = self.__dict__["_app_state"] = _AppState(self.settings)
        return state

    @property
    def metrics(self) -> Metrics:
        return self._app.metrics

    @property
    def history(self) -> HistoryStore:
        """Stored conversations of signed-in users."""
        return self._app.history

    def _timed(self, answer: Answer, started: float, session: str | None,
               user: str | None) -> Answer:
        def on_end(outcome: str, latency_ms: float, ttft_ms: float | None,
                   error: str | None) -> None:
            answer.record.usage["latency_ms"] = round(latency_ms, 1)
            answer.record.usage["ttft_ms"] = None if ttft_ms is None else round(ttft_ms, 1)
            self._count(answer, started, outcome, ttft_ms, error, session, user, latency_ms)

        answer.deltas = timed(answer.deltas, started, on_end)
        return answer

    def _count(self, answer: Answer | None, started: float, outcome: str,
               ttft_ms: float | None, error: str | None, session: str | None,
               user: str | None, latency_ms: float | None = None) -> None:
        """Record one question in the metrics; a failure to record never fails the answer."""
        usage = answer.record.usage if answer else {}
        neurons = usage.get("neurons") if answer and not answer.cached else None
        if latency_ms is None:
            latency_ms = (time.monotonic() - started) * 1000
        record = RequestRecord(
            ts=time.time(), outcome=outcome, latency_ms=latency_ms,  # type: ignore[arg-type]
            ttft_ms=ttft_ms, cached=bool(answer and answer.cached),
            generator=answer.generator if answer else self.generator.name,
            model=answer.record.model if answer else "",
            neurons=float(neurons) if isinstance(neurons, (int, float)) else None,
            user=user, session=session, collection=self.store.collection, error=error)
        try:
            self.metrics.record(record)
        except Exception:
            log.exception("could not record request metrics")

    def view(self, collection: str | None = None,
             options: AskOptions | None = None) -> RagService:
        """This service for `collection` (created if missing), answering with `options`."""
        name = collection or self.settings.collection
        app = self._app
        key = (name, options)
        with app.lock:
            found = app.views.get(key)
        if found is not None:
            return found
        settings = options.apply(self.settings) if options else self.settings
        settings = settings.model_copy(update={"collection": name})
        if name == self.store.collection:
            store = self.store
        else:
            store = self.store.with_collection(name)
            store.ensure_collection()
        generator = self.generator
        if options is not None and options.generator_key != app.default_options.generator_key:
            with app.lock:
                found_generator = app.generators.get(options.generator_key)
            generator = found_generator or make_generator(settings, self.embedder)
            with app.lock:
                generator = app.generators.setdefault(options.generator_key, generator)
        view = RagService(settings, self.embedder, store, generator, self.cache, self.costs,
                          self.reranker)
        view.__dict__["_app_state"] = app
        with app.lock:
            for cache in (app.views, app.generators):  # keep the most recent few
                while len(cache) > 64:
                    cache.pop(next(iter(cache)))
            return app.views.setdefault(key, view)

    def collections(self) -> list[str]:
        """Every collection's name; the configured one first (it always exists)."""
        default = self._app.default_collection
        return [default] + [n for n in self.store.collections() if n != default]

    def create_collection(self, name: str) -> RagService:
        name = name.strip()
        if not COLLECTION_NAME.fullmatch(name):
            raise ConfigError(f"'{name}' is not a valid collection name: use 1 to 63 letters, "
                              f"digits, '-' or '_', starting with a letter or digit.")
        if name in self.store.collections():
            raise ConfigError(f"A collection named '{name}' already exists.")
        view = self.view(name)
        # a new collection's answer-cache version starts where no earlier one of that name was
        view.store.set_version(time.time_ns() // 1000)
        return view

    def delete_collection(self, name: str) -> None:
        if name == self._app.default_collection:
            raise ConfigError(f"'{name}' is the configured collection (RAG_COLLECTION) and "
                              f"cannot be deleted here; delete its documents instead.")
        if name not in self.store.collections():
            raise ConfigError(f"There is no collection named '{name}'.")
        with self._app.lock:
            for key in [k for k in self._app.views if k[0] == name]:
                del self._app.views[key]
        self.store.with_collection(name).drop()

    def document_rows(self) -> list[DocumentRow]:
        return [DocumentRow.from_payload(p) for p in self.store.document_payloads()]

    def ingest_files(self, files: Iterable[UploadLike],
                     on_file: Callable[[int, FileResult], None] | None = None
                     ) -> list[FileResult]:
        """Ingest browser uploads one by one; the size limit is checked before a file is read.

        PDFs that are in the library afterwards are kept under `<data dir>/uploads` so the app
        can show their pages. `on_file(i, result)` is called after each file.
        """
        limit_mb = self.settings.upload_max_mb
        results = []
        for i, f in enumerate(files):
            if f.size > limit_mb * MB:
                result = FileResult(f"upload:{f.name}", "failed", error=(
                    f"{f.name}: {f.size / MB:.1f} MB is over the {limit_mb} MB upload limit "
                    f"(RAG_UPLOAD_MAX_MB)"))
            else:
                data = f.getvalue()
                result = self.ingest_upload(f.name, data)
                if result.doc_id and result.status != "failed" and is_pdf(f.name, data):
                    self._keep_original(result.doc_id, data)
            results.append(result)
            if on_file:
                on_file(i, result)
        return results

    def _keep_original(self, doc_id: str, data: bytes) -> None:
        path = self._app.uploads / f"{doc_id}.pdf"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{threading.get_ident()}.part")
            tmp.write_bytes(data)
            tmp.replace(path)

    def delete_document(self, doc_id: str) -> list[StoredDocument]:
        """Delete a document, and its kept upload when no collection holds it any more."""
        removed = self.delete(doc_id)
        held = any(self.store.with_collection(name).holds(doc_id)
                   for name in self.store.collections())
        if not held:
            (self._app.uploads / f"{doc_id}.pdf").unlink(missing_ok=True)
        return removed

    def original_pdf(self, doc_id: str, source: str) -> tuple[bytes | None, str | None]:
        """The PDF a passage came from, or None and why it cannot be shown (None: not a PDF)."""
        if source.startswith("upload:"):
            path = self._app.uploads / f"{doc_id}.pdf"
            if not path.exists():
                if not source.lower().endswith(".pdf"):
                    return None, None
                return None, ("The uploaded PDF was not kept (it was uploaded before the app "
                              "kept PDFs); upload it again to see its pages.")
            return path.read_bytes(), None
        path = Path(source)
        if path.suffix.lower() != ".pdf":
            return None, None
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
        try:
            return render_page(data, page, passage), None
        except Exception as exc:  # a page pdfium cannot draw must not break the chat
            return None, f"The page could not be drawn ({type(exc).__name__}: {exc})."

    def admit(self, identity: str) -> float:
        """0 when `identity` may ask now (and counts the question), else seconds to wait."""
        return self._app.limiter.acquire(identity)


# --- app support (issue 5): helpers of the section at the end of RagService ---
MB = 1024 * 1024
COLLECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")


class UploadLike(Protocol):
    """What the app hands over for each uploaded file (Streamlit's UploadedFile fits)."""

    name: str
    size: int

    def getvalue(self) -> bytes: ...


def is_pdf(name: str, data: bytes) -> bool:
    return name.lower().endswith(".pdf") and b"%PDF" in data[:1024]


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

    @classmethod
    def from_payload(cls, p: dict) -> DocumentRow:
        source = str(p.get("source", ""))
        return cls(str(p.get("doc_id", "")), file_name(source),
                   str(p.get("title", "")), source, p.get("pages"), int(p.get("chunks", 0)),
                   p.get("ingested_at"), str(p.get("media_type", "")))


class _AppState:
    """What a service and its views share for the app: metrics, limits, history, views."""

    def __init__(self, settings: Settings) -> None:
        self.lock = threading.Lock()
        self.metrics = Metrics(settings.data_dir / "metrics.sqlite3")
        self.limiter = RateLimiter(settings.app_rate_limit_per_minute)
        self.uploads = settings.data_dir / "uploads"
        self.default_collection = settings.collection
        self.default_options = AskOptions.defaults(settings)
        self.views: dict[tuple[str, AskOptions | None], RagService] = {}
        self.generators: dict[tuple, Generator] = {}
        self._history: HistoryStore | None = None
        self._data_dir = settings.data_dir

    @property
    def history(self) -> HistoryStore:
        with self.lock:
            if self._history is None:
                self._history = HistoryStore(self._data_dir / "history.sqlite3")
            return self._history

    def close(self) -> None:
        """Close the databases (a clean close also folds SQLite's write-ahead log back in)."""
        self.metrics.close()
        if self._history is not None:
            self._history.close()
# --- end app support helpers (issue 5) ---


def _replay(cached: dict, generator: str) -> Answer:
    """A cached answer, streamed word by word like a fresh one."""
    record = GenerationRecord(model=cached["model"], usage=dict(cached["usage"]),
                              notice=cached["notice"])
    citations = [Hit(**c) for c in cached["citations"]]
    words = re.findall(r"\s*\S+", cached["text"])
    return Answer(iter(words), citations, generator, record, cached=True)


def build_service(settings: Settings) -> RagService:
    """Wire the configured parts; opens (and if needed creates) the collection."""
    configure_logging(settings.resolved_log_file, settings.log_level)
    reranker = make_reranker(settings)  # checked first: a ConfigError leaves nothing open
    embedder = make_embedder(settings)
    store = make_store(settings, embedder)
    try:
        store.ensure_collection()
    except Exception:
        store.close()
        raise
    cache = Cache(settings.resolved_cache_dir, settings.cache_ttl_seconds, settings.cache)
    return RagService(settings, embedder, store, make_generator(settings, embedder), cache,
                      reranker=reranker)
