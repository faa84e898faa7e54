"""Three doors on one engine, as a team uses them: `rag ui` runs as a real process; `rag
ingest` and `rag ask` run as separate processes while it is up and go through its API; the
documents show through GET /api/v1/documents and in the chat, in a real browser."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ROOT, free_port
from tests.e2e.test_browser import ask, assistant_messages, sidebar, wait_idle
from tests.pdfgen import filler, make_pdf

pytestmark = pytest.mark.e2e
PUMP = "Bleed the air from the pump through the valve on its left side before the first start."


def rag(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def engine_process(chromium: str, model_dir: Path, tmp_path: Path):
    """`rag ui` on 127.0.0.1 with its own data folder; stopped with SIGTERM at the end."""
    data_dir = tmp_path / "data"
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(("RAG_", "CLOUDFLARE_", "OPENAI_"))}
    env.update({"RAG_DATA_DIR": str(data_dir), "RAG_MODEL_DIR": str(model_dir),
                "PYTHONUNBUFFERED": "1"})
    log = tmp_path / "engine.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "rag", "ui", "--port", str(port)], cwd=tmp_path, env=env,
            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while not (data_dir / "server.json").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the engine did not start:\n{log.read_text()}")
        time.sleep(0.2)
    yield url, env, process, data_dir
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def browser_page(browser_context, output_dir: Path):
    page = browser_context.new_page()
    try:
        yield page
    finally:
        page.screenshot(path=str(output_dir / "zz-last.png"), full_page=True)
        page.close()


def test_the_cli_and_the_chat_share_a_running_engine(engine_process, browser_page,
                                                     tmp_path: Path, output_dir: Path) -> None:
    page = browser_page
    url, env, process, data_dir = engine_process
    docs = tmp_path / "manuals"
    docs.mkdir()
    (docs / "pump.pdf").write_bytes(make_pdf([filler("The pump is made of cast iron."), PUMP],
                                             title="Pump manual"))
    (docs / "notes.md").write_text("# Notes\n\nThe spare fuses are in the blue drawer.")

    ingested = rag(env, "ingest", str(docs), "--json")
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["totals"]["ingested"] == 2
    listed = httpx.get(f"{url}/api/v1/documents").json()["documents"]
    assert sorted(d["source"] for d in listed) == [str(docs / "notes.md"), str(docs / "pump.pdf")]

    answered = rag(env, "ask", "How do I bleed the air from the pump?")
    assert answered.returncode == 0, answered.stderr
    assert PUMP in answered.stdout and "page 2" in answered.stdout
    health = httpx.get(f"{url}/api/v1/health").json()
    assert health["documents"] == 2  # the engine holds them; the commands opened no store

    page.goto(url)
    page.get_by_test_id("stChatInput").wait_for()
    wait_idle(page)
    # ingested from the command line; the title button holds a hidden copy to measure it
    sidebar(page).get_by_text("Pump manual").first.wait_for()
    ask(page, "Where are the spare fuses?")
    assistant_messages(page).last.get_by_text(
        "The spare fuses are in the blue drawer.", exact=False).first.wait_for()
    page.screenshot(path=str(output_dir / "01-chat.png"))
    # a reader's menu: no Deploy button for a team's own engine
    assert page.get_by_test_id("stMainMenu").count() == 1
    assert page.get_by_test_id("stAppDeployButton").count() == 0

    process.send_signal(signal.SIGTERM)  # a clean stop withdraws the announcement
    assert process.wait(timeout=30) == 0 or process.returncode in (-signal.SIGTERM, 143)
    assert not (data_dir / "server.json").exists()
    alone = rag(env, "docs", "list", "--json")  # the store is free again, opened here
    assert alone.returncode == 0 and len(json.loads(alone.stdout)["documents"]) == 2


def test_ctrl_c_stops_the_engine_quietly(engine_process, tmp_path: Path) -> None:
    """Ctrl-C is how a server is stopped at a terminal: ended by the signal (130 as the shell
    reports it, and a script running it stops too), the announcement withdrawn, and no
    "Aborted!" or traceback, as if the stop had failed."""
    url, _, process, data_dir = engine_process
    assert httpx.get(f"{url}/api/v1/health").status_code == 200
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == -signal.SIGINT
    assert not (data_dir / "server.json").exists()
    said = (tmp_path / "engine.log").read_text()
    assert "Aborted" not in said and "Traceback" not in said


def test_sigterm_stops_an_upload_under_way_and_the_engine_with_it(engine_process) -> None:
    """The server waits for its requests before it stops, and an upload without
    `wait=false` lasts as long as its ingest: the ingest is stopped first, the upload is
    answered with why, and the engine exits, leaving nothing of the file."""
    url, env, process, data_dir = engine_process
    pages = [filler(f"Section {n} describes the valves of pump model {n}.", 3000)
             for n in range(1, 121)]
    answered: list[httpx.Response] = []

    def upload() -> None:
        answered.append(httpx.post(f"{url}/api/v1/documents", timeout=300, files=[
            ("files", ("pump.pdf", make_pdf(pages, title="Pump manual")))]))

    sender = threading.Thread(target=upload)
    sender.start()
    spool = data_dir / "incoming"
    deadline = time.monotonic() + 60  # the upload is read and queued
    while not (spool.exists() and any(spool.rglob("*.pdf"))) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)
    stopped_at = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    sender.join(timeout=60)
    assert time.monotonic() - stopped_at < 30  # not the whole ingest's time
    (response,) = answered
    assert response.status_code == 503 and response.json()["error"] == {
        "code": "upstream_unavailable", "type": "server_error", "param": None,
        "message": "The engine stopped during this ingest: the files stored before it stay "
                   "searchable, those not yet complete were discarded; upload them again once "
                   "an engine runs."}
    listed = rag(env, "docs", "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout)["documents"] == []


def test_the_engine_prints_its_addresses_and_calls_nobody_to_find_them(
        engine_process, tmp_path: Path) -> None:
    """Streamlit asks checkip.amazonaws.com for the public address, for its banner and for
    every cross-origin WebSocket attempt; the engine prints its own addresses instead."""
    url, _env, _process, _data_dir = engine_process
    port = url.rsplit(":", 1)[1]
    log = tmp_path / "engine.log"
    deadline = time.monotonic() + 30
    while "The API:" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    refused = httpx.get(f"{url}/_stcore/stream", headers={
        "Origin": "http://elsewhere.example", "Connection": "Upgrade", "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert refused.status_code == 403
    printed = log.read_text()
    assert f"The chat:  http://localhost:{port}/" in printed
    assert f"The API:   http://localhost:{port}/api/v1" in printed
    assert "external IP" not in printed and "External URL" not in printed


def test_the_chat_answers_its_own_pages_only(engine_process) -> None:
    """The chat's WebSocket carries the library to whoever holds it. A site that rebinds its
    own name to 127.0.0.1 (a foreign Host), or a page of another program on this machine (a
    foreign port in Origin), must not open one; the chat's own page does."""
    url, _env, _process, _data_dir = engine_process
    port = url.rsplit(":", 1)[1]
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}

    def opens(host: str, origin: str | None) -> int:
        headers = {**upgrade, "Host": host, **({"Origin": origin} if origin else {})}
        with httpx.stream("GET", f"{url}/_stcore/stream", headers=headers) as response:
            return response.status_code

    assert opens(f"evil.example:{port}", f"http://evil.example:{port}") == 403
    assert opens(f"127.0.0.1:{port}", "http://127.0.0.1:8000") == 403
    assert opens(f"localhost:{port}", f"http://localhost:{int(port) + 1}") == 403
    for name in ("127.0.0.1", "localhost"):
        assert opens(f"{name}:{port}", f"http://{name}:{port}") == 101


def test_every_answer_may_be_framed_by_the_engines_own_pages_only(engine_process) -> None:
    """Another site framing the chat or the OpenAPI page could lay its own buttons over
    theirs (clickjacking): every answer, the chat's files, the API's and its errors alike,
    tells the browser that only the engine's own pages may frame it."""
    url, _env, _process, _data_dir = engine_process
    with httpx.Client(base_url=url, timeout=30) as client:
        script = re.search(r"static/js/[^\"]+\.js", client.get("/").text)
        assert script is not None
        answers = [client.get(path) for path in (
            "/", f"/{script.group()}", "/_stcore/health", "/api/docs", "/api/openapi.json",
            "/api/docs-files/swagger-ui.css", "/api/v1/health", "/api/v1/no-such-route",
            "/metrics")]
        answers.append(client.post("/api/v1/ask", json={"question": "   "}))
    for answer in answers:
        where = f"{answer.request.method} {answer.url.path} {answer.status_code}"
        assert answer.headers.get_list("content-security-policy") == [
            "frame-ancestors 'self'"], where
        assert answer.headers.get_list("x-frame-options") == ["SAMEORIGIN"], where


def test_a_path_with_dot_segments_is_found_or_not_as_without_the_engine(
        engine_process, tmp_path: Path) -> None:
    """A web address cannot carry "..": the server in front of the API refuses it. The
    command says what it says without an engine."""
    _url, env, _process, _data_dir = engine_process
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "pump.md").write_text(f"# Pump\n\n{PUMP}\n")
    assert rag(env, "ingest", str(folder)).returncode == 0
    missing = rag(env, "docs", "delete", "../../etc/passwd")
    assert (missing.returncode, missing.stderr.strip()) == (
        1, "error: no document with id or path ../../etc/passwd")
    dotted = str(folder / ".." / "docs" / "." / "pump.md")  # read as the path it names
    deleted = rag(env, "docs", "delete", dotted)
    assert deleted.returncode == 0 and str(folder / "pump.md") in deleted.stdout


def test_the_engine_keeps_an_idle_connection_longer_than_its_clients_do(engine_process
                                                                         ) -> None:
    """uvicorn's default drops a connection after 5 s idle, just as httpx would reuse it: a
    request sent as the server closes its connection is reset. The engine keeps it."""
    url, _env, _process, _data_dir = engine_process
    limits = httpx.Limits(keepalive_expiry=60)
    with httpx.Client(base_url=url, limits=limits, timeout=30) as client:
        def port() -> int:
            response = client.get("/api/v1/health")
            assert response.status_code == 200
            return response.extensions["network_stream"].get_extra_info("client_addr")[1]

        first = port()
        time.sleep(6)
        assert port() == first  # the same connection, still open on the server's side
