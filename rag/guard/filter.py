"""The guard step of the ask pipeline: clean what people typed, then refuse harmful asks.

`ContentFilter.screen` runs before anything else answers (the cache, the follow-up rewrite,
retrieval, the generator): the question and the conversation's newest turns (HISTORY_CHARS)
are cleaned (`rag.text.sanitize`), then, by RAG_CONTENT_FILTER,

* `off`: nothing is refused;
* `rules`: the question and the user's earlier turns are matched against the policy file;
* `llama-guard`: the rules first, then Llama Guard classifies the question; with
  RAG_CONTENT_FILTER_ANSWERS it also classifies each answer, which is held back until then.

A refusal raises `ContentBlocked` naming the category; the log records the category and the
rule (or "llama-guard"), never the question. When Llama Guard cannot be reached the rules'
verdict stands, and the log says so.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from rag.errors import EMPTY_QUESTION, AIError, ContentBlocked, EmptyQuestion, ReaderGone
from rag.guard.rules import Policy, load_policy
from rag.providers.guards.base import UNNAMED, Guard, Verdict
from rag.settings import ContentFilterMode, Settings
from rag.text.injection import instruction_flags
from rag.text.sanitize import clean, log_removed
from rag.types import Answer, Hit

log = logging.getLogger("rag.guard")
UNCHECKED_NOTE = "The content filter could not check this answer."
# characters of conversation kept, newest first: more fits no model's prompt beside the
# passages, and matching the rules against it would cost a second per 150,000 characters
HISTORY_CHARS = 32_000


@dataclass(frozen=True)
class Screened:
    """The question and history as they go on, and what checking them cost."""

    question: str
    history: list[dict[str, str]]
    neurons: float | None = None


class ContentFilter:
    """Cleans questions and applies the content policy.

    Usage:
        content_filter = ContentFilter("rules", load_policy(None))
        screened = content_filter.screen(question, history)   # or ContentBlocked
        deltas = content_filter.screen_answer(screened.question, deltas, answer)

    Parameters:
        mode: off, rules or llama-guard.
        policy: the rules (unused when the mode is off).
        guard: the classifier of the llama-guard mode.
        check_answers: with a guard, classify each answer before it is shown.
    """

    def __init__(self, mode: ContentFilterMode, policy: Policy | None = None,
                 guard: Guard | None = None, check_answers: bool = False) -> None:
        self.mode = mode
        self.policy = policy if mode != "off" else None
        self.guard = guard if mode == "llama-guard" else None
        self.check_answers = check_answers and self.guard is not None

    @property
    def answer_key(self) -> str | None:
        """Part of the answer cache's key when answers are checked (an answer cached without
        the check is not replayed with it)."""
        return f"answers-checked:{self.guard.name}" if self.check_answers and self.guard else None

    # --- questions -------------------------------------------------------------------------
    def screen(self, question: str, history: Sequence[dict[str, str]] = ()) -> Screened:
        """The cleaned question and the newest turns (up to HISTORY_CHARS); ContentBlocked if
        the policy refuses them."""
        cleaned = clean(question, tidy_spaces=True)
        log_removed("question", cleaned.removed)
        turns, removed = [], Counter[str]()
        for turn in recent(history):
            text = clean(str(turn.get("content", "")), tidy_spaces=True)
            removed.update(text.removed)
            turns.append({**turn, "content": text.text})
        log_removed("history", dict(removed), turns=len(turns))
        question = cleaned.text
        if not question:
            raise EmptyQuestion(EMPTY_QUESTION)
        if self.policy is not None:
            asked = [question] + [t["content"] for t in turns if t.get("role") == "user"]
            for n, text in enumerate(asked):
                rule = self.policy.first_match(text)
                if rule is not None:
                    _log_blocked("question" if n == 0 else "history", rule.category,
                                 by="rules", rule=rule.where)
                    raise ContentBlocked(rule.category)
        neurons = None
        if self.guard is not None:
            verdict, neurons = self._classify(question)
            if verdict is not None and not verdict.safe:
                category = verdict.categories[0] if verdict.categories else UNNAMED
                _log_blocked("question", category, by="llama-guard",
                             categories=list(verdict.categories), codes=list(verdict.codes))
                raise ContentBlocked(category, "question", verdict.neurons or 0.0)
        return Screened(question, turns, neurons)

    # --- answers ---------------------------------------------------------------------------
    def screen_answer(self, question: str, deltas: Iterator[str],
                      answer: Answer) -> Iterator[str]:
        """The deltas as they come; with answer checks on, held until the whole answer has
        been classified (ContentBlocked instead of an unsafe answer). The check's cost and
        verdict go to `answer.record` as it stands once the answer is complete (a fallback
        may have replaced it meanwhile)."""
        if not self.check_answers:
            yield from deltas
            return
        parts = list(deltas)
        if answer.reader_gone.is_set():  # nobody to show it to: not checked for nobody
            raise ReaderGone
        verdict, spent = self._classify(question, "".join(parts), answer.reader_gone)
        record = answer.record
        if spent is not None:
            record.guard_neurons = (record.guard_neurons or 0.0) + spent
        if verdict is None:
            # shown, as the question's check fails open, but said so and never cached: a
            # replay would reach everyone who asks, unchecked, once the guard is back
            answer.degraded.append("answer_unchecked")
            answer.notes.append(UNCHECKED_NOTE)
        elif not verdict.safe:
            category = verdict.categories[0] if verdict.categories else UNNAMED
            _log_blocked("answer", category, by="llama-guard",
                         categories=list(verdict.categories), codes=list(verdict.codes))
            record.blocked = category
            raise ContentBlocked(category, "answer", verdict.neurons or 0.0)
        yield from parts

    def _classify(self, question: str, answer: str | None = None,
                  reader_gone: threading.Event | None = None
                  ) -> tuple[Verdict | None, float | None]:
        """The guard's verdict, or None when it could not be asked or its reply read (the rules
        decide alone); and what the check cost, which a reply it cannot read costs too."""
        assert self.guard is not None
        try:
            verdict = self.guard.classify(question, answer, reader_gone)
            return verdict, verdict.neurons
        except AIError as exc:
            record = {"event": "guard_unavailable", "guard": self.guard.name,
                      "stage": "answer" if answer is not None else "question",
                      "error": type(exc).__name__, "status": exc.status,
                      "fallback": "rules" if answer is None else "answer shown unchecked"}
            log.warning(json.dumps(record), extra={"guard": record})
            return None, exc.neurons

    @classmethod
    def from_settings(cls, settings: Settings, guard: Guard | None = None) -> ContentFilter:
        """The filter RAG_CONTENT_FILTER* describe; `guard` is llama-guard's classifier."""
        mode = settings.content_filter
        policy = load_policy(settings.content_filter_rules) if mode != "off" else None
        return cls(mode, policy, guard, settings.content_filter_answers)

    def close(self) -> None:
        if self.guard is not None:
            self.guard.close()


def recent(history: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """The newest turns of a conversation, HISTORY_CHARS of them at most."""
    kept: list[dict[str, str]] = []
    room = HISTORY_CHARS
    for turn in reversed(history):
        content = str(turn.get("content", ""))
        if len(content) > room:  # the turn that overflows keeps its end
            if room:
                kept.append({**turn, "content": content[-room:]})
            break
        kept.append(turn)
        room -= len(content)
    return kept[::-1]


def flag_passages(hits: Sequence[Hit]) -> list[Hit]:
    """The hits, each carrying the names of the instruction-like patterns its text holds,
    with the lead-in a model is shown before it."""
    return [replace(hit, flags=flags) if (flags := instruction_flags(
                " ".join(filter(None, (hit.lead_in, hit.text))))) else hit
            for hit in hits]


def _log_blocked(stage: str, category: str, **detail: object) -> None:
    record = {"event": "content_blocked", "stage": stage, "category": category, **detail}
    log.info(json.dumps(record), extra={"content_blocked": record})
