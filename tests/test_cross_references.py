"""A printed manual's cross-references ("see Section 2.2 [What machines does R run on?], page
3"): their titles are another section's words, left out wherever a question's words are
matched against a passage's, and wherever a passage is indexed or embedded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.embedding import embed_chunks
from rag.providers.generators.extractive import _points_elsewhere
from rag.retrieval.rescoring import SentenceRescorer
from rag.service import build_service
from rag.text import lexical, references
from rag.types import Hit
from tests.conftest import answer_from, fresh_settings

POINTER = ("If binaries are available for your platform, you can use these. Otherwise, you can "
           "compile and install R yourself, which can be done very easily under a number of "
           "common Unix-like platforms (see Section 2.2 [What machines does R run on?], page "
           "3). The file INSTALL that comes with the distribution has full details.")
SECTION = ("R is being developed for the Unix-like, Windows and Mac families of operating "
           "systems. Support for Mac OS Classic ended with R 1.7.1.")
QUESTION = "What machines does R run on?"


def test_only_the_titles_are_blanked_and_every_other_word_keeps_its_place() -> None:
    text = "See Section 3.1 [What is\nS?], page 12, and [Getting Help], page 21. [1] Done."
    blanked = references.without_titles(text)
    assert len(blanked) == len(text)
    assert blanked == ("See Section 3.1 [" + " " * len("What is\nS?") + "], page 12, and ["
                       + " " * len("Getting Help") + "], page 21. [1] Done.")
    assert [text[start:end] for start, end in references.title_spans(text)] == [
        "What is\nS?", "Getting Help"]
    plain = "A list [1, 2] and a page of text."
    assert references.without_titles(plain) is plain


def test_a_titles_words_are_not_indexed_for_the_passage() -> None:
    indices = set(lexical.document_vector(POINTER)[0])
    assert lexical.term_index("machin") not in indices
    assert lexical.term_index("platform") in indices
    assert set(lexical.document_vector(references.without_titles(POINTER))[0]) == indices


def test_a_passage_is_embedded_without_its_titles(embedder) -> None:
    embedded = embed_chunks(embedder, [POINTER], sentences=True)
    blanked = embedder.embed_documents([references.without_titles(POINTER)])[0]
    raw = embedder.embed_documents([POINTER])[0]
    assert np.allclose(embedded.dense[0], blanked, atol=1e-6)
    assert not np.allclose(embedded.dense[0], raw, atol=1e-3)
    # the sentences are the text's own, the title inside the second
    spans = embedded.sentences[0].spans
    assert any("[What machines" in POINTER[start:end] for start, end in spans)


def test_a_titles_words_do_not_count_as_the_sentences_words(embedder) -> None:
    """Scored by the question's words alone (no sentence cosine), a pointer whose title is
    the question scores as one whose title says something else."""
    elsewhere = POINTER.replace("What machines does R run on?", "Which mirrors carry CRAN?")
    rescorer = SentenceRescorer(embedder, weight=0.0)
    scores = {h.doc_id: h.score for h in rescorer.rescore(
        QUESTION, embedder.embed_query(QUESTION),
        [Hit("d1", "faq.pdf", 8, "c1", 1.0, POINTER),
         Hit("d2", "faq.pdf", 8, "c2", 1.0, elsewhere)])}
    assert scores["d1"] == pytest.approx(scores["d2"])


def test_the_section_comes_before_a_pointer_to_it(embedder, model_dir: Path, tmp_path: Path,
                                                  monkeypatch) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "install.txt").write_text(POINTER)
    (tmp_path / "docs" / "platforms.txt").write_text(SECTION)

    def first_source(folder: str) -> str:
        svc = build_service(fresh_settings(tmp_path / folder, model_dir), embedder=embedder)
        try:
            svc.ingest([tmp_path / "docs"])
            return Path(svc.search(QUESTION, 2, "hybrid")[0].source).name
        finally:
            svc.close()

    assert first_source("read") == "platforms.txt"
    # read with their titles, the pointer's words outscore the section's
    monkeypatch.setattr(references, "title_spans", lambda text: ())
    assert first_source("titled") == "install.txt"


FUNCTIONS = ("11.1 Introduction to Functions\n\nA function is defined with the keyword "
             "function, its name and its arguments.\nThe special character \\a stands for the "
             "alert character (ASCII 7). See Chapter 5 [Strings], page 71.\nOnce this function "
             "is defined, you can ask Octave to evaluate it by typing the name of the "
             "function.\n")
ARGUMENTS = ("2.1 Command Line Arguments\n\nHere is an example of using these functions to "
             "reproduce the command line which invoked Octave.\nSee Section 6.3.3 [Indexing Cell "
             "Arrays], page 130, for an explanation of how to retrieve objects from cell arrays, "
             "and Section 11.2 [Defining Functions], page 191, for information about the "
             "variable nargin.\n")
CALLS = ("11.2 Defining Functions\n\nEach time a function is called, nargin is automatically "
         "initialized to the number of arguments that have actually been passed to the "
         "function.\n")


def test_a_sentence_only_pointing_elsewhere_is_not_quoted_beside_sentences_that_answer(
        embedder, model_dir: Path, tmp_path: Path) -> None:
    """"See Chapter 5 [Strings], page 71." is not what "Once this function is defined" leans
    on, and "See Section 6.3.3 [...], page 130, ..., and Section 11.2 [...], page 191, for
    information about the variable nargin." holds the question's words without answering."""
    (tmp_path / "docs").mkdir()
    for name, text in (("functions.txt", FUNCTIONS), ("arguments.txt", ARGUMENTS),
                       ("calls.txt", CALLS)):
        (tmp_path / "docs" / name).write_text(text)
    svc = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        svc.ingest([tmp_path / "docs"])
        defined = svc.ask("How do I define a function?").text
        assert "Once this function is defined, you can ask Octave" in defined, defined
        assert "See Chapter 5" not in defined
        nargin = svc.ask("What is the variable nargin?").text
        assert nargin.startswith("Each time a function is called, nargin is automatically "
                                 "initialized"), nargin
        assert "See Section" not in nargin
    finally:
        svc.close()


@pytest.mark.parametrize(("sentence", "pointing"), [
    ("See Chapter 5 [Strings], page 71.", True),
    ("See also: [isnull], page 48, [isa], page 41.", True),
    ("(See Section 2.1 [Loops], page 30.)", True),
    (ARGUMENTS.split("\n")[3], True),
    ("See Section 3 [What is R, and why?], page 4.", True),
    ("See Section 3 [Loops], page 4, which also shows how to break out of one.", False),
    ("Octave can also be built from source (see Section 2.2 [Building], page 3).", False),
])
def test_what_a_pointer_is(sentence: str, pointing: bool) -> None:
    """Only a pointer: a place to look, another after "and", a title in brackets (its words
    are another section's, "and" among them); not a clause of its own after it, nor a
    sentence saying something with a pointer inside it."""
    assert _points_elsewhere(sentence) is pointing


SUCCESS = ("Have any significant projects been done in Python?\n\nSee "
           "https://www.python.org/about/success for a list of projects that use Python. "
           "Consulting the proceedings for past Python conferences will reveal contributions "
           "from many different companies and organizations.\n")
HISTORY = ("Why was Python created in the first place?\n\nDuring the next year, while still "
           "mostly working on it in my own time, Python was used in the Amoeba project with "
           "increasing success, and the feedback from colleagues made me add many early "
           "improvements.\n")


def test_a_pointer_to_an_address_is_quoted_as_what_the_documents_say(
        embedder, model_dir: Path, tmp_path: Path) -> None:
    """A web FAQ's answer is where to look: "See https://... for a list of projects that use
    Python." answers as its own sentences do, outside the documents as it points."""
    answer = answer_from({"general.txt": SUCCESS, "history.txt": HISTORY},
                         "Have any significant projects been done in Python?",
                         embedder, model_dir, tmp_path)
    assert answer.startswith("See https://www.python.org/about/success for a list of projects "
                             "that use Python. [1]"), answer


GUIDE = ("# Functions guide\n\n## isempty\n\nisempty (a) returns true if a is an empty matrix "
         "(any one of its dimensions is zero). See Section 4.2 [Empty Matrices], page 71.\n\n"
         "## scan\n\nscan reads data into a vector or list from the console or file. See "
         "also: [read.table], page 48.\n\n## read.table\n\nread.table reads a file in table "
         "format and creates a data frame from it.\n")


def test_a_pointer_answers_a_question_asking_where_to_read(
        embedder, model_dir: Path, tmp_path: Path) -> None:
    """"Where can I read about empty matrices?" asks for a place in the manual: the pointer
    to it is quoted beside the sentence that answers, not left out for weaker ones."""
    answer = answer_from({"code.md": GUIDE}, "Where can I read about empty matrices?",
                         embedder, model_dir, tmp_path)
    assert "See Section 4.2 [Empty Matrices], page 71. [1]" in answer, answer
