"""A loopback stand-in for Workers AI, AI Gateway and OpenAI-compatible servers.

It speaks the wire contract (docs/workers-ai.md) over real HTTP so the
real client, transport, timeouts and SSE parsing are exercised:

* `POST /client/v4/accounts/{acct}/ai/run/{model:path}`: native Workers AI (v4 envelope).
* `POST /v1/{acct}/{gateway}/workers-ai/{model:path}`: AI Gateway, with an exact-body cache.
* `POST /client/v4/accounts/{acct}/ai/v1/{chat/completions,embeddings}`: Workers AI's OpenAI
  endpoints (chunks carry `p` padding and a trailing `{"response":"","usage":...}` event).
* `POST /v1/{chat/completions,embeddings}`: a plain OpenAI-compatible server (Ollama-like).

Answers are computed, not canned: the reply quotes the sentence sharing most words with the
question from the best-matching passage and cites that passage's number. Embeddings are hashed
bags of words, so texts sharing words are close; the reranker scores a context by the share of
the question's words it contains, however long it is; Llama Guard calls a text unsafe when it
holds one of its categories' phrases (`HAZARDS`), in either result form (`guard_form`). Faults
are switched on per test (`fail`, `slow_first_byte`, `cut_stream`, `malformed_events`,
`error_event`, `first_component`, `latency`, ...) and every request is logged in `requests`
(path, model, headers, body, batch size, status). `model_latency` delays one model's answers,
`token_gap` each event of a stream; `answer_as` makes one model answer weakly or differently
from the others (answer strategies), or with terminal escapes; AI Gateway's cache honours
`cf-aig-cache-key`, and keeps a keyed request 5 minutes even without `cf-aig-cache-ttl`.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

ACCOUNT = "acct-0123456789abcdef"
TOKEN = "cf-test-token-7Hq2ZbX9"  # fake; tests assert it never reaches a log line
GATEWAY = "docqa-gw"

# Context windows (docs/workers-ai.md, "Limits"); tests may shrink them to force a 413/5021.
TEXT_MODELS = {
    "@cf/meta/llama-3.1-8b-instruct": 7_968,
    "@cf/meta/llama-3.2-1b-instruct": 60_000,
    "@cf/meta/llama-3.1-8b-instruct-fp8": 32_000,
    "@cf/meta/llama-3.1-8b-instruct-awq": 8_192,
}
EMBED_MODELS = {
    "@cf/baai/bge-base-en-v1.5": 768,
    "@cf/baai/bge-small-en-v1.5": 384,
    "@cf/baai/bge-large-en-v1.5": 1024,
}
# Rerankers and their limit per query + context pair, counted here in words: a lower bound on
# the model's tokens, so a client that fits its own (pessimistic) count is never refused.
RERANK_MODELS = {"@cf/baai/bge-reranker-base": 512}
# Llama Guard: a text is unsafe when it holds one of its categories' phrases (computed, so
# tests can tell what a real classifier would plausibly refuse from what it would let pass).
GUARD_MODELS = {"@cf/meta/llama-guard-3-8b": 131_072}
GUARD_TEMPLATE_TOKENS = 200  # Meta's category template, added to every check
HAZARDS = {
    "S1": ("kill my", "kill someone", "poison someone", "gas my", "threatening"),
    "S2": ("working malware", "ransomware program", "write a keylogger", "code for a trojan",
           "ddos script", "steal passwords", "steal credit card", "launder money",
           "counterfeit 100", "phishing email", "hack into", "break into my", "cook meth",
           "synthesize fentanyl"),
    "S4": ("14 year old",),
    "S7": ("home addresses",),
    "S9": ("pipe bomb", "explosive device", "sarin", "untraceable gun"),
    "S11": ("kill myself",),
}
OPENAI_TEXT_MODELS = {"llama3.1": 8_192}
OPENAI_EMBED_MODELS = {"nomic-embed-text": 768}
# The stand-in's own copy of the price table (neurons per M tokens in/out), kept apart from the
# client's so the tests compare two independent sources.
NEURONS_PER_M = {
    "@cf/meta/llama-3.1-8b-instruct": (25_608, 75_147),
    "@cf/meta/llama-3.2-1b-instruct": (2_457, 18_252),
    "@cf/meta/llama-3.1-8b-instruct-fp8": (13_778, 26_128),
    "@cf/meta/llama-3.1-8b-instruct-awq": (11_161, 24_215),
    "@cf/meta/llama-guard-3-8b": (44_003, 2_730),
    "@cf/baai/bge-base-en-v1.5": (6_058, 0),
    "@cf/baai/bge-small-en-v1.5": (1_841, 0),
    "@cf/baai/bge-large-en-v1.5": (18_582, 0),
}
PADDING = "abcdefghijklmnopqrstuvwxyz0123456789"
# AI Gateway caches a request with `cf-aig-cache-key` for this long even when caching is off
# for the gateway and no `cf-aig-cache-ttl` came with it (contract, "AI Gateway")
KEYED_CACHE_SECONDS = 300
MAX_CONTENT_CHARS = 131_072  # a prompt, or one message's content (the models' input schema)
NOT_FOUND_ANSWER = "I could not find this in the documents."
# a model's terminal escapes (colours, a window title): as tokens, one sequence is cut in two
ESCAPED_ANSWER = "Tomatoes need \x1b[1mfull sun\x1b[0m \x1b]0;TITLE\x07 all day [1]."
STOPWORDS = {"the", "and", "for", "what", "which", "does", "how", "that", "this", "with", "from",
             "are", "was", "were", "is", "of", "to", "in", "a", "an", "it", "on", "by", "be"}


class StreamCut(Exception):
    """Raised inside a streaming body: uvicorn then drops the connection mid-response."""


# --- fault switches -------------------------------------------------------------------------


@dataclass
class Fault:
    """An error response for matching requests, `times` times (None: until reset)."""

    status: int
    code: int | None
    message: str
    times: int | None
    model: str | None
    route: str | None
    retry_after: str | None
    retry_after_ms: str | None


@dataclass
class StreamFault:
    kind: str  # "cut" | "error_event" | "malformed" | "slow_body"
    after_tokens: int
    times: int | None
    model: str | None
    code: int | None = None
    message: str = ""
    seconds: float = 0.0
    text: str | None = None  # error_event: a plain-text `event: error` instead of v4 JSON


@dataclass
class LoggedRequest:
    method: str
    path: str
    route: str
    model: str | None
    headers: dict[str, str]
    body: Any
    received_at: float
    generation: int = 0  # the test it belongs to (see StandIn.reset)
    status: int | None = None
    cache_status: str | None = None
    client_port: int | None = None  # one port for calls that share a kept-alive connection

    @property
    def batch_size(self) -> int | None:
        if not isinstance(self.body, dict):
            return None
        items = self.body.get("text", self.body.get("input", self.body.get("contexts")))
        if isinstance(items, list):
            return len(items)
        return 1 if isinstance(items, str) else None


@dataclass
class CacheEntry:
    body: bytes
    media_type: str
    headers: dict[str, str]
    expires: float


@dataclass
class StandIn:
    """State and switches of the stand-in; `app` is the ASGI app, `url` is set when served."""

    url: str = ""
    latency: float = 0.0
    model_latency: dict[str, float] = field(default_factory=dict)  # seconds, per model
    token_gap: float = 0.0  # seconds between a stream's events: each reaches the client alone
    answer_styles: dict[str | None, str] = field(default_factory=dict)  # see `answer_as`
    neurons_mode: str = "header"  # "header" | "usage" | "both" | "none"
    neurons_factor: float = 1.0  # the reported figure vs the docs arithmetic
    run_stream_style: str = "response"  # "response" | "choices" | "both"
    embedding_dimension: int | None = None  # force a wrong dimension
    # a JSON literal sent as the first vector's first component ("null", "1e39"), the rest
    # of the response as usual
    first_component: str | None = None
    shuffle_openai_embeddings: bool = False
    ignore_stream: bool = False  # answer `stream: true` with plain JSON (UNCONFIRMED case)
    gateway_token: str | None = None  # authenticated gateway when set
    openai_key: str | None = None  # /v1 requires this key when set
    # Llama Guard's result form: "auto" (the object when response_format asks for JSON, else
    # text), "json" ({"safe", "categories"}), "text" ("safe" / "unsafe\nS2"), and replies a
    # model may give instead: "line" ("unsafe S2" on one line), "json-text" (the object as a
    # string) and "garbled" (neither form)
    guard_form: str = "auto"
    context_windows: dict[str, int] = field(default_factory=lambda: dict(TEXT_MODELS))
    requests: list[LoggedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    stream_faults: list[StreamFault] = field(default_factory=list)
    slow_first: list[list[float]] = field(default_factory=list)  # [[seconds, times]]
    cache: dict[str, CacheEntry] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0
    hold: threading.Event | None = None
    hold_state: str = ""  # "", "holding", "released", "timed out"
    # hold each request until this many have been in flight together (or 5 s), so a test
    # of the client's concurrency does not depend on how fast this machine prepares them
    gather: int = 0
    generation: int = 0  # bumped by reset(); sleeps of an older test end early
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[
            Route("/v1/chat/completions", self._openai_chat, methods=["POST"]),
            Route("/v1/embeddings", self._openai_embeddings, methods=["POST"]),
            Route("/client/v4/accounts/{acct}/ai/run/{model:path}", self._run, methods=["POST"]),
            Route("/client/v4/accounts/{acct}/ai/v1/chat/completions", self._cf_openai_chat,
                  methods=["POST"]),
            Route("/client/v4/accounts/{acct}/ai/v1/embeddings", self._cf_openai_embeddings,
                  methods=["POST"]),
            Route("/v1/{acct}/{gw}/workers-ai/{model:path}", self._gateway, methods=["POST"]),
            Route("/_standin/stats", self._stats, methods=["GET"]),
            Route("/_standin/reset", self._reset_route, methods=["POST"]),
        ])

    # -- switches

    def reset(self) -> None:
        with self._lock:
            fresh = StandIn(url=self.url)
            for name in ("latency", "neurons_mode", "neurons_factor", "run_stream_style",
                         "model_latency", "answer_styles", "embedding_dimension", "first_component",
                         "shuffle_openai_embeddings", "ignore_stream", "gateway_token",
                         "openai_key", "guard_form", "context_windows", "hold", "hold_state",
                         "gather", "token_gap"):
                setattr(self, name, getattr(fresh, name))
            self.requests.clear()
            self.faults.clear()
            self.stream_faults.clear()
            self.slow_first.clear()
            self.cache.clear()
            self.max_in_flight = self.in_flight
            self.generation += 1

    def fail(self, status: int, code: int | None = None, *, message: str | None = None,
             times: int | None = 1, model: str | None = None, route: str | None = None,
             retry_after: str | None = None, retry_after_ms: str | None = None) -> None:
        """Answer matching requests with an error (route: run, gateway, ai-v1, openai)."""
        self.faults.append(Fault(status, code, message or _default_message(status, code), times,
                                 model, route, retry_after, retry_after_ms))

    def answer_as(self, style: str, model: str | None = None) -> None:
        """Make `model`'s answers (every model's when None) weak or contrary, still computed
        from the prompt: "refuse" says the documents do not answer; "uncited" quotes the best
        sentence without a citation; "contrary" quotes the worst-matching passage instead;
        "escapes" is ESCAPED_ANSWER, whatever was asked."""
        assert style in ("refuse", "uncited", "contrary", "escapes")
        self.answer_styles[model] = style

    def _answer(self, messages: list[dict[str, Any]], model: str | None) -> list[str]:
        system = next((str(m.get("content", "")) for m in messages if m.get("role") == "system"),
                      "")
        if "'Keywords: '" in system:  # asked to describe a document (ingest's enrichment)
            return describe_tokens(messages)
        style = self.answer_styles.get(model, self.answer_styles.get(None, "best"))
        return answer_tokens(messages, style)

    def slow_first_byte(self, seconds: float, times: int = 1) -> None:
        """Delay the response headers themselves (the client sees a read timeout)."""
        self.slow_first.append([seconds, times])

    def slow_stream_start(self, seconds: float, times: int = 1, model: str | None = None) -> None:
        """Send 200 and headers at once, then wait before the first event."""
        self.stream_faults.append(StreamFault("slow_body", 0, times, model, seconds=seconds))

    def cut_stream(self, after_tokens: int, times: int | None = 1,
                   model: str | None = None) -> None:
        """Drop the connection after `after_tokens` tokens (0: before any token)."""
        self.stream_faults.append(StreamFault("cut", after_tokens, times, model))

    def error_event(self, after_tokens: int, code: int = 3040, message: str = "Capacity "
                    "temporarily exceeded, please try again.", times: int = 1,
                    model: str | None = None, text: str | None = None) -> None:
        """Send an error as an SSE event mid-stream (format UNCONFIRMED; v4-style errors, or
        with `text` an `event: error` whose data is that plain text)."""
        self.stream_faults.append(StreamFault("error_event", after_tokens, times, model, code,
                                              message, text=text))

    def malformed_events(self, times: int = 1, model: str | None = None) -> None:
        """Insert unparsable events into the next stream(s)."""
        self.stream_faults.append(StreamFault("malformed", 0, times, model))

    def hold_after_first_token(self) -> threading.Event:
        """The next stream sends one token, then waits until the returned event is set."""
        self.hold = threading.Event()
        return self.hold

    def requests_to(self, route: str) -> list[LoggedRequest]:
        return [r for r in self.requests if r.route == route]

    # -- control over HTTP, for a stand-in running in another process (the benchmark)

    async def _stats(self, request: Request) -> Response:
        return JSONResponse({"requests": len(self.requests), "max_in_flight": self.max_in_flight,
                             "batch_sizes": [r.batch_size for r in self.requests],
                             "statuses": [r.status for r in self.requests]})

    async def _reset_route(self, request: Request) -> Response:
        options = json.loads(await request.body() or b"{}")
        self.reset()
        self.latency = float(options.get("latency", 0.0))
        return JSONResponse({"ok": True})

    # -- plumbing

    async def _nap(self, seconds: float) -> None:
        """Sleep, but stop as soon as the test that asked for it has been reset."""
        generation, until = self.generation, time.monotonic() + seconds
        while time.monotonic() < until and generation == self.generation:
            await asyncio.sleep(min(0.05, max(until - time.monotonic(), 0)))

    async def _gathered(self, count: int, timeout: float = 5.0) -> None:
        generation, until = self.generation, time.monotonic() + timeout
        while (self.max_in_flight < count and time.monotonic() < until
               and generation == self.generation):
            await asyncio.sleep(0.02)

    def _take(self, items: list[Any], match: Any) -> Any:
        with self._lock:
            for item in items:
                if match(item):
                    if item.times is not None:
                        item.times -= 1
                        if item.times <= 0:
                            items.remove(item)
                    return item
        return None

    def _fault_for(self, entry: LoggedRequest, route: str, model: str | None) -> Fault | None:
        if entry.generation != self.generation:  # a late request of an earlier test
            return None
        return self._take(self.faults, lambda f: (f.model in (None, model))
                          and (f.route in (None, route)))

    def _stream_fault_for(self, model: str | None) -> StreamFault | None:
        return self._take(self.stream_faults, lambda f: f.model in (None, model))

    async def _begin(self, request: Request, route: str, model: str | None) -> LoggedRequest:
        raw = await request.body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        entry = LoggedRequest(request.method, request.url.path, route, model,
                              {k.lower(): v for k, v in request.headers.items()}, body,
                              time.monotonic(), self.generation,
                              client_port=request.client.port if request.client else None)
        with self._lock:
            self.requests.append(entry)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if model is None and isinstance(body, dict) and isinstance(body.get("model"), str):
            model = body["model"]
        try:
            if self.gather:
                await self._gathered(self.gather)
            if self.latency:
                await self._nap(self.latency)
            if self.model_latency.get(model or ""):
                await self._nap(self.model_latency[model or ""])
            with self._lock:
                slow = next((s for s in self.slow_first if s[1] > 0), None)
                if slow:
                    slow[1] -= 1
            if slow:
                await self._nap(slow[0])
        finally:
            with self._lock:
                self.in_flight -= 1
        return entry

    def _done(self, entry: LoggedRequest, response: Response) -> Response:
        entry.status = response.status_code
        entry.cache_status = response.headers.get("cf-aig-cache-status")
        return response

    # -- native Workers AI and the gateway

    async def _run(self, request: Request) -> Response:
        model = request.path_params["model"]
        entry = await self._begin(request, "run", model)
        response = self._workers_checks(request, entry, "run", model)
        if response is None:
            response = self._workers_model(entry, model)
        response.headers["cf-ai-req-id"] = str(uuid.uuid4())
        return self._done(entry, response)

    async def _gateway(self, request: Request) -> Response:
        model = request.path_params["model"].removeprefix("run/")
        entry = await self._begin(request, "gateway", model)
        log_id = self._log_id()
        if request.path_params["gw"] != GATEWAY or request.path_params["acct"] != ACCOUNT:
            response = _v4_error(404, 7003, f"Could not route to {request.url.path}, perhaps "
                                 "your object identifier is invalid?", result_null=True)
        elif self.gateway_token and request.headers.get("cf-aig-authorization") != (
                f"Bearer {self.gateway_token}"):
            response = JSONResponse({"success": False, "result": [], "messages": [],
                                     "error": [{"code": 2009, "message": "Unauthorized"}]},
                                    status_code=401)
        else:
            response = self._cached_or_fresh(request, entry, model)
        response.headers["cf-aig-log-id"] = log_id
        response.headers.setdefault("cf-aig-cache-status", "MISS")
        return self._done(entry, response)

    def _cached_or_fresh(self, request: Request, entry: LoggedRequest, model: str) -> Response:
        skip = request.headers.get("cf-aig-skip-cache", "").lower() == "true"
        ttl_header = request.headers.get("cf-aig-cache-ttl")
        custom = request.headers.get("cf-aig-cache-key")  # replaces the body as the key
        key = hashlib.sha256(json.dumps([model, custom or entry.body, request.headers.get(
            "authorization")], sort_keys=True).encode()).hexdigest()
        cached = None if skip else self.cache.get(key)
        if cached and cached.expires > time.monotonic():
            response = Response(cached.body, media_type=cached.media_type,
                                headers=dict(cached.headers))
            response.headers["cf-aig-cache-status"] = "HIT"
            return response
        response = self._workers_checks(request, entry, "gateway", model)
        if response is None:
            store = None
            ttl = _cache_seconds(ttl_header, custom)
            if ttl and not skip:
                def store(body: bytes, media: str, headers: dict[str, str]) -> None:
                    self.cache[key] = CacheEntry(body, media, headers, time.monotonic() + ttl)
            response = self._workers_model(entry, model, store)
        response.headers["cf-aig-cache-status"] = "MISS"
        return response

    def _workers_checks(self, request: Request, entry: LoggedRequest, route: str,
                        model: str) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _v4_error(401, 10000, "Authentication error", result_null=True)
        acct = request.path_params.get("acct")
        if acct != ACCOUNT:
            return _v4_error(404, 7003, f"Could not route to {request.url.path}, perhaps your "
                             "object identifier is invalid?", result_null=True)
        fault = self._fault_for(entry, route, model)
        if fault:
            return _fault_response(fault, style="v4")
        return None

    def _workers_model(self, entry: LoggedRequest, model: str, store: Any = None) -> Response:
        body = entry.body
        if model in EMBED_MODELS:
            return self._workers_embed(body, model)
        if model in self.context_windows:
            return self._workers_chat(body, model, store)
        if model in RERANK_MODELS:
            return self._workers_rerank(body, model)
        if model in GUARD_MODELS:
            return self._workers_guard(body, model)
        return _v4_error(400, 5007, f"AiError: No such model {model} or task")

    def _workers_embed(self, body: Any, model: str) -> Response:
        problem = _embedding_problem(body)
        if problem:
            return _v4_error(400, 5006, f"AiError: Bad input: Error: {problem}")
        texts = [body["text"]] if isinstance(body["text"], str) else body["text"]
        pooling = body.get("pooling", "mean")
        dim = self.embedding_dimension or EMBED_MODELS[model]
        tokens = sum(_approx_tokens(text) for text in texts)
        result = {"shape": [len(texts), dim], "data": "@DATA@", "pooling": pooling}
        data = vectors_json(texts, dim, pooling)
        if self.first_component is not None:
            data = "[[" + self.first_component + data[data.index(","):]
        payload = json.dumps(_v4_ok(result)).replace('"@DATA@"', data)
        headers = self._neuron_headers(model, tokens, 0)
        return Response(payload, media_type="application/json", headers=headers)

    def _workers_rerank(self, body: Any, model: str) -> Response:
        """Rank contexts by the share of the query's words (not stopwords) they contain.

        A pair over the model's limit is refused (400/5006). What the real model does with
        one is UNCONFIRMED; refusing makes tests prove the client trims. Usage is reported
        only in the "usage"/"both" neurons modes, without neurons (no published price).
        """
        problem = _rerank_problem(body, RERANK_MODELS[model])
        if problem:
            return _v4_error(400, 5006, f"AiError: Bad input: Error: {problem}")
        wanted = set(_words(body["query"])) - STOPWORDS
        scores = [len(wanted & set(_words(c["text"]))) / max(len(wanted), 1)
                  for c in body["contexts"]]
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        top_k = body.get("top_k", len(order))
        result: dict[str, Any] = {"response": [{"id": i, "score": scores[i]}
                                               for i in order[:top_k]]}
        if self.neurons_mode in ("usage", "both"):
            tokens = sum(len(_words(body["query"])) + len(_words(c["text"]))
                         for c in body["contexts"])
            result["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
        return JSONResponse(_v4_ok(result))

    def _workers_guard(self, body: Any, model: str) -> Response:
        """Classify the last turn (the question, or the answer after it) by `HAZARDS`."""
        problem = _guard_problem(body)
        if problem:
            return _v4_error(400, 5006, f"AiError: Bad input: Error: {problem}")
        text = " ".join(_words(body["messages"][-1]["content"]))
        codes = [code for code, phrases in HAZARDS.items()
                 if any(phrase in text for phrase in phrases)]
        wanted = (body.get("response_format") or {}).get("type") == "json_object"
        form = ("json" if wanted else "text") if self.guard_form == "auto" else self.guard_form
        response = _guard_reply(form, codes)
        tokens_in = GUARD_TEMPLATE_TOKENS + sum(_approx_tokens(m["content"]) + 4
                                                for m in body["messages"])
        tokens_out = 2 + len(codes)
        usage = {"prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                 "total_tokens": tokens_in + tokens_out}
        if self.neurons_mode in ("usage", "both"):
            usage["neurons"] = self._neurons(model, tokens_in, tokens_out)
        return JSONResponse(_v4_ok({"response": response, "usage": usage}),
                            headers=self._neuron_headers(model, tokens_in, tokens_out))

    def _workers_chat(self, body: Any, model: str, store: Any) -> Response:
        problem = _chat_problem(body)
        if problem:
            return _v4_error(400, 5006, f"AiError: Bad input: Error: {problem}")
        messages = body.get("messages") or [{"role": "user", "content": body["prompt"]}]
        max_tokens = int(body.get("max_tokens", 256))
        prompt_tokens = sum(_approx_tokens(m["content"]) + 4 for m in messages)
        window = self.context_windows[model]
        if prompt_tokens + max_tokens > window:
            return _v4_error(413, 5021, "AiError: The estimated number of input and maximum "
                             f"output tokens ({prompt_tokens + max_tokens}) exceeded this model "
                             f"context window limit ({window}).")
        tokens = self._answer(messages, model)[:max_tokens]
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(tokens),
                 "total_tokens": prompt_tokens + len(tokens)}
        neurons = self._neurons(model, prompt_tokens, len(tokens))
        if self.neurons_mode in ("usage", "both"):
            usage["neurons"] = neurons
        headers = self._neuron_headers(model, prompt_tokens, len(tokens))
        if not body.get("stream") or self.ignore_stream:
            result = {"response": "".join(tokens), "tool_calls": [], "usage": usage}
            payload = json.dumps(_v4_ok(result)).encode()
            if store:
                store(payload, "application/json", headers)
            return Response(payload, media_type="application/json", headers=headers)
        events = [self._run_event(tok, n) for n, tok in enumerate(tokens)]
        events.append({"response": "", "usage": usage})
        return self._sse(events, model, headers, store, len(tokens))

    def _run_event(self, token: str, n: int) -> dict[str, Any]:
        pad = PADDING[: (n * 7) % len(PADDING)]
        choices = [{"index": 0, "delta": {"content": token}, "finish_reason": None}]
        event: dict[str, Any]
        if self.run_stream_style == "choices":
            event = {"choices": choices}
        elif self.run_stream_style == "both":
            event = {"response": token, "choices": choices}
        else:
            event = {"response": token}
        if n % 5 != 4:  # padding is sometimes absent
            event["p"] = pad
        return event

    # -- streaming

    def _sse(self, events: list[dict[str, Any]], model: str, headers: dict[str, str],
             store: Any, n_tokens: int) -> Response:
        fault = self._stream_fault_for(model)
        hold = self.hold
        self.hold = None

        async def body() -> AsyncIterator[bytes]:
            sent: list[bytes] = []
            if fault and fault.kind == "slow_body":
                await self._nap(fault.seconds)
            if fault and fault.kind == "malformed":
                for bad in (b'data: {"response": "broken\n\n', b"data: not json at all\n\n",
                            b"data: [1, 2]\n\n"):
                    yield bad
            for n, event in enumerate(events):
                if fault and n == fault.after_tokens and n < n_tokens:
                    if fault.kind == "cut":
                        raise StreamCut(f"stand-in cut the stream after {n} tokens")
                    if fault.kind == "error_event":
                        yield _error_event(fault)
                        return
                chunk = f"data: {json.dumps(event)}\n\n".encode()
                sent.append(chunk)
                if n == 0 and hold is not None:
                    self.hold_state = "holding"  # set before the client can see the token
                yield chunk
                if self.token_gap:
                    await self._nap(self.token_gap)
                if n == 0 and hold is not None:
                    deadline = time.monotonic() + 5
                    while not hold.is_set() and time.monotonic() < deadline:
                        await asyncio.sleep(0.005)
                    self.hold_state = "released" if hold.is_set() else "timed out"
            done = b"data: [DONE]\n\n"
            sent.append(done)
            yield done
            if store:
                store(b"".join(sent), "text/event-stream", headers)

        return StreamingResponse(body(), media_type="text/event-stream", headers=headers)

    # -- OpenAI-compatible endpoints

    async def _openai_chat(self, request: Request) -> Response:
        return await self._chat_completions(request, "openai", workers=False)

    async def _cf_openai_chat(self, request: Request) -> Response:
        return await self._chat_completions(request, "ai-v1", workers=True)

    async def _openai_embeddings(self, request: Request) -> Response:
        return await self._embeddings(request, "openai", workers=False)

    async def _cf_openai_embeddings(self, request: Request) -> Response:
        return await self._embeddings(request, "ai-v1", workers=True)

    def _openai_auth(self, request: Request, workers: bool) -> Response | None:
        auth = request.headers.get("authorization")
        if workers:
            if auth != f"Bearer {TOKEN}":
                return _v4_error(401, 10000, "Authentication error", result_null=True)
            if request.path_params.get("acct") != ACCOUNT:
                return _v4_error(404, 7003, "Could not route, perhaps your object identifier "
                                 "is invalid?", result_null=True)
        elif self.openai_key and auth != f"Bearer {self.openai_key}":
            return _openai_error(401, "Incorrect API key provided.", "invalid_api_key")
        return None

    async def _chat_completions(self, request: Request, route: str, workers: bool) -> Response:
        entry = await self._begin(request, route, None)
        body = entry.body if isinstance(entry.body, dict) else {}
        model = body.get("model")
        entry.model = model
        windows = self.context_windows if workers else OPENAI_TEXT_MODELS
        rejected = self._openai_auth(request, workers)
        fault = None if rejected else self._fault_for(entry, route, model)
        if rejected:
            response = rejected
        elif fault:
            response = _fault_response(fault, style="openai")
        elif model not in windows:
            response = _openai_error(404, f'model "{model}" not found, try pulling it first',
                                     "model_not_found")
        elif not isinstance(body.get("messages"), list) or not body["messages"]:
            response = _openai_error(400, "AiError: Bad input: messages is required", None)
        else:
            response = self._openai_answer(body, model, workers)
        return self._done(entry, response)

    def _openai_answer(self, body: dict[str, Any], model: str, workers: bool) -> Response:
        messages = body["messages"]
        prompt_tokens = sum(_approx_tokens(str(m.get("content", ""))) + 4 for m in messages)
        tokens = self._answer(messages, model)[: int(body.get("max_tokens") or 256)]
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(tokens),
                 "total_tokens": prompt_tokens + len(tokens)}
        headers = self._neuron_headers(model, prompt_tokens, len(tokens)) if workers else {}
        base = {"id": f"chatcmpl-{next(self._ids)}", "created": int(time.time()), "model": model}
        if not body.get("stream"):
            return JSONResponse({**base, "object": "chat.completion", "usage": usage, "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "".join(tokens)},
                 "finish_reason": "stop"}]}, headers=headers)
        events: list[dict[str, Any]] = []
        for n, tok in enumerate(tokens):
            event = {**base, "object": "chat.completion.chunk", "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": tok},
                 "finish_reason": None}]}
            if workers:
                event["p"] = PADDING[: (n * 5) % len(PADDING)]
            events.append(event)
        events.append({**base, "object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**base, "object": "chat.completion.chunk", "choices": [],
                           "usage": usage})
        if workers:
            events.append({"response": "", "usage": usage})
        return self._sse(events, model, headers, None, len(tokens))

    async def _embeddings(self, request: Request, route: str, workers: bool) -> Response:
        entry = await self._begin(request, route, None)
        body = entry.body if isinstance(entry.body, dict) else {}
        model = body.get("model")
        entry.model = model
        dims = EMBED_MODELS if workers else OPENAI_EMBED_MODELS
        rejected = self._openai_auth(request, workers)
        fault = None if rejected else self._fault_for(entry, route, model)
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else inputs
        if rejected:
            response = rejected
        elif fault:
            response = _fault_response(fault, style="openai")
        elif model not in dims:
            response = _openai_error(404, f'model "{model}" not found, try pulling it first',
                                     "model_not_found")
        elif not isinstance(texts, list) or not texts or not all(
                isinstance(t, str) and t for t in texts):
            response = _openai_error(400, "input must be a non-empty string or list", None)
        else:
            dim = self.embedding_dimension or dims[model]
            rows = [{"object": "embedding", "index": i, "embedding": embed_text(t, dim, "mean")}
                    for i, t in enumerate(texts)]
            if self.shuffle_openai_embeddings:
                rows.reverse()
            tokens = sum(_approx_tokens(t) for t in texts)
            response = JSONResponse({"object": "list", "data": rows, "model": model,
                                     "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
        return self._done(entry, response)

    # -- numbers

    def _neurons(self, model: str, tokens_in: int, tokens_out: int) -> float:
        rate_in, rate_out = NEURONS_PER_M.get(model, (0, 0))
        return (tokens_in * rate_in + tokens_out * rate_out) / 1e6 * self.neurons_factor

    def _neuron_headers(self, model: str, tokens_in: int, tokens_out: int) -> dict[str, str]:
        if self.neurons_mode not in ("header", "both"):
            return {}
        return {"cf-ai-neurons": f"{self._neurons(model, tokens_in, tokens_out):.6f}"}

    def _log_id(self) -> str:
        alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
        seed = int(time.time() * 1000) << 20 | next(self._ids)
        return "".join(alphabet[(seed >> (5 * i)) & 31] for i in range(26))[::-1]


# --- content --------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _approx_tokens(text: str) -> int:
    """Roughly what a Llama tokenizer would count for English: ~4 characters a token."""
    return max(1, math.ceil(len(text) / 4))


@dataclass(frozen=True)
class _Passage:
    number: int
    text: str


PASSAGE = re.compile(r'^<passage n="(\d+)"[^\n]*>\n(.*?)\n</passage>$', re.S | re.M)


def answer_tokens(messages: list[dict[str, Any]], style: str = "best") -> list[str]:
    """Quote the best-matching sentence of the best-matching passage, cite it, split into tokens
    (for the other styles, see `StandIn.answer_as`)."""
    user = next((str(m.get("content", "")) for m in reversed(messages)
                 if m.get("role") == "user"), "")
    question = user.rsplit("Question:", 1)[-1]
    passages = [_Passage(int(n), text.strip()) for n, text in PASSAGE.findall(user)]
    wanted = {w for w in _words(question) if w not in STOPWORDS and len(w) > 2}
    best, best_overlap = None, 0
    for passage in passages:
        overlap = len(wanted & set(_words(passage.text)))
        if overlap > best_overlap:
            best, best_overlap = passage, overlap
    if style == "contrary" and len(passages) > 1:  # the passage sharing fewest words
        best = min(reversed(passages), key=lambda p: len(wanted & set(_words(p.text))))
    if style == "escapes":
        text = ESCAPED_ANSWER
    elif best is None or style == "refuse":
        text = NOT_FOUND_ANSWER
    else:
        sentences = re.split(r"(?<=[.!?])\s+", best.text)
        sentence = max(sentences, key=lambda s: len(wanted & set(_words(s)))).strip()
        cite = "" if style == "uncited" else f" [{best.number}]"
        text = f'According to the documents, "{sentence}"{cite}'
    return re.findall(r"\s*\S+", text)


def describe_tokens(messages: list[dict[str, Any]]) -> list[str]:
    """A document's description: its first sentence as the summary, and its most frequent
    words (not stopwords, longer than three letters) as keywords."""
    text = next((str(m.get("content", "")) for m in reversed(messages)
                 if m.get("role") == "user"), "")
    body = text.split("\n\n", 1)[-1]
    first = re.split(r"(?<=[.!?])\s+", " ".join(body.split()))[0]
    counts: dict[str, int] = {}
    for word in _words(body):
        if word not in STOPWORDS and len(word) > 3:
            counts[word] = counts.get(word, 0) + 1
    keywords = sorted(counts, key=lambda w: (-counts[w], w))[:6]
    return re.findall(r"\s*\S+", f"Summary: {first}\nKeywords: {', '.join(keywords)}")


@lru_cache(maxsize=65536)
def _slot(word: str, dim: int) -> tuple[int, float]:
    value = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
    return value % dim, (1.0 if value >> 63 else -1.0)


def sparse_embedding(text: str, dim: int, pooling: str = "mean") -> dict[int, float]:
    """A hashed bag of words, L2-normalised, as {index: value}: texts sharing words are close."""
    vector: dict[int, float] = {}
    for word in _words(text) or [text]:
        index, sign = _slot(word, dim)
        if pooling == "mean":  # cls and mean vectors must not be comparable
            index = (index + 1) % dim
        vector[index] = vector.get(index, 0.0) + sign
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {i: round(v / norm, 6) for i, v in vector.items() if v}


def embed_text(text: str, dim: int, pooling: str = "mean") -> list[float]:
    """The dense vector of `sparse_embedding` (what the client should get back)."""
    dense = [0.0] * dim
    for index, value in sparse_embedding(text, dim, pooling).items():
        dense[index] = value
    return dense


def vectors_json(texts: list[str], dim: int, pooling: str) -> str:
    """JSON rows without json.dumps on every zero: keeps the stand-in's event loop free."""
    rows = []
    for text in texts:
        parts = ["0.0"] * dim
        for index, value in sparse_embedding(text, dim, pooling).items():
            parts[index] = repr(value)
        rows.append("[" + ",".join(parts) + "]")
    return "[" + ",".join(rows) + "]"


# --- validation and envelopes ---------------------------------------------------------------


def _embedding_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or "text" not in body:
        return "oneOf at '/' not met: required properties at '/' are 'text'"
    text = body["text"]
    if isinstance(text, str):
        return None if text else "/text: must NOT have fewer than 1 characters"
    if not isinstance(text, list) or not text:
        return "/text: must be string or array"
    if len(text) > 100:
        return "/text: must NOT have more than 100 items"
    if not all(isinstance(t, str) and t for t in text):
        return "/text: items must be non-empty strings"
    if body.get("pooling", "mean") not in ("mean", "cls"):
        return "/pooling: must be equal to one of the allowed values"
    return None


def _rerank_problem(body: Any, limit: int) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"]:
        return "required properties at '/' are 'query' (non-empty string) and 'contexts'"
    contexts = body.get("contexts")
    if not isinstance(contexts, list) or not contexts or not all(
            isinstance(c, dict) and isinstance(c.get("text"), str) and c["text"]
            for c in contexts):
        return "/contexts: must be a non-empty array of {text: non-empty string}"
    top_k = body.get("top_k", 1)
    if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
        return "/top_k: must be a positive integer"
    query_words = len(_words(body["query"]))
    for i, c in enumerate(contexts):
        if query_words + len(_words(c["text"])) > limit:
            return f"/contexts/{i}: query and context exceed {limit} tokens"
    return None


def _chat_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body must be an object"
    has_prompt, has_messages = "prompt" in body, "messages" in body
    if has_prompt == has_messages:
        return "oneOf at '/' not met, exactly one of 'prompt' or 'messages' is required"
    if has_messages:
        messages = body["messages"]
        if not isinstance(messages, list) or not messages or not all(
                isinstance(m, dict) and isinstance(m.get("role"), str)
                and isinstance(m.get("content"), str) for m in messages):
            return "/messages: each item needs role and content strings"
        for n, message in enumerate(messages):
            if len(message["content"]) > MAX_CONTENT_CHARS:
                return (f"/messages/{n}/content: must NOT have more than {MAX_CONTENT_CHARS} "
                        "characters")
    elif not isinstance(body["prompt"], str) or not body["prompt"]:
        return "/prompt: must NOT have fewer than 1 characters"
    elif len(body["prompt"]) > MAX_CONTENT_CHARS:
        return f"/prompt: must NOT have more than {MAX_CONTENT_CHARS} characters"
    if "max_tokens" in body and not (isinstance(body["max_tokens"], int)
                                     and body["max_tokens"] > 0):
        return "/max_tokens: must be a positive integer"
    temperature = body.get("temperature", 0.6)
    if not isinstance(temperature, (int, float)) or not 0 <= temperature <= 5:
        return "/temperature: must be between 0 and 5"
    return None


def _guard_problem(body: Any) -> str | None:
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not messages or not all(
            isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages):
        return "/messages: a non-empty array of {role, content} is required"
    roles = [m.get("role") for m in messages]
    if roles != ["user", "assistant", "user", "assistant"][:len(roles)]:
        return "/messages: roles must alternate user, assistant, starting with user"
    return None


def _error_event(fault: StreamFault) -> bytes:
    if fault.text is not None:
        return f"event: error\ndata: {fault.text}\n\n".encode()
    err = {"errors": [{"code": fault.code, "message": fault.message}], "success": False}
    return f"data: {json.dumps(err)}\n\n".encode()


def _cache_seconds(ttl_header: str | None, custom_key: str | None) -> int | None:
    """How long the gateway keeps a response: the TTL asked for (at least a minute), else a
    keyed request's default; None when it is not cached (the gateway's own caching is off)."""
    if ttl_header:
        return max(60, int(ttl_header))
    return KEYED_CACHE_SECONDS if custom_key else None


def _guard_reply(form: str, codes: list[str]) -> Any:
    """Llama Guard's `response` in one of the forms of `StandIn.guard_form`."""
    verdict = {"safe": not codes, "categories": codes}
    return {
        "json": verdict,
        "json-text": json.dumps(verdict),
        "text": "\n\nunsafe\n" + ",".join(codes) if codes else "\n\nsafe",
        "line": "unsafe " + ",".join(codes) if codes else "safe",
        "garbled": "I cannot classify this conversation.",
    }[form]


def _v4_ok(result: Any) -> dict[str, Any]:
    return {"result": result, "success": True, "errors": [], "messages": []}


def _v4_error(status: int, code: int | None, message: str, *, result_null: bool = False,
              headers: dict[str, str] | None = None) -> JSONResponse:
    error: dict[str, Any] = {"message": message}
    if code is not None:
        error["code"] = code
    body = {"errors": [error], "success": False, "result": None if result_null else {},
            "messages": []}
    return JSONResponse(body, status_code=status, headers=headers)


def _openai_error(status: int, message: str, code: str | int | None,
                  headers: dict[str, str] | None = None) -> JSONResponse:
    error: dict[str, Any] = {"message": message, "type": "invalid_request_error"}
    if code is not None:
        error["code"] = code
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _default_message(status: int, code: int | None) -> str:
    return {
        3040: "AiError: 3040: Capacity temporarily exceeded, please try again.",
        4006: "AiError: AiError: you have used up your daily free allocation of 10,000 neurons, "
              "please upgrade to Cloudflare's Workers Paid plan if you would like to continue "
              "usage.",
        3036: "You have used up your daily free allocation of 10,000 neurons.",
        3046: "AiError: Request timeout",
        5007: "AiError: No such model or task",
    }.get(code or 0, {429: "Too many requests", 500: "AiError: Unknown internal error",
                      502: "Bad gateway", 503: "Service unavailable",
                      408: "Request timeout"}.get(status, "error"))


def _fault_response(fault: Fault, style: str) -> JSONResponse:
    headers = {}
    if fault.retry_after is not None:
        headers["retry-after"] = fault.retry_after
    if fault.retry_after_ms is not None:
        headers["retry-after-ms"] = fault.retry_after_ms
    if style == "v4":
        return _v4_error(fault.status, fault.code, fault.message, headers=headers)
    return _openai_error(fault.status, fault.message, fault.code, headers=headers)


# --- serving --------------------------------------------------------------------------------


class ServerThread:
    """Run an ASGI app with uvicorn on 127.0.0.1, port 0, in a daemon thread."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                log_config=None, lifespan="off", access_log=False,
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="standin", daemon=True)
        self.url = ""

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the stand-in server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


@contextmanager
def answering(handler: Any, methods: tuple[str, ...] = ("POST",)) -> Iterator[str]:
    """`handler` answering every path on a server of its own: its URL while the block runs."""
    server = ServerThread(Starlette(routes=[Route("/{path:path}", handler,
                                                  methods=list(methods))]))
    try:
        yield server.start()
    finally:
        server.stop()


def serve() -> tuple[StandIn, ServerThread]:
    """Start a stand-in; the caller stops it with `thread.stop()`."""
    standin = StandIn()
    thread = ServerThread(standin.app)
    standin.url = thread.start()
    return standin, thread


class StandInProcess:
    """The stand-in in a child process (`python -m tests.workers_ai_server`), as a real server
    is for the benchmarks that measure through it; it exits when its stdin closes.

    Usage:
        with StandInProcess() as standin:
            standin.reset(latency=0.2)
            ... standin.url ...
    """

    def __enter__(self) -> StandInProcess:
        root = Path(__file__).resolve().parents[1]
        self.process = subprocess.Popen([sys.executable, "-m", "tests.workers_ai_server"],
                                        cwd=root, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise RuntimeError("the stand-in did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def reset(self, **options: Any) -> None:
        """`StandIn.reset` in the child: faults off, then `options` (e.g. latency=0.2)."""
        import httpx

        httpx.post(f"{self.url}/_standin/reset", json=options).raise_for_status()

    def stats(self) -> dict[str, Any]:
        import httpx

        return httpx.get(f"{self.url}/_standin/stats").json()


def main() -> None:
    """Serve in this process: print the URL, stop when stdin closes (the parent went away).

        python -m tests.workers_ai_server
    """
    standin, thread = serve()
    print(standin.url, flush=True)
    try:
        sys.stdin.read()
    finally:
        thread.stop()


if __name__ == "__main__":
    main()
