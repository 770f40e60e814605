"""An email for the customers who bought a product: "email everyone who bought a jam making set".

Before, the request listed the buyers (or was not understood), and a draft could not be aimed at them at all.
The buyers are read from the orders log (returns left out) when the campaign is counted and sent, as a recency is.
"""

from __future__ import annotations

import csv

import pytest

from storage.predictions import Outlook
from tests.test_new_shop_chat import Chat, load
from tests.uci import uci_lines
from tools.catalog.audience import eligible_audience
from tools.registry import run_tool

JAM_SETS = ["22960", "22961"]  # JAM MAKING SET WITH JARS, JAM MAKING SET PRINTED


def jam_buyers() -> set[str]:
    lines = uci_lines()
    bought = lines[lines["StockCode"].isin(JAM_SETS) & ~lines["returned"] & (lines["customer"] != "")]
    return set(bought["customer"])


@pytest.fixture
def shop(ctx, tmp_path):
    """The UCI orders log, every customer with an address and a yes, except one jam buyer who said no."""
    load(ctx, "orders", "online_retail.csv")
    ids = sorted({c for c in uci_lines()["customer"] if c})
    said_no = sorted(jam_buyers())[0]
    path = tmp_path / "customers.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["Customer ID", "First Name", "Email", "Accepts Email Marketing"])
        writer.writerows([c, f"Name {c}", f"c{c}@example.com", "no" if c == said_no else "yes"] for c in ids)
    run_tool(ctx, "import_data", kind="customers", path=str(path))
    return ctx


def test_the_audience_is_who_bought_the_products_and_may_be_emailed(shop):
    chosen, excluded = eligible_audience(
        shop.db,
        run_id=None,
        segments=None,
        skus=JAM_SETS,
        frequency_cap_days=0,
        outlook=Outlook(bought=tuple(JAM_SETS)),
    )
    assert set(chosen["customer_id"]) == jam_buyers() - {sorted(jam_buyers())[0]}
    assert excluded["no_consent"] == 1


def test_email_everyone_who_bought_drafts_for_them(shop):
    chat = Chat(shop)
    answer, ended = chat.say("email everyone who bought a jam making set")
    [draft] = [e for e in ended if e.name == "campaign_draft"]
    assert sorted(draft.arguments["bought"]) == JAM_SETS
    assert "for customers who bought JAM MAKING SET PRINTED or JAM MAKING SET WITH JARS" in answer
    assert "1 row" not in answer  # the lookup of what they bought is not told as a table of its own
    reach = run_tool(shop, "campaign_reach", campaign_id=draft.result.data["campaign_id"])
    assert reach.data["would_send"] == len(jam_buyers()) - 1


def test_other_products_can_be_featured_for_the_buyers(shop):
    _, ended = Chat(shop).say("send something to customers who bought jam making sets about the doormats")
    [draft] = [e for e in ended if e.name == "campaign_draft"]
    assert sorted(draft.arguments["bought"]) == JAM_SETS
    names = shop.db.execute("SELECT name FROM products WHERE sku IN (SELECT unnest(?))", [draft.arguments["skus"]])
    featured = [name for (name,) in names.fetchall()]
    assert featured and all("DOORMAT" in name for name in featured)


def test_email_them_after_a_products_buyers_were_listed_is_for_those_buyers(shop):
    """ "customers who bought a jam making set", then "email them about the doormats", drafted for every customer;
    "email them" after a list no rule makes (who went longest without ordering) is refused, not sent to everyone."""
    chat = Chat(shop)
    chat.say("customers who bought a jam making set")
    _, ended = chat.say("email them about the doormats")
    [draft] = [e for e in ended if e.name == "campaign_draft"]
    assert sorted(draft.arguments["bought"]) == JAM_SETS
    reach = run_tool(shop, "campaign_reach", campaign_id=draft.result.data["campaign_id"])
    assert reach.data["would_send"] == len(jam_buyers()) - 1
    chat.say("who has gone longest without ordering")
    answer, ended = chat.say("email them something nice about the doormats")
    assert answer.startswith("An email goes to a segment, to everyone, or to customers chosen by what they did")
    assert "campaign_draft" not in [e.name for e in ended]
    assert shop.db.scalar("SELECT count(*) FROM campaigns") == 1


def test_nobody_bought_it_and_nothing_is_drafted(shop):
    answer, ended = Chat(shop).say("email people who bought a unicorn")
    assert answer == "Nobody with a customer id bought “unicorn” (returns left out), so nothing was drafted."
    assert not [e for e in ended if e.name == "campaign_draft"]


def test_a_log_without_products_per_order_says_so(demo_ctx):
    answer, ended = Chat(demo_ctx).say("email everyone who bought a coat")
    assert "does not record which products each order held" in answer
    assert not [e for e in ended if e.name == "campaign_draft"]


def test_the_choice_is_kept_with_the_campaign_and_said_in_words():
    chosen = Outlook(quiet_days=30, bought=("22960",), bought_as="JAM MAKING SET WITH JARS")
    assert Outlook.from_json(chosen.to_json()) == chosen
    assert chosen.words() == "who have not ordered in the last 30 days and who bought JAM MAKING SET WITH JARS"
