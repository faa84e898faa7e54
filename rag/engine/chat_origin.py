"""The chat's WebSocket for the chat's own pages only.

The WebSocket carries the library (its documents, answers, uploads and deletes) to whoever
opens it. Streamlit accepts one from a page whose Origin has the same host name as the
server, whatever its port, so a page served by any other program on this machine
(`http://localhost:3000`) could drive the chat. Here the Origin must name the host and port
the connection was sent to, as the API asks of browsers, or be listed in
`server.corsAllowedOrigins`. Clients that send no Origin (not browsers) are left to
Streamlit's own checks.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from rag.engine.access import same_origin


class OwnPagesOnly:
    """ASGI middleware refusing (403) a WebSocket opened by another origin's page."""

    def __init__(self, app: ASGIApp, allowed_origins: Callable[[], set[str]]) -> None:
        self.app = app
        self.allowed_origins = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if (origin is not None and not same_origin(origin, headers.get("host"))
                    and origin not in self.allowed_origins()):
                # closed before it is accepted: the server answers the handshake with 403
                await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)
