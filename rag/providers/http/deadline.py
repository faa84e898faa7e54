"""One deadline for a whole question: every AI call made for it takes what is left.

A question's AI calls (the follow-up's rewrite, the question's embedding, each chat model and
fallback, each consensus draft, the content filter's checks) share `RAG_AI_DEADLINE_SECONDS`,
so that a provider that accepts connections and never answers holds the question up once,
not once per call. The service starts it in the question's context (`contextvars`), which
the answer's stream and the threads it hands work to keep (`rag.app.context`); a call made
outside a question (an ingest, a search) keeps the retry policy's own deadline.

Usage:
    context.run(start_question_deadline, settings.ai_deadline_seconds)
    ...
    left = question_seconds_left()  # None outside a question
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass

from rag.errors import TransientAIError

#: a call left less than this is not made: it could not be answered in time
SHORTEST_TRY_SECONDS = 1.0


@dataclass(frozen=True)
class QuestionDeadline:
    seconds: float  # the whole question's, for messages
    ends_at: float  # on the monotonic clock

    def left(self) -> float:
        return self.ends_at - time.monotonic()


_deadline: contextvars.ContextVar[QuestionDeadline | None] = contextvars.ContextVar(
    "rag_question_deadline", default=None)


def start_question_deadline(seconds: float) -> QuestionDeadline:
    """Make the current context a question's that must end within `seconds`, for good: for a
    context copied for the question alone, run with `context.run(...)`."""
    deadline = QuestionDeadline(seconds, time.monotonic() + seconds)
    _deadline.set(deadline)
    return deadline


def question_deadline() -> QuestionDeadline | None:
    return _deadline.get()


def question_seconds_left() -> float | None:
    """The seconds left of the current question's deadline; None outside a question."""
    deadline = _deadline.get()
    return None if deadline is None else deadline.left()


def question_time_spent(provider: str, model: str) -> TransientAIError | None:
    """Why a call is not made: the question has less than a try's time left (None when it
    has enough, or is no question's)."""
    deadline = _deadline.get()
    if deadline is None or deadline.left() >= SHORTEST_TRY_SECONDS:
        return None
    return TransientAIError(
        f"{provider} did not ask {model}: the question's {deadline.seconds:g} s "
        "(RAG_AI_DEADLINE_SECONDS) were spent before it.", code="deadline_spent")
