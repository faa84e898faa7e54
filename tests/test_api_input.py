"""The API's answers to input that once made it fail or mislead: lone surrogates, names no
collection can have, a server error on a kept-alive connection, a cancelled upload, form
fields and RFC 5987 file names in uploads, line breaks in a document's path, and chat
messages without text."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from rag.engine.api.errors import ApiError, error_response
from rag.engine.api.schemas import ChatMessage
from rag.engine.engine import Engine
from rag.errors import ConfigError
from rag.settings import load_settings
from tests import test_api
from tests.pdfgen import filler, make_pdf
from tests.test_api import error_of, server, upload
from tests.workers_ai_server import ServerThread

pytestmark = pytest.mark.anyio
# the in-process API of test_api: an engine with a data folder of its own, and its client
anyio_backend, open_engine, engine, api = (test_api.anyio_backend, test_api.open_engine,
                                           test_api.engine, test_api.api)
JSON = {"content-type": "application/json"}
NOT_UNICODE = "Input should be a valid string, unable to parse raw data as a unicode string."


# --- lone surrogates --------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "body", "where"), [
    ("/chat/completions", rb'{"model": "docs", "messages": [{"role": "user", '
                          rb'"content": "license \udfff"}]}', "messages.0.content"),
    ("/chat/completions", rb'{"model": "docs", "stream": true, "messages": [{"role": "user", '
                          rb'"content": "license \udfff"}]}', "messages.0.content"),
    ("/chat/completions", rb'{"model": "do\ud800cs", "messages": [{"role": "user", '
                          rb'"content": "license"}]}', "model"),
    ("/chat/completions", rb'{"model": "docs", "messages": [{"role": "user", "content": '
                          rb'[{"type": "text", "text": "x \ud800"}]}]}',
     "messages.0.content.0.text"),
    ("/chat/completions", rb'{"model": "docs", "user": "\ud800", "messages": [{"role": '
                          rb'"user", "content": "license"}]}', "user"),  # one we ignore
    ("/search", rb'{"query": "license", "doc_id": "\ud800"}', "doc_id"),
    ("/search", rb'{"query": "license", "source": "\ud800"}', "source"),
    ("/ask", rb'{"question": "license", "history": [{"role": "user", "content": "\udc00"}]}',
     "history.0.content"),
    ("/collections", rb'{"name": "a\ud800"}', "name"),
])
async def test_a_lone_surrogate_anywhere_in_a_body_is_a_bad_request(
        api: httpx.AsyncClient, path: str, body: bytes, where: str) -> None:
    response = await api.post(path, content=body, headers=JSON)
    assert error_of(response) == (400, "bad_request")
    assert response.json()["error"]["message"] == f"{where}: {NOT_UNICODE}"


async def test_a_lone_surrogate_in_a_field_name_is_a_bad_request_too(
        api: httpx.AsyncClient) -> None:
    response = await api.post("/search", content=rb'{"query": "x", "\ud800": 1}', headers=JSON)
    assert error_of(response) == (400, "bad_request")  # its message still JSON, not a 500


# --- collection names -------------------------------------------------------------------------

async def test_a_name_no_collection_can_have_is_refused_on_every_route(
        api: httpx.AsyncClient, engine: Engine) -> None:
    engine.workspace.create_collection("cache3")
    await upload(api, ("quokka.txt", b"The quokka lives on Rottnest Island."),
                 collection="cache3")
    edge = engine.settings.resolved_qdrant_path / "edge"
    shutil.copytree(edge / "cache3", edge / "cache3.bak")  # a copy made by hand
    for name in ("x" * 300, "x" * 64, "cache3.bak", "Copy Of"):
        answers = [
            await api.get("/documents", params={"collection": name}),
            await api.post("/search", json={"query": "quokka", "collection": name}),
            await api.post("/ask", json={"question": "quokka", "collection": name}),
            await upload(api, ("a.txt", b"Wombats dig burrows."), collection=name),
            await api.delete("/documents/upload:quokka.txt", params={"collection": name}),
            await api.delete(f"/collections/{name}"),
        ]
        for answer in answers:
            assert error_of(answer) == (400, "bad_request"), answer.request.url
            assert "is not a valid collection name" in answer.json()["error"]["message"]
        # a model no collection can be, as OpenAI says of another provider's: 404
        assert error_of(await api.get(f"/models/{name}")) == (404, "model_not_found")
        chat = await api.post("/chat/completions", json={"model": name, "messages": [
            {"role": "user", "content": "quokka"}]})
        assert error_of(chat) == (404, "model_not_found") and "There is no model" in chat.text
    assert engine.workspace.collections() == ["docs", "cache3"]
    assert [d["source"] for d in (await api.get("/documents", params={
        "collection": "cache3"})).json()["documents"]] == ["upload:quokka.txt"]


# --- a server error on a kept-alive connection ------------------------------------------------

def test_after_a_server_error_the_connection_still_serves_the_next_request(
        engine: Engine, monkeypatch) -> None:
    def broken() -> list[str]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(engine.workspace, "collections", broken)
    thread = ServerThread(server(engine))  # uvicorn over real TCP, as the engine serves
    url = thread.start()
    try:
        with httpx.Client(base_url=f"{url}/api/v1", timeout=30) as client:
            failed = client.get("/collections")
            assert error_of(failed) == (500, "internal_error")
            assert "error id" in failed.json()["error"]["message"]
            assert client.get("/ingests").status_code == 200  # the same connection
    finally:
        thread.stop()


async def test_a_server_error_is_answered_not_raised_to_the_server(
        api: httpx.AsyncClient, engine: Engine, monkeypatch) -> None:
    """httpx's in-process transport raises what the app raises, as uvicorn then drops the
    connection."""
    def broken() -> list[str]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(engine.workspace, "collections", broken)
    assert error_of(await api.get("/collections")) == (500, "internal_error")
    assert (await api.get("/ingests")).status_code == 200


# --- a cancelled upload -----------------------------------------------------------------------

def big_pdf() -> bytes:
    return make_pdf([filler(f"Chapter {n} is about greenhouse number {n}.", 2500)
                     for n in range(1, 31)])


async def running_upload(api: httpx.AsyncClient, engine: Engine
                         ) -> tuple[asyncio.Task[httpx.Response], str]:
    """An upload waiting for its ingest, once its first file is stored and its second is
    being written."""
    waiting = asyncio.create_task(upload(api, ("notes.md", b"# Notes\n\nThe key is under the "
                                                           b"blue pot."), ("big.pdf", big_pdf())))
    for _ in range(6000):
        jobs = engine.jobs.of(None)
        if jobs and [s.status for s in jobs[0].states] == ["ingested", "embedding"]:
            return waiting, jobs[0].id
        await asyncio.sleep(0.01)
    raise AssertionError("the ingest never got under way")


@pytest.mark.slow
async def test_an_upload_whose_ingest_is_cancelled_says_so_with_each_files_outcome(
        api: httpx.AsyncClient, engine: Engine) -> None:
    waiting, ingest_id = await running_upload(api, engine)
    assert (await api.delete(f"/ingests/{ingest_id}")).status_code == 200
    response = await waiting
    body = response.json()
    assert response.status_code == 409 and set(body) == {"error", "ingest"}
    assert body["error"]["code"] == "cancelled"  # not 503 upstream_unavailable: no retry
    assert "1 file stored before" in body["error"]["message"]
    ingest = body["ingest"]
    assert ingest["id"] == ingest_id and ingest["status"] == "cancelled"
    assert [(f["name"], f["status"]) for f in ingest["files"]] == [
        ("notes.md", "ingested"), ("big.pdf", "failed")]
    sources = [d["source"] for d in (await api.get("/documents")).json()["documents"]]
    assert sources == ["upload:notes.md"]
    # the file stored before the cancel is counted, as a finished ingest's would be
    metrics = (await api.get("http://localhost/metrics")).text
    counted = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(metrics) for s in family.samples}
    assert counted[("rag_ingested_documents_total", ())] == 1
    assert counted[("rag_ingested_files_total", (("status", "ingested"),))] == 1


@pytest.mark.slow
async def test_an_upload_stopped_with_the_engine_is_still_unavailable(
        api: httpx.AsyncClient, engine: Engine) -> None:
    waiting, _ = await running_upload(api, engine)
    engine.jobs.stop()  # as SIGTERM does: another replica may take the upload
    response = await waiting
    assert error_of(response) == (503, "upstream_unavailable")
    assert response.json()["error"]["message"] == (
        "The engine stopped during this ingest: the files stored before it stay searchable, "
        "those not yet complete were discarded; upload them again once an engine runs.")


# --- upload forms -----------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["collection", "wait", "files"])
async def test_a_form_field_beside_the_files_is_refused_naming_it(
        api: httpx.AsyncClient, engine: Engine, field: str) -> None:
    response = await api.post("/documents", data={field: "zz1"},
                              files=[("files", ("capy.txt", b"Capybaras swim well."))])
    assert error_of(response) == (400, "bad_request")
    message = response.json()["error"]["message"]
    assert f"`{field}`" in message and "?collection=" in message
    assert engine.workspace.service.store.size() == 0


def multipart(*dispositions: str) -> bytes:
    parts = [f"--B\r\nContent-Disposition: form-data; name=\"files\"; {disposition}\r\n\r\n"
             f"Llamas live in the Andes ({n}).\r\n" for n, disposition in enumerate(dispositions)]
    return ("".join(parts) + "--B--\r\n").encode()


@pytest.mark.parametrize(("dispositions", "names"), [
    (['filename="plain1.txt"', "filename*=UTF-8''r%C3%A9sum%C3%A9.txt"],
     ["plain1.txt", "résumé.txt"]),
    # .NET's HttpClient: an RFC 2047 word in filename=, the name itself in filename*=
    (['filename="=?utf-8?B?csOpc3Vtw6kudHh0?="; filename*=utf-8\'\'r%C3%A9sum%C3%A9.txt'],
     ["résumé.txt"]),
    (["filename*=iso-8859-1'fr'caf%E9.txt"], ["café.txt"]),
    # a folder part is dropped, by either separator (old browsers sent a Windows path)
    (['filename="../../etc/notes1.txt"', 'filename="C:\\Users\\ana\\notes2.txt"',
      'filename="..\\..\\notes3.txt"'], ["notes1.txt", "notes2.txt", "notes3.txt"]),
])
async def test_a_file_named_by_rfc_5987_is_stored_under_its_name(
        api: httpx.AsyncClient, dispositions: list[str], names: list[str]) -> None:
    response = await api.post("/documents", content=multipart(*dispositions),
                              headers={"content-type": "multipart/form-data; boundary=B"})
    assert response.status_code == 200, response.text
    assert [f["path"] for f in response.json()["files"]] == [f"upload:{n}" for n in names]
    assert all(f["status"] == "ingested" for f in response.json()["files"])


async def test_an_rfc_5987_name_that_cannot_be_read_refuses_the_upload(
        api: httpx.AsyncClient, engine: Engine) -> None:
    for disposition in ("filename*=no-such-charset''a.txt", "filename*=UTF-8''%FF.txt",
                        "filename*=a.txt"):
        response = await api.post("/documents", content=multipart('filename="ok.txt"',
                                                                  disposition),
                                  headers={"content-type": "multipart/form-data; boundary=B"})
        assert error_of(response) == (400, "bad_request")
        assert "filename*" in response.json()["error"]["message"]
    assert engine.workspace.service.store.size() == 0


async def test_a_file_name_not_in_utf_8_refuses_the_upload(
        api: httpx.AsyncClient, engine: Engine) -> None:
    """Two Latin-1 names ("menü1.txt", "mené1.txt") would both be read as "men\ufffd1.txt",
    the second file replacing the first."""
    for name, text in ((b"men\xfc1.txt", b"Pancakes."), (b"men\xe91.txt", b"Oysters.")):
        body = (b'--B\r\nContent-Disposition: form-data; name="files"; filename="' + name
                + b'"\r\n\r\n' + text + b"\r\n--B--\r\n")
        response = await api.post("/documents", content=body,
                                  headers={"content-type": "multipart/form-data; boundary=B"})
        assert error_of(response) == (400, "bad_request")
        assert response.json()["error"]["message"] == (
            f'A file\'s filename="{name.decode("utf-8", "backslashreplace")}" is not UTF-8 '
            f"(byte 0x{name[3]:02x}); send its name in UTF-8, or as filename*=UTF-8''NAME, "
            "percent-encoded.")
    assert engine.workspace.service.store.size() == 0


# --- a document's path ------------------------------------------------------------------------

async def test_a_document_is_deleted_by_its_exact_path_line_breaks_included(
        api: httpx.AsyncClient, engine: Engine, tmp_path: Path) -> None:
    await upload(api, ("notes.md", b"# Notes\n\nThe key is under the blue pot."))
    odd = tmp_path / "new\nline.txt"  # a file on this machine may be named so
    odd.write_text("Giraffes live in Kenya.")
    engine.workspace.service.ingest([odd])
    sources = {d["source"] for d in (await api.get("/documents")).json()["documents"]}
    assert sources == {"upload:notes.md", str(odd)}
    other = await api.delete("/documents/upload:notes.md%0A")
    assert error_of(other) == (404, "not_found")
    deleted = (await api.delete(f"/documents/{quote(str(odd), safe='')}")).json()["deleted"]
    assert [d["source"] for d in deleted] == [str(odd)]
    assert [d["source"] for d in (await api.get("/documents")).json()["documents"]] == [
        "upload:notes.md"]


async def test_an_uploaded_file_name_with_a_control_character_is_refused(
        api: httpx.AsyncClient, engine: Engine) -> None:
    raw_nul = await api.post("/documents", content=multipart('filename="a\x00b.txt"'),
                             headers={"content-type": "multipart/form-data; boundary=B"})
    line_break = await upload(api, ("new\nline.txt", b"Giraffes live in Kenya."))  # as %0A
    for response in (raw_nul, line_break):
        assert error_of(response) == (400, "bad_request") and "control character" in (
            response.json()["error"]["message"])
    assert engine.workspace.service.store.size() == 0


async def test_a_name_in_decomposed_form_is_the_same_name(api: httpx.AsyncClient) -> None:
    """A Mac writes "résumé" as e + a combining accent: the same name, the same document, not
    a second one looking just like it."""
    first = await upload(api, ("re\u0301sume\u0301.txt", b"Giraffes live in Kenya."))
    assert first.json()["files"][0]["path"] == "upload:résumé.txt"
    second = await upload(api, ("résumé.txt", b"Zebras live in Botswana."))
    assert second.json()["files"][0]["status"] == "ingested"
    listed = (await api.get("/documents")).json()["documents"]
    assert [d["source"] for d in listed] == ["upload:résumé.txt"]
    # named as the Mac sent it, it is found and deleted too
    decomposed = "upload:re\u0301sume\u0301.txt"
    found = await api.post("/search", json={"query": "Where do zebras live?",
                                            "source": decomposed})
    assert {hit["source"] for hit in found.json()["hits"]} == {"upload:résumé.txt"}
    deleted = await api.delete(f"/documents/{decomposed}")
    assert deleted.status_code == 200 and (await api.get("/documents")).json()["documents"] == []


# --- chat messages ----------------------------------------------------------------------------

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


@pytest.mark.parametrize("messages", [
    [{"role": "user", "content": "What is R?"}, {"role": "user", "content": [IMAGE]}],
    [{"role": "user", "content": "What is R?"}, {"role": "assistant", "content": "A language."},
     {"role": "user", "content": [IMAGE]}],
    [{"role": "user", "content": "What is R?"}, {"role": "assistant", "content": "A language."},
     {"role": "user", "content": ""}],
])
async def test_a_last_user_message_without_text_is_refused_not_answered_from_another(
        api: httpx.AsyncClient, messages: list[dict]) -> None:
    response = await api.post("/chat/completions", json={"model": "docs",
                                                         "messages": messages})
    assert error_of(response) == (400, "bad_request")
    assert "the last user message holds no text" in response.json()["error"]["message"]


def test_text_parts_are_read_as_separate_lines() -> None:
    message = ChatMessage(role="user", content=[
        {"type": "text", "text": "When does the patent"}, IMAGE,
        {"type": "text", "text": "license terminate?"}])
    assert message.text() == "When does the patent\nlicense terminate?"


async def test_the_function_role_is_accepted_and_ignored_like_tool(
        api: httpx.AsyncClient) -> None:
    response = await api.post("/chat/completions", json={"model": "docs", "messages": [
        {"role": "function", "name": "f", "content": "x"},
        {"role": "user", "content": "How much sunlight do tomatoes need?"}]})
    assert response.status_code == 200, response.text


async def test_only_user_and_assistant_messages_count_against_the_history_limit(
        api: httpx.AsyncClient) -> None:
    turns = [{"role": "user" if n % 2 == 0 else "assistant", "content": f"turn {n}"}
             for n in range(100)]
    question = {"role": "user", "content": "How much sunlight do tomatoes need?"}
    instructions = [{"role": "system", "content": "Be brief."},
                    {"role": "developer", "content": "Cite."}]
    taken = await api.post("/chat/completions", json={
        "model": "docs", "messages": [*instructions, *turns, question]})
    assert taken.status_code == 200, taken.text
    refused = await api.post("/chat/completions", json={
        "model": "docs", "messages": [*instructions, *turns, question, question]})
    assert error_of(refused) == (400, "bad_request")
    assert "100" in refused.json()["error"]["message"]


def test_the_errors_json_body_never_fails_to_render() -> None:
    rendered = error_response(ApiError("model_not_found", "There is no model 'do\ud800cs'."))
    assert json.loads(rendered.body)["error"]["message"] == "There is no model 'do\ufffdcs'."


# --- validation messages as users read them ---------------------------------------------------

@pytest.mark.parametrize("path", ["/ask", "/search", "/collections", "/chat/completions"])
async def test_an_empty_json_body_is_said_to_be_empty(api: httpx.AsyncClient, path: str) -> None:
    refused = await api.post(path, content=b"", headers=JSON)
    assert error_of(refused) == (400, "bad_request")
    assert refused.json()["error"]["message"] == (
        "The body is empty: send a JSON object, with Content-Type: application/json.")


async def test_a_validators_message_is_given_without_pydantics_prefix(
        api: httpx.AsyncClient) -> None:
    refused = await api.post("/chat/completions", json={
        "model": "docs", "messages": [{"role": "user", "content": 5}]})
    assert error_of(refused) == (400, "bad_request")
    message = refused.json()["error"]["message"]
    assert message.startswith("messages.0.content: content is a string, or a list of parts")
    assert "Value error" not in message


def test_a_settings_validators_message_is_given_without_pydantics_prefix() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"RAG_COLLECTION": "bad name!"}, env_file=None)
    assert str(refused.value).startswith("Invalid setting: RAG_COLLECTION: use 1 to 63 ASCII")
