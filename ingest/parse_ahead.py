"""Prepare the next files in a worker process while the current ones are being embedded.

Preparing a file (`ingest.prepare`: parsing with pdfium, pypdf, python-docx, openpyxl and
the like, chunking, sparse vectors) is CPU work that would otherwise hold this process's GIL
while it sends requests and writes to the store. A worker process prepares up to
`lookahead` files ahead of the one being embedded; only those are held in memory, so memory
stays flat however large the folder. The scanned pages of a file are OCR'd by Tesseract
processes that the worker runs, one page per core at a time (`ingest.formats.ocr`).

A file whose content is already stored is not parsed at all (its hash is checked first); a
parser that crashes the worker costs only that file, which is then prepared in this process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ingest.chunking import Chunker
from ingest.formats.base import LoadOptions
from ingest.loaders import content_id, read_file
from ingest.prepare import Prepared, prepare_file, use_chunker
from rag.cancel import result_unless_cancelled
from rag.errors import DocumentError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest, and the source it is stored under (its path, or `upload:NAME` for
    a file uploaded to the app or the API and spooled to disk)."""

    path: Path
    source: str

    @classmethod
    def at(cls, path: Path) -> SourceFile:
        return cls(path, str(path))

    @property
    def label(self) -> Path:
        """The name it is known by (in titles and messages): its source, not a spool name."""
        return Path(self.source.removeprefix("upload:"))


@dataclass
class Loaded:
    """One file on its way through: read, hashed, and prepared unless its content is stored."""

    path: Path
    source: str
    doc_id: str | None = None
    data: bytes | None = None
    future: Future | None = None
    error: str | None = None

    def prepared(self, chunker: Chunker, options: LoadOptions | None = None) -> Prepared:
        """The prepared file; raises `DocumentError` for a file that cannot be read."""
        if self.error is not None:
            raise DocumentError("unreadable", self.error)
        assert self.data is not None
        if self.future is None:
            return prepare_file(self.label, self.data, self.source, chunker, options)
        try:
            return result_unless_cancelled(self.future)
        except BrokenProcessPool:
            log.warning("the parser process died on %s; parsing it here instead", self.path)
        except CancelledError:  # read after `load_ahead` ended, which stops its worker
            pass
        return prepare_file(self.label, self.data, self.source, chunker, options)

    @property
    def label(self) -> Path:
        return SourceFile(self.path, self.source).label


def _read(file: SourceFile) -> Loaded:
    try:
        data = read_file(file.path, file.label)
    except DocumentError as exc:
        return Loaded(file.path, file.source, error=str(exc))
    return Loaded(file.path, file.source, content_id(data), data)


def load_ahead(files: Sequence[SourceFile], is_stored: Callable[[str, str], bool],
               chunker: Chunker, options: LoadOptions | None = None, lookahead: int = 32,
               lookahead_bytes: int = 4 << 20) -> Iterator[Loaded]:
    """Yield each file in order, with up to `lookahead` files (and `lookahead_bytes` of them)
    being prepared ahead in a worker: enough small files to fill the requests in flight.

    `is_stored(doc_id, source)` says a file needs no parsing. The first file to parse is
    prepared in this process (the worker's start-up and imports take longer); with a single
    file, everything happens here.
    """
    pending: deque[Loaded] = deque()
    pool: ProcessPoolExecutor | None = None
    held = 0  # bytes of the files in `pending`
    try:
        for file in files:
            item = _read(file)
            if item.doc_id and not is_stored(item.doc_id, file.source) and len(files) > 1:
                if pool is None:  # the first file is prepared here while the worker starts
                    with working_folder_off_import_path():  # its resource tracker starts
                        pool = ProcessPoolExecutor(1, multiprocessing.get_context("spawn"),
                                                   use_chunker, (chunker, options, os.getpid()))
                else:
                    item.future = _submit(pool, item)
            pending.append(item)
            held += len(item.data or b"")
            while len(pending) > lookahead or (len(pending) > 1 and held > lookahead_bytes):
                done = pending.popleft()
                held -= len(done.data or b"")
                yield done
        while pending:
            yield pending.popleft()
        if pool is not None:
            # every file read: the worker is idle and stops at once. Left to the exit, its
            # manager thread and the interpreter's own shutdown of the pool race over a
            # closed pipe ("Exception ignored ... Bad file descriptor")
            pool.shutdown(wait=True)
    finally:
        if pool is not None:  # stopped early: a parse under way is not waited for
            _stop_now(pool)


@contextmanager
def working_folder_off_import_path() -> Iterator[None]:
    """While the worker (and multiprocessing's resource tracker) is spawned: each starts as
    `python -c`, which puts the working folder first on its import path, and a user's
    `threading.py` there would be imported in place of the standard library's. Python 3.11+
    leaves the folder off when the environment asks it to (the engine runs with `-P`, which
    its workers inherit, `rag.engine.serve`). Asked only meanwhile: this process's other
    children are none of these."""
    if os.environ.get("PYTHONSAFEPATH"):
        yield
        return
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        yield
    finally:
        os.environ.pop("PYTHONSAFEPATH", None)


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Drop the files queued and stop the worker in the middle of its file: a scan being
    OCR'd would otherwise hold the engine's exit (the interpreter waits for its workers)."""
    # Python 3.14's `terminate_workers`; before it, the processes are known only privately
    # (and forgotten by `shutdown`)
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    workers = list((getattr(pool, "_processes", None) or {}).values())
    for process in workers:
        process.terminate()
    # then waited for, which is at once with its worker gone: the pool's thread would
    # otherwise race the interpreter's exit over the pipe it closes (a traceback at exit)
    pool.shutdown(wait=True, cancel_futures=True)


def _submit(pool: ProcessPoolExecutor, item: Loaded) -> Future | None:
    try:
        # the first submit starts the worker
        with _interrupts_held(), working_folder_off_import_path():
            return pool.submit(prepare_file, item.label, item.data, item.source)
    except BrokenProcessPool:  # an earlier file killed the worker: parse here from now on
        return None


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold SIGINT in this thread while it may start the worker. Ctrl-C reaches the whole
    process group, and a worker still importing its parsers (before `use_chunker` ignores
    SIGINT) would print a traceback amid the command's own message. A process inherits the
    held signal and never sees one; this process gets a Ctrl-C pressed meanwhile on release."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no process groups to reach
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
