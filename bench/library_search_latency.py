"""Latency of one search of a real library, its questions' vectors already cached: the store's
part of a retrieval (fusion, reading passages, rescoring), not the model's.

A folder (default: the sample documents, whose R FAQ has contents pages) is ingested into a
throw-away store; each question is searched once to warm the caches, then every question is
searched `--rounds` times in turn (hybrid, top 5), each search timed. Prints the median and
p95 and adds the run to bench/results/library_search_latency.json (or `--out`), after the
runs already there. To compare two versions of the code, run each tree's copy alternately,
each with its `--label`, the same `--out`: the machine's speed drifts over minutes.

    .venv/bin/python bench/library_search_latency.py [--library DIR] [--rounds N]
        [--label TEXT] [--out NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.service import build_service  # noqa: E402
from rag.settings import load_settings  # noqa: E402

QUESTIONS = ROOT / "bench" / "questions" / "r-faq-paraphrased.tsv"
RESULTS = ROOT / "bench" / "results"


def timed_searches(library: Path, questions: list[str], rounds: int) -> list[float]:
    """Seconds of each search, after one warming search per question."""
    with tempfile.TemporaryDirectory(prefix="rag-latency-") as data_dir:
        os.environ["RAG_DATA_DIR"] = data_dir
        os.environ.setdefault("RAG_MODEL_DIR", str(ROOT / "data" / "models"))
        service = build_service(load_settings())
        try:
            service.ingest([library])
            for question in questions:
                service.search(question, top_k=5)
            times = []
            for _ in range(rounds):
                for question in questions:
                    started = time.perf_counter()
                    service.search(question, top_k=5)
                    times.append(time.perf_counter() - started)
            return times
        finally:
            service.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", type=Path, default=ROOT / "data" / "samples")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--label", default="")
    parser.add_argument("--out", default="library_search_latency.json")
    args = parser.parse_args()
    questions = [line.split("\t")[1] for line in QUESTIONS.read_text().splitlines()
                 if "\t" in line]
    times = timed_searches(args.library, questions, args.rounds)
    ordered = sorted(times)
    result = {"label": args.label,
              "library": str(args.library.relative_to(ROOT) if args.library.is_relative_to(ROOT)
                             else args.library),
              "questions": len(questions), "searches": len(times),
              "median_ms": round(statistics.median(times) * 1000, 2),
              "p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 2),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    print("| label | library | searches | median ms | p95 ms |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| {args.label} | {result['library']} | {result['searches']} | "
          f"{result['median_ms']} | {result['p95_ms']} |")
    out = RESULTS / args.out
    runs = json.loads(out.read_text())["runs"] if out.exists() else []
    out.write_text(json.dumps({"benchmark": "library_search_latency", "runs": [*runs, result]},
                              indent=2) + "\n")
    print(f"added run {len(runs) + 1} to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
