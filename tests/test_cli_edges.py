"""The `rag` command at its edges: files gone from disk, links, settings that name no usable
folder, a `.env` that is not UTF-8, SQuAD paragraphs without text, ports out of range, and a
reader that stops early."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from typer.testing import CliRunner, Result

from rag.cli import quick
from rag.cli.interrupts import held_interrupts
from rag.cli.library import LocalLibrary
from rag.cli.main import app
from rag.errors import ConfigError, RagError
from rag.settings import load_settings
from tests import test_cli, test_engine_doors
from tests.test_cli import Door, run

# the fixtures these tests share with test_cli: each test run alone and through an engine,
# and the engine on loopback that `door` starts
door = test_cli.door
served = test_engine_doors.served

KETTLE = "Descale the kettle every month with white vinegar."


def test_a_file_removed_from_disk_is_found_and_deleted_by_its_relative_path(
        door: Door, tmp_path: Path) -> None:
    folder = tmp_path / "deltest"  # the working folder is tmp_path
    folder.mkdir()
    (folder / "old.txt").write_text(KETTLE)
    assert door.run("ingest", "deltest").exit_code == 0
    (folder / "old.txt").unlink()  # the usual reason to delete it
    hits = json.loads(door.run("search", "kettle", "--source", "deltest/old.txt",
                               "--json").stdout)["hits"]
    assert [hit["source"] for hit in hits] == [str(folder / "old.txt")]
    deleted = door.run("docs", "delete", "deltest/old.txt")
    assert deleted.exit_code == 0, deleted.stderr
    assert deleted.stdout.startswith("deleted ") and str(folder / "old.txt") in deleted.stdout
    assert json.loads(door.run("docs", "list", "--json").stdout) == {"documents": []}


def test_a_search_kept_to_no_stored_document_says_so(door: Door, tmp_path: Path) -> None:
    """A folder, a mistyped path or an unknown id would find nothing, as if the library
    held no answer: said as the usage error it is, with or without an engine."""
    folder = tmp_path / "deltest"
    folder.mkdir()
    (folder / "old.txt").write_text(KETTLE)
    assert door.run("ingest", str(folder)).exit_code == 0
    for option, given, said in (
            ("--source", str(folder), f"no document with path {folder} (a folder is not a "
                                      "document)"),
            ("--source", str(folder / "od.txt"), f"no document with path {folder / 'od.txt'}"),
            ("--doc", "deadbeef", "no document with id deadbeef")):
        refused = door.run("search", "kettle", option, given, "--json")
        assert refused.exit_code == 2 and refused.stdout == "", given
        assert " ".join(refused.stderr.split()) == (
            f"error: {said}: `rag docs list` shows the stored ones")
    [stored] = json.loads(door.run("docs", "list", "--json").stdout)["documents"]
    hits = json.loads(door.run("search", "kettle", "--doc", stored["doc_id"], "--json").stdout)
    assert [hit["doc_id"] for hit in hits["hits"]] == [stored["doc_id"]]


def test_ingesting_a_folder_again_names_its_documents_no_longer_on_disk(
        door: Door, tmp_path: Path) -> None:
    """They stay searchable, and the ingest deletes nothing it was not given: it says so."""
    folder, beside = tmp_path / "docs", tmp_path / "docs2"
    (folder / "sub").mkdir(parents=True)
    beside.mkdir()
    for path in (folder / "a.txt", folder / "b.txt", folder / "sub" / "c.txt",
                 beside / "d.txt"):
        path.write_text(f"{KETTLE} ({path.name})")
    assert door.run("ingest", str(folder), str(beside)).exit_code == 0
    for path in (folder / "a.txt", folder / "sub" / "c.txt", beside / "d.txt"):
        path.unlink()
    again = door.run("ingest", str(folder))
    assert again.exit_code == 0
    assert " ".join(again.stderr.split()).endswith(
        f"2 documents stored from under {folder} are no longer on disk ({folder / 'a.txt'}, "
        f"{folder / 'sub' / 'c.txt'}); they stay searchable: `rag docs delete PATH` removes "
        "one.")
    report = json.loads(door.run("ingest", str(folder), "--json").stdout)
    assert report["not_on_disk"] == [str(folder / "a.txt"), str(folder / "sub" / "c.txt")]
    assert len(json.loads(door.run("docs", "list", "--json").stdout)["documents"]) == 4
    named = json.loads(door.run("ingest", str(folder / "b.txt"), "--json").stdout)
    assert named["not_on_disk"] == []  # no folder given: none to look under


def test_a_collection_deleted_as_the_ingest_ends_leaves_its_report_standing(
        door: Door, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another door may delete the collection the moment the last file is stored: the
    ingest finished, so it reports so, and only the note of files gone from disk is lost."""
    from rag.cli.remote import EngineLibrary
    from rag.errors import CollectionMissing

    def deleted(self) -> list[dict]:
        raise CollectionMissing("There is no collection named 'default'")

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(KETTLE)
    monkeypatch.setattr(LocalLibrary, "documents", deleted)
    monkeypatch.setattr(EngineLibrary, "documents", deleted)
    ended = door.run("ingest", str(folder))
    assert ended.exit_code == 0, ended.stderr
    assert " ".join(ended.stderr.split()).endswith(
        "1 file: 1 ingested (1 chunk), 0 unchanged, 0 failed")
    assert "Stored before the error" not in ended.stderr


def test_a_folder_s_documents_are_deleted_together_once_confirmed(
        door: Door, tmp_path: Path) -> None:
    """On disk or removed already, as a file is: the folder's documents, not its
    neighbour's whose name begins the same."""
    folder, beside = tmp_path / "policy", tmp_path / "policy2"
    (folder / "old").mkdir(parents=True)
    beside.mkdir()
    for path in (folder / "a.txt", folder / "old" / "b.txt", beside / "c.txt"):
        path.write_text(f"{KETTLE} ({path.name})")
    assert door.run("ingest", str(folder), str(beside)).exit_code == 0

    def delete(*args: str, answer: str | None = None) -> Result:
        return CliRunner().invoke(app, ["docs", "delete", *args], input=answer,
                                  env={"RAG_DATA_DIR": str(door.data_dir)},
                                  catch_exceptions=False)

    kept = delete(str(folder), answer="n\n")
    assert kept.exit_code == 1
    assert (f"Delete the 2 documents stored from under {folder}, and all their chunks? "
            "[y/N]") in kept.stdout
    assert len(json.loads(door.run("docs", "list", "--json").stdout)["documents"]) == 3
    shutil.rmtree(folder)
    deleted = delete(f"{folder}/", "--yes")
    assert deleted.exit_code == 0
    assert [line.split()[-1] for line in deleted.stdout.splitlines()] == [
        str(folder / "a.txt"), str(folder / "old" / "b.txt")]
    [left] = json.loads(door.run("docs", "list", "--json").stdout)["documents"]
    assert left["source"] == str(beside / "c.txt")
    assert delete("").exit_code == 1  # not the working folder


def test_a_link_is_found_by_the_path_ingest_stored_it_under(env, tmp_path: Path) -> None:
    """A link found in a folder is stored under its own path; one named directly, under its
    target's."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "kettle.txt").write_text(KETTLE)
    (tmp_path / "elsewhere" / "bike.txt").write_text("Oil the bicycle chain weekly.")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "link.txt").symlink_to(tmp_path / "elsewhere" / "kettle.txt")
    (tmp_path / "named.txt").symlink_to(tmp_path / "elsewhere" / "bike.txt")
    assert run("ingest", "docs", "named.txt").exit_code == 0
    sources = {d["source"] for d in json.loads(run("docs", "list", "--json").stdout)["documents"]}
    assert sources == {str(tmp_path / "docs" / "link.txt"),
                       str(tmp_path / "elsewhere" / "bike.txt")}
    for path, words in (("docs/link.txt", "kettle"), ("named.txt", "chain")):
        hits = json.loads(run("search", words, "--source", path, "--json").stdout)["hits"]
        assert hits and words in hits[0]["text"], path
        assert run("docs", "delete", path).exit_code == 0, path
    assert json.loads(run("docs", "list", "--json").stdout) == {"documents": []}


@pytest.mark.parametrize("variable", ["RAG_MODEL_DIR", "RAG_CACHE_DIR", "RAG_QDRANT_PATH"])
@pytest.mark.parametrize("under", [False, True], ids=["a-file", "under-a-file"])
def test_a_folder_setting_that_cannot_be_a_folder_is_one_line(
        env, tmp_path: Path, monkeypatch, variable: str, under: bool) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("a file where a folder should be")
    folder = blocker / "sub" if under else blocker
    monkeypatch.setenv(variable, str(folder))
    done = run("search", "kettle")
    why = f"{blocker} is a file" if under else "it is a file"
    assert done.exit_code == 2
    assert done.stderr == (f"error: Cannot make the folder {folder} ({why}): give {variable} "
                           "a folder you can write to.\n")


def read_only(folder: Path) -> Path:
    """`folder`, made, with no one allowed to write in it."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    return folder


class Finished(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str


def as_a_user(*command: str) -> Finished:
    """`command` run in a process that obeys folders' permissions: root's is started without
    the capabilities that let it write in any folder (setpriv, from util-linux)."""
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("run as root without setpriv: a read-only folder is writable to it")
        command = ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *command)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return Finished(done.returncode, done.stdout, done.stderr)


def rag_as_a_user(*args: str) -> Finished:
    return as_a_user(sys.executable, "-m", "rag", *args)


@pytest.mark.parametrize("variable", ["RAG_CACHE_DIR", "RAG_QDRANT_PATH"])
def test_a_folder_setting_that_cannot_be_written_is_one_line(
        env, tmp_path: Path, monkeypatch, variable: str) -> None:
    folder = read_only(tmp_path / "read-only")
    monkeypatch.setenv(variable, str(folder))
    done = rag_as_a_user("search", "kettle")
    assert done.exit_code == 2
    assert done.stderr == (f"error: Cannot write in the folder {folder} (Permission denied): "
                           f"give {variable} a folder you can write to.\n")


def test_a_model_folder_that_cannot_be_written_is_one_line_while_the_model_is_unbuilt(
        env, tmp_path: Path, monkeypatch) -> None:
    folder = read_only(tmp_path / "models")
    monkeypatch.setenv("RAG_MODEL_DIR", str(folder))
    done = rag_as_a_user("search", "kettle")
    assert done.exit_code == 2
    assert done.stderr == (f"error: Cannot write in the folder {folder} (Permission denied): "
                           "the int8 model is not built there yet: give RAG_MODEL_DIR a folder "
                           "you can write to, or one the model is built in.\n")


@pytest.mark.slow
def test_a_model_folder_that_cannot_be_written_serves_the_model_built_in_it(
        env, embedder, tmp_path: Path, monkeypatch) -> None:
    """A model folder shared read-only, once the model is built in it."""
    folder = tmp_path / "models"
    folder.mkdir()
    os.link(embedder.onnx_path, folder / embedder.onnx_path.name)  # the int8 model
    monkeypatch.setenv("RAG_MODEL_DIR", str(read_only(folder)))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "k.txt").write_text(KETTLE)
    assert rag_as_a_user("ingest", str(tmp_path / "docs")).exit_code == 0
    assert "kettle" in rag_as_a_user("search", "kettle").stdout


def test_a_state_folder_that_cannot_be_written_names_the_data_folder(env) -> None:
    """The breakers' and budgets' state, left by another user of the data folder."""
    state = read_only(Path(env["RAG_DATA_DIR"]) / "state")
    done = rag_as_a_user("search", "kettle")
    assert done.exit_code == 2
    assert done.stderr == (f"error: Cannot write in the folder {state} (Permission denied): run "
                           "as the owner of the data folder, or give RAG_DATA_DIR a folder you "
                           "can write to.\n")


def test_an_engine_with_a_cache_folder_it_cannot_write_is_refused_as_a_setting(
        env, tmp_path: Path, monkeypatch) -> None:
    """What `rag ui`'s server says in one line as it starts (ui/app.py), rather than a
    traceback."""
    folder = read_only(tmp_path / "cache")
    monkeypatch.setenv("RAG_CACHE_DIR", str(folder))
    done = as_a_user(sys.executable, "-c", (
        "from rag.engine.engine import Engine\n"
        "from rag.errors import ConfigError\n"
        "from rag.settings import load_settings\n"
        "try:\n"
        "    Engine.open(load_settings(env_file=None))\n"
        "except ConfigError as refused:\n"
        "    print(refused)\n"))
    assert done.stdout == (f"Cannot write in the folder {folder} (Permission denied): "
                           "give RAG_CACHE_DIR a folder you can write to.\n"), done.stderr


def test_a_key_kept_in_a_data_folder_that_is_a_file_names_the_data_folder(
        env, tmp_path: Path, monkeypatch) -> None:
    """The keys file is RAG_DATA_DIR's unless RAG_API_KEYS_FILE is set: that is what to fix."""
    blocker = tmp_path / "afile"
    blocker.write_text("a file where a folder should be")
    monkeypatch.setenv("RAG_DATA_DIR", str(blocker))
    done = run("keys", "add", "bob")
    assert done.exit_code == 2
    assert done.stderr == (f"error: Cannot make the folder {blocker} (it is a file): give "
                           "RAG_DATA_DIR a folder you can write to.\n")


def test_a_default_folder_that_cannot_be_made_names_the_data_folder(env, monkeypatch) -> None:
    monkeypatch.delenv("RAG_MODEL_DIR")
    models = Path(env["RAG_DATA_DIR"]) / "models"
    models.parent.mkdir(parents=True)
    models.write_text("a file where the model's folder would be")
    done = run("docs", "list")
    assert done.exit_code == 2
    assert done.stderr == (f"error: Cannot make the folder {models} (it is a file): give "
                           "RAG_DATA_DIR a folder you can write to, or RAG_MODEL_DIR a folder of "
                           "its own.\n")


def test_eval_with_a_model_folder_that_is_a_file_is_one_line(env, tmp_path: Path,
                                                              monkeypatch) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    monkeypatch.setenv("RAG_MODEL_DIR", str(blocker))
    done = run("eval", "--squad", str(squad_file(tmp_path, [(KETTLE, ["How often?"])])))
    assert done.exit_code == 2 and done.stderr.count("\n") == 1
    assert "RAG_MODEL_DIR" in done.stderr


def squad_file(folder: Path, paragraphs: list[tuple[str, list[str]]]) -> Path:
    """A SQuAD v1.1-format file of one article: each paragraph's context and questions."""
    data = {"data": [{"title": "Kettles", "paragraphs": [
        {"context": context, "qas": [{"question": q, "id": f"{p}.{n}", "answers": []}
                                     for n, q in enumerate(questions)]}
        for p, (context, questions) in enumerate(paragraphs)]}]}
    path = folder / "squad.json"
    path.write_text(json.dumps(data))
    return path


def test_eval_leaves_out_a_paragraph_without_text_and_says_so(env, tmp_path: Path) -> None:
    squad = squad_file(tmp_path, [(KETTLE, ["How often is the kettle descaled?"]),
                                  ("   ", ["What is here?", "Anything?"]),
                                  ("", ["And here?"])])
    done = run("eval", "--squad", str(squad), "--json")
    assert done.exit_code == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["paragraphs"], result["questions"], result["hit@1"]) == (1, 1, 1.0)
    assert ("left out 3 questions on 2 paragraphs that could not be indexed "
            "(squad:Kettles#1: no text to index)") in " ".join(done.stderr.split())


def test_eval_of_paragraphs_all_without_text_is_one_line(env, tmp_path: Path) -> None:
    done = run("eval", "--squad", str(squad_file(tmp_path, [(" ", ["What is here?"])])))
    assert done.exit_code == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"error: {tmp_path / 'squad.json'} holds no questions on a paragraph with text to "
        "index.")


@pytest.mark.parametrize("port", ["99999", "-1", "65536", "0"])
def test_ui_refuses_a_port_out_of_range_as_a_usage_error(env, monkeypatch, port: str) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _, argv: started.append(argv))
    done = run("ui", "--port", port)
    assert done.exit_code == 2 and started == []
    assert "Invalid value for '--port'" in done.stderr


@pytest.mark.parametrize(("host", "said"), [
    ("198.51.100.77", "Cannot listen on --host 198.51.100.77 (Cannot assign requested address)"),
    ("nosuchhost.invalid", "--host nosuchhost.invalid does not resolve"),
    # `--host "$HOST"` with HOST unset: the server would listen on every interface
    ("", "--host is blank: give 127.0.0.1 for this machine only"), (" ", "--host is blank")])
def test_ui_names_a_host_it_cannot_listen_on(env, monkeypatch, host: str, said: str) -> None:
    """Not "the port is in use": the port is free, the address is what is wrong."""
    started: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _, argv: started.append(argv))
    done = run("ui", "--port", "8631", "--host", host)
    assert done.exit_code == 2 and started == []
    assert done.stderr.startswith(f"error: {said}") and "in use" not in done.stderr


def utf16_dotenv(folder: Path) -> Path:
    """A `.env` as Windows Notepad may save it: UTF-16, with its byte-order mark."""
    dotenv = folder / ".env"
    dotenv.write_bytes("RAG_TOP_K=2\n".encode("utf-16"))
    return dotenv


@pytest.mark.parametrize("command", [["docs", "list"], ["ask", "kettle"], ["keys", "add", "bob"],
                                     ["cost", "report"], ["ui", "--port", "8631"]])
def test_a_dotenv_that_is_not_utf8_is_one_line(env, tmp_path: Path, command: list[str]) -> None:
    dotenv = utf16_dotenv(tmp_path)  # in the working folder
    done = run(*command)
    assert done.exit_code == 2
    assert done.stderr.count("\n") == 1
    assert f"The settings file {dotenv} is not UTF-8 text: save it as UTF-8." in done.stderr


def test_load_settings_names_a_dotenv_that_is_not_utf8(tmp_path: Path) -> None:
    dotenv = utf16_dotenv(tmp_path)
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_settings({}, env_file=str(dotenv))


def test_a_question_to_an_engine_leaves_a_dotenv_not_utf8_to_the_full_command(
        env, tmp_path: Path, monkeypatch, served) -> None:
    engine, _ = served()
    monkeypatch.setenv("RAG_DATA_DIR", str(engine.settings.data_dir))
    utf16_dotenv(tmp_path)
    assert quick.answer_quickly(["ask", "How often is the kettle descaled?"]) is None


# lines python-dotenv cannot parse, with the line and variable the refusal names
UNPARSABLE_DOTENVS = [
    ("RAG_SEARCH_MODE: dense\n", 1, " (RAG_SEARCH_MODE)"),  # a compose file's YAML style
    # a quote left open: RAG_EDITORS would be left out, letting everyone edit
    ('RAG_TOP_K=3\n\n# who may edit\n\nRAG_EDITORS="alice\n', 5, " (RAG_EDITORS)"),
    ("export RAG_EDITORS='alice\r\nRAG_TOP_K=3\r\n", 1, " (RAG_EDITORS)"),
    ("=dense\n", 1, ""),
    # a setting's name without "=": read as no value, so as good as left out
    ("RAG_TOP_K=3\nrag_editors\n", 2, " (rag_editors)"),
]


@pytest.mark.parametrize(("text", "line", "named"), UNPARSABLE_DOTENVS)
def test_load_settings_names_the_dotenv_line_it_cannot_parse(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, text: str, line: int,
        named: str) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(text, newline="")
    with pytest.raises(ConfigError) as refused:
        load_settings({}, env_file=str(dotenv))
    assert str(refused.value) == (
        f"Cannot read line {line} of the settings file {dotenv}{named}: write each setting "
        "as NAME=value (a quoted value ends with its quote), and a comment after #.")
    assert not caplog.records  # said once, by the refusal: not by python-dotenv as well


def test_another_programs_name_alone_on_a_dotenv_line_is_left_to_it(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("COMPOSE_PROFILES\nRAG_TOP_K=3\n")
    assert load_settings({}, env_file=str(dotenv)).top_k == 3


def test_every_dotenv_line_that_cannot_be_parsed_is_counted(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("RAG_TOP_K 3\nRAG_SEARCH_MODE=dense\nRAG_EDITORS: alice\nRAG_OCR: off\n")
    with pytest.raises(ConfigError, match=r"line 1 of .* \(RAG_TOP_K\): .*; 2 more lines "
                                          r"below cannot be read either\.$"):
        load_settings({}, env_file=str(dotenv))


@pytest.mark.parametrize("command", [["docs", "list"], ["ask", "kettle"], ["keys", "add", "bob"],
                                     ["cost", "report"], ["ui", "--port", "8631"]])
def test_a_dotenv_line_that_cannot_be_parsed_stops_every_command_in_one_line(
        env, tmp_path: Path, monkeypatch, command: list[str]) -> None:
    """Skipped, the line would leave its setting at the default: an open quote in
    RAG_EDITORS would let every key holder change the library."""
    started: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _, argv: started.append(argv))
    dotenv = tmp_path / ".env"  # in the working folder
    dotenv.write_text('RAG_API_KEYS=alice:key-alice-1234567890,bob:key-bob-1234567890\n'
                      'RAG_EDITORS="alice\n')
    done = run(*command)
    assert done.exit_code == 2 and started == []
    assert done.stderr.count("\n") == 1
    assert done.stderr.endswith(f": Cannot read line 2 of the settings file {dotenv} "
                                "(RAG_EDITORS): write each setting as NAME=value (a quoted "
                                "value ends with its quote), and a comment after #.\n")


def test_a_misspelt_name_beside_a_dotenv_line_that_cannot_be_parsed_is_warned_of(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from rag.settings import unknown_variables

    dotenv = tmp_path / ".env"
    dotenv.write_text("RAG_SEARCH_MODE: dense\nRAG_TOPK=3\n")
    assert unknown_variables({}, env_file=str(dotenv)) == [
        f"RAG_TOPK (in {dotenv}) is not a setting and is ignored: did you mean RAG_TOP_K?"]
    assert not caplog.records  # nor python-dotenv's warning, which names no file


def test_a_question_to_an_engine_leaves_an_unparsable_dotenv_to_the_full_command(
        env, tmp_path: Path, monkeypatch, served) -> None:
    engine, _ = served()
    monkeypatch.setenv("RAG_DATA_DIR", str(engine.settings.data_dir))
    question = ["ask", "How often is the kettle descaled?"]
    (tmp_path / ".env").write_text("RAG_TOP_K=3\n")
    assert quick.answer_quickly(question) == 0
    (tmp_path / ".env").write_text("RAG_TOP_K=3\nRAG_COLLECTION: other\n")
    assert quick.answer_quickly(question) is None


@pytest.mark.parametrize("variable", ["RAG_DATA_DIR", "RAG_COLLECTION", "RAG_TOP_K",
                                      "RAG_SEARCH_MODE"])
def test_an_empty_setting_in_the_environment_outranks_the_dotenv_for_a_question_to_an_engine(
        env, tmp_path: Path, monkeypatch, served, variable: str) -> None:
    """`VAR=` in the environment is read as the full command reads it, not skipped for the
    value `.env` gives: an empty data folder is ./data (no engine there), and an empty
    collection, count or mode is the full command's to refuse."""
    engine, _ = served()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_DATA_DIR", str(engine.settings.data_dir))
    (tmp_path / ".env").write_text(f"RAG_DATA_DIR={engine.settings.data_dir}\n"
                                   "RAG_COLLECTION=docs\nRAG_TOP_K=3\n")
    question = ["ask", "How often is the kettle descaled?", "--json"]
    assert quick.answer_quickly(question) == 0  # .env alone: the engine answers
    monkeypatch.setenv(variable, "")
    assert quick.answer_quickly(question) is None


@pytest.mark.parametrize("name", ["bad name", " docs"])
def test_an_invalid_collection_setting_is_refused_by_name_with_an_engine_running(
        env, tmp_path: Path, monkeypatch, served, name: str) -> None:
    """The engine's refusal would name no setting: the full command names RAG_COLLECTION."""
    engine, _ = served()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_DATA_DIR", str(engine.settings.data_dir))
    monkeypatch.setenv("RAG_COLLECTION", name)
    assert quick.answer_quickly(["ask", "How often is the kettle descaled?"]) is None
    done = run("ask", "How often is the kettle descaled?")
    assert done.exit_code == 2
    assert done.stderr.startswith("error: Invalid setting: RAG_COLLECTION: ")


def into_a_closed_pipe(env: dict[str, str], *args: str, stderr_too: bool = False,
                       stderr_only: bool = False) -> subprocess.CompletedProcess[str]:
    """`python -m rag ARGS` writing to a pipe whose reader has already gone (`| head -1`),
    its stderr too with `stderr_too` (`2>&1 | head -1`), or its stderr alone with
    `stderr_only` (`2>&1 >/dev/null | head -1`)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "rag", *args],
                              stdout=subprocess.DEVNULL if stderr_only else write_end,
                              stderr=write_end if stderr_too or stderr_only else subprocess.PIPE,
                              text=True, timeout=300, env={**os.environ, **env}, check=False)
    finally:
        os.close(write_end)


@pytest.mark.slow
def test_a_reader_that_stops_early_ends_the_command_quietly(door: Door, env,
                                                             tmp_path: Path) -> None:
    (tmp_path / "kettle.txt").write_text(KETTLE)
    assert door.run("ingest", str(tmp_path / "kettle.txt")).exit_code == 0
    here = {**env, "RAG_DATA_DIR": str(door.data_dir)}
    for command in (["docs", "list"], ["ask", "How often is the kettle descaled?", "--json"],
                    ["ask", "How often is the kettle descaled?"]):
        done = into_a_closed_pipe(here, *command)
        assert (done.returncode, done.stderr) == (141, ""), command
    # what rich draws (the answer's notice on stderr, the cost report's table) likewise
    both = into_a_closed_pipe(here, "ask", "How often is the kettle descaled?", stderr_too=True)
    assert both.returncode == 141
    notice = into_a_closed_pipe(here, "ask", "How often is the kettle descaled?",
                                stderr_only=True)
    assert notice.returncode == 141
    table = into_a_closed_pipe(here, "cost", "report")
    assert (table.returncode, table.stderr) == (141, "")


def test_a_held_ctrl_c_is_delivered_after_the_block_and_a_second_one_at_once(capsys) -> None:
    with held_interrupts("held until the files have arrived") as held:
        signal.raise_signal(signal.SIGINT)
        assert held.number == signal.SIGINT  # noted, not raised
    assert "held until the files have arrived" in capsys.readouterr().err
    with pytest.raises(KeyboardInterrupt):
        held.deliver()
    with pytest.raises(KeyboardInterrupt), held_interrupts("held"):
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)  # pressed again: stops now
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_ingest_ended_by_an_error_still_tells_a_script_what_was_stored(
        env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As after Ctrl-C: the engine stopping (or the store failing) after some files were
    stored, `--json` still prints them, and the error follows on stderr."""
    (tmp_path / "kettle.txt").write_text(KETTLE)

    def stored_one_then_failed(self, found, on_file, on_progress=None):
        on_file({"path": str(found.files[0]), "status": "ingested", "doc_id": "d1",
                 "chunks": 1, "error": None})
        raise RagError("The engine at http://127.0.0.1:1 stopped answering (ConnectError).")

    monkeypatch.setattr(LocalLibrary, "ingest", stored_one_then_failed)
    done = run("ingest", str(tmp_path / "kettle.txt"), "--json")
    assert done.exit_code == 2 and "stopped answering" in done.stderr
    report = json.loads(done.stdout)
    assert [f["status"] for f in report["files"]] == ["ingested"]


def test_a_broken_pipe_of_the_commands_own_is_a_failure_not_a_reader_gone(
        env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pipe to a helper process that breaks (its process died) ends the command with an
    error line and exit 1: only stdout's reader going away ends it quietly (141)."""
    (tmp_path / "kettle.txt").write_text(KETTLE)

    def worker_died(self, found, on_file, on_progress=None):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(LocalLibrary, "ingest", worker_died)
    done = run("ingest", str(tmp_path / "kettle.txt"))
    assert done.exit_code == 1
    assert "Something went wrong on our side (error id" in done.stderr


def test_an_emptied_file_says_its_stored_version_stays_searchable(door: Door,
                                                                  tmp_path: Path) -> None:
    """Through an engine too, where the command refuses the empty file without sending it."""
    note = tmp_path / "narwhal.txt"
    note.write_text("Narwhals have one tusk.")
    assert door.run("ingest", str(note)).exit_code == 0
    note.write_bytes(b"")
    kept = (f"{note}: the file is empty (the version stored before, 1 chunk, stays searchable "
            "until deleted: rag docs delete PATH)")
    printed = door.run("ingest", str(note))
    assert printed.exit_code == 1
    assert printed.stderr.splitlines()[0] == f"   failed {kept}"
    report = door.run("ingest", str(note), "--json")
    assert report.exit_code == 1
    assert [f["error"] for f in json.loads(report.stdout)["files"]] == [kept]
    hits = json.loads(door.run("search", "narwhals tusk", "--json").stdout)["hits"]
    assert [hit["source"] for hit in hits] == [str(note)]  # as the note says
    fresh = tmp_path / "fresh.txt"  # nothing stored before: nothing to say of it
    fresh.write_bytes(b"")
    assert door.run("ingest", str(fresh)).stderr.splitlines()[0] == (
        f"   failed {fresh}: the file is empty")
