"""An email for the customers who have not ordered in a while ("email customers who haven't ordered in 6 months
about the coats"): chosen from the orders, with no prediction, the same way at draft, reach and send."""

from __future__ import annotations

import pytest

from tests.test_new_shop_chat import Chat
from tools import run_tool

QUIET = "SELECT count(*) FROM customer_behavior WHERE days_since_last_purchase > ?"


@pytest.fixture
def shop(demo_ctx):
    run_tool(demo_ctx, "segment_run", k=4)
    assert run_tool(demo_ctx, "data_overview").data["can_email"] == 2000  # so the reach is the quiet customers
    return demo_ctx


def test_a_draft_for_the_quiet_customers_reaches_those_without_an_order_in_that_time(shop):
    skus = [shop.db.scalar("SELECT sku FROM products ORDER BY sku LIMIT 1")]
    draft = run_tool(shop, "campaign_draft", skus=skus, quiet_days=365)
    assert "for customers who have not ordered in the last 365 days (counted again when it is sent)" in draft.summary
    assert not shop.db.scalar("SELECT count(*) FROM predictions"), "no prediction was needed"
    reach = run_tool(shop, "campaign_reach", campaign_id=draft.data["campaign_id"]).data
    assert reach["would_send"] == shop.db.scalar(QUIET, [365]) > 0
    everyone = run_tool(shop, "campaign_draft", skus=skus, segments=[1, 2, 3, 4]).data["campaign_id"]
    assert run_tool(shop, "campaign_reach", campaign_id=everyone).data["would_send"] == 2000


@pytest.mark.parametrize(
    ("said", "days"),
    [
        ("email customers who haven't ordered in 6 months about the coats", 180),
        ("write a win-back email for customers who haven't bought in 90 days about our knitwear", 90),
        ("draft an email about jeans for everyone, excluding people who ordered in the last week", 7),
    ],
)
def test_in_the_chat_the_span_said_is_the_audience(shop, said, days):
    """The first was a question back; the second chose by predicted churn risk (and predicted first); the third
    was drafted for everyone."""
    answer, ended = Chat(shop).say(said)
    assert [e.name for e in ended] == ["find_products", "campaign_draft"]
    assert ended[-1].arguments["quiet_days"] == days and "risk" not in ended[-1].arguments
    assert f"for customers who have not ordered in the last {days} days" in answer
    _, ended = Chat(shop).say("how many people would get it")
    assert ended[-1].result.data["would_send"] == shop.db.scalar(QUIET, [days])


def test_an_email_for_them_after_the_quiet_customers_are_listed_is_for_those_customers(shop):
    """ "write them a we miss you email about jeans" after "who hasn't ordered in 6 months" was drafted for the
    segment the jeans fit best."""
    chat = Chat(shop)
    chat.say("who hasnt ordered in 6 months")
    _, ended = chat.say("write them a we miss you email about jeans")
    draft = ended[-1]
    assert draft.name == "campaign_draft" and draft.arguments.get("quiet_days") == 180
    assert "segment" not in draft.arguments


def test_email_them_again_after_who_clicked_is_a_follow_up_to_the_clickers(shop, tmp_path):
    """It asked what was meant; and, in a second round, tried to send the campaign again."""
    from tests.test_report_yardstick import send_one

    shop.settings.smtp_url, shop.settings.send_rate = f"outbox:{tmp_path / 'out'}", 0
    send_one(shop, 3, 12, 40)
    chat = Chat(shop)
    chat.say("who clicked")
    _, ended = chat.say("email them again")
    assert [e.name for e in ended][-1] == "campaign_draft"
    assert ended[-1].arguments["engagement"] == "clicked" and "follow_up" in ended[-1].arguments
    assert "campaign_send" not in [e.name for e in ended]


def test_a_turns_later_rounds_keep_to_the_reading_its_first_round_chose():
    """The planner reads the request anew in every round of a turn; after a lookup, another reading could win (the
    send, for "email them again"). Each call's id says the reading it came from, and the next round keeps to it."""
    from assistant.planner.memory import read_request

    messages = [
        {"role": "user", "content": "email them again"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "plan_1_0_follow_up", "type": "function", "function": {"name": "campaign_list", "arguments": "{}"}}
        ]},
        {"role": "tool", "tool_call_id": "plan_1_0_follow_up", "content": '{"ok": true, "summary": "1 campaign"}'},
    ]  # fmt: skip
    assert read_request(messages).turn_intent == "follow_up"
    assert read_request(messages[:1]).turn_intent is None
