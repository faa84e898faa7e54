"""Ctrl-C held back while work that must not be cut is under way.

Files sent to the engine may all have arrived, and their ingest begun, before the engine's
answer naming it does: an interrupt then would leave an ingest the command can no longer
stop. So the first Ctrl-C (or SIGTERM) while they are sent is held and delivered once the
answer is in, when the ingest can be cancelled; a second one stops at once.

An ingest in this process is stopped the same way: the first Ctrl-C sets its cancel event,
and the ingest ends at its next page or batch, with every file it made live reported and its
embedding threads told to stop; the signal is delivered once it has ended.
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
def held_interrupts(notice: str | None,
                    cancel: threading.Event | None = None) -> Iterator[HeldSignal]:
    """Hold the first stopping signal for the block, saying `notice` on stderr (if any) and
    setting `cancel`; deliver it with `HeldSignal.deliver` after the block. Outside the main
    thread, where no handler can be set, nothing is held."""
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
        if cancel is not None:
            cancel.set()
        if notice is not None:
            print(notice, file=sys.stderr, flush=True)

    for number in _STOPPING:
        signal.signal(number, hold)
    try:
        yield held
    finally:
        restore()


class StopNotSeenThrough(KeyboardInterrupt):
    """Ctrl-C during an ingest that was not seen to end the files it was storing (through
    the engine: Ctrl-C again, or it took too long; here: Ctrl-C again): some of them may have
    been stored. `unseen` says so in the command's last line."""

    def __init__(self, unseen: str = "the engine had not yet ended the files it was storing: "
                                      "`rag docs list` shows which of them it stored") -> None:
        super().__init__(unseen)
        self.unseen = unseen
