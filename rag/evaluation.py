"""Retrieval evaluation on a SQuAD-format file: does the search find the question's paragraph?

Each paragraph becomes a document in a throw-away collection (a temporary embedded edge store,
so the user's own library is never touched); every question is searched, and the rank of the
first chunk from its own paragraph gives hit@1/5/10, MRR@10 and nDCG@10. Questions are also
answered by the extractive generator to see how often the answer holds a gold answer span.
Several modes share one ingest; plain BM25 (rank-bm25) can run beside them as a baseline.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.loaders import content_id
from ingest.pipeline import IngestPipeline
from rag.providers.embedders.base import Embedder
from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.extractive import ExtractiveGenerator
from rag.stores.edge import EdgeStore, open_edge_client
from rag.text import lexical
from rag.types import Document, GenerationRecord, Hit, Page, SearchMode


@dataclass(frozen=True)
class Question:
    text: str
    paragraph: str  # source id of the gold paragraph
    answers: tuple[str, ...]


def load_squad(path: Path, limit: int | None = None,
               every: int = 1) -> tuple[list[Document], list[Question]]:
    """Paragraphs as documents and their questions.

    `limit` caps the questions (taking whole articles, so their paragraphs come along);
    `every` keeps every k-th question, for a faster run over all the paragraphs.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    documents: list[Document] = []
    questions: list[Question] = []
    for article in data:
        if limit is not None and len(questions) >= limit:
            break
        for i, para in enumerate(article["paragraphs"]):
            source = f"squad:{article['title']}#{i}"
            context = para["context"]
            documents.append(Document(source, content_id(source.encode() + context.encode()),
                                      article["title"], [Page(None, context)], "text/plain"))
            for qa in para["qas"]:
                answers = tuple(sorted({a["text"] for a in qa.get("answers", [])}))
                questions.append(Question(qa["question"], source, answers))
    if limit is not None:
        questions = questions[:limit]
    return documents, questions[::every]


def rank_metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    """hit@k, MRR@10 and nDCG@10 for one relevant item per query (rank is 1-based)."""
    n = max(len(ranks), 1)
    in10 = [r for r in ranks if r is not None and r <= 10]
    return {
        "hit@1": sum(1 for r in in10 if r <= 1) / n,
        "hit@5": sum(1 for r in in10 if r <= 5) / n,
        "hit@10": len(in10) / n,
        "mrr@10": sum(1 / r for r in in10) / n,
        "ndcg@10": sum(1 / math.log2(r + 1) for r in in10) / n,
    }


def _rank(sources: list[str], gold: str) -> int | None:
    """Rank of the gold paragraph; a paragraph split into chunks counts at its first chunk."""
    seen: list[str] = []
    for s in sources:
        if s not in seen:
            seen.append(s)
    return seen.index(gold) + 1 if gold in seen else None


def answer_span_rate(embedder: Embedder, questions: Sequence[Question],
                     hits: Sequence[list[Hit]]) -> tuple[float | None, int]:
    """Share of questions whose extractive answer contains a gold answer span."""
    generator = ExtractiveGenerator(embedder)
    answered = contains = 0
    for q, top in zip(questions, hits, strict=False):
        if not q.answers:
            continue
        text = "".join(generator.stream(GenerationRequest(q.text, top), GenerationRecord()))
        answered += 1
        contains += any(a.lower() in text.lower() for a in q.answers)
    return (contains / answered if answered else None), answered


def bm25_baseline(documents: Sequence[Document], questions: Sequence[Question]) -> dict:
    """Plain BM25 over whole paragraphs (rank-bm25, same stemmed terms), for comparison."""
    from rank_bm25 import BM25Okapi

    started = time.perf_counter()
    index = BM25Okapi([lexical.terms(d.pages[0].text) or ["_"] for d in documents])
    sources = [d.source for d in documents]
    ranks = []
    for q in questions:
        scores = index.get_scores(lexical.terms(q.text))
        top = np.argsort(-scores)[:10]
        ranks.append(_rank([sources[i] for i in top], q.paragraph))
    return {"mode": "bm25 (rank-bm25)", "paragraphs": len(documents),
            "questions": len(questions), **_rounded(rank_metrics(ranks)),
            "answer_span_rate": None, "seconds": round(time.perf_counter() - started, 1)}


def _rounded(metrics: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in metrics.items()}


def evaluate(embedder: Embedder, squad: Path, modes: Sequence[SearchMode] = ("hybrid",),
             limit: int | None = None, answer_limit: int | None = 1000,
             chunk_tokens: int = 200, chunk_overlap: int = 30, with_bm25: bool = False,
             progress: Callable[[str], None] | None = None, every: int = 1) -> list[dict]:
    """One result per mode (plus BM25 when asked): the figures `rag eval --json` prints."""
    say = progress or (lambda _msg: None)
    documents, questions = load_squad(squad, limit, every)
    results = []
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        store = EdgeStore(open_edge_client(tmp), "eval", embedder.name, embedder.dimension)
        store.ensure_collection()
        pipeline = IngestPipeline(embedder, store, chunk_tokens, chunk_overlap)
        started = time.perf_counter()
        say(f"ingesting {len(documents)} paragraphs")
        for result in pipeline.ingest_documents(documents):
            if result.status == "failed":
                raise RuntimeError(result.error)
        ingest_seconds = time.perf_counter() - started
        dense = None
        if any(m != "sparse" for m in modes):
            say(f"embedding {len(questions)} questions")
            dense = embedder.embed_documents([embedder.query_instruction + q.text
                                              for q in questions])
        embed_seconds = time.perf_counter() - started - ingest_seconds
        for mode in modes:
            mode_started = time.perf_counter()
            say(f"searching {len(questions)} questions ({mode})")
            ranks, tops = [], []
            for i, q in enumerate(questions):
                vector = dense[i] if dense is not None and mode != "sparse" else None
                sparse = lexical.query_vector(q.text) if mode != "dense" else None
                hits = store.search(vector, sparse, 10, mode)
                ranks.append(_rank([h.source for h in hits], q.paragraph))
                tops.append(hits[:5])
            n_answer = len(questions) if answer_limit is None else answer_limit
            say(f"answering {min(n_answer, len(questions))} questions extractively ({mode})")
            span_rate, answered = answer_span_rate(embedder, questions[:n_answer], tops)
            results.append({
                "mode": mode, "embedder": embedder.name, "paragraphs": len(documents),
                "questions": len(questions), **_rounded(rank_metrics(ranks)),
                "answer_span_rate": round(span_rate, 4) if span_rate is not None else None,
                "answer_questions": answered, "ingest_seconds": round(ingest_seconds, 1),
                "seconds": round(ingest_seconds + embed_seconds
                                 + time.perf_counter() - mode_started, 1),
            })
        store.close()
    if with_bm25:
        say("BM25 baseline")
        results.append(bm25_baseline(documents, questions))
    return results
