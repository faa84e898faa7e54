"""A file made ready to embed: parsed, chunked, and given its sparse (BM25) vectors.

This is all the per-file work that needs no model and no store, so it can run in a parse
worker process (`parse_ahead`) while this process embeds and writes; the chunker and the load
options travel there once, as the worker's initializer, and the chunker keeps its word counts
across files.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunking import Chunker
from ingest.formats.base import LoadOptions
from ingest.loaders import load_bytes
from rag.app.logs import OUR_LOGGERS
from rag.cancel import check_cancelled
from rag.stores.base import Sparse
from rag.text import lexical
from rag.types import Chunk, Document


@dataclass
class Prepared:
    """A parsed document, its chunks and their sparse vectors (no chunks: no text to index)."""

    document: Document
    chunks: list[Chunk]
    sparse: list[Sparse]
    fields: dict = field(default_factory=dict)  # stored with the document (its enrichment)
    # the source whose document, of the same content, this one takes over (`FileResult`)
    moved_from: str | None = None


def prepare_document(document: Document, chunker: Chunker) -> Prepared:
    chunks = chunker(document)
    check_cancelled()  # a large text takes seconds to chunk, and as long again to encode
    return Prepared(document, chunks, [_encoded(chunk, n) for n, chunk in enumerate(chunks)])


def _encoded(chunk: Chunk, position: int) -> Sparse:
    if position % 1000 == 999:
        check_cancelled()
    return lexical.document_vector(chunk.text)


_worker_chunker: Chunker | None = None
_worker_options = LoadOptions()


def use_chunker(chunker: Chunker, options: LoadOptions | None = None,
                parent: int | None = None) -> None:
    """Worker initializer: the chunker and load options `prepare_file` uses in this process.
    A worker has no log of its own, and Python would print its records raw amid the
    progress lines: what its parsers warn of travels back in the file's warnings. Ctrl-C
    reaches the whole process group: the command stops its worker, which must not print a
    traceback of its own. `parent` is the process id of the one that started this worker
    (read there: a parent gone before this runs would leave this one another's)."""
    global _worker_chunker, _worker_options
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in OUR_LOGGERS:
        logging.getLogger(name).addHandler(logging.NullHandler())
    _worker_chunker = chunker
    _worker_options = options or LoadOptions()
    threading.Thread(target=_exit_with_parent, args=(parent or os.getppid(),), daemon=True,
                     name="parent-watch").start()


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """End this worker once the process that started it is gone. A parent killed outright
    (SIGKILL, the OOM killer) cannot stop it, and a worker left behind holds its memory and
    the dead command's output pipes for good; an orphan's parent becomes another process."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def prepare_file(path: Path, data: bytes, source: str, chunker: Chunker | None = None,
                 options: LoadOptions | None = None) -> Prepared:
    """Parse, chunk and sparse-encode a file's bytes; raises `DocumentError` if unreadable."""
    chunker = chunker or _worker_chunker
    assert chunker is not None, "use_chunker() first, or pass a chunker"
    return prepare_document(load_bytes(path, data, source, options or _worker_options),
                            chunker)
