"""The core every door shares: a library of documents, and questions asked of it.

`build_service(settings)` wires the configured parts (see `registry`); the CLI, the app and
the tests all build the service this way, tests injecting the parts they replace.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx

from ingest.enrich import Enricher
from ingest.formats.base import LoadOptions
from ingest.parse_ahead import SourceFile
from ingest.pipeline import FileResult, IngestPipeline, IngestReport, Progress
from rag.answering.answerer import Answerer
from rag.answering.budget import Budgets, Spending, answer_estimate
from rag.answering.strategies import StrategyConfig
from rag.app.context import enter_scope, in_scope, request_scope
from rag.app.logs import configure_logging
from rag.app.metrics import Metrics, Outcome, RequestRecord, timed
from rag.errors import (
    EMPTY_QUERY,
    EMPTY_QUESTION,
    QUESTION_CHARS,
    ContentBlocked,
    EmptyQuestion,
    ReaderGone,
    no_such_collection,
    taken_in_other_case,
    too_long_to_ask,
)
from rag.guard.filter import ContentFilter, flag_passages
from rag.providers.embedders.base import Embedder
from rag.providers.generators.base import Generator
from rag.providers.http.deadline import start_question_deadline
from rag.providers.rerankers.base import Reranker
from rag.providers.state import state_for
from rag.registry import (
    GENERATORS,
    make_embedder,
    make_generator,
    make_guard,
    make_reranker,
    make_store,
)
from rag.retrieval.cache import Cache
from rag.retrieval.retriever import Retriever
from rag.settings import AnswerStrategy, Settings, make_folders
from rag.stores.base import ChunkStore, StoredDocument
from rag.text.sanitize import clean
from rag.types import Answer, Hit, SearchMode, SearchResult

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
    content_filter: ContentFilter | None = None  # None: questions are cleaned, not filtered
    budgets: Budgets = field(default_factory=lambda: Budgets(None, None))

    def __post_init__(self) -> None:
        self.retriever = Retriever(self.embedder, self.store, self.settings.search_mode,
                                   self.cache, self.reranker, self.settings.rerank_candidates,
                                   self._rescore())
        # the last resort quotes the passages when no model can answer
        self.last_resort = (self.generator if self.generator.name == "extractive"
                            else GENERATORS["extractive"](self.settings, self.embedder, None))
        self.answerer = Answerer(self.retriever, self.generator, self.cache, self.last_resort,
                                 StrategyConfig.from_settings(self.settings),
                                 self.content_filter)
        self.spending = Spending(self.metrics, self.budgets)
        self.pipeline = IngestPipeline(self.embedder, self.store, self.settings.chunk_tokens,
                                       self.settings.chunk_overlap,
                                       self.settings.upsert_batch_size,
                                       LoadOptions.from_settings(self.settings))
        if self.settings.enrich and self.generator.name != "extractive":
            self.pipeline.enricher = Enricher(self.generator, self.pipeline.chunker,
                                              self.settings.enrich_concurrency)

    def _rescore(self) -> bool:
        mode = self.settings.sentence_rescore
        return mode == "on" or (mode == "auto" and self.embedder.runs_locally)

    # --- library ---------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path],
               on_file: Callable[[FileResult], None] | None = None, *,
               user: str | None = None) -> IngestReport:
        """Files and folders (recursive), each stored under its path; what folders held but
        could not be read is in the report's `skipped`. Remote embeddings are charged to
        `user`."""
        self.check_ingest_budget(user)
        with request_scope(user, self.spending):
            return self._changing(lambda heard: self.pipeline.ingest_paths(paths, heard),
                                  on_file)

    def ingest_files(self, files: list[SourceFile],
                     on_file: Callable[[FileResult], None] | None = None,
                     on_progress: Callable[[Progress], None] | None = None,
                     cancel: threading.Event | None = None, *,
                     user: str | None = None) -> IngestReport:
        """Files each stored under its own source (an upload spooled to disk keeps
        `upload:NAME`); see `IngestPipeline.ingest_files` for progress and cancelling.
        The neurons a remote embedder spends are charged to `user`."""
        self.check_ingest_budget(user)
        with request_scope(user, self.spending):
            return self._changing(lambda heard: self.pipeline.ingest_files(
                files, heard, on_progress, cancel), on_file)

    def check_ingest_budget(self, user: str | None) -> None:
        """Refuse (RateLimited, until 00:00 UTC) an ingest by a user whose daily budget is
        spent, when its embeddings would be paid for; one begun under the budget ends."""
        if not self.embedder.runs_locally and (refused := self.budgets.ingest_refusal(user)):
            raise refused

    def _changing(self, ingest: Callable[[Callable[[FileResult], None]], IngestReport],
                  on_file: Callable[[FileResult], None] | None) -> IngestReport:
        """Run an ingest; once anything was stored, the collection's version moves on, even
        when the ingest was stopped, so that no cached answer outlives what it stored."""
        stored: list[bool] = []

        def heard(result: FileResult) -> None:
            if result.status == "ingested":
                stored.append(True)
            if on_file:
                on_file(result)

        try:
            return ingest(heard)
        finally:
            if stored:
                self.store.bump_version()

    def ingest_bytes(self, name: str, data: bytes, source: str, *,
                     user: str | None = None) -> FileResult:
        """A file's bytes (a browser or API upload) stored under `source`."""
        self.check_ingest_budget(user)
        with request_scope(user, self.spending):
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
               doc_id: str | None = None, source: str | None = None, *,
               user: str | None = None) -> list[Hit]:
        """`find`'s passages."""
        return self.find(query, top_k, mode, doc_id, source, user=user).hits

    def find(self, query: str, top_k: int | None = None, mode: SearchMode | None = None,
             doc_id: str | None = None, source: str | None = None, *,
             user: str | None = None) -> SearchResult:
        """The best-matching passages, each flagged with the instruction-like text it holds
        as an answer's citations are, and the query they were found for; a remote query
        embedding is charged to `user`."""
        query = self.searchable(query, mode)
        with request_scope(user, self.spending):
            found = self.retriever.retrieve(query, top_k or self.settings.top_k, mode,
                                            doc_id, source)
            unheld = self.retriever.unheld(found.respelt or query, found.hits)
        return SearchResult(flag_passages(found.hits), found.respelt or query, unheld)

    def searchable(self, query: str, mode: SearchMode | None = None) -> str:
        """The query as `find` searches it (read as the documents were), or the reason it
        cannot be searched: too long, nothing to search, or longer than the embedding model
        reads in `mode`. Blocking (a tokenizer): a door asks it before it counts the search
        against a limit."""
        if len(query) > QUESTION_CHARS:
            raise too_long_to_ask("query", len(query))
        query = clean(query, tidy_spaces=True).text
        if not query:
            raise EmptyQuestion(EMPTY_QUERY)
        if (mode or self.retriever.mode) != "sparse":
            self.embedder.check_query(query, "query")  # the search would call it a question
        return query

    def askable(self, question: str, strategy: AnswerStrategy | None = None) -> None:
        """Refuse a question that cannot be asked: too long, nothing to ask, or too long for
        the context window of a model that would answer it (with `strategy`) even with no
        passage beside it. Blocking (a tokenizer): a door asks it before it counts the
        question against a limit."""
        if len(question) > QUESTION_CHARS:
            raise too_long_to_ask("question", len(question))
        question = clean(question, tidy_spaces=True).text  # as the guard hands it on
        if not question:
            raise EmptyQuestion(EMPTY_QUESTION)
        self.answerer.check_question(question, strategy)

    def ask(self, question: str, top_k: int | None = None,
            history: list[dict[str, str]] | None = None, *, session: str | None = None,
            user: str | None = None, strategy: AnswerStrategy | None = None,
            reader_gone: threading.Event | None = None) -> Answer:
        """Retrieve, then stream an answer that cites the retrieved passages by number.

        Every question is timed and recorded in `metrics` once its stream ends: latency, time
        to first token, and how it ended (ok, degraded, interrupted, error, blocked by the
        content filter, or stopped by the reader); a blocked question raises ContentBlocked. It
        runs as one request of `user` (`app.context`): its log records carry the request id,
        and its AI calls are charged to the user's budget, whichever thread reads the stream.
        `reader_gone`, set by a reader who leaves before the answer is ready (a follow-up's
        rewrite by the model comes first), ends the work with ReaderGone; it is the answer's
        own event after that (`Answer.abandon`). A question that cannot be asked (`askable`)
        is refused before it counts, as a search is.
        """
        self.askable(question, strategy)
        started = time.monotonic()
        context = contextvars.copy_context()
        scope = context.run(enter_scope, user, self.spending)
        # every AI call of the question, its stream's included, takes what is left of one
        context.run(start_question_deadline, self.settings.ai_deadline_seconds)
        top_k = top_k or self.settings.top_k
        estimate = answer_estimate(self.answerer.drafting_models(strategy), top_k,
                                   self.settings.chunk_tokens, self.settings.ai_max_tokens)
        over_budget, release_hold = context.run(self.budgets.admit, user, estimate)
        try:
            answer = context.run(self.answerer.ask, question, top_k, history,
                                 strategy=strategy, over_budget=over_budget,
                                 reader_gone=reader_gone)
        except (Exception, ReaderGone) as exc:
            release_hold()
            blocked = exc if isinstance(exc, ContentBlocked) else None
            outcome = "stopped" if isinstance(exc, ReaderGone) else \
                "blocked" if blocked else "error"
            context.run(self._record, None, outcome, (time.monotonic() - started) * 1000,
                        None, None if outcome == "stopped" else str(exc), session, user,
                        scope.request_id, blocked)
            raise
        answer.request_id = scope.request_id

        def on_end(outcome: Outcome, latency_ms: float, ttft_ms: float | None,
                   error: str | None) -> None:
            release_hold()
            answer.latency_ms = round(latency_ms, 1)
            answer.ttft_ms = None if ttft_ms is None else round(ttft_ms, 1)
            if outcome == "ok" and answer.record.interrupted:
                outcome = "interrupted"
            elif outcome == "ok" and answer.degraded:
                outcome = "degraded"
            self._record(answer, outcome, latency_ms, ttft_ms, error, session, user,
                         scope.request_id)

        answer.deltas = in_scope(context, timed(answer.deltas, started, on_end))
        return answer

    def _record(self, answer: Answer | None, outcome: Outcome, latency_ms: float,
                ttft_ms: float | None, error: str | None, session: str | None,
                user: str | None, request_id: str | None = None,
                blocked: ContentBlocked | None = None) -> None:
        """One question in the metrics; a failure to record never fails the answer."""
        # the answer's own; the content filter's checks are AI calls, in the call ledger
        neurons = answer.record.neurons if answer and not answer.cached else None
        category = blocked.category if blocked else (answer.record.blocked if answer else None)
        record = RequestRecord(
            ts=time.time(), outcome=outcome, latency_ms=latency_ms, ttft_ms=ttft_ms,
            cached=bool(answer and answer.cached),
            generator=answer.generator if answer else self.generator.name,
            model=answer.record.model if answer else "", neurons=neurons, user=user,
            session=session, collection=self.store.collection, error=error,
            blocked_category=category,
            gateway_hit=bool(answer and not answer.cached
                             and answer.record.cache_status == "HIT"),
            request_id=request_id)
        try:
            self.metrics.record(record)
        except Exception:
            log.exception("could not record request metrics")

    def close(self) -> None:
        """Close every part this service was built with (not for views sharing them)."""
        self.store.close()
        self.cache.close()
        self.metrics.close()
        for part in (self.embedder, self.generator, self.reranker, self.content_filter):
            if part is not None:
                part.close()


def build_service(settings: Settings, *, embedder: Embedder | None = None,
                  generator: Generator | None = None, store: ChunkStore | None = None,
                  transport: httpx.BaseTransport | None = None,
                  create: bool | Literal["first"] = True) -> RagService:
    """Wire the configured parts, or the ones given, and open the collection: made when it
    does not exist, or without `create` refused (ConfigError); with `create="first"` made
    only in a store that holds no collection yet (a first run), so that a misspelt name
    beside real collections is refused rather than made empty.

    `transport` is handed to every remote provider's HTTP client (tests use it to reach a
    stand-in without a network). Parts given are closed with the service like the others.
    """
    # before anything writes in them; the store and the model say their own folders' trouble
    make_folders(settings, only={"RAG_DATA_DIR", "RAG_CACHE_DIR"})
    configure_logging(settings.resolved_log_file, settings.log_level,
                      log_file_set=settings.log_file is not None)
    # what is opened here is closed again if a later part fails (the embedded store held by
    # another process, a missing credential): nothing is left open
    with ExitStack() as opened:
        content_filter = ContentFilter.from_settings(settings, make_guard(settings, transport))
        opened.callback(content_filter.close)
        reranker = make_reranker(settings, transport)
        if reranker is not None:
            opened.callback(reranker.close)
        if embedder is None:
            embedder = make_embedder(settings, transport)
            opened.callback(embedder.close)
        store = store or make_store(settings, embedder)
        opened.callback(store.close)
        if settings.collection not in (names := store.collections()):
            if not create or (create == "first" and names):
                raise no_such_collection(settings.collection, names)
            if taken := taken_in_other_case(settings.collection, names):
                raise taken
        store.ensure_collection()
        embedder.adopt_dimension(store.dimension)
        generator = generator or make_generator(settings, embedder, transport)
        # spending is kept with or without a limit: one set at noon holds the morning's
        budget_state = state_for(settings)
        metrics = Metrics(settings.data_dir / "metrics.sqlite3")
        service = RagService(
            settings, embedder, store, generator,
            Cache(settings.resolved_cache_dir, settings.cache_ttl_seconds, settings.cache),
            metrics, reranker, content_filter,
            Budgets(budget_state, settings.user_daily_neurons, settings.budget_exempt_users,
                    recorded=metrics.neurons_spent),
        )
        opened.pop_all()  # built: the service closes them from now on
    return service
