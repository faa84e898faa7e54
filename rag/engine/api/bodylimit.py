"""A request body's size limit, answered as the API's errors are.

Bodies are read whole (a question, its history, a chat's messages), so one of a gigabyte would
sit in memory before anything looked at it. FastAPI's `max_body_size` answers a body whose
declared length is over the limit in plain text, not as `{"error": ...}`; this limit answers
413 `too_large` as every other error, before reading a byte when the length is declared and as
soon as the limit is passed when it is not. Uploads are exempt: their files are limited one
by one as they arrive (`uploads.read_upload`).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.engine.api.errors import BODY_TOO_LARGE, ERROR_CODE_KEY, ApiError, error_response


def is_upload(method: str, route_path: str) -> bool:
    return method == "POST" and route_path == "/v1/documents"


class BodyLimit:
    """Refuse request bodies over `limit` bytes, but on routes `exempt(method, path)`."""

    def __init__(self, app: ASGIApp, limit: int, exempt: Callable[[str, str], bool]) -> None:
        self.app, self.limit, self.exempt = app, limit, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route_path = scope.get("path", "").removeprefix(scope.get("root_path", ""))
        if scope["type"] != "http" or self.exempt(scope["method"], route_path):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            scope[ERROR_CODE_KEY] = "too_large"
            await error_response(ApiError("too_large", BODY_TOO_LARGE))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:  # the routes' error handler answers it
                raise HTTPException(413)
            return message

        await self.app(scope, counted, send)
