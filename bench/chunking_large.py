"""Preparing one large text file (parse, chunk, sparse vectors), the step before embedding:
time against the text's size, which should grow in step with it. Then a CSV of one long cell,
which the loader writes as many row lines of one sentence: its chunking alone.

Writes bench/results/chunking_large.json.

    .venv/bin/python bench/chunking_large.py [--cell-words 10000 20000 40000 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ("alpha beta gamma delta river mountain kettle warranty garden tomato engine window "
         "paper").split()


def text_of(lines: int) -> bytes:
    rng = random.Random(lines)
    return "\n".join(f"Line {n}: " + " ".join(rng.choice(WORDS) for _ in range(12)) + "."
                     for n in range(lines)).encode()


def one_cell_csv(words: int) -> bytes:
    return ("Note\n" + "word " * words + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell-words", type=int, nargs="+", default=[10_000, 20_000, 40_000,
                                                                      200_000])
    args = parser.parse_args()
    os.environ["RAG_DATA_DIR"] = tempfile.mkdtemp(prefix="rag-bench-")
    from ingest.loaders import load_bytes
    from ingest.prepare import prepare_file
    from rag.service import build_service
    from rag.settings import load_settings, make_folders

    settings = load_settings()
    make_folders(settings)
    chunker = build_service(settings).pipeline.chunker
    rows = []
    print(f"{'lines':>8} {'size':>10} {'chunks':>7} {'seconds':>8} {'MiB/s':>6}")
    for lines in (15_000, 30_000, 60_000, 120_000):
        data = text_of(lines)
        started = time.perf_counter()
        prepared = prepare_file(Path("large.txt"), data, "large.txt", chunker)
        seconds = time.perf_counter() - started
        rows.append({"lines": lines, "mib": round(len(data) / 2**20, 2),
                     "chunks": len(prepared.chunks), "seconds": round(seconds, 2)})
        print(f"{lines:>8,} {len(data) / 2**20:7.2f} MiB {len(prepared.chunks):>7,} "
              f"{seconds:8.2f} {len(data) / 2**20 / seconds:6.2f}", flush=True)
    cells = []
    print(f"\n{'cell words':>10} {'size':>10} {'chunks':>7} {'chunking s':>10}")
    for words in args.cell_words:
        data = one_cell_csv(words)
        document = load_bytes(Path("cell.csv"), data, "cell.csv")
        started = time.perf_counter()
        chunks = chunker(document)
        seconds = time.perf_counter() - started
        cells.append({"words": words, "mib": round(len(data) / 2**20, 2),
                      "chunks": len(chunks), "seconds": round(seconds, 2)})
        print(f"{words:>10,} {len(data) / 2**20:7.2f} MiB {len(chunks):>7,} {seconds:10.2f}",
              flush=True)
    out = ROOT / "bench" / "results" / "chunking_large.json"
    out.write_text(json.dumps({"results": rows, "one_cell_csv": cells}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
