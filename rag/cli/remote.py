"""The `rag` command's library when an engine is running: its HTTP API, on this machine.

The command authenticates with the engine's start token from server.json. Files are streamed
to the engine in multipart requests (never read whole into memory here), each named by its
full path so that it is stored under the same source as without an engine; the command then
follows the ingest's progress and reports each file as it ends. A file the engine would refuse
before reading (its type, emptiness, size) is reported here without being sent, exactly as
the loaders word it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from ingest.loaders import refusal
from rag.cli.interrupts import StopNotSeenThrough, held_interrupts
from rag.cli.library import OnFile, OnProgress
from rag.cli.quick import REQUEST_READ_SECONDS, EngineAnswer, engine_hung, error_from
from rag.engine.discovery import EngineAddress
from rag.errors import RagError, no_such_collection, taken_in_other_case

if TYPE_CHECKING:
    from ingest.discovery import Found
    from ingest.pipeline import FileResult
    from rag.stores.base import StoredDocument

BATCH_FILES = 64
BATCH_BYTES = 256 * 1024 * 1024
POLL_SECONDS = 0.2
# how long a cancelled ingest is followed after Ctrl-C: the engine ends the batches it is
# embedding first, which takes moments
STOP_SECONDS = 15.0
FINAL = ("ingested", "unchanged", "failed")
PROGRESS_FIELDS = ("source", "pages", "chunks", "chunks_written")  # as `ingest.pipeline.Progress`


class EngineLibrary:
    def __init__(self, address: EngineAddress, collection: str, *,
                 must_exist: bool = False, asked: dict[str, Any] | None = None) -> None:
        self.address = address
        self.where = address.url
        self.collection = collection
        # the request options this command's own settings set (RAG_TOP_K, ...), sent when its
        # flags do not say otherwise: the engine's own apply to what is not set
        self.asked = asked or {}
        self.client = httpx.Client(
            base_url=address.api, headers={"Authorization": f"Bearer {address.token}"},
            timeout=httpx.Timeout(30.0, read=REQUEST_READ_SECONDS))
        if must_exist:  # said as without an engine, not as the API says it
            names = self._request("GET", "/collections")["collections"]
            if collection not in names:
                self.client.close()
                raise no_such_collection(collection, names)

    # --- the collections -------------------------------------------------------------------
    def collections(self) -> list[str]:
        return self._request("GET", "/collections")["collections"]

    def delete_collection(self, name: str) -> None:
        self._request("DELETE", f"/collections/{name}")

    # --- the library -----------------------------------------------------------------------
    def ingest(self, found: Found, on_file: OnFile,
               on_progress: OnProgress | None = None) -> dict[str, Any]:
        # numpy: imported only when ingesting
        from ingest.pipeline import FileResult, IngestReport, failed_unread

        # a list, not keyed by path: a file named twice (`rag ingest docs docs/a.txt`) is
        # reported twice, as without an engine
        self._ensure_collection()  # made on first use, files or none, as without an engine
        results = failed_unread(found, lambda result: on_file(result.as_json()))
        stored = _StoredVersions(self.documents)
        to_send: list[tuple[Path, int]] = []
        for path in found.files:
            try:
                size = path.stat().st_size
            except OSError as exc:
                refused = f"{path}: {exc.strerror or exc}"
            else:
                problem = refusal(path, size)
                if problem is None:
                    to_send.append((path, size))
                    continue
                refused = str(problem)
            # the pipeline's note on a version stored before, as the engine adds it
            results.append(stored.noted(FileResult(str(path), "failed", error=refused)))
            on_file(results[-1].as_json())
        batches = list(_batches(to_send))
        for number, batch in enumerate(batches, 1):
            results += [FileResult(**outcome) for outcome in self._ingest_batch(
                batch, on_file, on_progress, more=number < len(batches))]
        return IngestReport.of_found(found, results).as_json()

    def _ingest_batch(self, batch: list[Path], on_file: OnFile,
                      on_progress: OnProgress | None, more: bool) -> list[dict[str, Any]]:
        """One upload of the ingest; `more`: others follow, for which the engine keeps the
        collection."""
        with ExitStack() as stack:
            held = stack.enter_context(held_interrupts(
                "Stopping once the files being sent have arrived, to cancel their ingest "
                "(press Ctrl-C again to stop at once)."))
            parts = [("files", (str(path), stack.enter_context(open(path, "rb")),
                                "application/octet-stream")) for path in batch]
            job = self._request("POST", "/documents", files=parts, params={
                "collection": self.collection, "wait": "false", "more": str(more).lower()})
        told: set[str] = set()
        try:
            held.deliver()
            while True:
                for state in job["files"]:
                    if state["status"] in FINAL and state["source"] not in told:
                        told.add(state["source"])
                        on_file(_outcome(state))
                    elif state["status"] == "embedding" and on_progress:
                        on_progress({key: state[key] for key in PROGRESS_FIELDS})
                if job["status"] != "queued" and job["status"] != "running":
                    break
                time.sleep(POLL_SECONDS)
                job = self._request("GET", f"/ingests/{job['id']}")
        except KeyboardInterrupt:  # Ctrl-C stops the engine's ingest too, as it would here
            self._send("DELETE", f"/ingests/{job['id']}")
            if not self._followed_to_its_end(job["id"], told, on_file):
                raise StopNotSeenThrough from None
            raise
        if job["status"] != "done":
            raise RagError(job.get("error") or "The engine did not finish the ingest.")
        return job["report"]["files"]

    def _followed_to_its_end(self, job_id: str, told: set[str], on_file: OnFile) -> bool:
        """Whether the cancelled ingest was seen to end within STOP_SECONDS, each file that
        ended meanwhile (stored from the batches in flight, or failed of its own fault)
        reported as any other; False when Ctrl-C came again or the engine stopped answering
        first."""
        deadline = time.monotonic() + STOP_SECONDS
        try:
            while True:
                job = self._request("GET", f"/ingests/{job_id}")
                for state in job["files"]:
                    if _ended_before_the_stop(state, job) and state["source"] not in told:
                        told.add(state["source"])
                        on_file(_outcome(state))
                if job["status"] != "queued" and job["status"] != "running":
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(POLL_SECONDS)
        except (KeyboardInterrupt, RagError):
            return False

    def _ensure_collection(self) -> None:
        names = self._request("GET", "/collections")["collections"]
        if self.collection in names:
            return
        if taken := taken_in_other_case(self.collection, names):
            raise taken
        try:
            self._request("POST", "/collections", json={"name": self.collection})
        except RagError:  # made meanwhile by another door: it is there, as it should be
            if self.collection not in self._request("GET", "/collections")["collections"]:
                raise

    def search(self, query: str, top_k: int | None, mode: str | None, doc_id: str | None,
               source: str | None) -> dict[str, Any]:
        body = {"query": query, "top_k": top_k or self.asked.get("top_k"),
                "mode": mode or self.asked.get("mode"), "doc_id": doc_id, "source": source,
                "collection": self.collection}
        return self._request("POST", "/search", json=body)

    def ask(self, question: str, top_k: int | None,
            strategy: str | None = None) -> EngineAnswer:
        return EngineAnswer(self.address, {"question": question,
                                           "top_k": top_k or self.asked.get("top_k"),
                                           "mode": self.asked.get("mode"),
                                           "collection": self.collection, "stream": True,
                                           "strategy": strategy or self.asked.get("strategy")})

    def documents(self) -> list[dict[str, Any]]:
        return self._request("GET", "/documents",
                             params={"collection": self.collection})["documents"]

    def delete(self, doc_id_or_source: str) -> list[dict[str, Any]]:
        if _DOT_SEGMENT.search(doc_id_or_source):
            # a web address cannot carry "." or ".." (the server refuses it): the document is
            # found in the list, and deleted by its id
            found = [d for d in self.documents()
                     if doc_id_or_source in (d["doc_id"], d["source"])]
            if not found:
                return []
            doc_id_or_source = found[0]["doc_id"]
        response = self._send("DELETE", f"/documents/{quote(doc_id_or_source, safe='')}",
                              params={"collection": self.collection})
        if response.status_code == 404:
            return []
        return _checked(response)["deleted"]

    def close(self) -> None:
        self.client.close()

    # --- the wire --------------------------------------------------------------------------
    def _request(self, method: str, url: str, **options: Any) -> dict[str, Any]:
        return _checked(self._send(method, url, **options))

    def _send(self, method: str, url: str, **options: Any) -> httpx.Response:
        try:
            return self.client.request(method, url, **options)
        except httpx.HTTPError as exc:
            raise _unreachable(self.where, exc) from exc


class _StoredVersions:
    """The engine's collection as the ingest pipeline reads it for a failed file's note on
    the version stored before, so that a file refused here, unsent, gets the pipeline's own
    note. Listed once, when a file is first refused."""

    def __init__(self, documents: Callable[[], list[dict[str, Any]]]) -> None:
        self._documents = documents
        self._live: dict[str, StoredDocument] | None = None

    def live_at(self, source: str) -> StoredDocument | None:
        from rag.stores.base import StoredDocument

        if self._live is None:
            self._live = {d["source"]: StoredDocument(**d) for d in self._documents()}
        return self._live.get(source)

    def noted(self, result: FileResult) -> FileResult:
        from ingest.pipeline import with_earlier_version

        return with_earlier_version(result, self.live_at)


_DOT_SEGMENT = re.compile(r"(?:^|[/\\])\.{1,2}(?:[/\\]|$)")


def _batches(files: list[tuple[Path, int]]) -> Iterator[list[Path]]:
    """The files in uploads of at most BATCH_FILES and BATCH_BYTES; a file named again goes
    in a later one (one upload holds each name once), where it comes back unchanged."""
    batch: list[Path] = []
    held = 0
    for path, size in files:
        if batch and (len(batch) >= BATCH_FILES or held + size > BATCH_BYTES
                      or path in batch):
            yield batch
            batch, held = [], 0
        batch.append(path)
        held += size
    if batch:
        yield batch


def _ended_before_the_stop(state: dict[str, Any], job: dict[str, Any]) -> bool:
    """Whether a file of a stopped ingest ended: not one the stop discarded, which the
    engine marks failed with the stop's own message."""
    discarded = state["status"] == "failed" and state["error"] in (job["error"], "not ingested")
    return state["status"] in FINAL and not discarded


def _outcome(state: dict[str, Any]) -> dict[str, Any]:
    return {"path": state["source"], "status": state["status"], "doc_id": state["doc_id"],
            "chunks": state["chunks"] or 0, "error": state["error"],
            "warnings": state.get("warnings") or [], "moved_from": state.get("moved_from")}


def _checked(response: httpx.Response) -> dict[str, Any]:
    if response.status_code < 400:
        return response.json()
    try:
        error = response.json()["error"]
        code, message = error["code"], error["message"]
    except (ValueError, KeyError, TypeError):
        code, message = "internal_error", f"The engine answered HTTP {response.status_code}."
    raise error_from(code, message, response.headers.get("retry-after"))


def _unreachable(where: str, exc: httpx.HTTPError) -> RagError:
    if isinstance(exc, httpx.ReadTimeout):  # connected, but no reply: hung, not gone
        return engine_hung(where, REQUEST_READ_SECONDS)
    return RagError(f"The engine at {where} stopped answering ({type(exc).__name__}). Is "
                    "`rag ui` still running? If it was stopped, run the command again.")
