"""Password login for a shared deployment: named users only, hashed passwords, slowed-down guessing.

Login is on when `PROMOPILOT_PASSWORD` or `PROMOPILOT_USERS_FILE` is set:

- `PROMOPILOT_PASSWORD` (+ `PROMOPILOT_USER`, default `marketer`): one account. The password may be
  given as an argon2 hash (`promopilot hash-password`) rather than in clear.
- `PROMOPILOT_USERS_FILE`: one `name:argon2-hash` line per person, each with their own password.

Only a configured name signs in, and that name is what an approval records. Each failed attempt is
logged (name, never the password); after `FREE_FAILURES` failures within `WINDOW` seconds, for that
name or overall, every further attempt waits longer (doubling, up to `MAX_DELAY` seconds) before it
is even checked, so guessing costs hours instead of seconds. Waiting rather than locking out keeps
an attacker from locking the real user out. Chainlit signs its session cookies with
CHAINLIT_AUTH_SECRET and refuses to start without one; when none is set a random one is made here,
so logins simply end when the server restarts.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_USER = "marketer"
HASH_PREFIX = "$argon2"
FREE_FAILURES = 3  # failures within WINDOW before attempts are slowed down
WINDOW = 900.0  # seconds
MAX_DELAY = 30.0  # seconds before an attempt is checked, at most
OVERALL_FACTOR = 5  # failures over all names slow everyone down at FREE_FAILURES x this


def hash_password(password: str) -> str:
    """An argon2id hash of `password` for PROMOPILOT_PASSWORD or a users file line."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


@dataclass(frozen=True)
class Accounts:
    """Who may sign in: name -> password (clear, or an argon2 hash)."""

    users: dict[str, str]

    @classmethod
    def from_env(cls) -> Accounts:
        users: dict[str, str] = {}
        if path := os.environ.get("PROMOPILOT_USERS_FILE"):
            for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                name, sep, secret = line.strip().partition(":")
                if not (sep and name and secret.startswith(HASH_PREFIX)):
                    raise ValueError(f"{path}, line {number}: expected name:argon2-hash (see promopilot hash-password)")
                users[name] = secret
        if password := os.environ.get("PROMOPILOT_PASSWORD"):
            users[os.environ.get("PROMOPILOT_USER") or DEFAULT_USER] = password
        return cls(users)

    def check(self, name: str, password: str) -> bool:
        secret = self.users.get(name)
        if secret is None:  # the same work for an unknown name, so timing does not tell which names exist
            _matches(_DUMMY_HASH, password)
            return False
        return _matches(secret, password)


def _matches(secret: str, password: str) -> bool:
    if not secret.startswith(HASH_PREFIX):
        return hmac.compare_digest(password.encode(), secret.encode())
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(secret, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c3g59jMrX0Spvkfj5kebpg$EnY0xqAOxkTYo7pW2ysaJ2mQR7d3kZ9V4uWMrFu+Lis"


@dataclass
class Throttle:
    """Recent failures per name and overall; how long the next attempt must wait."""

    failures: dict[str, deque[float]] = field(default_factory=dict)
    overall: deque[float] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def delay(self, name: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self.lock:
            mine = _recent(self.failures.get(name, deque()), now)
            everyone = _recent(self.overall, now)
        excess = max(mine - FREE_FAILURES, (everyone - FREE_FAILURES * OVERALL_FACTOR) // OVERALL_FACTOR)
        return 0.0 if excess < 0 else min(MAX_DELAY, 0.5 * 2**excess)

    def failed(self, name: str, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        with self.lock:
            mine = self.failures.setdefault(name, deque())
            mine.append(now)
            self.overall.append(now)
            return _recent(mine, now)

    def succeeded(self, name: str) -> None:
        with self.lock:
            self.failures.pop(name, None)


def _recent(times: deque[float], now: float) -> int:
    while times and times[0] < now - WINDOW:
        times.popleft()
    return len(times)


THROTTLE = Throttle()


async def check_password(username: str, password: str) -> Any:
    """Chainlit's password callback: a `cl.User` named as configured, or None."""
    import chainlit as cl

    name = username.strip()
    if wait := THROTTLE.delay(name):
        await asyncio.sleep(wait)
    if await asyncio.to_thread(Accounts.from_env().check, name, password):
        THROTTLE.succeeded(name)
        return cl.User(identifier=name, metadata={"provider": "password"})
    failures = THROTTLE.failed(name)
    level = logging.WARNING if failures > FREE_FAILURES else logging.INFO
    log.log(level, "failed login for %r (%d in the last %.0f minutes)", name[:80], failures, WINDOW / 60)
    return None


def enable_login() -> bool:
    """Ask for a password when one is configured (a shared deployment); True when login is on."""
    import chainlit as cl

    if not (os.environ.get("PROMOPILOT_PASSWORD") or os.environ.get("PROMOPILOT_USERS_FILE")):
        return False
    Accounts.from_env()  # a malformed users file stops the start with its line number, not the first login
    if not os.environ.get("CHAINLIT_AUTH_SECRET"):
        os.environ["CHAINLIT_AUTH_SECRET"] = secrets.token_urlsafe(48)
    cl.password_auth_callback(check_password)
    return True
