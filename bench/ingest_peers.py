"""Our ingest against LangChain's and LlamaIndex's usual pipelines, in the same run.

Contenders, each run in its own fresh process into its own fresh embedded Qdrant store:
  ours              `rag ingest FOLDER --json`, exactly as a user runs it (the app's .venv)
  langchain-onnx    PyPDFLoader → RecursiveCharacterTextSplitter → QdrantVectorStore, with our
                    ONNX embedder behind LangChain's Embeddings interface
  llamaindex-onnx   SimpleDirectoryReader → IngestionPipeline(SentenceSplitter, embedder) →
                    QdrantVectorStore, with our ONNX embedder behind BaseEmbedding
  langchain-torch   the same LangChain pipeline with HuggingFaceEmbeddings (PyTorch, defaults)
  llamaindex-torch  the same LlamaIndex pipeline with HuggingFaceEmbedding (PyTorch, defaults)
The first three run in interleaved rounds (A B C A B C, so drifting machine load hits them
alike); the two PyTorch defaults follow. Peers run under .venv-peers (bench/setup_peers.sh), so
the app's own venv never gets PyTorch or LlamaIndex.

Seconds are end to end: process start to exit, imports and model load included ("setup",
reported apart). Peak memory: the largest process's peak RSS (its VmHWM, sampled) and the
sampled peak of the process tree's summed RSS (ours parses in a second process). Chunk sizes:
ours and LlamaIndex count 200 embedder tokens with 30 overlap; LangChain's character size is
the one whose split gives about as many chunks as ours (calibrated before the runs, not
timed).
Prints a table and writes bench/results/ingest_peers.json.

    .venv/bin/python bench/ingest_peers.py [--pdfs DIR] [--rounds 2] [--torch-rounds 1]
        [--max-files N] [--max-pages N] [--only ours,langchain-onnx,...] [--chunk-chars N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from peers.common import (
    DEFAULT_PDFS,
    PEERS_PYTHON,
    ROOT,
    Corpus,
    busy_warning,
    child_pids,
    embedded_tokens,
    ensure_onnx_model,
    git_state,
    machine,
    our_chunks,
    prepare_corpus,
    print_table,
    process_memory,
    write_result,
)

from rag.settings import Settings, load_settings

OURS = "ours"
ONNX_PEERS = ("langchain-onnx", "llamaindex-onnx")
TORCH_PEERS = ("langchain-torch", "llamaindex-torch")
ALL = (OURS, *ONNX_PEERS, *TORCH_PEERS)
TARGETS = {"langchain-onnx": 1.5, "llamaindex-onnx": 1.5,
           "langchain-torch": 2.5, "llamaindex-torch": 2.5}
RAG = ROOT / ".venv" / "bin" / "rag"
CONTENDER = ROOT / "bench" / "peers" / "contender.py"
PAGE = os.sysconf("SC_PAGE_SIZE")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS, help="folder of PDFs")
    parser.add_argument("--rounds", type=int, default=2,
                        help="interleaved rounds of ours and the ONNX peers")
    parser.add_argument("--torch-rounds", type=int, default=1,
                        help="runs of each PyTorch default, after the rounds")
    parser.add_argument("--max-files", type=int, help="quick run: only the first N files")
    parser.add_argument("--max-pages", type=int,
                        help="quick run: N pages in all, from the middle of each file")
    parser.add_argument("--only", default=",".join(ALL),
                        help=f"comma-separated contenders (default all: {','.join(ALL)})")
    parser.add_argument("--chunk-chars", type=int,
                        help="LangChain's chunk size in characters (default: calibrated)")
    args = parser.parse_args()
    args.only = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(args.only) - set(ALL)
    if unknown:
        parser.error(f"unknown contender(s) {sorted(unknown)}; choose from {', '.join(ALL)}")
    return args


# --- measuring one process -------------------------------------------------------------------

def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and its descendants, and each one's own peak; keeps
    the largest of each.

    Ours runs a parser process beside the main one, so the memory a user must have is the sum,
    which only sampling can see. A process's own peak is its VmHWM (`process_memory`): this
    script holds the model and the calibration's chunks, which wait4's figure would carry.
    """

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.largest = pid, interval, 0, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            pids, total, seen = [self.pid], 0, set()
            while pids:
                pid = pids.pop()
                if pid not in seen:
                    seen.add(pid)
                    total += _rss(pid)
                    own_peak = process_memory(pid).get("VmHWM", 0) * 1024
                    self.largest = max(self.largest, own_peak)
                    pids.extend(child_pids(pid))
            self.peak = max(self.peak, total)
            self._stop_event.wait(self.interval)

    def stop(self) -> tuple[int, int]:
        """The peaks in bytes: the tree's summed RSS, and the largest process's own."""
        self._stop_event.set()
        self.join()
        return self.peak, self.largest


@dataclass
class Measured:
    returncode: int
    seconds: float
    stdout: str
    stderr: str
    peak_rss_mib: float  # the largest single process's own peak (VmHWM, sampled)
    tree_rss_mib: float  # sampled peak of the whole process tree's summed RSS
    cpu_s: float  # user + system time of the process and its reaped children


def measure(cmd: list[str], env: dict[str, str]) -> Measured:
    """Run `cmd` in a fresh process; wall time from spawn to exit, and its peak memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        env = {**env, "BENCH_T0": repr(time.time())}
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=err)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not all children's
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        tree, largest = sampler.stop()
        out.seek(0)
        err.seek(0)
        return Measured(proc.returncode, seconds, out.read().decode(errors="replace"),
                        err.read().decode(errors="replace"), largest / 2**20,
                        tree / 2**20, usage.ru_utime + usage.ru_stime)


# --- the contenders --------------------------------------------------------------------------

def base_env(model_dir: Path) -> dict[str, str]:
    """The same environment for everyone: local embedder, prebuilt ONNX graph, no hub."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("RAG_QDRANT_URL", "RAG_QDRANT_PATH", "RAG_COLLECTION", "BENCH_T0")}
    env.update(RAG_EMBEDDER="local", RAG_MODEL_DIR=str(model_dir), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1")
    return env


@dataclass
class Run:
    contender: str
    round: int
    seconds: float
    setup_s: float | None
    files: int
    pages: int
    chunks: int
    peak_rss_mib: float
    tree_rss_mib: float
    cpu_s: float
    details: dict = field(default_factory=dict)
    error: str | None = None

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict:
        return {"contender": self.contender, "round": self.round,
                "seconds": round(self.seconds, 2), "setup_s": self.setup_s,
                "files": self.files, "pages": self.pages, "chunks": self.chunks,
                "chunks_per_s": round(self.chunks_per_s, 2),
                "peak_rss_mib": round(self.peak_rss_mib), "tree_rss_mib": round(self.tree_rss_mib),
                "cpu_s": round(self.cpu_s, 1),
                **self.details, "error": self.error}


def run_ours(corpus: Corpus, workdir: Path, env: dict[str, str], round_: int,
             setup_s: float | None, settings: Settings, prestep: tuple[int, int]) -> Run:
    """`rag ingest` into a fresh data dir; `prestep` is (chunks, tokens) of our chunker."""
    data_dir = workdir / "data"
    got = measure([str(RAG), "ingest", str(corpus.folder), "--json"],
                  {**env, "RAG_DATA_DIR": str(data_dir)})
    error = None if got.returncode == 0 else (got.stderr[-2000:] or f"exit {got.returncode}")
    try:
        totals = json.loads(got.stdout)["totals"]
    except (json.JSONDecodeError, KeyError):
        totals, error = {}, error or f"no JSON on stdout: {got.stdout[-500:]}"
    chunks = totals.get("chunks", 0)
    return Run(OURS, round_, got.seconds, setup_s, totals.get("files", 0), corpus.pages,
               chunks, got.peak_rss_mib, got.tree_rss_mib, got.cpu_s,
               {"failed_files": totals.get("failed"),
                "tokens": prestep[1] if chunks == prestep[0] else None,
                "embed_batch_size": settings.upsert_batch_size,  # texts per embed_documents
                "store": f"embedded, engine {getattr(settings, 'qdrant_engine', 'local')}",
                "chunking": {"splitter": "ours (RecursiveCharacterTextSplitter on tokens)",
                             "unit": "WordPiece tokens", "chunk_size": settings.chunk_tokens,
                             "chunk_overlap": settings.chunk_overlap}}, error)


def ours_startup(workdir: Path, env: dict[str, str]) -> float:
    """`rag ingest` of an empty folder: interpreter, imports, ONNX session, store; no work."""
    empty = workdir / "empty"
    empty.mkdir(parents=True)
    got = measure([str(RAG), "ingest", str(empty), "--json"],
                  {**env, "RAG_DATA_DIR": str(workdir / "data")})
    return round(got.seconds, 2)


def run_peer(name: str, corpus: Corpus, workdir: Path, env: dict[str, str], round_: int,
             chunk_chars: int) -> Run:
    out = workdir / "result.json"
    got = measure([str(PEERS_PYTHON), str(CONTENDER), name, "--folder", str(corpus.folder),
                   "--qdrant", str(workdir / "qdrant"), "--chunk-chars", str(chunk_chars),
                   "--out", str(out)], env)
    if got.returncode != 0 or not out.exists():
        return Run(name, round_, got.seconds, None, 0, 0, 0, got.peak_rss_mib, got.tree_rss_mib,
                   got.cpu_s, error=got.stderr[-2000:] or f"exit {got.returncode}")
    result = json.loads(out.read_text())
    details = {k: result[k] for k in ("points", "tokens", "truncated", "stages", "chunking",
                                       "embed_batch_size")}
    details["store"] = "embedded, qdrant-client local mode"
    return Run(name, round_, got.seconds, result["setup_s"], result["files"], result["pages"],
               result["chunks"], got.peak_rss_mib, got.tree_rss_mib, got.cpu_s, details)


def schedule(only: list[str], rounds: int, torch_rounds: int) -> list[tuple[int, str]]:
    """Interleaved rounds of ours and the ONNX peers, then the PyTorch defaults."""
    plan = [(r, n) for r in range(1, rounds + 1) for n in (OURS, *ONNX_PEERS) if n in only]
    plan += [(r, n) for n in TORCH_PEERS if n in only for r in range(1, torch_rounds + 1)]
    return plan


# --- LangChain's chunk size -------------------------------------------------------------------

def langchain_chunks(pages: list[str], size: int, overlap_share: float) -> int:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=size,
                                              chunk_overlap=round(size * overlap_share))
    return sum(len(splitter.split_text(page)) for page in pages)


def calibrate_chars(pages: list[str], target: int, overlap_share: float) -> tuple[int, int]:
    """The character size whose LangChain split of these pages gives nearest `target` chunks.

    PyPDFLoader makes one Document per page, so the split is per page, as in the runs.
    """
    lo, hi = 50, 10_000
    while lo < hi:  # the smallest size giving at most `target` chunks
        mid = (lo + hi) // 2
        if langchain_chunks(pages, mid, overlap_share) <= target:
            hi = mid
        else:
            lo = mid + 1
    counts = {s: langchain_chunks(pages, s, overlap_share) for s in {max(lo - 1, 50), lo}}
    best = min(counts, key=lambda s: (abs(counts[s] - target), s))
    return best, counts[best]


# --- report ----------------------------------------------------------------------------------

def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def per_round_ratios(runs: list[Run], peer: str) -> list[float]:
    """Ours ÷ the peer within each round both ran in (neighbours in time, so the machine's
    drift over minutes mostly cancels): the spread says how far the median ratio can move."""
    ours = {r.round: r for r in runs if r.contender == OURS and r.error is None}
    return [round(ours[r.round].chunks_per_s / r.chunks_per_s, 2) for r in runs
            if r.contender == peer and r.error is None and r.round in ours
            and peer in ONNX_PEERS]


def summarise(runs: list[Run]) -> list[dict]:
    """Median over each contender's successful runs, and our ratio to each peer."""
    rows = []
    for name in ALL:
        ok = [r for r in runs if r.contender == name and r.error is None]
        if not ok:
            continue
        steady = [r.chunks / (r.seconds - r.setup_s) for r in ok
                  if r.setup_s is not None and r.seconds > r.setup_s]
        rows.append({
            "contender": name, "runs": len(ok), "files": ok[0].files, "pages": ok[0].pages,
            "chunks": ok[0].chunks, "tokens": ok[0].details.get("tokens"),
            "seconds": _median([r.seconds for r in ok]),
            "setup_s": _median([r.setup_s for r in ok if r.setup_s is not None]),
            "chunks_per_s": _median([r.chunks_per_s for r in ok]),
            "tokens_per_s": _median([r.details["tokens"] / r.seconds for r in ok
                                     if r.details.get("tokens")]),
            "chunks_per_s_after_setup": _median(steady),
            "cpu_s": _median([r.cpu_s for r in ok]),
            "peak_rss_mib": max(r.peak_rss_mib for r in ok),
            "tree_rss_mib": max(r.tree_rss_mib for r in ok),
        })
    ours = next((r for r in rows if r["contender"] == OURS), None)
    for row in rows:
        if ours is None or row is ours:
            continue
        row["ours_over_peer_chunks_per_s"] = ours["chunks_per_s"] / row["chunks_per_s"]
        row["peer_over_ours_seconds"] = row["seconds"] / ours["seconds"]
        if ours["chunks_per_s_after_setup"] and row["chunks_per_s_after_setup"]:
            row["ours_over_peer_after_setup"] = (ours["chunks_per_s_after_setup"]
                                                 / row["chunks_per_s_after_setup"])
        row["ours_over_peer_per_round"] = per_round_ratios(runs, row["contender"])
        row["target"] = TARGETS[row["contender"]]
        row["target_met"] = row["ours_over_peer_chunks_per_s"] >= row["target"]
    return [{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for r in rows]


def print_report(summary: list[dict], runs: list[Run], corpus: Corpus) -> None:
    print(f"\n{corpus.files} files, {corpus.pages} pages"
          + (f" — SUBSET: {corpus.subset}" if corpus.subset else ""))
    print_table(
        ["contender", "runs", "files", "pages", "chunks", "tokens", "seconds", "setup s",
         "CPU s", "chunks/s", "chunks/s after setup", "tokens/s", "peak RSS MiB", "tree RSS MiB",
         "ours/peer", "peer s/ours s"],
        [[r["contender"], r["runs"], r["files"], r["pages"], r["chunks"], r["tokens"],
          r["seconds"], r["setup_s"], r["cpu_s"], r["chunks_per_s"],
          r["chunks_per_s_after_setup"], r["tokens_per_s"],
          round(r["peak_rss_mib"]),
          round(r["tree_rss_mib"]), r.get("ours_over_peer_chunks_per_s"),
          r.get("peer_over_ours_seconds")] for r in summary])
    print("\nours/peer: ratio of median chunks/s (targets, not asserted: >= 1.5 on our ONNX "
          "embedder, >= 2.5 against PyTorch defaults)")
    for r in summary:
        if "target" in r:
            verdict = "met" if r["target_met"] else "NOT met"
            rounds = r.get("ours_over_peer_per_round")
            print(f"  vs {r['contender']:<17} {r['ours_over_peer_chunks_per_s']:.2f}x "
                  f"(target {r['target']}x: {verdict})"
                  + (f"; round by round: {', '.join(f'{x:.2f}' for x in rounds)}"
                     if rounds else ""))
    print("\nseconds: median wall time, process start to exit; setup: interpreter, imports, "
          "model load; CPU s: user + system; peak RSS: the largest process; tree RSS: all of "
          "a run's processes summed (sampled every 0.1 s)")
    print("\neach run:")
    for run in runs:
        if run.error:
            print(f"  {run.contender} round {run.round}: FAILED: {run.error.strip()[-300:]}")
            continue
        d = run.details
        chunking = d.get("chunking", {})
        print(f"  {run.contender} round {run.round}: {run.seconds:.1f} s, {run.chunks} chunks, "
              f"{d.get('tokens')} tokens; chunks of {chunking.get('chunk_size')}/"
              f"{chunking.get('chunk_overlap')} {chunking.get('unit')}; {d.get('store')}; "
              f"stages {d.get('stages', '-')}; truncated {d.get('truncated', '-')}")


@dataclass
class Prestep:
    """What is settled before any run, untimed: our chunks and LangChain's matching size."""

    chunks: int  # our chunker's count
    tokens: int  # tokens the model computes for them
    chunk_chars: int
    langchain_chunks: int
    calibrated: bool
    seconds: float


def prestep(corpus: Corpus, settings: Settings, chunk_chars: int | None) -> Prestep:
    started = time.perf_counter()
    ours = our_chunks(corpus)
    share = settings.chunk_overlap / settings.chunk_tokens
    calibrated = not chunk_chars
    if chunk_chars:
        lc_chunks = langchain_chunks(ours.pages, chunk_chars, share)
    else:
        chunk_chars, lc_chunks = calibrate_chars(ours.pages, len(ours.chunks), share)
    return Prestep(len(ours.chunks), embedded_tokens(ours.chunks), chunk_chars, lc_chunks,
                   calibrated, round(time.perf_counter() - started, 1))


def run_all(args: argparse.Namespace, corpus: Corpus, work: Path, env: dict[str, str],
            settings: Settings, pre: Prestep) -> tuple[list[Run], float | None]:
    """Every scheduled run, each in a fresh folder removed afterwards; and ours' startup."""
    setup_ours = ours_startup(work / "startup", env) if OURS in args.only else None
    runs = []
    for n, (round_, name) in enumerate(schedule(args.only, args.rounds, args.torch_rounds)):
        rundir = work / f"run{n}"
        rundir.mkdir()
        if name == OURS:
            run = run_ours(corpus, rundir, env, round_, setup_ours, settings,
                           (pre.chunks, pre.tokens))
        else:
            run = run_peer(name, corpus, rundir, env, round_, pre.chunk_chars)
        shutil.rmtree(rundir, ignore_errors=True)
        runs.append(run)
        status = f"FAILED ({run.error.strip()[-200:]})" if run.error else (
            f"{run.chunks} chunks in {run.seconds:.1f} s = {run.chunks_per_s:.2f} chunks/s, "
            f"peak {run.peak_rss_mib:.0f} MiB")
        print(f"[{n + 1}] {name} round {round_}: {status}", flush=True)
    return runs, setup_ours


def main() -> None:
    args = parse_args()
    peers = [n for n in args.only if n != OURS]
    if peers and not PEERS_PYTHON.exists():
        sys.exit(f"{PEERS_PYTHON} is missing: run bash bench/setup_peers.sh first")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    load_at_start = os.getloadavg()
    settings = load_settings(embedder="local")
    with tempfile.TemporaryDirectory(prefix="ingest-peers-") as tmp:
        work = Path(tmp)
        corpus = prepare_corpus(args.pdfs.resolve(), work, args.max_files, args.max_pages)
        env = base_env(ensure_onnx_model())
        pre = prestep(corpus, settings, args.chunk_chars)
        print(f"corpus: {corpus.files} files, {corpus.pages} pages"
              + (f" (subset: {corpus.subset})" if corpus.subset else "")
              + f"; our chunker: {pre.chunks} chunks; LangChain at {pre.chunk_chars} chars: "
              f"{pre.langchain_chunks} chunks (pre-step {pre.seconds:.0f} s, not timed)",
              flush=True)
        busy_warning(load_at_start)
        runs, setup_ours = run_all(args, corpus, work, env, settings, pre)
    summary = summarise(runs)
    print_report(summary, runs, corpus)
    engine = getattr(settings, "qdrant_engine", "local")
    result = {
        "name": "ingest_peers",
        "run": f"SUBSET RUN ({corpus.subset}), not the full benchmark" if corpus.subset
        else "full corpus",
        "subset": corpus.subset is not None,
        "started": started, "command": " ".join(sys.argv),
        "corpus": corpus.as_json(),
        "chunking": {"ours_chunk_tokens": settings.chunk_tokens,
                     "ours_chunk_overlap": settings.chunk_overlap,
                     "ours_chunks_prestep": pre.chunks,
                     "langchain_chunk_chars": pre.chunk_chars,
                     "langchain_chunk_overlap": round(
                         pre.chunk_chars * settings.chunk_overlap / settings.chunk_tokens),
                     "langchain_chunks_prestep": pre.langchain_chunks,
                     "calibrated": pre.calibrated, "prestep_s": pre.seconds},
        "ours_startup_s": setup_ours,
        "ours_store": f"embedded, engine {engine}",
        "peers_store": "embedded, qdrant-client local mode",
        "embed_batch_size": settings.upsert_batch_size,
        "git": git_state(),
        "machine": machine(bool(peers), load_at_start),
        "summary": summary, "runs": [r.as_json() for r in runs],
    }
    print(f"\nwrote {write_result('ingest_peers', result)}")


if __name__ == "__main__":
    main()
