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
    ├── NoRoom                 a write failed: full disk, quota, file-size limit, read-only
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

import errno
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal


class RagError(Exception):
    """Base of every error this application raises on purpose."""


def shortened(exc: BaseException, limit: int = 400, each: int = 240) -> str:
    """The error, short enough to show beside an answer, its advice ("Check
    CLOUDFLARE_API_TOKEN") kept whole: cut to `limit` characters, what it quotes cut first
    (the log has it whole). An error that stands for several models' failures names each
    model with its reason, each reason cut so to `each` characters."""
    failures = getattr(exc, "failures", ())
    if failures:
        head = str(exc).split(". ", 1)[0]  # its lead sentence: "No model could answer"
        return f"{head}. " + "; ".join(
            f"{model}: {shortened(error, each)}" for model, error in failures)
    text = str(exc)
    if text.endswith(".") and not text.endswith("..."):  # a cut's mark stays
        text = text[:-1]
    echoed = getattr(exc, "echoed", None)
    over = len(text) - limit
    if over > 0 and echoed and echoed in text:
        text = text.replace(echoed, _cut(echoed, len(echoed) - over), 1)
    return text if len(text) <= limit else _cut(text, limit)


def _cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, marked as cut ("..." alone when none fit): at
    the last space that fits, so that no word is shown in part, unless the text has none."""
    if len(text) <= limit:
        return text
    kept = text[:max(limit - 3, 0)]
    if text[len(kept)] != " " and " " in kept:
        kept = kept.rsplit(" ", 1)[0]
    return kept.rstrip(" .,;:(") + "..."


def first_sentence(exc: BaseException, limit: int = 200) -> str:
    """The error's first sentence, cut to `limit` characters: short enough to show inline."""
    return _cut(str(exc).split(". ")[0].rstrip("."), limit)


#: how advice names the number of passages a question retrieves: the option or field the
#: request set it by, else the setting
_top_k_named: ContextVar[str] = ContextVar("top_k_named", default="RAG_TOP_K")


@contextmanager
def top_k_named(name: str | None) -> Iterator[None]:
    """Within the block, advice to lower the passages retrieved names `name` ("--top-k", the
    API's "top_k"): what the request was given; None, a request that gave none, RAG_TOP_K."""
    token = _top_k_named.set(name or "RAG_TOP_K")
    try:
        yield
    finally:
        _top_k_named.reset(token)


def top_k_name() -> str:
    """What set the passages retrieved, as advice names it (`top_k_named`)."""
    return _top_k_named.get()


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
        return CollectionMissing(f"There is no collection named '{name}'; {use_instead(twin)}")
    return CollectionMissing(f"There is no collection named '{name}' (there are: "
                             f"{', '.join(names) or 'none yet'}).")


def same_in_any_case(name: str, names: list[str]) -> str | None:
    """The name among `names` that is `name` in any case: a name is one name in any case."""
    return next((n for n in names if n.lower() == name.lower()), None)


def use_instead(twin: str) -> str:
    """The advice for a name that differs from `twin` only in case, said alike by every
    door."""
    return f"names that differ only in case are one name: use '{twin}'."


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
    return CollectionExists(f"A collection named '{twin}' already exists, and "
                            f"{use_instead(twin)}")


class EmbedderMismatchError(RagError):
    pass


class InputTooLongError(RagError):
    pass


class EmptyQuestion(RagError):
    pass


EMPTY_QUERY = "The query is empty: give the words to search for."
EMPTY_QUESTION = "The question is empty: ask something about your documents."
QUESTION_CHARS = 20_000  # a question or a query, at every door


def empty_filter(name: str) -> EmptyQuestion:
    """The error for a search kept to the document whose `doc_id` or `source` (`name`) is
    empty: a script's variable left unset, not a wish to search every document."""
    said = {"doc_id": "document id", "source": "source path"}[name]
    return EmptyQuestion(f"The {said} to search in is empty: give one, or leave it out to "
                         "search every document.")


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


class NoRoom(RagError):
    """A write failed for want of room: the disk is full, a quota or the file-size limit
    (`ulimit -f`) is reached, or the file system is read-only; `errno` says which."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.errno = code


#: what each condition is, and what to do about it
_NO_ROOM = {
    errno.ENOSPC: ("no space left on the device", "Free some space on its disk"),
    errno.EDQUOT: ("the disk quota is exceeded", "Free some space within your quota, or ask "
                   "for a larger one"),
    errno.EFBIG: ("the file-size limit was reached", "Raise the limit "
                  "(ulimit -f)"),
    errno.EROFS: ("the file system is read-only", "Make it writable, or set RAG_DATA_DIR to a "
                  "folder that is"),
}
# the error number as other layers spell it: Python's "[Errno 28]" inside another error's
# text, Rust's io::Error (qdrant-edge: "Os { code: 28, kind: StorageFull, ... }")
_ERRNO_IN_TEXT = re.compile(r"\[Errno (\d+)\]|\bOs \{ code: (\d+)")


def no_room_errno(exc: BaseException) -> int | None:
    """The error number (ENOSPC, EDQUOT, EFBIG, EROFS) when `exc`, or an error it was raised
    from, is a write failing for want of room; else None. The store's engine raises these as
    plain exceptions with the OS error in their text, SQLite (the caches) in its own words."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, NoRoom):
            return exc.errno
        if isinstance(exc, OSError) and exc.errno in _NO_ROOM:
            return exc.errno
        if getattr(exc, "sqlite_errorname", None) == "SQLITE_FULL":
            return errno.ENOSPC  # SQLite's word for ENOSPC; its other I/O errors say no errno
        for match in _ERRNO_IN_TEXT.finditer(str(exc)):
            code = int(match[1] or match[2])
            if code in _NO_ROOM:
                return code
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return None


def no_room(exc: BaseException, folder: str | os.PathLike[str] | None = None) -> NoRoom | None:
    """The error to report when `exc` is a write failing for want of room (`no_room_errno`),
    naming the file (when the error does) or `folder`, where the data is; else None, as for
    any other error of the app's own, which says already what went wrong."""
    if isinstance(exc, NoRoom):
        return exc
    if isinstance(exc, RagError):
        return None
    code = no_room_errno(exc)
    if code is None:
        return None
    filename = getattr(exc, "filename", None)
    where = str(filename) if isinstance(filename, (str, os.PathLike)) else None
    reason, advice = _NO_ROOM[code]
    data = f" (the data is in {folder})" if folder is not None and where else ""
    return NoRoom(f"Could not write to {where or folder or 'the data folder'}: {reason}. "
                  f"{advice}{data}, and try again.", code)


@contextmanager
def writing_to(folder: str | os.PathLike[str]) -> Iterator[None]:
    """Writes into `folder`: one failing for want of room becomes NoRoom, which says what to
    do; any other error passes as it is."""
    try:
        yield
    except Exception as exc:
        if (error := no_room(exc, folder)) is not None:
            raise error from exc
        raise


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


#: What a provider refused to serve, whatever the question: the token (or its permissions),
#: the account, or this model for this account. Only the operator can fix these.
Refusal = Literal["credentials", "account", "model"]


class AIError(RagError):
    """A failed AI call; `code` is the provider's error code when it gave one, `echoed` what
    the message quotes (the provider's own words, the failure a skip is for), `failures`
    each model's error, the most telling first, when this one stands for a chain of models
    that all failed, and `refused` what the provider refused when no retry or other
    question would be served (`Refusal`)."""

    # what the call was billed, for one that failed once answered (a reply it cannot read)
    neurons: float | None = None

    def __init__(self, message: str, *, status: int | None = None, code: int | str | None = None,
                 retry_after: float | None = None, echoed: str | None = None,
                 failures: Sequence[tuple[str, AIError]] = (),
                 refused: Refusal | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after
        self.echoed = echoed
        self.failures = tuple(failures)
        self.refused = refused


class TransientAIError(AIError):
    pass


class CircuitOpenError(TransientAIError):
    """Not sent at all: the model's circuit breaker is open (it failed through its retries
    a moment ago, here or in another process)."""


class PermanentAIError(AIError):
    pass


# what pydantic writes before the message of an error a validator raised: the exception's
# kind, which says nothing to the person who set the value
_VALIDATOR_PREFIX = re.compile(r"^(?:Value error|Assertion failed), ")


def validation_message(problem: Mapping[str, Any]) -> str:
    """A pydantic validation problem's message (`ValidationError.errors()`'s `msg`), as
    users read it: "use 1 to 63 ASCII letters ...", not "Value error, use 1 to 63 ..."."""
    return _VALIDATOR_PREFIX.sub("", str(problem.get("msg") or "invalid"))
