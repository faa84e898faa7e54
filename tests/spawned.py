"""A spawn context's processes, remembered: what became of a process pool's workers can then
be seen after the pool has forgotten them. Importable by the spawned child, which unpickles
its own process object."""

from __future__ import annotations

from multiprocessing.context import SpawnProcess

STARTED: list[SpawnProcess] = []


class RememberedProcess(SpawnProcess):
    def start(self) -> None:
        super().start()
        STARTED.append(self)
