"""The most any ingest could reach with our model on this machine: the embedder alone (issue 6).

Pre-steps, not timed: chunk the PDFs with our own loader and chunker (as `rag ingest` does),
tokenize every chunk, sort by length and pad each batch to its longest text. Timed: only the
ONNX session's runs over those ready batches, in one tight loop, with our ingest's session and
batch size, then a few other batch sizes. The best chunks/s is the limit; if
bench/results/ingest_peers.json measured the same pages, our ingest is printed as a share of it.
Prints a table and writes bench/results/embed_limit.json.

    .venv/bin/python bench/embed_limit.py [--pdfs DIR] [--max-files N] [--max-pages N]
        [--batch-sizes 8,16,32] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from peers.common import (
    DEFAULT_PDFS,
    RESULTS,
    Corpus,
    busy_warning,
    ensure_onnx_model,
    git_state,
    machine,
    our_chunks,
    prepare_corpus,
    print_table,
    write_result,
)

from rag.embedders.local import LocalOnnxEmbedder, load_tokenizer, weights_dir
from rag.settings import load_settings

Feeds = dict[str, np.ndarray]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS, help="folder of PDFs")
    parser.add_argument("--max-files", type=int, help="quick run: only the first N files")
    parser.add_argument("--max-pages", type=int,
                        help="quick run: N pages in all, from the middle of each file")
    parser.add_argument("--batch-sizes", default=None,
                        help="comma-separated; default: ours (settings), then 16 and 32")
    parser.add_argument("--repeats", type=int, default=1,
                        help="passes per batch size; the fastest counts (others use the CPU)")
    return parser.parse_args()


def sorted_token_ids(chunks: list[str]) -> list[list[int]]:
    """Every chunk as the model reads it ([CLS] … [SEP]), shortest first, as ingest sorts."""
    tokenizer = load_tokenizer(weights_dir())
    ids = [e.ids for e in tokenizer.encode_batch(chunks)]
    return sorted(ids, key=len)


def make_batches(ids: list[list[int]], size: int, inputs: set[str]) -> list[Feeds]:
    """Padded model inputs, ready to run: the loop then does nothing but run the session."""
    batches = []
    for start in range(0, len(ids), size):
        rows = ids[start : start + size]
        width = max(len(r) for r in rows)
        input_ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in inputs:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        batches.append(feeds)
    return batches


@dataclass
class Pass:
    batch_size: int
    seconds: float
    chunks: int
    tokens: int  # real tokens, padding excluded
    padded: int  # tokens the model computed, padding included

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.seconds

    def as_json(self) -> dict:
        return {"batch_size": self.batch_size, "seconds": round(self.seconds, 2),
                "chunks": self.chunks, "chunks_per_s": round(self.chunks_per_s, 2),
                "tokens_per_s": round(self.tokens / self.seconds),
                "padding_share": round(1 - self.tokens / self.padded, 4)}


def time_session(session, batches: list[Feeds]) -> float:
    """Seconds for one pass of `session.run` over every batch; nothing else in the loop."""
    session.run(None, batches[len(batches) // 2])  # warm-up: first-run allocations
    started = time.perf_counter()
    for feeds in batches:
        session.run(None, feeds)
    return time.perf_counter() - started


def measure(session, ids: list[list[int]], size: int, repeats: int) -> Pass:
    inputs = {i.name for i in session.get_inputs()}
    batches = make_batches(ids, size, inputs)
    seconds = min(time_session(session, batches) for _ in range(max(repeats, 1)))
    padded = sum(b["input_ids"].size for b in batches)
    return Pass(size, seconds, len(ids), sum(len(r) for r in ids), padded)


def ours_share(corpus: Corpus, chunks: int, limit: float,
               at_our_batch: float | None) -> dict | None:
    """Our measured ingest as a share of the limit, when ingest_peers measured the same pages."""
    path = RESULTS / "ingest_peers.json"
    if not path.exists():
        return None
    peers = json.loads(path.read_text())
    ours = next((r for r in peers.get("summary", []) if r["contender"] == "ours"), None)
    if ours is None:
        return {"note": f"{path.name} has no run of ours"}
    same = (peers["corpus"]["subset"] == corpus.subset and peers["corpus"]["source"] ==
            str(corpus.source) and ours["chunks"] == chunks)
    if not same:
        return {"note": f"{path.name} measured other pages ({peers['corpus']['subset'] or 'full'}"
                        f", {ours['chunks']} chunks); no share computed"}
    return {"ours_chunks_per_s": ours["chunks_per_s"],
            "share_of_limit": round(ours["chunks_per_s"] / limit, 3),
            "share_of_limit_at_our_batch_size": round(ours["chunks_per_s"] / at_our_batch, 3)
            if at_our_batch else None,
            "ours_after_setup_share_of_limit": round(ours["chunks_per_s_after_setup"] / limit, 3)
            if ours.get("chunks_per_s_after_setup") else None,
            "ingest_peers_started": peers.get("started")}


def prepare(args: argparse.Namespace) -> tuple[Corpus, list[str], list[list[int]], float]:
    """The corpus, our chunks and their sorted token ids; the seconds it took (not timed)."""
    with tempfile.TemporaryDirectory(prefix="embed-limit-") as tmp:
        corpus = prepare_corpus(args.pdfs.resolve(), Path(tmp), args.max_files, args.max_pages)
        started = time.perf_counter()
        chunks = our_chunks(corpus).chunks
        ids = sorted_token_ids(chunks)
        return corpus, chunks, ids, time.perf_counter() - started


def print_report(passes: list[Pass], best: Pass, at_ours: Pass | None,
                 share: dict | None) -> None:
    print()
    print_table(["batch size", "seconds", "chunks", "chunks/s", "tokens/s", "padding %"],
                [[p.batch_size, p.seconds, p.chunks, p.chunks_per_s, round(p.tokens / p.seconds),
                  round(100 * (1 - p.tokens / p.padded), 1)] for p in passes])
    print(f"\nlimit: {best.chunks_per_s:.2f} chunks/s (batch {best.batch_size})"
          + (f"; at our batch size {at_ours.batch_size}: {at_ours.chunks_per_s:.2f} chunks/s"
             if at_ours else ""))
    if share and "share_of_limit" in share:
        print(f"ours (bench/results/ingest_peers.json): {share['ours_chunks_per_s']} chunks/s = "
              f"{share['share_of_limit']:.0%} of the limit (target >= 85%, not asserted)"
              + (f"; {share['share_of_limit_at_our_batch_size']:.0%} of the limit at batch "
                 f"{at_ours.batch_size}" if at_ours else ""))
    elif share:
        print(share["note"])


def main() -> None:
    args = parse_args()
    settings = load_settings(embedder="local")
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    load_at_start = os.getloadavg()
    corpus, chunks, ids, pre_s = prepare(args)
    # our ingest's own session: same graph, precision, threads and optimisation level; the
    # int8 model runs one text per call in our ingest, batches are tried here all the same
    embedder = LocalOnnxEmbedder(ensure_onnx_model(), settings.embed_batch_size,
                                 precision=settings.local_precision)
    ours = embedder.max_batch
    sizes = ([int(s) for s in args.batch_sizes.split(",")] if args.batch_sizes
             else [ours] + [s for s in (8, 16, 32) if s != ours])
    print(f"model: {embedder.name}; our batch size {ours}", flush=True)
    session = embedder._session  # private, on purpose: the embedder alone is the point
    print(f"{corpus.files} files, {corpus.pages} pages"
          + (f" (SUBSET: {corpus.subset})" if corpus.subset else "")
          + f": {len(chunks)} chunks, {sum(map(len, ids))} tokens; pre-step {pre_s:.0f} s "
          f"(not timed)", flush=True)
    busy_warning(load_at_start)
    passes = []
    for size in sizes:
        passes.append(measure(session, ids, size, args.repeats))
        print(f"  batch {size}: {passes[-1].chunks_per_s:.2f} chunks/s", flush=True)
    best = max(passes, key=lambda p: p.chunks_per_s)
    at_ours = next((p for p in passes if p.batch_size == ours), None)
    share = ours_share(corpus, len(chunks), best.chunks_per_s,
                       at_ours.chunks_per_s if at_ours else None)
    print_report(passes, best, at_ours, share)
    result = {
        "name": "embed_limit",
        "embedder": embedder.name,
        "run": f"SUBSET RUN ({corpus.subset}), not the full benchmark" if corpus.subset
        else "full corpus",
        "subset": corpus.subset is not None, "started": started, "command": " ".join(sys.argv),
        "corpus": corpus.as_json(), "chunks": len(chunks), "tokens": sum(map(len, ids)),
        "our_batch_size": ours, "repeats": args.repeats,
        "passes": [p.as_json() for p in passes],
        "limit_chunks_per_s": round(best.chunks_per_s, 2), "limit_batch_size": best.batch_size,
        "ours": share, "git": git_state(),
        "machine": machine(False, load_at_start),
    }
    print(f"\nwrote {write_result('embed_limit', result)}")


if __name__ == "__main__":
    main()
