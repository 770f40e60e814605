"""`promopilot chat` and `promopilot start`'s seeding, through the real CLI."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli import main
from cli.start import seed
from storage.db import Database


def test_chat_streams_the_answer_and_lists_the_tool_calls(tmp_path):
    db = tmp_path / "chat.duckdb"
    result = CliRunner().invoke(main, ["--db", str(db), "chat", "generate", "80", "demo", "customers"])
    assert result.exit_code == 0, result.output
    assert '→ generate_demo_data {"customers": 80}' in result.stderr
    assert "✓ Generated 80 customers" in result.stderr
    assert "Next: *check the data*" in result.stdout
    with Database(db) as check:
        assert check.scalar("SELECT count(*) FROM customers") == 80


def test_chat_json_prints_one_event_per_line(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "c.duckdb"), "chat", "--json", "help"])
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[-1]["event"] == "done" and "segment customers" in events[-1]["content"]
    assert {e["event"] for e in events[:-1]} == {"token"}


def test_chat_cannot_approve(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "c.duckdb"), "chat", "approve campaign 1"])
    assert result.exit_code == 0
    assert "Only you can approve" in result.stdout
    assert "→" not in result.stderr, "no tool was called"


def test_start_seeds_an_empty_database_and_leaves_a_filled_one_alone(ctx):
    seed(ctx, customers=300)
    assert ctx.db.scalar("SELECT count(*) FROM customers") == 300
    assert ctx.db.scalar("SELECT count(*) FROM data_issues") > 0, "the planted defects were found and fixed"
    assert ctx.db.scalar("SELECT count(*) FROM segment_runs WHERE is_active") == 1
    seed(ctx, customers=50)
    assert ctx.db.scalar("SELECT count(*) FROM customers") == 300


def test_chat_with_the_model_service_down_says_so_and_exits_1(tmp_path, fake_openai, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    for _ in range(4):  # every attempt of the retry policy fails
        fake_openai.fault(503)

    result = CliRunner().invoke(main, ["--db", str(tmp_path / "c.duckdb"), "chat", "hello"])

    assert result.exit_code == 1
    assert "The model service is not answering (InternalServerError), even after retrying." in result.stderr
    assert "offline planner" in result.stderr, "the hint says what to do"
    assert len(fake_openai.requests) == 4
