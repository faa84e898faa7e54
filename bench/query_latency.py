"""Latency of one retrieval (query embedding + Qdrant search), as `rag search` does it.

Two collection sizes: the SQuAD dev paragraphs (2,067, really embedded), and N synthetic chunks
(default 100,000: random unit vectors plus sparse vectors of real SQuAD sentences, upserted
directly, since only the search cost matters). Each size is queried with real SQuAD questions in
dense, sparse and hybrid mode; prints median and p95 and writes bench/results/query_latency.json.

    .venv/bin/python bench/query_latency.py [--synthetic 100000] [--queries 300]
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
from qdrant_client import models

from ingest.pipeline import IngestPipeline
from rag import lexical
from rag.evaluation import load_squad
from rag.registry import make_embedder
from rag.retriever import Retriever
from rag.settings import load_settings
from rag.store import DENSE, LIVE, SPARSE, QdrantStore, open_client

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def time_queries(retriever: Retriever, questions: list[str], mode: str) -> dict[str, float]:
    timings = []
    for q in questions:
        started = time.perf_counter()
        retriever.search(q, 5, mode)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(percentile(timings, 95), 1)}


def fill_synthetic(store: QdrantStore, n: int, texts: list[str], dim: int) -> None:
    rng = np.random.default_rng(7)
    batch = 2000
    for start in range(0, n, batch):
        count = min(batch, n - start)
        vectors = rng.standard_normal((count, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        points = []
        for i in range(count):
            text = texts[(start + i) % len(texts)]
            indices, values = lexical.document_vector(text)
            points.append(models.PointStruct(
                id=str(uuid.uuid4()),
                vector={DENSE: vectors[i].tolist(),
                        SPARSE: models.SparseVector(indices=indices, values=values)},
                payload={"doc_id": f"synthetic{(start + i) // 50}", "source": "synthetic",
                         "page": None, "position": (start + i) % 50, "text": text,
                         "status": LIVE}))
        store.client.upsert(store.collection, points=points, wait=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--limit", type=int, default=None, help="SQuAD questions (whole articles)")
    args = parser.parse_args()
    settings = load_settings()
    embedder = make_embedder(settings)
    documents, questions = load_squad(SQUAD, args.limit)
    asked = [q.text for q in questions[:: max(1, len(questions) // args.queries)]][: args.queries]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, size in (("squad paragraphs", None), ("synthetic chunks", args.synthetic)):
            store = QdrantStore(open_client(None, None, f"{tmp}/{label}"), "bench",
                                embedder.name, embedder.dimension)
            store.ensure_collection()
            started = time.perf_counter()
            if size is None:
                pipeline = IngestPipeline(embedder, store, settings.chunk_tokens,
                                          settings.chunk_overlap)
                for doc in documents:
                    pipeline.ingest_document(doc)
            else:
                sentences = [d.pages[0].text for d in documents]
                fill_synthetic(store, size, sentences, embedder.dimension)
            points = store.client.count(store.collection, exact=True).count
            fill_s = time.perf_counter() - started
            retriever = Retriever(embedder, store)
            retriever.search(asked[0], 5)  # warm up
            for mode in ("dense", "sparse", "hybrid"):
                rows.append({"collection": label, "points": points, "mode": mode,
                             "fill_seconds": round(fill_s, 1),
                             **time_queries(retriever, asked, mode)})
                print(rows[-1], flush=True)
            store.close()
    print("| collection | points | mode | median ms | p95 ms |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['collection']} | {r['points']} | {r['mode']} | {r['median_ms']} "
              f"| {r['p95_ms']} |")
    out = ROOT / "bench" / "results" / "query_latency.json"
    out.write_text(json.dumps({"queries": len(asked), "rows": rows,
                               "machine": f"{platform.machine()}, {os.cpu_count()} cores"},
                              indent=2) + "\n")


if __name__ == "__main__":
    main()
