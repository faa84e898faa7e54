"""The one HTTP client of every AI provider: retried JSON and SSE calls, one log record each.

Providers (Workers AI, OpenAI-compatible servers) build URLs and bodies; the wire behaves the
same for all of them:

* `open_http` makes the `httpx.Client`s (one kept-alive connection each, `clients.ClientPool`)
  with explicit timeouts (httpx's default is 5 s), the credentials in an `httpx.Auth` (never in
  a repr or a log) and a `transport=` seam for tests.
* `AIHttp.post_json` and `AIHttp.stream_events` retry transient failures (`retry.RetryPolicy`);
  a stream is only retried while it is being opened: once events flow, a failure is the
  caller's to handle (a fallback model, or "answer interrupted").
* `AIHttp.call` scopes one logical call and logs it once (`calllog`); every message and
  exception passes through `redact`, so a secret a server echoes back is never shown.
* A model that fails through its retries trips its circuit breaker (`breaker`): it is then
  skipped without a request until one probe finds it back.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import replace
from functools import partial
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from rag.errors import (
    AIError,
    CircuitOpenError,
    PermanentAIError,
    ReaderGone,
    TransientAIError,
    reader_left,
)
from rag.providers.http.breaker import Breakers, breakers_for
from rag.providers.http.calllog import CallKind, CallStats, HeaderReader, logged_call
from rag.providers.http.clients import ClientPool
from rag.providers.http.deadline import question_seconds_left, question_time_spent
from rag.providers.http.errors import (
    ErrorPolicy,
    ModelSettings,
    map_status_error,
    map_stream_error,
    map_transport_error,
    redirected,
    reports_failure,
)
from rag.providers.http.retry import RetryPolicy, retry_after_seconds, timeout_within
from rag.providers.http.sse import StreamWatch, cut_when_gone, json_or_none, read_events

# A streamed answer holds its connection to the end, and the engine answers many questions at
# once: a smaller pool would queue answers behind each other before their first token.
CONNECTIONS_PER_PROVIDER = 100
# the literals Python's json module writes for numbers that JSON has no way to write
NON_FINITE = re.compile(rb"[\[,:]\s*-?(?:NaN|Infinity)\b")


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


def echoed_forms(secret: str) -> set[str]:
    """`secret`, and the forms an error body may quote it in."""
    return {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), repr(secret)[1:-1],
            json.dumps(json.dumps(secret)[1:-1])[1:-1]} - {""}


class AIHttp:
    """Retrying JSON and SSE calls for one provider, with one log record per call.

    Usage:
        http = open_http(settings, provider="Workers AI", credentials_hint="...",
                         secret_headers={"Authorization": f"Bearer {token}"}, secrets=[token])
        with http.call(model=model, endpoint="run", kind="chat") as stats:
            data = http.post_json(url, body, stats)

    Parameters:
        clients: the clients, which hold the credentials (see `open_http`).
        policy: attempts, deadline and backoff.
        provider: name used in messages and logs ("Workers AI", "OpenAI-compatible server").
        credentials_hint: the settings to check after a 401/404, e.g. "CLOUDFLARE_API_TOKEN".
        url_hint: the setting to check when nothing answers, e.g. "OPENAI_BASE_URL".
        base_url: that setting's value, from which a redirect's advice makes the one to set.
        route_advice: what to check when an answer is in no shape the API has (another path
            of the server sent it), as a sentence.
        secrets: strings that must never appear in a message or log line.
        error_policy: the provider's reading of its own error codes.
        model_settings: which settings name a model, for the advice when it is unknown.
        read_headers: the provider's reading of its own response headers.
        breakers: skip models that failed through their retries a moment ago (None: never).
        server: where the calls go (a base URL), whose models the breakers are kept for.
    """

    def __init__(self, clients: ClientPool, policy: RetryPolicy, *, provider: str,
                 credentials_hint: str, url_hint: str = "the base URL", base_url: str = "",
                 route_advice: str = "", secrets: Sequence[str] = (),
                 error_policy: ErrorPolicy | None = None, read_headers: HeaderReader | None = None,
                 breakers: Breakers | None = None, server: str = "",
                 model_settings: ModelSettings | None = None) -> None:
        self.server = server
        self.model_settings = model_settings
        self.clients = clients
        self.policy = policy
        self.provider = provider
        self.credentials_hint = credentials_hint
        self.url_hint = url_hint
        self.base_url = base_url
        self.route_advice = f" {route_advice}" if route_advice else ""
        self.error_policy = error_policy
        self.read_headers = read_headers
        self.breakers = breakers
        # each secret as written, and as a server may echo it back: escaped in JSON,
        # percent-encoded, in a Python repr
        self._secrets = sorted({form for secret in secrets if secret
                                for form in echoed_forms(secret)}, key=len, reverse=True)

    def __repr__(self) -> str:
        return f"AIHttp(provider={self.provider!r})"

    def close(self) -> None:
        self.clients.close()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def call(self, *, model: str, endpoint: str, kind: CallKind, items: int | None = None,
             items_setting: str | None = None) -> AbstractContextManager[CallStats]:
        """Scope of one AI call (retries included); logs its outcome once on exit.
        `items_setting`: the setting that set how many items are sent, when not the one
        calls of this kind usually have, named if the request is too large."""
        stats = CallStats(provider=self.provider, model=model, endpoint=endpoint, kind=kind,
                          items=items, items_setting=items_setting)
        return logged_call(stats, self.redact)

    # -- JSON

    def post_json(self, url: str, body: Mapping[str, Any], stats: CallStats,
                  headers: Mapping[str, str] | None = None,
                  reader_gone: threading.Event | None = None) -> dict[str, Any]:
        """POST a JSON body and return the decoded JSON object, retrying transient failures
        (unless `reader_gone` is set meanwhile)."""

        def attempt(client: httpx.Client, timeout: httpx.Timeout) -> dict[str, Any]:
            try:
                response = client.post(url, json=body, headers=headers, timeout=timeout)
            except httpx.HTTPError as exc:
                raise self._redacted(map_transport_error(
                    exc, provider=self.provider, model=stats.model,
                    url_hint=self.url_hint)) from exc
            self._absorb(response, stats)
            if response.status_code >= 400:
                raise self._status_error(response, response.text, stats)
            self._refuse_redirect(response, stats)
            try:  # orjson: a 100-text embedding response is 77,000 floats to decode
                data = orjson.loads(response.content)
            except ValueError as exc:  # a whole body: asked again, the server sends it again
                raise PermanentAIError(invalid_json(self.provider, stats.model,
                                                    response.content),
                                       status=response.status_code) from exc
            if not isinstance(data, dict):  # every API answers an object: another path did
                raise PermanentAIError(f"{self.provider} sent unexpected JSON for {stats.model}: "
                                       f"{type(data).__name__}.{self.route_advice}")
            if reports_failure(data):  # retried or not by its code, as an error status is
                raise self._status_error(response, response.text, stats)
            return data

        with self._leased(stats) as client:
            return self._with_retries(stats, partial(attempt, client), reader_gone)

    # -- SSE

    def stream_events(self, url: str, body: Mapping[str, Any], stats: CallStats,
                      headers: Mapping[str, str] | None = None,
                      reader_gone: threading.Event | None = None,
                      within: float | None = None) -> Iterator[dict[str, Any]]:
        """Yield each SSE `data:` JSON object as it arrives (see `sse.read_events`).

        Opening the stream is retried, unless `reader_gone` is set meanwhile; a failure after
        that raises `TransientAIError` (or the mapped error of an error event). `stats.done`
        tells whether the stream ended properly. `within`: the seconds the caller has left,
        when fewer than the policy's deadline (a fallback model, after the models before it).
        """
        policy = self._policy_within(within)

        def attempt(client: httpx.Client, timeout: httpx.Timeout) -> httpx.Response:
            request = client.build_request(
                "POST", url, json=body, timeout=timeout,
                headers={**(headers or {}), "Accept": "text/event-stream"},
            )
            try:
                response = client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise self._redacted(map_transport_error(
                    exc, provider=self.provider, model=stats.model,
                    url_hint=self.url_hint)) from exc
            self._absorb(response, stats)
            if response.status_code >= 300 or _is_json(response):
                try:
                    text = response.read().decode("utf-8", "replace")
                except httpx.HTTPError:
                    text = ""
                finally:
                    response.close()
                self._refuse_redirect(response, stats)
                if response.status_code >= 400 or reports_failure(json_or_none(text)):
                    raise self._status_error(response, text, stats)
            return response

        with self._leased(stats) as client:
            response = self._with_retries(stats, partial(attempt, client), reader_gone, policy)
            watch = StreamWatch(self.clients.sample.timeout.read,
                                stats.started + policy.deadline, reader_gone)

            def on_error(event: dict[str, Any], status: int | None) -> AIError:
                # json, not orjson: an event may hold integers beyond 64 bits
                return self._status_error(response, json.dumps(event), stats,
                                          status, in_stream=True)

            try:
                with cut_when_gone(response, reader_gone):
                    yield from read_events(response, stats, on_error, watch)
            except httpx.HTTPError as exc:
                if stats.done:  # the answer was complete: what follows it is not the answer
                    return
                if reader_left(reader_gone):  # the connection shut for a reader who left
                    raise ReaderGone from exc
                raise map_stream_error(exc, provider=self.provider, model=stats.model) from exc
            except AIError as exc:  # a failure the body reports may quote what was sent
                self._redacted(exc)
                raise
            finally:
                response.close()

    # -- shared

    @contextmanager
    def _leased(self, stats: CallStats) -> Iterator[httpx.Client]:
        """A client for the call; every connection busy for too long is a timeout like any."""
        with ExitStack() as stack:
            try:
                client = stack.enter_context(self.clients.lease())
            except httpx.PoolTimeout as exc:
                raise self._redacted(map_transport_error(
                    exc, provider=self.provider, model=stats.model,
                    url_hint=self.url_hint)) from exc
            yield client

    def _policy_within(self, seconds: float | None) -> RetryPolicy:
        """The retry policy, its deadline cut to `seconds`, or to what is left of the
        question's (`deadline`), when that is sooner."""
        limits = [limit for limit in (seconds, question_seconds_left()) if limit is not None]
        if not limits or min(limits) >= self.policy.deadline:
            return self.policy
        return replace(self.policy, deadline=max(min(limits), 0.0))

    def _with_retries(self, stats: CallStats, attempt: Any,
                      reader_gone: threading.Event | None = None,
                      policy: RetryPolicy | None = None) -> Any:
        def once(seconds_left: float) -> Any:
            return attempt(timeout_within(self.clients.sample.timeout, seconds_left))

        def seen(number: int) -> None:
            stats.attempts = number

        breakers, model, server = self.breakers, stats.model, self.server
        # a question's time spent says nothing of the model: not sent, and not tripped
        if (spent := question_time_spent(self.provider, model)) is not None:
            raise spent
        admission = breakers.admit(model, server) if breakers is not None else "closed"
        if admission == "open":
            why = breakers.reason(model, server).rstrip(".")  # type: ignore[union-attr]
            because = f" ({why})" if why else ""
            raise CircuitOpenError(
                f"{self.provider} skipped {model}: it failed through its retries a moment "
                f"ago{because} and is tried again after RAG_AI_BREAKER_SECONDS.",
                code="circuit_open", echoed=why or None)
        policy = policy or self._policy_within(None)
        # a probe is one request: it only has to tell whether the model is back
        if admission != "closed":
            policy = replace(policy, max_attempts=1)
        try:
            result = policy.run(once, on_attempt=seen, describe=lambda: {
                "provider": stats.provider, "model": model}, reader_gone=reader_gone)
        except TransientAIError as exc:
            # retries cut short by a reader that left say nothing of the model: not tripped
            if breakers is not None and not (admission == "closed" and reader_left(reader_gone)):
                breakers.failed(model, str(exc), server)
            raise
        except PermanentAIError:
            if admission == "probe":  # it answered, if only to refuse: it is up
                breakers.succeeded(model, server)  # type: ignore[union-attr]
            raise
        # a closed breaker has nothing to clear: the shared state is written only by a probe
        if admission == "probe":
            breakers.succeeded(model, server)  # type: ignore[union-attr]
        return result

    def _refuse_redirect(self, response: httpx.Response, stats: CallStats) -> None:
        if 300 <= response.status_code < 400:
            raise self._redacted(redirected(
                response.status_code, response.headers.get("location", ""),
                provider=self.provider, model=stats.model, url_hint=self.url_hint,
                sent_to=str(response.request.url), base_url=self.base_url))

    def _absorb(self, response: httpx.Response, stats: CallStats) -> None:
        stats.status = response.status_code
        if self.read_headers is not None:
            self.read_headers(response.headers, stats)

    def _status_error(self, response: httpx.Response, text: str, stats: CallStats,
                      status: int | None = None, *, in_stream: bool = False) -> AIError:
        """The error a response, or an error event in its stream (`status`: the event's own,
        if it gave one), stands for."""
        # redacted before the body is parsed and cut short: a cut through a secret would
        # leave its start, which no longer matches it
        return self._redacted(map_status_error(
            status if in_stream else response.status_code, self.redact(text),
            provider=self.provider,
            model=stats.model,
            credentials_hint=self.credentials_hint,
            retry_after=retry_after_seconds(response.headers), policy=self.error_policy,
            call=stats.kind, items_setting=stats.items_setting,
            model_setting=(self.model_settings(stats.model, stats.kind)
                           if self.model_settings is not None else None),
        ))

    def _redacted(self, error: AIError) -> Any:
        if self._secrets:
            clean = self.redact(str(error))
            if clean != str(error):
                error.args = (clean,)
        return error


def invalid_json(provider: str, model: str, body: bytes) -> str:
    """What is wrong with a body orjson refused: most often a NaN or Infinity, which Python's
    `json.dumps` writes for a number it could not compute."""
    why = (" (NaN or Infinity where a number should be)" if NON_FINITE.search(body)
           else "")
    return f"{provider} sent invalid JSON for {model}{why}."


def _is_json(response: httpx.Response) -> bool:
    """A body declared JSON, where a stream was asked for: small, and read whole at once."""
    return "json" in response.headers.get("content-type", "")


def open_http(settings: Any, *, provider: str, credentials_hint: str,
              secret_headers: Mapping[str, str], secrets: Sequence[str],
              url_hint: str = "the base URL", base_url: str = "", route_advice: str = "",
              transport: httpx.BaseTransport | None = None,
              max_connections: int = CONNECTIONS_PER_PROVIDER,
              policy: RetryPolicy | None = None, error_policy: ErrorPolicy | None = None,
              read_headers: HeaderReader | None = None, server: str = "",
              model_settings: ModelSettings | None = None) -> AIHttp:
    """An `AIHttp` with the settings' timeouts, retry policy and breakers (kept for `server`,
    the base URL calls go to); `transport` for tests."""
    auth = SecretHeaders(secret_headers) if secret_headers else None
    timeout = httpx.Timeout(connect=settings.ai_connect_timeout_seconds,
                            read=settings.ai_read_timeout_seconds,
                            write=settings.ai_read_timeout_seconds,
                            pool=settings.ai_read_timeout_seconds)

    # an idle connection is given up after 4 s: servers on uvicorn (vLLM, the stand-in) close
    # theirs after 5, and a request sent on one just as the server closes it is reset
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=4.0)

    def make() -> httpx.Client:
        return httpx.Client(headers={"Content-Type": "application/json"}, auth=auth,
                            timeout=timeout, transport=transport, follow_redirects=False,
                            limits=limits)

    return AIHttp(ClientPool(make, max_connections),
                  policy or RetryPolicy.from_settings(settings), provider=provider,
                  credentials_hint=credentials_hint, url_hint=url_hint, base_url=base_url,
                  route_advice=route_advice, secrets=secrets,
                  error_policy=error_policy, read_headers=read_headers,
                  breakers=breakers_for(settings), server=server,
                  model_settings=model_settings)
