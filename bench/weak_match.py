"""Does the offline answer say so when the documents do not answer the question?

Each library is asked its own questions and, as unanswerable ones, questions of every other
library (a different style: stories, a textbook, news, an FAQ, Wikipedia): an answer that opens
with "Your documents do not seem to answer this question" (`extractive.WEAK_MATCH`), or says
the documents do not mention a rare word of it (`extractive.not_mentioned`), counts as
saying so (the second also counted apart). Libraries: every development set of data/eval, SQuAD
dev's first 400 paragraphs (when ../shared holds it), and the app's sample documents
(data/samples, asked the R FAQ's question headings through the app's own service). Reported per
library: the share of its own questions answered well (the answer holds a gold span; the FAQ
sets: its first citation is the gold passage) that are wrongly hedged, the share of all its own
questions hedged, and the share of the other libraries' questions hedged.

    .venv/bin/python bench/weak_match.py [--own N] [--foreign N]

Prints a table and writes bench/results/weak_match.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from faq_headings import FAQ  # noqa: E402
from faq_headings import questions as faq_questions  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ingest.pipeline import IngestPipeline  # noqa: E402
from rag.evaluation import find_sets  # noqa: E402
from rag.evaluation.metrics import first_citation  # noqa: E402
from rag.evaluation.run import ANSWER_PASSAGES, embed_questions, eval_retriever  # noqa: E402
from rag.evaluation.squad import Question, load_squad  # noqa: E402
from rag.providers.generators.base import GenerationRequest, Quoted  # noqa: E402
from rag.providers.generators.extractive import (  # noqa: E402
    WEAK_MATCH,
    ExtractiveGenerator,
    hedge,
)
from rag.registry import make_embedder  # noqa: E402
from rag.service import build_service  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.stores.edge import EdgeStore, open_edge_client  # noqa: E402
from rag.types import GenerationRecord  # noqa: E402

SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
SQUAD_PARAGRAPHS = 400
RESULTS = ROOT / "bench" / "results" / "weak_match.json"


@dataclass
class Tally:
    own: int = 0
    own_hedged: int = 0
    good: int = 0
    good_hedged: int = 0
    foreign: int = 0
    foreign_hedged: int = 0
    # of those hedged, by a rare word the library holds nowhere (`extractive.not_mentioned`)
    good_unmentioned: int = 0
    foreign_unmentioned: int = 0

    def count(self, text: str, own: bool, good: bool = False) -> None:
        said = hedge(text)
        if not own:
            self.foreign += 1
            self.foreign_hedged += said is not None
            self.foreign_unmentioned += said not in (None, WEAK_MATCH)
            return
        self.own += 1
        self.own_hedged += said is not None
        self.good += good
        self.good_hedged += good and said is not None
        self.good_unmentioned += good and said not in (None, WEAK_MATCH)

    def row(self, library: str) -> dict:
        rate = lambda n, d: round(n / d, 3) if d else None  # noqa: E731
        return {"library": library, "own_questions": self.own,
                "well_answered": self.good,
                "well_answered_hedged": rate(self.good_hedged, self.good),
                "own_hedged": rate(self.own_hedged, self.own),
                "foreign_questions": self.foreign,
                "foreign_hedged": rate(self.foreign_hedged, self.foreign),
                "well_answered_unmentioned": rate(self.good_unmentioned, self.good),
                "foreign_unmentioned": rate(self.foreign_unmentioned, self.foreign)}


def dev_library(name: str, path: Path) -> tuple[list, list[Question]]:
    documents, questions = load_squad(path, None, 1)
    if name == "squad-dev":
        documents = documents[:SQUAD_PARAGRAPHS]
        kept = {d.source for d in documents}
        questions = [q for q in questions if q.paragraph in kept]
    return documents, questions


def ask_dev_library(embedder, documents, asked: list[tuple[Question, bool]],
                    tally: Tally) -> None:
    """Ingest a set's paragraphs, then search and answer as `rag eval` does."""
    with tempfile.TemporaryDirectory(prefix="rag-weak-") as tmp:
        store = EdgeStore(open_edge_client(tmp), "weak", embedder.name, embedder.dimension)
        try:
            store.ensure_collection()
            list(IngestPipeline(embedder, store, 200, 30).ingest_documents(documents))
            retriever = eval_retriever(embedder, store)
            generator = ExtractiveGenerator(embedder, stored=True)
            vectors = embed_questions(embedder, [q for q, _ in asked])
            for (question, own), vector in zip(asked, vectors, strict=True):
                hits = retriever.retrieve_with(question.text, vector, 10,
                                               "hybrid").hits[:ANSWER_PASSAGES]
                deltas = list(generator.stream(
                    GenerationRequest(question.text, hits, question_vector=vector,
                                      unheld=retriever.unheld(question.text, hits)),
                    GenerationRecord()))
                text = "".join(deltas)
                if not own:
                    tally.count(text, own=False)
                    continue
                if question.answers:
                    good = any(a.lower() in text.lower() for a in question.answers)
                else:
                    cited = first_citation("".join(d for d in deltas
                                                   if not isinstance(d, Quoted)))
                    good = (cited is not None and cited <= len(hits)
                            and hits[cited - 1].source == question.paragraph)
                tally.count(text, own=True, good=good)
        finally:
            store.close()


def ask_samples(own: list[tuple[str, int]], foreign: list[str], tally: Tally) -> None:
    """The sample documents through the app's service; a heading's answer is good when its
    first source is the heading's page or the next."""
    with tempfile.TemporaryDirectory(prefix="rag-weak-") as data_dir:
        os.environ["RAG_DATA_DIR"] = data_dir
        service = build_service(load_settings())
        try:
            service.ingest([ROOT / "data" / "samples"])
            for question, page in own:
                answer = service.ask(question)
                text = "".join(answer)
                cited = first_citation(text.removeprefix(hedge(text) or ""))
                good = (cited is not None and cited <= len(answer.citations)
                        and answer.citations[cited - 1].page in (page, page + 1))
                tally.count(text, own=True, good=good)
            for question in foreign:
                tally.count("".join(service.ask(question)), own=False)
        finally:
            service.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--own", type=int, default=200, help="own questions per library")
    parser.add_argument("--foreign", type=int, default=30,
                        help="questions taken from each other library")
    args = parser.parse_args()
    os.environ.setdefault("RAG_MODEL_DIR", str(ROOT / "data" / "models"))
    embedder = make_embedder(load_settings())
    sets = find_sets([ROOT / "data" / "eval"])
    if SQUAD.exists():
        sets["squad-dev"] = SQUAD
    else:
        print(f"{SQUAD} not found: SQuAD dev left out")
    libraries = {name: dev_library(name, path) for name, path in sets.items()}
    pick = random.Random(7)
    rows = []
    for name, (documents, questions) in libraries.items():
        asked = [(q, True) for q in pick.sample(questions, min(args.own, len(questions)))]
        for other, (_, theirs) in libraries.items():
            if other != name:
                asked += [(q, False) for q in pick.sample(theirs, args.foreign)]
        tally = Tally()
        ask_dev_library(embedder, documents, asked, tally)
        rows.append(tally.row(name))
        print(rows[-1], flush=True)
    tally = Tally()
    foreign = [q.text for _, theirs in libraries.values()
               for q in pick.sample(theirs, args.foreign)]
    ask_samples(faq_questions(FAQ), foreign, tally)
    rows.append(tally.row("samples (R FAQ headings)"))
    print(rows[-1], flush=True)
    table = Table(title=f"Hedged answers (weak-match score below "
                        f"{embedder.weak_match_below}, {embedder.name})")
    for column in ("library", "own questions", "well answered, hedged", "all own, hedged",
                   "other libraries' questions", "hedged",
                   "of which a word unmentioned (well answered / other libraries')"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["library"], str(row["own_questions"]),
                      f"{row['well_answered_hedged']} of {row['well_answered']}",
                      str(row["own_hedged"]), str(row["foreign_questions"]),
                      str(row["foreign_hedged"]),
                      f"{row['well_answered_unmentioned']} / {row['foreign_unmentioned']}")
    Console(width=140).print(table)
    RESULTS.write_text(json.dumps({"benchmark": "weak_match", "embedder": embedder.name,
                                   "weak_match_below": embedder.weak_match_below,
                                   "rows": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
