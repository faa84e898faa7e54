"""Sentence vectors stored with each chunk at ingest, so that question time embeds nothing.

Hybrid search rescores its best hits by their best sentence's cosine to the question
(`rag.retrieval.rescoring`). Embedding those sentences per question is the dearest part of a
search; instead, ingest keeps each chunk's sentences with it: their character spans in the
chunk's text and one vector each.

The vectors come from the chunk's own forward pass (`Embedder.embed_documents_with_sentences`):
a sentence's token states, mean-pooled. Inside a chunk those states all carry the chunk's
context, which makes a chunk's sentences alike; taking CONTRAST of the chunk's vector away
before normalising leaves what sets each sentence apart, and ranked better than the plain
pooled vectors over the development sets (docs/evaluation.md). A section heading's vector is
the heading embedded on its own (`ingest.embedding`).

A collection records the SCHEME its vectors were made by. One without that record (or with
another scheme) gets none written, so its hits are all rescored the same way: by sentences
embedded at question time.

In the payload the vectors are int8 with one float32 scale per sentence, base64-encoded: a
quarter of float32's bytes, and cosines within a few thousandths of the float32 ones.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np

from rag.types import SentenceVectors

SCHEME = "pooled-contrast-0.5"
CONTRAST = 0.5  # share of the chunk's vector taken from each pooled sentence vector
FIELD = "sentence_vectors"  # the payload field


def contrasted(chunk: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """The stored vectors: each pooled sentence vector less CONTRAST × its chunk's vector,
    normalised."""
    return _unit_rows(pooled - CONTRAST * chunk[None, :]).astype(np.float32)


def encode(spans: Sequence[tuple[int, int]], vectors: np.ndarray) -> dict:
    """The payload value for a chunk's sentences."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
    quantized = np.round(vectors / scales[:, None]).astype(np.int8)
    return {"spans": [[int(start), int(end)] for start, end in spans],
            "int8": base64.b64encode(quantized.tobytes()).decode("ascii"),
            "scales": base64.b64encode(scales.astype(np.float32).tobytes()).decode("ascii")}


def decode(value: object) -> SentenceVectors | None:
    """A chunk's stored sentences, or None when the payload holds none (or none this version
    can read)."""
    return decode_many([value])[0]


def decode_many(values: Sequence[object]) -> list[SentenceVectors | None]:
    """`decode` of many chunks' payload values, with one pass of array work for them all.

    Numpy lets go of the interpreter lock in each call, and on a busy engine every call then
    waits its turn to take it back: decoding a search's candidates one by one costs more in
    those waits than in the work.
    """
    read = [_read(value) for value in values]
    widths = {len(quantized) // len(spans) for spans, quantized in filter(None, read)}
    if len(widths) != 1:  # none to decode, or vectors of two sizes: never in one collection
        return [_rows(*found) if found else None for found in read]
    # a row's scale is a positive factor, which normalising takes away again
    rows = _float_rows(np.frombuffer(b"".join(q for _, q in filter(None, read)), np.int8),
                       widths.pop())
    decoded: list[SentenceVectors | None] = []
    at = 0
    for found in read:
        if found is None:
            decoded.append(None)
            continue
        spans = found[0]
        decoded.append(SentenceVectors(spans, rows[at:at + len(spans)]))
        at += len(spans)
    return decoded


def _read(value: object) -> tuple[tuple[tuple[int, int], ...], bytes] | None:
    """A payload value's spans and int8 bytes, checked against its scales; None if unreadable."""
    if not isinstance(value, dict):
        return None
    try:
        spans = tuple((int(s), int(e)) for s, e in value["spans"])
        scales = base64.b64decode(value["scales"])
        quantized = base64.b64decode(value["int8"])
    except (KeyError, TypeError, ValueError):
        return None
    if not spans or len(scales) != 4 * len(spans) or len(quantized) % len(spans):
        return None
    return spans, quantized


def _rows(spans: tuple[tuple[int, int], ...], quantized: bytes) -> SentenceVectors:
    return SentenceVectors(spans, _float_rows(np.frombuffer(quantized, np.int8),
                                              len(quantized) // len(spans)))


def _float_rows(quantized: np.ndarray, width: int) -> np.ndarray:
    """int8 values as unit float32 rows of `width`, read-only: the hits holding them may be
    kept and shared by later searches (`rag.stores.passages`)."""
    rows = _unit_rows(quantized.reshape(-1, width).astype(np.float32))
    rows.flags.writeable = False
    return rows


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
