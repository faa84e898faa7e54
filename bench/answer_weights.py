"""The extractive answer's weights, measured side by side on the same searches: the
word-by-word match's (`MATCH_BONUS`) or a date's, asked "When ...?" (`DATE_BONUS`).

Each development set (data/eval, and every `--squad-every`-th SQuAD dev question when
../shared holds it) is ingested into a throw-away embedded store and searched once, in hybrid
mode as the app searches; the same top 5 passages are then answered with each weight, so that
only the answer's choice and order of sentences differs: span rate and first-citation rate per
set.

    .venv/bin/python bench/answer_weights.py [--bonus match|date] [--weights W ...]
        [--squad-every 4]

Writes bench/results/answer_match_weights.json (or answer_date_weights.json).
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from rag.evaluation import run
from rag.evaluation.report import development_sets
from rag.registry import make_embedder
from rag.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
DEFAULT_WEIGHTS = {"match": [0, 0.3, 0.6, 1, 1.5], "date": [0.2, 0.3, 0.4, 0.6, 1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bonus", choices=sorted(DEFAULT_WEIGHTS), default="match")
    parser.add_argument("--weights", type=float, nargs="+")
    parser.add_argument("--squad-every", type=int, default=4)
    args = parser.parse_args()
    weights = args.weights or DEFAULT_WEIGHTS[args.bonus]
    embedder = make_embedder(load_settings())
    sets = development_sets(ROOT / "data" / "eval", SQUAD, args.squad_every)
    rows = []
    for name, (path, every) in sets.items():
        print(f"== {name}", flush=True)
        questions, hits = run.searched_once(embedder, path, every)
        hits = [top[:run.ANSWER_PASSAGES] for top in hits]
        for weight in weights:
            rates = run.answer_rates(embedder, questions, hits, lambda h: h.source,
                                     [q.paragraph for q in questions],
                                     **{f"{args.bonus}_bonus": weight})
            rows.append({"set": name, "weight": weight, "questions": len(questions),
                         "answer_span_rate": rates["answer_span_rate"],
                         "first_citation_rate": rates["first_citation_rate"]})
    print(f"\n| set | {' | '.join(f'weight {w:g}' for w in weights)} |")
    print("|---" * (len(weights) + 1) + "|")
    for name in sets:
        cells = []
        for row in (r for r in rows if r["set"] == name):
            span = row["answer_span_rate"]
            cells.append(f"{'–' if span is None else f'{span:.3f}'} / "
                         f"{row['first_citation_rate']:.3f}")
        print(f"| {name} | {' | '.join(cells)} |")
    out = ROOT / "bench" / "results" / f"answer_{args.bonus}_weights.json"
    out.write_text(json.dumps({"bonus": args.bonus, "squad_every": args.squad_every,
                               "weights": weights,
                               "machine": platform.processor() or platform.machine(),
                               "rows": rows}, indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
