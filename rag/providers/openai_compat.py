"""OpenAI-compatible servers: Ollama, vLLM, llama.cpp, OpenAI, and Workers AI's `/ai/v1`.

The API key is optional because local servers usually need none. Workers AI's `/ai/v1`
routes answer with Cloudflare's error codes and headers, so those are read here too.
"""

from __future__ import annotations

from typing import Any

import httpx

from rag.errors import AIError
from rag.providers.cloudflare.client import read_cloudflare_headers
from rag.providers.cloudflare.errors import cloudflare_errors
from rag.providers.http.client import CONNECTIONS_PER_PROVIDER, AIHttp, open_http
from rag.providers.http.errors import USE_LOCAL_MODELS, ErrorPolicy, FailedCall, model_settings

PROVIDER = "OpenAI-compatible server"
CREDENTIALS_HINT = "OPENAI_BASE_URL and OPENAI_API_KEY"
QUOTA_CODE = "insufficient_quota"
# OpenAI's message, for servers that copy it without the code
QUOTA_PHRASE = "exceeded your current quota"
# the settings that may name the model of each kind of call, the usual one first
MODEL_FIELDS = {
    "chat": ("openai_chat_model", "progressive_model", "consensus_models"),
    "embedding": ("openai_embedding_model",),
}
BASE_URL_ADVICE = ("Check OPENAI_BASE_URL: it usually ends in /v1, without /chat/completions or "
                   "/embeddings (e.g. http://localhost:11434/v1).")


def openai_http(settings: Any, transport: httpx.BaseTransport | None = None, *,
                max_connections: int = CONNECTIONS_PER_PROVIDER) -> AIHttp:
    """An `AIHttp` for `settings.openai_base_url`, with a Bearer key only when one is set."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    return open_http(settings, provider=PROVIDER, credentials_hint=CREDENTIALS_HINT,
                     url_hint="OPENAI_BASE_URL", base_url=settings.openai_base_url,
                     route_advice=BASE_URL_ADVICE,
                     secret_headers={"Authorization": f"Bearer {key}"} if key else {},
                     secrets=[key] if key else [], transport=transport,
                     max_connections=max_connections,
                     error_policy=openai_errors(settings.openai_base_url),
                     read_headers=read_cloudflare_headers, server=settings.openai_base_url,
                     model_settings=model_settings(settings, MODEL_FIELDS))


def public_url(url: str) -> str:
    """`url` without the parts that may hold a secret (user:password@, the query)."""
    parsed = httpx.URL(url)
    return str(parsed.copy_with(userinfo=b"", query=None, fragment=None))


def exhausted_quota(failed: FailedCall) -> AIError | None:
    """OpenAI's 429 `insufficient_quota`: the account's credit, which no retry and no other
    model of the same account brings back."""
    if QUOTA_CODE not in (failed.code, failed.kind) and QUOTA_PHRASE not in failed.detail.lower():
        return None
    return failed.permanent(
        f"{failed.provider}: the account's quota is used up {failed.said}. Check the plan and "
        f"billing details of the account behind OPENAI_API_KEY, or {USE_LOCAL_MODELS}")


def openai_errors(base_url: str) -> ErrorPolicy:
    """Cloudflare's codes (Workers AI's `/ai/v1`), OpenAI's exhausted quota, then a 404 that
    names no model (or a 200 that says the path is not served): the base URL is wrong, which
    is said with the URL itself. Cloudflare's route codes (7003) say the same: the account id
    is part of OPENAI_BASE_URL there."""
    shown = public_url(base_url)

    def unrouted(failed: FailedCall) -> AIError:
        return failed.permanent(f"{failed.provider} at {shown} could not route the request "
                                f"{failed.said}. {BASE_URL_ADVICE}")

    def policy(failed: FailedCall) -> AIError | None:
        error = cloudflare_errors(failed, unrouted) or exhausted_quota(failed)
        if error is None and failed.unrouted:
            return unrouted(failed)
        return error

    return policy
