"""qdrant-edge's search pool against searching in the calling thread, on a busy machine.

An engine answering many questions calls the store from many threads at once. With a search
pool (qdrant-edge's default: a thread per core) each query is handed to a pool thread and the
caller waits for it; with `max_search_threads=1` the query runs in the caller. Both settings
over the same shard: four Python threads each run a hybrid search's two sides (one
`query_batch`, 100 candidates a side, as `ChunkStore.search` does) 300 times, with a little
Python work between searches, first on an idle machine, then with two processes spinning on
the two cores (as the engine's own threads, the model's stand-in and the clients do under
bench/api_load.py). Then one query over a large shard, where a pool could help.

    .venv/bin/python bench/edge_search_threads.py [--points 300] [--large 100000]

Prints a table and writes bench/results/edge_search_threads.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from array import array
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.stores.fusion import DENSE, SPARSE  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "edge_search_threads.json"
DIMENSION = 384
SETTINGS = {"pool (default)": None, "in the caller (max_search_threads=1)": 1}


def spin() -> None:
    while True:
        pass


def make_shard(folder: str, points: int, threads: int | None, seed: int = 0) -> qe.EdgeShard:
    config = qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=DIMENSION, distance=qe.Distance.Cosine)},
        sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        max_search_threads=threads)
    shard = qe.EdgeShard.create(folder, config)
    rows = np.random.default_rng(seed).random((points, DIMENSION), dtype=np.float32)
    for start in range(0, points, 5000):
        shard.update(qe.UpdateOperation.upsert_points([
            qe.Point(n, {DENSE: array("f", rows[n].tobytes()),
                         SPARSE: qe.SparseVector([n % 50, 60 + n % 7], [1.0, 2.0])}, {})
            for n in range(start, min(points, start + 5000))]))
    return shard


def hybrid_batch(vector: list[float]) -> qe.QueryBatchRequest:
    return qe.QueryBatchRequest([
        qe.QueryRequest(limit=100, query=qe.Query.Nearest(vector, using=DENSE)),
        qe.QueryRequest(limit=100, query=qe.Query.Nearest(
            qe.SparseVector([1, 2, 3, 61], [1.0, 1.0, 1.0, 1.0]), using=SPARSE))])


def threaded_searches(shard: qe.EdgeShard, threads: int = 4, rounds: int = 300
                      ) -> dict[str, float]:
    request = hybrid_batch(np.random.default_rng(1).random(DIMENSION).tolist())
    times: list[float] = []

    def searcher() -> None:
        for _ in range(rounds):
            started = time.perf_counter()
            shard.query_batch(request)
            times.append(time.perf_counter() - started)
            sum(range(3000))  # the rest of a question's Python work

    workers = [threading.Thread(target=searcher) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    ordered = sorted(times)
    return {"median_ms": round(statistics.median(ordered) * 1000, 3),
            "p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 3),
            "mean_ms": round(statistics.mean(ordered) * 1000, 3)}


def single_query_ms(shard: qe.EdgeShard, runs: int = 30) -> float:
    request = qe.QueryRequest(limit=100, query=qe.Query.Nearest(
        np.random.default_rng(2).random(DIMENSION).tolist(), using=DENSE))
    shard.query(request)
    started = time.perf_counter()
    for _ in range(runs):
        shard.query(request)
    return round((time.perf_counter() - started) / runs * 1000, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=300, help="the small shard's points")
    parser.add_argument("--large", type=int, default=100_000, help="the large shard's points")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rag-edge-threads-") as tmp:
        shards = {label: make_shard(f"{tmp}/{n}", args.points, threads)
                  for n, (label, threads) in enumerate(SETTINGS.items())}
        for load in ("idle", "two busy processes"):
            spinners = [multiprocessing.Process(target=spin, daemon=True)
                        for _ in range(2 if load != "idle" else 0)]
            for spinner in spinners:
                spinner.start()
            try:
                for label, shard in shards.items():
                    rows.append({"setting": label, "machine": load, "points": args.points,
                                 **threaded_searches(shard)})
                    print(rows[-1], flush=True)
            finally:
                for spinner in spinners:
                    spinner.terminate()
        for shard in shards.values():
            shard.close()
        for n, (label, threads) in enumerate(SETTINGS.items()):
            large = make_shard(f"{tmp}/large-{n}", args.large, threads)
            rows.append({"setting": label, "machine": "idle, one thread", "points": args.large,
                         "median_ms": single_query_ms(large)})
            print(rows[-1], flush=True)
            large.close()
    table = Table(title="qdrant-edge searches: a pool or the caller's thread")
    for column in ("setting", "machine", "points", "median ms", "p95 ms", "mean ms"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["setting"], row["machine"], str(row["points"]), str(row["median_ms"]),
                      str(row.get("p95_ms", "")), str(row.get("mean_ms", "")))
    Console(width=120).print(table)
    RESULTS.write_text(json.dumps({"benchmark": "edge_search_threads",
                                   "qdrant_edge": getattr(qe, "__version__", "0.9.0"),
                                   "rows": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
