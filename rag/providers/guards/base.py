"""The guard seam: a safety classifier that says whether a question (or an answer to it) is
safe, and if not, in which categories."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

# a verdict of unsafe naming no category a reader could be told (none, or one unknown)
UNNAMED = "unsafe content"


@dataclass(frozen=True)
class Verdict:
    """A classifier's answer. `categories` are names a user can read ("violent crimes")."""

    safe: bool
    categories: tuple[str, ...] = ()
    neurons: float | None = None  # what the check cost (Workers AI)
    codes: tuple[str, ...] = ()  # the classifier's own words for the categories, for the log


class Guard(ABC):
    """Classifies a question, or a question and its answer. `name` identifies the model."""

    name: str

    @abstractmethod
    def classify(self, question: str, answer: str | None = None,
                 reader_gone: threading.Event | None = None) -> Verdict:
        """The verdict on `question` alone, or with `answer` on the answer; not retried once
        `reader_gone` is set (nobody will read the answer)."""

    def close(self) -> None:
        """Release connections (remote classifiers)."""
        return None  # nothing to release for a classifier in this process
