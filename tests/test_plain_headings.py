"""Unnumbered headings in plain text and in a PDF drawn in one size: a short line standing
alone above a sentence is a piece of its own, not the opening of that sentence ("Admission
Entry to the museum costs 7 pounds."); wrapped prose, lists and a form's fields are not cut."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.service import RagService
from rag.text.sentences import sentences
from tests.pdfgen import make_pdf

MUSEUM = ("Museum guide\n\nOpening hours\nThe Stenness museum opens at 10:00 on weekdays.\n"
          "Admission\nEntry to the Stenness museum costs 7 pounds.\n")
FERRY = [
    "Orkney Ferry Handbook\nThe Stromness ferry departs at 09:15 every weekday.\n"
    "Tickets cost 18 pounds for adults.",
    "Section 2: Harbour\nThe harbour master at Kirkwall is Elspeth Moar.\n"
    "She keeps the harbour log in the tide office.",
    "Section 3: Lighthouses\nThe Brough of Birsay lighthouse was built in 1925.\n"
    "Its light flashes three times every twenty five seconds.",
]


@pytest.mark.parametrize(("text", "expected"), [
    (MUSEUM, ["Museum guide", "Opening hours",
              "The Stenness museum opens at 10:00 on weekdays.", "Admission",
              "Entry to the Stenness museum costs 7 pounds."]),
    (FERRY[2], ["Section 3: Lighthouses", "The Brough of Birsay lighthouse was built in 1925.",
                "Its light flashes three times every twenty five seconds."]),
    # a document's title right above its first section's heading
    ("Museum guide\nOpening hours\nThe Stenness museum opens at 10:00 on weekdays.",
     ["Museum guide", "Opening hours", "The Stenness museum opens at 10:00 on weekdays."]),
    # the sentence under the heading wrapped over two lines near the text's width
    ("Opening hours\nThe Stenness museum opens at 10:00 on weekdays and at noon on\n"
     "Sundays, except in the winter months.",
     ["Opening hours", "The Stenness museum opens at 10:00 on weekdays and at noon on "
                       "Sundays, except in the winter months."]),
])
def test_a_short_line_above_a_sentence_is_a_piece_of_its_own(
        text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize("text", [
    # prose wrapped before a word that would not fit on its line, or on a word going on
    "The museum holds many objects from the neolithic period and from later.\nThe director is\n"
    "John Smith, who founded it in 1990.",
    "She lived in a small house by the sea for many years, as her parents did.\n"
    "Later she moved to\nEdinburgh where she lived.",
    "The ferry left Stromness in the early morning and crossed the firth in an hour.\n"
    "It was met by the\nHarbour Master of Kirkwall himself.",
    # a line going on in lower case
    "Opening hours\nare from 10:00 on weekdays.",
])
def test_wrapped_prose_stays_one_sentence(text: str) -> None:
    *_, wrapped, rest = text.splitlines()
    assert sentences(text)[-1].endswith(f"{wrapped} {rest}")


@pytest.mark.parametrize("text", [
    # a form's fields, a list without bullets after a colon, a table's columns
    "Please fill in the form and return it.\nName: Jane Doe\nDate: 3 March\n"
    "The form must reach us by Friday.",
    "You will need these for the walk:\nWarm clothes\nWalking boots\nA map of the island.",
    "Prices are listed below.\nAdults  7 pounds\nChildren  3 pounds\nEntry is free on Sundays.",
    # code-like lines, and a reference's terms above their descriptions
    "Set it as follows.\nx = read_csv(path)\nThe file is read at once.",
    "The options are these.\nInitialStep: positive scalar\nInitial time step size of the solver.",
    "Keys move the cursor.\nBACKSPACE\nDelete the character to the left of the cursor.",
    "The warnings are these.\nOctave:empty-index\nIf the warning is enabled, Octave warns.",
    # a list of names, an initial's stop inside them
    "Many people helped (listed alphabetically).\nBen Abbott Drew Abbot NVS Abhilash\n"
    "Andy Adler Adam H. Aitkenhead Joakim Andén",
])
def test_lists_forms_tables_and_code_are_not_cut_into_headings(text: str) -> None:
    lines = text.splitlines()
    assert not any(sentence in lines[1:-1] for sentence in sentences(text))


def test_numbered_headings_are_still_told_by_their_number() -> None:
    assert sentences("2.8 Citing R\nTo cite R in publications, use citation().") == [
        "2.8 Citing R", "To cite R in publications, use citation()."]


def test_the_answer_from_a_text_file_quotes_the_sentence_without_its_heading(
        service: RagService, tmp_path: Path) -> None:
    path = tmp_path / "museum.txt"
    path.write_text(MUSEUM, encoding="utf-8")
    service.ingest([path])
    answer = "".join(service.ask("How much does entry to the Stenness museum cost?"))
    assert answer.startswith("Entry to the Stenness museum costs 7 pounds. [1]")
    assert "Admission" not in answer and "Opening hours" not in answer


def test_the_answer_from_a_pdf_quotes_the_sentence_without_its_heading(
        service: RagService, tmp_path: Path) -> None:
    path = tmp_path / "ferry.pdf"
    path.write_bytes(make_pdf(FERRY))
    service.ingest([path])
    answer = "".join(service.ask("When was the Brough of Birsay lighthouse built?"))
    assert answer.startswith("The Brough of Birsay lighthouse was built in 1925. [1]")
    assert "Lighthouses" not in answer
