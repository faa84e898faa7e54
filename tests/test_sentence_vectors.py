"""Sentence vectors stored at ingest: written and read back on every engine, the rescoring and
the extractive answer built from them with nothing embedded at question time, and collections
filled before them still rescored by sentences embedded per question. Real model, real stores.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest

from ingest.embedding import embed_chunks, sentence_spans
from rag.providers.embedders.local import pool_spans
from rag.retrieval.rescoring import (
    MATCH_WEIGHT,
    TYPE_WEIGHT,
    WEIGHT,
    WORDS_WEIGHT,
    SentenceRescorer,
)
from rag.stores import sentence_vectors
from rag.text import lexical
from rag.text.answer_types import answer_kind
from rag.text.sentences import split
from rag.types import Hit
from tests.test_store_engines import ENGINES, open_service

LAKE = ("The museum opens at nine. Tickets are sold at the door. The café serves soup. "
        "In winter the lake is about forty metres deep. Guided tours leave every hour.")
HILLS = ("The hills are green in spring. Sheep graze on the slopes. A path runs to the top. "
         "The view reaches the sea on clear days.")
QUESTION = "How deep is the lake in winter?"


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "lake.txt").write_text(LAKE)
    (folder / "hills.txt").write_text(HILLS)
    (folder / "long.txt").write_text(" ".join(
        f"Note {i} says the lake freezes in a cold winter and thaws in spring." for i in range(60)))
    return folder


def test_the_payload_codec_keeps_spans_and_cosines() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(5, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    spans = [(0, 10), (11, 40), (41, 41 + 7), (50, 90), (91, 120)]
    decoded = sentence_vectors.decode(sentence_vectors.encode(spans, vectors))
    assert decoded is not None and decoded.spans == tuple(spans)
    assert decoded.vectors.shape == (5, 384) and decoded.vectors.dtype == np.float32
    query = vectors[2]
    np.testing.assert_allclose(decoded.vectors @ query, vectors @ query, atol=0.01)
    assert sentence_vectors.decode(None) is None
    assert sentence_vectors.decode({"spans": [[0, 1]], "int8": "!!", "scales": ""}) is None
    assert sentence_vectors.decode({"spans": [], "int8": "", "scales": ""}) is None


def test_a_searchs_payloads_are_decoded_together_as_one_by_one() -> None:
    rng = np.random.default_rng(11)

    def stored(sentences: int, width: int = 384) -> dict:
        vectors = rng.normal(size=(sentences, width)).astype(np.float32) * rng.uniform(0.1, 9)
        return sentence_vectors.encode([(n, n + 1) for n in range(sentences)], vectors)

    unreadable = {"spans": [[0, 1]], "int8": "AAAA", "scales": ""}  # no scale for its sentence
    values = [stored(3), None, stored(1), unreadable, stored(6), {"spans": "x"}]
    together = sentence_vectors.decode_many(values)
    assert [found is None for found in together] == [False, True, False, True, False, True]
    for value, found in zip(values, together, strict=True):
        if found is None:
            continue
        assert found.spans == tuple(tuple(span) for span in value["spans"])
        np.testing.assert_allclose(np.linalg.norm(found.vectors, axis=1), 1, atol=1e-5)
        # the same vectors as the payload's int8 rows times their scales, normalised
        raw = np.frombuffer(base64.b64decode(value["int8"]), np.int8).reshape(
            len(found.spans), -1) * np.frombuffer(base64.b64decode(value["scales"]),
                                                  np.float32)[:, None]
        np.testing.assert_allclose(found.vectors, raw / np.linalg.norm(raw, axis=1,
                                                                      keepdims=True), atol=1e-6)
    # vectors of two widths (never in one collection) are still each read right
    mixed = sentence_vectors.decode_many([stored(2, 384), stored(2, 768)])
    assert [found.vectors.shape for found in mixed] == [(2, 384), (2, 768)]


def test_spans_are_pooled_from_the_chunks_own_forward_pass(embedder) -> None:
    texts = [LAKE, HILLS, "One sentence alone"]
    embedded = embed_chunks(embedder, texts, sentences=True)
    np.testing.assert_array_equal(embedded.dense, embedder.embed_documents(texts))
    assert embedded.sentences is not None
    for text, stored in zip(texts, embedded.sentences, strict=True):
        assert list(stored.spans) == sentence_spans(text)
        assert stored.vectors.shape == (len(stored.spans), embedder.dimension)
        np.testing.assert_allclose(np.linalg.norm(stored.vectors, axis=1), 1, atol=1e-5)
    # each sentence has its own vector: the one about depth is closest to a question on depth
    lake = embedded.sentences[0]
    best = int(np.argmax(lake.vectors @ embedder.embed_query(QUESTION)))
    assert LAKE[slice(*lake.spans[best])].startswith("In winter the lake")
    # without sentences asked for, or from a model that cannot pool, only the chunk vectors
    assert embed_chunks(embedder, texts).sentences is None


def test_a_heading_is_stored_as_it_says_on_its_own(embedder) -> None:
    # pooled inside its chunk a heading's vector says what the chunk says; a question phrased
    # like the heading must find the heading itself
    text = ("2.12 Why is R named R?\nThe name is partly based on the first names of the first "
            "two R authors, and partly a play on the name of the Bell Labs language S.")
    stored = embed_chunks(embedder, [text], sentences=True).sentences[0]
    heading, body = (text[start:end] for start, end in stored.spans)
    assert heading == "2.12 Why is R named R?"
    alone = embedder.embed_documents([heading, body])
    np.testing.assert_allclose(stored.vectors[0], alone[0], atol=1e-5)
    assert float(stored.vectors[1] @ alone[1]) < 0.99  # the body's: pooled, contrasted
    # a chunk that is a heading and nothing else too
    only = embed_chunks(embedder, ["3.1 What is S?"], sentences=True)
    np.testing.assert_allclose(only.sentences[0].vectors[0], only.dense[0], atol=1e-5)


def test_pooling_takes_the_tokens_inside_each_span() -> None:
    states = np.array([[9.0, 9.0], [1.0, 0.0], [0.0, 1.0], [0.0, 3.0], [9.0, 9.0]])
    offsets = [(0, 0), (0, 3), (4, 6), (6, 9), (0, 0)]  # [CLS] abc de|fgh [SEP]
    special = [1, 0, 0, 0, 1]
    fallback = np.array([1.0, 0.0])
    pooled = pool_spans(states, offsets, special, [(0, 3), (4, 9), (10, 12)], fallback)
    np.testing.assert_allclose(pooled, [[1, 0], [0, 1], [1, 0]])  # the last: no token


@pytest.mark.slow
def test_stored_vectors_are_written_and_read_back(settings, embedder, engine,
                                                 corpus: Path) -> None:
    svc = open_service(settings, embedder, engine)
    try:
        svc.ingest([corpus])
        assert svc.store.sentence_scheme == sentence_vectors.SCHEME
        hits = svc.store.search(embedder.embed_query(QUESTION),
                                lexical.query_vector(QUESTION, svc.store.lexical_scheme),
                                20, "hybrid")
        assert len(hits) > 3
        texts = [h.text for h in hits]
        expected = embed_chunks(embedder, texts, sentences=True).sentences
        assert expected is not None
        for hit, made in zip(hits, expected, strict=True):
            stored = hit.sentence_vectors
            assert stored is not None
            assert stored.spans == made.spans == tuple((s.start, s.end) for s in split(hit.text))
            cosines = (stored.vectors * made.vectors).sum(axis=1)
            assert cosines.min() > 0.999  # int8 in the payload, float32 made
        # the stored vectors never leave the process in a hit's JSON
        assert "sentence_vectors" not in hits[0].as_json()
    finally:
        svc.close()


@pytest.mark.slow
def test_rescoring_from_stored_vectors_embeds_nothing(settings, embedder, engine,
                                                      corpus: Path, monkeypatch) -> None:
    svc = open_service(settings, embedder, engine)
    try:
        svc.ingest([corpus])
        rescorer = svc.retriever.rescorer
        assert rescorer is not None

        def refuse(*_args, **_kwargs):
            raise AssertionError("a sentence was embedded at question time")

        monkeypatch.setattr(svc.embedder, "embed_documents", refuse)
        query = embedder.embed_query(QUESTION)
        ranked = svc.retriever.retrieve_with(QUESTION, query, 10, "hybrid").hits
        # the order the stored vectors imply: fused score + WEIGHT × best stored cosine +
        # WORDS_WEIGHT × best share of the question's terms in a sentence the spans cut +
        # TYPE_WEIGHT × the best share of one holding what the question asks for +
        # MATCH_WEIGHT × its words' match of the question's, from their stored vectors
        fused = svc.store.search(query, lexical.query_vector(QUESTION, svc.store.lexical_scheme),
                                 rescorer.candidates, "hybrid")
        holds = answer_kind(QUESTION)
        assert holds is not None  # "How deep ...?" asks for a number

        def words(h: Hit, typed: bool = False) -> float:
            cut = [h.text[start:end] for start, end in h.sentence_vectors.spans]
            shares = lexical.term_shares(QUESTION, cut)
            return max((share for sentence, share in zip(cut, shares, strict=True)
                        if not typed or holds(sentence)), default=0.0)

        # the word match weighs each word by its rarity among these candidates: all of them
        matches = dict(zip([h.chunk_id for h in fused], rescorer.word_matches(QUESTION, fused),
                           strict=True))
        assert len(fused) < rescorer.candidates and min(matches.values()) > 0

        def matched(h: Hit) -> float:
            return matches[h.chunk_id]

        implied = sorted(((h.score + WEIGHT * float((h.sentence_vectors.vectors @ query).max())
                           + WORDS_WEIGHT * words(h) + TYPE_WEIGHT * words(h, typed=True)
                           + MATCH_WEIGHT * matched(h),
                           h.chunk_id) for h in fused),
                         key=lambda pair: -pair[0])
        assert [h.chunk_id for h in ranked] == [cid for _, cid in implied][:10]
        assert [h.score for h in ranked] == pytest.approx([s for s, _ in implied][:10])
        assert ranked[0].source.endswith("lake.txt")
        assert len(rescorer.embedded._vectors) == 0
    finally:
        svc.close()


@pytest.mark.slow
def test_a_collection_without_them_is_rescored_at_question_time(settings, embedder, engine,
                                                                 corpus: Path) -> None:
    first = open_service(settings, embedder, engine)
    first.store._set_metadata({"sentences": None})  # as a version before them left it
    first.close()
    old = open_service(settings, embedder, engine)
    try:
        assert old.store.sentence_scheme is None
        old.ingest([corpus])
        hits = old.search(QUESTION, 10, "dense")
        assert hits and all(h.sentence_vectors is None for h in hits)
        rescorer = old.retriever.rescorer
        assert rescorer is not None and len(rescorer.embedded._vectors) == 0
        assert old.search(QUESTION, 3, "hybrid")[0].source.endswith("lake.txt")
        assert len(rescorer.embedded._vectors) > 0  # its sentences were embedded now
        # the answer still quotes whole sentences, from sentences embedded per question
        text = old.ask(QUESTION, top_k=3).text
        assert "forty metres deep" in text
    finally:
        old.close()


_CITED = re.compile(r"(.+?) \[(\d+)\](?: |$)")


def test_the_extractive_answer_quotes_whole_sentences_from_stored_vectors(
        settings, embedder, corpus: Path, monkeypatch) -> None:
    svc = open_service(settings, embedder, "edge")
    try:
        svc.ingest([corpus])

        def refuse(*_args, **_kwargs):
            raise AssertionError("a sentence was embedded at question time")

        monkeypatch.setattr(svc.embedder, "embed_documents", refuse)
        answer = svc.ask(QUESTION, top_k=3)
        text = answer.text
        quoted = _CITED.findall(text)
        assert quoted and "".join(f"{b} [{n}] " for b, n in quoted).strip() == text
        for body, number in quoted:
            passage = answer.citations[int(number) - 1]
            assert body in [s.text for s in split(passage.text)]  # a whole sentence of it
        assert quoted[0][0].startswith("In winter the lake is about forty metres deep")
        assert answer.citations[int(quoted[0][1]) - 1].source.endswith("lake.txt")
    finally:
        svc.close()


def test_the_question_time_path_still_answers_when_asked_to(embedder) -> None:
    """`stored=False` (how the evaluation compares the two) embeds the sentences again."""
    rescorer = SentenceRescorer(embedder, stored=False)
    embedded = embed_chunks(embedder, [LAKE, HILLS], sentences=True)
    assert embedded.sentences is not None
    hits = [Hit("h", "hills.txt", None, "c1", 1.0, HILLS,
                sentence_vectors=embedded.sentences[1]),
            Hit("l", "lake.txt", None, "c0", 0.9, LAKE,
                sentence_vectors=embedded.sentences[0])]
    ranked = rescorer.rescore(QUESTION, embedder.embed_query(QUESTION), hits)
    assert ranked[0].doc_id == "l" and len(rescorer.embedded._vectors) == 9
