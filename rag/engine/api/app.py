"""The API application: routes under /v1, errors, and the request metrics middleware.

Mounted at /api by the app server (ui/app.py), beside the chat, and given its engine once the
engine has opened; tests call it in-process through httpx's ASGITransport. Its OpenAPI page
is /api/docs, drawn by Swagger UI's files from the swagger-ui-py package (FastAPI's own page
loads them from a CDN: blank on a machine without the internet).
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import swagger_ui
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from rag.app.context import request_scope
from rag.engine.api import errors, library, openai, questions
from rag.engine.api.bodylimit import BodyLimit, is_upload
from rag.engine.api.deps import CALLER_KEY
from rag.engine.api.errors import CLIENT_CLOSED, CODES, ERROR_CODE_KEY
from rag.engine.engine import Engine, running_engine
from rag.engine.telemetry import CONTENT_TYPE

DESCRIPTION = ("Ask questions of your documents, with citations down to the page. Errors are "
               '`{"error": {"code", "message", "type", "param"}}`; the codes:\n\n' + "\n".join(
                   f"- `{code}` ({status}): {meaning}" for code, (status, meaning) in
                   CODES.items()))
CODES_BY_STATUS = {status: code for code, (status, _) in reversed(CODES.items())}
access_log = logging.getLogger("rag.access")


def mounted(api: FastAPI, path: str = "/api") -> Mount:
    """The API mounted at `path`, for every path under it: Starlette's mount stops at an
    encoded line break ("%0A" in a document's id), and Streamlit would answer in plain text
    what the API answers as `{"error": ...}`."""
    mount = Mount(path, app=api)
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return mount


def create_api(engine: Engine | None = None) -> FastAPI:
    """The API; `engine` now, or set `api.state.engine` once it has opened."""
    # no redirect for a trailing slash: Starlette answers it before any route's checks, with
    # an empty body and a Location built from whatever Host the client sent
    api = FastAPI(title="docqa-rag API", version="1", description=DESCRIPTION,
                  docs_url=None, openapi_url="/openapi.json", redoc_url=None,
                  redirect_slashes=False)
    api.state.engine = engine
    routers = (library.router, questions.router, openai.router)
    for router in routers:
        api.include_router(router)
    errors.install(api)
    body_limit = errors.JSON_BODY_MB * 1024 * 1024
    api.add_middleware(BodyLimit, limit=body_limit, exempt=is_upload)  # type: ignore[arg-type]
    api.add_middleware(RequestMetrics,  # type: ignore[arg-type]
                       routes=[route for router in routers for route in router.routes])
    api.mount("/docs-files", StaticFiles(directory=SWAGGER_FILES), name="docs-files")
    api.add_api_route("/docs", openapi_page, include_in_schema=False)
    api.openapi = lambda: schema_of(api)  # type: ignore[method-assign]
    return api


SWAGGER_FILES = Path(swagger_ui.__file__).parent / "static"


async def openapi_page(request: Request) -> HTMLResponse:
    base = request.scope.get("root_path", "")
    return get_swagger_ui_html(openapi_url=f"{base}/openapi.json", title="docqa-rag API",
                               swagger_js_url=f"{base}/docs-files/swagger-ui-bundle.js",
                               swagger_css_url=f"{base}/docs-files/swagger-ui.css",
                               swagger_favicon_url=f"{base}/docs-files/favicon-32x32.png")


def schema_of(api: FastAPI) -> dict[str, Any]:
    """FastAPI's schema without its 422 answers: a request that fails validation gets 400
    `bad_request` here, which each route lists."""
    if api.openapi_schema is None:
        schema = FastAPI.openapi(api)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
    return api.openapi_schema  # type: ignore[return-value]


class RequestMetrics:
    """Counts each request by route template and status, times it to its last byte, and
    logs it: one `rag.access` record a request, for an operator to follow a user's calls or
    a slow route (the method, path without its query, status, time, client and user)."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app, self.routes = app, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500

        async def sending(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        # one id for the request: its access line, and the records of the question it asks
        # (`enter_scope` keeps it), so that the two can be joined
        with request_scope():
            try:
                await self.app(scope, receive, sending)
            finally:
                self._count(scope, status, started)

    def _count(self, scope: Scope, status: int, started: float) -> None:
        engine: Engine | None = scope["app"].state.engine
        if engine is not None:
            label = route_label(scope, self.routes)
            telemetry = engine.telemetry
            telemetry.requests.labels(label, scope["method"], str(status)).inc()
            telemetry.request_seconds.labels(label).observe(time.monotonic() - started)
            if status >= 400 and status != CLIENT_CLOSED:  # a cancel is no error
                code = scope.get(ERROR_CODE_KEY) or CODES_BY_STATUS.get(status, str(status))
                telemetry.errors.labels(code).inc()
        log_request(scope, status, time.monotonic() - started)


def log_request(scope: Scope, status: int, seconds: float) -> None:
    path = scope["path"]  # the full path: a mounted app's holds its mount's prefix
    client = scope.get("client")
    access_log.info("%s %s %d %.1f ms", scope["method"], path, status, seconds * 1000, extra={
        "http": {"method": scope["method"], "path": path, "status": status,
                 "ms": round(seconds * 1000, 1), "client": client[0] if client else None},
        "user": scope.get(CALLER_KEY)})


def route_label(scope: Scope, routes: list[BaseRoute]) -> str:
    """A request's route template (`/api/v1/documents/{doc_id:rest}`), a bounded label. A
    request answered before routing (over the body limit) has none yet: it is found among
    the API's `routes` (the routers' own, as an included router names none) and the app's."""
    route = scope.get("route")  # the outer app's mount until this app's routing has run
    if not isinstance(route, Route):
        route = next((candidate for candidate in [*routes, *scope["app"].routes]
                      if isinstance(candidate, Route)
                      and candidate.matches(scope)[0] != Match.NONE), None)
    return scope.get("root_path", "") + route.path if route is not None else "unmatched"


def metrics_endpoint(request: Request) -> Response:
    """Prometheus metrics of this process's engine (served at /metrics, outside /api).

    Not a coroutine: the open breakers are read from the shared state, which may be Redis,
    and a scrape waiting on it must not hold the event loop every request runs on."""
    engine = running_engine()
    if engine is None:
        return Response("the engine is not running\n", status_code=503)
    return Response(engine.telemetry.exposition(), media_type=CONTENT_TYPE)
