""" "What did customer 17850 buy?": one customer looked up by id, address or name, on the UCI orders log, a Shopify
customer export and the demo shop. Expected figures are worked out here from the files (pandas) or the demo's own
tables, never copied from what the tool printed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from services.money import format_money
from storage.errors import UserError
from storage.shop import get_currency
from tests.campaign_fixtures import approved_campaign
from tests.smtp_server import Faults, FaultySMTPServer
from tests.test_new_shop_chat import FIXTURES, Chat, load
from tests.uci import uci_lines as every_uci_line
from tools import run_tool

UCI_TODAY = date(2011, 3, 5)


def uci_lines() -> pd.DataFrame:
    """The UCI log's lines that name a customer (`tests.uci`)."""
    lines = every_uci_line()
    return lines[lines["customer"] != ""]


def test_a_customer_of_an_orders_log_has_their_orders_spend_and_what_they_bought_most(ctx):
    load(ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    # the customer with the most orders, so the card has a history to tell
    customer = lines[~lines["returned"]].groupby("customer")["InvoiceNo"].nunique().idxmax()
    mine = lines[lines["customer"] == customer]
    bought = mine[~mine["returned"]]
    card = run_tool(ctx, "customer_card", customer=customer)
    assert card.data["orders"] == bought["InvoiceNo"].nunique()
    assert card.data["spent"] == pytest.approx(mine["amount"].sum(), abs=0.01)
    assert card.data["last_order"] == f"{bought['when'].max():%Y-%m-%d}"
    top = bought.groupby(bought["Description"].str.strip())["amount"].sum().sort_values(ascending=False).index[0]
    assert card.summary.startswith(f"**Customer {customer}** has ordered {bought['InvoiceNo'].nunique()} times")
    assert f"Bought most: {top}" in card.summary
    assert "cannot be emailed now: not contactable (no email address)" in card.summary  # the log has no addresses
    latest = card.tables[0].to_df()
    assert latest["Order"].tolist()[0] == mine.sort_values("when")["InvoiceNo"].iloc[-1]


def test_returns_are_counted_apart_and_taken_off_the_spend(ctx):
    load(ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    gave_back = lines[lines["returned"] & (lines["amount"] < 0)]
    customer = gave_back["customer"].value_counts().index[0]
    mine = lines[lines["customer"] == customer]
    returns = mine[mine["returned"]]
    card = run_tool(ctx, "customer_card", customer=customer)
    refunded = -returns["amount"].sum()
    count = returns["InvoiceNo"].nunique()
    assert f"{count} return{'s' if count != 1 else ''} (£{refunded:,.2f} given back)" in card.summary
    assert card.data["spent"] == pytest.approx(mine["amount"].sum(), abs=0.01)


def test_an_unknown_customer_is_refused_with_ids_that_exist(ctx):
    load(ctx, "orders", "online_retail.csv")
    first = sorted(uci_lines()["customer"].unique())[0]
    with pytest.raises(UserError) as refused:
        run_tool(ctx, "customer_card", customer="99999")
    assert "No customer has the id, email address or name '99999'" in refused.value.message
    assert first in refused.value.hint


def test_found_by_address_or_name_and_named_only_for_a_person(ctx):
    """Shopify's export has no order lines: the figures on file are said as such; consent decides emailable."""
    load(ctx, "customers", "shopify_customers.csv")
    customers = pd.read_csv(FIXTURES / "shopify_customers.csv", dtype=str)
    harry = customers[customers["First Name"] == "Harry"].iloc[0]
    by_address = run_tool(ctx, "customer_card", customer=harry["Email"].upper())
    by_name = run_tool(ctx, "customer_card", customer=f"{harry['First Name']} {harry['Last Name']}")
    assert by_address.data["customer_id"] == by_name.data["customer_id"]
    assert by_address.summary.startswith("**Harry Clarke**")
    spent = format_money(float(harry["Total Spent"]), get_currency(ctx.db))
    assert f"has 1 order and {spent} spent on file" in by_address.summary and harry["Total Orders"] == "1"
    assert "cannot be emailed now: no consent" in by_address.summary  # "Accepts Email Marketing" = no
    ctx.actor = "agent"  # the model is told the id, never the name or the address
    for_the_model = run_tool(ctx, "customer_card", customer=harry["Email"])
    assert "Harry" not in for_the_model.summary and "name" not in for_the_model.data
    assert "email" not in for_the_model.data


def test_a_demo_customer_has_segment_prediction_and_likes(demo_ctx):
    ctx = demo_ctx
    run_tool(ctx, "segment_run", k=4)
    run_tool(ctx, "predict")
    customer = "C0000007"
    segment = ctx.db.rows(
        "SELECT m.segment, s.name FROM segment_members m JOIN segments s USING (run_id, segment) "
        "JOIN segment_runs r USING (run_id) WHERE r.is_active AND m.customer_id = ?",
        [customer],
    )[0]
    risk = ctx.db.scalar("SELECT churn_risk FROM predictions WHERE customer_id = ? ORDER BY fit_id DESC", [customer])
    likes = ctx.db.scalar("SELECT preferred_categories[1] FROM customer_preferences WHERE customer_id = ?", [customer])
    card = run_tool(ctx, "customer_card", customer=customer)
    assert f"Segment {segment['segment']} ({segment['name']})." in card.summary
    assert f"{risk} churn risk" in card.summary
    assert likes in card.summary.split("Likes:")[1]


def test_a_plain_number_finds_the_one_id_with_that_number(demo_ctx):
    """ "show me customer 12" where the ids are C0000012: said there was no such customer."""
    assert run_tool(demo_ctx, "customer_card", customer="12").data["customer_id"] == "C0000012"
    answer, _ = Chat(demo_ctx).say("show me customer 42")
    assert answer.startswith("**Customer C0000042** has ordered")
    demo_ctx.db.execute("UPDATE customers SET customer_id = 'X12' WHERE customer_id = 'C0000013'")
    with pytest.raises(UserError, match="No customer has the id, email address or name '12'"):  # C0000012 or X12
        run_tool(demo_ctx, "customer_card", customer="12")


@pytest.fixture
def uci_chat(ctx) -> Chat:
    load(ctx, "orders", "online_retail.csv")
    return Chat(ctx, today=UCI_TODAY)


@pytest.mark.parametrize(
    "said",
    [
        "what did customer 17850 buy",
        "tell me about customer 17850",
        "custmer 17850 details",
        "a customer called in, id 17850, what did they order",
        "what's C17850 like",  # a letter in front, as another system writes the id: said "no such customer"
    ],
)
def test_the_chat_looks_a_customer_up_by_the_id_said(uci_chat, said):
    answer, ended = uci_chat.say(said)
    assert [e.name for e in ended] == ["customer_card"]
    assert answer.startswith("**Customer 17850** has ordered")


@pytest.mark.parametrize(
    ("said", "place"), [("tell me more about the second one", 1), ("more on the top one", 0), ("who is number 3?", 2)]
)
def test_a_place_in_a_ranking_is_that_customer(uci_chat, said, place):
    uci_chat.say("who are our best customers")
    ranked = uci_chat.ctx.db.rows(
        "SELECT customer_id FROM customer_behavior ORDER BY total_spent DESC NULLS LAST LIMIT 3"
    )
    answer, ended = uci_chat.say(said)
    assert [e.name for e in ended] == ["customer_card"]
    assert answer.startswith(f"**Customer {ranked[place]['customer_id']}**")


def test_no_customer_named_asks_which(uci_chat):
    answer, ended = uci_chat.say("look up a customer for me")
    assert not ended and answer.startswith("Which customer?")


@pytest.mark.parametrize(
    "said",
    [
        "who orders most often",
        "which customers placed the most orders",
        "who are my top 5 customers by number of orders",
    ],
)
def test_who_orders_most_often_is_ranked_by_orders_not_spend(uci_chat, said):
    """It ranked by total spend whatever was asked: the top spender placed 2 orders."""
    lines = uci_lines()
    orders = lines[~lines["returned"]].groupby("customer")["InvoiceNo"].nunique()
    answer, ended = uci_chat.say(said)
    assert [e.name for e in ended] == ["query_data"]
    assert f"by their number of orders: the top one placed **{orders.max()} orders**" in answer


def test_the_card_says_what_they_did_with_each_campaign_and_a_refusal(demo_ctx, tmp_path):
    """The card never said whether they were sent, opened or clicked a campaign, so "did he open the parka email"
    could not be answered; a refused address read as "can be emailed" with no word of the refusal."""
    ctx = demo_ctx
    ctx.settings.send_rate = 0
    dead, clicker = ctx.db.execute(
        "SELECT customer_id, lower(email) FROM customers ORDER BY customer_id LIMIT 2"
    ).fetchall()
    campaign = approved_campaign(ctx)
    with FaultySMTPServer(Faults(permanent={dead[1]})) as server:
        ctx.settings.smtp_url = server.url
        run_tool(replace(ctx, actor="user"), "campaign_send", campaign_id=campaign)
    ctx.db.execute("INSERT INTO events (campaign_id, customer_id, kind) VALUES (?, ?, 'click')", [campaign, clicker[0]])
    chat = Chat(ctx)
    answer, ended = chat.say(f"tell me about customer {clicker[0]}")
    assert f"Sent 1 campaign: opened 1, clicked 1; the last, campaign {campaign} on " in answer
    assert ended[-1].result.tables[-1].name == "Campaigns they were sent"
    for asked in ("did he open the parka email", "is he unsubscribed", "can we still email him"):
        _, ended = chat.say(asked)
        assert [(e.name, e.arguments) for e in ended] == [("customer_card", {"customer": clicker[0]})], asked
    answer, _ = chat.say(f"who is {dead[0]}")
    assert "No campaign has been sent to them yet." in answer
    assert (
        f"Campaign {campaign} could not be delivered to them (the server said: 550 5.1.1 No such user here)" in answer
    )
    assert "They cannot be emailed now: suppressed" in answer


def test_questions_about_them_after_a_card_are_about_that_customer(ctx):
    """After a card, "what did they buy" and "did they return anything" were read as questions about the shop."""
    load(ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    returned = set(lines[lines["returned"]]["customer"])
    kept, gave_back = "17850", sorted(returned)[0]
    assert kept not in returned
    for customer, none_back in ((kept, True), (gave_back, False)):
        chat = Chat(ctx)
        chat.say(f"tell me about customer {customer}")
        for said in ("what did they buy", "did they return anything"):
            answer, ended = chat.say(said)
            assert [(e.name, e.arguments["customer"]) for e in ended] == [("customer_card", customer)], said
        assert answer.startswith("No returns or cancellations on file for them.") is none_back
        assert ("given back)" in answer) is not none_back


def test_their_segment_and_what_to_promote_to_them_after_a_card(demo_ctx):
    """After a card, "which segment fits them" asked which products were meant, "which group is she in" listed
    every segment, and "what would you promote to them" repeated the card."""
    ctx = demo_ctx
    run_tool(ctx, "segment_run", k=4)
    customer = "C0000007"
    segment, name = ctx.db.execute(
        "SELECT m.segment, s.name FROM segment_members m JOIN segments s USING (run_id, segment) "
        "JOIN segment_runs r USING (run_id) WHERE r.is_active AND m.customer_id = ?",
        [customer],
    ).fetchone()
    chat = Chat(ctx)
    chat.say(f"tell me about customer {customer}")
    for said in ("which segment fits them", "which group is she in"):
        answer, ended = chat.say(said)
        assert [e.name for e in ended] == ["customer_card"], said
        assert answer.startswith(f"They are in segment {segment} ({name}).")
        assert f"*draft an email for segment {segment} about ...*" in answer
    answer, ended = chat.say("what would you promote to them")
    assert [(e.name, e.arguments) for e in ended] == [("suggest_products", {"segment": segment})]
    assert answer.startswith(f"Best fits for segment {segment} ({name}")


@pytest.mark.parametrize("asked", ["is {first} unsubscribed", "can we email {first}", "did {full} open it"])
def test_a_name_in_lower_case_in_a_question_about_their_emails_is_that_customer(demo_ctx, asked):
    """ "is raymond unsubscribed" reported on the draft's reach; "can we email dale" showed the shop's settings."""
    customer, first, last = demo_ctx.db.execute(
        "SELECT customer_id, first_name, last_name FROM customers WHERE first_name IN "
        "(SELECT first_name FROM customers GROUP BY 1 HAVING count(*) = 1) ORDER BY customer_id LIMIT 1"
    ).fetchone()
    said = asked.format(first=first.lower(), full=f"{first} {last}".lower())
    answer, ended = Chat(demo_ctx).say(said)
    assert [e.name for e in ended] == ["customer_card"], said
    assert answer.startswith(f"**Customer {customer}**")


def test_she_asked_to_be_removed_after_her_card_asks_to_unsubscribe_her(demo_ctx):
    """It asked back, offering to take something off the shortlist."""
    chat = Chat(demo_ctx)
    chat.say("look up C0000165")
    _, ended = chat.say("she asked to be removed from the list, pls do that")
    assert [(e.name, e.arguments) for e in ended] == [("consent_unsubscribe", {"customer": "C0000165"})]
    assert ended[0].confirmation is not None and demo_ctx.db.scalar("SELECT count(*) FROM suppressions") == 0


def test_one_customers_outlook_asked_by_name_or_pronoun_is_their_card(demo_ctx):
    """ "is Andrew Stephens likely to buy again?" gave every customer's predictions; after a card, "is he likely to
    buy again?" the same, and "what segment is he in" the list of segments."""
    run_tool(demo_ctx, "predict")
    customer, first, last = demo_ctx.db.execute(
        "SELECT customer_id, first_name, last_name FROM customers WHERE first_name IS NOT NULL AND (first_name, "
        "last_name) IN (SELECT (first_name, last_name) FROM customers GROUP BY ALL HAVING count(*) = 1) "
        "ORDER BY customer_id LIMIT 1"
    ).fetchone()
    chat = Chat(demo_ctx)
    answer, ended = chat.say(f"is {first} {last} likely to buy again?")
    assert [e.name for e in ended] == ["customer_card"] and ended[0].result.data["customer_id"] == customer
    assert "Predicted: " in answer
    for said in ("is he likely to buy again?", "what segment is she in"):
        _, ended = chat.say(said)
        assert [(e.name, e.arguments) for e in ended] == [("customer_card", {"customer": customer})], said
