"""Preparing ahead in a worker process (parse, chunk, sparse vectors): order kept, stored files
skipped, failures per file."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, wait
from pathlib import Path

import pytest

from ingest.chunking import Chunker
from ingest.loaders import content_id
from ingest.parse_ahead import Loaded, SourceFile, _submit, load_ahead
from rag.errors import DocumentError
from rag.text import lexical
from rag.text.tokens import TokenCounter
from tests.pdfgen import make_pdf

CHUNKER = Chunker(TokenCounter.bundled(), 200, 30, 254)


def corpus(folder: Path) -> list[Path]:
    folder.mkdir()
    files = [folder / "a.pdf", folder / "b.txt", folder / "broken.pdf", folder / "c.pdf"]
    files[0].write_bytes(make_pdf(["Alpha page one.", "Alpha page two."], title="Alpha"))
    files[1].write_text("Bravo is plain text.")
    files[2].write_bytes(b"%PDF-1.4\nthis is not a PDF body at all\n%%EOF\n")
    files[3].write_bytes(make_pdf(["Charlie only page."]))
    return files


def at(paths: list[Path]) -> list[SourceFile]:
    return [SourceFile.at(path) for path in paths]


def test_files_come_back_in_order_parsed_in_a_worker(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PYTHONSAFEPATH", raising=False)
    files = corpus(tmp_path / "docs")
    items = []
    for item in load_ahead(at(files), lambda doc_id, source: False, CHUNKER, lookahead=2):
        # the first is prepared here while the worker starts; the others went to the worker
        assert (item.future is None) == (item.path == files[0])
        if item.future is not None:
            item.future.exception()  # wait, as the pipeline does, before taking the next
        items.append(item)
    assert [item.path for item in items] == files
    # asked of the worker's start only: this process's later children start as they would
    assert "PYTHONSAFEPATH" not in os.environ
    alpha = items[0].prepared(CHUNKER)
    assert [page.number for page in alpha.document.pages] == [1, 2]
    assert alpha.document.title == "Alpha"
    assert items[1].prepared(CHUNKER).document.pages[0].text == "Bravo is plain text."
    with pytest.raises(DocumentError) as info:  # the worker's error arrives whole
        items[2].prepared(CHUNKER)
    assert info.value.reason == "corrupt" and "broken.pdf" in str(info.value)
    charlie = items[3].prepared(CHUNKER)
    assert "Charlie" in charlie.chunks[0].text
    # chunked and sparse-encoded there, exactly as here
    here = CHUNKER(charlie.document)
    assert [(c.text, c.token_count) for c in charlie.chunks] == [
        (c.text, c.token_count) for c in here]
    assert charlie.sparse == [lexical.document_vector(c.text) for c in here]


def test_stored_content_is_not_parsed_and_a_lone_file_parses_here(tmp_path: Path) -> None:
    files = corpus(tmp_path / "docs")
    stored = content_id(files[1].read_bytes())
    items = list(load_ahead(at(files), lambda doc_id, source: doc_id == stored, CHUNKER))
    assert items[1].future is None and items[2].future is not None
    [lone] = load_ahead(at(files[:1]), lambda doc_id, source: False, CHUNKER)
    assert lone.future is None and lone.prepared(CHUNKER).document.title == "Alpha"


def test_files_read_after_the_loop_has_ended_are_parsed_here(tmp_path: Path) -> None:
    files = corpus(tmp_path / "docs")
    items = list(load_ahead(at(files), lambda doc_id, source: False, CHUNKER, lookahead=3))
    # the worker has stopped: these are prepared here
    assert [item.prepared(CHUNKER).document.title for item in (items[0], items[1], items[3])
            ] == ["Alpha", "b", "c"]


def test_an_unreadable_file_is_reported_and_the_rest_go_on(tmp_path: Path) -> None:
    files = corpus(tmp_path / "docs")
    missing = tmp_path / "docs" / "gone.txt"
    items = list(load_ahead(at([missing, *files]), lambda doc_id, source: False, CHUNKER))
    assert items[0].error and "gone.txt" in items[0].error
    with pytest.raises(DocumentError):
        items[0].prepared(CHUNKER)
    assert items[1].prepared(CHUNKER).document.title == "Alpha"


def test_a_dead_worker_costs_nothing_but_time(tmp_path: Path) -> None:
    path = corpus(tmp_path / "docs")[0]
    data = path.read_bytes()
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    try:
        crashed = pool.submit(os._exit, 3)  # what a segfaulting parser looks like from here
        wait([crashed])
        item = Loaded(path, str(path), content_id(data), data, future=crashed)
        assert item.prepared(CHUNKER).document.title == "Alpha"  # prepared here instead
        assert _submit(pool, item) is None  # and so are the files after it
    finally:
        pool.shutdown(wait=False)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_worker_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    """A command killed outright (SIGKILL, the OOM killer) cannot stop its parse worker; the
    worker must not live on, holding its memory and the command's output."""
    files = corpus(tmp_path / "docs")
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from ingest.parse_ahead import SourceFile, load_ahead\n"
        "from tests.test_parse_ahead import CHUNKER\n"
        "files = [SourceFile.at(Path(p)) for p in sys.argv[1:]]\n"
        "for item in load_ahead(files, lambda d, s: False, CHUNKER, lookahead=1):\n"
        "    if item.future is not None:\n"
        "        item.future.result() if not item.future.exception() else None\n"
        "        print('worker', flush=True)\n"
        "        time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", script, *map(str, files)],
                              cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert parent.stdout is not None and parent.stdout.readline() == "worker\n"
        workers = [pid for pid in _children(parent.pid)
                   if b"spawn_main" in (Path("/proc") / str(pid) / "cmdline").read_bytes()]
        assert workers, "no parse worker was started"
    finally:
        parent.kill()
        parent.wait(timeout=30)
        parent.stdout.close()
    deadline = time.monotonic() + 30  # a guard against waiting for ever, not a target
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "the parse worker outlived the command that started it"


def _blocked_signals(pid: int) -> int:
    status = (Path("/proc") / str(pid) / "status").read_text()
    return int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith("SigBlk:")), 16)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_the_worker_starts_deaf_to_ctrl_c(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group, a worker still importing its parsers too,
    which would print a traceback amid the command's own message. The worker is started with
    SIGINT held, so it never sees one; this process still does."""
    files = corpus(tmp_path / "docs")
    workers: list[int] = []
    for item in load_ahead(at(files), lambda doc_id, source: False, CHUNKER, lookahead=1):
        if item.future is not None and not workers:
            workers = [pid for pid in _children(os.getpid())
                       if b"spawn_main" in (Path("/proc") / str(pid) / "cmdline").read_bytes()]
            assert workers, "no parse worker was started"
            assert all(_blocked_signals(pid) & 1 << (signal.SIGINT - 1) for pid in workers)
    assert workers
    assert not _blocked_signals(os.getpid()) & 1 << (signal.SIGINT - 1)
