"""Citations checked against the passages, follow-ups, and the answer cache."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

import rag
from rag.answering.citations import CitationChecker
from rag.answering.followup import carry_over, is_follow_up, points_back, standalone_question
from rag.evaluation import evaluate, rank_metrics
from rag.evaluation.metrics import first_citation
from rag.providers.generators.base import Quoted
from rag.retrieval.cache import Cache, source_digest
from rag.service import build_service
from rag.text.sentences import split
from rag.types import searched_for
from tests.conftest import fresh_settings


@pytest.mark.parametrize(
    ("deltas", "expected", "cited", "dropped"),
    [
        # a marker removed takes the space before it along, however the deltas cut them
        (["Rocks [1] and ", "shells [", "7", "] too [2]."], "Rocks [1] and shells too [2].",
         {1, 2}, 1),
        (["Both [1, 3", "] say so [2;9]."], "Both [1][3] say so [2].", {1, 2, 3}, 1),
        (["An array [a] stays, ", "[0] goes."], "An array [a] stays, goes.", set(), 1),
        (["Fact B is true ", "[", "7", "]", "."], "Fact B is true.", set(), 1),
        (["Glued [7]to a word"], "Glued to a word", set(), 1),
        (["Ends open ["], "Ends open [", set(), 0),
    ],
)
def test_citation_checker(deltas, expected, cited, dropped) -> None:
    checker = CitationChecker(passages=3)
    assert "".join(checker.filter(iter(deltas))) == expected
    assert checker.cited == cited and checker.dropped == dropped


def test_citation_checker_streams_without_waiting_for_the_end() -> None:
    checker = CitationChecker(passages=2)
    out = checker.filter(iter(["First words ", "then more [1]", " and the end."]))
    assert next(out) == "First words"  # its space waits: a marker after it takes it along


def test_quoted_brackets_are_the_documents_not_markers() -> None:
    """Written with full-width brackets, they read as no marker; code keeps its own."""
    checker = CitationChecker(passages=3)
    deltas = [Quoted("Loop with for i = [1,3;2,4] as in [12]."), " [1]", " And [", "9].",
              Quoted(" Use `cols[2]` for the dealer [2][3]."), " [2]",
              Quoted("\n\n```\nR> .3 + .6 == .9\n[1] FALSE\n```\n"), "[3]"]
    assert "".join(checker.filter(iter(deltas))) == (
        "Loop with for i = \uff3b1,3;2,4\uff3d as in \uff3b12\uff3d. [1] And. "
        "Use `cols[2]` for the dealer \uff3b2\uff3d\uff3b3\uff3d. [2]"
        "\n\n```\nR> .3 + .6 == .9\n[1] FALSE\n```\n[3]")
    assert checker.cited == {1, 2, 3} and checker.dropped == 1


def test_brackets_a_model_quotes_from_a_passage_are_left_as_the_passage_has_them() -> None:
    passages = ["The herd count was revised to 312 animals in report [42].",
                "The components of the list Lst can be referred to as Lst[[1]], Lst[[2]], "
                "Lst[[3]] and Lst[[4]].",
                "> statef\n [1] tas sa qld nsw\n[16] tas vic"]
    checker = CitationChecker(3, passages)
    deltas = ["It was revised to 312 animals in report [", "42]. [1] They are Lst[[1]], ",
              "Lst[[4]] [2], and R prints [16] tas vic [3]; the herd [3] grew [7]."]
    assert "".join(checker.filter(iter(deltas))) == (
        "It was revised to 312 animals in report \uff3b42\uff3d. [1] They are "
        "Lst[\uff3b1\uff3d], Lst[\uff3b4\uff3d] [2], and R prints \uff3b16\uff3d tas vic [3]; "
        "the herd [3] grew.")
    assert checker.cited == {1, 2, 3} and checker.dropped == 1


def test_brackets_a_model_quotes_in_code_stay_as_written() -> None:
    passages = ["Pick a column with cols[2] or the report [3] says how.", "Other.", "More."]
    checker = CitationChecker(3, passages)
    deltas = ["Use `pick a column with cols[2]` [1], or:\n\n```\nPick a column with ",
              "cols[2]\n```\n\nas the report [3] says how [1]."]
    assert "".join(checker.filter(iter(deltas))) == (
        "Use `pick a column with cols[2]` [1], or:\n\n```\nPick a column with cols[2]\n```"
        "\n\nas the report \uff3b3\uff3d says how [1].")
    assert checker.cited == {1} and checker.dropped == 0


def test_how_a_stream_is_cut_into_deltas_does_not_change_the_checked_answer() -> None:
    passages = ["see Smith [7] and Jones [8] for details", "Other words.", "More words."]
    answer = " see [8]Smith [7] for details [2]."
    whole = CitationChecker(3, passages)
    one = "".join(whole.filter(iter([answer])))
    split = CitationChecker(3, passages)
    assert "".join(split.filter(iter(answer))) == one  # a character a delta
    assert (split.cited, split.dropped) == (whole.cited, whole.dropped)


def test_a_range_or_a_spaced_marker_cites_each_passage_it_names() -> None:
    checker = CitationChecker(4, ["Anything."])
    text = "".join(checker.filter(iter(["Both [1-3] agree, ", "as [ 4 ] does; [2–9] too."])))
    assert text == "Both [1][2][3] agree, as [4] does; [2][3][4] too."
    assert checker.cited == {1, 2, 3, 4} and checker.dropped == 5


def test_a_marker_naming_one_passage_twice_is_one_citation() -> None:
    checker = CitationChecker(2, ["Anything."])
    assert "".join(checker.filter(iter(["Twice [1, 1]."]))) == "Twice [1]."
    assert checker.cited == {1} and checker.dropped == 0


def test_an_offline_answer_quotes_a_documents_brackets_as_no_marker(embedder, model_dir: Path,
                                                                     tmp_path: Path) -> None:
    svc = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        doc = tmp_path / "loops.txt"
        doc.write_text("A for loop can walk the columns of a matrix: for i = [1,3;2,4] visits "
                       "each column in turn. Column loops were first described in [2].")
        svc.ingest([doc])
        answer = svc.ask("How does a for loop walk the columns of a matrix?")
        assert "for i = \uff3b1,3;2,4\uff3d visits" in answer.text
        assert "described in \uff3b2\uff3d." in answer.text
        assert answer.cited == [1] and answer.dropped_citations == 0
        assert first_citation(answer.text) == 1
    finally:
        svc.close()


def test_an_offline_answer_quotes_a_program_cut_between_chunks_as_code(
        embedder, model_dir: Path, tmp_path: Path) -> None:
    """The chunk after the cut begins inside the program's fence: stored with that fence, its
    lines are quoted as code, on their lines under it, not run together as a sentence."""
    # in blocks of ten lines: prose would break at each blank line, code is one piece
    rows = "\n".join(f"row_{i} = encoder.encode(texts[{i}])" + "\n" * (i % 10 == 9)
                     for i in range(60))
    doc = tmp_path / "vectors.md"
    doc.write_text("# Saving vectors\n\nThe encoder turns texts into rows, as the program "
                   f"below shows.\n\n```python\n{rows}\nnumpy.save('vectors.npy', rows)\n"
                   "```\n\nThe file then holds every row.\n")
    svc = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        svc.ingest([doc])
        question = "How do I save the rows with numpy.save?"
        hit = next(h for h in svc.search(question, top_k=5) if "numpy.save" in h.text)
        assert hit.position > 0 and hit.code_fence == "```python"
        # its sentence vectors were stored for the pieces the answer reads
        assert list(hit.sentence_vectors.spans) == [
            (s.start, s.end) for s in split(hit.text, code_fence=hit.code_fence)]
        answer = svc.ask(question)
        assert "```python\n…\n" in answer.text
        assert "\nnumpy.save('vectors.npy', rows)\n```" in answer.text
        assert not re.search(r"\) row_\d+ =", answer.text)  # no lines run together
    finally:
        svc.close()


def test_a_chunk_opening_on_a_leaning_sentence_is_stored_with_the_one_before_it(
        embedder, model_dir: Path, tmp_path: Path) -> None:
    """Ingest keeps the sentence "He ..." leans on (`Chunk.lead_in`) with its chunk, and the
    search hands it to the answer, which quotes it first."""
    lead_in, leaning = ("Dr. Kent checked the air tanks before the dive.",
                        "He then realized there was a leak in his mask.")
    for surveys in range(1, 12):  # one of these cuts a chunk right before "He"
        filler = " ".join(f"The survey of site {i} counted birds along the river."
                          for i in range(surveys))
        (tmp_path / f"log{surveys}.txt").write_text(
            f"{filler} {lead_in} {leaning} The crew brought a spare one at once. {filler}\n")
    svc = build_service(fresh_settings(tmp_path, model_dir, chunk_tokens=64, chunk_overlap=8),
                        embedder=embedder)
    try:
        svc.ingest(sorted(tmp_path.glob("log*.txt")))
        hits = svc.search("Who had a leak in his mask?", top_k=10)
        opening = [h for h in hits if h.text.startswith(leaning)]
        assert opening and all(h.lead_in == lead_in for h in opening)
        answer = svc.ask("Who had a leak in his mask?")
        assert f"{lead_in} [" in answer.text and f"{leaning} [" in answer.text
    finally:
        svc.close()


def conversation(*questions: str) -> list[dict[str, str]]:
    turns = []
    for question in questions:
        turns += [{"role": "user", "content": question},
                  {"role": "assistant", "content": "An answer [1]."}]
    return turns


def test_follow_up_detection_and_carry_over() -> None:
    before = conversation("Who was hungry in the story?")
    before[-1]["content"] = "The cat was hungry."
    assert is_follow_up("And what about its price?", before)
    assert is_follow_up("Why?", before)
    assert is_follow_up("Who was hungry?", before)  # words the conversation asked with
    assert is_follow_up("In what year?", before) and is_follow_up("Who else?", before)
    assert not is_follow_up("How do sea otters crack open shellfish with rocks?", before)
    # a short question with a word of its own names a new subject
    assert not is_follow_up("What is CRAN?", before)
    assert carry_over("What is the user nobody used for?",
                      conversation("Does the Apache license grant a patent license?")) == (
        "What is the user nobody used for?")
    assert carry_over("What does it eat?", conversation("Where do sea otters live?")) == (
        "What does it eat? (Where do sea otters live?)")
    assert carry_over("How tall is Mount Etna in Sicily?",
                      conversation("Where do otters live?")) == (
        "How tall is Mount Etna in Sicily?")
    retried = conversation("Where do sea otters live?", "Where do sea otters live?",
                           "Where do sea otters live?")
    assert carry_over("What does it eat?", retried) == (
        "What does it eat? (Where do sea otters live?)")


def test_a_long_question_names_its_own_subject() -> None:
    license = conversation("When does the patent license terminate?")
    # "so that", "Is it possible", "one of", "Is there": words that point inside the question
    for question in ("How can I capture errors so that my loop continues?",
                     "Is it possible to rotate axis labels in R plots?",
                     "How do I install R on one of the Linux distributions?",
                     "Is there a way to read Excel spreadsheets into R directly?"):
        assert carry_over(question, license) == question
    assert carry_over("And what about patents in contributions to derivative works?",
                      license) == ("And what about patents in contributions to derivative "
                                   "works? (When does the patent license terminate?)")


def test_a_question_asked_again_leans_on_the_conversation_as_it_did_then() -> None:
    history = conversation("What is the maximum sequence length?",
                           "When does the patent license terminate?", "What about trademarks?")
    assert carry_over("What is the maximum sequence length?", history) == (
        "What is the maximum sequence length?")
    assert carry_over("what is the maximum sequence length", history) == (
        "what is the maximum sequence length")
    # a follow-up asked again (a retry) still leans on the question it leaned on
    retried = conversation("Who hired Lynch?", "Who was Lynch?")
    assert carry_over("Who was Lynch?", retried) == (
        "Who was Lynch? (Who hired Lynch? Who was Lynch?)")


def test_an_answer_s_words_do_not_make_a_new_subject_a_follow_up() -> None:
    history = conversation("What does the function lm do in R?")
    history[-1]["content"] = "> fm <- aov(formula, data=data.frame) [1]"
    assert carry_over("What is a data frame?", history) == "What is a data frame?"
    assert carry_over("What does it return?", history) == (
        "What does it return? (What does the function lm do in R?)")


class Replying:
    """A language model that replies `text` to any request, as a stand-in would."""

    name = "workers-ai"

    def __init__(self, text: str) -> None:
        self.text = text

    def stream(self, request, record):
        yield self.text


def test_a_rewrite_that_answers_instead_is_not_searched_for() -> None:
    history = conversation("Where do sea otters live?")
    rewritten = standalone_question("What does it eat?", history,
                                    Replying("What do sea otters eat?"))
    assert rewritten == "What do sea otters eat?"
    # a model that answers, or refuses, keeps no word of the conversation: the terms carry
    refused = standalone_question("What does it eat?", history,
                                  Replying("I could not find this in the documents."))
    assert refused == "What does it eat? (Where do sea otters live?)"


def test_a_follow_up_carries_the_run_of_follow_ups_back_to_its_subject() -> None:
    history = conversation("How tall is Mount Etna in Sicily?",
                           "How do sea otters crack open shellfish?", "Was he afraid of them?",
                           "Did they sink?")
    # back through the follow-ups to the question that named the subject, and no further
    assert carry_over("What could he hear?", history) == (
        "What could he hear? (How do sea otters crack open shellfish? Was he afraid of them? "
        "Did they sink?)")
    many = conversation(*[f"And question {n}?" for n in range(10)])
    assert carry_over("Why?", many) == "Why? (And question 6? And question 7? And question 8? "\
        "And question 9?)"
    long = conversation("Who wrote " + "a very long title " * 40 + "?")
    carried = carry_over("Why did he?", long)
    assert len(carried.split()) == 3 + 80 and carried.endswith("title ?)")


@pytest.fixture
def cached_service(embedder, model_dir: Path, tmp_path: Path):
    svc = build_service(fresh_settings(tmp_path, model_dir, cache=True, cache_ttl_seconds=3600),
                        embedder=embedder)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "otters.md").write_text(
        "# Otters\n\nSea otters eat sea urchins, crabs and clams. They crack shells with rocks.")
    (folder / "etna.txt").write_text("Mount Etna is a volcano in Sicily, about 3,300 m tall.")
    svc.ingest([folder])
    yield svc
    svc.close()


def test_a_follow_up_finds_the_subject_named_two_questions_back(embedder, model_dir: Path,
                                                               tmp_path: Path) -> None:
    svc = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        folder = tmp_path / "docs"
        folder.mkdir()
        (folder / "otters.md").write_text(
            "# Sea otters\n\nSea otters eat sea urchins, crabs and clams. They crack shells "
            "with rocks. At night they sleep floating on their backs, holding paws.")
        (folder / "beavers.md").write_text(
            "# Beavers\n\nBeavers eat bark, twigs and water plants. They use their teeth as "
            "tools to fell trees. At night they sleep in lodges of sticks and mud.")
        svc.ingest([folder])
        history = conversation("What do sea otters eat?", "Do they use tools?")
        answer = svc.ask("Where do they sleep?", history=history)
        assert "sea otters" in answer.query
        assert answer.citations[0].source.endswith("otters.md")
        assert "floating on their backs" in answer.text
    finally:
        svc.close()


@pytest.mark.parametrize("name", ["read.table", "read_csv_file"])
def test_a_follow_up_naming_a_joined_name_still_leans_on_its_subject(
        embedder, model_dir: Path, tmp_path: Path, name: str) -> None:
    """"How is it different from read.table?" names one thing besides its "it", not three
    words ("read", "table", "read.table"): its subject is the question before it."""
    svc = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        folder = tmp_path / "docs"
        folder.mkdir()
        (folder / "scan.md").write_text(
            "# scan\n\nscan reads data into a vector or list from the console or a file.")
        (folder / "tables.md").write_text(
            f"# {name}\n\n{name} reads a file in table format and creates a data frame "
            "from it.")
        svc.ingest([folder])
        answer = svc.ask(f"How is it different from {name}?",
                         history=conversation("What does scan do?"))
        assert answer.query == f"How is it different from {name}? (What does scan do?)"
        assert {hit.source.rsplit("/", 1)[-1] for hit in answer.citations} >= {"scan.md"}
    finally:
        svc.close()


@pytest.mark.parametrize("question", ["What does this.props hold?",
                                      "What is its_value set to?"])
def test_a_pronoun_inside_a_joined_name_points_nowhere(question: str) -> None:
    assert not points_back(question)
    assert not is_follow_up(question, conversation("What does scan do?"))


def test_follow_up_without_llm_retrieves_with_previous_terms(cached_service) -> None:
    history = [{"role": "user", "content": "What do sea otters eat?"},
               {"role": "assistant", "content": "Sea urchins, crabs and clams [1]."}]
    answer = cached_service.ask("And how do they open them?", history=history)
    assert answer.citations[0].source.endswith("otters.md")
    assert "otters" in answer.query
    assert "rocks" in answer.text


def test_answers_are_cached_until_the_library_changes(cached_service, tmp_path: Path) -> None:
    first = cached_service.ask("How tall is Mount Etna?")
    assert not first.cached and "3,300" in first.text
    second = cached_service.ask("  How tall is   Mount Etna? ")
    deltas = list(second)
    assert second.cached and len(deltas) > 1  # still streamed, word by word
    assert second.text == first.text
    assert [c.chunk_id for c in second.citations] == [c.chunk_id for c in first.citations]
    extra = tmp_path / "more.txt"
    extra.write_text("Etna's summit height changes after eruptions.")
    cached_service.ingest([extra])
    assert not cached_service.ask("How tall is Mount Etna?").cached


def test_questions_differing_only_in_case_have_answers_of_their_own(cached_service) -> None:
    """Case may change what is asked: "c()" and "C()" in R, "US" and "us"."""
    list(cached_service.ask("How tall is Mount Etna?"))
    shouted = cached_service.ask("How tall is MOUNT ETNA?")
    list(shouted)
    assert not shouted.cached
    assert cached_service.ask("How tall is MOUNT ETNA?").cached


def test_a_query_vector_no_search_finds_is_not_cached(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache", ttl_seconds=3600)
    try:
        for spoilt in (np.array([np.nan, 0.5], np.float32), np.array([np.inf, 0.5], np.float32)):
            cache.set_query_vector("embedder", "question", spoilt)
            assert cache.query_vector("embedder", "question") is None
        cache.set_query_vector("embedder", "question", np.array([0.6, 0.8], np.float32))
        assert cache.query_vector("embedder", "question").tolist() == pytest.approx([0.6, 0.8])
    finally:
        cache.close()


def test_a_follow_up_is_replayed_only_for_the_same_conversation(cached_service) -> None:
    """A model reads the whole conversation, its own turns too: one user's follow-up is not
    answered with the answer written from another user's conversation."""
    asked = {"role": "user", "content": "How tall is Mount Etna?"}
    alice = [asked, {"role": "assistant", "content": "About 3,300 m [1]. (Alice's notes)"}]
    bob = [asked, {"role": "assistant", "content": "About 3,300 m [1]."}]
    list(cached_service.ask("And when did it last erupt?", history=alice))
    assert cached_service.ask("And when did it last erupt?", history=alice).cached
    assert not cached_service.ask("And when did it last erupt?", history=bob).cached


def test_an_upgraded_engine_does_not_replay_the_old_ones_answers(
        cached_service, monkeypatch: pytest.MonkeyPatch) -> None:
    first = cached_service.ask("How tall is Mount Etna?")
    list(first)
    assert cached_service.ask("How tall is Mount Etna?").cached
    monkeypatch.setattr("rag.answering.answerer.source_digest", lambda: "another release")
    assert not cached_service.ask("How tall is Mount Etna?").cached


def test_the_source_digest_changes_with_any_file(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("A = 1\n")
    (package / "sub" / "b.py").write_text("B = 2\n")
    before = source_digest.__wrapped__(package)
    assert source_digest.__wrapped__(package) == before
    (package / "sub" / "b.py").write_text("B = 3\n")
    assert source_digest.__wrapped__(package) != before
    engine = Path(rag.__file__).resolve().parent
    assert source_digest() == source_digest.__wrapped__(engine) != source_digest.__wrapped__(
        package)


def test_search_filters_by_document_and_source(cached_service) -> None:
    etna = next(d for d in cached_service.documents() if d.source.endswith("etna.txt"))
    hits = cached_service.search("otters", top_k=5, doc_id=etna.doc_id)
    assert hits and {h.doc_id for h in hits} == {etna.doc_id}
    hits = cached_service.search("volcano", top_k=5, source=etna.source)
    assert {h.source for h in hits} == {etna.source}


def test_rank_metrics() -> None:
    m = rank_metrics([1, 2, None, 11])
    assert m["hit@1"] == 0.25 and m["hit@5"] == 0.5 and m["hit@10"] == 0.5
    assert m["mrr@10"] == pytest.approx((1 + 0.5) / 4)


def test_eval_on_a_small_squad_file(embedder, tmp_path: Path) -> None:
    squad = {"data": [{"title": "Animals", "paragraphs": [
        {"context": "Sea otters crack shellfish with rocks while floating on their backs.",
         "qas": [{"question": "What do sea otters use to crack shellfish?",
                  "answers": [{"text": "rocks", "answer_start": 32}]}]},
        {"context": "Honey bees communicate the direction of flowers with a waggle dance.",
         "qas": [{"question": "How do bees tell others where flowers are?",
                  "answers": [{"text": "a waggle dance", "answer_start": 52}]}]},
        {"context": "Camels store fat, not water, in their humps.",
         "qas": [{"question": "What is stored in a camel's hump?",
                  "answers": [{"text": "fat", "answer_start": 13}]}]},
    ]}]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(squad))
    results = evaluate(embedder, path, ["dense", "hybrid"], with_bm25=True)
    assert [r["mode"] for r in results] == ["dense", "hybrid", "bm25 (rank-bm25)"]
    for r in results:
        assert r["paragraphs"] == 3 and r["questions"] == 3
        assert r["hit@5"] == 1.0 and 0 < r["mrr@10"] <= 1
    assert results[1]["answer_span_rate"] == 1.0
    # hybrid once per way of having sentence vectors, labelled, on the same collection
    ways = evaluate(embedder, path, ["hybrid"], rescoring=("stored", "question", "off"))
    assert [r["mode"] for r in ways] == ["hybrid", "hybrid (question-time rescoring)",
                                         "hybrid (no rescoring)"]
    assert all(r["hit@5"] == 1.0 and r["answer_span_rate"] == 1.0 for r in ways)


def test_hybrid_finds_what_only_one_retriever_finds(service, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "codes.txt").write_text("Error QX7731 means the flux capacitor is misaligned.")
    for i, topic in enumerate(["gardening tips for tomatoes", "history of the Roman empire",
                               "how to bake sourdough bread", "care of house cats"]):
        (folder / f"filler{i}.txt").write_text(f"A short note about {topic}. " * 5)
    service.ingest([folder])
    # the made-up code means nothing to the embedding model: only the lexical side knows it
    dense = service.search("QX7731", top_k=2, mode="dense")
    hybrid = service.search("QX7731", top_k=2, mode="hybrid")
    sparse = service.search("QX7731", top_k=2, mode="sparse")
    assert sparse[0].source.endswith("codes.txt")
    assert hybrid[0].source.endswith("codes.txt")
    assert dense  # dense always returns something, right or not
    # and a paraphrase with no shared words is found through the dense side
    para = service.search("growing vegetables in the backyard", top_k=1, mode="hybrid")
    assert para[0].source.endswith("filler0.txt")
    lexical_only = service.search("growing vegetables in the backyard", top_k=5, mode="sparse")
    assert all(not h.source.endswith("filler0.txt") for h in lexical_only)


def test_the_invisible_characters_the_sanitizer_drops_are_no_rewording() -> None:
    """A soft hyphen pasted from a web page, a right-to-left mark, a byte-order mark: the
    query searched is the one typed, and "Searched for:" would repeat it."""
    assert searched_for("Donaudampfschiff", "Donau\u00addampf\u00adschiff") is None
    assert searched_for("فندق النخيل", "\u200fفندق النخيل") is None
    assert searched_for("factors", "\ufefffactrs") == "factors"


@pytest.mark.parametrize(("question", "pointing"), [
    ("How do I make one?", True), ("how big is it", True), ("Why are they sorted?", True),
    ("And what is a matrix?", False), ("What about matrices?", False), ("What is CRAN?", False)])
def test_a_follow_up_points_back_with_a_pronoun_not_with_a_connective(question: str,
                                                                     pointing: bool) -> None:
    assert points_back(question) is pointing
