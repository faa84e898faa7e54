"""The `rag` command as a user runs it, through typer's runner, with the real model and store."""

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest
from typer.testing import CliRunner, Result

from rag.cli import quick, remote
from rag.cli.main import app
from rag.cli.output import cite
from rag.engine.engine import Engine
from rag.errors import RagError
from tests.pdfgen import filler, make_pdf
from tests.test_engine_doors import served  # noqa: F401 (an engine on loopback, for `door`)
from tests.test_foreign_errors import free_port
from tests.workers_ai_server import StandIn

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


class Door(NamedTuple):
    """Where a command runs: its data folder, and the engine running on it (None: none)."""

    data_dir: Path
    engine: Engine | None

    def run(self, *args: str) -> Result:
        return runner.invoke(app, list(args), env={"RAG_DATA_DIR": str(self.data_dir)},
                             catch_exceptions=False)


@pytest.fixture(params=["alone", "engine"])
def door(request: pytest.FixtureRequest, env: dict[str, str]) -> Door:
    """The command without an engine, then through one: each test runs once each way."""
    if request.param == "alone":
        return Door(Path(env["RAG_DATA_DIR"]), None)
    engine, _ = request.getfixturevalue("served")()
    return Door(engine.settings.data_dir, engine)


def corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "kettle.md").write_text(
        "# Kettle manual\n\nDescale the kettle every month with white vinegar. "
        "Never immerse the base in water.")
    (folder / "bike.pdf").write_bytes(make_pdf(
        [filler("A bicycle has two wheels and a frame."),
         "Inflate the tyres to 4 bar before every ride. Oil the chain weekly."],
        title="Bike care"))
    (folder / "bad.pdf").write_bytes(b"%PDF-1.5\nnot really a pdf")
    return folder


def test_ingest_json_summary_and_exit_codes(env, tmp_path: Path) -> None:
    folder = corpus(tmp_path / "docs")
    first = run("ingest", str(folder), "--json")
    assert first.exit_code == 1  # bad.pdf failed, the others are stored
    summary = json.loads(first.stdout)
    assert summary["totals"] == {"files": 3, "ingested": 2, "unchanged": 0, "failed": 1,
                                 "chunks": summary["totals"]["chunks"], "skipped": 0}
    assert summary["totals"]["chunks"] >= 2
    failed = next(f for f in summary["files"] if f["status"] == "failed")
    assert failed["path"].endswith("bad.pdf") and failed["error"]
    assert set(failed) == {"path", "status", "doc_id", "chunks", "error", "warnings",
                           "moved_from"}
    assert summary["skipped"] == []

    (folder / "bad.pdf").unlink()
    second = run("ingest", str(folder), "--json")
    assert second.exit_code == 0
    assert json.loads(second.stdout)["totals"]["unchanged"] == 2


def test_ingest_stores_a_workbook_with_unsaved_formulas_and_warns_of_them(env,
                                                                      tmp_path: Path) -> None:
    from tests.test_formats import UNSAVED_WARNING, costs_with_formulas

    book = tmp_path / "costs.xlsx"
    book.write_bytes(costs_with_formulas())
    done = run("ingest", str(book))
    assert done.exit_code == 0
    assert re.search(r"ingested .*costs\.xlsx: 2 chunks", done.output)  # a chunk a sheet
    assert " ".join(done.output.split()).count(f"warning {book}: {UNSAVED_WARNING}") == 1
    found = run("docs", "list")
    assert "costs.xlsx" in found.stdout
    # the total on stderr: stdout stays a line a document
    assert found.stdout.count("\n") == 1 and "1 document, 2 chunks" in found.stderr


@pytest.mark.slow
def test_a_long_ingest_in_a_log_says_how_far_it_has_got_inside_its_file(
        door: Door, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Off a terminal (a log, a CI job) a line every so often names the file being stored,
    its pages and its chunks: one large file must not look like a hung command."""
    from rag.cli import ingest_progress

    monkeypatch.setattr(ingest_progress, "HEARTBEAT_SECONDS", 0.05)
    book = tmp_path / "handbook.pdf"
    book.write_bytes(make_pdf([filler(f"Section {n} of the handbook covers topic {n}.", 60)
                               for n in range(20)]))
    done = door.run("ingest", str(book))
    assert done.exit_code == 0
    total = int(re.search(r"handbook.pdf: ([\d,]+) chunks", done.stderr)[1].replace(",", ""))
    beats = [line for line in done.stderr.splitlines() if line.startswith("still ingesting (")]
    storing = [re.search(r": 0 of 1 files ended; handbook\.pdf: 20 pages read, ([\d,]+) of "
                         r"([\d,]+) chunks stored$", line) for line in beats]
    counts = [(int(m[1].replace(",", "")), int(m[2].replace(",", ""))) for m in storing if m]
    assert counts, beats  # heard while the file's chunks were being stored
    assert all(written <= chunks == total for written, chunks in counts)
    assert [written for written, _ in counts] == sorted(written for written, _ in counts)
    # --json keeps stderr for errors: a script reads stdout
    (tmp_path / "guide.pdf").write_bytes(make_pdf([filler(f"Guide step {n}.", 60)
                                                   for n in range(20)]))
    quiet = door.run("ingest", str(tmp_path / "guide.pdf"), "--json")
    assert json.loads(quiet.stdout)["totals"]["ingested"] == 1 and quiet.stderr == ""


def test_the_bar_names_the_file_being_stored_and_its_chunks() -> None:
    from rag.cli.ingest_progress import IngestProgress

    told: list[str] = []
    within = IngestProgress(2, describe=told.append)
    within.file_progress({"source": "upload:/docs/manual.pdf", "pages": 1, "chunks": 5012,
                          "chunks_written": 1920})
    assert within.line().endswith(
        ": 0 of 2 files ended; manual.pdf: 1 page read, 1,920 of 5,012 chunks stored")
    within.file_ended("upload:/docs/manual.pdf")
    assert told == ["manual.pdf: 1 page read, 1,920 of 5,012 chunks stored", "ingesting"]
    assert within.line().endswith(": 1 of 2 files ended")


def test_a_heartbeat_line_names_a_few_files_of_an_upload_in_hand() -> None:
    """An upload has dozens of files in hand at once: the line names those furthest on."""
    from rag.cli.ingest_progress import IngestProgress

    within = IngestProgress(1515)
    for n in range(60):
        within.file_progress({"source": f"/kb/dept{n}/incident-002.md", "pages": 0,
                              "chunks": 100, "chunks_written": n})
    line = within.line()
    assert line.endswith(": 0 of 1,515 files ended; incident-002.md: 59 of 100 chunks stored; "
                         "incident-002.md: 58 of 100 chunks stored; incident-002.md: 57 of 100 "
                         "chunks stored; and 57 more being stored")


def test_ctrl_c_during_an_ingest_says_what_was_stored(env, tmp_path: Path,
                                                      monkeypatch) -> None:
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    from rag.cli.library import LocalLibrary

    ingest = stop_after_the_first_local_file(monkeypatch)
    stopped = run("ingest", str(folder))
    assert stopped.exit_code == 130
    assert "error: interrupted: 1 file stored before the stop" in stopped.stderr
    monkeypatch.setattr(LocalLibrary, "ingest", ingest)
    listed = json.loads(run("docs", "list", "--json").stdout)["documents"]
    assert len(listed) == 1  # the first file whole, nothing of the second
    again = json.loads(run("ingest", str(folder), "--json").stdout)["totals"]
    assert again["unchanged"] == 1 and again["ingested"] == 1


def test_sigterm_during_an_ingest_stops_it_as_ctrl_c_does(env, tmp_path: Path,
                                                           monkeypatch) -> None:
    """A service manager, `timeout` or a CI runner stops a command with SIGTERM."""
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    from rag.cli.library import LocalLibrary

    ingest = LocalLibrary.ingest

    def terminated_after_the_first_file(self, found, on_file, on_progress=None):
        def heard(result):
            on_file(result)
            os.kill(os.getpid(), signal.SIGTERM)

        return ingest(self, found, heard)

    monkeypatch.setattr(LocalLibrary, "ingest", terminated_after_the_first_file)
    stopped = run("ingest", str(folder))
    assert stopped.exit_code == 128 + signal.SIGTERM
    assert "error: interrupted: 1 file stored before the stop stays searchable" in stopped.stderr
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # given back once it ended
    monkeypatch.setattr(LocalLibrary, "ingest", ingest)
    assert len(json.loads(run("docs", "list", "--json").stdout)["documents"]) == 1


def test_a_stopped_ingest_counts_unchanged_files_apart_and_keeps_the_report_s_shape(
        env, tmp_path: Path, monkeypatch) -> None:
    """Files found unchanged were not stored by this run; and a script reads the same keys
    from a stopped run's --json as from a whole one's."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in [("a", "owls hunt at night"), ("b", "bats sleep by day"),
                       ("gone", "moles dig tunnels")]:
        (folder / f"{name}.txt").write_text(f"The {text}.")
    assert run("ingest", str(folder)).exit_code == 0
    (folder / "gone.txt").unlink()
    for name in ("c", "d"):
        (folder / f"{name}.txt").write_text(f"The shed key {name} is blue.")
    from rag.cli.library import LocalLibrary

    ingest = LocalLibrary.ingest

    def terminated_after_the_first_file_stored(self, found, on_file, on_progress=None):
        def heard(result):
            on_file(result)
            if result["status"] == "ingested":
                os.kill(os.getpid(), signal.SIGTERM)

        return ingest(self, found, heard)

    monkeypatch.setattr(LocalLibrary, "ingest", terminated_after_the_first_file_stored)
    stopped = run("ingest", str(folder), "--json")
    assert stopped.exit_code == 128 + signal.SIGTERM
    assert "error: interrupted: 1 file stored before the stop stays searchable, and 2 files " \
           "found unchanged; no other file was stored" in " ".join(stopped.stderr.split())
    report = json.loads(stopped.stdout)
    assert report["not_on_disk"] == [str(folder / "gone.txt")]
    monkeypatch.setattr(LocalLibrary, "ingest", ingest)
    whole = json.loads(run("ingest", str(folder), "--json").stdout)
    assert set(report) == set(whole)


def test_ctrl_c_as_a_file_goes_live_counts_that_file(env, tmp_path: Path,
                                                     monkeypatch) -> None:
    """The stop is held until the file just made live has been reported, so that the last
    line counts every file stored."""
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    from rag.stores.base import ChunkStore

    activate = ChunkStore.activate

    def pressed_as_it_goes_live(self, doc_id: str, source: str, chunks: int) -> bool:
        replaced = activate(self, doc_id, source, chunks)
        os.kill(os.getpid(), signal.SIGINT)
        return replaced

    monkeypatch.setattr(ChunkStore, "activate", pressed_as_it_goes_live)
    stopped = run("ingest", str(folder))
    monkeypatch.setattr(ChunkStore, "activate", activate)
    assert stopped.exit_code == 130
    assert "error: interrupted: 1 file stored before the stop stays searchable; no other " \
           "file was stored" in stopped.stderr
    assert len(json.loads(run("docs", "list", "--json").stdout)["documents"]) == 1


def test_ctrl_c_again_while_a_local_ingest_stops_stops_at_once(env, tmp_path: Path,
                                                              monkeypatch) -> None:
    """The second Ctrl-C does not wait for the files being written: the last line says that
    some of them may have been stored."""
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    from rag.cli.library import LocalLibrary

    ingest = LocalLibrary.ingest

    def pressed_twice_after_the_first_file(self, found, on_file, on_progress=None):
        def heard(result):
            on_file(result)
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)

        return ingest(self, found, heard)

    monkeypatch.setattr(LocalLibrary, "ingest", pressed_twice_after_the_first_file)
    stopped = run("ingest", str(folder))
    assert stopped.exit_code == 130
    message = " ".join(stopped.stderr.split())
    assert "interrupted: 1 file stored before the stop stays searchable; Ctrl-C came again " \
           "while the files being written were ending: `rag docs list` shows which of them " \
           "were stored." in message
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def stop_after_the_first_local_file(monkeypatch: pytest.MonkeyPatch,
                                    stop: BaseException | type = KeyboardInterrupt) -> Callable:
    """Make the command's own ingest stop after its first file (Ctrl-C, or the error
    `stop`); the ingest it replaced."""
    from rag.cli.library import LocalLibrary

    ingest = LocalLibrary.ingest

    def pressed_after_the_first_file(self, found, on_file, on_progress=None):
        def heard(result):
            on_file(result)
            raise stop

        return ingest(self, found, heard)

    monkeypatch.setattr(LocalLibrary, "ingest", pressed_after_the_first_file)
    return ingest


def stop_after_the_first_file(door: Door, monkeypatch: pytest.MonkeyPatch,
                              stop: BaseException | type = KeyboardInterrupt) -> None:
    if door.engine is None:
        stop_after_the_first_local_file(monkeypatch, stop)
        return
    monkeypatch.setattr(remote, "BATCH_FILES", 1)  # one job a file: the first ends whole
    send = remote.EngineLibrary._ingest_batch
    sent: list[list[Path]] = []

    def pressed_in_the_second_job(self, batch, on_file, on_progress, more):
        sent.append(batch)
        if len(sent) > 1:
            raise stop
        return send(self, batch, on_file, on_progress, more)

    monkeypatch.setattr(remote.EngineLibrary, "_ingest_batch", pressed_in_the_second_job)



def test_an_ingest_cut_by_an_error_says_what_was_stored(door: Door, tmp_path: Path,
                                                        monkeypatch) -> None:
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    stop_after_the_first_file(door, monkeypatch, RagError(
        "The engine at http://127.0.0.1:1 stopped answering (ConnectError)."))
    cut = door.run("ingest", str(folder))
    assert cut.exit_code == 2
    lines = [" ".join(line.split()) for line in cut.stderr.splitlines()]
    assert lines[-2:] == [
        "Stored before the error, and searchable: 1 file. Run the command again to finish "
        "(stored files come back unchanged).",
        "error: The engine at http://127.0.0.1:1 stopped answering (ConnectError)."]

def test_an_ingest_cut_by_an_error_before_any_file_ended_prints_an_empty_report(
        door: Door, tmp_path: Path, monkeypatch) -> None:
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    error = RagError("The engine at http://127.0.0.1:1 stopped answering (ConnectError).")
    if door.engine is None:
        from rag.cli.library import LocalLibrary

        def failing(self, found, on_file, on_progress=None):
            raise error
        monkeypatch.setattr(LocalLibrary, "ingest", failing)
    else:
        def failing_batch(self, batch, on_file, on_progress, more):
            raise error
        monkeypatch.setattr(remote.EngineLibrary, "_ingest_batch", failing_batch)
    cut = door.run("ingest", str(folder), "--json")
    assert cut.exit_code == 2 and "stopped answering" in cut.stderr
    report = json.loads(cut.stdout)
    assert report["files"] == [] and report["totals"]["ingested"] == 0


def test_a_copy_taking_over_a_removed_file_s_document_says_so_through_either_door(
        door: Door, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("y.txt", "z.txt"):
        (folder / name).write_text("The lime bus runs on Mondays only.")
    assert door.run("ingest", str(folder)).exit_code == 0
    (folder / "y.txt").unlink()
    [moved] = json.loads(door.run("ingest", str(folder), "--json").stdout)["files"]
    assert moved["moved_from"] == str(folder / "y.txt")
    assert moved["error"].endswith(f"so the document now names {folder / 'z.txt'}")
    listed = json.loads(door.run("docs", "list", "--json").stdout)["documents"]
    assert [d["source"] for d in listed] == [str(folder / "z.txt")]


def test_ctrl_c_with_json_prints_the_files_that_ended(door: Door, tmp_path: Path,
                                                       monkeypatch) -> None:
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    stop_after_the_first_file(door, monkeypatch)
    stopped = door.run("ingest", str(folder), "--json")
    assert stopped.exit_code == 130
    assert "error: interrupted: 1 file stored before the stop" in stopped.stderr
    report = json.loads(stopped.stdout)
    [ended] = report["files"]
    assert ended["status"] == "ingested" and report["totals"]["files"] == 1
    listed = json.loads(door.run("docs", "list", "--json").stdout)["documents"]
    assert [d["source"] for d in listed] == [ended["path"]]  # what the report says is stored


def test_ctrl_c_on_a_question_to_an_engine_ends_quietly_with_130(env, tmp_path: Path, capsys,
                                                                 monkeypatch, request) -> None:
    """As the command says it without an engine: no traceback, and the line ended."""
    engine, _ = request.getfixturevalue("served")()
    engine.workspace.service.ingest_bytes("tea.txt", b"Tea is steeped for three minutes.",
                                          "upload:tea.txt")
    monkeypatch.setenv("RAG_DATA_DIR", str(engine.settings.data_dir))
    written: list[str] = []

    def write_then_stop(text: str) -> int:
        if len(written) == 1:  # the first words arrived; then the user pressed Ctrl-C
            written.append("^C")
            raise KeyboardInterrupt
        written.append(text)
        return len(text)

    monkeypatch.setattr(quick.sys.stdout, "write", write_then_stop)
    assert quick.answer_quickly(["ask", "How long is tea steeped?"]) == 130
    assert written[-2:] == ["^C", "\n"]  # the answer's line ended


def test_a_missing_collection_is_said_the_same_with_an_engine(env, tmp_path: Path, capsys,
                                                               monkeypatch, request) -> None:
    said = "error: There is no collection named 'nosuch' (there are: docs).\n"
    (tmp_path / "tea.txt").write_text("Tea is steeped for three minutes.")
    assert run("ingest", str(tmp_path / "tea.txt")).exit_code == 0  # makes `docs` here too
    alone = run("ask", "How long is tea steeped?", "--collection", "nosuch")
    assert alone.exit_code == 2 and alone.stderr == said
    engine, _ = request.getfixturevalue("served")()
    monkeypatch.setenv("RAG_DATA_DIR", str(engine.settings.data_dir))
    assert quick.answer_quickly(["ask", "How long is tea steeped?", "--collection",
                                 "nosuch"]) == 2  # `rag ask` goes this way to an engine
    assert capsys.readouterr().err == said
    # an empty name is a mistake, never the default collection
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    unnamed = run("ask", "How long is tea steeped?", "--collection", "")
    assert unnamed.exit_code == 2 and "'' is not a valid collection name" in unnamed.stderr
    monkeypatch.setenv("RAG_DATA_DIR", str(engine.settings.data_dir))
    assert quick.answer_quickly(["ask", "How long is tea steeped?", "--collection", ""]) == 2
    assert "'' is not a valid collection name" in capsys.readouterr().err


def test_a_misspelt_configured_collection_is_refused_not_made_empty(
        env, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "tea.txt").write_text("Tea is steeped for three minutes.")
    assert run("ingest", str(tmp_path / "tea.txt")).exit_code == 0
    monkeypatch.setenv("RAG_COLLECTION", "typo")
    said = "error: There is no collection named 'typo' (there are: docs).\n"
    for command in (["docs", "list"], ["search", "tea"], ["ask", "How long is tea steeped?"]):
        refused = run(*command)
        assert (refused.exit_code, refused.stderr) == (2, said), command
    monkeypatch.delenv("RAG_COLLECTION")
    listed = run("docs", "list", "--json")
    assert [d["source"] for d in json.loads(listed.stdout)["documents"]] == [
        str(tmp_path / "tea.txt")]
    assert "typo" not in {c.name for c in (Path(env["RAG_DATA_DIR"]) / "qdrant").rglob("*")}


def test_collections_are_listed_and_deleted_by_name(door: Door, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tea.txt").write_text("Tea is steeped for three minutes.")
    assert door.run("ingest", "--collection", "notes", str(folder)).exit_code == 0
    assert "notes" in json.loads(door.run("collections", "list", "--json").stdout)["collections"]
    assert door.run("collections", "delete", "notes").exit_code == 1  # not confirmed: kept
    gone = door.run("collections", "delete", "notes", "--yes")
    assert gone.exit_code == 0 and gone.stdout.strip() == "deleted collection notes"
    listed = json.loads(door.run("collections", "list", "--json").stdout)
    assert "notes" not in listed["collections"] and listed["configured"] == "docs"
    missing = door.run("collections", "delete", "notes")  # said before it is asked
    assert missing.exit_code == 2 and "There is no collection named 'notes'" in missing.stderr
    assert "Delete the collection" not in missing.stdout
    if door.engine is not None:  # the engine keeps the collection it answers from
        kept = door.run("collections", "delete", "docs", "--yes")
        assert kept.exit_code == 2 and "is the configured collection" in kept.stderr
        # the configured one is the engine's, whatever this command's RAG_COLLECTION says
        other = runner.invoke(app, ["collections", "list", "--json"], env={
            "RAG_DATA_DIR": str(door.data_dir), "RAG_COLLECTION": "elsewhere"})
        assert json.loads(other.stdout)["configured"] == "docs"


def test_a_collection_another_embedder_filled_is_deleted_unopened(env, monkeypatch,
                                                                   tmp_path: Path) -> None:
    """It cannot be opened with this embedder, and the message says how to delete it."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tea.txt").write_text("Tea is steeped for three minutes.")
    assert run("ingest", str(folder)).exit_code == 0
    monkeypatch.setenv("RAG_LOCAL_PRECISION", "fp32")  # another model to the store
    refused = run("docs", "list")
    assert refused.exit_code == 2 and "rag collections delete docs" in refused.stderr
    assert run("collections", "delete", "docs", "--yes").exit_code == 0
    assert run("collections", "list").stdout.startswith("No collections yet.")
    assert run("ingest", str(folder)).exit_code == 0  # made again, for this embedder


def test_a_first_run_makes_the_configured_collection(env, monkeypatch) -> None:
    monkeypatch.setenv("RAG_COLLECTION", "manuals")
    asked = run("ask", "How long is tea steeped?")
    assert asked.exit_code == 0 and "Ingest documents first" in asked.stdout


def test_a_hung_engine_is_said_not_waited_on(env, monkeypatch, capsys) -> None:
    """An engine that takes connections and never answers (stopped, deadlocked): a command
    other than an answer's stream says so once its reply is overdue."""
    from rag.engine import discovery

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel takes the connection; nobody reads it
    try:
        discovery.announce(Path(env["RAG_DATA_DIR"]),
                           f"http://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setattr(remote, "REQUEST_READ_SECONDS", 0.5)
        monkeypatch.setattr(quick, "REQUEST_READ_SECONDS", 0.5)
        monkeypatch.setattr(quick, "WAITING_NOTICE_SECONDS", 0.1)
        for command in (["docs", "list"], ["search", "tea"], ["ask", "How is tea made?"]):
            result = run(*command)
            assert result.exit_code == 2, command
            assert "did not answer within 0.5 s: it is hung or overloaded" in result.stderr
        # a question, as `rag ask` sends it straight to the engine, is not left silent while
        # it waits
        capsys.readouterr()
        assert quick.answer_quickly(["ask", "How is tea made?"]) == 2
        waited = capsys.readouterr().err
        assert "Waiting for the engine at http://127.0.0.1:" in waited
        assert waited.index("Waiting") < waited.index("did not answer within 0.5 s")
    finally:
        silent.close()


def test_an_answer_that_stops_midway_is_said_not_waited_on(env, monkeypatch, capsys) -> None:
    """An engine that starts an answer and then falls silent past its keep-alives: `rag ask`
    (its quick path, which asks nothing else) says so."""
    from rag.engine import discovery

    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(8)

    def start_then_hang() -> None:
        connection, _ = listening.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n")
        event = b'event: token\ndata: {"text": "Tea is "}\n\n'
        connection.sendall(b"%x\r\n%s\r\n" % (len(event), event))
        listening.accept()  # held open, silent, until the test ends
        connection.close()

    serving = threading.Thread(target=start_then_hang, daemon=True)
    serving.start()
    try:
        discovery.announce(Path(env["RAG_DATA_DIR"]),
                           f"http://127.0.0.1:{listening.getsockname()[1]}")
        monkeypatch.setattr(quick, "STREAM_SILENCE_SECONDS", 0.5)
        assert quick.answer_quickly(["ask", "How is tea made?"]) == 2
        said = capsys.readouterr()
        assert said.out.startswith("Tea is ")
        assert ("stopped sending its answer: nothing for 0.5 s: it is hung or overloaded"
                in said.err)
    finally:
        listening.close()


def test_a_name_that_is_not_utf8_fails_alone(door: Door, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / os.fsdecode(b"caf\xe9.txt")).write_text("Coffee is brewed at 94 degrees.")
    (folder / "tea.txt").write_text("Tea is steeped for three minutes.")
    done = door.run("ingest", str(folder), "--json")
    assert done.exit_code == 1
    files = json.loads(done.stdout)["files"]
    shown = f"{folder}/caf\\xe9.txt"  # the byte that is not UTF-8, escaped
    assert [(f["path"], f["status"]) for f in files] == [
        (shown, "failed"), (str(folder / "tea.txt"), "ingested")]
    assert files[0]["error"] == f"{shown}: its name is not valid UTF-8; rename it"
    again = door.run("ingest", str(folder))
    assert f"failed {shown}: its name is not valid UTF-8" in " ".join(again.stderr.split())
    assert "2 files: 0 ingested (0 chunks), 1 unchanged, 1 failed" in again.stderr
    # such a name was never stored: nothing to delete, nothing to search in
    unnamed = str(folder / os.fsdecode(b"caf\xe9.txt"))
    deleted = door.run("docs", "delete", unnamed)
    assert deleted.exit_code == 1
    assert deleted.stderr.strip() == f"error: no document with id or path {shown}"
    searched = door.run("search", "coffee", "--source", unnamed, "--json")
    assert searched.exit_code == 2 and searched.stdout == ""
    assert searched.stderr.startswith(f"error: no document with path {shown}: ")
    assert door.run("search", "tea", "--doc", unnamed).exit_code == 2


def test_an_empty_or_overlong_question_is_refused_alike_with_an_engine(door: Door) -> None:
    for command in ("ask", "search"):
        kind = "question" if command == "ask" else "query"
        empty = door.run(command, "")
        assert empty.exit_code == 2 and empty.stderr.startswith(f"error: The {kind} is empty")
        overlong = door.run(command, "tea " * 5001)
        assert overlong.exit_code == 2
        assert overlong.stderr.strip() == (f"error: The {kind} is too long: 20,004 characters, "
                                           "at most 20,000.")


def test_a_file_named_twice_is_stored_once_and_reported_twice(door: Door,
                                                                tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "w.txt").write_text("Windows are cleaned every spring.")
    done = door.run("ingest", str(folder), str(folder / "w.txt"), "--json")
    assert done.exit_code == 0
    report = json.loads(done.stdout)
    assert [(f["path"], f["status"]) for f in report["files"]] == [
        (str(folder / "w.txt"), "ingested"), (str(folder / "w.txt"), "unchanged")]
    assert report["totals"]["ingested"] == report["totals"]["unchanged"] == 1
    assert len(json.loads(door.run("docs", "list", "--json").stdout)["documents"]) == 1


def test_a_link_loop_or_a_broken_link_named_directly_fails_alone(door: Door,
                                                                  tmp_path: Path) -> None:
    (tmp_path / "loop.txt").symlink_to("loop.txt")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere" / "gone.txt")
    (tmp_path / "tea.txt").write_text("Tea is steeped for three minutes.")
    named = [str(tmp_path / name) for name in ("loop.txt", "gone.txt", "tea.txt")]
    done = door.run("ingest", *named, "--json")
    assert done.exit_code == 1
    files = json.loads(done.stdout)["files"]
    assert [(f["path"], f["status"]) for f in files] == [
        (named[0], "failed"), (named[1], "failed"), (named[2], "ingested")]
    assert files[0]["error"] == f"{named[0]}: a link loop (a link that leads back to itself)"
    # the link, by its name: `ls` lists it like a file
    assert files[1]["error"] == (f"{named[1]}: a broken link (to {tmp_path}/nowhere/gone.txt, "
                                 "which does not exist)")


@contextmanager
def a_writer_waiting_on(pipe: Path) -> Iterator[list[str]]:
    """A writer for the named pipe, so that a command opening it reads an empty file instead of
    waiting for ever; yields the list of the times it was opened (one entry each)."""
    opened: list[str] = []
    done = threading.Event()

    def write() -> None:
        while not done.is_set():
            with open(pipe, "wb"):  # waits for a reader
                opened.append("opened")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        yield opened
    finally:
        done.set()
        reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)  # lets the writer's open return
        writer.join(timeout=10)
        os.close(reader)
        opened.pop()  # the open just above


def test_a_named_pipe_is_never_opened(door: Door, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    pipe = folder / "pipe.txt"
    os.mkfifo(pipe)
    os.mkfifo(folder / "feed")  # special whatever its name says
    (folder / "tea.txt").write_text("Tea is steeped for three minutes.")
    with a_writer_waiting_on(pipe) as opened:
        in_folder = door.run("ingest", str(folder), "--json")
        named = door.run("ingest", str(pipe), "--json")
    assert opened == []
    assert in_folder.exit_code == 0  # in a folder it is skipped, as other files not read are
    report = json.loads(in_folder.stdout)
    assert [f["path"] for f in report["files"]] == [str(folder / "tea.txt")]
    assert report["skipped"] == [
        {"path": str(folder / "feed"), "reason": "special", "type": "(none)"},
        {"path": str(pipe), "reason": "special", "type": ".txt"}]
    assert named.exit_code == 1  # named directly, it fails
    [failed] = json.loads(named.stdout)["files"]
    assert failed["error"] == f"{pipe}: not a regular file (a named pipe)"


def too_long_to_list(parent: Path) -> Path:
    """A folder in `parent` whose path is longer than the system takes (PATH_MAX): it cannot
    be listed, not even by root."""
    path, fd = parent, os.open(parent, os.O_RDONLY)
    while len(os.fsencode(path)) < 4096:
        os.mkdir("d" * 200, dir_fd=fd)  # relative to the last one: its path would be too long
        inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        path, fd = path / ("d" * 200), inner
    os.close(fd)
    return path


def test_linked_and_unreadable_folders_are_listed_as_skipped(door: Door,
                                                             tmp_path: Path) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "tea.txt").write_text("Tea is steeped for three minutes.")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "coffee.txt").write_text("Coffee is brewed at 94 degrees.")
    (folder / "linked").symlink_to(tmp_path / "elsewhere")
    unlisted = too_long_to_list(folder)
    done = door.run("ingest", str(folder), "--json")
    assert done.exit_code == 0
    report = json.loads(done.stdout)
    assert [f["path"] for f in report["files"]] == [str(folder / "tea.txt")]
    assert report["skipped"] == [
        {"path": str(folder / "linked"), "reason": "symlink", "type": "folder"},
        {"path": str(unlisted), "reason": "unreadable", "type": "folder"}]
    assert report["totals"]["skipped"] == 0  # folders, not files
    human = door.run("ingest", str(folder))
    assert "skipped: 1 unreadable folder; 1 symlinked folder (not followed)" in human.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists a folder whatever its permissions "
                    "(test_linked_and_unreadable_folders_are_listed_as_skipped covers root)")
def test_a_folder_without_permission_is_listed_as_unreadable(env, tmp_path: Path) -> None:
    folder = tmp_path / "share"
    (folder / "locked").mkdir(parents=True)
    (folder / "tea.txt").write_text("Tea is steeped for three minutes.")
    (folder / "locked").chmod(0)
    try:
        done = run("ingest", str(folder), "--json")
    finally:
        (folder / "locked").chmod(0o755)
    assert done.exit_code == 0
    assert json.loads(done.stdout)["skipped"] == [
        {"path": str(folder / "locked"), "reason": "unreadable", "type": "folder"}]


def test_ingest_makes_its_collection_even_when_it_stores_nothing(door: Door,
                                                                 tmp_path: Path) -> None:
    """With an engine as without one: the collection is made on first use, files or none."""
    missing = door.run("ingest", str(tmp_path / "nothing-here"), "--collection", "ghost")
    assert missing.exit_code == 1
    listed = door.run("docs", "list", "--collection", "ghost")
    assert (listed.exit_code, listed.stdout) == (
        0, "No documents. Add some with `rag ingest PATH`.\n")


def test_two_ingests_making_one_collection_at_once_both_store(tmp_path: Path, monkeypatch,
                                                              request) -> None:
    """Through an engine, the other `rag ingest` makes it between this one's look and its
    own making (alone, the store's lock orders them)."""
    from rag.cli.remote import EngineLibrary

    engine, _ = request.getfixturevalue("served")()
    door = Door(engine.settings.data_dir, engine)
    asked = EngineLibrary._request

    def made_meanwhile(self, method: str, path: str, **kwargs):
        if (method, path) == ("POST", "/collections"):
            engine.workspace.create_collection(kwargs["json"]["name"])
        return asked(self, method, path, **kwargs)

    monkeypatch.setattr(EngineLibrary, "_request", made_meanwhile)
    (tmp_path / "tea.txt").write_text("Tea is steeped for three minutes.")
    done = door.run("ingest", str(tmp_path / "tea.txt"), "--collection", "fresh")
    assert done.exit_code == 0, done.stderr
    monkeypatch.setattr(EngineLibrary, "_request", asked)
    assert "tea.txt" in door.run("docs", "list", "--collection", "fresh").stdout


def test_a_misspelt_or_bad_collection_is_refused_not_made(env, tmp_path: Path) -> None:
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    assert run("ingest", str(folder), "--collection", "manuals").exit_code == 0  # made
    for command in (["search", "tyre"], ["ask", "What about tyres?"], ["docs", "list"]):
        missing = run(*command, "--collection", "manual")
        assert missing.exit_code == 2, command
        assert "There is no collection named 'manual' (there are: manuals)" in \
            missing.stderr
        other_case = run(*command, "--collection", "Manuals")
        assert other_case.exit_code == 2, command
        assert "names that differ only in case are one name: use 'manuals'." in \
            " ".join(other_case.stderr.split())
    assert not (Path(env["RAG_DATA_DIR"]) / "qdrant" / "edge" / "manual").exists()
    for bad in ("a b", "x" * 64, "../up", "über"):
        refused = run("docs", "list", "--collection", bad)
        assert refused.exit_code == 2 and "RAG_COLLECTION" not in refused.stderr
        assert f"'{bad}' is not a valid collection name: use 1 to 63 ASCII letters" in \
            " ".join(refused.stderr.split())


@pytest.mark.slow
def test_a_name_differing_only_in_case_is_the_same_collection(door: Door,
                                                               tmp_path: Path) -> None:
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    assert door.run("ingest", str(folder), "--collection", "manuals").exit_code == 0
    twin = door.run("ingest", str(folder), "--collection", "Manuals")
    assert twin.exit_code == 2
    assert ("A collection named 'manuals' already exists, and names that differ only in "
            "case are one name: use 'manuals'.") in " ".join(twin.stderr.split())
    assert not (door.data_dir / "qdrant" / "edge" / "Manuals").exists()
    assert door.run("ingest", str(folder), "--collection", "manuals").exit_code == 0



@pytest.mark.slow
def test_the_commands_own_request_settings_reach_a_running_engine(
        door: Door, tmp_path: Path, monkeypatch) -> None:
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    assert door.run("ingest", str(folder)).exit_code == 0
    assert len(json.loads(door.run("search", "kettle tyres", "--json").stdout)["hits"]) > 1
    monkeypatch.setenv("RAG_TOP_K", "1")  # set where the command runs, not the engine
    assert len(json.loads(door.run("search", "kettle tyres", "--json").stdout)["hits"]) == 1
    assert len(json.loads(door.run("ask", "How do I descale the kettle?", "--json").stdout)[
        "citations"]) == 1
    monkeypatch.setenv("RAG_SEARCH_MODE", "sparse")  # no word of it is in the library
    assert json.loads(door.run("search", "zyzzyva quokka", "--json").stdout)["hits"] == []


def test_a_file_that_fails_says_its_earlier_version_stays(door: Door, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("The spare key is under the blue pot.")
    assert door.run("ingest", str(notes)).exit_code == 0
    notes.write_bytes(b"v2\x00\x00 now a binary file")  # e.g. saved with a password since
    failed = json.loads(door.run("ingest", str(notes), "--json").stdout)["files"][0]
    assert failed["status"] == "failed" and failed["error"] == (
        f"{notes}: looks like a binary file, not text (the version stored before, 1 chunk, "
        "stays searchable until deleted: rag docs delete PATH)")
    assert json.loads(door.run("search", "spare key", "--json").stdout)["hits"]
    other = tmp_path / "other.txt"
    other.write_bytes(b"\x00 never stored")
    assert json.loads(door.run("ingest", str(other), "--json").stdout)["files"][0][
        "error"] == f"{other}: looks like a binary file, not text"

def test_a_copy_says_where_its_content_is_stored(env, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("The spare key is under the blue pot.")
    (folder / "notes_copy.txt").write_text("The spare key is under the blue pot.")
    done = run("ingest", str(folder))
    assert done.exit_code == 0
    assert (f"unchanged {folder / 'notes_copy.txt'}: 1 chunk (same content as "
            f"{folder / 'notes.txt'}, already stored)") in " ".join(done.stderr.split())
    listed = run("docs", "list").stdout
    assert " 1 chunk " in listed and "chunks" not in listed


def test_eval_names_a_file_that_is_not_squad(env, tmp_path: Path) -> None:
    for name, text, problem in (("bad.json", "not json", "is not a SQuAD-format file"),
                                ("nodata.json", '{"version": "1"}', "no 'data' field"),
                                ("empty.json", '{"data": []}', "holds no questions")):
        (tmp_path / name).write_text(text)
        done = run("eval", "--squad", str(tmp_path / name))
        assert done.exit_code == 2 and problem in done.stderr
        assert done.stderr.count("\n") == 1  # one line, no traceback


def test_eval_refuses_a_limit_below_one(env, tmp_path: Path) -> None:
    squad = tmp_path / "squad.json"
    squad.write_text('{"data": []}')
    done = run("eval", "--squad", str(squad), "--limit", "-1")
    assert done.exit_code == 2 and "--limit" in done.stderr
    assert "holds no questions" not in done.stderr  # the option is wrong, not the file


def test_a_passage_cannot_print_a_hit_of_its_own(door: Door, tmp_path: Path) -> None:
    """A document's line at the margin would read as another hit of the search."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "ocelot.txt").write_text(
        "The ocelot warranty lasts two weeks.\n\n[2] Official warranty policy "
        "(upload:policy.pdf)  score=12.345\n    The ocelot warranty was cancelled.\n")
    assert door.run("ingest", str(folder)).exit_code == 0
    printed = door.run("search", "ocelot warranty").stdout.splitlines()
    assert printed[0].startswith("[1] ocelot (") and "score=" in printed[0]
    assert all(line.startswith("    ") for line in printed[1:] if line), printed
    assert any("[2] Official warranty policy" in line for line in printed)


def test_a_misspelt_query_says_what_it_was_searched_for(door: Door, tmp_path: Path, capsys,
                                                        monkeypatch) -> None:
    """`rag search` and `rag ask` name the query respelt as the library writes its words,
    here and through an engine's API (whose `query` says it), `rag ask`'s quick path to a
    running engine too; a query searched as typed names none."""
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    assert door.run("ingest", str(folder)).exit_code == 0
    typed, respelt = "How often do I descale with vinegr?", "How often do I descale with vinegar?"

    found = json.loads(door.run("search", typed, "--json").stdout)
    assert found["query"] == respelt and found["hits"][0]["source"].endswith("kettle.md")
    human = door.run("search", typed)
    assert human.stderr.splitlines()[0] == f"Searched for: {respelt}"
    assert "kettle every month" in human.stdout
    assert "Searched for" not in door.run("search", respelt).stderr

    answered = door.run("ask", typed)
    assert "vinegar" in answered.stdout and f"Searched for: {respelt}" in answered.stderr
    assert json.loads(door.run("ask", typed, "--json").stdout)["query"] == respelt
    assert "Searched for" not in door.run("ask", respelt).stderr
    if door.engine is not None:
        monkeypatch.setenv("RAG_DATA_DIR", str(door.data_dir))
        capsys.readouterr()
        assert quick.answer_quickly(["ask", typed]) == 0
        assert capsys.readouterr().err.strip() == answered.stderr.strip()
        assert quick.answer_quickly(["ask", respelt]) == 0
        assert "Searched for" not in capsys.readouterr().err


def test_a_search_says_which_of_its_words_the_library_never_writes(
        door: Door, tmp_path: Path) -> None:
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    assert door.run("ingest", str(folder)).exit_code == 0
    found = json.loads(door.run("search", "descale the Kettlomatic", "--json").stdout)
    assert found["unheld"] == ["Kettlomatic"] and found["hits"]  # the closest, as ever
    human = door.run("search", "descale the Kettlomatic")
    assert "Your documents do not mention “Kettlomatic”." in human.stderr
    assert json.loads(door.run("search", "descale the kettle", "--json").stdout)["unheld"] == []


def test_search_ask_and_docs(env, tmp_path: Path) -> None:
    folder = corpus(tmp_path / "docs")
    (folder / "bad.pdf").unlink()
    assert run("ingest", str(folder)).exit_code == 0

    hits = json.loads(run("search", "tyre pressure", "--json", "--top-k", "2").stdout)["hits"]
    assert hits[0]["source"].endswith("bike.pdf") and hits[0]["page"] == 2
    assert set(hits[0]) >= {"doc_id", "source", "page", "chunk_id", "score", "text"}

    out = json.loads(run("ask", "How often should I descale the kettle?", "--json").stdout)
    assert out["generator"] == "extractive" and out["cached"] is False
    assert "vinegar" in out["answer"] and "[1]" in out["answer"]
    assert out["citations"][0]["source"].endswith("kettle.md")

    human = run("ask", "How often should I oil the chain?")
    assert "weekly" in human.stdout and "Sources:" in human.stdout and "page 2" in human.stdout
    assert "Extractive answer" in human.stderr

    listed = json.loads(run("docs", "list", "--json").stdout)["documents"]
    assert len(listed) == 2
    bike = next(d for d in listed if d["source"].endswith("bike.pdf"))
    deleted = run("docs", "delete", bike["doc_id"])
    assert deleted.exit_code == 0 and "deleted" in deleted.stdout
    assert len(json.loads(run("docs", "list", "--json").stdout)["documents"]) == 1
    assert run("docs", "delete", "no-such-doc").exit_code == 1


def test_rag_ask_lists_the_passages_it_cites_apart_from_those_only_retrieved(
        env, tmp_path: Path, capsys, monkeypatch, request) -> None:
    (tmp_path / "tea.txt").write_text(
        "Black tea is steeped for four minutes in hot water. Green tea is steeped for two "
        "minutes. Herbal tea is steeped for five minutes.")
    (tmp_path / "shed.txt").write_text("The shed key hangs on a hook by the door.")
    assert run("ingest", str(tmp_path)).exit_code == 0
    question = "How long is green tea steeped?"
    summary = json.loads(run("ask", question, "--json").stdout)
    assert len(summary["citations"]) == 2 and len(summary["cited"]) == 1
    uncited = cite(3 - summary["cited"][0], summary["citations"][2 - summary["cited"][0]])
    alone = run("ask", question).stdout
    assert alone.endswith(f"Also retrieved, not cited:\n  {uncited}\n")
    engine, _ = request.getfixturevalue("served")()
    engine.workspace.service.ingest([tmp_path / "tea.txt", tmp_path / "shed.txt"])
    monkeypatch.setenv("RAG_DATA_DIR", str(engine.settings.data_dir))
    assert quick.answer_quickly(["ask", question]) == 0  # `rag ask` through the engine
    assert capsys.readouterr().out.endswith(f"Also retrieved, not cited:\n  {uncited}\n")


def test_errors_are_one_clear_line(env) -> None:
    result = run("search", "word " * 300)
    assert result.exit_code == 2
    assert "at most 256" in result.stderr and "Traceback" not in result.stderr


def test_a_tables_row_is_quoted_with_what_its_figures_are(env, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kettles.md").write_text(
        "# Kettles\n\n| Model | Capacity | Price |\n|---|---|---|\n"
        "| K200 | 1.7 litres | $39 |\n| T50 | 0.5 litres | $25 |\n")
    (docs / "lamps.html").write_text(
        "<html><body><h1>Lamps</h1><table><tr><th>Lamp</th><th>Wattage</th><th>Price</th>"
        "</tr><tr><td>L10</td><td>9 W</td><td>$12</td></tr><tr><td>L20</td><td>14 W</td>"
        "<td>$18</td></tr></table></body></html>")
    assert run("ingest", str(docs)).exit_code == 0
    kettle = run("ask", "What is the price of the T50 kettle?").stdout
    assert "Model: T50; Capacity: 0.5 litres; Price: $25" in kettle
    lamp = run("ask", "What wattage is the L20 lamp?").stdout
    assert "Lamp: L20; Wattage: 14 W; Price: $18" in lamp


def test_file_names_and_messages_are_not_read_as_markup(env, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "[draft] kettle.md").write_text("# Kettle\n\nDescale monthly.")
    (folder / "[bold]oops.pdf").write_bytes(b"not a pdf")
    result = run("ingest", str(folder))
    assert result.exit_code == 1
    assert "[draft] kettle.md" in result.stderr
    assert "[bold]oops.pdf: named .pdf but is not a PDF file" in result.stderr
    assert result.stderr.count("[bold]oops.pdf") == 1  # the path is not printed twice
    assert "2 files: 1 ingested" in result.stderr



@pytest.mark.slow
def test_control_characters_in_a_name_are_printed_as_escapes(door: Door, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "red\x1b[31mname.txt").write_text("Coffee is brewed at 94 degrees.")
    (folder / "x\n ingested forged.pdf: 99 chunks\ny.txt").write_text("Tea is steeped.")
    done = door.run("ingest", str(folder))
    assert done.exit_code == 0 and "\x1b" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 3 and "red\\x1b[31mname.txt: 1 chunk" in lines[0]
    assert "x\\n ingested forged.pdf: 99 chunks\\ny.txt: 1 chunk" in lines[1]
    listed = door.run("docs", "list").stdout
    assert "\x1b" not in listed and len(listed.splitlines()) == 2
    found = door.run("search", "steeped").stdout
    assert "\x1b" not in found and "forged.pdf: 99 chunks\\ny.txt)" in found
    deleted = door.run("docs", "delete", str(folder / "red\x1b[31mname.txt")).stdout
    assert "\x1b" not in deleted and deleted.rstrip().endswith("red\\x1b[31mname.txt")


def test_a_right_to_left_override_in_a_name_is_printed_as_its_escape(door: Door,
                                                                       tmp_path: Path) -> None:
    """U+202E would draw "invoice\u202efdp.txt" as "invoicetxt.pdf", and reverse the rest of
    the line ("1 chunk") after it."""
    (tmp_path / "invoice\u202efdp.txt").write_text("Pay within thirty days.")
    done = door.run("ingest", str(tmp_path / "invoice\u202efdp.txt"))
    assert done.exit_code == 0 and "invoice\\u202efdp.txt: 1 chunk" in done.stderr
    assert "\u202e" not in done.stderr
    for listing in (door.run("docs", "list").stdout, door.run("search", "thirty").stdout):
        assert "invoice\\u202efdp.txt" in listing and "\u202e" not in listing


def test_a_name_is_deleted_as_docs_list_shows_it_escaped(door: Door, tmp_path: Path) -> None:
    """A name holding a control character is listed with it escaped (`\\u202e`, `\\x1b`):
    that is the form copied from the list, and it names the document. A backslash that is
    no such escape stays as typed."""
    for name in ("résumé \u202etxt.md", "red\x1b[31mname.txt"):
        (tmp_path / name).write_text(f"The file {len(name)} holds notes.")
        assert door.run("ingest", str(tmp_path / name)).exit_code == 0
    listed = [re.search(r"chunks?  (.+)$", line).group(1)  # type: ignore[union-attr]
              for line in door.run("docs", "list").stdout.splitlines()]
    assert len(listed) == 2 and all("\\" in shown for shown in listed)
    for shown in listed:
        deleted = door.run("docs", "delete", shown)
        assert deleted.exit_code == 0, deleted.stderr
    assert door.run("docs", "list", "--json").stdout.count("doc_id") == 0


@pytest.mark.parametrize(("typed", "meant"), [
    ("upload:résumé \\u202etxt.md", "upload:résumé \u202etxt.md"),
    ("red\\x1b[31m\\nname.txt", "red\x1b[31m\nname.txt"),
    ("C:\\users\\x41\\u00e9", "C:\\users\\x41\\u00e9"),  # no control: as typed
])
def test_a_name_shown_escaped_is_read_back_as_its_characters(typed: str, meant: str) -> None:
    from rag.text.controls import escaped_controls, unescaped_controls

    assert unescaped_controls(typed) == meant
    assert unescaped_controls(escaped_controls(meant)) == meant


def test_python_m_ingest_names_itself_as_typed(env) -> None:
    shown = subprocess.run([sys.executable, "-m", "ingest", "--help"], capture_output=True,
                           text=True, env={**os.environ, **env, "COLUMNS": "100"}, check=True)
    assert "Usage: python -m ingest [OPTIONS]" in shown.stdout
    assert "ingest ingest" not in shown.stdout  # which would read a folder named "ingest"

def test_an_ingest_summary_groups_every_count_by_thousands() -> None:
    from rag.cli.main import ingest_summary

    assert ingest_summary({"files": 2000, "ingested": 1200, "chunks": 48000,
                           "unchanged": 1000, "failed": 3000}) == (
        "2,000 files: 1,200 ingested (48,000 chunks), 1,000 unchanged, 3,000 failed")


def test_counts_of_one_are_singular(env, tmp_path: Path) -> None:
    folder = corpus(tmp_path / "docs")
    result = run("ingest", str(folder / "kettle.md"))
    assert result.exit_code == 0
    assert "kettle.md: 1 chunk\n" in result.stderr
    assert "1 file: 1 ingested (1 chunk), 0 unchanged, 0 failed" in result.stderr


def test_a_web_address_is_a_usage_error_before_anything_is_read(env, tmp_path: Path) -> None:
    folder = corpus(tmp_path / "docs")
    result = run("ingest", str(folder / "kettle.md"), "https://example.com/manual.pdf")
    assert result.exit_code == 2
    message = " ".join(result.stderr.replace("│", " ").split())
    assert "https://example.com/manual.pdf is a web address" in message
    assert json.loads(run("docs", "list", "--json").stdout) == {"documents": []}


@pytest.mark.parametrize(("typed", "meant"), [
    ("list", "'rag collections list' or 'rag docs list'"),
    ("delete", "'rag collections delete' or 'rag docs delete'"),
])
def test_a_groups_command_typed_without_its_group_is_named_where_it_is(
        env, typed: str, meant: str) -> None:
    result = run(typed)
    assert result.exit_code == 2
    message = " ".join(result.stderr.replace("│", " ").split())
    assert f"No such command '{typed}'. Did you mean {meant}?" in message


@pytest.mark.parametrize(("typed", "meant"), [
    ("lst", "Did you mean 'rag collections list' or 'rag docs list'?"),
    ("delet", "Did you mean 'rag collections delete' or 'rag docs delete'?"),
    ("docs lst", "Did you mean 'list'?"),
    ("collections dlete", "Did you mean 'delete'?"),
    ("keys ad alice", "Did you mean 'add'?"),
    ("serch kettle", "Did you mean 'search'?"),
])
def test_a_misspelt_command_is_offered_the_close_ones_wherever_they_are(
        env, typed: str, meant: str) -> None:
    words = typed.split()
    misspelt = next(word for word in words if word not in {"docs", "collections", "keys"})
    result = run(*words)
    assert result.exit_code == 2
    message = " ".join(result.stderr.replace("│", " ").split())
    assert f"No such command '{misspelt}'. {meant}" in message


def test_a_command_spelt_like_nothing_is_offered_nothing(env) -> None:
    result = run("xyzzy")
    assert result.exit_code == 2
    assert "Did you mean" not in result.stderr


def test_a_misspelt_command_is_still_offered_the_one_spelt_alike(env) -> None:
    result = run("documents")
    assert result.exit_code == 2
    assert "Did you mean 'docs'?" in " ".join(result.stderr.replace("│", " ").split())


def python_m_rag(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **env}, check=False)


@pytest.mark.slow
def test_an_ingest_stopped_mid_embedding_ends_without_a_logging_error(
        env, standin: StandIn, tmp_path: Path) -> None:
    """Embedding calls still in flight when Ctrl-C closes the service finish afterwards; the
    call they log must not meet a closed metrics database."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(8):
        (folder / f"manual{n}.md").write_text(f"# Manual {n}\n\n" + " ".join(
            f"Step {i}: descale kettle {n} with vinegar." for i in range(300)))
    standin.latency = 1.0
    remote = {**os.environ, **env, "RAG_EMBEDDER": "openai",
              "OPENAI_BASE_URL": f"{standin.url}/v1", "RAG_OPENAI_EMBEDDING_DIMENSION": "768"}
    # run by a script, as a loop over folders would: Ctrl-C reaches the whole process group
    script = f'"{sys.executable}" -m rag ingest "{folder}"; echo "the script went on"'
    ingest = subprocess.Popen(["bash", "-c", script], env=remote, start_new_session=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while not standin.requests_to("openai") and ingest.poll() is None:
            threading.Event().wait(0.05)
        os.killpg(ingest.pid, signal.SIGINT)  # requests are in flight: each takes a second
        stdout, stderr = ingest.communicate(timeout=120)
    finally:
        ingest.kill()
    # the command ended by SIGINT itself, not by an exit of 130: only then does the shell
    # stop the script running it
    assert ingest.returncode == -signal.SIGINT and "went on" not in stdout, stderr
    assert "Logging error" not in stderr and "closed database" not in stderr


@pytest.mark.slow
def test_ctrl_c_twice_ends_a_local_ingest_soon_and_quietly(env, embedder,
                                                           tmp_path: Path) -> None:
    """The first Ctrl-C stops the embedding threads too, so the command ends soon after its
    last line; pressed again while it ends, it ends at once, without a traceback."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a-short.md").write_text("# Kettle\n\nDescale the kettle every month.")
    for n in range(3):  # long enough to be embedding still when the stop comes
        (folder / f"manual{n}.md").write_text(f"# Manual {n}\n\n" + " ".join(
            f"Step {i}: descale kettle {n} with {i % 7} cups of vinegar, then rinse it "
            f"{i % 5} times." for i in range(2000)))
    with subprocess.Popen([sys.executable, "-m", "rag", "ingest", str(folder)],
                          env={**os.environ, **env}, stderr=subprocess.PIPE, text=True) as ingest:
        assert ingest.stderr is not None
        lines = iter(ingest.stderr.readline, "")
        next(line for line in lines if "ingested" in line)
        ingest.send_signal(signal.SIGINT)
        next(line for line in lines if "interrupted" in line)
        said = time.monotonic()
        time.sleep(0.3)
        ingest.send_signal(signal.SIGINT)  # an impatient user presses it again
        ingest.wait(timeout=60)
        took = time.monotonic() - said
        rest = ingest.stderr.read()
    assert ingest.returncode == -signal.SIGINT
    assert "Traceback" not in rest and "Exception ignored" not in rest, rest
    assert took < 2.0


def test_the_app_refuses_a_bad_key_setting_in_one_line_before_it_starts(env) -> None:
    done = subprocess.run([sys.executable, "-m", "rag", "ui", "--port", "8698"],
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, **env, "RAG_API_KEYS": "alice"})
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: RAG_API_KEYS holds user:key pairs separated by "
                                   "commas, e.g. alice:KEY,bob:KEY.")


def test_the_app_says_in_one_line_that_another_process_holds_the_store(env) -> None:
    """A second engine on a folder whose server.json is gone (deleted, or an engine started
    with `streamlit run`) stops at its start-up on the store's lock."""
    from rag.stores.edge import EdgeClient

    holder = EdgeClient(Path(env["RAG_DATA_DIR"]) / "qdrant")
    try:
        done = subprocess.run([sys.executable, "-m", "rag", "ui", "--port", str(free_port())],
                              capture_output=True, text=True, timeout=120, check=False,
                              env={**os.environ, **env})
    finally:
        holder.close()
    assert done.returncode == 2 and "Traceback" not in done.stderr + done.stdout
    assert done.stderr.strip().splitlines()[-1].startswith(
        "error: The embedded Qdrant store at ")
    assert "is open in another process" in done.stderr


def test_the_app_serves_this_machine_only_unless_told(env, monkeypatch) -> None:
    """The chat has no keys of its own: the network is a choice, made with --host."""
    started: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _, argv: started.append(argv))
    assert run("ui", "--port", "8695").exit_code == 0
    assert run("ui", "--port", "8695", "--host", "0.0.0.0").exit_code == 0
    monkeypatch.setenv("STREAMLIT_SERVER_ADDRESS", "0.0.0.0")  # Streamlit's own variable
    assert run("ui", "--port", "8695").exit_code == 0
    addresses = [argv[argv.index("--server.address") + 1] for argv in started]
    assert addresses == ["127.0.0.1", "0.0.0.0", "0.0.0.0"]


def test_the_app_on_every_interface_warns_when_anyone_may_change_the_library(
        env, monkeypatch) -> None:
    """API keys do not guard the chat: on the network, without RAG_EDITORS, whoever opens it
    may upload and delete. Said at start, where the one who chose --host reads it."""
    started: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _, argv: started.append(argv))
    monkeypatch.setenv("RAG_API_KEYS", "alice:a-key-of-alice-0123456789")
    exposed = run("ui", "--port", "8695", "--host", "0.0.0.0")
    assert exposed.exit_code == 0
    assert ("warning: the chat at 0.0.0.0 lets whoever opens it upload and delete documents "
            "(API keys guard only the API): set RAG_EDITORS") in exposed.output
    monkeypatch.setenv("RAG_EDITORS", "alice")
    assert "warning" not in run("ui", "--port", "8695", "--host", "0.0.0.0").output
    monkeypatch.delenv("RAG_EDITORS")
    assert "warning" not in run("ui", "--port", "8695").output  # this machine only
    own = started[-1]
    assert own[own.index("--server.allowedHosts") + 1] == "localhost"
    assert "--server.allowedHosts" not in started[0]


def test_the_app_on_a_taken_port_says_so_in_one_line(env) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "rag", "ui", "--port", str(port)],
                              capture_output=True, text=True, timeout=60, check=False,
                              env={**os.environ, **env})
    assert done.returncode == 2
    assert done.stderr.strip() == (f"error: Port {port} is in use by another program: choose "
                                   "another with --port, or stop that program.")


@pytest.mark.slow
def test_python_m_rag_runs_a_real_ingest_with_its_exit_code(env, tmp_path: Path) -> None:
    """`python -m rag` (the console script's module) in its own process: the parse worker
    starts from it, the exit code says a file failed, and what it stored is still there for
    the next process although the first one skipped the interpreter's teardown."""
    folder = corpus(tmp_path / "docs")
    first = python_m_rag(env, "ingest", str(folder), "--json")
    assert first.returncode == 1, first.stderr
    assert json.loads(first.stdout)["totals"]["ingested"] == 2

    (folder / "bad.pdf").unlink()
    second = python_m_rag(env, "ingest", str(folder), "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["totals"]["unchanged"] == 2
    bad_option = python_m_rag(env, "search", "tyres", "--top-k", "many")
    assert bad_option.returncode == 2 and "--top-k" in bad_option.stderr

    asked = python_m_rag(env, "ask", "How often should the kettle be descaled?")
    assert asked.returncode == 0 and "every month" in asked.stdout, asked.stderr
    # the request's metrics row was committed, and the database closed cleanly (no WAL left)
    data = Path(env["RAG_DATA_DIR"])
    assert not (data / "metrics.sqlite3-wal").exists()
    db = sqlite3.connect(data / "metrics.sqlite3")
    try:
        assert db.execute("SELECT outcome FROM requests").fetchall() == [("ok",)]
    finally:
        db.close()


def test_exit_status_is_pythons_own() -> None:
    from rag.__main__ import exit_status

    assert [exit_status(code) for code in (None, 0, 1, 2, "a message")] == [0, 0, 1, 2, 1]


def test_the_entry_module_imports_no_cli_packages() -> None:
    """A spawned worker re-imports the script that started its parent; with the console
    script importing `rag.__main__`, that costs it nothing."""
    code = ("import sys, rag.__main__; "
            "print(sorted({'typer', 'rich', 'pydantic'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_first_run_prints_no_log_records(embedder, model_dir: Path, tmp_path: Path) -> None:
    """The first run quantizes the model, and onnxruntime logs through the root logger: that
    must not leave a console handler printing our INFO records ("INFO:rag.guard:{...}")."""
    fresh_models = tmp_path / "models"
    fresh_models.mkdir()
    for built in model_dir.glob("*.fp32.onnx"):
        (fresh_models / built.name).write_bytes(built.read_bytes())
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bell.txt").write_text("The bell\x07 rings at noon every day.")  # cleaned: logged
    done = python_m_rag({"RAG_DATA_DIR": str(tmp_path / "data"),
                         "RAG_MODEL_DIR": str(fresh_models)}, "ingest", str(folder))
    assert done.returncode == 0, done.stderr
    assert list(fresh_models.glob("*.int8.onnx"))  # this run quantized it
    assert "INFO" not in done.stderr and "WARNING" not in done.stderr, done.stderr
    log = (tmp_path / "data" / "logs" / "rag.jsonl").read_text()
    assert '"sanitized"' in log  # the record went to the log file, where it belongs


def test_the_command_list_gives_each_command_one_line_and_a_flag_takes_no_value() -> None:
    listing = run("--help").stdout
    commands = listing[listing.index("Commands:"):].splitlines()[1:]
    names = [line.split()[0] for line in commands if line.startswith("  ") and line[2] != " "]
    assert {"ingest", "search", "ask", "eval", "ui", "docs", "keys", "cost"} <= set(names)
    summary = next(line for line in commands if line.split()[:1] == ["ingest"])
    assert summary.split("ingest", 1)[1].strip().endswith(".")
    # shown as taking a value, `--json true docs` would ingest a file named "true"
    options = run("ingest", "--help").stdout
    assert re.search(r"^  --json +Print one JSON object", options, re.M), options
    assert "<bool>" not in options + run("eval", "--help").stdout + run("cost", "report",
                                                                         "--help").stdout


def test_the_app_refuses_a_bad_redis_url_in_one_line_without_its_password(env) -> None:
    done = subprocess.run([sys.executable, "-m", "rag", "ui", "--port", "8696"],
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, **env,
                               "RAG_REDIS_URL": "http://admin:s3cret@cache:6379/0"})
    assert done.returncode == 2 and "s3cret" not in done.stderr
    assert done.stderr.strip() == (
        "error: Invalid setting: RAG_REDIS_URL: use a redis://, rediss:// or "
        "unix:// URL, e.g. redis://localhost:6379/0 (got 'http://***@cache:6379/0'). "
        "See docs/configuration.md.")


@pytest.mark.parametrize(("user", "said"), [
    ("#comment", "cannot start with '#'"), ("#", "cannot start with '#'"),
    ("tab\there", "one word"), ("bell\x07", "one word"), ("", "one word"),
    ("local", "'local' is taken"), ("anonymous", "'anonymous' is taken"),
    ("ops,admin", "RAG_EDITORS could never name it")])
def test_keys_add_refuses_a_name_the_keys_file_would_not_read_back(env, user: str,
                                                                    said: str) -> None:
    result = run("keys", "add", user)
    assert result.exit_code == 2 and result.stdout == ""  # no key printed
    assert said in result.stderr and "Traceback" not in result.stderr
    keys_file = Path(env["RAG_DATA_DIR"]) / "api_keys"
    assert not keys_file.exists() or keys_file.read_text() == ""


@pytest.mark.parametrize("where", ["a folder", "under a file"])
def test_keys_add_to_a_keys_file_it_cannot_write_says_so_in_one_line(
        env, tmp_path: Path, monkeypatch, where: str) -> None:
    (tmp_path / "plain").write_text("x")
    target = tmp_path if where == "a folder" else tmp_path / "plain" / "keys"
    monkeypatch.setenv("RAG_API_KEYS_FILE", str(target))
    result = run("keys", "add", "bob")
    assert result.exit_code == 2 and result.stdout == ""
    why = "Is a directory" if where == "a folder" else f"{tmp_path / 'plain'} is a file"
    assert result.stderr == (f"error: Cannot write the API keys file {target} ({why}); fix "
                             "RAG_API_KEYS_FILE.\n")


def test_a_key_from_keys_add_names_its_user_when_read_back(env) -> None:
    from rag.engine.access import ApiKeys
    from rag.settings import load_settings

    keys = {user: run("keys", "add", user).stdout.strip() for user in ("ci:bot", "ünï", "a#b")}
    read = ApiKeys.from_settings(load_settings())
    assert {user: read.user_of(key) for user, key in keys.items()} == {
        "ci:bot": "ci:bot", "ünï": "ünï", "a#b": "a#b"}


def test_what_the_command_writes_is_its_owners_alone_in_a_shared_data_folder(
        env, tmp_path: Path) -> None:
    """A data folder others may read (the checkout's ./data is 0755) still keeps the store,
    the cache and the logs from them: everything inside is made for its owner alone."""
    shared = tmp_path / "open-data"
    shared.mkdir(mode=0o755)
    docs = corpus(tmp_path / "docs")
    previous = os.umask(0o022)  # the usual umask, inherited by the command
    try:
        done = python_m_rag({**env, "RAG_DATA_DIR": str(shared)}, "ingest",
                            str(docs / "kettle.md"))
    finally:
        os.umask(previous)
    assert done.returncode == 0, done.stderr
    readable = [str(path.relative_to(shared)) for path in shared.rglob("*")
                if path.stat().st_mode & 0o077]
    assert not readable, readable
    assert shared.stat().st_mode & 0o777 == 0o755  # its owner's choice, left as it was


def test_a_new_data_folder_is_its_owners_alone(env, tmp_path: Path) -> None:
    """It holds the documents' text, the uploads and every user's questions; one made before
    keeps the permissions its owner gave it."""
    previous = os.umask(0o022)
    try:
        docs = corpus(tmp_path / "docs")
        assert run("ingest", str(docs / "kettle.md")).exit_code == 0
        assert Path(env["RAG_DATA_DIR"]).stat().st_mode & 0o777 == 0o700
        shared = tmp_path / "shared"
        shared.mkdir(mode=0o750)
        result = runner.invoke(app, ["ingest", str(docs / "kettle.md")],
                               env={"RAG_DATA_DIR": str(shared)})
        assert result.exit_code == 0 and shared.stat().st_mode & 0o777 == 0o750
    finally:
        os.umask(previous)


def test_a_misspelt_setting_is_warned_of_before_the_command_runs(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["docs", "list"], env={"RAG_TOPK": "3"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ("warning: RAG_TOPK is not a setting and is ignored: did you mean RAG_TOP_K?"
            in result.stderr)
    assert "warning" not in run("docs", "list").stderr


def test_a_misspelt_setting_is_warned_of_with_an_engine_too(env, tmp_path: Path, request,
                                                             monkeypatch, capsys) -> None:
    """`rag ask` through a running engine takes its quick path only when every `RAG_*` name
    is a setting; otherwise the full command warns, then asks the engine all the same."""
    engine, _ = request.getfixturevalue("served")()
    engine.workspace.service.ingest_bytes("tea.txt", b"Tea is steeped for three minutes.",
                                          "upload:tea.txt")
    monkeypatch.setenv("RAG_DATA_DIR", str(engine.settings.data_dir))
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("RAG_TOP_K=3\n")
    assert quick.answer_quickly(["ask", "How long is tea steeped?"]) == 0
    assert "three minutes" in capsys.readouterr().out
    for where in ("environment", ".env"):
        if where == "environment":
            monkeypatch.setenv("RAG_TOPK", "3")
        else:
            monkeypatch.delenv("RAG_TOPK")
            (tmp_path / ".env").write_text("RAG_TOP_K=3\nRAG_TOPK=3\n")
        assert quick.answer_quickly(["ask", "How long is tea steeped?"]) is None, where
        result = run("ask", "How long is tea steeped?")
        assert result.exit_code == 0 and "three minutes" in result.stdout, where
        assert "RAG_TOPK" in result.stderr and "did you mean RAG_TOP_K?" in result.stderr


def test_the_quick_path_knows_every_setting_name() -> None:
    from rag.setting_variables import SETTING_VARIABLES
    from rag.settings import _known_variables

    assert _known_variables() == SETTING_VARIABLES


def warnings_with(variables: dict[str, str]) -> str:
    """What `rag docs list` says on stderr with `variables` set; it still lists."""
    result = runner.invoke(app, ["docs", "list"], env=variables, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stderr


@pytest.mark.parametrize(("variables", "warning"), [
    ({"RAG_ENRICH": "true"},
     "warning: RAG_ENRICH is on, but the extractive generator cannot describe documents"),
    # a safety setting believed on, but without effect
    ({"RAG_CONTENT_FILTER_ANSWERS": "true"},
     "warning: RAG_CONTENT_FILTER_ANSWERS is on, but only Llama Guard checks answers and "
     "RAG_CONTENT_FILTER is rules: answers are not checked.")])
def test_a_setting_the_others_leave_without_effect_is_warned_of(
        env: dict[str, str], variables: dict[str, str], warning: str) -> None:
    assert warning in warnings_with(variables)


def test_answer_checks_with_llama_guard_are_not_warned_of(env: dict[str, str]) -> None:
    assert "RAG_CONTENT_FILTER_ANSWERS" not in warnings_with(
        {"RAG_CONTENT_FILTER_ANSWERS": "true", "RAG_CONTENT_FILTER": "llama-guard",
         "CLOUDFLARE_ACCOUNT_ID": "0123456789abcdef0123456789abcdef",
         "CLOUDFLARE_API_TOKEN": "a-token-never-used-by-docs-list"})


def test_two_libraries_sharing_a_cache_never_answer_from_each_other(
        tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each library's collection is made afresh ("docs", version 1 after one ingest): the
    same question must not replay the other's answer, citing a file this one lacks."""
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "shared-cache"))
    for name, code in (("one", "ALPHA-7"), ("two", "BETA-9")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / f"{name}.txt").write_text(f"The secret launch code is {code}.\n")
        monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / f"data-{name}"))
        assert runner.invoke(app, ["ingest", str(folder)]).exit_code == 0
        for asked in range(2):
            result = runner.invoke(app, ["ask", "What is the secret launch code?", "--json"])
            answer = json.loads(result.stdout)
            assert code in answer["answer"] and answer["cached"] == (asked == 1), answer
            assert [c["source"] for c in answer["citations"]] == [str(folder / f"{name}.txt")]


def test_a_data_folder_under_the_home_folder_is_one_place_for_every_part(
        tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`~` as a .env or unit file gives it, with no shell to expand it."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RAG_DATA_DIR", "~/library")
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["ingest", str(corpus(tmp_path / "docs"))]).exit_code == 1  # bad.pdf
    assert runner.invoke(app, ["ask", "How do I descale the kettle?"]).exit_code == 0
    library = tmp_path / "home" / "library"
    assert {"qdrant", "cache", "logs"} <= {p.name for p in library.iterdir()}
    assert not (tmp_path / "~").exists()


def test_a_flag_stands_in_for_the_bad_setting_it_overrides(door: Door, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A setting mistyped in the environment or .env stops every command that reads it, but
    a flag that gives the value instead is the way round it until the file is fixed."""
    door.run("ingest", str(corpus(tmp_path / "docs")))
    monkeypatch.setenv("RAG_TOP_K", "abc")
    monkeypatch.setenv("RAG_SEARCH_MODE", "fancy")
    refused = door.run("search", "descale the kettle")
    assert refused.exit_code == 2 and "Invalid setting: RAG_" in refused.stderr
    found = door.run("search", "--top-k", "1", "--mode", "sparse", "--json", "descale kettle")
    assert found.exit_code == 0, found.stderr
    assert [hit["title"] for hit in json.loads(found.stdout)["hits"]] == ["Kettle manual"]
    monkeypatch.delenv("RAG_SEARCH_MODE")
    monkeypatch.setenv("RAG_ANSWER_STRATEGY", "bogus")
    answered = door.run("ask", "--top-k", "1", "--strategy", "single", "--json",
                        "How often do I descale the kettle?")
    assert answered.exit_code == 0, answered.stderr
    assert "every month" in json.loads(answered.stdout)["answer"]
    refused = door.run("ask", "--top-k", "1", "How often do I descale the kettle?")
    assert refused.exit_code == 2 and "RAG_ANSWER_STRATEGY" in refused.stderr


def test_collection_flag_stands_in_for_a_mistyped_collection_setting(
        door: Door, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_COLLECTION", "my docs")  # no collection can be named so
    refused = door.run("docs", "list")
    assert refused.exit_code == 2 and "Invalid setting: RAG_COLLECTION" in refused.stderr
    ingested = door.run("ingest", "--collection", "docs", str(corpus(tmp_path / "docs")))
    assert ingested.exit_code == 1, ingested.stderr  # bad.pdf fails, the others are stored
    listed = door.run("docs", "list", "--collection", "docs")
    assert listed.exit_code == 0 and "kettle.md" in listed.stdout, listed.stderr
    found = door.run("search", "--collection", "docs", "--json", "descale kettle")
    assert found.exit_code == 0, found.stderr
    assert json.loads(found.stdout)["hits"][0]["title"] == "Kettle manual"
    answered = door.run("ask", "--collection", "docs", "How often do I descale the kettle?")
    assert answered.exit_code == 0 and "every month" in answered.stdout, answered.stderr


def test_spaces_around_the_data_folder_setting_name_the_same_library_for_every_command(
        door: Door, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As `rag ask` through an engine reads it: kept, they would name a second, empty
    library beside the real one."""
    assert door.run("ingest", str(corpus(tmp_path / "docs"))).exit_code == 1  # bad.pdf
    spaced = {"RAG_DATA_DIR": f" {door.data_dir} "}
    listed = runner.invoke(app, ["docs", "list"], env=spaced, catch_exceptions=False)
    assert listed.exit_code == 0 and "kettle.md" in listed.stdout, listed.stderr
    found = runner.invoke(app, ["search", "descale kettle"], env=spaced,
                          catch_exceptions=False)
    assert found.exit_code == 0 and "Kettle manual" in found.stdout, found.stderr
    assert {p.name for p in door.data_dir.parent.iterdir()
            if p.name.strip() == door.data_dir.name} == {door.data_dir.name}
    assert not (tmp_path / " ").exists()  # " /path" read as a relative path
