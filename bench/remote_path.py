"""The remote path against a Workers AI stand-in with 200 ms per request.

The stand-in (tests/workers_ai_server.py) runs in a child process, as a real server would, and
waits `--latency` seconds before answering each request. Three measurements:

1. Embedder alone: 10,000 short chunks through WorkersAIEmbedder.embed_documents, 8 requests
   in flight and one at a time (the sequential run embeds 2,000 and is scaled: one request at
   a time is latency-bound). Bound: ceil(chunks / 100) / in flight x latency.
2. Ingest: `rag ingest` on a folder of SQuAD dev paragraphs (every article written out four
   times, about 10,000 chunks), as a user runs it: parse, chunk, embed through the stand-in,
   sparse vectors, the edge store. Same bound, from the chunks the ingest produced. Two
   floors beside it: the same ingest with no latency at all (what this machine's CPU allows),
   and the embedded store's writes alone (the same chunks, ready-made vectors).
3. Questions: 200 SQuAD questions through RagService.ask with Workers AI embeddings and
   generation (hybrid retrieval, streamed answer with citations), one asker and 8 at once.
   Each question is two requests in a row (question embedding, then the answer stream), so
   the bound is ceil(questions / askers) x 2 x latency. The answer cache is off.

    .venv/bin/python bench/remote_path.py [--chunks 10000] [--latency 0.2] [--questions 200]
        [--askers 1 8] [--squad PATH] [--sequential-chunks 2000]

Prints tables and writes bench/results/remote_path.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from rag.evaluation import load_squad  # noqa: E402
from rag.providers.cloudflare.catalog import MAX_TEXTS_PER_REQUEST  # noqa: E402
from rag.providers.embedders.workers_ai import WorkersAIEmbedder  # noqa: E402
from rag.service import build_service  # noqa: E402
from rag.settings import Settings  # noqa: E402
from tests.workers_ai_server import ACCOUNT, TOKEN, StandInProcess  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "remote_path.json"
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
REQUESTS_PER_QUESTION = 2  # the question's embedding, then the answer stream


def make_chunks(n: int) -> list[str]:
    """Short, distinct chunks of 25-40 words, like a 200-token chunker's smaller pieces."""
    topics = ["invoices", "llamas", "gardens", "routers", "bicycles", "volcanoes", "recipes"]
    return [
        f"Chunk {i} explains {topics[i % len(topics)]} in section {i // 50}. "
        + " ".join(f"detail{(i * 7 + j) % 997}" for j in range(20 + i % 16))
        for i in range(n)
    ]


def settings_for(url: str, concurrency: int, data_dir: Path | None = None) -> Settings:
    """Workers AI for embeddings and answers, aimed at the stand-in; no answer cache."""
    return Settings(
        _env_file=None,
        cloudflare_account_id=ACCOUNT,
        cloudflare_api_token=TOKEN,
        cloudflare_base_url=f"{url}/client/v4",
        ai_embed_concurrency=concurrency,
        embedder="workers-ai",
        generator="workers-ai",
        cache=False,
        data_dir=data_dir or Path(tempfile.gettempdir()) / "rag-remote-bench",
    )


def bound_row(kind: str, seconds: float, bound: float, cpu: float, **extra: Any) -> dict:
    return {"run": kind, "seconds": round(seconds, 3), "bound_seconds": round(bound, 3),
            "seconds_over_bound": round(seconds / bound, 3), "client_cpu_seconds": round(cpu, 3),
            **extra}


# --- 1. the embedder alone ----------------------------------------------------------------------


def embed_alone(standin: StandInProcess, chunks: list[str], concurrency: int,
                latency: float) -> dict[str, Any]:
    standin.reset(latency=latency)
    embedder = WorkersAIEmbedder.from_settings(settings_for(standin.url, concurrency))
    started, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.embed_documents(chunks)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    embedder.http.close()
    stats = standin.stats()
    assert vectors.shape == (len(chunks), embedder.dimension)
    assert max(stats["batch_sizes"]) <= MAX_TEXTS_PER_REQUEST and set(stats["statuses"]) == {200}
    bound = math.ceil(len(chunks) / MAX_TEXTS_PER_REQUEST) / concurrency * latency
    return bound_row(f"embedder alone, {concurrency} in flight", seconds, bound, cpu,
                     concurrency=concurrency, chunks=len(chunks), requests=stats["requests"],
                     max_in_flight_seen=stats["max_in_flight"])


def scaled(result: dict[str, Any], chunks: int) -> dict[str, Any]:
    """A sequential run scaled to `chunks` at its measured rate."""
    factor = chunks / result["chunks"]
    return {**result, "measured_chunks": result["chunks"], "measured_seconds": result["seconds"],
            "chunks": chunks, "requests": math.ceil(chunks / MAX_TEXTS_PER_REQUEST),
            "seconds": round(result["seconds"] * factor, 3),
            "bound_seconds": round(result["bound_seconds"] * factor, 3),
            "client_cpu_seconds": round(result["client_cpu_seconds"] * factor, 3),
            "extrapolated": True}


# --- 2. the ingest --------------------------------------------------------------------------------


def write_corpus(squad: Path, folder: Path, copies: int) -> None:
    """Each SQuAD article as a text file of its paragraphs, `copies` times over."""
    articles = json.loads(squad.read_text(encoding="utf-8"))["data"]
    folder.mkdir(parents=True)
    for copy in range(copies):
        for n, article in enumerate(articles):
            text = "\n\n".join(p["context"] for p in article["paragraphs"])
            (folder / f"{copy}-{n:02d}.txt").write_text(f"{article['title']} ({copy})\n\n{text}")


def ingest(standin: StandInProcess, folder: Path, data_dir: Path, concurrency: int,
           latency: float, bound_latency: float | None = None,
           run: str | None = None) -> dict[str, Any]:
    """`rag ingest` of `folder`; the bound is for `bound_latency` (default: `latency`)."""
    standin.reset(latency=latency)
    service = build_service(settings_for(standin.url, concurrency, data_dir))
    try:
        started, cpu = time.perf_counter(), time.process_time()
        report = service.ingest([folder])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        service.close()
    stats, totals = standin.stats(), report.totals()
    assert report.ok and set(stats["statuses"]) == {200}, totals
    bound = (math.ceil(totals["chunks"] / MAX_TEXTS_PER_REQUEST) / concurrency
             * (latency if bound_latency is None else bound_latency))
    return bound_row(run or f"rag ingest, {concurrency} in flight", seconds, bound, cpu,
                     concurrency=concurrency, files=totals["files"], chunks=totals["chunks"],
                     requests=stats["requests"], max_in_flight_seen=stats["max_in_flight"])


def store_alone(folder: Path, data_dir: Path, url: str, concurrency: int,
                latency: float) -> dict[str, Any]:
    """The embedded store's share of an ingest: the same chunks written as the pipeline
    writes them (pending in batches of 100, then live), with ready-made vectors."""
    from ingest.discovery import find_files
    from ingest.loaders import load_file
    from ingest.prepare import prepare_document

    service = build_service(settings_for(url, concurrency, data_dir))
    try:
        documents = [prepare_document(load_file(path), service.pipeline.chunker)
                     for path in find_files([folder]).files]
        rng = np.random.default_rng(0)
        vectors = [rng.standard_normal((len(d.chunks), service.embedder.dimension),
                                       dtype=np.float32) for d in documents]
        started, cpu = time.perf_counter(), time.process_time()
        for prepared, dense in zip(documents, vectors, strict=True):
            chunks, document = prepared.chunks, prepared.document
            for start in range(0, len(chunks), MAX_TEXTS_PER_REQUEST):
                rows = slice(start, start + MAX_TEXTS_PER_REQUEST)
                service.store.upsert_pending(chunks[rows], dense[rows], prepared.sparse[rows],
                                             len(chunks), document.media_type, {})
            service.store.activate(document.doc_id, document.source, len(chunks))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        service.close()
    total = sum(len(d.chunks) for d in documents)
    bound = math.ceil(total / MAX_TEXTS_PER_REQUEST) / concurrency * latency
    return bound_row("store writes alone (no embedding)", seconds, bound, cpu, requests=0,
                     files=len(documents), chunks=total)


# --- 3. questions ---------------------------------------------------------------------------------


def ask_all(standin: StandInProcess, data_dir: Path, questions: list[str], askers: int,
            latency: float) -> dict[str, Any]:
    """Every question answered in full; `askers` threads share one service, as app users do."""
    standin.reset(latency=latency)
    service = build_service(settings_for(standin.url, 8, data_dir))

    def one(question: str) -> tuple[float, float, int]:
        started = time.perf_counter()
        answer = service.ask(question)
        first = None
        for _ in answer:
            first = first or time.perf_counter() - started
        assert answer.citations and answer.generator == "workers-ai", answer.text
        return first or 0.0, time.perf_counter() - started, len(answer.citations)

    try:
        started, cpu = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(askers) as pool:
            timings = list(pool.map(one, questions))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        service.close()
    stats = standin.stats()
    assert set(stats["statuses"]) == {200}
    first, total = sorted(t[0] for t in timings), sorted(t[1] for t in timings)
    bound = math.ceil(len(questions) / askers) * REQUESTS_PER_QUESTION * latency
    p95 = lambda xs: xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]  # noqa: E731
    return bound_row(f"{len(questions)} questions, {askers} asking at once", seconds, bound, cpu,
                     askers=askers, questions=len(questions), requests=stats["requests"],
                     first_token_median_ms=round(statistics.median(first) * 1000, 1),
                     first_token_p95_ms=round(p95(first) * 1000, 1),
                     answer_median_ms=round(statistics.median(total) * 1000, 1),
                     answer_p95_ms=round(p95(total) * 1000, 1))


def print_rows(console: Console, title: str, rows: list[dict[str, Any]],
               extra: dict[str, str]) -> None:
    table = Table(title=title)
    for column in ("run", "requests", "seconds", "bound s", "seconds / bound", "client CPU s",
                   *extra):
        table.add_column(column, justify="left" if column == "run" else "right")
    for row in rows:
        mark = "*" if row.get("extrapolated") else ""
        table.add_row(row["run"], str(row["requests"]), f"{row['seconds']:.2f}{mark}",
                      f"{row['bound_seconds']:.2f}", f"{row['seconds_over_bound']:.2f}",
                      f"{row['client_cpu_seconds']:.2f}",
                      *(str(row.get(key, "")) for key in extra.values()))
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000, help="embedder-alone run")
    parser.add_argument("--sequential-chunks", type=int, default=2_000)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request")
    parser.add_argument("--copies", type=int, default=4, help="SQuAD copies in the ingest")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--askers", type=int, nargs="*", default=[1, 8])
    parser.add_argument("--squad", type=Path, default=SQUAD)
    args = parser.parse_args(argv)
    concurrency = Settings.model_fields["ai_embed_concurrency"].default
    console = Console(width=140)

    load_before = os.getloadavg()
    with StandInProcess() as standin, tempfile.TemporaryDirectory() as tmp:
        chunks = make_chunks(args.chunks)
        WorkersAIEmbedder.from_settings(settings_for(standin.url, 1)).count_tokens("warm up")
        embedder_rows = [embed_alone(standin, chunks, concurrency, args.latency)]
        sequential = embed_alone(standin, chunks[: args.sequential_chunks], 1, args.latency)
        embedder_rows.append(scaled(sequential, args.chunks)
                             if args.sequential_chunks < args.chunks else sequential)

        folder, data_dir = Path(tmp) / "squad", Path(tmp) / "data"
        write_corpus(args.squad, folder, args.copies)
        ingest_row = ingest(standin, folder, data_dir, concurrency, args.latency)
        # what the ingest costs with no latency to wait for: this machine's floor
        floor_rows = [
            ingest(standin, folder, Path(tmp) / "floor", concurrency, 0.0, args.latency,
                   "rag ingest, no latency (CPU floor)"),
            store_alone(folder, Path(tmp) / "store", standin.url, concurrency, args.latency),
        ]

        _, squad_questions = load_squad(args.squad)
        step = max(1, len(squad_questions) // args.questions)
        questions = [q.text for q in squad_questions[::step][: args.questions]]
        question_rows = [ask_all(standin, data_dir, questions, n, args.latency)
                         for n in args.askers]

    print_rows(console, f"Embedding and ingest, {args.latency * 1000:.0f} ms per request, "
                        f"100 texts per request", embedder_rows + [ingest_row, *floor_rows],
               {"chunks": "chunks", "max in flight": "max_in_flight_seen"})
    print_rows(console, f"Questions, {args.latency * 1000:.0f} ms per request, "
                        f"{REQUESTS_PER_QUESTION} requests per question", question_rows,
               {"first token median ms": "first_token_median_ms",
                "first token p95 ms": "first_token_p95_ms",
                "answer median ms": "answer_median_ms", "answer p95 ms": "answer_p95_ms"})
    console.print(f"Load average before: {', '.join(f'{x:.2f}' for x in load_before)} on "
                  f"{os.cpu_count()} CPUs. * measured on {args.sequential_chunks:,} chunks and "
                  "scaled: one request at a time is latency-bound.")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "remote_path",
        "latency_seconds": args.latency,
        "texts_per_request": MAX_TEXTS_PER_REQUEST,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "embedding": embedder_rows,
        "ingest": ingest_row,
        "floors": floor_rows,
        "questions": question_rows,
    }, indent=2) + "\n")
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
