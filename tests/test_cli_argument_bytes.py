"""Arguments of bytes that are not UTF-8 (a terminal set to Latin-1, a pasted byte): a question
or a query holding them is a usage error naming them, and a collection name is shown with
them as paths are (`\\xff`); the same without an engine and through one, by the command's
framework and by the quick path `rag ask` takes to an engine."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rag.cli import quick
from tests import test_cli, test_engine_doors
from tests.test_cli import Door

door = test_cli.door  # each test alone, then through an engine on loopback
served = test_engine_doors.served

NOT_UTF8 = "\udcff"  # how Python hands over the byte 0xff of an argument (surrogateescape)


def stored(door: Door, tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("R is a language for statistics.")
    assert door.run("ingest", str(tmp_path / "r.txt")).exit_code == 0


def said(stderr: str) -> str:
    """A usage error's text without its box and line breaks."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", stderr).split())


def rag_process(door: Door, *args: str | bytes) -> subprocess.CompletedProcess[bytes]:
    """`python -m rag ARGS` as a shell runs it, each argument's bytes as given."""
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True,
                          timeout=120, check=False,
                          env={**os.environ, "RAG_DATA_DIR": str(door.data_dir)})


@pytest.mark.parametrize(("command", "name", "typed"), [
    ("search", "query", "R \xff"), ("ask", "question", "what is R\xff?")])
def test_a_question_or_query_not_utf8_is_a_usage_error_naming_its_bytes(
        door: Door, tmp_path: Path, command: str, name: str, typed: str) -> None:
    stored(door, tmp_path)
    shown = typed.replace("\xff", "\\xff")
    expected = (f"Invalid value for '{name}': '{shown}' holds bytes that are not UTF-8 (shown "
                "as \\xNN): type it in UTF-8 (is the terminal set to another encoding?).")
    in_process = door.run(command, typed.replace("\xff", NOT_UTF8))
    assert in_process.exit_code == 2 and expected in said(in_process.stderr)
    # the real argv (`rag ask` to an engine goes by the quick path first)
    real = rag_process(door, command, typed.encode("latin-1"))
    stderr = real.stderr.decode()
    assert real.returncode == 2 and expected in said(stderr), stderr
    assert "Traceback" not in stderr and real.stdout == b""


def test_a_question_of_text_in_other_words_is_searched_as_typed(door: Door,
                                                                tmp_path: Path) -> None:
    """Only bytes that are not UTF-8 are refused: any Unicode text is a question."""
    stored(door, tmp_path)
    found = door.run("search", "R für Statistik ÿ", "--json")
    assert found.exit_code == 0, found.stderr
    assert json.loads(found.stdout)["hits"]


def test_a_collection_name_not_utf8_is_shown_as_paths_are(door: Door, tmp_path: Path) -> None:
    stored(door, tmp_path)
    expected = ("error: 'a\\xff' is not a valid collection name: use 1 to 63 ASCII letters "
                "(a to z, A to Z), digits, '-' or '_', starting with a letter or digit.")
    for args in (["search", "R"], ["ask", "what is R?"], ["docs", "list"]):
        done = door.run(*args, "--collection", f"a{NOT_UTF8}")
        assert done.exit_code == 2 and done.stderr.strip() == expected, args
    real = rag_process(door, "ask", "what is R?", "--collection", b"a\xff")
    assert real.returncode == 2 and real.stderr.decode().strip() == expected


def test_the_quick_path_leaves_bytes_not_utf8_to_the_full_command(
        env, monkeypatch, served) -> None:
    """It would send them to the engine, whose JSON cannot hold them."""
    engine, _ = served()
    monkeypatch.setenv("RAG_DATA_DIR", str(engine.settings.data_dir))
    assert quick.answer_quickly(["ask", f"what is R{NOT_UTF8}?"]) is None
    assert quick.answer_quickly(["ask", "what is R?", "--collection", f"a{NOT_UTF8}"]) is None

