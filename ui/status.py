"""The Status page: requests, errors, latency, time to first token, cache hits and Workers AI
neurons, as numbers and a small chart (rag.metrics)."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pandas as pd
import streamlit as st

from rag.app.metrics import start_of_utc_day
from rag.providers.cloudflare.pricing import FREE_NEURONS_PER_DAY
from ui.common import Context

PERIODS = {"Today (UTC)": None, "Last hour": 3600, "Last 7 days": 7 * 86400}


def seconds(ms: float | None) -> str:
    return "–" if ms is None else f"{ms / 1000:.2f} s"


def render(ctx: Context) -> None:
    metrics = ctx.workspace.metrics
    st.subheader("Status")
    period = st.segmented_control("Period", list(PERIODS), default="Today (UTC)",
                                  key="status-period") or "Today (UTC)"
    span = PERIODS[period]
    since = start_of_utc_day() if span is None else time.time() - span
    s = metrics.summary(since=since)
    row = st.columns(4)
    row[0].metric("Requests", s.requests, border=True)
    row[1].metric("Errors", s.errors, border=True,
                  help=f"{s.stopped} stopped by the user, {s.blocked} refused by the content "
                       "filter (neither counts as an error)")
    row[2].metric("Average latency", seconds(s.avg_latency_ms), border=True,
                  help="From the question to the last token of the answer")
    row[3].metric("p95 latency", seconds(s.p95_latency_ms), border=True)
    row = st.columns(4)
    row[0].metric("Time to first token", seconds(s.avg_ttft_ms), border=True,
                  help=f"Average; p95 {seconds(s.p95_ttft_ms)}")
    rate = s.cache_hit_rate
    row[1].metric("Cache hit rate", "–" if rate is None else f"{rate:.0%}", border=True,
                  help=f"{s.cache_hits} answers from the cache")
    today = metrics.summary()
    workers = ctx.workspace.settings.has_cloudflare_credentials or today.neurons > 0
    row[2].metric("Neurons today", f"{today.neurons:,.1f}" if workers else "–", border=True,
                  help=f"Workers AI; {FREE_NEURONS_PER_DAY:,} free per day, reset at 00:00 UTC"
                  if workers else "Workers AI is not in use")
    mine = metrics.summary(since=since, user=ctx.identity.id)
    row[3].metric("Your requests", mine.requests, border=True,
                  help=f"{mine.neurons:,.1f} neurons; you are {ctx.identity.label}")
    chart(metrics)
    if s.by_generator:
        st.caption("By generator: " + ", ".join(f"{g or '?'} {n}"
                                                for g, n in sorted(s.by_generator.items())))


def chart(metrics) -> None:
    buckets = metrics.buckets(hours=24, minutes_per_bucket=60)
    frame = pd.DataFrame({
        "hour (UTC)": [datetime.fromtimestamp(b.start, tz=timezone.utc).strftime("%H:00")
                       for b in buckets],
        "answered": [b.requests - b.errors for b in buckets],
        "errors": [b.errors for b in buckets],
    })
    st.caption("Requests per hour, last 24 hours")
    st.bar_chart(frame, x="hour (UTC)", y=["answered", "errors"], height=220, sort=False,
                 color=["#4c78a8", "#e45756"], y_label="requests")
