"""The core every door shares: a library of documents, and questions asked of it.

`build_service(settings)` wires the configured parts (see `registry`); the CLI, the app and
the tests all build the service this way, tests injecting the parts they replace.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from ingest.pipeline import FileResult, IngestPipeline, IngestReport
from rag.answering.answerer import Answerer
from rag.app.logs import configure_logging
from rag.app.metrics import Metrics, Outcome, RequestRecord, timed
from rag.providers.embedders.base import Embedder
from rag.providers.generators.base import Generator
from rag.providers.rerankers.base import Reranker
from rag.registry import make_embedder, make_generator, make_reranker, make_store
from rag.retrieval.cache import Cache
from rag.retrieval.retriever import Retriever
from rag.settings import Settings
from rag.stores.base import ChunkStore, StoredDocument
from rag.types import Answer, Hit, SearchMode

log = logging.getLogger(__name__)


@dataclass
class RagService:
    """One collection, its embedder and its generator.

    Usage:
        service = build_service(load_settings())
        service.ingest([Path("manuals/")])
        answer = service.ask("How do I reset the device?")
        for delta in answer: print(delta, end="")
        answer.citations[0].source, answer.citations[0].page
        service.close()
    """

    settings: Settings
    embedder: Embedder
    store: ChunkStore
    generator: Generator
    cache: Cache
    metrics: Metrics
    reranker: Reranker | None = None

    def __post_init__(self) -> None:
        self.retriever = Retriever(self.embedder, self.store, self.settings.search_mode,
                                   self.cache, self.reranker, self.settings.rerank_candidates,
                                   self._rescore())
        self.answerer = Answerer(self.retriever, self.generator, self.cache)
        self.pipeline = IngestPipeline(self.embedder, self.store, self.settings.chunk_tokens,
                                       self.settings.chunk_overlap,
                                       self.settings.upsert_batch_size)

    def _rescore(self) -> bool:
        mode = self.settings.sentence_rescore
        return mode == "on" or (mode == "auto" and self.embedder.runs_locally)

    # --- library ---------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path],
               on_file: Callable[[FileResult], None] | None = None) -> IngestReport:
        report = self.pipeline.ingest_paths(paths, on_file)
        if report.totals()["ingested"]:
            self.store.bump_version()
        return report

    def ingest_bytes(self, name: str, data: bytes, source: str) -> FileResult:
        """A file's bytes (a browser or API upload) stored under `source`."""
        result = self.pipeline.ingest_bytes(Path(name), data, source)
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

        Every question is timed and recorded in `metrics` once its stream ends: latency, time
        to first token, and how it ended (ok, error, or stopped by the reader).
        """
        started = time.monotonic()
        try:
            answer = self.answerer.ask(question, top_k or self.settings.top_k, history)
        except Exception as exc:
            self._record(None, "error", (time.monotonic() - started) * 1000, None, str(exc),
                         session, user)
            raise

        def on_end(outcome: Outcome, latency_ms: float, ttft_ms: float | None,
                   error: str | None) -> None:
            answer.latency_ms = round(latency_ms, 1)
            answer.ttft_ms = None if ttft_ms is None else round(ttft_ms, 1)
            self._record(answer, outcome, latency_ms, ttft_ms, error, session, user)

        answer.deltas = timed(answer.deltas, started, on_end)
        return answer

    def _record(self, answer: Answer | None, outcome: Outcome, latency_ms: float,
                ttft_ms: float | None, error: str | None, session: str | None,
                user: str | None) -> None:
        """One question in the metrics; a failure to record never fails the answer."""
        neurons = answer.record.neurons if answer and not answer.cached else None
        record = RequestRecord(
            ts=time.time(), outcome=outcome, latency_ms=latency_ms, ttft_ms=ttft_ms,
            cached=bool(answer and answer.cached),
            generator=answer.generator if answer else self.generator.name,
            model=answer.record.model if answer else "", neurons=neurons, user=user,
            session=session, collection=self.store.collection, error=error)
        try:
            self.metrics.record(record)
        except Exception:
            log.exception("could not record request metrics")

    def close(self) -> None:
        """Close every part this service was built with (not for views sharing them)."""
        self.store.close()
        self.cache.close()
        self.metrics.close()
        for part in (self.embedder, self.generator, self.reranker):
            if part is not None:
                part.close()


def build_service(settings: Settings, *, embedder: Embedder | None = None,
                  generator: Generator | None = None, store: ChunkStore | None = None,
                  transport: httpx.BaseTransport | None = None) -> RagService:
    """Wire the configured parts, or the ones given, and open (or create) the collection.

    `transport` is handed to every remote provider's HTTP client (tests use it to reach a
    stand-in without a network). Parts given are closed with the service like the others.
    """
    configure_logging(settings.resolved_log_file, settings.log_level)
    reranker = make_reranker(settings, transport)  # first: a ConfigError leaves nothing open
    embedder = embedder or make_embedder(settings, transport)
    store = store or make_store(settings, embedder)
    try:
        store.ensure_collection()
    except Exception:
        store.close()
        raise
    return RagService(
        settings, embedder, store,
        generator or make_generator(settings, embedder, transport),
        Cache(settings.resolved_cache_dir, settings.cache_ttl_seconds, settings.cache),
        Metrics(settings.data_dir / "metrics.sqlite3"), reranker,
    )
