"""How a question is counted when its reader leaves early or it has nothing to ask: an answer
closed before its first word, a follow-up stopped while the model rewrites it, and a question
of characters that show nothing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from rag.errors import EmptyQuestion, InputTooLongError, ReaderGone
from rag.service import RagService
from tests.test_followup_limits import chats, is_rewrite, long_history, model_service  # noqa: F401
from tests.workers_ai_server import StandIn

TOMATOES = "Tomatoes need at least eight hours of direct sunlight each day."


@pytest.fixture
def library(service: RagService, tmp_path: Path) -> RagService:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "greenhouse.md").write_text(f"# Greenhouse\n\n{TOMATOES}\n")
    service.ingest([folder])
    return service


def test_an_answer_closed_before_its_first_word_is_counted_as_stopped(library) -> None:
    answer = library.ask("How much sunlight do tomatoes need?")
    answer.close()  # the stop button, or a closed tab, before anything was drawn
    summary = library.metrics.summary()
    assert (summary.requests, summary.stopped, summary.errors) == (1, 1, 0)
    answer.close()  # a second close counts nothing more
    assert library.metrics.summary().requests == 1


@pytest.mark.parametrize("question", ["\u200b\u200b\u200b", "\u2060", "\u202e", "\ufeff \u200b"])
def test_a_question_that_shows_nothing_is_refused_and_not_counted(library, question) -> None:
    with pytest.raises(EmptyQuestion, match="The question is empty"):
        library.ask(question)
    assert library.metrics.summary().requests == 0


def test_a_question_too_long_for_the_models_window_is_refused_and_not_counted(
        model_service: RagService, standin: StandIn) -> None:  # noqa: F811
    """Refused by `ask` itself, as a question over 20,000 characters is, not by its answer's
    stream: a failed answer in no figure, and no model asked."""
    question = "How much does the Fernwood trowel cost? " * 450
    assert len(question) < 20_000
    with pytest.raises(InputTooLongError, match="4096-token context window of llama3.1"):
        model_service.ask(question)
    assert model_service.metrics.summary().requests == 0
    assert chats(standin) == []


def test_a_follow_up_stopped_while_the_model_rewrites_it_asks_nothing_more(
        model_service: RagService, standin: StandIn) -> None:  # noqa: F811
    hold = standin.hold_after_first_token()  # the rewrite's stream, the first call
    reader_gone = threading.Event()
    outcome: list[BaseException | None] = []

    def ask() -> None:
        try:
            model_service.ask("What about its price?", history=long_history(600),
                              reader_gone=reader_gone)
            outcome.append(None)
        except BaseException as exc:  # ReaderGone is one
            outcome.append(exc)

    asking = threading.Thread(target=ask)
    asking.start()
    deadline = time.monotonic() + 20
    while standin.hold_state != "holding" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert standin.hold_state == "holding"
    reader_gone.set()  # the stop button
    hold.set()
    asking.join(timeout=20)
    assert len(outcome) == 1 and isinstance(outcome[0], ReaderGone)
    assert [is_rewrite(messages) for messages in chats(standin)] == [True]  # no answer asked
    summary = model_service.metrics.summary()
    assert (summary.requests, summary.stopped, summary.errors) == (1, 1, 0)


@pytest.mark.parametrize(("question", "mentioned"), [
    ("xyzzy " * 400, "Your documents do not mention “xyzzy”. "),
    ("What is " + "the " * 400 + "?", ""),
], ids=["unknown words", "common words"])
def test_a_long_question_no_word_of_which_is_found_is_not_told_to_ingest(
        library, question, mentioned) -> None:
    """Too long to embed, it is searched by its words only: none found is no empty
    library."""
    answer = library.ask(question)
    assert answer.text == (
        f"{mentioned}The question was searched by its words only, and no passage of your "
        "documents holds any of them: shorten the question to what you want to know, so that "
        "it is searched by its meaning.")
    assert answer.degraded == ["sparse_search"] and "matched words only" in answer.notice


def test_an_empty_library_is_told_to_ingest(service) -> None:
    answer = service.ask("xyzzy " * 400)
    assert "Ingest documents first" in answer.text
