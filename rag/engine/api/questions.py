"""Questions: search and ask, the answer streamed as server-sent events when asked to.

`POST /api/v1/ask` with `stream: true` sends `token` events ({"text"}) as the answer is
written, then `citations` ({"citations", "cited"}) and `done` ({"generator", "model",
"usage", "cached", "notice", "query", "degraded", "strategy", "request_id"}); a failure
after the stream has started is an `error` event ({"code", "message"}). Errors found
before it starts (no such collection, a question too long for the model's context window,
over the rate limit) are ordinary error responses.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from rag.engine.api.deps import CallerDep, Collection, EngineDep, either, question_view
from rag.engine.api.errors import ApiError, ClientClosed, from_rag_error, responses, unexpected
from rag.engine.api.schemas import AskRequest, SearchRequest
from rag.engine.engine import Engine
from rag.errors import EMPTY_QUERY, InputTooLongError, RagError, top_k_named
from rag.service import RagService
from rag.settings import AnswerStrategy
from rag.types import Answer, SearchResult, as_stored

router = APIRouter()
# `conflict`: the collection asked about was filled by another embedder
QUESTION_ERRORS = ("bad_request", "input_too_long", "too_large", "content_blocked", "not_found",
                   "conflict", "rate_limited", "unauthorized", "forbidden", "upstream_error",
                   "upstream_unavailable")
_END = object()
# A streamed answer silent this long (a model thinking, or queued behind others) sends an SSE
# comment, which clients ignore: proxies close a connection idle for 60 s (nginx's default),
# and `rag ask` tells a slow answer from a hung engine by it.
KEEPALIVE_SECONDS = 15.0
KEEPALIVE = b": still working\n\n"
REQUEST_TOP_K = "the request's top_k"  # what advice to retrieve fewer passages names


async def in_thread(engine: Engine, work: Callable[[], Any]) -> Any:
    """Run blocking work (a search) on the engine's answer threads, in the request's context
    (its id)."""
    return await asyncio.get_running_loop().run_in_executor(
        engine.answer_threads, contextvars.copy_context().run, work)


async def start_answer(engine: Engine, work: Callable[[threading.Event], Answer],
                       request: Request) -> tuple[Answer, AsyncIterator[str]]:
    """Run `work` (the question's retrieval and prompt) on an answer thread; return its
    answer, and the answer's text as it is produced. An error of `work` is raised here,
    before any response starts; closing the text early stops the model's stream (the
    question is then counted as stopped). A client of `request` gone before `work` ends
    sets the event `work` is given, which ends a follow-up's rewrite by the model, and has no
    answer asked of the model: the server would run the route to its end all the same.

    The thread that ran `work` goes on to read the whole stream, handing its deltas to the
    event loop, rather than a thread hop per delta, or one more between `work` and the
    stream: on a busy engine each hop waits its turn for the interpreter, and the first
    token waited for every one. The loop is woken once per batch, and the deltas that
    arrived meanwhile leave as one piece, so a backlogged engine writes fewer, larger events
    instead of falling further behind.
    """
    loop = asyncio.get_running_loop()
    started: asyncio.Future[Answer] = loop.create_future()
    relay = _Relay(loop)

    def run() -> None:
        try:
            answer = work(relay.stop)
        except BaseException as exc:  # raised to the route, which answers with the error
            loop.call_soon_threadsafe(_settle, started, None, exc)
            return
        loop.call_soon_threadsafe(_settle, started, answer, None)
        relay.read(answer)

    loop.run_in_executor(engine.answer_threads, contextvars.copy_context().run, run)
    leaving = asyncio.ensure_future(_client_leaves(request))
    try:
        await asyncio.wait((started, leaving), return_when=asyncio.FIRST_COMPLETED)
        if not started.done():  # a cancel: logged as such, counted as no error
            started.cancel()  # what `work` ends with (ReaderGone) is nobody's to hear
            raise ClientClosed("The client went away before its answer started.")
        answer = started.result()
    except BaseException:  # the client went away: the reader stops at once
        relay.halt()
        raise
    finally:
        leaving.cancel()
    return answer, relay.deltas()


async def whole_answer(engine: Engine, work: Callable[[threading.Event], Answer],
                       request: Request) -> dict[str, Any]:
    """The answer as `rag ask --json` prints it, read to its end unless the client leaves
    first: then the model's stream is closed, as a stream's is. A client that gave up (an SDK
    whose timeout passed, and which asks again) would otherwise have every attempt written
    out in full for nobody."""
    answer, deltas = await start_answer(engine, work, request)
    reading = asyncio.ensure_future(_read_to_end(deltas))
    leaving = asyncio.ensure_future(_client_leaves(request))
    try:
        await asyncio.wait((reading, leaving), return_when=asyncio.FIRST_COMPLETED)
        if not reading.done():  # a cancel: logged as such, counted as no error
            raise ClientClosed("The client went away before its answer ended.")
        reading.result()  # an error in the middle of the answer
    finally:
        leaving.cancel()
        reading.cancel()  # stops the model's stream at its next word
    return answer.as_json()


async def _read_to_end(deltas: AsyncIterator[str]) -> None:
    async for _ in deltas:
        pass


async def _client_leaves(request: Request) -> None:
    """Return when the client closes its connection. The body has been read, so the next
    message the server gives is that one (or, once the response is sent, the same)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _settle(future: asyncio.Future, answer: Answer | None, error: BaseException | None
            ) -> None:
    if future.done():  # cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(answer)


class _Relay:
    """An answer's deltas, from the thread that reads its stream to the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pending: list[object] = []
        self.lock = threading.Lock()
        self.ready = asyncio.Event()
        self.stop = threading.Event()
        self.answer: Answer | None = None
        self.heard_at = loop.time()  # when the reader last had something
        self.quiet: asyncio.TimerHandle | None = None

    def hand_over(self, item: object) -> None:
        with self.lock:
            self.pending.append(item)
            wake = len(self.pending) == 1
        if wake:
            self.loop.call_soon_threadsafe(self.ready.set)

    def read(self, answer: Answer) -> None:
        """On the answer thread: the whole stream, unless the loop's side stops it."""
        self.answer = answer
        if self.stop.is_set():  # set before the answer was known here: `halt` missed it
            answer.abandon()
        try:
            if not self.stop.is_set():
                for delta in answer:
                    self.hand_over(delta)
                    if self.stop.is_set():
                        break
                else:
                    self.hand_over(_END)
        except BaseException as exc:  # handed to the reader, raised there
            self.hand_over(_Failed(exc))
        finally:
            if self.stop.is_set():
                answer.close()  # in the thread that reads it: a generator is closed where it runs

    async def deltas(self) -> AsyncIterator[str]:
        """The answer's text as it arrives; an empty string when none came for
        KEEPALIVE_SECONDS, for the reader to show it is still there."""
        finished = False
        # one timer a stream, not one a wait: a busy engine waits thousands of times a second
        self.heard_at = self.loop.time()
        self.quiet = self.loop.call_later(KEEPALIVE_SECONDS, self._check_quiet)
        try:
            while True:
                await self.ready.wait()
                self.heard_at = self.loop.time()
                with self.lock:
                    items = self.pending[:]
                    self.pending.clear()
                    self.ready.clear()
                if not items:  # woken by `_check_quiet`
                    yield ""
                    continue
                text = "".join(item for item in items if isinstance(item, str))
                if text:
                    yield text
                last = items[-1] if items else None
                if isinstance(last, _Failed):
                    finished = True
                    raise last.error
                if last is _END:
                    finished = True
                    return
        finally:
            self.quiet.cancel()
            if not finished:  # the client went away
                self.halt()

    def _check_quiet(self) -> None:
        """On the loop, every KEEPALIVE_SECONDS or so: wake the reader with nothing when it
        has had nothing for that long."""
        quiet_for = self.loop.time() - self.heard_at
        if quiet_for >= KEEPALIVE_SECONDS:
            self.ready.set()
            quiet_for = 0.0
        self.quiet = self.loop.call_later(KEEPALIVE_SECONDS - quiet_for, self._check_quiet)

    def halt(self) -> None:
        """On the loop: the reader stops at its next delta, and no model is asked anything
        more for the answer, even one still to say its first word."""
        self.stop.set()
        answer = self.answer
        if answer is not None:
            answer.abandon()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def error_event(exc: Exception) -> dict[str, Any]:
    error = from_rag_error(exc) if isinstance(exc, RagError) else unexpected(exc)
    return error.body()


@router.post("/v1/search", responses=responses(*QUESTION_ERRORS))
async def search(body: SearchRequest, engine: EngineDep, caller: CallerDep,
                 collection: Collection = None) -> dict:
    """The best-matching passages, as `rag search --json` prints them."""
    name = either(body.collection, collection)

    def work() -> SearchResult:
        view = question_view(engine, name, caller, body.query, asked_in="query",
                             empty=EMPTY_QUERY,
                             refusals=lambda view: refuse_unsearchable(view, body))
        with top_k_named(REQUEST_TOP_K if body.top_k else None):
            return view.find(body.query, body.top_k, body.mode, body.doc_id, body.source,
                             user=caller.user)

    return (await in_thread(engine, work)).as_json()


def refuse_unsearchable(view: RagService, body: SearchRequest) -> None:
    """Refuse a search that cannot run, before it counts against the caller's limit: a
    filter naming no document (a folder, a typo), which would find nothing, as if the
    library held no answer, or a query longer than the embedding model reads."""
    if body.doc_id and not view.store.count(body.doc_id):
        raise ApiError("not_found", f"There is no document with the id '{body.doc_id}' "
                                    "(GET /api/v1/documents lists them).", param="doc_id")
    if body.source and view.store.live_at(as_stored(body.source)) is None:
        raise ApiError("not_found", f"There is no document with the source "
                                    f"'{body.source}' (a folder is not a document; GET "
                                    "/api/v1/documents lists them).", param="source")
    try:
        view.searchable(body.query, body.mode)
    except InputTooLongError as exc:
        raise ApiError("input_too_long", str(exc), param="query") from None


def refuse_unaskable(view: RagService, question: str, strategy: AnswerStrategy | None,
                     asked_in: str = "question") -> None:
    """Refuse, before it counts against the caller's limit or its answer starts, a question
    too long for the model's context window even with no passage beside it; `asked_in` is
    the field it came in."""
    try:
        view.askable(question, strategy)
    except InputTooLongError as exc:
        raise ApiError("input_too_long", str(exc), param=asked_in) from None


@router.post("/v1/ask", responses={**responses(*QUESTION_ERRORS), 200: {
    "description": "The answer as `rag ask --json` prints it, or with `stream: true` a "
                   "text/event-stream of `token`, `citations`, `done` (or `error`) events.",
    "content": {"application/json": {}, "text/event-stream": {}}}})
async def ask(body: AskRequest, request: Request, engine: EngineDep, caller: CallerDep,
              collection: Collection = None) -> Any:
    """Answer a question from the documents, citing passages by number."""
    history = [turn.model_dump() for turn in body.history]
    name = either(body.collection, collection)

    def work(client_gone: threading.Event) -> Answer:
        view = question_view(engine, name, caller, body.question, mode=body.mode,
                             refusals=lambda view: refuse_unaskable(view, body.question,
                                                                    body.strategy))
        with top_k_named(REQUEST_TOP_K if body.top_k else None):  # the answer's stream keeps it
            return view.ask(body.question, body.top_k, history, user=caller.user,
                            strategy=body.strategy, reader_gone=client_gone)

    if not body.stream:
        return await whole_answer(engine, work, request)
    answer, deltas = await start_answer(engine, work, request)
    return StreamingResponse(events(answer, deltas), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


async def events(answer: Answer, deltas: AsyncIterator[str]) -> AsyncIterator[bytes]:
    try:
        async for delta in deltas:
            yield sse("token", {"text": delta}) if delta else KEEPALIVE
    except Exception as exc:  # the stream has started: the status is sent already
        yield sse("error", error_event(exc))
        return
    summary = answer.as_json()
    yield sse("citations", {"citations": summary["citations"], "cited": summary["cited"]})
    yield sse("done", {key: summary[key] for key in
                       ("generator", "model", "usage", "cached", "notice", "query",
                        "degraded", "strategy", "request_id")})

