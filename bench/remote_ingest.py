"""Remote ingest throughput: WorkersAIEmbedder with N requests in flight vs one at a time.

Embeds 10,000 short chunks against the loopback Workers AI stand-in, which waits 200 ms per
request (a stand-in for network and model latency). With 100 texts per request the best
possible time is ceil(chunks / 100) / N x 0.2 s; the table shows how close each run gets.
The stand-in runs in its own process, as a real server would, so its JSON encoding does not
compete with the client for the GIL. The client's own work (counting every chunk's tokens
before sending, decoding 768-float rows) is included, as it would be in a real ingest.

The sequential run embeds fewer chunks (default 2,000) and is extrapolated linearly to
10,000: one request at a time is latency-bound, so the rate does not change with size.

    .venv/bin/python bench/remote_ingest.py [--chunks 10000] [--latency 0.2]
        [--concurrency N ...] [--sequential-chunks 2000]

Writes bench/results/remote_ingest.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag.ai.prompting import wordpiece_counts  # noqa: E402
from rag.ai.workers_ai import MAX_TEXTS_PER_REQUEST, WorkersAIEmbedder  # noqa: E402
from rag.settings import Settings  # noqa: E402
from tests.workers_ai_server import ACCOUNT, TOKEN  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "remote_ingest.json"


def make_chunks(n: int) -> list[str]:
    """Short, distinct chunks of 25-40 words, like a 200-token chunker's smaller pieces."""
    topics = ["invoices", "llamas", "gardens", "routers", "bicycles", "volcanoes", "recipes"]
    return [
        f"Chunk {i} explains {topics[i % len(topics)]} in section {i // 50}. "
        + " ".join(f"detail{(i * 7 + j) % 997}" for j in range(20 + i % 16))
        for i in range(n)
    ]


class RemoteStandIn:
    """The stand-in in a child process; it exits when we close its stdin."""

    def __enter__(self) -> RemoteStandIn:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.workers_ai_server"], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise RuntimeError("the stand-in did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def reset(self, latency: float) -> None:
        httpx.post(f"{self.url}/_standin/reset", json={"latency": latency}).raise_for_status()

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_standin/stats").json()


def settings_for(url: str, concurrency: int) -> Settings:
    return Settings(
        _env_file=None,
        cloudflare_account_id=ACCOUNT,
        cloudflare_api_token=TOKEN,
        cloudflare_base_url=f"{url}/client/v4",
        ai_embed_concurrency=concurrency,
    )


def run(standin: RemoteStandIn, chunks: list[str], concurrency: int,
        latency: float) -> dict[str, Any]:
    standin.reset(latency)
    embedder = WorkersAIEmbedder.from_settings(settings_for(standin.url, concurrency))
    started, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.embed_documents(chunks)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    embedder.http.close()
    stats = standin.stats()
    requests = stats["requests"]
    assert vectors.shape == (len(chunks), embedder.dimension)
    assert max(stats["batch_sizes"]) <= MAX_TEXTS_PER_REQUEST
    assert set(stats["statuses"]) == {200}
    bound = math.ceil(len(chunks) / MAX_TEXTS_PER_REQUEST) / concurrency * latency
    return {
        "concurrency": concurrency,
        "chunks": len(chunks),
        "requests": requests,
        "max_in_flight_seen": stats["max_in_flight"],
        "seconds": round(seconds, 3),
        "chunks_per_second": round(len(chunks) / seconds, 1),
        "bound_seconds": round(bound, 3),
        "seconds_over_bound": round(seconds / bound, 3),
        "client_cpu_seconds": round(cpu, 3),
    }


def extrapolate(result: dict[str, Any], chunks: int) -> dict[str, Any]:
    """Scale a sequential run to `chunks` at its measured rate."""
    factor = chunks / result["chunks"]
    return {
        **result,
        "measured_chunks": result["chunks"],
        "measured_seconds": result["seconds"],
        "chunks": chunks,
        "requests": math.ceil(chunks / MAX_TEXTS_PER_REQUEST),
        "seconds": round(result["seconds"] * factor, 3),
        "bound_seconds": round(result["bound_seconds"] * factor, 3),
        "client_cpu_seconds": round(result["client_cpu_seconds"] * factor, 3),
        "extrapolated": True,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--sequential-chunks", type=int, default=2_000)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request")
    parser.add_argument("--concurrency", type=int, nargs="*",
                        help="requests in flight (default: RAG_AI_EMBED_CONCURRENCY's default)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    levels = args.concurrency or [Settings.model_fields["ai_embed_concurrency"].default]

    load_before = os.getloadavg()
    with RemoteStandIn() as standin:
        chunks = make_chunks(args.chunks)
        WorkersAIEmbedder.from_settings(settings_for(standin.url, 1)).count_tokens("warm up")
        started = time.perf_counter()
        wordpiece_counts(chunks)
        token_check_seconds = time.perf_counter() - started
        rows = [run(standin, chunks, n, args.latency) for n in levels]
        sequential = run(standin, chunks[: args.sequential_chunks], 1, args.latency)
        if args.sequential_chunks < args.chunks:
            sequential = extrapolate(sequential, args.chunks)
        rows.append(sequential)

    for row in rows:
        row["speedup_vs_sequential"] = round(sequential["seconds"] / row["seconds"], 2)
    table = Table(title=f"Remote ingest: {args.chunks:,} chunks, {args.latency * 1000:.0f} ms "
                        "per request, 100 texts per request")
    for column in ("in flight", "requests", "seconds", "chunks/s", "bound s", "seconds / bound",
                   "speed-up", "client CPU s"):
        table.add_column(column, justify="right")
    for row in rows:
        mark = "*" if row.get("extrapolated") else ""
        table.add_row(str(row["concurrency"]), str(row["requests"]), f"{row['seconds']:.2f}{mark}",
                      f"{row['chunks_per_second']:,.0f}", f"{row['bound_seconds']:.2f}",
                      f"{row['seconds_over_bound']:.2f}", f"{row['speedup_vs_sequential']:.1f}x",
                      f"{row['client_cpu_seconds']:.2f}")
    console = Console(width=120)
    console.print(table)
    console.print(f"Counting every chunk's tokens (done inside each run, per batch, while "
                  f"other requests wait): {token_check_seconds:.2f} s of CPU. Load average before: "
                  f"{', '.join(f'{x:.2f}' for x in load_before)} on {os.cpu_count()} CPUs.")
    if sequential.get("extrapolated"):
        console.print(f"* sequential run measured on {sequential['measured_chunks']:,} chunks "
                      f"({sequential['measured_seconds']:.2f} s) and scaled to {args.chunks:,}.")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "remote_ingest",
        "chunks": args.chunks,
        "latency_seconds": args.latency,
        "texts_per_request": MAX_TEXTS_PER_REQUEST,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "token_check_seconds": round(token_check_seconds, 3),
        "runs": rows,
    }, indent=2) + "\n")
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
