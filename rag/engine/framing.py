"""The engine's pages in frames of its own pages only.

Another site's page could show the chat (or the OpenAPI page) in a frame and lay its own
controls over the chat's Delete and "Delete collection" buttons (clickjacking). A framed page
keeps the engine's origin, so the chat's WebSocket guard (`rag.engine.chat_origin`) lets it
in. Every HTTP answer of the engine therefore tells the browser that only pages of the
engine's own origin may frame it: `Content-Security-Policy: frame-ancestors 'self'`, and
`X-Frame-Options: SAMEORIGIN` for browsers that read no CSP. Streamlit's own frames (custom
components, `st.components.v1.html`) are of the engine's origin and still load.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FRAME_ANCESTORS = "frame-ancestors 'self'"
X_FRAME_OPTIONS = "SAMEORIGIN"


def frame_own_pages_only(headers: MutableHeaders) -> None:
    """Add the framing rules to an answer's headers, never loosening a rule it has: a
    second Content-Security-Policy is enforced beside the first, and an X-Frame-Options
    already set (DENY) is kept."""
    headers.append("Content-Security-Policy", FRAME_ANCESTORS)
    headers.setdefault("X-Frame-Options", X_FRAME_OPTIONS)


class FramedByOwnPagesOnly:
    """ASGI middleware: every HTTP answer may be framed by the engine's own pages only.

    An exception a route lets out before answering is answered here, with the bare 500
    Starlette would send: Starlette sends its own from ServerErrorMiddleware, which wraps every
    middleware an app adds, so it would leave without the rules. The exception is raised on,
    for the server to log (Starlette then sends nothing more).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def framed(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                frame_own_pages_only(MutableHeaders(scope=message))
            await send(message)

        try:
            await self.app(scope, receive, framed)
        except Exception:
            if not started:
                await server_error()(scope, receive, framed)
            raise


def server_error() -> PlainTextResponse:
    """Starlette's answer to an exception no route handled (a new one each time: the framing
    rules are added to its headers)."""
    return PlainTextResponse("Internal Server Error", status_code=500)
