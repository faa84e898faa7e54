"""Cost arithmetic (docs/workers-ai.md, "Pricing") and the `cost estimate` command."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rag.cli.cost import cost_app
from rag.errors import ConfigError
from rag.providers.cloudflare import pricing as cost

LLAMA_8B = "@cf/meta/llama-3.1-8b-instruct"


@pytest.mark.parametrize(("model", "rate_in", "rate_out"), [
    (LLAMA_8B, 25_608, 75_147),
    ("@cf/meta/llama-3.2-1b-instruct", 2_457, 18_252),
    ("@cf/baai/bge-base-en-v1.5", 6_058, 0),
    ("@cf/meta/llama-3.1-8b-instruct-fp8", 13_778, 26_128),
])
def test_neurons_per_million_tokens_match_the_price_table(model, rate_in, rate_out):
    assert cost.neurons_for(model, 1_000_000) == pytest.approx(rate_in)
    assert cost.neurons_for(model, 0, 1_000_000) == pytest.approx(rate_out)


def test_dollars_per_million_input_tokens():
    # 25,608 neurons x $0.011 / 1,000 = $0.2817 per M input tokens (docs: $0.282)
    assert cost.usd(cost.neurons_for(LLAMA_8B, 1_000_000)) == pytest.approx(0.281688)
    assert cost.usd(cost.neurons_for(LLAMA_8B, 0, 1_000_000)) == pytest.approx(0.826617)


def test_estimate_applies_the_free_allowance():
    under = cost.estimate(100, 1_000, LLAMA_8B)  # 2,560.8 neurons a day
    assert under.daily_neurons == pytest.approx(2_560.8)
    assert under.billable_neurons == 0 and under.daily_usd == 0

    over = cost.estimate(1_000, 2_000, LLAMA_8B, output_tokens=300)
    per_request = (2_000 * 25_608 + 300 * 75_147) / 1e6
    assert over.neurons_per_request == pytest.approx(per_request)
    assert over.daily_neurons == pytest.approx(per_request * 1_000)
    assert over.billable_neurons == pytest.approx(per_request * 1_000 - 10_000)
    assert over.daily_usd == pytest.approx((per_request * 1_000 - 10_000) * 0.011 / 1_000)
    assert over.monthly_usd == pytest.approx(over.daily_usd * 30)


def test_embedding_models_have_no_output_price():
    result = cost.estimate(10_000, 200, "@cf/baai/bge-base-en-v1.5", output_tokens=500)
    assert result.daily_neurons == pytest.approx(10_000 * 200 * 6_058 / 1e6)
    assert result.output_tokens_per_request == 0


def test_unknown_models_and_negative_inputs_are_refused():
    with pytest.raises(ConfigError, match="No Workers AI price.*@cf/meta/llama-3.1-8b-instruct"):
        cost.estimate(1, 1, "@cf/unknown/model")
    with pytest.raises(ValueError):
        cost.estimate(-1, 1, LLAMA_8B)


def test_reported_neurons_win_over_arithmetic():
    usage = {"prompt_tokens": 1_000, "completion_tokens": 100}
    computed = (1_000 * 25_608 + 100 * 75_147) / 1e6
    assert cost.neurons_from_usage(LLAMA_8B, usage) == pytest.approx(computed)
    assert cost.neurons_from_usage(LLAMA_8B, usage, reported=9.5) == 9.5
    assert cost.neurons_from_usage(LLAMA_8B, {**usage, "neurons": 3.15}, reported=9.5) == 3.15
    assert cost.neurons_from_usage("llama3.1", usage) is None
    assert cost.neurons_from_usage("llama3.1", usage, reported=2.0) == 2.0


def test_cli_prints_neurons_and_dollars():
    result = CliRunner().invoke(cost_app, [
        "estimate", "--requests-per-day", "1000", "--tokens-per-request", "2000",
        "--model", LLAMA_8B, "--output-tokens", "300",
    ])
    assert result.exit_code == 0, result.output
    expected = cost.estimate(1_000, 2_000, LLAMA_8B, output_tokens=300)
    assert f"{expected.daily_neurons:,.1f}" in result.output
    assert f"${expected.daily_usd:,.4f}" in result.output


def test_cli_json():
    result = CliRunner().invoke(cost_app, [
        "estimate", "--requests-per-day", "500", "--tokens-per-request", "1000000",
        "--model", LLAMA_8B, "--json",
    ])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["daily_neurons"] == pytest.approx(500 * 25_608)
    assert data["daily_usd"] == pytest.approx((500 * 25_608 - 10_000) * 0.011 / 1_000)


def test_json_figures_carry_no_float_noise():
    data = json.loads(CliRunner().invoke(cost_app, [
        "estimate", "--requests-per-day", "2880", "--tokens-per-request", "1000",
        "--neurons-per-1k-tokens", "36.88", "--json"]).stdout)
    assert (data["daily_neurons"], data["daily_usd"]) == (106214.4, 1.058358)


def test_cli_unknown_model_fails_on_stderr():
    result = CliRunner().invoke(cost_app, [
        "estimate", "--requests-per-day", "1", "--tokens-per-request", "1", "--model", "nope",
    ])
    assert result.exit_code == 2
    assert "No Workers AI price" in result.stderr and result.stdout == ""


def test_the_flat_rate_method_prints_the_plans_example():
    """10,000 requests x 500 tokens at 50 neurons per 1K: 250,000 neurons, $2.64 a day."""
    result = CliRunner().invoke(cost_app, [
        "estimate", "--requests-per-day", "10000", "--tokens-per-request", "500",
        "--neurons-per-1k-tokens", "50",
    ])
    assert result.exit_code == 0, result.output
    assert "250,000.0" in result.output and "$2.6400" in result.output
    data = json.loads(CliRunner().invoke(cost_app, [
        "estimate", "--requests-per-day", "10000", "--tokens-per-request", "500",
        "--neurons-per-1k-tokens", "50", "--json"]).stdout)
    assert data["daily_neurons"] == 250_000 and data["daily_usd"] == 2.64  # no float noise
    both = CliRunner().invoke(cost_app, [
        "estimate", "--requests-per-day", "1", "--tokens-per-request", "1",
        "--neurons-per-1k-tokens", "50", "--model", LLAMA_8B])
    assert both.exit_code == 2 and "not both or neither" in both.stderr
