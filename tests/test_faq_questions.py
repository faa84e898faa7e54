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


def test_is_r_free_software_quotes_the_licence_without_the_notices_above_it(faq) -> None:
    """The title page's copyright lines ("Copyright ©" drawn by TeX as a circle around a
    "c") are pieces of their own, not run into the licence's first sentence."""
    text = "".join(faq.ask("Is R free software?"))
    assert ("This document is free software; you can redistribute it and/or modify it under "
            "the terms of the GNU General Public License") in text
    assert "©c" not in text and "Team This document" not in text, text


def test_a_name_the_faq_writes_each_word_of_apart_is_said_unmentioned_whole(faq) -> None:
    text = "".join(faq.ask("Who won the 2022 World Cup?"))
    assert hedge(text) == not_mentioned(["World Cup"])


def test_why_numbers_are_unequal_is_said_before_an_example_of_it(faq) -> None:
    """Section 7.31's "Here is another example, this time using addition:" and its session
    match the question's figures best, but say nothing before the sentence explaining."""
    text = "".join(faq.ask("Why does 0.1 + 0.2 not equal 0.3 in R?"))
    explains = text.find("The only numbers that can be represented exactly")
    example = text.find("Here is another example")
    assert explains >= 0 and (example < 0 or explains < example), text
