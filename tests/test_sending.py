"""Sending a campaign over real SMTP (aiosmtpd on 127.0.0.1): approval, faults, resume, exactly once."""

from __future__ import annotations

import email
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from email import policy

import pytest

from assistant.present import plain
from storage.errors import UserError
from storage.messages import HARD_BOUNCE
from tests import campaign_fixtures
from tests.campaign_fixtures import approved_campaign, statuses
from tests.smtp_server import Faults, FaultySMTPServer, free_port
from tools import run_tool
from tools.campaigns import sending
from tools.campaigns.delivery import RetryPolicy
from tools.context import Progress

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(sending, "RETRY", RetryPolicy(attempts=4, backoff=0.01, max_wait=0.05))


def addresses(ctx, campaign_id):
    return sorted(statuses(ctx, campaign_id))


def test_an_unapproved_campaign_is_refused_whoever_asks(shop):
    campaign = approved_campaign(shop, approved=False)
    for actor in ("agent", "user"):
        shop.actor = actor
        with pytest.raises(UserError, match="not approved"):
            run_tool(shop, "campaign_send", campaign_id=campaign)
    assert shop.db.scalar("SELECT count(*) FROM messages") == 0
    assert shop.db.scalar("SELECT status FROM campaigns WHERE campaign_id = ?", [campaign]) == "draft"


def test_the_assistant_cannot_send_a_test_copy_when_no_address_is_allowed(shop):
    campaign = approved_campaign(shop)
    shop.actor = "agent"
    with pytest.raises(UserError, match="No address is set up for test copies"):
        run_tool(shop, "campaign_test_send", campaign_id=campaign, to="me@example.com")


def test_a_send_reaches_every_recipient_once_over_a_few_connections(shop):
    campaign = approved_campaign(shop)
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        result = run_tool(shop, "campaign_send", campaign_id=campaign)
    recipients = addresses(shop, campaign)
    assert result.data["status"] == "sent"
    assert set(statuses(shop, campaign).values()) == {"sent"}
    assert sorted(server.received) == recipients
    assert set(server.received.values()) == {1}
    assert 1 <= server.sessions <= sending.CONNECTIONS  # reused, not one connection per message
    variants = dict(shop.db.execute("SELECT variant, count(*) FROM messages GROUP BY 1").fetchall())
    assert set(variants) == {"A", "B"}
    ids = shop.db.execute("SELECT count(DISTINCT message_id), count(*) FROM messages").fetchone()
    assert ids[0] == ids[1] == len(recipients)


def test_variants_are_assigned_by_customer_not_by_chance(shop):
    first = approved_campaign(shop)
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        run_tool(shop, "campaign_send", campaign_id=first, dry_run=True)
        run_tool(shop, "campaign_send", campaign_id=first, limit=5)
    frozen = dict(shop.db.execute("SELECT customer_id, variant FROM messages").fetchall())
    shop.db.execute("DELETE FROM messages")
    shop.db.execute("DELETE FROM campaign_sends")
    shop.db.execute("UPDATE campaigns SET status = 'approved'")
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        run_tool(shop, "campaign_send", campaign_id=first, limit=5)
    assert dict(shop.db.execute("SELECT customer_id, variant FROM messages").fetchall()) == frozen


def test_faults_end_in_sent_exactly_once_or_failed_with_the_reply(shop):
    campaign = approved_campaign(shop)
    emails = [r[0].lower() for r in shop.db.execute("SELECT email FROM customers ORDER BY customer_id").fetchall()]
    busy, bounced, dropped, gone = emails[0], set(emails[1:3]), emails[4], emails[5]
    faults = Faults(temporary={busy: 1}, permanent=bounced, drop_at_rcpt={dropped: 2}, drop_after_data={gone})
    with FaultySMTPServer(faults) as server:
        shop.settings.smtp_url = server.url
        result = run_tool(shop, "campaign_send", campaign_id=campaign)
    state = statuses(shop, campaign)
    replies = dict(shop.db.execute("SELECT lower(email), last_reply FROM messages").fetchall())
    assert state[busy] == "sent" and server.received[busy] == 1  # 421, then accepted on retry
    assert state[dropped] == "sent" and server.received[dropped] == 1  # reconnected twice
    for address in bounced:
        assert state[address] == "failed" and "550" in replies[address] and server.received[address] == 0
    # The server kept this one but hung up before saying so: never resent, reported as unknown.
    assert state[gone] == "unknown" and server.received[gone] == 1 and "not resent" in replies[gone]
    for address, status in state.items():
        assert server.received[address] == (1 if status in {"sent", "unknown"} else 0), address
    assert result.data["messages"]["failed"] == 2
    assert result.data["status"] == "sent"


def test_limit_pauses_and_the_next_send_resumes_without_repeats(shop):
    campaign = approved_campaign(shop)
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        first = run_tool(shop, "campaign_send", campaign_id=campaign, limit=7)
        assert first.data["status"] == "paused" and first.data["this_run"]["sent"] == 7
        waiting = first.data["messages"]["queued"]
        assert f"{waiting:,} wait" in plain(first.summary), "the chat too says how many are still to go"
        second = run_tool(shop, "campaign_send", campaign_id=campaign)
    assert second.data["status"] == "sent"
    assert sorted(server.received) == addresses(shop, campaign)
    assert set(server.received.values()) == {1}
    with pytest.raises(UserError, match="already been sent"):
        run_tool(shop, "campaign_send", campaign_id=campaign)


def send_in_background(ctx, campaign: int) -> tuple[threading.Thread, dict]:
    """`campaign_send` at 40 a second on another thread, as the chat runs it: `outcome["result"]` once joined."""
    outcome: dict = {}
    worker = threading.Thread(
        target=lambda: outcome.update(result=run_tool(ctx, "campaign_send", campaign_id=campaign, rate=40))
    )
    worker.start()
    return worker, outcome


def test_pause_stops_a_running_send_between_batches(shop):
    campaign = approved_campaign(shop)
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        worker, outcome = send_in_background(shop, campaign)
        while not server.received:
            time.sleep(0.01)
        run_tool(shop, "campaign_pause", campaign_id=campaign)
        worker.join(10)
        paused = dict(server.received)
        assert outcome["result"].data["status"] == "paused"
        assert 0 < sum(paused.values()) < len(addresses(shop, campaign))
        run_tool(shop, "campaign_send", campaign_id=campaign)
    assert sorted(server.received) == addresses(shop, campaign)
    assert set(server.received.values()) == {1}


def test_a_server_that_goes_away_mid_send_pauses_it_with_the_queue_intact(shop):
    campaign = approved_campaign(shop)
    with FaultySMTPServer() as first:
        shop.settings.smtp_url = first.url
        worker, outcome = send_in_background(shop, campaign)
        while first.received.total() < 4:
            time.sleep(0.005)
    worker.join(30)  # the server stopped with the `with`: retries find nobody there
    result = outcome["result"]
    assert result.data["status"] == "paused" and "stopped answering" in result.data["stopped"]
    interrupted = dict(shop.db.execute("SELECT status, count(*) FROM messages GROUP BY 1").fetchall())
    assert "failed" not in interrupted and interrupted["queued"] > 0  # nobody written off for the outage
    assert interrupted.get("unknown", 0) <= sending.CONNECTIONS  # at most the messages on the wire
    with FaultySMTPServer() as second:
        shop.settings.smtp_url = second.url
        assert run_tool(shop, "campaign_send", campaign_id=campaign).data["status"] == "sent"
    final = statuses(shop, campaign)
    for address, status in final.items():
        copies = first.received[address] + second.received[address]
        assert copies == 1 if status == "sent" else copies <= 1, address
    assert set(final.values()) <= {"sent", "unknown"}


def test_cancel_drops_what_was_not_sent(shop):
    campaign = approved_campaign(shop)
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        run_tool(shop, "campaign_send", campaign_id=campaign, limit=4)
        shop.confirmed = True  # a person confirmed dropping the rest
        result = run_tool(shop, "campaign_cancel", campaign_id=campaign)
        with pytest.raises(UserError, match="cancelled"):
            run_tool(shop, "campaign_send", campaign_id=campaign)
    counts = result.data["messages"]
    assert counts["sent"] == 4 and counts["cancelled"] == len(addresses(shop, campaign)) - 4
    assert sum(server.received.values()) == 4


def test_cancel_during_a_send_stops_it_and_leaves_nothing_queued(shop):
    campaign = approved_campaign(shop)
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        worker, outcome = send_in_background(shop, campaign)
        while server.received.total() < 3:
            time.sleep(0.005)
        run_tool(replace(shop, confirmed=True), "campaign_cancel", campaign_id=campaign)
        worker.join(10)
    counts = outcome["result"].data["messages"]
    assert outcome["result"].data["status"] == "cancelled"
    assert set(counts) == {"sent", "cancelled"} and counts["sent"] == server.received.total() >= 3
    assert counts["sent"] + counts["cancelled"] == len(addresses(shop, campaign))


def test_an_address_suppressed_after_freezing_is_skipped(shop):
    campaign = approved_campaign(shop)
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        run_tool(shop, "campaign_send", campaign_id=campaign, limit=1)
        later = shop.db.scalar("SELECT email FROM messages WHERE status = 'queued' ORDER BY customer_id DESC LIMIT 1")
        shop.db.execute("INSERT INTO suppressions (email, reason) VALUES (lower(?), 'unsubscribed')", [later])
        result = run_tool(shop, "campaign_send", campaign_id=campaign)
    assert statuses(shop, campaign)[later.lower()] == "skipped"
    assert server.received[later.lower()] == 0
    assert result.data["messages"]["skipped"] == 1


def test_a_dry_run_renders_everything_and_changes_nothing(shop):
    campaign = approved_campaign(shop)
    result = run_tool(shop, "campaign_send", campaign_id=campaign, dry_run=True)
    usable = shop.db.scalar("SELECT count(*) FROM customers WHERE quarantine_reason IS NULL")
    assert result.data["would_send"] == usable
    assert sum(result.data["variants"].values()) == usable
    assert result.data["average_bytes"] > 1000
    assert shop.db.scalar("SELECT count(*) FROM messages") == 0
    assert shop.db.scalar("SELECT status FROM campaigns") == "approved"


def test_a_dry_run_renders_customers_without_a_first_name(shop):
    campaign = approved_campaign(shop)
    nameless = "UPDATE customers SET first_name = NULL WHERE customer_id IN (SELECT customer_id FROM customers LIMIT 3)"
    shop.db.execute(nameless)
    result = run_tool(shop, "campaign_send", campaign_id=campaign, dry_run=True)
    assert result.data["would_send"] == shop.db.scalar("SELECT count(*) FROM customers WHERE quarantine_reason IS NULL")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("smtp://127.0.0.1:{port}", "Cannot reach the SMTP server"),
        ("smtp://127.0.0.1:notaport", "port"),
        ("smtp:///nohost", "malformed"),
        ("gopher://mail.example.com", "Unsupported"),
        ("smtp://user:secret@mail.example.com:25", "unencrypted"),
    ],
)
def test_a_bad_mail_server_setting_is_a_clear_error_and_changes_nothing(shop, url, message):
    campaign = approved_campaign(shop)
    shop.settings.smtp_url = url.format(port=free_port())
    with pytest.raises(UserError, match=message) as caught:
        run_tool(shop, "campaign_send", campaign_id=campaign)
    assert "secret" not in str(caught.value)
    assert shop.db.scalar("SELECT count(*) FROM messages") == 0
    assert shop.db.scalar("SELECT status FROM campaigns") == "approved"


def test_a_refused_login_is_a_clear_error(shop):
    campaign = approved_campaign(shop)
    with FaultySMTPServer(login=("shop", "right")) as server:
        shop.settings.smtp_url = f"smtp://shop:wrong@127.0.0.1:{server.port}"
        with pytest.raises(UserError, match="refused the login"):
            run_tool(shop, "campaign_send", campaign_id=campaign)
        assert shop.db.scalar("SELECT count(*) FROM messages") == 0
        shop.settings.smtp_url = f"smtp://shop:right@127.0.0.1:{server.port}"
        assert run_tool(shop, "campaign_send", campaign_id=campaign).data["status"] == "sent"


def test_outbox_writes_one_eml_per_message(shop, tmp_path):
    campaign = approved_campaign(shop)
    shop.settings.smtp_url = f"outbox:{tmp_path / 'out'}"
    run_tool(shop, "campaign_send", campaign_id=campaign)
    written = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in (tmp_path / "out").iterdir()]
    expected = {r[0] for r in shop.db.execute("SELECT message_id FROM messages WHERE status = 'sent'").fetchall()}
    assert sorted(m["Message-ID"] for m in written) == sorted(expected)
    assert len(expected) == len(addresses(shop, campaign))


def test_a_test_copy_goes_to_the_given_address_only(shop):
    campaign = approved_campaign(shop, approved=False)
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        result = run_tool(shop, "campaign_test_send", campaign_id=campaign, to="me@example.com", variant="B")
    assert dict(server.received) == {"me@example.com": 1}
    assert result.data["variant"] == "B"
    assert shop.db.scalar("SELECT count(*) FROM messages") == 0


def test_the_rate_limit_spaces_messages_out_and_progress_counts_them(shop, progress_log):
    campaign = approved_campaign(shop)
    shop.progress = progress_log
    rate, count = 40.0, 13
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        run_tool(shop, "campaign_send", campaign_id=campaign, limit=count, rate=rate)
    assert len(server.arrivals) == count
    # Three connections share one limit: the messages are spread out, not sent in a burst per connection
    # (unlimited, these 13 take a few milliseconds).
    assert server.arrivals[-1] - server.arrivals[0] >= 0.9 * (count - 1) / rate
    (sending_task,) = shop.progress.tasks
    assert sending_task["total"] == count and sending_task["done"] == count


def test_nobody_left_to_send_to_is_a_clear_error_and_changes_nothing(shop):
    campaign = approved_campaign(shop)
    shop.db.execute(
        "INSERT INTO suppressions (email, reason) SELECT DISTINCT lower(email), 'unsubscribed' FROM customers"
    )
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        with pytest.raises(UserError, match="nobody to send to") as caught:
            run_tool(shop, "campaign_send", campaign_id=campaign)
    assert "unsubscribed" in str(caught.value)
    assert server.received.total() == 0
    assert shop.db.scalar("SELECT status FROM campaigns WHERE campaign_id = ?", [campaign]) == "approved"
    assert shop.db.scalar("SELECT count(*) FROM messages") + shop.db.scalar("SELECT count(*) FROM campaign_sends") == 0


def test_suppressed_unsubscribed_and_invalid_addresses_are_skipped_and_counted(shop):
    campaign = approved_campaign(shop)
    before = run_tool(shop, "campaign_send", campaign_id=campaign, dry_run=True).data
    usable = shop.db.execute(
        "SELECT customer_id, lower(email) FROM customers WHERE quarantine_reason IS NULL ORDER BY customer_id LIMIT 3"
    ).fetchall()
    (broken, _), (_, bounced), (_, unsubscribed) = usable
    shop.db.execute("UPDATE customers SET email = 'anna at example dot com' WHERE customer_id = ?", [broken])
    shop.db.execute(
        "INSERT INTO suppressions (email, reason) VALUES (?, 'bounced'), (?, 'unsubscribed')", [bounced, unsubscribed]
    )
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        result = run_tool(shop, "campaign_send", campaign_id=campaign)
    excluded = result.data["excluded"]
    assert excluded["invalid_email"] == before["excluded"]["invalid_email"] + 1
    assert excluded["suppressed"] == before["excluded"]["suppressed"] + 1
    assert excluded["unsubscribed"] == before["excluded"]["unsubscribed"] + 1
    assert "1 unsubscribed, 1 suppressed" in result.summary
    skipped = run_tool(shop, "campaign_report", campaign_id=campaign).tables[-1].to_df()
    assert dict(zip(skipped["reason"], skipped["customers"], strict=True))["unsubscribed"] == 1
    assert result.data["messages"]["sent"] == before["would_send"] - 3
    assert server.received[bounced] == server.received[unsubscribed] == 0
    assert "anna at example dot com" not in server.received
    assert run_tool(shop, "campaign_report", campaign_id=campaign).data["skipped"] == sum(excluded.values())


def test_a_product_gone_from_the_catalogue_since_approval_stops_the_send_before_anything_changes(shop):
    campaign = approved_campaign(shop)
    gone = shop.db.scalar("SELECT skus[1] FROM campaigns WHERE campaign_id = ?", [campaign])
    shop.db.execute("DELETE FROM products WHERE sku = ?", [gone])
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        for dry_run in (True, False):
            with pytest.raises(UserError, match=f"no longer in the catalogue \\({gone}\\)"):
                run_tool(shop, "campaign_send", campaign_id=campaign, dry_run=dry_run)
    assert server.received.total() == 0
    assert shop.db.scalar("SELECT status FROM campaigns WHERE campaign_id = ?", [campaign]) == "approved"
    assert shop.db.scalar("SELECT count(*) FROM messages") == 0


class CtrlCOnFirstAdvance(Progress):
    """Presses Ctrl-C at an awkward moment: while the progress bar is being updated after a batch."""

    @contextmanager
    def task(self, description, total=None):
        presses = iter([signal.SIGINT])
        yield lambda n=1: [signal.raise_signal(s) for s in presses]


def test_ctrl_c_anywhere_in_a_send_pauses_it_instead_of_breaking_off(shop):
    campaign = approved_campaign(shop)
    shop.progress = CtrlCOnFirstAdvance()
    before = signal.getsignal(signal.SIGINT)  # the default, or ignored when the tests run in the background
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        result = run_tool(shop, "campaign_send", campaign_id=campaign, rate=10)  # batches of 20
        assert result.data["status"] == "paused" and "Ctrl-C" in result.data["stopped"]
        assert result.data["messages"] == {"sent": 20, "queued": len(addresses(shop, campaign)) - 20}
        assert signal.getsignal(signal.SIGINT) is before  # Ctrl-C is itself again
        shop.progress = Progress()
        assert run_tool(shop, "campaign_send", campaign_id=campaign).data["status"] == "sent"
    assert sorted(server.received) == addresses(shop, campaign)
    assert set(server.received.values()) == {1}


def test_an_address_refused_as_unknown_is_suppressed_so_no_later_campaign_emails_it(shop):
    """It stayed emailable: the next campaign's reach counted the dead address again."""
    campaign = approved_campaign(shop)
    dead = shop.db.scalar("SELECT lower(email) FROM customers ORDER BY customer_id LIMIT 1")
    with FaultySMTPServer(Faults(permanent={dead})) as server:
        shop.settings.smtp_url = server.url
        run_tool(shop, "campaign_send", campaign_id=campaign)
    reason, source = shop.db.execute("SELECT reason, source FROM suppressions WHERE email = ?", [dead]).fetchone()
    assert reason == "bounced"
    assert source == f"refused when campaign {campaign} was sent: 550 5.1.1 No such user here"
    assert shop.db.scalar("SELECT count(*) FROM suppressions") == 1, "only the refused address"
    later = approved_campaign(shop)
    shop.settings.frequency_cap_days = 0
    assert run_tool(shop, "campaign_reach", campaign_id=later).data["excluded"]["suppressed"] == 1  # bounced


@pytest.mark.parametrize(
    ("reply", "hard"),
    [
        ("550 5.1.1 No such user here", True),
        ("550 5.1.10 RESOLVER.ADR.RecipientNotFound", True),
        ("552 5.2.1 The email account that you tried to reach is disabled", True),
        ("550 Requested action not taken: mailbox unavailable", True),
        ("553 sorry, that domain isn't in my list of allowed rcpthosts; no such user", True),
        ("550 5.7.1 Message rejected as spam by Content Filtering", False),  # the sender is blocked, not the address
        ("554 5.7.1 Service unavailable; Client host blocked using Spamhaus", False),
        ("552 5.3.4 Message size exceeds fixed limit", False),
        ("gave up after 3 attempts: 451 4.3.0 Temporary failure", False),
    ],
)
def test_only_a_refusal_of_the_address_itself_is_a_hard_bounce(reply, hard):
    assert bool(HARD_BOUNCE.search(reply)) is hard
