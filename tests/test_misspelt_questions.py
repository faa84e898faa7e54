"""A question typed with misspelt words is searched and answered as if typed right: a word
the vocabulary does not know, that no passage found writes as asked, is searched again as
the passages write it a letter apart, or else as the library writes the dictionary's word
a letter apart from it (the sample library, searched and answered as the app does)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rag.errors import AIError
from rag.evaluation.metrics import first_citation
from rag.providers.generators.extractive import hedge
from rag.retrieval.retriever import Retriever
from rag.service import RagService, build_service
from tests.conftest import fresh_settings
from ui.chat import message_from

RIGHT = "How do I convert factors to numeric?"
MISSPELT = "how do i convert factrs to numric"
RESPELT = "how do i convert factors to numeric"


@pytest.mark.parametrize("mode", ["sparse", "hybrid"])
def test_a_misspelt_question_is_searched_as_the_library_writes_its_words(
        sample_library, mode: str) -> None:
    """Both sides, and the rescoring, see the question as the library writes it."""
    found = [(hit.chunk_id, hit.score)
             for hit in sample_library.search(MISSPELT, 5, mode=mode)]
    assert found == [(hit.chunk_id, hit.score)
                     for hit in sample_library.search(RESPELT, 5, mode=mode)]


def test_a_misspelt_question_is_answered_from_the_section_that_answers_it(
        sample_library) -> None:
    right = sample_library.search(RIGHT, 5)[0]
    assert "7.10 How do I convert factors to numeric?" in right.text
    assert sample_library.search(MISSPELT, 5)[0].chunk_id == right.chunk_id
    answer = sample_library.ask(MISSPELT)
    text = "".join(answer)
    assert hedge(text) is None  # neither warning: the library writes the words respelt
    number = first_citation(text)
    assert number is not None and answer.citations[number - 1].chunk_id == right.chunk_id


def test_a_respelt_question_whose_vector_cannot_be_made_keeps_the_asked_ones(
        sample_library, embedder) -> None:
    class FailsOnRespelt(type(embedder)):
        def embed_query(self, text: str) -> np.ndarray:
            if text == RESPELT:
                raise AIError("the embedding service is down")
            return super().embed_query(text)

    failing = copy.copy(embedder)
    failing.__class__ = FailsOnRespelt
    found = Retriever(failing, sample_library.store).search(MISSPELT, 5)
    asked_vector = embedder.embed_query(MISSPELT)
    respelt = Retriever(embedder, sample_library.store).retrieve_with(
        RESPELT, asked_vector, 5, "hybrid").hits
    assert [h.chunk_id for h in found] == [h.chunk_id for h in respelt]


def test_an_answer_says_what_was_searched_for_a_misspelt_question(sample_library) -> None:
    """The chat shows "Searched for: ..." and the API's `query` says it, replayed too."""
    asked = "How do I convert factrs to numeric?"  # asked of this module's library once
    first = sample_library.ask(asked)
    first_text = "".join(first)
    again = sample_library.ask(asked)
    again_text = "".join(again)
    assert (first.query, first.cached) == (RIGHT, False)
    assert (again.query, again.cached) == (RIGHT, True) and again_text == first_text
    assert message_from(first, asked, first_text)["searched"] == RIGHT
    right = sample_library.ask(RIGHT)
    assert right.query == RIGHT and message_from(right, RIGHT, "".join(right))["searched"] is None


def test_a_question_whose_sparse_half_ran_apart_is_searched_respelt(sample_library) -> None:
    """A follow-up a model rewrote has its sparse half fetched meanwhile; the hits it finds
    writing the misspelt words a letter apart, it is searched again respelt all the same."""
    retriever = sample_library.retriever
    found = retriever.retrieve(MISSPELT, 5, sparse_side=retriever.sparse_half(MISSPELT, 5))
    assert found.respelt == RESPELT
    assert [h.chunk_id for h in found.hits] == [
        h.chunk_id for h in retriever.search(RESPELT, 5)]


@pytest.mark.parametrize(("asked", "respelt"), [
    ("whats the diffrence between a user and a group",
     "whats the difference between a user and a group"),
    ("how do I read a dataframe", "how do I read a data frame"),
])
def test_a_misspelt_word_no_passage_found_writes_is_searched_as_the_library_writes_it(
        sample_library, asked: str, respelt: str) -> None:
    """The passages the question finds need not write the word it mistyped at all: the
    dictionary's word a letter apart (or two words it joined) that the library holds is
    searched for, and no warning calls the slip unmentioned."""
    found = sample_library.find(asked, 5)
    assert (found.query, found.unheld) == (respelt, ())
    answer = sample_library.ask(asked)
    assert answer.query == respelt and hedge("".join(answer)) is None


def test_a_likely_spelling_only_another_form_of_which_the_library_writes_is_not_searched(
        sample_library) -> None:
    """"Patched" is no "patch": a word is respelt only as a passage writes it whole."""
    retriever = sample_library.retriever
    assert retriever._writes_anywhere("group") and retriever._writes_anywhere("data frame")
    assert not retriever._writes_anywhere("grouped")


@pytest.fixture(scope="module")
def r_notes(tmp_path_factory: pytest.TempPathFactory, embedder,
            model_dir) -> Iterator[tuple[RagService, Path, Path]]:
    """Two notes on R: one writing words a letter from names it never writes ("stats" and
    "Stata", "quartz" and "Quarto", "reads" and "readr"), one writing "Stata"; and a note on
    a printer, a router and a student's grade, in lower case."""
    folder = tmp_path_factory.mktemp("r-notes")
    graphics = folder / "graphics.md"
    graphics.write_text(
        "# Plots and models\n\nThe quartz device draws plots on macOS. The stats package "
        "fits linear models with lm, and summary of the stats result prints the "
        "coefficients. The function read.csv reads a table from a file.\n",
        encoding="utf-8")
    systems = folder / "systems.md"
    systems.write_text("# Other systems\n\nThe foreign package reads Stata files with "
                       "read.dta, and write.dta writes them.\n", encoding="utf-8")
    service = build_service(fresh_settings(tmp_path_factory.mktemp("r-data"), model_dir),
                            embedder=embedder)
    devices = folder / "devices.md"
    devices.write_text("# Devices\n\nMembers of the lp group have access to the printer. "
                       "The router's LAN address is 192.168.1.1. Open the network tab to see "
                       "the connected devices. Each student gets a grade at the end of "
                       "term.\n", encoding="utf-8")
    service.ingest([graphics, systems, devices])
    yield service, graphics, systems
    service.close()


@pytest.mark.parametrize("name", ["Quarto", "readr", "Gradle"])
def test_a_name_a_letter_from_a_word_of_the_library_is_said_to_be_unmentioned(
        r_notes, name: str) -> None:
    """Not searched as "quartz", "reads" or "grade": the answer says the documents do not
    mention it."""
    service, _, _ = r_notes
    found = service.find(f"What is {name}?", 5)
    assert (found.query, found.unheld) == (f"What is {name}?", (name,))


def test_a_name_the_library_writes_outside_the_searched_source_is_no_misspelling(
        r_notes) -> None:
    """Searched within the note that writes only "stats", "stata" stays as asked; the
    whole library's search finds the note that writes it."""
    service, graphics, systems = r_notes
    asked = "How do I read a stata file?"  # no capital: no name said
    within = service.find(asked, 5, source=str(graphics))
    assert (within.query, within.unheld) == (asked, ())
    assert service.find(asked, 5).hits[0].source == str(systems)


def test_a_slip_of_a_word_of_the_library_is_still_respelt(r_notes) -> None:
    service, _, _ = r_notes
    assert service.find("Which device draws on macOS, quatrz?", 5).query \
        == "Which device draws on macOS, quartz?"


@pytest.mark.parametrize(("asked", "respelt"), [
    ("Which group gives access to the printr?", "Which group gives access to the printer?"),
    ("What is the LAN address of the routr?", "What is the LAN address of the router?"),
    ("Where is the Netwrok tab?", "Where is the Network tab?"),  # a label, capitalised
])
def test_a_slip_shaped_as_a_name_is_respelt_and_not_said_to_be_unmentioned(
        r_notes, asked: str, respelt: str) -> None:
    """A word and "r" with the "e" of "-er" left out, a capitalised word with two letters
    swapped: slips, whatever their shape shares with a name."""
    service, _, _ = r_notes
    found = service.find(asked, 5)
    assert (found.query, found.unheld) == (respelt, ())
