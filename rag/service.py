"""The one object the CLI and the UI share: ingest, search, ask, list and delete documents.

`build_service(settings)` wires the configured embedder, store and generator together; the
shells (CLI, Streamlit) only call its methods and print what they return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.pipeline import FileResult, IngestPipeline, IngestReport
from rag.embedders.base import Embedder
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

    def __post_init__(self) -> None:
        self.retriever = Retriever(self.embedder, self.store, self.settings.search_mode)
        self.pipeline = IngestPipeline(
            self.embedder, self.store, self.settings.chunk_tokens, self.settings.chunk_overlap,
            self.settings.upsert_batch_size,
        )

    def ingest(self, paths: Iterable[Path],
               on_file: Callable[[FileResult], None] | None = None) -> IngestReport:
        return self.pipeline.ingest_paths(paths, on_file)

    def ingest_upload(self, name: str, data: bytes) -> FileResult:
        return self.pipeline.ingest_bytes(Path(name), data, source=f"upload:{name}")

    def search(self, query: str, top_k: int | None = None, mode: SearchMode | None = None,
               doc_id: str | None = None, source: str | None = None) -> list[Hit]:
        return self.retriever.search(query, top_k or self.settings.top_k, mode, doc_id, source)

    def ask(self, question: str, top_k: int | None = None,
            history: list[dict[str, str]] | None = None) -> Answer:
        """Retrieve, then stream an answer that cites the retrieved passages by number."""
        hits = self.search(question, top_k)
        record = GenerationRecord()
        if not hits:
            record.model = "none"
            return Answer(iter([NOTHING_FOUND]), [], self.generator.name, record)
        request = GenerationRequest(question, hits, list(history or []))
        return Answer(self.generator.stream(request, record), hits, self.generator.name, record)

    def documents(self) -> list[StoredDocument]:
        return self.store.documents()

    def delete(self, doc_id_or_source: str) -> list[StoredDocument]:
        return self.store.delete(doc_id_or_source)

    def close(self) -> None:
        self.store.close()


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
    return RagService(settings, embedder, store, make_generator(settings, embedder))
