"""A real SMTP server on 127.0.0.1 (aiosmtpd) for tests, with faults injected per recipient.

    with FaultySMTPServer(Faults(temporary={"a@example.com": 1}, permanent={"b@example.com"})) as server:
        ... send to server.url ...
        server.received["a@example.com"]  # how many copies the server accepted
        server.messages  # (recipients, raw bytes) of each message accepted, to read what arrived

It counts what it accepted per recipient, so a test can prove "each recipient exactly once".
With `tls=` and a `TestCA` it speaks STARTTLS or TLS from the first byte, as a provider's submission
server does; clients trust the test CA through SSL_CERT_FILE, so certificate checks stay on.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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
        self.arrivals: list[float] = []  # time.monotonic() of each accepted message
        self.messages: list[tuple[tuple[str, ...], bytes]] = []  # (recipients, raw message) as accepted
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
            self.arrivals.append(time.monotonic())
            self.messages.append((tuple(r.lower() for r in envelope.rcpt_tos), bytes(envelope.content)))
            dropped = any(r.lower() in self.faults.drop_after_data for r in envelope.rcpt_tos)
            for rcpt in envelope.rcpt_tos:
                self.faults.drop_after_data.discard(rcpt.lower())
        if dropped:
            server.transport.abort()
            return "421 gone before confirming"
        return "250 2.0.0 Queued"


class FaultySMTPServer:
    """Runs in a background thread of this process; `url` is what PROMOPILOT_SMTP_URL would be."""

    def __init__(
        self,
        faults: Faults | None = None,
        *,
        login: tuple[str, str] | None = None,
        tls: Literal["starttls", "implicit"] | None = None,
        ca: TestCA | None = None,
    ) -> None:
        self.handler = _Handler(faults or Faults())
        self.port = free_port()
        options: dict[str, object] = {}
        if login:  # with STARTTLS, AUTH is refused until the session is upgraded (implicit TLS is never plain)
            options |= {"auth_require_tls": tls == "starttls", "authenticator": _Authenticator(*login)}
        if tls == "starttls":
            options |= {"tls_context": ca.server_context(), "require_starttls": True}
        elif tls == "implicit":
            options |= {"ssl_context": ca.server_context()}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> Counter[str]:
        return self.handler.received

    @property
    def messages(self) -> list[tuple[tuple[str, ...], bytes]]:
        return self.handler.messages

    @property
    def arrivals(self) -> list[float]:
        return self.handler.arrivals

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


class TestCA:
    """A throwaway certificate authority and a server certificate it signed for 127.0.0.1 (files under `folder`)."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, folder: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.datetime.now(datetime.UTC)

        def builder(subject: str, key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey):
            return (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "PromoPilot test CA")]))
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
            )

        ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        ca_cert = (
            builder("PromoPilot test CA", ca_key, ca_key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(key_cert_sign=True), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        server_cert = (
            builder("127.0.0.1", server_key, ca_key)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file = folder / "ca.pem"
        self.cert_file, self.key_file = folder / "server.pem", folder / "server.key"
        self.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        self.cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
        self.key_file.write_bytes(
            server_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def _usage(*, digital_signature: bool = False, key_cert_sign: bool = False):
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
