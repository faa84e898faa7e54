"""Shared fixtures: real local model (built once per run), embedded Qdrant in a temp folder.

An autouse fixture removes RAG_*, CLOUDFLARE_* and OPENAI_* variables so a developer's own
configuration never leaks into a test, and no test can reach a real provider.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.providers.embedders.local import LocalOnnxEmbedder
from rag.providers.http.client import AIHttp
from rag.service import RagService, build_service
from rag.settings import Settings, load_settings

SHARED = Path(__file__).resolve().parents[2] / "shared"
_PREFIXES = ("RAG_", "CLOUDFLARE_", "OPENAI_")

pytest_plugins = ["tests.conftest_ai"]  # the Workers AI stand-in server and its fixtures


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout


@pytest.fixture(autouse=True)
def close_ai_clients(monkeypatch: pytest.MonkeyPatch):
    """Close every AI client a test opened when it ends (an unclosed socket is a warning,
    and warnings fail the run)."""
    opened: list[AIHttp] = []
    real_init = AIHttp.__init__

    def tracked_init(self: AIHttp, *args, **kwargs) -> None:
        real_init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(AIHttp, "__init__", tracked_init)
    yield
    for http in opened:
        http.close()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the ONNX model is built once for the whole run."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(model_dir: Path) -> LocalOnnxEmbedder:
    return LocalOnnxEmbedder(model_dir)


def fresh_settings(tmp_path: Path, model_dir: Path, **values: object) -> Settings:
    """Settings as a fresh machine reads them, with this run's data folder and model."""
    return load_settings({}, env_file=None, data_dir=tmp_path / "data", model_dir=model_dir,
                         **values)


def answer_from(files: dict[str, str], question: str, embedder: LocalOnnxEmbedder,
                model_dir: Path, tmp_path: Path) -> str:
    """The offline answer to `question` from a fresh library of `files` (name: text)."""
    (tmp_path / "docs").mkdir()
    for name, text in files.items():
        (tmp_path / "docs" / name).write_text(text)
    service = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        service.ingest([tmp_path / "docs"])
        return service.ask(question).text
    finally:
        service.close()


SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.fixture(scope="module")
def sample_library(tmp_path_factory: pytest.TempPathFactory, embedder: LocalOnnxEmbedder,
                   model_dir: Path) -> Iterator[RagService]:
    """The sample documents in a library of their own, searched and answered as the app
    does (one a module: its tests only read it)."""
    service = build_service(fresh_settings(tmp_path_factory.mktemp("samples"), model_dir),
                            embedder=embedder)
    service.ingest(sorted(SAMPLES.iterdir()))
    yield service
    service.close()


@pytest.fixture
def settings(tmp_path: Path, model_dir: Path) -> Settings:
    return fresh_settings(tmp_path, model_dir)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_dir: Path) -> dict[str, str]:
    """Environment for CLI and UI tests: a fresh data dir and the shared built model."""
    values = {"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_MODEL_DIR": str(model_dir)}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


@pytest.fixture
def service(settings: Settings, embedder: LocalOnnxEmbedder) -> RagService:
    svc = build_service(settings, embedder=embedder)
    yield svc
    svc.close()


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or skip the test saying why."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present (the shared data folder is not beside this checkout)")
    return path


@pytest.fixture
def tesseract() -> None:
    """Tesseract with English, or the test skipped saying why (failed under CI, which
    installs it)."""
    from ingest.formats import ocr

    reason = ocr.missing("eng")
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI runs the OCR tests, but {reason}")
    if reason:
        pytest.skip(reason)
