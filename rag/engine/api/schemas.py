"""The JSON bodies the API takes. What it answers is the `rag` command's --json, unchanged."""

from __future__ import annotations

import re
from collections import deque
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from rag.errors import QUESTION_CHARS
from rag.settings import COLLECTION_NAME, AnswerStrategy
from rag.types import SearchMode

TURN_CHARS = 100_000
HISTORY_TURNS = 100
TopK = Field(None, ge=1, le=100, description="passages to retrieve (default RAG_TOP_K)")
# an empty name is a mistake, never the default: absent or null is the default
CollectionName = Field(None, min_length=1,
                       description="collection (default RAG_COLLECTION)")
Mode = Field(None, description="hybrid, dense or sparse (default RAG_SEARCH_MODE)")
# JSON may escape half of a UTF-16 pair alone ("\ud800"): Python keeps it in the string,
# which then fails wherever it is encoded (a cache key, the store, an error's own answer)
LONE_SURROGATE = re.compile("[\ud800-\udfff]")

Location = tuple[str | int, ...]


def lone_surrogate_at(data: object) -> Location | None:
    """Where parsed JSON holds a string (or a key) with a lone surrogate, or None. Read
    without recursion: the body's nesting is the client's to choose."""
    pending: deque[tuple[Location, object]] = deque([((), data)])
    while pending:
        where, value = pending.popleft()
        if isinstance(value, str):
            if LONE_SURROGATE.search(value):
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and LONE_SURROGATE.search(key):
                    return (*where, key)
                pending.append(((*where, key), item))
        elif isinstance(value, list):
            pending.extend(((*where, index), item) for index, item in enumerate(value))
    return None


class RequestBody(BaseModel):
    """A request's JSON body: text that is not Unicode is refused in every field, also in
    those given as free-form JSON (a chat's content parts, options we ignore), as pydantic
    refuses it in a field it measures."""

    @model_validator(mode="before")
    @classmethod
    def _unicode_only(cls, data: Any) -> Any:
        where = lone_surrogate_at(data)
        if where is not None:
            raise ValidationError.from_exception_data(cls.__name__, [InitErrorDetails(
                type="string_unicode", loc=where, input=data)])
        return data


# strict: "5" is no top_k and "yes" no stream, as the OpenAPI page says
class SearchRequest(RequestBody):
    model_config = ConfigDict(extra="forbid", strict=True)

    query: str = Field(min_length=1, max_length=QUESTION_CHARS)
    top_k: int | None = TopK
    mode: SearchMode | None = Mode
    collection: str | None = CollectionName
    # empty is a mistake, never every document: absent or null is every document
    doc_id: str | None = Field(None, min_length=1, description="only this document id")
    source: str | None = Field(None, min_length=1, description="only this source path")


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=TURN_CHARS)


class AskRequest(RequestBody):
    model_config = ConfigDict(extra="forbid", strict=True)

    question: str = Field(min_length=1, max_length=QUESTION_CHARS)
    history: list[Turn] = Field(default_factory=list, max_length=HISTORY_TURNS)

    @field_validator("history", mode="before")
    @classmethod
    def _null_is_none(cls, history: object) -> object:
        return [] if history is None else history  # null, as `collection` takes it
    top_k: int | None = TopK
    mode: SearchMode | None = Mode
    collection: str | None = CollectionName
    stream: bool = False
    strategy: AnswerStrategy | None = Field(
        None, description="single, progressive or consensus (default RAG_ANSWER_STRATEGY)")


class CollectionRequest(RequestBody):
    model_config = ConfigDict(extra="forbid", strict=True)

    # the rule is checked by the workspace, whose message says it in words; the schema shows it
    name: str = Field(min_length=1, max_length=63,
                      json_schema_extra={"pattern": f"^{COLLECTION_NAME.pattern}$"})


class ChatMessage(BaseModel):
    # function: OpenAI's older name for tool; both are answers of tools we never call
    role: Literal["system", "user", "assistant", "developer", "tool", "function"]
    content: str | list[dict] | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _shaped(cls, content: object) -> object:
        # said here: the union's own errors name its branches (`content.str: ...`)
        if content is None or isinstance(content, str) or (
                isinstance(content, list) and all(isinstance(p, dict) for p in content)):
            return content
        raise ValueError('content is a string, or a list of parts such as {"type": "text", '
                         '"text": "..."}')

    @property
    def is_turn(self) -> bool:
        """Whether the message is the conversation's (the others are not passed on)."""
        return self.role in ("user", "assistant")

    def text(self) -> str:
        """The message's text (OpenAI clients may send a list of content parts): what the
        limits count."""
        return _text_of(self.content) if self.content is not None else ""


def _text_parts(content: list[dict]) -> list[str]:
    return [part["text"] for part in content
            if part.get("type") == "text" and isinstance(part.get("text"), str)]


def _text_of(content: str | list[dict]) -> str:
    if isinstance(content, str):
        return content
    # a line each: parts are written apart, and glued they would make words of two
    return "\n".join(_text_parts(content))


class ChatCompletionRequest(RequestBody):
    """OpenAI's request; fields we do not use (temperature, ...) are accepted and ignored.
    The messages are bounded as /ask bounds its question and history: the turns (user and
    assistant messages) are the history and the question."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: StrictBool | None = False  # OpenAI's API takes null for false
    strategy: AnswerStrategy | None = None  # ours: single, progressive or consensus
    mode: SearchMode | None = Mode  # ours, as /ask's
    # ours, as /ask's: the `model` names the collection, and this may only name it again
    collection: str | None = CollectionName

    @property
    def include_usage(self) -> bool:
        """OpenAI's `stream_options: {"include_usage": true}`: the stream ends with a chunk of
        the usage alone (other shapes of the option are ignored, as other options are)."""
        options = (self.model_extra or {}).get("stream_options")
        return isinstance(options, dict) and options.get("include_usage") is True

    @field_validator("messages")
    @classmethod
    def _turns_bounded(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if sum(message.is_turn for message in messages) > HISTORY_TURNS + 1:
            raise ValueError(f"at most {HISTORY_TURNS} turns of history and the question "
                             "(user and assistant messages; the others are not counted)")
        return messages
