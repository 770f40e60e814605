"""Items per order is a count of units, not the order value that "per order" alone reads as."""

from __future__ import annotations

from tests.test_new_shop_chat import Chat, load
from tests.uci import uci_lines


def test_items_per_order_counts_the_units_of_the_orders_placed(ctx):
    """It gave the average order value (£608.10) as "the average number of items per order"."""
    load(ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    placed = lines[~lines["returned"]]
    per_order = placed["Quantity"].astype(float).sum() / placed["InvoiceNo"].nunique()
    for said in ("what's the average number of items per order", "how many items in an average basket"):
        answer, _ = Chat(ctx).say(said)
        assert answer == f"Average items per order: **{per_order:,.0f}**."


def test_without_quantities_it_says_so_rather_than_guessing(demo_ctx):
    answer, _ = Chat(demo_ctx).say("what's the average number of items per order")
    assert (
        answer
        == "Your orders log does not record each order line's quantity, so I cannot tell average items per order."
    )


def test_units_sold_in_a_month_are_the_products_units_net_of_returns(ctx):
    """ "how many units did we sell in december" said no product named "unit" was sold, and "how many products did we
    sell" refused because products are the catalogue: both are the units of the month's lines (returns taken off,
    as revenue is; postage and fees are no product)."""
    load(ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    december = lines[(lines["when"].dt.month == 12) & ~lines["service"]]
    units = december["quantity"].sum()
    for said in ("how many units did we sell in december 2010", "how many products did we sell in december 2010"):
        answer, _ = Chat(ctx).say(said)
        assert answer.startswith(f"Units sold, net of returns, 1–31 Dec 2010: **{units:,.0f}**"), answer
