"""Conversations of signed-in users, kept so that they follow the user to a new tab.

A message is a dict: {"role": "user"|"assistant", "content", and for answers "citations"
(Hit.as_json() dicts), "generator", "model", "cached", "latency_ms", "ttft_ms", "notice",
"stopped"}. Anonymous users keep theirs in the browser session only.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any


class HistoryStore:
    """Conversations of signed-in users, one JSON list per user, in SQLite."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS history (user TEXT PRIMARY KEY, "
                         "messages TEXT NOT NULL, updated REAL NOT NULL)")

    def load(self, user: str) -> list[dict[str, Any]]:
        with self._lock:
            row = self._db.execute("SELECT messages FROM history WHERE user = ?",
                                   (user,)).fetchone()
        return json.loads(row[0]) if row else []

    def save(self, user: str, messages: list[dict[str, Any]]) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO history VALUES (?, ?, ?)",
                             (user, json.dumps(messages), time.time()))

    def clear(self, user: str) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM history WHERE user = ?", (user,))

    def close(self) -> None:
        self._db.close()
