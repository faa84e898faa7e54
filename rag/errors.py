"""Errors a user can meet, each naming the file, limit or setting at fault.

    RagError
    ├── ConfigError            a setting is missing or inconsistent
    ├── EmbedderMismatchError  the collection was filled by another embedder
    ├── InputTooLongError      a query or text exceeds a model's token limit
    ├── DocumentError          a file could not be read (corrupt, encrypted, empty, unsupported)
    ├── StoreError             the Qdrant server is down, or refused the request
    └── AIError                a remote AI call failed
        ├── TransientAIError   worth retrying: 429, 408, 5xx, timeouts, connection errors
        └── PermanentAIError   not worth retrying: bad input, auth, no such model, context window
"""

from __future__ import annotations


class RagError(Exception):
    """Base of every error this application raises on purpose."""


class ConfigError(RagError):
    pass


class EmbedderMismatchError(RagError):
    pass


class InputTooLongError(RagError):
    pass


class DocumentError(RagError):
    """A file that cannot be ingested; `reason` is a short machine-friendly word."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple:  # raised in the parser process, re-raised here
        return (type(self), (self.reason, str(self)))


class StoreError(RagError):
    pass


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


class PermanentAIError(AIError):
    pass
