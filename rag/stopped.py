"""A command or engine stopped by Ctrl-C or SIGTERM ends by that signal, not by an exit.

The status a shell reports is the same (130, 143), but a shell stops the script or loop that
ran the command only when the command was ended by the signal: after `exit(130)` it goes on to
its next line, as if the user had not asked to stop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

# the statuses of a stop, 128 + the signal's number, and the signal
_STOPPED_BY = {128 + number: number for number in (signal.SIGINT, signal.SIGTERM)}


def end_by_signal(status: int) -> None:
    """When `status` is a stop's, end this process by its signal (what is written is flushed
    first); otherwise return. Call it last: nothing runs after it."""
    number = _STOPPED_BY.get(status)
    if number is None:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
            stream.flush()
    signal.signal(number, signal.SIG_DFL)
    os.kill(os.getpid(), number)


def end_at_once_when_stopped() -> None:
    """From now on Ctrl-C or SIGTERM ends this process at once, by that signal: once a
    command has ended, the interpreter still waits for its threads to finish the calls they
    are in, and a stop then must not print a traceback from that wait."""
    for number in _STOPPED_BY.values():
        signal.signal(number, lambda received, frame: end_by_signal(128 + received))
