"""How the `rag` command prints citations; nothing heavy imported (see `quick`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rag.types import cited_place


def cite(n: int, hit: dict[str, Any]) -> str:
    """`[1] Title (source, page 3)` or `(source, slide 3: Budget)`: a citation as the `rag`
    command prints it."""
    place = cited_place(hit.get("page"), hit.get("locator"))
    where = f", {place}" if place else ""
    return f"[{n}] {hit.get('title') or Path(hit['source']).name} ({hit['source']}{where})"


def sources_block(citations: list[dict[str, Any]]) -> str:
    return "\nSources:\n" + "".join(f"  {cite(n, hit)}\n" for n, hit in enumerate(citations, 1))
