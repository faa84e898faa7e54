"""How the `rag` command prints citations; standard library only (see `quick`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def cite(n: int, hit: dict[str, Any]) -> str:
    """`[1] Title (source, page 3)`: a citation as the `rag` command prints it."""
    page = f", page {hit['page']}" if hit.get("page") else ""
    return f"[{n}] {hit.get('title') or Path(hit['source']).name} ({hit['source']}{page})"


def sources_block(citations: list[dict[str, Any]]) -> str:
    return "\nSources:\n" + "".join(f"  {cite(n, hit)}\n" for n, hit in enumerate(citations, 1))
