"""The codes the OpenAPI page lists are those the routes answer (409 for a collection filled
by another embedder), and a setting's range error names the value given, never a secret."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from starlette.applications import Starlette

from rag.engine.api.app import create_api, mounted
from rag.engine.engine import Engine
from rag.errors import ConfigError
from rag.providers.embedders.base import Embedder
from rag.providers.embedders.local import LocalOnnxEmbedder
from rag.settings import load_settings, unknown_variables
from tests.conftest import fresh_settings

OTHER_EMBEDDER = "openai:nomic-embed-text"
MISMATCHED = "remote1"


class OtherEmbedder(Embedder):
    """Stands for a remote model the collection was filled with: another name and length
    than the local one, so that the local engine must refuse the collection."""

    name = OTHER_EMBEDDER
    dimension = 768
    max_tokens = 512

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        rows = [np.random.default_rng(int.from_bytes(hashlib.sha256(t.encode()).digest()[:8],
                                                     "big")).standard_normal(self.dimension)
                for t in texts]
        vectors = np.asarray(rows, dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def mismatched(tmp_path_factory: pytest.TempPathFactory, model_dir: Path,
               embedder: LocalOnnxEmbedder) -> Iterator[tuple[Engine, str]]:
    """An engine with the local embedder over a library whose collection `remote1` was filled
    by another embedder; and the id of the document in it."""
    folder = tmp_path_factory.mktemp("mismatch")
    notes = folder / "notes.txt"
    notes.write_text("Otters hold hands while they sleep.")
    settings = fresh_settings(folder, model_dir)
    filled = Engine.open(settings, embedder=OtherEmbedder())
    try:
        view = filled.workspace.create_collection(MISMATCHED)
        assert view.ingest([notes]).totals()["ingested"] == 1
        doc_id = view.documents()[0].doc_id
    finally:
        filled.close()
    engine = Engine.open(settings, embedder=embedder)
    try:
        yield engine, doc_id
    finally:
        engine.close()


def client(engine: Engine) -> httpx.AsyncClient:
    """The API as the app server mounts it, called from this machine."""
    transport = httpx.ASGITransport(app=Starlette(routes=[mounted(create_api(engine))]),
                                    client=("127.0.0.1", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://localhost/api/v1")


QUESTION = {"question": "What do otters hold?", "collection": MISMATCHED}
CHAT = {"model": MISMATCHED, "messages": [{"role": "user", "content": "What do otters hold?"}]}
#: id: (method, path, JSON body) of every route that opens the collection by name
PROBES: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "search": ("POST", "/search", {"query": "otters", "collection": MISMATCHED}),
    "search-sparse": ("POST", "/search", {"query": "otters", "collection": MISMATCHED,
                                          "mode": "sparse"}),
    "ask": ("POST", "/ask", {**QUESTION, "stream": False}),
    "ask-stream": ("POST", "/ask", {**QUESTION, "stream": True}),
    "list-documents": ("GET", f"/documents?collection={MISMATCHED}", None),
    "upload": ("POST", f"/documents?collection={MISMATCHED}", None),
    "delete-document": ("DELETE", f"/documents/{{doc_id}}?collection={MISMATCHED}", None),
    "chat": ("POST", "/chat/completions", {**CHAT, "stream": False}),
    "chat-stream": ("POST", "/chat/completions", {**CHAT, "stream": True}),
}


def template_of(schema: dict[str, Any], method: str, path: str) -> str:
    """The schema's path of the operation that a request to `path` (under /api/v1)
    reaches."""
    route = "/v1" + path.split("?")[0]
    for template, operations in schema["paths"].items():
        pattern = re.sub(r"\\{[^}]+\\}", "[^?]+", re.escape(template))
        if re.fullmatch(pattern, route) and method.lower() in operations:
            return template
    raise AssertionError(f"{method} {route} is not in the schema")


@pytest.mark.anyio
@pytest.mark.parametrize("probe", PROBES)
async def test_a_route_that_answers_409_for_another_embedder_lists_it(
        mismatched: tuple[Engine, str], probe: str) -> None:
    method, path, body = PROBES[probe]
    engine, doc_id = mismatched
    async with client(engine) as api:
        files = ([("files", ("more.txt", b"More about otters."))]
                 if method == "POST" and path.startswith("/documents") else None)
        answer = await api.request(method, path.format(doc_id=doc_id), json=body, files=files)
        schema = (await api.get("/../openapi.json")).json()
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["code"] == "conflict"
    assert f"filled by embedder {OTHER_EMBEDDER}" in error["message"]
    listed = schema["paths"][template_of(schema, method, path)][method.lower()]["responses"]
    assert "409" in listed, f"{method} {path} answers 409 but its schema lists {sorted(listed)}"
    assert "`conflict`" in listed["409"]["description"]


@pytest.mark.anyio
async def test_every_route_naming_a_collection_is_probed(mismatched: tuple[Engine, str]
                                                         ) -> None:
    """Each operation of the schema that takes a collection (a `collection` parameter, or a
    body with `collection` or `model`) is among PROBES: a new one is checked too."""
    async with client(mismatched[0]) as api:
        schema = (await api.get("/../openapi.json")).json()
    bodies = schema["components"]["schemas"]
    naming = set()
    for template, operations in schema["paths"].items():
        for method, operation in operations.items():
            params = {p["name"] for p in operation.get("parameters", [])}
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            fields = set(bodies.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}))
            if "collection" in params or {"collection", "model"} & fields:
                naming.add((method.upper(), template))
    probed = {(m, template_of(schema, m, p)) for m, p, _ in PROBES.values()}
    assert len(naming) >= 6
    assert naming <= probed, naming - probed


# --- setting messages --------------------------------------------------------------------------

@pytest.mark.parametrize(("variable", "value"), [
    ("RAG_CHUNK_TOKENS", "10"), ("RAG_AI_MAX_TOKENS", "8"),
    ("RAG_OPENAI_EMBEDDING_MAX_TOKENS", "5")])
def test_a_count_of_tokens_out_of_range_is_named_with_its_value(variable: str, value: str
                                                                ) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({variable: value}, env_file=None)
    assert str(info.value) == (f"Invalid setting: {variable}: Input should be greater than or "
                               f"equal to 16 (got '{value}'). See docs/configuration.md.")


@pytest.mark.parametrize("in_env_file", [False, True], ids=["environment", "env-file"])
@pytest.mark.parametrize("variable", ["RAG_APP_RATE_LIMIT_PER_MINUTE",
                                      "rag_app_rate_limit_per_minute"])
def test_a_setting_refused_under_its_older_name_is_named_as_set(
        tmp_path: Path, variable: str, in_env_file: bool) -> None:
    """The operator's configuration holds the older name: the newer one would be nowhere in it."""
    env_file = tmp_path / ".env"
    env_file.write_text(f"{variable}=-1\n" if in_env_file else "")
    with pytest.raises(ConfigError) as info:
        load_settings({} if in_env_file else {variable: "-1"}, env_file=str(env_file))
    assert str(info.value).startswith("Invalid setting: RAG_APP_RATE_LIMIT_PER_MINUTE: Input "
                                      "should be greater than or equal to 0 (got '-1')")


@pytest.mark.parametrize("field", ["openai_api_key", "qdrant_api_key", "cloudflare_api_token",
                                   "api_keys"])
def test_a_secret_setting_refused_is_never_shown(field: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({}, env_file=None, **{field: 73914562})  # no string: refused
    message = str(info.value)
    assert "Input should be a valid string" in message
    assert "73914562" not in message and "(got" not in message


@pytest.mark.parametrize("variable", ["OPENAI_API_KEY", "RAG_QDRANT_API_KEY",
                                      "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_AI_GATEWAY_TOKEN"])
@pytest.mark.parametrize("value", ["sk-S3CRET\u00e9", "sk-S3 CRET"])
def test_a_key_no_header_can_carry_is_refused_at_start_unshown(variable: str, value: str
                                                              ) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({variable: value}, env_file=None)
    message = str(info.value)
    assert f"Invalid setting: {variable}: " in message and "HTTP header" in message
    assert "S3CRET" not in message


@pytest.mark.parametrize("variable", ["OPENAI_API_KEY", "CLOUDFLARE_API_TOKEN",
                                      "CLOUDFLARE_AI_GATEWAY_TOKEN"])
def test_a_bearer_token_pasted_with_its_bearer_word_is_read_without_it(variable: str) -> None:
    settings = load_settings({variable: "Bearer sk-S3CRET"}, env_file=None)
    assert getattr(settings, variable.lower()).get_secret_value() == "sk-S3CRET"


def test_a_qdrant_key_is_no_bearer_token_and_keeps_refusing_the_word() -> None:
    with pytest.raises(ConfigError, match="RAG_QDRANT_API_KEY: .*HTTP header"):
        load_settings({"RAG_QDRANT_API_KEY": "Bearer sk-S3CRET"}, env_file=None)


@pytest.mark.parametrize("variable", ["OPENAI_API_KEY", "RAG_QDRANT_API_KEY",
                                      "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_AI_GATEWAY_TOKEN"])
def test_a_pasted_key_loses_the_spaces_and_line_end_around_it(variable: str) -> None:
    settings = load_settings({variable: " sk-S3CRET\n"}, env_file=None)
    field = {"RAG_QDRANT_API_KEY": "qdrant_api_key"}.get(variable, variable.lower())
    assert getattr(settings, field).get_secret_value() == "sk-S3CRET"


@pytest.mark.parametrize(("variable", "value"), [
    ("CLOUDFLARE_ACCOUNT_ID", "0123\nabc"), ("CLOUDFLARE_ACCOUNT_ID", "../../evil?x="),
    ("CLOUDFLARE_AI_GATEWAY_ID", "my gateway"),
    ("OPENAI_BASE_URL", ""), ("CLOUDFLARE_BASE_URL", "")])
def test_an_account_a_gateway_or_a_base_url_that_cannot_be_one_is_refused(variable: str,
                                                                          value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({variable: value}, env_file=None)
    assert f"Invalid setting: {variable}: " in str(info.value)


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_a_blank_folder_or_file_setting_is_its_default_never_the_working_folder(blank: str
                                                                              ) -> None:
    settings = load_settings({"RAG_DATA_DIR": blank, "RAG_LOG_FILE": blank}, env_file=None)
    assert settings.data_dir == Path("./data") and settings.log_file is None


def test_a_url_refused_is_shown_without_its_password() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"RAG_REDIS_URL": "redis://user:hunter2@host:6379/0?socket_timeout=x"},
                      env_file=None)
    message = str(info.value)
    assert "(got 'redis://***@host:6379/0?***')" in message and "hunter2" not in message


def test_a_name_that_may_hold_a_secret_hides_its_value_unless_it_is_a_count() -> None:
    from rag.settings import _got

    assert _got("future_api_key", "s3cret") == ""  # no such field: its name says enough
    assert _got("RAG_WEBHOOK_PASSWORD", "s3cret") == ""
    assert _got("chunk_tokens", 10) == " (got 10)"


def test_a_misspelt_setting_is_named_with_the_one_meant(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("RAG_CHUNK_TOKEN=300\nrag_collection=notes\n")
    said = unknown_variables({"RAG_TOPK": "3", "rag_search_mode": "dense", "PATH": "/bin",
                              "rag_serch_mode": "dense",
                              "RAG_NO_SUCH_THING_AT_ALL": "1"}, env_file=str(dotenv))
    assert said == [
        "RAG_TOPK is not a setting and is ignored: did you mean RAG_TOP_K?",
        "rag_serch_mode is not a setting and is ignored: did you mean RAG_SEARCH_MODE?",
        "RAG_NO_SUCH_THING_AT_ALL is not a setting and is ignored.",
        f"RAG_CHUNK_TOKEN (in {dotenv}) is not a setting and is ignored: did you mean "
        "RAG_CHUNK_TOKENS?",
    ]


def test_every_documented_setting_is_known() -> None:
    documented = set(re.findall(r"`(RAG_[A-Z0-9_]+)`", (Path(__file__).parents[1] / "docs"
                                                         / "configuration.md").read_text()))
    assert len(documented) > 50
    assert unknown_variables(dict.fromkeys(documented, "x"), env_file=None) == []


@pytest.mark.parametrize("variable", ["RAG_OPENAI_CHAT_MODEL", "RAG_WORKERS_AI_CHAT_MODEL",
                                      "RAG_PROGRESSIVE_MODEL"])
def test_a_blank_model_name_is_the_default_model(variable: str) -> None:
    field = variable.removeprefix("RAG_").lower()
    default = load_settings({}, env_file=None).model_dump()[field]
    for blank in ("", " "):
        assert load_settings({variable: blank}, env_file=None).model_dump()[field] == default
    assert load_settings({variable: " m1 "}, env_file=None).model_dump()[field] == "m1"


def test_a_mode_is_read_in_any_case_as_its_variable_is() -> None:
    settings = load_settings({"RAG_SEARCH_MODE": "Hybrid", "rag_generator": " EXTRACTIVE",
                              "RAG_LOCAL_PRECISION": "FP32"}, env_file=None)
    assert (settings.search_mode, settings.generator, settings.local_precision) == (
        "hybrid", "extractive", "fp32")
    with pytest.raises(ConfigError, match="RAG_SEARCH_MODE: Input should be"):
        load_settings({"RAG_SEARCH_MODE": "Hybird"}, env_file=None)
