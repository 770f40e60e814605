"""`promopilot consent unsubscribe` and "unsubscribe her" in the chat: someone who asked for no more email is
left out of every campaign from then on; from the chat, only once the person at the keyboard confirms."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storage.errors import NeedsConfirmation, UserError
from tests.test_new_shop_chat import Chat
from tests.test_real_shop_data import SHOPIFY, load, write
from tools import run_tool

OLIVIA = "7061123456789"  # olivia.bennett@example.com, said yes in Shopify
HELD = "SELECT reason, source FROM suppressions WHERE email = ?"


@pytest.fixture
def shop(ctx):
    load(ctx, "customers", SHOPIFY)
    assert run_tool(ctx, "customer_card", customer=OLIVIA).data["emailable"]
    return ctx


def test_her_address_is_suppressed_so_no_campaign_emails_her_and_it_is_logged(shop):
    result = run_tool(shop, "consent_unsubscribe", customer=" Olivia.Bennett@Example.com", source="replied to spring")
    assert shop.db.rows(HELD, ["olivia.bennett@example.com"]) == [
        {"reason": "unsubscribed", "source": "by hand: replied to spring"}
    ]
    assert result.data["changed"] and result.data["customers"] == [OLIVIA]
    assert "no campaign will email it again" in result.summary
    card = run_tool(shop, "customer_card", customer=OLIVIA).data
    assert not card["emailable"] and "unsubscribed" in card["why_not"]
    (logged,) = shop.db.rows("SELECT row_key, problem, action FROM data_issues WHERE table_name = 'consent'")
    assert logged == {"row_key": OLIVIA, "problem": "unsubscribed by hand: replied to spring", "action": "fixed"}
    again = run_tool(shop, "consent_unsubscribe", customer=OLIVIA)  # by id: her address, already suppressed
    assert (
        not again.data["changed"] and "already suppressed (unsubscribed, by hand: replied to spring)" in again.summary
    )
    assert shop.db.scalar("SELECT count(*) FROM data_issues WHERE table_name = 'consent'") == 1
    # Only her own opt-in lifts it.
    run_tool(shop, "consent_resubscribe", email="olivia.bennett@example.com", source="signed up again 2026-11-27")
    assert run_tool(shop, "customer_card", customer=OLIVIA).data["emailable"]


def test_a_name_finds_the_address_and_an_address_nobody_has_yet_stays_suppressed_for_a_later_import(shop, tmp_path):
    run_tool(shop, "consent_unsubscribe", customer="Olivia Bennett")
    assert shop.db.rows(HELD, ["olivia.bennett@example.com"])[0]["reason"] == "unsubscribed"
    stranger = run_tool(shop, "consent_unsubscribe", customer="new.person@example.org")
    assert stranger.data["customers"] == [] and "no customer has it yet" in stranger.summary
    later = write(tmp_path, "later.csv", "Customer ID,Email,Accepts Email Marketing\nN1,New.Person@example.org,yes\n")
    load(shop, "customers", later)
    assert not run_tool(shop, "customer_card", customer="N1").data["emailable"], "the import does not undo it"


def test_two_customers_of_one_name_are_refused_and_nothing_changes(shop, tmp_path):
    twins = write(tmp_path, "twins.csv", "Customer ID,First Name,Last Name,Email\nT1,Sam,Lee,sam1@example.com\n"
                  "T2,Sam,Lee,sam2@example.com\n")  # fmt: skip
    load(shop, "customers", twins)
    with pytest.raises(UserError, match="2 customers are called Sam Lee"):
        run_tool(shop, "consent_unsubscribe", customer="Sam Lee")
    assert shop.db.scalar("SELECT count(*) FROM suppressions") == 0


def test_the_assistant_only_asks_and_the_question_names_no_address_it_was_not_given(shop):
    agent = replace(shop, actor="agent")
    with pytest.raises(NeedsConfirmation) as asked:
        run_tool(agent, "consent_unsubscribe", customer="Olivia Bennett")
    assert asked.value.question.startswith(f"Unsubscribe customer {OLIVIA} (Olivia Bennett)?")
    assert "@" not in asked.value.question
    assert shop.db.scalar("SELECT count(*) FROM suppressions") == 0


def test_in_the_chat_unsubscribe_her_after_her_card_asks_to_confirm_her(shop):
    chat = Chat(shop)
    chat.say("tell me about Olivia Bennett")
    answer, ended = chat.say("she asked us to stop emailing her, unsubscribe her")
    (step,) = [e for e in ended if e.name == "consent_unsubscribe"]
    assert step.arguments == {"customer": OLIVIA} and step.confirmation
    assert f"Unsubscribe customer {OLIVIA}?" in answer and "press Confirm" in answer
    assert shop.db.scalar("SELECT count(*) FROM suppressions") == 0, "nothing happens before the Confirm"


@pytest.mark.parametrize(
    ("said", "who"),
    [
        ("Olivia Bennett asked to be taken off the mailing list", "Olivia Bennett"),
        ("please remove olivia.bennett@example.com from our newsletter list", "olivia.bennett@example.com"),
        ("never email customer 7061123456789 again", OLIVIA),
    ],
)
def test_ways_of_asking_name_the_person(shop, said, who):
    _, ended = Chat(shop).say(said)
    assert [(e.name, e.arguments) for e in ended] == [("consent_unsubscribe", {"customer": who})]


@pytest.mark.parametrize("said", ["how many unsubscribed", "any unsubscribes?", "who opted out", "unsubscribe"])
def test_questions_about_unsubscribes_unsubscribe_nobody(shop, said):
    _, ended = Chat(shop).say(said)
    assert "consent_unsubscribe" not in [e.name for e in ended]
