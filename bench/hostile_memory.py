"""Peak memory of reading hostile or huge documents: the bounds in ingest/formats/base.py
measured. Each file is loaded (`ingest.loaders.load_bytes`) in a fresh process, whose peak RSS
is reported against a process that loads a one-line document (imports and interpreter alone).

Cases: a 100,000-row sheet (refused past MAX_ROWS), a sheet of exactly MAX_ROWS rows (the
largest read), a 2,000-slide deck, a zip bomb named .docx that inflates to 1 GiB, and a
Word file at the unpacked-size bound. Writes bench/results/hostile_memory.json.

    .venv/bin/python bench/hostile_memory.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.formats.base import MAX_ROWS  # noqa: E402
from tests.docgen import make_docx, make_pptx, make_xlsx, zip_bomb  # noqa: E402

# VmHWM, not ru_maxrss: the latter keeps the peak of the forked parent across exec
PROBE = """
import re, sys, time
from pathlib import Path
from ingest.loaders import load_bytes
from rag.errors import DocumentError
path = Path(sys.argv[1])
data = path.read_bytes()
started = time.perf_counter()
try:
    doc = load_bytes(path, data)
    outcome = f"read: {len(doc.pages)} pages, {sum(len(p.text) for p in doc.pages):,} chars"
except DocumentError as exc:
    outcome = f"refused ({exc.reason}): {str(exc).split(': ', 1)[1]}"
seconds = time.perf_counter() - started
status = open("/proc/self/status").read()
peak_kib = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
print(peak_kib, round(seconds, 2), outcome, sep="\\t")
"""


def probe(path: Path) -> tuple[float, float, str]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout.strip()
    peak_kib, seconds, outcome = out.split("\t", 2)
    return int(peak_kib) / 1024, float(seconds), outcome


def rows(count: int):
    yield ["Item", "Count", "Price", "Note"]
    for n in range(count):
        yield [f"item {n}", n, n * 0.25, "restocked in spring"]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        cases = {
            "one-line Word file (baseline)": ("tiny.docx", lambda: make_docx([("A", ["b"])])),
            "100,000-row sheet": ("big.xlsx", lambda: make_xlsx({"Data": rows(100_000)})),
            f"{MAX_ROWS:,}-row sheet (the bound, header included)": (
                "bound.xlsx", lambda: make_xlsx({"Data": rows(MAX_ROWS - 1)})),
            "2,000-slide deck": ("deck.pptx", lambda: make_pptx(
                [{"title": f"Slide {n}", "body": [f"Point {n} of the plan."]}
                 for n in range(2000)])),
            "zip bomb named .docx (1 GiB inflated)": (
                "bomb.docx", lambda: zip_bomb("word/document.xml", unpacked_mib=1024)),
        }
        results = []
        for name, (file_name, make) in cases.items():
            path = base / file_name
            started = time.perf_counter()
            path.write_bytes(make())
            made = time.perf_counter() - started
            peak, seconds, outcome = probe(path)
            results.append({"case": name, "file_mib": round(path.stat().st_size / 2**20, 2),
                            "peak_rss_mib": round(peak, 1), "load_seconds": seconds,
                            "outcome": outcome, "made_in_seconds": round(made, 1)})
            print(f"{name:<40} {path.stat().st_size / 2**20:7.2f} MiB file  peak "
                  f"{peak:7.1f} MiB  {seconds:6.2f} s  {outcome}", flush=True)
    out = ROOT / "bench" / "results" / "hostile_memory.json"
    out.write_text(json.dumps({"results": results}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
