"""The ask pipeline: a question in, a streamed answer citing its passages out.

In order: the guard cleans the question and its history and refuses harmful asks
(`rag.guard.filter`); a follow-up is made standalone (`followup`); an identical question on
an unchanged library is replayed from the answer cache; otherwise the passages are retrieved
(with the code a passage's last sentence introduces, from the chunk after it:
`rag.retrieval.introduced_code`; and those holding instruction-like text flagged), the
answer strategy (`strategies`: single, progressive, consensus) drafts the answer, and
`citations` checks each [n] marker as it passes. When the stream ends the answer's
citations are filled in and, if it is complete, cached.

Degrade, never fail, while the documents can still answer: a question that cannot be embedded
is searched by its words; when every language model fails before its first word, or the user
is over budget, the last resort (the extractive answerer) quotes the passages instead, and
the answer says why. Degraded answers are never cached.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

from rag.answering.citations import CitationChecker, listed
from rag.answering.followup import (
    carry_over,
    points_back,
    previous_question,
    standalone_question,
)
from rag.answering.strategies import StrategyConfig, draft
from rag.app.context import current, submit
from rag.errors import AIError, InputTooLongError, shortened
from rag.guard.filter import ContentFilter, flag_passages
from rag.providers.generators.base import GenerationRequest, Generator
from rag.retrieval.cache import Cache, make_key, normalise_question, source_digest
from rag.retrieval.introduced_code import with_following_code
from rag.retrieval.retriever import SPARSE_ONLY_NOTE, Retrieval, Retriever
from rag.settings import AnswerStrategy
from rag.stores.fusion import ScoredIds
from rag.text.images import without_images
from rag.types import (
    Answer,
    Degradation,
    GenerationRecord,
    Hit,
    strategy_from_json,
    unmentioned,
)

log = logging.getLogger(__name__)

NOTHING_FOUND = (
    "I found nothing in your documents that matches this question. Ingest documents first "
    "(`rag ingest PATH`, or upload them in the app), or rephrase the question."
)
# a library that holds documents, none of which holds a word of the question
WORDS_FOUND_NOWHERE = ("The question was searched by its words only, and no passage of your "
                       "documents holds any of them: {advice}.")
SHORTEN = "shorten the question to what you want to know, so that it is searched by its meaning"
REPHRASE = "rephrase the question in the words your documents use"
MODELS_UNAVAILABLE = ("The language models are unavailable; these are quoted passages "
                      "({reason}).")


class Answerer:
    """Answers questions from one collection with one generator.

    Parameters:
        retriever: finds the passages (and knows the collection and its version).
        generator: writes the answer from them.
        cache: the answer cache (a disabled `Cache` never hits).
        last_resort: quotes the passages when the generator cannot answer (extractive).
        strategies: the answer strategies' settings.
        guard: cleans questions and applies the content policy (default: cleaning only).
    """

    def __init__(self, retriever: Retriever, generator: Generator, cache: Cache,
                 last_resort: Generator | None = None,
                 strategies: StrategyConfig | None = None,
                 guard: ContentFilter | None = None) -> None:
        self.retriever = retriever
        self.generator = generator
        self.cache = cache
        self.last_resort = last_resort
        self.strategies = strategies or StrategyConfig()
        self.guard = guard or ContentFilter("off")

    def ask(self, question: str, top_k: int, history: list[dict[str, str]] | None = None, *,
            strategy: AnswerStrategy | None = None, over_budget: str | None = None,
            reader_gone: threading.Event | None = None) -> Answer:
        """The answer, ready to stream; retrieval has run when this returns.

        Raises ContentBlocked, before anything else runs, when the content filter refuses.
        `over_budget` (why the user may not spend more today) makes the last resort answer.
        `reader_gone` becomes the answer's (`Answer.abandon`); set before the answer is made,
        a follow-up's rewrite by the model stops with ReaderGone.
        """
        reader_gone = reader_gone or threading.Event()
        screened = self.guard.screen(question, history or [])  # the guard step
        question, history = screened.question, list(screened.history)
        generator = self.generator
        degraded: list[Degradation] = []
        notes: list[str] = []
        if over_budget is not None and self.last_resort is not None \
                and generator.name != self.last_resort.name:
            generator = self.last_resort
            degraded.append("over_budget")
        asked = strategy or self.strategies.default
        strategy = self.strategies.runnable(asked, generator)
        # over budget, the notice says why the passages are quoted: no strategy could run
        if "over_budget" not in degraded and (
                shortfall := self.strategies.not_run(asked, strategy, generator)):
            notes.append(shortfall)
        rewrite = GenerationRecord()
        query, sparse_side = self._standalone(question, history, generator, top_k, rewrite,
                                              reader_gone)
        # what this question spent before its answer: the answer's record reports it beside
        spent = {"guard_neurons": screened.neurons, "rewrite_neurons": rewrite.neurons}
        key = self._key(question, query, top_k, history, generator, strategy)
        cached = self.cache.get(key) if not degraded else None
        if cached is not None:
            return _replay(cached, generator.name, spent, query, notes, reader_gone)
        retrieval = self.retriever.retrieve(query, top_k, lenient=True, sparse_side=sparse_side)
        if retrieval.sparse_only is not None:
            degraded.append("sparse_search")
            notes.append(SPARSE_ONLY_NOTE.format(retrieval.sparse_only))
        searched = retrieval.respelt or query  # what the answer's sources were found for
        # a passage ending on "Here is an example:" comes with the code the next chunk opens,
        # and one ending its page on a program with the rest the next page opens with
        hits = flag_passages(with_following_code(retrieval.hits, self.retriever.store))
        if not hits:
            return Answer(iter([self._nothing_found(question, query, retrieval)]), [],
                          generator.name,
                          GenerationRecord(model="none", **spent),
                          query=searched, degraded=degraded, notes=notes,
                          reader_gone=reader_gone)
        answer = Answer(iter(()), hits, generator.name,
                        GenerationRecord(**spent), query=searched,
                        degraded=degraded, notes=notes, reader_gone=reader_gone)
        scope = current()
        unheld = self.retriever.unheld(_as_searched(question, query, retrieval), hits)
        # what the answer ranks by when the question's own words match no sentence well: a
        # misspelt word as the library writes it, or the subject a follow-up points back to
        # ("How do I make one?"); not that of one naming its own ("And what is a matrix?")
        fallback = searched if searched != question and (
            retrieval.respelt is not None or points_back(question)) else None
        # a question too long to embed says nothing of the embedder, which may embed the rest
        embedding_failed = None if retrieval.too_long else retrieval.sparse_only
        request = GenerationRequest(question, hits, history, unheld=unheld,
                                    searched=fallback,
                                    question_vector=(
            retrieval.vector if query == question else None), searched_vector=(
            retrieval.vector if fallback is not None and fallback == query else None),
                                    unembedded=embedding_failed, metadata={
            "user": (scope.user if scope else None) or "",
            "collection": self.retriever.store.collection}, reader_gone=answer.reader_gone)
        checker = CitationChecker(len(hits), [hit.text for hit in hits])
        if "over_budget" in degraded:
            deltas = self._quoted(request, answer, over_budget or "")
        else:
            deltas = self._drafted(generator, strategy, request, answer)
        # no door renders an image it did not mean to fetch (rag.text.images)
        deltas = self.guard.screen_answer(question, without_images(checker.filter(deltas)),
                                          answer)
        # an answer made from unreranked or degraded hits (a part failed) is not kept
        keep = not (retrieval.rerank_failed or degraded)
        answer.deltas = self._finish(answer, deltas, checker, key if keep else None,
                                     respelt=retrieval.respelt is not None,
                                     found=len(retrieval.hits))
        return answer

    def _nothing_found(self, question: str, query: str, retrieval: Retrieval) -> str:
        """What a search that found no passage says: ingest, when the library is empty;
        else which of the question's words no document holds, and how to ask instead (a
        search by meaning finds passages in any library that holds some: this one was by
        words only, for the question's length or the embedder's failure, or by setting)."""
        if not self.retriever.store.size():
            return NOTHING_FOUND
        words = self.retriever.unheld(_as_searched(question, query, retrieval), [])
        said = WORDS_FOUND_NOWHERE.format(
            advice=SHORTEN if retrieval.too_long else REPHRASE)
        return f"{unmentioned(words)} {said}" if words else said

    def check_question(self, question: str, strategy: AnswerStrategy | None = None) -> None:
        """Raise InputTooLongError when `question` alone fits the context window of no model
        the answer with `strategy` would be drafted by (`Generator.check_question`), with the
        first's reason: a strategy leaves out a model that cannot hold it and answers with
        the others."""
        refusals: list[InputTooLongError] = []
        drafters = self._drafters(strategy)
        for generator in drafters:
            try:
                generator.check_question(question)
            except InputTooLongError as exc:
                refusals.append(exc)
        if refusals and len(refusals) == len(drafters):
            raise refusals[0]

    def _drafters(self, strategy: AnswerStrategy | None) -> list[Generator]:
        """The generators an answer with `strategy` asks: the configured one (with its
        fallbacks) and the fast model, each consensus model alone, or the configured one."""
        generator, config = self.generator, self.strategies
        runs = config.runnable(strategy or config.default, generator)
        if runs == "progressive" and config.progressive_model is not None:
            drafters = [generator, generator.variant(config.progressive_model)]
        elif runs == "consensus":
            drafters = [generator.variant(model) for model in config.consensus_models]
        else:
            drafters = [generator]
        return [drafter for drafter in drafters if drafter is not None]

    def drafting_models(self, strategy: AnswerStrategy | None) -> tuple[str, ...]:
        """The Workers AI models an answer to a question asked with `strategy` may be drafted
        by, for its cost's estimate; none for a generator that spends no neurons."""
        generator = self.generator
        model = generator.model
        if generator.name != "workers-ai" or model is None:
            return ()
        runs = self.strategies.runnable(strategy or self.strategies.default, generator)
        return self.strategies.models_asked(runs, model)

    def _standalone(self, question: str, history: list[dict[str, str]], generator: Generator,
                    top_k: int, rewrite: GenerationRecord, reader_gone: threading.Event
                    ) -> tuple[str, ScoredIds | None]:
        """The question to search for and, when a model rewrites a follow-up, the sparse half
        of the search: it runs meanwhile, on the question with the terms of those it leans on
        (what a words-only search needs), and is fused with the rewritten question's dense half."""
        previous = previous_question(history)
        if previous is None or generator.name == "extractive" or self.retriever.mode != "hybrid":
            return standalone_question(question, history, generator, rewrite,
                                       reader_gone), None
        with ThreadPoolExecutor(1, thread_name_prefix="rag-sparse") as pool:
            sparse = submit(pool, self.retriever.sparse_half, carry_over(question, history),
                            top_k)
            query = standalone_question(question, history, generator, rewrite, reader_gone)
            return query, sparse.result()

    def _drafted(self, generator: Generator, strategy: AnswerStrategy,
                 request: GenerationRequest, answer: Answer) -> Iterator[str]:
        """The strategy's answer; the last resort's when every model failed before its first
        word (after that, an interruption is shown inside the answer)."""
        produced = False
        try:
            for delta in draft(strategy, generator, request, answer, self.strategies,
                               self.retriever.embedder):
                produced = produced or bool(delta)
                yield delta
        except AIError as exc:
            if produced or self.last_resort is None or generator is self.last_resort:
                raise
            log.warning("every language model failed; quoting the passages instead: %s", exc)
            answer.degraded.append("models_unavailable")
            yield from self._quoted(request, answer, MODELS_UNAVAILABLE.format(
                reason=shortened(exc)))  # each model's failure and its advice

    def _quoted(self, request: GenerationRequest, answer: Answer,
                notice: str) -> Iterator[str]:
        """The last resort's answer, under `notice` instead of its own."""
        assert self.last_resort is not None
        answer.generator = self.last_resort.name
        answer.strategy = None
        answer.record = record = GenerationRecord(
            attempts=answer.record.attempts, guard_neurons=answer.record.guard_neurons,
            rewrite_neurons=answer.record.rewrite_neurons)
        for delta in self.last_resort.stream(request, record):
            record.notice = notice
            yield delta
        record.notice = notice

    def _finish(self, answer: Answer, deltas: Iterator[str], checker: CitationChecker,
                key: str | None, *, found: int, respelt: bool = False) -> Iterator[str]:
        """Pass the deltas through, then fill in the citations and cache the answer (and
        whether its query was the question respelt, which a replay reports too); `found`:
        how many of the citations the search gave, before those read beside them."""
        parts = []
        for delta in deltas:
            parts.append(delta)
            yield delta
        answer.cited = sorted(checker.cited)
        answer.dropped_citations = checker.dropped
        answer.citations = listed(answer.citations, found, answer.cited)
        record = answer.record
        # an interrupted model answer is not kept, nor one the last resort gave for models
        # that failed meanwhile (`degraded` grows while the answer streams), nor a fallback's:
        # the failure passes, and the key names the configured model; the extractive
        # generator's own notice is its label
        if key is not None and not answer.degraded and not record.fell_back and (
                record.notice is None or answer.generator == "extractive"):
            self.cache.set(key, {
                "text": "".join(parts), "citations": [h.as_json() for h in answer.citations],
                "model": record.model, "record": asdict(record), "query": answer.query,
                "respelt": respelt, "cited": answer.cited,
                "strategy": answer.strategy.as_json() if answer.strategy else None,
            })

    def _key(self, question: str, query: str, k: int, history: list[dict[str, str]],
             generator: Generator | None = None, strategy: AnswerStrategy = "single") -> str:
        retriever = self.retriever
        generator = generator or self.generator
        # the model reads its own turns too: another conversation's answer is not this one's
        said = [[t.get("role"), normalise_question(t["content"])] for t in history]
        rerank = retriever.rerank_key  # added only when on: keys without it stay valid
        checked = self.guard.answer_key  # added only when on, likewise
        # added for the other strategies only: single's keys stay as they were
        extra = [] if strategy == "single" else [self._strategy_key(strategy)]
        return make_key("answer", source_digest(), retriever.store.collection,
                        *retriever.store.identity(),
                        retriever.embedder.name, generator.name, generator.identity,
                        retriever.mode, k, normalise_question(question),
                        normalise_question(query), said, *([rerank] if rerank else []),
                        *([checked] if checked else []), *extra)

    def _strategy_key(self, strategy: AnswerStrategy) -> list[object]:
        config = self.strategies
        if strategy == "progressive":
            return [strategy, config.progressive_model, config.min_words, config.refusal_score]
        return [strategy, list(config.consensus_models)]


def _replay(cached: dict, generator: str, spent: dict[str, float | None], query: str,
            notes: list[str], reader_gone: threading.Event) -> Answer:
    """A cached answer, streamed word by word like a fresh one; `spent` is what this question
    spent itself (its checks, its rewrite), `query` what it searched for (the key ignores
    spacing, so the first asker's wording is not this one's; but a query respelt from it was
    searched as the cache says), and `notes` what this asking must say (its strategy that
    could not run)."""
    record = GenerationRecord(**{**cached["record"], **spent})
    if record.neurons is not None:
        record.neurons = 0.0  # no model ran for it: what the first run cost is spent once
    citations = [Hit(**c) for c in cached["citations"]]
    words = re.findall(r"\s*\S+", cached["text"])
    return Answer(iter(words), citations, generator, record, cached=True,
                  query=cached["query"] if cached.get("respelt") else query,
                  cited=list(cached.get("cited", [])), notes=notes,
                  strategy=strategy_from_json(cached.get("strategy")), reader_gone=reader_gone)


def _as_searched(question: str, query: str, retrieval: Retrieval) -> str:
    """The question as its passages were found for: respelt where the search respelt it
    (a word it only mistyped is no word the documents do not mention), else as asked."""
    return retrieval.respelt if retrieval.respelt and query == question else question
