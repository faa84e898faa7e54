"""`rag ui` started from a folder of the user's own Python files: the engine, a real process
serving real HTTP, imports none of them (`python -m` alone would put that folder first on its
import path), and still runs in that folder (./data and .env are read from it); nor does
`rag ingest` alone, whose parse worker starts as `python -c`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.test_foreign_errors import free_port

# engines in processes of their own: seconds a test
pytestmark = pytest.mark.slow

APP = Path(__file__).resolve().parents[1] / "ui" / "app.py"
RAG = Path(sys.executable).with_name("rag")  # the console script, as a user runs it
# names the app imports as packages, and one of the standard library's, which the ingest's
# parse worker imports while it starts
SHADOWING = ("ingest", "ui", "rag", "threading")


def hostile_folder(folder: Path, names: tuple[str, ...] = SHADOWING) -> Path:
    """A working folder whose `NAME.py` files each leave a marker when imported."""
    folder.mkdir()
    for name in names:
        (folder / f"{name}.py").write_text(
            f"import pathlib\npathlib.Path({str(folder / f'IMPORTED-{name}')!r}).write_text('')\n")
    return folder


def imported(folder: Path) -> list[str]:
    return sorted(marker.name for marker in folder.glob("IMPORTED-*"))


@contextmanager
def engine_process(argv: list[str], cwd: Path, log: Path) -> Iterator[subprocess.Popen]:
    """The engine started with `argv` in `cwd`; stopped as a service manager stops it."""
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, cwd=cwd, env=os.environ.copy(), stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_healthy(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the engine exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the engine did not answer /api/v1/health:\n{log.read_text()}")


def test_rag_ui_imports_nothing_from_the_working_folder(env, embedder, tmp_path: Path) -> None:
    folder = hostile_folder(tmp_path / "scripts")
    docs = tmp_path / "docs"  # two files: the engine's parse worker starts for the second
    docs.mkdir()
    for n in (1, 2):
        (docs / f"note{n}.txt").write_text(f"Note {n}: narwhals have one tusk, mostly.")
    port = free_port()
    log = tmp_path / "engine.log"
    with engine_process([str(RAG), "ui", "--port", str(port)], folder, log) as engine:
        wait_until_healthy(engine, f"http://127.0.0.1:{port}", log)
        assert Path(f"/proc/{engine.pid}/cwd").resolve() == folder.resolve()
        ingested = subprocess.run([str(RAG), "ingest", str(docs), "--json"], cwd=folder,
                                  capture_output=True, text=True, timeout=120, check=False)
        assert ingested.returncode == 0, ingested.stderr
        assert json.loads(ingested.stdout)["totals"]["ingested"] == 2
    assert "Traceback" not in log.read_text(), log.read_text()
    assert imported(folder) == []


def test_rag_ingest_without_an_engine_imports_nothing_from_the_working_folder(
        env, embedder, tmp_path: Path) -> None:
    folder = hostile_folder(tmp_path / "scripts")
    docs = tmp_path / "docs"  # two files: the parse worker starts for the second
    docs.mkdir()
    for n in (1, 2):
        (docs / f"note{n}.txt").write_text(f"Note {n}: narwhals have one tusk, mostly.")
    ingested = subprocess.run([str(RAG), "ingest", str(docs), "--json"], cwd=folder,
                              capture_output=True, text=True, timeout=120, check=False)
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["totals"]["ingested"] == 2
    assert imported(folder) == []
