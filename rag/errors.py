"""Errors a user can meet, each naming the file, limit or setting at fault.

    RagError
    ├── ConfigError            a setting is missing or inconsistent
    │   ├── CollectionExists   a new collection's name is taken
    │   ├── CollectionMissing  no collection has the name, or it was deleted while being read
    │   └── CollectionBusy     a collection to delete is being ingested into
    ├── EmbedderMismatchError  the collection was filled by another embedder
    ├── InputTooLongError      a query or text exceeds a model's token limit
    ├── EmptyQuestion          a question or query with nothing in it but spaces
    ├── DocumentError          a file could not be read (corrupt, encrypted, empty, unsupported)
    ├── IngestCancelled        an ingest was stopped (the engine shutting down) before it ended
    ├── StoreError             the Qdrant server is down, or refused the request
    ├── ContentBlocked         the content filter refused a question (or an answer); `category`
    ├── AccessError            the engine refused a caller
    │   ├── Unauthorized       a missing or wrong API key
    │   ├── Forbidden          not allowed from where it came (no keys set: loopback only)
    │   └── RateLimited        over the per-user limit; `retry_after` seconds
    └── AIError                a remote AI call failed
        ├── TransientAIError   worth retrying: 429, 408, 5xx, timeouts, connection errors
        │   └── CircuitOpenError  not sent: the model failed recently and is skipped for now
        └── PermanentAIError   not worth retrying: bad input, auth, no such model, context window
"""

from __future__ import annotations

import threading


class RagError(Exception):
    """Base of every error this application raises on purpose."""


def shortened(exc: BaseException, limit: int = 400) -> str:
    """The whole error, cut to `limit` characters: where its advice ("Check
    CLOUDFLARE_API_TOKEN") must not be lost with its second sentence."""
    text = str(exc).rstrip(".")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def first_sentence(exc: BaseException, limit: int = 200) -> str:
    """The error's first sentence, cut to `limit` characters: short enough to show inline."""
    text = str(exc).split(". ")[0].rstrip(".")
    return text if len(text) <= limit else text[:limit - 3] + "..."


class ConfigError(RagError):
    pass


class CollectionExists(ConfigError):
    pass


class CollectionMissing(ConfigError):
    """No collection has the name asked for, or the collection was deleted while a request
    read or wrote it."""


class CollectionBusy(ConfigError):
    pass


class CollectionProtected(ConfigError):
    """The configured collection (RAG_COLLECTION) cannot be deleted: the engine serves it."""


#: what the API adds to `no_such_collection`; the `rag` command, which makes a collection by
#: ingesting into it, says the message without it, with or without an engine
MADE_BY_THE_API = "POST /api/v1/collections makes one."


def no_such_collection(name: str, names: list[str]) -> CollectionMissing:
    if (twin := same_in_any_case(name, names)) is not None:  # the one a person meant
        return CollectionMissing(f"There is no collection named '{name}'; names that differ "
                                 f"only in case are one name: use '{twin}'.")
    return CollectionMissing(f"There is no collection named '{name}' (there are: "
                             f"{', '.join(names) or 'none yet'}).")


def same_in_any_case(name: str, names: list[str]) -> str | None:
    """The name among `names` that is `name` in any case: a name is one name in any case."""
    return next((n for n in names if n.lower() == name.lower()), None)


def deleted_before_ingest(name: str) -> CollectionMissing:
    return CollectionMissing(f"The collection '{name}' was deleted before this ingest began; "
                             "nothing was stored.")


def deleted_while_used(name: str) -> CollectionMissing:
    return CollectionMissing(f"The collection '{name}' was deleted while this request used it.")


def taken_in_other_case(name: str, names: list[str]) -> CollectionExists | None:
    """The error for making `name` beside a collection whose name differs only in case (one
    name to a person, and to a file system that ignores case); None when there is none."""
    twin = same_in_any_case(name, names)
    if twin is None or twin == name:
        return None
    return CollectionExists(f"A collection named '{twin}' already exists, and names that "
                            f"differ only in case are one name: use '{twin}'.")


class EmbedderMismatchError(RagError):
    pass


class InputTooLongError(RagError):
    pass


class EmptyQuestion(RagError):
    pass


EMPTY_QUERY = "The query is empty: give the words to search for."
EMPTY_QUESTION = "The question is empty: ask something about your documents."
QUESTION_CHARS = 20_000  # a question or a query, at every door


def too_long_to_ask(kind: str, chars: int) -> InputTooLongError:
    """A question (`kind` "question") or query over QUESTION_CHARS."""
    return InputTooLongError(f"The {kind} is too long: {chars:,} characters, at most "
                             f"{QUESTION_CHARS:,}.")


class DocumentError(RagError):
    """A file that cannot be ingested; `reason` is a short machine-friendly word."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple:  # raised in the parser process, re-raised here
        return (type(self), (self.reason, str(self)))


class IngestCancelled(RagError):
    pass


class ReaderGone(BaseException):
    """Nobody reads the answer any more (its client left): no model is called, or called
    again, for it. A BaseException, as GeneratorExit is: no handler of failures may take it
    for one and answer in its place."""


def reader_left(reader_gone: threading.Event | None) -> bool:
    """Whether an answer's reader has gone (`reader_gone` set; None: a call nobody waits on
    to read, such as an ingest's)."""
    return reader_gone is not None and reader_gone.is_set()


class StoreError(RagError):
    pass


class ContentBlocked(RagError):
    """The content filter refused a question, or with answer checks on, an answer.

    `category` names what was refused ("malware", "violent crimes"), never the rule that
    matched; `stage` is "question" or "answer"; `neurons` is what the check cost.
    """

    def __init__(self, category: str, stage: str = "question", neurons: float = 0.0, *,
                 message: str | None = None) -> None:
        super().__init__(message or refusal(category, stage))
        self.category = category
        self.stage = stage
        self.neurons = neurons


def refusal(category: str, stage: str = "question") -> str:
    """What a user is told when the content filter refuses their question (or its answer)."""
    if stage == "question":
        return (f"This question was blocked by the content filter (category: {category}); it "
                "was not sent to the model. If this is a mistake, rephrase the question or ask "
                "the administrator to tune the filter (docs/security.md).")
    return (f"The answer was withheld by the content filter (category: {category}). If this is "
            "a mistake, ask the administrator to tune the filter (docs/security.md).")


class AccessError(RagError):
    pass


class Unauthorized(AccessError):
    pass


class Forbidden(AccessError):
    pass


class RateLimited(AccessError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AIError(RagError):
    """A failed AI call; `code` is the provider's error code when it gave one."""

    def __init__(self, message: str, *, status: int | None = None, code: int | str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after


class TransientAIError(AIError):
    pass


class CircuitOpenError(TransientAIError):
    """Not sent at all: the model's circuit breaker is open (it failed through its retries
    a moment ago, here or in another process)."""


class PermanentAIError(AIError):
    pass
