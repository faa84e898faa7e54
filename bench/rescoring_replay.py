"""Signals of a passage's best sentence, tried in the app's own rescoring on the same searches.

Each development set (data/eval, and every `--squad-every`-th SQuAD dev question when
../shared holds it) is ingested into a throw-away embedded store and every question searched
once, in hybrid mode as the app searches, keeping what the rescorer was handed (the fused
candidates and each side's best). Every variant then rescores those same candidates, so only
the rescoring differs; unlike `bench/retrieval_levers.py`, which re-implements the search in
numpy, this runs `rag/retrieval/rescoring.py` on the store's own candidates. Variants:

- the default (it must give back the searches' own order, which the script checks);
- `+ sentence match W`: W × the best of the passage's sentences' word-by-word matches
  (`Hit.sentence_matches`), beside the passage's match;
- `sentence match in place`: that best sentence match at the passage match's weight, the
  passage's own left out;
- `+ whole sentence W`: W × the best score one sentence earns alone (3 × its cosine + its
  share of the question's words + 4 × its word-by-word match), where the default takes each
  signal's best from whichever sentence has it.

    .venv/bin/python bench/rescoring_replay.py [--squad-every 4] [--out FILE]

Writes bench/results/rescoring_replay.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import platform
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rag.evaluation import run
from rag.evaluation.metrics import first_rank, rank_metrics
from rag.evaluation.report import development_sets
from rag.evaluation.squad import Question
from rag.providers.embedders.base import Embedder
from rag.registry import make_embedder
from rag.retrieval.rescoring import MATCH_WEIGHT, WEIGHT, WORDS_WEIGHT, SentenceRescorer
from rag.settings import load_settings
from rag.text import lexical
from rag.text.contents import is_contents
from rag.types import Hit, cited_names

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
RESULTS = ROOT / "bench" / "results"
CACHE_SIZE = 1_000_000  # a set's questions come back to the same passages


@dataclass(frozen=True)
class Handed:
    """What the rescorer was handed for one question."""

    question: str
    query: np.ndarray
    hits: list[Hit]
    also: list[Hit]


class RecordingRescorer(SentenceRescorer):
    """The default rescoring, keeping every question's candidates."""

    def __init__(self, embedder: Embedder) -> None:
        super().__init__(embedder, cache_size=CACHE_SIZE)
        self.handed: list[Handed] = []

    def rescore(self, question: str, query: np.ndarray, hits: Sequence[Hit],
                also: Sequence[Hit] = ()) -> list[Hit]:
        self.handed.append(Handed(question, query, list(hits), list(also)))
        return super().rescore(question, query, hits, also)


class SentenceSignals(SentenceRescorer):
    """The default rescoring, plus signals of a passage's best sentence alone."""

    def __init__(self, embedder: Embedder, sentence_match: float = 0.0,
                 passage_match: float = MATCH_WEIGHT, whole_sentence: float = 0.0) -> None:
        super().__init__(embedder, cache_size=CACHE_SIZE)
        self.sentence_match = sentence_match
        self.passage_match = passage_match
        self.whole_sentence = whole_sentence

    def rescore(self, question: str, query: np.ndarray, hits: Sequence[Hit],
                also: Sequence[Hit] = ()) -> list[Hit]:
        scored = super().rescore(question, query, hits, also)
        handed = [*hits[: self.candidates], *also]
        head, tail = scored[:len(handed)], scored[len(handed):]
        if len(handed) < 2 or any(hit.sentence_matches is None for hit in head):
            return scored  # matched by none: scored alike, as the default does
        passage = dict(zip((hit.chunk_id for hit in handed),
                           self.word_matches(question, handed), strict=True))
        changed = [replace(hit, score=hit.score
                           + (self.passage_match - self.match_weight) * passage[hit.chunk_id]
                           + self.sentence_match * max(hit.sentence_matches or (0.0,))
                           + self.whole_sentence * _best_whole_sentence(question, query, hit))
                   for hit in head]
        changed.sort(key=lambda h: (-h.score, h.source, h.position))
        return changed + tail


def _best_whole_sentence(question: str, query: np.ndarray, hit: Hit) -> float:
    """The best score one of the hit's sentences earns alone: its cosine, its share of the
    question's words and its word-by-word match, at the default's weights."""
    stored, matches = hit.sentence_vectors, hit.sentence_matches
    if stored is None or not matches:
        return 0.0
    said = [hit.text[start:end] for start, end in stored.spans]
    shares = lexical.term_shares(question, said, cited_names(hit.title, hit.locator))
    scores = (WEIGHT * (stored.vectors @ query) + WORDS_WEIGHT * np.array(shares)
              + MATCH_WEIGHT * np.array(matches))
    return float(scores.max())


VARIANTS: dict[str, dict[str, float]] = {
    "the default": {},
    "+ sentence match 1": {"sentence_match": 1.0},
    "+ sentence match 2": {"sentence_match": 2.0},
    "+ sentence match 4": {"sentence_match": 4.0},
    "sentence match in place": {"sentence_match": MATCH_WEIGHT, "passage_match": 0.0},
    "+ whole sentence 0.25": {"whole_sentence": 0.25},
    "+ whole sentence 0.5": {"whole_sentence": 0.5},
}


def searched(embedder: Embedder, path: Path, every: int
             ) -> tuple[list[Question], list[Handed], list[list[Hit]]]:
    """A set's questions, what the rescorer was handed for each, and each one's hits."""
    recorder = RecordingRescorer(embedder)
    questions, hits = run.searched_once(embedder, path, every, recorder)
    if len(recorder.handed) != len(questions):  # a respelt question is searched twice
        raise SystemExit(f"{path.name}: {len(recorder.handed)} rescorings for "
                         f"{len(questions)} questions")
    return questions, recorder.handed, hits


def replayed(rescorer: SentenceRescorer, handed: Sequence[Handed]) -> list[list[Hit]]:
    """Each question's top 10 as the retriever would give them after this rescoring."""
    ranked = []
    for h in handed:
        hits = rescorer.rescore(h.question, h.query, h.hits, h.also)
        ranked.append(sorted(hits, key=lambda hit: is_contents(hit.text))[:10])
    return ranked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad-every", type=int, default=4)
    parser.add_argument("--out", default="rescoring_replay.json")
    args = parser.parse_args()
    embedder = make_embedder(load_settings())
    sets = development_sets(ROOT / "data" / "eval", SQUAD, args.squad_every)
    rows = []
    for name, (path, every) in sets.items():
        print(f"== {name}", flush=True)
        questions, handed, searched_hits = searched(embedder, path, every)
        for label, weights in VARIANTS.items():
            ranked = replayed(SentenceSignals(embedder, **weights), handed)
            if label == "the default":
                differ = sum([h.chunk_id for h in a] != [h.chunk_id for h in b]
                             for a, b in zip(ranked, searched_hits, strict=True))
                if differ:
                    raise SystemExit(f"{name}: the replayed default differs from the "
                                     f"search on {differ} questions")
            ranks = [first_rank([hit.source for hit in top], q.paragraph)
                     for q, top in zip(questions, ranked, strict=True)]
            rows.append({"set": name, "variant": label, "questions": len(questions),
                         **run.rounded(rank_metrics(ranks))})
    print("\n" + run.variants_table(rows, list(sets), list(VARIANTS)))
    out = RESULTS / args.out
    out.write_text(json.dumps({"squad_every": args.squad_every, "machine": platform.machine(),
                               "variants": VARIANTS, "rows": rows}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
