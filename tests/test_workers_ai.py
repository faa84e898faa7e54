"""Workers AI embedder and generator against the loopback stand-in (native and AI Gateway)."""

from __future__ import annotations

import logging
import threading
import time

import httpx
import numpy as np
import pytest

from rag.errors import (
    ConfigError,
    InputTooLongError,
    PermanentAIError,
    ReaderGone,
    TransientAIError,
)
from rag.providers.cloudflare.client import cloudflare_http
from rag.providers.cloudflare.pricing import neurons_for
from rag.providers.embedders.workers_ai import WorkersAIEmbedder
from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.openai import OpenAIGenerator
from rag.providers.generators.prompting import passage_block
from rag.providers.generators.workers_ai import WorkersAIGenerator
from rag.providers.guards.llama_guard import LlamaGuard
from rag.text.tokens import estimate_tokens
from rag.types import GenerationRecord, Hit
from tests.workers_ai_server import ACCOUNT, GATEWAY, NEURONS_PER_M, TOKEN, embed_text

EMBED = "@cf/baai/bge-base-en-v1.5"
PRIMARY = "@cf/meta/llama-3.1-8b-instruct"
FALLBACK = "@cf/meta/llama-3.2-1b-instruct"
FP8 = "@cf/meta/llama-3.1-8b-instruct-fp8"
QUESTION = "Where do llamas live?"


def ai_calls(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [r.ai_call for r in caplog.records if hasattr(r, "ai_call")]


def ask(generator, passages, question=QUESTION, history=()):
    record = GenerationRecord()
    deltas = list(generator.stream(GenerationRequest(question, passages, list(history)), record))
    return deltas, record


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["cloudflare_account_id", "cloudflare_api_token"])
@pytest.mark.parametrize("cls", [WorkersAIEmbedder, WorkersAIGenerator])
def test_missing_credentials_name_the_variable(ai_settings, cls, missing):
    settings = ai_settings.model_copy(update={missing: None})
    with pytest.raises(ConfigError, match=missing.upper()):
        cls.from_settings(settings)


def test_embedder_identity(ai_settings):
    embedder = WorkersAIEmbedder.from_settings(ai_settings)
    assert embedder.name == f"workers-ai:{EMBED}"
    assert (embedder.dimension, embedder.max_tokens, embedder.max_batch) == (768, 512, 100)
    assert WorkersAIGenerator.from_settings(ai_settings).name == "workers-ai"


# --- embeddings -------------------------------------------------------------------------------


def test_batches_of_at_most_100_in_flight_together_in_input_order(ai_settings, standin):
    standin.gather = 2  # proves requests overlap, however slowly this machine sends them
    texts = [f"chunk {i} about topic{i % 17} and item{i}" for i in range(1050)]
    embedder = WorkersAIEmbedder.from_settings(ai_settings)
    vectors = embedder.embed_documents(texts)

    sizes = [r.batch_size for r in standin.requests]
    assert max(sizes) <= 100 and sum(sizes) == 1050 and len(sizes) == 11
    assert 2 <= standin.max_in_flight <= ai_settings.ai_embed_concurrency
    expected = np.array([embed_text(text, 768, "cls") for text in texts], dtype=np.float32)
    np.testing.assert_allclose(vectors, expected, atol=1e-5)


def test_embedding_request_shape(ai_settings, standin):
    WorkersAIEmbedder.from_settings(ai_settings).embed_documents(["hello there"])
    (request,) = standin.requests
    assert request.path == f"/client/v4/accounts/{ACCOUNT}/ai/run/{EMBED}"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.body == {"text": ["hello there"], "pooling": "cls"}


def test_similar_texts_embed_closer_than_unrelated_ones(ai_settings):
    embedder = WorkersAIEmbedder.from_settings(ai_settings)
    query = embedder.embed_query("opening hours of the office")
    docs = embedder.embed_documents(["The office opening hours are nine to five.",
                                     "Llamas graze in the Andes."])
    assert float(docs[0] @ query) > float(docs[1] @ query)


def test_a_text_over_512_tokens_is_refused_before_any_request(ai_settings, standin):
    embedder = WorkersAIEmbedder.from_settings(ai_settings)
    with pytest.raises(InputTooLongError, match="512"):
        embedder.embed_documents(["short", "word " * 600])
    assert standin.requests == []


def test_a_wrong_dimension_is_reported(ai_settings, standin):
    standin.embedding_dimension = 384
    with pytest.raises(PermanentAIError, match="384-dimensional.*expected 768"):
        WorkersAIEmbedder.from_settings(ai_settings).embed_documents(["text"])


@pytest.mark.parametrize("component", ["null", "1e39", "-1e39", '"0.5"', "true"])
def test_a_vector_holding_a_null_or_a_number_beyond_float32_is_malformed(ai_settings, standin,
                                                                         component):
    """Read as NaN or infinity, the component would spoil the whole vector once normalised:
    a chunk or a question no search finds. A string or a boolean is no number either."""
    standin.first_component = component
    embedder = WorkersAIEmbedder.from_settings(ai_settings)
    with pytest.raises(PermanentAIError, match=f"sent malformed embeddings for {EMBED}"):
        embedder.embed_documents(["first text", "second text"])
    with pytest.raises(PermanentAIError, match="malformed embeddings"):
        embedder.embed_query(QUESTION)
    assert len(standin.requests) == 2  # never retried: the same answer would come again


@pytest.mark.parametrize("code", [5021, 3006])
def test_embeddings_too_large_are_advised_smaller_chunks_not_a_batch_size(ai_settings, standin,
                                                                          code):
    """Workers AI is sent up to 100 texts a request whatever RAG_EMBED_BATCH_SIZE says:
    only smaller chunks make the request smaller."""
    standin.fail(413, code)
    with pytest.raises(PermanentAIError) as info:
        WorkersAIEmbedder.from_settings(ai_settings).embed_documents(["some text"])
    message = str(info.value)
    assert message.startswith(f"The texts are too large for the embedding model {EMBED} "
                              f"(HTTP 413, code {code}: ")
    assert message.endswith("At ingest, lower RAG_CHUNK_TOKENS; for a search, shorten the "
                            "question.")


def test_a_failing_batch_fails_the_whole_ingest(ai_settings, standin):
    standin.fail(400, 5006, times=1)
    with pytest.raises(PermanentAIError, match="invalid"):
        WorkersAIEmbedder.from_settings(ai_settings).embed_documents(["t"] * 350)


# --- chat -------------------------------------------------------------------------------------


def test_streams_a_cited_answer_from_the_passages(ai_settings, standin, passages, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    deltas, record = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    answer = "".join(deltas)
    assert len(deltas) > 3
    assert "Llamas live mostly in the Andes of Peru and Bolivia." in answer and "[2]" in answer
    assert record.model == PRIMARY and record.notice is None and record.attempts == 1
    assert record.completion_tokens == len(deltas)
    assert record.passages_used == 3

    (request,) = standin.requests
    assert request.path == f"/client/v4/accounts/{ACCOUNT}/ai/run/{PRIMARY}"
    body = request.body
    assert body["stream"] is True
    assert body["max_tokens"] == ai_settings.ai_max_tokens
    assert body["temperature"] == ai_settings.ai_temperature
    system = body["messages"][0]
    assert system["role"] == "system" and "Llamas" not in system["content"]
    (call,) = ai_calls(caplog)
    assert call["ttft_ms"] <= call["duration_ms"] and call["outcome"] == "ok"


def test_tokens_arrive_before_the_stream_ends(ai_settings, standin, passages):
    release = standin.hold_after_first_token()
    stream = WorkersAIGenerator.from_settings(ai_settings).stream(
        GenerationRequest(QUESTION, passages), GenerationRecord())
    timer = threading.Timer(8.0, release.set)  # unblock the server if the client buffers
    timer.start()
    try:
        started = time.monotonic()
        first = next(stream)
        assert time.monotonic() - started < 4.0
        assert standin.hold_state == "holding"  # the server has not sent the rest yet
        release.set()
        rest = "".join(stream)
    finally:
        timer.cancel()
    assert first and "[2]" in rest and standin.hold_state == "released"


def test_streamed_answers_share_one_kept_alive_connection(ai_settings, standin, passages):
    generator = WorkersAIGenerator.from_settings(ai_settings)
    answers = ["".join(ask(generator, passages)[0]) for _ in range(3)]
    assert all("[2]" in answer for answer in answers)
    ports = {request.client_port for request in standin.requests}
    assert len(standin.requests) == 3 and len(ports) == 1 and None not in ports


def test_a_call_finding_every_connection_busy_times_out_as_a_transient_error(ai_settings,
                                                                             standin):
    settings = ai_settings.model_copy(update={"ai_read_timeout_seconds": 0.5,
                                              "ai_max_attempts": 1})
    http = cloudflare_http(settings, max_connections=1)
    release = standin.hold_after_first_token()
    chat = f"{settings.cloudflare_base_url}/accounts/{ACCOUNT}/ai/run/{PRIMARY}"
    body = {"messages": [{"role": "user", "content": QUESTION}], "stream": True}
    with http.call(model=PRIMARY, endpoint="run", kind="chat") as stats:
        stream = http.stream_events(chat, body, stats)
        next(stream)  # the one connection is held by this stream
        embed = f"{settings.cloudflare_base_url}/accounts/{ACCOUNT}/ai/run/{EMBED}"
        with http.call(model=EMBED, endpoint="run", kind="embedding") as other, \
                pytest.raises(TransientAIError, match="did not answer in time"):
            http.post_json(embed, {"text": ["alpha"]}, other)
        release.set()
        assert list(stream)
    with http.call(model=EMBED, endpoint="run", kind="embedding") as stats:
        assert http.post_json(embed, {"text": ["alpha"]}, stats)["result"]["data"]
    assert len({request.client_port for request in standin.requests}) == 1


def test_closing_the_stream_early_cancels_the_call(ai_settings, standin, passages, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    release = standin.hold_after_first_token()
    stream = WorkersAIGenerator.from_settings(ai_settings).stream(
        GenerationRequest(QUESTION, passages), GenerationRecord())
    assert next(stream)
    stream.close()  # the user pressed stop
    release.set()
    (call,) = ai_calls(caplog)
    assert call["outcome"] == "cancelled" and "ttft_ms" in call


def test_a_draft_read_whole_stops_at_the_next_event_once_its_reader_is_gone(
        ai_settings, standin, passages, caplog):
    """Consensus drafts and held answers are read whole before anyone sees a word: once the
    reader has gone, the stream ends at its next event, not after the whole answer."""
    caplog.set_level(logging.INFO, logger="rag.ai")
    release = standin.hold_after_first_token()
    request = GenerationRequest(QUESTION, passages)
    record = GenerationRecord()
    stream = WorkersAIGenerator.from_settings(ai_settings).stream(request, record)
    assert next(stream)
    request.reader_gone.set()
    release.set()
    with pytest.raises(ReaderGone):
        next(stream)
    (call,) = ai_calls(caplog)
    assert call["outcome"] == "cancelled" and record.neurons  # what it cost still counts


def test_history_is_sent_between_instructions_and_question(ai_settings, standin, passages):
    history = [{"role": "user", "content": "Tell me about camelids."},
               {"role": "assistant", "content": "Camelids include llamas [2]."}]
    ask(WorkersAIGenerator.from_settings(ai_settings), passages, history=history)
    messages = standin.requests[0].body["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[-1]["content"].endswith(f"Question: {QUESTION}")


@pytest.mark.parametrize("style", ["choices", "both"])
def test_openai_shaped_chunks_on_the_native_route(ai_settings, standin, passages, style):
    plain, _ = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    standin.run_stream_style = style
    shaped, record = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    assert shaped == plain and record.completion_tokens == len(plain)


def test_malformed_events_are_skipped(ai_settings, standin, passages, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    plain, _ = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    standin.malformed_events()
    deltas, record = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    assert deltas == plain and record.notice is None
    assert ai_calls(caplog)[-1]["malformed_events"] == 3


def test_a_server_that_ignores_stream_true_still_answers(ai_settings, standin, passages):
    standin.ignore_stream = True
    deltas, record = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    assert len(deltas) == 1 and "[2]" in deltas[0]
    assert record.model == PRIMARY and record.prompt_tokens > 0


# --- fallback and interruption ----------------------------------------------------------------


def test_capacity_errors_fall_back_to_the_next_model(ai_settings, standin, passages, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    standin.fail(429, 3040, model=PRIMARY, times=None)
    deltas, record = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    assert "[2]" in "".join(deltas)
    assert record.model == FALLBACK and record.notice is None
    models = [r.model for r in standin.requests]
    assert models == [PRIMARY] * ai_settings.ai_max_attempts + [FALLBACK]
    assert record.attempts == ai_settings.ai_max_attempts + 1
    outcomes = [(c["model"], c["outcome"], c.get("error_code")) for c in ai_calls(caplog)]
    assert outcomes == [(PRIMARY, "error", 3040), (FALLBACK, "ok", None)]


def test_a_stream_breaking_before_the_first_token_falls_back(ai_settings, standin, passages):
    standin.cut_stream(0, model=PRIMARY)
    deltas, record = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    assert record.model == FALLBACK and "[2]" in "".join(deltas)
    assert "interrupted" not in "".join(deltas) and record.notice is None


def test_a_stream_stalling_before_the_first_token_falls_back(ai_settings, standin, passages):
    settings = ai_settings.model_copy(update={"ai_read_timeout_seconds": 0.3})
    standin.slow_stream_start(2.0, model=PRIMARY)
    deltas, record = ask(WorkersAIGenerator.from_settings(settings), passages)
    assert record.model == FALLBACK and "[2]" in "".join(deltas)


def test_a_stream_cut_after_tokens_ends_with_a_visible_notice(ai_settings, standin, passages):
    standin.cut_stream(3)
    deltas, record = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    assert len(deltas) == 4
    assert deltas[-1].startswith("\n\n[answer interrupted: ") and deltas[-1].endswith("]")
    assert record.notice and record.notice.startswith("answer interrupted")
    assert record.model == PRIMARY
    assert len(standin.requests) == 1  # nothing is retried once text was shown


@pytest.mark.parametrize("ending", ["cut", "stopped"])
def test_an_answer_that_never_reports_its_usage_is_charged_its_estimate(
        ai_settings, standin, passages, ending):
    """Cut mid-stream, or stopped by its reader, the answer sends no usage event (nor, from
    the real API, a neurons header): its neurons are priced from the prompt as estimated and
    the text that arrived, not counted as none against the user's budget."""
    standin.neurons_mode = "usage"
    if ending == "cut":
        standin.cut_stream(3)
    record = GenerationRecord()
    stream = WorkersAIGenerator.from_settings(ai_settings).stream(
        GenerationRequest(QUESTION, passages, []), record)
    arrived = [next(stream), next(stream), next(stream)]
    if ending == "stopped":
        stream.close()
    else:
        assert "interrupted" in list(stream)[-1]
    assert record.prompt_tokens is None  # nothing reported
    assert record.estimated_prompt_tokens and record.neurons is not None
    prompt_only = neurons_for(PRIMARY, record.estimated_prompt_tokens, 0)
    assert prompt_only < record.neurons < neurons_for(
        PRIMARY, record.estimated_prompt_tokens, 2 * estimate_tokens("".join(arrived)) + 8)


def test_an_error_event_after_tokens_interrupts(ai_settings, standin, passages):
    standin.error_event(after_tokens=2)
    deltas, record = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    assert len(deltas) == 3 and "out of capacity" in deltas[-1]
    assert record.notice and "interrupted" in record.notice
    # the response was a 200: the event gave a code, not a status, and is not said to be one
    assert "(an error event in the stream, code 3040: " in deltas[-1]
    assert "HTTP" not in deltas[-1]


def test_a_plain_text_error_event_says_its_text(ai_settings, standin, passages, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    standin.error_event(after_tokens=2, text="Model overloaded: try again in a minute")
    deltas, record = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    assert len(deltas) == 3 and "Model overloaded: try again in a minute" in deltas[-1]
    assert record.notice and "Model overloaded" in record.notice
    (call,) = ai_calls(caplog)
    assert call["outcome"] == "interrupted" and call.get("malformed_events") is None


def test_a_200_that_reports_a_failure_is_that_failure_not_an_empty_answer(ai_settings,
                                                                           standin, passages):
    standin.fail(200, 5006, message="AiError: Bad input: Error: /messages: too many turns")
    with pytest.raises(PermanentAIError) as info:
        ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    message = str(info.value)
    assert message.startswith(f"Workers AI reported a failure for {PRIMARY}: ")
    assert "too many turns" in message and info.value.code == 5006
    assert [r.model for r in standin.requests] == [PRIMARY]  # any model would fail the same


def test_when_every_model_is_out_of_capacity_the_error_lists_them(ai_settings, standin,
                                                                    passages):
    settings = ai_settings.model_copy(update={"ai_max_attempts": 2})
    standin.fail(429, 3040, times=None)
    with pytest.raises(TransientAIError) as info:
        ask(WorkersAIGenerator.from_settings(settings), passages)
    message = str(info.value)
    for model in [PRIMARY, *settings.workers_ai_fallback_models]:
        assert model in message
    assert len(standin.requests) == 2 * (1 + len(settings.workers_ai_fallback_models))


@pytest.mark.parametrize(("status", "code"), [(400, 5006), (429, 4006), (401, 10000)])
def test_permanent_errors_do_not_fall_back(ai_settings, standin, passages, status, code):
    standin.fail(status, code, model=PRIMARY)
    with pytest.raises(PermanentAIError):
        ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    assert [r.model for r in standin.requests] == [PRIMARY]


# refusals that concern one model only: another model may still answer
MODEL_REFUSALS = [(403, 5016), (403, 5018), (403, 3041), (400, 5007), (404, 3042), (413, 5021)]


@pytest.mark.parametrize(("status", "code"), MODEL_REFUSALS)
def test_a_fallback_refused_for_its_own_reasons_hands_over_to_the_next(
        ai_settings, standin, passages, caplog, status, code):
    caplog.set_level(logging.INFO, logger="rag.ai")
    settings = ai_settings.model_copy(update={"ai_max_attempts": 1})
    standin.fail(429, 3040, model=PRIMARY, times=None)
    standin.fail(status, code, model=FALLBACK, times=None)
    deltas, record = ask(WorkersAIGenerator.from_settings(settings), passages)
    assert record.model == FP8 and "[2]" in "".join(deltas)
    assert [r.model for r in standin.requests] == [PRIMARY, FALLBACK, FP8]
    outcomes = [(c["model"], c["outcome"], c.get("error_code")) for c in ai_calls(caplog)]
    assert outcomes == [(PRIMARY, "error", 3040), (FALLBACK, "error", code), (FP8, "ok", None)]


def test_the_primary_refused_for_its_own_reasons_hands_over_too(ai_settings, standin,
                                                                 passages):
    standin.fail(403, 5016, model=PRIMARY, times=None)
    _, record = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    assert record.model == FALLBACK
    assert [r.model for r in standin.requests] == [PRIMARY, FALLBACK]


def test_when_every_model_fails_the_most_telling_failure_leads(ai_settings, standin,
                                                               passages):
    settings = ai_settings.model_copy(update={"ai_max_attempts": 1})
    standin.fail(403, 5016, model=PRIMARY, times=None)
    standin.fail(429, 3040, model=FALLBACK, times=None)
    standin.fail(400, 5007, model=FP8, times=None)
    with pytest.raises(TransientAIError) as info:
        ask(WorkersAIGenerator.from_settings(settings), passages)
    assert (info.value.status, info.value.code) == (429, 3040)
    message = str(info.value)
    assert message.startswith(f"No model could answer. {FALLBACK}: Workers AI is out of "
                              "capacity")
    assert message.index(PRIMARY) < message.index(FP8)  # the others, in the order tried
    assert "code 5016" in message and "code 5007" in message


@pytest.mark.parametrize(("status", "code"), [(429, 4006), (401, 10000), (400, 5006),
                                              (404, 7003), (403, 3023)])
def test_a_fallback_refused_for_every_model_stops_the_chain(ai_settings, standin, passages,
                                                            status, code):
    settings = ai_settings.model_copy(update={"ai_max_attempts": 1})
    standin.fail(429, 3040, model=PRIMARY, times=None)
    standin.fail(status, code, model=FALLBACK, times=None)
    with pytest.raises(PermanentAIError) as info:
        ask(WorkersAIGenerator.from_settings(settings), passages)
    assert info.value.code == code
    assert [r.model for r in standin.requests] == [PRIMARY, FALLBACK]


def test_an_unknown_model_is_a_clear_permanent_error(ai_settings, standin, passages):
    settings = ai_settings.model_copy(update={"workers_ai_chat_model": "@cf/meta/llama-9-imaginary",
                                              "workers_ai_fallback_models": []})
    with pytest.raises(PermanentAIError, match="has no model '@cf/meta/llama-9-imaginary'") as info:
        ask(WorkersAIGenerator.from_settings(settings), passages)
    assert str(info.value).endswith("Check the model name in RAG_WORKERS_AI_CHAT_MODEL.")


def test_an_unknown_fallback_model_names_the_fallbacks_setting(ai_settings, standin, passages):
    typo = f"{FALLBACK}-typo"
    settings = ai_settings.model_copy(update={"ai_max_attempts": 1,
                                              "workers_ai_fallback_models": [typo]})
    standin.fail(429, 3040, model=PRIMARY, times=None)
    with pytest.raises(TransientAIError) as info:
        ask(WorkersAIGenerator.from_settings(settings), passages)
    assert (f"{typo}: Workers AI has no model '{typo}' (HTTP 400, code 5007: No such model "
            f"{typo} or task). Check the model name in RAG_WORKERS_AI_FALLBACK_MODELS."
            ) in str(info.value)


def test_an_unknown_embedding_model_names_its_setting(ai_settings, standin):
    settings = ai_settings.model_copy(update={"workers_ai_embedding_model": f"{EMBED}-typo"})
    with pytest.raises(PermanentAIError) as info:
        WorkersAIEmbedder.from_settings(settings).embed_documents(["some text"])
    assert str(info.value).endswith("Check the model name in RAG_WORKERS_AI_EMBEDDING_MODEL.")


def test_an_unknown_safety_model_names_its_setting(ai_settings, standin):
    settings = ai_settings.model_copy(update={"content_filter_model": "@cf/meta/llama-guard-9"})
    with pytest.raises(PermanentAIError) as info:
        LlamaGuard.from_settings(settings).classify(QUESTION)
    assert str(info.value).endswith("Check the model name in RAG_CONTENT_FILTER_MODEL.")


def test_a_blocked_account_says_no_model_will_answer_and_where_to_look(ai_settings, standin,
                                                                      passages):
    """3023 is the account, not the token or a model: every model stops, and the advice
    is the account's, never a licence to accept."""
    standin.fail(403, 3023, times=None)
    with pytest.raises(PermanentAIError) as info:
        ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    message = str(info.value)
    assert message.startswith("Workers AI refused the Cloudflare account (HTTP 403, code 3023")
    assert ("the account (CLOUDFLARE_ACCOUNT_ID) is blocked from Workers AI, so no model will "
            "answer. Check the account in the Cloudflare dashboard, or contact Cloudflare "
            "support;") in message
    assert "licence" not in message and PRIMARY not in message
    assert [r.model for r in standin.requests] == [PRIMARY]


# --- context window ---------------------------------------------------------------------------


def test_the_servers_context_window_error_is_permanent_with_a_hint(ai_settings, standin,
                                                                   passages):
    standin.context_windows[PRIMARY] = 600  # the server counts more than the client estimated
    alone = ai_settings.model_copy(update={"workers_ai_fallback_models": []})
    with pytest.raises(PermanentAIError, match="RAG_TOP_K") as info:
        ask(WorkersAIGenerator.from_settings(alone), passages)
    assert (info.value.status, info.value.code) == (413, 5021)
    assert len(standin.requests) == 1
    # a larger window may hold the same prompt: the next model answers
    _, record = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    assert record.model == FALLBACK
    assert [r.model for r in standin.requests[1:]] == [PRIMARY, FALLBACK]


def test_a_question_too_long_for_the_window_is_refused_before_the_call(ai_settings, standin,
                                                                       passages):
    settings = ai_settings.model_copy(update={"workers_ai_fallback_models": []})
    with pytest.raises(InputTooLongError, match="7968"):
        ask(WorkersAIGenerator.from_settings(settings), passages, question="why " * 9000)
    assert standin.requests == []


def test_a_question_is_checked_against_the_windows_its_answer_may_be_asked_of(
        ai_settings, standin, passages):
    """`check_question` refuses, before any passage is found for it, the question `stream`
    would refuse, and with the same words: one no model's window holds beside the
    instructions, the primary's reason given; another model whose window holds it answers."""
    question = "why " * 9000
    alone = WorkersAIGenerator.from_settings(
        ai_settings.model_copy(update={"workers_ai_fallback_models": []}))
    with pytest.raises(InputTooLongError, match="7968") as checked:
        alone.check_question(question)
    with pytest.raises(InputTooLongError) as streamed:
        ask(alone, passages, question=question)
    assert str(checked.value) == str(streamed.value)
    with_fallbacks = WorkersAIGenerator.from_settings(ai_settings)
    with_fallbacks.check_question(question)  # the 1B model's 60,000 tokens hold it
    _, record = ask(with_fallbacks, passages, question=question)
    assert record.model == FALLBACK


def test_the_stand_in_refuses_a_message_longer_than_the_schema_allows(ai_settings, standin):
    url = f"{standin.url}/client/v4/accounts/{ACCOUNT}/ai/run/{FALLBACK}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for chars, status in ((131_072, 200), (131_073, 400)):
        body = {"messages": [{"role": "user", "content": "a" * chars}], "max_tokens": 16}
        response = httpx.post(url, json=body, headers=auth)
        assert response.status_code == status
    assert response.json()["errors"][0]["code"] == 5006


def test_each_message_is_kept_within_the_characters_it_may_hold(ai_settings, standin):
    # the 1B model's 60,000 tokens hold more than the 131,072 characters one message may
    settings = ai_settings.model_copy(update={"workers_ai_chat_model": FALLBACK,
                                              "workers_ai_fallback_models": []})
    text = "Llamas live in the Andes. " + "information about international bodies " * 100
    hits = [Hit(f"d{n}", f"docs/file{n}.md", None, f"c{n}", 1.0 - n / 100, text)
            for n in range(1, 37)]
    assert sum(len(hit.text) for hit in hits) > 131_072
    deltas, record = ask(WorkersAIGenerator.from_settings(settings), hits)
    assert "Andes" in "".join(deltas)
    (request,) = standin.requests
    assert request.status == 200
    contents = [m["content"] for m in request.body["messages"]]
    assert max(len(content) for content in contents) <= 131_072
    kept = record.passages_used
    assert 1 <= kept < len(hits)  # the lowest-ranked passages were left out
    assert f'<passage n="{kept}"' in contents[-1]
    assert f'<passage n="{kept + 1}"' not in contents[-1]
    # as many as fit: one more passage would have made the message too long
    assert len(contents[-1]) + 2 + len(passage_block(kept + 1, hits[kept])) > 131_072


def test_fallbacks_get_a_prompt_sized_for_their_own_window(ai_settings, standin, passages):
    long_passages = [p.__class__(**{**p.as_json(), "text": p.text + " filler" * 3000})
                     for p in passages]
    standin.fail(429, 3040, model=PRIMARY, times=None)
    settings = ai_settings.model_copy(update={"ai_max_attempts": 1})
    _, record = ask(WorkersAIGenerator.from_settings(settings), long_passages)
    primary_body, fallback_body = (r.body for r in standin.requests)
    assert record.model == FALLBACK
    def question_message(body: dict) -> str:
        return body["messages"][-1]["content"]

    assert len(question_message(fallback_body)) > len(question_message(primary_body))


@pytest.mark.parametrize("kind", ["workers-ai", "openai"])
def test_a_model_is_told_which_words_of_the_question_no_document_mentions(
        ai_settings, standin, passages, kind):
    """So that it says so, rather than answer from what it knows of dplyr."""
    generator = (WorkersAIGenerator if kind == "workers-ai" else OpenAIGenerator).from_settings(
        ai_settings)
    request = GenerationRequest("How do llamas use dplyr?", passages, unheld=("dplyr",))
    list(generator.stream(request, GenerationRecord()))
    asked = standin.requests[-1].body["messages"][-1]["content"]
    assert asked.endswith("Question: How do llamas use dplyr?\n"
                          "(No document mentions “dplyr”.)")
    list(generator.stream(GenerationRequest("How do llamas use dplyr?", passages),
                          GenerationRecord()))
    assert standin.requests[-1].body["messages"][-1]["content"].endswith(
        "Question: How do llamas use dplyr?")


# --- AI Gateway -------------------------------------------------------------------------------


def test_gateway_route_cache_headers_and_status(gateway_settings, standin, passages, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    settings = gateway_settings.model_copy(update={"ai_gateway_cache_ttl": 120})
    generator = WorkersAIGenerator.from_settings(settings)
    first, first_record = ask(generator, passages)
    second, second_record = ask(generator, passages)

    assert first == second
    path = f"/v1/{ACCOUNT}/{GATEWAY}/workers-ai/{PRIMARY}"
    assert [r.path for r in standin.requests] == [path, path]
    assert all(r.headers["cf-aig-cache-ttl"] == "120" for r in standin.requests)
    assert "cf-aig-skip-cache" not in standin.requests[0].headers
    assert (first_record.cache_status, second_record.cache_status) == (
        "MISS", "HIT")
    assert first_record.neurons > 0 and second_record.neurons == 0
    log_ids = [first_record.gateway_log_id, second_record.gateway_log_id]
    assert all(log_ids) and log_ids[0] != log_ids[1]
    calls = ai_calls(caplog)
    assert [c["cache_status"] for c in calls] == ["MISS", "HIT"]
    assert [c["gateway_log_id"] for c in calls] == log_ids
    assert all(c["endpoint"] == "gateway" for c in calls)


def test_a_question_differing_only_in_case_gets_a_cache_key_of_its_own(gateway_settings,
                                                                       standin, passages):
    """Case may change what is asked ("c()" and "C()" in R); spacing does not."""
    settings = gateway_settings.model_copy(update={"ai_gateway_cache_ttl": 120})
    generator = WorkersAIGenerator.from_settings(settings)
    asked = ["What does C() do?", "What does c() do?", "  What does   c() do? "]
    records = [ask(generator, passages, question)[1] for question in asked]
    keys = [request.headers["cf-aig-cache-key"] for request in standin.requests]
    assert keys[0] != keys[1] == keys[2]
    assert [record.cache_status for record in records] == ["MISS", "MISS", "HIT"]


def test_the_stand_ins_gateway_caches_a_keyed_request_without_a_ttl(gateway_settings, standin):
    url = f"{standin.url}/v1/{ACCOUNT}/{GATEWAY}/workers-ai/{PRIMARY}"
    body = {"messages": [{"role": "user", "content": "hello"}]}
    keyed = {"Authorization": f"Bearer {TOKEN}", "cf-aig-cache-key": "k1"}
    statuses = [httpx.post(url, json=body, headers=keyed).headers["cf-aig-cache-status"]
                for _ in range(2)]
    assert statuses == ["MISS", "HIT"]  # contract: keyed responses are cached 5 minutes
    plain = {"Authorization": f"Bearer {TOKEN}"}
    statuses = [httpx.post(url, json=body, headers=plain).headers["cf-aig-cache-status"]
                for _ in range(2)]
    assert statuses == ["MISS", "MISS"]


def test_without_a_cache_ttl_the_gateway_is_not_asked_to_cache(gateway_settings, standin,
                                                               passages):
    generator = WorkersAIGenerator.from_settings(gateway_settings)
    records = [ask(generator, passages)[1] for _ in range(2)]
    assert [r.cache_status for r in records] == ["MISS", "MISS"]
    assert all(r.neurons > 0 for r in records)
    for request in standin.requests:
        assert "cf-aig-cache-key" not in request.headers
        assert "cf-aig-cache-ttl" not in request.headers


def test_gateway_skip_cache(gateway_settings, standin, passages):
    settings = gateway_settings.model_copy(
        update={"ai_gateway_cache_ttl": 120, "ai_gateway_skip_cache": True})
    generator = WorkersAIGenerator.from_settings(settings)
    records = [ask(generator, passages)[1] for _ in range(2)]
    assert [r.cache_status for r in records] == ["MISS", "MISS"]
    assert all(r.headers["cf-aig-skip-cache"] == "true" for r in standin.requests)


def test_gateway_embeddings(gateway_settings, standin):
    vectors = WorkersAIEmbedder.from_settings(gateway_settings).embed_documents(["a", "b c"])
    assert vectors.shape == (2, 768)
    assert standin.requests[0].path == f"/v1/{ACCOUNT}/{GATEWAY}/workers-ai/{EMBED}"


def test_an_authenticated_gateway_needs_its_token(gateway_settings, standin, passages):
    standin.gateway_token = "gw-token-1"
    with pytest.raises(PermanentAIError, match="CLOUDFLARE_AI_GATEWAY_TOKEN"):
        ask(WorkersAIGenerator.from_settings(gateway_settings), passages)
    from pydantic import SecretStr

    settings = gateway_settings.model_copy(
        update={"cloudflare_ai_gateway_token": SecretStr("gw-token-1")})
    _, record = ask(WorkersAIGenerator.from_settings(settings), passages)
    assert record.model == PRIMARY
    assert standin.requests[-1].headers["cf-aig-authorization"] == "Bearer gw-token-1"



@pytest.mark.parametrize(("through_gateway", "named", "not_named"), [
    (True, ["CLOUDFLARE_AI_GATEWAY_ID", "CLOUDFLARE_AI_GATEWAY_BASE_URL"],
     "CLOUDFLARE_BASE_URL"),
    (False, ["CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_BASE_URL"], "GATEWAY")])
def test_a_route_refused_names_the_settings_of_the_route_taken(gateway_settings, standin,
                                                               through_gateway, named,
                                                               not_named):
    """A 7003 through AI Gateway is about the gateway's URL: CLOUDFLARE_BASE_URL is then in
    no request, and the native route has no gateway to check."""
    settings = gateway_settings.model_copy(update={
        "cloudflare_ai_gateway_id": "no-such-gateway" if through_gateway else None,
        "cloudflare_account_id": ACCOUNT if through_gateway else "no-such-account"})
    with pytest.raises(PermanentAIError) as info:
        WorkersAIEmbedder.from_settings(settings).embed_documents(["a"])
    assert info.value.code == 7003
    assert all(name in str(info.value) for name in named)
    assert not_named not in str(info.value)

# --- neurons ----------------------------------------------------------------------------------


def computed_neurons(record: GenerationRecord) -> float:
    rate_in, rate_out = NEURONS_PER_M[PRIMARY]
    return (record.prompt_tokens * rate_in + record.completion_tokens * rate_out) / 1e6


@pytest.mark.parametrize(("mode", "factor"), [
    ("header", 2.0),  # a reported figure wins over the arithmetic
    ("usage", 3.0),
    ("none", 1.0),  # nothing reported: computed from usage and the price table
])
def test_neurons_prefer_the_reported_figure(ai_settings, standin, passages, mode, factor):
    standin.neurons_mode, standin.neurons_factor = mode, factor
    _, record = ask(WorkersAIGenerator.from_settings(ai_settings), passages)
    expected = computed_neurons(record) * factor
    assert record.neurons == pytest.approx(expected, rel=1e-4)
