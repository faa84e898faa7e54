"""Chunks to vectors: each chunk's own, and its sentences' where the collection keeps them.

A model that pools sentences (`Embedder.pools_sentences`: the local one) gives both from one
forward pass per chunk, and its content words' vectors from the same pass; the sentences are
found by the same segmenter that answers quote with (`rag.text.sentences`), and a chunk with
none is one sentence. What is stored is made by `rag.stores.sentence_vectors` and
`rag.stores.word_vectors`.

A manual's cross-references ("see Section 2.2 [What machines does R run on?], page 3") are
embedded without their titles, which say what another section is about
(`rag.text.references`); the words around them keep their places.

A section heading ("2.12 Why is R named R?", "## Installing") is the exception: it is embedded
on its own. Pooled inside its chunk, its few tokens say what the rest of the chunk says, and a
question asked in other words than the heading's finds nothing particular in it; alone, it says
what the section is about. Headings are short and few, so this costs little
(docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.providers.embedders.base import Embedder
from rag.stores import sentence_vectors, word_vectors
from rag.text import lexical, references
from rag.text.sentences import is_heading, split
from rag.types import SentenceVectors


@dataclass(frozen=True)
class Embedded:
    """Chunk vectors in input order, and each chunk's sentence vectors when asked for."""

    dense: np.ndarray
    sentences: list[SentenceVectors] | None = None


def sentence_spans(text: str, code_fence: str | None = None,
                   outside_code: bool = False) -> list[tuple[int, int]]:
    """Where the text's sentences lie (as the answer splits it: `Chunk.code_fence`, and
    `outside_code` for a chunk ingest knows begins outside code); the whole text when it has
    none."""
    found = split(text, code_fence=code_fence, outside_code=outside_code)
    return [(s.start, s.end) for s in found] or [(0, len(text))]


def embed_chunks(embedder: Embedder, texts: Sequence[str],
                 token_counts: Sequence[int] | None = None,
                 sentences: bool = False,
                 code_fences: Sequence[str | None] | None = None) -> Embedded:
    """The texts' vectors, and their sentences' when `sentences` and the model can pool them
    (`code_fences`: each text's `Chunk.code_fence`, given for chunks, which ingest placed in
    their documents: one without begins outside code)."""
    said = [references.without_titles(text) for text in texts]
    if not (sentences and embedder.pools_sentences):
        return Embedded(embedder.embed_documents(said, token_counts))
    fences = code_fences or [None] * len(texts)
    spans = [sentence_spans(text, fence, outside_code=code_fences is not None and not fence)
             for text, fence in zip(texts, fences, strict=True)]
    # every content word of the text, as the search reads its rows back (a title's words
    # pool nothing and are passed over there)
    words = [lexical.content_spans(text) for text in texts]
    # the words pooled in the same pass as the sentences: their spans follow the sentences'
    dense, pooled = embedder.embed_documents_with_sentences(
        said, [[*where, *held] for where, held in zip(spans, words, strict=True)],
        token_counts)
    stored = [sentence_vectors.contrasted(vector, rows[: len(where)])
              for vector, rows, where in zip(dense, pooled, spans, strict=True)]
    _headings_alone(embedder, texts, spans, stored)
    return Embedded(dense, [SentenceVectors(tuple(where), rows,
                                            word_vectors.projected(found[len(where):]))
                            for where, rows, found in zip(spans, stored, pooled, strict=True)])


def _headings_alone(embedder: Embedder, texts: Sequence[str],
                    spans: Sequence[list[tuple[int, int]]], stored: list[np.ndarray]) -> None:
    """Each heading's row of `stored` replaced by the heading embedded on its own, in one batch
    for all the chunks."""
    found = [(chunk, row) for chunk, (text, where) in enumerate(zip(texts, spans, strict=True))
             for row, (start, end) in enumerate(where) if is_heading(text[start:end])]
    if not found:
        return
    alone = embedder.embed_documents([texts[chunk][slice(*spans[chunk][row])]
                                      for chunk, row in found])
    for (chunk, row), vector in zip(found, alone, strict=True):
        stored[chunk][row] = vector / max(float(np.linalg.norm(vector)), 1e-12)
