"""Per-user request limits: at most N questions in any 60 seconds (a sliding window).

Kept in memory by the process that serves the app, which is where the users are; the identity
is the signed-in user when the app has a login, else the browser session.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def acquire(self, identity: str) -> float:
        """Count a request and return 0, or return the seconds to wait (nothing counted).

        A limit of 0 means no limit.
        """
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            seen = self._seen[identity]
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.per_minute:
                return max(seen[0] + self.window - now, 0.001)
            seen.append(now)
            return 0.0
