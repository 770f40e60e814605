"""A real SMTP server on 127.0.0.1 (aiosmtpd) for tests, with faults injected per recipient.

    with FaultySMTPServer(Faults(temporary={"a@example.com": 1}, permanent={"b@example.com"})) as server:
        ... send to server.url ...
        server.received["a@example.com"]  # how many copies the server accepted

It counts what it accepted per recipient, so a test can prove "each recipient exactly once".
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Faults:
    temporary: dict[str, int] = field(default_factory=dict)  # address -> RCPTs answered "421" before accepting
    permanent: set[str] = field(default_factory=set)  # RCPT answered "550"
    drop_at_rcpt: dict[str, int] = field(default_factory=dict)  # address -> times the connection drops at RCPT
    drop_after_data: set[str] = field(default_factory=set)  # message kept, connection dropped before the "250"
    delay: float = 0.0  # seconds to think before answering DATA (a slow server)


class _Handler:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.received: Counter[str] = Counter()
        self.rcpt_attempts: Counter[str] = Counter()
        self.sessions = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.sessions += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        with self.lock:
            self.rcpt_attempts[key] += 1
            if self.faults.drop_at_rcpt.get(key, 0) > 0:
                self.faults.drop_at_rcpt[key] -= 1
                server.transport.abort()
                return "421 dropping the connection"
            if self.faults.temporary.get(key, 0) > 0:
                self.faults.temporary[key] -= 1
                return "421 4.7.0 Too busy, try again later"
        if key in self.faults.permanent:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.faults.delay:
            await asyncio.sleep(self.faults.delay)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received[rcpt.lower()] += 1
            dropped = any(r.lower() in self.faults.drop_after_data for r in envelope.rcpt_tos)
            for rcpt in envelope.rcpt_tos:
                self.faults.drop_after_data.discard(rcpt.lower())
        if dropped:
            server.transport.abort()
            return "421 gone before confirming"
        return "250 2.0.0 Queued"


class FaultySMTPServer:
    """Runs in a background thread of this process; `url` is what PROMOPILOT_SMTP_URL would be."""

    def __init__(self, faults: Faults | None = None, *, login: tuple[str, str] | None = None) -> None:
        self.handler = _Handler(faults or Faults())
        self.port = free_port()
        auth = {}
        if login:
            auth = {"auth_require_tls": False, "authenticator": _Authenticator(*login)}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **auth)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> Counter[str]:
        return self.handler.received

    @property
    def sessions(self) -> int:
        return self.handler.sessions

    def __enter__(self) -> FaultySMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class _Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.expected = (user.encode(), password.encode())

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == self.expected
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
