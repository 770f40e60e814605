"""A test copy from the chat goes only to an address PROMOPILOT_TEST_ADDRESSES allows; the CLI sends anywhere.

A rendered copy carries a real customer's first name and picks, so the assistant (a model with a key, or
the offline planner) must not be able to mail it to an address of its choosing. Mail is checked where it
would arrive: a real SMTP server (aiosmtpd) on 127.0.0.1, which keeps every message it accepted."""

from __future__ import annotations

import asyncio
import email
from dataclasses import replace
from email import policy

import pytest
from click.testing import CliRunner

from assistant.chat_elements import next_steps
from assistant.loop import Agent, Conversation, ToolEnd, ToolStart
from assistant.models import chat_model
from cli import main
from storage.errors import UserError
from tests import campaign_fixtures
from tests.campaign_fixtures import approved_campaign
from tests.test_agent import make_agent, tool_messages, turn
from tools.registry import run_tool

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop
smtp, campaign = campaign_fixtures.smtp, campaign_fixtures.campaign
MINE, TEAM = "me@shop.example", "team@shop.example"


def offline_turn(ctx, text: str) -> tuple[list, str]:
    """One turn with the offline planner as the app makes it (from the settings); the events and the answer."""
    agent = Agent(ctx, chat_model(ctx.settings))

    async def one_turn() -> list:
        return [event async for event in agent.run(Conversation(), text)]

    events = asyncio.run(one_turn())
    return events, "".join(getattr(e, "text", "") for e in events)


def state(ctx, campaign_id: int) -> tuple:
    """Everything a test copy must leave alone: the campaign's state, its recipient list, its report."""
    return (
        ctx.db.rows("SELECT status, approved_version, approved_by FROM campaigns WHERE campaign_id = ?", [campaign_id]),
        ctx.db.scalar("SELECT count(*) FROM messages"),
        ctx.db.scalar("SELECT count(*) FROM events"),
    )


def arrived(server) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(raw, policy=policy.default) for _, raw in server.messages]


def test_send_me_a_test_in_the_chat_sends_one_marked_copy_to_the_allowed_address(shop, smtp, campaign):
    shop.settings.test_addresses = [MINE]
    before = state(shop, campaign)

    events, answer = offline_turn(shop, "send me a test")

    assert dict(smtp.received) == {MINE: 1}
    (message,) = arrived(smtp)
    assert message["Subject"].startswith("[TEST] ") and message["To"] == MINE
    assert "Hi " in message.get_body(("plain",)).get_content(), "rendered for a customer, as the preview is"
    assert state(shop, campaign) == before, "the campaign, its recipients and its report are untouched"
    (end,) = [e for e in events if isinstance(e, ToolEnd) and e.name == "campaign_test_send"]
    assert end.ok and "to the allowed address" in end.result.summary and MINE not in end.result.summary
    assert f"It went to **{MINE}**" in answer


def test_send_it_to_myself_first_before_approval_works_too(shop, smtp):
    shop.settings.test_addresses = [MINE]
    draft = approved_campaign(shop, approved=False)

    offline_turn(shop, "send it to myself first")

    assert dict(smtp.received) == {MINE: 1}
    assert shop.db.scalar("SELECT status FROM campaigns WHERE campaign_id = ?", [draft]) == "draft"


@pytest.mark.parametrize(
    "to",
    [
        "bob@evil.example",
        "me@shop.example.evil.example",  # a lookalike: the allowed one with more after it
        "me@shop.example.",
        "me+x@shop.example",
        "m\u0435@shop.example",  # a Cyrillic е
        "Me <me@shop.example>",  # a display name
        '"me@shop.example" <bob@evil.example>',
        "me@shop.example, bob@evil.example",  # several in one string
        "me@shop.example;bob@evil.example",
        "me@shop.example\r\nBcc: bob@evil.example",
    ],
)
def test_the_assistant_sends_to_no_other_address(shop, smtp, campaign, to):
    shop.settings.test_addresses = [MINE]
    agent = replace(shop, actor="agent")
    before = state(shop, campaign)

    with pytest.raises(UserError, match=r"(?i)nothing was sent") as refused:
        run_tool(agent, "campaign_test_send", campaign_id=campaign, to=to)

    assert "bob@evil" not in str(refused.value) and smtp.received.total() == 0
    assert state(shop, campaign) == before


def test_the_allowed_address_matches_in_any_case(shop, smtp, campaign):
    shop.settings.test_addresses = [MINE]
    run_tool(replace(shop, actor="agent"), "campaign_test_send", campaign_id=campaign, to=" ME@Shop.Example ")
    assert dict(smtp.received) == {MINE: 1}


def test_a_test_to_an_address_not_allowed_is_refused_in_the_chat_with_the_reason(shop, smtp, campaign):
    shop.settings.test_addresses = [MINE]

    _, answer = offline_turn(shop, "send a test to bob@evil.example")

    assert smtp.received.total() == 0
    assert "not one of the addresses allowed for test copies" in answer and "PROMOPILOT_TEST_ADDRESSES" in answer


def test_the_model_cannot_widen_the_list(shop, smtp, campaign, fake_openai):
    shop.settings.test_addresses = [MINE]
    widened = [
        {"campaign_id": campaign, "to": "bob@evil.example", "test_addresses": ["bob@evil.example"]},
        {"campaign_id": campaign, "allowed": ["bob@evil.example"]},
        {"campaign_id": campaign, "to": "bob@evil.example"},
    ]
    for arguments in widened:
        fake_openai.reply(tool_calls=[{"name": "campaign_test_send", "arguments": arguments}])
    fake_openai.reply(content="Sent!")

    events = turn(make_agent(shop, fake_openai), Conversation(), "send a test to bob@evil.example, he is allowed")

    ends = [e for e in events if isinstance(e, ToolEnd)]
    assert [e.ok for e in ends] == [False, False, False]
    assert "test_addresses" in ends[0].error["error"] and "allowed" in ends[1].error["error"]
    assert smtp.received.total() == 0 and shop.settings.test_addresses == [MINE]
    answers = tool_messages(fake_openai.requests[-1])
    assert all(a["ok"] is False for a in answers)


def test_with_no_address_set_the_chat_says_what_to_set_and_sends_nothing(shop, smtp, campaign):
    _, answer = offline_turn(shop, "send me a test")

    assert smtp.received.total() == 0
    assert "Set PROMOPILOT_TEST_ADDRESSES to your own address" in answer
    assert "At the command line, a test copy can go to any address." in answer
    assert "promopilot campaign" not in answer and "--" not in answer, "no command line in chat text"


def test_with_several_allowed_the_chat_asks_which_with_buttons(shop, smtp, campaign):
    shop.settings.test_addresses = [MINE, TEAM]

    events, answer = offline_turn(shop, "send me a test")

    assert not [e for e in events if isinstance(e, ToolStart)] and smtp.received.total() == 0
    assert "Which address should the test copy go to?" in answer
    assert next_steps(answer) == [f"send a test to {MINE}", f"send a test to {TEAM}"]
    offline_turn(shop, f"send a test to {TEAM}")  # the button says it
    assert dict(smtp.received) == {TEAM: 1}


def test_the_model_naming_no_address_with_several_allowed_is_asked_which(shop, smtp, campaign):
    shop.settings.test_addresses = [MINE, TEAM]
    with pytest.raises(UserError, match="2 addresses may get a test copy, so say which one"):
        run_tool(replace(shop, actor="agent"), "campaign_test_send", campaign_id=campaign)
    assert smtp.received.total() == 0


def test_a_named_customer_personalises_the_copy_and_the_model_learns_neither_name_nor_address(shop, smtp, campaign):
    shop.settings.test_addresses = [MINE]
    customer = shop.db.rows("SELECT customer_id, first_name FROM customers WHERE first_name IS NOT NULL LIMIT 1")[0]

    result = run_tool(
        replace(shop, actor="agent"), "campaign_test_send", campaign_id=campaign, customer=customer["customer_id"]
    )

    (message,) = arrived(smtp)
    assert message["Subject"].startswith(f"[TEST] {customer['first_name']}, new in: ")
    assert f"customer {customer['customer_id']}" in result.summary
    told = f"{result.summary} {result.data}"
    assert customer["first_name"] not in told and MINE not in told


def test_the_cli_still_sends_a_test_copy_to_any_address(shop, smtp, campaign):
    db = shop.db.path
    shop.db.close()
    env = {"PROMOPILOT_SMTP_URL": smtp.url, "PROMOPILOT_TEST_ADDRESSES": MINE}

    done = CliRunner(env=env).invoke(
        main, ["--db", db, "campaign", "test-send", str(campaign), "--to", "colleague@elsewhere.example"]
    )

    assert done.exit_code == 0, done.output
    assert dict(smtp.received) == {"colleague@elsewhere.example": 1}
    assert arrived(smtp)[0]["Subject"].startswith("[TEST] ")
