"""Retrieval quality on the SQuAD v1.1 dev set: dense, sparse and hybrid, beside plain BM25.

All modes share one ingest of the paragraphs into a throw-away collection; BM25 (rank-bm25)
runs in the same process as the baseline. Prints a table and writes bench/results/squad_eval.json.

    .venv/bin/python bench/squad_eval.py [--limit N] [--answer-limit N] [--every K]
        [--precision int8 fp32]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

from rag.evaluation import evaluate
from rag.registry import make_embedder
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
COLUMNS = ["mode", "embedder", "paragraphs", "questions", "hit@1", "hit@5", "hit@10", "mrr@10",
           "ndcg@10", "answer_span_rate", "seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--answer-limit", type=int, default=1000)
    parser.add_argument("--every", type=int, default=1, help="keep every k-th question")
    parser.add_argument("--precision", nargs="+", choices=["int8", "fp32"],
                        help="local model precisions to compare (default: the configured one); "
                             "the first runs every mode and BM25, the others dense and hybrid")
    args = parser.parse_args()
    settings = load_settings()
    results = []
    for n, precision in enumerate(args.precision or [settings.local_precision]):
        configured = settings.model_copy(update={"local_precision": precision})
        modes = ["dense", "sparse", "hybrid"] if n == 0 else ["dense", "hybrid"]
        results += evaluate(make_embedder(configured), args.squad, modes, args.limit,
                            args.answer_limit, settings.chunk_tokens, settings.chunk_overlap,
                            with_bm25=n == 0, progress=print, every=args.every)
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for r in results:
        print("| " + " | ".join("" if r.get(c) is None else str(r[c]) for c in COLUMNS) + " |")
    out = ROOT / "bench" / "results" / "squad_eval.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "squad": str(args.squad), "answer_limit": args.answer_limit, "every": args.every,
        "results": results,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }, indent=2) + "\n")


if __name__ == "__main__":
    main()
