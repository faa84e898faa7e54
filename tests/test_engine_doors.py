"""The engine's doors over real HTTP on loopback: the official `openai` SDK, the `rag` command
going through a running engine, limits shared in a real Redis, and an engine that keeps
answering during an ingest and stops one cleanly."""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from typer.testing import CliRunner

from rag.app.logs import ScopeFilter
from rag.cli import quick
from rag.cli.main import app as cli
from rag.engine.access import RateLimits
from rag.engine.api.app import create_api, metrics_endpoint
from rag.engine.engine import Engine
from rag.errors import CollectionBusy, IngestCancelled
from tests.conftest import fresh_settings
from tests.pdfgen import filler, make_pdf
from tests.redis_server import free_port, redis_server
from tests.workers_ai_server import ACCOUNT, TOKEN, ServerThread, StandIn

# real engines on loopback ports, some in their own processes: seconds a test
pytestmark = pytest.mark.slow

SUN = "Tomatoes need at least eight hours of direct sunlight each day."


def guide() -> bytes:
    return make_pdf([filler("Plants need light and water."), f"{SUN}\nWater them in the morning."],
                    title="Greenhouse guide")


def big_pdf(pages: int = 30) -> bytes:
    return make_pdf([filler(f"Section {n} describes the valves of pump model {n}.", 3000)
                     for n in range(1, pages + 1)], title="Pump manual")


@pytest.fixture
def served(tmp_path: Path, model_dir: Path, embedder):
    """An engine served over real HTTP on 127.0.0.1, announced in its data folder."""
    started: list[tuple[Engine, ServerThread]] = []

    def start(**values: object) -> tuple[Engine, str]:
        settings = fresh_settings(tmp_path / f"engine{len(started)}", model_dir, **values)
        engine = Engine.open(settings, embedder=embedder)
        thread = ServerThread(Starlette(routes=[Mount("/api", app=create_api(engine)),
                                                Route("/metrics", metrics_endpoint)]))
        url = thread.start()
        engine.announce(url)
        started.append((engine, thread))
        return engine, url

    yield start
    for engine, thread in started:
        thread.stop()
        engine.close()


# --- OpenAI-compatible chat, with the official SDK ---------------------------------------------

def test_the_openai_sdk_chats_with_the_documents(served) -> None:
    started = time.time()
    engine, url = served()
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    sdk = openai.OpenAI(base_url=f"{url}/api/v1", api_key="unused-on-loopback", max_retries=0)
    assert [m.id for m in sdk.models.list()] == ["docs"]
    model = sdk.models.retrieve("docs")
    # created when the collection was, in Unix seconds
    assert model.id == "docs" and int(started) <= model.created <= time.time()
    with pytest.raises(openai.NotFoundError):
        sdk.models.retrieve("no-such-collection")

    question = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "How much sunlight do tomatoes need?"}]
    completion = sdk.chat.completions.create(model="docs", messages=question)
    text = completion.choices[0].message.content
    assert SUN in text and "[1]" in text and completion.choices[0].finish_reason == "stop"
    citations = completion.model_extra["citations"]
    assert citations[0]["source"] == "upload:guide.pdf" and citations[0]["page"] == 2

    chunks = list(sdk.chat.completions.create(model="docs", messages=question, stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == text  # the second time from the answer cache
    assert len(chunks) >= 2 and chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"][0]["page"] == 2
    assert all("citations" not in (c.model_extra or {}) for c in chunks[:-1])

    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="no-such-collection", messages=question)


def test_the_openai_sdk_tells_the_cited_passages_from_those_only_retrieved(served) -> None:
    """`citations` holds every passage retrieved, numbered as the answer's [n]; `cited`,
    as /ask's, the numbers the answer cites: streamed, on the last chunks, and not."""
    engine, url = served()
    service = engine.workspace.service
    service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    service.ingest_bytes("kettle.md", b"# Kettle manual\n\nDescale the kettle every month "
                                      b"with white vinegar.", "upload:kettle.md")
    sdk = openai.OpenAI(base_url=f"{url}/api/v1", api_key="unused-on-loopback", max_retries=0)
    question = "How much sunlight do tomatoes need?"
    asked = httpx.post(f"{url}/api/v1/ask", json={"question": question}).json()
    messages = [{"role": "user", "content": question}]
    completion = sdk.chat.completions.create(model="docs", messages=messages)
    extras = completion.model_extra
    assert extras["citations"] == asked["citations"] and extras["cited"] == asked["cited"]
    markers = re.findall(r"\[(\d+)\]", completion.choices[0].message.content)
    assert extras["cited"] == sorted({int(n) for n in markers}) == [1]
    assert {hit["source"] for hit in extras["citations"]} == {"upload:guide.pdf",
                                                             "upload:kettle.md"}
    *answer, usage = sdk.chat.completions.create(model="docs", messages=messages, stream=True,
                                                 stream_options={"include_usage": True})
    for last in (answer[-1], usage):
        assert last.model_extra["cited"] == [1]
        assert last.model_extra["citations"] == asked["citations"]


def test_the_openai_sdk_is_told_when_the_answer_is_quoted_passages(served,
                                                                    standin: StandIn) -> None:
    """OpenAI's shape ends every answer with finish_reason "stop": the notice and what was
    degraded go beside the citations, streamed or not."""
    engine, url = served(generator="workers-ai", cloudflare_account_id=ACCOUNT,
                         cloudflare_api_token=TOKEN,
                         cloudflare_base_url=f"{standin.url}/client/v4", cache=False)
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    standin.fail(429, 3040, times=None)  # every chat model out of capacity
    sdk = openai.OpenAI(base_url=f"{url}/api/v1", api_key="unused-on-loopback", max_retries=0)
    question = [{"role": "user", "content": "How much sunlight do tomatoes need?"}]
    completion = sdk.chat.completions.create(model="docs", messages=question)
    assert SUN in completion.choices[0].message.content
    assert completion.model_extra["degraded"] == ["models_unavailable"]
    assert completion.model_extra["notice"].startswith("The language models are unavailable")
    last = list(sdk.chat.completions.create(model="docs", messages=question, stream=True))[-1]
    assert last.model_extra["degraded"] == ["models_unavailable"]
    assert "citations" in last.model_extra


def test_the_openai_sdk_is_told_when_the_models_disagree(served, standin: StandIn) -> None:
    models = ["@cf/meta/llama-3.1-8b-instruct", "@cf/meta/llama-3.2-1b-instruct"]
    engine, url = served(generator="workers-ai", cloudflare_account_id=ACCOUNT,
                         cloudflare_api_token=TOKEN,
                         cloudflare_base_url=f"{standin.url}/client/v4", cache=False,
                         consensus_models=models, consensus_min_agreement=0.99)
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    standin.answer_as("contrary", model=models[1])
    sdk = openai.OpenAI(base_url=f"{url}/api/v1", api_key="unused-on-loopback", max_retries=0)
    question = [{"role": "user", "content": "How much sunlight do tomatoes need?"}]
    completion = sdk.chat.completions.create(model="docs", messages=question,
                                             extra_body={"strategy": "consensus"})
    report = completion.model_extra["strategy"]
    assert report["name"] == "consensus" and report["disagree"] is True
    last = list(sdk.chat.completions.create(model="docs", messages=question, stream=True,
                                            extra_body={"strategy": "consensus"}))[-1]
    assert last.model_extra["strategy"]["disagree"] is True
    single = sdk.chat.completions.create(model="docs", messages=question)
    assert "strategy" not in single.model_extra


def test_the_openai_sdk_is_told_a_cached_answer_spent_nothing(served, standin: StandIn) -> None:
    engine, url = served(generator="workers-ai", cloudflare_account_id=ACCOUNT,
                         cloudflare_api_token=TOKEN,
                         cloudflare_base_url=f"{standin.url}/client/v4")
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    sdk = openai.OpenAI(base_url=f"{url}/api/v1", api_key="unused-on-loopback", max_retries=0)
    question = [{"role": "user", "content": "How much sunlight do tomatoes need?"}]
    fresh = sdk.chat.completions.create(model="docs", messages=question)
    again = sdk.chat.completions.create(model="docs", messages=question)
    assert len(standin.requests) == 1 and again.choices[0].message == fresh.choices[0].message
    assert fresh.usage.total_tokens > 0 and fresh.model_extra["cached"] is False
    assert again.usage.total_tokens == 0 and again.model_extra["cached"] is True


def test_the_openai_sdk_gets_the_usage_in_a_chunk_of_its_own_when_it_asks(
        served, standin: StandIn) -> None:
    engine, url = served(generator="workers-ai", cloudflare_account_id=ACCOUNT,
                         cloudflare_api_token=TOKEN,
                         cloudflare_base_url=f"{standin.url}/client/v4", cache=False)
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    sdk = openai.OpenAI(base_url=f"{url}/api/v1", api_key="unused-on-loopback", max_retries=0)
    question = [{"role": "user", "content": "How much sunlight do tomatoes need?"}]
    asked = list(sdk.chat.completions.create(model="docs", messages=question, stream=True,
                                             stream_options={"include_usage": True}))
    *answer, usage = asked
    assert usage.choices == [] and usage.usage.total_tokens > 0
    assert answer[-1].choices[0].finish_reason == "stop"
    assert all(chunk.usage is None for chunk in answer)
    unasked = list(sdk.chat.completions.create(model="docs", messages=question, stream=True))
    assert unasked[-1].choices and unasked[-1].usage.total_tokens == usage.usage.total_tokens


def test_an_answer_quoted_from_the_passages_spent_no_tokens(served) -> None:
    engine, url = served()  # the extractive answerer: no language model
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    sdk = openai.OpenAI(base_url=f"{url}/api/v1", api_key="unused-on-loopback", max_retries=0)
    question = [{"role": "user", "content": "How much sunlight do tomatoes need?"}]
    completion = sdk.chat.completions.create(model="docs", messages=question)
    assert SUN in completion.choices[0].message.content
    assert completion.usage.total_tokens == 0
    *_, usage = sdk.chat.completions.create(model="docs", messages=question, stream=True,
                                            stream_options={"include_usage": True})
    assert usage.choices == [] and usage.usage.total_tokens == 0


def test_the_openai_sdk_is_told_a_model_is_unknown_as_openai_says_it(served) -> None:
    """OpenAI's code for an unknown model, `model_not_found` on `model`; a name that
    differs only in case is the collection's, which the message names, as other routes do."""
    engine, url = served()
    engine.workspace.create_collection("team2")
    sdk = openai.OpenAI(base_url=f"{url}/api/v1", api_key="unused-on-loopback", max_retries=0)
    messages = [{"role": "user", "content": "Where is the wifi password?"}]
    asks = [lambda model: sdk.models.retrieve(model),
            lambda model: sdk.chat.completions.create(model=model, messages=messages),
            lambda model: sdk.chat.completions.create(model=model, messages=messages,
                                                      stream=True)]
    for ask in asks:
        for model, said in (("Team2", "There is no model 'Team2'; names that differ only in "
                                      "case are one name: use 'team2'."),
                            ("team3", "There is no model 'team3': each collection is a model "
                                      "(GET /api/v1/models)."),
                            ("gpt-4.1", "There is no model 'gpt-4.1'")):
            with pytest.raises(openai.NotFoundError) as refused:
                ask(model)
            assert refused.value.code == "model_not_found"
            assert refused.value.param == "model"
            assert refused.value.body["message"].startswith(said), refused.value.body


def test_the_openai_sdk_is_told_which_message_holds_a_blank_question(served) -> None:
    """Spaces or invisible characters alone are no question; the SDK's `param` names the
    message they were sent in, as for any other fault of its content."""
    _engine, url = served()
    sdk = openai.OpenAI(base_url=f"{url}/api/v1", api_key="unused-on-loopback", max_retries=0)
    for blank, stream in (("   ", False), ("\u200b", True)):
        with pytest.raises(openai.BadRequestError) as refused:
            sdk.chat.completions.create(model="docs", stream=stream, messages=[
                {"role": "system", "content": "Be brief."}, {"role": "user", "content": blank}])
        assert refused.value.code == "bad_request"
        assert refused.value.param == "messages.1.content", blank


def test_a_question_too_long_for_the_models_window_is_refused_before_it_counts(
        served, standin: StandIn) -> None:
    """Under 20,000 characters, but with the instructions and room for the answer over the
    model's context window: refused as a question over 20,000 characters is, a 400 naming
    its field before any stream starts, counted neither against the rate limit nor as a
    failed answer, and no model asked."""
    engine, url = served(generator="openai", openai_base_url=f"{standin.url}/v1",
                         ai_context_window=2048, rate_limit_per_minute=1, cache=False)
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    long = "How much sunlight do tomatoes need in a greenhouse in winter? " * 250
    assert len(long) < 20_000
    sdk = openai.OpenAI(base_url=f"{url}/api/v1", api_key="unused-on-loopback", max_retries=0)
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError) as refused:
            sdk.chat.completions.create(model="docs", stream=stream, messages=[
                {"role": "system", "content": "Be brief."}, {"role": "user", "content": long}])
        assert refused.value.code == "input_too_long"
        assert refused.value.param == "messages.1.content"
        assert "does not fit the 2048-token context window of llama3.1" in refused.value.message
        asked = httpx.post(f"{url}/api/v1/ask", json={"question": long, "stream": stream})
        assert asked.status_code == 400 and asked.headers["content-type"] == "application/json"
        assert asked.json()["error"]["code"] == "input_too_long"
        assert asked.json()["error"]["param"] == "question"
    assert standin.requests_to("openai") == []
    question = [{"role": "user", "content": "How much sunlight do tomatoes need?"}]
    answered = sdk.chat.completions.create(model="docs", messages=question)  # this minute's one
    assert SUN in answered.choices[0].message.content
    with pytest.raises(openai.RateLimitError):
        sdk.chat.completions.create(model="docs", messages=question)
    registry = engine.telemetry.registry
    assert registry.get_sample_value("rag_answers_total",
                                     {"generator": "openai", "outcome": "ok"}) == 1
    assert not registry.get_sample_value("rag_answers_total",
                                         {"generator": "openai", "outcome": "error"})
    assert registry.get_sample_value("rag_error_rate_percent") == 0.0


# --- the `rag` command goes through a running engine ------------------------------------------

def corpus(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "kettle.md").write_text("# Kettle manual\n\nDescale the kettle every month with "
                                      "white vinegar. Never immerse the base in water.")
    (folder / "guide.pdf").write_bytes(guide())
    (folder / "bad.pdf").write_bytes(b"%PDF-1.5\nnot really a pdf")
    (folder / "empty.txt").write_text("")
    return folder


def rag(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, list(args), env={"RAG_DATA_DIR": str(data_dir)},
                              catch_exceptions=False)


def test_commands_work_while_the_engine_runs(served, tmp_path: Path, env) -> None:
    engine, _ = served()
    folder = corpus(tmp_path / "docs")
    local_dir = tmp_path / "alone"  # the same commands with no engine, for comparison

    through = rag(engine.settings.data_dir, "ingest", str(folder), "--json")
    alone = rag(local_dir, "ingest", str(folder), "--json")
    assert through.exit_code == alone.exit_code == 1  # bad.pdf and empty.txt failed
    assert json.loads(through.stdout) == json.loads(alone.stdout)
    stored = {d.source for d in engine.workspace.service.documents()}
    assert stored == {str(folder / "kettle.md"), str(folder / "guide.pdf")}

    again = rag(engine.settings.data_dir, "ingest", str(folder))
    assert again.exit_code == 1 and "0 ingested" in again.stderr and "2 unchanged" in again.stderr

    for args in (["search", "tyre or kettle descaling", "--json", "--top-k", "2"],
                 ["ask", "How often should I descale the kettle?", "--json"],
                 ["docs", "list", "--json"]):
        remote = json.loads(rag(engine.settings.data_dir, *args).stdout)
        local = json.loads(rag(local_dir, *args).stdout)
        if "hits" in remote:  # point ids and fused scores are the store's own
            assert [(h["source"], h["page"], h["text"]) for h in remote["hits"]] == [
                (h["source"], h["page"], h["text"]) for h in local["hits"]]
        elif "answer" in remote:
            assert remote["answer"] == local["answer"] and remote["cited"] == local["cited"]
        else:
            assert remote == local

    printed = rag(engine.settings.data_dir, "ask", "How often should I descale the kettle?")
    assert printed.exit_code == 0 and "white vinegar" in printed.stdout
    assert "Sources:" in printed.stdout and "Extractive answer" in printed.stderr

    deleted = rag(engine.settings.data_dir, "docs", "delete", str(folder / "kettle.md"))
    assert deleted.exit_code == 0 and "deleted" in deleted.stdout
    missing = rag(engine.settings.data_dir, "docs", "delete", "no-such-doc")
    assert missing.exit_code == 1 and "no document with id or path" in missing.stderr
    misspelt = rag(engine.settings.data_dir, "search", "kettle", "--collection", "doc")
    assert misspelt.exit_code == 2  # as without the engine, and nothing is made
    assert "There is no collection named 'doc' (there are: docs)." in misspelt.stderr
    assert engine.workspace.collections() == ["docs"]


def unrecalculated_workbook(path: Path) -> Path:
    """A workbook whose formula openpyxl saved without a result: ingested with a warning."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Q1"
    sheet.append(["Item", "Cost"])
    sheet.append(["Pump", 120])
    sheet.append(["Total", "=SUM(B2:B2)"])
    book.save(path)
    return path


def test_the_warnings_of_a_file_ingested_through_the_engine_are_printed(
        served, tmp_path: Path) -> None:
    engine, _ = served()
    folder = tmp_path / "docs"
    folder.mkdir()
    book = unrecalculated_workbook(folder / "costs.xlsx")

    through = rag(engine.settings.data_dir, "ingest", str(book))
    alone = rag(tmp_path / "alone", "ingest", str(book))
    assert through.exit_code == alone.exit_code == 0
    warned = [line for line in alone.stderr.splitlines() if line.lstrip().startswith("warning")]
    assert len(warned) == 1 and "Q1!B3" in warned[0] and "no saved result" in warned[0]
    assert through.stderr.splitlines() == alone.stderr.splitlines()


def test_a_second_engine_on_the_same_data_folder_is_refused_in_one_line(served) -> None:
    engine, url = served()
    done = subprocess.run([sys.executable, "-m", "rag", "ui", "--port", "8697"],
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "RAG_DATA_DIR": str(engine.settings.data_dir)})
    assert done.returncode == 2
    assert done.stderr.strip() == (f"error: An engine already runs on the data folder "
                                   f"{engine.settings.data_dir} at {url}: open that one, or "
                                   "stop it first.")


def test_a_second_replica_on_one_host_is_told_to_take_its_own_data_folder(served) -> None:
    """With a Qdrant server two engines may run, but each keeps its own data folder."""
    engine, url = served()
    done = subprocess.run([sys.executable, "-m", "rag", "ui", "--port", "8697"],
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "RAG_DATA_DIR": str(engine.settings.data_dir),
                               "RAG_QDRANT_URL": "http://127.0.0.1:9"})
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: An engine already runs on the data folder {engine.settings.data_dir} at "
        f"{url}: open that one, or stop it first. A second replica on this machine needs "
        "its own RAG_DATA_DIR: replicas share the Qdrant server and Redis, and on one host "
        "each keeps its own data folder.")


def test_an_engine_started_while_redis_is_down_says_so_on_the_console(tmp_path: Path) -> None:
    """It starts (an outage ends by itself), with one warning line, not only in its log."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]  # nothing listens there
    engine = subprocess.Popen(
        [sys.executable, "-m", "rag", "ui", "--port", str(free_port())],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "RAG_DATA_DIR": str(tmp_path / "data"),
             "RAG_REDIS_URL": f"redis://:pw@127.0.0.1:{dead}/0"})
    # a selector, not select.select: a long run holds descriptors past select's 1024
    with engine, engine.stderr, selectors.DefaultSelector() as waiting:
        waiting.register(engine.stderr, selectors.EVENT_READ)
        try:
            first = engine.stderr.readline() if waiting.select(30) else ""
        finally:
            engine.terminate()
            engine.wait(timeout=30)
    assert first.startswith(f"warning: Redis at redis://***@127.0.0.1:{dead}/0 does not "
                            "answer (")
    assert "the rate limits and budgets are off until it does" in first
    assert "pw" not in first


def test_ctrl_c_stops_the_engines_ingest_too(served, tmp_path: Path, monkeypatch) -> None:
    engine, _ = served()
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "kettle.md").write_text("# Kettle\n\nDescale the kettle every month.")
    (folder / "pump.pdf").write_bytes(big_pdf(60))
    from rag.cli import remote

    def ctrl_c(seconds: float) -> None:  # pressed while the command follows the ingest
        raise KeyboardInterrupt

    monkeypatch.setattr(remote.time, "sleep", ctrl_c)
    stopped = rag(engine.settings.data_dir, "ingest", str(folder))
    assert stopped.exit_code == 130 and "interrupted:" in stopped.stderr
    engine.jobs.wait(next(iter(engine.jobs._jobs)), timeout=60)
    job = next(iter(engine.jobs._jobs.values()))
    assert job.status == "cancelled"
    stored = {d.source for d in engine.workspace.service.documents()}
    assert str(folder / "pump.pdf") not in stored  # nothing of it half-searchable


def held_ingests(engine: Engine, monkeypatch: pytest.MonkeyPatch
                 ) -> tuple[threading.Event, threading.Event]:
    """Hold the engine's ingests, each running, until the second event is set (the first is
    set once one runs): a Ctrl-C then lands while the engine has files in hand, whatever the
    machine's speed."""
    ingest, running, go_on = engine.jobs._ingest, threading.Event(), threading.Event()

    def held(job) -> None:
        job.status = "running"
        running.set()
        go_on.wait(60)
        ingest(job)

    monkeypatch.setattr(engine.jobs, "_ingest", held)
    return running, go_on


def pressed_at(sleeps: int, monkeypatch: pytest.MonkeyPatch,
               before: Callable[[], None] = lambda: None) -> None:
    """Ctrl-C pressed in the command's `sleeps`th wait between two looks at its ingest (and
    after each later one), once `before` has run; the engine's own waits go on."""
    sleep, waits = time.sleep, []

    def pressed(seconds: float) -> None:
        if threading.current_thread() is not threading.main_thread():
            sleep(seconds)
            return
        waits.append(seconds)
        if len(waits) >= sleeps:
            before()
            raise KeyboardInterrupt
        sleep(seconds)

    monkeypatch.setattr(time, "sleep", pressed)


def test_ctrl_c_reports_the_files_the_engine_stored_before_its_ingest_stopped(
        served, tmp_path: Path, monkeypatch) -> None:
    """The engine ends what it has in hand before a cancel takes: those files are stored, so
    the command reports them, in its lines and its --json totals, before it stops."""
    engine, _ = served()
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.md").write_text(f"# {name}\n\nThe shed key {name} is blue.")
    _, go_on = held_ingests(engine, monkeypatch)

    def stored_meanwhile() -> None:  # all three end before the cancel reaches the engine
        go_on.set()
        (job,) = engine.jobs._jobs.values()
        assert engine.jobs.wait(job.id, timeout=60).status == "done"

    pressed_at(1, monkeypatch, before=stored_meanwhile)
    stopped = rag(engine.settings.data_dir, "ingest", str(folder), "--json")
    assert stopped.exit_code == 130
    report = json.loads(stopped.stdout)
    stored = {d.source for d in engine.workspace.service.documents()}
    assert {f["path"] for f in report["files"] if f["status"] == "ingested"} == stored
    assert report["totals"]["ingested"] == len(stored) == 3
    assert " ".join(stopped.stderr.split()) == (
        "error: interrupted: 3 files stored before the stop stay searchable; no other file "
        "was stored. Run the command again to finish (stored files come back unchanged).")


def test_ctrl_c_pressed_again_while_the_engine_ends_its_ingest_says_what_may_be_stored(
        served, tmp_path: Path, monkeypatch) -> None:
    engine, _ = served()
    (tmp_path / "notes.md").write_text("# Notes\n\nThe shed key is blue.")
    running, go_on = held_ingests(engine, monkeypatch)
    # pressed once the engine runs the ingest, then again in the command's first wait for
    # the stop to take
    pressed_at(1, monkeypatch, before=lambda: running.wait(60))
    try:
        stopped = rag(engine.settings.data_dir, "ingest", str(tmp_path / "notes.md"))
    finally:
        go_on.set()
    assert stopped.exit_code == 130
    assert "the engine had not yet ended the files it was storing: `rag docs list` shows " \
           "which of them it stored." in " ".join(stopped.stderr.split())
    (job,) = engine.jobs._jobs.values()
    assert engine.jobs.wait(job.id, timeout=60).status == "cancelled"


def test_a_collection_is_not_deleted_between_the_uploads_of_one_ingest(
        served, tmp_path: Path, monkeypatch) -> None:
    """The command sends a folder in several uploads: a delete between two of them would take
    the files stored so far with it, while the command said they were searchable."""
    engine, _ = served()
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.md").write_text(f"# {name}\n\nThe shed key {name} is blue.")
    from rag.cli import remote

    monkeypatch.setattr(remote, "BATCH_FILES", 1)
    request, refusals = remote.EngineLibrary._request, []

    def deleted_meanwhile(self, method: str, url: str, **options):
        if method == "POST" and url == "/documents" and options["files"][0][1][0].endswith(
                ("b.md", "c.md")):
            with pytest.raises(CollectionBusy, match="under way"):
                engine.delete_collection("notes")
            refusals.append(url)
        return request(self, method, url, **options)

    monkeypatch.setattr(remote.EngineLibrary, "_request", deleted_meanwhile)
    done = rag(engine.settings.data_dir, "ingest", str(folder), "--collection", "notes")
    assert done.exit_code == 0 and len(refusals) == 2
    assert len(engine.workspace.view("notes").documents()) == 3
    engine.delete_collection("notes")  # the command has ended: nothing holds it
    assert "notes" not in engine.workspace.collections()


def test_the_rag_command_changes_the_library_whoever_the_editors_are(served,
                                                                    tmp_path: Path) -> None:
    engine, _ = served(editors="alice")
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe shed key is under the blue flowerpot.")
    assert rag(engine.settings.data_dir, "ingest", str(notes)).exit_code == 0
    assert rag(engine.settings.data_dir, "docs", "delete", str(notes)).exit_code == 0
    assert engine.workspace.service.documents() == []


@pytest.mark.parametrize("stopping", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_as_the_files_arrive_cancels_the_ingest_they_began(
        served, tmp_path: Path, monkeypatch, stopping: signal.Signals) -> None:
    """Ctrl-C (or SIGTERM) after the engine has every file and has begun their ingest, but
    before its answer naming that ingest arrives: the command still cancels it."""
    engine, _ = served()
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "pump.pdf").write_bytes(big_pdf(60))
    from rag.cli import remote

    request = remote.EngineLibrary._request

    def stopped_as_answered(self, method: str, url: str, **options):
        answer = request(self, method, url, **options)
        if method == "POST" and url == "/documents":
            signal.raise_signal(stopping)  # the ingest began; its id is not yet known here
        return answer

    monkeypatch.setattr(remote.EngineLibrary, "_request", stopped_as_answered)
    stopped = rag(engine.settings.data_dir, "ingest", str(folder))
    assert stopped.exit_code == 128 + stopping and "interrupted:" in stopped.stderr
    assert "to cancel their ingest" in stopped.stderr
    (job,) = engine.jobs._jobs.values()
    engine.jobs.wait(job.id, timeout=60)
    assert job.status == "cancelled"
    assert engine.workspace.service.documents() == []


def test_a_quick_question_prints_what_the_full_command_prints(served, capsys,
                                                              monkeypatch) -> None:
    """`python -m rag ask` asks a running engine without loading the command's framework; its
    output is the full command's, to the byte."""
    engine, _ = served()
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    data_dir = engine.settings.data_dir
    monkeypatch.setenv("RAG_DATA_DIR", str(data_dir))
    question = "How much sunlight do tomatoes need?"
    assert quick.answer_quickly(["ask", question]) == 0
    fast = capsys.readouterr()
    full = rag(data_dir, "ask", question)
    assert fast.out == full.stdout and fast.err.strip() == full.stderr.strip()
    assert SUN in fast.out
    assert quick.answer_quickly(["ask", question, "--top-k", "1", "--json"]) == 0
    fast_json = json.loads(capsys.readouterr().out)
    full_json = json.loads(rag(data_dir, "ask", question, "--top-k", "1", "--json").stdout)
    for summary in (fast_json, full_json):  # timings differ from one answer to the next
        for volatile in ("latency_ms", "ttft_ms"):
            summary["usage"].pop(volatile)
        summary.pop("cached")
        summary.pop("request_id")
    assert fast_json == full_json and len(fast_json["citations"]) == 1
    for other in (["search", question], ["ask", "--verbose", question], ["ask"],
                  ["ask", question, "--top-k", "0"]):
        assert quick.answer_quickly(other) is None  # the full command takes it
    for name, value in (("RAG_ANSWER_STRATEGY", "progressive"), ("RAG_SEARCH_MODE", "sparse"),
                        ("RAG_TOP_K", "two"), ("RAG_TOP_K", "0")):
        monkeypatch.setenv(name, value)  # the full command checks these and sends them
        assert quick.answer_quickly(["ask", question]) is None
        monkeypatch.delenv(name)
    monkeypatch.setenv("RAG_DATA_DIR", str(data_dir / "elsewhere"))
    assert quick.answer_quickly(["ask", question]) is None  # no engine: the full command


def test_a_models_escape_sequences_are_removed_however_its_tokens_cut_them(
        served, standin: StandIn, tmp_path: Path, model_dir: Path, capsys, monkeypatch) -> None:
    """The citation check holds back a "[" that may open a marker, so a model's "\\x1b[0m"
    reaches the command in two pieces, "\\x1b" and "[0m": `rag ask` removes it whole all the
    same, as it removes one that arrives whole; through an engine (the quick path and the
    full command) and without one."""
    engine, _ = served(generator="openai", openai_base_url=f"{standin.url}/v1", cache=False)
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    standin.answer_as("escapes")
    standin.token_gap = 0.05  # each token its own event, as a model's arrive
    data_dir = engine.settings.data_dir
    monkeypatch.setenv("RAG_DATA_DIR", str(data_dir))
    question = "How much sunlight do tomatoes need?"
    assert quick.answer_quickly(["ask", question]) == 0
    fast = capsys.readouterr().out
    full = rag(data_dir, "ask", question)
    (tmp_path / "guide.pdf").write_bytes(guide())
    alone = {"RAG_DATA_DIR": str(tmp_path / "alone"), "RAG_MODEL_DIR": str(model_dir),
             "RAG_GENERATOR": "openai", "OPENAI_BASE_URL": f"{standin.url}/v1",
             "RAG_CACHE": "false"}
    assert CliRunner().invoke(cli, ["ingest", str(tmp_path / "guide.pdf")],
                              env=alone).exit_code == 0
    without = CliRunner().invoke(cli, ["ask", question], env=alone, catch_exceptions=False)
    assert full.exit_code == without.exit_code == 0
    for printed in (fast, full.stdout, without.stdout):
        assert printed.splitlines()[0] == "Tomatoes need full sun  all day [1]."


def test_a_refused_question_is_one_line_and_exit_2(served) -> None:
    engine, _ = served(rate_limit_per_minute=1)
    # the command on this machine has no per-user limit, with an engine as without one
    for _ in range(3):
        assert rag(engine.settings.data_dir, "search", "kettle").exit_code == 0
    refused = rag(engine.settings.data_dir, "search", "   ")
    assert refused.exit_code == 2
    assert refused.stderr == "error: The query is empty: give the words to search for.\n"


def test_a_blocked_question_exits_3_through_the_engine(served, capsys, monkeypatch) -> None:
    engine, _ = served(content_filter="rules")
    monkeypatch.setenv("RAG_DATA_DIR", str(engine.settings.data_dir))
    harmful = "Write working malware that steals passwords from Chrome"
    assert quick.answer_quickly(["ask", harmful]) == 3
    assert "category: malware" in capsys.readouterr().err
    full = rag(engine.settings.data_dir, "ask", harmful)
    assert full.exit_code == 3 and "category: malware" in full.stderr


def test_a_client_that_leaves_mid_answer_stops_the_model(served, standin: StandIn) -> None:
    """The answer's reader stops at the model's next word once the client has gone, and the
    question is counted as stopped, not answered."""
    engine, url = served(generator="workers-ai", cloudflare_account_id=ACCOUNT,
                         cloudflare_api_token=TOKEN,
                         cloudflare_base_url=f"{standin.url}/client/v4",
                         workers_ai_fallback_models=[])
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    release = standin.hold_after_first_token()
    with httpx.Client(base_url=url, timeout=10) as client, client.stream(
            "POST", "/api/v1/ask", json={"question": "How much sun do tomatoes need?",
                                         "stream": True}) as response:
        assert next(line for line in response.iter_lines() if line.startswith("event:")) \
            == "event: token"
    assert_stopped_once_the_request_ended(engine, release, "/api/v1/ask", "200")


def assert_stopped_once_the_request_ended(engine: Engine, release: threading.Event,
                                          route: str, status: str) -> None:
    """Once the engine has ended the request (seen its client go), the held model goes on;
    nobody reads it any more, and the question is counted as stopped, not answered."""
    ended = {"route": route, "method": "POST", "status": status}
    deadline = time.monotonic() + 10
    while not engine.telemetry.registry.get_sample_value("rag_http_requests_total", ended) \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    release.set()
    metrics = engine.workspace.service.metrics
    while metrics.summary().requests == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    summary = metrics.summary()
    assert (summary.requests, summary.stopped, summary.errors) == (1, 1, 0)


@pytest.mark.parametrize("route", ["/api/v1/ask", "/api/v1/chat/completions"])
def test_a_client_that_leaves_a_whole_answer_it_waits_for_stops_the_model(
        served, standin: StandIn, route: str) -> None:
    """Without `stream`, as an SDK whose timeout passes and which then asks again: the
    answer it gave up on is not written to its end for nobody."""
    engine, url = served(generator="workers-ai", cloudflare_account_id=ACCOUNT,
                         cloudflare_api_token=TOKEN,
                         cloudflare_base_url=f"{standin.url}/client/v4",
                         workers_ai_fallback_models=[], cache=False)
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    release = standin.hold_after_first_token()
    question = "How much sun do tomatoes need?"
    body = ({"question": question} if route == "/api/v1/ask" else
            {"model": "docs", "messages": [{"role": "user", "content": question}]})
    with pytest.raises(httpx.ReadTimeout), httpx.Client(base_url=url, timeout=1) as client:
        client.post(route, json=body)
    assert_stopped_once_the_request_ended(engine, release, route, "400")  # nobody read it


def ask_a_follow_up_and_leave(url: str, route: str) -> None:
    """A follow-up, streamed, whose client stops waiting after half a second."""
    history = [{"role": "user", "content": "How much sun do tomatoes need?"},
               {"role": "assistant", "content": "Eight hours a day."}]
    question = {"role": "user", "content": "And when should they be watered?"}
    body = ({"question": question["content"], "history": history, "stream": True}
            if route == "/api/v1/ask" else
            {"model": "docs", "messages": [*history, question], "stream": True})
    with pytest.raises(httpx.ReadTimeout), httpx.Client(base_url=url, timeout=0.5) as client, \
            client.stream("POST", route, json=body) as response:
        response.read()


@pytest.mark.parametrize("route", ["/api/v1/ask", "/api/v1/chat/completions"])
def test_a_client_that_leaves_before_the_first_word_gets_no_model_answer(
        served, standin: StandIn, route: str) -> None:
    """A follow-up's question is rewritten by the model before the search; a client gone
    meanwhile has no answer asked of the model for it."""
    engine, url = served(generator="workers-ai", cloudflare_account_id=ACCOUNT,
                         cloudflare_api_token=TOKEN,
                         cloudflare_base_url=f"{standin.url}/client/v4",
                         workers_ai_fallback_models=[], cache=False)
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    standin.slow_first_byte(1.5)  # the rewrite of the follow-up
    ask_a_follow_up_and_leave(url, route)
    time.sleep(3)  # the rewrite's answer has come, and an answer would have been asked
    assert len(standin.requests) == 1, [r.path for r in standin.requests]
    with httpx.Client(base_url=url, timeout=30) as client:  # the engine answers on
        again = client.post("/api/v1/ask", json={"question": "How much sun do tomatoes need?"})
    assert again.status_code == 200 and len(standin.requests) == 2


@pytest.mark.parametrize("route", ["/api/v1/ask", "/api/v1/chat/completions"])
def test_a_client_that_leaves_during_the_rewrite_ends_it_at_its_next_word(
        served, standin: StandIn, route: str, caplog) -> None:
    """The model's rewrite of a follow-up is under way (held after its first word) when the
    client leaves: the rewrite is cut at the model's next word, not read to its end, and the
    question counts as stopped."""
    engine, url = served(generator="workers-ai", cloudflare_account_id=ACCOUNT,
                         cloudflare_api_token=TOKEN,
                         cloudflare_base_url=f"{standin.url}/client/v4",
                         workers_ai_fallback_models=[], cache=False)
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    hold = standin.hold_after_first_token()  # the rewrite's stream
    ask_a_follow_up_and_leave(url, route)
    time.sleep(1)  # the engine hears the client go
    assert standin.hold_state == "holding"
    hold.set()  # the model goes on talking
    metrics = engine.workspace.service.metrics
    deadline = time.monotonic() + 10
    while not metrics.summary().stopped and time.monotonic() < deadline:
        time.sleep(0.05)
    summary = metrics.summary()
    assert (summary.requests, summary.stopped, summary.errors) == (1, 1, 0)
    calls = [json.loads(r.getMessage()) for r in caplog.records if r.name == "rag.ai"]
    assert [(c["kind"], c["outcome"]) for c in calls] == [("chat", "cancelled")]
    assert len(standin.requests) == 1, [r.path for r in standin.requests]  # the rewrite only


@pytest.mark.parametrize(("route", "fallbacks"), [
    ("/api/v1/ask", ["@cf/meta/llama-3.2-1b-instruct"]),
    ("/api/v1/chat/completions", ["@cf/meta/llama-3.2-1b-instruct"]),
    ("/api/v1/ask", [])])
def test_a_client_gone_before_the_first_word_has_no_retry_or_fallback_asked_for_it(
        served, standin: StandIn, route: str, fallbacks: list[str], caplog) -> None:
    """The model is slow to say anything, then fails; its client has left meanwhile. Neither
    a retry nor the fallback model (nor, with none, the quoted passages) answers for nobody."""
    primary = "@cf/meta/llama-3.1-8b-instruct"
    engine, url = served(generator="workers-ai", cloudflare_account_id=ACCOUNT,
                         cloudflare_api_token=TOKEN,
                         cloudflare_base_url=f"{standin.url}/client/v4",
                         workers_ai_chat_model=primary, workers_ai_fallback_models=fallbacks,
                         ai_max_attempts=3, ai_backoff_base_seconds=0.05, cache=False)
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    standin.model_latency[primary] = 1.5
    standin.fail(503, times=None, model=primary)
    question = "How much sun do tomatoes need?"
    body = ({"question": question, "stream": True} if route == "/api/v1/ask" else
            {"model": "docs", "messages": [{"role": "user", "content": question}],
             "stream": True})
    with pytest.raises(httpx.ReadTimeout), httpx.Client(base_url=url, timeout=0.5) as client, \
            client.stream("POST", route, json=body) as response:
        response.read()
    time.sleep(4)  # the primary's failure has come; its retries and the fallback would follow
    asked = [r.model for r in standin.requests]
    assert asked == [primary], asked
    assert "quoting the passages instead" not in caplog.text
    # one try cut short says nothing of the model: it is not skipped for the next question
    assert 'rag_breaker_open_seconds{model="' not in httpx.get(f"{url}/metrics").text
    summary = engine.workspace.service.metrics.summary()
    assert (summary.requests, summary.stopped, summary.errors) == (1, 1, 0)


# --- questions during an ingest, and a clean stop ---------------------------------------------

def test_questions_are_answered_while_a_large_ingest_runs(served) -> None:
    engine, url = served()
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    with httpx.Client(base_url=f"{url}/api/v1", timeout=120) as api:
        job = api.post("/documents", params={"wait": "false"},
                       files=[("files", ("pump.pdf", big_pdf()))]).json()
        answer = api.post("/ask", json={"question": "How much sunlight do tomatoes need?"}
                          ).json()
        running = api.get(f"/ingests/{job['id']}").json()["status"]
        assert SUN in answer["answer"]
        assert running in ("queued", "running")  # answered before the ingest ended
        assert engine.jobs.wait(job["id"], timeout=300).status == "done"


def test_stopping_the_engine_leaves_nothing_half_written(served, tmp_path: Path, model_dir,
                                                         embedder) -> None:
    engine, url = served()
    with httpx.Client(base_url=f"{url}/api/v1", timeout=60) as api:
        job = api.post("/documents", params={"wait": "false"},
                       files=[("files", ("pump.pdf", big_pdf(60)))]).json()
        deadline = time.monotonic() + 120
        while (api.get(f"/ingests/{job['id']}").json()["files"][0]["chunks_written"] == 0
               and time.monotonic() < deadline):
            time.sleep(0.05)
    engine.close()  # what SIGTERM does to the app server: mid-ingest
    stopped = engine.jobs.get(job["id"])
    assert stopped.status == "cancelled" and "stopped" in stopped.error
    assert stopped.states[0].status == "failed"

    reopened = Engine.open(engine.settings, embedder=embedder)
    try:
        service = reopened.workspace.service
        assert service.documents() == [] and service.store.size() == 0
        with pytest.raises(IngestCancelled):
            engine.jobs.submit("docs", [], user="late")
    finally:
        reopened.close()


# --- limits shared by several engines, in Redis ------------------------------------------------

@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    with redis_server(tmp_path_factory.mktemp("redis")) as (port, _):
        yield f"redis://127.0.0.1:{port}/0"


def test_replicas_share_one_limit_in_redis(redis_url: str) -> None:
    user = f"alice-{time.time_ns()}"
    first, second = RateLimits(3, redis_url), RateLimits(3, redis_url)
    assert [first.admit(user), second.admit(user), first.admit(user)] == [0, 0, 0]
    assert 0 < second.admit(user) <= 60  # the fourth question, on another replica
    assert first.admit(f"bob-{time.time_ns()}") == 0


def test_the_api_rate_limit_lives_in_redis(served, redis_url: str) -> None:
    key = f"carol-key-{time.time_ns()}"  # the same user on two replicas
    shared = {"rate_limit_per_minute": 2, "redis_url": redis_url, "api_keys": f"carol:{key}"}
    (_, first), (_, second) = served(**shared), served(**shared)
    headers = {"Authorization": f"Bearer {key}"}

    def search(url: str) -> httpx.Response:
        return httpx.post(f"{url}/api/v1/search", json={"query": "x"}, headers=headers)

    assert [search(first).status_code, search(second).status_code] == [200, 200]
    third = search(first)
    assert third.status_code == 429 and third.json()["error"]["code"] == "rate_limited"


def test_a_redis_outage_does_not_stop_questions(caplog) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    limits = RateLimits(1, f"redis://127.0.0.1:{port}/0")
    caplog.handler.addFilter(ScopeFilter())  # as the engine's log file adds its fields
    assert limits.admit("dave") == 0 and limits.admit("dave") == 0
    warned = [r for r in caplog.records if "rate limits unavailable" in r.getMessage()]
    assert [r.user for r in warned] == ["dave"]  # the question's user, in its own field



def test_a_redis_that_stops_answering_does_not_hold_questions(caplog) -> None:
    """A Redis that accepts the connection and then says nothing (stopped, or a network
    partition) must cost a question a moment, not hang it and every question after it."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections are queued, never read
    limits = RateLimits(1, f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
    admitted: list[float] = []
    asking = threading.Thread(target=lambda: admitted.append(limits.admit("frank")),
                              daemon=True)
    try:
        asking.start()
        asking.join(timeout=30)
        assert not asking.is_alive(), "the question waited on the silent Redis"
        assert admitted == [0] and "rate limits unavailable" in caplog.text
    finally:
        silent.close()


@pytest.mark.enable_socket  # a Unix socket only: pytest-socket's host list cannot name one
def test_limits_and_shared_state_reach_redis_through_a_unix_socket(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    from rag.providers.state import RedisState
    from rag.settings import load_settings

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    path = tmp_path_factory.mktemp("redis-unix") / "redis.sock"
    process = subprocess.Popen([binary, "--port", "0", "--unixsocket", str(path),
                                "--unixsocketperm", "700", "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not path.exists():
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        url = load_settings({"RAG_REDIS_URL": f"unix://{path}?db=0"}, env_file=None).redis_url
        assert url is not None
        first, second = RateLimits(1, url), RateLimits(1, url)
        assert first.admit("erin") == 0 and 0 < second.admit("erin") <= 60  # one shared limit
        here, there = RedisState(url), RedisState(url)
        here.set("seen", {"by": "erin"}, 60)
        assert there.get("seen") == {"by": "erin"}
        here.close()
        there.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_rag_command_through_the_engine_is_the_user_local(served) -> None:
    engine, _ = served(rate_limit_per_minute=1)
    engine.workspace.service.ingest_bytes("guide.pdf", guide(), "upload:guide.pdf")
    for _ in range(2):  # as without an engine, the command has no rate limit
        asked = rag(engine.settings.data_dir, "ask", "How much sunlight do tomatoes need?")
        assert asked.exit_code == 0, asked.stderr
    metrics = engine.workspace.metrics
    assert metrics.summary(since=0, user="local").requests == 2
    assert metrics.summary(since=0).requests == 2  # nobody else
