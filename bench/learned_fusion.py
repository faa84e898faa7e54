"""Fusion and rescoring weights learned from the development sets, validated across styles.

The default hybrid score of a candidate is a weighted sum of four signals: the dense side's
and the sparse side's DBSF-normalised scores (weights 1 and 1.5: the head of 20 is chosen by
these two), then, over that head, the best stored sentence vector's cosine (3) and the
largest share of the question's words one sentence holds (1). Those weights were chosen by
hand on a plateau (bench/retrieval_levers.py). Here they are fitted: for each set held out in
turn, a coordinate search over a grid finds the weights with the best mean of hit@5 and
MRR@10 over the *other* sets (each set counting once, whatever its size), and those weights
are scored on the held-out set. A set's row thus never sees its own questions. The weights
fitted on all sets together are printed last.

`--document` adds a fifth signal: the best default score among the candidates of the
candidate's own document (its article or story), so a passage of the document the question
is about rises beside that document's best match.

    .venv/bin/python bench/learned_fusion.py [--squad-every 4] [--head 20] [--document]

Features come from `bench/retrieval_levers.py`'s `Corpus` (embeddings cached under /tmp).
Writes bench/results/learned_fusion.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from retrieval_levers import BIGRAMS, SQUAD, Corpus, _norm_dbsf, bm25_okapi  # noqa: E402

from rag.evaluation import rank_metrics  # noqa: E402
from rag.registry import make_embedder  # noqa: E402
from rag.settings import load_settings  # noqa: E402

DEPTH = 100  # each side's top, fused (as the store does)
DEFAULT = (1.0, 1.5, 3.0, 1.0, 0.0)  # dense, sparse, best sentence, words, document
GRIDS = ([1.0],  # the dense weight fixes the scale
         [0.75, 1.0, 1.25, 1.5, 2.0, 2.5],
         [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
         [0.0, 0.5, 1.0, 1.5, 2.0, 3.0],
         [0.0, 0.1, 0.25, 0.5, 1.0])


@dataclass
class Features:
    """Per question, its candidates (the union of both sides' tops) and their signals."""

    candidates: list[np.ndarray]  # chunk ids
    signals: list[np.ndarray]  # (candidates, 5): dense, sparse, sentence cosine, words, document
    gold: list[str]
    sources: list[str]


def features(corpus: Corpus) -> Features:
    cands, sigs = [], []
    for qi in range(len(corpus.questions)):
        dense = corpus.dense_scores[qi]
        sparse = corpus.sparse_scores(qi, BIGRAMS, 0)
        d_top = np.argsort(-dense)[:DEPTH]
        s_top = [int(i) for i in np.argsort(-sparse)[:DEPTH] if sparse[i] > 0]
        ids = np.array(sorted(set(int(i) for i in d_top) | set(s_top)))
        d_n = dict(zip((int(i) for i in d_top), _norm_dbsf(dense[d_top]), strict=True))
        s_n = dict(zip(s_top, _norm_dbsf(sparse[s_top]), strict=True)) if s_top else {}
        rows = np.zeros((len(ids), 5))
        rows[:, 0] = [d_n.get(int(i), 0.0) for i in ids]
        rows[:, 1] = [s_n.get(int(i), 0.0) for i in ids]
        rows[:, 2] = corpus.maxsim(qi, [int(i) for i in ids], 0.5)
        rows[:, 3] = corpus.word_shares(qi, [int(i) for i in ids], False)
        default = rows[:, :4] @ np.asarray(DEFAULT[:4])
        documents = [corpus.titles[int(i)] for i in ids]
        best: dict[str, float] = {}
        for document, score in zip(documents, default, strict=True):
            best[document] = max(best.get(document, -np.inf), float(score))
        rows[:, 4] = [best[document] for document in documents]
        cands.append(ids)
        sigs.append(rows)
    return Features(cands, sigs, [q.paragraph for q in corpus.questions], corpus.sources)


def metrics(f: Features, weights: tuple[float, ...], head: int) -> dict[str, float]:
    w = np.asarray(weights)
    ranks = []
    for ids, rows, gold in zip(f.candidates, f.signals, f.gold, strict=True):
        fused = rows[:, :2] @ w[:2]
        order = np.argsort(-fused, kind="stable")
        top, tail = order[:head], order[head:60]
        top = top[np.argsort(-(fused[top] + rows[top, 2:] @ w[2:]), kind="stable")]
        seen: list[str] = []
        for i in np.concatenate([top, tail]):
            source = f.sources[ids[i]]
            if source not in seen:
                seen.append(source)
                if len(seen) == 10:
                    break
        ranks.append(seen.index(gold) + 1 if gold in seen else None)
    return rank_metrics(ranks)


def objective(m: dict[str, float]) -> float:
    return (m["hit@5"] + m["mrr@10"]) / 2


def fit(sets: dict[str, Features], head: int, grids: tuple[list[float], ...]
        ) -> tuple[float, ...]:
    """Coordinate search from the default over the grids, best mean objective over `sets`."""
    def score(weights: tuple[float, ...]) -> float:
        return float(np.mean([objective(metrics(f, weights, head)) for f in sets.values()]))

    best, best_score = DEFAULT, score(DEFAULT)
    for _ in range(3):
        improved = False
        for axis, grid in enumerate(grids):
            for value in grid:
                trial = tuple(value if a == axis else x for a, x in enumerate(best))
                if trial == best:
                    continue
                s = score(trial)
                if s > best_score + 1e-9:
                    best, best_score, improved = trial, s, True
        if not improved:
            break
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--squad-every", type=int, default=4)
    parser.add_argument("--head", type=int, default=20)
    parser.add_argument("--document", action="store_true",
                        help="fit the document signal's weight too (else it stays 0)")
    args = parser.parse_args()
    grids = GRIDS if args.document else (*GRIDS[:4], [0.0])
    embedder = make_embedder(load_settings(environ={}, env_file=None))
    paths = {p.stem: p for p in sorted((ROOT / "data" / "eval").glob("*.json"))}
    if SQUAD.exists():
        paths["squad-dev"] = SQUAD
    sets: dict[str, Features] = {}
    bm25: dict[str, dict[str, float]] = {}
    for name, path in paths.items():
        corpus = Corpus(name, path, args.squad_every if name == "squad-dev" else 1, 200, 30,
                        embedder)
        sets[name] = features(corpus)
        bm25[name] = bm25_okapi(corpus)
        print(f"{name}: {len(corpus.questions)} questions", flush=True)
    rows = []
    for name, f in sets.items():
        others = {n: g for n, g in sets.items() if n != name}
        weights = fit(others, args.head, grids)
        default, learned = metrics(f, DEFAULT, args.head), metrics(f, weights, args.head)
        rows.append({"set": name, "weights_from_other_sets": weights, "default": default,
                     "learned": learned, "bm25": bm25[name]})
        print(f"{name:15s} weights {weights}  default {default['hit@5']:.3f} / "
              f"{default['mrr@10']:.3f}  learned {learned['hit@5']:.3f} / "
              f"{learned['mrr@10']:.3f}  bm25 {bm25[name]['hit@5']:.3f} / "
              f"{bm25[name]['mrr@10']:.3f}", flush=True)
    every_set = fit(sets, args.head, grids)
    print(f"weights fitted on every set: {every_set}")
    print("\n| set | weights fitted on the other sets | default hit@5 / MRR@10 | learned | BM25 |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        cells = [f"{r[k]['hit@5']:.3f} / {r[k]['mrr@10']:.3f}" for k in ("default", "learned",
                                                                          "bm25")]
        print(f"| {r['set']} | {', '.join(f'{x:g}' for x in r['weights_from_other_sets'])} | "
              + " | ".join(cells) + " |")
    out = ROOT / "bench" / "results" / ("learned_fusion_document.json" if args.document
                                        else "learned_fusion.json")
    out.write_text(json.dumps({"head": args.head, "squad_every": args.squad_every,
                               "default_weights": DEFAULT, "grids": grids,
                               "weights_fitted_on_every_set": every_set, "rows": rows},
                              indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
