"""Follow-up campaigns over real SMTP (aiosmtpd on 127.0.0.1): the recipients of an earlier sent campaign who
opened it, did not, clicked or did not, with eligibility applied again at send time; and who received it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cli import main
from storage import campaigns
from storage.errors import UserError
from storage.followups import FollowUp
from tests import campaign_fixtures
from tests.campaign_fixtures import approved_campaign
from tests.smtp_server import FaultySMTPServer
from tools import run_tool
from tools.campaigns.followup import FollowUpPlan
from tools.campaigns.links import LinkSigner
from web.tracking import tracking_app

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop


def send(ctx, campaign_id: int) -> FaultySMTPServer:
    """Send the campaign to a fresh SMTP server; returns the server (stopped) with what it received."""
    with FaultySMTPServer() as server:
        ctx.settings.smtp_url = server.url
        run_tool(ctx, "campaign_send", campaign_id=campaign_id)
    return server


@pytest.fixture
def first(shop):
    """Campaign 1 sent to the whole small shop a week and a day ago; then one recipient opened it, one clicked
    (the pixel blocked: the click shows it was read), one unsubscribed from it and one address bounced since."""
    campaign = approved_campaign(shop)
    server = send(shop, campaign)
    shop.db.execute("UPDATE messages SET sent_at = sent_at - INTERVAL 8 DAY")  # the frequency cap has passed
    people = [r[0] for r in shop.db.execute("SELECT customer_id FROM messages ORDER BY customer_id").fetchall()]
    signer = LinkSigner.for_db(shop.db, shop.settings)
    client = TestClient(tracking_app(lambda: shop.db, shop.settings, batched=False))
    opener, clicker, leaver, bounced = people[:4]
    assert client.get(f"/t/o/{signer.token('open', campaign, opener)}.gif").status_code == 200
    click = client.get(f"/t/c/{signer.token('click', campaign, clicker, 0)}", follow_redirects=False)
    assert click.status_code == 302
    assert client.post(f"/t/u/{signer.token('unsubscribe', campaign, leaver)}").status_code == 200
    shop.db.execute(
        "INSERT INTO suppressions (email, reason, source) SELECT lower(email), 'bounced', 'test' FROM customers"
        " WHERE customer_id = ?",
        [bounced],
    )
    roles = {"opener": opener, "clicker": clicker, "leaver": leaver, "bounced": bounced}
    return shop, campaign, people, roles, server


def email_of(ctx, customer_id: str) -> str:
    return ctx.db.scalar("SELECT lower(trim(email)) FROM messages WHERE customer_id = ? LIMIT 1", [customer_id])


def approve(ctx, campaign_id: int) -> None:
    run_tool(replace(ctx, actor="user"), "campaign_approve", campaign_id=campaign_id, approved_by="tester")


def test_non_openers_get_the_follow_up_once_and_nobody_who_opened_left_or_bounced(first):
    ctx, campaign, people, roles, server = first
    assert sum(server.received.values()) == len(people)
    draft = run_tool(ctx, "campaign_draft", follow_up=campaign, engagement="not_opened")
    follow_up = draft.data["campaign_id"]
    non_openers = [p for p in people if p not in (roles["opener"], roles["clicker"])]
    expected = {email_of(ctx, p) for p in non_openers if p not in (roles["leaver"], roles["bounced"])}
    # the draft says where its people come from, how many are left out and why, and the open-tracking caveat
    assert f"the {len(non_openers)} customers who did not open campaign {campaign}" in draft.summary
    assert "1 unsubscribed, 1 suppressed" in draft.summary and "block open tracking" in draft.summary
    assert draft.data["engagement"] == "not_opened" and draft.data["follow_up"] == campaign
    reach = run_tool(ctx, "campaign_reach", campaign_id=follow_up)
    assert reach.data["would_send"] == len(expected) and reach.data["from_follow_up"] == len(non_openers)
    assert reach.data["excluded"]["unsubscribed"] == 1 and reach.data["excluded"]["suppressed"] == 1

    approve(ctx, follow_up)
    second = send(ctx, follow_up)

    assert dict(second.received) == dict.fromkeys(expected, 1), "exactly the non-openers still emailable, once each"
    with pytest.raises(UserError, match="already been sent"):
        run_tool(ctx, "campaign_send", campaign_id=follow_up)
    report = run_tool(ctx, "campaign_report", campaign_id=follow_up)
    assert f"It followed up the customers who did not open campaign {campaign}" in report.summary
    assert "1 unsubscribed, 1 suppressed" in report.summary


@pytest.mark.parametrize(
    ("engagement", "who"),
    [
        ("opened", {"opener", "clicker"}),
        ("clicked", {"clicker"}),
        ("opened_not_clicked", {"opener"}),
        ("not_clicked", None),
        ("received", None),
    ],
)
def test_each_engagement_chooses_its_recipients(first, engagement, who):
    ctx, campaign, people, roles, _ = first
    follow_up = run_tool(ctx, "campaign_draft", follow_up=campaign, engagement=engagement).data["campaign_id"]
    approve(ctx, follow_up)
    clickers = {roles["clicker"]} if engagement == "not_clicked" else set()
    chosen = {roles[r] for r in who} if who else set(people) - clickers
    emailable = chosen - {roles["leaver"], roles["bounced"]}
    assert dict(send(ctx, follow_up).received) == {email_of(ctx, p): 1 for p in emailable}


def test_the_frequency_cap_still_holds_and_says_when_it_lifts(shop):
    campaign = approved_campaign(shop)
    send(shop, campaign)  # just now: everyone was emailed within the 7-day cap
    draft = run_tool(shop, "campaign_draft", follow_up=campaign)
    assert "0 can be emailed now" in draft.summary and "emailed in the last 7 days" in draft.summary
    assert "frequency cap lets those who got campaign 1 be emailed again from" in draft.summary
    follow_up = draft.data["campaign_id"]
    approve(shop, follow_up)
    with FaultySMTPServer() as server, pytest.raises(UserError, match="nobody to send to"):
        shop.settings.smtp_url = server.url
        run_tool(shop, "campaign_send", campaign_id=follow_up)
    assert not server.received


def test_an_unsent_campaign_or_one_nobody_opened_cannot_be_followed_up(shop):
    unsent = approved_campaign(shop)
    with pytest.raises(UserError, match="has not been sent yet") as refused:
        run_tool(shop, "campaign_draft", follow_up=unsent, engagement="not_opened")
    assert "Send it first" in refused.value.hint
    send(shop, unsent)
    everyone = run_tool(shop, "campaign_draft", follow_up=unsent, engagement="not_opened").summary
    assert "No opens at all are recorded for campaign 1, so this is everyone it reached" in everyone
    with pytest.raises(UserError, match="Nobody has opened campaign 1") as refused:
        run_tool(shop, "campaign_draft", follow_up=unsent, engagement="opened")
    assert "non-openers" in refused.value.hint
    with pytest.raises(UserError, match="Nobody has clicked"):
        run_tool(shop, "campaign_draft", follow_up=unsent, engagement="clicked")
    with pytest.raises(UserError, match="engagement needs follow_up"):
        run_tool(shop, "campaign_draft", engagement="opened", skus=["X"])
    assert shop.db.scalar("SELECT count(*) FROM campaigns") == 2, "no draft was made but the non-openers'"


def test_who_received_it_lists_each_recipient_with_opened_and_clicked_count_first(first):
    ctx, campaign, people, roles, _ = first
    result = run_tool(ctx, "campaign_recipients", campaign_id=campaign)
    assert result.summary.startswith(f"Campaign {campaign} (“Spring edit”) reached {len(people)} customers: 2 opened")
    table = result.tables[0]
    assert table.total == len(people) and {"name", "email", "opened", "clicked"} <= set(table.columns)
    rows = {r["customer_id"]: r for r in (dict(zip(table.columns, row, strict=True)) for row in table.rows)}
    assert rows[roles["clicker"]]["clicked"] == "yes" and rows[roles["clicker"]]["opened"] == "yes"
    assert rows[roles["opener"]]["opened"] == "yes" and rows[roles["opener"]]["clicked"] == "no"
    assert rows[roles["leaver"]]["unsubscribed"] == "yes"
    assert table.rows[0][0] == roles["clicker"], "clickers first"

    shy = run_tool(replace(ctx, actor="agent"), "campaign_recipients", campaign_id=campaign, engagement="not_opened")
    assert shy.summary.startswith(f"{len(people) - 2} of them did not open it.")
    assert "block open tracking" in shy.summary
    assert not {"name", "email"} & set(shy.tables[0].columns), "the assistant's model gets ids, not people"
    assert len(shy.tables[0].rows) == len(people) - 2


def test_who_received_a_draft_is_refused_with_what_to_do(shop):
    with pytest.raises(UserError, match="has not been sent yet"):
        run_tool(shop, "campaign_recipients", campaign_id=approved_campaign(shop))


def test_the_cli_drafts_a_follow_up_and_lists_recipients(first):
    ctx, campaign, people, _, _ = first
    runner = CliRunner()
    drafted = runner.invoke(
        main,
        ["--db", ctx.db.path, "campaign", "draft", "--follow-up", str(campaign), "--engagement", "clicked", "--json"],
    )
    assert drafted.exit_code == 0, drafted.output
    assert json.loads(drafted.output)["data"]["engagement"] == "clicked"
    listed = runner.invoke(main, ["--db", ctx.db.path, "campaign", "recipients", str(campaign), "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)["data"]["reached"] == len(people)


@pytest.mark.parametrize(
    ("engagement", "lead"),
    [("not_opened", "In case you missed it: "), ("opened_not_clicked", "Still thinking it over? ")],
)
def test_a_follow_up_is_a_second_chance_with_new_subject_lines(first, engagement, lead):
    """A resend with the subject the non-openers already ignored mostly goes unopened again."""
    ctx, campaign, *_ = first
    earlier = {v["subject"] for v in campaigns.variants(campaigns.approved_version(ctx.db, campaign))}
    follow_up = run_tool(ctx, "campaign_draft", follow_up=campaign, engagement=engagement).data["campaign_id"]
    subjects = [v["subject"] for v in campaigns.variants(campaigns.load_version(ctx.db, follow_up, 1))]
    assert subjects and all(s.startswith(lead) and s not in earlier for s in subjects)
    plan = FollowUpPlan.prepare(ctx, FollowUp(campaign, engagement), [])
    assert all(f"“{s}”" in plan.audience[0]["description"] for s in earlier)  # the model is told them too
