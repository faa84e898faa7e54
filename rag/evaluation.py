"""Retrieval evaluation on a SQuAD-format file: does the search find the question's paragraph?

Each paragraph becomes a document in a throw-away collection (a temporary embedded store, so
the user's own library is never touched); every question is searched, and the rank of the
first chunk from its own paragraph gives hit@1/5/10, MRR@10 and nDCG@10. A sample of questions
is also answered by the extractive generator to see how often the answer holds a gold span.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders import content_id
from ingest.pipeline import IngestPipeline
from rag import lexical
from rag.embedders.base import Embedder
from rag.generators.base import GenerationRequest
from rag.generators.extractive import ExtractiveGenerator
from rag.store import QdrantStore, SearchMode, open_client
from rag.types import Document, GenerationRecord, Page


@dataclass(frozen=True)
class Question:
    text: str
    paragraph: str  # source id of the gold paragraph
    answers: tuple[str, ...]


def load_squad(path: Path, limit: int | None = None) -> tuple[list[Document], list[Question]]:
    """Paragraphs as documents and their questions; `limit` caps questions (whole articles)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    documents: list[Document] = []
    questions: list[Question] = []
    for article in data:
        if limit is not None and len(questions) >= limit:
            break
        for i, para in enumerate(article["paragraphs"]):
            source = f"squad:{article['title']}#{i}"
            context = para["context"]
            documents.append(Document(source, content_id(context.encode()), article["title"],
                                      [Page(None, context)], "text/plain"))
            for qa in para["qas"]:
                answers = tuple(sorted({a["text"] for a in qa.get("answers", [])}))
                questions.append(Question(qa["question"], source, answers))
    if limit is not None:
        questions = questions[:limit]
    return documents, questions


def rank_metrics(ranks: list[int | None]) -> dict[str, float]:
    """hit@k, MRR@10 and nDCG@10 for one relevant item per query (rank is 1-based)."""
    n = max(len(ranks), 1)
    hit = lambda k: sum(1 for r in ranks if r is not None and r <= k) / n  # noqa: E731
    in10 = [r for r in ranks if r is not None and r <= 10]
    return {
        "hit@1": hit(1), "hit@5": hit(5), "hit@10": hit(10),
        "mrr@10": sum(1 / r for r in in10) / n,
        "ndcg@10": sum(1 / math.log2(r + 1) for r in in10) / n,
    }


def evaluate(embedder: Embedder, squad: Path, mode: SearchMode = "hybrid",
             limit: int | None = None, answer_limit: int = 1000, chunk_tokens: int = 200,
             chunk_overlap: int = 30,
             progress: Callable[[str], None] | None = None) -> dict[str, object]:
    """Run the evaluation; returns the figures `rag eval --json` prints."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    documents, questions = load_squad(squad, limit)
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        store = QdrantStore(open_client(None, None, tmp), "eval", embedder.name,
                            embedder.dimension)
        store.ensure_collection()
        pipeline = IngestPipeline(embedder, store, chunk_tokens, chunk_overlap)
        say(f"ingesting {len(documents)} paragraphs")
        for doc in documents:
            result = pipeline.ingest_document(doc)
            if result.status == "failed":
                raise RuntimeError(result.error)
        ingest_seconds = time.perf_counter() - started
        say(f"searching {len(questions)} questions ({mode})")
        texts = [embedder.query_instruction + q.text for q in questions]
        dense = embedder.embed_documents(texts) if mode != "sparse" else [None] * len(texts)
        ranks: list[int | None] = []
        top_hits = []
        for q, vector in zip(questions, dense, strict=True):
            sparse = lexical.query_vector(q.text) if mode != "dense" else None
            hits = store.search(vector, sparse, 10, mode)
            sources = [h.source for h in hits]
            ranks.append(sources.index(q.paragraph) + 1 if q.paragraph in sources else None)
            top_hits.append(hits[:5])
        say(f"answering {min(answer_limit, len(questions))} questions extractively")
        generator = ExtractiveGenerator(embedder)
        answered = contains = 0
        for q, hits in list(zip(questions, top_hits, strict=True))[:answer_limit]:
            if not q.answers:
                continue
            text = "".join(generator.stream(GenerationRequest(q.text, hits), GenerationRecord()))
            answered += 1
            contains += any(a.lower() in text.lower() for a in q.answers)
        store.close()
    return {
        "mode": mode, "embedder": embedder.name, "paragraphs": len(documents),
        "questions": len(questions), **{k: round(v, 4) for k, v in rank_metrics(ranks).items()},
        "answer_span_rate": round(contains / answered, 4) if answered else None,
        "answer_questions": answered, "ingest_seconds": round(ingest_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
