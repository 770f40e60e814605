"""Questions about results right after drafting a follow-up, and exports of who did what, on a sent campaign."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.campaign_fixtures import approved_campaign
from tests.test_new_shop_chat import Chat
from tools import run_tool


@pytest.fixture
def sent(demo_ctx, tmp_path):
    demo_ctx.settings.smtp_url, demo_ctx.settings.send_rate = f"outbox:{tmp_path / 'out'}", 0
    run_tool(demo_ctx, "segment_run", k=4)
    campaign = approved_campaign(demo_ctx)
    run_tool(replace(demo_ctx, actor="user"), "campaign_send", campaign_id=campaign)
    demo_ctx.db.execute("INSERT INTO events (campaign_id, customer_id, kind) SELECT campaign_id, customer_id, 'open' "
                        "FROM messages WHERE campaign_id = ? AND hash(customer_id) % 3 = 0", [campaign])  # fmt: skip
    return demo_ctx, campaign


def test_results_asked_after_drafting_a_follow_up_are_the_sent_campaigns(sent):
    """ "How many emails bounced" after drafting a follow-up said the follow-up had not been sent yet."""
    ctx, campaign = sent
    chat = Chat(ctx)
    chat.say("follow up with the people who opened it about the same products")
    answer, ended = chat.say("how many emails bounced")
    assert answer.startswith(f"Campaign {campaign + 1} is not sent yet, so this is campaign {campaign}, the last one")
    assert "were refused by the receiving mail server" in answer and "has not been sent" not in answer
    assert ended[-1].name == "campaign_report" and ended[-1].arguments == {"campaign_id": campaign}
    # A rate is a sent campaign's figure too: it gave the draft's reach (who it would leave out).
    chat.say("follow up with the people who didn't open it")
    answer, ended = chat.say("what's the unsubscribe rate been like")
    assert answer.startswith(f"Campaign {campaign + 2} is not sent yet, so this is campaign {campaign}, the last one")
    assert ended[-1].name == "campaign_report" and "campaign_reach" not in [e.name for e in ended]


def test_revenue_from_this_campaign_is_not_the_shops_revenue(sent):
    """It gave the shop's all-time revenue as the campaign's."""
    ctx, _ = sent
    answer, ended = Chat(ctx).say("what's the revenue from this campaign")
    assert "query_data" not in [e.name for e in ended]
    assert answer.startswith("I cannot tell what it sold: orders are not linked to emails here")


@pytest.mark.parametrize("said", ["export the people who opened", "download everyone who opened as a csv"])
def test_exporting_who_opened_lists_them_and_drafts_nothing(sent, said):
    """The first drafted a follow-up to the openers; the second said only that tables have a CSV download."""
    ctx, campaign = sent
    _, ended = Chat(ctx).say(said)
    assert ended[-1].name == "campaign_recipients" and ended[-1].arguments["engagement"] == "opened"
    assert ended[-1].arguments["campaign_id"] == campaign
    assert ctx.db.scalar("SELECT count(*) FROM campaigns") == 1
