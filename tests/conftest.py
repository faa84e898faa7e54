"""Shared fixtures: real local model (built once per run), embedded Qdrant in a temp folder.

An autouse fixture removes RAG_*, CLOUDFLARE_* and OPENAI_* variables so a developer's own
configuration never leaks into a test, and no test can reach a real provider.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.embedders.local import LocalOnnxEmbedder
from rag.registry import make_generator
from rag.service import RagService
from rag.settings import Settings
from rag.store import QdrantStore, open_client

SHARED = Path(__file__).resolve().parents[2] / "shared"
_PREFIXES = ("RAG_", "CLOUDFLARE_", "OPENAI_")

pytest_plugins = ["tests.conftest_ai"]  # the Workers AI stand-in server and its fixtures


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the ONNX model is built once for the whole run."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(model_dir: Path) -> LocalOnnxEmbedder:
    return LocalOnnxEmbedder(model_dir)


@pytest.fixture
def settings(tmp_path: Path, model_dir: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", model_dir=model_dir, _env_file=None)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_dir: Path) -> dict[str, str]:
    """Environment for CLI and UI tests: a fresh data dir and the shared built model."""
    values = {"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_MODEL_DIR": str(model_dir)}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def make_service(settings: Settings, embedder) -> RagService:
    path = settings.resolved_qdrant_path
    path.mkdir(parents=True, exist_ok=True)
    store = QdrantStore(open_client(None, None, str(path)), settings.collection, embedder.name,
                        embedder.dimension)
    store.ensure_collection()
    return RagService(settings, embedder, store, make_generator(settings, embedder))


@pytest.fixture
def service(settings: Settings, embedder: LocalOnnxEmbedder):
    svc = make_service(settings, embedder)
    yield svc
    svc.close()


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or skip the test saying why."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present (the shared data folder is not beside this checkout)")
    return path
