"""Foreign errors are translated at the boundary: a user sees one line that says what to do,
never a traceback. Also the guards the suite itself runs under."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pytest_socket import SocketBlockedError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from typer.testing import CliRunner

from rag.cli.main import app
from rag.errors import StoreError
from rag.registry import EMBEDDERS, GENERATORS, RERANKERS, STORES
from rag.service import build_service
from rag.settings import EmbedderMode, GeneratorMode, RerankMode, StoreEngine, load_settings
from rag.types import SEARCH_MODES, SearchMode
from tests.workers_ai_server import ServerThread


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def refusing_qdrant():
    """A Qdrant server that wants an API key the client does not have."""

    async def refuse(request: Request) -> JSONResponse:
        return JSONResponse({"status": {"error": "Must provide an API key"}}, status_code=401)

    server = ServerThread(Starlette(routes=[Route("/{path:path}", refuse,
                                                  methods=["GET", "POST", "PUT", "DELETE"])]))
    yield server.start()
    server.stop()


def one_line_failure(url: str, env: dict[str, str]) -> str:
    result = CliRunner().invoke(app, ["docs", "list"], env={**env, "RAG_QDRANT_URL": url})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    return line


def test_a_qdrant_server_that_is_down_is_one_line(env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    line = one_line_failure(url, env)
    assert line.startswith("error: Cannot reach the Qdrant server at " + url)
    assert "RAG_QDRANT_URL" in line


def test_a_qdrant_server_refusing_the_key_is_one_line(env: dict[str, str],
                                                      refusing_qdrant: str) -> None:
    line = one_line_failure(refusing_qdrant, env)
    assert "refused the request (HTTP 401)" in line and "RAG_QDRANT_API_KEY" in line


def test_the_service_raises_a_store_error(tmp_path: Path, refusing_qdrant: str) -> None:
    settings = load_settings({"RAG_QDRANT_URL": refusing_qdrant,
                              "RAG_DATA_DIR": str(tmp_path)}, env_file=None)
    with pytest.raises(StoreError, match="RAG_QDRANT_API_KEY"):
        build_service(settings)


def test_settings_are_read_from_the_mapping_given_not_the_process(monkeypatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "9")
    assert load_settings({"RAG_TOP_K": "3", "CLOUDFLARE_ACCOUNT_ID": "acct"},
                         env_file=None).top_k == 3
    assert load_settings({}, env_file=None).top_k == 5
    assert load_settings(env_file=None).top_k == 9  # no mapping: the process environment
    assert load_settings({}, env_file=None, top_k=7).top_k == 7  # keyword overrides win


def test_each_seam_registers_every_mode_its_setting_allows() -> None:
    assert set(EMBEDDERS) == set(EmbedderMode.__args__)
    assert set(GENERATORS) == set(GeneratorMode.__args__)
    assert set(RERANKERS) == set(RerankMode.__args__)
    assert set(StoreEngine.__args__) | {"server"} == set(STORES)
    assert SearchMode.__args__ == SEARCH_MODES


def test_the_suite_cannot_reach_beyond_loopback() -> None:
    # pytest-socket warns, which this suite turns into an error, then blocks the connection
    with pytest.raises((SocketBlockedError, UserWarning), match="192.0.2.1"), \
            socket.create_connection(("192.0.2.1", 80), 1):
        pass
