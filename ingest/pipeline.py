"""Load → chunk → embed in batches → upsert, one file at a time, each file all-or-nothing.

A file that cannot be read, or whose embedding or write fails, is reported with its reason and
the batch goes on; its pending points are discarded so no half document is ever left behind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone  # issue 5: ingested_at
from pathlib import Path
from typing import Literal

from ingest.chunking import chunk_document, make_splitter
from ingest.loaders import content_id, is_supported, load_bytes
from ingest.parse_ahead import Loaded, load_ahead
from rag import lexical
from rag.embedders.base import Embedder
from rag.errors import DocumentError, RagError
from rag.store_base import ChunkStore
from rag.types import Document

log = logging.getLogger(__name__)

Status = Literal["ingested", "unchanged", "failed"]


@dataclass
class FileResult:
    """The outcome for one file, as `rag ingest --json` prints it."""

    path: str
    status: Status
    doc_id: str | None = None
    chunks: int = 0
    error: str | None = None

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class IngestReport:
    files: list[FileResult]

    @property
    def ok(self) -> bool:
        return all(f.status != "failed" for f in self.files)

    def totals(self) -> dict[str, int]:
        count = lambda s: sum(1 for f in self.files if f.status == s)  # noqa: E731
        return {
            "files": len(self.files), "ingested": count("ingested"),
            "unchanged": count("unchanged"), "failed": count("failed"),
            "chunks": sum(f.chunks for f in self.files if f.status == "ingested"),
        }

    def as_json(self) -> dict:
        return {"files": [f.as_json() for f in self.files], "totals": self.totals()}


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and supported files found recursively in folders (sorted)."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if not name.startswith(".") and is_supported(candidate):
                        yield candidate
        else:
            yield path


def _document_fields(document: Document) -> dict:
    """Issue 5: payload fields the app's document table shows (pages: PDFs only)."""
    numbers = [p.number for p in document.pages if p.number is not None]
    return {"pages": max(numbers) if numbers else None,
            "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


class IngestPipeline:
    """Turns files into searchable chunks in one Qdrant collection."""

    def __init__(self, embedder: Embedder, store: ChunkStore, chunk_tokens: int,
                 chunk_overlap: int, upsert_batch_size: int = 256) -> None:
        self.embedder = embedder
        self.store = store
        self.upsert_batch_size = upsert_batch_size
        count = getattr(embedder, "count_content_tokens", None) or embedder.count_tokens
        self.count_tokens: Callable[[str], int] = count
        # the model also reads [CLS] and [SEP]: keep room for them
        self.chunk_tokens = min(chunk_tokens, embedder.max_tokens - 2)
        self.splitter = make_splitter(count, self.chunk_tokens, chunk_overlap)

    def ingest_paths(self, paths: Iterable[Path],
                     on_file: Callable[[FileResult], None] | None = None) -> IngestReport:
        """Ingest files and folders in order; the next files parse while one embeds."""
        results = []
        for item in load_ahead(list(discover(paths)), self._is_stored):
            result = self._ingest_loaded(item)
            results.append(result)
            if on_file:
                on_file(result)
        return IngestReport(results)

    def _is_stored(self, doc_id: str, source: str) -> bool:
        return self.store.live_copy_of(doc_id) is not None

    def _ingest_loaded(self, item: Loaded) -> FileResult:
        source = str(item.path)
        if item.error is not None:
            return FileResult(source, "failed", error=item.error)
        assert item.doc_id is not None
        unchanged = self._unchanged(item.doc_id, source)
        if unchanged:
            return unchanged
        try:
            return self.ingest_document(item.document())
        except DocumentError as exc:
            return FileResult(source, "failed", error=str(exc))

    def ingest_bytes(self, path: Path, data: bytes, source: str) -> FileResult:
        """Ingest a file's bytes (from disk or a browser upload) stored under `source`.

        The content hash is checked before parsing, so an unchanged file costs one hash.
        """
        unchanged = self._unchanged(content_id(data), source)
        if unchanged:
            return unchanged
        try:
            return self.ingest_document(load_bytes(path, data, source=source))
        except DocumentError as exc:
            return FileResult(source, "failed", error=str(exc))

    def ingest_document(self, document: Document) -> FileResult:
        """Store one document unless the same content is already live; all or nothing."""
        unchanged = self._unchanged(document.doc_id, document.source)
        if unchanged:
            return unchanged
        chunks = chunk_document(document, self.splitter, self.count_tokens,
                                self.embedder.max_tokens - 2)
        if not chunks:
            return FileResult(document.source, "failed", document.doc_id,
                              error=f"{document.source}: no text to index")
        extra = _document_fields(document)  # issue 5: pages and ingested_at, for the app
        try:
            for start in range(0, len(chunks), self.upsert_batch_size):
                batch = chunks[start : start + self.upsert_batch_size]
                texts = [c.text for c in batch]
                dense = self.embedder.embed_documents(texts)
                sparse = [lexical.document_vector(t) for t in texts]
                self.store.upsert_pending(batch, dense, sparse, len(chunks), document.media_type,
                                          extra)
            self.store.activate(document.doc_id, document.source, len(chunks))
        except (RagError, OSError, ValueError) as exc:
            self._discard_quietly(document.doc_id)
            return FileResult(document.source, "failed", document.doc_id,
                              error=f"{document.source}: {exc}")
        except BaseException:
            self._discard_quietly(document.doc_id)
            raise
        return FileResult(document.source, "ingested", document.doc_id, len(chunks))

    def _unchanged(self, doc_id: str, source: str) -> FileResult | None:
        """The result for content already live, if it is; older versions here are retired."""
        existing = self.store.live_copy_of(doc_id)
        if existing is None:
            return None
        self.store.activate(doc_id, source, existing.chunks)
        note = None if existing.source == source else (
            f"same content as {existing.source}, already stored")
        return FileResult(source, "unchanged", doc_id, existing.chunks, error=note)

    def _discard_quietly(self, doc_id: str) -> None:
        try:
            self.store.discard(doc_id)
        except Exception:  # the original failure matters more than the clean-up's
            log.exception("could not discard pending chunks of %s", doc_id)
