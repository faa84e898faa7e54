"""Retrieval and answer quality: SQuAD v1.1 dev and the development sets in data/eval/.

    .venv/bin/python bench/squad_eval.py --report [--every K] [--squad-every K]
        [--pdf-every K] [--answer-limit N]
        Every development set (data/eval/*.json, SQuAD dev too), every mode and BM25 in the
        same run, then the sets laid out as PDFs one paragraph a page: the table of
        docs/evaluation.md, written to bench/results/eval_report.json.

    .venv/bin/python bench/squad_eval.py [--limit N] [--answer-limit N] [--every K]
        [--precision int8 fp32]
        SQuAD dev alone: dense, sparse and hybrid beside plain BM25, written to
        bench/results/squad_eval.json.

All modes share one ingest per set into a throw-away collection; BM25 (rank-bm25) runs in the
same process as the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

from rag.evaluation import evaluate, find_sets, format_table, run_report
from rag.evaluation.report import MODES
from rag.registry import make_embedder
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
DEV_SETS = ROOT / "data" / "eval"
COLUMNS = ["mode", "embedder", "paragraphs", "questions", "hit@1", "hit@5", "hit@10", "mrr@10",
           "ndcg@10", "answer_span_rate", "first_citation_rate", "seconds"]


def report(args: argparse.Namespace) -> None:
    settings = load_settings()
    sets = find_sets([DEV_SETS])
    if args.squad.exists():
        sets["squad-dev"] = args.squad
    every = {name: args.every for name in sets} | {"squad-dev": args.squad_every}
    rows = run_report(make_embedder(settings), sets, every=every,
                      answer_limit=args.answer_limit,
                      pdf_sets=[] if args.no_pdf else list(sets),
                      pdf_every=args.pdf_every,
                      chunk_tokens=settings.chunk_tokens, chunk_overlap=settings.chunk_overlap,
                      progress=print, rescoring=args.rescoring,
                      modes=args.modes)
    print(format_table(rows))
    _write(args.out or "eval_report.json",
           {"every": args.every, "squad_every": args.squad_every, "pdf_every": args.pdf_every,
            "answer_limit": args.answer_limit, "rescoring": args.rescoring, "modes": args.modes,
            "chunk_tokens": settings.chunk_tokens, "chunk_overlap": settings.chunk_overlap,
            "precision": settings.local_precision, "rows": rows})


def squad_only(args: argparse.Namespace) -> None:
    settings = load_settings()
    results = []
    for n, precision in enumerate(args.precision or [settings.local_precision]):
        configured = settings.model_copy(update={"local_precision": precision})
        modes = ["dense", "sparse", "hybrid"] if n == 0 else ["dense", "hybrid"]
        results += evaluate(make_embedder(configured), args.squad, modes, args.limit,
                            args.answer_limit, settings.chunk_tokens, settings.chunk_overlap,
                            with_bm25=n == 0, progress=print, every=args.every)
    print(format_table(results, COLUMNS))
    _write("squad_eval.json", {"squad": str(args.squad), "answer_limit": args.answer_limit,
                               "every": args.every, "results": results})


def _write(name: str, body: dict) -> None:
    out = ROOT / "bench" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    body["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    out.write_text(json.dumps(body, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", action="store_true",
                        help="every development set, every mode, and the PDF page set")
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--answer-limit", type=int, default=None,
                        help="answer only the first N questions of a set (default: all)")
    parser.add_argument("--every", type=int, default=1, help="keep every k-th question")
    parser.add_argument("--squad-every", type=int, default=1,
                        help="with --report: keep every k-th SQuAD question")
    parser.add_argument("--pdf-every", type=int, default=1,
                        help="with --report: of the questions a set's text rows ask, keep every "
                             "k-th for its PDF rows")
    parser.add_argument("--rescoring", nargs="+", default=["stored"],
                        choices=["stored", "stored-rescore", "question", "off", "no-words",
                                 "answer-no-words"],
                        help="with --report: hybrid rows for each way sentence vectors are "
                             "had: stored at ingest (the default), stored for rescoring only "
                             "(the answerer embeds), embedded at question time, or none; or "
                             "the default without the word-by-word match, or without it in "
                             "the answer alone")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES),
                        help="with --report: the search modes (default: all)")
    parser.add_argument("--no-pdf", action="store_true",
                        help="with --report: leave out the sets laid out as PDFs")
    parser.add_argument("--out", help="with --report: the results file's name in "
                                      "bench/results (default eval_report.json)")
    parser.add_argument("--precision", nargs="+", choices=["int8", "fp32"],
                        help="local model precisions to compare (default: the configured one); "
                             "the first runs every mode and BM25, the others dense and hybrid")
    args = parser.parse_args()
    (report if args.report else squad_only)(args)


if __name__ == "__main__":
    main()
