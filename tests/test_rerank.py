"""Reranking with Workers AI's bge-reranker-base: the real client against the loopback stand-in."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli.main import app
from rag.engine.workspace import Workspace
from rag.errors import ConfigError, PermanentAIError
from rag.providers.rerankers.workers_ai import WorkersAIReranker, fit_pairs
from rag.registry import make_reranker
from rag.retrieval.cache import Cache
from rag.service import RagService, build_service
from rag.settings import Settings, load_settings
from rag.text.tokens import estimate_tokens
from tests.workers_ai_server import ACCOUNT, GATEWAY, TOKEN

RERANKER = "@cf/baai/bge-reranker-base"
QUESTION = "Where do llamas live in Peru?"
# The short text wins the fused (dense + lexical) search: it matches most of the question in
# four words. The long one holds every word of the question, so the reranker puts it first.
SHORT = "Llamas live in Peru."
LONG = ("Field notes from the second expedition. The team walked for days across the high "
        "plateau, counting herds and interviewing farmers about wool prices and weather. "
        "Where do the animals live? Llamas live in Peru, high in the Andes, in herds.")
OTHER = "Mount Etna is a volcano in Sicily, about 3,300 metres tall."


def ai_calls(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [r.ai_call for r in caplog.records if hasattr(r, "ai_call")]


@pytest.fixture
def rerank_settings(ai_settings: Settings) -> Settings:
    return ai_settings.model_copy(update={"rerank": "workers-ai", "embedder": "workers-ai",
                                          "generator": "workers-ai", "cache": False})


def reranking(service: RagService, settings: Settings) -> RagService:
    """The same collection and parts, searched through the reranker `settings` configure."""
    return replace(service, settings=settings, reranker=make_reranker(settings))


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in (("short.txt", SHORT), ("long.txt", LONG), ("etna.txt", OTHER)):
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def services(rerank_settings: Settings, library: Path):
    """Two services on one collection: with and without the reranker."""
    plain = build_service(rerank_settings.model_copy(update={"rerank": "off"}))
    plain.ingest([library])
    reranked = reranking(plain, rerank_settings)
    yield plain, reranked
    reranked.reranker.close()
    plain.close()  # the parts both share


# --- the client ---------------------------------------------------------------------------


def test_request_shape_and_call_record(rerank_settings, standin, passages, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    reranker = WorkersAIReranker.from_settings(rerank_settings)
    reranker.rerank(QUESTION, passages, top_k=2)

    (request,) = standin.requests
    assert request.path == f"/client/v4/accounts/{ACCOUNT}/ai/run/{RERANKER}"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.body == {"query": QUESTION, "contexts": [{"text": p.text} for p in passages],
                            "top_k": 2}
    (call,) = ai_calls(caplog)
    assert call["model"] == RERANKER and call["endpoint"] == "run" and call["items"] == 3
    assert call["outcome"] == "ok" and call["attempts"] == 1
    assert call["neurons"] == 0.0  # price UNCONFIRMED: nothing invented
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


def test_reranker_order_is_applied_and_top_k_kept(rerank_settings, passages):
    best = WorkersAIReranker.from_settings(rerank_settings).rerank(QUESTION, passages, top_k=2)
    assert [h.chunk_id for h in best] == ["c2", "c1"]  # llamas first; fused order was c1, c2
    assert best[0].score == pytest.approx(3 / 5)  # llamas, live, peru of where/do/llamas/live/peru
    assert best[0].text == passages[1].text and best[0].source == passages[1].source


def test_through_ai_gateway(rerank_settings, standin, passages, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    settings = rerank_settings.model_copy(update={"cloudflare_ai_gateway_id": GATEWAY})
    WorkersAIReranker.from_settings(settings).rerank(QUESTION, passages, top_k=3)
    (request,) = standin.requests
    assert request.path == f"/v1/{ACCOUNT}/{GATEWAY}/workers-ai/{RERANKER}"
    (call,) = ai_calls(caplog)
    assert call["endpoint"] == "gateway" and call["cache_status"] == "MISS"
    assert "gateway_log_id" in call


def test_a_429_is_retried(rerank_settings, standin, passages, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    standin.fail(429, 3040, times=1, model=RERANKER)
    best = WorkersAIReranker.from_settings(rerank_settings).rerank(QUESTION, passages, top_k=1)
    assert [h.chunk_id for h in best] == ["c2"]
    assert [r.status for r in standin.requests] == [429, 200]
    (call,) = ai_calls(caplog)
    assert call["attempts"] == 2 and call["outcome"] == "ok"


def test_reported_usage_is_logged(rerank_settings, standin, passages, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    standin.neurons_mode = "usage"
    WorkersAIReranker.from_settings(rerank_settings).rerank(QUESTION, passages, top_k=1)
    usage = [json.loads(r.getMessage()) for r in caplog.records if "ai_usage" in r.getMessage()]
    assert usage and usage[0]["model"] == RERANKER and usage[0]["usage"]["prompt_tokens"] > 0


def test_passages_over_512_tokens_are_trimmed_for_scoring_only(rerank_settings, standin,
                                                               passages):
    long_text = "Llamas live in Peru. " + "The herd grazes on the high plateau. " * 300
    reranker = WorkersAIReranker.from_settings(rerank_settings)
    with pytest.raises(PermanentAIError, match="5006"):  # the stand-in refuses such a pair
        reranker.rank(QUESTION, [long_text], 1)

    hits = [passages[0], replace(passages[1], text=long_text)]
    best = reranker.rerank(QUESTION, hits, top_k=2)
    assert best[0].text == long_text  # what users see is unchanged
    assert standin.requests[-1].status == 200
    sent = standin.requests[-1].body["contexts"][1]["text"]
    assert long_text.startswith(sent) and len(sent) < len(long_text)
    assert estimate_tokens(QUESTION) + estimate_tokens(sent) <= 512


def test_fit_pairs_keeps_short_texts_and_trims_long_queries():
    query, texts = fit_pairs("short question?", ["short passage."], 512)
    assert (query, texts) == ("short question?", ["short passage."])
    query, (text,) = fit_pairs("why " * 1000, ["because " * 1000], 512)
    assert 0 < estimate_tokens(query) <= 256
    assert 0 < estimate_tokens(query) + estimate_tokens(text) <= 512 - 4


# --- retrieval and answers ----------------------------------------------------------------


def test_search_reranks_the_fused_candidates(services, standin):
    plain, reranked = services
    fused = plain.search(QUESTION, top_k=2)
    assert [Path(h.source).name for h in fused] == ["short.txt", "long.txt"]

    standin.requests.clear()
    hits = reranked.search(QUESTION, top_k=1)
    assert [Path(h.source).name for h in hits] == ["long.txt"]
    assert hits[0].score == pytest.approx(1.0)  # the reranker's score, not the fused one
    (request,) = standin.requests_to("run")[-1:]
    assert len(request.body["contexts"]) == 3  # every fused candidate (up to 20), not top_k
    assert request.body["top_k"] == 1


def test_candidates_setting_limits_what_is_reranked(rerank_settings, services, standin):
    plain, _ = services
    settings = rerank_settings.model_copy(update={"rerank_candidates": 2})
    service = reranking(plain, settings)
    standin.requests.clear()
    service.search(QUESTION, top_k=1)
    rerank = [r for r in standin.requests if r.model == RERANKER]
    assert len(rerank[0].body["contexts"]) == 2
    service.reranker.close()


def test_fewer_candidates_than_top_k_still_returns_top_k_all_reranked(rerank_settings,
                                                                    services, standin):
    plain, _ = services
    service = reranking(plain, rerank_settings.model_copy(update={"rerank_candidates": 1}))
    standin.requests.clear()
    hits = service.search(QUESTION, top_k=3)
    assert len(hits) == 3
    (rerank,) = [r for r in standin.requests if r.model == RERANKER]
    assert len(rerank.body["contexts"]) == 3
    assert Path(hits[0].source).name == "long.txt"  # in the reranker's order
    service.reranker.close()


def test_a_failing_reranker_falls_back_to_the_fused_order(services, standin, caplog):
    plain, reranked = services
    caplog.set_level(logging.WARNING)
    standin.fail(503, times=None, model=RERANKER)
    hits = reranked.search(QUESTION, top_k=2)
    assert [h.chunk_id for h in hits] == [h.chunk_id for h in plain.search(QUESTION, top_k=2)]
    assert any("keeping the fused order" in r.getMessage() for r in caplog.records)
    attempts = [r for r in standin.requests if r.model == RERANKER]
    assert len(attempts) == 4  # retried first (RAG_AI_MAX_ATTEMPTS)



@pytest.mark.parametrize(("candidates", "top_k", "named", "not_named"), [
    (1, 3, "RAG_TOP_K", "RAG_RERANK_CANDIDATES"),  # top_k passages sent: the larger
    (20, 1, "RAG_RERANK_CANDIDATES", "RAG_TOP_K")])
def test_passages_too_large_name_the_setting_that_set_their_number(
        rerank_settings, services, standin, caplog, candidates, top_k, named, not_named):
    plain, _ = services
    service = reranking(plain, rerank_settings.model_copy(
        update={"rerank_candidates": candidates}))
    caplog.set_level(logging.WARNING)
    standin.fail(413, 3006, times=None, model=RERANKER)
    service.search(QUESTION, top_k=top_k)
    (warning,) = [r.getMessage() for r in caplog.records
                  if "keeping the fused order" in r.getMessage()]
    assert f"Lower RAG_CHUNK_TOKENS or {named}," in warning and not_named not in warning
    service.reranker.close()

@pytest.mark.parametrize(("option", "variable", "named"), [
    (["--top-k", "3"], {}, "--top-k"),  # the command's option, which the user gave
    ([], {"RAG_TOP_K": "3"}, "RAG_TOP_K")])
def test_passages_too_large_name_the_option_the_command_was_given(
        rerank_settings, library, standin, monkeypatch, option, variable, named):
    env = {"RAG_DATA_DIR": str(rerank_settings.data_dir), "RAG_EMBEDDER": "workers-ai",
           "RAG_RERANK": "workers-ai", "RAG_RERANK_CANDIDATES": "1",
           "CLOUDFLARE_ACCOUNT_ID": ACCOUNT, "CLOUDFLARE_API_TOKEN": TOKEN,
           "CLOUDFLARE_BASE_URL": rerank_settings.cloudflare_base_url, **variable}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(library)]).exit_code == 0
    standin.fail(413, 3006, times=None, model=RERANKER)
    assert runner.invoke(app, ["search", QUESTION, *option]).exit_code == 0
    log = rerank_settings.data_dir / "logs" / "rag.jsonl"
    (warning,) = [json.loads(line)["message"] for line in log.read_text().splitlines()
                  if "keeping the fused order" in line]
    assert f"Lower RAG_CHUNK_TOKENS or {named}, or shorten the question." in warning


def test_an_answer_survives_a_failing_reranker_and_is_not_cached(rerank_settings, services,
                                                                 standin):
    plain, _ = services
    cached = rerank_settings.model_copy(update={"cache": True})
    service = replace(reranking(plain, cached), cache=Cache(cached.resolved_cache_dir, 3600))
    standin.fail(400, 5006, times=1, model=RERANKER)  # not retried, still not fatal
    answer = service.ask(QUESTION)
    assert "Llamas live in Peru" in answer.text
    assert [Path(h.source).name for h in answer.citations][:2] == ["short.txt", "long.txt"]
    again = service.ask(QUESTION)
    assert not again.cached and Path(again.citations[0].source).name == "long.txt"
    assert again.text  # the stream is read: now it is cached
    assert service.ask(QUESTION).cached  # a reranked answer is cached as usual
    service.cache.close()
    service.reranker.close()


def test_the_answer_cache_key_includes_reranking(services):
    plain, reranked = services
    key = plain.answerer._key(QUESTION, QUESTION, 5, [])
    assert reranked.answerer._key(QUESTION, QUESTION, 5, []) != key
    deeper = replace(reranked, settings=reranked.settings.model_copy(
        update={"rerank_candidates": 40}))
    assert deeper.answerer._key(QUESTION, QUESTION, 5, []) not in (
        key, reranked.answerer._key(QUESTION, QUESTION, 5, []))


def test_views_share_the_reranker(services):
    _, reranked = services
    workspace = Workspace(reranked)
    assert workspace.create_collection("other").reranker is reranked.reranker
    assert workspace.view("other").reranker is reranked.reranker


# --- settings and startup -----------------------------------------------------------------


def test_off_by_default_and_read_from_the_environment():
    defaults = load_settings({}, env_file=None)
    assert (defaults.rerank, defaults.rerank_model, defaults.rerank_candidates) == (
        "off", RERANKER, 20)
    assert make_reranker(defaults) is None
    environ = {"RAG_RERANK": "workers-ai", "RAG_RERANK_MODEL": "@cf/baai/other-reranker",
               "RAG_RERANK_CANDIDATES": "30"}
    settings = load_settings(environ, env_file=None)
    assert (settings.rerank, settings.rerank_model, settings.rerank_candidates) == (
        "workers-ai", "@cf/baai/other-reranker", 30)
    with pytest.raises(ConfigError, match="RAG_RERANK: Input should be 'off' or 'workers-ai'"):
        load_settings({"RAG_RERANK": "local"}, env_file=None)


@pytest.mark.parametrize("missing", [("cloudflare_account_id",), ("cloudflare_api_token",),
                                     ("cloudflare_account_id", "cloudflare_api_token")])
def test_reranking_without_credentials_stops_startup(rerank_settings, missing):
    settings = rerank_settings.model_copy(update=dict.fromkeys(missing))
    with pytest.raises(ConfigError, match="RAG_RERANK=workers-ai") as info:
        build_service(settings)
    for name in missing:
        assert name.upper() in str(info.value)
    assert not settings.resolved_qdrant_path.exists()  # stopped before opening anything


def test_rag_search_reranks_from_the_command_line(rerank_settings, library, standin,
                                                  monkeypatch):
    env = {"RAG_DATA_DIR": str(rerank_settings.data_dir), "RAG_EMBEDDER": "workers-ai",
           "RAG_RERANK": "workers-ai", "CLOUDFLARE_ACCOUNT_ID": ACCOUNT,
           "CLOUDFLARE_API_TOKEN": TOKEN,
           "CLOUDFLARE_BASE_URL": rerank_settings.cloudflare_base_url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(library)]).exit_code == 0
    result = runner.invoke(app, ["search", QUESTION, "--top-k", "1", "--json"])
    assert result.exit_code == 0, result.output
    (hit,) = json.loads(result.stdout)["hits"]
    assert Path(hit["source"]).name == "long.txt"
    assert any(r.model == RERANKER for r in standin.requests)

    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    failed = runner.invoke(app, ["search", QUESTION])
    assert failed.exit_code == 2 and "CLOUDFLARE_API_TOKEN" in failed.stderr
