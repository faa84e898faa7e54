"""Conversations of signed-in users, kept so that they follow the user to a new tab.

A message is a dict: {"role": "user"|"assistant", "content", and for answers "citations"
(Hit.as_json() dicts), "cited" (the numbers of the markers kept in the text; None when the
answer did not end), "generator", "model", "cached", "latency_ms", "ttft_ms", "notice",
"stopped"}. Anonymous users keep theirs in the browser session only.

A user may have several tabs open, each holding its own copy of the conversation: a tab
appends its new turns, never writes the list back, so that no tab overwrites another's turns.
A clear deletes the stored turns and counts one more clear for the user; a tab that read the
conversation before that clear learns of it from the count, and drops what it holds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any


class HistoryStore:
    """Conversations of signed-in users, one row per message, in SQLite."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
        with self._lock, self._db:
            # one opener at a time: two processes moving an older store would both find it
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("CREATE TABLE IF NOT EXISTS turns (seq INTEGER PRIMARY KEY "
                             "AUTOINCREMENT, user TEXT NOT NULL, message TEXT NOT NULL, "
                             "added REAL NOT NULL)")
            self._db.execute("CREATE INDEX IF NOT EXISTS turns_user ON turns (user, seq)")
            self._db.execute("CREATE TABLE IF NOT EXISTS clears (user TEXT PRIMARY KEY, "
                             "clears INTEGER NOT NULL, at REAL NOT NULL)")
            self._take_lists()

    def _take_lists(self) -> None:
        """Move conversations kept as one list per user (an older store's) into turns."""
        if self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                            "AND name = 'history'").fetchone() is None:
            return
        for user, messages, updated in self._db.execute(
                "SELECT user, messages, updated FROM history ORDER BY updated").fetchall():
            self._db.executemany("INSERT INTO turns (user, message, added) VALUES (?, ?, ?)",
                                 [(user, json.dumps(m), updated) for m in json.loads(messages)])
        self._db.execute("DROP TABLE history")

    def load(self, user: str) -> list[dict[str, Any]]:
        """The user's messages, in the order they were added, from every tab."""
        return self.read(user)[0]

    def read(self, user: str) -> tuple[list[dict[str, Any]], int]:
        """The user's messages and how many clears they follow, read together (a clear
        between two reads would pair the new count with the cleared turns)."""
        with self._lock, self._db:
            self._db.execute("BEGIN")  # one snapshot, though other processes write
            rows = self._db.execute("SELECT message FROM turns WHERE user = ? ORDER BY seq",
                                    (user,)).fetchall()
            clears = self._clears(user)
        return [json.loads(row[0]) for row in rows], clears

    def clears(self, user: str) -> int:
        """How many times the user's conversation has been cleared."""
        with self._lock:
            return self._clears(user)

    def _clears(self, user: str) -> int:
        row = self._db.execute("SELECT clears FROM clears WHERE user = ?", (user,)).fetchone()
        return row[0] if row else 0

    def append(self, user: str, messages: list[dict[str, Any]]) -> None:
        """Add messages after the user's others, together: a question and its answer are not
        split by another tab's turn."""
        if not messages:
            return
        now = time.time()
        with self._lock, self._db:
            self._db.executemany("INSERT INTO turns (user, message, added) VALUES (?, ?, ?)",
                                 [(user, json.dumps(m), now) for m in messages])

    def clear(self, user: str) -> int:
        """Delete the user's conversation; the number of clears so far, this one included."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM turns WHERE user = ?", (user,))
            self._db.execute("INSERT INTO clears VALUES (?, 1, ?) ON CONFLICT (user) DO UPDATE "
                             "SET clears = clears + 1, at = excluded.at", (user, time.time()))
            return self._clears(user)

    def close(self) -> None:
        self._db.close()
