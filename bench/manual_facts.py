"""Fact checks of the offline answer on the shared R manuals: is the first citation the right
page, and does the answer state the fact.

Each question file is one manual set, ingested alone into a throw-away library (the local
model from data/models). A file is tab-separated with a header line: id, question, expected,
fact. `expected` is `MANUAL:PAGE` (the PDF's name without `.pdf`, its page), alternatives
comma-separated; `fact` is a regular expression searched in the answer (`(?i)` in front for
any case). A question the manuals do not answer has `-` in both: it is right when the answer
says the documents do not answer it, and has no citation to check. Each question is asked as
`rag ask` asks it, with the answer cache off.

    .venv/bin/python bench/manual_facts.py [--facts FILE ...] [--pdfs FOLDER] [--out NAME]

The default files are bench/questions/manual-facts.tsv (R-intro, R-FAQ, R-data),
manual-facts-2.tsv (R-admin, R-lang, R-exts) and manual-facts-3.tsv (R-ints). Writes
bench/results/manual_facts.json (or --out).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PDFS = ROOT.parent / "shared" / "data" / "pdfs" / "real"
QUESTIONS = ROOT / "bench" / "questions"
FACT_FILES = [QUESTIONS / name for name in
              ("manual-facts.tsv", "manual-facts-2.tsv", "manual-facts-3.tsv")]
RESULTS = ROOT / "bench" / "results"
UNANSWERED = "-"
HEDGE = "Your documents do not"  # how every extractive answer that declines begins
MARKER = re.compile(r"\[(\d+)\]")


@dataclass
class Question:
    id: str
    question: str
    expected: list[str]  # MANUAL:PAGE alternatives; empty when the manuals do not answer it
    fact: str

    @property
    def answerable(self) -> bool:
        return bool(self.expected)


@dataclass
class Outcome:
    id: str
    question: str
    expected: list[str]
    first: str | None  # MANUAL:PAGE of the answer's first [n]
    citation_right: bool | None  # None for a question the manuals do not answer
    fact_stated: bool
    answer: str


def read_questions(path: Path) -> list[Question]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [Question(row["id"], row["question"],
                     [] if row["expected"] == UNANSWERED else row["expected"].split(","),
                     row["fact"]) for row in rows]


def manuals_named(questions: list[Question], pdfs: Path) -> list[Path]:
    names = sorted({page.split(":")[0] for q in questions for page in q.expected})
    return [pdfs / f"{name}.pdf" for name in names]


def first_citation(answer: dict) -> str | None:
    """The page the answer's first [n] marker cites, as MANUAL:PAGE."""
    marker = MARKER.search(answer["answer"])
    if marker is None:
        return None
    cited = answer["citations"][int(marker.group(1)) - 1]
    return f"{Path(cited['source']).stem}:{cited['page']}"


def score(question: Question, answer: dict) -> Outcome:
    text = answer["answer"]
    first = first_citation(answer)
    if question.answerable:
        citation_right: bool | None = first in question.expected
        fact_stated = re.search(question.fact, text) is not None
    else:
        citation_right, fact_stated = None, text.startswith(HEDGE)
    return Outcome(question.id, question.question, question.expected, first,
                   citation_right, fact_stated, text)


def ask_all(questions: list[Question], pdfs: Path) -> list[Outcome]:
    from rag.cli.library import LocalLibrary
    from rag.settings import load_settings
    from rag.types import LOCAL_USER

    with tempfile.TemporaryDirectory(prefix="rag-facts-") as tmp:
        environ = dict(os.environ, RAG_DATA_DIR=tmp, RAG_CACHE="off")
        environ.setdefault("RAG_MODEL_DIR", str(ROOT / "data" / "models"))
        library = LocalLibrary(load_settings(environ))  # the library `rag ask` opens
        try:
            report = library.service.ingest(manuals_named(questions, pdfs), user=LOCAL_USER)
            totals = report.totals()
            print(f"ingested {totals['files']} files, {totals['chunks']} chunks")
            outcomes = []
            for question in questions:
                answer = library.ask(question.question, None)
                "".join(answer)  # the summary is complete once the text is streamed
                outcomes.append(score(question, answer.summary()))
            return outcomes
        finally:
            library.close()


def summarise(outcomes: list[Outcome]) -> dict:
    answerable = [o for o in outcomes if o.citation_right is not None]
    unanswerable = [o for o in outcomes if o.citation_right is None]
    return {"questions": len(answerable),
            "citation_right": sum(bool(o.citation_right) for o in answerable),
            "fact_stated": sum(o.fact_stated for o in answerable),
            "unanswerable": len(unanswerable),
            "declined": sum(o.fact_stated for o in unanswerable)}


def print_misses(name: str, outcomes: list[Outcome]) -> None:
    for o in outcomes:
        if o.citation_right is False or not o.fact_stated:
            wanted = ",".join(o.expected) or "a decline"
            print(f"  {name} {o.id:>3} cite {_mark(o.citation_right)} fact "
                  f"{_mark(o.fact_stated)} | {o.question[:60]} | wanted {wanted}, "
                  f"first {o.first} | {o.answer[:100]!r}")


def _mark(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "NO"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--facts", type=Path, nargs="+", default=FACT_FILES)
    parser.add_argument("--pdfs", type=Path, default=PDFS)
    parser.add_argument("--out", default="manual_facts.json")
    args = parser.parse_args()
    if not args.pdfs.is_dir():
        raise SystemExit(f"{args.pdfs} is missing: the shared manuals are needed")
    sets = {}
    for path in args.facts:
        questions = read_questions(path)
        manuals = [p.stem for p in manuals_named(questions, args.pdfs)]
        print(f"{path.name}: {', '.join(manuals)}")
        sets[path.name] = (manuals, ask_all(questions, args.pdfs))
    print(f"\n{'questions file':22} {'manuals':26} {'asked':>5} {'cite right':>10} "
          f"{'fact':>5} {'declined':>9}")
    for name, (manuals, outcomes) in sets.items():
        s = summarise(outcomes)
        print(f"{name:22} {','.join(manuals):26} {s['questions']:5} {s['citation_right']:10} "
              f"{s['fact_stated']:5} {s['declined']:>4} of {s['unanswerable']}")
    print("\nmisses:")
    for name, (_, outcomes) in sets.items():
        print_misses(name, outcomes)
    out = RESULTS / args.out
    out.write_text(json.dumps(
        {name: {"manuals": manuals, "totals": summarise(outcomes),
                "rows": [asdict(o) for o in outcomes]}
         for name, (manuals, outcomes) in sets.items()},
        indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
