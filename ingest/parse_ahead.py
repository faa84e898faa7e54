"""Parse the next files in a worker process while the current one is being embedded.

Parsing (pdfium, pypdf for the files pdfium refuses, BeautifulSoup for HTML) would otherwise
run in line with chunking and writing, and the pure-Python parts would hold the GIL. A worker
process parses up to `lookahead` files ahead of the file being embedded; only those files are
held in memory, so memory stays flat however large the folder.

A file whose content is already stored is not parsed at all (its hash is checked first); a
parser that crashes the worker costs only that file, which is then parsed in this process.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders import content_id, load_bytes
from rag.errors import DocumentError
from rag.types import Document

log = logging.getLogger(__name__)


@dataclass
class Loaded:
    """One file on its way through: read, hashed, and parsed unless its content is stored."""

    path: Path
    doc_id: str | None = None
    data: bytes | None = None
    future: Future | None = None
    error: str | None = None

    def document(self) -> Document:
        """The parsed document; raises `DocumentError` for a file that cannot be read."""
        if self.error is not None:
            raise DocumentError("unreadable", self.error)
        assert self.data is not None
        if self.future is None:
            return load_bytes(self.path, self.data, str(self.path))
        try:
            return self.future.result()
        except BrokenProcessPool:
            log.warning("the parser process died on %s; parsing it here instead", self.path)
        except CancelledError:  # read after `load_ahead` ended, which stops its worker
            pass
        return load_bytes(self.path, self.data, str(self.path))


def _read(path: Path) -> Loaded:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Loaded(path, error=f"{path}: {exc.strerror or exc}")
    return Loaded(path, content_id(data), data)


def load_ahead(paths: Sequence[Path], is_stored: Callable[[str, str], bool],
               lookahead: int = 2) -> Iterator[Loaded]:
    """Yield each file in order, with the next `lookahead` files parsing in a worker.

    `is_stored(doc_id, source)` says a file needs no parsing. With fewer than two files to
    parse, everything happens in this process (a worker would cost more than it saves).
    """
    pending: deque[Loaded] = deque()
    pool: ProcessPoolExecutor | None = None
    try:
        for path in paths:
            item = _read(path)
            if item.doc_id and not is_stored(item.doc_id, str(path)) and len(paths) > 1:
                if pool is None:
                    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
                item.future = _submit(pool, item)
            pending.append(item)
            if len(pending) > lookahead:
                yield pending.popleft()
        while pending:
            yield pending.popleft()
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _submit(pool: ProcessPoolExecutor, item: Loaded) -> Future | None:
    try:
        return pool.submit(load_bytes, item.path, item.data, str(item.path))
    except BrokenProcessPool:  # an earlier file killed the worker: parse here from now on
        return None
