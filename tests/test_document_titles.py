"""A question that names a document ("the Apache License", "the R FAQ") is asked of that
document: its title's words hold for every passage of it, so the passage that answers comes
first, not the one repeating the document's name (the sample library, searched and answered
as the app does)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.service import build_service
from tests.conftest import fresh_settings

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory, embedder, model_dir: Path):
    service = build_service(fresh_settings(tmp_path_factory.mktemp("samples"), model_dir),
                            embedder=embedder)
    service.ingest(sorted(SAMPLES.iterdir()))
    yield service
    service.close()


def test_the_license_section_the_question_asks_about_answers(samples) -> None:
    """The license's appendix ("How to apply the Apache License ...") and its title block
    say "Apache License" most often; the section on trademarks answers."""
    question = "What does the Apache License say about trademarks?"
    assert samples.search(question, top_k=5)[0].text.lstrip().startswith("6. Trademarks.")
    answer = "".join(samples.ask(question))
    assert answer.startswith("This License does not grant permission to use the trade names")


def test_the_faq_section_the_question_asks_about_comes_before_its_title_page(samples) -> None:
    """The R FAQ's title page says "R FAQ"; its chapter "R and Emacs" answers."""
    first = samples.search("What does the R FAQ say about Emacs?", top_k=5)[0]
    assert first.title == "R-FAQ" and "6.1 Is there Emacs support for R?" in first.text
