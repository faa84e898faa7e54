"""`rag cost estimate`: what a steady Workers AI workload costs per day, by the models' prices
or by a flat rate per 1,000 tokens; `rag cost report`: what was spent, by user and kind."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import typer
from rich.table import Table

from rag.cli.console import PipedConsole
from rag.cli.output import ERROR_LABEL
from rag.errors import ConfigError, RagError
from rag.providers.cloudflare import pricing

cost_app = typer.Typer(
    help="Estimate Workers AI costs in neurons and dollars, and report what was spent.",
    rich_markup_mode=None, no_args_is_help=True,  # as the other commands (rag.cli.main)
)


@cost_app.callback()
def _group() -> None:
    """Keep `estimate` and `report` subcommands."""


def _rate(value: float | None) -> float | None:
    """Refuse inf and nan (JSON has no way to write the figures they make) and a negative rate,
    here rather than by `min=0`, which would call nan negative."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number.")
    if value is not None and value < 0:
        raise typer.BadParameter(f"{value} is below 0: a rate is 0 or more neurons.")
    return value


@cost_app.command()
def estimate(
    requests_per_day: int = typer.Option(..., "--requests-per-day", min=0, help="Calls per day."),
    tokens_per_request: int = typer.Option(
        ..., "--tokens-per-request", min=0,
        help="Tokens per call: with --model its input (prompt or text embedded), with a flat "
             "rate all of them."),
    model: str | None = typer.Option(
        None, "--model", help="Workers AI model id, e.g. @cf/meta/llama-3.1-8b-instruct."
    ),
    output_tokens: int | None = typer.Option(
        None, "--output-tokens", min=0,
        help="Generated tokens per call (with --model only; default 0)."),
    neurons_per_1k_tokens: float | None = typer.Option(
        None, "--neurons-per-1k-tokens", callback=_rate,
        help="A flat rate instead of a model's prices: neurons per 1,000 tokens."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Daily neurons and dollars, after the 10,000 free neurons per day."""
    try:
        if (model is None) == (neurons_per_1k_tokens is None):
            raise ConfigError("Give either --model (its published prices) or "
                              "--neurons-per-1k-tokens (a flat rate), not both or neither.")
        flat = neurons_per_1k_tokens is not None
        if flat and output_tokens is not None:
            raise ConfigError("--output-tokens goes with --model: a flat rate has no input/output "
                              "split, so count every token of a call in --tokens-per-request.")
        if model is not None and output_tokens is not None and pricing.is_embedding(model):
            raise ConfigError(f"--output-tokens does not apply to {model}: an embedding model "
                              "generates no tokens, so it has no output tokens to count. Leave "
                              "--output-tokens out.")
        try:
            if neurons_per_1k_tokens is not None:
                result = pricing.flat_estimate(requests_per_day, tokens_per_request,
                                               neurons_per_1k_tokens)
            else:
                assert model is not None
                result = pricing.estimate(requests_per_day, tokens_per_request, model,
                                          output_tokens or 0)
        except OverflowError:
            sizes = "--neurons-per-1k-tokens" if flat else "--output-tokens"
            raise ConfigError("The estimate is too large to compute: lower --requests-per-day, "
                              f"--tokens-per-request or {sizes}.") from None
    except ConfigError as exc:
        typer.echo(f"{ERROR_LABEL} {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2))
        return
    table = Table(title=f"Workers AI cost: {result.model}", show_header=False)
    table.add_row("requests per day", f"{requests_per_day:,}")
    if flat:
        table.add_row("tokens per request", f"{tokens_per_request:,}")
    else:
        table.add_row("tokens per request (in / out)",
                      f"{tokens_per_request:,} / {result.output_tokens_per_request:,}")
    table.add_row("neurons per request", f"{result.neurons_per_request:,.3f}")
    table.add_row("neurons per day", f"{result.daily_neurons:,.1f}")
    table.add_row("free neurons per day", f"{result.free_neurons:,}")
    table.add_row("billable neurons per day", f"{result.billable_neurons:,.1f}")
    table.add_row("dollars per day", f"${result.daily_usd:,.4f}")
    table.add_row("dollars per 30 days", f"${result.monthly_usd:,.2f}")
    PipedConsole(width=100).print(table)


@cost_app.command()
def report(
    day: bool = typer.Option(False, "--day", help="One UTC day (the default period)."),
    date: str | None = typer.Option(None, "--date", help="Which UTC day, YYYY-MM-DD "
                                                         "(default today)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Neurons spent in one UTC day, by user and kind (chat, embedding, rerank, guard):
    questions and ingests alike, from this data folder's metrics."""
    from rag.app.metrics import Metrics
    from rag.settings import load_settings

    try:
        settings = load_settings()
        start, end = _utc_day(date)
    except RagError as exc:
        typer.echo(f"{ERROR_LABEL} {exc}", err=True)
        raise typer.Exit(2) from None
    path = settings.data_dir / "metrics.sqlite3"
    # opening Metrics would create the file: a report on a mistyped folder must not leave
    # state there, nor pass for a quiet day
    if not path.is_file():
        typer.echo(f"{ERROR_LABEL} No metrics found in {settings.data_dir.absolute()}: nothing "
                   "has been recorded there (is RAG_DATA_DIR right?)", err=True)
        raise typer.Exit(1)
    metrics = Metrics(path)
    try:
        spent = metrics.neurons_by(start.timestamp(), end.timestamp())
    finally:
        metrics.close()
    users: dict[str, dict[str, float]] = {}
    for (user, kind), neurons in spent.items():
        users.setdefault(user, {})[kind] = neurons
    total = sum(spent.values(), 0.0)
    budget = settings.user_daily_neurons
    if as_json:
        typer.echo(json.dumps({
            "day": start.date().isoformat(), "neurons": total,
            "usd": pricing.usd(total, free=pricing.FREE_NEURONS_PER_DAY),
            "user_daily_neurons": budget,
            "users": [{"user": user, "neurons": sum(kinds.values()), "by_kind": kinds}
                      for user, kinds in sorted(users.items())]}, indent=2))
        return
    kinds = sorted({kind for _, kind in spent})
    day_usd = pricing.usd(total, free=pricing.FREE_NEURONS_PER_DAY)
    table = Table(title=f"Neurons spent on {start.date().isoformat()} (UTC)"
                  + (f", budget {budget:,.0f} per user" if budget is not None else ""))
    table.add_column("user")
    for kind in kinds:
        table.add_column(kind, justify="right")
    table.add_column("total", justify="right")
    table.add_column("dollars", justify="right")
    for user, by_kind in sorted(users.items(), key=lambda item: -sum(item[1].values())):
        neurons = sum(by_kind.values())
        table.add_row(user, *[f"{by_kind.get(k, 0.0):,.1f}" for k in kinds], f"{neurons:,.1f}",
                      _dollars(_share(day_usd, neurons, total)))
    table.add_row("all", *[f"{sum(n for (_, k), n in spent.items() if k == kind):,.1f}"
                           for kind in kinds], f"{total:,.1f}", _dollars(day_usd), style="bold")
    PipedConsole(width=120).print(table)
    if not spent:
        typer.echo("No AI calls were recorded that day.")


def _share(day_usd: float, neurons: float, total: float) -> float:
    """A user's part of the day's bill, in proportion to their neurons: the free allocation
    is the account's, not any one user's, so it lowers everyone's part alike."""
    return day_usd * neurons / total if total else 0.0


def _dollars(usd: float) -> str:
    return f"${usd:,.4f}"


def _utc_day(date: str | None) -> tuple[datetime, datetime]:
    """[start, end) of the UTC day `date` names, today when None."""
    if date is None:
        now = datetime.now(UTC)
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        try:
            start = datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise ConfigError(f"--date takes YYYY-MM-DD, not {date!r}.") from None
    try:
        return start, start + timedelta(days=1)
    except OverflowError:
        # the day's end, 10000-01-01, is past the last date Python can hold
        raise ConfigError(f"--date {date} is out of range: the last day it takes is "
                          "9999-12-30.") from None
