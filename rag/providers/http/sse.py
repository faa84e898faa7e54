"""Server-sent events from a chat stream: each `data:` JSON object, until `data: [DONE]`.

Malformed events are skipped and counted; an error sent as an event (its shape is
unconfirmed for Workers AI, so the plausible ones are accepted, an `event: error` in plain
text among them) raises through `on_error`. A server that ignored `stream: true` and answered
with plain JSON yields that object once, its v4 envelope unwrapped; an envelope that says
`success: false` is the failure it reports, as on the JSON path. A body declared `text/plain`
(some proxies relabel streams) is read as events when it starts like them, as JSON otherwise.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from typing import Any

import httpx
from httpx_sse import EventSource

from rag.errors import AIError, PermanentAIError, TransientAIError
from rag.providers.http.calllog import CallStats
from rag.providers.http.errors import reported_failure

ERROR_TEXT_CHARS = 300  # of a plain-text error event: as much as a non-JSON error body keeps
# what an event stream's first line starts with: a field name, or ":" for a comment
SSE_FIELDS = (b"data:", b"event:", b"id:", b"retry:", b":")
SSE_PEEK_BYTES = 6  # len(b"event:"), the longest field name a stream usually starts with


def read_events(response: httpx.Response, stats: CallStats, provider: str,
                on_error: Callable[[dict[str, Any], int | None], AIError]
                ) -> Iterator[dict[str, Any]]:
    """The events of an open response; `on_error(event, status)` builds an error event's error."""
    content_type = response.headers.get("content-type", "")
    if "text/event-stream" in content_type:
        yield from _events(response, stats, on_error)
        return
    chunks = response.iter_bytes()
    head = _head(chunks)
    body = itertools.chain([head], chunks)
    if content_type.startswith("text/plain") and head.lstrip().startswith(SSE_FIELDS):
        yield from _events(_as_event_stream(body), stats, on_error)
        return
    yield _whole_body(b"".join(body), response.status_code, stats, provider)


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
    """A body that is an event stream whatever its header says (a proxy's `text/plain`),
    declared as one so that `EventSource` reads it."""
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)


def _events(response: httpx.Response, stats: CallStats,
            on_error: Callable[[dict[str, Any], int | None], AIError]
            ) -> Iterator[dict[str, Any]]:
    events = EventSource(response).iter_sse()
    for sse in events:
        data = sse.data.strip()
        if not data:
            continue
        if data == "[DONE]":
            stats.done = True
            _drain(events)
            return
        event = _parsed(data)
        if sse.event == "error" and not isinstance(event, dict):
            raise on_error(text_error(data, event), None)
        if not isinstance(event, dict):
            stats.malformed_events += 1
            continue
        if sse.event == "error" or is_error_event(event):
            raise on_error(event, event_status(event))
        yield event


def _parsed(data: str) -> Any:
    """The event's JSON value, or None when it is not JSON."""
    try:
        return json.loads(data)
    except ValueError:
        return None


def text_error(data: str, event: Any) -> dict[str, Any]:
    """An error event whose data is not an object, as an error body whose message is its
    text: what the server said is the most a reader can be told."""
    text = event if isinstance(event, str) else data
    return {"errors": [{"message": text.strip()[:ERROR_TEXT_CHARS]}]}


def _drain(events: Iterator[Any]) -> None:
    """Read the stream to its end after `[DONE]`: only a response read to its end returns
    its connection to the pool; closed before, the next call opens a new connection (and,
    over TLS, a new handshake). The answer is complete by now, so a failure here is not one."""
    with suppress(httpx.HTTPError):
        for _ in events:
            pass


def _whole_body(body: bytes, status: int, stats: CallStats, provider: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise TransientAIError(
            f"{provider} sent neither an event stream nor JSON for {stats.model}.",
            status=status,
        ) from exc
    if not isinstance(data, dict):
        raise PermanentAIError(f"{provider} sent unexpected JSON for {stats.model}.")
    if data.get("success") is False:
        raise reported_failure(provider, stats.model, data)
    stats.done = True
    if isinstance(data.get("result"), dict):
        return data["result"]
    return data


def is_error_event(event: Mapping[str, Any]) -> bool:
    if event.get("success") is False:
        return True
    error = event.get("error")
    if error and not event.get("choices") and "response" not in event:
        return True
    errors = event.get("errors")
    return bool(errors) and "response" not in event


def event_status(event: Mapping[str, Any]) -> int | None:
    """The HTTP status an error event gives, if it gives one (most do not)."""
    for key in ("status", "httpCode", "status_code"):
        value = event.get(key)
        if isinstance(value, int) and 400 <= value < 600:
            return value
    return None
