"""An FAQ asked its own questions, as its readers ask them: the sample R FAQ's answer to each
question comes from the section that asks it, not from its contents pages, a reference to the
section, or a passage that only says "R" more often (bench/faq_headings.py asks all 68)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.providers.generators.extractive import WEAK_MATCH, hedge, not_mentioned
from rag.service import build_service
from tests.conftest import fresh_settings

FAQ = Path(__file__).resolve().parents[1] / "data" / "samples" / "R-FAQ.pdf"


@pytest.fixture(scope="module")
def faq(tmp_path_factory: pytest.TempPathFactory, embedder, model_dir: Path):
    service = build_service(fresh_settings(tmp_path_factory.mktemp("faq"), model_dir),
                            embedder=embedder)
    service.ingest([FAQ])
    yield service
    service.close()


@pytest.mark.parametrize(("question", "page"), [
    ("What is CRAN?", 13),  # a heading line that is the question
    ("Are there Unix-like binaries for R?", 10),  # referred to by title on page 8
    ("Is there Emacs support for R?", 30),  # listed on the end of a contents page
    # asked in other words than the headings' ("What is CRAN?", "Are Trellis displays
    # implemented in R?"): the heading's own vector finds the section
    ("What does CRAN stand for and what is it?", 13),
    ("Does R have Trellis graphics?", 34),
])
def test_the_section_that_asks_answers(faq, question: str, page: int) -> None:
    assert faq.search(question, top_k=5)[0].page == page
    answer = faq.ask(question)
    assert not "".join(answer).startswith(WEAK_MATCH)
    assert answer.citations[0].page in (page, page + 1)


@pytest.mark.parametrize(("question", "said"), [
    ("What is the boiling point of water?", WEAK_MATCH),
    ("How do I bake sourdough bread?", WEAK_MATCH),
    ("How do I install the tidyverse?", not_mentioned(["tidyverse"])),  # the FAQ never does
])
def test_a_question_the_faq_does_not_answer_is_said_so(faq, question: str, said: str) -> None:
    answer = faq.ask(question)
    text = "".join(answer)
    assert hedge(text) == said
    assert re.search(r" \[\d\]", text) and answer.citations  # the closest, cited as ever


def test_what_is_r_is_answered_by_the_sentence_saying_what_r_is(faq) -> None:
    # "r" is in nearly every chunk: only the dense side finds the section, below the fusion's
    # candidates; and the answer's first sentence is the one that says what R is
    answer = faq.ask("What is R?")
    text = "".join(answer)
    assert text.startswith("R is a system for statistical computation and graphics. [")
