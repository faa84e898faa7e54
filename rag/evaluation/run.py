"""Retrieval evaluation on a SQuAD-format file: does the search find the question's paragraph?

Each paragraph becomes a document in a throw-away collection (a temporary embedded edge store,
so the user's own library is never touched); every question is searched the way the app
searches (the Retriever: fusion, then sentence rescoring in hybrid mode), and the rank of the
first chunk from its own paragraph gives hit@1/5/10, MRR@10 and nDCG@10. Questions are also
answered by the extractive generator, to see how often the answer holds a gold answer span and
how often its first citation is the gold paragraph. Several modes share one ingest; plain BM25
(rank-bm25) can run beside them as the baseline.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import numpy as np

from ingest.pipeline import IngestPipeline
from rag.errors import ConfigError
from rag.evaluation.metrics import (
    cuts_a_sentence,
    first_citation,
    first_rank,
    rank_metrics,
    share,
)
from rag.evaluation.squad import Question, load_squad
from rag.providers.embedders.base import Embedder
from rag.providers.generators.base import GenerationRequest, Quoted
from rag.providers.generators.extractive import DATE_BONUS, MATCH_BONUS, ExtractiveGenerator
from rag.retrieval.introduced_code import with_following_code
from rag.retrieval.rescoring import SentenceRescorer
from rag.retrieval.retriever import Retriever
from rag.stores.base import ChunkStore
from rag.stores.edge import EdgeStore, open_edge_client
from rag.text import lexical
from rag.types import Document, GenerationRecord, Hit, SearchMode, counted

Progress = Callable[[str], None]
ANSWER_PASSAGES = 5  # passages the answerer is given, as the app's default top_k
CHUNK_TOKENS, CHUNK_OVERLAP = 200, 30  # the app's default chunks
BM25_MODE = "bm25 (rank-bm25)"  # the plain BM25 baseline's row, beside the search modes'
#: how hybrid search's sentence rescoring and the extractive answerer get sentence vectors:
#: stored at ingest (the default), stored for rescoring but embedded by the answerer, both
#: embedded at question time, or no rescoring (the answerer embedding); or the default with
#: no word-by-word match, or with none in the answer alone
Rescoring = Literal["stored", "stored-rescore", "question", "off", "no-words",
                    "answer-no-words"]
RESCORING_LABELS: dict[str, str] = {
    "stored": "", "stored-rescore": " (answerer embeds)",
    "question": " (question-time rescoring)", "off": " (no rescoring)",
    "no-words": " (no word match)", "answer-no-words": " (no word match in the answer)"}


def answer_rates(embedder: Embedder, questions: Sequence[Question],
                 hits: Sequence[list[Hit]], gold: Callable[[Hit], Hashable],
                 golds: Sequence[Hashable], stored: bool = True,
                 match_bonus: float = MATCH_BONUS, date_bonus: float = DATE_BONUS,
                 searched: Sequence[str] | None = None) -> dict:
    """Share of questions whose extractive answer holds a gold span (questions with spans
    only), and share whose answer's first citation is the gold passage (`gold(hit)` is the
    key compared with the question's entry in `golds`). `stored`: the answerer uses stored
    sentence vectors where the passages have them; `match_bonus` weighs their sentences'
    word matches, `date_bonus` a date in a sentence asked "When ...?"; `searched`, one a
    question, what was searched for it when that was not the question (a follow-up with
    the words it leans on). Also the share of answers that quote a sentence cut short
    (`metrics.cuts_a_sentence`)."""
    generator = ExtractiveGenerator(embedder, stored=stored, match_bonus=match_bonus,
                                    date_bonus=date_bonus)
    spans = spanned = cited = cut = 0
    for n, (q, top, key) in enumerate(zip(questions, hits, golds, strict=True)):
        request = GenerationRequest(q.text, top, searched=(
            searched[n] if searched is not None and searched[n] != q.text else None))
        deltas = list(generator.stream(request, GenerationRecord()))
        text = "".join(deltas)
        number = first_citation("".join(d for d in deltas if not isinstance(d, Quoted)))
        cited += number is not None and number <= len(top) and gold(top[number - 1]) == key
        cut += cuts_a_sentence(text)
        if q.answers:
            spanned += 1
            spans += any(a.lower() in text.lower() for a in q.answers)
    return {"answer_span_rate": share(spans, spanned),
            "first_citation_rate": share(cited, len(questions)),
            "cut_answer_rate": share(cut, len(questions)),
            "answer_questions": len(questions)}


def bm25_ranks(texts: Sequence[str], keys: Sequence[Hashable],
               questions: Sequence[Question], golds: Sequence[Hashable]) -> list[int | None]:
    """Plain BM25 (rank-bm25, the same stemmed terms) over whole texts: each gold's rank."""
    from rank_bm25 import BM25Okapi

    index = BM25Okapi([lexical.terms(t) or ["_"] for t in texts])
    ranks = []
    for q, gold in zip(questions, golds, strict=True):
        top = np.argsort(-index.get_scores(lexical.terms(q.text)))[:10]
        ranks.append(first_rank([keys[i] for i in top], gold))
    return ranks


def bm25_result(texts: Sequence[str], keys: Sequence[Hashable],
                questions: Sequence[Question], golds: Sequence[Hashable]) -> dict:
    """Plain BM25's result row over whole texts, for comparison with the modes'."""
    started = time.perf_counter()
    ranks = bm25_ranks(texts, keys, questions, golds)
    return {"mode": BM25_MODE, "paragraphs": len(texts),
            "questions": len(questions), **rounded(rank_metrics(ranks)),
            "answer_span_rate": None, "first_citation_rate": None,
            "seconds": round(time.perf_counter() - started, 1)}


def rounded(metrics: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in metrics.items()}


def variants_table(rows: Sequence[dict], sets: Sequence[str], variants: Sequence[str]) -> str:
    """A Markdown table of each variant's hit@1 / hit@5 / MRR@10 per set, from `rows` of
    {"variant", "hit@1", "hit@5", "mrr@10"} in the sets' order."""
    lines = ["| variant | " + " | ".join(sets) + " |", "|---" * (len(sets) + 1) + "|"]
    for label in variants:
        cells = [f"{r['hit@1']:.3f} / {r['hit@5']:.3f} / {r['mrr@10']:.3f}"
                 for r in rows if r["variant"] == label]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def search_all(retriever: Retriever, questions: Sequence[Question],
               dense: np.ndarray | None, mode: SearchMode, top_k: int = 10) -> list[list[Hit]]:
    """Every question's hits, searched as the app searches."""
    return [retriever.retrieve_with(q.text, dense[i] if dense is not None else None, top_k,
                                    mode).hits
            for i, q in enumerate(questions)]


def eval_retriever(embedder: Embedder, store: ChunkStore,
                   rescoring: Rescoring = "stored") -> Retriever:
    """The app's retriever, with room to keep every sentence vector of a set (a set's
    questions come back to the same passages again and again)."""
    retriever = Retriever(embedder, store, rescore=False)
    if rescoring != "off":
        retriever.rescorer = SentenceRescorer(
            embedder, cache_size=1_000_000, stored=rescoring != "question",
            **({"match_weight": 0.0} if rescoring == "no-words" else {}))
    return retriever


def embed_questions(embedder: Embedder, questions: Sequence[Question]) -> np.ndarray:
    return embedder.embed_documents([embedder.query_instruction + q.text for q in questions])


def ingest_paragraphs(pipeline: IngestPipeline, documents: Sequence[Document],
                      questions: Sequence[Question], squad: Path, say: Progress
                      ) -> tuple[list[Document], list[Question]]:
    """Ingest the paragraphs; one that cannot be indexed (an empty context, or one of spaces)
    is left out with its questions, and said so, as `rag ingest` goes on past a failed file."""
    failed = {result.path: result.error for result in pipeline.ingest_documents(documents)
              if result.status == "failed"}
    if not failed:
        return list(documents), list(questions)
    kept = [q for q in questions if q.paragraph not in failed]
    left_out = counted(len(questions) - len(kept), "question")
    say(f"left out {left_out} on {counted(len(failed), 'paragraph')} that could not be "
        f"indexed ({next(iter(failed.values()))})")
    if not kept:
        raise ConfigError(f"{squad} holds no questions on a paragraph with text to index.")
    return [d for d in documents if d.source not in failed], kept


@contextmanager
def ingested_set(embedder: Embedder, squad: Path, documents: Sequence[Document],
                 questions: Sequence[Question], say: Progress,
                 chunk_tokens: int = CHUNK_TOKENS, chunk_overlap: int = CHUNK_OVERLAP
                 ) -> Iterator[tuple[ChunkStore, list[Document], list[Question]]]:
    """A set's paragraphs ingested into a throw-away embedded store, closed on leaving:
    the store, and the paragraphs and questions kept (`ingest_paragraphs`)."""
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        store = EdgeStore(open_edge_client(tmp), "eval", embedder.name, embedder.dimension)
        try:
            store.ensure_collection()
            pipeline = IngestPipeline(embedder, store, chunk_tokens, chunk_overlap)
            say(f"ingesting {counted(len(documents), 'paragraph')}")
            yield store, *ingest_paragraphs(pipeline, documents, questions, squad, say)
        finally:
            store.close()


def searched_once(embedder: Embedder, squad: Path, every: int = 1,
                  rescorer: SentenceRescorer | None = None, say: Progress = print
                  ) -> tuple[list[Question], list[list[Hit]]]:
    """A set ingested into a throw-away embedded store, and each question's top 10 searched
    once in hybrid mode as the app searches: for benches that then vary what comes after the
    search. `rescorer` stands in for the app's, to see what it is handed."""
    documents, questions = load_squad(squad, None, every)
    with ingested_set(embedder, squad, documents, questions, say) as (store, _, questions):
        dense = embed_questions(embedder, questions)
        retriever = eval_retriever(embedder, store, "stored")
        if rescorer is not None:
            retriever.rescorer = rescorer
        return questions, search_all(retriever, questions, dense, "hybrid")


def evaluate(embedder: Embedder, squad: Path, modes: Sequence[SearchMode] = ("hybrid",),
             limit: int | None = None, answer_limit: int | None = 1000,
             chunk_tokens: int = CHUNK_TOKENS, chunk_overlap: int = CHUNK_OVERLAP,
             with_bm25: bool = False,
             progress: Progress | None = None, every: int = 1,
             rescoring: Sequence[Rescoring] = ("stored",)) -> list[dict]:
    """One result per mode (plus BM25 when asked): the figures `rag eval --json` prints.
    Hybrid mode gives one result per way of `rescoring` (its mode then says which)."""
    say = progress or (lambda _msg: None)
    documents, questions = load_squad(squad, limit, every)
    results = []
    started = time.perf_counter()
    with ingested_set(embedder, squad, documents, questions, say, chunk_tokens,
                      chunk_overlap) as (store, documents, questions):
        ingest_seconds = time.perf_counter() - started
        dense = None
        if any(m != "sparse" for m in modes):
            say(f"embedding {len(questions)} questions")
            dense = embed_questions(embedder, questions)
        embed_seconds = time.perf_counter() - started - ingest_seconds
        runs = [(mode, way) for mode in modes
                for way in (rescoring if mode == "hybrid" else ["stored"])]
        for mode, way in runs:
            retriever = eval_retriever(embedder, store, way)
            mode_started = time.perf_counter()
            say(f"searching {len(questions)} questions ({mode}{RESCORING_LABELS[way]})")
            hits = search_all(retriever, questions, dense if mode != "sparse" else None,
                              mode)
            ranks = [first_rank([h.source for h in top], q.paragraph)
                     for q, top in zip(questions, hits, strict=True)]
            n_answer = len(questions) if answer_limit is None else answer_limit
            say(f"answering {min(n_answer, len(questions))} questions extractively "
                f"({mode})")
            # with the code their last sentences introduce or their programs go on with, as
            # the app answers
            answers = answer_rates(embedder, questions[:n_answer],
                                   [with_following_code(top[:ANSWER_PASSAGES], store)
                                    for top in hits[:n_answer]],
                                   lambda h: h.source,
                                   [q.paragraph for q in questions[:n_answer]],
                                   stored=way in ("stored", "no-words",
                                                  "answer-no-words"),
                                   match_bonus=0.0 if way == "answer-no-words"
                                   else MATCH_BONUS)
            results.append({
                "mode": mode + (RESCORING_LABELS[way] if mode == "hybrid" else ""),
                "embedder": embedder.name, "paragraphs": len(documents),
                "questions": len(questions), **rounded(rank_metrics(ranks)), **answers,
                "ingest_seconds": round(ingest_seconds, 1),
                "seconds": round(ingest_seconds + embed_seconds
                                 + time.perf_counter() - mode_started, 1),
            })
    if with_bm25:
        say("BM25 baseline")
        results.append(bm25_result([d.pages[0].text for d in documents],
                                   [d.source for d in documents],
                                   questions, [q.paragraph for q in questions]))
    return results
