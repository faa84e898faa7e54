"""The offline answer to fixed questions about the shared manuals, to read and to compare.

No development set has headings, bullets or code, which the manuals are full of: changes to
the segmenter or the extractive answerer are judged here by reading the answers. The PDFs are
ingested into a throw-away library; each question is searched as the app searches (top 5) and
answered by the extractive generator. `--compare` names an earlier run's file and prints only
the answers that changed, old above new. Any folder of documents can stand for the manuals:
this project's own Markdown docs, with their fenced code, as at commit 533db3c (`git archive
533db3c docs | tar -x -C /tmp/corpus`), are asked how-to questions with `--pdfs
/tmp/corpus/docs --questions bench/questions/project-docs.txt --out docs_answers.json`; the
answers quoting code are counted, line by line or run together. The sample library a first
user meets is asked a first user's questions with `--pdfs data/samples --questions
bench/questions/samples.txt --out samples_answers.json`.

    .venv/bin/python bench/manual_answers.py [--pdfs FOLDER] [--questions FILE]
        [--out NAME] [--compare FILE]

Writes bench/results/manual_answers.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PDFS = ROOT.parent / "shared" / "data" / "pdfs" / "real"
QUESTIONS = ROOT / "bench" / "questions" / "manuals.txt"
RESULTS = ROOT / "bench" / "results"


def answer_all(pdfs: Path, questions: list[str]) -> list[dict]:
    from rag.providers.generators.base import GenerationRequest
    from rag.providers.generators.extractive import ExtractiveGenerator
    from rag.service import build_service
    from rag.settings import load_settings
    from rag.types import GenerationRecord

    with tempfile.TemporaryDirectory(prefix="rag-manuals-") as tmp:
        os.environ["RAG_DATA_DIR"] = tmp
        os.environ.setdefault("RAG_MODEL_DIR", str(ROOT / "data" / "models"))
        service = build_service(load_settings())
        try:
            report = service.ingest([pdfs])
            totals = report.totals()
            print(f"ingested {totals['files']} files, {totals['chunks']} chunks")
            generator = ExtractiveGenerator(service.embedder)
            rows = []
            for question in questions:
                hits = service.search(question, 5)
                request = GenerationRequest(
                    question, hits, unheld=service.retriever.unheld(question, hits))
                text = "".join(generator.stream(request, GenerationRecord()))
                rows.append({"question": question, "answer": text,
                             "sources": [f"{Path(h.source).name} p.{h.page}" for h in hits]})
            return rows
        finally:
            service.close()


def print_changes(old_rows: list[dict], rows: list[dict]) -> None:
    before = {r["question"]: r["answer"] for r in old_rows}
    changed = [r for r in rows if before.get(r["question"], r["answer"]) != r["answer"]]
    for row in changed:
        print(f"\n=== {row['question']}")
        print(textwrap.indent(textwrap.fill(before[row["question"]], 100), "  old: "))
        print(textwrap.indent(textwrap.fill(row["answer"], 100), "  new: "))
    print(f"\n{len(changed)} of {len(rows)} answers changed")


FENCE_LINE = re.compile(r"^`{3,}[\w+#.-]*$", re.MULTILINE)  # a fence alone on its line


def code_quoted(rows: list[dict]) -> str:
    """How many answers quote a fenced code block: on lines of its own, or run into a line
    of text."""
    quoting = [r["answer"] for r in rows if "```" in r["answer"]]
    on_lines = sum(FENCE_LINE.search(answer) is not None for answer in quoting)
    return (f"{len(quoting)} of {len(rows)} answers quote code: {on_lines} line by line, "
            f"{len(quoting) - on_lines} run together")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdfs", type=Path, default=PDFS)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--out", default="manual_answers.json")
    parser.add_argument("--compare", type=Path, help="an earlier run's results file")
    args = parser.parse_args()
    if not args.pdfs.is_dir():
        raise SystemExit(f"{args.pdfs} is missing: the shared manuals are needed")
    questions = [q for q in args.questions.read_text().splitlines() if q.strip()]
    rows = answer_all(args.pdfs, questions)
    for row in rows:
        first = row["sources"][0] if row["sources"] else "-"
        print(f"{row['question'][:60]:60} | {first:22} | {row['answer'][:70]}")
    if args.compare:
        old_rows = json.loads(args.compare.read_text())["rows"]
        print_changes(old_rows, rows)
        print(f"before: {code_quoted(old_rows)}")
    print(code_quoted(rows))
    out = RESULTS / args.out
    out.write_text(json.dumps({"pdfs": str(args.pdfs), "rows": rows}, indent=1,
                              ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
