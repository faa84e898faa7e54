"""Bulk work (an ingest's parsing and embedding) runs below questions for the CPU.

On a machine with few cores a question asked during a large ingest would otherwise share a
core with it, and wait. Lowering the priority costs the ingest nothing while nobody asks.
The mark travels with the context, so that the ingest's helpers (the local model's sessions)
know which calls are bulk and which are a question's.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from contextvars import ContextVar

BULK_NICENESS = 10  # as OCR's Tesseract processes run

_bulk: ContextVar[bool] = ContextVar("bulk_work", default=False)


def run_below_questions() -> None:
    """Mark the calling thread's work, and what it hands on in its context, as bulk, and
    lower the thread's CPU priority."""
    _bulk.set(True)
    lower_thread_priority()


def is_bulk() -> bool:
    """Whether the current work was marked by `run_below_questions`."""
    return _bulk.get()


def lower_thread_priority() -> None:
    """Run the calling thread BULK_NICENESS below the process's main thread (Linux, where a
    thread's id is taken where a process id is asked; elsewhere nothing changes). Counted
    from the main thread, not this one: a thread started by bulk work inherits its
    priority already, and is not lowered twice."""
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):
        niceness = min(os.getpriority(os.PRIO_PROCESS, os.getpid()) + BULK_NICENESS, 19)
        if niceness > os.getpriority(os.PRIO_PROCESS, thread):
            os.setpriority(os.PRIO_PROCESS, thread, niceness)
