"""Where a Workers AI request goes, natively or through AI Gateway, and the gateway's headers.

Routes (docs/workers-ai.md, "Run endpoint" and "AI Gateway"); the model id is inserted
literally, slashes and "@" included:

* native:  {cloudflare_base_url}/accounts/{account}/ai/run/{model}
* gateway: {cloudflare_ai_gateway_base_url}/{account}/{gateway}/workers-ai/{model}

Both take the same bodies and return the `{"result": ..., "success": ...}` envelope.
"""

from __future__ import annotations

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
    def endpoint(self) -> str:
        return "gateway" if self.gateway else "run"

    def url(self, model: str) -> str:
        if self.gateway:
            return f"{self.gateway_base}/{self.account}/{self.gateway}/workers-ai/{model}"
        return f"{self.base}/accounts/{self.account}/ai/run/{model}"
