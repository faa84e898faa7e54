"""What Workers AI calls cost, in neurons and dollars (docs/workers-ai.md, "Pricing").

Cloudflare bills neurons: $0.011 per 1,000, with 10,000 free per account per day (reset at
00:00 UTC). Per-token prices are published per model; a figure the server reports (`neurons`
in the usage object, or the `cf-ai-neurons` header) is preferred over our arithmetic because
the two are known to disagree for some models.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from rag.errors import ConfigError
from rag.providers.cloudflare.catalog import is_workers_ai_model
from rag.types import is_count

log = logging.getLogger(__name__)

USD_PER_1000_NEURONS = 0.011
FREE_NEURONS_PER_DAY = 10_000

# Neurons per million (input, output) tokens. Embedding models have no output price.
PRICES: dict[str, tuple[float, float]] = {
    "@cf/meta/llama-3.1-8b-instruct": (25_608, 75_147),
    "@cf/meta/llama-3.2-1b-instruct": (2_457, 18_252),
    "@cf/meta/llama-3.1-8b-instruct-fp8": (13_778, 26_128),
    "@cf/meta/llama-3.1-8b-instruct-awq": (11_161, 24_215),
    "@cf/meta/llama-3.1-8b-instruct-fp8-fast": (4_119, 34_868),
    "@cf/meta/llama-3.2-3b-instruct": (4_625, 30_475),
    "@cf/meta/llama-guard-3-8b": (44_003, 2_730),
    "@cf/baai/bge-base-en-v1.5": (6_058, 0),
    "@cf/baai/bge-small-en-v1.5": (1_841, 0),
    "@cf/baai/bge-large-en-v1.5": (18_582, 0),
}


def price(model: str) -> tuple[float, float]:
    """(input, output) neurons per million tokens; ConfigError for a model without a price."""
    try:
        return PRICES[model]
    except KeyError:
        known = ", ".join(sorted(PRICES))
        raise ConfigError(f"No Workers AI price is known for {model!r}. Known: {known}.") from None


def is_embedding(model: str) -> bool:
    """Whether `model` embeds text: it has no output price, as it generates no tokens
    (ConfigError for a model without a price)."""
    return price(model)[1] == 0


def neurons_for(model: str, input_tokens: float, output_tokens: float = 0) -> float:
    """neurons = in_tokens x in_rate / 1e6 + out_tokens x out_rate / 1e6."""
    return _at_rates(price(model), input_tokens, output_tokens)


def _at_rates(rates: tuple[float, float], input_tokens: float, output_tokens: float) -> float:
    rate_in, rate_out = rates
    return (input_tokens * rate_in + output_tokens * rate_out) / 1_000_000


def neurons_from_usage(
    model: str, usage: Mapping[str, Any] | None, reported: float | None = None
) -> float:
    """Neurons of one call: the usage's own figure, else the header's, else computed.

    A figure that cannot be a cost or a count (NaN, infinite, negative) is ignored. A model
    without a known price is priced at the highest known rates, so that it still counts
    toward the budgets (`upper_bound_price`).
    """
    usage = usage or {}
    for value in (usage.get("neurons"), reported):
        if is_count(value):
            return float(value)
    tokens_in = _counted(usage.get("prompt_tokens"))
    tokens_out = _counted(usage.get("completion_tokens"))
    if not tokens_in and not tokens_out:
        return 0.0
    return _at_rates(PRICES.get(model) or upper_bound_price(model), tokens_in, tokens_out)


def neurons_on_any_server(
    model: str, usage: Mapping[str, Any] | None, reported: float | None = None
) -> float:
    """`neurons_from_usage` for a model Workers AI serves (an OpenAI-compatible server that is
    its `/ai/v1`); for another server's model (a local llama3.1) only what the server itself
    reports: its calls cost no neurons, and priced at Workers AI's highest rates they would
    spend a daily budget meant for Workers AI."""
    if is_workers_ai_model(model):
        return neurons_from_usage(model, usage, reported)
    figures = ((usage or {}).get("neurons"), reported)
    return next((float(value) for value in figures if is_count(value)), 0.0)


def _counted(value: Any) -> float:
    return float(value) if is_count(value) else 0.0


def upper_bound_price(model: str) -> tuple[float, float]:
    """The highest known (input, output) rates: what a model without a price is counted at,
    as a budget may count too much but must not count nothing."""
    _warn_unpriced(model)
    return (max(rate for rate, _ in PRICES.values()), max(rate for _, rate in PRICES.values()))


@cache
def _warn_unpriced(model: str) -> None:
    """Once per model and process: the warning would otherwise come with every call."""
    log.warning("No Workers AI price is known for %s: its calls are counted at the highest "
                "known price per token, an upper bound", model)


def usd(neurons: float, *, free: float = 0.0) -> float:
    """Dollars for `neurons` after subtracting a free allowance."""
    return max(0.0, neurons - free) * USD_PER_1000_NEURONS / 1000


@dataclass(frozen=True)
class CostEstimate:
    """Daily cost of a steady workload on one model."""

    model: str
    requests_per_day: int
    input_tokens_per_request: int
    output_tokens_per_request: int
    neurons_per_request: float
    daily_neurons: float
    free_neurons: int
    billable_neurons: float
    daily_usd: float
    monthly_usd: float  # 30 days

    def as_json(self) -> dict[str, Any]:
        # to the micro-neuron and micro-dollar: 73760.1, not float sums' 73760.09999999999
        return {key: round(value, 6) if isinstance(value, float) else value
                for key, value in asdict(self).items()}


def flat_estimate(requests_per_day: int, tokens_per_request: int,
                  neurons_per_1k_tokens: float) -> CostEstimate:
    """Daily neurons and dollars by a flat rate per 1,000 tokens (the planning method: no
    model, no input/output split), with the 10,000 free neurons/day applied.

    10,000 requests of 500 tokens at 50 neurons per 1K: 250,000 neurons, $2.64 a day.
    """
    if requests_per_day < 0 or tokens_per_request < 0 or not 0 <= neurons_per_1k_tokens < math.inf:
        raise ValueError("requests and tokens must not be negative, and the rate must be finite "
                         "and not negative")
    return _daily(f"flat rate: {neurons_per_1k_tokens:g} neurons per 1K tokens",
                  requests_per_day, tokens_per_request, 0,
                  tokens_per_request / 1000 * neurons_per_1k_tokens)


def estimate(
    requests_per_day: int, tokens_per_request: int, model: str, output_tokens: int = 0
) -> CostEstimate:
    """Daily neurons and dollars, with the 10,000 free neurons/day applied.

    `tokens_per_request` are input tokens (prompt, or text embedded); `output_tokens` are the
    generated tokens per request (ignored by embedding models, which have no output price).
    """
    if requests_per_day < 0 or tokens_per_request < 0 or output_tokens < 0:
        raise ValueError("requests and tokens must not be negative")
    return _daily(model, requests_per_day, tokens_per_request,
                  output_tokens if price(model)[1] else 0,
                  neurons_for(model, tokens_per_request, output_tokens))


def _daily(model: str, requests_per_day: int, input_tokens: int, output_tokens: int,
           per_request: float) -> CostEstimate:
    daily = per_request * requests_per_day
    if not math.isfinite(daily):
        # floats saturate to inf silently; an estimate must stay a number JSON can write
        raise OverflowError(f"{daily} neurons a day: the workload is too large to compute")
    daily_usd = usd(daily, free=FREE_NEURONS_PER_DAY)
    return CostEstimate(
        model=model, requests_per_day=requests_per_day, input_tokens_per_request=input_tokens,
        output_tokens_per_request=output_tokens, neurons_per_request=per_request,
        daily_neurons=daily, free_neurons=FREE_NEURONS_PER_DAY,
        billable_neurons=max(0.0, daily - FREE_NEURONS_PER_DAY), daily_usd=daily_usd,
        monthly_usd=daily_usd * 30)
