"""Where chunks are cut on PDF pages: at sentence ends (ingest's splitter) or at line ends.

A PDF's lines end wherever the layout wrapped them. Each set is laid out as PDFs one and three
paragraphs a page (three without blank lines between them, as most real PDFs run), ingested
through the app's PDF path with each splitter, and searched (hybrid) and answered
extractively, plain BM25 over the same pages beside them. Cells:
the right file and page in the top 1 / 5, MRR@10, the answer's gold-span and first-citation
rates, and the share of answers quoting a sentence cut short. Writes
bench/results/pdf_layout.json.

    .venv/bin/python bench/pdf_layout.py [--sets squad-dev coqa-cnn] [--every 8]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

from ingest.chunking import SEPARATORS
from rag.evaluation import find_sets, format_table
from rag.evaluation.pdfpages import evaluate_pages
from rag.registry import make_embedder
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
#: the splitter's levels before sentence ends came first: lines, then ". " and the like
LINES_FIRST = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", "")
SPLITTERS = {"sentence ends (ingest)": SEPARATORS, "line ends": LINES_FIRST}
COLUMNS = ["set", "paragraphs a page", "mode", "cut at", "questions", "hit@1", "hit@5", "mrr@10",
           "answer_span_rate", "first_citation_rate", "cut_answer_rate"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=["squad-dev", "coqa-cnn", "coqa-science"])
    parser.add_argument("--every", type=int, default=8, help="keep every k-th SQuAD question")
    parser.add_argument("--per-page", type=int, nargs="+", default=[1, 3])
    args = parser.parse_args()
    settings = load_settings()
    embedder = make_embedder(settings)
    sets = find_sets([ROOT / "data" / "eval"])
    if SQUAD.exists():
        sets["squad-dev"] = SQUAD
    rows = []
    for name in args.sets:
        every = args.every if name == "squad-dev" else 1
        for per_page in args.per_page:
            for n, (label, separators) in enumerate(SPLITTERS.items()):
                print(f"{name}, {per_page} a page, cut at {label}", flush=True)
                found = evaluate_pages(embedder, {name: sets[name]}, ("hybrid",), every=every,
                                       chunk_tokens=settings.chunk_tokens,
                                       chunk_overlap=settings.chunk_overlap, with_bm25=n == 0,
                                       per_page=per_page, separators=separators)
                for row in found:  # hybrid, then plain BM25 over the same pages once
                    cut_at = label if row["mode"] == "hybrid" else "(whole pages)"
                    rows.append({"set": name, "paragraphs a page": per_page,
                                 "cut at": cut_at, **row})
    print(format_table(rows, COLUMNS))
    out = ROOT / "bench" / "results" / "pdf_layout.json"
    out.write_text(json.dumps({"every": args.every, "rows": rows,
                               "machine": f"{platform.machine()}, {os.cpu_count()} cores"},
                              indent=2) + "\n")


if __name__ == "__main__":
    main()
