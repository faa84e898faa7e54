"""Build the configured implementation of each seam; optional backends are imported lazily."""

from __future__ import annotations

from rag.embedders.base import Embedder
from rag.generators.base import Generator
from rag.settings import Settings
from rag.store_base import ChunkStore


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "local":
        from rag.embedders.local import LocalOnnxEmbedder

        return LocalOnnxEmbedder(settings.resolved_model_dir, settings.embed_batch_size,
                                 precision=settings.local_precision)
    if settings.embedder == "workers-ai":
        from rag.ai.workers_ai import WorkersAIEmbedder

        return WorkersAIEmbedder.from_settings(settings)
    from rag.ai.openai_compat import OpenAIEmbedder

    return OpenAIEmbedder.from_settings(settings)


def make_generator(settings: Settings, embedder: Embedder) -> Generator:
    mode = settings.resolved_generator
    if mode == "extractive":
        from rag.generators.extractive import ExtractiveGenerator

        return ExtractiveGenerator(embedder, settings.answer_sentences)
    if mode == "workers-ai":
        from rag.ai.workers_ai import WorkersAIGenerator

        return WorkersAIGenerator.from_settings(settings)
    from rag.ai.openai_compat import OpenAIGenerator

    return OpenAIGenerator.from_settings(settings)


def make_store(settings: Settings, embedder: Embedder) -> ChunkStore:
    """The configured collection's store (not yet opened with `ensure_collection`).

    A Qdrant server when RAG_QDRANT_URL is set; otherwise the embedded store in
    RAG_QDRANT_PATH, on the engine RAG_QDRANT_ENGINE names.
    """
    if settings.qdrant_url or settings.qdrant_engine == "local":
        from rag.store import QdrantStore, open_client

        path = settings.resolved_qdrant_path
        if not settings.qdrant_url:
            path.mkdir(parents=True, exist_ok=True)
        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        client = open_client(settings.qdrant_url, key, str(path))
        return QdrantStore(client, settings.collection, embedder.name, embedder.dimension)
    from rag.store_edge import EdgeStore, open_edge_client

    return EdgeStore(open_edge_client(settings.resolved_qdrant_path), settings.collection,
                     embedder.name, embedder.dimension)
