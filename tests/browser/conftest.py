"""Browser tests: the real Chainlit app (`chainlit run app.py`) driven by Debian's chromium through Playwright.

One server per session on a free 127.0.0.1 port, with its own database, the offline planner and
the embedded SMTP sink on another free port. Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.smtp_server import free_port
from tools.campaigns.smtp_sink import Sink, start_sink

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: run bin/setup --browser (installs Debian's chromium)"
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--no-first-run",
            "--no-default-browser-check",
        ],
    }


@dataclass
class App:
    url: str
    sink: Sink
    log: Path


@pytest.fixture(scope="session")
def chat_app(tmp_path_factory) -> Iterator[App]:
    """`chainlit run app.py --headless` on a free port, offline, with a fresh database and a mail sink."""
    with serve(tmp_path_factory.mktemp("chat-app")) as app:
        yield app


@contextmanager
def serve(home: Path, **env_extra: str) -> Iterator[App]:
    """The chat app in its own process: database and mail sink under `home`, `env_extra` on top."""
    sink = start_sink(directory=home / "sink", port=free_port())
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PROMOPILOT_", "CHAINLIT_"))}
    env |= {
        "CHAINLIT_ENV_FILE": str(home / "no.env"),  # a checkout's .env must not bring a model key in
        "PROMOPILOT_MODEL": "offline",  # nor may a key that reaches the process any other way
        "PROMOPILOT_DB": str(home / "app.duckdb"),
        "PROMOPILOT_SMTP_URL": sink.url,
        "PROMOPILOT_PUBLIC_URL": url,
        "PROMOPILOT_SEND_RATE": "15",  # a 100-recipient send takes ~7 s: time to see its live progress
        **env_extra,
    }
    log = home / "chainlit.log"
    command = [sys.executable, "-m", "chainlit", "run", "app.py", "--headless", "--host", "127.0.0.1", "--port"]
    with log.open("w") as out:
        server = subprocess.Popen([*command, str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_ready(f"{url}/health", server, log)
        _expect_offline(log)
        yield App(url, sink, log)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        sink.stop()


def _wait_ready(health: str, server: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"chainlit exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(health, timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"chainlit did not answer {health} within {timeout:.0f}s:\n{log.read_text()[-3000:]}")


def _expect_offline(log: Path) -> None:
    """The app must answer with the offline planner: a model here would mean a test reaching for the network."""
    text = log.read_text()
    if "answered by the offline planner" not in text:
        raise RuntimeError(f"the chat app did not start on the offline planner:\n{text[-3000:]}")


@pytest.fixture(autouse=True)
def loopback_only(page) -> Iterator[list[str]]:
    """The page may reach 127.0.0.1 only, and does not even try (app.py drops Chainlit's web-font and CDN links)."""
    refused: list[str] = []

    def route(request_route) -> None:
        if urlsplit(request_route.request.url).hostname == "127.0.0.1":
            request_route.continue_()
        else:
            refused.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    yield refused
    assert refused == [], "the page asked for addresses other than 127.0.0.1"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
