"""Latency of one retrieval (query embedding + Qdrant search), as `rag search` does it, and
of an extractive `rag ask` in the default search mode (to its first sentence and to its end).

Collections: the SQuAD dev paragraphs (2,067, really embedded; --no-squad skips them), and N
synthetic chunks for each size given (default 100,000: random unit vectors plus sparse vectors
of real SQuAD sentences, upserted directly, since only the search cost matters). Each is built
on every embedded engine given (--engine local edge: qdrant-client local mode, qdrant-edge) and
queried with real SQuAD questions in dense, sparse and hybrid mode; prints median and p95 and
writes bench/results/query_latency.json.

    .venv/bin/python bench/query_latency.py [--engine local edge] [--synthetic 2000 100000]
        [--queries 300] [--no-squad] [--out query_latency.json]
        [--rescore stored on cold off]

`--rescore` takes several ways of hybrid sentence rescoring, each measured on the same
collections in turn: stored (the sentence vectors stored at ingest, for the rescoring and the
extractive answer alike), on (sentences embedded at question time, their cache kept across
questions), cold (the same without a cache), off.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from ingest.pipeline import IngestPipeline
from rag.evaluation import load_squad
from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.extractive import ExtractiveGenerator
from rag.registry import make_embedder, make_store
from rag.retrieval.rescoring import SentenceRescorer
from rag.retrieval.retriever import Retriever
from rag.settings import load_settings
from rag.stores.base import LIVE, ChunkStore
from rag.text import lexical
from rag.types import GenerationRecord

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def unread(store: ChunkStore) -> None:
    """Every timed question is asked of passages never read before: the edge store keeps
    those a search read (rag/stores/passages.py), and these questions are asked again in
    every mode; the engine's load benchmark shows what the kept passages save."""
    cache = store.passage_cache()
    if cache is not None:
        cache.forget()


def time_queries(retriever: Retriever, questions: list[str], mode: str) -> dict[str, float]:
    """Whole retrievals (embedding included), then the store's search alone on the same
    questions with their vectors made beforehand: the difference is the embedder's."""
    timings, search_timings = [], []
    for q in questions:
        unread(retriever.store)
        started = time.perf_counter()
        retriever.search(q, 5, mode)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - started) * 1000)
    vectors = [(retriever.embedder.embed_query(q), lexical.query_vector(q)) for q in questions]
    for dense, sparse in vectors:
        unread(retriever.store)
        started = time.perf_counter()
        retriever.store.search(dense, sparse, 5, mode)  # type: ignore[arg-type]
        search_timings.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(percentile(timings, 95), 1),
            "search_median_ms": round(statistics.median(search_timings), 2),
            "search_p95_ms": round(percentile(search_timings, 95), 2)}


def time_asks(retriever: Retriever, generator: ExtractiveGenerator,
              questions: list[str]) -> dict[str, float]:
    """An extractive `ask` in the default mode: retrieval, then the answer's first sentence
    (after_search: the generator's own share) and its end."""
    first, end, after = [], [], []
    for q in questions:
        unread(retriever.store)
        started = time.perf_counter()
        hits = retriever.search(q, 5)
        searched = time.perf_counter()
        deltas = generator.stream(GenerationRequest(q, hits), GenerationRecord())
        next(deltas, None)
        now = time.perf_counter()
        first.append((now - started) * 1000)
        after.append((now - searched) * 1000)
        for _ in deltas:
            pass
        end.append((time.perf_counter() - started) * 1000)
    return {"ask_first_token_median_ms": round(statistics.median(first), 1),
            "ask_first_token_p95_ms": round(percentile(first, 95), 1),
            "ask_end_median_ms": round(statistics.median(end), 1),
            "ask_end_p95_ms": round(percentile(end, 95), 1),
            "first_token_after_search_median_ms": round(statistics.median(after), 1)}


RESCORING = ("stored", "on", "cold", "off")


def for_rescoring(way: str, embedder, store: ChunkStore, answer_sentences: int
                  ) -> tuple[Retriever, ExtractiveGenerator]:
    """The retriever and extractive answerer of one way of sentence rescoring: only `stored`
    reads the sentence vectors stored at ingest; the others embed sentences per question."""
    retriever = Retriever(embedder, store, rescore=False)
    if way != "off":
        retriever.rescorer = SentenceRescorer(embedder, stored=way == "stored",
                                              cache_size=0 if way == "cold" else 4096)
    return retriever, ExtractiveGenerator(embedder, answer_sentences, stored=way == "stored")


def fill_synthetic(store: ChunkStore, n: int, texts: list[str], dim: int) -> None:
    rng = np.random.default_rng(7)
    batch = 2000
    for start in range(0, n, batch):
        count = min(batch, n - start)
        vectors = rng.standard_normal((count, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        chunk_texts = [texts[(start + i) % len(texts)] for i in range(count)]
        payloads = [{"doc_id": f"synthetic{(start + i) // 50}", "source": "synthetic",
                     "page": None, "position": (start + i) % 50, "text": text, "status": LIVE}
                    for i, text in enumerate(chunk_texts)]
        store.upsert_points([str(uuid.uuid4()) for _ in range(count)], vectors,
                            [lexical.document_vector(t) for t in chunk_texts], payloads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, nargs="*", default=[100_000],
                        help="sizes of synthetic collections (none: only SQuAD)")
    parser.add_argument("--engine", nargs="+", choices=["local", "edge"], default=["edge"],
                        help="embedded engines to measure (RAG_QDRANT_ENGINE values)")
    parser.add_argument("--no-squad", action="store_true", help="skip the embedded SQuAD set")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--limit", type=int, default=None, help="SQuAD questions (whole articles)")
    parser.add_argument("--out", default="query_latency.json", help="file in bench/results")
    parser.add_argument("--rescore", nargs="+", choices=list(RESCORING), default=["stored"],
                        help="hybrid sentence rescoring, each measured in turn: stored (vectors "
                             "stored at ingest, as the app runs), on (sentences embedded per "
                             "question, their cache kept across questions), cold (no cache), "
                             "off")
    args = parser.parse_args()
    settings = load_settings()
    embedder = make_embedder(settings)
    documents, questions = load_squad(SQUAD, args.limit)
    asked = [q.text for q in questions[:: max(1, len(questions) // args.queries)]][: args.queries]
    rows = []
    sizes = ([] if args.no_squad else [None]) + args.synthetic
    with tempfile.TemporaryDirectory() as tmp:
        for engine, size in ((e, n) for e in args.engine for n in sizes):
            label = "squad paragraphs" if size is None else "synthetic chunks"
            store = make_store(settings.model_copy(update={
                "qdrant_url": None, "qdrant_engine": engine, "collection": "bench",
                "qdrant_path": Path(tmp) / f"{engine}-{size}"}), embedder)
            store.ensure_collection()
            started = time.perf_counter()
            if size is None:
                pipeline = IngestPipeline(embedder, store, settings.chunk_tokens,
                                          settings.chunk_overlap)
                for result in pipeline.ingest_documents(documents):
                    assert result.status == "ingested", result.error
            else:
                sentences = [d.pages[0].text for d in documents]
                fill_synthetic(store, size, sentences, embedder.dimension)
            points = store.size()
            fill_s = time.perf_counter() - started
            for way in args.rescore:
                retriever, generator = for_rescoring(way, embedder, store,
                                                     settings.answer_sentences)
                retriever.search(asked[0], 5)  # warm up
                for mode in ("dense", "sparse", "hybrid"):
                    rows.append({"engine": engine, "collection": label, "points": points,
                                 "rescore": way, "mode": mode, "fill_seconds": round(fill_s, 1),
                                 **time_queries(retriever, asked, mode)})
                    if mode == settings.search_mode:
                        rows[-1].update(time_asks(retriever, generator, asked))
                    print(rows[-1], flush=True)
            store.close()
    print("| engine | collection | points | rescore | mode | median ms | p95 ms "
          "| search median ms | search p95 ms | ask first token median / p95 ms "
          "| ask end median / p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ask = ("| {ask_first_token_median_ms} / {ask_first_token_p95_ms} "
               "| {ask_end_median_ms} / {ask_end_p95_ms} |".format(**r)
               if "ask_end_median_ms" in r else "| | |")
        print(f"| {r['engine']} | {r['collection']} | {r['points']} | {r['rescore']} "
              f"| {r['mode']} "
              f"| {r['median_ms']} | {r['p95_ms']} | {r['search_median_ms']} "
              f"| {r['search_p95_ms']} {ask}")
    out = ROOT / "bench" / "results" / args.out
    out.write_text(json.dumps({"queries": len(asked), "rescore": args.rescore, "rows": rows,
                               "machine": f"{platform.machine()}, {os.cpu_count()} cores"},
                              indent=2) + "\n")


if __name__ == "__main__":
    main()
