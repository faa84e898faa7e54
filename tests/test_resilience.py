"""Answers that survive failures, against the Workers AI stand-in with faults switched on:
circuit breakers shared between `rag ask` processes, the extractive last resort, a words-only
search when the question cannot be embedded, the fallback whose window fits a long question,
interrupted answers and AI Gateway cache hits counted as such, and per-user budgets."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.app.metrics import Metrics
from rag.errors import AIError, InputTooLongError, shortened
from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.workers_ai import WorkersAIGenerator
from rag.providers.http.breaker import Breakers
from rag.providers.state import DiskState
from rag.settings import load_settings
from rag.types import GenerationRecord
from tests.test_e2e_workers_ai import (
    EMBED,
    FALLBACK,
    FP8,
    KETTLE,
    PRIMARY,
    QUESTION,
    chat_requests,
    run,
    small_corpus,
    streamed_answer,
    use_workers_ai,
)
from tests.test_engine_doors import redis_url  # noqa: F401 - the fixture
from tests.workers_ai_server import GATEWAY, StandIn


@pytest.fixture
def local_embeddings(env, standin: StandIn, monkeypatch: pytest.MonkeyPatch,
                     tmp_path: Path) -> StandIn:
    """Answers by Workers AI, the small corpus embedded by the local model (so the stand-in
    only sees chat requests); its log is cleared after the ingest."""
    use_workers_ai(monkeypatch, standin, embedder=False,
                   RAG_WORKERS_AI_FALLBACK_MODELS=json.dumps([FALLBACK]))
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    standin.reset()
    return standin


def ask_json(*args: str) -> dict:
    result = run("ask", QUESTION, "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def outcomes(env: dict[str, str]) -> list[str]:
    db = sqlite3.connect(Path(env["RAG_DATA_DIR"]) / "metrics.sqlite3")
    try:
        return [row[0] for row in db.execute("SELECT outcome FROM requests ORDER BY ts")]
    finally:
        db.close()


def metrics_of(env: dict[str, str]) -> Metrics:
    return Metrics(Path(env["RAG_DATA_DIR"]) / "metrics.sqlite3")


# --- circuit breakers ------------------------------------------------------------------------


def rag_ask_process(*args: str) -> dict:
    """`rag ask --json` in a process of its own (the environment is the test's)."""
    done = subprocess.run([sys.executable, "-m", "rag", "ask", QUESTION, "--json", *args],
                          capture_output=True, text=True, timeout=300, env=dict(os.environ),
                          check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_a_model_down_is_skipped_by_the_next_processes(local_embeddings: StandIn,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_CACHE", "false")  # every process asks the models again
    local_embeddings.fail(429, 3040, model=PRIMARY, times=None)
    answers = [rag_ask_process() for _ in range(3)]
    sent = [(r.model, r.status) for r in chat_requests(local_embeddings)]
    # the first process spends its 4 attempts on the primary; the others skip it at once
    assert sent == [(PRIMARY, 429)] * 4 + [(FALLBACK, 200)] * 3
    assert all(a["model"] == FALLBACK and KETTLE in a["answer"] for a in answers)
    settings = load_settings()
    (opened,) = Breakers(DiskState(settings.data_dir / "state"), 60).open_breakers()
    assert opened.model == PRIMARY and "out of capacity" in opened.reason


def test_after_the_pause_one_probe_decides(ai_settings, standin: StandIn, passages) -> None:
    now = [1000.0]
    settings = ai_settings.model_copy(update={"workers_ai_fallback_models": [FALLBACK]})
    generator = WorkersAIGenerator.from_settings(settings)
    breakers = Breakers(DiskState(ai_settings.data_dir / "probe-state"), 60, clock=lambda: now[0])
    generator.http.breakers = breakers

    def ask() -> str:
        record = GenerationRecord()
        "".join(generator.stream(GenerationRequest("Where do llamas live?", passages), record))
        return record.model

    standin.fail(503, times=None, model=PRIMARY)
    assert [ask(), ask()] == [FALLBACK, FALLBACK]
    assert [r.model for r in standin.requests] == [PRIMARY] * 4 + [FALLBACK] * 2
    standin.requests.clear()
    now[0] += 61  # the pause is over: one probe, of one attempt, finds it still down
    assert ask() == FALLBACK
    assert [r.model for r in standin.requests] == [PRIMARY, FALLBACK]
    standin.requests.clear()
    now[0] += 30  # re-opened by the failed probe: skipped again
    assert ask() == FALLBACK and [r.model for r in standin.requests] == [FALLBACK]
    standin.reset()  # the primary is back
    now[0] += 61
    assert [ask(), ask()] == [PRIMARY, PRIMARY]
    assert [r.model for r in standin.requests] == [PRIMARY, PRIMARY]
    assert breakers.open_breakers() == []



def test_a_skip_names_the_failure_behind_it(ai_settings, standin: StandIn, passages) -> None:
    """The skip says what failed, not only that something did: the failure may be a setting
    to fix rather than a model that is down."""
    settings = ai_settings.model_copy(update={"workers_ai_fallback_models": []})
    generator = WorkersAIGenerator.from_settings(settings)
    generator.http.breakers = Breakers(DiskState(ai_settings.data_dir / "skip-state"), 60)

    def ask() -> AIError:
        with pytest.raises(AIError) as raised:
            "".join(generator.stream(GenerationRequest("Where do llamas live?", passages),
                                     GenerationRecord()))
        return raised.value

    standin.fail(503, times=None, model=PRIMARY, message="Overloaded. " * 30)
    assert "503" in str(ask())
    error = ask()
    skipped = str(error)
    assert f"skipped {PRIMARY}: it failed through its retries a moment ago (" in skipped
    assert "503" in skipped and "RAG_AI_BREAKER_SECONDS" in skipped
    # shown short, the failure it names is cut, not the advice after it
    short = shortened(error, 240)
    assert len(short) <= 240 and short.startswith(f"Workers AI skipped {PRIMARY}: ")
    assert short.endswith("...) and is tried again after RAG_AI_BREAKER_SECONDS")


def test_fallback_models_share_the_question_deadline(ai_settings, standin: StandIn,
                                                    passages) -> None:
    """A Workers AI that never answers: the primary spends the question's deadline, so the
    fallbacks are not asked (each given a deadline of its own, a hang took one per model)."""
    settings = ai_settings.model_copy(update={
        "workers_ai_fallback_models": [FALLBACK, FP8], "ai_max_attempts": 1,
        "ai_deadline_seconds": 1.5, "ai_read_timeout_seconds": 1.0,
        "ai_breaker_seconds": 0})
    generator = WorkersAIGenerator.from_settings(settings)
    standin.latency = 30  # connections are accepted, nothing is answered
    with pytest.raises(AIError) as raised:
        "".join(generator.stream(GenerationRequest("Where do llamas live?", passages),
                                 GenerationRecord()))
    assert [r.model for r in standin.requests] == [PRIMARY]
    said = str(raised.value)
    for model in (FALLBACK, FP8):
        assert (f"{model}: not asked: the models before it spent the question's 1.5 s "
                "(RAG_AI_DEADLINE_SECONDS).") in said


@pytest.mark.parametrize("said, limit, shown", [
    ("The server said the model is busy in your region.", 40,
     "The server said the model is busy in..."),
    ("Overloaded, try again later...", 400, "Overloaded, try again later..."),
    ("x" * 50, 20, "x" * 17 + "..."),
])
def test_an_error_shown_short_is_cut_at_a_word_and_says_so(said: str, limit: int,
                                                          shown: str) -> None:
    assert shortened(AIError(said), limit) == shown


def test_a_breaker_belongs_to_the_server_it_was_opened_for(ai_settings, standin: StandIn,
                                                           passages) -> None:
    """A base URL with nothing behind it opens its model's breaker; fixed, the setting names
    another server, whose model of the same name is not skipped (nor is another provider's)."""
    state = DiskState(ai_settings.data_dir / "server-state")
    wrong = ai_settings.model_copy(update={"workers_ai_fallback_models": [],
                                           "cloudflare_base_url": "http://127.0.0.1:9/client/v4"})

    def ask(settings) -> str:
        generator = WorkersAIGenerator.from_settings(settings)
        generator.http.breakers = Breakers(state, 60)
        record = GenerationRecord()
        try:
            "".join(generator.stream(GenerationRequest("Where do llamas live?", passages),
                                     record))
        except AIError as exc:
            return str(exc)
        return record.model or ""

    assert "Could not connect" in ask(wrong)
    assert "skipped" in ask(wrong)  # that server's breaker is open
    fixed = ai_settings.model_copy(update={"workers_ai_fallback_models": []})
    assert ask(fixed) == PRIMARY
    (opened,) = Breakers(state, 60).open_breakers()
    assert opened.model == PRIMARY and "Could not connect" in opened.reason


def test_a_success_writes_the_shared_state_only_to_close_a_breaker(tmp_path: Path) -> None:
    """Every answer reports a success: on a closed breaker that is one read of the shared
    store (a round trip to Redis), never a write; closing a breaker frees its probe claim."""
    class Counted(DiskState):
        writes = 0

        def delete(self, key: str) -> None:
            Counted.writes += 1
            super().delete(key)

    now = [1000.0]
    breakers = Breakers(Counted(tmp_path / "state"), 60, clock=lambda: now[0])
    breakers.succeeded(PRIMARY)
    assert Counted.writes == 0
    breakers.failed(PRIMARY, "down")
    now[0] += 61
    assert breakers.admit(PRIMARY) == "probe"
    breakers.succeeded(PRIMARY)
    assert breakers.admit(PRIMARY) == "closed"
    breakers.failed(PRIMARY, "down again")
    now[0] += 61
    assert breakers.admit(PRIMARY) == "probe"  # the earlier probe's claim was freed

# --- degrade, never fail -----------------------------------------------------------------------


@pytest.mark.slow
def test_with_every_model_down_the_passages_answer(local_embeddings: StandIn,
                                                   env: dict[str, str], monkeypatch) -> None:
    local_embeddings.fail(429, 3040, times=None)  # every chat model
    out = ask_json()
    assert out["generator"] == "extractive" and out["degraded"] == ["models_unavailable"]
    assert "Descale the kettle every month" in out["answer"] and "[1]" in out["answer"]
    assert out["notice"].startswith("The language models are unavailable; these are quoted "
                                    "passages (")
    assert out["citations"][0]["source"].endswith("kettle.md")
    assert {r.model for r in chat_requests(local_embeddings)} == {PRIMARY, FALLBACK}
    assert outcomes(env) == ["degraded"]
    assert metrics_of(env).summary().degraded == 1
    human = run("ask", "How often should I oil the chain?")  # the breakers skip both now
    assert human.exit_code == 0 and "weekly" in human.stdout
    assert "language models are unavailable" in human.stderr
    # the quoted answer was not kept: once the models answer again, they answer it
    local_embeddings.reset()
    monkeypatch.setenv("RAG_AI_BREAKER_SECONDS", "0")
    again = ask_json()
    assert not again["cached"] and again["generator"] == "workers-ai", again


def test_an_answer_degraded_by_a_setting_says_which_to_check(local_embeddings: StandIn,
                                                             env: dict[str, str]) -> None:
    """A wrong token fails every model: the passages answer, and the notice keeps the
    advice the failure gave, so the mistake is not hidden behind "unavailable"."""
    local_embeddings.fail(401, 10000, times=None)
    out = ask_json()
    assert out["degraded"] == ["models_unavailable"]
    assert "Check CLOUDFLARE_API_TOKEN" in out["notice"]


def test_the_notice_names_every_model_that_failed_with_its_reason(
        local_embeddings: StandIn, monkeypatch) -> None:
    """Each model's reason is cut on its own: a long one does not push the last model out."""
    monkeypatch.setenv("RAG_WORKERS_AI_FALLBACK_MODELS", json.dumps([FALLBACK, FP8]))
    local_embeddings.fail(429, 3040, times=None, message="Capacity temporarily exceeded. "
                          + "The model is busy serving other requests. " * 8)
    notice = ask_json()["notice"]
    lead = ("The language models are unavailable; these are quoted passages (No model could "
            "answer. ")
    assert notice.startswith(lead) and notice.endswith(").")
    named = [part.split(": ", 1) for part in notice[len(lead):-2].split("; ")]
    assert [model for model, _ in named] == [PRIMARY, FALLBACK, FP8]
    for model, reason in named:
        assert reason.startswith(f"Workers AI is out of capacity for {model} (HTTP 429, code "
                                 "3040: Capacity temporarily exceeded")
        assert "...). Gave up after 4 attempts in " in reason and len(reason) <= 240


def test_the_notice_keeps_the_advice_whole_and_cuts_what_the_provider_said(
        local_embeddings: StandIn) -> None:
    local_embeddings.fail(429, 4006, times=None, message="AiError: you have used up your "
                          "daily free allocation of 10,000 neurons. " + "More words. " * 40)
    notice = ask_json()["notice"]
    assert notice.endswith("It resets at 00:00 UTC; upgrade to the Workers Paid plan, or use "
                           "the local models: RAG_GENERATOR=extractive for answers, "
                           "RAG_EMBEDDER=local (in another RAG_COLLECTION) for embeddings).")
    assert "(HTTP 429, code 4006: you have used up your daily" in notice and "...)" in notice
    assert len(notice) < 500


def test_with_everything_remote_down_the_words_still_answer(env, standin: StandIn,
                                                            monkeypatch, tmp_path) -> None:
    use_workers_ai(monkeypatch, standin)  # remote embeddings too
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    standin.reset()
    standin.fail(503, times=None)  # the embedder and every chat model
    out = ask_json()
    assert out["degraded"] == ["sparse_search", "models_unavailable"]
    assert KETTLE in out["answer"] and out["generator"] == "extractive"
    assert "matched words only" in out["notice"]


@pytest.mark.slow
def test_an_embedder_that_failed_the_search_is_not_asked_again_for_the_quotes(
        env, standin: StandIn, monkeypatch, tmp_path: Path) -> None:
    """The quoted passages rank by words when the question's embedding has just failed: a
    hung embedder is not waited on a second time for the same question, breaker or not."""
    use_workers_ai(monkeypatch, standin, RAG_AI_BREAKER_SECONDS="0")
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    standin.reset()
    standin.fail(503, times=None)  # the embedder and every chat model
    out = ask_json()
    assert out["degraded"] == ["sparse_search", "models_unavailable"]
    assert KETTLE in out["answer"]
    embeddings = [r for r in standin.requests if r.model == EMBED]
    assert len(embeddings) == 4  # the search's one call, through its attempts


def test_with_the_embedder_down_search_runs_on_words(env, standin: StandIn, monkeypatch,
                                                     tmp_path: Path) -> None:
    use_workers_ai(monkeypatch, standin)
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    standin.reset()
    standin.fail(500, times=None, model=EMBED)
    out = ask_json()
    assert out["degraded"] == ["sparse_search"] and out["generator"] == "workers-ai"
    assert out["notice"].startswith("The search matched words only: the question could not "
                                    "be embedded (Workers AI failed for " + EMBED)
    (chat,) = chat_requests(standin)
    assert KETTLE in chat.body["messages"][-1]["content"]  # the passage was found by words
    assert out["answer"] == streamed_answer(chat)
    assert outcomes(env) == ["degraded"]
    assert run("search", "kettle").exit_code == 2  # a plain search still says it failed


def test_a_question_vector_holding_a_null_searches_words_and_is_not_cached(
        env, standin: StandIn, monkeypatch, tmp_path: Path) -> None:
    """Read as NaN, the vector would find nothing, and from the cache go on finding nothing
    for the same question once the embedder is well again."""
    use_workers_ai(monkeypatch, standin, RAG_CACHE="true")
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    standin.reset()
    standin.first_component = "null"
    out = ask_json()
    assert out["degraded"] == ["sparse_search"]
    assert out["notice"].startswith("The search matched words only: the question could not "
                                    "be embedded (Workers AI sent malformed embeddings for "
                                    + EMBED)
    standin.first_component = None
    dense = json.loads(run("search", QUESTION, "--mode", "dense", "--json").stdout)["hits"]
    assert dense and dense[0]["source"].endswith("kettle.md")


def test_a_question_too_long_for_the_primary_goes_to_the_model_it_fits(
        ai_settings, standin: StandIn, passages) -> None:
    # the fp8 model's 32k window is too small too; the 1B model's 60k fits (and the question
    # stays within the 131,072 characters a message may hold)
    settings = ai_settings.model_copy(update={"workers_ai_fallback_models": [FP8, FALLBACK]})
    generator = WorkersAIGenerator.from_settings(settings)
    question = "Where do llamas live? " + "Please answer carefully and briefly. " * 3_000
    record = GenerationRecord()
    text = "".join(generator.stream(GenerationRequest(question, passages), record))
    assert [r.model for r in standin.requests] == [FALLBACK]
    assert record.model == FALLBACK and "Andes" in text
    alone = WorkersAIGenerator.from_settings(
        ai_settings.model_copy(update={"workers_ai_fallback_models": [FP8]}))
    with pytest.raises(InputTooLongError, match="7968"):  # refused with the primary's reason
        "".join(alone.stream(GenerationRequest(question, passages), GenerationRecord()))
    assert len(standin.requests) == 1


# --- metrics that tell the truth -----------------------------------------------------------------


def test_a_stream_cut_after_three_tokens_is_counted_as_interrupted(
        local_embeddings: StandIn, env: dict[str, str]) -> None:
    local_embeddings.cut_stream(after_tokens=3)
    out = ask_json()
    assert out["notice"].startswith("answer interrupted")
    assert outcomes(env) == ["interrupted"]
    summary = metrics_of(env).summary()
    assert (summary.requests, summary.interrupted, summary.errors) == (1, 1, 0)
    assert summary.error_rate == 100.0


def test_an_answer_cut_before_citing_lists_its_passages_under_one_heading(
        local_embeddings: StandIn, env: dict[str, str]) -> None:
    local_embeddings.cut_stream(after_tokens=3, times=None)
    result = run("ask", QUESTION)
    assert result.exit_code == 0, result.stderr
    assert "Retrieved, none cited in the answer:\n  [1] " in result.stdout
    assert "Sources:" not in result.stdout


def test_a_gateway_cache_hit_is_a_cache_hit_with_no_neurons(
        local_embeddings: StandIn, env: dict[str, str], monkeypatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_AI_GATEWAY_ID", GATEWAY)
    monkeypatch.setenv("CLOUDFLARE_AI_GATEWAY_BASE_URL", f"{local_embeddings.url}/v1")
    monkeypatch.setenv("RAG_AI_GATEWAY_CACHE_TTL", "300")
    monkeypatch.setenv("RAG_CACHE", "false")  # our own answer cache would answer first
    first = ask_json()
    # the same question, spaced differently, hits the gateway's cache
    second = json.loads(run("ask", "  How often   should I descale the kettle? ",
                            "--json").stdout)
    miss, hit = chat_requests(local_embeddings)
    assert (miss.cache_status, hit.cache_status) == ("MISS", "HIT")
    assert miss.headers["cf-aig-cache-key"] == hit.headers["cf-aig-cache-key"]
    assert json.loads(miss.headers["cf-aig-metadata"]) == {"user": "local", "collection": "docs"}
    assert second["answer"] == first["answer"] and second["usage"]["neurons"] == 0
    assert first["usage"]["neurons"] > 0
    summary = metrics_of(env).summary()
    assert (summary.cache_hits, summary.gateway_hits) == (1, 1)
    assert summary.cache_hit_rate == 0.5
    assert summary.neurons_by_kind["chat"] == pytest.approx(first["usage"]["neurons"])


def test_an_answer_replayed_from_the_answer_cache_says_it_cost_nothing(
        local_embeddings: StandIn, env: dict[str, str], monkeypatch) -> None:
    monkeypatch.setenv("RAG_CACHE", "true")
    first = ask_json()
    second = ask_json()
    assert len(chat_requests(local_embeddings)) == 1 and second["cached"]
    assert first["usage"]["neurons"] > 0 and second["usage"]["neurons"] == 0
    assert second["usage"]["completion_tokens"] == first["usage"]["completion_tokens"]


def test_an_answer_a_fallback_wrote_is_not_cached(local_embeddings: StandIn,
                                                  monkeypatch) -> None:
    """A capacity blip passes: once the configured model answers again, it answers."""
    monkeypatch.setenv("RAG_CACHE", "true")
    monkeypatch.setenv("RAG_AI_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("RAG_AI_BREAKER_SECONDS", "0")
    local_embeddings.fail(429, 3040, model=PRIMARY)  # once
    first = ask_json()
    assert first["model"] == FALLBACK and not first["degraded"] and first["notice"] is None
    again = ask_json()
    assert not again["cached"] and again["model"] == PRIMARY
    assert ask_json()["cached"]  # the configured model's answer is kept


def test_log_records_are_json_with_time_level_request_and_user(
        local_embeddings: StandIn, env: dict[str, str]) -> None:
    out = ask_json()
    lines = [json.loads(line) for line in
             (Path(env["RAG_DATA_DIR"]) / "logs" / "rag.jsonl").read_text().splitlines()]
    (call,) = [r for r in lines if r.get("event") == "ai_call" and r["kind"] == "chat"]
    assert call["request_id"] == out["request_id"] and call["user"] == "local"
    assert call["level"] == "INFO" and call["timestamp"].startswith("20")
    assert call["model"] == PRIMARY and call["neurons"] > 0
    assert all({"timestamp", "level", "logger", "message"} <= set(r) for r in lines)


def test_a_log_file_moved_away_by_logrotate_is_written_anew_at_its_name(
        tmp_path: Path) -> None:
    import logging

    from rag.app.logs import configure_logging

    log_file = tmp_path / "logs" / "rag.jsonl"
    configure_logging(log_file)
    try:
        logging.getLogger("rag").warning("before the rotation")
        log_file.rename(tmp_path / "logs" / "rag.jsonl.1")  # logrotate's move, then no create
        logging.getLogger("rag").warning("after the rotation")
        assert "after the rotation" in log_file.read_text()
        assert "after" not in (tmp_path / "logs" / "rag.jsonl.1").read_text()
    finally:
        configure_logging(tmp_path / "other.jsonl")  # the moved file's handler let go


def test_an_unexpected_error_shows_an_id_and_logs_the_trace(
        local_embeddings: StandIn, env: dict[str, str], monkeypatch) -> None:
    from rag.answering.answerer import Answerer

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(Answerer, "ask", broken)
    result = run("ask", QUESTION)
    assert result.exit_code == 1
    line = " ".join(result.stderr.split())
    assert "Something went wrong on our side (error id " in line
    error_id = line.split("error id ", 1)[1].split(")", 1)[0]
    records = [json.loads(x) for x in
               (Path(env["RAG_DATA_DIR"]) / "logs" / "rag.jsonl").read_text().splitlines()]
    (logged,) = [r for r in records if r.get("error_id") == error_id]
    assert logged["level"] == "ERROR" and "ZeroDivisionError: a bug" in logged["exc_info"]
    assert "Traceback" not in result.stderr


def test_an_answer_cached_for_one_length_is_not_replayed_for_another(
        local_embeddings: StandIn, env: dict[str, str], monkeypatch) -> None:
    """A shorter budget cuts the answer elsewhere (and says so): the longer one is not it."""
    assert not ask_json()["cached"] and ask_json()["cached"]
    monkeypatch.setenv("RAG_AI_MAX_TOKENS", "64")
    shorter = ask_json()
    assert not shorter["cached"]
    assert chat_requests(local_embeddings)[-1].body["max_tokens"] == 64
    assert ask_json()["cached"]


# --- budgets ---------------------------------------------------------------------------------


def test_a_user_over_budget_gets_quoted_passages_until_midnight(
        local_embeddings: StandIn, env: dict[str, str], monkeypatch) -> None:
    monkeypatch.setenv("RAG_USER_DAILY_NEURONS", "1")
    first = ask_json()
    assert first["generator"] == "workers-ai" and first["usage"]["neurons"] > 1
    second = json.loads(run("ask", "How often should I oil the chain?", "--json").stdout)
    assert second["generator"] == "extractive" and second["degraded"] == ["over_budget"]
    assert "used today's budget of 1 neuron (" in second["notice"]
    assert "00:00 UTC" in second["notice"] and "weekly" in second["answer"]
    assert len(chat_requests(local_embeddings)) == 1  # nothing more was spent
    monkeypatch.setenv("RAG_BUDGET_EXEMPT_USERS", '["local"]')
    exempt = json.loads(run("ask", "How often should I oil the chain?", "--json").stdout)
    assert exempt["generator"] == "workers-ai"

    report = run("cost", "report", "--day", "--json")
    assert report.exit_code == 0, report.stderr
    spent = json.loads(report.stdout)
    (local,) = spent["users"]
    assert local["user"] == "local" and set(local["by_kind"]) == {"chat"}
    assert local["neurons"] == pytest.approx(first["usage"]["neurons"]
                                             + exempt["usage"]["neurons"])
    table = run("cost", "report", "--day")
    assert "local" in table.stdout and "chat" in table.stdout


def test_questions_asked_at_once_hold_their_cost_against_the_budget(
        local_embeddings: StandIn, env: dict[str, str], monkeypatch) -> None:
    """Each question's cost is known only when it ends: a burst asked together would all be
    answered by the model, many times over the budget, had each not held an estimate."""
    from concurrent.futures import ThreadPoolExecutor

    from rag.answering.budget import answer_estimate
    from rag.service import build_service

    settings = load_settings()
    estimate = answer_estimate([settings.workers_ai_chat_model], settings.top_k,
                               settings.chunk_tokens, settings.ai_max_tokens)
    monkeypatch.setenv("RAG_USER_DAILY_NEURONS", str(2.5 * estimate))
    service = build_service(load_settings())
    local_embeddings.latency = 0.5  # every answer is still under way when the last is asked
    try:
        def asked(n: int):
            answer = service.ask(f"{QUESTION} ({n})", user="alice")
            assert answer.text
            return answer.generator, answer.degraded, answer.notice, answer.record.neurons

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(asked, range(8)))
        by_model = [a for a in answers if a[0] == "workers-ai"]
        held_back = [a for a in answers if a[0] == "extractive"]
        assert 1 <= len(by_model) <= 3 and len(by_model) + len(held_back) == 8
        assert all(a[1] == ["over_budget"] and "questions under way" in a[2]
                   and "come back as they end" in a[2] for a in held_back)
        spent = service.budgets.spent("alice")
        assert spent == pytest.approx(sum(a[3] for a in by_model)) and spent < 2.5 * estimate
        local_embeddings.latency = 0.0
        # the holds ended with their questions: what is left of the budget is spent again
        assert service.ask(QUESTION, user="alice").generator == "workers-ai"
    finally:
        service.close()


def test_a_model_without_a_known_price_is_estimated_at_the_highest(
        local_embeddings: StandIn, env: dict[str, str], monkeypatch) -> None:
    """Its hold, as its calls, is counted at the highest known price: the budget still holds
    it, and the question is answered by it, not refused for the price the table lacks."""
    from rag.answering.budget import answer_estimate

    unpriced = "@cf/meta/llama-3.1-8b-instruct-fast"
    monkeypatch.setitem(local_embeddings.context_windows, unpriced, 128_000)  # served
    monkeypatch.setenv("RAG_WORKERS_AI_CHAT_MODEL", unpriced)
    assert answer_estimate([unpriced], 5, 200, 512) > answer_estimate(
        ["@cf/meta/llama-3.1-8b-instruct"], 5, 200, 512)
    monkeypatch.setenv("RAG_USER_DAILY_NEURONS", "100000")
    answered = ask_json()
    assert answered["generator"] == "workers-ai" and answered["model"] == unpriced


def test_what_was_spent_before_a_budget_was_set_counts_against_it(
        local_embeddings: StandIn, env: dict[str, str], monkeypatch) -> None:
    """A budget set at noon holds what the morning spent, as the cost report shows it."""
    first = ask_json()
    assert first["generator"] == "workers-ai" and first["usage"]["neurons"] > 1
    monkeypatch.setenv("RAG_USER_DAILY_NEURONS", "1")
    second = json.loads(run("ask", "How often should I oil the chain?", "--json").stdout)
    assert second["degraded"] == ["over_budget"]
    assert f"({first['usage']['neurons']:,.1f} spent)" in second["notice"]


def test_a_user_over_budget_cannot_ingest_with_paid_embeddings_until_midnight(
        env, standin: StandIn, monkeypatch, tmp_path: Path) -> None:
    use_workers_ai(monkeypatch, standin)
    monkeypatch.setenv("RAG_USER_DAILY_NEURONS", "1")
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0  # under it
    standin.reset()
    more = tmp_path / "more"
    more.mkdir()
    (more / "bell.md").write_text("# Bell\n\nRing the bell before each turn.")
    refused = run("ingest", str(more))
    assert refused.exit_code == 2 and standin.requests == []
    assert "used today's budget of 1 neuron (" in refused.stderr
    assert "can run again at 00:00 UTC (RAG_USER_DAILY_NEURONS)" in refused.stderr
    monkeypatch.setenv("RAG_BUDGET_EXEMPT_USERS", '["local"]')
    assert run("ingest", str(more)).exit_code == 0


def test_ingest_neurons_are_charged_to_the_user_by_kind(env, standin: StandIn, monkeypatch,
                                                        tmp_path: Path) -> None:
    use_workers_ai(monkeypatch, standin)
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    ask_json()
    summary = metrics_of(env).summary()
    assert set(summary.neurons_by_kind) == {"embedding", "chat"}
    assert summary.neurons_by_kind["embedding"] > 0  # the ingest and the question's vector
    assert set(summary.neurons_by_user) == {"local"}
    assert summary.neurons == pytest.approx(sum(summary.neurons_by_kind.values()))


def test_open_breakers_and_targets_are_served_on_metrics(tmp_path: Path) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from rag.app.metrics import CallRecord, RequestRecord
    from rag.engine.telemetry import Telemetry

    metrics = Metrics(tmp_path / "m.sqlite3")
    breakers = Breakers(DiskState(tmp_path / "state"), 60)
    telemetry = Telemetry()
    telemetry.watch(metrics, breakers)
    metrics.subscribe(telemetry.observe_answer)
    breakers.failed(PRIMARY, "Workers AI is out of capacity")
    for outcome in ("ok", "interrupted", "degraded", "ok"):
        metrics.record(RequestRecord(time.time(), outcome, 1500.0, 300.0))  # type: ignore[arg-type]
    metrics.record(RequestRecord(time.time(), "ok", 900.0, 200.0, gateway_hit=True))
    metrics.record_call(CallRecord(time.time(), "chat", PRIMARY, 0.0, "u", cache_status="HIT"))
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for family in
               text_string_to_metric_families(telemetry.exposition().decode())
               for s in family.samples}
    assert 59 < samples[("rag_breaker_open_seconds", (("model", PRIMARY),))] <= 60
    assert samples[("rag_error_rate_percent", ())] == 20.0  # 1 interrupted of 5
    assert samples[("rag_target_pass", (("target", "first_token"),))] == 1.0
    assert samples[("rag_target_pass", (("target", "response"),))] == 1.0  # 1.38 s average
    assert samples[("rag_target_pass", (("target", "error_rate"),))] == 0.0
    assert samples[("rag_answers_total", (("generator", "none"), ("outcome", "degraded")))] == 1
    assert samples[("rag_gateway_cache_hits_total", ())] == 1
    assert samples[("rag_answer_cache_hits_total", ())] == 0  # the app's own cache only
    metrics.close()


def test_breakers_are_shared_through_redis(redis_url: str) -> None:  # noqa: F811
    from rag.providers.state import RedisState

    model = f"@cf/test/model-{time.time_ns()}"
    here, there = Breakers(RedisState(redis_url), 60), Breakers(RedisState(redis_url), 60)
    assert here.admit(model) == "closed"
    here.failed(model, "down")
    assert there.admit(model) == "open"
    assert [b.model for b in there.open_breakers() if b.model == model] == [model]
    later = Breakers(RedisState(redis_url), 60, clock=lambda: time.time() + 61)
    assert later.admit(model) == "probe"  # one caller probes ...
    assert later.admit(model) == "open"  # ... the others keep skipping
    later.succeeded(model)
    assert there.admit(model) == "closed"


# --- one deadline for the whole question -----------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["single", "progressive", "consensus"])
def test_a_hung_provider_is_waited_on_for_one_deadline_a_question(
        env, standin: StandIn, monkeypatch, tmp_path: Path, strategy: str) -> None:
    """Embeddings and every chat model accept connections and never answer: the question
    (its embedding, each model and fallback, each draft) ends within its one deadline, quoting
    the passages, where each part waiting a deadline of its own took two or three."""
    from rag.service import build_service

    deadline = 5.0
    use_workers_ai(monkeypatch, standin, RAG_AI_DEADLINE_SECONDS=str(deadline),
                   RAG_AI_BREAKER_SECONDS="0", RAG_CACHE="false",
                   RAG_WORKERS_AI_FALLBACK_MODELS=json.dumps([FALLBACK]))
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    standin.reset()
    standin.latency = 60  # connections are accepted, nothing is answered
    service = build_service(load_settings())
    try:
        started = time.monotonic()
        answer = service.ask(QUESTION, strategy=strategy)
        text = "".join(answer.deltas)
        took = time.monotonic() - started
    finally:
        service.close()
    assert KETTLE in text and "models_unavailable" in answer.degraded
    assert "sparse_search" in answer.degraded
    assert took < deadline + 3, f"the question took {took:.1f} s"


@pytest.mark.slow
def test_a_model_not_asked_for_want_of_the_questions_time_is_not_tripped(
        env, standin: StandIn, monkeypatch, tmp_path: Path) -> None:
    """The hung embedding spent the question's time, so no model was asked: nothing is known
    of them, and the next question asks the primary again."""
    from rag.service import build_service

    use_workers_ai(monkeypatch, standin, RAG_AI_DEADLINE_SECONDS="3", RAG_CACHE="false",
                   RAG_WORKERS_AI_FALLBACK_MODELS=json.dumps([FALLBACK]))
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    standin.reset()
    standin.model_latency = {EMBED: 60}
    service = build_service(load_settings())
    try:
        first = service.ask(QUESTION)
        first_text = "".join(first.deltas)
        asked_first = len(chat_requests(standin))
        second = service.ask(QUESTION)
        assert KETTLE in "".join(second.deltas)
    finally:
        service.close()
    assert second.record.model == PRIMARY
    assert KETTLE in first_text and asked_first == 0
    assert "RAG_AI_DEADLINE_SECONDS" in (first.notice or "")
