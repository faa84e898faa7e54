"""End to end through the Workers AI stand-in: the `rag` command and the Streamlit app, as a user
runs them, configured only by environment variables (credentials, base URL, RAG_EMBEDDER,
RAG_GENERATOR, retry settings), so the real settings → registry → client → HTTP path is used.
"""

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path

import pytest
import streamlit as st
import typer
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from rag.cli.main import app
from rag.stores.edge import EdgeStore, open_edge_client
from tests.apptest import open_page, upload
from tests.pdfgen import filler, make_pdf
from tests.test_ui_app import shown
from tests.workers_ai_server import ACCOUNT, TOKEN, Fault, StandIn, answer_tokens

EMBED = "@cf/baai/bge-base-en-v1.5"
PRIMARY = "@cf/meta/llama-3.1-8b-instruct"
FALLBACK = "@cf/meta/llama-3.2-1b-instruct"
FP8 = "@cf/meta/llama-3.1-8b-instruct-fp8"
QUESTION = "How often should I descale the kettle?"
KETTLE = "Descale the kettle every month with white vinegar."
LONG_PARAGRAPHS = 160  # at RAG_CHUNK_TOKENS=24 every paragraph is its own chunk

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def use_workers_ai(monkeypatch: pytest.MonkeyPatch, standin: StandIn, *, embedder: bool = True,
                   generator: str | None = "workers-ai", token: str = TOKEN,
                   **extra: str) -> None:
    """The environment a user sets for Workers AI, aimed at the stand-in, with fast retries."""
    values = {
        "CLOUDFLARE_ACCOUNT_ID": ACCOUNT,
        "CLOUDFLARE_API_TOKEN": token,
        "CLOUDFLARE_BASE_URL": f"{standin.url}/client/v4",
        "RAG_AI_MAX_ATTEMPTS": "4",
        "RAG_AI_DEADLINE_SECONDS": "15",
        "RAG_AI_BACKOFF_BASE_SECONDS": "0.01",
        "RAG_AI_BACKOFF_MAX_SECONDS": "0.05",
        "RAG_AI_CONNECT_TIMEOUT_SECONDS": "2",
        "RAG_AI_READ_TIMEOUT_SECONDS": "10",
        "RAG_CHUNK_TOKENS": "24",
        "RAG_CHUNK_OVERLAP": "0",
        **extra,
    }
    if embedder:
        values["RAG_EMBEDDER"] = "workers-ai"
    if generator:
        values["RAG_GENERATOR"] = generator
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def small_corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "kettle.md").write_text(
        f"# Kettle manual\n\n{KETTLE} Never immerse the base in water.\n")
    (folder / "bike.pdf").write_bytes(make_pdf(
        [filler("A bicycle has two wheels and a frame."),
         "Inflate the tyres to 4 bar before every ride. Oil the chain weekly."],
        title="Bike care"))
    return folder


def station(i: int) -> str:
    return f"Station {i} logged {i * 7} visitors in week {i % 52}; warden{i} filed report{i}."


def big_corpus(folder: Path, *, small: bool = True) -> Path:
    """A text file long enough to need several embedding requests (and the small corpus)."""
    if small:
        small_corpus(folder)
    else:
        folder.mkdir()
    (folder / "stations.txt").write_text("\n\n".join(station(i) for i in range(LONG_PARAGRAPHS)))
    return folder


def embed_requests(standin: StandIn) -> list:
    return [r for r in standin.requests if r.model == EMBED]


def chat_requests(standin: StandIn) -> list:
    return [r for r in standin.requests if r.model != EMBED]


def streamed_answer(request) -> str:
    """What the stand-in streamed for this logged chat request."""
    return "".join(answer_tokens(request.body["messages"]))


def all_points(data_dir: Path) -> int:
    """Every point in the embedded store (the default edge engine), pending and retired
    included (the docs list shows live documents only)."""
    client = open_edge_client(data_dir / "qdrant")
    try:
        names = client.names()
        assert names, "the ingest created no collection: this count would prove nothing"
        return sum(EdgeStore(client, name, "", 0).size() for name in names)
    finally:
        client.close()


def assert_secret_absent(secret: str, result, caplog: pytest.LogCaptureFixture) -> None:
    assert secret not in result.stdout and secret not in result.stderr
    assert caplog.records  # the AI calls were logged, and none of them shows the token
    for record in caplog.records:
        assert secret not in record.getMessage(), record.name
        assert secret not in repr(vars(record)), record.name


# --- 1. ingest -----------------------------------------------------------------------------------


def test_ingest_sends_batches_of_at_most_100_and_skips_unchanged_files(env, standin, monkeypatch,
                                                                       tmp_path: Path) -> None:
    use_workers_ai(monkeypatch, standin)
    folder = big_corpus(tmp_path / "docs")
    first = run("ingest", str(folder), "--json")
    assert first.exit_code == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["totals"]["files"] == 3
    assert summary["totals"]["ingested"] == 3 and summary["totals"]["failed"] == 0
    stations = next(f for f in summary["files"] if f["path"].endswith("stations.txt"))
    assert stations["chunks"] >= LONG_PARAGRAPHS > 150

    requests = embed_requests(standin)
    sizes = [r.batch_size for r in requests]
    assert all(r.status == 200 for r in requests)
    assert all(r.path == f"/client/v4/accounts/{ACCOUNT}/ai/run/{EMBED}" for r in requests)
    assert all(r.body["pooling"] == "cls" for r in requests)
    assert max(sizes) <= 100 and sizes.count(100) >= 1
    assert sum(sizes) == summary["totals"]["chunks"]  # every chunk embedded exactly once
    assert len(requests) == -(-sum(sizes) // 100)  # small files share requests: none half empty
    assert not chat_requests(standin)  # ingest never calls a chat model

    listed = json.loads(run("docs", "list", "--json").stdout)["documents"]
    assert sorted(d["chunks"] for d in listed) == sorted(f["chunks"] for f in summary["files"])

    standin.reset()
    second = run("ingest", str(folder), "--json")
    assert second.exit_code == 0
    totals = json.loads(second.stdout)["totals"]
    assert totals["unchanged"] == 3 and totals["ingested"] == 0
    assert standin.requests == []  # unchanged files cost no embedding request


# --- 2. retries and permanent failures ------------------------------------------------------------


def test_ingest_rides_out_rate_limits_honouring_retry_after(env, standin, monkeypatch,
                                                            tmp_path: Path) -> None:
    use_workers_ai(monkeypatch, standin, RAG_AI_EMBED_CONCURRENCY="1")
    standin.fail(429, retry_after="1", times=1, route="run", model=EMBED)
    standin.fail(429, times=2, route="run", model=EMBED)  # no Retry-After: our own backoff
    result = run("ingest", str(big_corpus(tmp_path / "docs")), "--json")
    assert result.exit_code == 0, result.stderr
    totals = json.loads(result.stdout)["totals"]
    assert totals["ingested"] == 3 and totals["failed"] == 0

    requests = embed_requests(standin)
    assert [r.status for r in requests[:4]] == [429, 429, 429, 200]
    assert all(r.status == 200 for r in requests[4:])
    assert requests[0].body == requests[1].body == requests[2].body == requests[3].body
    waits = [b.received_at - a.received_at for a, b in itertools.pairwise(requests[:4])]
    assert waits[0] >= 0.9  # Retry-After: 1 replaced the 0.05 s backoff
    assert waits[1] < 0.5 and waits[2] < 0.5
    assert sum(r.batch_size for r in requests if r.status == 200) == totals["chunks"]


def test_ingest_rides_out_capacity_errors_with_requests_in_flight(env, standin, monkeypatch,
                                                                  tmp_path: Path) -> None:
    use_workers_ai(monkeypatch, standin, RAG_AI_EMBED_CONCURRENCY="4")
    standin.fail(429, 3040, times=3, model=EMBED)
    result = run("ingest", str(big_corpus(tmp_path / "docs", small=False)), "--json")
    assert result.exit_code == 0, result.stderr
    totals = json.loads(result.stdout)["totals"]
    assert totals["ingested"] == 1
    requests = embed_requests(standin)
    assert [r.status for r in requests].count(429) == 3
    assert sum(r.batch_size for r in requests if r.status == 200) == totals["chunks"]
    for i in (17, 142):  # retried batches came back in order: each vector sits with its text
        hits = json.loads(run("search", station(i), "--mode", "dense", "--top-k", "1",
                              "--json").stdout)["hits"]
        assert hits[0]["text"] == station(i)


def test_a_rejected_token_fails_the_ingest_cleanly_and_never_leaks(env, standin, monkeypatch,
                                                                   tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    bad_token = "cf-revoked-token-Zq81Lm"
    use_workers_ai(monkeypatch, standin, token=bad_token)
    result = run("ingest", str(small_corpus(tmp_path / "docs")), "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["totals"]["failed"] == 2 and summary["totals"]["ingested"] == 0
    for file in summary["files"]:
        assert file["status"] == "failed"
        assert "rejected the credentials (HTTP 401, code 10000" in file["error"]
        assert "CLOUDFLARE_API_TOKEN" in file["error"]
    requests = embed_requests(standin)
    # both small files share one request, refused once: 401 is not retried
    assert len(requests) == 1 and requests[0].status == 401

    assert json.loads(run("docs", "list", "--json").stdout)["documents"] == []
    assert all_points(Path(env["RAG_DATA_DIR"])) == 0
    assert_secret_absent(bad_token, result, caplog)


def test_a_failure_after_written_batches_leaves_no_points_and_no_token(
        env, standin, monkeypatch, tmp_path: Path, caplog) -> None:
    """The first batch is embedded and written (pending); the second is refused by the server,
    whose error message echoes the token back. The file fails whole and nothing stays behind."""
    caplog.set_level(logging.DEBUG)
    use_workers_ai(monkeypatch, standin, RAG_UPSERT_BATCH_SIZE="100")
    original, seen, refusing = standin._fault_for, itertools.count(), [True]

    def refuse_after_first(entry, route: str, model: str | None) -> Fault | None:
        if model == EMBED and refusing[0] and next(seen) >= 1:
            return Fault(401, 10000, f"Authentication error: token {TOKEN} was revoked", None,
                         None, None, None, None)
        return original(entry, route, model)

    monkeypatch.setattr(standin, "_fault_for", refuse_after_first)
    result = run("ingest", str(big_corpus(tmp_path / "docs", small=False)), "--json")
    assert result.exit_code == 1
    (file,) = json.loads(result.stdout)["files"]
    assert file["status"] == "failed" and file["path"].endswith("stations.txt")
    assert "rejected the credentials (HTTP 401, code 10000" in file["error"]
    assert "***" in file["error"]  # the echoed token, redacted
    assert [r.status for r in embed_requests(standin)] == [200, 401]

    assert all_points(Path(env["RAG_DATA_DIR"])) == 0  # the pending batch was discarded
    assert json.loads(run("docs", "list", "--json").stdout)["documents"] == []
    refusing[0] = False
    search = run("search", station(17), "--json")
    assert search.exit_code == 0 and json.loads(search.stdout)["hits"] == []
    assert_secret_absent(TOKEN, result, caplog)


def test_a_vector_holding_a_null_fails_its_file_with_nothing_stored(env, standin, monkeypatch,
                                                                   tmp_path: Path) -> None:
    """Read as NaN, the component would store a chunk no search finds, listed all the same."""
    use_workers_ai(monkeypatch, standin)
    standin.first_component = "null"
    result = run("ingest", str(small_corpus(tmp_path / "docs")), "--json")
    assert result.exit_code == 1
    files = json.loads(result.stdout)["files"]
    assert [file["status"] for file in files] == ["failed", "failed"]
    assert all(f"sent malformed embeddings for {EMBED}" in file["error"] for file in files)
    assert all_points(Path(env["RAG_DATA_DIR"])) == 0
    assert json.loads(run("docs", "list", "--json").stdout)["documents"] == []


def test_ingest_keeps_requests_in_flight_across_files_and_a_refusal_fails_only_its_files(
        env, standin, monkeypatch, tmp_path: Path) -> None:
    """Eight files of 50 chunks: two files per 100-text request, four requests in flight
    together (one file at a time would never have more than one). The server refuses one
    request: the two files in it fail whole, the other six are stored."""
    use_workers_ai(monkeypatch, standin, RAG_AI_EMBED_CONCURRENCY="4")
    standin.gather = 4
    folder = tmp_path / "notes"
    folder.mkdir()
    for n in range(8):
        (folder / f"note{n}.txt").write_text(
            "\n\n".join(station(n * 1000 + i) for i in range(50)))
    standin.fail(400, message="Bad input for this one", times=1, model=EMBED)
    result = run("ingest", str(folder), "--json")
    summary = json.loads(result.stdout)
    assert summary["totals"]["ingested"] == 6 and summary["totals"]["failed"] == 2, summary
    assert [f["path"] for f in summary["files"]] == sorted(str(p) for p in folder.iterdir())
    failed = [f for f in summary["files"] if f["status"] == "failed"]
    assert all("Bad input for this one" in f["error"] for f in failed)
    assert [r.batch_size for r in embed_requests(standin)] == [100] * 4
    assert standin.max_in_flight == 4
    assert all_points(Path(env["RAG_DATA_DIR"])) == summary["totals"]["chunks"] == 300
    listed = json.loads(run("docs", "list", "--json").stdout)["documents"]
    assert sorted(d["source"] for d in listed) == sorted(
        f["path"] for f in summary["files"] if f["status"] == "ingested")


# --- 3. ask ------------------------------------------------------------------------------------


@pytest.fixture
def ingested(env, standin: StandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> StandIn:
    """The small corpus ingested through Workers AI; the stand-in's log is cleared afterwards."""
    use_workers_ai(monkeypatch, standin)
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    standin.reset()
    return standin


def test_ask_streams_the_answer_from_workers_ai(ingested: StandIn) -> None:
    result = run("ask", QUESTION, "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    (chat,) = chat_requests(ingested)
    assert chat.path == f"/client/v4/accounts/{ACCOUNT}/ai/run/{PRIMARY}"
    assert chat.body["stream"] is True
    assert out["answer"] == streamed_answer(chat)
    assert KETTLE in out["answer"]
    assert (out["generator"], out["model"], out["notice"]) == ("workers-ai", PRIMARY, None)
    assert out["usage"]["completion_tokens"] == len(answer_tokens(chat.body["messages"]))
    assert out["usage"]["neurons"] > 0
    cited = int(out["answer"].rsplit("[", 1)[1].rstrip("]"))
    assert out["citations"][cited - 1]["source"].endswith("kettle.md")
    (query,) = embed_requests(ingested)  # the question, embedded by the same model
    assert query.body["text"][0].endswith(QUESTION)


def test_ask_falls_back_when_the_primary_model_is_out_of_capacity(
        ingested: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_AI_MAX_ATTEMPTS", "2")
    ingested.fail(429, 3040, times=None, model=PRIMARY)
    result = run("ask", QUESTION, "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    chats = chat_requests(ingested)
    assert [(r.model, r.status) for r in chats] == [(PRIMARY, 429), (PRIMARY, 429),
                                                    (FALLBACK, 200)]
    assert out["model"] == FALLBACK and out["generator"] == "workers-ai"
    assert out["answer"] == streamed_answer(chats[-1]) and KETTLE in out["answer"]


def test_a_models_answer_quotes_a_documents_brackets_as_no_markers(
        env, standin: StandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_workers_ai(monkeypatch, standin)
    folder = tmp_path / "herd"
    folder.mkdir()
    (folder / "zebu.txt").write_text("The zebu herd count was revised to 312 animals in "
                                     "report [42]. Lst[[4]] names the fourth component.")
    assert run("ingest", str(folder)).exit_code == 0
    result = run("ask", "What was the zebu herd count revised to?", "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    # the stand-in quotes the sentence: its bracket is the document's, never one of the
    # answer's markers, so a client reading "[n]" as a citation is not misled
    assert "312 animals in report \uff3b42\uff3d." in out["answer"]
    assert "[42]" not in out["answer"]
    assert out["cited"] == [1]


def test_a_stream_cut_mid_answer_ends_with_a_visible_notice(ingested: StandIn) -> None:
    ingested.cut_stream(after_tokens=3)
    result = run("ask", QUESTION, "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    (chat,) = chat_requests(ingested)  # no fallback once text has been shown
    tokens = answer_tokens(chat.body["messages"])
    shown, notice = out["answer"].split("\n\n[", 1)
    assert shown == "".join(tokens[:3])
    assert notice.startswith("answer interrupted: the connection closed mid-answer")
    assert notice.endswith("]") and out["notice"] == notice[:-1]
    assert out["model"] == PRIMARY

    again = json.loads(run("ask", QUESTION, "--json").stdout)  # a cut answer is never reused
    assert again["cached"] is False and again["notice"] is None
    assert again["answer"] == "".join(tokens) and len(chat_requests(ingested)) == 2


def test_the_human_output_streams_tokens_then_lists_sources(
        ingested: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    release = ingested.hold_after_first_token()  # the stand-in waits after its first token
    echo, printed = typer.echo, []

    def watch(message=None, *args, **kwargs):
        printed.append((str(message), ingested.hold_state))
        if ingested.hold_state == "holding":
            release.set()  # the first token is on screen: let the server send the rest
        return echo(message, *args, **kwargs)

    monkeypatch.setattr(typer, "echo", watch)
    result = run("ask", QUESTION)
    assert result.exit_code == 0, result.stderr
    (chat,) = chat_requests(ingested)
    tokens = answer_tokens(chat.body["messages"])
    assert (tokens[0], "holding") in printed  # on screen before the server sent token two
    assert ingested.hold_state == "released"
    assert "".join(tokens) in result.stdout
    sources = result.stdout.split("\nSources:\n", 1)[1]
    assert "kettle.md" in sources and "[1]" in sources
    assert "Extractive answer" not in result.stderr


# --- choosing the generator ----------------------------------------------------------------------


@pytest.mark.parametrize("credentials", [True, False], ids=["credentials", "no-credentials"])
def test_the_generator_follows_the_credentials_when_unset(
        env, standin, monkeypatch, tmp_path: Path, credentials: bool) -> None:
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0  # local embedder
    if credentials:
        use_workers_ai(monkeypatch, standin, embedder=False, generator=None)
    else:
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", f"{standin.url}/client/v4")
    result = run("ask", QUESTION, "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert KETTLE in out["answer"]
    if credentials:
        (chat,) = standin.requests  # the question was embedded locally
        assert (out["generator"], out["model"]) == ("workers-ai", PRIMARY)
        assert out["answer"] == streamed_answer(chat)
    else:
        assert out["generator"] == "extractive" and standin.requests == []


# --- 4. a collection filled by another embedder ------------------------------------------------


@pytest.mark.parametrize("command", [["ask", QUESTION], ["search", "kettle"], ["docs", "list"],
                                     ["ingest", "docs"]], ids=lambda c: c[0])
@pytest.mark.slow
def test_a_local_collection_refuses_workers_ai_embeddings(env, standin, monkeypatch,
                                                          tmp_path: Path, command) -> None:
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0  # local embedder
    use_workers_ai(monkeypatch, standin)
    result = run(*command)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    message = " ".join(result.stderr.split())
    assert message.startswith("error: Collection 'docs' was filled by embedder ")
    assert "local:all-MiniLM-L6-v2-int8 (384 dims)" in message
    assert f"the configured embedder is workers-ai:{EMBED} (768 dims)" in message
    assert "RAG_EMBEDDER" in message and "RAG_COLLECTION" in message
    assert standin.requests == []  # refused before anything was sent


def test_the_mismatch_error_is_one_line(env, standin, monkeypatch, tmp_path: Path) -> None:
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0  # local embedder
    use_workers_ai(monkeypatch, standin)
    result = run("search", "kettle")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr  # one line, however long



def test_a_first_ingest_that_stored_nothing_does_not_hold_the_collection(
        env, standin, monkeypatch, tmp_path: Path) -> None:
    """A misspelt embedding model fails the first ingest; once it is set right, the empty
    collection is made again for the embedder configured, not refused as another's."""
    use_workers_ai(monkeypatch, standin)
    docs = small_corpus(tmp_path / "docs")
    monkeypatch.setenv("RAG_WORKERS_AI_EMBEDDING_MODEL", "@cf/baai/bge-nope")
    assert run("ingest", str(docs)).exit_code != 0
    monkeypatch.delenv("RAG_WORKERS_AI_EMBEDDING_MODEL")
    fixed = run("ingest", str(docs), "--json")
    assert fixed.exit_code == 0, fixed.stderr
    hits = json.loads(run("search", "kettle", "--json").stdout)["hits"]
    assert hits and hits[0]["source"].endswith("kettle.md")

def test_a_wrong_dimension_set_for_an_empty_collection_is_undone_by_unsetting_it(
        env, standin, monkeypatch, tmp_path: Path) -> None:
    """RAG_OPENAI_EMBEDDING_DIMENSION set wrong fails the first ingest; unset, the model's
    own length makes the empty collection again, as fixing a misspelt model does."""
    monkeypatch.setenv("RAG_EMBEDDER", "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{standin.url}/v1")
    docs = small_corpus(tmp_path / "docs")
    monkeypatch.setenv("RAG_OPENAI_EMBEDDING_DIMENSION", "384")
    wrong = run("ingest", str(docs))
    assert wrong.exit_code != 0 and "expected 384" in wrong.stdout + wrong.stderr
    monkeypatch.delenv("RAG_OPENAI_EMBEDDING_DIMENSION")
    fixed = run("ingest", str(docs), "--json")
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    hits = json.loads(run("search", "kettle", "--json").stdout)["hits"]
    assert hits and hits[0]["source"].endswith("kettle.md")


# --- 5. the Streamlit app ------------------------------------------------------------------------


@pytest.fixture
def ui(env, standin: StandIn, monkeypatch: pytest.MonkeyPatch):
    use_workers_ai(monkeypatch, standin)
    yield open_page(timeout=60)
    st.cache_resource.clear()


def test_the_app_uploads_and_answers_through_workers_ai(ui: AppTest, standin: StandIn) -> None:
    kettle = f"# Kettle manual\n\n{KETTLE} Never immerse the base in water.\n".encode()
    upload(ui, [("kettle.md", kettle, "text/markdown")])
    assert any("kettle.md: ingested" in s.value for s in ui.sidebar.success)
    assert [r.status for r in embed_requests(standin)] == [200]

    standin.reset()
    ui.chat_input[0].set_value(QUESTION).run()
    assert not ui.exception
    (chat,) = chat_requests(standin)
    assistant = ui.chat_message[1]
    assert assistant.name == "assistant"
    body = " ".join(shown(m.value) for m in assistant.markdown)
    assert streamed_answer(chat) in body and KETTLE in body
    last = ui.session_state["messages"][-1]
    assert last["model"] == PRIMARY and last["content"] == streamed_answer(chat)
    (sources,) = assistant.expander
    assert sources.label == f"Sources ({len(last['citations'])})"
    listed = " ".join(shown(m.value) for m in sources.markdown)
    assert "[1] Kettle manual" in listed and "kettle.md" in listed


def test_the_apps_advice_on_a_prompt_too_large_names_its_top_k_slider(
        ui: AppTest, standin: StandIn) -> None:
    """The page always sends its slider's number of passages, so the slider is what to lower,
    not the setting the slider only starts from."""
    kettle = f"# Kettle manual\n\n{KETTLE}\n".encode()
    upload(ui, [("kettle.md", kettle, "text/markdown")])
    for model in (PRIMARY, *ui.session_state["_ctx"].options.fallbacks):
        standin.fail(413, 5021, times=None, route="run", model=model)
    ui.chat_input[0].set_value(QUESTION).run()
    assert not ui.exception
    said = " ".join(shown(e.value) for kind in ("warning", "error", "caption", "markdown")
                    for e in getattr(ui.chat_message[1], kind))
    assert "Lower the sidebar's top-k or RAG_AI_MAX_TOKENS" in said, said
