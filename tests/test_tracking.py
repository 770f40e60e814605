"""Tracking links over real HTTP (uvicorn on 127.0.0.1): the links inside sent messages, and abuse of them."""

from __future__ import annotations

import email
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cli import main
from storage.db import Database
from tests import campaign_fixtures
from tests.campaign_fixtures import approved_campaign
from tests.smtp_server import free_port
from tools import run_tool
from tools.campaigns.links import LinkSigner, campaign_urls
from web.tracking import tracking_app

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop


@contextmanager
def live_server(app) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


@pytest.fixture
def sent(shop, tmp_path):
    """A campaign sent (to a folder) with links pointing at a live tracking server: (ctx, campaign, base, messages)."""
    with live_server(tracking_app(lambda: shop.db, shop.settings)) as base:
        shop.settings.public_url = base
        shop.settings.smtp_url = f"outbox:{tmp_path / 'out'}"
        campaign = approved_campaign(shop)
        run_tool(shop, "campaign_send", campaign_id=campaign)
        messages = [
            email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "out").iterdir()
        ]
        with httpx.Client(base_url=base, follow_redirects=False, timeout=10) as client:
            yield shop, campaign, client, messages


def links(message, base: str) -> dict[str, list[str]]:
    html = message.get_body(("html",)).get_content()
    found = re.findall(re.escape(base) + r"/t/([ocu])/([A-Za-z0-9_.=-]+)", html + message["List-Unsubscribe"])
    kinds: dict[str, list[str]] = {}
    for kind, rest in found:
        kinds.setdefault(kind, []).append(f"/t/{kind}/{rest}")
    return kinds


def events(ctx, kind=None):
    return ctx.db.rows(
        "SELECT customer_id, kind, url FROM events WHERE kind = coalesce(?, kind) ORDER BY event_id", [kind]
    )


def tamper(path: str) -> str:
    """Change one character of the token's signature."""
    head, last = path[:-6], path[-6:]
    return head + last.translate(
        str.maketrans(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "BCDEFGHIJKLMNOPQRSTUVWXYZAbcdefghijklmnopqrstuvwxyza1234567890",
        )
    )


def test_the_links_in_a_sent_message_record_opens_and_clicks(sent):
    ctx, campaign, client, messages = sent
    found = links(messages[0], str(client.base_url).rstrip("/"))
    pixel = client.get(found["o"][0])
    assert pixel.status_code == 200 and pixel.headers["content-type"] == "image/gif"
    click = client.get(found["c"][0], headers={"user-agent": "test-mail-app"})
    assert click.status_code == 302
    assert click.headers["location"] in campaign_urls(ctx.db, ctx.settings, campaign)
    recorded = events(ctx)
    assert [e["kind"] for e in recorded] == ["open", "click"]
    assert recorded[1]["url"] == click.headers["location"]
    assert ctx.db.scalar("SELECT user_agent FROM events WHERE kind = 'click'") == "test-mail-app"


def test_tampered_tokens_get_404_and_change_nothing(sent):
    ctx, _, client, messages = sent
    found = links(messages[0], str(client.base_url).rstrip("/"))
    assert client.get(tamper(found["o"][0].removesuffix(".gif")) + ".gif").status_code == 404
    assert client.get(tamper(found["c"][0])).status_code == 404
    assert client.get(tamper(found["u"][0])).status_code == 404
    assert client.post(tamper(found["u"][0]), content=b"List-Unsubscribe=One-Click").status_code == 404
    # A genuine token used for another kind of link is refused too.
    assert client.post(found["c"][0].replace("/t/c/", "/t/u/")).status_code == 404
    assert client.get("/t/c/not-a-token").status_code == 404
    assert events(ctx) == []
    assert ctx.db.scalar("SELECT count(*) FROM suppressions") == 0


def test_a_click_only_ever_redirects_to_the_campaigns_own_urls(sent):
    ctx, campaign, client, _ = sent
    customer = ctx.db.scalar("SELECT customer_id FROM messages LIMIT 1")
    signer = LinkSigner.for_db(ctx.db, ctx.settings)
    out_of_range = signer.token("click", campaign, customer, url_index=99)
    assert client.get(f"/t/c/{out_of_range}").status_code == 404
    genuine = signer.token("click", campaign, customer, url_index=0)
    answer = client.get(f"/t/c/{genuine}", params={"url": "https://evil.example.net/", "next": "//evil.example.net"})
    assert answer.status_code == 302
    assert answer.headers["location"] == campaign_urls(ctx.db, ctx.settings, campaign)[0]
    assert "evil" not in answer.headers["location"]


def test_one_click_unsubscribe_suppresses_once_however_often_it_is_replayed(sent):
    ctx, _, client, messages = sent
    message = messages[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = links(message, str(client.base_url).rstrip("/"))["u"][0]
    page = client.get(path)
    assert page.status_code == 200 and '<form method="post">' in page.text
    assert ctx.db.scalar("SELECT count(*) FROM suppressions") == 0  # a GET (e.g. a link scanner) changes nothing
    one_click = {"content-type": "application/x-www-form-urlencoded"}
    for _ in range(3):
        answer = client.post(path, content=b"List-Unsubscribe=One-Click", headers=one_click)
        assert answer.status_code == 200 and "unsubscribed" in answer.text
    address = message["To"].addresses[0].addr_spec.lower()
    assert ctx.db.rows("SELECT email, reason FROM suppressions") == [{"email": address, "reason": "unsubscribed"}]
    assert len(events(ctx, "unsubscribe")) == 1


def test_a_genuine_token_for_someone_not_sent_to_records_nothing(sent):
    ctx, campaign, client, _ = sent
    token = LinkSigner.for_db(ctx.db, ctx.settings).token("open", campaign, "C9999999")
    assert client.get(f"/t/o/{token}.gif").status_code == 200
    assert events(ctx) == []


def test_serve_tracking_serves_the_given_database_with_the_configured_secret(shop, tmp_path, monkeypatch):
    """`promopilot serve-tracking` (no chat UI): links signed with PROMOPILOT_SECRET work against its database."""
    shop.settings.secret = "a-deployment-secret"
    shop.settings.smtp_url = f"outbox:{tmp_path / 'out'}"
    campaign = approved_campaign(shop)
    run_tool(shop, "campaign_send", campaign_id=campaign)
    customer = shop.db.scalar("SELECT customer_id FROM messages WHERE status = 'sent' LIMIT 1")
    genuine = LinkSigner.for_db(shop.db, shop.settings).token("open", campaign, customer)
    forged = LinkSigner("another-secret", shop.settings.public_url).token("open", campaign, customer)
    path = shop.db.path
    shop.db.close()
    answers = {}

    def serve(app, host, port, **options):  # instead of listening: a few requests while the command runs
        answers["where"] = (host, port)
        client = TestClient(app)
        answers["forged"] = client.get(f"/t/o/{forged}.gif").status_code
        answers["genuine"] = client.get(f"/t/o/{genuine}.gif").status_code

    monkeypatch.setattr(uvicorn, "run", serve)
    env = {"PROMOPILOT_SECRET": "a-deployment-secret"}
    result = CliRunner(env=env).invoke(main, ["--db", path, "serve-tracking", "--port", "8123"])
    shop.db = Database(path)
    assert result.exit_code == 0, result.output
    assert answers == {"where": ("127.0.0.1", 8123), "forged": 404, "genuine": 200}
    assert events(shop) == [{"customer_id": customer, "kind": "open", "url": None}]
