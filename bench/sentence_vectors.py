"""What storing sentence vectors at ingest costs: ingest time, bytes per chunk, and the
alternative of embedding every sentence on its own.

1. The real manuals (../shared/data/pdfs/real) ingested by the app's pipeline into a fresh
   embedded (edge) store, without sentence vectors (as a collection filled before them) and
   with them (pooled from each chunk's forward pass), alternating, `--rounds` times each:
   seconds, chunks/s, the stored field's bytes per chunk, the store's folder on disk.
2. The embedding alone, on every `--every`-th chunk of those manuals, alternating: the chunks
   only; the chunks with pooled sentence vectors; the chunks and then each sentence embedded on
   its own, one text per model call as the question-time rescoring embeds them (the same
   vectors it uses); and the same in batches of 8 sentences (int8 activations are then
   quantized per batch, so the vectors differ slightly from the one-at-a-time ones). The
   pooled way embeds each section heading on its own as ingest does; it is also timed with
   the headings pooled like the other sentences, for what that costs.

    .venv/bin/python bench/sentence_vectors.py [FOLDER] [--rounds 2] [--every 8]

Writes bench/results/sentence_vectors.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

from ingest.embedding import embed_chunks
from ingest.pipeline import IngestPipeline
from rag.registry import make_embedder
from rag.settings import load_settings
from rag.stores import sentence_vectors
from rag.stores.base import Where
from rag.stores.edge import EdgeStore, open_edge_client
from rag.text.sentences import sentences as split_sentences

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "pdfs" / "real"


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def ingest_once(embedder, folder: Path, keep: bool, settings) -> dict:
    """One ingest of `folder` into a new collection; with or without sentence vectors."""
    with tempfile.TemporaryDirectory(prefix="rag-sentvec-") as tmp:
        store = EdgeStore(open_edge_client(tmp), "bench", embedder.name, embedder.dimension)
        try:
            store.ensure_collection()
            if not keep:
                store.sentence_scheme = None  # as a collection filled before them
            pipeline = IngestPipeline(embedder, store, settings.chunk_tokens,
                                      settings.chunk_overlap, settings.upsert_batch_size)
            started = time.perf_counter()
            report = pipeline.ingest_paths([folder])
            seconds = time.perf_counter() - started
            chunks = report.totals()["chunks"]
            field_bytes, sentences, texts = [], [], []
            for _pid, payload in store._scroll(Where(), ["text", sentence_vectors.FIELD]):
                texts.append(payload["text"])
                stored = payload.get(sentence_vectors.FIELD)
                if stored is not None:
                    field_bytes.append(len(json.dumps(stored)))
                    sentences.append(len(stored["spans"]))
        finally:
            store.close()
        disk = folder_bytes(Path(tmp))
    row = {"sentence_vectors": keep, "chunks": chunks, "seconds": round(seconds, 1),
           "chunks_per_second": round(chunks / seconds, 1), "disk_bytes": disk,
           "disk_bytes_per_chunk": round(disk / chunks)}
    if sentences:
        row.update({"sentences_per_chunk": round(statistics.mean(sentences), 2),
                    "field_bytes_per_chunk": round(statistics.mean(field_bytes)),
                    "field_bytes_per_sentence": round(sum(field_bytes) / sum(sentences))})
    return row | {"_texts": texts}


def embedding_ways(embedder, texts: list[str]) -> dict:
    """Each way of making the chunks' (and their sentences') vectors, as a callable."""
    sentences = [s for text in texts for s in split_sentences(text) or [text]]

    def alone_batched() -> None:
        embedder.embed_documents(texts)
        per_text, batch = embedder._per_text, embedder.max_batch
        embedder._per_text, embedder.max_batch = False, 8
        try:
            embedder.embed_documents(sentences)
        finally:
            embedder._per_text, embedder.max_batch = per_text, batch

    def headings_pooled() -> None:
        with mock.patch("ingest.embedding._headings_alone"):
            embed_chunks(embedder, texts, sentences=True)

    return {
        "chunks only": lambda: embedder.embed_documents(texts),
        "chunks + pooled sentences, headings alone (ingest)":
            lambda: embed_chunks(embedder, texts, sentences=True),
        "chunks + pooled sentences, headings pooled too": headings_pooled,
        "chunks + each sentence alone": lambda: (embedder.embed_documents(texts),
                                                 embedder.embed_documents(sentences)),
        "chunks + sentences alone, batches of 8": alone_batched,
    }, len(sentences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--every", type=int, default=8, help="chunks sampled for part 2")
    args = parser.parse_args()
    settings = load_settings()
    embedder = make_embedder(settings)
    ingests: list[dict] = []
    texts: list[str] = []
    for round_ in range(args.rounds):
        for keep in (False, True):
            row = ingest_once(embedder, args.folder, keep, settings)
            texts = row.pop("_texts")
            ingests.append({"round": round_ + 1, **row})
            print(ingests[-1], flush=True)
    sample = texts[:: args.every]
    ways, sentence_count = embedding_ways(embedder, sample)
    timings: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, run in ways.items():
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)
            print(f"{name}: {timings[name][-1]:.1f} s", flush=True)
    base = statistics.median(timings["chunks only"])
    embedding = [{"way": name, "chunks": len(sample), "sentences": sentence_count,
                  "seconds_median": round(statistics.median(values), 2),
                  "chunks_per_second": round(len(sample) / statistics.median(values), 1),
                  "time_vs_chunks_only": round(statistics.median(values) / base, 2)}
                 for name, values in timings.items()]

    def median_of(keep: bool, key: str) -> float:
        return statistics.median(r[key] for r in ingests if r["sentence_vectors"] == keep)

    print("\n| ingest | seconds (median) | chunks/s | on disk, bytes per chunk |")
    print("|---|---|---|---|")
    for keep in (False, True):
        print(f"| {'with' if keep else 'without'} sentence vectors "
              f"| {median_of(keep, 'seconds')} | {median_of(keep, 'chunks_per_second')} "
              f"| {median_of(keep, 'disk_bytes_per_chunk'):.0f} |")
    print("\n| embedding | seconds (median) | chunks/s | time vs chunks only |")
    print("|---|---|---|---|")
    for row in embedding:
        print(f"| {row['way']} | {row['seconds_median']} | {row['chunks_per_second']} "
              f"| {row['time_vs_chunks_only']}x |")
    out = ROOT / "bench" / "results" / "sentence_vectors.json"
    out.write_text(json.dumps({
        "folder": str(args.folder), "rounds": args.rounds, "ingest": ingests,
        "embedding": embedding,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}"}, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
