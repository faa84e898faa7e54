"""An offline answer to a question naming one thing by its code ("depot Gannet05") quotes the
passages writing that code: other documents' sentences of the same pattern are about other
things of its kind, and would give the reader a second answer (ingested and answered as the
app does)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.service import RagService


def _depot_memos(folder: Path) -> Path:
    """Six memos of one pattern, each naming its depot and, without naming the depot again,
    its manager."""
    folder.mkdir()
    for n in range(1, 7):
        (folder / f"depot0{n}.txt").write_text(
            f"Depot memo {n}\n\nThe depot Gannet0{n} stores {300 + n * 11} pallets of salt. "
            f"The depot manager is Rowan0{n} MacLeod.\n")
    return folder


@pytest.mark.parametrize(("question", "depot", "expected"), [
    ("Who manages depot Gannet05?", 5, "The depot manager is Rowan05 MacLeod."),
    ("How many pallets does depot Gannet02 store?", 2,
     "The depot Gannet02 stores 322 pallets of salt."),
])
def test_an_answer_about_a_coded_thing_quotes_no_other_things_sentences(
        service: RagService, tmp_path: Path, question: str, depot: int, expected: str) -> None:
    service.ingest([_depot_memos(tmp_path / "depots")])
    answer = service.ask(question)
    assert expected in answer.text
    assert re.findall(r"(?:Rowan|Gannet)0(\d)", answer.text) and set(
        re.findall(r"(?:Rowan|Gannet)0(\d)", answer.text)) == {str(depot)}, answer.text
    assert {Path(answer.citations[n - 1].source).name for n in answer.cited} == {
        f"depot0{depot}.txt"}


def test_another_document_writing_the_code_is_still_quoted(
        service: RagService, tmp_path: Path) -> None:
    folder = _depot_memos(tmp_path / "depots")
    (folder / "inspection.txt").write_text(
        "Inspection report\n\nThe inspectors found the salt of depot Gannet05 dry on 3 May. "
        "The inspectors found its pallets stacked too high.\n")
    service.ingest([folder])
    answer = service.ask("What did the inspectors find at depot Gannet05?")
    text = answer.text
    cited = {Path(answer.citations[n - 1].source).name for n in answer.cited}
    assert "inspection.txt" in cited and cited <= {"inspection.txt", "depot05.txt"}, text


def test_a_question_naming_no_code_is_answered_from_several_documents(
        service: RagService, tmp_path: Path) -> None:
    service.ingest([_depot_memos(tmp_path / "depots")])
    answer = service.ask("Which depots store salt?")
    text = answer.text
    assert len(answer.cited) > 1, text
