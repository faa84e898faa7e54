"""Foreign errors are translated at the boundary: a user sees one line that says what to do,
never a traceback. Also the guards the suite itself runs under."""

from __future__ import annotations

import socket
from contextlib import closing
from pathlib import Path
from typing import get_origin

import pytest
from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pytest_socket import SocketBlockedError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from typer.testing import CliRunner

from rag.cli.main import app
from rag.errors import CollectionMissing, ConfigError, StoreError
from rag.registry import EMBEDDERS, GENERATORS, RERANKERS, STORES
from rag.service import build_service
from rag.settings import (
    EmbedderMode,
    GeneratorMode,
    RerankMode,
    Settings,
    StoreEngine,
    load_settings,
)
from rag.stores.qdrant import open_client
from rag.types import SEARCH_MODES, SearchMode
from tests.workers_ai_server import ServerThread, answering


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def refusing_qdrant():
    """A Qdrant server that wants an API key the client does not have."""

    async def refuse(request: Request) -> JSONResponse:
        return JSONResponse({"status": {"error": "Must provide an API key"}}, status_code=401)

    with answering(refuse, ("GET", "POST", "PUT", "DELETE")) as url:
        yield url


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



def test_a_qdrant_url_with_a_password_is_shown_without_it(env: dict[str, str]) -> None:
    port = free_port()
    env = {**env, "RAG_QDRANT_API_KEY": "qk"}  # over http: said in the log, not on the console
    line = one_line_failure(f"http://admin:hunter2@127.0.0.1:{port}", env)
    assert line.startswith(f"error: Cannot reach the Qdrant server at http://***@127.0.0.1:{port} ")
    assert "hunter2" not in line

def test_a_qdrant_server_refusing_the_key_is_one_line(env: dict[str, str],
                                                      refusing_qdrant: str) -> None:
    line = one_line_failure(refusing_qdrant, env)
    assert "refused the request (HTTP 401)" in line and "RAG_QDRANT_API_KEY" in line


@pytest.mark.slow
def test_the_service_raises_a_store_error(tmp_path: Path, refusing_qdrant: str) -> None:
    settings = load_settings({"RAG_QDRANT_URL": refusing_qdrant,
                              "RAG_DATA_DIR": str(tmp_path)}, env_file=None)
    with pytest.raises(StoreError, match="RAG_QDRANT_API_KEY"):
        build_service(settings)


@pytest.mark.parametrize("exists", [False, True])
def test_a_qdrant_server_404_is_a_missing_collection_only_when_it_is_gone(exists: bool) -> None:
    """A collection deleted on the server while a request used it is CollectionMissing (the
    API's 404); a 404 about a collection that is there is the server's error."""

    async def exists_route(request: Request) -> JSONResponse:
        return JSONResponse({"result": {"exists": exists}, "status": "ok", "time": 0})

    async def not_found(request: Request) -> JSONResponse:
        return JSONResponse({"status": {"error": "Not found: Collection `manuals` doesn't "
                                                 "exist!"}}, status_code=404)

    server = ServerThread(Starlette(routes=[
        Route("/collections/{name}/exists", exists_route),
        Route("/{path:path}", not_found, methods=["GET", "POST", "PUT"])]))
    client = open_client(server.start(), None, None)
    try:
        expected = StoreError if exists else CollectionMissing
        with pytest.raises(expected) as raised:
            client.count("manuals", exact=True)
        assert ("answered HTTP 404" in str(raised.value)) is exists
    finally:
        client.close()
        server.stop()


def test_a_web_server_that_is_not_qdrant_is_named_as_such_in_one_line() -> None:
    """An HTML page answering where Qdrant should (a wrong port, a proxy's error page) is
    not quoted: the setting to check is named."""
    from starlette.responses import HTMLResponse

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse("<!DOCTYPE HTML>\n<html>\n<head><title>Error</title></head>\n"
                            "<body>Not here</body></html>", status_code=404)

    with (answering(page, ("GET", "POST", "PUT")) as url,
          closing(open_client(url, None, None)) as client,
          pytest.raises(StoreError) as raised):
        client.get_collections()
    message = str(raised.value)
    assert "\n" not in message and "<html>" not in message
    assert "answered HTTP 404 with a page that is not Qdrant's" in message
    assert "RAG_QDRANT_URL" in message


@pytest.mark.parametrize("body, media_type", [
    ("<!doctype html><html><body>app</body></html>", "text/html"),  # a single-page app
    ('{"collections": [{"name": "docs", "chunks": 3}]}', "application/json"),  # another API
], ids=["html", "other-json"])
def test_a_web_server_answering_200_where_qdrant_should_is_named_as_such(
        env: dict[str, str], body: str, media_type: str) -> None:
    """A server that answers every path with 200 (a single-page app, the engine's own port):
    its page is no answer qdrant-client can read."""
    from starlette.responses import Response

    async def page(request: Request) -> Response:
        return Response(body, media_type=media_type)

    with answering(page, ("GET", "POST", "PUT", "DELETE")) as url:
        line = one_line_failure(url, env)
    assert line == (f"error: The Qdrant server at {url} answered a success status with a page "
                    "that is not Qdrant's: fix RAG_QDRANT_URL to name a Qdrant server (its REST "
                    "port, 6333 by default).")


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


# --- settings given in the wrong shape ----------------------------------------------------------

def variable(name: str, field: FieldInfo) -> str:
    """The variable a field is set by, as a user writes it."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices) and str(alias.choices[0]).isupper():
        return str(alias.choices[0])  # a provider's own name, e.g. CLOUDFLARE_API_TOKEN
    return f"RAG_{name.upper()}"


LIST_SETTINGS = [variable(name, field) for name, field in Settings.model_fields.items()
                 if get_origin(field.annotation) is list]


def test_there_are_list_settings_to_check() -> None:
    assert {"RAG_WORKERS_AI_FALLBACK_MODELS", "RAG_CONSENSUS_MODELS",
            "RAG_BUDGET_EXEMPT_USERS"} <= set(LIST_SETTINGS)


@pytest.mark.parametrize("name", LIST_SETTINGS)
@pytest.mark.parametrize(("given", "read"), [
    ("@cf/a,@cf/b", ["@cf/a", "@cf/b"]), (" a , b ,", ["a", "b"]), ("a", ["a"]),
    ('["@cf/a", "@cf/b"]', ["@cf/a", "@cf/b"]), ("[]", []), ("", []),
    ('["", " @cf/a ", "@cf/b"]', ["@cf/a", "@cf/b"]),  # as the comma form: trimmed, no blank
])
def test_a_list_setting_is_json_or_comma_separated(name: str, given: str,
                                                   read: list[str]) -> None:
    if name == "RAG_CONSENSUS_MODELS" and len(read) == 1:
        return  # one model is refused (below)
    settings = load_settings({name: given}, env_file=None)
    assert getattr(settings, name.removeprefix("RAG_").lower()) == read


@pytest.mark.parametrize("name", [variable(name, field)
                                  for name, field in Settings.model_fields.items()
                                  if field.annotation in (float, float | None)])
@pytest.mark.parametrize("given", ["inf", "-inf", "nan", "1e999"])
def test_a_number_setting_is_finite(name: str, given: str) -> None:
    with pytest.raises(ConfigError, match=f"Invalid setting: {name}: Input should be a finite"):
        load_settings({name: given}, env_file=None)


@pytest.mark.parametrize("url", ["redis://localhost:6379/l", "redis://localhost/db0",
                                 "rediss://h:6380/0x1"])
def test_a_redis_database_that_is_no_number_is_refused_not_taken_for_zero(url: str) -> None:
    with pytest.raises(ConfigError, match="RAG_REDIS_URL: .*the database after the host must "
                                          "be a number"):
        load_settings({"RAG_REDIS_URL": url}, env_file=None)
    assert load_settings({"RAG_REDIS_URL": "redis://localhost:6379/2"},
                         env_file=None).redis_url.endswith("/2")


def test_a_redis_database_that_is_no_number_shows_what_was_given_once() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"RAG_REDIS_URL": "redis://127.0.0.1:6379/abc"}, env_file=None)
    message = str(refused.value)
    assert message.startswith("Invalid setting: RAG_REDIS_URL: the database after the host "
                              "must be a number, e.g. /0 (got 'redis://127.0.0.1:6379/abc')")
    assert message.count("got") == 1


@pytest.mark.parametrize("name", [variable(name, field)
                                  for name, field in Settings.model_fields.items()])
def test_any_bad_value_of_any_setting_is_one_line_naming_it(name: str) -> None:
    for given in ("a,b", '["a",', "[1, 2]", '{"a": 1}', "-1", "localhost:6379"):
        try:
            load_settings({name: given}, env_file=None)
        except ConfigError as exc:
            message = str(exc)
            assert message.startswith("Invalid setting: ") and "\n" not in message, message
            assert name in message



@pytest.mark.parametrize("name", [name for name, field in Settings.model_fields.items()
                                  if field.default is None])
def test_an_empty_value_unsets_a_setting_unset_by_default(name: str) -> None:
    # compose files pass `VAR: ${VAR:-}`; an empty RAG_MODEL_DIR must not mean the current folder
    field = Settings.model_fields[name]
    assert getattr(load_settings({variable(name, field): ""}, env_file=None), name) is None


@pytest.mark.parametrize("name", [name for name, field in Settings.model_fields.items()
                                  if isinstance(field.default, Path)])
def test_an_empty_folder_setting_is_its_default_folder(name: str) -> None:
    # an empty RAG_DATA_DIR must not put the store in whatever folder the command runs from
    field = Settings.model_fields[name]
    assert getattr(load_settings({variable(name, field): ""}, env_file=None), name) == \
        field.default


def test_settings_are_read_from_their_own_variables_only() -> None:
    for field in Settings.model_fields.values():
        for alias in getattr(field.validation_alias, "choices", []):
            assert str(alias).upper().startswith(("RAG_", "CLOUDFLARE_", "OPENAI_")), alias
    assert load_settings({"RATE_LIMIT_PER_MINUTE": "3"}, env_file=None).rate_limit_per_minute \
        == 20
    assert load_settings({}, env_file=None, rate_limit_per_minute=3).rate_limit_per_minute == 3


@pytest.mark.parametrize("variable", ["RAG_EDITORS", "RAG_BUDGET_EXEMPT_USERS"])
@pytest.mark.parametrize("names", ["alice bob", "alice,ci bot", '["alice\\tbob"]'])
def test_a_user_list_with_a_name_no_caller_can_have_is_refused(variable: str,
                                                               names: str) -> None:
    """ "alice bob" for two names would otherwise let nobody edit, or budget everyone."""
    with pytest.raises(ConfigError) as refused:
        load_settings({variable: names}, env_file=None)
    assert str(refused.value).startswith(f"Invalid setting: {variable}: ")
    assert "is not a user name: a user name is one word (e.g. alice or ci-bot); separate " \
           "names with commas" in str(refused.value)
    accepted = load_settings({variable: "alice, ci-bot,local,ana@example.org"}, env_file=None)
    assert getattr(accepted, variable.removeprefix("RAG_").lower()) == [
        "alice", "ci-bot", "local", "ana@example.org"]


def test_consensus_needs_two_models_to_compare() -> None:
    with pytest.raises(ConfigError, match="RAG_CONSENSUS_MODELS: name at least "
                                          "two models"):
        load_settings({"RAG_CONSENSUS_MODELS": "@cf/a, @cf/a"}, env_file=None)
    assert load_settings({"RAG_CONSENSUS_MODELS": "@cf/a,@cf/b"},
                         env_file=None).consensus_models == ["@cf/a", "@cf/b"]

@pytest.mark.parametrize("variable", ["CLOUDFLARE_BASE_URL", "CLOUDFLARE_AI_GATEWAY_BASE_URL",
                                      "OPENAI_BASE_URL", "RAG_QDRANT_URL"])
@pytest.mark.parametrize("url", ["127.0.0.1:8662/client/v4", "notaurl", "http://", "ftp://x",
                                 "http://host:99999/v1"])
def test_a_web_api_address_without_scheme_or_host_is_refused(variable: str, url: str) -> None:
    """Accepted, it would fail every call as if the server were down, and open the models'
    breakers for a while after it is fixed."""
    with pytest.raises(ConfigError, match=f"Invalid setting: {variable}: "):
        load_settings(environ={variable: url}, env_file=None)
    assert load_settings(environ={variable: "http://127.0.0.1:8662/v1"}, env_file=None)


def test_a_log_level_logging_does_not_know_is_a_setting_error_not_a_crash(tmp_path) -> None:
    assert load_settings({"RAG_LOG_LEVEL": "info"}, env_file=None).log_level == "INFO"
    with pytest.raises(ConfigError) as refused:
        load_settings({"RAG_LOG_LEVEL": "LOUD"}, env_file=None)
    assert str(refused.value).startswith(
        "Invalid setting: RAG_LOG_LEVEL: use one of DEBUG, INFO, WARNING, ERROR, "
        "CRITICAL (got 'LOUD')")

@pytest.mark.parametrize("languages", ["eng;rm", "eng+", "eng deu", ""])
def test_ocr_languages_not_joined_by_plus_say_how_to_write_them(languages: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"RAG_OCR_LANGUAGES": languages}, env_file=None)
    assert str(refused.value).startswith(
        "Invalid setting: RAG_OCR_LANGUAGES: give Tesseract's language names "
        "joined by '+', such as eng or eng+deu")
    assert "pattern" not in str(refused.value)
    assert load_settings({"RAG_OCR_LANGUAGES": "eng+chi_sim"}, env_file=None).ocr_languages \
        == "eng+chi_sim"


@pytest.mark.parametrize("languages", ["osd", "eng+osd"])
def test_orientation_data_is_refused_as_an_ocr_language(languages: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"RAG_OCR_LANGUAGES": languages}, env_file=None)
    assert str(refused.value).startswith(
        "Invalid setting: RAG_OCR_LANGUAGES: osd is Tesseract's page orientation "
        "data, not a language: name the languages of the text, such as eng or eng+deu")
    assert load_settings({"RAG_OCR_LANGUAGES": "eng+osdx"}, env_file=None).ocr_languages \
        == "eng+osdx"


def test_a_log_file_that_cannot_be_written_is_named_not_reported_as_a_bug(
        tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log's folder would be")
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    done = CliRunner().invoke(app, ["docs", "list"],
                              env={"RAG_LOG_FILE": str(blocker / "rag.jsonl")})
    assert done.exit_code == 2 and "Traceback" not in done.output
    # RAG_LOG_FILE set: the data folder has no say in where the log goes
    assert done.stderr == (f"error: Cannot make the log file's folder {blocker} (it is a file): "
                           "give RAG_LOG_FILE a file you can write.\n")
    a_folder = CliRunner().invoke(app, ["docs", "list"], env={"RAG_LOG_FILE": str(tmp_path)})
    assert a_folder.exit_code == 2
    assert a_folder.stderr == (f"error: Cannot write the log file {tmp_path} (Is a directory): "
                               "give RAG_LOG_FILE a file you can write.\n")
    logs = tmp_path / "data" / "logs"  # the log's default folder, in the data folder made
    logs.write_text("a file where the log's folder would be")
    by_default = CliRunner().invoke(app, ["docs", "list"])
    assert by_default.exit_code == 2
    assert by_default.stderr == (f"error: Cannot make the log file's folder {logs} (it is a "
                                 "file): give RAG_DATA_DIR a folder you can write to, or "
                                 "RAG_LOG_FILE a file you can write.\n")


def test_debug_records_reach_the_console_when_it_asks_for_them(tmp_path: Path) -> None:
    import logging

    from rag.app.logs import configure_logging

    configure_logging(tmp_path / "rag.jsonl", "DEBUG")
    assert logging.getLogger("rag.providers").isEnabledFor(logging.DEBUG)
    configure_logging(tmp_path / "rag.jsonl", "ERROR")
    assert not logging.getLogger("rag.providers").isEnabledFor(logging.DEBUG)


@pytest.mark.parametrize("url", ["localhost:6379", "http://user:s3cret@cache:6379/0",
                                 "s3cret@cache:6379", "redis://:s3cret@cache:63x9/0",
                                 "REDIS://cache:6379", "memory://"])
def test_a_redis_url_neither_redis_user_reads_is_refused_without_its_password(
        url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"RAG_REDIS_URL": url}, env_file=None)
    message = str(refused.value)
    assert message.startswith("Invalid setting: RAG_REDIS_URL: ") and "s3cret" not in message
    assert "redis://" in message or "port" in message


@pytest.mark.parametrize("url", ["redis://cache:6379/0", "rediss://user:pw@cache:6380",
                                 "unix:///run/redis.sock?db=1", "redis://"])
def test_the_redis_urls_redis_py_reads_are_kept(url: str) -> None:
    assert load_settings({"RAG_REDIS_URL": url}, env_file=None).redis_url == url
    assert load_settings({"RAG_REDIS_URL": ""}, env_file=None).redis_url is None


def test_a_list_in_the_wrong_shape_stops_a_command_in_one_line(env) -> None:
    done = CliRunner().invoke(app, ["docs", "list"],
                              env={"RAG_CONSENSUS_MODELS": '["a", "b"'})
    assert done.exit_code == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: Invalid setting: RAG_CONSENSUS_MODELS: ")
    commas = CliRunner().invoke(app, ["docs", "list"],
                                env={"RAG_WORKERS_AI_FALLBACK_MODELS": "@cf/a,@cf/b"})
    assert commas.exit_code == 0, commas.stderr
