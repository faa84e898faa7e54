"""What storing word vectors at ingest costs: ingest time, bytes per chunk, and a question's
time in the rescoring that matches them.

1. The real manuals (../shared/data/pdfs/real) ingested by the app's pipeline into a fresh
   embedded (edge) store, without word vectors (no word pooled: as a collection filled before
   them) and with them (the default), alternating, `--rounds` times each: seconds, chunks/s,
   the stored field's bytes per chunk, words per chunk, the store's folder on disk.
2. On the last collection with them, the manuals' questions (bench/questions/manuals.txt)
   searched in hybrid mode as the app searches, with the word match and without it
   (MATCH_WEIGHT 0), alternating, `--rounds` × `--repeat` times each: the search's median and
   p95 milliseconds, the question's vector made anew each time (its words come from that same
   forward pass).

    .venv/bin/python bench/word_vectors.py [FOLDER] [--rounds 2] [--repeat 5]

Writes bench/results/word_vectors.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

from ingest.pipeline import IngestPipeline
from rag.registry import make_embedder
from rag.retrieval.retriever import Retriever
from rag.settings import load_settings
from rag.stores import word_vectors
from rag.stores.base import Where
from rag.stores.edge import EdgeStore, open_edge_client

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "pdfs" / "real"
QUESTIONS = ROOT / "bench" / "questions" / "manuals.txt"


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def ingest_once(embedder, folder: Path, keep: bool, settings, tmp: Path) -> tuple[dict, EdgeStore]:
    """One ingest of `folder` into a new collection under `tmp`, with or without word vectors;
    the store is left open for the questions."""
    store = EdgeStore(open_edge_client(str(tmp)), "bench", embedder.name, embedder.dimension)
    store.ensure_collection()
    pipeline = IngestPipeline(embedder, store, settings.chunk_tokens, settings.chunk_overlap,
                              settings.upsert_batch_size)
    # without: no content word is found, so none is pooled and the field holds no rows
    words = nullcontext() if keep else mock.patch("ingest.embedding.lexical.content_spans",
                                                  lambda _text: [])
    with words:
        started = time.perf_counter()
        report = pipeline.ingest_paths([folder])
        seconds = time.perf_counter() - started
    chunks = report.totals()["chunks"]
    field_bytes, counts = [], []
    for _pid, payload in store._scroll(Where(), [word_vectors.FIELD]):
        stored = payload.get(word_vectors.FIELD)
        if stored is not None:
            field_bytes.append(len(json.dumps(stored)))
            rows = word_vectors.decode(stored)
            counts.append(0 if rows is None else len(rows))
    row = {"word_vectors": keep, "chunks": chunks, "seconds": round(seconds, 1),
           "chunks_per_second": round(chunks / seconds, 1),
           "disk_bytes_per_chunk": round(folder_bytes(tmp) / chunks),
           "field_bytes_per_chunk": round(statistics.mean(field_bytes)),
           "words_per_chunk": round(statistics.mean(counts), 1)}
    return row, store


def search_times(embedder, store: EdgeStore, questions: list[str], match: bool,
                 repeat: int) -> list[float]:
    retriever = Retriever(embedder, store)
    assert retriever.rescorer is not None
    if not match:
        retriever.rescorer.match_weight = 0.0
    seconds = []
    for _ in range(repeat):
        for question in questions:
            started = time.perf_counter()
            retriever.retrieve(question, 5)
            seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5, help="passes over the questions")
    args = parser.parse_args()
    settings = load_settings()
    embedder = make_embedder(settings)
    questions = [q for q in QUESTIONS.read_text().splitlines() if q.strip()]
    ingests: list[dict] = []
    searches: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="rag-wordvec-") as tmp:
        last = None
        for round_ in range(args.rounds):
            for keep in (False, True):
                folder = Path(tmp) / f"{round_}-{keep}"
                folder.mkdir()
                row, store = ingest_once(embedder, args.folder, keep, settings, folder)
                if last is not None:
                    last.close()
                last = store
                ingests.append({"round": round_ + 1, **row})
                print(ingests[-1], flush=True)
        assert last is not None
        search_times(embedder, last, questions[:5], True, 1)  # warm the session and caches
        for _ in range(args.rounds):
            for match in (False, True):
                searches[match] += search_times(embedder, last, questions, match, args.repeat)
        last.close()

    def median_of(keep: bool, key: str) -> float:
        return statistics.median(r[key] for r in ingests if r["word_vectors"] == keep)

    def ms(values: list[float], q: int) -> float:
        return round(1000 * statistics.quantiles(values, n=100)[q - 1], 2)

    print("\n| ingest | seconds (median) | chunks/s | field bytes per chunk | words per chunk "
          "| on disk, bytes per chunk |")
    print("|---|---|---|---|---|---|")
    for keep in (False, True):
        print(f"| {'with' if keep else 'without'} word vectors | {median_of(keep, 'seconds')} "
              f"| {median_of(keep, 'chunks_per_second')} "
              f"| {median_of(keep, 'field_bytes_per_chunk'):.0f} "
              f"| {median_of(keep, 'words_per_chunk')} "
              f"| {median_of(keep, 'disk_bytes_per_chunk'):.0f} |")
    rows = [{"word_match": match, "searches": len(values), "median_ms": ms(values, 50),
             "p95_ms": ms(values, 95)} for match, values in searches.items()]
    print("\n| hybrid search | searches | median ms | p95 ms |")
    print("|---|---|---|---|")
    for row in sorted(rows, key=lambda r: r["word_match"]):
        print(f"| {'with' if row['word_match'] else 'without'} the word match "
              f"| {row['searches']} | {row['median_ms']} | {row['p95_ms']} |")
    out = ROOT / "bench" / "results" / "word_vectors.json"
    out.write_text(json.dumps({
        "folder": str(args.folder), "rounds": args.rounds, "ingest": ingests,
        "search": rows, "questions": len(questions),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}"}, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
