"""Which products sell better or worse than before: "which products are selling worse than last month", "what sold
more in February than in December". Before, the first listed the catalogue's all-time best sellers, as if no period
had been named.

Each product's units in the two periods (net of returns, as the best sellers are counted), from the order lines,
ranked by the change: the biggest fall (or rise) first. "Than last month" compares this month so far with the same
days of last month (`periods.periods`), so a month under way is not set against a whole one. A period the orders
log does not reach is said, not compared as if nothing had sold.
"""

from __future__ import annotations

import re

from assistant.planner import analytics_periods as dated
from assistant.planner import periods
from assistant.planner.memory import Plan, Request
from assistant.planner.recipes import rows_of

FALLING = r"worse|less|fewer|slower|dropp?(?:ed|ing)?|fell|fallen|falling|declin\w*|down"
RISING = r"better|more|faster|rose|risen|rising|grew|grown|growing|up"
ASKED = re.compile(
    rf"\b(?:sell(?:s|ing)?|sold|sales|doing|did|performing|performed|moving)\b(?:\s+\w+){{0,2}}?\s+"
    rf"(?P<how>{FALLING}|{RISING})\b|\b(?:sales|selling)\s+(?:have\s+|has\s+)?(?P<how2>{FALLING}|{RISING})\b",
    re.I,
)
PRODUCTS = re.compile(r"\b(?:products?|items?|lines?|skus?|what(?:'s| is)? (?:sold|selling))\b", re.I)
COMPARED = (
    "WITH units AS (SELECT o.sku, coalesce(sum(o.quantity) FILTER (WHERE {now}), 0) AS now_units, "
    "coalesce(sum(o.quantity) FILTER (WHERE {then}), 0) AS then_units FROM orders o "
    "WHERE o.sku IS NOT NULL AND (({now}) OR ({then})) GROUP BY o.sku) "
    'SELECT p.sku AS sku, p.name AS "Product", u.then_units AS "Units before", u.now_units AS "Units now", '
    'u.now_units - u.then_units AS "Change", count(*) OVER () AS _products '
    "FROM units u JOIN products p ON p.sku = u.sku WHERE u.now_units {op} u.then_units "
    'ORDER BY "Change" {order}, 2 LIMIT 10'
)


def asked(text: str) -> bool:
    """Whether a request asks which products sell better or worse than in another period."""
    return bool(ASKED.search(text) and PRODUCTS.search(text) and periods.COMPARE.search(text))


def plan(req: Request) -> Plan | None:
    """The products whose sales changed most between two periods; None when the request asks no such thing."""
    if not asked(req.text):
        return None
    named = periods.periods(req.text, req.today)
    if len(named) != 2:
        return Plan(answer="Compared with when? Name both periods, e.g. *which products sold less in February than "
                    "in January*, or *which products are selling worse than last month*.")  # fmt: skip
    how = ASKED.search(req.text)
    now, then = named
    if then.start > now.start:  # "in December than in February": the later one is "now"
        now, then = then, now
    now, then = dated.like_for_like(req, now, then)  # this month so far: both cut to the log's last order
    for period in (now, then):
        if (outside := dated.no_orders_then(req, period)) is not None:
            return Plan(answer=f"{outside} So there is nothing to compare it with.")
        if dated.uncovered(req, period) > dated.PARTLY:  # half a month against a whole one: every product "falls"
            return Plan(answer=f"I cannot compare them: your orders cover only part of {period.span()} "
                        f"({dated.runs(req)}). Name two periods the orders cover in full.")  # fmt: skip
    falling = re.fullmatch(FALLING, (how["how"] or how["how2"]).lower()) is not None
    op, order = ("<", "ASC") if falling else (">", "DESC")
    sql = COMPARED.format(now=periods.where("now"), then=periods.where("then"), op=op, order=order)
    rows = rows_of(req, sql, now.params("now") | then.params("then"))
    if isinstance(rows, Plan):
        return rows
    when = f"{on(now)} than {on(then)}"
    if not rows:
        return Plan(answer=f"No product sold {'fewer' if falling else 'more'} units {when}.")
    told = "; ".join(
        f"**{row['Product']}** {int(row['Units now']):,} (from {int(row['Units before']):,})" for row in rows[:3]
    )
    n = int(rows[0]["_products"])
    return Plan(
        answer=f"{n:,} product{'s' if n != 1 else ''} sold {'fewer' if falling else 'more'} units {when}"
        f"{', the same days' if now.to_date(req.today) else ''}. {'Biggest falls' if falling else 'Biggest rises'}: "
        f"{told}. Units are net of returns.\n\nNext: *keep the first three*, or *best sellers last month*."
    )


def on(period: periods.Period) -> str:
    return f"{'on' if period.start == period.last else 'in'} {period.span()}"
