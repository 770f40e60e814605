"""What counts as an order placed, in one place.

An export can say an order was cancelled or refunded in full (its status: the Kaggle sales log's "Cancelled",
Shopify's "refunded"). The import stores that order as it was placed and beside it its reversal, the order id
with `CANCELLED` (`tools.data.order_lines.add_reversals`), so its money nets to nothing and the cancellation is
still counted. Such an order was never a sale: it is no order placed, in the average order value, a customer's
order count or a purchase for the predictions. A return of its own (the UCI log's `C` invoice) takes back goods
from an order that was delivered: that order still counts.
"""

# ruff: noqa: S608 - constant SQL fragments, no input

from __future__ import annotations

CANCELLED = " cancelled"  # the suffix of a cancelled order's reversal


def reversal(alias: str = "o.") -> str:
    """SQL predicate for one order line: it is the reversal of an order cancelled in full."""
    return f"{alias}is_return AND ends_with({alias}order_id, '{CANCELLED}')"


def cancellations(alias: str = "o.", also: str = "") -> str:
    """SQL aggregate: how many of the rows' orders were cancelled in full (their reversals)."""
    return f"count(DISTINCT {alias}order_id) FILTER (WHERE {reversal(alias)}{also})"


def orders_placed(alias: str = "o.", also: str = "") -> str:
    """SQL aggregate: how many orders the rows hold, cancelled orders not counted (`also` adds a condition,
    e.g. " AND o.customer_id IS NOT NULL"). The reversal shares its order's customer, date, product and
    country, so under any grouping or filter on those the two counts subtract exactly."""
    return f"(count(DISTINCT {alias}order_id) FILTER (WHERE NOT {alias}is_return{also}) - {cancellations(alias, also)})"


def not_cancelled(alias: str = "") -> str:
    """SQL predicate for one order line: its order was not cancelled in full (has no reversal)."""
    return f"({alias}order_id || '{CANCELLED}') NOT IN (SELECT order_id FROM orders WHERE {reversal('')})"


def units_placed(alias: str = "o.") -> str:
    """SQL aggregate: the units of the orders placed (a cancelled order's reversal takes its units back)."""
    return (
        f"(sum({alias}quantity) FILTER (WHERE NOT {alias}is_return) + coalesce(sum({alias}quantity) "
        f"FILTER (WHERE {reversal(alias)}), 0))"
    )


def customers_who_bought(alias: str = "o.") -> str:
    """SQL aggregate: the customers with a purchase among the rows (one whose only order was cancelled bought
    nothing; a return is no purchase)."""
    return f"count(DISTINCT {alias}customer_id) FILTER (WHERE NOT {alias}is_return AND {not_cancelled(alias)})"
