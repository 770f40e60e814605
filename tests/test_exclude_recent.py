"""Leaving a campaign's recent buyers out after it was drafted ("exclude people who ordered in the last week"):
the audience changes, the copy does not, and an approval is withdrawn so a person approves who it goes to."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import main
from storage import campaigns
from storage.errors import UserError
from tests.test_new_shop_chat import Chat
from tools import run_tool
from tools.catalog.audience import campaign_audience

QUIET = "SELECT count(*) FROM customer_behavior WHERE days_since_last_purchase > ?"


@pytest.fixture
def drafted(demo_ctx):
    """An approved campaign to every customer of the demo shop (all of whom can be emailed)."""
    skus = [demo_ctx.db.scalar("SELECT sku FROM products ORDER BY sku LIMIT 1")]
    campaign_id = run_tool(demo_ctx, "campaign_draft", skus=skus).data["campaign_id"]
    run_tool(demo_ctx, "campaign_approve", campaign_id=campaign_id, version=1, approved_by="tester")
    return demo_ctx, campaign_id


def recipients(ctx, campaign_id: int) -> set[str]:
    """Who a send would email now (the send's own audience), approving the latest version first if need be."""
    if campaigns.load(ctx.db, campaign_id)["approved_version"] is None:
        run_tool(ctx, "campaign_approve", campaign_id=campaign_id, version=1, approved_by="tester")
    audience, _ = campaign_audience(ctx.db, campaigns.load(ctx.db, campaign_id), frequency_cap_days=0)
    return set(audience["customer_id"])


def test_the_recent_buyers_are_left_out_of_the_send_and_the_approval_is_withdrawn(drafted):
    ctx, campaign_id = drafted
    everyone = recipients(ctx, campaign_id)
    result = run_tool(ctx, "campaign_exclude_recent", campaign_id=campaign_id, quiet_days=7)
    assert result.summary.startswith(f"Campaign {campaign_id} now leaves out everyone who ordered in the last 7 days")
    assert "approval is withdrawn" in result.summary and result.approval.version == 1
    assert campaigns.load(ctx.db, campaign_id)["approved_version"] is None
    assert result.data["would_send"] == ctx.db.scalar(QUIET, [7]) < len(everyone)
    recent = ctx.db.execute("SELECT customer_id FROM customer_behavior WHERE days_since_last_purchase <= 7").fetchall()
    recent = {row[0] for row in recent}
    assert recent and recipients(ctx, campaign_id) == everyone - recent
    assert campaigns.latest_version(ctx.db, campaign_id) == 1, "the copy did not change: no new version"


def test_a_shorter_span_is_said_to_widen_it_and_zero_takes_the_limit_off(drafted):
    ctx, campaign_id = drafted
    run_tool(ctx, "campaign_exclude_recent", campaign_id=campaign_id, quiet_days=90)
    shorter = run_tool(ctx, "campaign_exclude_recent", campaign_id=campaign_id, quiet_days=30)
    assert "in the last 30 days (counted again from the orders when it is sent), instead of 90 days" in shorter.summary
    again = run_tool(ctx, "campaign_exclude_recent", campaign_id=campaign_id, quiet_days=0)
    assert again.summary.startswith(f"Campaign {campaign_id} no longer leaves out recent buyers")
    assert again.data["would_send"] == 2000
    with pytest.raises(UserError, match="already for no such limit"):
        run_tool(ctx, "campaign_exclude_recent", campaign_id=campaign_id, quiet_days=0)


def test_a_campaign_being_sent_or_sent_keeps_its_audience(drafted):
    ctx, campaign_id = drafted
    ctx.db.execute("UPDATE campaigns SET status = 'sent' WHERE campaign_id = ?", [campaign_id])
    with pytest.raises(UserError, match="is sent, so who it goes to is settled"):
        run_tool(ctx, "campaign_exclude_recent", campaign_id=campaign_id, quiet_days=7)


def test_the_cli_mirrors_it(drafted, tmp_path):
    ctx, campaign_id = drafted
    result = CliRunner().invoke(
        main, ["--db", ctx.db.path, "campaign", "exclude-recent", str(campaign_id), "--quiet-days", "14"]
    )
    assert result.exit_code == 0, result.output
    assert "leaves out everyone who ordered in the last 14 days" in result.output


@pytest.mark.parametrize(
    ("said", "days"),
    [
        ("exclude people who ordered in the last week", 7),
        ("leave out anyone who bought in the last 30 days", 30),
        ("only send it to people who havent ordered in 3 months", 90),
        ("put the recent buyers back in", 0),
    ],
)
def test_in_the_chat_after_a_draft(demo_ctx, said, days):
    """Each was not understood ("I am not sure what you mean"): the audience was fixed when the draft was made."""
    chat = Chat(demo_ctx)
    chat.say("draft an email about the coats")
    if days == 0:  # back in after they were left out
        chat.say("exclude people who ordered in the last 2 weeks")
    answer, ended = chat.say(said)
    assert [(e.name, e.arguments.get("quiet_days")) for e in ended] == [("campaign_exclude_recent", days)]
    assert "press **Approve**" in answer


def test_recent_without_a_span_is_asked_and_a_new_email_is_still_a_draft(demo_ctx):
    chat = Chat(demo_ctx)
    chat.say("draft an email about the coats")
    answer, ended = chat.say("exclude recent buyers")
    assert not ended and answer.startswith("How recent?")
    _, ended = chat.say("only email people who haven't ordered in 6 months about the jeans")
    assert [e.name for e in ended][-1] == "campaign_draft" and ended[-1].arguments["quiet_days"] == 180
