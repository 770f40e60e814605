"""One order by its number, and the orders no customer is known for, on the UCI orders log: "show me order 538524"
looked for a customer with that id; "how much of our sales have no customer attached" gave the whole revenue."""

from __future__ import annotations

import pytest

from tests.test_new_shop_chat import Chat, load, uci_lines


@pytest.fixture
def chat(ctx) -> Chat:
    load(ctx, "orders", "online_retail.csv")
    return Chat(ctx)


def test_an_order_by_its_number_is_its_total_items_and_lines_not_a_customer(chat):
    lines = uci_lines()
    order = lines[lines["InvoiceNo"] == "538524"]  # a guest order of 453 lines: more than a table shows
    answer, ended = chat.say("show me order 538524")
    assert [e.name for e in ended] == ["query_data"]
    assert answer.startswith(
        f"Order 538524, 2010-12-13: **£{order['amount'].sum():,.2f}** for {order['quantity'].sum():,.0f} items on "
        f"{len(order)} lines, by no customer (the log gives none for it), from United Kingdom."
    )


def test_a_cancellation_invoice_by_its_number_is_said_to_be_one(chat):
    lines = uci_lines()
    back = lines[lines["InvoiceNo"] == "C536379"]
    answer, _ = chat.say("what was in invoice 536379")
    assert answer.startswith(
        f"Order C536379, 2010-12-01, is a return or cancellation: **£{-back['amount'].sum():,.2f}**"
    )


def test_an_order_number_not_in_the_log_is_said_so(chat):
    answer, _ = chat.say("order 999999")
    assert answer.startswith("No order 999999 in your orders log.")


@pytest.mark.parametrize(
    "said", ["how much of our sales have no customer attached", "what percentage of revenue has no customer"]
)
def test_sales_with_no_customer_are_theirs_with_their_share(chat, said):
    """It gave the whole revenue (£40,792.73) as the sales with no customer."""
    lines = uci_lines()
    guests = lines[lines["customer"] == ""]["amount"].sum()
    answer, _ = chat.say(said)
    assert (
        answer
        == f"Total revenue with no customer: **£{guests:,.2f}** ({guests / lines['amount'].sum():.1%} of all revenue)."
    )


def test_orders_from_customers_we_dont_know_are_counted(chat):
    lines = uci_lines()
    guests = lines[(lines["customer"] == "") & ~lines["returned"]]["InvoiceNo"].nunique()
    placed = lines[~lines["returned"]]["InvoiceNo"].nunique()
    answer, _ = chat.say("how many orders came from customers we dont know")
    assert answer == f"Orders with no customer: **{guests}** ({guests / placed:.1%} of all orders)."
