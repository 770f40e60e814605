"""Asked "is that good?" after a report: the campaign against the shop's other campaigns, the only yardstick held here
(no industry averages); the first campaign says so rather than repeating its figures as if they answered."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.campaign_fixtures import approved_campaign
from tests.test_new_shop_chat import Chat
from tools import run_tool

EVENTS = (
    "INSERT INTO events (campaign_id, customer_id, kind) SELECT campaign_id, customer_id, ? FROM messages "
    "WHERE campaign_id = ? AND status = 'sent' AND hash(customer_id || ?) % ? = 0"
)


def send_one(ctx, opens_one_in: int, clicks_one_in: int, unsubscribes_one_in: int) -> int:
    campaign = approved_campaign(ctx)
    run_tool(replace(ctx, actor="user"), "campaign_send", campaign_id=campaign)
    for kind, one_in in (("open", opens_one_in), ("click", clicks_one_in), ("unsubscribe", unsubscribes_one_in)):
        ctx.db.execute(EVENTS, [kind, campaign, kind, one_in])
    return campaign


def rates(ctx, campaigns: list[int]) -> tuple[float, float, float]:
    """Opened (a click counts as an open), clicked and unsubscribed, per confirmed send, pooled over `campaigns`."""
    return ctx.db.execute(
        "SELECT avg((SELECT count(*) > 0 FROM events e WHERE e.campaign_id = m.campaign_id AND e.customer_id = "
        "m.customer_id AND e.kind IN ('open', 'click'))::INT), avg((SELECT count(*) > 0 FROM events e WHERE "
        "e.campaign_id = m.campaign_id AND e.customer_id = m.customer_id AND e.kind = 'click')::INT), "
        "avg((SELECT count(*) > 0 FROM events e WHERE e.campaign_id = m.campaign_id AND e.customer_id = m.customer_id "
        "AND e.kind = 'unsubscribe')::INT) FROM messages m WHERE m.status = 'sent' AND list_contains(?, m.campaign_id)",
        [campaigns],
    ).fetchone()


@pytest.fixture
def shop(demo_ctx, tmp_path):
    demo_ctx.settings.smtp_url, demo_ctx.settings.send_rate = f"outbox:{tmp_path / 'out'}", 0
    demo_ctx.settings.frequency_cap_days = 0  # the second campaign reaches the same customers
    return demo_ctx


def test_the_first_campaign_has_nothing_of_the_shops_to_compare_with(shop):
    """It repeated the report, as if the figures answered the question."""
    send_one(shop, 3, 10, 50)
    chat = Chat(shop)
    chat.say("how did it do?")
    answer, _ = chat.say("is that good?")
    assert answer.startswith("Campaign 1 is the first you have sent, so there is nothing of yours to compare it with")
    assert "I keep no industry averages" in answer


@pytest.mark.parametrize("asked", ["is that good?", "how does that compare", "is a 20% open rate decent"])
def test_a_later_campaign_is_compared_with_the_ones_before(shop, asked):
    first = send_one(shop, 3, 10, 50)
    second = send_one(shop, 5, 40, 20)  # fewer opens and clicks, more unsubscribes
    chat = Chat(shop)
    chat.say(f"how did campaign {second} do?")
    answer, ended = chat.say(asked)
    assert ended[-1].name == "campaign_report" and ended[-1].arguments["campaign_id"] == second
    now, before = rates(shop, [second]), rates(shop, [first])
    sent_before = shop.db.scalar("SELECT count(*) FROM messages WHERE campaign_id = ? AND status = 'sent'", [first])
    assert answer.startswith(f"Against your other 1 campaign ({sent_before:,} emails), campaign {second} did **worse")
    said = ", ".join(f"{what} {a:.1%} against {b:.1%}" for what, a, b in zip(["opened", "clicked", "unsubscribed"],
                                                                            now, before, strict=True))  # fmt: skip
    assert said in answer


def test_the_industry_average_is_not_a_figure_from_the_shops_data(shop):
    """It was read as an analytic question about the shop's data and answered with the generic figure help."""
    send_one(shop, 3, 10, 50)
    answer, ended = Chat(shop).say("whats the industry average open rate")
    assert ended[-1].name == "campaign_report" and "I keep no industry averages" in answer
