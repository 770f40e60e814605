"""Password login: configured names only, hashed passwords, failures logged and slowed down."""

from __future__ import annotations

import asyncio
import logging
import os
import re

import pytest
from click.testing import CliRunner

from cli import main
from web import login


@pytest.fixture(autouse=True)
def fresh_throttle(monkeypatch):
    monkeypatch.setattr(login, "THROTTLE", login.Throttle())
    for name in ("PROMOPILOT_USER", "PROMOPILOT_PASSWORD", "PROMOPILOT_USERS_FILE"):
        monkeypatch.setenv(name, "")


def sign_in(name: str, password: str):
    return asyncio.run(login.check_password(name, password))


def test_the_shared_password_needs_the_configured_user_name(monkeypatch):
    monkeypatch.setenv("PROMOPILOT_PASSWORD", "s3cret")
    monkeypatch.setenv("PROMOPILOT_USER", "marketer")
    assert sign_in("marketer", "s3cret").identifier == "marketer"
    assert sign_in("marketer", "wrong") is None
    assert sign_in("someone", "s3cret") is None
    assert sign_in("the boss", "s3cret") is None, "a made-up name cannot become the approver"


def test_without_a_configured_name_only_the_default_one_signs_in(monkeypatch):
    monkeypatch.setenv("PROMOPILOT_PASSWORD", "s3cret")
    assert sign_in("anyone", "s3cret") is None
    assert sign_in(login.DEFAULT_USER, "s3cret").identifier == login.DEFAULT_USER


def test_each_person_in_the_users_file_has_their_own_hashed_password(monkeypatch, tmp_path):
    lines = CliRunner().invoke(main, ["hash-password", "alice", "--password", "alice-pw"]).stdout
    lines += CliRunner().invoke(main, ["hash-password", "bob", "--password", "bob-pw"]).stdout
    users = tmp_path / "users.txt"
    users.write_text("# who may sign in\n" + lines)
    assert "alice-pw" not in lines and lines.count("$argon2id$") == 2
    monkeypatch.setenv("PROMOPILOT_USERS_FILE", str(users))

    assert sign_in("alice", "alice-pw").identifier == "alice"
    assert sign_in("bob", "bob-pw").identifier == "bob"
    assert sign_in("alice", "bob-pw") is None
    assert sign_in("carol", "alice-pw") is None


def test_a_malformed_users_file_is_refused_with_its_line(monkeypatch, tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("alice:plain-text-password\n")
    monkeypatch.setenv("PROMOPILOT_USERS_FILE", str(users))
    with pytest.raises(ValueError, match=re.escape("users.txt, line 1: expected name:argon2-hash")):
        login.Accounts.from_env()


def test_repeated_failures_are_logged_and_slow_the_next_attempts_down(monkeypatch, caplog):
    monkeypatch.setenv("PROMOPILOT_PASSWORD", "s3cret")
    monkeypatch.setenv("PROMOPILOT_USER", "marketer")
    waited: list[float] = []

    async def no_real_sleep(seconds):
        waited.append(seconds)

    monkeypatch.setattr(login.asyncio, "sleep", no_real_sleep)
    with caplog.at_level(logging.INFO, logger="web.login"):
        for _ in range(8):
            assert sign_in("marketer", "guess") is None

    assert waited == [0.5, 1.0, 2.0, 4.0, 8.0], "free at first, then doubling"
    assert "failed login for 'marketer' (8 in the last 15 minutes)" in caplog.text
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert "guess" not in caplog.text, "passwords are never logged"
    assert login.THROTTLE.delay("marketer") == 16.0
    assert login.THROTTLE.delay("marketer", now=10_000_000.0) == 0.0, "forgotten after the window"


def test_guessing_over_many_names_slows_everyone_down():
    throttle = login.Throttle()
    for i in range(login.FREE_FAILURES * login.OVERALL_FACTOR + 2 * login.OVERALL_FACTOR):
        throttle.failed(f"name-{i}", now=1.0)
    assert throttle.delay("someone-new", now=2.0) > 0


def test_a_right_password_clears_that_names_failures(monkeypatch):
    monkeypatch.setenv("PROMOPILOT_PASSWORD", "s3cret")
    for _ in range(login.FREE_FAILURES + 1):
        login.THROTTLE.failed(login.DEFAULT_USER)
    waited: list[float] = []

    async def no_real_sleep(seconds):
        waited.append(seconds)

    monkeypatch.setattr(login.asyncio, "sleep", no_real_sleep)
    assert sign_in(login.DEFAULT_USER, "s3cret") is not None
    assert waited == [1.0], "the right password waits too, then clears"
    assert login.THROTTLE.delay(login.DEFAULT_USER) == 0.0


def test_login_is_on_only_when_configured_and_brings_its_own_cookie_secret(monkeypatch, tmp_path):
    from chainlit.config import config

    monkeypatch.setattr(config.code, "password_auth_callback", None)  # restored after the test
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "")
    assert login.enable_login() is False
    assert config.code.password_auth_callback is None and os.environ["CHAINLIT_AUTH_SECRET"] == ""

    monkeypatch.setenv("PROMOPILOT_PASSWORD", "s3cret")
    assert login.enable_login() is True
    assert config.code.password_auth_callback is not None
    assert len(os.environ["CHAINLIT_AUTH_SECRET"]) >= 32, "chainlit refuses to start without one"
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "kept-as-configured")
    login.enable_login()
    assert os.environ["CHAINLIT_AUTH_SECRET"] == "kept-as-configured"
