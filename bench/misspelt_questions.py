"""The development sets' questions asked with one word misspelt, as people type them.

Each question's longest word of five letters or more that is not a stop word gets one typing
slip, in turn two neighbouring letters swapped ("throuhg"), a letter left out ("fundrser")
or a letter typed twice ("paintting"); a slip that makes a word the vocabulary knows is
skipped for the next kind, and a question with no such word is asked as it is. Every set is
searched in the default (hybrid) mode three ways in one run: the questions as asked, the
misspelt ones with misspelt words matched to a passage's word a letter apart
(`rag.text.spelling`, the default), and the misspelt ones without (`lexical.TYPO_SHARE` 0);
BM25 (rank-bm25) is given the misspelt questions too.

    .venv/bin/python bench/misspelt_questions.py [--squad-every 8]

Prints a table and writes bench/results/misspelt_questions.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.evaluation import evaluate, find_sets, format_table  # noqa: E402
from rag.evaluation.run import BM25_MODE  # noqa: E402
from rag.registry import make_embedder  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.text import lexical, spelling  # noqa: E402
from rag.text.words import words  # noqa: E402

SETS = sorted((ROOT / "data" / "eval").glob("*.json"))
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
RESULTS = ROOT / "bench" / "results" / "misspelt_questions.json"
COLUMNS = ["set", "questions asked as", "misspelt", "hit@1", "hit@5", "mrr@10",
           "answer_span_rate", "first_citation_rate"]


def _swapped(word: str) -> str:
    middle = len(word) // 2
    return word[:middle - 1] + word[middle] + word[middle - 1] + word[middle + 1:]


def _left_out(word: str) -> str:
    middle = len(word) // 2
    return word[:middle] + word[middle + 1:]


def _doubled(word: str) -> str:
    middle = len(word) // 2
    return word[:middle] + word[middle] + word[middle:]


SLIPS: list[Callable[[str], str]] = [_swapped, _left_out, _doubled]


def misspelt(question: str, turn: int) -> str:
    """The question with its longest content word slipped (the slip kind chosen by turn)."""
    found = [w for w in words(question)
             if len(w) >= spelling.SHORTEST and w.isalpha() and w not in lexical.STOP_WORDS]
    at = question.lower().find(max(found, key=len)) if found else -1
    if at < 0:
        return question
    word = question[at:at + len(max(found, key=len))]  # as written, capitals and all
    for kind in range(len(SLIPS)):
        slipped = SLIPS[(turn + kind) % len(SLIPS)](word)
        if slipped.lower() != word.lower() and slipped.lower() not in spelling.known_words():
            return question[:at] + slipped + question[at + len(word):]
    return question


def misspelt_copy(path: Path, folder: Path) -> tuple[Path, int]:
    """A copy of a SQuAD-format set with its questions misspelt, and how many were."""
    data = json.loads(path.read_text(encoding="utf-8"))
    turn = changed = 0
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                asked = misspelt(qa["question"], turn)
                changed += asked != qa["question"]
                qa["question"] = asked
                turn += 1
    out = folder / path.name
    out.write_text(json.dumps(data), encoding="utf-8")
    return out, changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad-every", type=int, default=8,
                        help="every Nth SQuAD dev question (when ../shared is there)")
    args = parser.parse_args()
    os.environ.setdefault("RAG_MODEL_DIR", str(ROOT / "data" / "models"))
    embedder = make_embedder(load_settings())
    sets = find_sets(SETS) | ({"squad-dev": SQUAD} if SQUAD.is_file() else {})
    typo_share = lexical.TYPO_SHARE
    rows = []
    with tempfile.TemporaryDirectory(prefix="rag-misspelt-") as tmp:
        for name, path in sets.items():
            every = args.squad_every if path == SQUAD else 1
            slipped, changed = misspelt_copy(path, Path(tmp))
            runs = [("as asked", path, typo_share, False),
                    ("misspelt", slipped, 0.0, False),
                    ("misspelt", slipped, typo_share, True)]
            for label, source, share, with_bm25 in runs:
                lexical.TYPO_SHARE = share
                for result in evaluate(embedder, source, answer_limit=None,
                                       with_bm25=with_bm25, every=every):
                    matched = ("BM25" if result["mode"] == BM25_MODE
                               else "matched" if share else "not matched")
                    rows.append({"set": name, "questions asked as": label,
                                 "misspelt": matched if label == "misspelt" else "",
                                 "questions misspelt": changed, **result})
                    print(rows[-1], flush=True)
    lexical.TYPO_SHARE = typo_share
    print(format_table(rows, COLUMNS))
    RESULTS.write_text(json.dumps({"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                                   "squad_every": args.squad_every, "rows": rows}, indent=2)
                       + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
