"""What measuring a PDF's streams before pdfium reads it costs, and what it saves.

1. Real manuals: the check (`ingest.formats.pdf_streams.check_inflation`) against pdfium's
   reading of every page's text, the work it precedes (best of three each).
2. Compression bombs, each in a fresh process: loaded as the app loads a file
   (`ingest.loaders.load_bytes`, the check first), against pdfium alone opening the file and
   reading its page's text, the peer without the check. Peak RSS (VmHWM), time, outcome.

Writes bench/results/pdf_inflation.json.

    .venv/bin/python bench/pdf_inflation.py [FOLDER OF REAL PDFS]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.formats.pdf_streams import check_inflation  # noqa: E402
from tests.pdfgen import pdf_bomb, with_content_stream  # noqa: E402

REAL = ROOT.parent / "shared" / "data" / "pdfs" / "real"

PROBE = """
import re, sys, time
from pathlib import Path
path, reader = Path(sys.argv[1]), sys.argv[2]
data = path.read_bytes()
started = time.perf_counter()
if reader == "pdfium":
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(data)
    chars = sum(len(pdf[n].get_textpage().get_text_bounded()) for n in range(len(pdf)))
    outcome = f"read: {chars:,} chars"
else:
    from ingest.loaders import load_bytes
    from rag.errors import DocumentError
    try:
        doc = load_bytes(path, data)
        outcome = f"read: {sum(len(p.text) for p in doc.pages):,} chars"
    except DocumentError as exc:
        outcome = f"refused ({exc.reason}): {str(exc).split(': ', 1)[1]}"
seconds = time.perf_counter() - started
peak_kib = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
print(peak_kib, round(seconds, 2), outcome, sep="\\t")
"""


def best_of_three(work, *args) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        work(*args)
        times.append(time.perf_counter() - started)
    return min(times)


def pdfium_text(data: bytes) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        for number in range(len(pdf)):
            page = pdf[number]
            page.get_textpage().get_text_bounded()
            page.close()
    finally:
        pdf.close()


def real_manuals(folder: Path) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.pdf")):
        data = path.read_bytes()
        check = best_of_three(check_inflation, path, data)
        read = best_of_three(pdfium_text, data)
        rows.append({"file": path.name, "mib": round(len(data) / 2**20, 2),
                     "check_ms": round(check * 1000, 1), "pdfium_text_ms": round(read * 1000, 1),
                     "check_share": round(check / read, 3)})
        print(f"{path.name:<14} {len(data) / 2**20:6.2f} MiB  check {check * 1000:7.1f} ms  "
              f"pdfium's text {read * 1000:7.1f} ms  ({check / read:.1%})", flush=True)
    return rows


def probe(path: Path, reader: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, str(path), reader], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout.strip()
    peak_kib, seconds, outcome = out.split("\t", 2)
    return {"peak_rss_mib": round(int(peak_kib) / 1024, 1), "seconds": float(seconds),
            "outcome": outcome}


def flate_twice_bomb(inflated_mib: int) -> bytes:
    """The Flate bomb's stream packed by Flate again: a file of a few kilobytes."""
    stream = pdf_bomb(inflated_mib).split(b"stream\n", 1)[1].rsplit(b"\nendstream", 1)[0]
    return with_content_stream(zlib.compress(stream, 9), "[/FlateDecode /FlateDecode]")


def bombs() -> list[dict]:
    cases = {
        "Flate bomb, 1 GiB inflated": lambda: pdf_bomb(1024),
        "Flate bomb, 4 GiB inflated": lambda: pdf_bomb(4096),
        "Flate twice, 1 GiB inflated": lambda: flate_twice_bomb(1024),
    }
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, make in cases.items():
            path = Path(folder) / "bomb.pdf"
            path.write_bytes(make())
            for reader in ("app", "pdfium"):
                row = {"case": name, "file_kib": round(path.stat().st_size / 1024, 1),
                       "reader": "the app (check first)" if reader == "app" else "pdfium alone",
                       **probe(path, reader)}
                rows.append(row)
                print(f"{name:<30} {row['file_kib']:8.1f} KiB  {row['reader']:<22} peak "
                      f"{row['peak_rss_mib']:8.1f} MiB  {row['seconds']:6.2f} s  "
                      f"{row['outcome'][:90]}", flush=True)
    return rows


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else REAL
    manuals = real_manuals(folder) if folder.is_dir() else []
    if not manuals:
        print(f"no real manuals in {folder}: the check's cost is not measured")
    results = {"real_manuals": manuals, "bombs": bombs()}
    out = ROOT / "bench" / "results" / "pdf_inflation.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
