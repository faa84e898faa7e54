"""The library: health, documents (list, upload, delete), collections, ingest progress."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from ingest.loaders import MAX_FILE_BYTES
from rag.engine.api.deps import (
    CallerDep,
    Collection,
    EditorDep,
    EngineDep,
    check_collection_field,
    collection_view,
)
from rag.engine.api.errors import NO_ROUTE_SLASHED, ApiError, responses
from rag.engine.api.schemas import CollectionRequest
from rag.engine.api.uploads import MB, read_upload
from rag.engine.engine import Engine
from rag.engine.jobs import FOLLOWING_UPLOAD_SECONDS, IngestJob
from rag.errors import deleted_before_ingest, no_such_collection
from rag.types import counted

router = APIRouter()
ACCESS = ("unauthorized", "forbidden")
#: a route that opens a collection by name may find none (404), or one filled by another
#: embedder than the configured one (409)
OPENED = ("not_found", "conflict")


# HEAD too: load balancers and uptime checks often probe with it. Two routes, not one of two
# methods, which would give both operations one operationId in the schema.
@router.get("/v1/health", responses=responses(*ACCESS))
@router.head("/v1/health", responses=responses(*ACCESS))
def health(engine: EngineDep, caller: CallerDep) -> dict:
    """Whether the engine is up, what it runs, and how many documents it holds; `degraded`
    with the provider's standing refusals (a wrong token, a blocked account, a model the
    account may not use) while answers fall back to quoted passages for want of them."""
    service = engine.workspace.service
    refusals = engine.telemetry.refusals.current()
    health = {"status": "degraded" if refusals else "ok",
              "collection": service.store.collection,
              "documents": service.store.document_count(), "embedder": service.embedder.name,
              "generator": service.generator.name,
              "collections": engine.workspace.collections()}
    if refusals:
        health["provider_failures"] = refusals
    return health


@router.get("/v1/documents", responses=responses("bad_request", *OPENED, *ACCESS))
# with a trailing slash too: the delete route's `{doc_id}` would otherwise take it, as 405
@router.get("/v1/documents/", include_in_schema=False)
def documents(engine: EngineDep, caller: CallerDep, collection: Collection = None,
              limit: Annotated[int | None, Query(ge=1, description=(
                  "at most this many, by source path: a page of a large library"))] = None,
              offset: Annotated[int, Query(ge=0, description=(
                  "the documents skipped before the page"))] = 0) -> dict:
    """The documents of a collection, as `rag docs list --json` prints them (a page of them
    with `limit` and `offset`), and how many there are."""
    view = collection_view(engine, collection)
    found = view.documents()
    page = found[offset:None if limit is None else offset + limit]
    return {"documents": [asdict(d) for d in page], "total": len(found)}


UPLOAD_ANSWERS = {
    **responses("bad_request", *OPENED, "cancelled",
                "rate_limited", "upstream_unavailable", "insufficient_storage", *ACCESS),
    202: {"description": "With `wait=false`: the ingest's state at once, to follow at GET "
                         "/api/v1/ingests/{id}."}}
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "minItems": 1,
                             "items": {"type": "string", "format": "binary"}}},
}}}}}


@router.post("/v1/documents", status_code=200, responses=UPLOAD_ANSWERS,
             openapi_extra=UPLOAD_BODY)
async def upload(request: Request, engine: EngineDep, caller: EditorDep,
                 collection: Collection = None,
                 wait: Annotated[bool, Query(description="answer when the batch is done "
                                                         "(else 202 and the ingest's id)")] = True,
                 more: Annotated[bool, Query(description=(
                     "more uploads of the same ingest follow: the collection cannot be deleted "
                     "until the last (sent without it) has ended, or for "
                     f"{FOLLOWING_UPLOAD_SECONDS:g} s after this one has if none comes"
                 ))] = False) -> JSONResponse:
    """Ingest uploaded files (parts named `files`); answers as `rag ingest --json` does.

    Each file's size is checked as it arrives: a file over the limit is not stored, and is
    `failed` in the answer with its size and the limit, the other files ingested.
    A part that is no file (a form field) is 400: `collection`, `wait` and `more` are query
    parameters. With `wait=false` the answer is 202 at once, with the ingest's id to follow
    at GET /api/v1/ingests/{id}.
    """
    name = collection or engine.settings.collection
    # 404, or 429 for a user whose paid embeddings are spent for today, before a byte is read
    view = collection_view(engine, name)
    view.check_ingest_budget(caller.user)
    made = await anyio.to_thread.run_sync(view.store.made)
    if caller.trusted:  # the `rag` command on this machine: its own limit, as without engine
        limit, limit_name = MAX_FILE_BYTES, "the loaders' limit per file"
    else:
        limit, limit_name = engine.settings.upload_max_mb * MB, "RAG_UPLOAD_MAX_MB"
    with engine.jobs.spool() as (job_id, folder), \
            engine.jobs.receiving(name, caller.user) as follows:
        form = await read_upload(request, folder, limit, limit_name, caller.trusted)
        if await anyio.to_thread.run_sync(engine.workspace.made, name) != made:
            # deleted while the files arrived
            raise ApiError("not_found", str(deleted_before_ingest(name)))
        job = engine.jobs.submit(name, form.files, user=caller.user, job_id=job_id,
                                 spool=folder, refused=form.refused, made=made, more=more,
                                 follows=follows)
    if not wait:
        return JSONResponse(job.as_json(), status_code=202)
    await anyio.to_thread.run_sync(job.done.wait)
    if job.status != "done":
        raise await unfinished(engine, job)
    return JSONResponse({**(job.report or {}), "ingest_id": job.id})


async def unfinished(engine: Engine, job: IngestJob) -> ApiError:
    """Why an upload's ingest did not finish: cancelled by a request (not to be retried: the
    user stopped it), its collection deleted meanwhile (the caller's to know), or the
    engine stopping (another replica may take it)."""
    if job.status == "cancelled" and job.cancelled_by_request:
        return ApiError("cancelled", cancelled_message(job), beside={"ingest": job.as_json()})
    if job.failed_by_bug:
        return ApiError("internal_error", job.error or "The ingest did not finish.")
    if await anyio.to_thread.run_sync(engine.jobs.collection_gone, job):
        return ApiError("not_found", job.error or "The ingest did not finish.")
    return ApiError("upstream_unavailable", job.error or "The ingest did not finish.")


def cancelled_message(job: IngestJob) -> str:
    stored = sum(state.status in ("ingested", "unchanged") for state in job.states)
    return (f"The ingest {job.id} was cancelled (DELETE /api/v1/ingests/{job.id}): "
            f"{counted(stored, 'file')} stored before it stay searchable, the others were "
            "not stored; `ingest` gives each file's outcome.")


@router.get("/v1/ingests", responses=responses(*ACCESS))
def ingests(engine: EngineDep, caller: CallerDep) -> dict:
    """The caller's ingests (every one, for the `rag` command on this machine) that this
    engine has taken since it started, newest first, each as GET /api/v1/ingests/{id} gives
    it: an ingest whose client went away can be found and cancelled."""
    return {"ingests": [job.as_json() for job in
                        engine.jobs.of(None if caller.trusted else caller.user)]}


@router.get("/v1/ingests/{ingest_id}", responses=responses("not_found", *ACCESS))
def ingest_progress(ingest_id: str, engine: EngineDep, caller: CallerDep) -> dict:
    """An ingest's state: each file's status, pages read and chunks written, then its report."""
    job = engine.jobs.get(ingest_id)
    if job is None or (job.user != caller.user and not caller.trusted):
        raise ApiError("not_found", f"There is no ingest {ingest_id}.")
    return job.as_json()


@router.delete("/v1/ingests/{ingest_id}", responses=responses("not_found", *ACCESS))
def cancel_ingest(ingest_id: str, engine: EngineDep, caller: CallerDep) -> dict:
    """Cancel an ingest: a queued one never starts, a running one stops at the next page it
    reads or batch it writes (files already searchable stay; the rest are discarded). The
    answer is its state:
    `cancelled` at once for a queued one; a running one gets there (or to `done`, if it ended
    first) moments later. An upload waiting for it is answered 409 `cancelled`."""
    job = engine.jobs.get(ingest_id)
    if job is None or (job.user != caller.user and not caller.trusted):
        raise ApiError("not_found", f"There is no ingest {ingest_id}.")
    engine.jobs.cancel(ingest_id)
    return job.as_json()


@router.delete("/v1/documents/{doc_id:rest}",
                responses=responses("bad_request", *OPENED, *ACCESS))
def delete_document(doc_id: str, engine: EngineDep, caller: EditorDep,
                    collection: Collection = None) -> dict:
    """Delete a document (by id, or by its source path) and all its chunks."""
    if not doc_id:  # `/documents/`: a path ending in a slash, which no route has
        raise ApiError("not_found", NO_ROUTE_SLASHED)
    view = collection_view(engine, collection)
    removed = engine.workspace.delete_document(view.store.collection, doc_id)
    if not removed:
        raise ApiError("not_found", f"No document with id or path {doc_id}.")
    return {"deleted": [asdict(d) for d in removed]}


@router.get("/v1/collections", responses=responses(*ACCESS))
def collections(engine: EngineDep, caller: CallerDep) -> dict:
    return {"collections": engine.workspace.collections()}


@router.post("/v1/collections", status_code=201,
             responses=responses("bad_request", "too_large", "conflict", *ACCESS))
def create_collection(body: CollectionRequest, engine: EngineDep, caller: EditorDep) -> dict:
    check_collection_field(body.name, "name")  # as every route names one: " docs" is no name
    engine.workspace.create_collection(body.name)
    return {"collection": body.name}


@router.delete("/v1/collections/{name}",
               responses=responses("bad_request", "not_found", "conflict", *ACCESS))
def delete_collection(name: str, engine: EngineDep, caller: EditorDep) -> dict:
    check_collection_field(name, "name")
    names = engine.workspace.collections()
    if name not in names:
        # as the workspace says it of one deleted meanwhile: no "POST /collections makes one"
        raise ApiError("not_found", str(no_such_collection(name, names)))
    engine.delete_collection(name)
    return {"deleted": name}
