"""The one place that talks HTTP to AI providers: client, errors, retries, SSE and the call log.

Providers (Workers AI, OpenAI-compatible servers) build URLs and bodies; everything about the
wire lives here so it behaves the same for every provider:

* `build_client` makes an `httpx.Client` with explicit timeouts (httpx's default is 5 s) and a
  `transport=` seam for tests.
* `map_status_error` / `map_transport_error` turn a failed response or a broken connection into
  `PermanentAIError` (bad input, auth, unknown model, context window, daily allowance) or
  `TransientAIError` (429, 408, 5xx, timeouts, connection errors), with a message that says
  what to do. Codes win over HTTP statuses: 429/4006 is the daily allowance, not a rate limit.
* `AIHttp.post_json` and `AIHttp.stream_events` retry transient failures with exponential
  backoff and jitter (tenacity), honouring Retry-After / retry-after-ms capped at 60 s, within
  an attempt count and an overall deadline. A stream is only retried while it is being opened;
  once events flow, a failure is the caller's to handle (fallback model or "interrupted").
* `AIHttp.call` wraps one logical AI call and writes exactly one JSON record on logger `rag.ai`
  (model, endpoint, duration, time to first token, attempts, outcome, cache status, neurons,
  gateway log id). Secrets never reach a log line or an exception message: headers are not
  logged and every message passes through `redact`.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import orjson
from httpx_sse import EventSource
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from rag.errors import AIError, PermanentAIError, TransientAIError

logger = logging.getLogger("rag.ai")

RETRY_AFTER_CAP_SECONDS = 60.0

# Cloudflare codes (contract §3). Codes decide before HTTP statuses do.
TRANSIENT_CODES = {3040, 3007, 3008, 3046}
DAILY_LIMIT_CODES = {4006, 3036}
CONTEXT_CODES = {5021, 3006}
MODEL_CODES = {5007, 3042}
AUTH_CODES = {10000}
GATEWAY_AUTH_CODES = {2009}
ROUTE_CODES = {7003, 7000}
FORBIDDEN_CODES = {5016, 5018, 3041, 3023}
TRANSIENT_STATUSES = {408, 409, 425, 429}

T = TypeVar("T")
R = TypeVar("R")


# --- client ---------------------------------------------------------------------------------


def make_timeout(connect: float, read: float) -> httpx.Timeout:
    """Explicit timeouts: `read` bounds the wait for any byte, the first one included."""
    return httpx.Timeout(connect=connect, read=read, write=read, pool=read)


class SecretHeaders(httpx.Auth):
    """Adds credential headers to each request as it is sent.

    Kept out of the client's default headers because httpx masks only `Authorization` in a
    Headers repr, not `cf-aig-authorization`; this object's repr shows header names only.
    """

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    def __repr__(self) -> str:
        return f"SecretHeaders({sorted(self._headers)})"

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers.update(self._headers)
        yield request


def build_client(
    *,
    headers: Mapping[str, str],
    timeout: httpx.Timeout,
    transport: httpx.BaseTransport | None = None,
    max_connections: int = 20,
    secret_headers: Mapping[str, str] | None = None,
) -> httpx.Client:
    """The client every provider uses; pass `transport` to test without a network."""
    return httpx.Client(
        headers=dict(headers),
        auth=SecretHeaders(secret_headers) if secret_headers else None,
        timeout=timeout,
        transport=transport,
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        follow_redirects=False,
    )


# --- retry policy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries. `sleep`, `clock` and `jitter` are seams for fast tests."""

    max_attempts: int = 4
    deadline: float = 60.0
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[float, float], float] = random.uniform

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> RetryPolicy:
        values: dict[str, Any] = {
            "max_attempts": settings.ai_max_attempts,
            "deadline": settings.ai_deadline_seconds,
            "backoff_base": settings.ai_backoff_base_seconds,
            "backoff_max": settings.ai_backoff_max_seconds,
        }
        values.update(overrides)
        return cls(**values)

    def backoff(self, attempt: int) -> float:
        """Delay after failed attempt `attempt` (1-based): half fixed, half jitter, doubling."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + self.jitter(0.0, ceiling / 2)

    def delay_after(self, exc: BaseException | None, attempt: int) -> float:
        """The server's Retry-After when it gave one (capped), otherwise our backoff."""
        if isinstance(exc, AIError) and exc.retry_after is not None:
            return min(exc.retry_after, RETRY_AFTER_CAP_SECONDS)
        return self.backoff(attempt)


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Parse retry-after-ms, then Retry-After (seconds or HTTP date); cap at 60 s."""
    value: float | None = None
    raw_ms = headers.get("retry-after-ms")
    raw = headers.get("retry-after")
    try:
        if raw_ms:
            value = float(raw_ms) / 1000.0
        elif raw:
            try:
                value = float(raw)
            except ValueError:
                when = parsedate_to_datetime(raw).timestamp()
                value = when - (time.time() if now is None else now)
    except (TypeError, ValueError, OverflowError):
        return None
    if value is None or value != value:  # NaN
        return None
    return max(0.0, min(value, RETRY_AFTER_CAP_SECONDS))


# --- error mapping --------------------------------------------------------------------------


def parse_error_body(text: str) -> tuple[int | str | None, str]:
    """(code, message) from a Cloudflare v4 envelope, a gateway `error` list, or OpenAI style."""
    try:
        data = json.loads(text)
    except (ValueError, TypeError):
        return None, text.strip()[:300]
    if not isinstance(data, dict):
        return None, text.strip()[:300]
    errors = data.get("errors") or data.get("error")
    entry: Any = errors[0] if isinstance(errors, list) and errors else errors
    if isinstance(entry, dict):
        code = entry.get("code", data.get("internalCode"))
        message = entry.get("message") or data.get("message") or ""
        return _normalise_code(code), _clean_message(str(message))
    if isinstance(entry, str):  # Ollama: {"error": "model 'x' not found"}
        return None, _clean_message(entry)
    if "message" in data:
        return _normalise_code(data.get("code")), _clean_message(str(data["message"]))
    return None, text.strip()[:300]


def _normalise_code(code: Any) -> int | str | None:
    if isinstance(code, bool) or code is None:
        return None
    if isinstance(code, int):
        return code
    text = str(code).strip()
    return int(text) if text.isdigit() else (text or None)


def _clean_message(message: str) -> str:
    """Drop the repeated 'AiError: ' prefixes Workers AI puts on its messages."""
    return re.sub(r"^(AiError:\s*)+", "", message.strip())


def map_status_error(
    status: int,
    body: str,
    *,
    provider: str,
    model: str,
    credentials_hint: str,
    retry_after: float | None = None,
) -> AIError:
    """Classify a non-2xx response and say, in the message, what the user can do about it."""
    code, detail = parse_error_body(body)
    detail = detail or httpx.codes.get_reason_phrase(status) or "no detail"
    where = f"HTTP {status}" + (f", code {code}" if code is not None else "")
    said = f"({where}: {detail})"
    lowered = detail.lower()

    def permanent(text: str) -> PermanentAIError:
        return PermanentAIError(text, status=status, code=code)

    def transient(text: str) -> TransientAIError:
        return TransientAIError(text, status=status, code=code, retry_after=retry_after)

    if code in DAILY_LIMIT_CODES or "daily free allocation" in lowered:
        return permanent(
            f"{provider}: the daily free allocation of 10,000 neurons is used up {said}. It resets "
            "at 00:00 UTC; upgrade to the Workers Paid plan or set RAG_GENERATOR=extractive."
        )
    if code in TRANSIENT_CODES:
        what = "is out of capacity for" if code == 3040 else "timed out running"
        return transient(f"{provider} {what} {model} {said}.")
    if code in GATEWAY_AUTH_CODES:
        return permanent(
            f"AI Gateway refused the request {said}. The gateway is authenticated: set "
            "CLOUDFLARE_AI_GATEWAY_TOKEN to a gateway token."
        )
    if code in AUTH_CODES or status == 401:
        return permanent(
            f"{provider} rejected the credentials {said}. Check {credentials_hint}."
        )
    if code in CONTEXT_CODES or status == 413:
        return permanent(
            f"The prompt plus the answer budget is too large for {model} {said}. Lower "
            "RAG_TOP_K or RAG_AI_MAX_TOKENS, or set RAG_AI_CONTEXT_WINDOW to the model's window."
        )
    if code in MODEL_CODES or "no such model" in lowered or (status == 404 and "model" in lowered):
        return permanent(
            f"{provider} has no model {model!r} {said}. Check the model name in your settings."
        )
    if code in ROUTE_CODES or status == 404:
        return permanent(
            f"{provider} could not route the request {said}. Check the account id and base URL "
            f"({credentials_hint})."
        )
    if code in FORBIDDEN_CODES or status == 403:
        return permanent(
            f"{provider} does not allow this account to use {model} {said}. Check the token's "
            "permissions and any model licence that must be accepted first."
        )
    if status in TRANSIENT_STATUSES or status >= 500:
        kind = {429: "is rate limiting requests", 408: "timed out"}.get(status, "failed")
        return transient(f"{provider} {kind} for {model} {said}.")
    return permanent(f"{provider} rejected the request for {model} as invalid {said}.")


def map_transport_error(exc: httpx.HTTPError, *, provider: str, model: str) -> TransientAIError:
    """Timeouts and broken connections are worth retrying; say which one it was."""
    if isinstance(exc, httpx.TimeoutException):
        text = (
            f"{provider} did not answer in time for {model} ({type(exc).__name__}). "
            "Try again, or raise RAG_AI_READ_TIMEOUT_SECONDS."
        )
    elif isinstance(exc, httpx.ConnectError):
        text = f"Could not connect to {provider} for {model} ({exc}). Check the base URL."
    else:
        text = (
            f"The connection to {provider} broke while calling {model} "
            f"({type(exc).__name__}: {exc})."
        )
    return TransientAIError(text)


# --- per-call bookkeeping and log -----------------------------------------------------------


@dataclass
class CallStats:
    """What one AI call did; `AIHttp.call` logs it once when the call ends."""

    provider: str
    model: str
    endpoint: str
    items: int | None = None
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0
    status: int | None = None
    outcome: str = "ok"
    error_code: int | str | None = None
    error: str | None = None
    ttft_ms: float | None = None
    cache_status: str | None = None
    gateway_log_id: str | None = None
    request_id: str | None = None
    reported_neurons: float | None = None
    neurons: float | None = None
    done: bool = False  # a stream reached [DONE] (or was a complete JSON body)
    malformed_events: int = 0

    def mark_first_token(self) -> None:
        if self.ttft_ms is None:
            self.ttft_ms = round((time.monotonic() - self.started) * 1000, 1)

    def fail(self, exc: BaseException, outcome: str = "error") -> None:
        self.outcome = outcome
        self.error = type(exc).__name__
        if isinstance(exc, AIError):
            self.error_code = exc.code
            self.status = exc.status if exc.status is not None else self.status

    def absorb_headers(self, response: httpx.Response) -> None:
        headers = response.headers
        self.status = response.status_code
        self.cache_status = headers.get("cf-aig-cache-status", self.cache_status)
        self.gateway_log_id = headers.get("cf-aig-log-id", self.gateway_log_id)
        self.request_id = headers.get("cf-ai-req-id", self.request_id)
        raw = headers.get("cf-ai-neurons")
        if raw:
            with suppress(ValueError):
                self.reported_neurons = float(raw)

    def as_record(self) -> dict[str, Any]:
        record = {
            "event": "ai_call",
            "provider": self.provider,
            "model": self.model,
            "endpoint": self.endpoint,
            "items": self.items,
            "duration_ms": round((time.monotonic() - self.started) * 1000, 1),
            "ttft_ms": self.ttft_ms,
            "attempts": self.attempts,
            "outcome": self.outcome,
            "status": self.status,
            "error": self.error,
            "error_code": self.error_code,
            "cache_status": self.cache_status,
            "neurons": self.neurons if self.neurons is not None else self.reported_neurons,
            "gateway_log_id": self.gateway_log_id,
            "request_id": self.request_id,
            "malformed_events": self.malformed_events or None,
        }
        return {key: value for key, value in record.items() if value is not None}


# --- the client wrapper ---------------------------------------------------------------------


class AIHttp:
    """Retrying JSON and SSE calls for one provider, with one log record per call.

    Parameters:
        client: from `build_client` (holds the auth header; never logged).
        policy: attempts, deadline and backoff.
        provider: name used in messages and logs ("Workers AI", "OpenAI-compatible server").
        credentials_hint: the settings to check after a 401/404, e.g. "CLOUDFLARE_API_TOKEN".
        secrets: strings that must never appear in a message or log line.
    """

    def __init__(
        self,
        client: httpx.Client,
        policy: RetryPolicy,
        *,
        provider: str,
        credentials_hint: str,
        secrets: Sequence[str] = (),
    ) -> None:
        self.client = client
        self.policy = policy
        self.provider = provider
        self.credentials_hint = credentials_hint
        self._secrets = [secret for secret in secrets if secret]

    def __repr__(self) -> str:
        return f"AIHttp(provider={self.provider!r})"

    def close(self) -> None:
        self.client.close()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    # -- one logical call

    @contextmanager
    def call(self, *, model: str, endpoint: str, items: int | None = None) -> Iterator[CallStats]:
        """Scope of one AI call (retries included); logs its outcome once on exit."""
        stats = CallStats(provider=self.provider, model=model, endpoint=endpoint, items=items)
        try:
            yield stats
        except GeneratorExit:
            stats.outcome = "cancelled"
            raise
        except BaseException as exc:
            stats.fail(exc)
            raise
        finally:
            record = stats.as_record()
            level = logging.INFO if stats.outcome in ("ok", "cancelled") else logging.WARNING
            logger.log(level, self.redact(json.dumps(record)), extra={"ai_call": record})

    # -- JSON

    def post_json(
        self, url: str, body: Mapping[str, Any], stats: CallStats,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST a JSON body and return the decoded JSON object, retrying transient failures."""

        def attempt(timeout: httpx.Timeout) -> dict[str, Any]:
            try:
                response = self.client.post(url, json=body, headers=headers, timeout=timeout)
            except httpx.HTTPError as exc:
                raise self._transport_error(exc, stats) from exc
            stats.absorb_headers(response)
            if response.status_code >= 400:
                raise self._status_error(response, response.text, stats)
            try:  # orjson: a 100-text embedding response is 77,000 floats to decode
                data = orjson.loads(response.content)
            except ValueError as exc:
                raise TransientAIError(
                    f"{self.provider} sent a response that is not JSON for {stats.model}.",
                    status=response.status_code,
                ) from exc
            if not isinstance(data, dict):
                raise PermanentAIError(
                    f"{self.provider} sent unexpected JSON for {stats.model}: "
                    f"{type(data).__name__}."
                )
            return data

        return self._with_retries(stats, attempt)

    # -- SSE

    def stream_events(
        self, url: str, body: Mapping[str, Any], stats: CallStats,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield each SSE `data:` JSON object as it arrives; stop at `data: [DONE]`.

        Opening the stream is retried; a failure after that raises `TransientAIError` (or the
        mapped error of an error event). Malformed events are skipped and counted. A server
        answering with plain JSON instead of SSE yields that object once (envelope unwrapped).
        `stats.done` tells whether the stream ended properly.
        """

        def attempt(timeout: httpx.Timeout) -> httpx.Response:
            request = self.client.build_request(
                "POST", url, json=body, timeout=timeout,
                headers={**(headers or {}), "Accept": "text/event-stream"},
            )
            try:
                response = self.client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise self._transport_error(exc, stats) from exc
            stats.absorb_headers(response)
            if response.status_code >= 400:
                try:
                    text = response.read().decode("utf-8", "replace")
                except httpx.HTTPError:
                    text = ""
                finally:
                    response.close()
                raise self._status_error(response, text, stats)
            return response

        response = self._with_retries(stats, attempt)
        try:
            yield from self._read_events(response, stats)
        except httpx.HTTPError as exc:
            raise self._stream_error(exc, stats) from exc
        finally:
            response.close()

    def _read_events(self, response: httpx.Response, stats: CallStats) -> Iterator[dict[str, Any]]:
        content_type = response.headers.get("content-type", "")
        if "text/event-stream" not in content_type:
            yield self._whole_body(response, stats)
            return
        for sse in EventSource(response).iter_sse():
            data = sse.data.strip()
            if not data:
                continue
            if data == "[DONE]":
                stats.done = True
                return
            try:
                event = json.loads(data)
            except ValueError:
                stats.malformed_events += 1
                continue
            if not isinstance(event, dict):
                stats.malformed_events += 1
                continue
            if sse.event == "error" or _is_error_event(event):
                raise self._status_error(
                    response, json.dumps(event), stats, status=_event_status(event)
                )
            yield event

    def _whole_body(self, response: httpx.Response, stats: CallStats) -> dict[str, Any]:
        """A server that ignored `stream: true`: use its JSON answer as one event."""
        try:
            data = json.loads(response.read())
        except ValueError as exc:
            raise TransientAIError(
                f"{self.provider} sent neither an event stream nor JSON for {stats.model}.",
                status=response.status_code,
            ) from exc
        stats.done = True
        if isinstance(data, dict) and isinstance(data.get("result"), dict):
            return data["result"]
        if not isinstance(data, dict):
            raise PermanentAIError(f"{self.provider} sent unexpected JSON for {stats.model}.")
        return data

    # -- retries

    def _with_retries(self, stats: CallStats, attempt: Callable[[httpx.Timeout], R]) -> R:
        policy = self.policy
        start = policy.clock()

        def stop(state: RetryCallState) -> bool:
            if state.attempt_number >= policy.max_attempts:
                return True
            return policy.clock() - start + state.upcoming_sleep > policy.deadline

        def wait_for(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return policy.delay_after(exc, state.attempt_number)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            logger.debug(self.redact(json.dumps({
                "event": "ai_retry", "provider": stats.provider, "model": stats.model,
                "attempt": state.attempt_number, "sleep_s": round(state.upcoming_sleep, 3),
                "error_code": getattr(exc, "code", None), "status": getattr(exc, "status", None),
            })))

        retrying = Retrying(
            stop=stop, wait=wait_for, sleep=policy.sleep, before_sleep=before_sleep,
            retry=retry_if_exception_type(TransientAIError), reraise=True,
        )
        try:
            for state in retrying:
                with state:
                    stats.attempts = state.retry_state.attempt_number
                    return attempt(self._timeout_within(policy.deadline - (policy.clock() - start)))
        except TransientAIError as exc:
            raise self._gave_up(exc, stats, policy.clock() - start) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _timeout_within(self, remaining: float) -> httpx.Timeout:
        """The client's timeouts, shortened so that one attempt cannot outlive the deadline."""
        base = self.client.timeout
        cap = max(remaining, 0.05)

        def shorten(value: float | None) -> float:
            return cap if value is None else min(value, cap)

        return httpx.Timeout(
            connect=shorten(base.connect), read=shorten(base.read),
            write=shorten(base.write), pool=shorten(base.pool),
        )

    def _gave_up(self, exc: TransientAIError, stats: CallStats, elapsed: float) -> TransientAIError:
        if stats.attempts <= 1 and elapsed < self.policy.deadline:
            return exc
        text = f"{exc} Gave up after {stats.attempts} attempt(s) in {elapsed:.1f} s."
        return type(exc)(text, status=exc.status, code=exc.code, retry_after=exc.retry_after)

    # -- error construction

    def _status_error(
        self, response: httpx.Response, text: str, stats: CallStats, status: int | None = None
    ) -> AIError:
        error = map_status_error(
            status or response.status_code, text, provider=self.provider, model=stats.model,
            credentials_hint=self.credentials_hint,
            retry_after=retry_after_seconds(response.headers),
        )
        return self._redacted(error)

    def _transport_error(self, exc: httpx.HTTPError, stats: CallStats) -> TransientAIError:
        error = map_transport_error(exc, provider=self.provider, model=stats.model)
        return self._redacted(error)

    def _stream_error(self, exc: httpx.HTTPError, stats: CallStats) -> TransientAIError:
        if isinstance(exc, httpx.TimeoutException):
            text = "no new token arrived in time"
        else:
            text = "the connection closed mid-answer"
        return TransientAIError(f"{text} ({self.provider}, {stats.model})")

    def _redacted(self, error: T) -> T:
        if isinstance(error, AIError) and self._secrets:
            clean = self.redact(str(error))
            if clean != str(error):
                error.args = (clean,)
        return error


def _is_error_event(event: Mapping[str, Any]) -> bool:
    """Mid-stream errors are UNCONFIRMED in shape; accept the plausible ones."""
    if event.get("success") is False:
        return True
    error = event.get("error")
    if error and not event.get("choices") and "response" not in event:
        return True
    errors = event.get("errors")
    return bool(errors) and "response" not in event


def _event_status(event: Mapping[str, Any]) -> int:
    """An error event carries no HTTP status; read one if given, else treat it as a 500."""
    for key in ("status", "httpCode", "status_code"):
        value = event.get(key)
        if isinstance(value, int) and 400 <= value < 600:
            return value
    return 500


# --- several requests in flight -------------------------------------------------------------


def run_concurrently(fn: Callable[[T], R], items: Sequence[T], max_workers: int) -> list[R]:
    """Apply `fn` to every item with at most `max_workers` in flight; results in input order.

    The first failure cancels the work not yet started and is raised.
    """
    if max_workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    results: list[Any] = [None] * len(items)
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rag-ai") as pool:
        futures = {pool.submit(fn, item): index for index, item in enumerate(items)}
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in done:
            exc = future.exception()
            if exc is not None:
                raise exc
            results[futures[future]] = future.result()
    return results
