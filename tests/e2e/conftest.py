"""Browser tests: the app served by `streamlit run` on loopback, driven by Playwright in
Debian's headless Chromium (Playwright never downloads a browser of its own here).

Skipped, saying why, when Chromium or the playwright package is missing. Screenshots of the
main screens go to `test-results/e2e/<test name>/` (or `$E2E_OUTPUT_DIR/<test name>/`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.workers_ai_server import ACCOUNT, TOKEN, StandIn

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "ui" / "app.py"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
_PROVIDER_ENV = ("RAG_", "CLOUDFLARE_", "OPENAI_")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    url: str
    data_dir: Path
    log: Path
    standin: StandIn


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium at /usr/bin/chromium (or CHROMIUM_PATH): install Debian's "
                    "`chromium` package (scripts/test.sh does when run as root) to run the "
                    "browser tests")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is missing: pip install -e '.[test]'")
    return path


@pytest.fixture(scope="module")
def app_server(chromium: str, embedder, model_dir: Path, workers_ai_server: StandIn,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """`streamlit run ui/app.py` on 127.0.0.1 with its own data folder.

    Answers are extractive by default; the Workers AI stand-in's credentials are set, so the
    settings panel offers Workers AI too. The embedding model was built once (`embedder`).
    """
    data_dir = tmp_path_factory.mktemp("e2e-data")
    cwd = tmp_path_factory.mktemp("e2e-cwd")  # no .env or .streamlit/ from the checkout
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_PROVIDER_ENV)}
    env.update({
        "RAG_DATA_DIR": str(data_dir), "RAG_MODEL_DIR": str(model_dir),
        "RAG_GENERATOR": "extractive",
        "CLOUDFLARE_ACCOUNT_ID": ACCOUNT, "CLOUDFLARE_API_TOKEN": TOKEN,
        "CLOUDFLARE_BASE_URL": f"{workers_ai_server.url}/client/v4",
        "RAG_WORKERS_AI_FALLBACK_MODELS": "[]", "RAG_AI_MAX_ATTEMPTS": "2",
        "RAG_AI_BACKOFF_BASE_SECONDS": "0.01", "RAG_AI_READ_TIMEOUT_SECONDS": "20",
        "PYTHONUNBUFFERED": "1",
    })
    log = data_dir / "streamlit.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP),
             "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer /_stcore/health:\n{log.read_text()}")
            time.sleep(0.2)
        yield AppServer(url, data_dir, log, workers_ai_server)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser_context(chromium: str):
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="e2e-chromium-") as profile, \
            sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 950}, accept_downloads=True,
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    """Where this test's screenshots go."""
    base = Path(os.environ.get("E2E_OUTPUT_DIR") or ROOT / "test-results" / "e2e")
    folder = base / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def page(browser_context, app_server: AppServer, output_dir: Path):
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    except BaseException:
        raise
    finally:
        page.screenshot(path=str(output_dir / "zz-last.png"), full_page=True)
        page.close()
