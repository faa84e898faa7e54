"""An FAQ asked its own questions: every numbered question heading of the sample R FAQ.

A user of an FAQ asks what its headings ask ("What is CRAN?"). The sample R FAQ
(`data/samples/R-FAQ.pdf`) is ingested into a throw-away store and each of its numbered
headings that ends in "?" (outside its contents pages) is asked as a search; a hit is right
when it cites the page the heading is on, or the next (a section may start at the foot of a
page). Its contents pages hold every question word for word, which is what this checks
against. Reported per search mode: right first (hit@1) and within the top 5, and the
questions whose first hit is wrong. Then the same questions asked in other words, as a reader
who has not seen the headings would ask them (`bench/questions/r-faq-paraphrased.tsv`: the
heading's page and the question, written by hand, one per heading): no line of the FAQ is such
a question, so neither its contents pages nor its headings' words find the section for them.
In the default (hybrid) mode each question is also answered as the app answers it (the
offline, extractive answer), and the answer's first citation is right when it names such a
page.

    .venv/bin/python bench/faq_headings.py

Prints a table and writes bench/results/faq_headings.json.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag.evaluation.metrics import first_citation  # noqa: E402
from rag.providers.generators.base import Quoted  # noqa: E402
from rag.service import build_service  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.text.contents import has_dot_leader  # noqa: E402

FAQ = ROOT / "data" / "samples" / "R-FAQ.pdf"
PARAPHRASED = ROOT / "bench" / "questions" / "r-faq-paraphrased.tsv"
RESULTS = ROOT / "bench" / "results" / "faq_headings.json"
_HEADING = re.compile(r"^\d+(?:\.\d+)+ (.+\?)$")


def questions(pdf: Path) -> list[tuple[str, int]]:
    """(question, page) for each numbered question heading outside the contents pages."""
    found = []
    for number, page in enumerate(PdfReader(pdf).pages, start=1):
        text = page.extract_text()
        if has_dot_leader(text):
            continue
        found += [(m.group(1), number) for line in text.splitlines()
                  if (m := _HEADING.match(line.strip()))]
    return found


def paraphrased(path: Path) -> list[tuple[str, int]]:
    """(question, page) for each line "page<TAB>question" of `path`."""
    rows = [line.split("\t") for line in path.read_text().splitlines() if line.strip()]
    return [(question, int(page)) for page, question in rows]


def first_cited_page(service, question: str) -> int | None:
    """The page the app's answer cites first (the default answerer: extractive)."""
    answer = service.ask(question)
    # the quotes' own brackets are the document's ("[1] 18" in R's output), not citations
    number = first_citation("".join(d for d in answer if not isinstance(d, Quoted)))
    return answer.citations[number - 1].page if number else None


def asked_in_modes(service, asked: list[tuple[str, int]], label: str) -> list[dict]:
    """Per search mode: hit@1 and hit@5 of the cited pages, and the questions cited wrong
    first; in hybrid mode, how often the answer's first citation is right too."""
    rows = []
    for mode in ("hybrid", "sparse", "dense"):
        first = top5 = cited_right = 0
        wrong, wrong_answers = [], []
        for question, page in asked:
            pages = [hit.page for hit in service.search(question, top_k=5, mode=mode)]
            right = (page, page + 1)
            first += bool(pages) and pages[0] in right
            top5 += any(p in right for p in pages)
            if not pages or pages[0] not in right:
                wrong.append({"question": question, "page": page, "cited": pages})
            if mode == "hybrid":
                cited = first_cited_page(service, question)
                cited_right += cited in right
                if cited not in right:
                    wrong_answers.append({"question": question, "page": page,
                                          "cited_first": cited})
        row = {"questions": label, "mode": mode, "asked": len(asked),
               "hit@1": round(first / len(asked), 3),
               "hit@5": round(top5 / len(asked), 3), "wrong_first": wrong}
        if mode == "hybrid":
            row |= {"answer_first_citation": round(cited_right / len(asked), 3),
                    "answer_cited_wrong_first": wrong_answers}
        rows.append(row)
    return rows


def main() -> int:
    asked = questions(FAQ)
    with tempfile.TemporaryDirectory(prefix="rag-faq-") as data_dir:
        os.environ["RAG_DATA_DIR"] = data_dir
        os.environ.setdefault("RAG_MODEL_DIR", str(ROOT / "data" / "models"))
        service = build_service(load_settings())
        service.ingest([FAQ])
        rows = (asked_in_modes(service, asked, "headings")
                + asked_in_modes(service, paraphrased(PARAPHRASED), "in other words"))
        service.close()
    table = Table(title=f"The R FAQ asked its {len(asked)} question headings, as written and "
                        "in other words")
    for column in ("questions", "mode", "hit@1", "hit@5", "answer's first citation",
                   "first hit wrong"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["questions"], row["mode"], str(row["hit@1"]), str(row["hit@5"]),
                      str(row.get("answer_first_citation", "–")),
                      "; ".join(w["question"] for w in row["wrong_first"][:5]))
    Console(width=160).print(table)
    RESULTS.write_text(json.dumps({"benchmark": "faq_headings", "rows": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
