"""A send killed mid-way and resumed: each recipient gets the campaign once, nobody twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import duckdb
import pytest

from storage import messages as message_store
from storage.db import Database
from tests import campaign_fixtures
from tests.campaign_fixtures import approved_campaign, statuses
from tests.smtp_server import Faults, FaultySMTPServer
from tools import Settings, ToolContext, run_tool
from tools.campaigns import sending
from tools.campaigns.delivery import UNKNOWN_REPLY, Journal, recover

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop


def cli_send(path: str, campaign: int, smtp_url: str, *, rate: int, **popen: Any) -> subprocess.Popen:
    """`promopilot --db PATH campaign send ID` in its own process, as a marketer's terminal runs it."""
    env = {**os.environ, "PROMOPILOT_SMTP_URL": smtp_url, "PROMOPILOT_SEND_RATE": str(rate)}
    command = [sys.executable, "-c", "from cli import main; main()", "--db", path, "campaign", "send", str(campaign)]
    return subprocess.Popen(command, env=env, **popen)


def test_a_killed_send_resumes_and_nobody_gets_it_twice(shop):
    campaign = approved_campaign(shop)
    path = shop.db.path
    shop.db.close()  # the sending process needs the database file to itself
    with FaultySMTPServer(Faults(delay=0.02)) as server:
        process = cli_send(path, campaign, server.url, rate=150, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while server.received.total() < 8 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        before_resume = server.received.copy()

        db = Database(path)
        ctx = ToolContext(db=db, settings=Settings(db_path=path, smtp_url=server.url, send_rate=0))
        try:
            interrupted = dict(db.execute("SELECT status, count(*) FROM messages GROUP BY 1").fetchall())
            result = run_tool(ctx, "campaign_send", campaign_id=campaign)
            final = statuses(ctx, campaign)
        finally:
            db.close()

    assert 8 <= before_resume.total() < len(final), "the kill should land mid-send"
    assert interrupted.get("sending", 0) + interrupted.get("queued", 0) > 0
    assert result.data["status"] == "sent"
    for address, status in final.items():
        assert status in {"sent", "unknown"}, address
        assert server.received[address] <= 1, f"{address} got the campaign twice"
        if status == "sent":
            assert server.received[address] == 1
    # Only messages in flight at the moment of the kill can be in doubt: at most one per connection.
    assert list(final.values()).count("unknown") <= sending.CONNECTIONS
    assert set(server.received) <= set(final)


def messages_in_state(ctx, campaign, status, count):
    """Put `count` queued messages into `status`, as a crashed run would have left them."""
    queued = ctx.db.execute(
        "SELECT customer_id FROM messages WHERE status = 'queued' ORDER BY customer_id LIMIT ?", [count]
    )
    ids = [r[0] for r in queued.fetchall()]
    ctx.db.execute(
        "UPDATE messages SET status = ? WHERE campaign_id = ? AND customer_id IN (SELECT unnest(?))",
        [status, campaign, ids],
    )
    return ids


def frozen_campaign(ctx):
    campaign = approved_campaign(ctx)
    ctx.settings.smtp_url = f"outbox:{ctx.db.path}.outbox"
    run_tool(ctx, "campaign_send", campaign_id=campaign, limit=1)  # freezes the list, sends one
    return campaign


def test_recovery_reads_the_journal_of_the_interrupted_batch(shop):
    campaign = frozen_campaign(shop)
    accepted, handed, untouched = messages_in_state(shop, campaign, "sending", 3)
    journal = Journal.for_campaign(shop.db, campaign)
    journal.open()
    journal.handed_over(accepted)
    journal.accepted(accepted, "250 OK")
    journal.handed_over(handed)
    os.close(journal._fd)  # the process dies here: the file stays

    settled = recover(shop.db, campaign, journal, resend_safe=False)

    status = dict(shop.db.execute("SELECT customer_id, status FROM messages").fetchall())
    reply = dict(shop.db.execute("SELECT customer_id, last_reply FROM messages").fetchall())
    assert status[accepted] == "sent" and reply[accepted] == "250 OK"
    assert status[handed] == "unknown" and reply[handed] == UNKNOWN_REPLY
    assert status[untouched] == "queued"
    assert settled == {"sent": 1, "unknown": 1, "queued": 1}
    assert not journal.path.exists()


def test_without_a_journal_every_message_in_flight_counts_as_unknown(shop):
    campaign = frozen_campaign(shop)
    stuck = messages_in_state(shop, campaign, "sending", 3)
    settled = recover(shop.db, campaign, Journal.for_campaign(shop.db, campaign), resend_safe=False)
    assert settled == {"unknown": 3}
    assert {shop.db.scalar("SELECT status FROM messages WHERE customer_id = ?", [c]) for c in stuck} == {"unknown"}


def test_a_folder_transport_may_write_an_in_flight_message_again(shop):
    campaign = frozen_campaign(shop)
    stuck = messages_in_state(shop, campaign, "sending", 2)
    journal = Journal.for_campaign(shop.db, campaign)
    journal.open()
    journal.handed_over(stuck[1])
    os.close(journal._fd)
    assert recover(shop.db, campaign, journal, resend_safe=True) == {"queued": 2}


def test_a_batch_whose_outcomes_could_not_be_saved_is_settled_from_the_journal(shop, monkeypatch):
    """The database write after a batch fails (disk full, say): the journal must survive the error, so
    the next send knows those messages were accepted, instead of writing them all off as unknown."""
    campaign = approved_campaign(shop)
    original = message_store.record
    failures = iter([duckdb.IOException("No space left on device")])

    def record_or_fail(*args, **kwargs):
        error = next(failures, None)
        if error is not None:
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(message_store, "record", record_or_fail)
    with FaultySMTPServer() as server:
        shop.settings.smtp_url = server.url
        with pytest.raises(duckdb.IOException):
            run_tool(shop, "campaign_send", campaign_id=campaign, limit=5)
        stuck = shop.db.scalar("SELECT count(*) FROM messages WHERE status = 'sending'")
        assert stuck == 5 and server.received.total() == 5
        result = run_tool(shop, "campaign_send", campaign_id=campaign)
    assert result.data["recovered"] == {"sent": 5}
    assert set(statuses(shop, campaign).values()) == {"sent"}
    assert sorted(server.received) == sorted(statuses(shop, campaign))
    assert set(server.received.values()) == {1}


def test_ctrl_c_pauses_a_cli_send_and_the_next_send_resumes(shop):
    campaign = approved_campaign(shop)
    path = shop.db.path
    shop.db.close()  # the sending process needs the database file to itself
    with FaultySMTPServer(Faults(delay=0.02)) as server:
        process = cli_send(
            path, campaign, server.url, rate=100, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while server.received.total() < 5 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGINT)
        try:
            output, errors = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        interrupted = server.received.copy()

        db = Database(path)
        ctx = ToolContext(db=db, settings=Settings(db_path=path, smtp_url=server.url, send_rate=0))
        try:
            paused = dict(db.execute("SELECT status, count(*) FROM messages GROUP BY 1").fetchall())
            state = db.scalar("SELECT status FROM campaigns WHERE campaign_id = ?", [campaign])
            result = run_tool(ctx, "campaign_send", campaign_id=campaign)
            final = statuses(ctx, campaign)
        finally:
            db.close()
    assert process.returncode == 0, errors
    assert state == "paused" and "paused" in output
    assert set(paused) == {"sent", "queued"}, paused  # the messages in flight finished; nothing in doubt
    assert paused["sent"] == interrupted.total() < len(final)
    assert result.data["status"] == "sent" and set(final.values()) == {"sent"}
    assert sorted(server.received) == sorted(final) and set(server.received.values()) == {1}
