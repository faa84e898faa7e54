"""The content filter's false positives on SQuAD dev, and what each mode blocks.

1. Every question of the SQuAD v1.1 dev set goes through the default policy exactly as a
   question does in the app (`ContentFilter.screen`: cleaned, then the rules). Each blocked
   one is listed with its category. Budget: at most 0.2 % of the questions.
2. The harmful asks of tests/guard_cases.py (and their benign look-alikes) through each mode:
   `off`, `rules`, and `llama-guard` (the rules, then Llama Guard). Llama Guard here is the
   Workers AI stand-in (tests/workers_ai_server.py, a phrase-matching classifier in a child
   process, as a real server would run), so that row measures our plumbing, not Meta's model.
3. What cleaning adds to an ingest: `clean` over every page of the shared real PDFs, beside
   the time the loader takes to read them (median of three rounds each).

    .venv/bin/python bench/content_filter.py [--squad PATH] [--pdfs DIR]

Prints tables and writes bench/results/content_filter.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ingest.formats.base import LoadOptions  # noqa: E402
from ingest.loaders import LOADERS  # noqa: E402
from rag.errors import ContentBlocked  # noqa: E402
from rag.guard.filter import ContentFilter  # noqa: E402
from rag.guard.rules import load_policy  # noqa: E402
from rag.providers.guards.llama_guard import LlamaGuard  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.text.sanitize import clean  # noqa: E402
from tests.guard_cases import BENIGN, HARMFUL  # noqa: E402
from tests.workers_ai_server import ACCOUNT, TOKEN, StandInProcess  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "content_filter.json"
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
PDFS = ROOT.parent / "shared" / "data" / "pdfs" / "real"
BUDGET = 0.002  # the share of ordinary questions the default policy may block


def squad_questions(path: Path) -> list[str]:
    data = json.loads(path.read_text())
    return [qa["question"] for article in data["data"] for paragraph in article["paragraphs"]
            for qa in paragraph["qas"]]


def verdict(content_filter: ContentFilter, text: str) -> str | None:
    """The category `text` is refused as, or None."""
    try:
        content_filter.screen(text)
    except ContentBlocked as exc:
        return exc.category
    return None


def false_positives(questions: list[str]) -> dict[str, Any]:
    rules = ContentFilter("rules", load_policy(None))
    started = time.perf_counter()
    blocked = [{"question": q, "category": c} for q in questions
               if (c := verdict(rules, q)) is not None]
    seconds = time.perf_counter() - started
    return {"questions": len(questions), "blocked": len(blocked),
            "share": len(blocked) / len(questions), "budget_share": BUDGET,
            "within_budget": len(blocked) <= BUDGET * len(questions),
            "microseconds_per_question": round(seconds / len(questions) * 1e6, 1),
            "blocked_questions": blocked}


def modes(url: str) -> dict[str, ContentFilter]:
    settings = Settings(_env_file=None, cloudflare_account_id=ACCOUNT,
                        cloudflare_api_token=TOKEN, cloudflare_base_url=f"{url}/client/v4")
    policy = load_policy(None)
    return {"off": ContentFilter("off", policy), "rules": ContentFilter("rules", policy),
            "llama-guard": ContentFilter("llama-guard", policy,
                                         LlamaGuard.from_settings(settings))}


def per_mode(filters: dict[str, ContentFilter]) -> list[dict[str, Any]]:
    rows = []
    for mode, content_filter in filters.items():
        harmful = [verdict(content_filter, ask.text) for ask in HARMFUL]
        benign = [verdict(content_filter, text) for text in BENIGN]
        rows.append({
            "mode": mode, "harmful_cases": len(HARMFUL),
            "harmful_blocked": sum(c is not None for c in harmful),
            "benign_cases": len(BENIGN), "benign_blocked": sum(c is not None for c in benign),
            "categories": {ask.text: c for ask, c in zip(HARMFUL, harmful, strict=True)},
        })
        content_filter.close()
    return rows


def cleaning_cost(folder: Path, rounds: int = 3) -> dict[str, Any]:
    """Seconds to read the PDFs (pages of text) and seconds to clean those pages."""
    read, cleaned, characters = [], [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        pages = [page.text for path in sorted(folder.glob("*.pdf"))
                 for page in LOADERS[".pdf"](path, path.read_bytes(), LoadOptions()).pages]
        read.append(time.perf_counter() - started)
        started = time.perf_counter()
        for text in pages:
            clean(text)
        cleaned.append(time.perf_counter() - started)
        characters = sum(map(len, pages))
    return {"folder": str(folder), "pages": len(pages), "characters": characters,
            "read_seconds": round(statistics.median(read), 3),
            "clean_seconds": round(statistics.median(cleaned), 3),
            "clean_share_of_read": round(statistics.median(cleaned) / statistics.median(read),
                                         3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--pdfs", type=Path, default=PDFS)
    args = parser.parse_args(argv)
    console = Console(width=140)

    load_before = os.getloadavg()
    fp = false_positives(squad_questions(args.squad))
    with StandInProcess() as standin:
        rows = per_mode(modes(standin.url))
    cost = cleaning_cost(args.pdfs)

    table = Table(title="Default policy on SQuAD v1.1 dev (every question)")
    for column in ("questions", "blocked", "share", "budget", "µs per question"):
        table.add_column(column, justify="right")
    table.add_row(f"{fp['questions']:,}", str(fp["blocked"]), f"{fp['share']:.3%}",
                  f"{BUDGET:.1%}", f"{fp['microseconds_per_question']:.0f}")
    console.print(table)
    for row in fp["blocked_questions"]:
        console.print(f"  blocked ({row['category']}): {row['question']}")
    table = Table(title="Harmful asks and benign look-alikes, by mode (llama-guard: the "
                        "stand-in's classifier)")
    for column in ("mode", "harmful blocked", "benign blocked"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for row in rows:
        table.add_row(row["mode"], f"{row['harmful_blocked']} of {row['harmful_cases']}",
                      f"{row['benign_blocked']} of {row['benign_cases']}")
    console.print(table)
    console.print(f"Cleaning at ingest: {cost['pages']:,} pages ({cost['characters']:,} "
                  f"characters) read in {cost['read_seconds']:.2f} s, cleaned in "
                  f"{cost['clean_seconds']:.2f} s ({cost['clean_share_of_read']:.1%} of the "
                  f"reading). Load average before: "
                  f"{', '.join(f'{x:.2f}' for x in load_before)} on {os.cpu_count()} CPUs.")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "content_filter",
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
        "squad_dev": fp, "modes": rows, "cleaning_at_ingest": cost,
        "llama_guard": "the Workers AI stand-in (tests/workers_ai_server.py HAZARDS), not the "
                       "real model",
    }, indent=2, ensure_ascii=False) + "\n")
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if fp["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
