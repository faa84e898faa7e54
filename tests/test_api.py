"""The HTTP API in-process through httpx.ASGITransport: every route, its JSON (the `rag`
command's --json), its errors, who may call, rate limits, progress and metrics."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.parse_ahead import SourceFile
from rag.engine import discovery
from rag.engine import jobs as jobs_module
from rag.engine.access import ApiKeys, add_key, key_hash, same_origin
from rag.engine.api import questions
from rag.engine.api.app import create_api, metrics_endpoint, mounted
from rag.engine.api.openai import chunks
from rag.engine.api.questions import start_answer
from rag.engine.engine import Engine
from rag.engine.framing import FramedByOwnPagesOnly
from rag.engine.heap import THRESHOLDS, settle_heap
from rag.engine.jobs import FOLLOWING_UPLOAD_SECONDS
from rag.engine.sockets import disable_nagle
from rag.errors import ConfigError
from rag.settings import load_settings
from rag.stores.base import MIN_FREE_BYTES
from rag.types import Answer, GenerationRecord
from tests.conftest import fresh_settings
from tests.pdfgen import filler, make_pdf
from tests.workers_ai_server import ACCOUNT, TOKEN, ServerThread

pytestmark = pytest.mark.anyio
SUN = "Tomatoes need at least eight hours of direct sunlight each day."


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def open_engine(tmp_path: Path, model_dir: Path, embedder):
    """Engines as the app server opens them, each with its own data folder."""
    engines: list[Engine] = []

    def make(**values: object) -> Engine:
        settings = fresh_settings(tmp_path / f"engine{len(engines)}", model_dir, **values)
        engine = Engine.open(settings, embedder=embedder)
        engine.announce("http://127.0.0.1:9")  # server.json, and /metrics serves it
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


@pytest.fixture
def engine(open_engine) -> Engine:
    return open_engine()


def server(engine: Engine) -> Starlette:
    """The routes the app server mounts beside the chat."""
    return Starlette(routes=[mounted(create_api(engine)),
                             Route("/metrics", metrics_endpoint)])


def client(engine: Engine, host: str = "127.0.0.1", key: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    transport = httpx.ASGITransport(app=server(engine), client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://localhost/api/v1",
                             headers=headers)


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    async with client(engine) as c:
        yield c


def guide() -> bytes:
    return make_pdf([filler("Plants need light and water."), f"{SUN}\nWater them in the morning."],
                    title="Greenhouse guide")


OPENAI_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "type",
                                                             "param"}, body
    assert body["error"]["message"]
    assert body["error"]["type"] == OPENAI_TYPES.get(response.status_code, (
        "server_error" if response.status_code >= 500 else "invalid_request_error"))
    return response.status_code, body["error"]["code"]


async def upload(api: httpx.AsyncClient, *files: tuple[str, bytes], **params: str
                 ) -> httpx.Response:
    return await api.post("/documents", params=params,
                          files=[("files", (name, data)) for name, data in files])


# --- the library ------------------------------------------------------------------------------

async def test_upload_list_search_ask_and_delete(api: httpx.AsyncClient, engine: Engine) -> None:
    response = await upload(api, ("guide.pdf", guide()), ("notes.md", b"# Notes\n\nThe key "
                                                           b"is under the blue pot."))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["totals"] == {"files": 2, "ingested": 2, "unchanged": 0, "failed": 0,
                                "skipped": 0, "chunks": report["totals"]["chunks"]}
    assert [f["path"] for f in report["files"]] == ["upload:guide.pdf", "upload:notes.md"]
    assert set(report["files"][0]) == {"path", "status", "doc_id", "chunks", "error",
                                       "warnings", "moved_from"}

    listed = (await api.get("/documents")).json()
    docs = listed["documents"]
    assert {d["source"] for d in docs} == {"upload:guide.pdf", "upload:notes.md"}
    assert set(docs[0]) == {"doc_id", "source", "title", "chunks", "media_type"}
    assert listed["total"] == 2
    # a page of a large library, by source path, and how many there are in all
    for query, sources in (("limit=1", ["upload:guide.pdf"]),
                           ("limit=1&offset=1", ["upload:notes.md"]),
                           ("offset=2", [])):
        page = (await api.get(f"/documents?{query}")).json()
        assert [d["source"] for d in page["documents"]] == sources and page["total"] == 2
    assert error_of(await api.get("/documents?limit=0")) == (400, "bad_request")

    hits = (await api.post("/search", json={"query": "how much sun for tomatoes",
                                            "top_k": 2})).json()["hits"]
    assert hits[0]["source"] == "upload:guide.pdf" and hits[0]["page"] == 2

    answer = (await api.post("/ask", json={"question": "How much sunlight do tomatoes need?"}
                             )).json()
    assert "eight hours" in answer["answer"] and 1 in answer["cited"]
    assert answer["citations"][0]["page"] == 2 and answer["generator"] == "extractive"
    assert set(answer) == {"answer", "citations", "generator", "model", "usage", "cached",
                           "notice", "cited", "query", "degraded", "strategy", "request_id"}
    assert answer["degraded"] == [] and answer["strategy"] is None and answer["request_id"]
    # a strategy is chosen per question; the extractive answerer always answers alone, and
    # says so
    chosen = (await api.post("/ask", json={"question": "How much sunlight do tomatoes need?",
                                           "strategy": "consensus"})).json()
    assert chosen["generator"] == "extractive" and chosen["strategy"] is None
    assert chosen["notice"].startswith("Answered by quoting passages: consensus needs a "
                                       "language model")
    assert error_of(await api.post("/ask", json={"question": "x", "strategy": "vote"})) == (
        400, "bad_request")
    # null is no history, as it is the default collection
    nulls = (await api.post("/ask", json={"question": "How much sunlight do tomatoes need?",
                                          "history": None, "collection": None})).json()
    assert "eight hours" in nulls["answer"]
    # the upload is kept so that the page viewer can draw it
    pdf_id = next(d["doc_id"] for d in docs if d["source"] == "upload:guide.pdf")
    assert (engine.settings.data_dir / "uploads" / f"{pdf_id}.pdf").exists()

    deleted = (await api.delete(f"/documents/{pdf_id}")).json()["deleted"]
    assert [d["doc_id"] for d in deleted] == [pdf_id]
    assert error_of(await api.delete(f"/documents/{pdf_id}")) == (404, "not_found")
    assert [d["source"] for d in (await api.get("/documents")).json()["documents"]] == [
        "upload:notes.md"]


async def test_the_answer_streams_as_server_sent_events(api: httpx.AsyncClient) -> None:
    await upload(api, ("guide.pdf", guide()))
    events: list[tuple[str, dict]] = []
    async with api.stream("POST", "/ask", json={"question": "How much sunlight do tomatoes "
                                                            "need?", "stream": True}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        kind = None
        async for line in r.aiter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((kind, json.loads(line.removeprefix("data: "))))
    kinds = [k for k, _ in events]
    assert kinds[-2:] == ["citations", "done"] and set(kinds[:-2]) == {"token"}
    text = "".join(data["text"] for k, data in events if k == "token")
    assert SUN in text and "[1]" in text
    assert events[-2][1]["citations"][0]["source"] == "upload:guide.pdf"
    assert events[-1][1]["generator"] == "extractive" and events[-1][1]["cached"] is False


async def test_deltas_that_arrive_together_leave_as_one_event() -> None:
    first_three_read, go_on = threading.Event(), threading.Event()

    class Stream:  # an answer: three deltas at once, a pause, then two more
        def __iter__(self) -> Iterator[str]:
            yield from ["Tomatoes ", "need ", "sun "]
            first_three_read.set()
            go_on.wait(5)
            yield from ["every ", "day."]

        def close(self) -> None: ...

    with ThreadPoolExecutor(2) as threads:
        stream = Stream()
        staying = SimpleNamespace(receive=asyncio.Event().wait)  # a client that never leaves
        answer, pieces = await start_answer(SimpleNamespace(answer_threads=threads),
                                            lambda _gone: stream, staying)
        assert answer is stream
        assert first_three_read.wait(5)  # the loop is held while all three arrive
        first = asyncio.ensure_future(anext(pieces))
        assert await first == "Tomatoes need sun "
        go_on.set()
        assert "".join([piece async for piece in pieces]) == "every day."


async def test_a_quiet_answer_keeps_its_stream_alive(monkeypatch) -> None:
    """A model silent for a while (thinking, or queued) must not look like a dead connection
    to a proxy, nor to `rag ask`: the stream says it is still working, as an SSE comment."""
    monkeypatch.setattr(questions, "KEEPALIVE_SECONDS", 0.05)
    go_on = threading.Event()

    class Stream:  # a word, a long pause, the rest
        def __iter__(self) -> Iterator[str]:
            yield "Tomatoes "
            go_on.wait(5)
            yield "need sun."

        def close(self) -> None: ...

    with ThreadPoolExecutor(2) as threads:
        staying = SimpleNamespace(receive=asyncio.Event().wait)
        _, pieces = await start_answer(SimpleNamespace(answer_threads=threads),
                                       lambda _gone: Stream(), staying)
        assert await anext(pieces) == "Tomatoes "
        assert await anext(pieces) == ""  # nothing came for KEEPALIVE_SECONDS
        assert await anext(pieces) == ""
        go_on.set()
        assert [piece async for piece in pieces if piece] == ["need sun."]


async def test_streamed_answers_from_a_slow_model_carry_keepalives_clients_ignore(
        open_engine, standin, monkeypatch) -> None:
    monkeypatch.setattr(questions, "KEEPALIVE_SECONDS", 0.05)
    engine = open_engine(generator="workers-ai", cloudflare_account_id=ACCOUNT,
                         cloudflare_api_token=TOKEN,
                         cloudflare_base_url=f"{standin.url}/client/v4")
    async with client(engine) as api:
        await upload(api, ("guide.pdf", guide()))
        standin.slow_stream_start(0.4, times=2)  # the model says nothing for 0.4 s
        async with api.stream("POST", "/ask", json={
                "question": "How much sunlight do tomatoes need?", "stream": True}) as r:
            lines = [line async for line in r.aiter_lines()]
        first_token = lines.index("event: token")
        assert ": still working" in lines[:first_token]
        assert lines[-2].startswith("data: ") and json.loads(lines[-2][6:])["generator"] == (
            "workers-ai")
        sdk = openai.AsyncOpenAI(base_url="http://localhost/api/v1", api_key="unused",
                                 http_client=api, max_retries=0)
        stream = await sdk.chat.completions.create(
            model="docs", stream=True,
            messages=[{"role": "user", "content": "How much sunlight do tomatoes need?"}])
        chunks_read = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks_read if c.choices)
    assert text.strip() and chunks_read[-1].choices[0].finish_reason == "stop"


@pytest.mark.parametrize(("asked", "named"), [({"top_k": 3}, "the request's top_k"),
                                               ({}, "RAG_TOP_K")])
async def test_a_prompt_too_large_names_the_field_the_request_set_its_passages_by(
        open_engine, standin, asked: dict, named: str) -> None:
    engine = open_engine(generator="workers-ai", cloudflare_account_id=ACCOUNT,
                         cloudflare_api_token=TOKEN, workers_ai_fallback_models=[],
                         cloudflare_base_url=f"{standin.url}/client/v4", cache=False)
    async with client(engine) as api:
        await upload(api, ("guide.pdf", guide()))
        standin.fail(413, 5021, times=None)
        response = await api.post("/ask", json={
            "question": "How much sunlight do tomatoes need?", **asked})
    notice = response.json()["notice"]
    assert f"Lower {named} or RAG_AI_MAX_TOKENS" in notice, notice


async def test_the_openai_sdk_finds_the_citations_on_the_last_chunk_whatever_its_options(
        api: httpx.AsyncClient) -> None:
    """The loop docs/api.md shows keeps the last chunk's extras: the usage chunk, asked for,
    comes last, and carries them as the chunk that finishes the answer does."""
    await upload(api, ("guide.pdf", guide()))
    sdk = openai.AsyncOpenAI(base_url="http://localhost/api/v1", api_key="unused",
                             http_client=api, max_retries=0)
    for options in ({}, {"stream_options": {"include_usage": True}}):
        extras: dict = {}
        async for chunk in await sdk.chat.completions.create(
                model="docs", stream=True, **options,
                messages=[{"role": "user", "content": "How much sunlight do tomatoes need?"}]):
            extras = chunk.model_extra or {}
        assert extras["citations"][0]["page"] == 2 and "cached" in extras, options


async def test_a_documents_own_brackets_are_no_markers_to_an_openai_client(
        api: httpx.AsyncClient) -> None:
    """A quoted "[2][3]" would read as citations of the other files retrieved: the client
    that maps the answer's markers to `citations` finds only the file that says it."""
    await upload(api, ("kettle.md", b"Kettle warranty.\n\nThe kettle warranty lasts ten "
                                    b"years according to the dealer [2][3].\n"),
                 ("toaster.md", b"Toaster manual.\n\nThe toaster warranty lasts one year. "
                                b"Kettle warranty claims go to the toaster shop.\n"))
    sdk = openai.AsyncOpenAI(base_url="http://localhost/api/v1", api_key="unused",
                             http_client=api, max_retries=0)
    reply = await sdk.chat.completions.create(
        model="docs", messages=[{"role": "user", "content": "How long is the kettle warranty?"}])
    content, citations = reply.choices[0].message.content, reply.model_extra["citations"]
    claim = re.search(r"ten years according to the dealer \uff3b2\uff3d\uff3b3\uff3d\. "
                      r"\[(\d+)\]", content)
    assert claim, content
    assert citations[int(claim.group(1)) - 1]["source"] == "upload:kettle.md"
    for n in re.findall(r"\[(\d+)\]", content):  # every marker a client reads
        cited = citations[int(n) - 1]
        assert cited["source"] == "upload:kettle.md" or "Kettle" in cited["text"], content


async def test_collections_scope_every_route(api: httpx.AsyncClient) -> None:
    assert (await api.get("/collections")).json() == {"collections": ["docs"]}
    assert (await api.post("/collections", json={"name": "manuals"})).status_code == 201
    assert error_of(await api.post("/collections", json={"name": "manuals"})) == (
        409, "conflict")
    assert error_of(await api.post("/collections", json={"name": "Manuals"})) == (
        409, "conflict")  # a name differing in case only would be taken for the other
    assert error_of(await api.post("/collections", json={"name": "../x"})) == (
        400, "bad_request")
    # a name padded with spaces is no name here either, as on every other route
    for padded in (" spaced\n", "\u00a0spaced"):
        refused = await api.post("/collections", json={"name": padded})
        assert error_of(refused) == (400, "bad_request")
        assert "is not a valid collection name" in refused.json()["error"]["message"]
    assert "spaced" not in (await api.get("/collections")).json()["collections"]
    await upload(api, ("guide.pdf", guide()), collection="manuals")
    assert (await api.get("/documents")).json()["documents"] == []
    assert len((await api.get("/documents", params={"collection": "manuals"})).json()[
        "documents"]) == 1
    hits = (await api.post("/search", json={"query": "tomatoes", "collection": "manuals"}
                           )).json()["hits"]
    assert hits and hits[0]["source"] == "upload:guide.pdf"
    assert (await api.delete("/collections/manuals")).json() == {"deleted": "manuals"}
    assert error_of(await api.get("/documents", params={"collection": "manuals"})) == (
        404, "not_found")


@pytest.mark.slow
async def test_an_ingest_reports_progress_within_a_file(api: httpx.AsyncClient) -> None:
    pages = [filler(f"Chapter {n} is about greenhouse number {n}.", 2500) for n in range(1, 9)]
    accepted = await upload(api, ("big.pdf", make_pdf(pages)), wait="false")
    assert accepted.status_code == 202
    job_id = accepted.json()["id"]
    seen = []
    while True:
        job = (await api.get(f"/ingests/{job_id}")).json()
        seen.append(job["files"][0])
        if job["status"] != "queued" and job["status"] != "running":
            break
        await asyncio.sleep(0.05)  # asked without a pause, the engine answers more than it ingests
    assert job["status"] == "done" and job["report"]["totals"]["ingested"] == 1
    final = seen[-1]
    assert final["status"] == "ingested" and final["pages"] == 8
    assert final["chunks_written"] == final["chunks"] > 8
    partial = [s for s in seen if s["status"] == "embedding"]
    assert partial and all(s["chunks_written"] <= s["chunks"] for s in partial)
    assert error_of(await api.get("/ingests/nope")) == (404, "not_found")
    assert error_of(await api.delete("/ingests/nope")) == (404, "not_found")


@pytest.mark.slow
async def test_a_queued_ingest_knows_its_place_and_can_be_cancelled(
        api: httpx.AsyncClient, engine: Engine) -> None:
    pages = [filler(f"Chapter {n} is about greenhouse number {n}.", 2500) for n in range(1, 31)]
    first = (await upload(api, ("big.pdf", make_pdf(pages)), wait="false")).json()
    second = (await upload(api, ("notes.md", b"# Notes\n\nThe key is under the pot."),
                           wait="false")).json()
    assert engine.jobs.ahead_of(second["id"]) == [engine.jobs.get(first["id"])]
    assert engine.jobs.ahead_of(first["id"]) == []
    assert (await api.delete(f"/ingests/{second['id']}")).status_code == 200
    job = (await api.get(f"/ingests/{second['id']}")).json()  # at once, not after the first
    assert job["status"] == "cancelled" and "nothing of it was stored" in job["error"]
    engine.jobs.wait(first["id"], timeout=120)
    sources = [d["source"] for d in (await api.get("/documents")).json()["documents"]]
    assert sources == ["upload:big.pdf"]


async def test_each_caller_lists_its_own_ingests(open_engine) -> None:
    """An ingest whose client went away (a `rag ingest` killed) can be found and cancelled."""
    engine = open_engine(api_keys="alice:alice-secret-key-1,bob:bob-secret-key-22")
    async with client(engine, key="alice-secret-key-1") as alice, \
            client(engine, key="bob-secret-key-22") as bob:
        first = (await upload(alice, ("a.md", b"# A\n\nAlpha."), wait="false")).json()
        second = (await upload(alice, ("b.md", b"# B\n\nBeta."), wait="false")).json()
        theirs = (await upload(bob, ("c.md", b"# C\n\nGamma."), wait="false")).json()
        listed = (await alice.get("/ingests")).json()["ingests"]
        assert [job["id"] for job in listed] == [second["id"], first["id"]]  # newest first
        one = (await alice.get(f"/ingests/{second['id']}")).json()
        assert set(listed[0]) == set(one) and listed[0]["files"][0]["name"] == "b.md"
        assert [job["id"] for job in (await bob.get("/ingests")).json()["ingests"]] == [
            theirs["id"]]


async def test_only_editors_change_the_library_when_editors_are_named(open_engine) -> None:
    engine = open_engine(api_keys="alice:alice-secret-key-1,bob:bob-secret-key-22",
                         editors="alice")
    async with client(engine, key="alice-secret-key-1") as alice, \
            client(engine, key="bob-secret-key-22") as bob:
        stored = (await upload(alice, ("guide.pdf", guide()))).json()["files"][0]
        assert (await alice.post("/collections", json={"name": "manuals"})).status_code == 201
        refused = [await upload(bob, ("planted.md", b"# Planted\n\nCall 555-0100.")),
                   await bob.delete(f"/documents/{stored['doc_id']}"),
                   await bob.post("/collections", json={"name": "bobs"}),
                   await bob.delete("/collections/manuals")]
        for response in refused:
            assert error_of(response) == (403, "forbidden")
            assert "bob may ask, search and list documents" in response.text
            assert "RAG_EDITORS" in response.text
        assert [d.source for d in engine.workspace.service.documents()] == ["upload:guide.pdf"]
        assert engine.workspace.collections() == ["docs", "manuals"]
        asked = await bob.post("/ask", json={"question": "How much sun do tomatoes need?"})
        assert asked.status_code == 200 and SUN in asked.text
        listed = (await bob.get("/documents")).json()["documents"]
        assert [d["source"] for d in listed] == ["upload:guide.pdf"]
        assert (await alice.delete(f"/documents/{stored['doc_id']}")).status_code == 200


async def test_chat_counts_the_question_as_read_and_says_what_content_may_be(
        api: httpx.AsyncClient, engine) -> None:
    """The question is its text parts a line each, counted as the engine reads it, and one
    too long is the same `input_too_long` at every door, refused before the rate limit
    counts it."""
    def chat(content: object) -> dict:
        return {"model": "docs", "messages": [{"role": "user", "content": content}]}

    part = "tomato " * 1428 + "okay"  # 10,000 characters
    halves = [{"type": "text", "text": part}, {"type": "text", "text": part[1:]}]
    read = await api.post("/chat/completions", json=chat(halves))  # and a line break: 20,000
    assert read.status_code == 200, read.text
    asked = await api.post("/ask", json={"question": part + "\n" + part})
    for over in (await api.post("/chat/completions", json=chat(halves + [{"type": "text",
                                                                           "text": ""}])),
                 await api.post("/chat/completions", json=chat(part + "\n" + part)),
                 asked):
        assert error_of(over) == (400, "input_too_long")
        assert over.json()["error"]["message"] == ("The question is too long: 20,001 "
                                                   "characters, at most 20,000.")
    for content in (5, ["a string, not a part"]):
        shaped = await api.post("/chat/completions", json=chat(content))
        assert error_of(shaped) == (400, "bad_request")
        assert "content is a string, or a list of parts" in shaped.text
        assert ".str" not in shaped.text
    slashed = await api.get("/models/openai/gpt-4o")
    assert error_of(slashed) == (404, "model_not_found")
    assert "no model 'openai/gpt-4o'" in slashed.text
    # a line break is part of the name, at its end too
    for broken in ("docs%0A", "docs%0Aabc"):
        named = await api.get(f"/models/{broken}")
        assert error_of(named) == (404, "model_not_found") and "There is no model" in named.text
    assert (await api.get("/models/")).json() == (await api.get("/models")).json()


async def test_a_trailing_slash_is_a_route_not_found_not_a_redirect(
        api: httpx.AsyncClient) -> None:
    for route in ("/chat/completions/", "/ask/", "/search/", "/collections/"):
        slashed = await api.post(route, json={}, headers={"Host": "elsewhere.example"})
        assert error_of(slashed) == (404, "not_found"), route
        assert "location" not in slashed.headers
        assert slashed.json()["error"]["message"] == (
            "No such route (the routes end without a slash).")
    assert (await api.get("/documents/")).json() == (await api.get("/documents")).json()
    slashed = await api.delete("/documents/")  # not a document of no name
    assert error_of(slashed) == (404, "not_found")
    assert slashed.json()["error"]["message"] == (
        "No such route (the routes end without a slash).")


async def test_a_field_at_fault_is_named_as_openai_names_it(api: httpx.AsyncClient) -> None:
    typed = await api.post("/search", json={"query": "tomatoes", "top_k": "5"})
    assert error_of(typed) == (400, "bad_request") and typed.json()["error"]["param"] == "top_k"
    shaped = await api.post("/chat/completions", json={"model": "docs", "messages": [
        {"role": "user", "content": 5}]})
    assert shaped.json()["error"]["param"] == "messages.0.content"
    assert (await api.post("/ask", json=[1])).json()["error"]["param"] is None
    # /search's `query` is a field of the body, not the address's query string
    for query in (5, "", "  ", "\u200b", "x" * 20_001, "why " * 400):
        assert (await api.post("/search", json={"query": query})).json()["error"][
            "param"] == "query", query
    # blank once cleaned, as every door reads a question: the same field, streamed or not
    for blank, stream in (("", False), ("   ", False), ("\u200b", False), ("  ", True)):
        refused = await api.post("/ask", json={"question": blank, "stream": stream})
        assert error_of(refused) == (400, "bad_request")
        assert refused.json()["error"]["param"] == "question", blank
    for field, value in (("doc_id", "0123abcd"), ("source", "/no/such.txt")):
        unknown = await api.post("/search", json={"query": "tomatoes", field: value})
        assert unknown.json()["error"]["param"] == field
    for route, body in (("/search", {"query": "tomatoes", "collection": "../x"}),
                        ("/ask?collection=..%2Fx", {"question": "Why?"})):
        assert (await api.post(route, json=body)).json()["error"]["param"] == "collection"
    assert (await api.post("/collections", json={"name": "../x"})).json()["error"][
        "param"] == "name"
    assert (await api.delete("/collections/.x")).json()["error"]["param"] == "name"
    question, answer = ({"role": "user", "content": "Why?"},
                        {"role": "assistant", "content": "Because."})
    for messages, param in (([question, answer], "messages"),
                            ([question, {"role": "user", "content": [{"type": "image_url"}]},
                              {"role": "system", "content": "Be brief."}], "messages.1.content"),
                            ([{"role": "user", "content": "x" * 20_001}], "messages.0.content"),
                            ([{"role": "user", "content": "   "}], "messages.0.content"),
                            ([{"role": "system", "content": "Be brief."},
                              {"role": "user", "content": "\u200b "}], "messages.1.content"),
                            ([{**answer, "content": "x" * 100_001}, question],
                             "messages.0.content")):
        refused = await api.post("/chat/completions", json={"model": "docs",
                                                            "messages": messages})
        assert refused.json()["error"]["param"] == param, refused.json()


async def test_a_query_longer_than_the_embedder_reads_is_called_a_query(
        api: httpx.AsyncClient) -> None:
    searched = await api.post("/search", json={"query": "why " * 400})
    assert error_of(searched) == (400, "input_too_long")
    assert searched.json()["error"]["message"].startswith("The query has 402 tokens; ")
    assert (await api.post("/search", json={"query": "why " * 400, "mode": "sparse"})
            ).status_code == 200


async def test_chat_bounds_the_conversation_not_the_instructions_it_does_not_read(
        api: httpx.AsyncClient) -> None:
    """System and tool messages are not passed on, so only the body's size bounds them;
    a turn of history over 100,000 characters is refused by its place."""
    long = "Answer briefly. " * 9_000  # 144,000 characters
    question = {"role": "user", "content": "How much sun do tomatoes need?"}
    for role in ("system", "developer", "tool"):
        told = await api.post("/chat/completions", json={"model": "docs", "messages": [
            {"role": role, "content": long}, question]})
        assert told.status_code == 200, told.text
    history = await api.post("/chat/completions", json={"model": "docs", "messages": [
        {"role": "user", "content": [{"type": "text", "text": long}]},
        {"role": "assistant", "content": "Full sun."}, question]})
    assert error_of(history) == (400, "bad_request")
    assert history.json()["error"]["message"] == (
        "messages.0: a user or assistant message holds at most 100,000 characters.")


async def test_a_streamed_answer_of_no_words_still_says_whose_it_is() -> None:
    async def nothing() -> AsyncIterator[str]:
        return
        yield

    answer = Answer(iter(()), [], "extractive", GenerationRecord())
    sent = [piece async for piece in chunks(answer, nothing(), "chatcmpl-1", 0, "docs")]
    assert sent[-1] == b"data: [DONE]\n\n"
    (only,) = [json.loads(piece.decode().removeprefix("data: ")) for piece in sent[:-1]]
    assert only["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert only["choices"][0]["finish_reason"] == "stop" and only["cached"] is False


async def test_health_says_what_runs(api: httpx.AsyncClient) -> None:
    await upload(api, ("notes.md", b"# Notes\n\nThe key is under the blue pot."))
    health = (await api.get("/health")).json()
    assert health == {"status": "ok", "collection": "docs", "documents": 1,
                      "embedder": "local:all-MiniLM-L6-v2-int8", "generator": "extractive",
                      "collections": ["docs"]}
    probe = await api.head("/health")  # as load balancers probe
    assert probe.status_code == 200 and probe.content == b""


async def test_a_provider_refusing_the_token_is_seen_in_health_metrics_and_log(
        open_engine, standin, caplog) -> None:
    """A revoked token degrades answers to quoted passages, which are no errors; the
    operator still sees the refusal in the health check, the metrics and the log, until
    the model answers again."""
    caplog.set_level(logging.INFO, logger="rag.ai")
    engine = open_engine(generator="workers-ai", cloudflare_account_id=ACCOUNT,
                         cloudflare_api_token=TOKEN, workers_ai_fallback_models=[],
                         cloudflare_base_url=f"{standin.url}/client/v4", cache=False)
    question = {"question": "How much sunlight do tomatoes need?"}
    async with client(engine) as api:
        await upload(api, ("guide.pdf", guide()))
        assert (await api.get("/health")).json()["status"] == "ok"
        standin.fail(401, 10000, times=1)
        answer = (await api.post("/ask", json=question)).json()
        assert answer["generator"] == "extractive" and "models_unavailable" in answer["degraded"]
        health = await api.get("/health")
        metrics = (await api.get("http://localhost/metrics")).text
        (failure,) = health.json()["provider_failures"]
        again = (await api.post("/ask", json=question)).json()
        healed = (await api.get("/health")).json()
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert failure["provider"] == "Workers AI" and failure["kind"] == "chat"
    assert (failure["refused"], failure["status"], failure["code"]) == ("credentials", 401, 10000)
    assert "Check CLOUDFLARE_API_TOKEN" in failure["message"] and failure["at"].endswith("+00:00")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(metrics) for s in family.samples}
    assert samples[("rag_ai_failures_total", (("code", "10000"), ("provider", "Workers AI"),
                                              ("refused", "credentials"),
                                              ("status", "401")))] == 1
    assert samples[("rag_error_rate_percent", ())] == 0.0  # a degraded answer is no error
    warnings = [r.ai_call for r in caplog.records
                if getattr(r, "ai_call", {}).get("refused") and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0]["error_message"] == failure["message"]
    assert again["generator"] == "workers-ai"
    assert healed["status"] == "ok" and "provider_failures" not in healed


# --- bad input: the right code, and nothing stored --------------------------------------------

@pytest.mark.parametrize(("method", "path", "body", "expected"), [
    ("POST", "/search", b"{not json", (400, "bad_request")),
    ("POST", "/ask", b'{"question": "x", "stream": tru', (400, "bad_request")),
    ("POST", "/search", {"top_k": 3}, (400, "bad_request")),  # no query
    ("POST", "/ask", {}, (400, "bad_request")),  # no question
    ("POST", "/search", {"query": "tomatoes", "top_k": -1}, (400, "bad_request")),
    ("POST", "/ask", {"question": "tomatoes", "top_k": 10_000}, (400, "bad_request")),
    ("POST", "/search", {"query": "tomatoes", "mode": "fuzzy"}, (400, "bad_request")),
    ("POST", "/ask", {"question": "tomatoes", "collection": "nope"}, (404, "not_found")),
    ("POST", "/search", {"query": "tomatoes", "collection": "nope"}, (404, "not_found")),
    ("GET", "/documents?collection=nope", None, (404, "not_found")),
    # an empty name is a mistake, not the default collection
    ("POST", "/ask", {"question": "tomatoes", "collection": ""}, (400, "bad_request")),
    ("POST", "/search", {"query": "tomatoes", "collection": ""}, (400, "bad_request")),
    ("GET", "/documents?collection=", None, (400, "bad_request")),
    ("DELETE", "/collections/docs", None, (409, "conflict")),
    # a name no collection of the embedded store can have
    ("GET", "/documents?collection=..%2Fx", None, (400, "bad_request")),
    ("DELETE", "/documents/a.txt?collection=..%2Fx", None, (400, "bad_request")),
    ("POST", "/chat/completions", {"model": "nope", "messages": [
        {"role": "user", "content": "hi"}]}, (404, "model_not_found")),
    ("POST", "/chat/completions", {"model": "docs", "messages": []}, (400, "bad_request")),
    ("GET", "/no/such/route", None, (404, "not_found")),
    ("DELETE", "/documents/a%0Ab.txt", None, (404, "not_found")),  # a line break in the path
    ("GET", "/ingests/a%0Ab", None, (404, "not_found")),
    ("POST", "/health", None, (405, "method_not_allowed")),
    ("POST", "/search", {"query": "why " * 400}, (400, "input_too_long")),
    ("POST", "/search", {"query": "tomatoes", "top_k": "5"}, (400, "bad_request")),  # strict
    ("POST", "/ask", {"question": "tomatoes", "stream": "yes"}, (400, "bad_request")),
    ("POST", "/chat/completions", {"model": "docs", "stream": "yes", "messages": [
        {"role": "user", "content": "tomatoes?"}]}, (400, "bad_request")),
    ("POST", "/search", b'{"query": "\xff\xfe"}', (400, "bad_request")),  # not UTF-8
    ("POST", "/ask", {"question": "   "}, (400, "bad_request")),  # nothing to ask
    ("POST", "/search", {"query": "\u200b\u200b"}, (400, "bad_request")),  # invisible only
    # the collection as a query parameter, as on every other route
    ("POST", "/search?collection=nope", {"query": "tomatoes"}, (404, "not_found")),
    ("POST", "/ask?collection=nope", {"question": "tomatoes"}, (404, "not_found")),
    ("POST", "/ask?collection=other", {"question": "tomatoes", "collection": "docs"},
     (400, "bad_request")),
    ("POST", "/chat/completions?collection=other", {"model": "docs", "messages": [
        {"role": "user", "content": "tomatoes?"}]}, (400, "bad_request")),  # two collections
    ("POST", "/chat/completions", {"model": "docs", "messages": [
        {"role": "user", "content": "x" * 100_001}]}, (400, "input_too_long")),
    ("POST", "/chat/completions", {"model": "docs", "messages": [
        {"role": "user", "content": "why " * 5_001}]}, (400, "input_too_long")),
    ("POST", "/chat/completions", {"model": "docs", "messages": [
        {"role": "user", "content": [{"type": "text", "text": None}]}]}, (400, "bad_request")),
    ("POST", "/chat/completions", {"model": "gpt-4.1", "messages": [  # another provider's
        {"role": "user", "content": "hi"}]}, (404, "model_not_found")),
    # over the 1 MiB a JSON body may have
    ("POST", "/ask", {"question": "tomatoes", "history": [
        {"role": "user", "content": "x" * 1000}] * 1100}, (413, "too_large")),
    ("POST", "/chat/completions", {"model": "docs", "messages": [
        {"role": "user", "content": "x" * 1000}] * 1100}, (413, "too_large")),
    ("POST", "/collections", b'{"name": "' + b"a" * (1024 * 1024) + b'"}', (413, "too_large")),
])
async def test_bad_requests_get_their_code(api: httpx.AsyncClient, engine: Engine, method: str,
                                           path: str, body: object,
                                           expected: tuple[int, str]) -> None:
    content = body if isinstance(body, bytes) else (
        None if body is None else json.dumps(body).encode())
    response = await api.request(method, path, content=content,
                                 headers={"content-type": "application/json"})
    assert error_of(response) == expected
    assert engine.workspace.service.store.size() == 0
    if path != "/no/such/route" and expected[0] != 405:
        assert str(expected[0]) in await documented_statuses(api, method, path)


async def test_a_collection_named_in_another_case_is_pointed_to(api: httpx.AsyncClient) -> None:
    """Not "POST /collections makes one": making it would be refused, as the same name."""
    response = await api.post("/search?collection=DOCS", json={"query": "tomatoes"})
    assert error_of(response) == (404, "not_found")
    assert response.json()["error"]["message"] == (
        "There is no collection named 'DOCS'; names that differ only in case are one name: "
        "use 'docs'.")


async def test_the_documents_are_listed_with_a_trailing_slash_too(
        api: httpx.AsyncClient) -> None:
    await upload(api, ("notes.md", b"# Notes\n\nThe key is under the blue pot."))
    plain, slashed = await api.get("/documents"), await api.get("/documents/")
    assert slashed.status_code == 200 and slashed.json() == plain.json()
    assert [d["source"] for d in slashed.json()["documents"]] == ["upload:notes.md"]


async def test_the_schema_names_every_operation_once(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/../openapi.json")).json()
    ids = [operation["operationId"] for operations in schema["paths"].values()
           for operation in operations.values()]
    assert len(ids) == len(set(ids)) > 10
    assert {"get", "head"} <= set(schema["paths"]["/v1/health"])
    # a bug is 500 `internal_error` on any route, as api.md says
    assert all("500" in operation["responses"] for operations in schema["paths"].values()
               for operation in operations.values())


async def documented_statuses(api: httpx.AsyncClient, method: str, path: str) -> set[str]:
    """The statuses the OpenAPI schema lists for the operation that `path` reaches."""
    schema = (await api.get("/../openapi.json")).json()
    route = "/v1" + path.split("?")[0]
    for template, operations in schema["paths"].items():
        pattern = re.sub(r"\\{[^}]+\\}", "[^?]+", re.escape(template))
        if re.fullmatch(pattern, route) and method.lower() in operations:
            return set(operations[method.lower()]["responses"])
    raise AssertionError(f"{method} {route} is not in the schema")


async def test_a_body_over_the_limit_is_refused_as_it_arrives(api: httpx.AsyncClient) -> None:
    """No Content-Length: the body is counted as it streams in, and refused past 1 MiB."""
    async def endless() -> AsyncIterator[bytes]:
        yield b'{"query": "'
        for _ in range(4096):
            yield b"x" * 1024

    refused = await api.post("/search", content=endless(),
                             headers={"content-type": "application/json"})
    assert error_of(refused) == (413, "too_large")
    assert "1 MiB" in refused.json()["error"]["message"]


async def test_a_wrong_method_says_which_ones_the_route_takes(api: httpx.AsyncClient) -> None:
    wrong = await api.put("/documents")
    assert error_of(wrong) == (405, "method_not_allowed")
    assert wrong.headers["allow"] == "GET, POST"
    assert wrong.json()["error"]["message"] == "This route takes GET, POST."
    health = await api.put("/health")
    assert health.headers["allow"] == "GET, HEAD"  # HEAD is a route of its own
    broken = await api.post("/search", content=b'{"query": "\xff"}',
                            headers={"content-type": "application/json"})
    assert broken.json()["error"]["message"].startswith("The body is not valid JSON")
    for body in (b'{bad', b'{"query": "x",}'):  # no field is at fault, not the position
        unparsed = await api.post("/search", content=body,
                                  headers={"content-type": "application/json"})
        assert unparsed.json()["error"]["param"] is None
    untyped = await api.post("/search", content=b'{"query": "license"}')
    assert error_of(untyped) == (400, "bad_request")
    assert "Content-Type: application/json" in untyped.json()["error"]["message"]


async def test_a_file_refused_unread_fails_alone_in_the_outcome(open_engine) -> None:
    """Over the limit, of a type no loader reads, or empty: each is `failed` in its place,
    as in the chat and `rag ingest`, and the rest of the batch is stored."""
    engine = open_engine(upload_max_mb=1)
    async with client(engine) as api:
        over = await upload(api, ("big.txt", b"word " * 300_000), ("guide.pdf", guide()),
                            ("huge.md", b"word " * 400_000), ("tool.exe", b"MZ\x90\x00"),
                            ("empty.md", b""), ("notes.md", b"The key is here."))
        assert over.status_code == 200, over.text
        report = over.json()
        assert [(f["path"], f["status"], f["error"]) for f in report["files"]] == [
            ("upload:big.txt", "failed",
             "big.txt: 1.4 MB is over the 1 MB upload limit (RAG_UPLOAD_MAX_MB)"),
            ("upload:guide.pdf", "ingested", None),
            ("upload:huge.md", "failed",
             "huge.md: 1.9 MB is over the 1 MB upload limit (RAG_UPLOAD_MAX_MB)"),
            ("upload:tool.exe", "failed", "tool.exe: unsupported file type .exe; supported: "
                                          + ", ".join(SUPPORTED_SUFFIXES)),
            ("upload:empty.md", "failed", "empty.md: the file is empty"),
            ("upload:notes.md", "ingested", None)]
        assert report["totals"]["failed"] == 4 and report["totals"]["ingested"] == 2
        alone = (await upload(api, ("big.txt", b"word " * 300_000))).json()
        assert [f["status"] for f in alone["files"]] == ["failed"]
    assert sorted(d.source for d in engine.workspace.service.documents()) == [
        "upload:guide.pdf", "upload:notes.md"]
    spool = engine.jobs.spool_root
    assert not spool.exists() or not any(spool.iterdir())  # no spooled copy left behind


async def test_an_ingest_followed_lists_every_file_sent_in_its_place(open_engine) -> None:
    """With wait=false a client follows `files`: a file refused unread is there too, failed,
    and one just over the limit is not said to be the limit's own size."""
    engine = open_engine(upload_max_mb=1)
    async with client(engine) as api:
        accepted = await upload(api, ("tool.exe", b"MZ"), ("notes.md", b"The key is here."),
                                ("edge.txt", b"w" * (1024 * 1024 + 8)), wait="false")
        assert accepted.status_code == 202
        listed = [(f["name"], f["status"]) for f in accepted.json()["files"]]
        assert listed == [("tool.exe", "failed"), ("notes.md", "queued"), ("edge.txt", "failed")]
        job_id = accepted.json()["id"]
        await asyncio.to_thread(engine.jobs.wait, job_id, 60)
        files = (await api.get(f"/ingests/{job_id}")).json()["files"]
    assert [(f["name"], f["status"]) for f in files] == [
        ("tool.exe", "failed"), ("notes.md", "ingested"), ("edge.txt", "failed")]
    assert files[2]["error"] == ("edge.txt: 1,048,584 bytes is over the 1 MB upload limit "
                                 "(RAG_UPLOAD_MAX_MB)")

async def test_refused_uploads_store_nothing(open_engine) -> None:
    engine = open_engine(upload_max_mb=1)
    async with client(engine) as api:
        assert error_of(await api.post("/documents", json={"files": []})) == (
            400, "bad_request")
        assert error_of(await upload(api, ("guide.pdf", guide()), collection="nope")) == (
            404, "not_found")
        cut = (b"--XYZ\r\nContent-Disposition: form-data; name=\"files\"; "
               b"filename=\"notes.txt\"\r\n\r\nThe key is under the blue")  # no closing boundary
        refused = await api.post("/documents", content=cut,
                                 headers={"content-type": "multipart/form-data; boundary=XYZ"})
        assert error_of(refused) == (400, "bad_request") and "cut short" in refused.text
    assert engine.workspace.service.store.size() == 0
    spool = engine.jobs.spool_root
    assert not spool.exists() or not any(spool.iterdir())  # no spooled copy left behind


async def leave_after(app: Starlette, path: str, content_type: bytes, body: bytes,
                      whole: bool = True) -> list[dict]:
    """Send a request to `app` as a client that closes its connection once `body` (the whole
    body, or with `whole` False the start of a longer one) is sent; return what was sent."""
    messages = iter([{"type": "http.request", "body": body, "more_body": not whole},
                     {"type": "http.disconnect"}])
    sent: list[dict] = []

    async def receive() -> dict:
        return next(messages, {"type": "http.disconnect"})

    async def send(message: dict) -> None:
        sent.append(message)

    length = str(len(body) if whole else 100_000).encode()
    await app({"type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
               "root_path": "", "query_string": b"", "scheme": "http",
               "server": ("localhost", 80), "client": ("127.0.0.1", 40000),
               "http_version": "1.1", "headers": [
                   (b"host", b"localhost"), (b"content-type", content_type),
                   (b"content-length", length)]}, receive, send)
    return sent


async def metric_values(app: Starlette) -> dict[tuple[str, tuple], float]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://localhost") as plain:
        text = (await plain.get("/metrics")).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_a_client_that_leaves_mid_upload_is_no_server_error(engine: Engine) -> None:
    app = server(engine)
    body = (b"--XYZ\r\nContent-Disposition: form-data; name=\"files\"; "
            b"filename=\"notes.txt\"\r\n\r\nThe key is")
    sent = await leave_after(app, "/api/v1/documents", b"multipart/form-data; boundary=XYZ",
                             body, whole=False)
    assert sent[0]["status"] == 499  # not a 500 logged and counted as a bug
    assert engine.workspace.service.store.size() == 0
    assert not [key for key in await metric_values(app) if key[0] == "rag_errors_total"]


@pytest.mark.parametrize("stream", [True, False])
async def test_a_client_that_leaves_after_its_question_is_logged_as_closed_not_as_an_error(
        engine: Engine, caplog, stream: bool) -> None:
    """A complete, valid question whose client goes away (a stop button, an SDK's timeout)
    is a cancel: 499 in the log and the request count, a stopped answer, and no error."""
    app = server(engine)
    async with client(engine) as api:
        await upload(api, ("guide.pdf", guide()))
    body = json.dumps({"question": "How much sunlight do tomatoes need?", "stream": stream})
    with caplog.at_level(logging.INFO, logger="rag.access"):
        sent = await leave_after(app, "/api/v1/ask", b"application/json", body.encode())
    assert sent[0]["status"] == 499
    assert "POST /api/v1/ask 499" in caplog.text
    stopped = ("rag_answers_total", (("generator", "extractive"), ("outcome", "stopped")))
    for _ in range(100):  # recorded when the answer thread, told to stop, has ended
        values = await metric_values(app)
        if stopped in values:
            break
        await asyncio.sleep(0.05)
    assert values[stopped] == 1
    assert values[("rag_http_requests_total", (("method", "POST"), ("route", "/api/v1/ask"),
                                               ("status", "499")))] == 1
    assert not [key for key in values if key[0] == "rag_errors_total"]


async def test_two_files_of_one_name_in_one_upload(api: httpx.AsyncClient) -> None:
    report = (await upload(api, ("same.txt", b"Giraffes live in Kenya."),
                           ("same.txt", b"Penguins live in Chile."))).json()
    assert [f["status"] for f in report["files"]] == ["ingested", "failed"]  # as uploaded
    assert "another file of this name" in report["files"][1]["error"]
    docs = (await api.get("/documents")).json()["documents"]
    assert [d["source"] for d in docs] == ["upload:same.txt"]
    hits = (await api.post("/search", json={"query": "giraffes Kenya"})).json()["hits"]
    assert "Giraffes" in hits[0]["text"]  # the first file, as the report says


async def test_an_upload_swapping_two_names_contents_keeps_both_searchable(
        api: httpx.AsyncClient) -> None:
    """a.txt takes b.txt's stored text while the same request gives b.txt another: a.txt is
    stored under its own name, not reported as a copy of the upload:b.txt that goes; the
    report says the document of that text now names a.txt."""
    yankee, xray = b"Beta upload text mentions upswapyankee only.", b"Alpha mentions upswapxray."
    await upload(api, ("b.txt", yankee))
    report = (await upload(api, ("a.txt", yankee), ("b.txt", xray))).json()
    assert [(f["status"], f["error"], f["moved_from"]) for f in report["files"]] == [
        ("ingested", "the same text as upload:b.txt, which holds other text now, so the "
                     "document now names upload:a.txt", "upload:b.txt"),
        ("ingested", None, None)]
    docs = (await api.get("/documents")).json()["documents"]
    assert sorted(d["source"] for d in docs) == ["upload:a.txt", "upload:b.txt"]
    for word, source in (("upswapyankee", "upload:a.txt"), ("upswapxray", "upload:b.txt")):
        hits = (await api.post("/search", json={"query": word, "mode": "sparse"})).json()["hits"]
        assert [hit["source"] for hit in hits] == [source]


async def test_an_upload_whose_ingest_a_bug_stopped_is_a_500_with_an_error_id(
        api: httpx.AsyncClient, monkeypatch) -> None:
    """Not 503 `upstream_unavailable`, which tells the caller to wait and try again."""
    from rag.service import RagService

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(RagService, "ingest_files", broken)
    answer = await upload(api, ("notes.txt", b"Giraffes live in Kenya."))
    assert error_of(answer) == (500, "internal_error")
    assert re.search(r"error id [0-9a-f]{12}", answer.json()["error"]["message"])
    assert "RuntimeError" not in answer.json()["error"]["message"]


async def test_a_file_name_keeps_its_quotes(api: httpx.AsyncClient) -> None:
    # httpx, like browsers, sends a quote in a file name as %22
    report = (await upload(api, ('The "quoted" notes.txt', b"Giraffes live in Kenya."))).json()
    assert [f["path"] for f in report["files"]] == ['upload:The "quoted" notes.txt']
    docs = (await api.get("/documents")).json()["documents"]
    assert [d["source"] for d in docs] == ['upload:The "quoted" notes.txt']


async def test_a_collection_is_created_once_however_many_ask_at_once(
        api: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(*(api.post("/collections", json={"name": "race"})
                                     for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    assert all(error_of(a) == (409, "conflict") for a in answers if a.status_code != 201)


@pytest.mark.slow
async def test_deleting_a_collection_removes_its_kept_uploads_and_waits_for_its_ingest(
        api: httpx.AsyncClient, engine: Engine) -> None:
    assert (await api.post("/collections", json={"name": "manuals"})).status_code == 201
    await upload(api, ("guide.pdf", guide()), collection="manuals")
    uploads = engine.settings.data_dir / "uploads"
    assert len(list(uploads.glob("*.pdf"))) == 1
    pages = [filler(f"Chapter {n} is about greenhouse number {n}.", 2500) for n in range(1, 9)]
    accepted = await upload(api, ("big.pdf", make_pdf(pages)), collection="manuals",
                            wait="false")
    busy = await api.delete("/collections/manuals")
    assert error_of(busy) == (409, "conflict") and "under way" in busy.text
    engine.jobs.wait(accepted.json()["id"])
    assert (await api.delete("/collections/manuals")).status_code == 200
    assert list(uploads.glob("*.pdf")) == []


async def test_an_upload_with_more_to_follow_keeps_its_collection_a_while(
        api: httpx.AsyncClient, engine: Engine, monkeypatch) -> None:
    assert (await api.post("/collections", json={"name": "batches"})).status_code == 201
    first = await upload(api, ("a.txt", b"Giraffes live in Kenya."), collection="batches",
                         more="true")
    assert first.status_code == 200
    busy = await api.delete("/collections/batches")
    assert error_of(busy) == (409, "conflict") and "under way" in busy.text
    await upload(api, ("b.txt", b"Zebras live in Kenya."), collection="batches")
    assert (await api.delete("/collections/batches")).status_code == 200
    # an ingest whose next upload never comes holds its collection no longer than a while
    assert (await api.post("/collections", json={"name": "left"})).status_code == 201
    await upload(api, ("a.txt", b"Giraffes live in Kenya."), collection="left", more="true")
    now = time.monotonic()
    monkeypatch.setattr(jobs_module.time, "monotonic", lambda: now + FOLLOWING_UPLOAD_SECONDS)
    assert (await api.delete("/collections/left")).status_code == 200


async def test_the_next_upload_keeps_the_hold_however_long_it_takes_and_others_end_none(
        api: httpx.AsyncClient, engine: Engine, monkeypatch) -> None:
    assert (await api.post("/collections", json={"name": "slow"})).status_code == 201
    first = await upload(api, ("a.txt", b"Giraffes live in Kenya."), collection="slow",
                         more="true")
    user = engine.jobs.get(first.json()["ingest_id"]).user
    # the same user's upload in the chat is another ingest: it ends no hold
    okapis = SimpleNamespace(name="c.md", size=28, getvalue=lambda: b"# C\n\nOkapis live here.")
    engine.jobs.wait(engine.submit_uploads("slow", [okapis], user=user).id, timeout=60)
    assert engine.jobs.busy_with("slow")
    from rag.engine.api import library

    clock = [time.monotonic()]
    monkeypatch.setattr(jobs_module.time, "monotonic", lambda: clock[0])
    read, busy = library.read_upload, []

    async def arriving_slowly(*args, **kwargs):
        clock[0] += 10 * FOLLOWING_UPLOAD_SECONDS
        busy.append(engine.jobs.busy_with("slow"))
        return await read(*args, **kwargs)

    monkeypatch.setattr(library, "read_upload", arriving_slowly)
    await upload(api, ("b.txt", b"Zebras live in Kenya."), collection="slow")
    assert busy == [True]
    assert (await api.delete("/collections/slow")).status_code == 200


async def test_an_upload_replaced_by_a_new_version_loses_its_kept_copy(
        api: httpx.AsyncClient, engine: Engine) -> None:
    uploads = engine.settings.data_dir / "uploads"
    first = (await upload(api, ("guide.pdf", guide()))).json()["files"][0]["doc_id"]
    again = (await upload(api, ("guide.pdf", guide()))).json()["files"][0]
    assert again["status"] == "unchanged" and (uploads / f"{first}.pdf").exists()
    newer = make_pdf([f"{SUN}\nWater them at dusk."], title="Greenhouse guide, second edition")
    second = (await upload(api, ("guide.pdf", newer))).json()["files"][0]["doc_id"]
    assert [p.name for p in uploads.glob("*.pdf")] == [f"{second}.pdf"]


async def test_an_upload_whose_copy_cannot_be_kept_is_stored_with_a_warning(
        api: httpx.AsyncClient, engine: Engine) -> None:
    """The page viewer's copy is written once the document is live: a folder in the way (or
    a full disk) costs the viewer its pages, not the upload its other files."""
    uploads = engine.settings.data_dir / "uploads"
    shutil.rmtree(uploads, ignore_errors=True)
    uploads.write_text("a file where the folder belongs")
    response = await upload(api, ("guide.pdf", guide()), ("notes.md", b"The key is blue."))
    assert response.status_code == 200, response.text
    pdf, notes = response.json()["files"]
    assert [pdf["status"], notes["status"]] == ["ingested", "ingested"]
    assert pdf["warnings"] == [f"the page viewer cannot show its pages: its copy could not be "
                               f"kept in {uploads} (File exists)"]
    assert notes["warnings"] == []
    hits = (await api.post("/search", json={"query": "how much sun for tomatoes"})).json()
    assert hits["hits"][0]["source"] == "upload:guide.pdf"


def test_a_file_where_uploads_are_spooled_stops_the_engine_at_start(
        tmp_path: Path, model_dir: Path, embedder) -> None:
    """Found at the first upload instead, every upload would fail while questions went on."""
    settings = fresh_settings(tmp_path / "data", model_dir)
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "incoming").write_text("a file where the folder belongs")
    with pytest.raises(ConfigError) as refused:
        Engine.open(settings, embedder=embedder)
    assert str(refused.value).startswith(f"Cannot make the folder {settings.data_dir}/incoming/")
    assert "give RAG_DATA_DIR a folder you can write to" in str(refused.value)
    (settings.data_dir / "incoming").unlink()
    Engine.open(settings, embedder=embedder).close()  # the store was let go


def test_kept_uploads_no_collection_holds_are_removed_when_the_engine_opens(
        open_engine) -> None:
    engine = open_engine()
    held = engine.settings.data_dir / "held.pdf"
    held.write_bytes(guide())
    job = engine.jobs.submit(engine.settings.collection, [SourceFile(held, "upload:held.pdf")],
                             user="local")
    engine.jobs.wait(job.id, timeout=60)
    uploads = engine.settings.data_dir / "uploads"
    kept = [p.name for p in uploads.iterdir()]
    (uploads / f"{'0' * 32}.pdf").write_bytes(b"%PDF- left by a replaced version")
    (uploads / "notes.txt").write_text("not an upload of ours: left alone")
    engine.close()
    reopened = Engine.open(engine.settings, embedder=engine.workspace.service.embedder)
    try:
        reopened.jobs.wait(reopened.jobs.submit(engine.settings.collection, [], user="local").id,
                           timeout=60)  # the worker has looked by the time it takes a job
        assert sorted(p.name for p in uploads.iterdir()) == sorted([*kept, "notes.txt"])
    finally:
        reopened.close()


async def test_a_words_only_search_takes_a_query_longer_than_the_embedder_reads(
        api: httpx.AsyncClient) -> None:
    await upload(api, ("guide.pdf", guide()))
    long = "how much direct sunlight do tomatoes need " * 60  # 420 words
    hits = (await api.post("/search", json={"query": long, "mode": "sparse"})).json()["hits"]
    assert hits[0]["page"] == 2


def test_a_question_racing_a_collections_delete_does_not_bring_it_back(engine: Engine) -> None:
    """A route finds the collection, then it is deleted, then the route opens its view: the
    view refuses, and the collection stays deleted, not made again empty."""
    engine.workspace.create_collection("brief")
    engine.delete_collection("brief")
    with pytest.raises(ConfigError, match="no collection named 'brief'"):
        engine.workspace.view("brief")
    assert "brief" not in engine.workspace.collections()
    assert not engine.workspace.has_collection("brief")


def test_a_delete_racing_a_delete_and_a_create_never_drops_the_new_collection(
        engine: Engine) -> None:
    """A delete found the collection; before it dropped it, another delete dropped it and a
    create made it again: the first must not drop the new one it never saw."""
    engine.workspace.create_collection("contested")
    store = engine.workspace.service.store
    listed = store.collections
    outcomes: dict[str, str] = {}

    def other_doors() -> None:
        for name, act in (("second delete", lambda: engine.delete_collection("contested")),
                          ("create", lambda: engine.workspace.create_collection("contested"))):
            try:
                act()
                outcomes[name] = "done"
            except ConfigError as exc:
                outcomes[name] = str(exc)

    racing: list[threading.Thread] = []

    def listed_then_raced() -> list[str]:
        names = listed()
        if not racing:  # the first delete has looked: the other doors act now
            racing.append(threading.Thread(target=other_doors))
            racing[0].start()
            racing[0].join(timeout=2)  # they wait for the first delete, if it holds the name
        return names

    store.collections = listed_then_raced
    try:
        engine.delete_collection("contested")
        racing[0].join(timeout=60)
    finally:
        del store.collections
    assert outcomes["second delete"].startswith("There is no collection named 'contested'")
    assert outcomes["create"] == "done"
    assert "contested" in engine.workspace.collections()  # the create's, still there


def test_an_ingest_into_a_collection_deleted_meanwhile_does_not_bring_it_back(
        engine: Engine, tmp_path: Path) -> None:
    engine.workspace.create_collection("gone")
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe key is under the blue pot.")
    engine.delete_collection("gone")  # as an upload into it was still arriving
    job = engine.jobs.submit("gone", [SourceFile(notes, "upload:notes.md")], user="local")
    engine.jobs.wait(job.id, timeout=60)
    assert job.status == "failed" and "was deleted" in (job.error or "")
    assert "gone" not in engine.workspace.collections()



async def test_an_upload_into_a_collection_deleted_as_it_arrives_is_not_found(
        engine: Engine, api: httpx.AsyncClient, monkeypatch) -> None:
    engine.workspace.create_collection("gone")
    submit = engine.jobs.submit

    def deleted_first(*args, **kwargs):  # deleted through another door as the body arrived
        engine.delete_collection("gone")
        return submit(*args, **kwargs)

    monkeypatch.setattr(engine.jobs, "submit", deleted_first)
    response = await upload(api, ("guide.pdf", guide()), collection="gone")
    assert error_of(response) == (404, "not_found")  # not 503: no retry brings it back
    assert "'gone' was deleted before this ingest began" in response.text


@pytest.mark.parametrize("wait", ["true", "false"])
async def test_an_upload_into_a_collection_deleted_and_made_again_as_it_arrives_is_not_found(
        engine: Engine, api: httpx.AsyncClient, monkeypatch, wait: str) -> None:
    """Made again under its name, it is another collection: the upload is not stored there."""
    from rag.engine.api import library

    engine.workspace.create_collection("again")
    read = library.read_upload

    async def remade_meanwhile(*args, **kwargs):  # by other doors, as the body arrived
        form = await read(*args, **kwargs)
        engine.delete_collection("again")
        engine.workspace.create_collection("again")
        return form

    monkeypatch.setattr(library, "read_upload", remade_meanwhile)
    response = await upload(api, ("guide.pdf", guide()), collection="again", wait=wait)
    assert error_of(response) == (404, "not_found")
    assert "'again' was deleted before this ingest began" in response.text
    assert engine.workspace.view("again").store.size() == 0


def test_a_chat_upload_is_not_stored_in_a_collection_made_again_as_it_is_spooled(
        engine: Engine) -> None:
    engine.workspace.create_collection("again")

    class Remaking:  # the browser's file, read as the collection is deleted and made again
        name, size = "notes.md", 40

        def getvalue(self) -> bytes:
            engine.delete_collection("again")
            engine.workspace.create_collection("again")
            return b"# Notes\n\nThe key is under the blue pot."

    job = engine.submit_uploads("again", [Remaking()], user="anonymous")
    engine.jobs.wait(job.id, timeout=60)
    assert job.status == "failed" and "was deleted before this ingest began" in job.error
    assert engine.workspace.view("again").store.size() == 0


def test_a_queued_ingest_is_not_stored_in_a_collection_made_again_under_its_name(
        engine: Engine, tmp_path: Path) -> None:
    engine.workspace.create_collection("again")
    made = engine.workspace.made("again")
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe key is under the blue pot.")
    engine.delete_collection("again")
    engine.workspace.create_collection("again")
    job = engine.jobs.submit("again", [SourceFile(notes, "upload:notes.md")], user="local",
                             made=made)
    engine.jobs.wait(job.id, timeout=60)
    assert job.status == "failed" and "was deleted before this ingest began" in job.error
    assert engine.workspace.view("again").store.size() == 0


@pytest.mark.parametrize("route", ["/search", "/ask", "/documents"])
async def test_a_collection_deleted_while_a_request_reads_it_is_not_found(
        engine: Engine, api: httpx.AsyncClient, monkeypatch, route: str) -> None:
    assert (await api.post("/collections", json={"name": "gone"})).status_code == 201
    await upload(api, ("guide.pdf", guide()), collection="gone")
    view = engine.workspace.view

    def deleted_once_opened(*args, **kwargs):  # deleted through another door meanwhile
        opened = view(*args, **kwargs)
        if "gone" in engine.workspace.collections():
            engine.delete_collection("gone")
        return opened

    monkeypatch.setattr(engine.workspace, "view", deleted_once_opened)
    if route == "/documents":
        response = await api.get(route, params={"collection": "gone"})
    else:
        field = "query" if route == "/search" else "question"
        response = await api.post(route, json={"collection": "gone",
                                               field: "How much sun do tomatoes need?"})
    assert error_of(response) == (404, "not_found"), response.text
    assert "'gone' was deleted while this request used it" in response.text


async def test_an_upload_stops_before_it_would_fill_the_disk(
        api: httpx.AsyncClient, engine: Engine, monkeypatch) -> None:
    room = shutil.disk_usage(engine.settings.data_dir)
    nearly_full = room._replace(free=MIN_FREE_BYTES + 64 * 1024)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: nearly_full)
    notes = ("notes.txt", b"The key is under the blue pot.")
    assert (await upload(api, notes)).json()["files"][0]["status"] == "ingested"
    big = ("big.txt", b"Words about greenhouses, over and over. " * 4096)  # 160 KiB
    response = await upload(api, notes, big)
    assert error_of(response) == (507, "insufficient_storage")
    assert "big.txt: not stored: the disk holding the engine's data" in response.text
    assert "RAG_DATA_DIR" in response.text
    assert [d.source for d in engine.workspace.service.documents()] == ["upload:notes.txt"]
    assert not any(engine.jobs.spool_root.iterdir())


async def test_a_damaged_file_fails_alone_in_the_report(api: httpx.AsyncClient) -> None:
    report = (await upload(api, ("bad.pdf", b"%PDF-1.5\nnot really a pdf"),
                           ("guide.pdf", guide()))).json()
    assert [f["status"] for f in report["files"]] == ["failed", "ingested"]
    assert report["files"][0]["error"].startswith("bad.pdf: ")


# --- who may call -----------------------------------------------------------------------------

async def test_without_keys_only_this_machine_may_call(engine: Engine) -> None:
    async with client(engine, host="10.0.0.7") as outside:
        response = await outside.get("/health")
        assert error_of(response) == (403, "forbidden") and "RAG_API_KEYS" in response.text
        assert error_of(await upload(outside, ("guide.pdf", guide()))) == (403, "forbidden")
    async with client(engine, host="::ffff:127.0.0.1") as mapped:  # IPv4 on a dual stack
        assert (await mapped.get("/health")).status_code == 200
        # no keys configured: whatever this machine sends as a key is ignored
        for header in ("Bearer ", "Bearer anything", "Basic Zm9vOmJhcg=="):
            sent = await mapped.get("/health", headers={"Authorization": header})
            assert sent.status_code == 200, header
    assert engine.workspace.service.store.size() == 0


async def test_without_keys_no_other_sites_page_may_call(engine: Engine) -> None:
    """A page elsewhere can make the browser post a form to the API (a multipart upload needs
    no preflight), or name the API by its own domain through DNS rebinding: its requests then
    come from this machine too, and must still be refused."""
    async with client(engine) as this_machine:
        planted = await this_machine.post(
            "/documents", headers={"Origin": "http://evil.example"},
            files=[("files", ("planted.txt", b"The reset page is http://evil.example."))])
        assert error_of(planted) == (403, "forbidden") and "evil.example" in planted.text
        rebound = await this_machine.get("http://rebind.example/api/v1/documents")
        assert error_of(rebound) == (403, "forbidden") and "localhost" in rebound.text
        for host in ("localhost", "127.0.0.1:8501", "[::1]:8501"):
            allowed = await this_machine.get(f"http://{host}/api/v1/health")
            assert allowed.status_code == 200, host
        own_page = await this_machine.post(  # the OpenAPI page's "try it out"
            "/search", headers={"Origin": "http://localhost"}, json={"query": "x"})
        assert own_page.status_code == 200
        null = await this_machine.get("/health", headers={"Origin": "null"})
        assert error_of(null) == (403, "forbidden")
    assert engine.workspace.service.store.size() == 0


async def test_keys_name_their_users_and_are_never_logged(open_engine, tmp_path: Path,
                                                          caplog) -> None:
    caplog.set_level(logging.DEBUG)
    keys_file = tmp_path / "keys"
    hashed = add_key(keys_file, "bob")
    assert hashed not in keys_file.read_text() and "bob sha256:" in keys_file.read_text()
    engine = open_engine(api_keys="alice:alice-secret-key-1", api_keys_file=keys_file)
    async with client(engine, host="10.0.0.7", key="alice-secret-key-1") as alice:
        assert (await alice.get("/health")).status_code == 200
        await alice.post("/ask", json={"question": "anything?"})
    async with client(engine, host="10.0.0.8", key=hashed) as bob:
        assert (await bob.get("/collections")).status_code == 200
    async with client(engine, host="127.0.0.1") as nobody:  # keys set: loopback needs one too
        assert error_of(await nobody.get("/health")) == (401, "unauthorized")
    async with client(engine, host="10.0.0.7", key="wrong") as wrong:
        assert error_of(await wrong.get("/health")) == (401, "unauthorized")
        assert engine.address is not None  # so the token is compared with the start token too
        not_ascii = {"Authorization": "Bearer cl\xe9".encode("latin-1")}
        assert error_of(await wrong.get("/health", headers=not_ascii)) == (401, "unauthorized")
    metrics = engine.workspace.metrics
    assert metrics.summary(since=0, user="alice").requests == 1  # the question is alice's
    assert metrics.summary(since=0).requests == 1
    logged = caplog.text + (engine.settings.resolved_log_file.read_text()
                            if engine.settings.resolved_log_file.exists() else "")
    assert "alice-secret-key-1" not in logged and hashed not in logged


async def test_every_request_is_logged_with_its_user_but_never_its_key(open_engine,
                                                                       caplog) -> None:
    caplog.set_level(logging.INFO, logger="rag.access")
    engine = open_engine(api_keys="alice:alice-secret-key-1")
    async with client(engine, host="10.0.0.7", key="alice-secret-key-1") as alice:
        assert (await alice.get("/health", params={"collection": "docs"})).status_code == 200
        asked = await alice.post("/ask", json={"question": "tea?", "stream": False})
        assert asked.status_code == 200
    async with client(engine, host="10.0.0.9", key="wrong-key") as wrong:
        assert error_of(await wrong.get("/documents")) == (401, "unauthorized")
    lines = [(r.http["method"], r.http["path"], r.http["status"], r.http["client"], r.user)
             for r in caplog.records if r.name == "rag.access"]
    assert lines == [("GET", "/api/v1/health", 200, "10.0.0.7", "alice"),
                     ("POST", "/api/v1/ask", 200, "10.0.0.7", "alice"),
                     ("GET", "/api/v1/documents", 401, "10.0.0.9", None)]
    first = next(r for r in caplog.records if r.name == "rag.access")
    assert re.fullmatch(r"GET /api/v1/health 200 \d+\.\d ms", first.getMessage())
    assert "alice-secret-key-1" not in caplog.text and "wrong-key" not in caplog.text
    logged = engine.settings.resolved_log_file.read_text()  # the log file's JSON lines
    record = json.loads(next(line for line in logged.splitlines() if "/api/v1/ask" in line))
    assert record["logger"] == "rag.access" and record["user"] == "alice"
    assert record["http"]["status"] == 200 and record["http"]["ms"] >= 0
    # the access line and the question's own records share one id, to be joined
    ids = [r.request_id for r in caplog.records if r.name == "rag.access"]
    assert record["request_id"] == asked.json()["request_id"] == ids[1]
    assert len(set(ids)) == 3 and None not in ids


async def test_the_start_token_is_the_rag_command_on_this_machine_only(open_engine) -> None:
    """server.json's token makes the `rag` command `local` and trusted (it may name a file's
    path, and skips the rate limit); from another machine it is no key at all."""
    engine = open_engine(api_keys="alice:alice-secret-key-1", editors="alice")
    engine.announce("http://127.0.0.1:1")
    assert engine.address is not None
    token = engine.address.token
    async with client(engine, host="127.0.0.1", key=token) as here:
        assert (await here.post("/collections", json={"name": "notes"})).status_code == 201
    async with client(engine, host="10.0.0.9", key=token) as elsewhere:
        assert error_of(await elsewhere.get("/health")) == (401, "unauthorized")
        refused = await elsewhere.post("/collections", json={"name": "other"})
        assert error_of(refused) == (401, "unauthorized")
    assert engine.workspace.collections() == ["docs", "notes"]


async def test_the_rate_limit_answers_429_with_retry_after(open_engine) -> None:
    engine = open_engine(rate_limit_per_minute=2)
    async with client(engine) as api:
        for empty in ({"question": "   "}, {"question": "\u200b"}):  # cost no question
            assert error_of(await api.post("/ask", json=empty)) == (400, "bad_request")
        assert error_of(await api.post("/search", json={"query": "\t"})) == (400, "bad_request")
        part = {"type": "text", "text": "tomato " * 1428 + "okay"}  # 10,000, and a line break
        for path, too_long in (
                ("/ask", {"question": "tomato " * 3000}),
                ("/search", {"query": "tomato " * 3000}),
                ("/chat/completions", {"model": "docs", "messages": [
                    {"role": "user", "content": [part, part]}]})):
            assert error_of(await api.post(path, json=too_long)) == (400, "input_too_long")
        # a search that cannot run: a filter naming no document, more than the embedder reads
        for unknown in ({"doc_id": "0123abcd"}, {"source": "/no/such.txt"}):
            refused = await api.post("/search", json={"query": "tomatoes", **unknown})
            assert error_of(refused) == (404, "not_found")
        assert error_of(await api.post("/search", json={"query": "why " * 400})) == (
            400, "input_too_long")
        for _ in range(2):
            assert (await api.post("/search", json={"query": "tomatoes"})).status_code == 200
        limited = await api.post("/ask", json={"question": "tomatoes?"})
        assert error_of(limited) == (429, "rate_limited")
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert (await api.get("/documents")).status_code == 200  # only questions count


# --- metrics ------------------------------------------------------------------------------------

async def test_metrics_are_prometheus_text(api: httpx.AsyncClient) -> None:
    await upload(api, ("guide.pdf", guide()))
    await api.post("/ask", json={"question": "How much sunlight do tomatoes need?"})
    await api.post("/ask", json={"question": "How much sunlight do tomatoes need?"})  # cached
    await api.post("/search", json={"query": "x", "collection": "nope"})
    await api.post("/ask", content=b'{"question": "' + b"x" * (2 * 1024 * 1024) + b'"}',
                   headers={"content-type": "application/json"})  # refused before routing
    await api.get("/nowhere/7")
    await api.get("http://localhost/api/openapi.json")
    text = (await api.get("http://localhost/metrics")).text
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("rag_http_requests_total", route="/api/v1/ask", method="POST",
                 status="200") == 2
    # each route by its template, even when refused before routing; one label for the rest
    assert value("rag_http_requests_total", route="/api/v1/ask", method="POST",
                 status="413") == 1
    assert value("rag_http_requests_total", route="/api/openapi.json", method="GET",
                 status="200") == 1
    assert value("rag_http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert value("rag_errors_total", code="not_found") == 2
    assert value("rag_answers_total", generator="extractive", outcome="ok") == 2
    assert value("rag_answer_cache_hits_total") == 1  # the same question, asked again
    assert value("rag_ingested_documents_total") == 1
    assert value("rag_ingested_files_total", status="ingested") == 1
    assert value("rag_ingested_chunks_total") >= 2
    assert value("rag_answer_first_token_seconds_count") == 2
    # gauges read at the scrape: today's error rate and the targets
    assert value("rag_error_rate_percent") == 0.0
    assert value("rag_target_pass", target="error_rate") == 1.0
    assert value("rag_target_value", target="cache_hit_rate") == 50.0
    assert value("rag_target_pass", target="cache_hit_rate") == 0.0  # 50 % is not over 50 %


# --- the engine announces itself ---------------------------------------------------------------

def test_server_json_is_private_and_removed_at_exit(open_engine) -> None:
    engine = open_engine()
    path = engine.settings.data_dir / discovery.FILE_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    assert discovery.find(engine.settings.data_dir) == engine.address
    engine.close()
    assert not path.exists()


def test_a_stale_server_json_is_ignored(tmp_path: Path) -> None:
    (tmp_path / discovery.FILE_NAME).write_text(json.dumps(
        {"url": "http://127.0.0.1:1", "token": "t", "pid": 2**22 + 17}))
    assert discovery.find(tmp_path) is None
    (tmp_path / discovery.FILE_NAME).write_text("{not json")
    assert discovery.find(tmp_path) is None


@pytest.mark.skipif(discovery.process_start(os.getpid()) is None, reason="needs Linux's /proc")
def test_a_server_json_whose_pid_names_another_process_is_ignored(tmp_path: Path) -> None:
    """An engine killed in a container was its process 1, alive again in the next one."""
    here = {"url": "http://127.0.0.1:1", "token": "t", "pid": os.getpid(),
            "host": socket.gethostname(), "started": discovery.process_start(os.getpid())}

    def found(**changed: object) -> discovery.EngineAddress | None:
        (tmp_path / discovery.FILE_NAME).write_text(json.dumps({**here, **changed}))
        return discovery.find(tmp_path)

    assert found() is not None and found(started=None) is not None  # an earlier version's
    assert found(pid=1, started=discovery.process_start(1)) is not None
    assert found(pid=1) is None  # process 1 started before this process did
    assert found(host="another-container") is None  # its url is that host's own


def test_a_server_json_copied_with_its_data_folder_names_no_engine_of_the_copy(
        tmp_path: Path) -> None:
    """A backup taken while the engine runs: commands given the copy would otherwise ingest
    into and delete from the original library, and `rag ui` refuse the copy."""
    original, copy = tmp_path / "data", tmp_path / "copy"
    written = discovery.announce(original, "http://127.0.0.1:1")  # this process, alive
    copy.mkdir()
    shutil.copy2(original / discovery.FILE_NAME, copy / discovery.FILE_NAME)
    assert discovery.find(original) == written
    assert discovery.find(copy) is None
    moved = tmp_path / "moved"
    original.rename(moved)  # the same folder under another name is still the engine's
    assert discovery.find(moved) == written


def test_accepted_connections_send_without_waiting_for_acknowledgements() -> None:
    def accepted_nodelay(listener: socket.socket) -> int:
        with socket.create_connection(listener.getsockname()), listener.accept()[0] as conn:
            return conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

    with socket.socket(socket.AF_INET) as listener:  # bound as Streamlit binds its own
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert accepted_nodelay(listener) == 0
        assert disable_nagle(listener.getsockname()[1]) == 1
        assert accepted_nodelay(listener) == 1



def test_the_settled_heap_leaves_what_was_made_at_start_up_out_of_collections() -> None:
    made_at_start_up = [[]]  # a container: the collector tracks it
    before = gc.get_threshold()
    try:
        # frozen objects that other threads free leave the count, so it is not compared again
        assert settle_heap() >= 1
        assert not any(o is made_at_start_up for o in gc.get_objects())
        assert gc.get_threshold() == THRESHOLDS
        made_later = [[]]
        assert any(o is made_later for o in gc.get_objects())  # the answers' objects are not
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

# --- keys that could never be used, and the 429's wait ---------------------------------------

def keys_from(tmp_path: Path, api_keys: str | None = None, lines: str | None = None) -> ApiKeys:
    """The keys an engine would hold with RAG_API_KEYS=`api_keys` and a keys file of `lines`."""
    keys_file = tmp_path / "api_keys"
    if lines is not None:
        keys_file.write_text(lines, encoding="utf-8")
    return ApiKeys.from_settings(load_settings({}, env_file=None, data_dir=tmp_path,
                                               api_keys=api_keys))


def test_a_hashed_key_written_in_capitals_matches(tmp_path: Path) -> None:
    keys = keys_from(tmp_path, lines=f"frank sha256:{key_hash('frank-key').upper()}\n")
    assert keys.user_of("frank-key") == "frank"


@pytest.mark.parametrize("digest", ["abc", "g" * 64, "0" * 63, "0" * 65])
def test_a_hashed_key_that_is_no_sha256_is_refused_at_start(tmp_path: Path, digest: str) -> None:
    with pytest.raises(ConfigError, match=r"api_keys, line 2: a hashed key is sha256: followed "
                                          r"by 64 hex digits\."):
        keys_from(tmp_path, lines=f"# ops\ndave sha256:{digest}\n")


@pytest.mark.parametrize(("api_keys", "lines", "whose"), [
    ("dave:ключ-dave", None, "RAG_API_KEYS: the key of dave"),
    ("eve:caf\xe9", None, "RAG_API_KEYS: the key of eve"),
    ("fay:tab\there", None, "RAG_API_KEYS: the key of fay"),
    (None, "gus clé\n", "api_keys, line 1: the key"),
])
def test_a_key_no_client_can_send_is_refused_at_start(tmp_path: Path, api_keys: str | None,
                                                      lines: str | None, whose: str) -> None:
    with pytest.raises(ConfigError) as refused:
        keys_from(tmp_path, api_keys, lines)
    message = str(refused.value)
    assert whose in message and "printable ASCII" in message
    assert not any(secret in message for secret in ("ключ", "caf\xe9", "tab\there", "clé"))


@pytest.mark.parametrize(("api_keys", "lines", "where"), [
    ("alice:key-a,local:key-l", None, "RAG_API_KEYS: The user name 'local' is taken: it "
                                      "names the `rag` command on this machine"),
    (None, "alice key-a\nanonymous key-n\n", "api_keys, line 2: The user name 'anonymous' is "
                                            "taken: it names the chat's visitors"),
])
def test_a_key_for_a_built_in_user_is_refused_at_start(tmp_path: Path, api_keys: str | None,
                                                       lines: str | None, where: str) -> None:
    """A key named `local` would see the `rag` command's ingests and share its budget."""
    with pytest.raises(ConfigError) as refused:
        keys_from(tmp_path, api_keys, lines)
    assert where in str(refused.value) and "key-" not in str(refused.value)


def test_a_keys_file_saved_with_a_byte_order_mark_names_its_first_user(tmp_path: Path) -> None:
    """Windows Notepad starts a UTF-8 file with one; the user must not be an unseen
    "\ufeffalice", whom no editor list names."""
    (tmp_path / "api_keys").write_bytes(b"\xef\xbb\xbfalice key-of-alice\r\nbob key-of-bob\r\n")
    keys = ApiKeys.from_settings(load_settings({}, env_file=None, data_dir=tmp_path))
    assert keys.user_of("key-of-alice") == "alice" and keys.user_of("key-of-bob") == "bob"


@pytest.mark.parametrize(("api_keys", "where"), [
    ("alice:key-a,bob smith:key-b", "RAG_API_KEYS: A user name is one word"),
    ("#ops:key-o", "RAG_API_KEYS: A user name cannot start with '#'"),
    ("\u200bzoe:key-z", "RAG_API_KEYS: A user name is one word"),
])
def test_a_user_name_the_keys_file_could_not_hold_is_refused_at_start(
        tmp_path: Path, api_keys: str, where: str) -> None:
    with pytest.raises(ConfigError) as refused:
        keys_from(tmp_path, api_keys)
    assert where in str(refused.value) and "key-" not in str(refused.value)


def test_a_key_with_spaces_and_colons_still_names_its_user(tmp_path: Path) -> None:
    keys = keys_from(tmp_path, " carol:KEY C spaced , dan:a:b:c ")
    assert keys.user_of("KEY C spaced") == "carol" and keys.user_of("a:b:c") == "dan"


@pytest.mark.parametrize(("api_keys", "lines"), [
    ("alice:shared-key-1,bob:shared-key-1", None),
    ("alice:shared-key-1", "bob shared-key-1\n"),
    ("alice:shared-key-1", f"bob sha256:{key_hash('shared-key-1')}\n"),
])
def test_one_key_for_two_users_is_refused_naming_both(tmp_path: Path, api_keys: str,
                                                      lines: str | None) -> None:
    with pytest.raises(ConfigError, match="Users alice and bob have the same API key") as refused:
        keys_from(tmp_path, api_keys, lines)
    assert "shared-key-1" not in str(refused.value)
    # the same user given the same key twice names one user: nothing to refuse
    again = tmp_path / "again"
    again.mkdir()
    assert keys_from(again, "alice:shared-key-1,alice:shared-key-1").user_of(
        "shared-key-1") == "alice"


@pytest.mark.parametrize(("wait", "said"), [(2.4, "3"), (0.2, "1"), (59.5, "60")])
async def test_the_429_message_waits_the_seconds_its_retry_after_says(
        engine: Engine, monkeypatch, wait: float, said: str) -> None:
    monkeypatch.setattr(engine.limits, "admit", lambda user: wait)
    async with client(engine) as api:
        limited = await api.post("/search", json={"query": "tomatoes"})
    assert error_of(limited) == (429, "rate_limited")
    assert limited.headers["retry-after"] == said
    assert f"ask again in {said} s " in limited.json()["error"]["message"]


async def test_the_framing_rules_join_an_answers_own_and_never_loosen_them() -> None:
    """Every answer may be framed by the engine's own pages only (the whole engine, over
    real HTTP: tests/e2e/test_engine.py); an answer that says more keeps its word."""
    async def strict(request) -> PlainTextResponse:
        return PlainTextResponse("", headers={"X-Frame-Options": "DENY",
                                              "Content-Security-Policy": "default-src 'none'"})

    async def plain(request) -> PlainTextResponse:
        return PlainTextResponse("")

    app = FramedByOwnPagesOnly(Starlette(routes=[Route("/strict", strict),
                                                 Route("/plain", plain)]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://engine") as browser:
        framed, kept = await browser.get("/plain"), await browser.get("/strict")
    assert framed.headers.get_list("content-security-policy") == ["frame-ancestors 'self'"]
    assert framed.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    # two policies are both enforced: the page is framed by none
    assert kept.headers.get_list("content-security-policy") == ["default-src 'none'",
                                                                "frame-ancestors 'self'"]
    assert kept.headers.get_list("x-frame-options") == ["DENY"]


def test_an_exception_a_route_lets_out_is_a_framed_500() -> None:
    """Starlette answers it from ServerErrorMiddleware, outside every middleware an app adds
    (ui/app.py adds FramedByOwnPagesOnly so): over real HTTP, its 500 is framed too."""
    async def broken(request) -> PlainTextResponse:
        raise RuntimeError("a route's own failure")

    server = ServerThread(Starlette(routes=[Route("/broken", broken)],
                                    middleware=[Middleware(FramedByOwnPagesOnly)]))
    try:
        answer = httpx.get(f"{server.start()}/broken", timeout=10)
    finally:
        server.stop()
    assert (answer.status_code, answer.text) == (500, "Internal Server Error")
    assert answer.headers.get_list("content-security-policy") == ["frame-ancestors 'self'"]
    assert answer.headers.get_list("x-frame-options") == ["SAMEORIGIN"]


@pytest.mark.parametrize(("origin", "host", "same"), [
    ("http://127.0.0.1:8501", "127.0.0.1:8501", True),
    ("https://chat.example", "chat.example", True),  # behind a TLS proxy
    ("http://chat.example", "chat.example:80", True),
    ("http://127.0.0.1:8000", "127.0.0.1:8501", False),  # another program's page
    ("http://localhost:8502", "localhost:8501", False),
    ("https://chat.example", "chat.example:80", False),
    ("http://evil.example:8501", "127.0.0.1:8501", False),
    ("null", "127.0.0.1:8501", False),
    ("http://127.0.0.1:8501", None, False),
    ("http://[::1", "127.0.0.1:8501", False),  # not a URL
])
def test_a_browser_page_is_its_servers_own_by_host_and_port(origin: str, host: str | None,
                                                             same: bool) -> None:
    assert same_origin(origin, host) is same


def test_the_load_balancer_passes_on_the_host_the_browser_named() -> None:
    """deploy/nginx.conf's `Host` header, as nginx fills it for a page opened at the compose
    file's port: `$host` drops the port, and the engine would refuse the chat's WebSocket."""
    conf = (Path(__file__).parents[1] / "deploy" / "nginx.conf").read_text()
    sent = re.search(r"proxy_set_header\s+Host\s+(\$\w+);", conf)
    assert sent is not None
    browser_sent = "docs.example.org:8501"
    nginx_sends = {"$http_host": browser_sent, "$host": "docs.example.org"}[sent.group(1)]
    assert same_origin("http://docs.example.org:8501", nginx_sends)


def test_a_folder_where_the_engine_announces_itself_is_said_and_the_token_not_left(
        tmp_path: Path) -> None:
    from rag.engine import discovery

    (tmp_path / "server.json").mkdir()
    with pytest.raises(ConfigError) as refused:
        discovery.announce(tmp_path, "http://127.0.0.1:9")
    assert str(refused.value) == (
        f"Cannot write the engine's address to {tmp_path / 'server.json'} (it is a folder): "
        "remove what is in its place, or give RAG_DATA_DIR a folder you can write to.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["server.json"]  # no token left
