"""A ranker learned from the development sets over many signals, validated across styles.

`bench/learned_fusion.py` fits the four weights of the default score and finds them on a
plateau. This asks whether more signals, or a non-linear model of them, rank the fused head
better: each question's best 30 fused candidates get 15 features (the default's four; the
raw dense cosine; each side's rank; the share of the question's terms anywhere in the chunk
and in two adjacent sentences; the second-best sentence's cosine; the best default score in
the candidate's document; the gap to the question's best; the question's length; the sparse
score against the question's best; the default score itself). Two rankers are trained with
each set held out in turn, on the other sets (at most 420 questions each, so that SQuAD
counts like the others): a linear model on pairs (logistic loss, standardised features) and
LightGBM's LambdaMART at three sizes. Scored as the default is, on the held-out set.

    .venv/bin/python bench/learned_ranker.py [--squad-every 4]

Embeddings are `bench/retrieval_levers.py`'s (cached under /tmp). Writes
bench/results/learned_ranker.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import lightgbm
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from retrieval_levers import (  # noqa: E402
    BIGRAMS,
    SQUAD,
    Corpus,
    Sparse,
    _norm_dbsf,
    bm25_okapi,
    tokens,
)

from rag.evaluation import rank_metrics  # noqa: E402
from rag.registry import make_embedder  # noqa: E402
from rag.settings import load_settings  # noqa: E402

DEPTH, HEAD, TAIL = 100, 30, 60  # each side's top fused; the head reranked; the ranking's end
DEFAULT = np.array([1.0, 1.5, 3.0, 1.0])  # dense, sparse, best sentence, sentence words
FEATURES = ["dense", "sparse", "best sentence", "sentence words", "dense cosine",
            "dense rank", "sparse rank", "chunk words", "two sentences' words",
            "second sentence", "document's best", "gap to the best", "question terms",
            "sparse to the best", "default"]
PER_SET = 420  # training questions a set at most
SIZES = {"LambdaMART 3 leaves, 100 trees": (3, 100), "LambdaMART 7 leaves, 200 trees": (7, 200),
         "LambdaMART 15 leaves, 400 trees": (15, 400)}
Question = dict  # head ids, tail ids, features (head × FEATURES), labels, gold source
Scorer = Callable[[np.ndarray], np.ndarray]


def questions(corpus: Corpus) -> list[Question]:
    vectors = corpus.pooled_vectors(0.5)
    corpus.word_shares(0, [0], False)  # the sentences' terms, made once
    chunk_terms = [set().union(*held) for held in corpus._sentence_terms]
    out = []
    for qi, question in enumerate(corpus.questions):
        dense = corpus.dense_scores[qi]
        sparse = corpus.sparse_scores(qi, BIGRAMS, 0)
        d_top = [int(i) for i in np.argsort(-dense)[:DEPTH]]
        s_top = [int(i) for i in np.argsort(-sparse)[:DEPTH] if sparse[i] > 0]
        d_norm = dict(zip(d_top, _norm_dbsf(dense[d_top]), strict=True))
        s_norm = dict(zip(s_top, _norm_dbsf(sparse[s_top]), strict=True)) if s_top else {}
        ids = sorted(set(d_top) | set(s_top))
        fused = np.array([d_norm.get(i, 0.0) * DEFAULT[0] + s_norm.get(i, 0.0) * DEFAULT[1]
                          for i in ids])
        order = [ids[j] for j in np.argsort(-fused, kind="stable")]
        head, tail = order[:HEAD], order[HEAD:TAIL]
        asked = set(tokens(question.text, Sparse()))
        n_asked = max(len(asked), 1)
        best_sparse = float(sparse.max()) or 1.0
        x = np.zeros((len(head), len(FEATURES)))
        for row, i in enumerate(head):
            held = corpus._sentence_terms[i]
            cosines = np.sort(vectors[corpus._by_chunk[i]] @ corpus.qdense[qi])[::-1]
            one = max(len(asked & terms) for terms in held) / n_asked
            two = max((len(asked & (a | b)) / n_asked for a, b in pairwise(held)),
                      default=one)
            x[row, :10] = [d_norm.get(i, 0.0), s_norm.get(i, 0.0), cosines[0], one, dense[i],
                           1 / (1 + d_top.index(i)) if i in d_norm else 0.0,
                           1 / (1 + s_top.index(i)) if i in s_norm else 0.0,
                           len(asked & chunk_terms[i]) / n_asked, two,
                           cosines[min(1, len(cosines) - 1)]]
            x[row, 13] = sparse[i] / best_sparse
        x[:, 14] = x[:, :4] @ DEFAULT
        best_of: dict[str, float] = {}
        for row, i in enumerate(head):
            best_of[corpus.titles[i]] = max(best_of.get(corpus.titles[i], -np.inf), x[row, 14])
        x[:, 10] = [best_of[corpus.titles[i]] for i in head]
        x[:, 11] = x[:, 14] - x[:, 14].max()
        x[:, 12] = len(asked)
        labels = np.array([corpus.sources[i] == question.paragraph for i in head], dtype=float)
        out.append({"head": head, "tail": tail, "x": x, "y": labels,
                    "gold": question.paragraph})
    return out


def evaluate(qs: list[Question], sources: list[str], score: Scorer) -> dict[str, float]:
    ranks = []
    for q in qs:
        order = [q["head"][j] for j in np.argsort(-score(q["x"]), kind="stable")] + q["tail"]
        seen: list[str] = []
        for i in order:
            if sources[i] not in seen:
                seen.append(sources[i])
                if len(seen) == 10:
                    break
        ranks.append(seen.index(q["gold"]) + 1 if q["gold"] in seen else None)
    return rank_metrics(ranks)


def training(sets: dict[str, list[Question]], names: list[str]) -> list[Question]:
    rng = np.random.default_rng(0)
    out = []
    for name in names:
        qs = [q for q in sets[name] if q["y"].any()]  # a question without its gold teaches nothing
        if len(qs) > PER_SET:
            qs = [qs[i] for i in sorted(rng.choice(len(qs), PER_SET, replace=False))]
        out += qs
    return out


def pairwise_linear(qs: list[Question], l2: float = 1e-3, steps: int = 300) -> Scorer:
    """Logistic loss on (gold, other) pairs of one question, 15 others a gold at most."""
    stacked = np.vstack([q["x"] for q in qs])
    mean, scale = stacked.mean(0), stacked.std(0) + 1e-9
    pairs = []
    for q in qs:
        z = (q["x"] - mean) / scale
        others = np.flatnonzero(q["y"] == 0)[:15]
        pairs += [z[g] - z[others] for g in np.flatnonzero(q["y"] > 0)]
    d = np.vstack(pairs)
    w = np.zeros(d.shape[1])
    for _ in range(steps):
        w -= 0.5 * (-(d * (1 / (1 + np.exp(d @ w)))[:, None]).mean(0) + l2 * w)
    score = lambda x: ((x - mean) / scale) @ w  # noqa: E731
    score.weights = dict(zip(FEATURES, np.round(w, 3).tolist(), strict=True))
    return score


def lambdamart(qs: list[Question], leaves: int, trees: int) -> Scorer:
    params = {"objective": "lambdarank", "learning_rate": 0.05, "num_leaves": leaves,
              "min_data_in_leaf": 50,
              "lambdarank_truncation_level": 10, "seed": 0,
              "num_threads": 1, "deterministic": True, "force_row_wise": True, "verbose": -1}
    data = lightgbm.Dataset(np.vstack([q["x"] for q in qs]), np.concatenate([q["y"] for q in qs]),
                            group=[len(q["y"]) for q in qs])
    model = lightgbm.train(params, data, num_boost_round=trees)
    return lambda x: model.predict(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--squad-every", type=int, default=4)
    args = parser.parse_args()
    embedder = make_embedder(load_settings(environ={}, env_file=None))
    paths = {p.stem: p for p in sorted((ROOT / "data" / "eval").glob("*.json"))}
    if SQUAD.exists():
        paths["squad-dev"] = SQUAD
    sets, sources, bm25 = {}, {}, {}
    for name, path in paths.items():
        corpus = Corpus(name, path, args.squad_every if name == "squad-dev" else 1, 200, 30,
                        embedder)
        sets[name], sources[name], bm25[name] = questions(corpus), corpus.sources, \
            bm25_okapi(corpus)
        print(f"{name}: {len(corpus.questions)} questions", flush=True)
    rankers: dict[str, Callable[[list[Question]], Scorer]] = {
        "linear on pairs": pairwise_linear,
        **{label: (lambda qs, s=size: lambdamart(qs, *s)) for label, size in SIZES.items()}}
    rows = []
    for held in sets:
        train = training(sets, [n for n in sets if n != held])
        row = {"set": held, "BM25": bm25[held],
               "default": evaluate(sets[held], sources[held], lambda x: x[:, 14])}
        for label, fit in rankers.items():
            row[label] = evaluate(sets[held], sources[held], fit(train))
        rows.append(row)
        print(held, {k: f"{v['hit@5']:.3f} / {v['mrr@10']:.3f}" for k, v in row.items()
                     if k != "set"}, flush=True)
    columns = ["BM25", "default", *rankers]
    print("\n| held-out set | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for row in rows:
        print(f"| {row['set']} | " + " | ".join(
            f"{row[c]['hit@5']:.3f} / {row[c]['mrr@10']:.3f}" for c in columns) + " |")
    print("| mean | " + " | ".join(
        f"{np.mean([r[c]['hit@5'] for r in rows]):.3f} / "
        f"{np.mean([r[c]['mrr@10'] for r in rows]):.3f}" for c in columns) + " |")
    weights = pairwise_linear(training(sets, list(sets))).weights
    print(f"linear weights fitted on every set (standardised features): {weights}")
    out = ROOT / "bench" / "results" / "learned_ranker.json"
    out.write_text(json.dumps({"squad_every": args.squad_every, "head": HEAD,
                               "features": FEATURES, "per_set": PER_SET, "rows": rows,
                               "linear_weights_fitted_on_every_set": weights},
                              indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
