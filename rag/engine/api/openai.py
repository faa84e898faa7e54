"""OpenAI-compatible chat: the official `openai` SDK works with base_url=.../api/v1.

Each collection is a model; an unknown one is 404 `model_not_found`, OpenAI's code. The last
user message is the question and the turns before it its history; system, developer, tool
and function messages are not passed on (the answer is grounded in the documents by our own
instructions). The answer keeps its [n] markers. Extra top-level fields, as /ask's, carry
what OpenAI's shape has no place for: `citations`, every passage retrieved (the one [n]
refers to is citations[n-1], cited or not), and `cited`, the numbers the answer cites; on
the response, or on the last chunk of a stream, beside `notice`, `degraded` and `strategy`
(a progressive or consensus answer's report, "Models disagree" included) when the answer
has them (an interrupted or quoted-passages answer still ends with finish_reason "stop",
which is all the SDK knows).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from rag.engine.api.deps import CallerDep, Collection, EngineDep, either, question_view
from rag.engine.api.errors import ApiError, responses
from rag.engine.api.questions import (
    KEEPALIVE,
    QUESTION_ERRORS,
    error_event,
    refuse_unaskable,
    start_answer,
    whole_answer,
)
from rag.engine.api.schemas import TURN_CHARS, ChatCompletionRequest, ChatMessage
from rag.engine.engine import Engine
from rag.engine.workspace import is_collection_name
from rag.errors import QUESTION_CHARS, RagError, same_in_any_case, too_long_to_ask, use_instead
from rag.types import Answer

router = APIRouter()


def model_card(engine: Engine, name: str) -> dict:
    """A collection as OpenAI describes a model; `created`, in Unix seconds, when the
    collection was made (0 for one made before that was kept)."""
    try:
        made = engine.workspace.service.store.with_collection(name).made()
    except RagError:  # deleted meanwhile
        made = 0
    return {"id": name, "object": "model", "created": made // 1_000_000, "owned_by": "docqa"}


@router.get("/v1/models", responses=responses("unauthorized", "forbidden"))
# with a trailing slash too: the route of one model would otherwise take it, as no model ''
@router.get("/v1/models/", include_in_schema=False)
def models(engine: EngineDep, caller: CallerDep) -> dict:
    """Every collection, as a model to chat with."""
    return {"object": "list",
            "data": [model_card(engine, n) for n in engine.workspace.collections()]}


# `rest`: an id with a slash (`openai/gpt-4o`) or a line break is no model, said as such
# rather than "no route" (or, for a line break at the end, taken for the model without it)
@router.get("/v1/models/{model_id:rest}", responses=responses("model_not_found",
                                                              "unauthorized", "forbidden"))
def model(model_id: str, engine: EngineDep, caller: CallerDep) -> dict:
    """One collection, as a model."""
    names = engine.workspace.collections()
    if model_id not in names:
        raise no_such_model(model_id, names)
    return model_card(engine, model_id)


def no_such_model(name: str, names: list[str]) -> ApiError:
    """OpenAI's error for an unknown model, which SDK code checks for by its code; a name
    that differs only in case from one of `names` (the collections) is told which to use, as
    other routes tell a collection's."""
    twin = same_in_any_case(name, names)
    message = (f"There is no model '{name}'; {use_instead(twin)}" if twin is not None else
               f"There is no model '{name}': each collection is a model (GET /api/v1/models).")
    return ApiError("model_not_found", message, param="model")


@router.post("/v1/chat/completions", responses={**responses(*QUESTION_ERRORS,
                                                            "model_not_found"), 200: {
    "description": "A chat.completion, or with `stream: true` a text/event-stream of "
                   "chat.completion.chunk objects ending with `data: [DONE]`.",
    "content": {"application/json": {}, "text/event-stream": {}}}})
async def chat_completions(body: ChatCompletionRequest, request: Request, engine: EngineDep,
                           caller: CallerDep, collection: Collection = None) -> Any:
    # the model is the collection: another named beside it, in the body or the address, is
    # a mistake
    either(body.model, body.collection, places=("as the model", "as the `collection`"))
    either(body.model, collection, places=("as the model", "in the address"))
    question, history, asked_in = conversation(body.messages)
    # an empty name is no model, not the configured collection; nor is another provider's
    # (`gpt-4.1`), which no collection can be named, nor one of its names in another case:
    # 404, as for GET /models/{id}
    if not is_collection_name(body.model):
        raise no_such_model(body.model, [])

    def work(client_gone: threading.Event) -> Answer:
        view = question_view(engine, body.model, caller, question, asked_in=asked_in,
                             missing=lambda names: no_such_model(body.model, names),
                             mode=body.mode, refusals=lambda view: (
                                 refuse_unaskable(view, question, body.strategy, asked_in)))
        return view.ask(question, None, history, user=caller.user, strategy=body.strategy,
                        reader_gone=client_gone)

    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        summary = await whole_answer(engine, work, request)
        return {"id": completion_id, "object": "chat.completion", "created": created,
                "model": body.model, "system_fingerprint": summary["generator"],
                "choices": [{"index": 0, "finish_reason": "stop", "message": {
                    "role": "assistant", "content": summary["answer"]}}],
                **usage_of(summary), **extras_of(summary)}
    answer, deltas = await start_answer(engine, work, request)
    return StreamingResponse(chunks(answer, deltas, completion_id, created, body.model,
                                    body.include_usage),
                             media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def conversation(messages: list[ChatMessage]) -> tuple[str, list[dict[str, str]], str]:
    """The question (the last user message), the turns before it that hold text, and the
    field the question was read from (`messages.2.content`); 400 when the conversation does
    not end with a user message that has some."""
    turns = [message for message in messages if message.is_turn]
    if not turns or turns[-1].role != "user":
        raise ApiError("bad_request", "messages: the last message must be the user's question.",
                       param="messages")
    place = max(place for place, message in enumerate(messages) if message.is_turn)
    asked_in = f"messages.{place}.content"  # the question's text, at fault when it is
    question = turns[-1].text()
    if not question:  # never another message answered in its place
        raise ApiError("bad_request", "messages: the last user message holds no text (only "
                                      "its text parts are read): ask the question in words.",
                       param=asked_in)
    if len(question) > QUESTION_CHARS:  # as every door says it, before the rate limit counts it
        raise ApiError("input_too_long", str(too_long_to_ask("question", len(question))),
                       param=asked_in)
    # system, developer and tool messages are not passed on: the body's size bounds them
    for place, message in enumerate(messages):
        if message.is_turn and len(message.text()) > TURN_CHARS:
            raise ApiError("bad_request", f"messages.{place}: a user or assistant message "
                                          f"holds at most {TURN_CHARS:,} characters.",
                           param=f"messages.{place}.content")
    history = [{"role": turn.role, "content": turn.text()} for turn in turns[:-1]
               if turn.text()]
    return question, history, asked_in


def extras_of(summary: dict) -> dict:
    """The fields OpenAI's shape has no place for, as /ask names them: the passages
    retrieved and the numbers of those the answer cites, whether the answer was replayed
    from the answer cache, what went wrong, and what a strategy did."""
    extras: dict[str, Any] = {"citations": summary["citations"], "cited": summary["cited"],
                              "cached": summary["cached"]}
    for name in ("notice", "degraded", "strategy"):
        if summary.get(name):
            extras[name] = summary[name]
    return extras


def usage_of(summary: dict) -> dict:
    """The tokens this request spent, when the generator counts them: none for an answer
    replayed from the cache (its first run's counts are /ask's `usage`), nor for one quoted
    from the passages, which no model wrote."""
    usage = summary["usage"]
    if summary["generator"] == "extractive":
        return {"usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}
    if usage.get("prompt_tokens") is None or usage.get("completion_tokens") is None:
        return {}
    prompt, completion = ((0, 0) if summary["cached"] else
                          (usage["prompt_tokens"], usage["completion_tokens"]))
    return {"usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion}}


async def chunks(answer: Answer, deltas: AsyncIterator[str], completion_id: str, created: int,
                 model: str, include_usage: bool = False) -> AsyncIterator[bytes]:
    """The answer as chat.completion.chunk events. The usage goes on the last chunk, or,
    asked for with `include_usage`, in a chunk of its own with no choices, as OpenAI sends
    it (null when the generator counts no tokens). The extras (`citations`, `cited`...) are
    on the chunk that finishes the answer and on the last, for a client that reads either."""
    base = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
            "model": model}

    def data(payload: dict) -> bytes:
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()

    first = True
    try:
        async for delta in deltas:
            if not delta:
                yield KEEPALIVE
                continue
            content: dict[str, str] = {"content": delta}
            if first:
                content["role"], first = "assistant", False
            yield data({**base, "choices": [{"index": 0, "delta": content,
                                             "finish_reason": None}]})
    except Exception as exc:  # mid-stream: the SDK raises an APIError for an `error` chunk
        yield data({"error": error_event(exc)})
        return
    summary = answer.as_json()
    # every stream says whose message it is, an answer of no words too
    last = {"role": "assistant", "content": ""} if first else {}
    usage, extras = usage_of(summary), extras_of(summary)
    yield data({**base, "choices": [{"index": 0, "delta": last, "finish_reason": "stop"}],
                **({} if include_usage else usage), **extras})
    if include_usage:
        yield data({**base, "choices": [], "usage": usage.get("usage"), **extras})
    yield b"data: [DONE]\n\n"
