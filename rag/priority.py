"""Bulk work (an ingest's parsing and embedding) runs below questions for the CPU.

On a machine with few cores a question asked during a large ingest would otherwise share a
core with it, and wait. Lowering the priority costs the ingest nothing while nobody asks.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

BULK_NICENESS = 10  # as OCR's Tesseract processes run


def run_below_questions() -> None:
    """Lower the calling thread's CPU priority by BULK_NICENESS (Linux, where a thread's id
    is taken where a process id is asked; elsewhere nothing changes)."""
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):
        niceness = os.getpriority(os.PRIO_PROCESS, thread) + BULK_NICENESS
        os.setpriority(os.PRIO_PROCESS, thread, min(niceness, 19))
