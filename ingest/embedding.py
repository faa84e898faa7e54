"""Chunks to vectors: each chunk's own, and its sentences' where the collection keeps them.

A model that pools sentences (`Embedder.pools_sentences`: the local one) gives both from one
forward pass per chunk; the sentences are found by the same segmenter that answers quote with
(`rag.text.sentences`), and a chunk with none is one sentence. What is stored is made by
`rag.stores.sentence_vectors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.providers.embedders.base import Embedder
from rag.stores import sentence_vectors
from rag.text.sentences import split
from rag.types import SentenceVectors


@dataclass(frozen=True)
class Embedded:
    """Chunk vectors in input order, and each chunk's sentence vectors when asked for."""

    dense: np.ndarray
    sentences: list[SentenceVectors] | None = None


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where the text's sentences lie; the whole text when it has none."""
    return [(s.start, s.end) for s in split(text)] or [(0, len(text))]


def embed_chunks(embedder: Embedder, texts: Sequence[str],
                 token_counts: Sequence[int] | None = None,
                 sentences: bool = False) -> Embedded:
    """The texts' vectors, and their sentences' when `sentences` and the model can pool them."""
    if not (sentences and embedder.pools_sentences):
        return Embedded(embedder.embed_documents(texts, token_counts))
    spans = [sentence_spans(text) for text in texts]
    dense, pooled = embedder.embed_documents_with_sentences(texts, spans, token_counts)
    return Embedded(dense, [
        SentenceVectors(tuple(where), sentence_vectors.contrasted(vector, rows))
        for where, vector, rows in zip(spans, dense, pooled, strict=True)])
