"""Mail transports chosen by URL, dot-stuffing on the wire, and the demo's local sink."""

from __future__ import annotations

import email
from email import policy

import pytest

from storage.errors import UserError
from tests.smtp_server import FaultySMTPServer, TestCA, free_port
from tools import Settings
from tools.campaigns import transports
from tools.campaigns.smtp_sink import start_sink
from tools.campaigns.transports import LocalSinkTransport, OutboxTransport, SMTPTransport, open_transport

MESSAGE = (
    b"From: shop@example.com\r\nTo: anna@example.com\r\nSubject: Hi\r\nMessage-ID: <m1@example.com>\r\n\r\n"
    b"Line one\r\n.a line starting with a dot\r\n..and two dots\r\n"
)


def transport(url):
    return open_transport(Settings(smtp_url=url))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", SMTPTransport("mail.example.com", 25, "plain")),
        ("smtp://127.0.0.1:2525", SMTPTransport("127.0.0.1", 2525, "plain")),
        (
            "smtp+starttls://u%40shop:p%3Ass@mail.example.com",
            SMTPTransport("mail.example.com", 587, "starttls", "u@shop", "p:ss"),
        ),
        ("SMTPS://user:pw@mail.example.com:2465", SMTPTransport("mail.example.com", 2465, "tls", "user", "pw")),
        ("smtp://user:pw@localhost:1025", SMTPTransport("localhost", 1025, "plain", "user", "pw")),
    ],
)
def test_smtp_urls_name_host_port_security_and_login(url, expected):
    assert transport(url) == expected


def test_outbox_and_unset_urls():
    assert transport("outbox:./out") == OutboxTransport(transports.Path("./out"))
    assert isinstance(open_transport(Settings()), LocalSinkTransport)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mail.example.com", "Unsupported"),
        ("http://mail.example.com", "Unsupported"),
        ("smtp://", "malformed"),
        ("smtp://mail.example.com:99999", "port"),
        ("smtp://mail.example.com/path", "malformed"),
        ("outbox:", "no folder"),
        ("smtp://user:hunter2@mail.example.com", "unencrypted"),
    ],
)
def test_malformed_urls_are_explained_without_the_password(url, problem):
    with pytest.raises(UserError, match=problem) as caught:
        transport(url)
    assert "hunter2" not in str(caught.value)
    assert "PROMOPILOT_SMTP_URL" in (caught.value.hint or "") or "smtps" in (caught.value.hint or "")


def test_starttls_against_a_server_without_it_is_a_clear_error():
    with FaultySMTPServer() as server, pytest.raises(UserError, match="does not support"):
        transport(f"smtp+starttls://127.0.0.1:{server.port}").connect()


@pytest.fixture
def test_ca(tmp_path, monkeypatch):
    """A private CA the client trusts (through SSL_CERT_FILE, as a deployment would): verification stays on."""
    pytest.importorskip("cryptography")
    ca = TestCA(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_file))
    return ca


@pytest.mark.parametrize(("scheme", "tls"), [("smtp+starttls", "starttls"), ("smtps", "implicit")])
def test_encrypted_transports_log_in_and_deliver(test_ca, scheme, tls):
    # The server refuses AUTH on a plain session, so a login only succeeds once TLS is really up.
    with FaultySMTPServer(login=("shop@example.com", "p:ss/w@rd"), tls=tls, ca=test_ca) as server:
        url = f"{scheme}://shop%40example.com:p%3Ass%2Fw%40rd@127.0.0.1:{server.port}"
        connection = transport(url).connect()
        reply = connection.send("shop@example.com", "anna@example.com", MESSAGE, "<m1@example.com>", lambda: None)
        connection.close()
        with pytest.raises(UserError, match="refused the login") as caught:
            transport(f"{scheme}://shop%40example.com:hunter2@127.0.0.1:{server.port}").connect()
    assert reply.startswith("250") and server.received == {"anna@example.com": 1}
    assert "hunter2" not in str(caught.value) + (caught.value.hint or "")


@pytest.mark.parametrize(("scheme", "tls"), [("smtp+starttls", "starttls"), ("smtps", "implicit")])
def test_an_untrusted_certificate_is_refused_with_a_clear_reason(tmp_path, monkeypatch, scheme, tls):
    pytest.importorskip("cryptography")
    ca = TestCA(tmp_path)  # the server uses it, but the client was never told to trust it
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-bundle.pem"))
    with FaultySMTPServer(login=("shop", "pw"), tls=tls, ca=ca) as server:
        with pytest.raises(UserError, match="certificate could not be verified") as caught:
            transport(f"{scheme}://shop:pw@127.0.0.1:{server.port}").connect()
        assert server.received.total() == 0
    assert "SSL_CERT_FILE" in caught.value.hint


def test_the_local_sink_keeps_each_message_as_an_eml_file(tmp_path):
    sink = start_sink(tmp_path / "sink", port=free_port())
    try:
        connection = transport(sink.url).connect()
        connection.send("shop@example.com", "anna@example.com", MESSAGE, "<m1@example.com>", lambda: None)
        connection.close()
    finally:
        sink.stop()
    (kept,) = (tmp_path / "sink").glob("*.eml")
    message = email.message_from_bytes(kept.read_bytes(), policy=policy.default)
    assert message["Delivered-To"] == "anna@example.com"
    assert message.get_content().splitlines()[1:] == [".a line starting with a dot", "..and two dots"]
    assert sink.received == {"anna@example.com": 1}


def test_unset_url_starts_the_embedded_sink_when_nothing_listens(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(transports, "LOCAL_SINK", ("127.0.0.1", free_port()))
    local = open_transport(Settings())
    connection = local.connect()
    connection.send("shop@example.com", "anna@example.com", MESSAGE, "<m1@example.com>", lambda: None)
    connection.close()
    local.close()
    assert len(list((tmp_path / ".promopilot" / "sink").glob("*.eml"))) == 1
    with pytest.raises(UserError, match="Cannot reach"):  # stopped with the send
        SMTPTransport(*transports.LOCAL_SINK).connect()
