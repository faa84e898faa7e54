"""The app server: one process, the engine and its three doors' two web ones.

The chat is at /, the HTTP API at /api/v1 (OpenAPI page: /api/docs), Prometheus metrics at
/metrics. `rag ui` serves it (`streamlit run ui/app.py` too, with uvicorn's own keep-alive:
rag/engine/serve.py). The engine opens at start-up, before the first browser arrives, and is
announced in `<data dir>/server.json` so that `rag` commands go through its API; it is closed
(ingests stopped cleanly) when the server stops.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import streamlit as st
import streamlit.net_util
from starlette.middleware import Middleware
from starlette.routing import Route

from rag.engine.api.app import create_api, metrics_endpoint, mounted
from rag.engine.chat_origin import OwnPagesOnly
from rag.engine.engine import Engine
from rag.engine.framing import FramedByOwnPagesOnly
from rag.engine.heap import settle_heap
from rag.engine.sockets import disable_nagle
from rag.engine.stopping import stop_first_on_signal
from rag.errors import RagError
from rag.settings import load_settings

api = create_api()
# Streamlit asks checkip.amazonaws.com for this machine's public address: for its start-up
# banner, and on the event loop, blocking, for every cross-origin WebSocket attempt (two 1 s
# timeouts where a firewall drops packets). A self-hosted engine calls nobody; same-origin
# browsers and the origins in server.corsAllowedOrigins connect as before.
streamlit.net_util.get_external_ip = lambda: None
# a table's "Download as CSV" (and its copy to the clipboard) writes cells as they are, and a
# document's title or file name beginning "=HYPERLINK(" is then a live formula in the
# spreadsheet that opens the file; `rag docs list --json` lists the library instead
st.set_option("client.disableDataExport", True)


_EVERY_INTERFACE = ("", "0.0.0.0", "::")  # server.address values that mean all of them
_THIS_MACHINE = ("127.0.0.1", "::1", "localhost")  # rag ui's default is the first


def _url(host: str) -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://{host}:{st.get_option('server.port')}" + (f"/{base}" if base else "")


def own_url() -> str:
    """Where this server answers, for server.json (a wildcard address means this machine)."""
    host = st.get_option("server.address") or ""
    return _url("127.0.0.1" if host in (*_EVERY_INTERFACE, "localhost") else host)


def addresses() -> str:
    """Where people reach the chat, the API and the metrics: this machine's name, and its
    address on the network when the server listens on every interface."""
    host = st.get_option("server.address") or ""
    everywhere = host in _EVERY_INTERFACE
    local = _url("localhost" if everywhere or host in _THIS_MACHINE else host)
    lines = [f"  The chat:  {local}/",
             f"  The API:   {local}/api/v1 (OpenAPI page: {local}/api/docs)",
             f"  Metrics:   {local}/metrics"]
    network = streamlit.net_util.get_internal_ip() if everywhere else None
    if network:
        lines.append(f"  From other machines: {_url(network)}/")
    return "\n".join(["", *lines, ""])


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[dict[str, Any]]:
    os.umask(0o077)  # as `rag` itself: what the engine writes is its owner's alone
    disable_nagle(st.get_option("server.port"))
    stopping = threading.Event()  # Ctrl-C while the engine opens: the server stops once open
    stop_first_on_signal(stopping.set)
    try:
        engine = await anyio.to_thread.run_sync(Engine.open, load_settings())
    except RagError as exc:
        # said in one line, as `rag ui` says what it checks first (the store held by another
        # process, say): the server would print a traceback and "Application startup failed"
        print(f"error: {exc}", file=sys.stderr, flush=True)
        os._exit(2)
    api.state.engine = engine
    settle_heap()
    stop_first_on_signal(engine.jobs.stop)
    try:
        engine.announce(own_url())
    except RagError as exc:  # a folder where server.json belongs, say
        print(f"error: {exc}", file=sys.stderr, flush=True)
        engine.close()
        os._exit(2)
    if not stopping.is_set():  # no "The chat: ..." for a server already stopping
        print(addresses(), flush=True)
    try:
        yield {"engine": engine}
    finally:
        api.state.engine = None
        await anyio.to_thread.run_sync(engine.close)


def _listed_origins() -> set[str]:
    return {origin.strip() for origin in st.get_option("server.corsAllowedOrigins") or []}


app = st.App("page.py", lifespan=serving, routes=[
    mounted(api),
    Route("/metrics", metrics_endpoint),
], middleware=[Middleware(FramedByOwnPagesOnly),
               Middleware(OwnPagesOnly, allowed_origins=_listed_origins)])
