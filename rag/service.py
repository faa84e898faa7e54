"""The one object the CLI and the UI share: ingest, search, ask, list and delete documents.

`build_service(settings)` wires the configured embedder, store and generator together; the
shells (CLI, Streamlit) only call its methods and print what they return.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.pipeline import FileResult, IngestPipeline, IngestReport
from rag.ai.cost import CostTracker
from rag.cache import Cache, make_key, normalise_question
from rag.citations import CitationChecker
from rag.embedders.base import Embedder
from rag.followup import standalone_question
from rag.generators.base import GenerationRequest, Generator
from rag.registry import make_embedder, make_generator
from rag.retriever import Retriever
from rag.settings import Settings
from rag.store import QdrantStore, SearchMode, StoredDocument, open_client
from rag.types import Answer, GenerationRecord, Hit

NOTHING_FOUND = (
    "I found nothing in your documents that matches this question. Ingest documents first "
    "(`rag ingest PATH`, or upload them in the app), or rephrase the question."
)


@dataclass
class RagService:
    settings: Settings
    embedder: Embedder
    store: QdrantStore
    generator: Generator
    cache: Cache = field(default_factory=lambda: Cache(Path("."), 0, enabled=False))
    costs: CostTracker = field(default_factory=CostTracker)

    def __post_init__(self) -> None:
        self.retriever = Retriever(self.embedder, self.store, self.settings.search_mode,
                                   self.cache)
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
        is answered from the cache (still streamed, and marked cached).
        """
        history = list(history or [])
        k = top_k or self.settings.top_k
        query = standalone_question(question, history, self.generator)
        key = self._answer_key(question, query, k, history)
        cached = self.cache.get(key)
        if cached is not None:
            return _replay(cached, self.generator.name)
        hits = self.search(query, k)
        record = GenerationRecord()
        record.usage["query"] = query
        if not hits:
            record.model = "none"
            return Answer(iter([NOTHING_FOUND]), [], self.generator.name, record)
        request = GenerationRequest(question, hits, history)
        checker = CitationChecker(len(hits))
        answer = Answer(iter(()), hits, self.generator.name, record)
        answer.deltas = self._finish(answer, checker.filter(self.generator.stream(request, record)),
                                     checker, key, session, user)
        return answer

    def _finish(self, answer: Answer, deltas: Iterator[str], checker: CitationChecker, key: str,
                session: str | None, user: str | None) -> Iterator[str]:
        """Pass the deltas through, then do the bookkeeping once the stream has ended."""
        parts = []
        for delta in deltas:
            parts.append(delta)
            yield delta
        record = answer.record
        record.usage["cited"] = sorted(checker.cited)
        record.usage["dropped_citations"] = checker.dropped
        self.costs.add(record.usage.get("neurons"), session=session, user=user)
        if record.notice is None or self.generator.name == "extractive":
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
        return make_key("answer", s.collection, self.store.version(), self.embedder.name,
                        self.generator.name, model, s.search_mode, k,
                        normalise_question(question), normalise_question(query), asked)

    def close(self) -> None:
        self.store.close()
        self.cache.close()


def _replay(cached: dict, generator: str) -> Answer:
    """A cached answer, streamed word by word like a fresh one."""
    record = GenerationRecord(model=cached["model"], usage=dict(cached["usage"]),
                              notice=cached["notice"])
    citations = [Hit(**c) for c in cached["citations"]]
    words = re.findall(r"\s*\S+", cached["text"])
    return Answer(iter(words), citations, generator, record, cached=True)


def build_service(settings: Settings) -> RagService:
    """Wire the configured parts; opens (and if needed creates) the collection."""
    embedder = make_embedder(settings)
    path = settings.resolved_qdrant_path
    if not settings.qdrant_url:
        path.mkdir(parents=True, exist_ok=True)
    client = open_client(
        settings.qdrant_url,
        settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None,
        str(path),
    )
    store = QdrantStore(client, settings.collection, embedder.name, embedder.dimension)
    try:
        store.ensure_collection()
    except Exception:
        store.close()
        raise
    cache = Cache(settings.resolved_cache_dir, settings.cache_ttl_seconds, settings.cache)
    return RagService(settings, embedder, store, make_generator(settings, embedder), cache)
