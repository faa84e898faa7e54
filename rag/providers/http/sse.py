"""Server-sent events from a chat stream: each `data:` JSON object, until `data: [DONE]`.

An event stream is decoded as UTF-8 whatever charset its headers declare, one leading byte
order mark dropped (WHATWG HTML, "Server-sent events"). Malformed events are skipped and
counted; an error sent as an event (its shape is unconfirmed for Workers AI, so the plausible
ones are accepted, an `event: error` in plain text among them, and llama.cpp's `error:` line)
raises through `on_error`. A server that ignored `stream: true` and answered with plain JSON
yields that object once, its v4 envelope unwrapped; an envelope that says `success: false`,
or an error object in place of an answer, is the failure it reports, as on the JSON path. A
body declared `text/plain` (some proxies relabel streams) is read as events when it starts
like them, as JSON otherwise.

The answer is complete at `[DONE]`, at a finish_reason or at Workers AI's final usage event
(`stats.done`): what the connection does after that is not the answer's (after `[DONE]`
the rest is read, so that the connection is kept for the next call). Before it, a
`StreamWatch` bounds the wait for text, which keep-alive comments would otherwise prolong
for ever.
"""

from __future__ import annotations

import codecs
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

import httpx
from httpx_sse import EventSource

from rag.errors import AIError, PermanentAIError, ReaderGone, TransientAIError, reader_left
from rag.providers.http.calllog import CallStats
from rag.providers.http.errors import NoTextInTime, reports_failure
from rag.types import is_count

ERROR_TEXT_CHARS = 300  # of a plain-text error event: as much as a non-JSON error body keeps
# what an event stream's first line starts with: a field name, or ":" for a comment
SSE_FIELDS = (b"data:", b"event:", b"id:", b"retry:", b":")
SSE_PEEK_BYTES = 6  # len(b"event:"), the longest field name a stream usually starts with
# llama.cpp's server sends a stream's error as a field of its own, which the SSE spec ignores
ERROR_FIELD = b"error:"
ERROR_FIELD_AT_LINE_START = re.compile(rb"(?<=[\r\n])error:")
ERROR_EVENT = b"event: error\ndata:"
# where an OpenAI-style delta carries a reasoning model's reasoning, beside its answer
REASONING_FIELDS = ("reasoning_content", "reasoning")
# usage fields that count something: a figure that cannot be a count is dropped
COUNTED_USAGE = frozenset({"prompt_tokens", "completion_tokens", "total_tokens", "neurons"})
# how often a stream's watcher looks whether its reader has gone (`cut_when_gone`)
GONE_POLL_SECONDS = 0.25


@contextmanager
def cut_when_gone(response: httpx.Response,
                  reader_gone: threading.Event | None) -> Iterator[None]:
    """While the block reads `response`: once the reader has gone (the stop button, a closed
    tab), the connection is shut, so that a read waiting on a silent model (headers sent,
    no word yet, for up to the read timeout) returns at once. Closing the response from
    another thread would not wake that read; shutting its socket does."""
    if reader_gone is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if reader_gone.wait(GONE_POLL_SECONDS):
                if not done.is_set():
                    _shut(response)
                return

    threading.Thread(target=watch, name="stream-reader-gone", daemon=True).start()
    try:
        yield
    finally:
        done.set()


def _shut(response: httpx.Response) -> None:
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is not None:
        with suppress(OSError):  # closed meanwhile
            sock.shutdown(socket.SHUT_RDWR)


class StreamWatch:
    """Bounds the wait for a stream's text, which httpx's read timeout cannot: any byte (a
    keep-alive comment, an event without text) restarts that one. The time spent waiting on
    the server since the last text (or since the stream opened) must stay within `idle`
    seconds, and the first text must come by `first_by` (a `clock()` time: the call's
    deadline). Time the reader takes between events is not the server's, and is not counted.
    A reader that left is noticed at every chunk, whether it holds text or not.
    """

    def __init__(self, idle: float | None, first_by: float | None,
                 reader_gone: threading.Event | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.idle = idle
        self.first_by = first_by
        self.reader_gone = reader_gone
        self.clock = clock
        self._waited = 0.0  # on the server, since the last text
        self._text_seen = False

    def saw_text(self) -> None:
        self._waited = 0.0
        self._text_seen = True

    def watched(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """`chunks`, each checked as it arrives (`check`)."""
        while True:
            asked = self.clock()
            chunk = next(chunks, None)
            if chunk is None:
                return
            self._waited += self.clock() - asked
            self.check()
            yield chunk

    def check(self) -> None:
        if reader_left(self.reader_gone):
            raise ReaderGone
        late = self.idle is not None and self._waited > self.idle
        if not self._text_seen and self.first_by is not None and self.clock() > self.first_by:
            late = True
        if late:
            raise NoTextInTime("no text arrived in time")


def read_events(response: httpx.Response, stats: CallStats,
                on_error: Callable[[dict[str, Any], int | None], AIError],
                watch: StreamWatch | None = None) -> Iterator[dict[str, Any]]:
    """The events of an open response; `on_error(event, status)` builds an error event's error
    (and that of a whole body that reports a failure)."""
    content_type = response.headers.get("content-type", "")
    chunks = response.iter_bytes()
    if "text/event-stream" in content_type:
        yield from _events(chunks, stats, on_error, watch)
        return
    head = _head(chunks)
    body = itertools.chain([head], chunks)
    if content_type.startswith("text/plain") and head.lstrip().startswith(SSE_FIELDS):
        yield from _events(body, stats, on_error, watch)
        return
    yield _whole_body(b"".join(body), response.status_code, stats, on_error)


def _head(chunks: Iterator[bytes]) -> bytes:
    """The body's first bytes, enough to tell an event stream by its first field name."""
    head = b""
    while len(head.lstrip()) < SSE_PEEK_BYTES:
        chunk = next(chunks, None)
        if chunk is None:
            break
        head += chunk
    return head


def _as_event_stream(body: Iterator[bytes]) -> httpx.Response:
    """A body read as an event stream whatever its headers say: a proxy's `text/plain`, or a
    charset other than UTF-8, which an event stream never has (WHATWG HTML, "Server-sent
    events": always decoded as UTF-8)."""
    return httpx.Response(200, headers={"content-type": "text/event-stream; charset=utf-8"},
                          content=body)


def _drain(events: Iterator[Any]) -> None:
    """Read the stream to its end after `[DONE]`: only a response read to its end returns
    its connection to the pool; closed before, the next call opens a new connection (and,
    over TLS, a new handshake). The answer is complete by now, so a failure here is not one."""
    with suppress(httpx.HTTPError):
        for _ in events:
            pass


def _without_bom(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The stream without the one UTF-8 byte order mark it may start with, which the SSE
    spec drops (kept, it would turn the first field name into an unknown one)."""
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= len(codecs.BOM_UTF8) or not codecs.BOM_UTF8.startswith(head):
            break
    yield head.removeprefix(codecs.BOM_UTF8)
    yield from chunks


def _error_fields_as_events(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The stream with each `error: {...}` line (llama.cpp's) written as the `event: error`
    it stands for, so that its message is read like any error event's. A line whose start
    may still become that field name waits for the next chunk."""
    held = b""  # the start of a line, too short to tell
    at_line_start = True
    for chunk in chunks:
        text = held + chunk
        if at_line_start and text.startswith(ERROR_FIELD):
            text = ERROR_EVENT + text[len(ERROR_FIELD):]
        text = ERROR_FIELD_AT_LINE_START.sub(ERROR_EVENT, text)
        cut = max(text.rfind(b"\n"), text.rfind(b"\r")) + 1
        tail = text[cut:]
        if tail and (cut > 0 or at_line_start) and ERROR_FIELD.startswith(tail):
            text, held = text[:cut], tail
        else:
            held = b""
        at_line_start = bool(held) or (text.endswith((b"\n", b"\r")) if text
                                         else at_line_start)
        if text:
            yield text
    if held:
        yield held


def _events(chunks: Iterator[bytes], stats: CallStats,
            on_error: Callable[[dict[str, Any], int | None], AIError],
            watch: StreamWatch | None = None) -> Iterator[dict[str, Any]]:
    body = _without_bom(chunks)
    body = _error_fields_as_events(body if watch is None else watch.watched(body))
    source = _as_event_stream(body)
    events = EventSource(source).iter_sse()
    for sse in events:
        data = sse.data.strip()
        if not data:
            continue
        if data == "[DONE]":
            stats.done = True
            _drain(events)
            return
        event = json_or_none(data)
        if sse.event == "error" and not isinstance(event, dict):
            raise on_error(text_error(data, event), None)
        if not isinstance(event, dict):
            stats.malformed_events += 1
            continue
        if sse.event == "error" or is_error_event(event):
            raise on_error(event, event_status(event))
        if watch is not None and carries_text(event):
            watch.saw_text()
        usage = event.get("usage")
        if isinstance(usage, dict):
            event["usage"] = plausible_usage(usage)
        # a stream whose answer is complete has nothing more to fail: a stall or a drop
        # after this event is not an interruption
        stats.done = stats.done or ends_answer(event)
        yield event


def delta_of(event: Mapping[str, Any]) -> str:
    """The new text of the answer in one event (either shape), or ""."""
    response = event.get("response")
    if isinstance(response, str) and response:
        return response
    choice = _first_choice(event)
    for key in ("delta", "message"):
        part = choice.get(key)
        if isinstance(part, dict) and isinstance(part.get("content"), str):
            return part["content"]
    return choice["text"] if isinstance(choice.get("text"), str) else ""


def carries_text(event: Mapping[str, Any]) -> bool:
    """Whether an event brings tokens: the answer's, or a reasoning model's separate
    reasoning, as the model is at work all the same."""
    return bool(delta_of(event)) or carries_reasoning(event)


def carries_reasoning(event: Mapping[str, Any]) -> bool:
    """Whether an event brings a reasoning model's reasoning, in a field of its own."""
    parts = [_first_choice(event).get(key) for key in ("delta", "message")]
    return any(isinstance(part, dict) and isinstance(part.get(name), str) and part[name]
               for part in parts for name in REASONING_FIELDS)


def finish_reason(event: Mapping[str, Any]) -> str | None:
    """An OpenAI-style chunk's finish_reason ("stop", "length"...), or None."""
    reason = _first_choice(event).get("finish_reason")
    return str(reason) if reason else None


def ends_answer(event: Mapping[str, Any]) -> bool:
    """Whether an event completes the answer: an OpenAI-style chunk by its finish_reason
    (vLLM puts usage on every chunk), a Workers AI event by its final usage."""
    if isinstance(event.get("choices"), list):
        return finish_reason(event) is not None
    return isinstance(event.get("usage"), dict)


def _first_choice(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """An OpenAI-style chunk's first choice, or {} for an event of the other shape."""
    choices = event.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0]
    return {}


def plausible_usage(usage: dict[str, Any]) -> dict[str, Any]:
    """`usage` without the counts that cannot be ones (NaN, infinite, negative, not a
    number): they are then estimated, as if the server had not sent them."""
    return {key: value for key, value in usage.items()
            if key not in COUNTED_USAGE or is_count(value)}


def json_or_none(data: str) -> Any:
    """The JSON value of `data` (an event's, a body's), or None when it is not JSON."""
    try:
        return json.loads(data)
    except ValueError:
        return None


def text_error(data: str, event: Any) -> dict[str, Any]:
    """An error event whose data is not an object, as an error body whose message is its
    text: what the server said is the most a reader can be told."""
    text = event if isinstance(event, str) else data
    return {"errors": [{"message": text.strip()[:ERROR_TEXT_CHARS]}]}


def _whole_body(body: bytes, status: int, stats: CallStats,
                on_error: Callable[[dict[str, Any], int | None], AIError]) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise TransientAIError(
            f"{stats.provider} sent neither an event stream nor JSON for {stats.model}.",
            status=status,
        ) from exc
    if not isinstance(data, dict):
        raise PermanentAIError(f"{stats.provider} sent unexpected JSON for {stats.model}.")
    if reports_failure(data):
        raise on_error(data, status)
    stats.done = True
    if isinstance(data.get("result"), dict):
        return data["result"]
    return data


def is_error_event(event: Mapping[str, Any]) -> bool:
    if reports_failure(event):
        return True
    errors = event.get("errors")
    return bool(errors) and "response" not in event


def event_status(event: Mapping[str, Any]) -> int | None:
    """The HTTP status an error event gives, if it gives one (most do not; llama.cpp's `code`
    is the status its error would have been answered with)."""
    for key in ("status", "httpCode", "status_code", "code"):
        value = event.get(key)
        if isinstance(value, int) and 400 <= value < 600:
            return value
    return None
