"""The embedded default answerer: quotes the retrieved sentences that best answer the question.

It writes nothing of its own, so it cannot invent facts; it says so, and how to configure an
LLM. Sentences are ranked by the same embedder as the search (cosine to the question) with a
small lexical bonus, never repeated, and each is followed by its passage's citation [n]. It is
also the last resort when the language models fail: if the embedder cannot help either (a
remote one that is down, a question longer than it takes), the words alone rank the sentences.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import numpy as np

from rag.errors import AIError, InputTooLongError
from rag.providers.embedders.base import Embedder
from rag.providers.generators.base import GenerationRequest, Generator
from rag.text import lexical
from rag.types import GenerationRecord

NOTICE = (
    "Extractive answer: these are sentences quoted from your documents, not written by a "
    "language model. For written answers set RAG_GENERATOR=workers-ai (with "
    "CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN) or RAG_GENERATOR=openai (Ollama, vLLM, "
    "llama.cpp); see docs/providers.md."
)
log = logging.getLogger(__name__)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n{2,}|\n(?=\s*[-*•#\d])")
_MIN_CHARS = 20


def split_sentences(text: str) -> list[str]:
    parts = (" ".join(p.split()) for p in _SENTENCE_END.split(text))
    return [p for p in parts if len(p) >= _MIN_CHARS]


class ExtractiveGenerator(Generator):
    name = "extractive"

    def __init__(self, embedder: Embedder, max_sentences: int = 4, shortlist: int = 12) -> None:
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.shortlist = shortlist  # most sentences embedded per answer

    @property
    def identity(self) -> str:
        return f"{self.max_sentences} sentences"

    def stream(self, request: GenerationRequest, record: GenerationRecord) -> Iterator[str]:
        record.model = f"extractive ({self.embedder.name})"
        record.notice = NOTICE
        candidates: list[tuple[int, str]] = []
        seen: set[str] = set()
        for number, hit in enumerate(request.passages, start=1):
            for sentence in split_sentences(hit.text):
                if sentence.lower() not in seen:
                    seen.add(sentence.lower())
                    candidates.append((number, sentence))
        overlap = _overlap(request.question, [s for _, s in candidates])
        shortlist = self._shortlist(candidates, overlap)
        tokens = [self.embedder.count_tokens(candidates[i][1]) for i in shortlist]
        fits = [n <= self.embedder.max_tokens for n in tokens]
        keep = [i for i, ok in zip(shortlist, fits, strict=True) if ok]
        record.sentences_scored = len(keep)
        if not keep:
            return
        scores = self._score(request.question, [candidates[i] for i in keep], overlap[keep],
                             [n for n, ok in zip(tokens, fits, strict=True) if ok])
        best = float(scores.max())
        chosen = [i for i in np.argsort(-scores) if scores[i] >= best * 0.6][: self.max_sentences]
        for rank, i in enumerate(chosen):
            number, sentence = candidates[keep[i]]
            yield ("" if rank == 0 else " ") + f"{sentence} [{number}]"

    def _shortlist(self, candidates: list[tuple[int, str]], overlap: np.ndarray) -> list[int]:
        """Indices of the `shortlist` sentences sharing most of the question's terms (ties: the
        better passage first), in their original order. Embedding every sentence of five
        passages would delay the first word; a shortlist of 12 answers as well as all of them
        (docs/evaluation.md), where 8 loses answers."""
        ranked = sorted(range(len(candidates)),
                        key=lambda i: (-overlap[i], candidates[i][0], i))
        return sorted(ranked[: self.shortlist])

    def _score(self, question: str, candidates: list[tuple[int, str]],
               overlap: np.ndarray, tokens: list[int]) -> np.ndarray:
        """Cosine to the question, plus a bonus for the share of question terms present."""
        try:
            query = self.embedder.embed_query(question)
            vectors = self.embedder.embed_documents([s for _, s in candidates], tokens)
            dense = vectors @ query
        except (AIError, InputTooLongError) as exc:
            log.warning("extractive answer ranked by words only: %s", exc)
            dense = np.zeros(len(candidates), dtype=np.float32)
        # passages come ranked: a gentle prior keeps the top passage's sentences in front
        rank_prior = np.array([0.01 * (n - 1) for n, _ in candidates], dtype=np.float32)
        return dense + 0.3 * overlap - rank_prior


def _overlap(question: str, sentences: list[str]) -> np.ndarray:
    """The share of the question's terms each sentence contains."""
    q_terms = set(lexical.terms(question))
    return np.array([
        len(q_terms & set(lexical.terms(s))) / len(q_terms) if q_terms else 0.0
        for s in sentences
    ], dtype=np.float32)
