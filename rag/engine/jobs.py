"""Ingests queued to one worker inside the engine, so that uploads never block questions.

The chat and the API hand over files already written to the spool folder
(`<data dir>/incoming/<host>/<job>/`); the worker ingests one job at a time through the same
pipeline as `rag ingest`, records each file's progress (pages read, chunks written) and its
outcome, keeps uploaded PDFs for the page viewer and removes the spooled copies. Stopping the
engine cancels what is queued and stops the running ingest at the next page it reads or batch
it writes: a file not yet complete is discarded, so nothing half-written stays searchable.
"""

from __future__ import annotations

import itertools
import logging
import math
import queue
import re
import shutil
import socket
import threading
import time
import unicodedata
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path, PurePath, PureWindowsPath
from typing import Any, Literal

from ingest.parse_ahead import SourceFile
from ingest.pipeline import FileResult, IngestReport, Progress
from rag.app.logs import unexpected_message
from rag.engine.workspace import DRAWABLE_SUFFIXES, MB, Workspace, drawable_suffix
from rag.errors import IngestCancelled, RagError, deleted_before_ingest
from rag.priority import run_below_questions
from rag.settings import make_folder
from rag.stores.base import MIN_FREE_BYTES

log = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
ENGINE_STOPPED = ("The engine stopped during this ingest: the files stored before it stay "
                  "searchable, those not yet complete were discarded; upload them again once "
                  "an engine runs.")
_KEPT_JOBS = 200  # finished jobs remembered for GET /api/v1/ingests[/{id}]
# how long an upload announcing more (`more=true`: `rag ingest` sends a folder in several)
# keeps its collection from being deleted after its ingest ends, waiting for the next one: a
# delete in between would take the files stored so far; a command that died holds it no longer
FOLLOWING_UPLOAD_SECONDS = 60.0


# Browsers (the HTML standard) send `"`, CR and LF in a multipart file name as %22, %0D and
# %0A; httpx, and so the `rag` command, every control character as %XX too. Servers decode
# them (not %00: no file name holds a NUL); a name that really holds "%22" is read as a
# quote, as by every other server.
_FORM_NAME_ESCAPE = re.compile(r"%(22|0[1-9A-Fa-f]|1[0-9A-Fa-f])")


def form_filename(sent: str) -> str:
    """A file name as a multipart form sent it, decoded to the name the user chose."""
    return _FORM_NAME_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), sent)


def browser_filename(sent: str) -> str:
    """`form_filename` less any folder part (`without_folder`)."""
    return without_folder(form_filename(sent))


def without_folder(name: str) -> str:
    """A name an untrusted sender gave, less any folder part: before the last / or \\, as
    the sender's machine writes it (an upload is named, never placed); in composed form
    (NFC), so that a name typed on a Mac ("re\u0301sume\u0301.txt") is the name typed
    elsewhere, and replaces its document rather than standing beside it looking the same."""
    return unicodedata.normalize("NFC", PureWindowsPath(name).name) or "upload"


def unnameable(name: str) -> str | None:
    """Why an uploaded file's name cannot name a document, or None: a NUL or a line break
    would become part of the document's name, shown and typed."""
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return f"The file name {name!r} holds a control character; rename the file."
    return None


def _shown_name(source: str) -> str:
    return Path(source.removeprefix("upload:")).name


def over_upload_limit(name: str, size: int, limit: int,
                      limit_name: str = "RAG_UPLOAD_MAX_MB") -> str:
    """Why an uploaded file is refused unread, in its batch's outcome: "big.pdf: 61.2 MB is
    over the 50 MB upload limit (RAG_UPLOAD_MAX_MB)"."""
    shown = f"{size / MB:.1f}"
    if float(shown) <= limit / MB:  # "1.0 MB is over the 1 MB limit" reads as a mistake
        shown = f"{size:,} bytes"
    else:
        shown += " MB"
    return f"{name}: {shown} is over the {limit // MB} MB upload limit ({limit_name})"


def spool_path(folder: Path, index: int, name: str) -> Path:
    """Where the index-th file of a job is spooled: its suffix tells the loaders its type."""
    return folder / f"{index:05d}{PurePath(name).suffix.lower()}"


def no_room_for(folder: Path, size: int) -> str | None:
    """Why `size` more bytes cannot be spooled into `folder` (None when they can): the disk
    keeps the room the embedded store needs in hand (a store written on a full disk dies)."""
    free = shutil.disk_usage(folder).free
    if free - size >= MIN_FREE_BYTES:
        return None
    return (f"the disk holding the engine's data ({folder.parent}) has {free // 2**20} MB "
            f"free, and keeps {MIN_FREE_BYTES // 2**20} MB in hand for its store: free some "
            "space, or set RAG_DATA_DIR to a folder on a larger disk")


@dataclass
class FileState:
    """One file of a job, as the job reports it while it runs."""

    name: str
    source: str
    status: str = "queued"  # queued, embedding, then ingested / unchanged / failed
    pages: int | None = None
    chunks: int | None = None
    chunks_written: int = 0
    doc_id: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)  # as `FileResult.warnings`
    moved_from: str | None = None  # as `FileResult.moved_from`

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "status": self.status,
                "pages": self.pages, "chunks": self.chunks,
                "chunks_written": self.chunks_written, "doc_id": self.doc_id,
                "error": self.error, "warnings": self.warnings, "moved_from": self.moved_from}


@dataclass
class IngestJob:
    id: str
    user: str
    collection: str
    spool: Path | None  # the folder of spooled copies, removed when the job ends
    files: list[SourceFile]
    states: list[FileState]
    # refused before reading, each with its place in the batch as given
    refused: list[tuple[int, FileResult]] = field(default_factory=list)
    places: list[int] = field(default_factory=list)  # each of `files`' place in the batch
    status: JobStatus = "queued"
    created: float = field(default_factory=time.time)
    finished: float | None = None
    report: dict | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)
    cancel: threading.Event = field(default_factory=threading.Event)  # stop at the next page
    # set by `IngestJobs.cancel`: a user stopped it (not to be retried), not the engine stopping
    cancelled_by_request: bool = False
    failed_by_bug: bool = False  # no outage to wait out: an error with an id to quote
    # the collection's `made` when the ingest was asked for (None: any of its name will do)
    made: int | None = None
    more: bool = False  # more uploads of the same ingest follow (FOLLOWING_UPLOAD_SECONDS)
    follows: bool = False  # an upload the previous one of its ingest announced (`more`)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "collection": self.collection,
                "created": self.created, "finished": self.finished,
                "files": [state.as_json() for state in self.every_file()],
                "report": self.report, "error": self.error}

    def every_file(self) -> list[FileState]:
        """Each file of the batch in its place, those refused before reading as failed, so
        that a client following the job meets every file it sent."""
        refused = [(place, FileState(_shown_name(result.path), result.path, "failed",
                                     error=result.error)) for place, result in self.refused]
        placed = zip(self.places, self.states, strict=True)
        return [state for _, state in sorted([*placed, *refused], key=itemgetter(0))]


class IngestJobs:
    """The queue and its worker thread.

    Usage:
        job = jobs.submit("docs", files, user="alice")
        jobs.wait(job.id)          # or poll jobs.get(job.id).as_json()
        job.report                 # as `rag ingest --json` prints it
    """

    def __init__(self, workspace: Workspace,
                 on_report: Callable[[dict], None] | None = None) -> None:
        self.workspace = workspace
        self.on_report = on_report
        # per host: replicas may share the data folder
        self.spool_root = workspace.settings.data_dir / "incoming" / socket.gethostname()
        shutil.rmtree(self.spool_root, ignore_errors=True)  # left by an engine that died
        # said at start, in one line: found at the first upload instead, every upload would
        # fail while questions went on being answered
        make_folder(self.spool_root, "give RAG_DATA_DIR a folder you can write to")
        self._queue: queue.Queue[IngestJob | None] = queue.Queue()
        self._jobs: OrderedDict[str, IngestJob] = OrderedDict()
        self._lock = threading.Lock()
        # (collection, user) -> until when (monotonic) an ingest's next upload is awaited
        self._following: dict[tuple[str, str], float] = {}
        self._cancel = threading.Event()
        self._worker = threading.Thread(target=self._run, name="rag-ingest-jobs", daemon=True)
        self._worker.start()

    @contextmanager
    def spool(self) -> Iterator[tuple[str, Path]]:
        """A new job id and the folder its files are spooled to. If the block raises, the job
        was not submitted: the folder is removed (once submitted, the worker removes it)."""
        job_id = uuid.uuid4().hex[:16]
        folder = self.spool_root / job_id
        folder.mkdir(parents=True)
        try:
            yield job_id, folder
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def submit(self, collection: str, files: list[SourceFile], *, user: str,
               job_id: str | None = None, spool: Path | None = None,
               refused: Sequence[tuple[int, FileResult]] = (),
               made: int | None = None, more: bool = False,
               follows: bool = False) -> IngestJob:
        """Queue `files`; `refused` are the batch's files refused before it was spooled, each
        with its place in the batch (`files` fill the other places, in order), so that the
        report lists every file where the user put it. `made`: the collection's, when it was
        asked for (`Workspace.made`); one made again since under its name is not stored in.
        `more`: further uploads of the same ingest follow, and the collection is kept for
        them; `follows`: this upload is one of them (`receiving`)."""
        if self._cancel.is_set():
            raise IngestCancelled("The engine is stopping; no new ingest is taken.")
        taken = {place for place, _ in refused}
        free = (place for place in itertools.count() if place not in taken)
        placed, doubles = _first_of_each_name([(next(free), f) for f in files])
        files = [f for _, f in placed]
        job = IngestJob(job_id or uuid.uuid4().hex[:16], user, collection, spool, files,
                        [FileState(_shown_name(f.source), f.source) for f in files],
                        [*refused, *doubles], [place for place, _ in placed],
                        made=made, more=more, follows=follows)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > _KEPT_JOBS:
                oldest = next(iter(self._jobs))
                if not self._jobs[oldest].done.is_set():
                    break
                del self._jobs[oldest]
        self._queue.put(job)
        return job

    def collection_gone(self, job: IngestJob) -> bool:
        """Whether the job's collection was deleted since it was asked for (and perhaps made
        again under its name)."""
        made = self.workspace.made(job.collection)
        return made is None or (job.made is not None and made != job.made)

    def busy_with(self, collection: str) -> bool:
        """Whether an ingest into the collection is queued or running, or awaits its next
        upload."""
        with self._lock:
            self._forget_expired_holds()
            return (any(job.collection == collection and not job.done.is_set()
                        for job in self._jobs.values())
                    or any(name == collection for name, _ in self._following))

    @contextmanager
    def receiving(self, collection: str, user: str) -> Iterator[bool]:
        """While an upload of `user` into `collection` arrives: True when it follows an upload
        of theirs that announced more, whose hold then lasts until this one is queued, however
        long its files take to arrive; a failed upload ends the ingest, and the hold."""
        key = (collection, user)
        with self._lock:
            self._forget_expired_holds()
            follows = key in self._following
            if follows:
                self._following[key] = math.inf
        try:
            yield follows
        except BaseException:
            if follows:
                with self._lock:
                    self._following.pop(key, None)
            raise

    def _forget_expired_holds(self) -> None:
        now = time.monotonic()
        for key in [key for key, until in self._following.items() if until <= now]:
            del self._following[key]

    def cancel(self, job_id: str) -> IngestJob | None:
        """Stop an ingest at a user's request: a queued one never starts, a running one stops
        at the next page it reads or batch it writes (the files already live stay, the rest are
        discarded)."""
        job = self.get(job_id)
        if job is not None:
            job.cancelled_by_request = True  # before the event: the waiting upload reads it
            job.cancel.set()
            if job.status == "queued":  # said at once, not when the ingest ahead has ended
                self._finish(job, "cancelled", error="The ingest was cancelled before it "
                                                     "started; nothing of it was stored.")
        return job

    def ahead_of(self, job_id: str) -> list[IngestJob]:
        """The unfinished ingests queued before this one, which it waits for."""
        with self._lock:
            unfinished = [job for job in self._jobs.values() if not job.done.is_set()]
        place = next((n for n, job in enumerate(unfinished) if job.id == job_id), 0)
        return unfinished[:place]

    def get(self, job_id: str) -> IngestJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def of(self, user: str | None) -> list[IngestJob]:
        """The ingests remembered (the unfinished, and the last finished), `user`'s only
        unless None; newest first."""
        with self._lock:
            return [job for job in reversed(self._jobs.values())
                    if user is None or job.user == user]

    def wait(self, job_id: str, timeout: float | None = None) -> IngestJob | None:
        job = self.get(job_id)
        if job is not None:
            job.done.wait(timeout)
        return job

    # --- the worker ------------------------------------------------------------------------
    def _run(self) -> None:
        run_below_questions()
        try:
            self.workspace.forget_unheld_uploads()
        except Exception:  # a store that cannot be asked must not stop the ingests
            log.exception("could not look for kept uploads no collection holds")
        while True:
            job = self._queue.get()
            if job is None:
                return
            if self._cancel.is_set():
                self._finish(job, "cancelled", error="The engine stopped before this ingest "
                                                     "started: upload the files again once an "
                                                     "engine runs.")
                continue
            if job.cancel.is_set():  # finished when it was cancelled
                continue
            self._ingest(job)

    def _ingest(self, job: IngestJob) -> None:
        job.status = "running"
        by_source = {state.source: state for state in job.states}

        def on_progress(progress: Progress) -> None:
            state = by_source.get(progress.source)
            if state is not None:
                state.status = "embedding"
                state.pages, state.chunks = progress.pages, progress.chunks
                state.chunks_written = progress.chunks_written

        ended: list[FileResult] = []  # counted in the metrics however the job ends

        def on_file(result: FileResult) -> None:
            ended.append(result)
            state = by_source.get(result.path)
            if state is not None:
                # kept first: a copy not kept is a warning, there when the file is seen ended
                self._keep_upload(job, result)
                state.status, state.doc_id, state.error = result.status, result.doc_id, result.error
                state.warnings, state.moved_from = result.warnings, result.moved_from
                if result.status != "failed":
                    state.chunks = state.chunks_written = result.chunks

        if self.collection_gone(job):  # deleted since it was asked for
            self._finish(job, "failed", error=str(deleted_before_ingest(job.collection)))
            return
        try:
            report = self._ingest_replacing(job, on_file, on_progress)
        except IngestCancelled as exc:
            # stopped with the engine, the upload is to be sent again; cancelled, it is not
            self._finish(job, "cancelled", error=ENGINE_STOPPED if self._cancel.is_set()
                         and not job.cancelled_by_request else str(exc))
            self._report_ended(job, ended)
        except RagError as exc:
            self._finish(job, "failed", error=str(exc))
            self._report_ended(job, ended)
        except Exception as exc:  # a bug must not kill the worker: the job says so
            job.failed_by_bug = True
            self._finish(job, "failed", error=unexpected_message(exc, __name__))
            self._report_ended(job, ended)
        else:
            place = dict(zip((f.source for f in job.files), job.places, strict=True))
            last = len(job.files) + len(job.refused)  # a result of no file given: last
            results = [*job.refused, *((place.get(r.path, last), r) for r in report.files)]
            full = IngestReport([r for _, r in sorted(results, key=itemgetter(0))])
            job.report = full.as_json()
            self._finish(job, "done")
            if self.on_report:
                self.on_report(job.report)

    def _report_ended(self, job: IngestJob, ended: list[FileResult]) -> None:
        """The files a job cancelled or failed midway had ended (stored, unchanged, failed),
        and those refused before it began, for the metrics: they count as a finished job's."""
        if self.on_report:
            self.on_report(IngestReport([r for _, r in job.refused] + ended).as_json())

    def _ingest_replacing(self, job: IngestJob, on_file: Callable[[FileResult], None],
                          on_progress: Callable[[Progress], None]) -> IngestReport:
        """The job's ingest; the kept copies of the versions its uploads replace go once no
        collection holds them (before the job is said to be finished)."""
        view = self.workspace.view(job.collection)
        replaced: set[str] = set()
        for file in job.files:
            if Path(file.source).suffix.lower() in DRAWABLE_SUFFIXES:  # only those are kept
                earlier = view.store.live_at(file.source)
                if earlier is not None:
                    replaced.add(earlier.doc_id)
        try:
            return view.ingest_files(job.files, on_file, on_progress, job.cancel, user=job.user)
        finally:
            self.workspace.forget_uploads(replaced)

    def _keep_upload(self, job: IngestJob, result: FileResult) -> None:
        """An uploaded PDF or image in the library is kept so that the page viewer can draw
        it."""
        if not result.doc_id or result.status == "failed" or not result.path.startswith(
                "upload:"):
            return
        if Path(result.path).suffix.lower() not in DRAWABLE_SUFFIXES:
            return  # never drawn: its bytes need not be read
        spooled = next((f.path for f in job.files if f.source == result.path), None)
        if spooled is not None:
            data = spooled.read_bytes()
            suffix = drawable_suffix(result.path, data)
            if not suffix:
                return
            try:
                self.workspace.keep_original(result.doc_id, data, suffix)
            except OSError as exc:  # the document is live and searchable all the same
                log.warning("could not keep %s for the page viewer", result.path, exc_info=exc)
                result.warnings.append("the page viewer cannot show its pages: its copy could "
                                       f"not be kept in {self.workspace.uploads} "
                                       f"({exc.strerror or exc})")

    def _finish(self, job: IngestJob, status: JobStatus, error: str | None = None) -> None:
        job.status, job.error, job.finished = status, error, time.time()
        with self._lock:
            if job.more and status == "done":
                self._following[job.collection, job.user] = (time.monotonic()
                                                             + FOLLOWING_UPLOAD_SECONDS)
            elif job.more or job.follows:  # the ingest's last upload, or one that ended it
                self._following.pop((job.collection, job.user), None)
        for state in job.states:
            if state.status in ("queued", "embedding"):
                state.status = "failed"
                state.error = error or "not ingested"
        if job.spool is not None:
            shutil.rmtree(job.spool, ignore_errors=True)
        job.done.set()

    def stop(self) -> None:
        """Take no more ingests, cancel what is queued and stop the running one at its next
        batch; without waiting for it."""
        self._cancel.set()
        with self._lock:
            for job in self._jobs.values():
                job.cancel.set()
        self._queue.put(None)

    def close(self, timeout: float = 30.0) -> None:
        """Stop, and wait for the running ingest to end."""
        self.stop()
        self._worker.join(timeout)


def _first_of_each_name(files: list[tuple[int, SourceFile]]
                        ) -> tuple[list[tuple[int, SourceFile]], list[tuple[int, FileResult]]]:
    """The (place, file) pairs but those of a source an earlier file of the batch has (two
    uploads named alike: the second would replace the first as it is stored), which are
    refused."""
    kept: dict[str, tuple[int, SourceFile]] = {}
    refused = []
    for place, file in files:
        if file.source in kept:
            name = _shown_name(file.source)
            refused.append((place, FileResult(file.source, "failed", error=(
                f"{name}: another file of this name is in the same upload; upload it on its "
                "own to replace that one, or rename it"))))
        else:
            kept[file.source] = (place, file)
    return list(kept.values()), refused
