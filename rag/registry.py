"""Each seam's modes and the factory that builds each one; optional backends import lazily.

One dict per seam, from the mode name a setting holds to its factory. A new provider is a
class implementing the seam (`providers/*/base.py`) and one entry here; `settings.py` names
the mode in its Literal so that a typo is refused when the settings are read.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from rag.providers.embedders.base import Embedder
from rag.providers.generators.base import Generator
from rag.providers.guards.base import Guard
from rag.providers.rerankers.base import Reranker
from rag.settings import ContentFilterMode, EmbedderMode, GeneratorMode, RerankMode, Settings
from rag.stores.base import DATA_DIR_ADVICE, ChunkStore, not_permitted, refuse_unwritable

Transport = httpx.BaseTransport | None


def _local_embedder(settings: Settings, transport: Transport) -> Embedder:
    from rag.providers.embedders.local import LocalOnnxEmbedder

    return LocalOnnxEmbedder(settings.resolved_model_dir, settings.embed_batch_size,
                             precision=settings.local_precision)


def _workers_ai_embedder(settings: Settings, transport: Transport) -> Embedder:
    from rag.providers.embedders.workers_ai import WorkersAIEmbedder

    return WorkersAIEmbedder.from_settings(settings, transport)


def _openai_embedder(settings: Settings, transport: Transport) -> Embedder:
    from rag.providers.embedders.openai import OpenAIEmbedder

    return OpenAIEmbedder.from_settings(settings, transport)


def _extractive(settings: Settings, embedder: Embedder, transport: Transport) -> Generator:
    from rag.providers.generators.extractive import ExtractiveGenerator

    return ExtractiveGenerator(embedder, settings.answer_sentences)


def _workers_ai_generator(settings: Settings, embedder: Embedder,
                          transport: Transport) -> Generator:
    from rag.providers.generators.workers_ai import WorkersAIGenerator

    return WorkersAIGenerator.from_settings(settings, transport)


def _openai_generator(settings: Settings, embedder: Embedder, transport: Transport) -> Generator:
    from rag.providers.generators.openai import OpenAIGenerator

    return OpenAIGenerator.from_settings(settings, transport)


def _workers_ai_reranker(settings: Settings, transport: Transport) -> Reranker:
    from rag.providers.rerankers.workers_ai import WorkersAIReranker

    return WorkersAIReranker.from_settings(settings, transport)


def _llama_guard(settings: Settings, transport: Transport) -> Guard:
    from rag.providers.guards.llama_guard import LlamaGuard

    return LlamaGuard.from_settings(settings, transport)


def _edge_store(settings: Settings, embedder: Embedder) -> ChunkStore:
    from rag.stores.edge import EdgeStore, open_edge_client

    return EdgeStore(open_edge_client(settings.resolved_qdrant_path, store_advice(settings)),
                     settings.collection, embedder.name, dimension_of(embedder))


def _qdrant_client_store(settings: Settings, embedder: Embedder) -> ChunkStore:
    """A Qdrant server when RAG_QDRANT_URL is set, else qdrant-client's local mode."""
    from rag.stores.qdrant import QdrantStore, open_client

    path = settings.resolved_qdrant_path
    key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
    if settings.qdrant_url:
        client = open_client(settings.qdrant_url, key, None)
    else:
        with not_permitted(path, store_advice(settings)):
            path.mkdir(parents=True, exist_ok=True)
            refuse_unwritable(path)
            client = open_client(None, None, str(path))
    return QdrantStore(client, settings.collection, embedder.name, dimension_of(embedder))


def store_advice(settings: Settings) -> str:
    """What to do about an embedded store this user may not write: the variable that placed
    the store is the one to change."""
    if settings.qdrant_path is not None:
        return "run as the store's owner, or give RAG_QDRANT_PATH a folder you can write to"
    return DATA_DIR_ADVICE


def dimension_of(embedder: Embedder) -> int | Callable[[], int]:
    """The embedder's vector length for a store, or how to ask the model for it: only when
    the collection has not recorded it, so that a library opens with its model down."""
    known = embedder.known_dimension
    return known if known is not None else lambda: embedder.dimension


EMBEDDERS: dict[EmbedderMode, Callable[[Settings, Transport], Embedder]] = {
    "local": _local_embedder,
    "workers-ai": _workers_ai_embedder,
    "openai": _openai_embedder,
}
GENERATORS: dict[GeneratorMode, Callable[[Settings, Embedder, Transport], Generator]] = {
    "extractive": _extractive,
    "workers-ai": _workers_ai_generator,
    "openai": _openai_generator,
}
RERANKERS: dict[RerankMode, Callable[[Settings, Transport], Reranker] | None] = {
    "off": None,
    "workers-ai": _workers_ai_reranker,
}
#: the classifier each content-filter mode consults after its rules (rag.guard.filter)
GUARDS: dict[ContentFilterMode, Callable[[Settings, Transport], Guard] | None] = {
    "off": None,
    "rules": None,
    "llama-guard": _llama_guard,
}
#: "server" whenever RAG_QDRANT_URL is set; otherwise the embedded engine RAG_QDRANT_ENGINE names
STORES: dict[str, Callable[[Settings, Embedder], ChunkStore]] = {
    "edge": _edge_store,
    "local": _qdrant_client_store,
    "server": _qdrant_client_store,
}


def make_embedder(settings: Settings, transport: Transport = None) -> Embedder:
    return EMBEDDERS[settings.embedder](settings, transport)


def make_generator(settings: Settings, embedder: Embedder, transport: Transport = None
                   ) -> Generator:
    return GENERATORS[settings.resolved_generator](settings, embedder, transport)


def make_reranker(settings: Settings, transport: Transport = None) -> Reranker | None:
    factory = RERANKERS[settings.rerank]
    return factory(settings, transport) if factory is not None else None


def make_guard(settings: Settings, transport: Transport = None) -> Guard | None:
    factory = GUARDS[settings.content_filter]
    return factory(settings, transport) if factory is not None else None


def make_store(settings: Settings, embedder: Embedder) -> ChunkStore:
    """The configured collection's store (not yet opened with `ensure_collection`)."""
    return STORES["server" if settings.qdrant_url else settings.qdrant_engine](settings, embedder)
