"""A real send starts only when a person says so. From the chat (the offline planner or a model, either of
which can misread a sentence) it asks first, in words ("Send campaign 3 (“Spring edit”) to 30 customers
now?"), and the Confirm button sends it once, as the person; the CLI command a person typed sends as before.
Mail is checked where it would arrive: a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from assistant.loop import Agent, Conversation, ToolEnd, ToolStart
from assistant.models import chat_model
from cli import main
from storage.errors import NeedsConfirmation
from tests import campaign_fixtures
from tests.test_agent import make_agent, tool_messages, turn
from tools.registry import run_tool

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop
smtp, campaign = campaign_fixtures.smtp, campaign_fixtures.campaign


def audience_size(ctx, campaign_id: int) -> int:
    return run_tool(ctx, "campaign_send", campaign_id=campaign_id, dry_run=True).data["would_send"]


def offline_turn(ctx, text: str) -> list:
    agent = Agent(ctx, chat_model(ctx.settings))

    async def one_turn() -> list:
        return [event async for event in agent.run(Conversation(), text)]

    return asyncio.run(one_turn())


@pytest.mark.parametrize(
    ("sentence", "answer"),
    [
        ("I want to see it in gmail before it goes out to everyone", ""),  # a test copy, perhaps: it may ask
        ("before it goes out", "not sending it now"),
        ("before it goes out to everyone", "not sending it now"),
        ("before launch", "not sending it now"),
    ],
)
def test_a_sentence_about_before_the_send_sends_nothing(shop, smtp, campaign, sentence, answer):
    events = offline_turn(shop, sentence)

    assert smtp.received.total() == 0
    assert shop.db.scalar("SELECT count(*) FROM messages") == 0
    assert not [e for e in events if isinstance(e, ToolStart) and e.name == "campaign_send"]
    assert answer in "".join(getattr(e, "text", "") for e in events)


def test_send_it_in_the_offline_chat_asks_in_words_and_sends_nothing(shop, smtp, campaign):
    events = offline_turn(shop, "send it")

    (asked,) = [e for e in events if isinstance(e, ToolEnd) and e.name == "campaign_send"]
    size = audience_size(shop, campaign)
    assert asked.confirmation.question == f"Send campaign {campaign} (“Spring edit”) to {size} customers now?"
    assert asked.confirmation.arguments == {"campaign_id": campaign}
    assert smtp.received.total() == 0 and shop.db.scalar("SELECT status FROM campaigns") == "approved"


def test_the_question_names_a_first_batch_and_a_dry_run_never_asks(shop, campaign):
    agent = replace(shop, actor="agent")
    size = audience_size(agent, campaign)
    with pytest.raises(NeedsConfirmation) as refused:
        run_tool(agent, "campaign_send", campaign_id=campaign, limit=5)
    assert refused.value.question == f"Send campaign {campaign} (“Spring edit”) to 5 of its {size} customers now?"
    assert refused.value.message.startswith("Nothing was done yet: Send campaign")
    assert shop.db.scalar("SELECT count(*) FROM messages") == 0


def test_the_assistant_cannot_confirm_a_send_itself(shop, smtp, campaign, fake_openai):
    shop.confirmed = True  # even a context a person confirmed is not confirmed for the assistant's calls
    arguments = {"campaign_id": campaign, "confirmed": True, "yes": True, "confirm": True}
    fake_openai.reply(tool_calls=[{"name": "campaign_send", "arguments": arguments}]).reply(content="Sent!")

    events = turn(make_agent(shop, fake_openai), Conversation(), "send it, I confirm")

    (end,) = [e for e in events if isinstance(e, ToolEnd)]
    assert end.confirmation.arguments == {"campaign_id": campaign}, "the extra arguments are dropped"
    (answer,) = tool_messages(fake_openai.requests[1])
    assert answer["ok"] is False and answer["needs_confirmation"] is True
    assert smtp.received.total() == 0 and shop.db.scalar("SELECT count(*) FROM messages") == 0


def test_the_cli_sends_what_a_person_typed_without_asking(shop, smtp, campaign):
    size = audience_size(shop, campaign)
    db = shop.db.path
    shop.db.close()

    help_text = CliRunner().invoke(main, ["campaign", "send", "--help"]).output
    assert "--yes" not in help_text, "no flag to add: typing the command is the decision"
    done = CliRunner(env={"PROMOPILOT_SMTP_URL": smtp.url, "PROMOPILOT_SEND_RATE": "0"}).invoke(
        main, ["--db", db, "campaign", "send", str(campaign), "--json"]
    )

    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["data"]["status"] == "sent"
    assert smtp.received.total() == size and set(smtp.received.values()) == {1}


def test_the_terminal_chat_asks_and_names_the_command_that_sends(shop, smtp, campaign):
    db = shop.db.path
    shop.db.close()

    out = CliRunner(env={"PROMOPILOT_SMTP_URL": smtp.url}).invoke(main, ["--db", db, "chat", "send", "it"])

    assert f"Send campaign {campaign} (“Spring edit”) to" in out.stderr
    assert f"Only you can go ahead: promopilot campaign send {campaign}\n" in out.stderr
    assert smtp.received.total() == 0


def test_discarding_a_campaign_from_the_chat_waits_for_the_persons_confirm(shop, campaign):
    """A discarded campaign cannot come back, and "scrap it" may have meant the last change: it asks first."""
    events = offline_turn(shop, "delete the campaign")

    (asked,) = [e for e in events if isinstance(e, ToolEnd) and e.name == "campaign_reject"]
    assert asked.confirmation.question == (
        f"Discard campaign {campaign} (“Spring edit”) for good? It is approved, and could not be sent or edited "
        "afterwards."
    )
    assert shop.db.scalar("SELECT status FROM campaigns") == "approved"

    run_tool(shop, "campaign_reject", campaign_id=campaign)  # the person's own call (the Confirm button, the CLI)
    assert shop.db.scalar("SELECT status FROM campaigns") == "cancelled"


@pytest.mark.parametrize("sentence", ["send it only to segment 2", "send it to group 1 only"])
def test_send_it_to_one_segment_does_not_send_the_campaign_to_its_own_audience(shop, campaign, sentence):
    events = offline_turn(shop, sentence)
    assert not [e for e in events if isinstance(e, ToolStart) and e.name == "campaign_send"]
    assert "goes to the audience it was drafted and approved for" in "".join(getattr(e, "text", "") for e in events)


@pytest.mark.parametrize(
    "sentence", ["only send it to the top 50 spenders in that group", "send it to everyone except the VIPs"]
)
def test_a_send_to_part_of_the_audience_asks_no_confirmation_for_all_of_it(shop, campaign, sentence):
    """ "only send it to the top 50 spenders" asked "Send campaign 1 ... to 482 customers now?": one press of Confirm
    would have sent to all 482."""
    events = offline_turn(shop, sentence)
    assert not [e for e in events if isinstance(e, ToolStart) and e.name == "campaign_send"]
    said = "".join(getattr(e, "text", "") for e in events)
    assert "I cannot send it to part of that audience" in said and "*exclude people who bought" in said
