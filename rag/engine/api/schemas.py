"""The JSON bodies the API takes. What it answers is the `rag` command's --json, unchanged."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.settings import AnswerStrategy
from rag.types import SearchMode

TopK = Field(None, ge=1, le=100, description="passages to retrieve (default RAG_TOP_K)")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=20_000)
    top_k: int | None = TopK
    mode: SearchMode | None = None
    collection: str | None = None
    doc_id: str | None = None
    source: str | None = None


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=100_000)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=20_000)
    history: list[Turn] = Field(default_factory=list, max_length=100)
    top_k: int | None = TopK
    collection: str | None = None
    stream: bool = False
    strategy: AnswerStrategy | None = Field(
        None, description="single, progressive or consensus (default RAG_ANSWER_STRATEGY)")


class CollectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=63)


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict] | None = None

    def text(self) -> str:
        """The message's text (OpenAI clients may send a list of content parts)."""
        if isinstance(self.content, str):
            return self.content
        if isinstance(self.content, list):
            return "".join(str(part.get("text", "")) for part in self.content
                           if part.get("type") == "text")
        return ""


class ChatCompletionRequest(BaseModel):
    """OpenAI's request; fields we do not use (temperature, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    strategy: AnswerStrategy | None = None  # ours: single, progressive or consensus
