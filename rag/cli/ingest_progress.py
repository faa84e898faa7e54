"""How far `rag ingest` has got inside its files, not only across them.

On a terminal the bar's line names the file being stored and its chunks. Elsewhere (a log, a
CI job, a service's journal) a line is written every HEARTBEAT_SECONDS while the ingest runs:
one large file can take minutes, and a command silent that long looks hung.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HEARTBEAT_SECONDS = 30.0
# files a heartbeat line names: an upload has dozens in hand at once, and a line naming each
# is too long to read
NAMED_IN_A_LINE = 3


class IngestProgress:
    """The files ended, and the progress of those still being stored (`on_progress` of
    `Library.ingest`), told to a bar's description or as heartbeat lines."""

    def __init__(self, files: int, describe: Callable[[str], None] | None = None) -> None:
        self.files = files
        self.ended = 0
        self.started = time.monotonic()
        self._describe = describe
        self._storing: dict[str, dict[str, Any]] = {}  # by source
        self._lock = threading.Lock()

    def file_progress(self, progress: dict[str, Any]) -> None:
        with self._lock:
            self._storing[progress["source"]] = progress
        if self._describe:
            self._describe(_storing(progress))

    def file_ended(self, source: str) -> None:
        with self._lock:
            self.ended += 1
            self._storing.pop(source, None)
        if self._describe:
            self._describe("ingesting")

    def line(self) -> str:
        """"still ingesting (2m30s): 3 of 10 files ended; manual.pdf: 1,158 pages read, 1,920
        of 5,012 chunks stored", naming the NAMED_IN_A_LINE files furthest on ("...; and 57
        more being stored")."""
        with self._lock:
            storing = sorted(self._storing.values(), key=lambda p: p["chunks_written"],
                             reverse=True)
            ended = self.ended
        named = [_storing(progress) for progress in storing[:NAMED_IN_A_LINE]]
        if len(storing) > NAMED_IN_A_LINE:
            named.append(f"and {len(storing) - NAMED_IN_A_LINE:,} more being stored")
        return "; ".join([f"still ingesting ({_elapsed(time.monotonic() - self.started)}): "
                          f"{ended:,} of {self.files:,} files ended", *named])

    @contextmanager
    def heartbeat(self, say: Callable[[str], None]) -> Iterator[None]:
        """Say `line()` every HEARTBEAT_SECONDS until the block ends."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(HEARTBEAT_SECONDS):
                say(self.line())

        beater = threading.Thread(target=beat, name="ingest-heartbeat", daemon=True)
        beater.start()
        try:
            yield
        finally:
            done.set()
            beater.join()


def _storing(progress: dict[str, Any]) -> str:
    name, pages = Path(progress["source"].removeprefix("upload:")).name, progress["pages"]
    read = f"{pages:,} {'page' if pages == 1 else 'pages'} read, " if pages else ""
    return f"{name}: {read}{progress['chunks_written']:,} of {progress['chunks']:,} chunks stored"


def _elapsed(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
