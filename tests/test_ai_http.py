"""The HTTP layer against the loopback stand-in: error mapping, retries, deadline, log, secrets."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from rag.errors import PermanentAIError, TransientAIError
from rag.providers.cloudflare.errors import cloudflare_errors
from rag.providers.embedders.workers_ai import WorkersAIEmbedder
from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.openai import OpenAIGenerator
from rag.providers.generators.workers_ai import WorkersAIGenerator
from rag.providers.http.clients import ClientPool
from rag.providers.http.errors import ModelRefusedError, map_status_error
from rag.providers.http.parallel import run_concurrently
from rag.providers.http.retry import RetryPolicy, retry_after_seconds
from rag.types import GenerationRecord
from tests.workers_ai_server import TOKEN, ServerThread

EMBED_MODEL = "@cf/baai/bge-base-en-v1.5"


def ai_calls(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [r.ai_call for r in caplog.records if hasattr(r, "ai_call")]


def embedder(settings, clock=None, **policy) -> WorkersAIEmbedder:
    emb = WorkersAIEmbedder.from_settings(settings)
    if clock is not None:
        policy.update(sleep=clock.sleep, clock=clock.clock)
    if policy:
        emb.http.policy = replace(emb.http.policy, **policy)
    return emb


# --- pure parsing and classification ----------------------------------------------------------


def test_retry_after_forms_and_range():
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "150", "retry-after": "9"}) == 0.15
    assert retry_after_seconds({"retry-after": "60"}) == 60.0
    # the SDK's rule: only 0 < value <= 60 is a wait to honour, and the first header decides
    for unhonoured in ("3600", "60.5", "0", "-5"):
        assert retry_after_seconds({"retry-after": unhonoured}) is None
    assert retry_after_seconds({"retry-after-ms": "0", "retry-after": "5"}) is None
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None
    now = datetime(2026, 1, 1, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=5), usegmt=True)
    assert retry_after_seconds({"retry-after": date}, now=now.timestamp()) == pytest.approx(5.0)


def envelope(code, message):
    return json.dumps({"errors": [{"code": code, "message": message}], "success": False,
                       "result": {}, "messages": []})


@pytest.mark.parametrize(
    ("status", "body", "kind", "hint"),
    [
        (400, envelope(5006, "AiError: Bad input: Error: oneOf at '/' not met"), PermanentAIError,
         "invalid"),
        # refusals of one model only: a fallback model may still answer
        (400, envelope(5007, "AiError: No such model @cf/x or task"), ModelRefusedError,
         "has no model"),
        (404, envelope(3042, "The model name is invalid"), ModelRefusedError, "has no model"),
        (401, envelope(10000, "Authentication error"), PermanentAIError, "CLOUDFLARE_API_TOKEN"),
        (403, envelope(5016, "User has not agreed to Llama3.2 model terms"), ModelRefusedError,
         "licence"),
        (403, envelope(3023, "Service unavailable for account"), PermanentAIError,
         "is blocked from Workers AI, so no model will answer"),
        (413, envelope(5021, "AiError: The estimated number of input and maximum output tokens "
                       "(9000) exceeded this model context window limit (7968)."),
         ModelRefusedError, "RAG_TOP_K"),
        # the same from a model served by vLLM (on Workers AI or an OpenAI-compatible server)
        (400, json.dumps({"object": "error", "message": "This model's maximum context length "
                          "is 8192 tokens. However, you requested 9000 tokens.",
                          "type": "BadRequestError", "code": 400}),
         ModelRefusedError, "RAG_TOP_K"),
        (429, envelope(4006, "AiError: AiError: you have used up your daily free allocation of "
                       "10,000 neurons"), PermanentAIError, "00:00 UTC"),
        (429, envelope(3036, "Account limited"), PermanentAIError, "00:00 UTC"),
        (404, envelope(7003, "Could not route to /client/v4/accounts/x/ai/run/y"),
         PermanentAIError, "Check CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_BASE_URL."),
        (401, json.dumps({"success": False, "result": [], "messages": [],
                          "error": [{"code": 2009, "message": "Unauthorized"}]}),
         PermanentAIError, "CLOUDFLARE_AI_GATEWAY_TOKEN"),
        (429, envelope(3040, "3040: Capacity temporarily exceeded"), TransientAIError,
         "out of capacity"),
        (429, json.dumps({"error": {"message": "Rate limit", "type": "rate_limit_error"}}),
         TransientAIError, "rate limiting"),
        (408, envelope(3046, "AiError: Request timeout"), TransientAIError, "timed out"),
        (500, json.dumps({"errors": [{"message": "AiError: Unknown internal error"}]}),
         TransientAIError, "Unknown internal error"),
        (503, "<html>upstream unavailable</html>", TransientAIError, "upstream unavailable"),
    ],
)
def test_status_and_code_decide_the_error(status, body, kind, hint):
    error = map_status_error(status, body, provider="Workers AI", model="@cf/x",
                             credentials_hint="CLOUDFLARE_API_TOKEN", policy=cloudflare_errors)
    assert type(error) is kind
    assert error.status == status
    assert hint in str(error)
    assert "AiError:" not in str(error)
    assert f"{error.code}: {error.code}" not in str(error)  # the code said once


def test_backoff_doubles_up_to_its_cap_with_jitter_on_top_half():
    policy = RetryPolicy(backoff_base=0.5, backoff_max=4.0, jitter=lambda low, high: high)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    low = RetryPolicy(backoff_base=0.5, backoff_max=4.0, jitter=lambda low, high: low)
    assert [low.backoff(n) for n in range(1, 4)] == [0.25, 0.5, 1.0]


def test_run_concurrently_keeps_order_and_bounds_workers():
    active, peak, lock = [0], [0], threading.Lock()

    def work(n: int) -> int:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.02 * (n % 3))
        with lock:
            active[0] -= 1
        return n * n

    assert run_concurrently(work, list(range(12)), max_workers=3) == [n * n for n in range(12)]
    assert 1 < peak[0] <= 3


def test_client_pool_lends_each_client_to_one_call_and_bounds_them():
    made: list[httpx.Client] = []

    def make() -> httpx.Client:
        made.append(httpx.Client(timeout=httpx.Timeout(5.0, pool=0.2)))
        return made[-1]

    pool = ClientPool(make, size=2)
    try:
        with pool.lease() as first, pool.lease() as second:
            assert first is not second
            started = time.monotonic()
            with pytest.raises(httpx.PoolTimeout), pool.lease():
                pass
            assert 0.15 < time.monotonic() - started < 4
        with pool.lease() as again:  # a returned client is lent again, none made
            assert again in (first, second) and len(made) == 2
    finally:
        pool.close()
    assert all(client.is_closed for client in made)


def test_run_concurrently_raises_the_failure():
    def work(n: int) -> int:
        if n == 5:
            raise PermanentAIError("batch 5 failed")
        return n

    with pytest.raises(PermanentAIError, match="batch 5"):
        run_concurrently(work, list(range(8)), max_workers=4)


# --- retries against the real server ----------------------------------------------------------


def test_transient_errors_are_retried_with_growing_backoff(ai_settings, standin, fake_clock,
                                                           caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    standin.fail(503, times=3)
    emb = embedder(ai_settings, fake_clock, backoff_base=0.1, backoff_max=1.0,
                   jitter=lambda low, high: high)
    vectors = emb.embed_documents(["first text", "second text"])
    assert vectors.shape == (2, 768)
    assert [r.status for r in standin.requests] == [503, 503, 503, 200]
    assert fake_clock.sleeps == pytest.approx([0.1, 0.2, 0.4])
    (call,) = ai_calls(caplog)
    assert call["attempts"] == 4 and call["outcome"] == "ok"


def test_retry_after_is_honoured_in_real_time(ai_settings, standin):
    standin.fail(429, retry_after="0.4")
    emb = embedder(ai_settings)
    emb.embed_documents(["some text"])
    first, second = standin.requests
    assert first.status == 429 and second.status == 200
    assert second.received_at - first.received_at >= 0.38


BACKOFF = 0.1  # the first backoff of `honouring`'s policy, its jitter at the top


def honouring(settings, clock) -> WorkersAIEmbedder:
    return embedder(settings, clock, deadline=1000, backoff_base=BACKOFF, backoff_max=1.0,
                    jitter=lambda low, high: high)


@pytest.mark.parametrize(("headers", "expected"), [
    ({"retry_after_ms": "250"}, 0.25),
    ({"retry_after": "60"}, 60.0),
    ({"retry_after": "0.5"}, 0.5),
])
def test_a_retry_after_within_a_minute_replaces_the_backoff(ai_settings, standin, fake_clock,
                                                            headers, expected):
    standin.fail(429, 3040, **headers)
    honouring(ai_settings, fake_clock).embed_documents(["some text"])
    assert fake_clock.sleeps == [expected]


@pytest.mark.parametrize("headers", [
    {"retry_after": "3600"}, {"retry_after": "61"}, {"retry_after": "0"},
    {"retry_after": "-5"}, {"retry_after_ms": "0", "retry_after": "5"},
    {"retry_after_ms": "90000"},
])
def test_a_retry_after_out_of_range_leaves_the_backoff(ai_settings, standin, fake_clock,
                                                       headers):
    standin.fail(429, 3040, times=2, **headers)
    honouring(ai_settings, fake_clock).embed_documents(["some text"])
    assert fake_clock.sleeps == pytest.approx([BACKOFF, 2 * BACKOFF])
    assert [r.status for r in standin.requests] == [429, 429, 200]


def test_retries_stop_at_the_attempt_limit(ai_settings, standin, fake_clock):
    standin.fail(500, times=None)
    emb = embedder(ai_settings, fake_clock, max_attempts=3)
    with pytest.raises(TransientAIError, match=r"Gave up after 3 attempts in") as info:
        emb.embed_documents(["some text"])
    assert info.value.status == 500
    assert len(standin.requests) == 3
    assert len(fake_clock.sleeps) == 2


def test_retries_stop_at_the_deadline(ai_settings, standin):
    standin.fail(503, times=None)
    # ten attempts without the deadline would back off for at least 3.75 s
    emb = embedder(ai_settings, max_attempts=10, deadline=0.5, backoff_base=0.1, backoff_max=1.0)
    started = time.monotonic()
    with pytest.raises(TransientAIError, match="Gave up"):
        emb.embed_documents(["some text"])
    assert time.monotonic() - started < 2.5
    assert 2 <= len(standin.requests) < 10


def test_retry_after_beyond_the_deadline_is_not_waited_for(ai_settings, standin, fake_clock):
    standin.fail(429, retry_after="30")
    emb = embedder(ai_settings, fake_clock, deadline=5)
    with pytest.raises(TransientAIError, match="rate limiting"):
        emb.embed_documents(["some text"])
    assert fake_clock.sleeps == [] and len(standin.requests) == 1


def test_a_slow_first_byte_times_out_and_is_retried(ai_settings, standin):
    settings = ai_settings.model_copy(update={"ai_read_timeout_seconds": 0.3})
    standin.slow_first_byte(1.5)
    emb = embedder(settings)
    assert emb.embed_documents(["some text"]).shape == (1, 768)
    assert len(standin.requests) == 2


def test_one_attempt_cannot_outlive_the_deadline(ai_settings, standin):
    standin.slow_first_byte(6.0)
    emb = embedder(ai_settings, deadline=0.6)
    started = time.monotonic()
    with pytest.raises(TransientAIError, match="did not answer in time"):
        emb.embed_documents(["some text"])
    assert time.monotonic() - started < 3.0


def test_connection_refused_is_transient_and_names_the_fix(ai_settings, fake_clock):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = ai_settings.model_copy(
        update={"cloudflare_base_url": f"http://127.0.0.1:{port}/client/v4"})
    emb = embedder(settings, fake_clock, max_attempts=2)
    with pytest.raises(TransientAIError, match=re.escape(
            f"Nothing listens at http://127.0.0.1:{port}: start the server there, or fix "
            "CLOUDFLARE_BASE_URL.")):
        emb.embed_documents(["some text"])
    assert len(fake_clock.sleeps) == 1


def test_through_a_gateway_nothing_listening_names_the_gateways_base_url(ai_settings):
    """No request goes to CLOUDFLARE_BASE_URL then: it is not the setting to fix."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = ai_settings.model_copy(update={
        "cloudflare_ai_gateway_id": "gw", "cloudflare_base_url": ai_settings.cloudflare_base_url,
        "cloudflare_ai_gateway_base_url": f"http://127.0.0.1:{port}/v1"})
    with pytest.raises(TransientAIError) as info:
        embedder(settings, max_attempts=1).embed_documents(["some text"])
    assert str(info.value).endswith(f"Nothing listens at http://127.0.0.1:{port}: start the "
                                    "server there, or fix CLOUDFLARE_AI_GATEWAY_BASE_URL.")


def test_a_host_name_not_found_says_to_check_its_spelling(ai_settings):
    settings = ai_settings.model_copy(
        update={"cloudflare_base_url": "http://no-such-host.invalid/client/v4"})
    with pytest.raises(TransientAIError) as info:
        embedder(settings, max_attempts=1).embed_documents(["some text"])
    assert str(info.value).endswith("The host of http://no-such-host.invalid was not found: "
                                    "check CLOUDFLARE_BASE_URL for a mistyped name.")


@pytest.mark.parametrize(("status", "code", "hint"), [
    (400, 5006, "as invalid"),
    (400, 5007, "has no model"),
    (401, 10000, "CLOUDFLARE_API_TOKEN"),
    (403, 5018, "does not allow"),
    (413, 5021, "RAG_CHUNK_TOKENS"),  # an embedding call: the chunks are what shrink it
    (429, 4006, "daily free allocation"),
    (429, 3036, "daily free allocation"),
])
def test_permanent_errors_are_not_retried(ai_settings, standin, fake_clock, status, code, hint):
    standin.fail(status, code)
    emb = embedder(ai_settings, fake_clock)
    with pytest.raises(PermanentAIError, match=hint) as info:
        emb.embed_documents(["some text"])
    assert (info.value.status, info.value.code) == (status, code)
    assert len(standin.requests) == 1 and fake_clock.sleeps == []


def test_a_wrong_token_gets_the_servers_401(ai_settings, standin):
    settings = ai_settings.model_copy(update={"cloudflare_api_token": SecretStr("not-the-token")})
    with pytest.raises(PermanentAIError, match="rejected the credentials") as info:
        WorkersAIEmbedder.from_settings(settings).embed_documents(["x"])
    assert info.value.code == 10000


# --- the call log and secrets -------------------------------------------------------------------


def test_each_call_logs_one_json_record(ai_settings, standin, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    standin.fail(429, 3040)
    emb = embedder(ai_settings)
    emb.embed_documents([f"text number {i}" for i in range(150)])
    calls = ai_calls(caplog)
    assert len(calls) == 2  # two batches, one record each, retries folded in
    for record in caplog.records:
        if hasattr(record, "ai_call"):
            assert json.loads(record.getMessage()) == record.ai_call
    assert sorted(c["items"] for c in calls) == [50, 100]
    assert sorted(c["attempts"] for c in calls) == [1, 2]
    for call in calls:
        assert call["model"] == EMBED_MODEL and call["endpoint"] == "run"
        assert call["outcome"] == "ok" and call["duration_ms"] >= 0
        assert call["neurons"] > 0 and call["provider_request_id"]


def test_a_failed_call_logs_its_error_code(ai_settings, standin, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    standin.fail(400, 5006)
    with pytest.raises(PermanentAIError):
        embedder(ai_settings).embed_documents(["x"])
    (call,) = ai_calls(caplog)
    assert call["outcome"] == "error" and call["error_code"] == 5006 and call["status"] == 400
    assert any(r.levelno == logging.WARNING for r in caplog.records if hasattr(r, "ai_call"))


@pytest.mark.parametrize(("status", "code", "refused", "advice"), [
    (401, 10000, "credentials", "Check CLOUDFLARE_API_TOKEN"),
    (403, None, "credentials", "Check the token's permissions"),
    (403, 3023, "account", "CLOUDFLARE_ACCOUNT_ID"),
    (403, 5016, "model", "licence"),
    (400, 5006, None, None),  # this request's fault: no refusal for the operator
    (413, 5021, None, None),
    (429, 4006, None, None),
])
def test_a_refusal_no_retry_gets_past_is_one_warning_saying_what_to_fix(
        ai_settings, standin, caplog, status, code, refused, advice):
    caplog.set_level(logging.INFO, logger="rag.ai")
    standin.fail(status, code)
    with pytest.raises(PermanentAIError) as info:
        embedder(ai_settings).embed_documents(["x"])
    assert info.value.refused == refused
    (record,) = [r for r in caplog.records if hasattr(r, "ai_call")]
    assert record.levelno == logging.WARNING
    assert record.ai_call.get("refused") == refused
    if advice is None:
        assert "error_message" not in record.ai_call
    else:
        assert advice in record.ai_call["error_message"]
        assert json.loads(record.getMessage())["error_message"] == record.ai_call["error_message"]


def test_the_token_never_reaches_logs_errors_or_reprs(gateway_settings, standin, passages,
                                                      caplog):
    caplog.set_level(logging.DEBUG)  # root: httpx, httpcore, rag.ai, uvicorn
    for name in ("httpx", "httpcore", "rag.ai"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    gateway_token = "gw-secret-Q81xz"
    standin.gateway_token = gateway_token
    settings = gateway_settings.model_copy(
        update={"cloudflare_ai_gateway_token": SecretStr(gateway_token)})
    emb = embedder(settings)
    gen = WorkersAIGenerator.from_settings(settings)
    client = emb.http.clients.sample
    texts: list[str] = [repr(emb), repr(gen), repr(emb.http), repr(client.headers),
                        repr(client.auth)]

    emb.embed_documents(["alpha", "beta"])
    standin.fail(429, 3040)
    record = GenerationRecord()
    texts.append("".join(gen.stream(GenerationRequest("Where do llamas live?", passages), record)))
    standin.cut_stream(2, times=2)
    texts.append("".join(gen.stream(GenerationRequest("Where do llamas live?", passages),
                                    GenerationRecord())))
    standin.fail(400, 5006, message=f"AiError: Bad input: header was Bearer {TOKEN}")
    with pytest.raises(PermanentAIError) as info:
        emb.embed_documents(["gamma"])
    texts += [str(info.value), repr(info.value)]
    standin.gateway_token = "another"
    with pytest.raises(PermanentAIError) as info:
        emb.embed_documents(["delta"])
    texts += [str(info.value), repr(info.value)]

    assert "***" in texts[-4]  # the echoed token was redacted, not dropped silently
    logged = [caplog.text] + [r.getMessage() for r in caplog.records]
    assert any("HTTP Request" in line for line in logged)  # httpx's own logger was captured
    for text in texts + logged:
        assert TOKEN not in text
        assert gateway_token not in text


def test_a_key_echoed_long_or_encoded_is_redacted_before_it_is_cut(ai_settings, passages):
    """A server (or a proxy before it) that echoes the key after a long text, or escaped,
    must not leak it: the body is cut short after the key is redacted, and the key is looked
    for in the forms an echo writes it in."""
    key = 'sk-CANARY"q\\bs/sl-' + "k" * 30

    async def echo(request: Request) -> PlainTextResponse:
        sent = request.headers["authorization"]
        return PlainTextResponse("." * 250 + f" header was: {sent} | {json.dumps(sent)} | "
                                 f"{quote(sent, safe='')} | {sent!r}", status_code=401)

    server = ServerThread(Starlette(routes=[Route("/v1/chat/completions", echo,
                                                  methods=["POST"])]))
    url = server.start()
    try:
        settings = ai_settings.model_copy(update={"openai_base_url": f"{url}/v1",
                                                  "openai_api_key": SecretStr(key)})
        with pytest.raises(PermanentAIError) as info:
            list(OpenAIGenerator.from_settings(settings).stream(
                GenerationRequest("Where do llamas live?", passages), GenerationRecord()))
    finally:
        server.stop()
    said = str(info.value)
    assert "header was: Bearer ***" in said and "CANARY" not in said and "kkkk" not in said
