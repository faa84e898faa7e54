"""Run one peer ingest in this fresh process and write what it measured as JSON.

Started by bench/ingest_peers.py with .venv-peers' Python, one process per run, so each
contender's peak memory is its own and no import or cache carries over between runs.

    .venv-peers/bin/python bench/peers/contender.py NAME --folder DIR --qdrant DIR
        --chunk-chars N --out FILE

NAME is FRAMEWORK-BACKEND: langchain or llamaindex, onnx (ours, wrapped) or torch (their
default). BENCH_T0 in the environment is when the parent started this process (time.time()),
so the setup time counts interpreter start, imports and model load.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

CONTENDERS = ("langchain-onnx", "llamaindex-onnx", "langchain-torch", "llamaindex-torch")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=CONTENDERS)
    parser.add_argument("--folder", type=Path, required=True, help="PDFs to ingest")
    parser.add_argument("--qdrant", type=Path, required=True, help="fresh embedded store path")
    parser.add_argument("--chunk-chars", type=int, required=True,
                        help="LangChain's character chunk size (overlap: the same share as ours)")
    parser.add_argument("--out", type=Path, required=True)
    return parser.parse_args()


def main() -> None:
    t0 = float(os.environ.get("BENCH_T0") or time.time())
    args = parse_args()
    framework, backend = args.name.split("-")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is local; a hub is never asked
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from rag.settings import load_settings

    settings = load_settings(embedder="local")
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() == ".pdf")
    workdir = args.qdrant.parent
    if framework == "langchain":
        import langchain_run as pipeline

        embedder = pipeline.make_embeddings(backend, settings, workdir)
        size = args.chunk_chars
        overlap = round(size * settings.chunk_overlap / settings.chunk_tokens)
    else:
        import llamaindex_run as pipeline  # type: ignore[no-redef]

        embedder = pipeline.make_embedding(backend, settings, workdir)
        size, overlap = settings.chunk_tokens, settings.chunk_overlap
    setup_s = time.time() - t0
    result = pipeline.run(files, embedder, args.qdrant, size, overlap)
    result.update(contender=args.name, setup_s=round(setup_s, 2),
                  embed_batch_size=_batch_size(embedder))
    args.out.write_text(json.dumps(result))


def _batch_size(embedder: object) -> int | None:
    """Texts per embedding call: the peers' own defaults (LangChain hands over every text)."""
    kwargs = getattr(embedder, "encode_kwargs", None)
    if kwargs is not None:  # LangChain's HuggingFaceEmbeddings: sentence-transformers' default
        return int(kwargs.get("batch_size", 32))
    return getattr(embedder, "embed_batch_size", None)


if __name__ == "__main__":
    main()
