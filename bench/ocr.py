"""OCR throughput and words recovered: our OCR (pytesseract, one page per worker) against
ocrmypdf run by hand on the same scanned pages.

The pages are clean 150-dpi scans made by rendering text PDFs to images (tests/docgen.py), so
the words on each page are known. For each contender: wall time, pages per second, and the
fraction of each page's words found in the text it yields (mean and worst page), and the CPU
time spent per page (this process and its children: steadier than wall time when other work
shares the machine). ocrmypdf
writes a PDF with a text layer; its words are that layer as our loader reads it (pdfium), which
is what a user who OCRs by hand and then ingests gets. Each run is timed `--rounds` times and
the fastest kept (the machine is shared). Writes bench/results/ocr.json.

    .venv/bin/python bench/ocr.py [--pages 8] [--rounds 2]

Needs Debian's tesseract-ocr, tesseract-ocr-eng and ocrmypdf.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.formats.base import LoadOptions  # noqa: E402
from ingest.formats.pdf import page_text  # noqa: E402
from ingest.loaders import load_bytes  # noqa: E402
from tests.docgen import full_page, scanned_pdf  # noqa: E402


def recovered(original: str, read: str) -> float:
    words = lambda text: Counter(re.findall(r"\w+", text.lower()))  # noqa: E731
    want, got = words(original), words(read)
    return sum(min(n, got[w]) for w, n in want.items()) / sum(want.values())


def ours(scan: Path, workers: int, dpi: int) -> list[str]:
    doc = load_bytes(scan, scan.read_bytes(), options=LoadOptions(ocr_workers=workers,
                                                                  ocr_dpi=dpi))
    return [page.text for page in doc.pages]


def ocrmypdf(scan: Path, jobs: int) -> list[str]:
    import pypdfium2 as pdfium

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.pdf"
        subprocess.run(["ocrmypdf", "-l", "eng", "--jobs", str(jobs), "--quiet", str(scan),
                        str(out)], check=True, capture_output=True)
        pdf = pdfium.PdfDocument(out.read_bytes())
        try:
            return [page_text(pdf[i]) for i in range(len(pdf))]
        finally:
            pdf.close()


def cpu_seconds() -> float:
    """User and system time of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    texts = [full_page(seed) for seed in range(1, args.pages + 1)]
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory() as folder:
        scan = Path(folder) / "scan.pdf"
        scan.write_bytes(scanned_pdf(texts, dpi=150))
        ours(scan, 1, 300)  # warm: imports, Tesseract's language data in the page cache
        contenders = {
            "rag, pytesseract, 1 worker, 300 dpi": lambda: ours(scan, 1, 300),
            "rag, pytesseract, 2 workers, 300 dpi (default)": lambda: ours(scan, 2, 300),
            "rag, pytesseract, 2 workers, 200 dpi": lambda: ours(scan, 2, 200),
            "ocrmypdf --jobs 1 (by hand)": lambda: ocrmypdf(scan, 1),
            "ocrmypdf --jobs 2 (by hand)": lambda: ocrmypdf(scan, 2),
        }
        rows = []
        for name, run in contenders.items():
            times, cpu, pages = [], [], []
            for _ in range(args.rounds):
                started, used = time.perf_counter(), cpu_seconds()
                pages = run()
                times.append(time.perf_counter() - started)
                cpu.append(cpu_seconds() - used)
            scores = [recovered(want, got) for want, got in zip(texts, pages, strict=True)]
            rows.append({"contender": name, "seconds": round(min(times), 2),
                         "pages_per_second": round(args.pages / min(times), 2),
                         "words_recovered_mean": round(sum(scores) / len(scores), 4),
                         "words_recovered_worst_page": round(min(scores), 4),
                         "cpu_seconds_per_page": round(min(cpu) / args.pages, 2),
                         "each_seconds": [round(t, 2) for t in times]})
            print(f"{name:<48} {min(times):6.2f} s  {args.pages / min(times):5.2f} pages/s  "
                  f"{min(cpu) / args.pages:5.2f} CPU s/page  words "
                  f"{sum(scores) / len(scores):.2%} (worst page {min(scores):.2%})", flush=True)
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True)
    ocrmypdf_version = subprocess.run(["ocrmypdf", "--version"], capture_output=True,
                                      text=True).stdout.strip()
    result = {
        "pages": args.pages, "scan_dpi": 150, "words_per_page": len(texts[0].split()),
        "rounds": args.rounds, "cores": len(os.sched_getaffinity(0)),
        "tesseract": (version.stdout or version.stderr).splitlines()[0],
        "ocrmypdf": ocrmypdf_version, "python": platform.python_version(),
        # other work on the shared machine slows every contender alike
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()], "results": rows,
    }
    out = ROOT / "bench" / "results" / "ocr.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
