"""Returns asked as a figure, and customers counted in a country, on the UCI orders log (a `C` invoice is a
cancellation): "how many returns did we have" and "which country has the most returns" listed the most returned
products."""

from __future__ import annotations

import pytest

from tests.test_new_shop_chat import Chat, load, uci_lines


@pytest.fixture
def chat(ctx) -> Chat:
    load(ctx, "orders", "online_retail.csv")
    return Chat(ctx)


def test_how_many_returns_is_counted(chat):
    lines = uci_lines()
    answer, _ = chat.say("how many returns did we have")
    assert answer == f"Returns and cancellations: **{lines[lines['returned']]['InvoiceNo'].nunique()}**."


def test_which_country_has_the_most_returns_is_the_returns_by_country(chat):
    lines = uci_lines()
    per = lines[lines["returned"]].groupby("Country")["InvoiceNo"].nunique()
    answer, _ = chat.say("which country has the most returns")
    assert answer.startswith("Returns and cancellations by country")
    assert f"highest is {per.idxmax()} at **{per.max()}**" in answer


def test_which_products_were_returned_most_are_still_the_products(chat):
    answer, _ = chat.say("what got returned the most")
    assert answer.startswith("Most returned or cancelled: **")


def test_how_many_customers_from_a_country_is_counted(chat):
    """ "how many customers from germany" asked whether the data overview was meant."""
    lines = uci_lines()
    bought = lines[(lines["customer"] != "") & ~lines["returned"] & (lines["Country"] == "Germany")]
    answer, _ = chat.say("how many customers from germany")
    assert answer.startswith(f"Customers in Germany: **{bought['customer'].nunique()}**")
