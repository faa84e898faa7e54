"""`python -m rag.engine.serve SCRIPT [OPTIONS]`: `streamlit run SCRIPT [OPTIONS]`, with the
server settings Streamlit does not expose set first (`rag.engine.keepalive`). `rag ui` runs
the engine this way; Streamlit makes the server's configuration before it imports the app,
so the app itself is too late to set them."""

from __future__ import annotations

import signal
import sys
from types import FrameType

from rag.engine.keepalive import keep_idle_connections


def _stopped(received: int, frame: FrameType | None) -> None:
    """Ctrl-C is how a server is stopped: exit as the shell reports it (130), quietly.
    uvicorn stops cleanly, then raises the signal again for the handler it found, which
    would be Python's KeyboardInterrupt, and Streamlit's command would print "Aborted!" and
    exit 1, as if the stop had failed."""
    raise SystemExit(128 + received)


def main() -> None:
    keep_idle_connections()
    signal.signal(signal.SIGINT, _stopped)
    from streamlit.web.cli import main as streamlit

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    streamlit(prog_name="streamlit")


if __name__ == "__main__":
    main()
