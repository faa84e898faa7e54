"""Cloudflare's error codes (docs/workers-ai.md, "Errors"): they decide before HTTP statuses.

A 429 with code 4006 or 3036 is the account's daily free allocation, which no retry fixes
before 00:00 UTC; a 429 with 3040 is a model out of capacity, worth retrying or falling back.
A refusal that names the model (5007, 5016, 5021...) is never retried, but a fallback model
may still answer; one that names the token or the account (10000, 3023) stops every model.
Workers AI's OpenAI-compatible routes (`/ai/v1`) answer with the same codes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rag.errors import AIError
from rag.providers.http.errors import USE_LOCAL_MODELS, ErrorPolicy, FailedCall

CAPACITY_CODES = {3040}
TIMEOUT_CODES = {3007, 3008, 3046}
DAILY_LIMIT_CODES = {4006, 3036}
CONTEXT_CODES = {5021, 3006}
MODEL_CODES = {5007, 3042}
AUTH_CODES = {10000}
GATEWAY_AUTH_CODES = {2009}
ROUTE_CODES = {7003, 7000}
MODEL_FORBIDDEN_CODES = {5016, 5018, 3041}  # a licence to accept, a private model
ACCOUNT_FORBIDDEN_CODES = {3023}  # the account is blocked: no model will answer it
# the settings a request's URL is made of, on each route (route.WorkersAIRoute.url)
NATIVE_ROUTE_SETTINGS = "CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_BASE_URL"
GATEWAY_ROUTE_SETTINGS = ("CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_AI_GATEWAY_ID and "
                          "CLOUDFLARE_AI_GATEWAY_BASE_URL")

#: The error for a request no route serves, with the settings to check on that route.
Unrouted = Callable[[FailedCall], AIError]


def cloudflare_errors(failed: FailedCall, unrouted: Unrouted | None = None) -> AIError | None:
    """The error a Cloudflare code means, or None to decide by the HTTP status. `unrouted`
    says which settings made the URL a 7003 refuses (the native route's by default)."""
    code = failed.code
    if code in DAILY_LIMIT_CODES or "daily free allocation" in failed.detail.lower():
        return failed.permanent(
            f"{failed.provider}: the daily free allocation of 10,000 neurons is used up "
            f"{failed.said}. It resets at 00:00 UTC; upgrade to the Workers Paid plan, or "
            f"{USE_LOCAL_MODELS}")
    if code in CAPACITY_CODES:
        return failed.transient(f"{failed.provider} is out of capacity for {failed.model} "
                                f"{failed.said}.")
    if code in TIMEOUT_CODES:
        return failed.transient(f"{failed.provider} timed out running {failed.model} "
                                f"{failed.said}.")
    if code in GATEWAY_AUTH_CODES:
        return failed.permanent(f"AI Gateway refused the request {failed.said}. The gateway is "
                                "authenticated: set CLOUDFLARE_AI_GATEWAY_TOKEN to a gateway "
                                "token.", refused="credentials")
    if code in AUTH_CODES:
        return failed.bad_credentials()
    if code in CONTEXT_CODES:
        return failed.context_too_large()
    if code in MODEL_CODES:
        return failed.no_such_model()
    if code in ROUTE_CODES:  # the URL's parts, not the token: 7003 names no credential
        return (unrouted or unrouted_on(NATIVE_ROUTE_SETTINGS))(failed)
    if code in MODEL_FORBIDDEN_CODES:
        return failed.forbidden(this_model_only=True)
    if code in ACCOUNT_FORBIDDEN_CODES:
        return account_blocked(failed)
    return None


def account_blocked(failed: FailedCall) -> AIError:
    """The account itself is refused: no token, model or retry helps, only the account."""
    return failed.permanent(
        f"{failed.provider} refused the Cloudflare account {failed.said}: the account "
        "(CLOUDFLARE_ACCOUNT_ID) is blocked from Workers AI, so no model will answer. Check "
        "the account in the Cloudflare dashboard, or contact Cloudflare support; meanwhile, "
        f"{USE_LOCAL_MODELS}", refused="account")


def workers_ai_errors(settings: Any) -> ErrorPolicy:
    """Cloudflare's codes, then a refusal without one that says the path is not served (a
    404 or 405 from another web server): the URL's parts are wrong, not the token. The
    parts named are those of the route the requests take: through a gateway, its id and base
    URL, never CLOUDFLARE_BASE_URL, which no request then uses."""
    unrouted = unrouted_on(route_settings(settings))

    def policy(failed: FailedCall) -> AIError | None:
        error = cloudflare_errors(failed, unrouted)
        if error is None and failed.code is None and failed.unrouted:
            return unrouted(failed)
        return error

    return policy


def route_settings(settings: Any) -> str:
    """The settings the requests' URL is made of: the gateway's when one is set."""
    return GATEWAY_ROUTE_SETTINGS if settings.cloudflare_ai_gateway_id else NATIVE_ROUTE_SETTINGS


def unrouted_on(route: str) -> Unrouted:
    def unrouted(failed: FailedCall) -> AIError:
        return failed.permanent(
            f"{failed.provider} could not route the request {failed.said}. Check {route}.")

    return unrouted
