"""A lock that searches share and a document's version switch takes alone.

Making a changed file's new version live is two writes: the old version's points retired,
then the new one's made live. A search between them would find neither (a question about the
file answered "not mentioned"); one that shares this lock runs before the switch or after it.
The switch is waited for only while it runs (two payload writes), and a waiting switch goes
before searches that come after it, so a steady stream of questions cannot hold it off.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class SwitchLock:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._searching = 0
        self._switches_waiting = 0
        self._switching = False

    @contextmanager
    def searching(self) -> Iterator[None]:
        with self._changed:
            while self._switching or self._switches_waiting:
                self._changed.wait()
            self._searching += 1
        try:
            yield
        finally:
            with self._changed:
                self._searching -= 1
                if not self._searching:
                    self._changed.notify_all()

    @contextmanager
    def switching(self) -> Iterator[None]:
        with self._changed:
            self._switches_waiting += 1
            while self._switching or self._searching:
                self._changed.wait()
            self._switches_waiting -= 1
            self._switching = True
        try:
            yield
        finally:
            with self._changed:
                self._switching = False
                self._changed.notify_all()
