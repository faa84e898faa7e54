"""Answer strategies against the Workers AI stand-in: progressive (a fast model first, the
primary when its answer is weak) and consensus (several models, the answer they agree on);
and requests run in parallel where they pay: ingest's enrichment, a follow-up's rewrite."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from rag.answering.strategies import StrategyConfig, agreement, weakness
from rag.app.metrics import Metrics
from rag.providers.generators.base import GenerationRequest
from rag.service import build_service
from rag.settings import load_settings
from rag.types import Hit
from tests.test_e2e_workers_ai import (
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
from tests.workers_ai_server import NOT_FOUND_ANSWER, OPENAI_TEXT_MODELS, StandIn, answer_tokens


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
@pytest.mark.slow
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


def test_progressive_with_the_fast_model_configured_answers_once_as_single(
        corpus: StandIn, env, monkeypatch) -> None:
    """With the fast model as the configured one there is no model to upgrade to: a weak
    answer would only ask it again, and pay for it twice."""
    monkeypatch.setenv("RAG_WORKERS_AI_CHAT_MODEL", FALLBACK)
    monkeypatch.setenv("RAG_PROGRESSIVE_MIN_WORDS", "500")  # every answer would be weak
    out = ask("--strategy", "progressive")
    (chat,) = chat_requests(corpus)
    assert chat.model == out["model"] == FALLBACK
    assert out["strategy"] is None and not out["degraded"]  # answered as `single`, and said
    assert out["notice"].startswith("Answered by one model: the fast model "
                                    "(RAG_PROGRESSIVE_MODEL) is the configured model")
    charged = Metrics(Path(env["RAG_DATA_DIR"]) / "metrics.sqlite3").summary()
    assert charged.neurons_by_kind["chat"] == pytest.approx(out["usage"]["neurons"])
    service = build_service(load_settings())
    try:  # and a budget holds its cost once
        assert service.answerer.drafting_models("progressive") == (FALLBACK,)
    finally:
        service.close()


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
    monkeypatch.setenv("RAG_CACHE", "true")
    first = ask("--strategy", "consensus")
    replayed = ask("--strategy", "consensus")  # the warning holds for the answer replayed
    assert replayed["cached"] and replayed["strategy"] == first["strategy"]


#: too long for the 8B model's window beside the instructions, not for the 1B or fp8 one's
LONG = f"{QUESTION} " + "水壶多久除一次垢" * 900  # a token a character by the estimate


def ask_long(strategy: str) -> dict:
    result = run("ask", LONG, "--json", "--strategy", strategy)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_consensus_leaves_out_a_model_that_cannot_hold_the_question(corpus: StandIn) -> None:
    """Each consensus model drafts with no fallback: one whose window cannot hold the question
    is not asked, and the others answer, the note naming it."""
    out = ask_long("consensus")
    assert {r.model for r in chat_requests(corpus)} == {FALLBACK, FP8}
    report = out["strategy"]
    assert report["too_long"] == [PRIMARY] and report["failed"] == []
    assert report["chosen_model"] in (FALLBACK, FP8) and KETTLE in out["answer"]
    human = run("ask", LONG, "--strategy", "consensus")
    assert human.exit_code == 0
    note = " ".join(human.stderr.split())
    assert "Consensus of 2 of 3 models: agreement " in note, note
    assert f"Left out, the question too long for its context window: {PRIMARY}." in note


def test_consensus_with_one_model_left_that_can_hold_the_question_answers_with_it(
        corpus: StandIn, monkeypatch) -> None:
    """As when the other models fail: the one left answers alone, with a warning."""
    monkeypatch.setenv("RAG_CONSENSUS_MODELS", json.dumps([FALLBACK, PRIMARY]))
    out = ask_long("consensus")
    (chat,) = chat_requests(corpus)
    assert chat.model == out["model"] == FALLBACK
    assert out["strategy"]["too_long"] == [PRIMARY] and out["strategy"]["agreement"] is None
    human = " ".join(run("ask", LONG, "--strategy", "consensus").stderr.split())
    assert (f"Consensus: only {FALLBACK} of 2 models answered. Left out, the question too "
            f"long for its context window: {PRIMARY}.") in human


def test_a_question_no_model_of_a_strategy_can_hold_is_refused_before_any_is_asked(
        corpus: StandIn, env, monkeypatch) -> None:
    """Refused, with the first model's reason, and no failed answer: no model is asked."""
    monkeypatch.setenv("RAG_CONSENSUS_MODELS", json.dumps([PRIMARY, f"{PRIMARY}-awq"]))
    refused = run("ask", LONG, "--strategy", "consensus")
    assert refused.exit_code == 2
    assert f"7968-token context window of {PRIMARY}" in " ".join(refused.stderr.split())
    monkeypatch.setenv("RAG_WORKERS_AI_FALLBACK_MODELS", "[]")
    monkeypatch.setenv("RAG_PROGRESSIVE_MODEL", f"{PRIMARY}-awq")
    refused = run("ask", LONG, "--strategy", "progressive")
    assert refused.exit_code == 2
    assert f"7968-token context window of {PRIMARY}" in " ".join(refused.stderr.split())
    assert chat_requests(corpus) == []
    assert Metrics(Path(env["RAG_DATA_DIR"]) / "metrics.sqlite3").summary().requests == 0


def test_progressive_skips_a_fast_model_that_cannot_hold_the_question(
        corpus: StandIn, monkeypatch) -> None:
    monkeypatch.setenv("RAG_WORKERS_AI_CHAT_MODEL", FALLBACK)
    monkeypatch.setenv("RAG_PROGRESSIVE_MODEL", PRIMARY)
    out = ask_long("progressive")
    (chat,) = chat_requests(corpus)
    assert chat.model == out["model"] == FALLBACK and KETTLE in out["answer"]
    report = out["strategy"]
    assert report["too_long"] == report["first_model"] == PRIMARY
    assert report["upgraded"] is True and report["final_model"] == FALLBACK
    human = " ".join(run("ask", LONG, "--strategy", "progressive").stderr.split())
    assert (f"Progressive: the fast model {PRIMARY} cannot hold the question; "
            f"{FALLBACK} (") in human


def test_progressive_keeps_a_weak_fast_answer_the_configured_model_cannot_upgrade(
        corpus: StandIn, monkeypatch) -> None:
    monkeypatch.setenv("RAG_WORKERS_AI_FALLBACK_MODELS", "[]")
    monkeypatch.setenv("RAG_PROGRESSIVE_MIN_WORDS", "500")  # every answer would be weak
    out = ask_long("progressive")
    (chat,) = chat_requests(corpus)
    assert chat.model == out["model"] == FALLBACK and KETTLE in out["answer"]
    report = out["strategy"]
    assert report["too_long"] == PRIMARY and report["upgraded"] is False
    assert "shorter than 500 words" in report["reason"]
    human = " ".join(run("ask", LONG, "--strategy", "progressive").stderr.split())
    assert f"but {PRIMARY} cannot hold the question." in human
    corpus.fail(400, 5006, times=None, model=FALLBACK)  # and when the fast model fails
    out = ask_long("progressive")
    assert "models_unavailable" in out["degraded"] and KETTLE in out["answer"]  # quoted


def test_consensus_note_counts_and_names_a_model_whose_answer_was_cut(corpus: StandIn) -> None:
    """A draft cut mid-answer takes no part in the agreement: the note says how many models
    agreed of how many were asked, and names the one left out with why."""
    corpus.cut_stream(5, times=None, model=PRIMARY)
    out = ask("--strategy", "consensus")
    report = out["strategy"]
    assert report["failed"] == [PRIMARY]
    assert report["failed_why"] == {PRIMARY: "answer interrupted"}
    assert report["chosen_model"] in (FALLBACK, FP8)
    human = run("ask", QUESTION, "--strategy", "consensus")
    assert human.exit_code == 0
    note = " ".join(human.stderr.split())
    assert "Consensus of 2 of 3 models: agreement " in note, note
    assert f"Left out: {PRIMARY} (answer interrupted)." in note, note


def test_consensus_note_names_a_model_that_failed_with_its_status_and_code(
        corpus: StandIn) -> None:
    corpus.fail(400, 5006, times=None, model=FP8)
    out = ask("--strategy", "consensus")
    assert out["strategy"]["failed_why"] == {FP8: "failed: HTTP 400, code 5006"}
    note = " ".join(run("ask", QUESTION, "--strategy", "consensus").stderr.split())
    assert "Consensus of 2 of 3 models: agreement " in note, note
    assert f"Left out: {FP8} (failed: HTTP 400, code 5006)." in note, note


def test_consensus_with_every_model_failing_names_each_models_reason(corpus: StandIn) -> None:
    corpus.fail(400, 5006, times=None, model=PRIMARY)
    corpus.fail(403, 10000, times=None, model=FALLBACK)
    corpus.fail(404, 5007, times=None, model=FP8)
    out = ask("--strategy", "consensus")
    assert out["degraded"] == ["models_unavailable"]
    notice = " ".join(out["notice"].split())
    assert all(model in notice for model in (PRIMARY, FALLBACK, FP8)), notice


def test_consensus_with_every_models_stream_cut_short_quotes_the_passages(
        corpus: StandIn) -> None:
    """Drafts cut after their first words are left out of the comparison: with none left,
    the question failed as if it were the asker's ("No model gave an answer.", exit 2, a 400
    through the API), where models failing outright had their answer quoted instead."""
    corpus.cut_stream(3, times=None)
    out = ask("--strategy", "consensus")
    assert out["degraded"] == ["models_unavailable"]
    assert KETTLE in out["answer"]  # the passage, quoted
    notice = " ".join(out["notice"].split())
    assert all(model in notice for model in (PRIMARY, FALLBACK, FP8)), notice


def test_consensus_with_every_draft_cut_short_names_each_model_and_its_whole_reason(
        corpus: StandIn) -> None:
    """However long the reasons, the notice names every model with what became of its
    draft, a reason cut short ending at a word."""
    said = ("Capacity temporarily exceeded for this model in the region serving your account, "
            "please try again in a few minutes or pick a model with more capacity available")
    corpus.error_event(3, message=said, times=None)
    out = ask("--strategy", "consensus")
    notice = out["notice"]
    assert notice.startswith("The language models are unavailable; these are quoted passages "
                             "(No model gave a whole answer. ")
    reasons = dict(part.split(": ", 1) for part in notice.split(
        "No model gave a whole answer. ", 1)[1].removesuffix(").").split("; "))
    assert set(reasons) == {PRIMARY, FALLBACK, FP8}, notice
    for model, reason in reasons.items():
        assert reason.startswith(f"answer interrupted: Workers AI is out of capacity for {model} ")
        assert reason.endswith("...")  # cut, at a word
        assert reason.removesuffix("...").split()[-1] in said.replace(",", "").split()


# --- with the extractive answerer ------------------------------------------------------------


@pytest.mark.parametrize("strategy, needs", [("progressive", "progressive answers need"),
                                             ("consensus", "consensus needs")])
@pytest.mark.slow
def test_a_strategy_asked_of_the_extractive_answerer_is_said_to_need_a_language_model(
        env, tmp_path: Path, strategy: str, needs: str) -> None:
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    first, again = ask("--strategy", strategy), ask("--strategy", strategy)
    for out in (first, again):  # the replayed answer says so too
        assert out["generator"] == "extractive" and KETTLE in out["answer"]
        assert out["strategy"] is None and not out["degraded"]
        assert out["notice"].startswith(f"Answered by quoting passages: {needs} a language "
                                        "model (RAG_GENERATOR), and this server's answerer is "
                                        "extractive. Extractive answer: ")
    assert again["cached"]
    assert ask("--strategy", "single")["notice"].startswith("Extractive answer: ")


# --- on an OpenAI-compatible server ----------------------------------------------------------


@pytest.fixture
def openai_corpus(env, standin: StandIn, monkeypatch: pytest.MonkeyPatch,
                  tmp_path: Path) -> StandIn:
    """Answers by the stand-in's plain `/v1` (an Ollama serving llama3.1), no answer cache."""
    for name, value in {"RAG_GENERATOR": "openai", "OPENAI_BASE_URL": f"{standin.url}/v1",
                        "RAG_CACHE": "false"}.items():
        monkeypatch.setenv(name, value)
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    standin.reset()
    return standin


@pytest.mark.parametrize("strategy", ["progressive", "consensus"])
def test_an_openai_server_is_not_asked_for_the_default_workers_ai_models(
        openai_corpus: StandIn, strategy: str) -> None:
    out = ask("--strategy", strategy)
    assert [r.model for r in openai_corpus.requests_to("openai")] == ["llama3.1"]
    assert out["model"] == "llama3.1" and KETTLE in out["answer"]
    assert out["strategy"] is None and not out["degraded"]  # answered as `single`, and said
    variable = {"progressive": "RAG_PROGRESSIVE_MODEL", "consensus": "RAG_CONSENSUS_MODELS"}
    assert out["notice"].startswith(f"Answered by one model: {strategy} ")
    assert variable[strategy] in out["notice"]


def test_a_cached_answer_still_says_its_strategy_had_no_models(
        openai_corpus: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_CACHE", "true")
    first, again = ask("--strategy", "consensus"), ask("--strategy", "consensus")
    assert not first["cached"] and again["cached"]
    assert again["notice"].startswith("Answered by one model: consensus ")


def test_consensus_on_an_openai_server_asks_the_models_named_for_it(
        openai_corpus: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(OPENAI_TEXT_MODELS, "qwen2.5", 32_768)
    monkeypatch.setenv("RAG_CONSENSUS_MODELS", "llama3.1,qwen2.5")
    out = ask("--strategy", "consensus")
    assert sorted(r.model for r in openai_corpus.requests_to("openai")) == ["llama3.1",
                                                                             "qwen2.5"]
    assert out["strategy"]["name"] == "consensus"


def test_agreement_scores(embedder) -> None:
    same = 'According to the documents, "Descale the kettle every month." [1]'
    other = 'According to the documents, "Inflate the tyres to 4 bar before every ride." [2]'
    scores = agreement([same, same, other], 3, embedder)
    assert scores[0] == scores[1] > scores[2]
    assert agreement([same], 3, embedder) == []


# --- parallel requests -----------------------------------------------------------------------


def test_enrich_adds_a_searchable_summary_and_keywords(env, standin: StandIn, monkeypatch,
                                                       tmp_path: Path) -> None:
    use_workers_ai(monkeypatch, standin, embedder=False, RAG_ENRICH="true")
    assert run("ingest", str(small_corpus(tmp_path / "docs"))).exit_code == 0
    described = [r for r in chat_requests(standin) if "'Keywords: '" in
                 r.body["messages"][0]["content"]]
    assert len(described) == 2  # one call per document
    listed = {Path(d["source"]).name: d for d in
              json.loads(run("docs", "list", "--json").stdout)["documents"]}
    assert listed["kettle.md"]["chunks"] == 2  # its one chunk, and its summary
    from rag.engine.workspace import Workspace
    from rag.service import build_service
    from rag.settings import load_settings

    workspace = Workspace(build_service(load_settings()))
    try:
        rows = {row.name: row for row in workspace.document_rows()}
    finally:
        workspace.close()
    assert "Descale the kettle every month" in rows["kettle.md"].summary
    assert "kettle" in rows["kettle.md"].keywords
    hits = json.loads(run("search", "keywords descale immerse", "--json", "--mode", "sparse")
                      .stdout)["hits"]
    assert hits[0]["text"].startswith("Summary: ") and hits[0]["source"].endswith("kettle.md")


@pytest.mark.parametrize("fault", ["cut", "limit"])
def test_a_description_cut_short_is_no_summary(env, standin: StandIn, monkeypatch,
                                               tmp_path: Path, fault: str) -> None:
    """Interrupted, or stopped at the token limit, the reply is half a summary: the document
    is stored without one and the ingest says why, rather than searching the fragment."""
    limit = {"RAG_AI_MAX_TOKENS": "16"} if fault == "limit" else {}
    use_workers_ai(monkeypatch, standin, embedder=False, RAG_ENRICH="true",
                   RAG_WORKERS_AI_FALLBACK_MODELS="", **limit)
    if fault == "cut":
        standin.cut_stream(after_tokens=3, times=None)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kettle.md").write_text(f"# Kettle manual\n\n{KETTLE}\n")
    result = run("ingest", str(docs))
    assert result.exit_code == 0, result.output
    reason = "answer interrupted" if fault == "cut" else "token limit"
    assert "not enriched:" in result.output and reason in result.output, result.output
    listed = json.loads(run("docs", "list", "--json").stdout)["documents"]
    assert [d["chunks"] for d in listed] == [1]  # its one chunk, no summary
    hits = json.loads(run("search", "Summary", "--json", "--mode", "sparse").stdout)["hits"]
    assert not any(hit["text"].startswith("Summary:") for hit in hits)


def test_a_follow_up_is_rewritten_while_its_sparse_half_is_searched(corpus: StandIn) -> None:
    from rag.service import build_service
    from rag.settings import load_settings

    service = build_service(load_settings())
    try:
        answer = service.ask("And what must never be immersed?", history=[
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": "Every month [1]."}])
        text = answer.text
        charged = service.metrics.summary().neurons_by_kind["chat"]
    finally:
        service.close()
    # the answer's usage tells both calls made for it, as the metrics charged them
    usage = answer.as_json()["usage"]
    assert usage["rewrite_neurons"] > 0 and usage["neurons"] > 0
    assert usage["rewrite_neurons"] + usage["neurons"] == pytest.approx(charged)
    rewrite, chat = chat_requests(corpus)
    assert "Standalone question:" in rewrite.body["messages"][-1]["content"]
    # the stand-in cannot rewrite; the sparse half, searched with the previous question's
    # terms meanwhile, still brings the kettle manual
    assert any(c.source.endswith("kettle.md") for c in answer.citations)
    assert text == streamed_answer(chat)


def test_enrichment_calls_run_in_parallel(tmp_path: Path) -> None:
    """Each call waits for the other at a barrier: run one after the other, both would fail."""
    from ingest.chunking import Chunker
    from ingest.enrich import Enricher
    from ingest.prepare import prepare_document
    from rag.providers.generators.base import Generator
    from rag.text.tokens import TokenCounter
    from rag.types import Document, Page

    barrier = threading.Barrier(2, timeout=10)

    class Describer(Generator):
        name = "scripted"

        def stream(self, request, record):
            barrier.wait()
            yield f"Summary: about {request.question.splitlines()[0]}.\nKeywords: a, b"

    chunker = Chunker(TokenCounter.bundled(), 64, 0, 254)
    docs = [prepare_document(Document(f"d{i}.md", f"id{i}", f"Doc {i}",
                                      [Page(None, f"Text number {i}.")], "text/markdown"),
                             chunker) for i in range(2)]
    out = list(Enricher(Describer(), chunker, concurrency=2).ahead(docs))
    assert [d.fields["summary"] for d in out] == ["about Title: Doc 0.", "about Title: Doc 1."]
    assert [d.chunks[-1].text.splitlines()[1] for d in out] == ["Keywords: a, b"] * 2


def test_a_document_left_unenriched_says_why_and_is_kept_whole(tmp_path: Path) -> None:
    from ingest.chunking import Chunker
    from ingest.enrich import Enricher
    from ingest.prepare import prepare_document
    from rag.errors import TransientAIError
    from rag.providers.generators.base import Generator
    from rag.text.tokens import TokenCounter
    from rag.types import Document, Page

    class Flaky(Generator):
        name = "scripted"

        def stream(self, request, record):
            if "Doc 0" in request.question:
                raise TransientAIError("Workers AI is out of capacity for m")
            yield "I am sorry, I cannot describe this." if "Doc 1" in request.question \
                else "Summary: a document.\nKeywords: a, b"

    chunker = Chunker(TokenCounter.bundled(), 64, 0, 254)
    docs = [prepare_document(Document(f"d{i}.md", f"id{i}", f"Doc {i}",
                                      [Page(None, f"Text number {i}.")], "text/markdown"),
                             chunker) for i in range(3)]
    out = list(Enricher(Flaky(), chunker).ahead(docs))
    assert [len(d.chunks) for d in out] == [1, 1, 2]
    assert [d.document.warnings for d in out] == [
        ("not enriched: Workers AI is out of capacity for m",),
        ("not enriched: the model's reply held no summary or keywords",),
        (),
    ]


def test_enrichment_reads_only_the_start_of_a_long_document() -> None:
    from ingest.enrich import EXCERPT_CHARS, excerpt

    drawn = []

    def pages():
        for number in range(1000):
            drawn.append(number)
            yield f"page {number} " * 200

    start = excerpt(pages())
    assert len(start) == EXCERPT_CHARS and start.startswith("page 0 page 0")
    assert len(drawn) < 10


# --- the chat --------------------------------------------------------------------------------


@pytest.fixture
def chat(corpus: StandIn, monkeypatch: pytest.MonkeyPatch):
    import streamlit as st

    from tests.apptest import open_page

    monkeypatch.setenv("RAG_CONSENSUS_MODELS", json.dumps([PRIMARY, FP8]))
    yield open_page(timeout=60)
    st.cache_resource.clear()


def test_the_chat_asks_with_the_chosen_strategy_and_says_models_disagree(
        chat, corpus: StandIn) -> None:
    corpus.answer_as("contrary", model=FP8)
    chat.sidebar.radio(key="opt_strategy").set_value("consensus").run()
    chat.chat_input[0].set_value(QUESTION).run()
    assert not chat.exception
    assert {r.model for r in chat_requests(corpus)} == {PRIMARY, FP8}
    (warning,) = chat.chat_message[1].warning
    assert warning.value.startswith("Models disagree. Consensus of 2 models: agreement ")
    assert chat.session_state["messages"][-1]["strategy"]["disagree"] is True


def test_an_unexpected_error_in_the_chat_shows_an_error_id(chat, monkeypatch) -> None:
    from rag.answering.answerer import Answerer

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(Answerer, "ask", broken)
    chat.chat_input[0].set_value(QUESTION).run()
    assert not chat.exception  # shown to the user as a message, not a crash
    (error,) = chat.chat_message[1].error
    assert error.value.startswith("Something went wrong on our side (error id ")


def test_a_write_with_no_room_in_the_chat_says_what_to_do(chat, monkeypatch) -> None:
    """A cache's write on a full disk is no bug: the chat says the cause, not an error id."""
    import errno

    from rag.answering.answerer import Answerer

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/data/cache/cache.db")

    monkeypatch.setattr(Answerer, "ask", disk_full)
    chat.chat_input[0].set_value(QUESTION).run()
    assert not chat.exception
    (error,) = chat.chat_message[1].error
    assert error.value.startswith("Could not write to /data/cache/cache.db: no space left on "
                                  "the device. Free some space on its disk")
