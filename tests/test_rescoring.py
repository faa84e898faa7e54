"""Sentence rescoring of hybrid hits: the passage holding the sentence that answers moves up,
only in hybrid mode, and only where the setting (auto: a local embedder) turns it on."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rag.registry import make_embedder
from rag.retrieval.rescoring import (
    ENTRY_WEIGHT,
    HEADING_WEIGHT,
    TYPE_WEIGHT,
    WEIGHT,
    WORDS_WEIGHT,
    SentenceRescorer,
)
from rag.retrieval.retriever import Retriever
from rag.service import build_service
from rag.text import lexical
from rag.text.lexical import TYPO_SHARE, VARIANT_SHARE
from rag.types import Hit, cited_names
from tests.conftest import fresh_settings

FILLER = ("The museum opens at nine. Tickets are sold at the door. The café serves soup. "
          "Guided tours leave every hour. The gift shop sells postcards. ")


def hit(n: int, text: str, score: float) -> Hit:
    return Hit(f"d{n}", f"doc{n}.txt", None, f"c{n}", score, text)


def test_the_passage_with_the_answering_sentence_moves_up(embedder) -> None:
    question = "How deep is the lake in winter?"
    vague = hit(1, "Lakes and rivers change with the seasons. Winter is long here. " * 3, 1.2)
    answering = hit(2, FILLER + "In winter the lake is about forty metres deep.", 1.0)
    other = hit(3, FILLER, 0.9)
    rescored = SentenceRescorer(embedder).rescore(question, embedder.embed_query(question),
                                                  [vague, answering, other])
    assert [h.doc_id for h in rescored] == ["d2", "d1", "d3"]
    assert rescored[0].score > answering.score  # fused score plus the sentence's cosine


def test_passages_scoring_the_same_keep_one_order_whatever_order_they_came_in(embedder) -> None:
    """The same page in two files scores the same: the file first by name comes first, so
    that a search and its answer are the same each time (the store hands ties back in the
    order points were written, which parallel ingest varies)."""
    question = "How deep is the lake in winter?"
    text = FILLER + "In winter the lake is about forty metres deep."
    copies = [Hit(f"d{n}", name, 3, f"c{n}", 1.0, text) for n, name in ((1, "b.pdf"),
                                                                         (2, "a.pdf"))]
    rescorer, query = SentenceRescorer(embedder), embedder.embed_query(question)
    for order in (copies, copies[::-1]):
        assert [h.source for h in rescorer.rescore(question, query, order)] == ["a.pdf",
                                                                                 "b.pdf"]


def test_a_sentence_holding_all_the_questions_words_counts_more_than_words_scattered(
        embedder) -> None:
    question = "How deep is the lake in winter?"
    together = hit(1, "The shore is rocky. In winter the lake is forty metres deep.", 1.0)
    scattered = hit(2, "In winter the shore is rocky. The lake is forty metres deep.", 1.0)
    rescorer = SentenceRescorer(embedder, type_weight=0.0)  # the words alone
    rescored = rescorer.rescore(question, embedder.embed_query(question), [together, scattered])
    cosines = dict(zip(["d1", "d2"], rescorer.best_cosines(embedder.embed_query(question),
                                                           [together, scattered]), strict=True))
    words = {h.doc_id: h.score - 1.0 - WEIGHT * cosines[h.doc_id] for h in rescored}
    assert words["d1"] == pytest.approx(WORDS_WEIGHT)  # deep, lake, winter: all in one
    assert words["d2"] == pytest.approx(WORDS_WEIGHT * 2 / 3)  # lake, deep; winter apart


@pytest.mark.parametrize(("question", "sentence", "share"), [
    # Snowball stems these apart: "skelet" / "skeleton", "bacteria" / "bacteri"
    ("What makes the skeletal structure stronger?", "A shark's skeleton is cartilage.",
     VARIANT_SHARE / 4),
    ("Which bacterial infections spread?", "Bacteria spread in water.",
     (1 + VARIANT_SHARE) / 3),
    ("Which bacteria spread?", "Bacterial infections spread in water.",
     (1 + VARIANT_SHARE) / 2),
    ("Which bacteria spread?", "Bacteria spread in water.", 1.0),  # the same word: whole
    # starts shorter than VARIANT_STEM are other words, as are longer tails
    ("Where do they plan it?", "They plant it.", 0.0),
    ("Which nation won?", "The nationalist won.", 1 / 2),
    ("Were there 100000 visitors?", "There were 1000000 visitors.", 1 / 2),  # numbers
])
def test_a_word_the_stemmer_leaves_apart_counts_part_of_a_word(
        question: str, sentence: str, share: float) -> None:
    assert lexical.term_shares(question, [sentence]) == [pytest.approx(share)]


@pytest.mark.parametrize(("question", "sentence", "title", "share"), [
    # apach(e), licens(e), say, trademark: the title holds two, the sentence the others
    ("What does the Apache License say about trademarks?",
     "This License does not grant permission to use trademarks.", "apache-license-2.0",
     3 / 4),
    ("How do I write a loop in Octave?", "A for loop repeats a block.", "GNU Octave", 2 / 3),
    ("How do I write a loop in Octave?", "A for loop repeats a block.", "", 1 / 3),
    ("How do I write a loop?", "A for loop repeats a block.", "GNU Octave", 1 / 2),
])
def test_a_sentence_holds_the_words_of_its_documents_title(
        question: str, sentence: str, title: str, share: float) -> None:
    assert lexical.term_shares(question, [sentence], title) == [pytest.approx(share)]


def test_the_passage_of_the_document_the_question_names_moves_up(embedder) -> None:
    """The same sentence in two manuals: asked about Octave, Octave's manual's passage gains
    the share its title holds."""
    question = "How do I write a loop in Octave?"
    text = "A for loop repeats a block of statements for each column of a matrix."
    other = replace(hit(1, text, 1.0), title="R Language Definition")
    named = replace(hit(2, text, 1.0), title="GNU Octave")
    rescored = SentenceRescorer(embedder).rescore(question, embedder.embed_query(question),
                                                  [other, named])
    assert [h.doc_id for h in rescored] == ["d2", "d1"]
    assert rescored[0].score == pytest.approx(rescored[1].score + WORDS_WEIGHT / 3)


@pytest.mark.parametrize(("title", "locator", "names"), [
    ("Deck", "slide 3: Budget", "Deck Budget"),
    ("Deck", "slide 3", "Deck"),
    ("Costs 2024", "sheet Travel", "Costs 2024 Travel"),
    ("R manual", "page 63 (labelled 57)", "R manual"),  # a page's number names nothing
    ("Sea stories", "chapter 2: The storm", "Sea stories The storm"),
    ("Handbook", "Vacation policy", "Handbook Vacation policy"),  # a Word section's heading
    ("R-FAQ", None, "R-FAQ"),
    ("Guide", "Using slide 3 layouts", "Guide Using slide 3 layouts"),  # a heading saying so
    ("all-MiniLM-L6-v2", "front matter", "all-MiniLM-L6-v2"),  # a Markdown file's fields
    ("Notes", "Front matter matters", "Notes Front matter matters"),
    ("Ferry tickets", "footnote 1", "Ferry tickets"),  # a Markdown file's note
    ("Guide", "footnote on fares", "Guide footnote on fares"),  # a heading of those words
])
def test_a_passage_goes_by_its_documents_title_and_its_sections_name(
        title: str, locator: str | None, names: str) -> None:
    assert cited_names(title, locator) == names


def test_the_passage_of_the_section_the_question_names_moves_up(embedder) -> None:
    """A Word document's sections are cited by their headings; the vacation policy's
    sentences need not say "vacation" again."""
    question = "How many vacation days do staff get?"  # mani, vacat, day, staff, get
    text = "Full-time staff get 25 days a year, and part-time staff get a share of them."
    expenses = replace(hit(1, text, 1.0), title="Handbook", locator="Expenses")
    vacation = replace(hit(2, text, 1.0), title="Handbook", locator="Vacation policy")
    rescorer = SentenceRescorer(embedder, type_weight=0.0)  # the words alone
    rescored = rescorer.rescore(question, embedder.embed_query(question), [expenses, vacation])
    assert [h.doc_id for h in rescored] == ["d2", "d1"]
    assert rescored[0].score == pytest.approx(rescored[1].score + WORDS_WEIGHT / 5)


def test_a_sentence_holding_a_variant_of_the_questions_word_gains_part_of_it(
        embedder) -> None:
    question = "What makes the skeletal structure stronger?"
    variant = hit(1, "The shark's skeleton is made of cartilage.", 1.0)
    unrelated = hit(2, "The shark's fins are made of cartilage.", 1.0)
    rescorer = SentenceRescorer(embedder, type_weight=0.0)
    query = embedder.embed_query(question)
    cosines = dict(zip(["d1", "d2"], rescorer.best_cosines(query, [variant, unrelated]),
                       strict=True))
    words = {h.doc_id: h.score - 1.0 - WEIGHT * cosines[h.doc_id]
             for h in rescorer.rescore(question, query, [variant, unrelated])}
    assert words == {"d1": pytest.approx(WORDS_WEIGHT * VARIANT_SHARE / 4),
                     "d2": pytest.approx(0.0)}  # make, skelet, structur, stronger


def test_a_misspelt_word_a_sentence_writes_a_letter_apart_counts_as_a_variant() -> None:
    question = "Which convoys travelled throuhg Niger?"  # convoy, travel, throuhg, niger
    assert lexical.term_shares(question, ["Convoys went through Niger.", "Convoys left Niger."]) \
        == [pytest.approx((2 + TYPO_SHARE) / 4), pytest.approx(2 / 4)]
    # a word the vocabulary knows is never read as another a letter apart
    assert lexical.term_shares("Where did the plane land?", ["The plant is on land."]) \
        == [pytest.approx(1 / 2)]


def test_a_sentence_holding_what_the_question_asks_for_counts_more(embedder) -> None:
    """Asked when, the passage whose sentence with the question's words holds a date gains
    TYPE_WEIGHT times that sentence's share of them; a date elsewhere in a passage does not."""
    question = "When did the bridge open?"
    dated = hit(1, "The old ferry stopped running. The bridge opened in May 1932.", 1.0)
    undated = hit(2, "The bridge opened after a long wait. Ferries ran in 1932.", 1.0)
    plain = hit(3, "The bridge opened to great applause from the town.", 1.0)
    query = embedder.embed_query(question)
    with_type, without = ({h.doc_id: h.score for h in SentenceRescorer(
        embedder, type_weight=weight).rescore(question, query, [dated, undated, plain])}
        for weight in (TYPE_WEIGHT, 0.0))
    assert with_type["d1"] == pytest.approx(without["d1"] + TYPE_WEIGHT)  # bridge, open
    assert with_type["d2"] == pytest.approx(without["d2"])
    assert with_type["d3"] == pytest.approx(without["d3"])


def test_the_type_counts_the_best_sentence_that_holds_it_not_the_best_sentence(
        embedder) -> None:
    """The sentence with most of the question's words holds no date; the one holding a date
    has two of its three words, so the passage gains TYPE_WEIGHT times 2/3."""
    question = "When did the bridge over the river open?"
    passage = hit(1, "The bridge over the river opened to applause. In 1932 the bridge "
                     "opened. Rain fell in 1931.", 1.0)
    query = embedder.embed_query(question)
    with_type, without = (SentenceRescorer(embedder, type_weight=weight).rescore(
        question, query, [passage, hit(2, FILLER, 0.5)])[0].score
        for weight in (TYPE_WEIGHT, 0.0))
    assert with_type == pytest.approx(without + TYPE_WEIGHT * 2 / 3)


def test_the_section_whose_heading_is_the_question_comes_first(embedder) -> None:
    """An FAQ's heading asks the question its section answers, often in other words than
    the answer's; a passage that only refers to the section by its title does not count."""
    question = "What is CRAN?"
    section = hit(1, "2.12 What is CRAN?\nThe Comprehensive R Archive Network is a collection "
                     "of sites which carry identical material.", 1.0)
    reference = hit(2, "Sources and binaries can be obtained via CRAN (see Section 2.12 [What "
                       "is CRAN?], page 9). What is CRAN good for? Downloads of CRAN.", 1.6)
    ordinary = hit(3, "CRAN is mirrored on many sites around the world, and CRAN hosts "
                      "packages.", 1.6)
    with_heading, without = (SentenceRescorer(embedder, heading_weight=weight).rescore(
        question, embedder.embed_query(question), [reference, ordinary, section])
        for weight in (HEADING_WEIGHT, 0.0))
    assert with_heading[0].doc_id == "d1" and without[0].doc_id != "d1"
    gained = {h.doc_id: h.score for h in with_heading}
    for h in without:  # only the section's score moved, by the heading's weight
        assert gained[h.doc_id] == pytest.approx(
            h.score + (HEADING_WEIGHT if h.doc_id == "d1" else 0.0))
    markdown = hit(4, "## What is CRAN?\nA network of sites.", 1.0)  # an FAQ in Markdown
    with_mark, without_mark = ({h.doc_id: h.score for h in SentenceRescorer(
        embedder, heading_weight=weight).rescore(question, embedder.embed_query(question),
                                                 [markdown, ordinary])}
        for weight in (HEADING_WEIGHT, 0.0))
    assert with_mark["d4"] == pytest.approx(without_mark["d4"] + HEADING_WEIGHT)


def test_the_list_entry_the_question_names_counts_more(embedder) -> None:
    """In a list of entries ("staff: ...", "users: ..."), the entry whose label is the
    question's subject answers it, however common its words are in the document; a label
    written as a note ("HELP:", "Note:") names nothing."""
    question = "What is the users group?"
    entry = hit(1, "staff: Allows local changes.\n\nusers: Each user is a member of this "
                   "group on a traditional system.", 1.0)
    other = hit(2, "mail: Mailboxes are owned by group mail.\n\nHELP: which users belong "
                   "to the group?", 1.0)
    scores = [{h.doc_id: h.score for h in SentenceRescorer(embedder, entry_weight=weight)
               .rescore(question, embedder.embed_query(question), [entry, other])}
              for weight in (ENTRY_WEIGHT, 0.0)]
    assert scores[0]["d1"] == pytest.approx(scores[1]["d1"] + ENTRY_WEIGHT)
    assert scores[0]["d2"] == pytest.approx(scores[1]["d2"])  # "mail", "HELP": not asked
    # a program's output is no list: its lines define nothing
    output = hit(4, "users: 3 logged in\ngroup: staff\nThe group grew.", 1.0)
    assert [h.score for h in SentenceRescorer(embedder).rescore(
        question, embedder.embed_query(question), [output, other])][0] == pytest.approx(
        SentenceRescorer(embedder, entry_weight=0.0).rescore(
            question, embedder.embed_query(question), [output, other])[0].score)
    prose = hit(3, "The users group: every user is in it.", 1.0)  # no entry: a sentence
    assert [h.score for h in SentenceRescorer(embedder).rescore(
        question, embedder.embed_query(question), [prose, other])][0] == pytest.approx(
        SentenceRescorer(embedder, entry_weight=0.0).rescore(
            question, embedder.embed_query(question), [prose, other])[0].score)


def test_only_the_first_candidates_are_rescored(embedder) -> None:
    hits = [hit(n, f"Note number {n} is about bridges and rivers.", 2 - n / 10)
            for n in range(4)]
    rescorer = SentenceRescorer(embedder, candidates=2)
    rescored = rescorer.rescore("bridges", embedder.embed_query("bridges"), hits)
    assert [h.doc_id for h in rescored[2:]] == ["d2", "d3"]
    assert [h.score for h in rescored[2:]] == [hits[2].score, hits[3].score]


def test_rescoring_runs_in_hybrid_mode_with_the_local_model(embedder, model_dir: Path,
                                                            tmp_path: Path,
                                                            monkeypatch) -> None:
    svc = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        rescorer = svc.retriever.rescorer
        assert rescorer is not None
        (tmp_path / "lake.txt").write_text(FILLER + "In winter the lake is forty metres deep.")
        (tmp_path / "other.txt").write_text(FILLER)
        svc.ingest([tmp_path / "lake.txt", tmp_path / "other.txt"])
        calls = []
        real = rescorer.rescore
        monkeypatch.setattr(rescorer, "rescore", lambda *args: calls.append(1) or real(*args))
        assert svc.search("How deep is the lake?", 2, "hybrid")[0].source.endswith("lake.txt")
        assert calls == [1]
        assert len(rescorer.embedded._vectors) == 0  # the sentences' vectors were stored
        svc.search("museum tickets", 2, "dense")
        svc.search("museum tickets", 2, "sparse")
        assert calls == [1]  # hybrid only
    finally:
        svc.close()
    off = build_service(fresh_settings(tmp_path / "off", model_dir, sentence_rescore="off"),
                        embedder=embedder)
    assert off.retriever.rescorer is None
    off.close()


def test_auto_leaves_it_off_with_a_remote_embedder(ai_settings) -> None:
    settings = ai_settings.model_copy(update={"embedder": "workers-ai"})
    svc = build_service(settings, embedder=make_embedder(settings))
    assert svc.retriever.rescorer is None
    svc.close()
    on = settings.model_copy(update={"sentence_rescore": "on",
                                     "data_dir": settings.data_dir / "on"})
    svc = build_service(on, embedder=make_embedder(on))
    assert svc.retriever.rescorer is not None
    svc.close()


def test_the_answer_cache_key_names_the_rescorings_weights(embedder, monkeypatch) -> None:
    """An answer ranked with other weights is not replayed from the cache."""
    key = Retriever(embedder, store=None).rerank_key  # type: ignore[arg-type]  # not searched
    for change in ({"entry_weight": 0.0}, {"words_weight": 0.5}):
        retriever = Retriever(embedder, store=None)  # type: ignore[arg-type]
        retriever.rescorer = SentenceRescorer(embedder, **change)
        assert retriever.rerank_key != key
    for share in ("VARIANT_SHARE", "TITLE_SHARE", "TYPO_SHARE"):
        with monkeypatch.context() as patched:
            patched.setattr(lexical, share, 0.25)
            assert Retriever(embedder, store=None).rerank_key != key  # type: ignore[arg-type]
