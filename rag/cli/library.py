"""What a `rag` command works on: the library in this process, or a running engine's.

When an engine has the data folder open (`<data dir>/server.json` names a live one), the
embedded store cannot be opened a second time, so the command goes through the engine's API
(`remote.EngineLibrary`); otherwise it builds the service here (`LocalLibrary`). Both answer
in the shapes `--json` prints, so each command is written once for both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Protocol

from rag.cli.interrupts import StopNotSeenThrough, held_interrupts
from rag.engine import discovery
from rag.errors import top_k_named
from rag.settings import Settings, make_folders
from rag.types import LOCAL_USER

if TYPE_CHECKING:
    from ingest.discovery import Found
    from ingest.parse_ahead import SourceFile
    from ingest.pipeline import FileResult, IngestReport, Progress

#: (the file's source, its outcome as `FileResult.as_json()`)
OnFile = Callable[[dict[str, Any]], None]
#: a file's progress while it is stored, as the API reports it: its source, pages read,
#: chunks, chunks written
OnProgress = Callable[[dict[str, Any]], None]
SECOND_STOP = ("Ctrl-C came again while the files being written were ending: `rag docs list` "
               "shows which of them were stored")


class AnswerStream(Protocol):
    """An answer's text deltas; once read, `summary()` is `rag ask --json`'s object."""

    def __iter__(self) -> Iterator[str]: ...

    def summary(self) -> dict[str, Any]: ...


class Library(Protocol):
    where: str  # "here", or the engine's address

    def ingest(self, found: Found, on_file: OnFile,
               on_progress: OnProgress | None = None) -> dict[str, Any]:
        """Ingest the files `find_files` found; its skipped ones go in the report."""
        ...

    def search(self, query: str, top_k: int | None, mode: str | None, doc_id: str | None,
               source: str | None) -> dict[str, Any]:
        """`rag search --json`'s object: the hits, the query they were found for, and its
        words the library holds nowhere."""
        ...

    def ask(self, question: str, top_k: int | None,
            strategy: str | None = None) -> AnswerStream: ...

    def documents(self) -> list[dict[str, Any]]: ...

    def delete(self, doc_id_or_source: str) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


def open_library(settings: Settings, *, must_exist: bool = False,
                 first_made: bool = False) -> Library:
    """The running engine's library when there is one for this data folder, else this one;
    with `must_exist`, ConfigError when the collection does not exist (it is not made),
    unless `first_made` and this folder's store has no collection yet."""
    address = discovery.find(settings.data_dir)
    if address is not None:
        from rag.cli.remote import EngineLibrary

        given = settings.model_fields_set  # set by the environment or .env, not defaults
        asked = {option: getattr(settings, field) for option, field in (
            ("top_k", "top_k"), ("mode", "search_mode"), ("strategy", "answer_strategy"))
            if field in given}
        return EngineLibrary(address, settings.collection, must_exist=must_exist, asked=asked)
    return LocalLibrary(settings, must_exist=must_exist, first_made=first_made)


class _LocalAnswer:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def __iter__(self) -> Iterator[str]:
        return iter(self.answer)

    def summary(self) -> dict[str, Any]:
        return self.answer.as_json()


class LocalLibrary:
    """The service, built in this process (it holds the embedded store while it runs)."""

    where = "here"

    def __init__(self, settings: Settings, *, must_exist: bool = False,
                 first_made: bool = False) -> None:
        from rag.service import build_service

        make_folders(settings)  # a setting naming a file is the user's to fix, not a bug
        self.service = build_service(
            settings, create=not must_exist or ("first" if first_made else False))

    def ingest(self, found: Found, on_file: OnFile,
               on_progress: OnProgress | None = None) -> dict[str, Any]:
        from ingest.parse_ahead import SourceFile
        from ingest.pipeline import IngestReport, failed_unread

        def heard(result: FileResult) -> None:
            on_file(result.as_json())

        def storing(progress: Progress) -> None:
            if on_progress:
                on_progress(asdict(progress))

        unread = failed_unread(found, heard)
        read = self._until_stopped([SourceFile.at(path) for path in found.files], heard,
                                   storing)
        return IngestReport.of_found(found, unread + read.files).as_json()

    def _until_stopped(self, files: list[SourceFile], heard: Callable[[FileResult], None],
                       storing: Callable[[Progress], None]) -> IngestReport:
        """The ingest, which Ctrl-C or SIGTERM cancels as the engine cancels its own: it ends
        at its next page or batch, its embedding threads make no more calls, and every file
        made live has been heard of; then the signal is delivered (a KeyboardInterrupt). A
        second one stops at once, while files may be being made live."""
        from rag.errors import IngestCancelled

        cancel = threading.Event()
        try:
            with held_interrupts(None, cancel) as held:
                return self.service.ingest_files(files, heard, storing, cancel, user=LOCAL_USER)
        except IngestCancelled:
            held.deliver()
            raise
        except KeyboardInterrupt:
            if cancel.is_set():
                raise StopNotSeenThrough(SECOND_STOP) from None
            raise

    def search(self, query: str, top_k: int | None, mode: str | None, doc_id: str | None,
               source: str | None) -> dict[str, Any]:
        with top_k_named("--top-k" if top_k else None):
            return self.service.find(query, top_k, mode, doc_id,  # type: ignore[arg-type]
                                     source, user=LOCAL_USER).as_json()

    def ask(self, question: str, top_k: int | None,
            strategy: str | None = None) -> AnswerStream:
        # the local command is this machine's user, as a loopback client of the engine is
        with top_k_named("--top-k" if top_k else None):  # the answer's stream keeps it
            return _LocalAnswer(self.service.ask(question, top_k, user=LOCAL_USER,
                                                 strategy=strategy))  # type: ignore[arg-type]

    def documents(self) -> list[dict[str, Any]]:
        return [asdict(d) for d in self.service.documents()]

    def delete(self, doc_id_or_source: str) -> list[dict[str, Any]]:
        return [asdict(d) for d in self.service.delete(doc_id_or_source)]

    def close(self) -> None:
        self.service.close()
