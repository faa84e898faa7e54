"""The embedder seam: one small method to implement, batching and limits built on top.

A provider implements `embed_batch` (one model call); token counts come from `token_counter`
(the bundled WordPiece tokenizer unless a provider overrides it). `embed_documents`
sorts texts by length so each batch pads little, checks every text against the model's token
limit (never truncating silently) and returns vectors in input order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.errors import InputTooLongError
from rag.text.tokens import TokenCounter


class Embedder(ABC):
    """Turns texts into L2-normalised vectors.

    Attributes:
        name: identity recorded in the collection (provider and model).
        dimension: vector length.
        max_tokens: the model's limit per text, special tokens included.
        max_batch: most texts a single `embed_batch` call may take.
        concurrency: how many calls are worth having in flight at once.
        special_tokens: tokens the model adds to every text.
        query_instruction: prefix the model was trained to expect on queries ("" if none).
    """

    name: str
    dimension: int
    max_tokens: int
    max_batch: int = 32
    #: `embed_documents` calls worth running at once: 1 for a model that uses every core
    #: itself; a remote API's requests in flight
    concurrency: int = 1
    #: runs on this machine's cores (a local model), not behind a network API
    runs_locally: bool = False
    #: tokens the model adds to every text ([CLS] and [SEP] for BERT-family models)
    special_tokens: int = 0
    query_instruction: str = ""
    #: can pool sentence vectors from a text's own forward pass (`embed_batch_with_sentences`):
    #: a local model, whose token states are at hand; a remote API returns only the vector
    pools_sentences: bool = False
    #: the extractive answer's best sentence score below which the passages most likely do
    #: not answer the question, so the answer says so: calibrated for each model on
    #: answerable and unanswerable questions (bench/weak_match.py); None: never said
    weak_match_below: float | None = None

    @property
    def known_dimension(self) -> int | None:
        """The vector length if known without asking the model (a remote model whose length
        is not configured is asked once, by a request, on reading `dimension`)."""
        return self.dimension

    def adopt_dimension(self, dimension: int) -> None:
        """Take the vector length a collection recorded for this model, so that it need not
        be asked (nothing to do for a model that knows its own)."""
        return None

    def token_counter(self) -> TokenCounter:
        """What chunk sizes are measured with: tokens of a text itself, without the special
        tokens (adding `special_tokens` gives `count_tokens`). Picklable, for a parse worker.
        Every provider here reads the bundled WordPiece vocabulary; one that does not
        overrides this."""
        return TokenCounter.bundled()

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text`, special tokens included."""
        return self.token_counter().count(text) + self.special_tokens

    def count_tokens_many(self, texts: Sequence[str]) -> list[int]:
        """`count_tokens` of many texts in one tokenizer call."""
        return [n + self.special_tokens for n in self.token_counter().count_many(texts)]

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One model call for at most `max_batch` texts; rows are normalised vectors."""

    def check_length(self, text: str, what: str = "text") -> int:
        """Return the token count or raise, naming the limit: we never truncate silently."""
        tokens = self.count_tokens(text)
        if tokens > self.max_tokens:
            raise InputTooLongError(
                f"The {what} has {tokens} tokens; the embedding model {self.name} takes at most "
                f"{self.max_tokens}. Shorten it."
            )
        return tokens

    def check_counts(self, token_counts: Sequence[int], first: int = 0) -> None:
        """Refuse any text over the model's limit, given counts as `count_tokens` gives them
        (`first`: the position of the first count among the caller's chunks)."""
        for position, tokens in enumerate(token_counts, start=first):
            if tokens > self.max_tokens:
                raise InputTooLongError(
                    f"Chunk {position} has {tokens} tokens; the embedding model {self.name} "
                    f"takes at most {self.max_tokens}. Lower RAG_CHUNK_TOKENS."
                )

    def embed_documents(self, texts: Sequence[str],
                        token_counts: Sequence[int] | None = None) -> np.ndarray:
        """Embed many texts in length-sorted batches; the result keeps the input order.

        `token_counts`, when the caller has counted already (chunking does), spares a recount.
        """
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        rows = self._sorted_batches(texts, token_counts)
        vectors = self.embed_batches([[texts[i] for i in idx] for idx in rows])
        for idx, batch in zip(rows, vectors, strict=True):
            out[idx] = batch
        return out

    def embed_documents_with_sentences(
            self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
            token_counts: Sequence[int] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """`embed_documents`, and for each text one vector per (start, end) character span of
        it, pooled from the text's own forward pass (`pools_sentences` embedders only)."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        pooled: list[np.ndarray] = [np.empty((0, self.dimension), np.float32)] * len(texts)
        rows = self._sorted_batches(texts, token_counts)
        batches = [([texts[i] for i in idx], [spans[i] for i in idx]) for idx in rows]
        for idx, (vectors, per_text) in zip(rows, self.embed_batches_with_sentences(batches),
                                            strict=True):
            out[idx] = vectors
            for i, sentences in zip(idx, per_text, strict=True):
                pooled[i] = sentences
        return out, pooled

    def _sorted_batches(self, texts: Sequence[str],
                        token_counts: Sequence[int] | None) -> list[list[int]]:
        """Indices of `texts` in batches of similar length (each text checked against the
        model's limit)."""
        if not texts:
            return []
        if token_counts is None:
            token_counts = self.count_tokens_many(texts)
        lengths = list(token_counts)
        self.check_counts(lengths)
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        return [order[start : start + self.max_batch]
                for start in range(0, len(order), self.max_batch)]

    def embed_batch_with_sentences(self, texts: Sequence[str],
                                   spans: Sequence[Sequence[tuple[int, int]]]
                                   ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One model call: `embed_batch`'s vectors, and each text's spans pooled."""
        raise NotImplementedError(f"{self.name} cannot pool sentence vectors")

    def embed_batches_with_sentences(
            self, batches: Sequence[tuple[Sequence[str], Sequence[Sequence[tuple[int, int]]]]]
    ) -> list[tuple[np.ndarray, list[np.ndarray]]]:
        """`embed_batch_with_sentences` on each (texts, spans) batch, in order."""
        return [self.embed_batch_with_sentences(texts, spans) for texts, spans in batches]

    def embed_batches(self, batches: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """`embed_batch` on each batch, in order; a model with several sessions runs them
        side by side."""
        return [self.embed_batch(batch) for batch in batches]

    def keep_ready_for_questions(self) -> None:
        """A long-lived process (the engine) calls this once: an embedder that can keep
        capacity aside so that questions never queue behind an ingest's batches does so."""
        return None  # remote embedders: every request is its own

    def close(self) -> None:
        """Release connections (remote embedders) or sessions."""
        return None  # nothing to release for a model in this process

    def check_query(self, text: str, what: str = "question") -> None:
        """Refuse a query longer than the model reads, with its instruction, naming it `what`."""
        self.check_length(self.query_instruction + text, what)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a search query with the model's own query instruction."""
        self.check_query(text)
        return self._embed_question(self.query_instruction + text)

    def _embed_question(self, query: str) -> np.ndarray:
        """One checked query's vector; an embedder with capacity kept for questions uses it."""
        return self.embed_batch([query])[0]

    def embed_query_words(self, text: str) -> np.ndarray | None:
        """The query's content words' vectors (`lexical.content_spans`, one unit row each),
        pooled from its own forward pass; None from a model that cannot pool them."""
        return None


def normalise(vectors: np.ndarray) -> np.ndarray:
    """L2-normalise rows so that dot product equals cosine similarity."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def received_vectors(rows: Any) -> np.ndarray:
    """A server's rows of numbers as float32 vectors; ValueError (or TypeError) for rows that
    are not numbers, or that hold a component float32 cannot, or that are all zeros: numpy
    would read a string "0.5" or a `true` as a number, a null as NaN and a number beyond
    float32's range as infinity; normalising spreads NaN or infinity over the whole vector, and
    a vector of zeros points nowhere, so a vector so spoilt is found by no search."""
    if isinstance(rows, list) and any(
        type(component) not in (float, int)  # bool is a subclass of int, and refused too
        for row in rows if isinstance(row, list) for component in row
    ):
        raise TypeError("a component is not a number")
    with np.errstate(over="ignore"):  # a number beyond float32's range is refused below
        vectors = np.asarray(rows, dtype=np.float32)
    if not np.isfinite(vectors).all():
        raise ValueError("a component is null or beyond float32's range")
    if vectors.ndim == 2 and vectors.shape[1] and not vectors.any(axis=1).all():
        raise ValueError("a vector is all zeros")
    return vectors
