"""Answer strategies against the Workers AI stand-in: progressive (a fast model first, the
primary when its answer is weak) and consensus (several models, the answer they agree on)."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest

from rag.answering.strategies import StrategyConfig, agreement, weakness
from rag.app.metrics import Metrics
from rag.providers.generators.base import GenerationRequest
from rag.types import Hit
from tests.test_e2e_workers_ai import (
    FALLBACK,
    KETTLE,
    PRIMARY,
    QUESTION,
    chat_requests,
    run,
    small_corpus,
    streamed_answer,
    use_workers_ai,
)
from tests.workers_ai_server import NOT_FOUND_ANSWER, StandIn, answer_tokens

FP8 = "@cf/meta/llama-3.1-8b-instruct-fp8"


@pytest.fixture
def corpus(env, standin: StandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> StandIn:
    """Workers AI answers over the small corpus (embedded locally); no answer cache."""
    use_workers_ai(monkeypatch, standin, embedder=False, RAG_CACHE="false")
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    standin.reset()
    return standin


def ask(*args: str) -> dict:
    result = run("ask", QUESTION, "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# --- progressive -----------------------------------------------------------------------------


def test_progressive_keeps_a_good_fast_answer(corpus: StandIn) -> None:
    out = ask("--strategy", "progressive")
    (chat,) = chat_requests(corpus)
    assert chat.model == FALLBACK  # the 1B model, the fast one by default
    assert out["model"] == FALLBACK and out["answer"] == streamed_answer(chat)
    report = out["strategy"]
    assert report["name"] == "progressive" and report["upgraded"] is False
    assert report["first_model"] == report["final_model"] == FALLBACK
    assert report["first_ms"] > 0


@pytest.mark.parametrize("style, reason", [
    ("refuse", "passages do not answer"),
    ("uncited", "no valid citation"),
])
def test_progressive_upgrades_a_weak_answer(corpus: StandIn, monkeypatch, caplog,
                                            style: str, reason: str) -> None:
    monkeypatch.setenv("RAG_PROGRESSIVE_REFUSAL_SCORE", "0")  # any top passage counts as high
    caplog.set_level(logging.INFO)
    corpus.answer_as(style, model=FALLBACK)
    out = ask("--strategy", "progressive")
    fast, primary = chat_requests(corpus)
    assert (fast.model, primary.model) == (FALLBACK, PRIMARY)
    assert out["model"] == PRIMARY and out["answer"] == streamed_answer(primary)
    assert KETTLE in out["answer"]
    report = out["strategy"]
    assert report["upgraded"] is True and reason in report["reason"]
    assert report["final_model"] == PRIMARY and report["final_ms"] > 0
    first = "".join(answer_tokens(fast.body["messages"], style))
    logged = [json.loads(r.getMessage()) for r in caplog.records
              if '"progressive_upgrade"' in r.getMessage()]
    assert logged[0]["first_answer"] == first  # only the final answer is shown
    assert out["answer"] != first


def test_weakness_checks() -> None:
    hits = [Hit("d", "a.md", None, "c1", 0.9, "Kettles boil water.")]
    request = GenerationRequest("q", hits)
    config = StrategyConfig(min_words=4, refusal_score=0.5)
    assert weakness("Kettles boil water quickly [1].", request, config) is None
    assert "shorter" in weakness("Yes [1].", request, config)
    assert "named no passage" in weakness("Kettles boil water quickly [7].", request, config)
    assert "no valid citation" in weakness("Kettles boil water quickly.", request, config)
    assert "do not answer" in weakness(NOT_FOUND_ANSWER, request, config)
    low = GenerationRequest("q", [Hit("d", "a.md", None, "c1", 0.1, "x")])
    assert "do not answer" not in (weakness(NOT_FOUND_ANSWER, low, config) or "")


# --- consensus -------------------------------------------------------------------------------


def test_consensus_returns_the_answer_the_others_agree_with(corpus: StandIn, env) -> None:
    corpus.answer_as("contrary", model=FP8)  # one model quotes another passage
    out = ask("--strategy", "consensus")
    sent = {r.model: r for r in chat_requests(corpus)}
    assert set(sent) == {PRIMARY, FALLBACK, FP8}  # the same prompt to all three
    assert len({json.dumps(r.body["messages"]) for r in sent.values()}) == 1
    report = out["strategy"]
    assert report["name"] == "consensus" and report["chosen_model"] in (PRIMARY, FALLBACK)
    assert out["answer"] == streamed_answer(sent[report["chosen_model"]])
    assert KETTLE in out["answer"]
    assert report["disagree"] is False and report["agreement"] >= 0.6
    assert set(report["timings_ms"]) == {PRIMARY, FALLBACK, FP8}
    # every model's cost is counted, in the answer and in the metrics
    calls = Metrics(Path(env["RAG_DATA_DIR"]) / "metrics.sqlite3").summary()
    assert calls.neurons_by_kind["chat"] == pytest.approx(out["usage"]["neurons"])
    db = sqlite3.connect(Path(env["RAG_DATA_DIR"]) / "metrics.sqlite3")
    try:
        charged = db.execute("SELECT model, neurons FROM ai_calls WHERE kind = 'chat'").fetchall()
    finally:
        db.close()
    assert sorted(m for m, _ in charged) == sorted([PRIMARY, FALLBACK, FP8])
    assert all(n > 0 for _, n in charged)


def test_consensus_says_when_models_disagree(corpus: StandIn, monkeypatch) -> None:
    monkeypatch.setenv("RAG_CONSENSUS_MODELS", json.dumps([PRIMARY, FP8]))
    corpus.answer_as("contrary", model=FP8)
    out = ask("--strategy", "consensus")
    report = out["strategy"]
    assert report["disagree"] is True and report["agreement"] < 0.6
    human = run("ask", QUESTION, "--strategy", "consensus")
    assert human.exit_code == 0 and "Models disagree" in " ".join(human.stderr.split())


def test_agreement_scores(embedder) -> None:
    same = 'According to the documents, "Descale the kettle every month." [1]'
    other = 'According to the documents, "Inflate the tyres to 4 bar before every ride." [2]'
    scores = agreement([same, same, other], 3, embedder)
    assert scores[0] == scores[1] > scores[2]
    assert agreement([same], 3, embedder) == []
