"""How long the engine takes to stop, or an ingest to cancel, while it reads a long file.

A running `rag ui` (its own data folder, port and process) is sent a 240-page PDF (about
40 MB of text layer: seconds of pdfium's work) and then, once the file is being read:

- SIGTERM, the PDF read in the engine's own process (the first file of an upload is);
- SIGTERM, the PDF read by the parse worker (a small file ahead of it in the same upload):
  whether the worker process is gone when the engine has exited is reported too;
- `DELETE /api/v1/ingests/{id}`: the time until the ingest reads `cancelled`.

And SIGTERM while chunks are embedded: an upload of 40 text files of about 6,000 words,
once its first file is stored, when the local model has batches of chunks under way.

The time the file takes to read whole, in this process, is what a stop seen only between
batches would wait for (`--checkout` of such a commit measures it).
Prints a table of medians and writes bench/results/stop_latency.json. `--checkout DIR` runs
the engine from another checkout of the project (an earlier commit, through PYTHONPATH) and
writes bench/results/stop_latency-LABEL.json, to compare in the same hour (`--label` alone
names this checkout's results so).

    .venv/bin/python bench/stop_latency.py [--rounds 3] [--checkout DIR] [--label LABEL]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from peers.common import (
    ROOT,
    busy_warning,
    ensure_onnx_model,
    git_state,
    machine,
    print_table,
    write_result,
)

sys.path.insert(0, str(ROOT))
from ingest.loaders import load_bytes  # noqa: E402
from tests.pdfgen import filler, make_pdf  # noqa: E402

PAGES = 240


def long_pdf() -> bytes:
    return make_pdf([filler(f"Section {n} describes the valves of pump model {n}.", 3000)
                     for n in range(1, PAGES + 1)], title="Pump manual")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Engine:
    """`rag ui` in a process of its own, on a fresh data folder."""

    def __init__(self, folder: Path, model_dir: Path, checkout: Path | None) -> None:
        self.data = folder / "data"
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/api/v1"
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        env.update(RAG_DATA_DIR=str(self.data), RAG_MODEL_DIR=str(model_dir))
        if checkout is not None:
            env["PYTHONPATH"] = str(checkout)
        self.log = open(folder / "engine.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen([sys.executable, "-m", "rag", "ui", "--port", str(port)],
                                        cwd=folder, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not (self.data / "server.json").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the engine did not start: see {folder / 'engine.log'}")
            time.sleep(0.2)

    def children(self) -> list[int]:
        found = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True,
                               text=True, check=False).stdout.split()
        return [int(pid) for pid in found]

    def upload(self, files: list[tuple[str, bytes]], wait: bool) -> threading.Thread:
        def send() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the engine stopped under it
                httpx.post(f"{self.url}/documents", params={"wait": str(wait).lower()},
                           files=[("files", f) for f in files], timeout=600)
        sender = threading.Thread(target=send)
        sender.start()
        return sender

    def reading(self) -> None:
        """Wait until the upload is spooled and its reading under way."""
        spool = self.data / "incoming"
        deadline = time.monotonic() + 120
        while not (spool.exists() and any(spool.rglob("*.pdf"))):
            if time.monotonic() > deadline:
                raise RuntimeError("the upload never reached the engine")
            time.sleep(0.05)
        time.sleep(1.0)

    def stop(self) -> float:
        started = time.perf_counter()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(120)
        return time.perf_counter() - started

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


def sigterm_in_process(engine: Engine, pdf: bytes) -> dict:
    sender = engine.upload([("pump.pdf", pdf)], wait=True)
    engine.reading()
    seconds = engine.stop()
    sender.join(60)
    return {"seconds": seconds}


def sigterm_in_worker(engine: Engine, pdf: bytes) -> dict:
    small = make_pdf(["A kettle boils water."], title="Kettle")
    sender = engine.upload([("a-kettle.pdf", small), ("pump.pdf", pdf)], wait=True)
    engine.reading()
    workers = engine.children()
    seconds = engine.stop()
    sender.join(60)
    time.sleep(0.5)
    left = [pid for pid in workers if Path(f"/proc/{pid}").exists()
            and b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return {"seconds": seconds, "workers_left": len(left)}


def cancel(engine: Engine, pdf: bytes) -> dict:
    job = httpx.post(f"{engine.url}/documents", params={"wait": "false"},
                     files=[("files", ("pump.pdf", pdf))], timeout=600).json()
    engine.reading()
    started = time.perf_counter()
    httpx.delete(f"{engine.url}/ingests/{job['id']}", timeout=60)
    while httpx.get(f"{engine.url}/ingests/{job['id']}", timeout=60).json()["status"] in (
            "queued", "running"):
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    engine.stop()
    return {"seconds": seconds}


def sigterm_while_embedding(engine: Engine, pdf: bytes) -> dict:
    texts = [(f"ledger-{n}.txt", filler(
        f"Ledger {n} lists the accounts and balances of branch {n} in the north.", 500
    ).encode()) for n in range(40)]
    job = httpx.post(f"{engine.url}/documents", params={"wait": "false"},
                     files=[("files", text) for text in texts], timeout=600).json()
    deadline = time.monotonic() + 120
    while not any(f["status"] == "ingested" for f in httpx.get(
            f"{engine.url}/ingests/{job['id']}", timeout=60).json()["files"]):
        if time.monotonic() > deadline:
            raise RuntimeError("the ingest stored no file")
        time.sleep(0.05)
    return {"seconds": engine.stop()}


SCENARIOS: dict[str, Callable[[Engine, bytes], dict]] = {
    "SIGTERM, the file read in the engine": sigterm_in_process,
    "SIGTERM, the file read by the parse worker": sigterm_in_worker,
    "DELETE /ingests/{id} until cancelled": cancel,
    "SIGTERM, chunks being embedded": sigterm_while_embedding,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checkout", type=Path, help="run the engine from this checkout")
    parser.add_argument("--label", default="",
                        help="names the results (stop_latency-LABEL.json): a commit's")
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    busy_warning(load_at_start)
    model_dir = ensure_onnx_model()
    pdf = long_pdf()
    started = time.perf_counter()
    load_bytes(Path("pump.pdf"), pdf, source="upload:pump.pdf")
    read_whole = time.perf_counter() - started
    runs: dict[str, list[dict]] = {name: [] for name in SCENARIOS}
    for round_ in range(args.rounds):
        for name, scenario in SCENARIOS.items():
            with tempfile.TemporaryDirectory() as tmp:
                engine = Engine(Path(tmp), model_dir, args.checkout)
                try:
                    runs[name].append(scenario(engine, pdf))
                finally:
                    engine.close()
        print(f"  round {round_ + 1} of {args.rounds} done", flush=True)
    rows = [{"scenario": name, "seconds": round(statistics.median(
                 r["seconds"] for r in results), 3),
             "each": [round(r["seconds"], 3) for r in results],
             "workers_left": sum(r.get("workers_left", 0) for r in results)}
            for name, results in runs.items()]
    print(f"reading the {PAGES}-page PDF whole, in this process: {read_whole:.2f} s")
    print_table(["scenario", "median s", "each s", "parse workers left running"],
                [[r["scenario"], r["seconds"], ", ".join(map(str, r["each"])),
                  r["workers_left"]] for r in rows])
    name = f"stop_latency-{args.label}" if args.label else "stop_latency"
    write_result(name, {"rounds": args.rounds, "pages": PAGES, "pdf_bytes": len(pdf),
                        "checkout": str(args.checkout) if args.checkout else None,
                        "read_whole_seconds": round(read_whole, 3), "results": rows,
                        "machine": machine(False, load_at_start), "git": git_state()})


if __name__ == "__main__":
    main()
