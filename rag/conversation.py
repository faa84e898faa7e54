"""A chat's messages: exported as Markdown with their sources, and kept per signed-in user.

A message is a dict: {"role": "user"|"assistant", "content", and for answers "citations"
(Hit.as_json() dicts), "generator", "model", "cached", "latency_ms", "ttft_ms", "notice",
"stopped"}. Anonymous users keep theirs in the browser session only; a signed-in user's
history is stored (`<data dir>/history.sqlite3`) so it follows them to a new tab or a restart.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any


def source_label(citation: dict[str, Any]) -> str:
    """"Title, page 3" (the file name when there is no title; no page for pageless files)."""
    name = citation.get("title") or Path(str(citation.get("source", ""))).name
    page = f", page {citation['page']}" if citation.get("page") else ""
    return f"{name}{page}"


def file_name(source: str) -> str:
    """The file name of a source path or of an `upload:NAME` source."""
    return Path(source.removeprefix("upload:")).name


def answer_meta(message: dict[str, Any]) -> str:
    """One line saying who answered, how, and how fast: generator · model · cache · latency."""
    generator, model = message.get("generator") or "?", message.get("model")
    parts = [generator]
    if model and model.startswith(generator):  # "extractive (local:...)"
        parts = [model]
    elif model:
        parts.append(model)
    parts.append("from cache" if message.get("cached") else "fresh")
    if message.get("latency_ms") is not None:
        parts.append(f"{message['latency_ms'] / 1000:.2f} s")
    if message.get("ttft_ms") is not None:
        parts.append(f"first token {message['ttft_ms'] / 1000:.2f} s")
    if message.get("neurons"):
        parts.append(f"{message['neurons']:.1f} neurons")
    return " · ".join(parts)


def to_markdown(messages: list[dict[str, Any]], title: str = "Conversation") -> str:
    """The conversation as Markdown: each question, each answer, and the answer's sources."""
    lines = [f"# {title}", ""]
    for m in messages:
        if m.get("role") == "user":
            lines += [f"**You:** {m['content']}", ""]
            continue
        lines += [f"**Answer** ({answer_meta(m)}):", "", m.get("content", ""), ""]
        if m.get("notice"):
            lines += [f"> {m['notice']}", ""]
        citations = m.get("citations") or []
        if citations:
            lines.append("Sources:")
            lines.append("")
            for n, c in enumerate(citations, start=1):
                quote = " ".join(str(c.get("text", "")).split())
                lines.append(f"{n}. {source_label(c)} ({file_name(str(c.get('source', '')))})")
                lines.append(f"   > {quote}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


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
