"""The Workers AI client: credentials checked once, the v4 envelope, Cloudflare's headers."""

from __future__ import annotations

from typing import Any

import httpx

from rag.errors import ConfigError, PermanentAIError
from rag.providers.cloudflare.errors import workers_ai_errors
from rag.providers.http.calllog import CallStats
from rag.providers.http.client import CONNECTIONS_PER_PROVIDER, AIHttp, open_http
from rag.providers.http.errors import model_settings
from rag.providers.http.retry import RetryPolicy
from rag.types import is_count

PROVIDER = "Workers AI"
CREDENTIALS_HINT = "CLOUDFLARE_API_TOKEN (Workers AI Read + Edit) and CLOUDFLARE_ACCOUNT_ID"
# the settings that may name the model of each kind of call, the usual one first
MODEL_FIELDS = {
    "chat": ("workers_ai_chat_model", "workers_ai_fallback_models", "progressive_model",
             "consensus_models"),
    "embedding": ("workers_ai_embedding_model",),
    "guard": ("content_filter_model",),
    "rerank": ("rerank_model",),
}


def require_credentials(settings: Any, what: str = "Workers AI") -> None:
    """ConfigError naming the missing variables; `what` says which setting asked for them."""
    missing = [name for name, value in (
        ("CLOUDFLARE_ACCOUNT_ID", settings.cloudflare_account_id),
        ("CLOUDFLARE_API_TOKEN", settings.cloudflare_api_token),
    ) if not value]
    if missing:
        raise ConfigError(
            f"{what} needs {' and '.join(missing)}. Create a token with Workers AI Read and "
            "Edit permissions in the Cloudflare dashboard and set both variables."
        )


def read_cloudflare_headers(headers: httpx.Headers, stats: CallStats) -> None:
    """AI Gateway's cache status and log id, Workers AI's request id and reported neurons.

    Read on every attempt, each replacing the last one's: a failed attempt's figures must not
    describe (or bill) the attempt that answered."""
    stats.cache_status = headers.get("cf-aig-cache-status")
    stats.gateway_log_id = headers.get("cf-aig-log-id")
    stats.request_id = headers.get("cf-ai-req-id")
    stats.reported_neurons = reported_neurons(headers.get("cf-ai-neurons"))


def reported_neurons(raw: str | None) -> float | None:
    """The `cf-ai-neurons` figure when it is one a call can cost (finite, 0 or more); None
    otherwise, so that the call is priced from its usage instead."""
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if is_count(value) else None


def cloudflare_http(settings: Any, transport: httpx.BaseTransport | None = None, *,
                    max_connections: int = CONNECTIONS_PER_PROVIDER,
                    policy: RetryPolicy | None = None) -> AIHttp:
    """An `AIHttp` for Workers AI (and AI Gateway, with its token when one is set)."""
    require_credentials(settings)
    token = settings.cloudflare_api_token.get_secret_value()
    secret_headers = {"Authorization": f"Bearer {token}"}
    secrets = [token]
    gateway_token = settings.cloudflare_ai_gateway_token
    if settings.cloudflare_ai_gateway_id and gateway_token is not None:
        secret_headers["cf-aig-authorization"] = f"Bearer {gateway_token.get_secret_value()}"
        secrets.append(gateway_token.get_secret_value())
    url_setting, base_url = base_url_setting(settings)
    return open_http(settings, provider=PROVIDER, credentials_hint=CREDENTIALS_HINT,
                     url_hint=url_setting, base_url=base_url,
                     secret_headers=secret_headers, secrets=secrets, transport=transport,
                     max_connections=max_connections, policy=policy,
                     error_policy=workers_ai_errors(settings), read_headers=read_cloudflare_headers,
                     server=calls_go_to(settings),
                     model_settings=model_settings(settings, MODEL_FIELDS))


def base_url_setting(settings: Any) -> tuple[str, str]:
    """(the setting the requests' base URL is, its value): the gateway's when one is set,
    since no request then goes to CLOUDFLARE_BASE_URL."""
    if settings.cloudflare_ai_gateway_id:
        return "CLOUDFLARE_AI_GATEWAY_BASE_URL", settings.cloudflare_ai_gateway_base_url
    return "CLOUDFLARE_BASE_URL", settings.cloudflare_base_url


def calls_go_to(settings: Any) -> str:
    """The account's base URL, or its gateway's, as its models' breakers are kept."""
    if settings.cloudflare_ai_gateway_id:
        return (f"{settings.cloudflare_ai_gateway_base_url}/{settings.cloudflare_account_id}/"
                f"{settings.cloudflare_ai_gateway_id}")
    return f"{settings.cloudflare_base_url}/accounts/{settings.cloudflare_account_id}"


def unwrap(data: dict[str, Any], model: str) -> dict[str, Any]:
    """The `result` of a v4 envelope (one that reports a failure, even with a 200, is raised
    by `AIHttp.post_json`, by its code)."""
    result = data.get("result", data)
    if not isinstance(result, dict):
        raise PermanentAIError(f"{PROVIDER} sent no result for {model}.")
    return result


def billed_neurons(stats: CallStats, computed: float | None) -> float | None:
    """What a call costs: nothing from AI Gateway's cache, else the provider's own figure,
    else ours (None when neither is known)."""
    if stats.cache_status == "HIT":
        return 0.0
    if stats.reported_neurons is not None:
        return stats.reported_neurons
    return computed
