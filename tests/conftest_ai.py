"""Fixtures for the AI client tests: a loopback Workers AI stand-in and settings pointing at it.

Loaded with `pytest_plugins = ["tests.conftest_ai"]` (or `-p tests.conftest_ai`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from rag.settings import Settings
from rag.types import Hit
from tests.workers_ai_server import ACCOUNT, GATEWAY, TOKEN, StandIn, serve

_PROVIDER_ENV = ("RAG_", "CLOUDFLARE_", "OPENAI_")


@pytest.fixture(scope="session")
def workers_ai_server() -> Iterator[StandIn]:
    """One real uvicorn server for the session, on 127.0.0.1 and a free port."""
    standin, thread = serve()
    try:
        yield standin
    finally:
        thread.stop()


@pytest.fixture
def standin(workers_ai_server: StandIn) -> Iterator[StandIn]:
    """The stand-in with no faults and an empty request log, reset again afterwards."""
    workers_ai_server.reset()
    yield workers_ai_server
    if workers_ai_server.hold is not None:
        workers_ai_server.hold.set()
    workers_ai_server.reset()


@pytest.fixture
def ai_settings(standin: StandIn, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings aimed at the stand-in, with small backoffs so retry tests stay fast."""
    for name in list(os.environ):
        if name.upper().startswith(_PROVIDER_ENV):
            monkeypatch.delenv(name)
    return Settings(
        _env_file=None,
        data_dir=tmp_path,
        cloudflare_account_id=ACCOUNT,
        cloudflare_api_token=TOKEN,
        cloudflare_base_url=f"{standin.url}/client/v4",
        cloudflare_ai_gateway_base_url=f"{standin.url}/v1",
        openai_base_url=f"{standin.url}/v1",
        ai_max_attempts=4,
        ai_deadline_seconds=10,
        ai_backoff_base_seconds=0.01,
        ai_backoff_max_seconds=0.05,
        ai_connect_timeout_seconds=2,
        ai_read_timeout_seconds=5,
        ai_embed_concurrency=4,
    )


@pytest.fixture
def gateway_settings(ai_settings: Settings) -> Settings:
    """The same, routed through the stand-in's AI Gateway."""
    return ai_settings.model_copy(update={"cloudflare_ai_gateway_id": GATEWAY})


class FakeClock:
    """A clock that only moves when something sleeps on it: retry timing without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def passages() -> list[Hit]:
    """Three ranked passages; the stand-in answers by quoting the best match."""
    return [
        Hit("d1", "docs/handbook.pdf", 3, "c1", 0.91,
            "The office opens at nine. Badges are collected from the front desk on arrival."),
        Hit("d2", "docs/animals.md", None, "c2", 0.74,
            "Llamas are domesticated camelids. Llamas live mostly in the Andes of Peru "
            "and Bolivia."),
        Hit("d3", "docs/history.pdf", 12, "c3", 0.40,
            "Cloudflare was founded in 2009 by three people.", title="Company history"),
    ]
