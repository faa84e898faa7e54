"""The engine under load, through its HTTP API, as clients would use it.

`rag ui` runs as a real process (the chat, the API and /metrics on one port) over a library of
SQuAD dev paragraphs (or the sample documents without ../shared). Four measurements:

1. Concurrent askers: 10, 50 and 100 clients each ask distinct SQuAD questions through
   `POST /api/v1/ask` with `stream: true` for a fixed time. Per run: first-token p50 and p95
   (request sent to first `token` event), answer p95 (to `done`), answers/s and errors by
   code. Once with the extractive default, once with Workers AI answers from the stand-in
   (tests/workers_ai_server.py in a child process) at `--latency` seconds a request. The rate
   limit is off (RAG_RATE_LIMIT_PER_MINUTE=0) and so is the answer cache, so that every
   question is answered.
2. Questions during an ingest: `POST /api/v1/search` p95, idle and while a file of about
   1,000 chunks is being ingested through the API's queue.
3. `rag ask` through the running engine: from the command's start to its first byte on
   stdout, as a user types it (the extractive default).

    .venv/bin/python bench/api_load.py [--clients 10 50 100] [--seconds 20] [--latency 0.2]

Prints tables and writes bench/results/api_load.json. The clients share the machine's two
cores with the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag.evaluation import load_squad  # noqa: E402
from tests.workers_ai_server import ACCOUNT, TOKEN, StandInProcess  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "api_load.json"
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
SAMPLES = ROOT / "data" / "samples"


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EngineProcess:
    """`rag ui` on a free port; the library is ingested before it starts."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir, self.env = data_dir, env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> EngineProcess:
        self.log = open(self.data_dir.parent / f"engine-{self.port}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rag", "ui", "--port", str(self.port)], cwd=ROOT,
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not (self.data_dir / "server.json").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the engine did not start; see {self.log.name}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.log.close()


def write_library(folder: Path, articles: int) -> list[str]:
    """SQuAD dev paragraphs as text files (one per article) and their questions."""
    folder.mkdir(parents=True)
    if not SQUAD.exists():
        questions = ["What does the Apache license say about patents?",
                     "Who may use the mail group?", "What is R?",
                     "How was all-MiniLM-L6-v2 trained?"]
        for sample in SAMPLES.iterdir():
            (folder / sample.name).write_bytes(sample.read_bytes())
        return questions
    documents, questions = load_squad(SQUAD)
    titles: dict[str, list[str]] = {}
    for document in documents:
        titles.setdefault(document.title, []).append(document.pages[0].text)
    keep = list(titles)[:articles]
    for n, title in enumerate(keep):
        (folder / f"{n:02d}-{title[:40].replace('/', '-')}.txt").write_text(
            "\n\n".join(titles[title]), encoding="utf-8")
    return [q.text for q in questions if q.paragraph.split("#")[0].removeprefix("squad:") in keep]


async def asker(client: httpx.AsyncClient, questions: list[str], start: int, until: float,
                results: dict[str, Any]) -> None:
    n = start
    while time.monotonic() < until:
        question = questions[n % len(questions)]
        n += 7
        sent = time.monotonic()
        first = None
        try:
            async with client.stream("POST", "/api/v1/ask", json={"question": question,
                                                                  "stream": True}) as r:
                if r.status_code >= 400:
                    body = json.loads(await r.aread())
                    results["errors"][body["error"]["code"]] += 1
                    continue
                kind = None
                async for line in r.aiter_lines():
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: ") and kind == "token" and first is None:
                        first = time.monotonic()
                    elif line.startswith("data: ") and kind == "error":
                        results["errors"][json.loads(line[6:])["code"]] += 1
                        break
                    elif line.startswith("data: ") and kind == "done":
                        results["first"].append((first or time.monotonic()) - sent)
                        results["answer"].append(time.monotonic() - sent)
        except httpx.HTTPError as exc:
            results["errors"][type(exc).__name__] += 1


async def load(url: str, clients: int, seconds: float, questions: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {"first": [], "answer": [], "errors": Counter()}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(asker(client, questions, i, until, results)
                               for i in range(clients)))
        elapsed = time.monotonic() - started
    ms = lambda v: None if v is None else round(v * 1000, 1)  # noqa: E731
    return {"clients": clients, "answers": len(results["answer"]),
            "first_token_p50_ms": ms(percentile(results["first"], 50)),
            "first_token_p95_ms": ms(percentile(results["first"], 95)),
            "answer_p95_ms": ms(percentile(results["answer"], 95)),
            "answers_per_s": round(len(results["answer"]) / elapsed, 2),
            "errors": dict(results["errors"])}


def search_latency(url: str, questions: list[str], n: int) -> list[float]:
    times = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for question in questions[:n]:
            sent = time.monotonic()
            client.post("/api/v1/search", json={"query": question}).raise_for_status()
            times.append(time.monotonic() - sent)
    return times


def during_ingest(engine: EngineProcess, questions: list[str], folder: Path) -> dict[str, Any]:
    idle = search_latency(engine.url, questions[50:], 150)
    big = folder / "big-manual.txt"
    paragraphs = [f"Paragraph {i}. " + " ".join(questions[i % len(questions)].split() * 12)
                  for i in range(1100)]
    big.write_text("\n\n".join(paragraphs), encoding="utf-8")
    with httpx.Client(base_url=engine.url, timeout=300) as client:
        with open(big, "rb") as data:
            job = client.post("/api/v1/documents", params={"wait": "false"},
                              files=[("files", (big.name, data))]).json()
        busy: list[float] = []
        while client.get(f"/api/v1/ingests/{job['id']}").json()["status"] in ("queued",
                                                                                 "running"):
            busy += search_latency(engine.url, questions[len(busy) % 400:], 10)
        report = client.get(f"/api/v1/ingests/{job['id']}").json()["report"]
    p95_idle, p95_busy = percentile(idle, 95), percentile(busy, 95)
    return {"chunks_ingested": report["totals"]["chunks"], "searches_idle": len(idle),
            "searches_during": len(busy), "search_p95_idle_ms": round(p95_idle * 1000, 1),
            "search_p95_during_ms": round(p95_busy * 1000, 1) if p95_busy else None,
            "ratio": round(p95_busy / p95_idle, 2) if p95_busy else None}


def cli_first_byte(env: dict[str, str], questions: list[str], runs: int) -> dict[str, Any]:
    firsts, totals = [], []
    for question in questions[:runs]:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "rag", "ask", question], cwd=ROOT,
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert process.stdout is not None
        process.stdout.read(1)
        firsts.append(time.perf_counter() - started)
        process.stdout.read()
        process.wait()
        totals.append(time.perf_counter() - started)
    return {"runs": runs, "first_byte_p50_ms": round(statistics.median(firsts) * 1000, 1),
            "first_byte_p95_ms": round(percentile(firsts, 95) * 1000, 1),
            "total_p50_ms": round(statistics.median(totals) * 1000, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--latency", type=float, default=0.2, help="stand-in seconds/request")
    parser.add_argument("--articles", type=int, default=6, help="SQuAD articles in the library")
    parser.add_argument("--cli-runs", type=int, default=20)
    args = parser.parse_args()
    results: dict[str, Any] = {"benchmark": "api_load", "machine": f"{platform.machine()}, "
                               f"{os.cpu_count()} cores, Python {platform.python_version()}",
                               "seconds_per_run": args.seconds, "runs": []}
    with tempfile.TemporaryDirectory(prefix="rag-api-load-") as tmp, StandInProcess() as standin:
        root = Path(tmp)
        questions = write_library(root / "library", args.articles)
        base = {k: v for k, v in os.environ.items()
                if not k.upper().startswith(("RAG_", "CLOUDFLARE_", "OPENAI_"))}
        base.update({"RAG_RATE_LIMIT_PER_MINUTE": "0", "RAG_CACHE": "false",
                     "RAG_MODEL_DIR": str(ROOT / "data" / "models")})
        remote = {"CLOUDFLARE_ACCOUNT_ID": ACCOUNT, "CLOUDFLARE_API_TOKEN": TOKEN,
                  "CLOUDFLARE_BASE_URL": f"{standin.url}/client/v4",
                  "RAG_WORKERS_AI_FALLBACK_MODELS": "[]"}
        for label, extra in (("extractive", {"RAG_GENERATOR": "extractive"}),
                             (f"workers-ai stand-in, {args.latency * 1000:.0f} ms",
                              {"RAG_GENERATOR": "workers-ai", **remote})):
            data_dir = root / label.split(",")[0].replace(" ", "-")
            env = {**base, **extra, "RAG_DATA_DIR": str(data_dir)}
            subprocess.run([sys.executable, "-m", "rag", "ingest", str(root / "library")],
                           cwd=ROOT, env=env, check=True, capture_output=True)
            standin.reset(latency=args.latency)
            with EngineProcess(data_dir, env) as engine:
                for clients in args.clients:
                    run = {"generator": label, **asyncio.run(
                        load(engine.url, clients, args.seconds, questions))}
                    results["runs"].append(run)
                    print(run, flush=True)
                if label == "extractive":
                    results["during_ingest"] = during_ingest(engine, questions, root)
                    print(results["during_ingest"], flush=True)
                    results["cli_ask"] = cli_first_byte(env, questions, args.cli_runs)
                    print(results["cli_ask"], flush=True)
    show(results)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


def show(results: dict[str, Any]) -> None:
    table = Table(title="Concurrent askers over SSE (POST /api/v1/ask, stream: true)")
    for column in ("generator", "clients", "answers", "first token p50 / p95 ms",
                   "answer p95 ms", "answers/s", "errors"):
        table.add_column(column)
    for run in results["runs"]:
        table.add_row(run["generator"], str(run["clients"]), str(run["answers"]),
                      f"{run['first_token_p50_ms']} / {run['first_token_p95_ms']}",
                      str(run["answer_p95_ms"]), str(run["answers_per_s"]),
                      ", ".join(f"{k} {v}" for k, v in run["errors"].items()) or "none")
    console = Console(width=140)
    console.print(table)
    during, cli = results["during_ingest"], results["cli_ask"]
    console.print(f"search p95: {during['search_p95_idle_ms']} ms idle, "
                  f"{during['search_p95_during_ms']} ms during a {during['chunks_ingested']}"
                  f"-chunk ingest ({during['ratio']}x)")
    console.print(f"`rag ask` through the engine: first byte {cli['first_byte_p50_ms']} ms "
                  f"median, {cli['first_byte_p95_ms']} ms p95 (whole answer "
                  f"{cli['total_p50_ms']} ms)")


if __name__ == "__main__":
    raise SystemExit(main())
