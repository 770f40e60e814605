"""One-time and repeat customers in a shop owner's words, from the UCI orders log: counted, as a share of the
customers who ordered, or listed."""

from __future__ import annotations

import pytest

from tests.test_new_shop_chat import Chat, load, uci_lines


@pytest.fixture
def chat(ctx) -> Chat:
    load(ctx, "orders", "online_retail.csv")
    return Chat(ctx)


def invoices_per_customer():
    lines = uci_lines()
    bought = lines[(lines["CustomerID"] != "") & ~lines["returned"]]
    return bought.groupby(bought["CustomerID"].str.replace(r"\.0$", "", regex=True))["InvoiceNo"].nunique()


@pytest.mark.parametrize(
    "said", ["repeat purchase rate", "what share of customers came back", "what % of our customers are repeat buyers"]
)
def test_the_repeat_rate_is_a_share_of_those_who_ordered(chat, said):
    """Asked "repeat purchase rate", it tried to predict; "what share came back" gave a count; a share was over every
    customer on file, those who never ordered included."""
    invoices = invoices_per_customer()
    answer, ended = chat.say(said)
    assert [e.name for e in ended] == ["query_data"]
    assert answer.startswith(f"Share of repeat customers: **{(invoices > 1).mean():.0%}**")


def test_repeat_customers_alone_are_counted(chat):
    """It tried to predict who will buy again."""
    answer, _ = chat.say("repeat customers")
    assert answer.startswith(f"Repeat customers: **{(invoices_per_customer() > 1).sum()}**")


@pytest.mark.parametrize(
    ("said", "orders", "said_back"),
    [
        ("list the one-time buyers", lambda n: n == 1, "have ordered only once"),
        ("who only ordered once", lambda n: n == 1, "have ordered only once"),
        ("who are our repeat customers", lambda n: n > 1, "have ordered more than once"),
    ],
)
def test_listing_them_lists_those_customers(chat, said, orders, said_back):
    """Asked to "list the one-time buyers", it gave their number only."""
    invoices = invoices_per_customer()
    chosen = invoices[orders(invoices)]
    answer, ended = chat.say(said)
    assert answer.startswith(f"**{len(chosen)} customers** {said_back}")
    listed = ended[-1].result.tables[0].to_df()
    assert set(listed["customer_id"].astype(str)) <= set(chosen.index) and len(listed) == min(len(chosen), 10)
