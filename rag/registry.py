"""Build the configured implementation of each seam; optional backends are imported lazily."""

from __future__ import annotations

from rag.embedders.base import Embedder
from rag.generators.base import Generator
from rag.settings import Settings


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "local":
        from rag.embedders.local import LocalOnnxEmbedder

        return LocalOnnxEmbedder(settings.resolved_model_dir, settings.embed_batch_size)
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
