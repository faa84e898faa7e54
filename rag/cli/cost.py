"""`rag cost estimate`: what a steady Workers AI workload costs per day."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from rag.errors import ConfigError
from rag.providers.cloudflare import pricing

cost_app = typer.Typer(
    help="Estimate Workers AI costs in neurons and dollars.", no_args_is_help=True
)


@cost_app.callback()
def _group() -> None:
    """Keep `estimate` a subcommand even though it is the only one."""


@cost_app.command()
def estimate(
    requests_per_day: int = typer.Option(..., "--requests-per-day", min=0, help="Calls per day."),
    tokens_per_request: int = typer.Option(
        ..., "--tokens-per-request", min=0, help="Input tokens per call (prompt or text embedded)."
    ),
    model: str = typer.Option(
        ..., "--model", help="Workers AI model id, e.g. @cf/meta/llama-3.1-8b-instruct."
    ),
    output_tokens: int = typer.Option(
        0, "--output-tokens", min=0, help="Generated tokens per call."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Daily neurons and dollars, after the 10,000 free neurons per day."""
    try:
        result = pricing.estimate(requests_per_day, tokens_per_request, model, output_tokens)
    except ConfigError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2))
        return
    table = Table(title=f"Workers AI cost: {model}", show_header=False)
    table.add_row("requests per day", f"{requests_per_day:,}")
    table.add_row("tokens per request (in / out)",
                  f"{tokens_per_request:,} / {result.output_tokens_per_request:,}")
    table.add_row("neurons per request", f"{result.neurons_per_request:,.3f}")
    table.add_row("neurons per day", f"{result.daily_neurons:,.1f}")
    table.add_row("free neurons per day", f"{result.free_neurons:,}")
    table.add_row("billable neurons per day", f"{result.billable_neurons:,.1f}")
    table.add_row("dollars per day", f"${result.daily_usd:,.4f}")
    table.add_row("dollars per 30 days", f"${result.monthly_usd:,.2f}")
    Console(width=100).print(table)
