"""The development sets' questions asked with one word misspelt, as people type them.

Each question's longest word of five letters or more that is not a stop word gets one typing
slip, in turn two neighbouring letters swapped ("throuhg"), a letter left out ("fundrser")
or a letter typed twice ("paintting"); a slip that makes a word the vocabulary knows is
skipped for the next kind, and a question with no such word is asked as it is. Every set is
searched in the default (hybrid) mode, in one run: the questions as asked; the misspelt ones
with neither of the two ways of meeting a misspelt word; with a passage's word a letter apart
counted in the sentences' share of the question's words only (`lexical.TYPO_SHARE`); and with
the question also searched again as the passages found write the word (`spelling.corrected`,
the default, both ways). BM25 (rank-bm25) is given the misspelt questions too.

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
COLUMNS = ["set", "questions asked as", "misspelt word met by", "hit@1", "hit@5", "mrr@10",
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
    longest = max(found, key=len, default="")
    at = question.lower().find(longest) if longest else -1
    if at < 0:
        return question
    word = question[at:at + len(longest)]  # as written, capitals and all
    for kind in range(len(SLIPS)):
        slipped = SLIPS[(turn + kind) % len(SLIPS)](word)
        if slipped.lower() != word.lower() and slipped.lower() not in spelling.known_words():
            return question[:at] + slipped + question[at + len(word):]
    return question


def misspelt_copy(path: Path, folder: Path) -> tuple[Path, float]:
    """A copy of a SQuAD-format set with its questions misspelt, and the share that were."""
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
    return out, round(changed / max(turn, 1), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad-every", type=int, default=8,
                        help="every Nth SQuAD dev question (when ../shared is there)")
    args = parser.parse_args()
    os.environ.setdefault("RAG_MODEL_DIR", str(ROOT / "data" / "models"))
    embedder = make_embedder(load_settings())
    sets = find_sets(SETS) | ({"squad-dev": SQUAD} if SQUAD.is_file() else {})
    typo_share, corrected = lexical.TYPO_SHARE, spelling.corrected

    def as_asked(question: str, _texts: object) -> str:
        return question

    rows = []
    with tempfile.TemporaryDirectory(prefix="rag-misspelt-") as tmp:
        for name, path in sets.items():
            every = args.squad_every if path == SQUAD else 1
            slipped, share = misspelt_copy(path, Path(tmp))
            runs = [("as asked", "", path, typo_share, corrected),
                    ("misspelt", "neither", slipped, 0.0, as_asked),
                    ("misspelt", "words' share", slipped, typo_share, as_asked),
                    ("misspelt", "share and searched again", slipped, typo_share, corrected)]
            for label, ways, source, matched, respell in runs:
                lexical.TYPO_SHARE, spelling.corrected = matched, respell
                for result in evaluate(embedder, source, answer_limit=None,
                                       with_bm25=ways == "neither", every=every):
                    rows.append({"set": name, "questions asked as": label,
                                 "misspelt word met by": ("BM25" if result["mode"] == BM25_MODE
                                                          else ways),
                                 "share misspelt": share, **result})
                    print(rows[-1], flush=True)
    lexical.TYPO_SHARE, spelling.corrected = typo_share, corrected
    print(format_table(rows, COLUMNS))
    RESULTS.write_text(json.dumps({"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                                   "squad_every": args.squad_every, "rows": rows}, indent=2)
                       + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
