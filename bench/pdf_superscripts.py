"""What reading raised digits changes in real PDFs, and what it costs.

Every page of the shared manuals (../shared/data/pdfs/real) and of the sample R FAQ (unless
the folder holds it) is read with pdfium's text within the page's box as ingest reads it
(`ingest/formats/pdf_page_box.py`), its footnotes set after its text
(`ingest/formats/pdf_footnotes.py`), then with footnote marks left out and exponents written
(`ingest/formats/pdf_superscripts.py`), a mark whose footnote the page holds being a mark after
a name or a number: per file, the footnotes found, the marks left out, the exponents written,
and the seconds each way takes (best of `--rounds`); then a random sample of the changes to
read by eye.

    .venv/bin/python bench/pdf_superscripts.py [FOLDER] [--rounds 3] [--sample 40]

Prints a table and writes bench/results/pdf_superscripts.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pypdfium2 as pdfium  # noqa: E402

from ingest.formats import pdf_superscripts  # noqa: E402
from ingest.formats.pdf_footnotes import footnotes_apart  # noqa: E402
from ingest.formats.pdf_page_box import page_box_text  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "pdfs" / "real"
SAMPLE_CONTEXT = 30  # characters shown each side of a change


def changes(before: str, after: str) -> list[tuple[str, str]]:
    """Where the two texts differ, with some context (they differ only at the marks)."""
    import difflib

    found = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after,
                                                       autojunk=False).get_opcodes():
        if tag != "equal":
            left = before[max(0, i1 - SAMPLE_CONTEXT):i2 + SAMPLE_CONTEXT]
            right = after[max(0, j1 - SAMPLE_CONTEXT):j2 + SAMPLE_CONTEXT]
            found.append((" ".join(left.split()), " ".join(right.split())))
    return found


def page_read(textpage, mended: bool) -> tuple[str, int]:
    """The page's text with its footnotes after it, as ingest sets them, marks read or not;
    and how many footnotes it has. Both readings move the notes, so they differ only at
    the marks."""
    text = page_box_text(textpage)
    body, indexes, notes = footnotes_apart(textpage, text,
                                           pdf_superscripts.char_indexes(text, textpage))
    if mended:
        numbers = frozenset(note.number for note in notes)
        body = pdf_superscripts.superscripts_written(textpage, body, indexes, numbers)
    parts = [body, *(pdf_superscripts.superscripts_written(textpage, note.text, note.indexes)
                     if mended else note.text for note in notes)]
    return "\n\n".join(parts), len(notes)


def read_file(path: Path, mended: bool) -> tuple[list[str], int, float]:
    started = time.perf_counter()
    pdf = pdfium.PdfDocument(path)
    texts, footnotes = [], 0
    for page in pdf:
        textpage = page.get_textpage()
        text, notes = page_read(textpage, mended)
        texts.append(text)
        footnotes += notes
        textpage.close()
        page.close()
    pdf.close()
    return texts, footnotes, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample", type=int, default=40)
    args = parser.parse_args()
    files = sorted(args.folder.glob("*.pdf"))
    sample_faq = ROOT / "data" / "samples" / "R-FAQ.pdf"
    files += [] if any(f.name == sample_faq.name for f in files) else [sample_faq]
    rows, all_changes = [], []
    for path in files:
        best = {False: float("inf"), True: float("inf")}
        for _ in range(args.rounds):
            for mended in (False, True):
                texts, footnotes, seconds = read_file(path, mended)
                best[mended] = min(best[mended], seconds)
                if mended:
                    after = texts
                else:
                    before = texts
        found = [(page, *change) for page, (a, b) in enumerate(zip(before, after, strict=True),
                                                               start=1)
                 for change in changes(a, b)]
        exponents = sum("^" in right for _, _, right in found)
        rows.append({"file": path.name, "pages": len(before), "footnotes": footnotes,
                     "changes": len(found),
                     "marks_left_out": len(found) - exponents, "exponents_written": exponents,
                     "seconds_plain": round(best[False], 3),
                     "seconds_mended": round(best[True], 3)})
        all_changes += [{"file": path.name, "page": page, "before": left, "after": right}
                        for page, left, right in found]
    print("| file | pages | footnotes | marks left out | exponents written | seconds plain "
          "| seconds mended |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['file']} | {row['pages']} | {row['footnotes']} | {row['marks_left_out']} | "
              f"{row['exponents_written']} | {row['seconds_plain']} | {row['seconds_mended']} |")
    sample = random.Random(7).sample(all_changes, min(args.sample, len(all_changes)))
    for change in sample:
        print(f"\n{change['file']} p.{change['page']}\n  before: {change['before']}\n"
              f"  after:  {change['after']}")
    out = ROOT / "bench" / "results" / "pdf_superscripts.json"
    out.write_text(json.dumps({"rows": rows, "sample": sample, "rounds": args.rounds,
                               "machine": f"{platform.machine()}, {os.cpu_count()} cores"},
                              indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
