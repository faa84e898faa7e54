"""Plain text and Markdown: the whole file is one page."""

from __future__ import annotations

from pathlib import Path

from ingest.formats.base import LoadOptions, Pages, Parsed
from rag.errors import DocumentError


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252, which decodes any byte."""
    if b"\x00" in data[:8192]:
        raise DocumentError("binary", f"{path}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def load_text(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    pages = Pages(path)
    pages.add(None, decode_text(path, data))
    return Parsed(path.stem, pages.pages)


def load_markdown(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    text = decode_text(path, data)
    title = next(
        (line.lstrip("#").strip() for line in text.splitlines() if line.startswith("# ")),
        path.stem,
    )
    pages = Pages(path)
    pages.add(None, text)
    return Parsed(title, pages.pages)
