"""Follow-ups against a model through the stand-in: a long conversation never makes a question
fail, a refusal is not searched for, and a replayed answer reports its own question's query."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from starlette.applications import Starlette

from rag.answering.followup import REWRITE_INSTRUCTIONS, rewords, standalone_question
from rag.engine.api.app import create_api, mounted
from rag.engine.engine import Engine
from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.openai import OpenAIGenerator
from rag.service import RagService, build_service
from rag.settings import Settings
from rag.types import GenerationRecord
from tests.conftest import fresh_settings
from tests.workers_ai_server import StandIn

PRICE = "The Fernwood trowel costs 12 euros at the garden centre."
STEEL = "The Fernwood trowel is made of stainless steel with an ash handle."
ARCHIVE = "To find documents in the archive, search the catalogue and ask the desk to fetch them."


def long_history(chars: int = 3_500) -> list[dict[str, str]]:
    """Three questions about the trowel, each answered at length."""
    history: list[dict[str, str]] = []
    for question in ("Tell me about the Fernwood trowel", "What is its handle made of?",
                     "How should I clean it?"):
        answer = ("The Fernwood trowel is a sturdy garden tool with a steel blade [1]. "
                  * (chars // 60 + 1))[:chars].strip()
        history += [{"role": "user", "content": question},
                    {"role": "assistant", "content": answer}]
    return history


def model_settings(tmp_path: Path, model_dir: Path, standin: StandIn, **values: object
                   ) -> Settings:
    """An OpenAI-compatible server whose model is not in the catalogue: the 4,096-token
    default window."""
    return fresh_settings(tmp_path, model_dir, generator="openai",
                          openai_base_url=f"{standin.url}/v1", ai_max_attempts=1, **values)


def trowel_docs(folder: Path) -> Path:
    folder.mkdir()
    (folder / "price-list.md").write_text(f"# Price list\n\n{PRICE}\n")
    (folder / "trowel.md").write_text(f"# Fernwood trowel\n\n{STEEL}\n")
    (folder / "archive.md").write_text(f"# Archive\n\n{ARCHIVE}\n")
    return folder


@pytest.fixture
def model_service(tmp_path: Path, model_dir: Path, embedder, standin: StandIn
                  ) -> Iterator[RagService]:
    svc = build_service(model_settings(tmp_path, model_dir, standin, cache=False),
                        embedder=embedder)
    svc.ingest([trowel_docs(tmp_path / "docs")])
    standin.reset()
    yield svc
    svc.close()


def chats(standin: StandIn) -> list[list[dict[str, str]]]:
    return [r.body["messages"] for r in standin.requests if r.path == "/v1/chat/completions"]


def is_rewrite(messages: list[dict[str, str]]) -> bool:
    return messages[0]["content"] == REWRITE_INSTRUCTIONS


@pytest.mark.parametrize("question", ["What about its price?",
                                      "How much does the Fernwood trowel cost?"])
def test_a_long_conversation_does_not_make_a_question_fail(model_service, standin, question):
    answer = model_service.ask(question, history=long_history())
    assert PRICE.split(" at ")[0] in answer.text and not answer.degraded
    asked = chats(standin)
    answered = [m for m in asked if not is_rewrite(m)]
    assert len(answered) == 1
    # the answer's prompt dropped the oldest turns and kept the newest
    assert 1 <= len(answered[0]) - 2 < len(long_history())
    assert answered[0][-2] == long_history()[-1]


def test_the_rewrite_keeps_the_newest_turns_within_the_window(standin: StandIn, tmp_path: Path,
                                                              model_dir: Path):
    settings = model_settings(tmp_path, model_dir, standin, ai_context_window=1_024,
                              ai_max_tokens=256)
    generator = OpenAIGenerator.from_settings(settings)
    try:
        history = long_history(20_000)
        # the stand-in's reply to a rewrite ("I could not find this...") is set aside
        query = standalone_question("What about its price?", history, generator,
                                    GenerationRecord())
    finally:
        generator.close()
    assert query.startswith("What about its price? (")
    (rewrite,) = chats(standin)
    sent = rewrite[-1]["content"]
    assert "user: How should I clean it?\nassistant: The Fernwood trowel is a sturdy" in sent
    assert "…\n\nLast question: What about its price?" in sent  # the answers shortened
    assert len(sent) < 4_000


def test_a_question_whose_rewrite_cannot_fit_carries_the_terms(standin: StandIn, tmp_path: Path,
                                                               model_dir: Path):
    settings = model_settings(tmp_path, model_dir, standin, ai_context_window=512,
                              ai_max_tokens=190)
    generator = OpenAIGenerator.from_settings(settings)
    try:
        question = "And what about its price " + "and its weight " * 60 + "?"
        query = standalone_question(question, long_history(), generator, GenerationRecord())
    finally:
        generator.close()
    # no model could be called
    assert query.startswith(f"{question} (") and query.endswith("How should I clean it?)")
    assert chats(standin) == []


def test_the_api_answers_a_follow_up_after_a_long_conversation(
        tmp_path: Path, model_dir: Path, embedder, standin: StandIn):
    engine = Engine.open(model_settings(tmp_path, model_dir, standin), embedder=embedder)
    try:
        engine.workspace.service.ingest([trowel_docs(tmp_path / "docs")])
        transport = httpx.ASGITransport(app=Starlette(routes=[mounted(create_api(engine))]),
                                        client=("127.0.0.1", 40000))

        async def ask() -> httpx.Response:
            async with httpx.AsyncClient(transport=transport,
                                         base_url="http://localhost/api/v1") as client:
                return await client.post("/ask", json={
                    "question": "What about its price?", "history": long_history()})

        response = anyio.run(ask)
    finally:
        engine.close()
    assert response.status_code == 200, response.text
    assert "12 euros" in response.text


def test_a_refusal_is_not_searched_for(model_service, standin):
    history = [{"role": "user", "content": "Tell me about the Fernwood trowel"},
               {"role": "assistant", "content": "It is made of stainless steel [1]"}]
    answer = model_service.ask("Can you find its price in the documents?", history=history)
    list(answer)
    (rewrite, _) = chats(standin)
    assert is_rewrite(rewrite)  # the stand-in refused to rewrite: "I could not find this..."
    assert answer.query == ("Can you find its price in the documents? "
                            "(Tell me about the Fernwood trowel)")
    assert answer.citations[0].source.endswith("price-list.md")  # the best passage


TROWEL = [{"role": "user", "content": "Tell me about the Fernwood trowel"},
          {"role": "assistant", "content": "It is made of stainless steel [1]"}]


@pytest.mark.parametrize(("reply", "kept"), [
    ("Can you find the price of the Fernwood trowel in the documents?", True),
    ("What is the price of the Fernwood trowel?", True),
    ("Fernwood trowel price", False),  # neither a question nor a request
    ("Find the price of the Fernwood trowel.", True),
    ("The Fernwood trowel costs 20 dollars.", False),
    ("I could not find its price in the documents. Could you say which trowel you mean?",
     False),
    ("Sorry, which trowel do you mean?", False),
    ("Yes, the documents list its price. Anything else?", False),
    ("I could not find this in the documents.", False),
    ("I'm sorry, the documents do not mention its price.", False),
    ("According to the documents, the trowel costs 12 euros [1].", False),
    ("According to the documents, the trowel costs 12 euros.", False),
    ("What does the Fernwood trowel cost [1]?", False),  # a question cites nothing
])
def test_a_refusal_or_an_answer_is_no_rewrite(reply: str, kept: bool):
    assert rewords(reply, "Can you find its price in the documents?", TROWEL) is kept


PLAN = [{"role": "user", "content": "Tell me about the Acme Pro plan"},
        {"role": "assistant", "content": "It includes 20 GB of data [1]."}]


@pytest.mark.parametrize(("question", "reply"), [
    ("How much does it cost?", "What is the price of the Acme Pro plan?"),
    ("Can you elaborate?", "Explain the Acme Pro plan in more detail."),
    ("When did it come out?", "When was the Acme Pro plan introduced?"),
    ("What's in it?", "What does the Acme Pro plan include?"),
    ("Which ones don't include roaming?", "Which Acme plans do not include international "
                                          "roaming?"),
    ("Which ones don't include roaming?", "Tell me which Acme plans do not include roaming."),
    ("and the notice period?", "According to the contract, what is the notice period of "
                               "the Acme Pro plan?"),
])
def test_a_rewrite_may_paraphrase_the_follow_up(question: str, reply: str):
    assert rewords(reply, question, PLAN)


@pytest.fixture
def cached_service(tmp_path: Path, model_dir: Path, embedder) -> Iterator[RagService]:
    svc = build_service(fresh_settings(tmp_path, model_dir, cache=True,
                                       cache_ttl_seconds=3600), embedder=embedder)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tower.md").write_text("# The tower\n\nThe tower was built in 1887 of iron.")
    svc.ingest([folder])
    yield svc
    svc.close()


def test_a_replayed_answer_reports_its_own_query(cached_service):
    first = cached_service.ask("  when was  the tower   built? ")
    list(first)
    second = cached_service.ask("when was the tower built?")
    assert second.cached and second.text == first.text
    assert second.query == "when was the tower built?"


@pytest.mark.parametrize("window, max_tokens", [(512, 400), (None, 8_192)])
def test_an_answer_budget_that_leaves_no_room_is_refused_at_start(
        standin: StandIn, tmp_path: Path, model_dir: Path, window: int | None,
        max_tokens: int) -> None:
    from rag.errors import ConfigError

    settings = model_settings(tmp_path, model_dir, standin, ai_context_window=window,
                              ai_max_tokens=max_tokens)
    with pytest.raises(ConfigError) as refused:
        OpenAIGenerator.from_settings(settings)
    said = str(refused.value)
    shown = window or 4_096
    assert said.startswith(f"RAG_AI_MAX_TOKENS ({max_tokens}) leaves no room in the "
                           f"{shown}-token context window of llama3.1")
    allowed = int(re.search(r"at most (\d+)", said).group(1))
    generator = OpenAIGenerator.from_settings(model_settings(  # the figure it gives is enough:
        tmp_path, model_dir, standin, ai_context_window=window, ai_max_tokens=allowed))
    try:  # a short question is asked of the model with it
        "".join(generator.stream(GenerationRequest("Who?", []), GenerationRecord()))
    finally:
        generator.close()
    assert len(chats(standin)) == 1
