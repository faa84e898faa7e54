"""Word vectors stored at ingest: each content word's state in its chunk's forward pass, kept
small, read back on every engine, and matched against the question's words in the rescoring;
hits stored before them are all scored without them. Real model, real stores."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ingest.embedding import embed_chunks
from rag.retrieval import rescoring
from rag.retrieval.rescoring import SentenceRescorer
from rag.stores import sentence_vectors, word_vectors
from rag.text import lexical
from rag.types import Hit
from tests.test_store_engines import ENGINES, open_service

FATHER = ("Tom lives by the river with his father, who mends boats for the fishermen. "
          "Every morning they walk to the harbour together.")
GARDEN = ("Tom's garden is full of roses. He waters the flowers every morning and sells them "
          "at the market on Saturdays.")
QUESTION = "What does Tom's dad do for a living?"


def unit_rows(count: int, width: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, width)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_content_words_leave_stop_words_out() -> None:
    text = "What does Tom's dad do for a living, in 2024?"
    assert [text[start:end] for start, end in lexical.content_spans(text)] == [
        "Tom", "s", "dad", "living", "2024"]
    assert lexical.content_spans("Who is it?") == []


def test_the_projection_never_changes() -> None:
    # stored vectors and a later release's questions must be projected alike: a new matrix
    # needs a new SCHEME and a re-ingest
    matrix = word_vectors._projection(384)
    assert matrix.shape == (384, word_vectors.WIDTH)
    assert set(np.unique(np.sign(matrix))) == {-1.0, 1.0}
    assert np.allclose(np.abs(matrix), 1 / np.sqrt(word_vectors.WIDTH))
    assert hashlib.sha256(matrix.tobytes()).hexdigest()[:16] == "d880d2c54f9d9a94"
    # cosines survive it about as well as a third of the bytes can keep them
    rows = unit_rows(200, 384, 3)
    kept = word_vectors.projected(rows)
    before, after = rows[:100] @ rows[100:].T, kept[:100] @ kept[100:].T
    assert np.abs(before - after).mean() < 0.08


def test_the_payload_codec_keeps_cosines() -> None:
    rows = word_vectors.projected(unit_rows(7, 384, 5))
    decoded = word_vectors.decode(word_vectors.encode(rows))
    assert decoded is not None and decoded.shape == (7, word_vectors.WIDTH)
    assert decoded.dtype == np.int8
    again = decoded.astype(np.float32)
    again /= np.linalg.norm(again, axis=1, keepdims=True)
    assert np.allclose((again * rows).sum(axis=1), 1, atol=0.002)
    none = word_vectors.decode(word_vectors.encode(np.zeros((0, word_vectors.WIDTH))))
    assert none is not None and none.shape == (0, word_vectors.WIDTH)
    assert word_vectors.decode(None) is None
    assert word_vectors.decode({"width": 128, "int8": "AAAA"}) is None  # 3 bytes, not a row
    assert word_vectors.decode({"width": "x", "int8": ""}) is None


def test_each_question_word_takes_the_chunks_word_most_like_it() -> None:
    question = unit_rows(3, 8, 1)
    holds_all = np.vstack([question, unit_rows(4, 8, 2)])
    holds_one = np.vstack([question[:1], unit_rows(4, 8, 3)])
    as_int8 = [np.round(rows * 127).astype(np.int8) for rows in (holds_all, holds_one)]
    best = word_vectors.best_matches(question, [*as_int8, np.zeros((0, 8), np.int8)])
    assert best.shape == (3, 3)  # chunks × question words
    np.testing.assert_allclose(best[0], 1.0, atol=0.01)
    # its own first word, then for each other word the row most like it
    np.testing.assert_allclose(best[1], (holds_one @ question.T).max(axis=0), atol=0.02)
    assert best[1, 0] == pytest.approx(1.0, abs=0.01) and best[1, 1:].max() < 0.99
    assert best[2].tolist() == [0.0, 0.0, 0.0]  # a chunk of stop words alone matches nothing
    assert word_vectors.best_matches(question[:0], as_int8).shape == (2, 0)


def test_ingest_keeps_a_vector_for_each_content_word(embedder) -> None:
    embedded = embed_chunks(embedder, [FATHER, "It is what it is."], sentences=True)
    assert embedded.sentences is not None
    father, stop_words = embedded.sentences
    assert father.words.shape == (len(lexical.content_spans(FATHER)), word_vectors.WIDTH)
    assert stop_words.words.shape == (0, word_vectors.WIDTH)
    # the sentences' vectors are what they were without the words pooled beside them
    dense, pooled = embedder.embed_documents_with_sentences([FATHER], [list(father.spans)])
    np.testing.assert_allclose(sentence_vectors.contrasted(dense[0], pooled[0]), father.vectors,
                               atol=1e-6)


def test_a_question_matches_a_passage_that_says_it_in_other_words(embedder) -> None:
    embedded = embed_chunks(embedder, [FATHER, GARDEN], sentences=True)
    hits = [Hit(doc_id=name, source=name, page=None, chunk_id=name, score=0.0, text=text,
                sentence_vectors=replace(stored, words=word_vectors.decode(
                    word_vectors.encode(stored.words))))
            for name, text, stored in zip(("father", "garden"), (FATHER, GARDEN),
                                          embedded.sentences, strict=True)]
    rescorer = SentenceRescorer(embedder)
    father, garden = rescorer.word_matches(QUESTION, hits)
    # "dad" meets "father" and "living" meets "mends boats"; the garden holds only "Tom"
    assert father > garden
    # the question's words come from its own forward pass: kept from its embedding
    embedder.embed_query(QUESTION)
    words = embedder.embed_query_words(QUESTION)
    assert words.shape == (len(lexical.content_spans(QUESTION)), embedder.dimension)
    # a hit without stored words: no hit is matched, so all are scored alike
    old = replace(hits[1], sentence_vectors=replace(hits[1].sentence_vectors, words=None))
    assert rescorer.word_matches(QUESTION, [hits[0], old]) == [0.0, 0.0]
    assert SentenceRescorer(embedder, match_weight=0).word_matches(QUESTION, hits) == [0, 0]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_stored_word_vectors_are_written_and_read_back(settings, embedder, engine: str,
                                                       tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "father.txt").write_text(FATHER)
    (folder / "garden.txt").write_text(GARDEN)
    svc = open_service(settings, embedder, engine)
    try:
        svc.ingest([folder])
        hits = svc.search(QUESTION, 2, "hybrid")
        assert {hit.source.rsplit("/", 1)[-1] for hit in hits} == {"father.txt", "garden.txt"}
        assert hits[0].source.endswith("father.txt")
        made = embed_chunks(embedder, [hit.text for hit in hits], sentences=True).sentences
        for hit, fresh in zip(hits, made, strict=True):
            stored = hit.sentence_vectors.words.astype(np.float32)
            stored /= np.linalg.norm(stored, axis=1, keepdims=True)
            assert stored.shape == fresh.words.shape
            assert (stored * fresh.words).sum(axis=1).min() > 0.99  # int8 in the payload
            # and matched sentence by sentence, for the answer to rank them
            assert len(hit.sentence_matches) == len(hit.sentence_vectors.spans)
        assert "word_vectors" not in hits[0].as_json()
        assert "sentence_matches" not in hits[0].as_json()
    finally:
        svc.close()


def test_a_word_the_title_names_counts_as_matched(embedder) -> None:
    # "the Apache License" names the document: every passage of it is about the license
    text = "You may not use the trade names of the Licensor, except as required by custom."
    stored = embed_chunks(embedder, [text], sentences=True).sentences[0]

    def hit(title: str) -> Hit:
        return Hit(doc_id=title, source=title, page=None, chunk_id=title, score=0.0,
                   text=text, title=title, sentence_vectors=stored)

    question = "What does the Apache License say about trade names?"
    titled, untitled = SentenceRescorer(embedder).word_matches(
        question, [hit("Apache License 2.0"), hit("notes.txt")])
    assert titled > untitled


def test_a_word_every_candidate_holds_weighs_least() -> None:
    held = [frozenset({"lake", "deep"}), frozenset({"lake"}), frozenset({"lake", "winter"})]
    weights = rescoring._rarity([frozenset({"lake"}), frozenset({"deep"}),
                                 frozenset({"frozen"})], held)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] < weights[1] < weights[2]


def test_a_chunks_words_are_cut_by_its_sentences() -> None:
    text = "Tom mends boats. The harbour is cold, and gulls cry."
    found = lexical.content_spans(text)
    rows = np.arange(len(found) * 2, dtype=np.int8).reshape(len(found), 2)
    first, second = word_vectors.by_span(rows, found, [(0, 16), (17, len(text))])
    assert [text[slice(*span)] for span in found[:len(first)]] == ["Tom", "mends", "boats"]
    assert len(first) + len(second) == len(found)
    np.testing.assert_array_equal(second, rows[len(first):])
    # a span holding no whole word has no rows
    assert not len(word_vectors.by_span(rows, found, [(1, 3)])[0])


def test_each_sentence_is_matched_word_by_word(embedder) -> None:
    text = f"{GARDEN} {FATHER}"
    chunk = Hit(doc_id="tom", source="tom", page=None, chunk_id="tom", score=0.0, text=text,
                sentence_vectors=embed_chunks(embedder, [text], sentences=True).sentences[0])
    other = replace(chunk, chunk_id="garden", text=GARDEN, sentence_vectors=embed_chunks(
        embedder, [GARDEN], sentences=True).sentences[0])
    rescored = {hit.chunk_id: hit for hit in SentenceRescorer(embedder).rescore(
        QUESTION, embedder.embed_query(QUESTION), [chunk, other])}
    spans = rescored["tom"].sentence_vectors.spans
    matches = dict(zip([text[start:end] for start, end in spans],
                       rescored["tom"].sentence_matches, strict=True))
    assert len(matches) == 4
    # the sentence about his father matches best, and its chunk outranks the garden alone
    best = max(matches, key=matches.get)
    assert best.startswith("Tom lives by the river")
    assert rescored["tom"].score > rescored["garden"].score
    # not rescored word by word: none, so that the answer ranks every sentence one way
    off = SentenceRescorer(embedder, match_weight=0).rescore(
        QUESTION, embedder.embed_query(QUESTION), [chunk, other])
    assert all(hit.sentence_matches is None for hit in off)
