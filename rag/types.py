"""Plain data passed between the parts: chunks going in, hits and answers coming out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Page:
    """Text of one page (or the whole file for formats without pages)."""

    number: int | None
    text: str


@dataclass(frozen=True)
class Document:
    """A loaded file: its pages, identity (content hash) and display title."""

    source: str
    doc_id: str
    title: str
    pages: list[Page]
    media_type: str


@dataclass(frozen=True)
class Chunk:
    """A token-bounded piece of a document with everything a citation needs."""

    doc_id: str
    source: str
    title: str
    position: int  # 0-based index of the chunk in its document
    page: int | None  # first page the chunk touches
    start: int  # character offsets in the document's joined text
    end: int
    text: str
    token_count: int


@dataclass(frozen=True)
class Hit:
    """One search result."""

    doc_id: str
    source: str
    page: int | None
    chunk_id: str
    score: float
    text: str
    title: str = ""
    position: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GenerationRecord:
    """What a generator reports about its run; filled in while the stream is read."""

    model: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    notice: str | None = None  # e.g. "answer interrupted" shown to the user


@dataclass
class Answer:
    """A streaming answer: iterate once for the text deltas, then read `.text`.

    The deltas are buffered, so `text` works after (or instead of) iterating.
    """

    deltas: Iterator[str]
    citations: list[Hit]
    generator: str
    record: GenerationRecord
    cached: bool = False
    _parts: list[str] = field(default_factory=list)
    _done: bool = False

    def __iter__(self) -> Iterator[str]:
        if self._done:
            yield from self._parts
            return
        for delta in self.deltas:
            self._parts.append(delta)
            yield delta
        self._done = True

    @property
    def text(self) -> str:
        if not self._done:
            for _ in self:
                pass
        return "".join(self._parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": [hit.as_json() for hit in self.citations],
            "generator": self.generator,
            "model": self.record.model,
            "usage": self.record.usage,
            "cached": self.cached,
            "notice": self.record.notice,
            "cited": self.record.usage.get("cited", []),
        }
