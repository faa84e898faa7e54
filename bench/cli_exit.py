"""What skipping the interpreter's teardown saves each `rag` command, as a user runs it.

Each command runs in its own process two ways, interleaved round by round (the machine's
speed drifts): as the console script runs it (`python -m rag`, which ends with `os._exit` once
the command is done, see rag/__main__.py) and through `rag.cli.main.app` directly, which lets
Python tear down every module first. The store is the app's samples, ingested once beforehand,
untimed. Prints a table of median wall times and writes bench/results/cli_exit.json.

    .venv/bin/python bench/cli_exit.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peers.common import (
    ROOT,
    busy_warning,
    ensure_onnx_model,
    git_state,
    machine,
    print_table,
    write_result,
)

LAUNCHERS = {
    "python -m rag": [sys.executable, "-m", "rag"],
    "rag.cli.app, with teardown": [sys.executable, "-c", "from rag.cli.main import app; app()"],
}


def commands(empty: Path) -> dict[str, list[str]]:
    return {
        "ingest (empty folder)": ["ingest", str(empty), "--json"],
        "ingest (samples, unchanged)": ["ingest", str(ROOT / "data" / "samples"), "--json"],
        "search": ["search", "patent licence termination", "--json"],
        "ask (extractive)": ["ask", "When does the patent licence terminate?"],
        "docs list": ["docs", "list", "--json"],
    }


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    busy_warning(load_at_start)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RAG_MODEL_DIR": str(ensure_onnx_model()),
               "RAG_DATA_DIR": str(Path(tmp) / "data"), "RAG_EMBEDDER": "local",
               "RAG_GENERATOR": "extractive"}
        empty = Path(tmp) / "empty"
        empty.mkdir()
        runs = commands(empty)
        subprocess.run(LAUNCHERS["python -m rag"] + ["ingest", str(ROOT / "data" / "samples")],
                       env=env, cwd=ROOT, check=True, capture_output=True)
        seconds: dict[tuple[str, str], list[float]] = {}
        for round_ in range(args.rounds):
            for command, rest in runs.items():
                for launcher, argv in LAUNCHERS.items():
                    seconds.setdefault((command, launcher), []).append(timed(argv + rest, env))
            print(f"  round {round_ + 1} of {args.rounds} done", flush=True)
    rows = []
    for command in runs:
        fast, full = (statistics.median(seconds[(command, launcher)]) for launcher in LAUNCHERS)
        rows.append({"command": command, "seconds": round(fast, 3),
                     "seconds_with_teardown": round(full, 3),
                     "saved_seconds": round(full - fast, 3),
                     "speed": round(full / fast, 3),
                     "each": {launcher: [round(s, 3) for s in seconds[(command, launcher)]]
                              for launcher in LAUNCHERS}})
    print_table(["command", "python -m rag, s", "with teardown, s", "saved, s", "speed"],
                [[r["command"], r["seconds"], r["seconds_with_teardown"], r["saved_seconds"],
                  f"{r['speed']:.2f}x"] for r in rows])
    write_result("cli_exit", {"rounds": args.rounds, "results": rows,
                              "machine": machine(False, load_at_start), "git": git_state()})


if __name__ == "__main__":
    main()
