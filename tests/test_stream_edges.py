"""What a server can send that the stand-in never does: an emoji cut between two stream events,
a native answer that spent its whole token budget, terminal escape sequences in an answer, a
ranking that names a passage twice or scores it NaN, vectors pooled otherwise than asked.
A scripted Workers AI server on loopback replays each one over real HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from typer.testing import CliRunner

from rag.cli import quick
from rag.cli.main import app
from rag.errors import PermanentAIError
from rag.providers.embedders.workers_ai import WorkersAIEmbedder
from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.openai import OpenAIGenerator
from rag.providers.generators.workers_ai import WorkersAIGenerator
from rag.providers.rerankers.workers_ai import WorkersAIReranker
from rag.retrieval.rerank import rerank_or_keep
from rag.service import build_service
from rag.settings import Settings
from rag.text.controls import terminal_safe, terminal_safe_pieces
from rag.types import GenerationRecord
from tests.test_engine_doors import served  # noqa: F401 (an engine on loopback)
from tests.workers_ai_server import ACCOUNT, TOKEN, answering, vectors_json

QUESTION = "Where is Mount Etna?"
USAGE = {"prompt_tokens": 300, "completion_tokens": 5, "total_tokens": 305}
VOLCANO = "\U0001f30b"
# OSC 0 (window title), OSC 52 (clipboard write), OSC 8 (a link), CSI colours, a bell
ESCAPES = ("Etna \x1b]0;pwned\x07\x1b]52;c;ZWNobyBoaQ==\x07\x1b]8;;http://x.test\x1b\\link"
           "\x1b]8;;\x1b\\ \x1b[31mRED\x1b[0m\x07 is in Sicily [1].")


@dataclass
class Wire:
    """Workers AI as the test scripts it: chat events replayed, a ranking replayed,
    embeddings computed (pooled as asked, unless `pooling` claims another)."""

    url: str = ""
    events: list[str] = field(default_factory=list)
    ranking: Any = None
    pooling: str | None = None
    chats: int = 0

    def stream(self, events: list[Any]) -> None:
        self.events = [e if isinstance(e, str) else json.dumps(e) for e in events]

    async def handle(self, request: Request) -> Response:
        body = await request.json()
        if "text" in body:
            return self._embeddings(body)
        if "contexts" in body:
            return JSONResponse({"result": {"response": self.ranking}, "success": True,
                                 "errors": [], "messages": []})
        self.chats += 1
        events = list(self.events)

        async def sent() -> AsyncIterator[bytes]:
            for event in events:
                yield f"data: {event}\n\n".encode()

        return StreamingResponse(sent(), media_type="text/event-stream")

    def _embeddings(self, body: dict[str, Any]) -> Response:
        texts, asked = body["text"], body.get("pooling", "mean")
        result = {"shape": [len(texts), 768], "data": "@DATA@",
                  "pooling": self.pooling or asked}
        payload = json.dumps({"result": result, "success": True, "errors": [], "messages": []})
        return Response(payload.replace('"@DATA@"', vectors_json(texts, 768, asked)),
                        media_type="application/json")


@pytest.fixture(scope="module")
def wire_server() -> Iterator[Wire]:
    wire = Wire()
    with answering(wire.handle) as wire.url:
        yield wire


@pytest.fixture
def wire(wire_server: Wire) -> Wire:
    wire_server.stream([])
    wire_server.ranking, wire_server.pooling, wire_server.chats = None, None, 0
    return wire_server


@pytest.fixture
def settings(ai_settings: Settings, wire: Wire) -> Settings:
    return ai_settings.model_copy(update={
        "cloudflare_base_url": f"{wire.url}/client/v4", "openai_base_url": f"{wire.url}/v1",
        "generator": "workers-ai", "embedder": "workers-ai"})


def native(text: str) -> dict[str, Any]:
    return {"response": text}


def openai_style(text: str) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


def ended(shape: Any) -> list[Any]:
    """The events that end an answer in `shape`'s provider."""
    if shape is native:
        return [{"response": "", "usage": USAGE}, "[DONE]"]
    return [{"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, "[DONE]"]


def generated(settings: Settings, shape: Any, passages) -> tuple[list[str], GenerationRecord]:
    record = GenerationRecord()
    make = WorkersAIGenerator if shape is native else OpenAIGenerator
    with closing(make.from_settings(settings)) as generator:
        deltas = list(generator.stream(GenerationRequest(QUESTION, passages), record))
    return deltas, record


def encodable(deltas: list[str]) -> bool:
    try:
        for delta in deltas:
            delta.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- a surrogate pair cut between two events


@pytest.mark.parametrize("shape", [native, openai_style], ids=["workers-ai", "openai"])
def test_a_surrogate_pair_cut_between_events_is_joined(settings, wire, passages, shape):
    wire.stream([shape("Etna \ud83c"), shape("\udf0b is in Sicily [1]."), *ended(shape)])
    deltas, record = generated(settings, shape, passages)
    assert "".join(deltas) == f"Etna {VOLCANO} is in Sicily [1]."
    assert encodable(deltas) and record.notice is None


@pytest.mark.parametrize("shape", [native, openai_style], ids=["workers-ai", "openai"])
@pytest.mark.parametrize(("halves", "shown"), [
    (["Etna \ud83c"], "Etna \ufffd"),  # the stream ends before its pair
    (["Etna \ud83c", " is [1]."], "Etna \ufffd is [1]."),  # a character follows instead
    (["Etna \udf0b is [1]."], "Etna \ufffd is [1]."),  # a low half with no high one
    (["\ud83c"], "\ufffd"),  # the whole answer
], ids=["at-the-end", "then-a-character", "low-half-alone", "alone"])
def test_a_surrogate_left_unpaired_becomes_the_replacement_character(
        settings, wire, passages, shape, halves, shown):
    wire.stream([*map(shape, halves), *ended(shape)])
    deltas, _ = generated(settings, shape, passages)
    assert "".join(deltas) == shown and encodable(deltas)


# -- a native answer that spent its whole token budget


def test_a_native_answer_that_spent_its_budget_says_it_was_cut(settings, wire, passages):
    cut = {"prompt_tokens": 300, "completion_tokens": 64, "total_tokens": 364}
    wire.stream([native("Mount Etna [1] is on the east coast of Sicily, and its summit has"),
                 {"response": "", "usage": cut}, "[DONE]"])
    deltas, record = generated(settings.model_copy(update={"ai_max_tokens": 64}), native,
                               passages)
    assert "".join(deltas).endswith("its summit has")
    assert record.notice == "answer cut at the token limit (64 tokens, RAG_AI_MAX_TOKENS)"
    wire.stream([native("Mount Etna is in Sicily [1]."), {"response": "", "usage": USAGE},
                 "[DONE]"])
    assert generated(settings, native, passages)[1].notice is None  # under the budget


def test_a_native_answer_cut_at_its_budget_is_not_cached(settings, wire, tmp_path):
    (tmp_path / "etna.md").write_text("# Etna\n\nMount Etna is a volcano in Sicily.")
    settings = settings.model_copy(update={"ai_max_tokens": 8, "cache": True})
    cut = {"prompt_tokens": 300, "completion_tokens": 8, "total_tokens": 308}
    wire.stream([native("Mount Etna [1] is on the east"), {"response": "", "usage": cut},
                 "[DONE]"])
    with closing(build_service(settings)) as service:
        assert service.ingest([tmp_path / "etna.md"]).totals()["ingested"] == 1
        answers = [service.ask(QUESTION) for _ in range(2)]
        for answer in answers:
            answer.text  # read to its end: only then could it be cached  # noqa: B018
    assert "token limit" in (answers[0].record.notice or "")
    assert not answers[1].cached and wire.chats == 2


# -- terminal escape sequences in an answer


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """`rag` on the scripted server, with one document ingested."""
    env = {"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_GENERATOR": "workers-ai",
           "RAG_EMBEDDER": "workers-ai", "RAG_CACHE": "false",
           "CLOUDFLARE_ACCOUNT_ID": ACCOUNT, "CLOUDFLARE_API_TOKEN": TOKEN,
           "CLOUDFLARE_BASE_URL": settings.cloudflare_base_url,
           "RAG_AI_BACKOFF_BASE_SECONDS": "0.01", "RAG_AI_BACKOFF_MAX_SECONDS": "0.05"}
    (tmp_path / "etna.md").write_text("# Etna\n\nMount Etna is a volcano in Sicily.")
    ingested = CliRunner().invoke(app, ["ingest", str(tmp_path / "etna.md")], env=env)
    assert ingested.exit_code == 0, ingested.output
    return env


def rag_ask(env: dict[str, str], *options: str) -> str:
    result = CliRunner().invoke(app, ["ask", QUESTION, *options], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_escape_sequences_in_an_answer_never_reach_the_terminal(cli_env, wire):
    wire.stream([native(ESCAPES), native("\n\tnext\x9b2J\x85\r\n"),
                 {"response": "", "usage": USAGE}, "[DONE]"])
    answer = rag_ask(cli_env).split("\nSources:")[0]
    assert "\x1b" not in answer and "\x07" not in answer and "\x9b" not in answer
    assert "pwned" not in answer and "ZWNobyBoaQ" not in answer
    assert answer.startswith("Etna link RED\\x07 is in Sicily [1].\n\tnext\\x85\n")


def test_an_escape_sequence_cut_between_pieces_is_removed_as_if_whole() -> None:
    """However an answer's text is cut into pieces (a token each, a "[" the citation check
    holds back), `rag ask` prints what it would print of the whole text."""
    text = ESCAPES + " \x9b2J\r\n\tnext \x1b[1"
    for cut in range(len(text) + 1):
        pieces = [text[:cut], text[cut:]]
        assert "".join(terminal_safe_pieces(pieces)) == terminal_safe(text), cut
    assert "".join(terminal_safe_pieces(text)) == terminal_safe(text)  # a character a piece


def test_an_escape_sequence_that_never_ends_does_not_hold_back_the_answer() -> None:
    """An OSC that no end follows is no title or link: past a point, its text is shown (its
    ESC escaped) as it comes, rather than the rest of the answer held back for it."""
    title = "\x1b]0;" + "t" * 600
    first = next(terminal_safe_pieces(iter([f"Etna {title}", " is in Sicily [1]."])))
    assert first == "Etna \\x1b]0;" + "t" * 600


def test_json_output_escapes_every_control_character(cli_env, wire):
    wire.stream([native("Etna \x1b]0;pwned\x07 \x9b2J\x7f[1]."),
                 {"response": "", "usage": USAGE}, "[DONE]"])
    printed = rag_ask(cli_env, "--json")
    assert not any(ch in printed for ch in "\x1b\x07\x9b\x7f")
    assert json.loads(printed)["answer"] == "Etna \x1b]0;pwned\x07 \x9b2J\x7f[1]."


def test_a_cut_surrogate_pair_prints_as_its_character(cli_env, wire):
    wire.stream([native("Etna \ud83c"), native("\udf0b is in Sicily [1]."),
                 {"response": "", "usage": USAGE}, "[DONE]"])
    assert rag_ask(cli_env).startswith(f"Etna {VOLCANO} is in Sicily [1].")
    assert json.loads(rag_ask(cli_env, "--json"))["answer"] == f"Etna {VOLCANO} is in Sicily [1]."


def test_through_a_running_engine_the_answer_is_cleaned_the_same_way(
        served, settings, wire, monkeypatch, capsys):  # noqa: F811 (the fixture imported)
    engine, _ = served(generator="workers-ai", cache=False, cloudflare_account_id=ACCOUNT,
                       cloudflare_api_token=TOKEN,
                       cloudflare_base_url=settings.cloudflare_base_url)
    engine.workspace.service.ingest_bytes("etna.txt", b"Mount Etna is a volcano in Sicily.",
                                          "upload:etna.txt")
    monkeypatch.setenv("RAG_DATA_DIR", str(engine.settings.data_dir))
    wire.stream([native(ESCAPES), native(" \x9b2J\x7f"), {"response": "", "usage": USAGE},
                 "[DONE]"])
    assert quick.answer_quickly(["ask", QUESTION]) == 0
    assert capsys.readouterr().out.startswith("Etna link RED\\x07 is in Sicily [1]. \\x7f\n")
    assert quick.answer_quickly(["ask", QUESTION, "--json"]) == 0
    printed = capsys.readouterr().out
    assert not any(ch in printed for ch in "\x1b\x07\x9b\x7f")
    assert json.loads(printed)["answer"] == ESCAPES + " \x9b2J\x7f"


# -- a ranking that is not one score per passage


def test_a_passage_ranked_twice_is_kept_once_with_its_best_score(settings, wire, passages):
    wire.ranking = [{"id": 1, "score": 0.8}, {"id": 1, "score": 0.9}, {"id": 0, "score": 0.5},
                    {"id": 1, "score": 0.7}]
    with closing(WorkersAIReranker.from_settings(settings)) as reranker:
        ranked = reranker.rerank(QUESTION, passages, top_k=3)
    assert [(hit.chunk_id, hit.score) for hit in ranked] == [("c2", 0.9), ("c1", 0.5)]


@pytest.mark.parametrize("score", ["nan", "inf", "-Infinity", "0.9", True],
                         ids=["nan", "inf", "minus-infinity", "a-string", "a-boolean"])
def test_a_score_that_is_not_a_finite_number_fails_the_reranker(settings, wire, passages,
                                                                   score):
    wire.ranking = [{"id": 0, "score": score}, {"id": 1, "score": 0.5}, {"id": 2, "score": 0.9}]
    with closing(WorkersAIReranker.from_settings(settings)) as reranker:
        with pytest.raises(PermanentAIError, match="malformed ranking"):
            reranker.rerank(QUESTION, passages, top_k=3)
        hits, reranked = rerank_or_keep(reranker, QUESTION, passages, 3)
    assert not reranked and hits == passages  # the fused order, as for any failed call


# -- vectors pooled otherwise than asked


def test_embeddings_pooled_otherwise_than_asked_are_refused(settings, wire):
    wire.pooling = "mean"
    with closing(WorkersAIEmbedder.from_settings(settings)) as embedder, \
            pytest.raises(PermanentAIError) as raised:
        embedder.embed_batch(["Mount Etna is a volcano."])
    message = str(raised.value)
    assert "malformed embeddings" in message and "'mean'" in message and "'cls'" in message
    wire.pooling = None
    with closing(WorkersAIEmbedder.from_settings(settings)) as embedder:  # as asked: kept
        assert embedder.embed_batch(["Mount Etna is a volcano."]).shape == (1, 768)
