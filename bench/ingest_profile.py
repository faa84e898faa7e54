"""Where an ingest's CPU goes beside the model, in each of `rag ingest`'s two processes.

The parse worker's work (parse, chunk, sparse vectors) is run here file by file and each
stage timed in CPU seconds, best of `--repeats` passes (the first also loads what the stages
load once). The main process's work, the pipeline embedding and writing the same files into a
throw-away embedded store as `rag ingest` does, runs under yappi's CPU clock on every thread:
the model's runs (onnxruntime's) are counted apart, and the functions taking the most CPU of
their own are listed. Prints both tables and writes bench/results/ingest_profile.json.

    .venv/bin/python bench/ingest_profile.py [--pdfs DIR] [--max-pages 200] [--repeats 3]
        [--top 25]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from peers.common import (
    DEFAULT_PDFS,
    ROOT,
    busy_warning,
    ensure_onnx_model,
    git_state,
    machine,
    pdf_files,
    prepare_corpus,
    print_table,
    write_result,
)

MODEL_RUN = "run"  # onnxruntime's InferenceSession.run, in its compiled module
MODEL_MODULE = "onnxruntime_pybind11_state"


def worker_stages(folder: Path, repeats: int) -> dict[str, float]:
    """CPU seconds of the parse worker's three stages over the folder, best pass of each."""
    from ingest.loaders import load_bytes
    from ingest.pipeline import IngestPipeline
    from rag.registry import make_embedder
    from rag.settings import load_settings
    from rag.text import lexical

    settings = load_settings(embedder="local")
    chunker = IngestPipeline(make_embedder(settings), None,  # type: ignore[arg-type]
                             settings.chunk_tokens, settings.chunk_overlap).chunker
    files = [(path, path.read_bytes()) for path in pdf_files(folder)]
    best: dict[str, float] = {}
    for _ in range(repeats):
        spent = {"parse": 0.0, "chunk": 0.0, "sparse": 0.0}
        for path, data in files:
            started = time.process_time()
            document = load_bytes(path, data, str(path))
            parsed = time.process_time()
            chunks = chunker(document)
            chunked = time.process_time()
            for chunk in chunks:
                lexical.document_vector(chunk.text)
            spent["parse"] += parsed - started
            spent["chunk"] += chunked - parsed
            spent["sparse"] += time.process_time() - chunked
        best = {k: min(v, best.get(k, v)) for k, v in spent.items()}
    return {k: round(v, 3) for k, v in best.items()}


def main_process(folder: Path, top: int) -> dict:
    """The pipeline's ingest of the folder under yappi (CPU clock, every thread)."""
    import yappi

    from rag.service import build_service
    from rag.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="ingest-profile-") as tmp:
        os.environ["RAG_DATA_DIR"] = tmp
        service = build_service(load_settings(embedder="local"))
        try:
            yappi.set_clock_type("cpu")
            yappi.start(builtins=True)
            started = time.perf_counter()
            report = service.ingest([folder])
            seconds = time.perf_counter() - started
            yappi.stop()
        finally:
            service.close()
    stats = list(yappi.get_func_stats())
    yappi.clear_stats()
    is_model = [s.name == MODEL_RUN and MODEL_MODULE in s.module for s in stats]
    model = [s for s, yes in zip(stats, is_model, strict=True) if yes]
    others = sorted((s for s, yes in zip(stats, is_model, strict=True) if not yes),
                    key=lambda s: -s.tsub)
    return {
        "seconds": round(seconds, 2), "chunks": report.totals()["chunks"],
        "cpu_s": round(sum(s.tsub for s in stats), 2),
        "model_cpu_s": round(sum(s.tsub for s in model), 2),
        "model_runs": sum(s.ncall for s in model),
        "top": [{"function": f"{_short(s.module)}:{s.name}", "own_cpu_s": round(s.tsub, 3),
                 "cpu_s": round(s.ttot, 3), "calls": s.ncall} for s in others[:top]],
    }


def _short(module: str) -> str:
    """A module's path from the project's root or from site-packages."""
    for marker in (f"{ROOT}/", "site-packages/"):
        if marker in module:
            return module.split(marker, 1)[1]
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS, help="folder of PDFs")
    parser.add_argument("--max-pages", type=int, default=200,
                        help="N pages in all, from the middle of each file")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if not args.pdfs.is_dir():
        sys.exit(f"{args.pdfs} is missing: the shared manuals are needed")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    load_at_start = os.getloadavg()
    busy_warning(load_at_start)
    os.environ.update(RAG_EMBEDDER="local", RAG_MODEL_DIR=str(ensure_onnx_model()))
    with tempfile.TemporaryDirectory(prefix="ingest-profile-") as tmp:
        corpus = prepare_corpus(args.pdfs.resolve(), Path(tmp), None, args.max_pages)
        stages = worker_stages(corpus.folder, args.repeats)
        profiled = main_process(corpus.folder, args.top)
    print(f"\n{corpus.files} files, {corpus.pages} pages ({corpus.subset})")
    print("\nthe parse worker's stages, CPU s (best of each):")
    print_table(["stage", "CPU s"], [[k, v] for k, v in stages.items()])
    print(f"\nthe main process: {profiled['chunks']} chunks in {profiled['seconds']} s; "
          f"{profiled['cpu_s']} s of CPU, {profiled['model_cpu_s']} s of it in the model's "
          f"{profiled['model_runs']} runs")
    print_table(["function", "own CPU s", "CPU s", "calls"],
                [[t["function"], t["own_cpu_s"], t["cpu_s"], t["calls"]]
                 for t in profiled["top"]])
    result = {"name": "ingest_profile", "started": started, "command": " ".join(sys.argv),
              "corpus": corpus.as_json(), "git": git_state(),
              "machine": machine(False, load_at_start),
              "worker_stages_cpu_s": stages, "main_process": profiled}
    print(f"\nwrote {write_result('ingest_profile', result)}")


if __name__ == "__main__":
    main()
