"""What keeping each chunk's lead-in costs the chunker (`Chunk.lead_in`: the sentence before a
chunk's first when that one leans on it, "He ..."): the shared manuals chunked with and
without it, in the same run, best of three.

Writes bench/results/lead_ins.json.

    .venv/bin/python bench/lead_ins.py [--pdfs FOLDER]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PDFS = ROOT.parent / "shared" / "data" / "pdfs" / "real"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=Path, default=PDFS)
    args = parser.parse_args()
    os.environ.setdefault("RAG_MODEL_DIR", str(ROOT / "data" / "models"))

    import ingest.chunking as chunking
    from ingest.loaders import load_file
    from rag.registry import make_embedder
    from rag.settings import load_settings

    embedder = make_embedder(load_settings())
    documents = [load_file(path) for path in sorted(args.pdfs.glob("*.pdf"))]
    keeping = chunking._with_lead_ins
    rows = []
    for label, lead_ins in (("without lead-ins", lambda chunks, _text, _starts: chunks),
                            ("with lead-ins", keeping)):
        chunking._with_lead_ins = lead_ins
        chunker = chunking.Chunker(embedder.token_counter(), 200, 30, embedder.max_tokens - 2)
        seconds, chunks = [], []
        for _ in range(3):
            started = time.perf_counter()
            chunks = [c for document in documents for c in chunker(document)]
            seconds.append(time.perf_counter() - started)
        rows.append({"variant": label, "documents": len(documents), "chunks": len(chunks),
                     "with_lead_in": sum(1 for c in chunks if c.lead_in),
                     "seconds": round(min(seconds), 2)})
    chunking._with_lead_ins = keeping
    print("| variant | documents | chunks | chunks with a lead-in | seconds (best of 3) |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['variant']} | {row['documents']} | {row['chunks']:,} | "
              f"{row['with_lead_in']:,} | {row['seconds']} |")
    ratio = rows[1]["seconds"] / rows[0]["seconds"]
    print(f"with / without: {ratio:.2f}x")
    out = ROOT / "bench" / "results" / "lead_ins.json"
    out.write_text(json.dumps({"pdfs": str(args.pdfs), "rows": rows,
                               "ratio": round(ratio, 2)}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
