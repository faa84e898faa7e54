"""The search mode of a question: `mode` in /ask and /chat/completions, and RAG_SEARCH_MODE
sent by `rag ask` through a running engine, as it searches without one."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from rag.cli.main import app as cli
from rag.cli.remote import EngineLibrary
from rag.engine.discovery import EngineAddress
from tests import test_api, test_engine_doors
from tests.test_api import error_of, guide, upload

# the in-process API of test_api, and an engine served on loopback for the `rag` command
anyio_backend, open_engine, engine, api = (test_api.anyio_backend, test_api.open_engine,
                                           test_api.engine, test_api.api)
served = test_engine_doors.served

# no word of it is in the guide: only its meaning finds the passage about sunlight
WORDLESS = "Which crop wants brightness?"


@pytest.mark.anyio
async def test_a_question_is_searched_in_the_mode_it_asks_for(api: httpx.AsyncClient) -> None:
    await upload(api, ("guide.pdf", guide()))
    for mode, finds in (("sparse", False), ("dense", True), (None, True)):
        asked = (await api.post("/ask", json={"question": WORDLESS, "mode": mode})).json()
        assert bool(asked["citations"]) is finds, mode
        chat = (await api.post("/chat/completions", json={
            "model": "docs", "mode": mode, "messages": [
                {"role": "user", "content": WORDLESS}]})).json()
        assert bool(chat["citations"]) is finds, mode
    assert error_of(await api.post("/ask", json={"question": WORDLESS, "mode": "fuzzy"})) == (
        400, "bad_request")


@pytest.mark.anyio
async def test_a_search_by_words_that_finds_nothing_in_a_library_is_not_told_to_ingest(
        api: httpx.AsyncClient) -> None:
    await upload(api, ("guide.pdf", guide()))
    asked = (await api.post("/ask", json={"question": WORDLESS, "mode": "sparse"})).json()
    assert asked["answer"].endswith(
        "The question was searched by its words only, and no passage of your documents holds "
        "any of them: rephrase the question in the words your documents use.")
    assert asked["citations"] == []


def test_the_engine_library_sends_the_configured_search_mode() -> None:
    library = EngineLibrary(EngineAddress("http://127.0.0.1:9", "token", 1), "docs",
                            asked={"mode": "sparse"})
    try:
        assert library.ask(WORDLESS, None).body["mode"] == "sparse"
    finally:
        library.close()


def rag(data_dir: Path, *args: str, **env: str):
    return CliRunner().invoke(cli, list(args), env={"RAG_DATA_DIR": str(data_dir), **env},
                              catch_exceptions=False)


@pytest.mark.slow
def test_rag_ask_searches_in_rag_search_mode_through_the_engine_as_without_it(
        served, tmp_path: Path) -> None:
    engine, _ = served()
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    alone = tmp_path / "alone"
    assert rag(alone, "ingest", str(_saved(tmp_path))).exit_code == 0
    for mode, finds in (("sparse", False), ("dense", True)):
        through = rag(engine.settings.data_dir, "ask", WORDLESS, "--json",
                      RAG_SEARCH_MODE=mode)
        local = rag(alone, "ask", WORDLESS, "--json", RAG_SEARCH_MODE=mode)
        assert through.exit_code == local.exit_code == 0, through.stderr
        assert bool(json.loads(through.stdout)["citations"]) is finds, mode
        assert bool(json.loads(local.stdout)["citations"]) is finds, mode
    for data_dir in (engine.settings.data_dir, alone):
        refused = rag(data_dir, "ask", WORDLESS, RAG_SEARCH_MODE="fuzzy")
        assert refused.exit_code == 2 and "Invalid setting: RAG_SEARCH_MODE" in refused.stderr


def _saved(tmp_path: Path) -> Path:
    path = tmp_path / "guide.pdf"
    path.write_bytes(guide())
    return path
