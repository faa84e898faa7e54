"""Where a Workers AI request goes, natively or through AI Gateway, and the gateway's headers.

Routes (docs/workers-ai.md, "Run endpoint" and "AI Gateway"); the model id is inserted
literally, slashes and "@" included:

* native:  {cloudflare_base_url}/accounts/{account}/ai/run/{model}
* gateway: {cloudflare_ai_gateway_base_url}/{account}/{gateway}/workers-ai/{model}

Both take the same bodies and return the `{"result": ..., "success": ...}` envelope.

Through the gateway, a chat request also carries `cf-aig-metadata` (the user and collection,
for per-user analytics in the gateway's logs) and, when a cache TTL is set, `cf-aig-cache-key`
(made from the model, its parameters and the question, history and passages, their spacing
folded, so that the same question on the same passages hits the gateway's cache whoever asks
it). The key is never sent without a TTL: the gateway caches a keyed response even when its
caching is off. docs/workers-ai.md lists every gateway header sent and read.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any


class WorkersAIRoute:
    """The URL for a model, and the AI Gateway headers that go with every request."""

    def __init__(self, settings: Any) -> None:
        self.account = settings.cloudflare_account_id
        self.gateway = settings.cloudflare_ai_gateway_id
        self.base = settings.cloudflare_base_url.rstrip("/")
        self.gateway_base = settings.cloudflare_ai_gateway_base_url.rstrip("/")
        self.headers: dict[str, str] = {}
        if self.gateway:
            if settings.ai_gateway_cache_ttl is not None:
                self.headers["cf-aig-cache-ttl"] = str(settings.ai_gateway_cache_ttl)
            if settings.ai_gateway_skip_cache:
                self.headers["cf-aig-skip-cache"] = "true"

    @property
    def caches(self) -> bool:
        """Whether answers are meant to be cached: a TTL is set and the cache not skipped."""
        return "cf-aig-cache-ttl" in self.headers and "cf-aig-skip-cache" not in self.headers

    @property
    def endpoint(self) -> str:
        return "gateway" if self.gateway else "run"

    def chat_headers(self, cache_key: Callable[[], str], metadata: Mapping[str, str]
                     ) -> dict[str, str]:
        """The headers of one chat request: the route's, plus the gateway's cache key and
        metadata (none of them on the native route, which never computes the key: hashing
        the whole prompt is a question's cost for nothing there)."""
        headers = dict(self.headers)
        if not self.gateway:
            return headers
        if self.caches:
            headers["cf-aig-cache-key"] = cache_key()
        labels = {k: v for k, v in metadata.items() if v}
        if labels:  # the gateway keeps at most five entries
            headers["cf-aig-metadata"] = json.dumps(dict(list(labels.items())[:5]),
                                                    separators=(",", ":"))
        return headers

    def url(self, model: str) -> str:
        if self.gateway:
            return f"{self.gateway_base}/{self.account}/{self.gateway}/workers-ai/{model}"
        return f"{self.base}/accounts/{self.account}/ai/run/{model}"


def chat_cache_key(model: str, messages: Sequence[Mapping[str, str]],
                   parameters: Mapping[str, Any]) -> str:
    """A key equal for the same prompt, whatever its spacing: the gateway's cache then
    answers identical questions on identical passages across users. Case is kept: questions
    that differ only in it may ask different things ("c()" and "C()" in R)."""
    normal = [[m.get("role", ""), re.sub(r"\s+", " ", m.get("content", "")).strip()]
              for m in messages]
    blob = json.dumps([model, normal, dict(parameters)], sort_keys=True, ensure_ascii=False)
    return "docqa-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()
