"""Ctrl-C held back while a request that must not be cut is under way.

Files sent to the engine may all have arrived, and their ingest begun, before the engine's
answer naming it does: an interrupt then would leave an ingest the command can no longer
stop. So the first Ctrl-C (or SIGTERM) while they are sent is held and delivered once the
answer is in, when the ingest can be cancelled; a second one stops at once.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_STOPPING = (signal.SIGINT, signal.SIGTERM)


@dataclass
class HeldSignal:
    number: signal.Signals | None = None

    def deliver(self) -> None:
        """Raise the held signal through its own handler now (a KeyboardInterrupt)."""
        if self.number is not None:
            number, self.number = self.number, None
            signal.raise_signal(number)


@contextmanager
def held_interrupts(notice: str) -> Iterator[HeldSignal]:
    """Hold the first stopping signal for the block, saying `notice` on stderr; deliver it
    with `HeldSignal.deliver` after the block. Outside the main thread, where no handler can
    be set, nothing is held."""
    held = HeldSignal()
    if threading.current_thread() is not threading.main_thread():
        yield held
        return
    previous = {number: signal.getsignal(number) for number in _STOPPING}

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    def hold(number: int, frame: object) -> None:
        if held.number is not None:  # pressed again: stop now
            restore()
            signal.raise_signal(number)
            return
        held.number = signal.Signals(number)
        print(notice, file=sys.stderr, flush=True)

    for number in _STOPPING:
        signal.signal(number, hold)
    try:
        yield held
    finally:
        restore()


class StopNotSeenThrough(KeyboardInterrupt):
    """Ctrl-C during an ingest through the engine, which was not seen to end the files it
    was storing (Ctrl-C again, or it took too long): some of them may have been stored."""
