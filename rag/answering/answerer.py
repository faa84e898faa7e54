"""The ask pipeline: a question in, a streamed answer citing its passages out.

In order: the guard cleans the question and its history and refuses harmful asks
(`rag.guard.filter`); a follow-up is made standalone (`followup`); an identical question on
an unchanged library is replayed from the answer cache; otherwise the passages are retrieved
(and those holding instruction-like text flagged), the generator streams its answer, and
`citations` checks each [n] marker as it passes. When the stream ends the answer's citations
are filled in and, if it is complete, cached.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict

from rag.answering.citations import CitationChecker
from rag.answering.followup import standalone_question
from rag.guard.filter import ContentFilter, flag_passages
from rag.providers.generators.base import GenerationRequest, Generator
from rag.retrieval.cache import Cache, make_key, normalise_question
from rag.retrieval.retriever import Retriever
from rag.types import Answer, GenerationRecord, Hit

NOTHING_FOUND = (
    "I found nothing in your documents that matches this question. Ingest documents first "
    "(`rag ingest PATH`, or upload them in the app), or rephrase the question."
)


class Answerer:
    """Answers questions from one collection with one generator.

    Parameters:
        retriever: finds the passages (and knows the collection and its version).
        generator: writes the answer from them.
        cache: the answer cache (a disabled `Cache` never hits).
        guard: cleans questions and applies the content policy (default: cleaning only).
    """

    def __init__(self, retriever: Retriever, generator: Generator, cache: Cache,
                 guard: ContentFilter | None = None) -> None:
        self.retriever = retriever
        self.generator = generator
        self.cache = cache
        self.guard = guard or ContentFilter("off")

    def ask(self, question: str, top_k: int,
            history: list[dict[str, str]] | None = None) -> Answer:
        """The answer, ready to stream; retrieval has run when this returns.

        Raises ContentBlocked, before anything else runs, when the content filter refuses.
        """
        screened = self.guard.screen(question, history or [])  # the guard step
        question, history = screened.question, screened.history
        query = standalone_question(question, history, self.generator)
        key = self._key(question, query, top_k, history)
        cached = self.cache.get(key)
        if cached is not None:
            replayed = _replay(cached, self.generator.name)
            replayed.record.guard_neurons = screened.neurons
            return replayed
        retrieval = self.retriever.retrieve(query, top_k)
        hits = flag_passages(retrieval.hits)
        if not hits:
            return Answer(iter([NOTHING_FOUND]), [], self.generator.name,
                          GenerationRecord(model="none", guard_neurons=screened.neurons),
                          query=query)
        answer = Answer(iter(()), hits, self.generator.name,
                        GenerationRecord(guard_neurons=screened.neurons), query=query)
        checker = CitationChecker(len(hits))
        deltas = checker.filter(self.generator.stream(GenerationRequest(question, hits, history),
                                                      answer.record))
        deltas = self.guard.screen_answer(question, deltas, answer.record)
        # an answer made from unreranked hits (the reranker failed) is not kept
        answer.deltas = self._finish(answer, deltas, checker,
                                     None if retrieval.rerank_failed else key)
        return answer

    def _finish(self, answer: Answer, deltas: Iterator[str], checker: CitationChecker,
                key: str | None) -> Iterator[str]:
        """Pass the deltas through, then fill in the citations and cache the answer."""
        parts = []
        for delta in deltas:
            parts.append(delta)
            yield delta
        answer.cited = sorted(checker.cited)
        answer.dropped_citations = checker.dropped
        record = answer.record
        # an interrupted model answer is not kept; the extractive one's notice is its label
        if key is not None and (record.notice is None or self.generator.name == "extractive"):
            self.cache.set(key, {
                "text": "".join(parts), "citations": [h.as_json() for h in answer.citations],
                "model": record.model, "record": asdict(record), "query": answer.query,
                "cited": answer.cited,
            })

    def _key(self, question: str, query: str, k: int, history: list[dict[str, str]]) -> str:
        retriever = self.retriever
        asked = [normalise_question(t["content"]) for t in history if t.get("role") == "user"]
        rerank = retriever.rerank_key  # added only when on: keys without it stay valid
        checked = self.guard.answer_key  # likewise
        return make_key("answer", retriever.store.collection, retriever.store.version(),
                        retriever.embedder.name, self.generator.name, self.generator.identity,
                        retriever.mode, k, normalise_question(question),
                        normalise_question(query), asked, *([rerank] if rerank else []),
                        *([checked] if checked else []))


def _replay(cached: dict, generator: str) -> Answer:
    """A cached answer, streamed word by word like a fresh one."""
    record = GenerationRecord(**cached["record"])
    citations = [Hit(**c) for c in cached["citations"]]
    words = re.findall(r"\s*\S+", cached["text"])
    return Answer(iter(words), citations, generator, record, cached=True,
                  query=cached.get("query", ""), cited=list(cached.get("cited", [])))
