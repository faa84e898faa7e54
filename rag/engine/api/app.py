"""The API application: routes under /v1, errors, and the request metrics middleware.

Mounted at /api by the app server (ui/app.py), beside the chat, and given its engine once the
engine has opened; tests call it in-process through httpx's ASGITransport. Its OpenAPI page
is /api/docs.
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from rag.engine.api import errors, library, openai, questions
from rag.engine.api.errors import CODES, ERROR_CODE_KEY
from rag.engine.engine import Engine, running_engine
from rag.engine.telemetry import CONTENT_TYPE

DESCRIPTION = ("Ask questions of your documents, with citations down to the page. Errors are "
               '`{"error": {"code", "message"}}`; the codes:\n\n' + "\n".join(
                   f"- `{code}` ({status}): {meaning}" for code, (status, meaning) in
                   CODES.items()))
CODES_BY_STATUS = {status: code for code, (status, _) in reversed(CODES.items())}


def create_api(engine: Engine | None = None) -> FastAPI:
    """The API; `engine` now, or set `api.state.engine` once it has opened."""
    api = FastAPI(title="docqa-rag API", version="1", description=DESCRIPTION,
                  docs_url="/docs", openapi_url="/openapi.json", redoc_url=None)
    api.state.engine = engine
    for router in (library.router, questions.router, openai.router):
        api.include_router(router)
    errors.install(api)
    api.add_middleware(RequestMetrics)  # type: ignore[arg-type]
    return api


class RequestMetrics:
    """Counts each request by route template and status, and times it to its last byte."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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

        try:
            await self.app(scope, receive, sending)
        finally:
            engine: Engine | None = scope["app"].state.engine
            if engine is not None:
                route = scope.get("route")
                label = (scope.get("root_path", "") + route.path if isinstance(route, APIRoute)
                         else "unmatched")
                telemetry = engine.telemetry
                telemetry.requests.labels(label, scope["method"], str(status)).inc()
                telemetry.request_seconds.labels(label).observe(time.monotonic() - started)
                if status >= 400:
                    code = scope.get(ERROR_CODE_KEY) or CODES_BY_STATUS.get(status, str(status))
                    telemetry.errors.labels(code).inc()


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus metrics of this process's engine (served at /metrics, outside /api)."""
    engine = running_engine()
    if engine is None:
        return Response("the engine is not running\n", status_code=503)
    return Response(engine.telemetry.exposition(), media_type=CONTENT_TYPE)
