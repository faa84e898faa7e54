"""The JSON bodies the API takes. What it answers is the `rag` command's --json, unchanged."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from rag.settings import COLLECTION_NAME, AnswerStrategy
from rag.types import SearchMode

QUESTION_CHARS = 20_000
TURN_CHARS = 100_000
TopK = Field(None, ge=1, le=100, description="passages to retrieve (default RAG_TOP_K)")
# an empty name is a mistake, never the default: absent or null is the default
CollectionName = Field(None, min_length=1,
                       description="collection (default RAG_COLLECTION)")


# strict: "5" is no top_k and "yes" no stream, as the OpenAPI page says
class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    query: str = Field(min_length=1, max_length=QUESTION_CHARS)
    top_k: int | None = TopK
    mode: SearchMode | None = None
    collection: str | None = CollectionName
    doc_id: str | None = None
    source: str | None = None


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=TURN_CHARS)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    question: str = Field(min_length=1, max_length=QUESTION_CHARS)
    history: list[Turn] = Field(default_factory=list, max_length=100)

    @field_validator("history", mode="before")
    @classmethod
    def _null_is_none(cls, history: object) -> object:
        return [] if history is None else history  # null, as `collection` takes it
    top_k: int | None = TopK
    collection: str | None = CollectionName
    stream: bool = False
    strategy: AnswerStrategy | None = Field(
        None, description="single, progressive or consensus (default RAG_ANSWER_STRATEGY)")


class CollectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    # the rule is checked by the workspace, whose message says it in words; the schema shows it
    name: str = Field(min_length=1, max_length=63,
                      json_schema_extra={"pattern": f"^{COLLECTION_NAME.pattern}$"})


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict] | None = None

    @field_validator("content")
    @classmethod
    def _bounded(cls, content: str | list[dict] | None) -> str | list[dict] | None:
        if content is not None and len(_text_of(content)) > TURN_CHARS:
            raise ValueError(f"a message holds at most {TURN_CHARS:,} characters")
        return content

    def text(self) -> str:
        """The message's text (OpenAI clients may send a list of content parts)."""
        return _text_of(self.content) if self.content is not None else ""


def _text_of(content: str | list[dict]) -> str:
    if isinstance(content, str):
        return content
    return "".join(part["text"] for part in content
                   if part.get("type") == "text" and isinstance(part.get("text"), str))


class ChatCompletionRequest(BaseModel):
    """OpenAI's request; fields we do not use (temperature, ...) are accepted and ignored.
    The messages are bounded as /ask bounds its question and history."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1, max_length=101)
    stream: StrictBool | None = False  # OpenAI's API takes null for false
    strategy: AnswerStrategy | None = None  # ours: single, progressive or consensus
