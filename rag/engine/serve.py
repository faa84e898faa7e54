"""`python -m rag.engine.serve SCRIPT [OPTIONS]`: `streamlit run SCRIPT [OPTIONS]`, with the
server settings Streamlit does not expose set first (`rag.engine.keepalive`). `rag ui` runs
the engine this way (`command`); Streamlit makes the server's configuration before it imports
the app, so the app itself is too late to set them."""

from __future__ import annotations

import atexit
import signal
import sys
from types import FrameType

from rag.engine.keepalive import keep_idle_connections
from rag.stopped import end_by_signal

MODULE = "rag.engine.serve"  # this module's name, also when it runs as `__main__`


def command() -> list[str]:
    """The interpreter's command line that runs `main` with the working folder off the import
    path. `python -m` alone puts it first, and a user's `ingest.py`, `ui.py` or `rag.py` there
    would be imported in place of the app's own packages (or a `threading.py` in place of the
    standard library's). `-P` is also passed on to the processes the engine spawns (the
    ingest's parse worker)."""
    return [sys.executable, "-P", "-m", MODULE]


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

    status: list[int] = []
    # registered first, so run last: after the engine has withdrawn its announcement
    atexit.register(lambda: status and end_by_signal(status[0]))
    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    try:
        streamlit(prog_name="streamlit")
    except SystemExit as exc:
        status.append(exc.code if isinstance(exc.code, int) else 1)
        raise


if __name__ == "__main__":
    main()
