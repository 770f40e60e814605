"""The biggest (or smallest) single orders: "what was our biggest order", "top 10 orders in December".

No template answers it: a customer's figures are averages and totals over their orders ("the biggest order"
read as the highest average order value, or as a count, was wrong), so the orders are summed per order id here and
ranked. A return or cancellation is its own line with a negative amount, so only what was bought is summed.
"""

# The SQL is fixed fragments; the period's dates are bound parameters.

from __future__ import annotations

import re

from assistant.planner import periods, slots
from assistant.planner.memory import Plan, Request, call
from assistant.planner.recipes import report
from services.money import format_money

ASKED = re.compile(
    r"\b(?P<which>biggest|largest|highest|top|most expensive|priciest|smallest|lowest|cheapest|tiniest)"
    r"(?: (?:\d+|single|individual|one|ever))*"
    r" (?:orders?|purchases?|baskets?|transactions?|invoices?)\b(?! (?:values?|sizes?|counts?|per|by|volume))"
    r"(?!.*\b(?:by|per|each|across|in each|for each) (?:\w+ )?(?:categor|brand|countr|segment|product|item|month|week"
    r"|day|customer))",
    re.I,
)
# "which month had the biggest orders", "what country places the largest orders": the months or countries, ranked
GROUP_ASKED = re.compile(
    r"\b(?:which|what) (?:\w+ )?(?:months?|weeks?|days?|years?|quarters?|countr\w*|categor\w*|brands?|segments?"
    r"|products?|items?|customers?|groups?)\b",
    re.I,
)
SMALL = ("smallest", "lowest", "cheapest", "tiniest")
ORDERS = (
    'SELECT o.order_id AS "Order", any_value(o.customer_id) AS customer_id, '
    'strftime(min(o.ordered_at), \'%Y-%m-%d\') AS "Date", round(sum(o.amount), 2) AS "Order total", '
    'sum(coalesce(o.quantity, 1)) AS "Items", count(*) OVER () AS _orders '
    "FROM orders o WHERE NOT o.is_return AND o.amount > 0{within} "
    'GROUP BY o.order_id ORDER BY "Order total" {direction}, 1 LIMIT {n}'
)


def asked(text: str) -> re.Match[str] | None:
    """The words that ask for the biggest or smallest orders; None when none do, or a group is ranked instead."""
    return None if GROUP_ASKED.search(text) else ASKED.search(text)


def plan(req: Request) -> Plan | None:
    """The orders ranked by their total, biggest first (or smallest); None when the request asks no such thing."""
    if (match := asked(req.text)) is None:
        return None
    small = match["which"].lower() in SMALL
    if (limit := periods.within(req.text, req.today)) is None:
        return Plan(answer="One period at a time, please: e.g. *the biggest orders last month*.")
    if not req.done:
        n = slots.number_after(req.text, r"\b(?:top|biggest|largest|smallest|highest|lowest)") or 10
        sql = ORDERS.format(within=limit.sql, direction="ASC" if small else "DESC", n=min(n, 100))
        return call("query_data", sql=sql, params=limit.params)
    step = req.done[-1]
    if not step.ok:
        return Plan(answer=report(req))
    rows = step.records()
    when = f" {limit.period.typed} ({limit.period.span()})" if limit.period else ""
    if not rows:
        return Plan(answer=f"No orders{when}.")
    top, count = rows[0], int(rows[0]["_orders"])
    who = f" by customer {top['customer_id']}" if top["customer_id"] else " (the log gives no customer for it)"
    next_step = "*tell me about that customer*, or " if top["customer_id"] else ""
    total = format_money(top["Order total"], req.vocabulary().currency)
    return Plan(
        answer=f"The {'smallest' if small else 'biggest'} single order{when}: **{total}**, order {top['Order']}"
        f"{who} on {top['Date']} ({top['Items']:,.0f} items); {count:,} orders in all, returns left out. "
        f"Next: {next_step}*average order value*."
    )
