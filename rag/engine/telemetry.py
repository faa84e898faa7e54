"""The engine's Prometheus metrics, served at /metrics.

One registry per engine (not the process-global one), fed from three places: the API's
middleware (requests by route and status, their latency, error codes, rate-limited requests),
the request log (every answered question, whichever door it came through: latency, time to
first token, cache hits) and the AI call log (neurons by kind). Ingest jobs add the files,
documents and chunks they stored.
"""

from __future__ import annotations

import logging

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from rag.app.metrics import RequestRecord

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
        self.neurons = Counter("rag_neurons", "Workers AI neurons spent, by kind", ["kind"],
                               registry=r)

    def observe_answer(self, record: RequestRecord) -> None:
        self.answers.labels(record.generator or "none", record.outcome).inc()
        if record.outcome != "error":
            self.answer_seconds.observe(record.latency_ms / 1000)
        if record.ttft_ms is not None:
            self.first_token_seconds.observe(record.ttft_ms / 1000)
        if record.cached:
            self.cache_hits.inc()
        if record.outcome == "blocked":
            self.blocked.labels(record.blocked_category or "unknown").inc()

    def observe_ingest(self, report: dict) -> None:
        for file in report.get("files", []):
            self.files.labels(file["status"]).inc()
            if file["status"] == "ingested":
                self.documents.inc()
                self.chunks.inc(file.get("chunks") or 0)

    def ai_call_handler(self) -> logging.Handler:
        """A handler for the `rag.ai` logger that counts each call's neurons by kind."""
        return _NeuronCounter(self.neurons)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _NeuronCounter(logging.Handler):
    def __init__(self, counter: Counter) -> None:
        super().__init__(logging.INFO)
        self.counter = counter

    def emit(self, record: logging.LogRecord) -> None:
        call = getattr(record, "ai_call", None)
        if isinstance(call, dict) and call.get("neurons"):
            self.counter.labels(call.get("kind", "chat")).inc(float(call["neurons"]))
