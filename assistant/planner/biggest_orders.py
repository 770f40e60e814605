"""The biggest (or smallest) single orders: "what was our biggest order", "top 10 orders in December"; the
orders themselves, latest first: "show me orders from France", "the latest orders"; and one order by its number:
"show me order 538524".

No template answers it: a customer's figures are averages and totals over their orders ("the biggest order"
read as the highest average order value, or as a count, was wrong), so the orders are summed per order id here and
ranked. A return or cancellation is its own line with a negative amount, so only what was bought is summed.
"""

# The SQL is fixed fragments; the period's dates are bound parameters.

from __future__ import annotations

import re

from assistant.planner import analytics_filters as filters
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
# "show me orders from France", "list the recent orders", "the latest orders": the orders, latest first
LISTED = re.compile(
    r"\b(?:(?:show|list|see|view|display|give|pull up|get)(?: me| us)?|what are)"
    r" (?:(?:the|all|our|any|some|my|recent|latest|newest|last|\d+) )*(?:orders|purchases|transactions|invoices)\b"
    r"(?! (?:values?|sizes?|counts?|per|by|volume|over time))"
    r"|^\W*(?:the |our )?(?:latest|recent|newest|most recent) (?:\d+ )?orders\b",
    re.I,
)
# "orders from japan": a place not known as a country here is still a place asked for, never silently dropped
FROM_WHERE = re.compile(
    r"\b(?:orders|purchases|transactions|invoices) (?:from|in|placed in|shipped to|to|for) (?:the )?"
    r"(?!(?:the|last|this|next|past|previous|recent)\b)(?P<where>[a-z][a-z]+(?: [a-z]+)?)"
    r"\s*(?:$|[?.!,]|\b(?:in|last|this|since|during|between|over)\b)",
    re.I,
)
SMALL = ("smallest", "lowest", "cheapest", "tiniest")
ORDERS = (
    'SELECT o.order_id AS "Order", any_value(o.customer_id) AS customer_id, '
    'strftime(min(o.ordered_at), \'%Y-%m-%d\') AS "Date", round(sum(o.amount), 2) AS "Order total", '
    'sum(coalesce(o.quantity, 1)) AS "Items", count(*) OVER () AS _orders '
    "FROM orders o WHERE NOT o.is_return AND o.amount > 0{within}{place} "
    "GROUP BY o.order_id ORDER BY {order}, 1 LIMIT {n}"
)
IN_COUNTRY = " AND o.country = $country"


# "show me order 538524", "what was in invoice C536379", "order #1001": one order by its number (4 digits or more)
ONE_ORDER = re.compile(r"\b(?:order|invoice)\s*(?:number|no\.?|#)?\s*#?(?P<id>[a-z]?\d{4,}[\w-]*)\b", re.I)
# Its lines, with the lines that took it back: a C invoice of the same number (UCI), a status's cancellation or refund
ONE_ORDER_LINES = (
    'SELECT o.order_id AS "Order", strftime(o.ordered_at, \'%Y-%m-%d\') AS "Date", o.customer_id, '
    'coalesce(p.name, o.sku) AS "Product", o.sku, o.quantity AS "Quantity", round(o.amount, 2) AS "Amount", '
    'o.is_return AS "Return", o.country AS "Country", '
    "sum(o.amount) FILTER (WHERE NOT o.is_return) OVER () AS _sold, "
    "sum(coalesce(o.quantity, 1)) FILTER (WHERE NOT o.is_return) OVER () AS _items, "
    "count(*) FILTER (WHERE NOT o.is_return) OVER () AS _lines, -sum(o.amount) FILTER (WHERE o.is_return) OVER () "
    "AS _back, count(*) FILTER (WHERE o.is_return) OVER () AS _back_lines "
    "FROM orders o LEFT JOIN products p ON p.sku = o.sku "
    "WHERE o.order_id IN ($order, '#' || $order, 'C' || $order, $order || ' cancelled', $order || ' refund') "
    'ORDER BY o.is_return, "Amount" DESC'
)


def asked(text: str) -> re.Match[str] | None:
    """The words that ask for the biggest or smallest orders, the orders themselves, or one order; None when none do,
    or a group is ranked instead."""
    if one := ONE_ORDER.search(text):
        return one
    return None if GROUP_ASKED.search(text) else (ASKED.search(text) or LISTED.search(text))


def one_order(req: Request, number: str) -> Plan:
    """One order's lines and what it came to, with any return or cancellation of it."""
    if not req.done:
        return call("query_data", sql=ONE_ORDER_LINES, params={"order": number})
    step = req.done[-1]
    rows = step.records() if step.ok else []
    if not step.ok:
        return Plan(answer=report(req))
    if not rows:
        return Plan(answer=f"No order {number} in your orders log. Say *the latest orders* to see their numbers.")
    money = lambda v: format_money(v or 0, req.vocabulary().currency)  # noqa: E731
    first = rows[0]  # the sold lines come first; the summary columns are over all of them, not the rows shown
    who = f"customer {first['customer_id']}" if first["customer_id"] else "no customer (the log gives none for it)"
    where = f", from {first['Country']}" if first["Country"] else ""
    lines = int(first["_lines"] or 0)
    if not lines:  # only a return: "C536379"
        return Plan(
            answer=f"Order {first['Order']}, {first['Date']}, is a return or cancellation: **{money(first['_back'])}** "
            f"given back on {int(first['_back_lines'])} line{'s' if first['_back_lines'] != 1 else ''}, by {who}"
            f"{where}."
        )
    answer = (
        f"Order {first['Order']}, {first['Date']}: **{money(first['_sold'])}** for {first['_items']:,.0f} items on "
        f"{lines:,} line{'s' if lines != 1 else ''}, by {who}{where}."
    )
    if first["_back_lines"]:
        answer += f" Taken back since: {money(first['_back'])} ({int(first['_back_lines'])} return lines)."
    return Plan(answer=answer)


def somewhere(req: Request) -> str | None:
    """The place an orders request names that is neither a known country nor a period, nor the shop's own word
    ("orders from japan"); None when it names none."""
    found = FROM_WHERE.search(req.text)
    said = periods.found(req.text, req.today)
    if found is None or any(found["where"].split()[0].lower() in p.typed.lower().split() for p in said):
        return None  # "orders in december", "orders from q4 2010": a period
    where = found["where"]
    own = {w.lower() for w in filters.shop_words(req)}
    if where.lower() in own or re.match(r"(?:all|any|each|every|our|my|them|us|me|customers?|people|total)\b", where):
        return None
    return where


def plan(req: Request) -> Plan | None:
    """The orders ranked by their total, biggest first (or smallest), or latest first when they are only asked to be
    shown; in a country the request names. None when the request asks no such thing."""
    if (match := asked(req.text)) is None:
        return None
    if match.re is ONE_ORDER:
        return one_order(req, match["id"].lstrip("#"))
    which = match.groupdict().get("which")
    small, latest = bool(which) and which.lower() in SMALL, not which
    if (limit := periods.within(req.text, req.today)) is None:
        return Plan(answer="One period at a time, please: e.g. *the biggest orders last month*.")
    vocabulary = req.vocabulary()
    said = filters.place(req.text, filters.shop_words(req), vocabulary.countries) or somewhere(req)
    country = next((c for c in vocabulary.countries if said and filters.same_country(said, c)), None)
    if said and country is None and not vocabulary.countries:
        return Plan(answer=f"Your orders log records no country, so I cannot pick the orders from {said}.")
    if said and country is None:
        known = ", ".join(vocabulary.countries[:8]) + (", …" if len(vocabulary.countries) > 8 else "")
        return Plan(answer=f"No orders from {said} in your orders log. Its countries: {known}.")
    if not req.done:
        n = slots.number_after(req.text, r"\b(?:top|biggest|largest|smallest|highest|lowest|latest|last|recent)") or 10
        order = "min(o.ordered_at) DESC" if latest else f'"Order total" {"ASC" if small else "DESC"}'
        sql = ORDERS.format(within=limit.sql, place=IN_COUNTRY if country else "", order=order, n=min(n, 100))
        return call("query_data", sql=sql, params=limit.params | ({"country": country} if country else {}))
    step = req.done[-1]
    if not step.ok:
        return Plan(answer=report(req))
    rows = step.records()
    typed = limit.period and re.sub(r"^(?=the\b)", "in ", limit.period.typed)  # "in the last 30 days"
    scope = (f" from {country}" if country else "") + (f" {typed}" if typed else "")
    when = scope + (f" ({limit.period.span()})" if limit.period else "")
    if not rows:
        return Plan(answer=f"No orders{when}.")
    top, count = rows[0], int(rows[0]["_orders"])
    who = f" by customer {top['customer_id']}" if top["customer_id"] else " (the log gives no customer for it)"
    next_step = "*tell me about that customer*, or " if top["customer_id"] else ""
    total = format_money(top["Order total"], vocabulary.currency)
    if latest:
        return Plan(
            answer=f"**{count:,} order{'s' if count != 1 else ''}**{when}, latest first (returns left out); the "
            f"latest, order {top['Order']}{who} on {top['Date']}, came to **{total}** ({top['Items']:,.0f} items). "
            f"Next: {next_step}*the biggest orders{scope}*."
        )
    return Plan(
        answer=f"The {'smallest' if small else 'biggest'} single order{when}: **{total}**, order {top['Order']}"
        f"{who} on {top['Date']} ({top['Items']:,.0f} items); {count:,} order{'s' if count != 1 else ''} in all, "
        f"returns left out. Next: {next_step}*average order value*."
    )
