"""Does the offline answer decline the questions its library cannot answer, and only those?

Each development set of data/eval is asked a sample of its own questions twice: against the
whole set (answerable), and against the set without the sampled questions' gold paragraphs,
with every passage found that holds a question's gold answer text dropped before answering
(unanswerable: the documents no longer say it, though much around it is alike). An answer
declines when it opens with "Your documents do not seem to answer this question"
(`extractive.WEAK_MATCH`) or says the documents do not mention a word of the question
(`extractive.not_mentioned`). Reported per set: the share of answerable questions declined
(false declines; also of those answered well, the answer holding a gold span, or for the FAQ
set the first citation being the gold passage) and the share of unanswerable ones declined
(true declines). Beside them, a small office library made here (a Word policy, an Excel price
list, a PowerPoint deck, through the app's own service) asked answerable questions and
questions it does not answer.

    .venv/bin/python bench/unanswerable.py [--questions N] [--out NAME.json]

Prints a table and writes bench/results/unanswerable.json (or NAME.json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ingest.pipeline import IngestPipeline  # noqa: E402
from rag.evaluation import find_sets  # noqa: E402
from rag.evaluation.metrics import first_citation  # noqa: E402
from rag.evaluation.run import (  # noqa: E402
    ANSWER_PASSAGES,
    CHUNK_OVERLAP,
    CHUNK_TOKENS,
    embed_questions,
    eval_retriever,
)
from rag.evaluation.squad import Question, load_squad  # noqa: E402
from rag.providers.generators.base import GenerationRequest, Quoted  # noqa: E402
from rag.providers.generators.extractive import ExtractiveGenerator, hedge  # noqa: E402
from rag.registry import make_embedder  # noqa: E402
from rag.retrieval.introduced_code import with_following_code  # noqa: E402
from rag.service import build_service  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.stores.edge import EdgeStore, open_edge_client  # noqa: E402
from rag.types import Document, GenerationRecord, Hit  # noqa: E402
from tests.docgen import make_docx, make_pptx, make_xlsx  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SEARCHED = 20  # passages searched, so that five remain once those holding the answer are dropped

HANDBOOK = [
    (
        "Holiday policy",
        [
            "Full-time employees receive 25 days of paid holiday per year.",
            "Up to 5 unused holiday days may be carried over into the next year.",
            "Holiday requests must be approved by your line manager two weeks in advance.",
        ],
    ),
    (
        "Working hours",
        [
            "Core hours are 10:00 to 16:00, Monday to Friday.",
            "Staff may work from home up to two days a week.",
        ],
    ),
    (
        "Expenses",
        [
            "Travel expenses are reimbursed within 30 days of the receipt being submitted.",
            "Hotel stays are booked through the travel desk.",
        ],
    ),
]
PRICES = {
    "Plans": [
        ["Plan", "Monthly price (USD)", "Users included"],
        ["Basic", "$10", "5"],
        ["Premium", "$25", "20"],
        ["Enterprise", "$99", "unlimited"],
    ]
}
DECK = [
    {
        "title": "Third quarter results",
        "body": ["Revenue grew 12% to $4.2 million.", "140 new customers signed up."],
    },
    {
        "title": "Roadmap",
        "body": [
            "The mobile app launches in November.",
            "Single sign-on arrives in the first quarter of next year.",
        ],
    },
]
OFFICE_ANSWERABLE = [
    "How many days of paid holiday do full-time employees get?",
    "Can unused holiday days be carried over?",
    "How much does the premium plan cost?",
    "How many users does the basic plan include?",
    "What are the core hours?",
    "How many days a week can staff work from home?",
    "How much did revenue grow in the third quarter?",
    "When does the mobile app launch?",
    "How quickly are travel expenses reimbursed?",
    "How many new customers signed up?",
    "Who approves holiday requests?",
    "How are hotel stays booked?",
]
OFFICE_UNANSWERABLE = [
    "What is the parental leave policy?",
    "How much does the premium plan cost in euros?",
    "Who is the CEO?",
    "What is the dress code?",
    "How many sick days do employees get?",
    "When was the company founded?",
    "What is the pension contribution?",
    "Is there a gym membership benefit?",
    "What is the office address?",
    "How many employees does the company have?",
    "What is the refund policy for the enterprise plan?",
    "Who is the head of sales?",
    "What was the revenue in the second quarter?",
    "How much does the annual premium plan cost?",
]


@dataclass
class Tally:
    asked: int = 0
    declined: int = 0
    good: int = 0
    good_declined: int = 0

    def count(self, declined: bool, good: bool = False) -> None:
        self.asked += 1
        self.declined += declined
        self.good += good
        self.good_declined += good and declined


def rate(n: int, d: int) -> float | None:
    return round(n / d, 3) if d else None


def holds_answer(hit: Hit, question: Question) -> bool:
    return any(
        re.search(rf"(?<!\w){re.escape(a)}(?!\w)", hit.text, re.IGNORECASE)
        for a in question.answers
        if a.strip()
    )


def answer(
    generator: ExtractiveGenerator, retriever, question: Question, vector, hits: list[Hit]
) -> tuple[str, str]:
    """The answer's text, and its text without the quotes' markers (for citations)."""
    deltas = list(
        generator.stream(
            GenerationRequest(
                question.text,
                hits,
                question_vector=vector,
                unheld=retriever.unheld(question.text, hits),
            ),
            GenerationRecord(),
        )
    )
    return "".join(deltas), "".join(d for d in deltas if not isinstance(d, Quoted))


def ask_library(
    embedder,
    documents: list[Document],
    questions: list[Question],
    answerable: bool,
    tally: Tally,
    examples: list,
) -> None:
    """Ingest `documents`, then search and answer each question as `rag eval` does; for the
    unanswerable asking, the passages holding a question's answer are dropped first."""
    with tempfile.TemporaryDirectory(prefix="rag-unanswerable-") as tmp:
        store = EdgeStore(open_edge_client(tmp), "unanswerable", embedder.name, embedder.dimension)
        try:
            store.ensure_collection()
            list(
                IngestPipeline(embedder, store, CHUNK_TOKENS, CHUNK_OVERLAP).ingest_documents(
                    documents
                )
            )
            retriever = eval_retriever(embedder, store)
            generator = ExtractiveGenerator(embedder, stored=True)
            vectors = embed_questions(embedder, questions)
            for question, vector in zip(questions, vectors, strict=True):
                hits = retriever.retrieve_with(question.text, vector, SEARCHED, "hybrid").hits
                if not answerable:
                    hits = [h for h in hits if not holds_answer(h, question)]
                hits = with_following_code(hits[:ANSWER_PASSAGES], store)
                text, plain = answer(generator, retriever, question, vector, hits)
                declined = hedge(text) is not None
                if answerable:
                    if question.answers:
                        good = any(a.lower() in text.lower() for a in question.answers)
                    else:
                        cited = first_citation(plain)
                        good = (
                            cited is not None
                            and cited <= len(hits)
                            and hits[cited - 1].source == question.paragraph
                        )
                    tally.count(declined, good)
                else:
                    tally.count(declined)
                examples.append(
                    {"question": question.text, "answerable": answerable, "declined": declined}
                )
        finally:
            store.close()


def ask_set(embedder, path: Path, n: int) -> dict:
    documents, questions = load_squad(path, None, 1)
    by_paragraph: dict[str, Question] = {}
    for question in random.Random(7).sample(questions, len(questions)):
        by_paragraph.setdefault(question.paragraph, question)
    sample = list(by_paragraph.values())[:n]
    held_out = {q.paragraph for q in sample}
    answerable, unanswerable, examples = Tally(), Tally(), []
    ask_library(embedder, documents, sample, True, answerable, examples)
    ask_library(
        embedder,
        [d for d in documents if d.source not in held_out],
        sample,
        False,
        unanswerable,
        examples,
    )
    return {
        "library": path.stem,
        "questions": len(sample),
        "answerable_declined": rate(answerable.declined, answerable.asked),
        "well_answered": answerable.good,
        "well_answered_declined": rate(answerable.good_declined, answerable.good),
        "unanswerable_declined": rate(unanswerable.declined, unanswerable.asked),
        "examples": examples,
    }


def write_office_library(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "handbook.docx").write_bytes(make_docx(HANDBOOK, title="Staff handbook"))
    (folder / "prices.xlsx").write_bytes(make_xlsx(PRICES, title="Price list"))
    (folder / "results.pptx").write_bytes(make_pptx(DECK, title="Quarterly update"))


def ask_office() -> dict:
    """The office library through the app's own service, as `rag ask` answers."""
    answerable, unanswerable, examples = Tally(), Tally(), []
    with tempfile.TemporaryDirectory(prefix="rag-office-") as data_dir:
        os.environ["RAG_DATA_DIR"] = data_dir
        os.environ["RAG_GENERATOR"] = "extractive"
        write_office_library(Path(data_dir) / "office")
        service = build_service(load_settings())
        try:
            service.ingest([Path(data_dir) / "office"])
            for questions, tally, can in (
                (OFFICE_ANSWERABLE, answerable, True),
                (OFFICE_UNANSWERABLE, unanswerable, False),
            ):
                for question in questions:
                    text = "".join(service.ask(question))
                    declined = hedge(text) is not None
                    tally.count(declined, good=can)
                    examples.append(
                        {
                            "question": question,
                            "answerable": can,
                            "declined": declined,
                            "answer": text,
                        }
                    )
        finally:
            service.close()
    return {
        "library": "office (docx, xlsx, pptx)",
        "questions": answerable.asked,
        "unanswerable_questions": unanswerable.asked,
        "answerable_declined": rate(answerable.declined, answerable.asked),
        "well_answered": None,
        "well_answered_declined": None,
        "unanswerable_declined": rate(unanswerable.declined, unanswerable.asked),
        "examples": examples,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=80, help="questions asked per set")
    parser.add_argument("--out", default="unanswerable.json", help="file under bench/results")
    parser.add_argument("--office-only", action="store_true", help="the office library alone")
    args = parser.parse_args()
    os.environ.setdefault("RAG_MODEL_DIR", str(ROOT / "data" / "models"))
    rows = [ask_office()]
    print({k: v for k, v in rows[-1].items() if k != "examples"}, flush=True)
    if not args.office_only:
        embedder = make_embedder(load_settings())
        for path in find_sets([ROOT / "data" / "eval"]).values():
            rows.append(ask_set(embedder, path, args.questions))
            print({k: v for k, v in rows[-1].items() if k != "examples"}, flush=True)
    table = Table(title="Declined answers (WEAK_MATCH or not_mentioned), offline answerer")
    for column in (
        "library",
        "questions",
        "answerable: declined",
        "answered well: declined",
        "unanswerable: declined",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["library"],
            str(row["questions"]),
            str(row["answerable_declined"]),
            f"{row['well_answered_declined']} of {row['well_answered']}",
            str(row["unanswerable_declined"]),
        )
    Console(width=120).print(table)
    out = RESULTS / args.out
    out.write_text(json.dumps({"benchmark": "unanswerable", "rows": rows}, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
