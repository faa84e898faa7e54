"""The generator seam: turn a question and numbered passages into a stream of text.

`stream` yields text deltas as they arrive and fills `record` (model, usage, notices) as it
goes, so callers can show the first token at once and the bookkeeping afterwards.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from rag.types import GenerationRecord, Hit


class Quoted(str):
    """A delta quoted word for word from a passage: its brackets are the document's, never
    citation markers."""


@dataclass(frozen=True)
class GenerationRequest:
    """What every generator gets: passages are numbered [1]..[k] in this order."""

    question: str
    passages: list[Hit]
    history: list[dict[str, str]] = field(default_factory=list)  # [{"role", "content"}]
    # Replaces the answering instructions for a side task (e.g. rewriting a follow-up
    # question); the question is then sent as it is, with no passages.
    system: str | None = None
    # who asked, in which collection: labels a provider may pass on (AI Gateway's metadata)
    metadata: dict[str, str] = field(default_factory=dict)
    # the question's words the library holds nowhere, though they name what it asks about
    # (an option, a product: `Retriever.unheld`): the passages cannot be about them
    unheld: tuple[str, ...] = ()
    # what was searched, when it is not the question as asked: a follow-up with the words
    # of the questions it leans on ("how do I make one (what is a factor)"), rewritten to
    # stand alone, or respelt as the library writes a word
    searched: str | None = None
    # the question's vector as the search embedded it, when the question itself was searched,
    # and `searched`'s when that was: an answerer that ranks sentences by the search's
    # embedder need not embed either again
    question_vector: np.ndarray | None = None
    searched_vector: np.ndarray | None = None
    # why the search could not embed the question, when it could not: the embedder is not
    # asked again for this question (a hung one would be waited on a second time)
    unembedded: str | None = None
    # set when nobody reads the answer any more: no model is called or retried for it
    reader_gone: threading.Event = field(default_factory=threading.Event, compare=False)


class Generator(ABC):
    """Answers from retrieved passages. `name` is the mode shown to users ("extractive", ...)."""

    name: str
    # the model it asks first, for a generator with a choice of model (`variant`)
    model: str | None = None

    @property
    def identity(self) -> str:
        """What makes this generator's answers differ from another's of the same `name`
        (its model, its length): part of the answer cache's key."""
        return self.name

    @abstractmethod
    def stream(self, request: GenerationRequest, record: GenerationRecord) -> Iterator[str]:
        """Yield the answer's text deltas; fill `record` (model, tokens, neurons, notice)."""

    def check_question(self, question: str) -> None:
        """Raise InputTooLongError when `question` alone, beside the instructions and room for
        the answer, fits the context window of no model this generator would ask: no passage
        could be sent with it. Nothing to check for a generator without a window."""
        return None

    def variant(self, model: str) -> Generator | None:
        """The same provider answering with `model` instead, sharing this one's connection
        (and closed with it); None when this generator has no choice of model."""
        return None

    def close(self) -> None:
        """Release connections (remote generators)."""
        return None  # nothing to release for a model in this process
