"""The engine's Prometheus metrics, served at /metrics.

One registry per engine (not the process-global one), fed from three places: the API's
middleware (requests by route and status, their latency, error codes, rate-limited requests),
the request log (every answered question, whichever door it came through: its outcome,
latency, time to first token, cache hits, the answer cache's and AI Gateway's) and the AI call
log (neurons by kind and user, failed calls by provider and code, and the refusals the
health check reports). Ingest jobs add the files, documents and chunks they stored.
Gauges read at each scrape (`StateCollector`): today's error rate, the performance targets
with pass or fail, and the models whose circuit breaker is open.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from rag.app.context import current
from rag.app.metrics import Metrics, RequestRecord, targets
from rag.providers.http.breaker import Breakers

# answers take from milliseconds (cache, extractive) to tens of seconds (a remote model)
ANSWER_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Telemetry:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("rag_http_requests", "API requests by route and status",
                                ["route", "method", "status"], registry=r)
        self.request_seconds = Histogram("rag_http_request_seconds",
                                         "API request duration (to the last byte)", ["route"],
                                         buckets=ANSWER_BUCKETS, registry=r)
        self.errors = Counter("rag_errors", "API errors by code", ["code"], registry=r)
        self.rate_limited = Counter("rag_rate_limited", "Questions refused by the per-user "
                                    "limit", ["door"], registry=r)
        self.answers = Counter("rag_answers", "Questions answered, by generator and outcome",
                               ["generator", "outcome"], registry=r)
        self.answer_seconds = Histogram("rag_answer_seconds", "Question to last token",
                                        buckets=ANSWER_BUCKETS, registry=r)
        self.first_token_seconds = Histogram("rag_answer_first_token_seconds",
                                             "Question to first token",
                                             buckets=ANSWER_BUCKETS, registry=r)
        self.cache_hits = Counter("rag_answer_cache_hits", "Answers replayed from the answer "
                                  "cache", registry=r)
        self.blocked = Counter("rag_content_blocked", "Questions (and answers) refused by the "
                               "content filter, by category", ["category"], registry=r)
        self.files = Counter("rag_ingested_files", "Files ingested, by outcome", ["status"],
                             registry=r)
        self.documents = Counter("rag_ingested_documents", "Documents made searchable",
                                 registry=r)
        self.chunks = Counter("rag_ingested_chunks", "Chunks written", registry=r)
        self.neurons = Counter("rag_neurons", "Workers AI neurons spent, by kind and user",
                               ["kind", "user"], registry=r)
        self.gateway_hits = Counter("rag_gateway_cache_hits", "Answers AI Gateway served "
                                    "from its cache (0 neurons)", registry=r)
        self.ai_failures = Counter(
            "rag_ai_failures", "AI calls that failed, by provider, HTTP status, provider error "
            "code and what the provider refused whatever the question (credentials, account, "
            "model; none for any other failure)",
            ["provider", "status", "code", "refused"], registry=r)
        self.refusals = Refusals()

    def watch(self, metrics: Metrics, breakers: Breakers) -> None:
        """Serve today's error rate, the targets and the open breakers as gauges."""
        self.registry.register(StateCollector(metrics, breakers))

    def observe_answer(self, record: RequestRecord) -> None:
        self.answers.labels(record.generator or "none", record.outcome).inc()
        if record.outcome != "error":
            self.answer_seconds.observe(record.latency_ms / 1000)
        if record.ttft_ms is not None:
            self.first_token_seconds.observe(record.ttft_ms / 1000)
        if record.cached:
            self.cache_hits.inc()
        elif record.gateway_hit:  # counted apart, so that the two counters add up
            self.gateway_hits.inc()
        if record.outcome == "blocked":
            self.blocked.labels(record.blocked_category or "unknown").inc()

    def observe_ingest(self, report: dict) -> None:
        for file in report.get("files", []):
            self.files.labels(file["status"]).inc()
            if file["status"] == "ingested":
                self.documents.inc()
                self.chunks.inc(file.get("chunks") or 0)

    def ai_call_handler(self) -> logging.Handler:
        """A handler for the `rag.ai` logger that counts each call's neurons by kind and its
        failures, and keeps the provider's refusals for the health check."""
        return _CallObserver(self)

    def observe_call(self, call: dict[str, Any]) -> None:
        if call.get("neurons"):
            scope = current()
            user = (scope.user if scope else None) or "-"
            self.neurons.labels(call.get("kind", "chat"), user).inc(float(call["neurons"]))
        if call.get("outcome") in FAILED_OUTCOMES:
            self.ai_failures.labels(call.get("provider", "-"), _label(call.get("status")),
                                    _label(call.get("error_code")),
                                    call.get("refused") or "none").inc()
        self.refusals.observe(call)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


#: how a call that reached the provider and failed ends (`calllog`): not one skipped by its
#: open breaker, which was never sent, nor one the reader stopped
FAILED_OUTCOMES = frozenset({"error", "interrupted"})


def _label(value: object) -> str:
    return "none" if value is None else str(value)


class _CallObserver(logging.Handler):
    def __init__(self, telemetry: Telemetry) -> None:
        super().__init__(logging.INFO)
        self.telemetry = telemetry

    def emit(self, record: logging.LogRecord) -> None:
        call = getattr(record, "ai_call", None)
        if isinstance(call, dict):
            self.telemetry.observe_call(call)


class Refusals:
    """The last refusal of each provider's model that no retry, fallback or other question
    gets past (a wrong token, a blocked account, a model the account may not use), until
    that model answers again: what the health check reports.

    A degraded answer is no error (the user still gets quoted passages), so the request
    figures do not show these; the operator must still learn that the models are out of
    reach, and why.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[tuple[str, str], dict[str, Any]] = {}

    def observe(self, call: dict[str, Any]) -> None:
        key = (call.get("provider", "-"), call.get("model", "-"))
        with self._lock:
            if call.get("outcome") == "ok":
                self._last.pop(key, None)
            elif call.get("refused"):
                self._last[key] = {
                    "provider": key[0], "model": key[1], "kind": call.get("kind"),
                    "refused": call["refused"], "status": call.get("status"),
                    "code": call.get("error_code"), "message": call.get("error_message"),
                    "at": datetime.now(UTC).isoformat(timespec="seconds")}

    def current(self) -> list[dict[str, Any]]:
        """The refusals standing, the latest first."""
        with self._lock:
            return sorted(self._last.values(), key=lambda r: r["at"], reverse=True)


class StateCollector(Collector):
    """Gauges computed when /metrics is read, from the request log and the breakers."""

    def __init__(self, metrics: Metrics, breakers: Breakers) -> None:
        self.metrics = metrics
        self.breakers = breakers

    def collect(self) -> Iterator[Metric]:
        summary = self.metrics.summary()
        rate = GaugeMetricFamily("rag_error_rate_percent", "Questions failed or cut mid-answer "
                                 "today (UTC), percent")
        rate.add_metric([], summary.error_rate or 0.0)
        yield rate
        value = GaugeMetricFamily("rag_target_value", "Today's figure for each performance "
                                  "target (ms or percent)", labels=["target"])
        passed = GaugeMetricFamily("rag_target_pass", "1 when today's figure meets the target, "
                                   "0 when it does not (absent before any question)",
                                   labels=["target"])
        for target in targets(summary):
            if target.value is not None:
                value.add_metric([target.name], target.value)
                passed.add_metric([target.name], 1.0 if target.passed else 0.0)
        yield value
        yield passed
        now = time.time()
        open_ = GaugeMetricFamily("rag_breaker_open_seconds", "Models skipped by an open "
                                  "circuit breaker: seconds until the probe", labels=["model"])
        for breaker in self.breakers.open_breakers():
            open_.add_metric([breaker.model], breaker.seconds_left(now))
        yield open_
