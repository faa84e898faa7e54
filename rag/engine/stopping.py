"""Ctrl-C and SIGTERM stop the engine's ingests before the server waits for its requests.

uvicorn, on a signal, stops taking connections and waits for the requests in flight to end
before it runs the lifespan's shutdown, which is where the engine would stop its ingests. An
upload sent without `wait=false` is a request in flight for as long as its ingest runs (a
minute for a thousand-page manual), so the server would wait it out, and `docker stop` or
systemd would kill the process instead. The ingests are stopped first: the upload's request
then ends with its report ("The ingest was stopped ...") and the server stops.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def stop_first_on_signal(stop: Callable[[], None]) -> None:
    """Run `stop` (in a thread of its own: it takes locks the interrupted code may hold), then
    the handler the server installed, on Ctrl-C and SIGTERM. Call it from the main thread
    while the server runs (its lifespan start-up); elsewhere it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return
    for number in SIGNALS:
        server_handler = signal.getsignal(number)
        if not callable(server_handler):  # no server listening for it: nothing to run first
            continue

        def handler(received: int, frame: FrameType | None,
                    server_handler: Callable[[int, FrameType | None], object] = server_handler
                    ) -> None:
            threading.Thread(target=stop, name="engine-stop", daemon=True).start()
            server_handler(received, frame)

        signal.signal(number, handler)
