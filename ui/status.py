"""The Status page: requests by outcome, the error rate, latency, time to first token, cache
hits and Workers AI neurons by kind and user, as numbers and a small chart (rag.app.metrics);
the performance targets with pass or fail; the models skipped by an open circuit breaker."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from rag.app.metrics import Summary, start_of_utc_day, targets
from rag.providers.cloudflare.pricing import FREE_NEURONS_PER_DAY
from rag.providers.http.breaker import OpenBreaker
from ui.common import Context
from ui.safe_text import plain

PERIODS = {"Today (UTC)": None, "Last hour": 3600, "Last 7 days": 7 * 86400}


def seconds(ms: float | None) -> str:
    return "–" if ms is None else f"{ms / 1000:.2f} s"


def breaker_line(breaker: OpenBreaker, now: float) -> str:
    """A model skipped, and until when: its wait over, the next question asked of it is the
    probe, however long ago the wait ended."""
    left = breaker.seconds_left(now)
    when = (f"probed again in {left:.0f} s" if left >= 1
            else "probed by the next question asked of it")
    return f"{breaker.model}, {when} ({breaker.reason[:120]})"


def render(ctx: Context) -> None:
    metrics = ctx.workspace.metrics
    st.title("Status")
    period = st.segmented_control("Period", list(PERIODS), default="Today (UTC)",
                                  key="status-period") or "Today (UTC)"
    span = PERIODS[period]
    since = start_of_utc_day() if span is None else time.time() - span
    s = metrics.summary(since=since)
    row = st.columns(4)
    row[0].metric("Requests", s.requests, border=True)
    rate = s.error_rate
    row[1].metric("Errors", s.errors, border=True,
                  delta=None if rate is None else f"{rate:.1f} % error rate",
                  delta_color="inverse" if rate else "off",
                  delta_arrow="auto" if rate else "off",  # no rise shown on a zero
                  help=f"{s.interrupted} cut mid-answer (counted in the error rate), "
                       f"{s.degraded} answered with a part down (degraded: a words-only search, "
                       "quoted passages for models, an answer the filter could not check), "
                       f"{s.stopped} stopped before their end (the stop button, or the page "
                       f"left or reloaded) and {s.blocked} refused by the "
                       "content filter (neither counts as an error)")
    row[2].metric("Average latency", seconds(s.avg_latency_ms), border=True,
                  help="From the question to the last token of the answer")
    row[3].metric("p95 latency", seconds(s.p95_latency_ms), border=True)
    row = st.columns(4)
    row[0].metric("Time to first token", seconds(s.avg_ttft_ms), border=True,
                  help=f"Average; p95 {seconds(s.p95_ttft_ms)}")
    hit_rate = s.cache_hit_rate
    row[1].metric("Cache hit rate", "–" if hit_rate is None else f"{hit_rate:.0%}",
                  border=True, help=f"{s.cache_hits} answers from a cache "
                                    f"({s.gateway_hits} from AI Gateway's)")
    today = metrics.summary()
    workers = ctx.workspace.settings.has_cloudflare_credentials or today.neurons > 0
    by_kind = ", ".join(f"{kind} {n:,.1f}" for kind, n in sorted(today.neurons_by_kind.items()))
    row[2].metric("Neurons today", f"{today.neurons:,.1f}" if workers else "–", border=True,
                  help=f"Workers AI, every call ({by_kind or 'none yet'}); "
                       f"{FREE_NEURONS_PER_DAY:,} free per day, reset at 00:00 UTC"
                  if workers else "Workers AI is not in use")
    mine = metrics.summary(since=since, user=ctx.identity.account)
    who = (f"you are {plain(ctx.identity.label)}" if ctx.identity.signed_in
           else "counted with every visitor who has not signed in")
    row[3].metric("Your requests", mine.requests, border=True,
                  help=f"{mine.neurons:,.1f} neurons; {who}")
    target_table(s)
    breakers = ctx.engine.breakers.open_breakers()
    if breakers:
        now = time.time()
        st.warning(plain("Skipped by an open circuit breaker (the fallback model answers): "
                         + "; ".join(breaker_line(b, now) for b in breakers)))
    chart(metrics)
    if s.neurons_by_user:
        st.caption(plain("Neurons by user: " + ", ".join(
            f"{user} {n:,.1f}" for user, n in sorted(s.neurons_by_user.items(),
                                                     key=lambda item: -item[1])[:10])))
    if s.by_generator:
        st.caption(plain("By generator: " + ", ".join(
            f"{g or '?'} {n}" for g, n in sorted(s.by_generator.items()))))


def target_table(s: Summary) -> None:
    """The performance targets, each with this period's figure and pass or fail."""
    labels = {"first_token": "First token < 500 ms (average)",
              "response": "Response < 2 s (average)", "error_rate": "Error rate < 1 %",
              "cache_hit_rate": "Cache hit rate > 50 %"}
    rows = []
    for target in targets(s):
        shown = "–" if target.value is None else (
            f"{target.value:,.0f} ms" if target.unit == "ms" else f"{target.value:.1f} %")
        verdict = {True: "✅ pass", False: "❌ fail", None: "–"}[target.passed]
        rows.append({"target": labels[target.name], "measured": shown, "": verdict})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="content")


def chart(metrics) -> None:
    buckets = metrics.buckets(hours=24, minutes_per_bucket=60)
    frame = pd.DataFrame({
        "hour (UTC)": [datetime.fromtimestamp(b.start, tz=UTC).strftime("%H:00")
                       for b in buckets],
        "answered": [b.requests - b.errors for b in buckets],
        "errors": [b.errors for b in buckets],
    })
    st.caption("Requests per hour, last 24 hours")
    st.bar_chart(frame, x="hour (UTC)", y=["answered", "errors"], height=220, sort=False,
                 color=["#4c78a8", "#e45756"], y_label="requests")
