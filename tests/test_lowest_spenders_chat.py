"""The lowest spenders in a shop owner's words, from the UCI orders log: "who are the worst customers" listed the
best, headed "Your 10 best customers"."""

from __future__ import annotations

import pytest

from tests.test_new_shop_chat import Chat, load, uci_lines


@pytest.fixture
def chat(ctx) -> Chat:
    load(ctx, "orders", "online_retail.csv")
    return Chat(ctx)


def spend_of_buyers():
    """Each customer's net spend, of those who bought (a customer who only returned is no low spender)."""
    lines = uci_lines()
    named = lines[lines["customer"] != ""]
    bought = named[~named["returned"]]["customer"].unique()
    return named.groupby("customer")["amount"].sum().round(2)[lambda s: s.index.isin(bought) & (s > 0)]


@pytest.mark.parametrize(
    ("said", "n"),
    [
        ("who are the worst customers", 10),
        ("which customers spent the least", 10),
        ("bottom 5 customers by spend", 5),
        ("who are our weakest customers?", 10),
    ],
)
def test_the_worst_customers_are_the_lowest_spenders_of_those_who_bought(chat, said, n):
    spend = spend_of_buyers().sort_values(kind="stable")
    answer, ended = chat.say(said)
    table = ended[-1].result.tables[0].to_df()
    assert answer.startswith(f"Your {n} lowest-spending customers (of those who bought) by total spend")
    assert f"the lowest has spent **£{spend.iloc[0]:,.2f}**" in answer
    assert table["Total spent"].tolist() == spend.iloc[:n].tolist()


def test_customers_who_spent_under_an_amount_are_counted_and_listed_lowest_first(chat):
    spend = spend_of_buyers()
    answer, ended = chat.say("list customers who spent under 100 quid")
    assert answer.startswith(f"**{(spend < 100).sum()} customers** have spent less than £100.00")
    assert sorted(ended[-1].result.tables[0].to_df()["Total spent"]) == sorted(spend[spend < 100])


def test_an_amount_in_thousands_is_thousands(chat):
    """ "customers who spent over 1k" counted those over £1 (55); it is those over £1,000."""
    spend = spend_of_buyers()
    answer, _ = chat.say("customers who spent over 1k")
    assert answer.startswith(f"**{(spend > 1000).sum()} customers** have spent more than £1,000.00")
