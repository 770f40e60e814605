"""Shared fixtures: a fresh database per test, a tool context, and the fake OpenAI server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Tests never use a real key or reach the network: only scripted servers on 127.0.0.1. Blank rather
# than unset, so a `.env` file (which Chainlit loads on import, without overriding) cannot bring a key back.
for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PROMOPILOT_SMTP_URL", "PROMOPILOT_SHARE_PII"):
    os.environ[var] = ""

from services.llm import OpenAIStructured  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.fake_openai import FakeOpenAI  # noqa: E402
from tools import Settings, ToolContext, run_tool  # noqa: E402
from tools.context import Progress  # noqa: E402

# Property tests draw the same examples on every run by default, so a red build is a repeatable one and
# main stays green on a clean checkout; HYPOTHESIS_PROFILE=explore draws new examples on each run.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "repeatable")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API leaves an event loop running that breaks `asyncio.run` after it."""
    items.sort(key=lambda item: "browser" in item.keywords)


@pytest.fixture
def db(tmp_path, request) -> Iterator[Database]:
    path = tmp_path / "test.duckdb"
    if "demo_ctx" in request.fixturenames:  # the demo shop, in the one database every fixture of the test shares
        shutil.copyfile(request.getfixturevalue("demo_shop_file"), path)
    database = Database(path)
    yield database
    database.close()


@pytest.fixture
def ctx(db, tmp_path) -> ToolContext:
    """A user's context with no model: tools take their deterministic paths."""
    return ToolContext(db=db, settings=Settings(db_path=db.path))


@pytest.fixture(scope="session")
def demo_shop_file(tmp_path_factory) -> Path:
    """The demo shop generated once per test process, closed: each test gets its own copy of the file."""
    path = tmp_path_factory.mktemp("demo_shop") / "demo.duckdb"
    with Database(path) as database:
        run_tool(ToolContext(db=database, settings=Settings(db_path=database.path)), "generate_demo_data",
                 customers=2000, products=200, seed=7)  # fmt: skip
    return path


@pytest.fixture
def demo_ctx(ctx) -> ToolContext:
    """A context over a small, clean demo shop (2,000 customers, 200 products): `db` starts as a copy of one generated
    shop, which is the same shop as generating it again (seeded), in a quarter of the time."""
    return ctx


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def model_ctx(ctx, fake_openai) -> ToolContext:
    """Like `ctx`, but with a model: the fake OpenAI server (script it with `fake_openai.reply`)."""
    import openai

    client = openai.OpenAI(base_url=fake_openai.base_url, api_key="test-key", max_retries=0, timeout=5)
    ctx.llm = OpenAIStructured(client, "fake-model")
    return ctx


class RecordingProgress(Progress):
    """Keeps every task a tool opens, as the CLI's bar or the chat's step would show it."""

    def __init__(self) -> None:
        self.tasks: list[dict] = []

    @contextmanager
    def task(self, description, total=None):
        entry = {"description": description, "total": total, "done": 0}
        self.tasks.append(entry)
        yield lambda n=1: entry.update(done=entry["done"] + n)


@pytest.fixture
def progress_log() -> RecordingProgress:
    """A progress sink to give a context: `.tasks` holds each task's description, total and count done."""
    return RecordingProgress()
