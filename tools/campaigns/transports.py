"""Where messages go, chosen by one URL (`PROMOPILOT_SMTP_URL`):

    smtp://host:25                      plain SMTP (credentials only to this machine)
    smtp+starttls://user:pass@host:587  SMTP upgraded to TLS before logging in
    smtps://user:pass@host:465          SMTP over TLS
    outbox:DIR                          one .eml file per message in a folder, nothing sent
    (unset)                             the embedded local sink on smtp://127.0.0.1:1025

`open_transport(settings)` parses the URL; `transport.connect()` opens one connection and says
plainly when the server cannot be reached or refuses the login. `connection.send(...)` is one
SMTP transaction and reports how far it got, because that decides whether a retry is safe:

- refused before the message data went out (a 4xx reply, a dropped connection): the server has
  nothing, so trying again cannot duplicate it -> `DeliveryError(kind="temporary")`;
- a 5xx reply: the server will never take it -> `kind="permanent"`, with the reply;
- the connection broke after the data went out and before the server answered: it may or may
  not have been delivered -> `kind="ambiguous"`. The sender never resends those.
"""

from __future__ import annotations

import ipaddress
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import unquote, urlsplit

from services.settings import Settings
from storage.errors import UserError

LOCAL_SINK = ("127.0.0.1", 1025)
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
URL_HELP = (
    "Set PROMOPILOT_SMTP_URL to smtp://host:port, smtp+starttls://user:password@host:587, "
    "smtps://user:password@host:465 or outbox:FOLDER (or leave it unset for the local sink)."
)
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


class DeliveryError(Exception):
    """One message was not accepted. `kind` says whether retrying is safe (see the module doc)."""

    def __init__(self, reply: str, kind: Literal["temporary", "permanent", "ambiguous"], reconnect: bool = False):
        super().__init__(reply)
        self.reply = reply
        self.kind = kind
        self.reconnect = reconnect  # the connection is gone or told us to go: open a new one


class TransportUnavailable(UserError):
    """The server cannot be reached or refused us: nothing was sent."""


class Connection(Protocol):
    def send(self, sender: str, recipient: str, payload: bytes, message_id: str, handover: Callable[[], None]) -> str:
        """Deliver one message; returns the server's reply. `handover()` runs just before the data goes out."""

    def close(self) -> None: ...


class Transport(Protocol):
    label: str  # where messages go, for people (never shows a password)
    words: str  # the same in a marketer's words: "the mail server smtp.example.com"
    resend_safe: bool  # delivering the same Message-ID twice is harmless (true for a folder, not for SMTP)

    def connect(self) -> Connection: ...

    def close(self) -> None: ...


def open_transport(settings: Settings) -> Transport:
    """The transport `settings.smtp_url` names; a `UserError` explains a malformed URL."""
    if not settings.smtp_url:
        return LocalSinkTransport()
    url = settings.smtp_url.strip()
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if sep and scheme == "outbox":
        folder = rest[2:] if rest.startswith("//") else rest
        if not folder:
            raise UserError(
                "The outbox URL names no folder.", hint="Set PROMOPILOT_SMTP_URL=outbox:FOLDER, e.g. outbox:./outbox."
            )
        return OutboxTransport(Path(folder))
    if not sep or scheme not in DEFAULT_PORTS:
        raise UserError(f"Unsupported mail transport URL {_redact(url)!r}.", hint=URL_HELP)
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise UserError(f"The port in {_redact(url)!r} is not a number from 1 to 65535.", hint=URL_HELP) from None
    if not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise UserError(f"The mail transport URL {_redact(url)!r} is malformed: expected a host name.", hint=URL_HELP)
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if scheme == "smtp" and username and not _is_loopback(parts.hostname):
        raise UserError(
            f"Refusing to send the SMTP password to {parts.hostname} unencrypted (smtp:// has no TLS).",
            hint="Use smtp+starttls:// (port 587) or smtps:// (port 465) for a server that needs a login.",
        )
    security = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}[scheme]
    return SMTPTransport(parts.hostname, port, security, username, password)


@dataclass
class SMTPTransport:
    host: str
    port: int
    security: Literal["plain", "starttls", "tls"] = "plain"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    resend_safe: bool = False

    @property
    def label(self) -> str:
        scheme = {"plain": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}[self.security]
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"

    @property
    def words(self) -> str:
        return f"the mail server {self.host}"

    def connect(self) -> SMTPConnection:
        try:
            if self.security == "tls":
                tls = ssl.create_default_context()
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=tls)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise TransportUnavailable(
                f"The SMTP server {self.label} refused the login: {_reply(exc.smtp_code, exc.smtp_error)}.",
                hint="Check the user name and password in PROMOPILOT_SMTP_URL (percent-encode special characters).",
            ) from None
        except ssl.SSLCertVerificationError as exc:  # an OSError too: said apart, "is it running?" misleads
            raise TransportUnavailable(
                f"The SMTP server {self.label} is reachable, but its TLS certificate could not be verified: "
                f"{exc.verify_message or exc}.",
                hint="Name the server as its certificate does (its host name, not an IP address); for a private "
                "certificate authority, point SSL_CERT_FILE at its certificate.",
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise TransportUnavailable(
                f"The SMTP server {self.label} does not support what the URL asks for: {exc}.",
                hint="Use smtps:// if it speaks TLS from the start, or drop the credentials if it needs no login.",
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportUnavailable(
                f"Cannot reach the SMTP server {self.label}: {exc or type(exc).__name__}.",
                hint="Check that the server is running and that PROMOPILOT_SMTP_URL names the right host and port.",
            ) from None
        return SMTPConnection(smtp)

    def close(self) -> None:
        """Nothing to release: connections are closed by whoever opened them."""


class LocalSinkTransport(SMTPTransport):
    """The demo default: the local sink on 127.0.0.1:1025, started in this process if nothing listens there."""

    def __init__(self) -> None:
        super().__init__(*LOCAL_SINK)
        self._sink = None

    @property
    def words(self) -> str:
        return "the built-in test mail server (nothing left this computer)"

    def connect(self) -> SMTPConnection:
        try:
            return super().connect()
        except TransportUnavailable:
            if self._sink is not None:
                raise
        from tools.campaigns.smtp_sink import start_sink

        self._sink = start_sink(host=self.host, port=self.port)
        return super().connect()

    def close(self) -> None:
        if self._sink is not None:
            self._sink.stop()
            self._sink = None


class SMTPConnection:
    """One open SMTP session; `send` runs one transaction on it (MAIL, RCPT, DATA)."""

    def __init__(self, smtp: smtplib.SMTP) -> None:
        self._smtp = smtp

    def send(self, sender: str, recipient: str, payload: bytes, message_id: str, handover: Callable[[], None]) -> str:
        smtp = self._smtp
        options = []
        if not (sender + recipient).isascii():
            if not smtp.has_extn("smtputf8"):
                raise DeliveryError("the server cannot take internationalised addresses (no SMTPUTF8)", "permanent")
            options = ["SMTPUTF8"]
        try:
            self._expect(smtp.mail(sender, options), 250)
            self._expect(smtp.rcpt(recipient), 250, 251)
            self._expect(smtp.docmd("DATA"), 354)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise DeliveryError(f"connection lost before the message was sent ({exc})", "temporary", True) from None
        handover()
        try:
            smtp.send(_wire(payload))
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise DeliveryError(
                f"connection lost after the message was handed over, before the server confirmed it ({exc})",
                "ambiguous",
                True,
            ) from None
        self._expect((code, reply), 250)
        return _reply(code, reply)

    def _expect(self, answer: tuple[int, bytes], *accepted: int) -> None:
        code, reply = answer
        if code in accepted:
            return
        text = _reply(code, reply)
        if code == 421 or code < 400:  # 421 = the server is closing this session; <400 here = out of sync
            raise DeliveryError(text, "temporary", reconnect=True)
        try:
            self._smtp.rset()  # end the half-open transaction so the connection can carry the next message
        except (smtplib.SMTPException, OSError):
            raise DeliveryError(text, "permanent" if code >= 500 else "temporary", reconnect=True) from None
        raise DeliveryError(text, "permanent" if code >= 500 else "temporary")

    def close(self) -> None:
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()


@dataclass
class OutboxTransport:
    """Writes each message to FOLDER/<Message-ID>.eml. Rewriting the same message replaces the file."""

    folder: Path
    resend_safe: bool = True

    @property
    def label(self) -> str:
        return f"outbox:{self.folder}"

    @property
    def words(self) -> str:
        return f"email files in the folder {self.folder}"

    def connect(self) -> OutboxConnection:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportUnavailable(
                f"Cannot create the outbox folder {self.folder}: {exc.strerror}.",
                hint="Point PROMOPILOT_SMTP_URL=outbox:FOLDER at a folder you can write.",
            ) from None
        return OutboxConnection(self.folder)

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class OutboxConnection:
    folder: Path

    def send(self, sender: str, recipient: str, payload: bytes, message_id: str, handover: Callable[[], None]) -> str:
        name = re.sub(r"[^A-Za-z0-9._@-]", "_", message_id.strip("<>")) or "message"
        final = self.folder / f"{name}.eml"
        partial = final.with_suffix(".eml.part")
        handover()
        try:
            partial.write_bytes(payload)
            os.replace(partial, final)  # atomic: a reader never sees half a message
        except OSError as exc:
            raise DeliveryError(f"cannot write {final}: {exc.strerror}", "temporary") from None
        return f"250 written to {final}"

    def close(self) -> None:
        """Nothing to release."""


def _wire(payload: bytes) -> bytes:
    """The DATA section as SMTP wants it: CRLF line ends, leading dots doubled, ended by CRLF.CRLF."""
    if b"\r\n" not in payload:
        payload = payload.replace(b"\n", b"\r\n")
    payload = _LEADING_DOT.sub(b"..", payload)
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    return payload + b".\r\n"


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {' '.join(text.split())}".strip()


def _redact(url: str) -> str:
    return re.sub(r"(//[^:/@]+:)[^@/]*@", r"\1***@", url)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
