"""What real OpenAI-compatible servers (Ollama, vLLM, llama.cpp, LM Studio) send that the
stand-in does not: bare embedding lists, empty or NaN vectors, llama.cpp's context error and
its `error:` lines, a wrong base URL's HTML 404 or LM Studio's 200, usage on every chunk, an
answer cut at the token limit, a reasoning model's think block. A scripted loopback server
replays each one over real HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from rag.errors import AIError, PermanentAIError
from rag.providers.embedders.openai import OpenAIEmbedder
from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.openai import OpenAIGenerator
from rag.providers.generators.streaming import OVERRUN_BYTES_PER_TOKEN
from rag.providers.generators.workers_ai import WorkersAIGenerator
from rag.providers.http.errors import ModelRefusedError
from rag.service import build_service
from rag.types import GenerationRecord
from tests.workers_ai_server import answering

QUESTION = "Where do llamas live?"
LLAMA_CPP_CONTEXT = {"error": {"code": 400, "message": "the request exceeds the available "
                               "context size, try increasing it",
                               "type": "exceed_context_size_error"}}
NOT_FOUND_PAGE = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
                  "<title>Error</title></head>\n<body><pre>Cannot POST /chat/completions</pre>"
                  "</body>\n</html>\n")


@dataclass
class Scripted:
    """Answers every POST with what the test scripted: a body, or SSE events."""

    url: str = ""
    status: int = 200
    body: str = ""
    media_type: str = "application/json"
    # each sent as `data: ...` (bytes: as they are); the body ends with the last
    events: list[str | bytes] | None = None
    paths: list[str] = field(default_factory=list)

    def reply(self, body: Any, status: int = 200, media_type: str = "application/json") -> None:
        self.status, self.media_type, self.events = status, media_type, None
        self.body = body if isinstance(body, str) else json.dumps(body)

    def stream(self, events: list[Any], media_type: str = "text/event-stream") -> None:
        self.events = [e if isinstance(e, (str, bytes)) else json.dumps(e) for e in events]
        self.media_type = media_type

    async def handle(self, request: Request) -> Response:
        self.paths.append(request.url.path)
        if self.events is None:
            return Response(self.body, status_code=self.status, media_type=self.media_type)
        events = list(self.events)

        async def body() -> Iterator[bytes]:
            for event in events:
                yield event if isinstance(event, bytes) else f"data: {event}\n\n".encode()

        return StreamingResponse(body(), media_type=self.media_type)


@pytest.fixture(scope="module")
def scripted_server() -> Iterator[Scripted]:
    scripted = Scripted()
    with answering(scripted.handle) as scripted.url:
        yield scripted


@pytest.fixture
def scripted(scripted_server: Scripted) -> Scripted:
    scripted_server.reply({})
    scripted_server.paths.clear()
    return scripted_server


@pytest.fixture
def settings(ai_settings, scripted):
    return ai_settings.model_copy(update={"openai_base_url": f"{scripted.url}/v1",
                                          "openai_embedding_dimension": 2})


def chunk(content: str | None = None, finish: str | None = None,
          usage: dict[str, int] | None = None) -> dict[str, Any]:
    choices = [] if content is None and finish is None else [
        {"index": 0, "delta": {"content": content or ""}, "finish_reason": finish}]
    event: dict[str, Any] = {"object": "chat.completion.chunk", "choices": choices}
    if usage is not None:
        event["usage"] = usage
    return event


def usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


def ask(settings, passages) -> tuple[list[str], GenerationRecord]:
    record = GenerationRecord()
    generator = OpenAIGenerator.from_settings(settings)
    with closing(generator):
        deltas = list(generator.stream(GenerationRequest(QUESTION, passages), record))
    return deltas, record


def embed(settings, texts: list[str]):
    with closing(OpenAIEmbedder.from_settings(settings)) as embedder:
        return embedder.embed_batch(texts)


# -- 1. embeddings in shapes the client does not read


@pytest.mark.parametrize("rows", [
    [[0.1, 0.2], [0.3, 0.4]],  # bare lists
    [{"index": None, "embedding": [0.1, 0.2]}, {"index": 1, "embedding": [0.3, 0.4]}],
    [{"index": 0, "embedding": [0.1, 0.2]}, {"index": 0, "embedding": [0.3, 0.4]}],
    [{"index": "0", "embedding": [0.1, 0.2]}, {"index": "1", "embedding": [0.3, 0.4]}],
], ids=["bare-lists", "a-null-index", "a-repeated-index", "string-indexes"])
def test_embeddings_the_client_cannot_pair_with_their_texts_are_malformed(settings, scripted,
                                                                           rows):
    scripted.reply({"data": rows})
    with pytest.raises(PermanentAIError,
                       match="sent malformed embeddings for nomic-embed-text"):
        embed(settings, ["one", "two"])


@pytest.mark.parametrize("component", [None, 1e39, "0.5", True],
                         ids=["a-null", "beyond-float32", "a-string", "a-boolean"])
def test_a_vector_holding_a_null_or_a_number_beyond_float32_is_malformed(settings, scripted,
                                                                         component):
    """numpy would read the string or the boolean as a number; the server is broken."""
    scripted.reply({"data": [{"index": 0, "embedding": [0.5, 0.5]},
                             {"index": 1, "embedding": [component, 0.5]}]})
    with pytest.raises(PermanentAIError,
                       match="sent malformed embeddings for nomic-embed-text"):
        embed(settings, ["one", "two"])


def test_a_vector_of_zeros_is_malformed(settings, scripted):
    """It points nowhere: a chunk stored with it would be found by no search."""
    scripted.reply({"data": [{"index": 0, "embedding": [0.5, 0.5]},
                             {"index": 1, "embedding": [0.0, 0]}]})
    with pytest.raises(PermanentAIError,
                       match="sent malformed embeddings for nomic-embed-text"):
        embed(settings, ["one", "two"])


def test_embeddings_without_indexes_are_taken_in_the_order_sent(settings, scripted):
    scripted.reply({"data": [{"embedding": [1.0, 0.0]}, {"index": None, "embedding": [0.0, 1.0]}]})
    assert embed(settings, ["one", "two"]).tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_base64_embeddings_are_named_as_unsupported(settings, scripted):
    scripted.reply({"data": [{"index": 0, "embedding": "zczMPc3MTD4="}]})
    with pytest.raises(PermanentAIError, match="base64-encoded embeddings.*not supported"):
        embed(settings, ["one"])


def test_a_server_capping_the_texts_a_request_names_the_batch_setting(settings, scripted):
    """text-embeddings-inference refuses a batch over its own maximum with a 413: the texts
    are not too long, there are too many of them in one request."""
    scripted.reply({"error": "batch size 8 > maximum allowed batch size 4",
                    "error_type": "Validation"}, status=413)
    with pytest.raises(AIError) as raised:
        embed(settings, ["one"] * 8)
    assert "RAG_EMBED_BATCH_SIZE" in str(raised.value)
    assert "maximum allowed batch size 4" in str(raised.value)


def test_empty_vectors_name_the_server_and_the_model(ai_settings, scripted, tmp_path):
    """Ollama's answer for a model that embeds nothing: a collection cannot be made of them."""
    scripted.reply({"data": [{"index": 0, "embedding": []}]})
    settings = ai_settings.model_copy(update={"embedder": "openai",
                                              "openai_base_url": f"{scripted.url}/v1"})
    with closing(OpenAIEmbedder.from_settings(settings)) as embedder, \
            pytest.raises(PermanentAIError) as raised:
        embedder.dimension  # noqa: B018
    assert str(raised.value) == (
        f"OpenAI-compatible server at {scripted.url}/v1 sent empty vectors for nomic-embed-text: "
        "check that RAG_OPENAI_EMBEDDING_MODEL names an embedding model.")
    with pytest.raises(PermanentAIError, match="sent empty vectors for nomic-embed-text"):
        ingest_kettle(settings, tmp_path)  # the collection's length is the first vector's


def test_a_nan_in_the_json_is_asked_once_and_leaves_the_model_usable(settings, scripted):
    """Python's json.dumps writes a vector it could not compute as NaN, which JSON is not:
    asked again, the server sends the same, so the model's breaker has no outage to count."""
    scripted.reply('{"data": [{"index": 0, "embedding": [0.1, NaN]}]}')
    with pytest.raises(PermanentAIError, match=r"sent invalid JSON for nomic-embed-text "
                                               r"\(NaN or Infinity where a number should be\)"):
        embed(settings, ["one"])
    assert len(scripted.paths) == 1
    scripted.reply({"data": [{"index": 0, "embedding": [0.6, 0.8]}]})
    assert embed(settings, ["one"]).shape == (1, 2)


# -- 2. llama.cpp's context overflow


def test_llama_cpp_context_overflow_is_the_context_window_error(settings, scripted, passages):
    scripted.reply(LLAMA_CPP_CONTEXT, status=400)
    with pytest.raises(ModelRefusedError) as raised:
        ask(settings, passages)
    message = str(raised.value)
    assert "too large for llama3.1" in message and "RAG_AI_CONTEXT_WINDOW" in message
    assert "as invalid" not in message
    assert len(scripted.paths) == 1  # not retried


def llama_cpp_error_line(error: dict[str, Any]) -> bytes:
    """An error as llama.cpp's server streams it: `error: {...}`, a field SSE does not name."""
    return f"error: {json.dumps(error)}\n\n".encode()


def test_llama_cpp_s_streamed_context_overflow_is_the_context_window_error(settings, scripted,
                                                                           passages):
    scripted.stream([llama_cpp_error_line(LLAMA_CPP_CONTEXT["error"])])
    with pytest.raises(ModelRefusedError) as raised:
        ask(settings, passages)
    message = str(raised.value)
    assert "too large for llama3.1" in message and "RAG_AI_CONTEXT_WINDOW" in message
    assert "available context size" in message


def test_llama_cpp_s_error_line_mid_answer_says_why_it_was_interrupted(settings, scripted,
                                                                       passages):
    line = llama_cpp_error_line({"code": 500, "message": "llama_decode failed: KV cache is "
                                 "full", "type": "server_error"})
    scripted.stream([chunk("Llamas"), chunk(" live"), line[:3], line[3:]])  # split in its name
    deltas, record = ask(settings, passages)
    assert deltas[:2] == ["Llamas", " live"]
    assert record.interrupted and "KV cache is full" in record.notice
    assert "KV cache is full" in deltas[-1]


# -- 3. the answer cache tells servers and budgets apart


def test_identity_names_the_server_without_credentials_and_the_budget(ai_settings):
    settings = ai_settings.model_copy(update={
        "openai_base_url": "http://ada:pa55word@gpu-box:8000/v1?api-key=sk-secret",
        "openai_api_key": SecretStr("sk-secret"), "ai_max_tokens": 300})
    generator = OpenAIGenerator.from_settings(settings)
    with closing(generator):
        identity = generator.identity
        assert "llama3.1" in identity and "http://gpu-box:8000/v1" in identity
        assert "300" in identity
        assert "pa55word" not in identity and "ada" not in identity and "sk-" not in identity
        other = ai_settings.model_copy(update={"openai_base_url": "http://127.0.0.1:11434/v1"})
        with closing(OpenAIGenerator.from_settings(other)) as local:
            assert local.identity != identity
        assert generator.variant("qwen3").identity.startswith("qwen3 at http://gpu-box:8000/v1")


@pytest.fixture
def library(ai_settings, tmp_path):
    """Settings for a service answering with `openai` from a kettle manual, embedded by the
    Workers AI stand-in (so that moving OPENAI_BASE_URL moves the generator only)."""
    settings = ai_settings.model_copy(update={"embedder": "workers-ai", "generator": "openai"})
    (tmp_path / "kettle.md").write_text("# Kettle\n\nDescale the kettle every month.")
    with closing(build_service(settings)) as service:
        assert service.ingest([tmp_path / "kettle.md"]).totals()["ingested"] == 1
    return settings


def ask_service(settings, question: str = "How often should the kettle be descaled?"):
    with closing(build_service(settings)) as service:
        answer = service.ask(question)
        answer.text  # read to its end: only then is it cached  # noqa: B018
        return answer


def scripted_answer(text: str, finish: str = "stop") -> list[Any]:
    words = re.findall(r"\S+\s*", text)
    return [chunk(word) for word in words] + [chunk(finish=finish), "[DONE]"]


def test_another_server_or_budget_is_not_answered_from_the_cache(library, standin, scripted):
    first = ask_service(library)
    assert not first.cached and "every month" in first.text
    assert ask_service(library).cached  # the cache works
    scripted.stream(scripted_answer("Once a month [1]."))
    elsewhere = ask_service(library.model_copy(
        update={"openai_base_url": f"{scripted.url}/v1"}))
    assert not elsewhere.cached and scripted.paths == ["/v1/chat/completions"]
    standin.reset()
    shorter = ask_service(library.model_copy(update={"ai_max_tokens": 64}))
    assert not shorter.cached and len(standin.requests_to("openai")) == 1


# -- 4. a base URL that routes nowhere


@pytest.mark.parametrize("body, media_type", [
    (NOT_FOUND_PAGE, "text/html"), ("404 page not found", "text/plain")])
def test_a_wrong_base_url_names_the_url_and_the_v1_it_usually_ends_in(
        ai_settings, scripted, passages, body, media_type):
    scripted.reply(body, status=404, media_type=media_type)
    port = scripted.url.rsplit(":", 1)[1]
    settings = ai_settings.model_copy(
        update={"openai_base_url": f"http://ada:pa55word@127.0.0.1:{port}"})
    with pytest.raises(PermanentAIError) as raised:
        ask(settings, passages)
    message = str(raised.value)
    assert f"at http://127.0.0.1:{port} could not route the request" in message
    assert "ends in /v1" in message and "http://localhost:11434/v1" in message
    assert "OPENAI_BASE_URL" in message
    assert "account id" not in message and "pa55word" not in message
    assert "<" not in message and "\n" not in message
    if media_type == "text/html":
        assert "(HTTP 404: an HTML page)" in message


# a web server that serves pages refusing a POST: nginx on static files, Tornado (Streamlit)
METHOD_NOT_ALLOWED = [
    ("<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n<center><h1>405 Not "
     "Allowed</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", "text/html"),
    ("<html><title>405: Method Not Allowed</title><body>405: Method Not Allowed</body></html>",
     "text/html")]


@pytest.mark.parametrize("body, media_type", METHOD_NOT_ALLOWED, ids=["nginx", "tornado"])
def test_a_base_url_whose_server_refuses_the_post_names_the_url_to_fix(
        settings, scripted, passages, body, media_type):
    scripted.reply(body, status=405, media_type=media_type)
    for call in (lambda: ask(settings, passages), lambda: embed(settings, ["one"])):
        with pytest.raises(PermanentAIError) as raised:
            call()
        assert str(raised.value).startswith(
            f"OpenAI-compatible server at {scripted.url}/v1 could not route the request "
            "(HTTP 405: an HTML page). Check OPENAI_BASE_URL")


def test_a_workers_ai_base_url_whose_server_refuses_the_post_names_the_base_url(
        ai_settings, scripted, passages):
    body, media_type = METHOD_NOT_ALLOWED[0]
    scripted.reply(body, status=405, media_type=media_type)
    settings = ai_settings.model_copy(update={"cloudflare_base_url": scripted.url,
                                              "workers_ai_fallback_models": []})
    with pytest.raises(PermanentAIError) as raised, \
            closing(WorkersAIGenerator.from_settings(settings)) as generator:
        list(generator.stream(GenerationRequest(QUESTION, passages), GenerationRecord()))
    assert "could not route the request (HTTP 405: an HTML page)" in str(raised.value)
    assert "CLOUDFLARE_BASE_URL" in str(raised.value)


def without_v1(settings, scripted):
    return settings.model_copy(update={"openai_base_url": scripted.url})


def test_lm_studio_s_200_for_a_path_it_does_not_serve_names_the_url_to_fix(
        settings, scripted, passages):
    """LM Studio answers a path it does not serve with 200 and an error object."""
    scripted.reply({"error": "Unexpected endpoint or method. (POST /chat/completions)"})
    with pytest.raises(PermanentAIError) as raised:
        ask(without_v1(settings, scripted), passages)
    assert str(raised.value) == (
        f"OpenAI-compatible server at {scripted.url} could not route the request (HTTP 200: "
        "Unexpected endpoint or method. (POST /chat/completions)). Check OPENAI_BASE_URL: it "
        "usually ends in /v1, without /chat/completions or /embeddings "
        "(e.g. http://localhost:11434/v1).")
    scripted.reply({"error": "Unexpected endpoint or method. (POST /embeddings)"})
    with pytest.raises(PermanentAIError, match=r"\(HTTP 200: Unexpected endpoint .*ends in /v1"):
        embed(without_v1(settings, scripted), ["one"])


def test_an_answer_refused_with_a_200_quotes_the_passages_with_the_reason(library, scripted):
    scripted.reply({"error": "Unexpected endpoint or method. (POST /chat/completions)"})
    answer = ask_service(library.model_copy(update={"openai_base_url": scripted.url}))
    assert answer.degraded == ["models_unavailable"] and "every month" in answer.text
    assert "ends in /v1" in answer.record.notice


@pytest.mark.parametrize("call", ["chat", "embedding"])
def test_an_error_object_sent_with_200_is_the_failure_it_reports(settings, scripted, passages,
                                                                 call):
    scripted.reply({"error": {"message": "model failed to load: out of memory",
                              "type": "server_error"}})
    with pytest.raises(PermanentAIError, match="reported a failure for .*: model failed to "
                                               "load: out of memory"):
        ask(settings, passages) if call == "chat" else embed(settings, ["one"])


def test_llama_cpp_s_own_embeddings_list_names_the_url_to_fix(settings, scripted):
    """llama.cpp serves a non-OpenAI /embeddings, a bare list, where /v1 is left out."""
    scripted.reply([{"index": 0, "embedding": [[0.6, 0.8]]}])
    with pytest.raises(PermanentAIError) as raised:
        embed(without_v1(settings, scripted), ["one"])
    assert str(raised.value) == (
        "OpenAI-compatible server sent unexpected JSON for nomic-embed-text: list. Check "
        "OPENAI_BASE_URL: it usually ends in /v1, without /chat/completions or /embeddings "
        "(e.g. http://localhost:11434/v1).")


def test_an_unknown_model_is_still_named_as_such(settings, scripted, passages):
    scripted.reply({"error": "model 'llama3.1' not found, try pulling it first"}, status=404)
    with pytest.raises(ModelRefusedError, match="has no model 'llama3.1'"):
        ask(settings, passages)


# -- 5. usage on every chunk (vLLM continuous_usage_stats)


def test_usage_on_every_chunk_does_not_end_the_answer(settings, scripted, passages):
    scripted.stream([chunk("Llamas", usage=usage(50, 1)), chunk(" live", usage=usage(50, 2))])
    deltas, record = ask(settings, passages)  # the server closed without finishing
    assert deltas[:2] == ["Llamas", " live"]
    assert deltas[-1].startswith("\n\n[answer interrupted:")
    assert record.interrupted and record.notice.startswith("answer interrupted")


def test_usage_on_every_chunk_counts_the_tokens_of_the_last(settings, scripted, passages):
    scripted.stream([chunk("Llamas", usage=usage(50, 1)), chunk(" live [2].", usage=usage(50, 2)),
                     chunk(finish="stop", usage=usage(50, 3)), chunk(usage=usage(50, 4)),
                     "[DONE]"])
    deltas, record = ask(settings, passages)
    assert "".join(deltas) == "Llamas live [2]."
    assert record.notice is None and not record.interrupted
    assert (record.prompt_tokens, record.completion_tokens) == (50, 4)


def test_a_finish_reason_then_a_close_without_done_is_complete(settings, scripted, passages):
    scripted.stream([chunk("Llamas [2]."), chunk(finish="stop")])
    deltas, record = ask(settings, passages)
    assert deltas == ["Llamas [2]."] and record.notice is None


# -- 6. an answer cut at the token limit


def test_an_answer_cut_at_the_token_limit_says_so(settings, scripted, passages):
    scripted.stream(scripted_answer("Llamas live mostly in", finish="length"))
    deltas, record = ask(settings.model_copy(update={"ai_max_tokens": 4}), passages)
    assert "".join(deltas) == "Llamas live mostly in"
    assert record.notice == "answer cut at the token limit (4 tokens, RAG_AI_MAX_TOKENS)"
    assert not record.interrupted


def test_a_server_writing_past_the_token_limit_is_cut_there(settings, scripted, passages):
    """A server (or a proxy) that ignores max_tokens would stream for ever: the answer ends
    once it holds more text than that many tokens can, as if the model had reached them."""
    scripted.stream(scripted_answer("and again " * 5000))
    deltas, record = ask(settings.model_copy(update={"ai_max_tokens": 16}), passages)
    assert 16 * 4 < len("".join(deltas).encode()) <= 16 * OVERRUN_BYTES_PER_TOKEN + 16
    assert record.notice == "answer cut at the token limit (16 tokens, RAG_AI_MAX_TOKENS)"
    assert not record.interrupted


def test_an_answer_cut_at_the_token_limit_is_not_cached(library, scripted):
    scripted.stream(scripted_answer("Descale it every", finish="length"))
    settings = library.model_copy(update={"openai_base_url": f"{scripted.url}/v1"})
    first = ask_service(settings)
    assert "token limit" in (first.record.notice or "")
    assert not ask_service(settings).cached and len(scripted.paths) == 2


@pytest.mark.parametrize(("finish", "notice"), [
    ("content_filter", "answer cut short by the server's content filter"),
    ("tool_calls", "the answer ended early (finish_reason 'tool_calls')"),
])
def test_an_answer_the_server_cut_for_another_reason_says_so_and_is_not_cached(
        library, scripted, finish, notice):
    scripted.stream(scripted_answer("Descale it every", finish=finish))
    settings = library.model_copy(update={"openai_base_url": f"{scripted.url}/v1"})
    first = ask_service(settings)
    assert first.text.startswith("Descale it every") and first.record.notice == notice
    assert not ask_service(settings).cached and len(scripted.paths) == 2


@pytest.mark.parametrize("events", [
    [chunk("  "), chunk("\n"), chunk(finish="stop"), "[DONE]"],
    [chunk("<think>The user asks about kettles.</think>"), chunk("\n\n"), chunk(finish="stop"),
     "[DONE]"],
], ids=["white-space", "a-think-block"])
def test_an_answer_with_nothing_to_read_is_empty_and_not_cached(library, scripted, events):
    scripted.stream(events)
    settings = library.model_copy(update={"openai_base_url": f"{scripted.url}/v1"})
    first = ask_service(settings)
    assert first.record.notice == "the model returned an empty answer"
    assert not ask_service(settings).cached and len(scripted.paths) == 2


# -- 7. a reasoning model's think block


def test_a_leading_think_block_is_not_shown_however_it_is_split(settings, scripted, passages):
    scripted.stream([chunk("<th"), chunk("ink>\nThe user asks about llamas"), chunk(".</th"),
                     chunk("ink>"), chunk("\n\n"), chunk("Llamas live in the Andes [2]."),
                     chunk(finish="stop"), "[DONE]"])
    deltas, record = ask(settings, passages)
    assert "".join(deltas) == "Llamas live in the Andes [2]."
    assert record.notice is None


def test_a_workers_ai_reasoning_model_s_think_block_is_not_shown_either(settings, scripted,
                                                                         passages):
    from rag.providers.generators.workers_ai import WorkersAIGenerator

    scripted.stream([{"response": "<think>Llamas"}, {"response": " are camelids.</think>\n"},
                     {"response": "Llamas live in the Andes [2]."},
                     {"response": "", "usage": usage(40, 12)}, "[DONE]"])
    generator = WorkersAIGenerator.from_settings(settings.model_copy(update={
        "cloudflare_base_url": f"{scripted.url}/client/v4", "workers_ai_fallback_models": []}))
    record = GenerationRecord()
    with closing(generator):
        deltas = list(generator.stream(GenerationRequest(QUESTION, passages), record))
    assert "".join(deltas) == "Llamas live in the Andes [2]."
    assert "/ai/run/" in scripted.paths[-1]


@pytest.mark.parametrize("model", ["deepseek-r1:7b", "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b",
                                   "qwq:32b"])
def test_reasoning_a_template_opened_is_not_shown_without_its_opening_tag(
        settings, scripted, passages, model: str):
    """DeepSeek-R1's distills and QwQ start inside a think block their template opened."""
    scripted.stream([chunk("Okay, the user asks where llamas live. The passage"),
                     chunk(" [2] says the Andes.</th"), chunk("ink>\n\nLlamas live in "),
                     chunk("the Andes [2]."), chunk(finish="stop"), "[DONE]"])
    deltas, _ = ask(settings.model_copy(update={"openai_chat_model": model}), passages)
    assert "".join(deltas) == "Llamas live in the Andes [2]."


def test_a_template_opened_model_that_does_not_reason_is_shown_whole(settings, scripted,
                                                                    passages):
    scripted.stream(scripted_answer("Llamas live in the Andes [2]."))
    deltas, _ = ask(settings.model_copy(update={"openai_chat_model": "deepseek-r1:7b"}),
                    passages)
    assert "".join(deltas) == "Llamas live in the Andes [2]."


def test_other_models_answers_are_not_held_for_a_closing_tag(settings, scripted, passages):
    scripted.stream(scripted_answer("Write </think> to close a block [2]."))
    deltas, _ = ask(settings, passages)  # llama3.1: streamed as it comes, the tag as text
    assert "".join(deltas) == "Write </think> to close a block [2]."


def test_think_tags_later_in_an_answer_are_left_alone(settings, scripted, passages):
    scripted.stream(scripted_answer("Use <think> tags [2]."))
    deltas, _ = ask(settings, passages)
    assert "".join(deltas) == "Use <think> tags [2]."


def reasoning(text: str) -> dict[str, Any]:
    """A chunk of reasoning as a server with a reasoning parser sends it (vLLM)."""
    return {"object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"reasoning_content": text}, "finish_reason": None}]}


THINKING = [chunk("<think>\nThe user asks"), chunk(" where llamas live. Passage [2]")]
CUDA_ERROR = {"error": {"code": 500, "message": "CUDA out of memory", "type": "server_error"}}


@pytest.mark.parametrize("ending", [[], [CUDA_ERROR]], ids=["closed", "an-error-event"])
def test_a_stream_broken_inside_its_think_block_quotes_the_passages(library, scripted, ending):
    """Nothing was shown: the model failed before its first word."""
    scripted.stream([*THINKING, *ending])
    answer = ask_service(library.model_copy(update={"openai_base_url": f"{scripted.url}/v1"}))
    assert answer.degraded == ["models_unavailable"] and "every month" in answer.text
    assert "answer interrupted" not in answer.text and "<think>" not in answer.text
    assert ("CUDA out of memory" if ending else "ended without finishing") in (
        answer.record.notice or "")


def test_a_stream_broken_inside_its_think_block_hands_over_to_the_fallback_model(
        settings, scripted, passages):
    from rag.providers.generators.workers_ai import WorkersAIGenerator

    scripted.stream([{"response": "<think>The user asks"}, {"response": " about llamas."}])
    generator = WorkersAIGenerator.from_settings(settings.model_copy(update={
        "cloudflare_base_url": f"{scripted.url}/client/v4",
        "workers_ai_fallback_models": ["@cf/meta/llama-3.2-1b-instruct"]}))
    with closing(generator), pytest.raises(AIError, match="No model could answer"):
        list(generator.stream(GenerationRequest(QUESTION, passages), GenerationRecord()))
    assert [path.rsplit("/", 1)[1] for path in scripted.paths] == [
        "llama-3.1-8b-instruct", "llama-3.2-1b-instruct"]


def test_an_answer_held_for_a_closing_tag_is_kept_when_the_stream_breaks(settings, scripted,
                                                                         passages):
    scripted.stream([chunk("Llamas live"), chunk(" in the Andes [2].")])  # no finish, no [DONE]
    deltas, record = ask(settings.model_copy(update={"openai_chat_model": "deepseek-r1:8b"}),
                         passages)
    assert "".join(deltas).startswith("Llamas live in the Andes [2].\n\n[answer interrupted:")
    assert record.interrupted and record.model == "deepseek-r1:8b"


def test_reasoning_sent_apart_lets_a_template_opened_model_s_answer_stream(settings, scripted,
                                                                         passages):
    scripted.stream([reasoning("The user asks where llamas live."), chunk("Llamas live"),
                     chunk(" in the Andes [2]."), chunk(finish="stop"), "[DONE]"])
    deltas, record = ask(settings.model_copy(update={"openai_chat_model": "deepseek-r1:8b"}),
                         passages)
    assert deltas == ["Llamas live", " in the Andes [2]."] and record.notice is None


# -- 8. an account out of quota


OPENAI_QUOTA = {"error": {"message": "You exceeded your current quota, please check your plan "
                          "and billing details.", "type": "insufficient_quota", "param": None,
                          "code": "insufficient_quota"}}


@pytest.mark.parametrize("body", [
    OPENAI_QUOTA,
    {"error": {**OPENAI_QUOTA["error"], "code": None}},  # a server that copies the message only
    {"error": {"message": "Quota exhausted for this key.", "type": "insufficient_quota",
               "code": None}},  # only OpenAI's class of error says so
], ids=["code", "message-only", "type-only"])
def test_an_exhausted_quota_is_permanent_and_names_the_billing(settings, scripted, passages,
                                                               body):
    scripted.reply(body, status=429)
    with pytest.raises(PermanentAIError) as raised:
        ask(settings.model_copy(update={"ai_max_attempts": 4}), passages)
    message = str(raised.value)
    assert not isinstance(raised.value, ModelRefusedError)  # no model of this account answers
    assert "quota" in message and "billing" in message
    assert "rate limiting" not in message
    assert len(scripted.paths) == 1  # not retried


# -- 9. an event stream declared as plain text (some proxies)


def test_an_event_stream_sent_as_plain_text_is_read_as_one(settings, scripted, passages):
    scripted.stream(scripted_answer("Llamas live in the Andes [2]."), media_type="text/plain")
    deltas, record = ask(settings, passages)
    assert "".join(deltas) == "Llamas live in the Andes [2]."
    assert record.notice is None and not record.interrupted


def test_a_plain_text_body_that_is_no_event_stream_is_still_an_error(settings, scripted,
                                                                      passages):
    scripted.reply("upstream model crashed: data unavailable", media_type="text/plain")
    with pytest.raises(AIError, match="sent neither an event stream nor JSON for llama3.1"):
        ask(settings, passages)


# -- 10. vectors of another length than the collection's


def ingest_kettle(settings, folder) -> str | None:
    """Ingest a one-line manual; the error of the file, if it failed."""
    path = folder / "kettle.md"
    path.write_text(f"# Kettle\n\nDescale the kettle every month ({folder.name}).")
    with closing(build_service(settings)) as service:
        (result,) = service.ingest([path]).files
    return result.error


def test_a_model_of_another_length_names_the_collection_not_a_setting_never_set(
        ai_settings, standin, scripted, tmp_path):
    filled = ai_settings.model_copy(update={"embedder": "openai"})  # the stand-in's 768
    (tmp_path / "first").mkdir()
    assert ingest_kettle(filled, tmp_path / "first") is None
    scripted.reply({"data": [{"index": 0, "embedding": [0.6, 0.8]}]})
    (tmp_path / "second").mkdir()
    error = ingest_kettle(filled.model_copy(
        update={"openai_base_url": f"{scripted.url}/v1"}), tmp_path / "second")
    assert error is not None and "returned 2-dimensional vectors" in error
    assert "RAG_OPENAI_EMBEDDING_DIMENSION" not in error
    assert "filled with 768-dimensional vectors" in error and "RAG_COLLECTION" in error


def test_a_configured_length_the_model_does_not_give_names_its_setting(settings, scripted):
    scripted.reply({"data": [{"index": 0, "embedding": [0.1, 0.2, 0.3]}]})
    with pytest.raises(PermanentAIError, match="expected 2. Check "
                                               "RAG_OPENAI_EMBEDDING_DIMENSION"):
        embed(settings, ["one"])


@pytest.mark.parametrize("refusal", [
    {"message": "Unrecognized request argument supplied: stream_options",
     "type": "invalid_request_error"},  # Azure OpenAI's
    {"message": "Unknown parameter.", "param": "stream_options",
     "code": "unknown_parameter"},  # the field named apart, as OpenAI's errors do
])
def test_a_server_refusing_stream_options_is_asked_again_without_them(ai_settings, passages,
                                                                     refusal):
    """An older OpenAI API (Azure OpenAI's before 2024-09) refuses the request that asks for
    the usage at the stream's end: asked again without it, and from then on, it answers."""
    bodies: list[dict[str, Any]] = []

    async def handle(request: Request) -> Response:
        body = json.loads(await request.body())
        bodies.append(body)
        if "stream_options" in body:
            return Response(json.dumps({"error": refusal}), status_code=400,
                            media_type="application/json")
        events = [chunk("Llamas live in the Andes [2]."), chunk(finish="stop"), "[DONE]"]

        async def stream() -> Iterator[bytes]:
            for event in events:
                yield f"data: {event if isinstance(event, str) else json.dumps(event)}\n\n".encode()

        return StreamingResponse(stream(), media_type="text/event-stream")

    with answering(handle) as url:
        settings = ai_settings.model_copy(update={"openai_base_url": f"{url}/v1"})
        for _ in range(2):
            deltas, record = ask(settings, passages)
            assert "".join(deltas) == "Llamas live in the Andes [2]." and record.notice is None
    assert ["stream_options" in body for body in bodies] == [True, False, False]
