"""A question the library does not answer is declined, though its closest passages share most
of its words; one close to it that the library answers is not: a small office library (a
Word policy, an Excel price list) ingested into embedded Qdrant and asked as the app does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.providers.generators.extractive import WEAK_MATCH, hedge
from rag.service import RagService, build_service
from rag.text.measures import currencies_named, writes_currency
from tests.conftest import fresh_settings
from tests.docgen import make_docx, make_xlsx

HANDBOOK = [
    (
        "Holiday policy",
        [
            "Full-time employees receive 25 days of paid holiday per year.",
            "Up to 5 unused holiday days may be carried over into the next year.",
        ],
    ),
    ("Working hours", ["Core hours are 10:00 to 16:00, Monday to Friday."]),
]
PRICES = {
    "Plans": [
        ["Plan", "Monthly price (USD)", "Users included"],
        ["Basic", "$10", "5"],
        ["Premium", "$25", "20"],
    ]
}


@pytest.fixture(scope="module")
def office(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path, embedder
) -> Iterator[RagService]:
    root = tmp_path_factory.mktemp("office")
    (root / "docs").mkdir()
    (root / "docs" / "handbook.docx").write_bytes(make_docx(HANDBOOK, title="Staff handbook"))
    (root / "docs" / "prices.xlsx").write_bytes(make_xlsx(PRICES, title="Price list"))
    service = build_service(
        fresh_settings(root, model_dir, generator="extractive"), embedder=embedder
    )
    service.ingest([root / "docs"])
    yield service
    service.close()


def ask(service: RagService, question: str) -> str:
    return "".join(service.ask(question))


@pytest.mark.slow
def test_a_question_with_a_word_no_passage_holds_needs_a_closer_match(office) -> None:
    """The word "company" is in no passage: the holiday sentence about employees, as like the
    question as it is, answers another question. The same sentence answers the question it
    holds every word of, and is quoted after the warning all the same."""
    declined = ask(office, "How many employees does the company have?")
    assert hedge(declined) == WEAK_MATCH
    assert "25 days of paid holiday" in declined
    answered = ask(office, "How many days of paid holiday do full-time employees get?")
    assert hedge(answered) is None and "25 days of paid holiday" in answered


@pytest.mark.slow
def test_a_currency_no_passage_writes_is_not_answered_by_another(office) -> None:
    """Dollar prices do not answer a question asking for euros; they answer one asking for
    the price, or for it in dollars."""
    assert hedge(ask(office, "How much does the premium plan cost in euros?")) == WEAK_MATCH
    for question in (
        "How much does the premium plan cost?",
        "How many dollars does the premium plan cost?",
    ):
        answer = ask(office, question)
        assert hedge(answer) is None and "$25" in answer, question


def test_a_currency_is_named_by_its_word_and_written_by_its_word_sign_or_code() -> None:
    assert currencies_named("How much is the premium plan in euros?") == ["euro"]
    assert currencies_named("How much does it cost?") == []
    assert currencies_named("How many pounds does it weigh?") == []  # a weight, or sterling
    for written in ("€25", "25 EUR", "25 euros"):
        assert writes_currency(written, "euro"), written
    assert not writes_currency("Monthly price (USD): $25", "euro")
    assert writes_currency("Monthly price (USD): 25", "dollar")
    assert not writes_currency("Europe's neuroscience", "euro")
