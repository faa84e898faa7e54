"""Every API error is `{"error": {"code", "message", "type", "param"}}` with a stable code
(OpenAI's shape: `type` its class of error, `param` the field at fault, where one is).

Our own errors (RagError) are translated here, once, for every route; so are FastAPI's
validation errors (a 400, not a 422) and unknown routes. An unexpected error answers 500 with
a short id the user can quote; the log holds that id with the stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.app.logs import unexpected_message
from rag.engine.access import retry_after
from rag.engine.api.schemas import LONE_SURROGATE
from rag.errors import (
    EMPTY_QUERY,
    EMPTY_QUESTION,
    QUESTION_CHARS,
    CollectionBusy,
    CollectionExists,
    CollectionMissing,
    CollectionProtected,
    ConfigError,
    ContentBlocked,
    DocumentError,
    EmbedderMismatchError,
    Forbidden,
    IngestCancelled,
    InputTooLongError,
    NoRoom,
    PermanentAIError,
    RagError,
    RateLimited,
    StoreError,
    TransientAIError,
    Unauthorized,
    empty_filter,
    no_room,
    too_long_to_ask,
    validation_message,
)
from rag.settings import COLLECTION_RULE

log = logging.getLogger(__name__)

ERROR_CODE_KEY = "rag.error_code"
#: the largest request body but an upload's (whose files are limited one by one as they
#: arrive): a question, its history or a chat's messages are far smaller, and are read whole
JSON_BODY_MB = 1
#: the status logged for a request whose client closed its connection before its answer
#: (nginx's "client closed request"): nobody reads it, and the request was not at fault
CLIENT_CLOSED = 499
NO_ROUTE = "No such route."
NO_ROUTE_SLASHED = "No such route (the routes end without a slash)."
EMPTY_BODY = "The body is empty: send a JSON object, with Content-Type: application/json."
BODY_TOO_LARGE = (f"The request's body is over the API's limit of {JSON_BODY_MB} MiB (uploads, "
                  "to POST /api/v1/documents, are limited by RAG_UPLOAD_MAX_MB a file).")

#: Every code the API answers with, its HTTP status and when it is used.
CODES: dict[str, tuple[int, str]] = {
    "bad_request": (400, "the request is malformed: bad JSON, a missing, mistyped or "
                         "out-of-range field, a question of nothing but spaces, an empty upload "
                         "or one cut short"),
    "input_too_long": (400, f"a question or query over {QUESTION_CHARS:,} characters, or a "
                            "search query longer than the embedding model takes"),
    "content_blocked": (400, "the content filter refused the question (or, with answer checks "
                             "on, the answer); the message names the category"),
    "unauthorized": (401, "no API key, or a wrong one"),
    "forbidden": (403, "no API keys are configured and the caller is not on this machine; "
                       "or, to change the library, the caller is not among RAG_EDITORS"),
    "not_found": (404, "no such collection (or it was deleted while the request used it), "
                       "document, ingest or route"),
    "model_not_found": (404, "no collection is the model named (GET /api/v1/models/{id}, "
                             "POST /api/v1/chat/completions): OpenAI's code, `param` `model`"),
    "method_not_allowed": (405, "the route exists, not with this method"),
    "conflict": (409, "the collection was filled by another embedder, already exists, or (to "
                      "delete it) is the configured one or being ingested into"),
    "cancelled": (409, "the ingest an upload waited for was cancelled (DELETE "
                       "/api/v1/ingests/{id}); `ingest` beside `error` holds each file's "
                       "outcome"),
    "too_large": (413, f"a request body over {JSON_BODY_MB} MiB (an upload's file over "
                       "RAG_UPLOAD_MAX_MB is `failed` in its outcome instead)"),
    "rate_limited": (429, "over the per-user limit; see the Retry-After header"),
    "internal_error": (500, "a bug: the message holds an id to quote, the log the details"),
    "upstream_error": (502, "the AI provider refused the request (credentials, model, input)"),
    "upstream_unavailable": (503, "the AI provider or the Qdrant server cannot be reached now, "
                                  "or the engine is stopping"),
    "insufficient_storage": (507, "an upload that would leave the disk holding the engine's "
                                  "data without the room its store keeps in hand, or a write "
                                  "that failed for want of room (a full disk, a quota, the "
                                  "file-size limit, a read-only file system)"),
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    type: str  # OpenAI's class of error, which its SDKs and the clients built on them read
    param: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An error a route raises on purpose: one of CODES and a message that says what to do;
    `beside` holds fields the answer gives next to `error` (what was done before it)."""

    def __init__(self, code: str, message: str, headers: dict[str, str] | None = None,
                 beside: dict[str, Any] | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers or {}
        self.beside = beside or {}

    @property
    def status(self) -> int:
        return CODES[self.code][0]

    def body(self) -> dict[str, Any]:
        """The `error` object, in OpenAI's shape (`code`, `message`, `type`, `param`)."""
        # a message quoting half a UTF-16 pair could not be encoded, and would become a 500
        message = LONE_SURROGATE.sub("\ufffd", self.message)
        return {"code": self.code, "message": message, "type": openai_type(self.status),
                "param": self.param}


class ClientClosed(Exception):
    """The client closed its connection before its answer: a cancel, not a malformed
    request, so it is logged as CLIENT_CLOSED and counted as no error."""


def openai_type(status: int) -> str:
    """OpenAI's `type` for an error of this HTTP status."""
    named = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}
    return named.get(status, "server_error" if status >= 500 else "invalid_request_error")


def responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    """The error responses of a route, for the OpenAPI page; any route may fail on a bug."""
    by_status: dict[int, list[str]] = {}
    for code in (*codes, "internal_error"):
        by_status.setdefault(CODES[code][0], []).append(code)
    return {status: {"model": ErrorBody, "description": "; ".join(
        f"`{code}`: {CODES[code][1]}" for code in names)} for status, names in by_status.items()}


def from_rag_error(exc: RagError) -> ApiError:
    """Our own errors, as the API reports them."""
    if isinstance(exc, RateLimited):
        return ApiError("rate_limited", str(exc), {"Retry-After": retry_after(exc.retry_after)})
    if isinstance(exc, Unauthorized):
        return ApiError("unauthorized", str(exc), {"WWW-Authenticate": "Bearer"})
    if isinstance(exc, Forbidden):
        return ApiError("forbidden", str(exc))
    if isinstance(exc, InputTooLongError):
        return ApiError("input_too_long", str(exc))
    if isinstance(exc, ContentBlocked):
        return ApiError("content_blocked", str(exc))
    if isinstance(exc, CollectionMissing):
        return ApiError("not_found", str(exc))
    if isinstance(exc, (EmbedderMismatchError, CollectionExists, CollectionBusy,
                        CollectionProtected)):
        return ApiError("conflict", str(exc))
    if isinstance(exc, NoRoom):
        return ApiError("insufficient_storage", str(exc))
    if isinstance(exc, (StoreError, IngestCancelled)):
        return ApiError("upstream_unavailable", str(exc))
    if isinstance(exc, TransientAIError):
        headers = {"Retry-After": retry_after(exc.retry_after)} if exc.retry_after else {}
        return ApiError("upstream_unavailable", str(exc), headers)
    if isinstance(exc, PermanentAIError):
        return ApiError("upstream_error", str(exc))
    if isinstance(exc, (ConfigError, DocumentError)):
        return ApiError("bad_request", str(exc))
    return ApiError("bad_request", str(exc))


def unexpected(exc: Exception) -> ApiError:
    """A bug, with an id to quote; but a write that failed for want of room (a cache's, a
    log's) is no bug, and says what to do."""
    if (full := no_room(exc)) is not None:
        return from_rag_error(full)
    return ApiError("internal_error", unexpected_message(exc, __name__))


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse({"error": error.body(), **error.beside}, status_code=error.status,
                        headers=error.headers)


class AnswerUnexpected:
    """Answer an unexpected error with 500 `internal_error`, and keep the connection.

    Starlette's handler for `Exception` answers, then raises the error again for the server
    to log; uvicorn then closes the connection without saying so (no `Connection: close`),
    and a client that keeps connections alive has its next request reset. Here the error is
    logged with its id and goes no further. An error after the answer has started (a
    stream) still goes on: only a closed connection tells the client the answer is cut.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:
                raise
            error = unexpected(exc)
            scope[ERROR_CODE_KEY] = error.code
            await error_response(error)(scope, receive, send)


def install(app: FastAPI) -> None:
    """Route every error through `error_response`, noting its code in the request's scope
    (ERROR_CODE_KEY) for the request metrics: several codes share a status."""

    def respond(request: Request, error: ApiError) -> JSONResponse:
        request.scope[ERROR_CODE_KEY] = error.code
        return error_response(error)

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        return respond(request, exc)  # type: ignore[arg-type]

    async def rag_error(request: Request, exc: Exception) -> JSONResponse:
        return respond(request, from_rag_error(exc))  # type: ignore[arg-type]

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = exc.errors()
        said = said_by_every_door(problems[0]) if problems else None
        error = said or ApiError("bad_request", describe(
            exc, json_sent="json" in request.headers.get("content-type", "")))
        error.param = field_at_fault(problems[0]) if problems else None
        return respond(request, error)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "bad_request")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette names the first matching route's methods only
            headers["Allow"] = ", ".join(methods_of(request))
        message = {404: NO_ROUTE_SLASHED if request.url.path.endswith("/") else NO_ROUTE,
                   405: f"This route takes {headers.get('Allow', 'other methods')}.",
                   413: BODY_TOO_LARGE
                   }.get(exc.status_code, str(exc.detail))
        if message == "There was an error parsing the body":  # FastAPI's, for any bad body
            message = "The body is not valid JSON (UTF-8 text, of a sensible depth and size)."
        return respond(request, ApiError(code, message, headers))

    async def client_closed(request: Request, exc: Exception) -> Response:
        return Response(status_code=CLIENT_CLOSED)

    async def crash(request: Request, exc: Exception) -> JSONResponse:
        return respond(request, unexpected(exc))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RagError, rag_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(ClientClosed, client_closed)
    app.add_middleware(AnswerUnexpected)  # type: ignore[arg-type]
    # the last resort, for an error of the middlewares around AnswerUnexpected (added after
    # it): answered alike, though the server then closes the connection
    app.add_exception_handler(Exception, crash)


def methods_of(request: Request) -> list[str]:
    """Every method some route of this path takes."""
    return [method for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in request.app.router.routes)]


#: the part of the request FastAPI puts first in a validation problem's `loc` (a body field
#: may be named as one of them: /search's `query`)
REQUEST_PARTS = ("body", "query", "path", "header", "cookie")


def field_at_fault(problem: dict[str, Any]) -> str | None:
    """The field a validation problem is about, as OpenAI names it (`messages.0.content`);
    None for the body as a whole (JSON that does not parse: its `loc` holds the position)."""
    if problem.get("type") == "json_invalid":
        return None
    where = list(problem.get("loc") or ())
    if where and where[0] in REQUEST_PARTS:  # where the field was, not a field itself
        where = where[1:]
    return ".".join(map(str, where)) or None


def said_by_every_door(problem: dict[str, Any]) -> ApiError | None:
    """The error the `rag` command and the chat give for the same mistake, where pydantic's
    words would differ: an empty collection name, document id or source path, an empty or
    overlong question or query."""
    field, kind = (problem.get("loc") or ("",))[-1], problem.get("type")
    if kind == "string_too_short" and field == "collection":
        return ApiError("bad_request", f"'' is not a valid collection name: {COLLECTION_RULE}.")
    if kind == "string_too_short" and field in ("doc_id", "source"):
        return from_rag_error(empty_filter(str(field)))
    if field not in ("question", "query"):
        return None
    if kind == "string_too_short":
        return ApiError("bad_request", EMPTY_QUESTION if field == "question" else EMPTY_QUERY)
    if kind == "string_too_long":
        return from_rag_error(too_long_to_ask(field, len(problem.get("input") or "")))
    return None


def describe(exc: Exception, json_sent: bool = True) -> str:
    """The first validation problem, as a sentence: `top_k: Input should be <= 100`.
    `json_sent`: whether the request said its body is JSON (without that header FastAPI
    does not parse it, and the body reads as a string)."""
    assert isinstance(exc, RequestValidationError)
    problems = exc.errors()
    if not problems:
        return "The request is not valid."
    first = problems[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    if first.get("type") == "json_invalid":
        return "The body is not valid JSON."
    if not where and not json_sent:
        return "The body must be a JSON object, sent with Content-Type: application/json."
    if not where and first.get("type") == "missing":
        return EMPTY_BODY
    return f"{where or 'body'}: {validation_message(first)}."
