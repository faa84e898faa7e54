"""How the answer is drafted from the passages: one model, a fast one first, or several at once.

* `single`: the configured model, with its fallbacks; the answer streams as it is written.
* `progressive`: a fast model (RAG_PROGRESSIVE_MODEL) answers first, unseen; the answer is
  checked (`weakness`) and, when it is weak, the configured model answers instead. Only the
  final answer is shown; the first one goes to the log. A fast model whose context window
  cannot hold the question is skipped; a configured one that cannot keeps the first answer.
* `consensus`: the same prompt goes to several models (RAG_CONSENSUS_MODELS) in parallel; the
  answer the others agree with most is shown, with its agreement score (`agreement`). A model
  whose context window cannot hold the question is left out, and named in the report.

A strategy needs a generator that can answer with another model (`Generator.variant`); the
extractive answerer cannot, and always answers alone, its notice saying so.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from rag.answering.citations import CitationChecker
from rag.app.context import submit
from rag.errors import (
    AIError,
    CircuitOpenError,
    InputTooLongError,
    RagError,
    TransientAIError,
)
from rag.providers.cloudflare.catalog import is_workers_ai_model
from rag.providers.embedders.base import Embedder
from rag.providers.generators.base import GenerationRequest, Generator
from rag.providers.generators.streaming import every_model_failed
from rag.settings import AnswerStrategy
from rag.text import lexical
from rag.text.tokens import fit_tokens
from rag.types import Answer, ConsensusReport, GenerationRecord, ProgressiveReport, counted

log = logging.getLogger(__name__)

_REFUSAL = re.compile(
    r"\b(could ?n[o']t find|can ?n[o']t find|cannot find|unable to find|no information|"
    r"do(es)? not (say|contain|mention|include|state|specify)|"
    r"not (mentioned|stated|found|specified) in)\b", re.I)
_MARKER = re.compile(r"\[\d+\]")
# a strategy asked of a server whose answers quote passages: the extractive answer's own
# notice, after this one, says how to set a language model
EXTRACTIVE_STRATEGY = ("Answered by quoting passages: {strategy} a language model "
                       "(RAG_GENERATOR), and this server's answerer is extractive.")
STRATEGY_NEEDS = {"progressive": "progressive answers need", "consensus": "consensus needs"}


@dataclass(frozen=True)
class StrategyConfig:
    """The strategies' settings (see docs/configuration.md)."""

    default: AnswerStrategy = "single"
    progressive_model: str | None = "@cf/meta/llama-3.2-1b-instruct"  # None: no fast model
    min_words: int = 8
    refusal_score: float = 0.5
    consensus_models: tuple[str, ...] = ()
    min_agreement: float = 0.6

    @classmethod
    def from_settings(cls, settings: Any) -> StrategyConfig:
        progressive_model, consensus_models = strategy_models(settings)
        return cls(settings.answer_strategy, progressive_model,
                   settings.progressive_min_words, settings.progressive_refusal_score,
                   consensus_models, settings.consensus_min_agreement)

    def runnable(self, strategy: AnswerStrategy, generator: Generator) -> AnswerStrategy:
        """`strategy`, or `single` when it cannot run: a generator with no choice of model,
        no models to ask, or a fast model that is the configured one (an upgrade would ask
        the same model again, and pay for it twice)."""
        if strategy == "progressive" and self.progressive_model is not None \
                and self.progressive_model != generator.model \
                and generator.variant(self.progressive_model) is not None:
            return strategy
        if strategy == "consensus" and len(self.consensus_models) > 1 \
                and generator.variant(self.consensus_models[0]) is not None:
            return strategy
        return "single"

    def models_asked(self, runs: AnswerStrategy, model: str) -> tuple[str, ...]:
        """The models a strategy that `runs` (`runnable`) may draft with, besides or instead
        of the configured `model`."""
        if runs == "progressive" and self.progressive_model is not None:
            return (self.progressive_model, model)
        if runs == "consensus":
            return self.consensus_models
        return (model,)

    def not_run(self, asked: AnswerStrategy, runs: AnswerStrategy,
                generator: Generator) -> str | None:
        """Why the strategy `asked` of `generator` `runs` as `single` (`runnable`): the
        extractive answerer has no models to ask, its models were not named for this server,
        or its fast model is the configured one. None when it runs as asked."""
        if runs == asked:
            return None
        if generator.name == "extractive":
            return EXTRACTIVE_STRATEGY.format(strategy=STRATEGY_NEEDS[asked])
        if asked == "progressive" and self.progressive_model == generator.model:
            return ("Answered by one model: the fast model (RAG_PROGRESSIVE_MODEL) is the "
                    "configured model, so a weak answer has no model to upgrade to.")
        if asked == "progressive":
            return ("Answered by one model: progressive answers need a fast model named for "
                    "this server (RAG_PROGRESSIVE_MODEL).")
        return ("Answered by one model: consensus needs at least two models named for this "
                "server (RAG_CONSENSUS_MODELS).")


def strategy_models(settings: Any) -> tuple[str | None, tuple[str, ...]]:
    """The fast model and the consensus models. Their defaults are Workers AI's: an
    OpenAI-compatible server serves them only when it is Workers AI's `/ai/v1` (its chat
    model one of them); any other server is asked only for the models named for it, and
    without them both strategies answer as `single`."""
    named = settings.model_fields_set
    elsewhere = settings.resolved_generator == "openai" and not is_workers_ai_model(
        settings.openai_chat_model)
    progressive = settings.progressive_model if not elsewhere or (
        "progressive_model" in named) else None
    consensus = settings.consensus_models if not elsewhere or (
        "consensus_models" in named) else []
    return progressive, tuple(consensus)


def words_of(text: str) -> Iterator[str]:
    """A finished text, replayed in word-sized deltas like a stream."""
    return iter(re.findall(r"\s*\S+", text))


def draft(strategy: AnswerStrategy, generator: Generator, request: GenerationRequest,
          answer: Answer, config: StrategyConfig, embedder: Embedder) -> Iterator[str]:
    """The answer's deltas as `strategy` (one that can run: `StrategyConfig.runnable`)
    drafts them; fills `answer.record` and `answer.strategy`."""
    if strategy == "progressive":
        return progressive(generator, request, answer, config)
    if strategy == "consensus":
        return consensus(generator, request, answer, config, embedder)
    return generator.stream(request, answer.record)


# --- progressive -----------------------------------------------------------------------------


def weakness(text: str, request: GenerationRequest, config: StrategyConfig) -> str | None:
    """Why a first answer is not good enough to keep, or None: too short, no valid citation,
    citations naming no passage, or a "not in the passages" answer although the best
    passage scored high."""
    checker = CitationChecker(len(request.passages), [p.text for p in request.passages])
    kept = "".join(checker.filter(words_of(text)))
    top = request.passages[0].score if request.passages else 0.0
    if _REFUSAL.search(text) and top >= config.refusal_score:
        return f"it said the passages do not answer, but the best passage scored {top:.2f}"
    if len(_MARKER.sub(" ", kept).split()) < config.min_words:
        return f"shorter than {config.min_words} words"
    if checker.dropped:
        return f"{counted(checker.dropped, 'citation')} named no passage"
    if not checker.cited:
        return "no valid citation"
    return None


def progressive(generator: Generator, request: GenerationRequest, answer: Answer,
                config: StrategyConfig) -> Iterator[str]:
    assert config.progressive_model is not None
    fast = generator.variant(config.progressive_model)
    assert fast is not None
    started = time.monotonic()
    first = GenerationRecord()
    failed: AIError | None = None
    too_long: str | None = None
    try:
        text = "".join(fast.stream(request, first))
        reason = weakness(text, request, config) if not first.interrupted else "interrupted"
    except AIError as exc:
        text, reason, failed = "", f"the fast model failed ({type(exc).__name__})", exc
    except InputTooLongError:  # raised before any call: the configured model may hold it
        text, reason = "", "the question is too long for the fast model"
        too_long = config.progressive_model
    report = ProgressiveReport(config.progressive_model, _ms_since(started), too_long=too_long)
    answer.strategy = report
    if reason is not None and too_long is None and not holds(generator, request.question):
        if failed is not None:  # no model left to ask: the models failed, not the question
            raise failed
        if text:  # the only answer the question can have
            report.too_long = generator.model
    if reason is None or report.too_long == generator.model:
        _copy_record(first, answer.record)
        report.final_model, report.final_ms = config.progressive_model, report.first_ms
        report.reason = reason
        yield from words_of(text)
        return
    report.upgraded, report.reason = True, reason
    log.info(json.dumps({"event": "progressive_upgrade", "first_model": report.first_model,
                         "first_ms": report.first_ms, "reason": reason, "first_answer": text}))
    upgraded = time.monotonic()
    try:
        yield from generator.stream(request, answer.record)
    finally:
        report.final_model = answer.record.model
        report.final_ms = _ms_since(upgraded)
        answer.record.neurons = _total(first.neurons, answer.record.neurons)


def holds(generator: Generator, question: str) -> bool:
    """Whether a model `generator` asks has a context window that holds `question`."""
    try:
        generator.check_question(question)
    except InputTooLongError:
        return False
    return True


# --- consensus -------------------------------------------------------------------------------


@dataclass
class _Draft:
    model: str
    record: GenerationRecord = field(default_factory=GenerationRecord)
    text: str = ""
    ms: float = 0.0
    error: AIError | None = None


def no_whole_answer(drafts: Sequence[_Draft]) -> TransientAIError:
    """The error for drafts all cut short or empty, each model's with what became of its draft:
    shown short, it keeps every model's name and reason, as a chain of fallbacks does."""
    failures = [(d.model, TransientAIError(d.record.notice or "an empty answer")) for d in drafts]
    return TransientAIError("No model gave a whole answer. " + "; ".join(
        f"{model}: {error}" for model, error in failures), failures=failures)


def why_left_out(draft: _Draft) -> str:
    """Why a draft takes no part in the agreement, in a few words for the note."""
    if isinstance(draft.error, CircuitOpenError):
        return "skipped: it failed through its retries a moment ago"
    if draft.error is not None:
        return f"failed: {failure_words(draft.error)}"
    return "answer interrupted" if draft.record.interrupted else "empty answer"


def failure_words(error: AIError) -> str:
    """An error's status and code ("HTTP 429, code 3040"), or its kind when it has neither."""
    parts = ([f"HTTP {error.status}"] if error.status is not None else []) + (
        [f"code {error.code}"] if error.code is not None else [])
    return ", ".join(parts) or type(error).__name__


def consensus(generator: Generator, request: GenerationRequest, answer: Answer,
              config: StrategyConfig, embedder: Embedder) -> Iterator[str]:
    models = list(dict.fromkeys(config.consensus_models))
    variants = {model: generator.variant(model) for model in models}
    asked = [m for m, variant in variants.items()
             if variant is not None and holds(variant, request.question)]
    too_long = [model for model in models if model not in asked]
    if not asked:  # no model can hold it: the question's fault, as one model refuses it
        first = variants[models[0]]
        assert first is not None
        first.check_question(request.question)

    def write(model: str) -> _Draft:
        drafted = _Draft(model)
        started = time.monotonic()
        variant = variants[model]
        assert variant is not None
        try:
            drafted.text = "".join(variant.stream(request, drafted.record))
        except AIError as exc:
            drafted.error = exc
        drafted.ms = _ms_since(started)
        return drafted

    with ThreadPoolExecutor(len(asked), thread_name_prefix="rag-consensus") as pool:
        drafts = [f.result() for f in [submit(pool, write, m) for m in asked]]
    answered = [d for d in drafts if d.error is None and d.text.strip()
                and not d.record.interrupted]
    if not answered:
        failures = [(d.model, d.error) for d in drafts if d.error is not None]
        if len(failures) == 1:
            raise failures[0][1]
        if failures:  # each model's reason, the most telling first, as for fallbacks
            raise every_model_failed(failures)
        # every draft cut short or empty: the models failed, not the question, and the
        # answerer quotes the passages instead, as when they fail outright
        raise no_whole_answer(drafts)
    scores = agreement([d.text for d in answered], len(request.passages), embedder)
    best = max(range(len(answered)), key=lambda i: (scores[i] if scores else 0.0, -i))
    chosen = answered[best]
    score = round(scores[best], 3) if scores else None
    answer.strategy = ConsensusReport(
        models=models, chosen_model=chosen.model, agreement=score,
        disagree=score is not None and score < config.min_agreement,
        failed=[d.model for d in drafts if d not in answered],
        failed_why={d.model: why_left_out(d) for d in drafts if d not in answered},
        too_long=too_long,
        timings_ms={d.model: d.ms for d in drafts})
    _copy_record(chosen.record, answer.record)
    answer.record.neurons = _total(*(d.record.neurons for d in drafts))
    others = [d for d in drafts if d is not chosen]
    log.info(json.dumps({"event": "consensus", "chosen": chosen.model, "agreement": score,
                         "too_long": too_long,
                         "others": [{"model": d.model, "answer": d.text,
                                     "error": str(d.error) if d.error else None}
                                    for d in others]}))
    yield from words_of(chosen.text)


def agreement(texts: Sequence[str], passages: int, embedder: Embedder) -> list[float]:
    """Each answer's agreement score, 0..1: its share of the votes when every answer votes for
    it as far as they agree, itself fully. Two answers agree by half the overlap of the
    passages they cite (Jaccard) and half the similarity of their texts by the embedder
    (cosine). Two of three models giving the same answer score it at least 2/3; two models
    answering differently score about 0.5 (up to 0.6 when their texts are alike). Empty for a
    single answer."""
    if len(texts) < 2:
        return []
    cited = [_cited(text, passages) for text in texts]
    similarity = _similarity([_MARKER.sub(" ", t) for t in texts], embedder)
    n = len(texts)
    scores = []
    for i in range(n):
        pairs = []
        for j in range(n):
            if i == j:
                continue
            text_score = float(similarity[i, j])
            if cited[i] or cited[j]:
                overlap = len(cited[i] & cited[j]) / len(cited[i] | cited[j])
                pairs.append((overlap + text_score) / 2)
            else:
                pairs.append(text_score)
        # a vote share: the answer agrees fully with itself, and partly with each other one
        scores.append(max(0.0, min(1.0, (1.0 + sum(pairs)) / n)))
    return scores


def _cited(text: str, passages: int) -> set[int]:
    checker = CitationChecker(passages)
    for _ in checker.filter(words_of(text)):
        pass
    return set(checker.cited)


def _similarity(texts: list[str], embedder: Embedder) -> np.ndarray:
    """Cosine similarities by the embedder; word overlap if it cannot embed them."""
    try:
        vectors = embedder.embed_documents([_fit(t, embedder) for t in texts])
        return np.clip(vectors @ vectors.T, 0.0, 1.0)
    except (AIError, RagError) as exc:
        log.warning("consensus: the embedder failed (%s); comparing words instead", exc)
        terms = [set(lexical.terms(t)) for t in texts]
        return np.array([[len(a & b) / max(len(a | b), 1) for b in terms] for a in terms])


def _fit(text: str, embedder: Embedder) -> str:
    """The text, cut to what the embedder takes (the start carries the answer)."""
    return fit_tokens(" ".join(text.split()) or "(empty)", embedder.count_tokens,
                      embedder.max_tokens)[0]


# --- shared ----------------------------------------------------------------------------------


def _copy_record(source: GenerationRecord, target: GenerationRecord) -> None:
    """The drafting model's record becomes the answer's; what the content filter and the
    follow-up's rewrite spent on the question is the answer's own and stays."""
    for f in fields(source):
        if f.name not in ("guard_neurons", "rewrite_neurons"):
            setattr(target, f.name, getattr(source, f.name))


def _total(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
