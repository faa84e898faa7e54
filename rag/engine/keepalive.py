"""How long the server keeps an idle connection open: longer than its clients do.

uvicorn closes a connection after 5 s without a request, and httpx (under the `openai` SDK,
the `rag` commands and most Python clients) reuses one for up to 5 s: a request sent on a
connection just as the server closes it is reset, and the client sees a `ReadError` before
any response. Servers keep idle connections longer than clients so that the client is always
the one to close them; 75 s also outlasts the 60 s a load balancer such as AWS's or nginx
typically keeps them. Streamlit makes the server's uvicorn configuration and exposes no
option for this, so its configuration is extended as it is made (`rag.engine.serve`).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

IDLE_CONNECTION_SECONDS = 75


def keep_idle_connections(seconds: int = IDLE_CONNECTION_SECONDS) -> bool:
    """Have the server Streamlit starts keep idle connections for `seconds` (once per
    process, before Streamlit starts); False (and a warning) when this Streamlit builds its
    server some other way."""
    from streamlit.web.server.starlette import starlette_server

    make = getattr(starlette_server, "_get_uvicorn_config_kwargs", None)
    if make is None:
        log.warning("Could not set the server's keep-alive: idle connections close after "
                    "uvicorn's 5 s, and a client may see a reset connection now and then.")
        return False

    def with_keep_alive() -> dict[str, Any]:
        return {**make(), "timeout_keep_alive": seconds}

    starlette_server._get_uvicorn_config_kwargs = with_keep_alive
    return True
