"""Word vectors stored with each chunk at ingest: every content word's state in the chunk's
own forward pass, for matching a question word by word.

A chunk's vector and its sentences' vectors each average many words. Matched word by word
(each of the question's content words to the chunk's word it is most like, the cosines then
weighed together: late interaction, as ColBERT scores), a passage that says what the
question asks in other words ("the boy's father" for "his dad") scores above one that shares
only its topic.
The states come from the same forward pass as the chunk's vector (`ingest.embedding`), so
keeping them costs ingest no model time.

A word's vector is the mean of its word pieces' states, projected onto WIDTH dimensions by a
fixed matrix of random signs (which keeps cosines close while storing a third of the bytes),
normalised, and stored as int8 without scales: a row's scale is a positive factor, which the
cosine takes away again. Stop words are left out, as the sparse side leaves them out
(`rag.text.lexical.content_spans`).

A chunk stored before word vectors were kept has none; a search whose candidates do not all
have them matches no words (`rag.retrieval.rescoring`), so that all are scored alike.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Sequence
from functools import cache

import numpy as np

SCHEME = "pooled-words-signs-128"  # how the vectors are made; part of the answer-cache key
FIELD = "word_vectors"  # the payload field
WIDTH = 128  # dimensions kept; a model with fewer keeps its own


@cache
def _projection(dimension: int) -> np.ndarray:
    """dimension × WIDTH random signs over √WIDTH, the same on every machine and release:
    drawn from SHA-256, not from a generator whose stream a numpy release may change."""
    size = dimension * WIDTH
    digests = b"".join(hashlib.sha256(f"{SCHEME}:{block}".encode()).digest()
                       for block in range(math.ceil(size / 256)))
    bits = np.unpackbits(np.frombuffer(digests, np.uint8))[:size]
    return ((bits.astype(np.float32) * 2 - 1) / math.sqrt(WIDTH)).reshape(dimension, WIDTH)


def projected(states: np.ndarray) -> np.ndarray:
    """Word states (one row each) as the unit rows stored and compared."""
    rows = np.asarray(states, dtype=np.float32)
    if rows.shape[-1] > WIDTH:
        rows = rows @ _projection(rows.shape[-1])
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)


def encode(rows: np.ndarray) -> dict:
    """The payload value for a chunk's word vectors (`projected` rows)."""
    rows = np.asarray(rows, dtype=np.float32)
    scale = np.maximum(np.abs(rows).max(axis=1, keepdims=True), 1e-12) / 127.0
    quantized = np.round(rows / scale).astype(np.int8)
    return {"width": int(rows.shape[1]),
            "int8": base64.b64encode(quantized.tobytes()).decode("ascii")}


def decode(value: object) -> np.ndarray | None:
    """A chunk's stored word vectors, as int8 rows (compared by `best_matches`), or None
    when the payload holds none this version can read."""
    if not isinstance(value, dict):
        return None
    try:
        width = int(value["width"])
        quantized = np.frombuffer(base64.b64decode(value["int8"]), np.int8)
    except (KeyError, TypeError, ValueError):
        return None
    if width <= 0 or len(quantized) % width:
        return None
    return quantized.reshape(-1, width)  # no rows: a chunk of stop words alone


def by_span(rows: np.ndarray, word_spans: Sequence[tuple[int, int]],
            spans: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    """A chunk's word rows (one for each of `word_spans`, in text order) cut by `spans` (its
    sentences, in text order): each span's rows are the words lying wholly inside it."""
    starts = np.array([start for start, _ in word_spans], dtype=np.int64)
    ends = np.array([end for _, end in word_spans], dtype=np.int64)
    cut = []
    for start, end in spans:
        first = int(np.searchsorted(starts, start, "left"))
        cut.append(rows[first:max(first, int(np.searchsorted(ends, end, "right")))])
    return cut


def best_matches(question: np.ndarray, chunks: Sequence[np.ndarray]) -> np.ndarray:
    """Chunks × question words: the cosine of each chunk's word (int8 rows) most like each
    of the question's (unit rows), in one product for all the chunks; 0 for a chunk of no
    words."""
    best = np.zeros((len(chunks), len(question)), dtype=np.float32)
    held = [i for i, block in enumerate(chunks) if len(block)]
    if not len(question) or not held:
        return best
    blocks = [chunks[i] for i in held]
    rows = np.concatenate(blocks).astype(np.float32)
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    starts = np.cumsum([0] + [len(block) for block in blocks[:-1]])
    best[held] = np.maximum.reduceat(rows @ question.T, starts, axis=0)
    return best
