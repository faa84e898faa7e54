"""What a Workers AI or OpenAI-compatible server may put on the wire that the stand-in never
does: streams of comments with no text, a stream that stalls or drops after its answer is
complete, a charset or a byte order mark an event stream must not have, implausible neuron
figures, a failure sent with a 200, a redirect. A raw socket server replays each reply byte
for byte on loopback."""

from __future__ import annotations

import json
import logging
import math
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from pydantic import SecretStr

from rag.answering.budget import Budgets
from rag.errors import AIError, PermanentAIError, ReaderGone, TransientAIError
from rag.providers.cloudflare import pricing
from rag.providers.cloudflare.client import cloudflare_http
from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.workers_ai import WorkersAIGenerator
from rag.providers.http.errors import ModelRefusedError
from rag.providers.http.retry import retry_after_seconds
from rag.providers.openai_compat import openai_http
from rag.providers.state import DiskState
from rag.settings import Settings
from rag.types import GenerationRecord
from tests.workers_ai_server import ACCOUNT

CHAT = "@cf/meta/llama-3.1-8b-instruct"
EMBED = "@cf/baai/bge-base-en-v1.5"
USAGE = {"prompt_tokens": 279, "completion_tokens": 20, "total_tokens": 299}
SECONDS_TO_END = 10.0  # far more than any bounded wait here; far less than the stalls


@dataclass
class Reply:
    """One scripted reply: a status line and headers, then body steps. A step is bytes to
    send, or a float: seconds to wait. After the steps the body ends, or the connection is
    held open (`hang`) until the test is over, or closed mid-body (`drop`)."""

    status: str = "200 OK"
    headers: dict[str, str] = field(default_factory=lambda: {
        "content-type": "text/event-stream"})
    steps: list[bytes | float] = field(default_factory=list)
    chunked: bool = True
    sized: bool = True  # not chunked: a content-length, else a body the connection's close ends
    hang: bool = False
    drop: bool = False


def events(*items: object) -> list[bytes | float]:
    return [f"data: {json.dumps(item, ensure_ascii=False)}\n\n".encode() for item in items]


class RawServer:
    """Answers each request with the next scripted `Reply` (the last one repeats)."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[str] = []
        self.over = threading.Event()
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner.serve(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests.clear()

    def serve(self, conn: socket.socket) -> None:
        while not self.over.is_set():
            path = _read_request(conn)
            if path is None:
                return
            self.requests.append(path)
            reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
            if not self._send(conn, reply):
                return

    def _send(self, conn: socket.socket, reply: Reply) -> bool:
        head = [f"HTTP/1.1 {reply.status}", *(f"{k}: {v}" for k, v in reply.headers.items())]
        body = [step for step in reply.steps if isinstance(step, bytes)]
        if reply.chunked:
            head.append("transfer-encoding: chunked")
        elif reply.sized:  # a dropped body is shorter than it says
            head.append(f"content-length: {sum(len(part) for part in body) + reply.drop}")
        else:
            head.append("connection: close")
        try:
            conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            for step in reply.steps:
                if isinstance(step, float):
                    if self.over.wait(step):
                        return False
                elif reply.chunked:
                    conn.sendall(b"%x\r\n%s\r\n" % (len(step), step))
                else:
                    conn.sendall(step)
            if reply.hang:
                self.over.wait()
            if reply.hang or reply.drop:
                return False
            if reply.chunked:
                conn.sendall(b"0\r\n\r\n")
        except OSError:
            return False
        return True

    def close(self) -> None:
        self.over.set()
        self._server.shutdown()
        self._server.server_close()


def _read_request(conn: socket.socket) -> str | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next((int(line.split(":", 1)[1]) for line in lines
                   if line.lower().startswith("content-length:")), 0)
    while len(body) < length:
        body += conn.recv(65536)
    return lines[0].split(" ")[1]


@pytest.fixture
def raw() -> Iterator[RawServer]:
    server = RawServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def settings(ai_settings: Settings, raw: RawServer) -> Settings:
    return ai_settings.model_copy(update={
        "cloudflare_base_url": f"{raw.url}/client/v4", "openai_base_url": f"{raw.url}/v1",
        "ai_read_timeout_seconds": 1, "ai_deadline_seconds": 5, "ai_breaker_seconds": 0})


def chat_url(settings: Settings, model: str = CHAT) -> str:
    return f"{settings.cloudflare_base_url}/accounts/{ACCOUNT}/ai/run/{model}"


def stream(settings: Settings, reader_gone: threading.Event | None = None
           ) -> list[dict[str, object]]:
    http = cloudflare_http(settings)
    with http.call(model=CHAT, endpoint="run", kind="chat") as stats:
        return list(http.stream_events(chat_url(settings), {"stream": True}, stats,
                                       reader_gone=reader_gone))


def ask(settings: Settings, passages) -> tuple[str, GenerationRecord]:
    record = GenerationRecord()
    generator = WorkersAIGenerator.from_settings(settings)
    text = "".join(generator.stream(GenerationRequest("Where?", passages, []), record))
    return text, record


def timed(work, *args):
    started = time.monotonic()
    try:
        return work(*args)
    finally:
        assert time.monotonic() - started < SECONDS_TO_END


# --- a stream without text is timed out -------------------------------------------------------

TRICKLE = [0.2, b": keep-alive\n\n"] * 150  # 30 s of comments, never a token
EMPTY_EVENTS = [0.2, b'data: {"response": "", "p": "abcdef"}\n\n'] * 150


@pytest.mark.parametrize("steps", [TRICKLE, EMPTY_EVENTS], ids=["comments", "empty-events"])
def test_a_stream_of_no_text_times_out_before_the_first_token(settings, raw, steps):
    raw.script(Reply(steps=list(steps)))
    with pytest.raises(TransientAIError, match="no new token arrived in time"):
        timed(stream, settings)


def test_a_stream_that_stops_sending_text_is_interrupted(settings, raw, passages):
    raw.script(Reply(steps=[*events({"response": "Llamas"}), *TRICKLE]))
    text, record = timed(ask, settings, passages)
    assert text.startswith("Llamas") and record.interrupted
    assert "no new token arrived in time" in (record.notice or "")


def test_a_reader_that_left_is_noticed_while_comments_arrive(settings, raw):
    settings = settings.model_copy(update={"ai_read_timeout_seconds": 60,
                                           "ai_deadline_seconds": 60})
    raw.script(Reply(steps=list(TRICKLE)))
    gone = threading.Event()
    threading.Timer(0.5, gone.set).start()
    with pytest.raises(ReaderGone):
        timed(stream, settings, gone)


# --- a complete answer is complete ------------------------------------------------------------

FINAL_USAGE = {"response": "", "usage": USAGE}
FINISHED = {"choices": [{"delta": {"content": ""}, "finish_reason": "stop"}]}


@pytest.mark.parametrize(("last", "hang"), [
    (FINAL_USAGE, True), (FINAL_USAGE, False), (FINISHED, True), (FINISHED, False)],
    ids=["usage-then-stall", "usage-then-drop", "finish-then-stall", "finish-then-drop"])
def test_a_stall_or_drop_after_the_answer_is_complete_is_no_interruption(
        settings, raw, passages, last, hang):
    steps = [*events({"response": "Llamas live in the Andes [2]."}, last)]
    raw.script(Reply(steps=steps, hang=hang, drop=not hang, chunked=hang))
    text, record = timed(ask, settings, passages)
    assert text == "Llamas live in the Andes [2]." and record.notice is None
    assert not record.interrupted


def test_a_reader_leaving_a_silent_stream_ends_it_at_once(settings, raw):
    """A model that sent its headers and nothing since (queued, thinking) holds the read up
    to the read timeout: a reader who left (the stop button, a closed tab) is not kept
    waiting for it, nor is the model retried or another asked."""
    raw.script(Reply(hang=True))
    patient = settings.model_copy(update={"ai_read_timeout_seconds": 10,
                                          "ai_deadline_seconds": 30})
    gone = threading.Event()
    threading.Timer(0.5, gone.set).start()
    with pytest.raises(ReaderGone):
        stream(patient, reader_gone=gone)
    assert len(raw.requests) == 1


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "close-delimited"])
def test_a_reader_leaving_mid_answer_is_no_failure_of_the_model(settings, raw, passages,
                                                                chunked):
    """Shut when the reader left (the stop button), a body sent without chunks, ended by the
    connection's close, ended as if whole: the answer was said to be cut by the server
    ("the stream ended without finishing"), in the chat, its export and the next turn's
    history, and counted as interrupted."""
    raw.script(Reply(steps=[*events({"response": "Llamas"}), *TRICKLE], chunked=chunked,
                     sized=False))
    patient = settings.model_copy(update={"ai_read_timeout_seconds": 10,
                                          "ai_deadline_seconds": 30})
    gone, record, said = threading.Event(), GenerationRecord(), []
    generator = WorkersAIGenerator.from_settings(patient)
    request = GenerationRequest("Where?", passages, [], reader_gone=gone)
    with pytest.raises(ReaderGone):
        for delta in generator.stream(request, record):
            said.append(delta)
            gone.set()
    assert said == ["Llamas"] and not record.interrupted and record.notice is None
    assert len(raw.requests) == 1


# --- what an event stream is made of ----------------------------------------------------------

@pytest.mark.parametrize("charset", ["utf-16", "iso-8859-1"])
def test_an_event_stream_is_utf8_whatever_charset_it_declares(settings, raw, charset):
    raw.script(Reply(headers={"content-type": f"text/event-stream; charset={charset}"},
                     steps=events({"response": "café 日本 🌋"})))
    assert [event["response"] for event in stream(settings)] == ["café 日本 🌋"]


def test_a_byte_order_mark_before_the_stream_is_dropped(settings, raw):
    raw.script(Reply(steps=[b"\xef\xbb", b"\xbf" + events({"response": "Llamas"})[0]]))
    assert [event["response"] for event in stream(settings)] == ["Llamas"]


def test_an_error_event_with_a_huge_integer_is_an_error_like_any(settings, raw):
    raw.script(Reply(steps=[b'data: {"success": false, "errors": [{"code": '
                            b'123456789012345678901234567890, "message": "AiError: busy"}]}\n\n']))
    with pytest.raises(AIError, match="busy"):
        stream(settings)


# --- neurons ----------------------------------------------------------------------------------

@pytest.mark.parametrize("figure", ["nan", "inf", "-100000"])
def test_an_implausible_neuron_header_is_ignored_for_the_computed_figure(
        settings, raw, passages, figure):
    raw.script(Reply(headers={"content-type": "text/event-stream", "cf-ai-neurons": figure},
                     steps=events({"response": "Llamas [2]."}, FINAL_USAGE)))
    _, record = ask(settings, passages)
    assert record.neurons == pytest.approx(pricing.neurons_for(CHAT, 279, 20))


@pytest.mark.parametrize("usage", [
    {**USAGE, "neurons": float("nan")}, {**USAGE, "neurons": -5000},
    {"prompt_tokens": -1_000_000, "completion_tokens": 20}])
def test_implausible_usage_figures_are_ignored(settings, raw, passages, usage):
    body = b"data: " + json.dumps({"response": "", "usage": usage}).encode() + b"\n\n"
    raw.script(Reply(steps=[*events({"response": "Llamas [2]."}), body]))
    _, record = ask(settings, passages)
    assert record.neurons is not None and math.isfinite(record.neurons)
    assert record.neurons > 0
    assert record.prompt_tokens is None or record.prompt_tokens >= 0


def test_a_failed_attempts_figures_do_not_bill_the_one_that_answered(settings, raw):
    failed = Reply(status="503 Service Unavailable",
                   headers={"content-type": "application/json", "cf-ai-neurons": "0",
                            "cf-aig-cache-status": "HIT", "cf-ai-req-id": "first"},
                   steps=[b'{"errors": [{"code": 3040, "message": "busy"}]}'], chunked=False)
    answered = Reply(headers={"content-type": "application/json", "cf-ai-req-id": "second"},
                     steps=[b'{"success": true, "result": {"data": [[0.1]]}}'], chunked=False)
    raw.script(failed, answered)
    http = cloudflare_http(settings)
    with http.call(model=EMBED, endpoint="run", kind="embedding") as stats:
        http.post_json(chat_url(settings, EMBED), {"text": ["a"]}, stats)
    assert stats.attempts == 2 and stats.reported_neurons is None
    assert stats.cache_status is None and stats.request_id == "second"


def test_a_model_without_a_price_is_counted_at_an_upper_bound(caplog):
    model = "@cf/meta/llama-3.1-8b-instruct-fast"
    usage = {"prompt_tokens": 3000, "completion_tokens": 500}
    pricing._warn_unpriced.cache_clear()  # said once a process: another test may have said it
    with caplog.at_level(logging.WARNING):
        first = pricing.neurons_from_usage(model, usage)
        pricing.neurons_from_usage(model, usage)
    assert first >= max(pricing.neurons_for(known, 3000, 500) for known in pricing.PRICES)
    assert sum(model in line and "upper bound" in line for line in caplog.messages) == 1


def test_the_shared_spend_survives_a_non_finite_amount_or_a_poisoned_value(tmp_path):
    state = DiskState(tmp_path / "state")
    state.set("spend:x", None, 60)
    assert state.incr("spend:x", 2.0, 60) == 2.0
    assert state.incr("spend:x", float("nan"), 60) == 2.0
    assert state.incr("spend:x", float("inf"), 60) == 2.0
    budgets = Budgets(state, 100)
    budgets.charge("alice", float("nan"))
    assert budgets.spent("alice") == 0.0
    state.close()


# --- failures, however they are sent -----------------------------------------------------------

def envelope(code: int, message: str) -> bytes:
    return json.dumps({"result": None, "success": False,
                       "errors": [{"code": code, "message": message}]}).encode()


def test_a_200_reporting_no_capacity_is_retried_like_a_429(settings, raw):
    raw.script(Reply(headers={"content-type": "application/json"}, chunked=False,
                     steps=[envelope(3040, "AiError: Capacity temporarily exceeded")]))
    http = cloudflare_http(settings)
    with pytest.raises(TransientAIError, match="out of capacity") as info, \
            http.call(model=EMBED, endpoint="run", kind="embedding") as stats:
        http.post_json(chat_url(settings, EMBED), {"text": ["a"]}, stats)
    assert len(raw.requests) == settings.ai_max_attempts
    assert "[{" not in str(info.value)


def test_a_200_reporting_no_capacity_to_a_stream_falls_back(settings, raw, passages):
    settings = settings.model_copy(update={"ai_max_attempts": 1})
    failure = Reply(headers={"content-type": "application/json"}, chunked=False,
                    steps=[envelope(3040, "AiError: Capacity temporarily exceeded")])
    raw.script(failure, Reply(steps=events({"response": "Llamas [2]."}, FINAL_USAGE)))
    text, record = ask(settings, passages)
    assert text == "Llamas [2]." and record.model == settings.workers_ai_fallback_models[0]


def test_a_200_reporting_the_daily_limit_says_when_it_resets(settings, raw):
    raw.script(Reply(headers={"content-type": "application/json"}, chunked=False,
                     steps=[envelope(4006, "AiError: you have used up your daily free "
                                           "allocation of 10,000 neurons")]))
    http = cloudflare_http(settings)
    with pytest.raises(PermanentAIError, match="00:00 UTC"), \
            http.call(model=EMBED, endpoint="run", kind="embedding") as stats:
        http.post_json(chat_url(settings, EMBED), {"text": ["a"]}, stats)
    assert len(raw.requests) == 1


@pytest.mark.parametrize("provider", ["workers-ai", "openai"])
def test_a_redirect_names_its_location_and_the_base_url_setting(settings, raw, provider):
    location = "https://api.example.com/client/v4/accounts"
    raw.script(Reply(status="301 Moved Permanently", chunked=False,
                     headers={"location": location, "content-type": "text/html"}))
    settings = settings.model_copy(update={"openai_api_key": SecretStr("sk-test")})
    error, hint = redirected_embedding(settings, raw, provider, "/v1")
    assert location in error and hint in error
    assert "301" in error and len(raw.requests) == 1


@pytest.mark.parametrize(("provider", "base", "location", "moved"), [
    ("openai", "/v1", "https://127.0.0.1:{port}/v1/embeddings", "https://127.0.0.1:{port}/v1"),
    ("openai", "", "/v1/embeddings", "http://127.0.0.1:{port}/v1"),  # a base without its /v1
    ("workers-ai", "/client/v4", f"https://127.0.0.1:{{port}}/client/v4/accounts/{ACCOUNT}/ai/"
     f"run/{EMBED}", "https://127.0.0.1:{port}/client/v4")])
def test_a_redirect_to_the_same_route_on_another_base_names_the_base_to_set(
        settings, raw, provider, base, location, moved):
    """The address redirected to holds the route (`/embeddings`): set as the base URL, the
    route would be added twice."""
    port = raw.url.rsplit(":", 1)[1]
    raw.script(Reply(status="308 Permanent Redirect", chunked=False,
                     headers={"location": location.format(port=port)}))
    settings = settings.model_copy(update={"openai_base_url": raw.url + base})
    error, hint = redirected_embedding(settings, raw, provider, base)
    assert error.endswith(f"Redirects are not followed: set {hint} to {moved.format(port=port)}.")


def redirected_embedding(settings, raw, provider: str, base: str) -> tuple[str, str]:
    """The error an embedding request the server redirects fails with, and the base URL
    setting of `provider`."""
    if provider == "openai":
        http, url, hint = openai_http(settings), f"{raw.url}{base}/embeddings", "OPENAI_BASE_URL"
    else:
        http, url, hint = cloudflare_http(settings), chat_url(settings, EMBED), (
            "CLOUDFLARE_BASE_URL")
    with pytest.raises(PermanentAIError) as info, \
            http.call(model=EMBED, endpoint="run", kind="embedding") as stats:
        http.post_json(url, {"text": ["a"]}, stats)
    return str(info.value), hint


@pytest.mark.parametrize(("kind", "advice"), [
    ("embedding", "RAG_CHUNK_TOKENS"), ("guard", "Shorten the question"),
    ("rerank", "RAG_RERANK_CANDIDATES")])
def test_a_request_too_large_gets_advice_for_its_kind_of_call(settings, raw, kind, advice):
    raw.script(Reply(status="413 Payload Too Large", chunked=False,
                     headers={"content-type": "application/json"},
                     steps=[b'{"errors": [{"code": 3006, "message": "AiError: too large"}]}']))
    http = cloudflare_http(settings)
    with pytest.raises(ModelRefusedError) as info, \
            http.call(model=EMBED, endpoint="run", kind=kind) as stats:
        http.post_json(chat_url(settings, EMBED), {"text": ["a"]}, stats)
    assert advice in str(info.value) and "RAG_TOP_K" not in str(info.value)


@pytest.mark.parametrize("bad", ["3s", "nan-ish"])
def test_an_unparsable_retry_after_ms_leaves_retry_after_to_decide(bad):
    assert retry_after_seconds({"retry-after-ms": bad, "retry-after": "3"}) == 3.0
