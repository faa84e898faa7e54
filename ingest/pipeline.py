"""Load → chunk → embed in batches → upsert, as one stream of files, each all-or-nothing.

A file that cannot be read, or whose embedding or write fails, is reported with its reason and
the batch goes on; its pending points are discarded so no half document is ever left behind.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from ingest.ahead import run_ahead
from ingest.chunking import Chunker
from ingest.discovery import Found, Skipped, describe, find_files
from ingest.embedding import Embedded, embed_chunks
from ingest.enrich import Enricher
from ingest.formats.base import LoadOptions, library_error
from ingest.loaders import LOADERS, content_id, load_bytes
from ingest.parse_ahead import Loaded, SourceFile, load_ahead
from ingest.prepare import Prepared, prepare_document
from rag.app.logs import report_unexpected
from rag.cancel import STOPPED, cancellable, check_cancelled
from rag.errors import DocumentError, IngestCancelled, RagError
from rag.providers.embedders.base import Embedder
from rag.stores.base import ChunkStore, StoredDocument
from rag.text import lexical
from rag.text.sanitize import log_removed
from rag.types import Chunk, Document, counted

log = logging.getLogger(__name__)

Status = Literal["ingested", "unchanged", "failed"]
# the files a stream stores, by source: none when documents come parsed or one at a time
NO_FILES: Mapping[str, Path] = MappingProxyType({})


@dataclass
class FileResult:
    """The outcome for one file, as `rag ingest --json` prints it."""

    path: str
    status: Status
    doc_id: str | None = None
    chunks: int = 0
    error: str | None = None
    # parts of an ingested file that could not be read ("page 4 not OCR'd: ...")
    warnings: list[str] = field(default_factory=list)
    # an ingested file whose content was stored under this other source, whose file is gone
    # or holds other text: the one document now names this file
    moved_from: str | None = None

    def as_json(self) -> dict:
        return asdict(self)


def reader_failed(source: str, exc: Exception) -> FileResult:
    """A file whose reader raised what it does not foresee (a bug): failed with what was
    raised, and the stack trace logged for a bug report."""
    log.error("unexpected error reading %s", source, exc_info=exc)
    name = source.removeprefix("upload:")  # as the readers' own messages name an upload
    return FileResult(source, "failed", error=f"{name}: cannot read the file: an unexpected "
                                              f"error in its reader ({library_error(exc)}); "
                                              f"the log has the details")


@dataclass(frozen=True)
class Progress:
    """How far one file has got: its pages are read once it is parsed, then its chunks are
    embedded and written batch by batch."""

    source: str
    pages: int | None
    chunks: int
    chunks_written: int


@dataclass
class IngestReport:
    files: list[FileResult]
    skipped: list[Skipped] = field(default_factory=list)  # found in folders, not read

    @property
    def ok(self) -> bool:
        return all(f.status != "failed" for f in self.files)

    def totals(self) -> dict[str, int]:
        count = lambda s: sum(1 for f in self.files if f.status == s)  # noqa: E731
        return {
            "files": len(self.files), "ingested": count("ingested"),
            "unchanged": count("unchanged"), "failed": count("failed"),
            "chunks": sum(f.chunks for f in self.files if f.status == "ingested"),
            "skipped": sum(1 for s in self.skipped if s.type != "folder"),
        }

    def skipped_summary(self) -> str:
        """"skipped 12 files: .zip ×10, .exe ×2 (unsupported)", or "" when none were."""
        return describe(self.skipped)

    def as_json(self) -> dict:
        return {"files": [f.as_json() for f in self.files],
                "skipped": [s.as_json() for s in self.skipped], "totals": self.totals()}

    @classmethod
    def of_found(cls, found: Found, results: Iterable[FileResult]) -> IngestReport:
        """The report on what `find_files` found: the files' `results` in the order found,
        and what folders held but was not read."""
        return cls(sorted(results, key=lambda r: found.place(r.path)), found.skipped)


def failed_unread(found: Found,
                  on_file: Callable[[FileResult], None] | None = None) -> list[FileResult]:
    """The files `find_files` failed without opening them, each told to `on_file`."""
    results = [FileResult(refused.path, "failed", error=refused.error)
               for refused in found.refused]
    if on_file is not None:
        for result in results:
            on_file(result)
    return results


def still_holds(source: str, doc_id: str, incoming: Mapping[str, Path] = NO_FILES) -> bool:
    """Whether the source a document is stored under will still have that content once this
    stream ends: the file the stream stores under it (`incoming`, by source) is looked at,
    else the file at that path. An upload no file of the stream replaces keeps the content
    it was stored with."""
    path = incoming.get(source)
    if path is None:
        if source.startswith("upload:") or not Path(source).is_absolute():
            return True
        path = Path(source)
    try:
        return content_id(path.read_bytes()) == doc_id
    except OSError:  # removed, or unreadable now
        return False


def took_over_note(previous: str, source: str) -> str:
    """Why a document now names `source` rather than `previous`, the file it was stored from.
    An upload's name is on no disk: one whose document another upload takes over was given
    other text (a deleted upload's document is gone with it)."""
    held = previous.startswith("upload:") or os.path.lexists(previous)
    why = "holds other text now" if held else "is no longer on disk"
    return f"the same text as {previous}, which {why}, so the document now names {source}"


def same_type(source: str, other: str) -> bool:
    """Whether two sources' names give them one reader (.htm and .html do)."""
    return LOADERS.get(Path(source).suffix.lower()) is LOADERS.get(Path(other).suffix.lower())


def _document_fields(document: Document) -> dict:
    """Payload fields the app's document table shows (pages: paged formats only)."""
    numbers = [p.number for p in document.pages if p.number is not None]
    return {"pages": max(numbers) if numbers else None,
            "ingested_at": datetime.now(UTC).isoformat(timespec="seconds")}


@dataclass
class _Open:
    """A document whose chunks are on their way to the store (pending until all are written)."""

    prepared: Prepared
    extra: dict
    written: int = 0
    failed: bool = False

    @property
    def document(self) -> Document:
        return self.prepared.document

    @property
    def chunks(self) -> list[Chunk]:
        return self.prepared.chunks

    def progress(self) -> Progress:
        return Progress(self.document.source, self.extra.get("pages"), len(self.chunks),
                        self.written)


@dataclass
class _Chunks:
    """Chunks to embed in one call and then write, from one document or several (small files
    share a request)."""

    parts: list[tuple[_Open, slice]] = field(default_factory=list)  # chunks of each document

    @property
    def size(self) -> int:
        return sum(rows.stop - rows.start for _, rows in self.parts)


@dataclass(frozen=True)
class _Known:
    """A file whose outcome is known without embedding anything (unreadable, unchanged)."""

    result: FileResult


@dataclass(frozen=True)
class _Twin:
    """A file with the same content as `twin`, an earlier file of this stream: decided once
    that one is."""

    twin: _Open
    document: Document


_Work = _Chunks | _Known | _Twin


def with_earlier_version(result: FileResult,
                         live_at: Callable[[str], StoredDocument | None]) -> FileResult:
    """A failed file whose path holds a version stored before (`live_at`, the collection's
    live document at a path) says so: that version stays searchable (a file since protected
    by a password, say, keeps its old text)."""
    if result.status != "failed" or not result.error:
        return result
    earlier = live_at(result.path)
    if earlier is None or earlier.doc_id == result.doc_id:
        return result
    return replace(result, error=f"{result.error} (the version stored before, "
                                 f"{counted(earlier.chunks, 'chunk')}, stays searchable "
                                 "until deleted: rag docs delete PATH)")


class IngestPipeline:
    """Turns files into searchable chunks in one Qdrant collection.

    One stream runs through it: files are parsed, chunked and sparse-encoded ahead in a worker
    process (`ingest.prepare`), embedded in worker threads a bounded number of batches ahead
    (`ingest.ahead`), and written here in order. A document goes live when its last batch is
    written; a failure discards what it had written and the stream goes on with the next file.
    """

    def __init__(self, embedder: Embedder, store: ChunkStore, chunk_tokens: int,
                 chunk_overlap: int, upsert_batch_size: int = 64,
                 options: LoadOptions | None = None) -> None:
        self.embedder = embedder
        self.store = store
        self.options = options or LoadOptions()
        self.enricher: Enricher | None = None  # RAG_ENRICH: a summary and keywords per file
        # chunks are measured in content tokens, up to the model's limit less its own tokens
        self.chunker = Chunker(embedder.token_counter(), chunk_tokens, chunk_overlap,
                               embedder.max_tokens - embedder.special_tokens)
        if embedder.runs_locally:
            # two batches queued on the model's sessions, so none idles at a batch's end; the
            # model length-sorts each batch itself
            self.batch_size, self._workers = upsert_batch_size, 2
        else:  # one request per batch, `concurrency` in flight
            self.batch_size, self._workers = embedder.max_batch, embedder.concurrency

    def ingest_paths(self, paths: Iterable[Path],
                     on_file: Callable[[FileResult], None] | None = None) -> IngestReport:
        """Ingest files and folders in order; the next files parse while one embeds. Files
        found in folders but not read are listed in the report's `skipped`."""
        found = find_files(paths)
        unread = failed_unread(found, on_file)
        read = self.ingest_files([SourceFile.at(path) for path in found.files], on_file)
        return IngestReport.of_found(found, unread + read.files)

    def ingest_files(self, files: Sequence[SourceFile],
                     on_file: Callable[[FileResult], None] | None = None,
                     on_progress: Callable[[Progress], None] | None = None,
                     cancel: threading.Event | None = None) -> IngestReport:
        """Ingest files, each stored under its source; `on_file` hears each outcome as the
        file ends, `on_progress` each file's progress. When `cancel` is set the ingest stops
        at the next page it reads or batch it writes with `IngestCancelled`, discarding the
        files not yet live."""
        results = []
        # what each source holds once the stream ends (a name given twice: its last file)
        incoming = {file.source: file.path for file in files}
        is_stored = partial(self._is_stored, incoming=incoming)
        with cancellable(cancel), closing(
                load_ahead(files, is_stored, self.chunker, self.options)) as loaded:
            prepared = (self._prepare(item, incoming) for item in loaded)
            for result in self._store_all(prepared, on_progress, cancel, incoming):
                result = self._with_earlier_version(result)
                results.append(result)
                if on_file:
                    on_file(result)
        # results come as files finish, which batches shared between files can reorder
        order = {file.source: n for n, file in enumerate(files)}
        return IngestReport(sorted(results, key=lambda r: order.get(r.path, len(order))))

    def ingest_documents(self, documents: Iterable[Document]) -> Iterator[FileResult]:
        """Store parsed documents, each all or nothing; one result per document, as each
        one ends (not always in input order)."""
        return self._store_all(self._unless_stored(document) for document in documents)

    def ingest_bytes(self, path: Path, data: bytes, source: str) -> FileResult:
        """Ingest a file's bytes (from disk or a browser upload) stored under `source`.

        The content hash is checked before parsing, so an unchanged file costs one hash.
        """
        unchanged = self._unchanged(content_id(data), source, read=False)
        if unchanged:
            return unchanged
        try:
            [result] = self._store_all([self._unless_stored(
                load_bytes(path, data, source=source, options=self.options))])
        except DocumentError as exc:
            return FileResult(source, "failed", error=str(exc))
        return result

    def _with_earlier_version(self, result: FileResult) -> FileResult:
        return with_earlier_version(result, self.store.live_at)

    def _unless_stored(self, document: Document) -> Prepared | FileResult:
        return self._unchanged(document.doc_id, document.source) or self._prepared(document)

    def _prepared(self, document: Document) -> Prepared:
        return prepare_document(document, self.chunker)

    def _is_stored(self, doc_id: str, source: str, incoming: Mapping[str, Path]) -> bool:
        """Whether the file needs no reading: its content is stored, as a file of its type."""
        existing = self._live_copy(doc_id, source, incoming)
        return existing is not None and same_type(existing.source, source)

    def _live_copy(self, doc_id: str, source: str,
                   incoming: Mapping[str, Path]) -> StoredDocument | None:
        """The live document with this content that `source` may be reported as, if any.

        A copy stored under another source that will not hold this content when the stream
        ends (a file edited or removed since, an upload this stream replaces) does not count:
        that source's next version would retire it, leaving `source`'s content stored
        nowhere. `source` then stores it anew, taking it over."""
        existing = self.store.live_copy_of(doc_id)
        if existing is None or existing.source == source or still_holds(
                existing.source, doc_id, incoming):
            return existing
        return None

    def _moved_from(self, doc_id: str, source: str,
                    incoming: Mapping[str, Path]) -> str | None:
        """The other source whose document of this content `source` takes over, if any
        (`_live_copy`): the one document then names `source`, which is said, not left silent."""
        existing = self.store.live_copy_of(doc_id)
        if existing is None or existing.source == source or still_holds(
                existing.source, doc_id, incoming):
            return None
        return existing.source

    def _prepare(self, item: Loaded, incoming: Mapping[str, Path]) -> Prepared | FileResult:
        """The prepared file, or the outcome already known (unreadable or unchanged); stored
        content is never parsed."""
        source = item.source
        if item.error is not None:
            return FileResult(source, "failed", error=item.error)
        assert item.doc_id is not None
        unchanged = self._unchanged(item.doc_id, source, read=False, incoming=incoming)
        if unchanged:
            return unchanged
        try:
            prepared = item.prepared(self.chunker, self.options)
        except DocumentError as exc:
            return FileResult(source, "failed", error=str(exc))
        except IngestCancelled:
            raise
        except Exception as exc:  # a reader's bug costs its own file, not the whole stream
            return reader_failed(source, exc)
        return self._unchanged(item.doc_id, source, incoming=incoming) or replace(
            prepared, moved_from=self._moved_from(item.doc_id, source, incoming))

    def _store_all(self, items: Iterable[Prepared | FileResult],
                   on_progress: Callable[[Progress], None] | None = None,
                   cancel: threading.Event | None = None,
                   incoming: Mapping[str, Path] = NO_FILES) -> Iterator[FileResult]:
        open_docs: list[_Open] = []
        if self.enricher is not None:
            items = self.enricher.ahead(items)
        work = self._batches(items, open_docs, on_progress)
        try:
            for done in run_ahead(self._embed, work, self._workers,
                                  needs_work=lambda item: isinstance(item, _Chunks)):
                if cancel is not None and cancel.is_set():
                    raise IngestCancelled(STOPPED)
                item = done.item
                if isinstance(item, _Known):
                    yield item.result
                elif isinstance(item, _Twin):
                    yield self._after_twin(item, incoming)
                else:
                    yield from self._write(item, done.result, done.error, open_docs,
                                           on_progress)
        finally:  # interrupted (or a bug): no half document may stay behind
            for doc in open_docs:
                self._discard_quietly(doc.document.doc_id)

    def _as_collection_reads(self, prepared: Prepared) -> Prepared:
        """The document's sparse vectors as its collection's queries read words: a collection
        filled by an earlier version keeps its own word rule (`lexical.SCHEME`)."""
        scheme = self.store.lexical_scheme
        if scheme == lexical.SCHEME:
            return prepared
        return replace(prepared, sparse=[lexical.document_vector(chunk.text, scheme)
                                         for chunk in prepared.chunks])

    def _batches(self, items: Iterable[Prepared | FileResult], open_docs: list[_Open],
                 on_progress: Callable[[Progress], None] | None) -> Iterator[_Work]:
        """Pack chunks into full batches, across documents, as the embedding window asks for
        more work. Documents come checked against the store (`_prepare`, `_unless_stored`)."""
        batch = _Chunks()
        for item in items:
            if isinstance(item, FileResult):
                yield _Known(item)
                continue
            document = item.document
            # same content as a file still being written in this stream
            twin = next((d for d in open_docs if d.document.doc_id == document.doc_id), None)
            if twin is not None:
                if batch.parts:  # the twin's last chunks may be in it: they go first
                    yield batch
                    batch = _Chunks()
                yield _Twin(twin, document)
                continue
            if not item.chunks:
                yield _Known(FileResult(document.source, "failed", document.doc_id,
                                        error=f"{document.source}: no text to index"))
                continue
            item = self._as_collection_reads(item)
            doc = _Open(item, {**_document_fields(document), **item.fields})
            open_docs.append(doc)
            if on_progress:
                on_progress(doc.progress())
            start, total = 0, len(item.chunks)
            while start < total:
                room = self.batch_size - batch.size
                batch.parts.append((doc, slice(start, min(start + room, total))))
                start += room
                if batch.size == self.batch_size:
                    yield batch
                    batch = _Chunks()
        if batch.parts:
            yield batch

    def _embed(self, batch: _Chunks) -> Embedded:
        """Runs in a worker thread: the counts from chunking spare the embedder a recount.
        Sentence vectors come along where the collection keeps them."""
        chunks = [c for doc, rows in batch.parts for c in doc.chunks[rows]]
        return embed_chunks(self.embedder, [c.text for c in chunks],
                            [c.token_count + self.embedder.special_tokens for c in chunks],
                            sentences=self.store.sentence_scheme is not None,
                            code_fences=[c.code_fence for c in chunks])

    def _write(self, batch: _Chunks, embedded: Embedded | None, error: Exception | None,
               open_docs: list[_Open],
               on_progress: Callable[[Progress], None] | None) -> Iterator[FileResult]:
        """Write one embedded batch; the result of each document that is now live or failed."""
        offset = 0
        for doc, rows in batch.parts:
            # between the documents a batch shares: the one before may have just gone live
            check_cancelled()
            chunks = doc.chunks[rows]
            vectors = slice(offset, offset + len(chunks))
            offset += len(chunks)
            if doc.failed:
                continue
            document = doc.document
            try:
                if error is not None:
                    raise error
                assert embedded is not None
                self.store.upsert_pending(
                    chunks, embedded.dense[vectors], doc.prepared.sparse[rows],
                    len(doc.chunks), document.media_type, doc.extra,
                    embedded.sentences[vectors] if embedded.sentences is not None else None)
                doc.written += len(chunks)
                if on_progress:
                    on_progress(doc.progress())
                if doc.written < len(doc.chunks):
                    continue
                self.store.activate(document.doc_id, document.source, len(doc.chunks))
            except Exception as exc:  # this file fails, and the rest of the batch goes on
                expected = isinstance(exc, RagError | OSError | ValueError)
                why = str(exc) if expected else (
                    "it could not be stored (error id "
                    f"{report_unexpected(exc, 'ingest')}; the log has the details)")
                doc.failed = True
                open_docs.remove(doc)
                self._discard_quietly(document.doc_id)
                yield FileResult(document.source, "failed", document.doc_id,
                                 error=f"{document.source}: {why}")
                continue
            open_docs.remove(doc)
            log_removed("document", document.removed, source=document.source)
            moved_from = doc.prepared.moved_from
            yield FileResult(document.source, "ingested", document.doc_id, len(doc.chunks),
                             error=moved_from and took_over_note(moved_from, document.source),
                             warnings=list(document.warnings), moved_from=moved_from)

    def _after_twin(self, item: _Twin, incoming: Mapping[str, Path]) -> FileResult:
        """A file with the same content as one earlier in this stream, now that it has ended."""
        twin = item.twin
        source, doc_id = item.document.source, item.document.doc_id
        if twin.failed:
            return FileResult(source, "failed", doc_id, error=f"{source}: same content as "
                              f"{twin.document.source}, which failed")
        return self._unchanged(doc_id, source, incoming=incoming) or FileResult(
            source, "failed", doc_id, error=f"{source}: not stored")

    def _unchanged(self, doc_id: str, source: str, *, read: bool = True,
                   incoming: Mapping[str, Path] = NO_FILES) -> FileResult | None:
        """The result for content already live, if it is; older versions here are retired.
        A file not yet `read` counts as stored only when the stored copy has its type: named
        as another type, it is read first, so that a mislabelled copy is refused as it would
        be in an empty library. `incoming`: the files of this stream, by source."""
        existing = self._live_copy(doc_id, source, incoming)
        if existing is None or not (read or same_type(existing.source, source)):
            return None
        replaced = self.store.activate(doc_id, source, existing.chunks)
        note = None if existing.source == source else (
            f"same content as {existing.source}, already stored"
            + ("; the version stored before under this name was removed" if replaced else ""))
        return FileResult(source, "unchanged", doc_id, existing.chunks, error=note)

    def _discard_quietly(self, doc_id: str) -> None:
        try:
            self.store.discard(doc_id)
        except Exception:  # the original failure matters more than the clean-up's
            log.exception("could not discard pending chunks of %s", doc_id)
