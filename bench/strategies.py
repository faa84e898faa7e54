"""Answer strategies against the Workers AI stand-in: the 1B model at 100 ms, the 8B ones at 300.

SQuAD dev paragraphs are ingested with the local model into a throw-away collection; then the
same questions go through RagService.ask with each strategy (the answer cache off, so every
question reaches the models). The stand-in (tests/workers_ai_server.py) runs in this process
on a thread and waits `--fast-latency` seconds before answering the 1B model and
`--slow-latency` before the 8B models; its answers are computed from the prompt (it quotes the
best-matching sentence and cites it), so a weak answer is one the stand-in computes, not a
script. Scenarios:

* single: the 8B model alone.
* progressive: the 1B model first, the 8B when the answer fails the check.
* progressive, 1B without citations: the stand-in's 1B model drops its citations, so every
  first answer fails the check (the price of an upgrade).
* consensus: 8B, 1B and 8B-fp8 in parallel; all three compute the same answer.
* consensus, fp8 contrary: the fp8 model quotes the worst-matching passage instead.

Per scenario: time to first token p50 and p95, neurons per answer (the stand-in's `cf-ai-neurons`
figures, from the documented prices), how often progressive upgraded, consensus agreement.

    .venv/bin/python bench/strategies.py [--questions 40] [--fast-latency 0.1]
        [--slow-latency 0.3] [--squad PATH]

Prints a table and writes bench/results/strategies.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag.app.metrics import percentile  # noqa: E402
from rag.evaluation import load_squad  # noqa: E402
from rag.service import build_service  # noqa: E402
from rag.settings import Settings  # noqa: E402
from tests.workers_ai_server import ACCOUNT, TOKEN, serve  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "strategies.json"
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
FAST = "@cf/meta/llama-3.2-1b-instruct"
PRIMARY = "@cf/meta/llama-3.1-8b-instruct"
FP8 = "@cf/meta/llama-3.1-8b-instruct-fp8"

SCENARIOS: list[tuple[str, str, dict[str | None, str]]] = [
    ("single", "single", {}),
    ("progressive", "progressive", {}),
    ("progressive, 1B without citations", "progressive", {FAST: "uncited"}),
    ("consensus", "consensus", {}),
    ("consensus, fp8 contrary", "consensus", {FP8: "contrary"}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--fast-latency", type=float, default=0.1)
    parser.add_argument("--slow-latency", type=float, default=0.3)
    parser.add_argument("--squad", type=Path, default=SQUAD)
    args = parser.parse_args()
    if not args.squad.exists():
        sys.exit(f"{args.squad} not found (the shared data folder is not beside this checkout)")
    documents, questions = load_squad(args.squad, limit=args.questions)
    standin, thread = serve()
    rows: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(
                _env_file=None, data_dir=Path(folder), model_dir=ROOT / "data" / "models",
                cloudflare_account_id=ACCOUNT, cloudflare_api_token=TOKEN,
                cloudflare_base_url=f"{standin.url}/client/v4", generator="workers-ai",
                cache=False, collection="bench-strategies", ai_breaker_seconds=0,
                consensus_models=[PRIMARY, FAST, FP8])
            service = build_service(settings)
            try:
                list(service.pipeline.ingest_documents(documents))
                service.store.bump_version()
                for label, strategy, styles in SCENARIOS:
                    standin.reset()
                    standin.model_latency = {FAST: args.fast_latency,
                                             PRIMARY: args.slow_latency,
                                             FP8: args.slow_latency}
                    for model, style in styles.items():
                        standin.answer_as(style, model)
                    rows.append(run(service, label, strategy, [q.text for q in questions]))
            finally:
                service.close()
    finally:
        thread.stop()
    show(rows, args)
    RESULTS.write_text(json.dumps({
        "benchmark": "strategies", "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "questions": len(questions), "fast_latency_s": args.fast_latency,
        "slow_latency_s": args.slow_latency, "rows": rows}, indent=2) + "\n")


def run(service: Any, label: str, strategy: str, questions: list[str]) -> dict[str, Any]:
    ttfts, latencies, neurons, upgrades, agreements, disagree = [], [], [], 0, [], 0
    for question in questions:
        answer = service.ask(question, strategy=strategy)
        answer.text  # noqa: B018 - read the whole stream
        ttfts.append(answer.ttft_ms)
        latencies.append(answer.latency_ms)
        neurons.append(answer.record.neurons or 0.0)
        report = answer.as_json()["strategy"] or {}
        upgrades += bool(report.get("upgraded"))
        if report.get("agreement") is not None:
            agreements.append(report["agreement"])
            disagree += bool(report.get("disagree"))
    n = len(questions)
    return {
        "scenario": label, "strategy": strategy, "questions": n,
        "ttft_p50_ms": percentile(ttfts, 50), "ttft_p95_ms": percentile(ttfts, 95),
        "latency_p50_ms": percentile(latencies, 50),
        "neurons_per_answer": statistics.fmean(neurons),
        "upgrade_rate": upgrades / n if strategy == "progressive" else None,
        "agreement_mean": statistics.fmean(agreements) if agreements else None,
        "disagree_rate": disagree / n if strategy == "consensus" else None,
    }


def show(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    table = Table(title=f"Answer strategies, {rows[0]['questions']} SQuAD questions; stand-in "
                        f"1B {args.fast_latency * 1000:.0f} ms, "
                        f"8B {args.slow_latency * 1000:.0f} ms")
    for name in ("scenario", "first token p50", "p95", "answer p50", "neurons/answer",
                 "upgraded", "agreement", "disagree"):
        table.add_column(name, justify="left" if name == "scenario" else "right")

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value:.0%}"

    for r in rows:
        table.add_row(r["scenario"], f"{r['ttft_p50_ms']:.0f} ms", f"{r['ttft_p95_ms']:.0f} ms",
                      f"{r['latency_p50_ms']:.0f} ms", f"{r['neurons_per_answer']:.2f}",
                      pct(r["upgrade_rate"]),
                      "–" if r["agreement_mean"] is None else f"{r['agreement_mean']:.2f}",
                      pct(r["disagree_rate"]))
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
