"""What each side of the hybrid search finds, and variants of the fusion and the word shares,
on the store's own searches.

Each development set (data/eval, and every `--squad-every`-th SQuAD dev question when
../shared holds it) is ingested into a throw-away embedded store. Per set, the share of
questions whose gold passage is in the top 5 of the dense side alone, the sparse side alone,
either of them, plain BM25 and the default hybrid search: how much room the fusion has over
BM25. Then every question is searched in hybrid mode as the app searches, once per variant;
each side's search runs once per question and every variant fuses those same results.
Variants (each changes one thing from the default):

- `absent: side's lowest`: a passage missing from one side's list takes that side's lowest
  normalised score there, not 0 (a missing passage scored at most that on that side);
- `clamped to 0..1`: each side's normalised scores clamped to 0..1, so that one passage far
  above a side's mean weighs no more than its mean + 3σ;
- `min-max`: each side's scores mapped from its lowest and highest to 0..1, not mean ± 3σ;
- `+ rank term`: DBSF plus 1 / (5 + rank) on each side, for a passage one side ranks high;
- `word ends`: in the word shares, a question's term that ends a longer term of a sentence
  ("level" of "sublevels") counts as a variant does;
- `one word's match halved`: the word-by-word match of a question of one content word
  (conversational turns: "What is the exception?") at half weight.

Only the search is measured (hit@1, hit@5, MRR@10); the answers are not.

    .venv/bin/python bench/fusion_variants.py [--squad-every 4] [--squad FILE] [--out FILE]

Writes bench/results/fusion_variants.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from rag.evaluation import run
from rag.evaluation.metrics import first_rank, rank_metrics
from rag.evaluation.report import development_sets
from rag.evaluation.squad import Question, load_squad
from rag.providers.embedders.base import Embedder
from rag.registry import make_embedder
from rag.retrieval.rescoring import SentenceRescorer
from rag.settings import load_settings
from rag.stores import base as store_base
from rag.stores.base import ChunkStore
from rag.text import lexical
from rag.types import Hit

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
RESULTS = ROOT / "bench" / "results"
TOP = 5  # the hit@5 the margin is judged by
RANK_K = 5  # the rank term's 1 / (RANK_K + rank)
Ranked = Sequence[tuple[float, Sequence[tuple[Any, float]]]]
Scale = Callable[[Sequence[float]], Callable[[float], float]]


def three_sigma(scores: Sequence[float]) -> Callable[[float], float]:
    """DBSF's map: mean − 3σ to 0, mean + 3σ to 1 (as `rag.stores.fusion.fuse_dbsf`)."""
    mean = math.fsum(scores) / len(scores)
    spread = 6 * math.sqrt(math.fsum((s - mean) ** 2 for s in scores) / len(scores))
    return lambda s: (s - mean) / spread + 0.5 if spread > 0 else 1.0


def min_max(scores: Sequence[float]) -> Callable[[float], float]:
    low, high = min(scores), max(scores)
    return lambda s: (s - low) / (high - low) if high > low else 1.0


def fusion(scale: Scale = three_sigma, absent_lowest: bool = False, clamp: bool = False,
           rank_term: float = 0.0) -> Callable[[Ranked], list[tuple[Any, float]]]:
    """A stand-in for `fuse_dbsf`: weighted sum of each side's mapped scores."""
    def fuse(ranked: Ranked) -> list[tuple[Any, float]]:
        sides = []
        for weight, hits in ranked:
            if not hits:
                continue
            mapped = scale([score for _, score in hits])
            values = {pid: mapped(score) for pid, score in hits}
            if clamp:
                values = {pid: min(max(v, 0.0), 1.0) for pid, v in values.items()}
            lowest = max(min(values.values()), 0.0) if absent_lowest else 0.0
            ranks = {pid: rank for rank, (pid, _) in enumerate(hits, 1)}
            sides.append((weight, values, lowest, ranks))
        ids = {pid for _, values, _, _ in sides for pid in values}
        fused = {pid: sum(weight * values.get(pid, lowest)
                          + (rank_term / (RANK_K + ranks[pid]) if pid in ranks else 0.0)
                          for weight, values, lowest, ranks in sides) for pid in ids}
        return sorted(fused.items(), key=lambda item: (-item[1], str(item[0])))
    return fuse


def held_with_ends(asked: frozenset[str], starts: frozenset[str], said: frozenset[str],
                   said_stubs: frozenset[str]) -> float:
    """`lexical._held`, and a missing term of VARIANT_STEM letters or more that ends a said
    term at least 3 letters longer counted VARIANT_SHARE."""
    held = HELD(asked, starts, said, said_stubs)
    missing = asked - said
    unmatched = [term for term in missing - said_stubs
                 if said.isdisjoint(lexical._stubs_of(term))
                 and term.isalpha() and len(term) >= lexical.VARIANT_STEM]
    ends = sum(any(len(word) - len(term) >= 3 and word.endswith(term) for word in said)
               for term in unmatched)
    return held + lexical.VARIANT_SHARE * ends


def one_word_halved(self: SentenceRescorer, question: str, hits: Sequence[Hit]
                    ) -> tuple[list[float], list[tuple[float, ...] | None]]:
    per_hit, per_sentence = WORD_MATCHES(self, question, hits)
    if len(lexical.content_spans(question)) == 1:
        per_hit = [0.5 * match for match in per_hit]
    return per_hit, per_sentence


HELD = lexical._held
WORD_MATCHES = SentenceRescorer._word_matches
VARIANTS: dict[str, dict[str, Any]] = {
    "the default": {},
    "absent: side's lowest": {"fuse": fusion(absent_lowest=True)},
    "clamped to 0..1": {"fuse": fusion(clamp=True)},
    "min-max": {"fuse": fusion(scale=min_max)},
    "+ rank term": {"fuse": fusion(rank_term=1.0)},
    "word ends": {"held": held_with_ends},
    "one word's match halved": {"word_matches": one_word_halved},
}


@contextmanager
def variant(spec: dict[str, Any]) -> Iterator[None]:
    with ExitStack() as stack:
        if "fuse" in spec:
            stack.enter_context(mock.patch.object(store_base, "fuse_dbsf", spec["fuse"]))
        if "held" in spec:
            stack.enter_context(mock.patch.object(lexical, "_held", spec["held"]))
        if "word_matches" in spec:
            stack.enter_context(mock.patch.object(SentenceRescorer, "_word_matches",
                                                  spec["word_matches"]))
        yield


@contextmanager
def sides_searched_once(store: ChunkStore) -> Iterator[None]:
    """Each question's two side searches run once; every variant fuses the same results."""
    searched: dict[tuple, Any] = {}
    query_sides = store._query_sides

    def once(dense: np.ndarray, sparse: Any, where: Any, limit: int) -> Any:
        key = (dense.tobytes(), tuple(sparse[0]), tuple(sparse[1]), repr(where), limit)
        if key not in searched:
            searched[key] = query_sides(dense, sparse, where, limit)
        return searched[key]

    with mock.patch.object(store, "_query_sides", once):
        yield


def in_top(ranks: Sequence[int | None]) -> list[bool]:
    return [rank is not None and rank <= TOP for rank in ranks]


def golds_ranks(questions: Sequence[Question], hits: Sequence[list[Hit]]) -> list[int | None]:
    return [first_rank([hit.source for hit in top], q.paragraph)
            for q, top in zip(questions, hits, strict=True)]


def sides_row(embedder: Embedder, store: ChunkStore, questions: Sequence[Question],
              dense: np.ndarray, texts: Sequence[str], keys: Sequence[str]) -> dict:
    """Hit@5 of each side alone, of either, of BM25 and of the default hybrid search."""
    plain = run.eval_retriever(embedder, store, "off")
    found = {mode: in_top(golds_ranks(questions, run.search_all(
        plain, questions, dense if mode != "sparse" else None, mode)))
        for mode in ("dense", "sparse")}
    found["either side"] = [a or b for a, b in zip(found["dense"], found["sparse"],
                                                   strict=True)]
    found["bm25"] = in_top(run.bm25_ranks(texts, keys, questions,
                                          [q.paragraph for q in questions]))
    found["hybrid"] = in_top(golds_ranks(questions, run.search_all(
        run.eval_retriever(embedder, store), questions, dense, "hybrid")))
    return {name: round(sum(hits) / len(questions), 4) for name, hits in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad-every", type=int, default=4)
    parser.add_argument("--squad", type=Path, default=SQUAD, help="SQuAD dev's file")
    parser.add_argument("--out", default="fusion_variants.json")
    args = parser.parse_args()
    embedder = make_embedder(load_settings())
    sides, rows = {}, []
    for name, (path, every) in development_sets(ROOT / "data" / "eval", args.squad,
                                                args.squad_every).items():
        print(f"== {name}", flush=True)
        documents, questions = load_squad(path, None, every)
        with run.ingested_set(embedder, path, documents, questions, lambda _m: None) as (
                store, documents, questions), sides_searched_once(store):
            dense = run.embed_questions(embedder, questions)
            sides[name] = sides_row(embedder, store, questions, dense,
                                    [d.pages[0].text for d in documents],
                                    [d.source for d in documents])
            for label, spec in VARIANTS.items():
                with variant(spec):
                    hits = run.search_all(run.eval_retriever(embedder, store), questions,
                                          dense, "hybrid")
                rows.append({"set": name, "variant": label, "questions": len(questions),
                             **run.rounded(rank_metrics(golds_ranks(questions, hits)))})
    names = list(sides)
    print("\n| top 5 of | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for label in next(iter(sides.values())):
        print(f"| {label} | " + " | ".join(f"{sides[n][label]:.3f}" for n in names) + " |")
    print("\n" + run.variants_table(rows, names, list(VARIANTS)))
    out = RESULTS / args.out
    out.write_text(json.dumps({"squad_every": args.squad_every, "machine": platform.machine(),
                               "sides": sides, "rows": rows}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
