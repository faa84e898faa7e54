"""The engine's heap, settled once it has started.

Everything the engine makes before it serves (Streamlit, the web stack, the libraries, the
models, the store) lives as long as the process, yet Python's cyclic garbage collector walks
all of it at every full collection, holding the interpreter lock throughout: under load every
thread stops for that walk, and the slowest first tokens are the questions it caught. Frozen,
those objects are left out of every collection; young objects are then collected less often,
so that the answers' short-lived objects, freed by their reference counts anyway, seldom start
a collection at all.
"""

from __future__ import annotations

import gc

# Container allocations (less deallocations) between collections of the youngest generation,
# and the young and middle collections between two of the next; CPython's are 700, 10, 10.
THRESHOLDS = (5_000, 20, 100)


def settle_heap() -> int:
    """Collect once, freeze what is left and raise the thresholds; how many objects were
    frozen. Call it once the engine is open, before the first request."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    return gc.get_freeze_count()
