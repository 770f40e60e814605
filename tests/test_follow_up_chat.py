"""Follow-ups in the offline chat: "resend to the non-openers" drafts a follow-up (a person approves it, and the
send waits for Confirm), "who received it" lists the recipients, "what happens if someone unsubscribes" is
answered from what the code does. Mail is checked where it arrives: aiosmtpd on 127.0.0.1."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.loop import Agent, Conversation, ToolEnd, ToolStart
from assistant.models import chat_model
from assistant.planner import audience_words
from assistant.planner.memory import Memory, Request
from assistant.planner.model import choose, understood
from tests import campaign_fixtures, test_follow_up_campaigns
from tests.campaign_fixtures import approved_campaign
from tests.test_agent import answer, turns
from tests.test_follow_up_campaigns import approve, email_of, send
from tools import run_tool

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop
first = test_follow_up_campaigns.first


def chat(ctx, *texts: str) -> list[list]:
    return turns(Agent(ctx, chat_model(ctx.settings)), Conversation(), *texts)


def calls(events: list) -> list[tuple[str, dict]]:
    return [(e.name, e.arguments) for e in events if isinstance(e, ToolStart)]


def test_resend_to_the_non_openers_drafts_it_and_the_confirmed_send_reaches_exactly_them(first):
    ctx, campaign, people, roles, _ = first
    drafted, sending = chat(ctx, "resend it to the non-openers", "send it")

    draft = ("campaign_draft", {"follow_up": campaign, "engagement": "not_opened"})
    assert draft in calls(drafted)
    said = answer(drafted)
    assert "did not open campaign 1" in said and "block open tracking" in said and "**Approve**" in said
    assert said.startswith("Drafted campaign 2"), "the list looked up to find campaign 1 is not told first"
    assert ctx.db.scalar("SELECT count(*) FROM messages WHERE campaign_id = 2") == 0, "a draft sends nothing"

    follow_up = 2
    (refused,) = [e for e in sending if isinstance(e, ToolEnd) and e.name == "campaign_send"]
    assert not refused.ok and "not approved" in refused.error["error"], "only a person approves"

    approve(ctx, follow_up)
    (asked,) = [e for e in chat(ctx, "send campaign 2")[0] if isinstance(e, ToolEnd) and e.name == "campaign_send"]
    expected = {email_of(ctx, p) for p in people if p not in roles.values()}
    assert (
        asked.confirmation.question
        == f"Send campaign 2 (“Spring edit: follow-up to the non-openers”) to {len(expected)} customers now?"
    )
    assert ctx.db.scalar("SELECT count(*) FROM messages WHERE campaign_id = 2") == 0, "nothing before Confirm"

    server = send(ctx, follow_up)  # the Confirm button: the person's own call
    assert dict(server.received) == dict.fromkeys(expected, 1)
    (again,) = chat(ctx, "resend the spring edit to the non-openers")  # the campaign itself, not its follow-up
    assert ("campaign_draft", {"follow_up": campaign, "engagement": "not_opened"}) in calls(again)


@pytest.mark.parametrize(
    ("text", "engagement"),
    [
        ("whoever hasn't read it yet", "not_opened"),  # "hasn't read" was read as the openers
        ("the ones who have not read the newsletter", "not_opened"),
        ("the ones who read it but never clicked", "opened_not_clicked"),
        ("everyone who read it", "opened"),
    ],
)
def test_what_people_did_with_the_email_is_read_from_the_words(text, engagement):
    assert audience_words.engagement(text) == engagement


@pytest.mark.parametrize(
    ("text", "engagement"),
    [
        ("email the people who didn't open the spring edit again", "not_opened"),
        ("follow up with everyone who clicked", "clicked"),
        ("email those who opened but didn't click", "opened_not_clicked"),
        ("send a follow-up to everyone who got campaign 1", None),
    ],
)
def test_each_way_of_asking_for_a_follow_up_drafts_for_those_people(first, text, engagement):
    ctx, campaign, *_ = first
    (events,) = chat(ctx, text)
    expected = {"follow_up": campaign} | ({"engagement": engagement} if engagement else {})
    assert ("campaign_draft", expected) in calls(events)
    assert not [name for name, _ in calls(events) if name == "campaign_send"]


def test_a_follow_up_of_a_campaign_not_sent_yet_is_refused_with_what_to_do(shop):
    approved_campaign(shop)
    (events,) = chat(shop, "resend it to the non-openers")
    said = answer(events)
    assert "has not been sent yet" in said and "Send it first" in said
    assert shop.db.scalar("SELECT count(*) FROM campaigns") == 1


def test_who_received_it_shows_the_count_first_and_ids_to_the_model(first):
    ctx, campaign, people, *_ = first
    everyone, shy = chat(ctx, "who received campaign 1?", "who didn't open it")
    (listed,) = [e for e in everyone if isinstance(e, ToolEnd) and e.name == "campaign_recipients"]
    assert answer(everyone).startswith(f"Campaign 1 (“Spring edit”) reached {len(people)} customers")
    assert not {"name", "email"} & set(listed.result.tables[0].columns), "names come from the local screen only"
    assert ("campaign_recipients", {"campaign_id": campaign, "engagement": "not_opened"}) in calls(shy)
    assert answer(shy).startswith(f"{len(people) - 2} of them did not open it")


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("what happens if someone unsubscribes", "every later campaign"),
        ("will people who unsubscribed still get our emails", "one-click unsubscribe header"),
        ("what happens to emails that bounce", "marked *failed*"),
        ("how does the frequency cap work", "within **7 days**"),
        ("how accurate are the open rates", "Apple Mail"),
    ],
)
def test_what_happens_questions_are_answered_from_what_the_code_does(shop, question, said):
    (events,) = chat(shop, question)
    assert said in answer(events)
    assert not [name for name, _ in calls(events) if name not in ("shop_settings",)]


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("what if customers report us as junk mail", "spam-complaint list"),  # was the unsubscribe answer
        ("if someone signs up again after unsubscribing, then what", "own new opt-in"),  # was the unsubscribe answer
        ("does a person who clicks twice count twice", "Each person counts once"),  # was the frequency cap
    ],
)
def test_each_what_happens_question_gets_the_answer_about_it(question, said):
    plan = choose(Request(question, Memory(), [], chosen="explain what happens to unsubscribes and bounces"))
    assert not plan.calls and said in plan.answer


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("resend it to the non-openers", "follow_up"),
        ("send it again to the people who didn't open it", "follow_up"),
        ("who got the campaign", "recipients"),
        ("what happens if someone unsubscribes", "explain"),
        ("send it", "send"),
        ("draft an email about them", "draft"),
    ],
)
def test_the_readings(text, intent):
    assert understood(text)[0][0] == intent


def test_the_person_approves_and_the_agent_cannot(first):
    ctx, campaign, *_ = first
    follow_up = run_tool(ctx, "campaign_draft", follow_up=campaign).data["campaign_id"]
    agent_tools = {name for name, _ in calls(chat(replace(ctx, actor="agent"), "approve it")[0])}
    assert "campaign_approve" not in agent_tools
    assert ctx.db.scalar("SELECT status FROM campaigns WHERE campaign_id = ?", [follow_up]) == "draft"


def test_a_question_about_the_follow_up_or_the_clickers_drafts_nothing(first):
    """ "what did the clickers buy" drafted a follow-up to the clickers; "whats the status of the follow up" drafted
    another, to everyone the campaign reached."""
    ctx, *_ = first
    before = ctx.db.scalar("SELECT count(*) FROM campaigns")
    bought, status = chat(ctx, "what did the clickers buy", "whats the status of the follow up")
    assert "campaign_draft" not in [name for name, _ in calls(bought) + calls(status)]
    assert ctx.db.scalar("SELECT count(*) FROM campaigns") == before
    assert "orders are not linked to emails" in answer(bought)
    assert [name for name, _ in calls(status)] == ["campaign_list"]
