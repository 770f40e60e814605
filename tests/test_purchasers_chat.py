"""Who bought a product, from the orders: "customers who bought jeans" is past buyers, not who would fit."""

from __future__ import annotations

import pandas as pd

from tests.test_new_shop_chat import Chat, load, uci_lines


def buyers(description: str):
    lines = uci_lines()
    bought = lines[(lines["CustomerID"] != "") & ~lines["returned"]]
    bought = bought[bought["Description"].str.lower().str.contains(description)]
    return bought.groupby(bought["CustomerID"].str.replace(r"\.0$", "", regex=True))["amount"].sum()


def test_who_bought_a_product_are_its_buyers_in_the_orders_log(ctx):
    """It asked which product was meant (the name after "bought" was not read), or ranked who would buy it."""
    load(ctx, "orders", "online_retail.csv")
    spent = buyers("jumbo bag red retrospot")
    answer, ended = Chat(ctx).say("who bought the jumbo bag red retrospot")
    assert [e.name for e in ended] == ["query_data", "query_data"]
    assert answer.startswith(f"**{len(spent)} customers** bought “jumbo bag red retrospot” at some time")
    assert f"the top one, {spent.idxmax()}, spent £{spent.max():,.2f} on it" in answer
    listed = ended[-1].result.tables[0].to_df()
    assert set(listed["customer_id"].astype(str)) == set(spent.index)


def test_them_after_a_search_is_the_products_shown(ctx):
    load(ctx, "orders", "online_retail.csv")
    chat = Chat(ctx)
    _, shown = chat.say("show me night lights")
    skus = shown[-1].result.data["skus"][:3]
    _, ended = chat.say("customers who bought them")
    assert ended[-1].arguments["params"] == {"names": "|".join(skus)}


def test_a_log_without_products_per_order_says_so_and_lists_nobody(demo_ctx):
    """The demo shop's orders record no products: it listed who would fit best, as if they had bought."""
    answer, ended = Chat(demo_ctx).say("customers who bought jeans")
    assert [e.name for e in ended] == ["query_data"]
    assert answer.startswith("Your orders log does not record which products each order held")
    _, ended = Chat(demo_ctx).say("which customers would buy the coats")
    assert ended[-1].name == "rank_customers", "who would buy is still the fit"


def test_who_bought_a_product_in_a_period_counts_that_periods_buyers_only(ctx):
    """Asked "who bought night lights last month", it gave the month's best customers ("last" read as the last one
    in a list), and a period after the product was not read at all: the answer said "at some time"."""
    load(ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    ordered = pd.to_datetime(lines["InvoiceDate"], format="%m/%d/%Y %H:%M")
    chat = Chat(ctx)  # today is 5 Mar 2011: last month is February
    asked = [("last month", "2011-02-01", "2011-03-01"), ("between dec and jan", "2010-12-01", "2011-02-01")]
    for said, start, stop in asked:
        within = lines[(ordered >= start) & (ordered < stop) & (lines["CustomerID"] != "") & ~lines["returned"]]
        bought = within[within["Description"].str.lower().str.contains("night light")]
        answer, ended = chat.say(f"who bought night lights {said}")
        assert [e.name for e in ended] == ["query_data", "query_data"]
        assert answer.startswith(f"**{bought['CustomerID'].nunique()} customer")
        assert f"night light” {said} (" in answer and "at some time" not in answer
        listed = ended[-1].result.tables[0].to_df()
        assert set(listed["customer_id"].astype(str)) == set(bought["CustomerID"].str.replace(r"\.0$", "", regex=True))


def test_two_periods_at_once_are_asked_apart(ctx):
    load(ctx, "orders", "online_retail.csv")
    answer, ended = Chat(ctx).say("who bought night lights in december and january")
    assert ended == [] and answer.startswith("One period at a time")
