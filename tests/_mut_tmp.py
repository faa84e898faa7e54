import os
import pytest

M = os.environ.get("MUT")

@pytest.fixture(autouse=True)
def _mutate(monkeypatch):
    if M == "redact":
        from rag.ai.http import AIHttp
        monkeypatch.setattr(AIHttp, "redact", lambda self, t: t)
    elif M == "batch":
        from rag.ai.workers_ai import WorkersAIEmbedder
        monkeypatch.setattr(WorkersAIEmbedder, "max_batch", 150)
    elif M == "discard":
        from ingest.pipeline import IngestPipeline
        monkeypatch.setattr(IngestPipeline, "_discard_quietly", lambda self, d: None)
    elif M == "nofallback":
        from rag.ai.workers_ai import WorkersAIGenerator
        orig = WorkersAIGenerator.__init__
        def init(self, *a, **k):
            orig(self, *a, **k); self.fallbacks = []
        monkeypatch.setattr(WorkersAIGenerator, "__init__", init)
    elif M == "retryafter":
        from rag.ai import http
        monkeypatch.setattr(http, "retry_after_seconds", lambda h, now=None: None)
    elif M == "order":
        from rag.ai import http, workers_ai
        orig = http.run_concurrently
        monkeypatch.setattr(workers_ai, "run_concurrently", lambda fn, items, n: list(reversed(orig(fn, items, n))))
    elif M == "buffer":
        import rag.cli
        from rag.types import Answer
        orig = Answer.__iter__
        def it(self):
            parts = list(orig(self)); yield from parts
        monkeypatch.setattr(Answer, "__iter__", it)
