"""Ingest the shared real manuals with `rag ingest` as a user would, twice.

Reports wall time and chunks per second for the first run, and that the second run finds every
file unchanged. Memory, sampled through the first run: each process's own peak (VmHWM: the main
process and the parse worker), and the main process's peak anonymous and file-backed memory
apart (the latter is the store's files mapped from disk, pages of the kernel's cache). Then
what holding the finished library costs: a fresh process that opens it against one that opens
an empty one. Writes bench/results/ingest_real.json.

    .venv/bin/python bench/ingest_real_pdfs.py [FOLDER]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from peers.common import child_pids, process_memory

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "pdfs" / "real"
RAG = ROOT / ".venv" / "bin" / "rag"
OPEN_LIBRARY = """
from rag.service import build_service
from rag.settings import load_settings
service = build_service(load_settings())
print(next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmRSS:")))
"""


class MemorySampler(threading.Thread):
    """Keeps, every `interval` seconds until stopped, the peaks of a process's memory lines
    (`process_memory`) and each of its children's own peak."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.main: dict[str, int] = {}
        self.children: dict[int, int] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            for key, value in process_memory(self.pid).items():
                self.main[key] = max(self.main.get(key, 0), value)
            for child in child_pids(self.pid):
                peak = process_memory(child).get("VmHWM", 0)
                self.children[child] = max(self.children.get(child, 0), peak)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_ingest(folder: Path, env: dict[str, str]) -> tuple[dict, float, MemorySampler]:
    started = time.perf_counter()
    proc = subprocess.Popen([str(RAG), "ingest", str(folder), "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    sampler.stop()
    if proc.returncode not in (0, 1):
        sys.exit(f"rag ingest failed: {err}")
    return json.loads(out), seconds, sampler


def open_library_kib(env: dict[str, str]) -> int:
    """The resident memory of a fresh process that has opened the library of `env`."""
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", OPEN_LIBRARY],
                         env=env, capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT,
                        help="PDFs to ingest (default: the shared real manuals)")
    folder = parser.parse_args().folder
    pages = 0
    from pypdf import PdfReader

    for pdf in sorted(folder.glob("*.pdf")):
        pages += len(PdfReader(pdf).pages)
    models = str(ROOT / "data" / "models")
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as empty:
        env = {**os.environ, "RAG_DATA_DIR": tmp, "RAG_MODEL_DIR": models}
        first, first_s, memory = run_ingest(folder, env)
        second, second_s, _ = run_ingest(folder, env)
        library_kib = open_library_kib(env)
        empty_kib = open_library_kib({**env, "RAG_DATA_DIR": empty})
    chunks = first["totals"]["chunks"]
    result = {
        "folder": str(folder), "files": first["totals"]["files"], "pages": pages,
        "chunks": chunks, "first_run_seconds": round(first_s, 1),
        "chunks_per_second": round(chunks / first_s, 1),
        "pages_per_second": round(pages / first_s, 1),
        "peak_rss_mib": round(memory.main.get("VmHWM", 0) / 1024),
        "peak_anonymous_mib": round(memory.main.get("RssAnon", 0) / 1024),
        "peak_file_backed_mib": round(memory.main.get("RssFile", 0) / 1024),
        "parse_worker_peak_rss_mib": round(max(memory.children.values(), default=0) / 1024),
        "library_open_rss_mib": round(library_kib / 1024),
        "empty_library_open_rss_mib": round(empty_kib / 1024),
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
