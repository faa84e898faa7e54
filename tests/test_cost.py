"""Cost arithmetic (docs/workers-ai.md, "Pricing") and the `cost estimate` and `cost report`
commands."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from rag.app.metrics import CallRecord, Metrics
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
    # a model without a price counts at the highest known rates: a budget must count it
    highest = (1_000 * 44_003 + 100 * 75_147) / 1e6
    assert cost.neurons_from_usage("llama3.1", usage) == pytest.approx(highest)
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
    assert result.stderr.startswith("error: ")  # as every `rag` command's error line


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


# --- non-finite and overflowing estimates --------------------------------------------------


def flat(rate: str, *more: str) -> Result:
    return CliRunner().invoke(cost_app, [
        "estimate", "--requests-per-day", "10", "--tokens-per-request", "500",
        "--neurons-per-1k-tokens", rate, "--json", *more])


@pytest.mark.parametrize(("rate", "said"), [("inf", "inf"), ("Infinity", "inf"), ("nan", "nan"),
                                            ("NaN", "nan")])
def test_a_rate_that_is_not_a_number_is_refused_by_name(rate, said):
    result = flat(rate)
    assert result.exit_code == 2 and result.stdout == ""
    assert f"'--neurons-per-1k-tokens': {said} is not a finite number" in result.stderr


def test_a_negative_rate_is_refused():
    result = flat("-0.5")
    assert result.exit_code == 2 and result.stdout == ""
    assert "'--neurons-per-1k-tokens': -0.5 is below 0" in result.stderr


def test_an_estimate_too_large_for_a_float_is_refused_not_printed_as_infinity():
    result = flat("1e308")  # finite, but 10 x 500 / 1,000 of it is not
    assert result.exit_code == 2 and result.stdout == ""
    assert ("The estimate is too large to compute: lower --requests-per-day, "
            "--tokens-per-request or --neurons-per-1k-tokens.") in result.stderr
    huge = "1" + "0" * 400  # past what a float holds at all
    result = CliRunner().invoke(cost_app, [
        "estimate", "--requests-per-day", huge, "--tokens-per-request", "500",
        "--model", LLAMA_8B, "--json"])
    assert result.exit_code == 2 and "or --output-tokens." in result.stderr
    with pytest.raises(ValueError):
        cost.flat_estimate(1, 1, math.inf)
    with pytest.raises(OverflowError):
        cost.flat_estimate(10, 500, 1e308)


def test_output_tokens_are_refused_with_a_flat_rate():
    result = flat("50", "--output-tokens", "300")
    assert result.exit_code == 2 and result.stdout == ""
    assert ("--output-tokens goes with --model: a flat rate has no input/output split, so "
            "count every token of a call in --tokens-per-request.") in result.stderr
    table = CliRunner().invoke(cost_app, [
        "estimate", "--requests-per-day", "10", "--tokens-per-request", "500",
        "--neurons-per-1k-tokens", "50"])
    assert table.exit_code == 0 and "(in / out)" not in table.stdout  # no output to show


def test_output_tokens_are_refused_for_an_embedding_model():
    result = CliRunner().invoke(cost_app, [
        "estimate", "--requests-per-day", "10", "--tokens-per-request", "100",
        "--model", "@cf/baai/bge-base-en-v1.5", "--output-tokens", "50"])
    assert result.exit_code == 2 and result.stdout == ""
    assert ("an embedding model generates no tokens, so it has no output tokens to count"
            in " ".join(result.stderr.split()))
    plain = CliRunner().invoke(cost_app, [
        "estimate", "--requests-per-day", "10", "--tokens-per-request", "100",
        "--model", "@cf/baai/bge-base-en-v1.5"])
    assert plain.exit_code == 0 and "100" in plain.stdout


# --- cost report -----------------------------------------------------------------------------


def report(*args: str) -> Result:
    return CliRunner().invoke(cost_app, ["report", *args])


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def recorded(data_dir: Path, *calls: CallRecord) -> None:
    """A metrics file as `rag ask` and `rag ingest` leave it."""
    metrics = Metrics(data_dir / "metrics.sqlite3")
    for call in calls:
        metrics.record_call(call)
    metrics.close()


@pytest.mark.parametrize("as_json", [[], ["--json"]])
def test_a_report_on_a_folder_without_metrics_says_so_and_creates_nothing(data_dir, as_json):
    result = report(*as_json)
    assert result.exit_code == 1 and result.stdout == ""
    assert (f"No metrics found in {data_dir}: nothing has been recorded there "
            "(is RAG_DATA_DIR right?)") in " ".join(result.stderr.split())
    assert not data_dir.exists()


def test_a_report_counts_neurons_as_floats_even_on_an_empty_day(data_dir):
    noon = datetime(2026, 11, 30, 12, tzinfo=UTC).timestamp()
    recorded(data_dir, CallRecord(ts=noon, kind="chat", neurons=2.5, user="ann"),
             CallRecord(ts=noon, kind="embedding", neurons=0.5, user="ann"))
    busy = json.loads(report("--date", "2026-11-30", "--json").stdout)
    assert busy["neurons"] == 3.0
    assert busy["users"] == [{"user": "ann", "neurons": 3.0,
                              "by_kind": {"chat": 2.5, "embedding": 0.5}}]
    quiet = report("--date", "2026-12-01", "--json")
    assert quiet.exit_code == 0
    assert json.loads(quiet.stdout)["neurons"] == 0.0
    assert '"neurons": 0.0' in quiet.stdout  # 0 would be an int to a JSON reader


def test_a_reports_table_shows_the_dollars_its_json_has(data_dir):
    """Each user's part of the day's bill, in proportion to their neurons, and the total the
    JSON's `usd` holds: the neurons over the day's free allocation, at the published price."""
    noon = datetime(2026, 11, 30, 12, tzinfo=UTC).timestamp()
    recorded(data_dir, CallRecord(ts=noon, kind="chat", neurons=30_000, user="ann"),
             CallRecord(ts=noon, kind="chat", neurons=10_000, user="bob"))
    usd = json.loads(report("--date", "2026-11-30", "--json").stdout)["usd"]
    assert usd == pytest.approx(0.33)  # (40,000 - 10,000) x $0.011 per 1,000
    table = report("--date", "2026-11-30")
    assert table.exit_code == 0 and "dollars" in table.stdout
    rows = {line.split("│")[1].strip(): line.split("│")[-2].strip()
            for line in table.stdout.splitlines() if line.count("│") > 2}
    assert rows["ann"] == "$0.2475" and rows["bob"] == "$0.0825" and rows["all"] == "$0.3300"


def test_the_first_and_last_days_a_report_can_name(data_dir):
    recorded(data_dir)
    assert json.loads(report("--date", "0001-01-01", "--json").stdout)["neurons"] == 0.0
    assert report("--date", "9999-12-30").exit_code == 0
    late = report("--date", "9999-12-31", "--json")  # its end, 10000-01-01, has no datetime
    assert late.exit_code == 2 and late.stdout == ""
    assert ("--date 9999-12-31 is out of range: the last day it takes is 9999-12-30."
            in late.stderr)
    assert "Traceback" not in late.output
    bad = report("--date", "30/11/2026")
    assert bad.exit_code == 2 and "--date takes YYYY-MM-DD, not '30/11/2026'." in bad.stderr
    assert bad.stderr.startswith("error: ")  # as every `rag` command's error line
