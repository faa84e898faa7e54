"""Where log records go: JSON lines in a file, problems to stderr, AI calls to the ledger.

Every record in the file is one JSON object (python-json-logger) with `timestamp` (ISO 8601,
UTC), `level`, `logger`, `message`, and the `request_id` and `user` of the question or ingest
it belongs to (`context`); an error's stack trace is in `exc_info`. Each AI call's record
(`calllog`: model, duration, attempts, neurons, ...) has its fields at the top level, with
`event: "ai_call"`. A terminal user should not see those mid-answer, so the console only
shows records at RAG_LOG_LEVEL (default ERROR) while the file keeps everything from INFO up.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from rag.app.context import current, new_request_id
from rag.errors import ConfigError
from rag.settings import why_not_made

_MARK = "_rag_handler"


class ScopeFilter(logging.Filter):
    """Adds the current request id and user to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        scope = current()
        if not hasattr(record, "request_id"):
            record.request_id = scope.request_id if scope else None
        if not hasattr(record, "user"):
            record.user = scope.user if scope else None
        return True


class JsonLines(JsonFormatter):
    """One JSON object per record; an AI call's fields are lifted to the top level."""

    def __init__(self) -> None:
        super().__init__("{levelname}{name}{message}{request_id}{user}", style="{",
                         rename_fields={"levelname": "level", "name": "logger"},
                         timestamp=True, reserved_attrs=[*_RESERVED, "ai_call"])

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        call = getattr(record, "ai_call", None)
        if isinstance(call, dict):
            log_data["message"] = "ai_call"
            log_data.update(call)


class OneLine(logging.Formatter):
    """The console's format: one line per record; stack traces stay in the log file."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return ""

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return ""


class LedgerHandler(logging.Handler):
    """Charges each AI call to the ledger of the scope it was made in (neurons by kind and
    user, budgets); calls made outside a scope are only logged."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)

    def handle(self, record: logging.LogRecord) -> bool:
        # without the handler's lock, which `Handler.handle` holds around `emit`: a charge
        # may wait on Redis, and the ledger is safe for threads, so one question's charge
        # must not queue every other question's behind it
        if not self.filter(record):
            return False
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        call = getattr(record, "ai_call", None)
        scope = current()
        if not isinstance(call, dict) or scope is None or scope.ledger is None:
            return
        try:
            scope.ledger.on_ai_call(call, scope)
        except Exception:
            self.handleError(record)


def unexpected_message(exc: BaseException, logger: str = "rag") -> str:
    """What a user is told of an error nobody planned for, logged (`report_unexpected`)."""
    return (f"Something went wrong on our side (error id {report_unexpected(exc, logger)}); "
            "quote it when you report the problem.")


def report_unexpected(exc: BaseException, logger: str = "rag") -> str:
    """Log an error nobody planned for with its stack trace, under a short id to show the
    user; the id is returned."""
    error_id = new_request_id()
    logging.getLogger(logger).error("unexpected error %s", error_id, exc_info=exc,
                                    extra={"error_id": error_id})
    return error_id


_RESERVED = list(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) + ["message",
                                                                            "asctime"]


#: the packages whose records our handlers take: the engine's and the ingest's
OUR_LOGGERS = ("rag", "ingest")


def configure_logging(log_file: Path, console_level: str = "ERROR", *,
                      log_file_set: bool = False) -> None:
    """Install our handlers on our loggers, replacing any we installed before; `log_file_set`:
    RAG_LOG_FILE names the file, rather than the data folder holding it."""
    loggers = [logging.getLogger(name) for name in OUR_LOGGERS]
    for logger in loggers:
        for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
            logger.removeHandler(handler)
            handler.close()
        # the file keeps INFO and up; DEBUG records reach the console when it asks for them
        logger.setLevel(min(logging.INFO, logging.getLevelName(console_level.upper())))
    console = logging.StreamHandler()
    console.setLevel(console_level.upper())
    console.setFormatter(OneLine())
    # said plainly: an unexpected error would point to this very log. Once RAG_LOG_FILE is
    # set, the data folder has no say in where the log goes
    advice = ("give RAG_LOG_FILE a file you can write." if log_file_set else
              "give RAG_DATA_DIR a folder you can write to, or RAG_LOG_FILE a file you can write.")
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot make the log file's folder {log_file.parent} "
                          f"({why_not_made(log_file.parent, exc)}): {advice}") from None
    try:
        # the log grows until it is rotated: logrotate's move (and create) is followed, the
        # next record opening the file again at its name
        to_file = logging.handlers.WatchedFileHandler(log_file, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot write the log file {log_file} ({exc.strerror or exc}): "
                          f"{advice}") from None
    to_file.setLevel(logging.INFO)
    to_file.addFilter(ScopeFilter())
    to_file.setFormatter(JsonLines())
    ledger = LedgerHandler()
    for handler in (console, to_file, ledger):
        setattr(handler, _MARK, True)
        for logger in loggers:
            logger.addHandler(handler)
