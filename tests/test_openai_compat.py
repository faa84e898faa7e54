"""OpenAI-compatible embedder and generator: a local-server stand-in and Workers AI's /ai/v1."""

from __future__ import annotations

import logging
from contextlib import closing

import numpy as np
import pytest
from pydantic import SecretStr

from rag.errors import PermanentAIError, TransientAIError
from rag.providers.embedders.openai import OpenAIEmbedder
from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.openai import OpenAIGenerator
from rag.service import build_service
from rag.settings import Settings
from rag.types import GenerationRecord
from tests.workers_ai_server import ACCOUNT, TOKEN, embed_text

QUESTION = "Where do llamas live?"


def ask(generator, passages):
    record = GenerationRecord()
    deltas = list(generator.stream(GenerationRequest(QUESTION, passages), record))
    return deltas, record


@pytest.fixture
def cf_openai_settings(ai_settings):
    """OpenAI mode pointed at Workers AI's OpenAI-compatible endpoints."""
    return ai_settings.model_copy(update={
        "openai_base_url": f"{ai_settings.cloudflare_base_url}/accounts/{ACCOUNT}/ai/v1",
        "openai_api_key": SecretStr(TOKEN),
        "openai_chat_model": "@cf/meta/llama-3.1-8b-instruct",
        "openai_embedding_model": "@cf/baai/bge-base-en-v1.5",
    })


def test_names(ai_settings):
    assert OpenAIGenerator.from_settings(ai_settings).name == "openai"
    assert OpenAIEmbedder.from_settings(ai_settings).name == "openai:nomic-embed-text"


def test_local_server_streams_a_cited_answer(ai_settings, standin, passages, caplog):
    caplog.set_level(logging.INFO, logger="rag.ai")
    deltas, record = ask(OpenAIGenerator.from_settings(ai_settings), passages)
    answer = "".join(deltas)
    assert len(deltas) > 3 and "Andes of Peru" in answer and "[2]" in answer
    assert record.model == "llama3.1" and record.completion_tokens == len(deltas)
    assert record.neurons == 0  # a local server's model costs no Workers AI neurons
    (request,) = standin.requests
    assert request.path == "/v1/chat/completions"
    assert "authorization" not in request.headers  # no key configured: none sent
    assert request.body["model"] == "llama3.1" and request.body["stream"] is True
    assert request.body["messages"][0]["role"] == "system"
    (call,) = [r.ai_call for r in caplog.records if hasattr(r, "ai_call")]
    assert call["endpoint"] == "chat.completions" and call["outcome"] == "ok"


def test_workers_ai_openai_endpoint_with_padding_and_trailing_usage(cf_openai_settings, standin,
                                                                     passages):
    deltas, record = ask(OpenAIGenerator.from_settings(cf_openai_settings), passages)
    assert "[2]" in "".join(deltas)
    assert record.completion_tokens == len(deltas)  # no token counted twice
    assert record.neurons > 0
    request = standin.requests[0]
    assert request.path == f"/client/v4/accounts/{ACCOUNT}/ai/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_api_key_is_sent_and_a_wrong_one_is_a_clear_error(ai_settings, standin, passages):
    standin.openai_key = "sk-local-123"
    with pytest.raises(PermanentAIError, match="OPENAI_API_KEY"):
        ask(OpenAIGenerator.from_settings(ai_settings), passages)
    settings = ai_settings.model_copy(update={"openai_api_key": SecretStr("sk-local-123")})
    _, record = ask(OpenAIGenerator.from_settings(settings), passages)
    assert record.model == "llama3.1"


@pytest.mark.parametrize("pasted", ["Bearer sk-local-123", "bearer  sk-local-123"])
def test_a_key_pasted_with_its_bearer_word_is_sent_once(ai_settings, standin, passages, pasted):
    standin.openai_key = "sk-local-123"
    settings = Settings(**{**ai_settings.model_dump(), "openai_api_key": pasted,
                           "cloudflare_api_token": f"Bearer {TOKEN}"}, _env_file=None)
    _, record = ask(OpenAIGenerator.from_settings(settings), passages)
    assert record.model == "llama3.1"
    assert standin.requests[0].headers["authorization"] == "Bearer sk-local-123"
    assert settings.cloudflare_api_token.get_secret_value() == TOKEN


def test_an_unknown_model_is_permanent(ai_settings, standin, passages):
    settings = ai_settings.model_copy(update={"openai_chat_model": "llama-nope"})
    with pytest.raises(PermanentAIError, match="has no model 'llama-nope'") as info:
        ask(OpenAIGenerator.from_settings(settings), passages)
    assert len(standin.requests) == 1
    assert str(info.value).endswith("Check the model name in RAG_OPENAI_CHAT_MODEL.")


def test_rate_limits_are_retried(ai_settings, standin, passages):
    standin.fail(429, route="openai", times=2)
    _, record = ask(OpenAIGenerator.from_settings(ai_settings), passages)
    assert record.attempts == 3 and [r.status for r in standin.requests] == [429, 429, 200]


def test_persistent_server_errors_surface_after_retries(ai_settings, standin, passages):
    standin.fail(502, route="openai", times=None)
    with pytest.raises(TransientAIError, match="Gave up after 4"):
        ask(OpenAIGenerator.from_settings(ai_settings), passages)


def test_a_cut_stream_is_marked_interrupted(ai_settings, standin, passages):
    standin.cut_stream(2)
    deltas, record = ask(OpenAIGenerator.from_settings(ai_settings), passages)
    assert len(deltas) == 3 and deltas[-1].startswith("\n\n[answer interrupted:")
    assert record.notice and record.notice.startswith("answer interrupted")


def test_embeddings_probe_the_dimension_once_and_keep_order(ai_settings, standin):
    standin.shuffle_openai_embeddings = True
    settings = ai_settings.model_copy(update={"embed_batch_size": 10})
    embedder = OpenAIEmbedder.from_settings(settings)
    texts = [f"passage {i} on subject{i}" for i in range(45)]
    assert embedder.dimension == 768
    standin.gather = 2  # proves the batches overlap, however slowly this machine sends them
    vectors = embedder.embed_documents(texts)
    sizes = [r.batch_size for r in standin.requests]
    assert sizes[0] == 1 and sorted(sizes[1:]) == [5, 10, 10, 10, 10]  # probe, then batches
    assert standin.max_in_flight > 1
    expected = np.array([embed_text(t, 768, "mean") for t in texts], dtype=np.float32)
    np.testing.assert_allclose(vectors, expected, atol=1e-5)


def test_a_configured_dimension_skips_the_probe_and_is_checked(ai_settings, standin):
    settings = ai_settings.model_copy(update={"openai_embedding_dimension": 1024})
    embedder = OpenAIEmbedder.from_settings(settings)
    assert embedder.dimension == 1024 and standin.requests == []
    with pytest.raises(PermanentAIError, match="768-dimensional.*expected 1024"):
        embedder.embed_documents(["text"])


def test_a_library_opens_and_answers_by_words_with_its_embeddings_model_down(
        ai_settings, standin, tmp_path):
    """The collection recorded the model's vector length: reopening the library asks the
    model nothing, and with the model down a question is searched by its words, as with
    Workers AI, instead of failing on a probe of the length."""
    settings = ai_settings.model_copy(update={"embedder": "openai", "ai_breaker_seconds": 0})
    (tmp_path / "kettle.md").write_text("# Kettle\n\nDescale the kettle every month.")
    with closing(build_service(settings)) as service:
        assert service.ingest([tmp_path / "kettle.md"]).totals()["ingested"] == 1
    standin.reset()
    standin.fail(503, times=None, route="openai", model="nomic-embed-text")
    with closing(build_service(settings)) as service:
        assert standin.requests == []  # opened without a probe
        answer = service.ask("How often should the kettle be descaled?")
        assert "every month" in answer.text and answer.degraded == ["sparse_search"]


def test_workers_ai_openai_embeddings(cf_openai_settings, standin):
    settings = cf_openai_settings.model_copy(update={"openai_embedding_dimension": 768})
    vectors = OpenAIEmbedder.from_settings(settings).embed_documents(["one", "two"])
    assert vectors.shape == (2, 768)
    assert standin.requests[0].path == f"/client/v4/accounts/{ACCOUNT}/ai/v1/embeddings"
    assert standin.requests[0].body == {"model": "@cf/baai/bge-base-en-v1.5",
                                        "input": ["one", "two"]}


def test_workers_ai_openai_route_refused_names_the_base_url(cf_openai_settings, standin):
    """The account id of Workers AI's /ai/v1 is part of OPENAI_BASE_URL: a 7003 is about it."""
    base_url = cf_openai_settings.openai_base_url.replace(ACCOUNT, "no-such-account")
    settings = cf_openai_settings.model_copy(update={"openai_base_url": base_url,
                                                     "openai_embedding_dimension": 768})
    with pytest.raises(PermanentAIError) as info:
        OpenAIEmbedder.from_settings(settings).embed_documents(["one"])
    assert info.value.code == 7003
    assert f"at {base_url} could not route" in str(info.value)
    assert "Check OPENAI_BASE_URL" in str(info.value) and "CLOUDFLARE" not in str(info.value)
