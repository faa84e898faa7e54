"""Ingest the shared real manuals with `rag ingest` as a user would, twice.

Reports wall time, chunks per second and peak memory (max RSS of the process) for the first
run, and that the second run finds every file unchanged. Writes bench/results/ingest_real.json.

    .venv/bin/python bench/ingest_real_pdfs.py [FOLDER]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "pdfs" / "real"


def run_ingest(folder: Path, env: dict[str, str]) -> tuple[dict, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "rag"), "ingest", str(folder), "--json"],
                          env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        sys.exit(f"rag ingest failed: {proc.stderr}")
    return json.loads(proc.stdout), seconds, max(peak_kib, before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT,
                        help="PDFs to ingest (default: the shared real manuals)")
    folder = parser.parse_args().folder
    pages = 0
    from pypdf import PdfReader

    for pdf in sorted(folder.glob("*.pdf")):
        pages += len(PdfReader(pdf).pages)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RAG_DATA_DIR": tmp,
               "RAG_MODEL_DIR": str(ROOT / "data" / "models")}
        first, first_s, peak_kib = run_ingest(folder, env)
        second, second_s, _ = run_ingest(folder, env)
    chunks = first["totals"]["chunks"]
    result = {
        "folder": str(folder), "files": first["totals"]["files"], "pages": pages,
        "chunks": chunks, "first_run_seconds": round(first_s, 1),
        "chunks_per_second": round(chunks / first_s, 1),
        "pages_per_second": round(pages / first_s, 1),
        "peak_rss_mib": round(peak_kib / 1024),
        "second_run_seconds": round(second_s, 1),
        "second_run_unchanged": second["totals"]["unchanged"],
        "failed": first["totals"]["failed"],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
    }
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    out = ROOT / "bench" / "results" / "ingest_real.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
