"""How much memory the embedded store itself takes per chunk it holds.

The ingest streams (files prepared a few ahead, batches embedded a few ahead), so its own
memory is flat; the embedded store (qdrant-edge, in our process) holds its collection's
vectors, payloads and indexes in memory, so the process grows with what is stored. This writes
chunks shaped like ours (384-dim vectors, ~1 KB of text, sparse vectors of ~70 terms, our
payload fields and indexes) through `EdgeStore.upsert_pending` in batches of 100 and prints
the process's resident memory after every `--step` chunks. With `--sentences N` each chunk
also carries N stored sentence vectors (`rag.stores.sentence_vectors`), as ingest with the
local model stores them.

    .venv/bin/python bench/store_memory.py [--chunks 8000] [--step 1000] [--sentences 0]

Prints a table and writes bench/results/store_memory.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.stores.base import Sparse  # noqa: E402
from rag.stores.edge import EdgeStore, open_edge_client  # noqa: E402
from rag.types import Chunk, SentenceVectors  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "store_memory.json"
BATCH = 100


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def fake_batch(rng: np.random.Generator, doc: int,
               first: int) -> tuple[list[Chunk], np.ndarray, list[Sparse]]:
    """`BATCH` chunks shaped like ours: ~1 KB of text, ~70 sparse terms, a 384-dim vector."""
    chunks = [Chunk(doc_id=f"{doc:032x}", source=f"/docs/manual-{doc}.pdf", title="Manual",
                    position=first + i, page=1 + (first + i) // 4, start=0, end=1000,
                    text=" ".join(f"word{rng.integers(50_000)}" for _ in range(110)),
                    token_count=200) for i in range(BATCH)]
    sparse = []
    for _ in range(BATCH):
        terms = sorted(set(rng.integers(0, 2**31, 70).tolist()))
        sparse.append((terms, [1.0] * len(terms)))
    return chunks, rng.standard_normal((BATCH, 384), dtype=np.float32), sparse


def fake_sentences(rng: np.random.Generator, count: int) -> list[SentenceVectors]:
    """`count` unit vectors for each of `BATCH` chunks, with spans over its 1 KB of text."""
    step = 1000 // max(count, 1)
    return [SentenceVectors(tuple((i * step, (i + 1) * step) for i in range(count)),
                            rng.standard_normal((count, 384), dtype=np.float32))
            for _ in range(BATCH)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=8_000)
    parser.add_argument("--step", type=int, default=1_000)
    parser.add_argument("--sentences", type=int, default=0,
                        help="stored sentence vectors per chunk (0: none)")
    parser.add_argument("--out", default=RESULTS.name, help="file in bench/results")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = EdgeStore(open_edge_client(tmp), "memory", "bench", 384)
        store.ensure_collection()
        base = rss_mib()
        rows.append({"chunks": 0, "rss_mib": round(base, 1), "growth_mib": 0.0})
        for first in range(0, args.chunks, BATCH):
            doc = first // args.step
            chunks, dense, sparse = fake_batch(rng, doc, first % args.step)
            store.upsert_pending(chunks, dense, sparse, args.step, "application/pdf",
                                 {"pages": 400, "ingested_at": "2026-11-27T00:00:00+00:00"},
                                 fake_sentences(rng, args.sentences) if args.sentences else None)
            if (first + BATCH) % args.step == 0:
                store.activate(chunks[0].doc_id, chunks[0].source, args.step)
                now = rss_mib()
                rows.append({"chunks": first + BATCH, "rss_mib": round(now, 1),
                             "growth_mib": round(now - base, 1)})
        store.close()
    per_1000 = (rows[-1]["growth_mib"] - rows[1]["growth_mib"]) / (
        (rows[-1]["chunks"] - rows[1]["chunks"]) / 1000)
    print(f"{'chunks':>8}  {'RSS MiB':>8}  {'growth MiB':>10}")
    for row in rows:
        print(f"{row['chunks']:>8,}  {row['rss_mib']:>8.1f}  {row['growth_mib']:>10.1f}")
    print(f"\nthe store grows {per_1000:.1f} MiB per 1,000 chunks held")
    out = RESULTS.with_name(args.out)
    out.write_text(json.dumps({"benchmark": "store_memory", "rows": rows,
                               "sentences_per_chunk": args.sentences,
                               "mib_per_1000_chunks": round(per_1000, 2)}, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
