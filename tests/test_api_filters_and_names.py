"""Filters and collection names a request may hold by mistake, refused rather than dropped
or widened: an empty document filter, a chat naming a second collection in its body, a
repeated `collection` query parameter; and the delete of a collection named in another case,
which points to the name to use."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest

from rag.errors import EmptyQuestion
from tests import test_api, test_cli, test_engine_doors
from tests.test_api import error_of, upload
from tests.test_cli import Door

pytestmark = pytest.mark.anyio
# the in-process API of test_api, and test_cli's `rag` command run with and without an engine
anyio_backend, open_engine, engine, api = (test_api.anyio_backend, test_api.open_engine,
                                           test_api.engine, test_api.api)
door, served = test_cli.door, test_engine_doors.served
EMPTY_DOC_ID = ("The document id to search in is empty: give one, or leave it out to search "
                "every document.")
EMPTY_SOURCE = ("The source path to search in is empty: give one, or leave it out to search "
                "every document.")
LEMURS = ("lemurs.md", b"# Lemurs\n\nLemurs live on Madagascar and eat fruit.")
OTTERS = ("otters.md", b"# Otters\n\nOtters hold hands while they sleep on the water.")
QUESTION = [{"role": "user", "content": "Where do lemurs live?"}]


def said(response: httpx.Response) -> str:
    return response.json()["error"]["message"]


# --- an empty document filter ------------------------------------------------------------------

@pytest.mark.parametrize(("field", "message"), [("doc_id", EMPTY_DOC_ID),
                                                ("source", EMPTY_SOURCE)])
async def test_an_empty_document_filter_is_refused_not_widened(
        api: httpx.AsyncClient, field: str, message: str) -> None:
    await upload(api, LEMURS, OTTERS)
    refused = await api.post("/search", json={"query": "lemurs", field: ""})
    assert error_of(refused) == (400, "bad_request")
    assert said(refused) == message
    # absent or null is every document
    for body in ({"query": "lemurs"}, {"query": "lemurs", field: None}):
        hits = (await api.post("/search", json=body)).json()["hits"]
        assert {hit["source"] for hit in hits} == {"upload:lemurs.md", "upload:otters.md"}


async def test_a_filter_naming_no_document_is_not_found_rather_than_nothing_found(
        api: httpx.AsyncClient) -> None:
    """A folder, a mistyped path or an unknown id would find nothing, as if the library held
    no answer: each is said to name no document."""
    await upload(api, LEMURS, OTTERS)
    for field, value, named in (("doc_id", "deadbeef", "no document with the id 'deadbeef'"),
                                ("source", "upload:lemur.md", "no document with the source"),
                                ("source", "/srv/library", "a folder is not a document")):
        refused = await api.post("/search", json={"query": "lemurs", field: value})
        assert error_of(refused) == (404, "not_found") and named in said(refused)
    doc_id = next(d["doc_id"] for d in (await api.get("/documents")).json()["documents"]
                  if d["source"] == "upload:lemurs.md")
    for field, value in (("doc_id", doc_id), ("source", "upload:lemurs.md")):
        hits = (await api.post("/search", json={"query": "fruit", field: value})).json()["hits"]
        assert hits and {hit["source"] for hit in hits} == {"upload:lemurs.md"}


def test_the_store_refuses_an_empty_filter_whoever_asks(engine) -> None:
    """The library searched without the API (the `rag` command alone, the chat) too."""
    service = engine.workspace.service
    service.ingest_bytes(LEMURS[0], LEMURS[1], "upload:lemurs.md")
    with pytest.raises(EmptyQuestion, match="document id to search in is empty"):
        service.find("lemurs", doc_id="")
    with pytest.raises(EmptyQuestion, match="source path to search in is empty"):
        service.find("lemurs", source="", mode="sparse")


@pytest.mark.parametrize(("option", "message"), [("--doc", EMPTY_DOC_ID),
                                                 ("--source", EMPTY_SOURCE)])
def test_rag_search_refuses_an_empty_filter_with_or_without_an_engine(
        door: Door, tmp_path: Path, option: str, message: str) -> None:
    for name, text in (LEMURS, OTTERS):
        (tmp_path / name).write_bytes(text)
    assert door.run("ingest", str(tmp_path / LEMURS[0]), str(tmp_path / OTTERS[0])
                    ).exit_code == 0
    refused = door.run("search", "lemurs", option, "", "--json")
    assert refused.exit_code == 2 and refused.stdout == ""
    assert " ".join(refused.stderr.split()) == f"error: {message}"


# --- one collection a request --------------------------------------------------------------------

async def test_a_chat_naming_another_collection_in_its_body_is_refused(
        api: httpx.AsyncClient) -> None:
    await upload(api, LEMURS)
    assert (await api.post("/collections", json={"name": "hostile"})).status_code == 201
    sdk = openai.AsyncOpenAI(base_url="http://localhost/api/v1", api_key="unused",
                             http_client=api, max_retries=0)
    with pytest.raises(openai.BadRequestError) as refused:
        await sdk.chat.completions.create(model="docs", messages=QUESTION,
                                          extra_body={"collection": "hostile"})
    assert refused.value.status_code == 400
    assert refused.value.body == {"code": "bad_request", "type": "invalid_request_error",
                                  "param": None, "message": (
        "Two collections were given: 'docs' as the model and 'hostile' as the `collection`; "
        "give one.")}
    addressed = await api.post("/chat/completions?collection=hostile",
                               json={"model": "docs", "messages": QUESTION})
    assert said(addressed) == ("Two collections were given: 'docs' as the model and 'hostile' "
                               "in the address; give one.")
    # the same name, in any case, is one collection: the model's
    for same in ("docs", "DOCS"):
        reply = await sdk.chat.completions.create(model="docs", messages=QUESTION,
                                                  extra_body={"collection": same})
        assert reply.model == "docs" and reply.model_extra["citations"]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/documents", None),
    ("POST", "/search", {"query": "lemurs"}),
    ("POST", "/ask", {"question": "Where do lemurs live?"}),
    ("POST", "/chat/completions", {"model": "docs", "messages": QUESTION}),
    ("DELETE", "/documents/upload:lemurs.md", None),
])
async def test_a_collection_given_twice_in_the_address_is_refused_on_every_route(
        api: httpx.AsyncClient, method: str, path: str, body: dict | None) -> None:
    await upload(api, LEMURS)
    assert (await api.post("/collections", json={"name": "hostile"})).status_code == 201
    twice = await api.request(method, f"{path}?collection=docs&collection=hostile", json=body)
    assert error_of(twice) == (400, "bad_request")
    assert said(twice) == ("Two collections were given in the address: 'docs' and 'hostile'; "
                           "give one.")
    # one name given twice, in any case, is one collection
    once = await api.request(method, f"{path}?collection=docs&collection=docs", json=body)
    assert once.status_code == 200, once.text
    assert [d["source"] for d in (await api.get("/documents")).json()["documents"]] == (
        [] if method == "DELETE" else ["upload:lemurs.md"])


async def test_an_upload_naming_two_collections_in_its_address_stores_nothing(
        api: httpx.AsyncClient) -> None:
    assert (await api.post("/collections", json={"name": "hostile"})).status_code == 201
    refused = await api.post("/documents?collection=docs&collection=hostile",
                             files=[("files", LEMURS)])
    assert error_of(refused) == (400, "bad_request")
    for name in ("docs", "hostile"):
        listed = await api.get("/documents", params={"collection": name})
        assert listed.json()["documents"] == []


async def test_a_body_and_an_address_naming_one_collection_in_two_cases_are_one(
        api: httpx.AsyncClient) -> None:
    await upload(api, LEMURS)
    found = await api.post("/search?collection=DOCS", json={"query": "lemurs",
                                                            "collection": "docs"})
    assert found.status_code == 200 and found.json()["hits"]


# --- a collection named in another case ----------------------------------------------------------

async def test_deleting_a_collection_named_in_another_case_points_to_its_name(
        api: httpx.AsyncClient) -> None:
    assert (await api.post("/collections", json={"name": "hostile"})).status_code == 201
    refused = await api.delete("/collections/Hostile")
    assert error_of(refused) == (404, "not_found")
    assert said(refused) == ("There is no collection named 'Hostile'; names that differ only "
                             "in case are one name: use 'hostile'.")
    assert "hostile" in (await api.get("/collections")).json()["collections"]
    unknown = await api.delete("/collections/nosuch")
    assert said(unknown) == "There is no collection named 'nosuch' (there are: docs, hostile)."
