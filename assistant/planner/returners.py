"""The customers who sent something back: "which customers sent stuff back", "who returned the most", "customers with
returns". A return or cancellation is an order line of the log (`is_return`); the customers are listed by the value
they returned, most first. The SELECT is a fixed template; the number listed is the only thing read from the text.
"""

from __future__ import annotations

import re

from assistant.planner import slots
from assistant.planner.analytics_questions import ACTIVE_SEGMENT
from assistant.planner.memory import Plan, Request, call
from assistant.planner.recipes import report
from services.money import format_money

ASKED = re.compile(
    r"^(?=.*\b(?:who|whom|which|customers?|people|shoppers?|buyers?|clients?)\b)"
    r"(?!.*(?:\bproducts?\b|\bshare\b|\bpercent|\bproportion\b|%|\brate\b))"  # a share of them is a figure
    r".*(?:\b(?:sent|send|sends|brought|took|shipped)\b(?: \w+)? back\b"
    r"|\breturn(?:ed|s|ing)? (?:something|anything|stuff|things|items|goods|orders|the most|most|a lot)\b"
    r"|\b(?:with|made|had|have) (?:any |the most |most )?(?:returns|refunds|cancell?ations)\b"
    r"|\bwho (?:returned|returns|cancell?ed|asked for (?:a )?refunds?)\b)",
    re.I,
)
# ruff: noqa: S608 - fixed fragments; the number listed is an int
RETURNERS = (
    'SELECT o.customer_id, count(DISTINCT o.order_id) FILTER (WHERE o.is_return) AS "Returns", '
    'round(-sum(o.amount) FILTER (WHERE o.is_return), 2) AS "Value returned", '
    "strftime(max(o.ordered_at) FILTER (WHERE o.is_return), '%Y-%m-%d') AS \"Last return\", "
    'any_value(g.name) AS "Segment", count(*) OVER () AS _customers FROM orders o '
    + ACTIVE_SEGMENT.format(key="o.customer_id")
    + " WHERE o.customer_id IS NOT NULL GROUP BY o.customer_id HAVING count(*) FILTER (WHERE o.is_return) > 0 "
    "ORDER BY 3 DESC, 1 LIMIT {n}"
)


def asked(text: str) -> bool:
    return bool(ASKED.search(text))


def plan(req: Request) -> Plan:
    """Those customers, most returned first, with how many there are."""
    if not req.done:
        n = min(slots.number_after(req.text, r"\btop") or 10, 500)
        return call("query_data", sql=RETURNERS.format(n=int(n)))
    step = req.done[-1]
    if not step.ok:
        return Plan(answer=report(req))
    rows = step.records()
    if not rows:
        return Plan(answer="No customer has returned or cancelled anything in your orders log.")
    found, first = int(rows[0]["_customers"]), rows[0]
    who = "1 customer has" if found == 1 else f"{found:,} customers have"
    listed = f" The {len(rows)} who returned most are listed" if found > len(rows) else " They are listed"
    money = format_money(first["Value returned"] or 0, req.vocabulary().currency)
    times = "once" if first["Returns"] == 1 else f"{int(first['Returns']):,} times"
    return Plan(
        answer=f"**{who} returned or cancelled something.**{listed}, most first: customer {first['customer_id']} "
        f"returned {money}, {times}. Next: *tell me about the first one*."
    )
