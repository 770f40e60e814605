"""Products bought together: "what do people usually buy together", "what goes with the jumbo bag".

The pairs of products found in the same order (returned lines left out), from the orders log: one DuckDB self-join
over the distinct (order, product) lines. Asked about one product, what else its orders held, with the share of
its orders. A pair seen in one order only is chance, so it is not listed. A log without products per order (the demo
shop's) says so rather than answering.
"""

# The SQL is fixed fragments; the product named is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import re

from assistant.planner import slots
from assistant.planner.memory import Plan, Request, call
from assistant.planner.purchasers import RECORDED, products_recorded
from assistant.planner.recipes import report

TOGETHER = re.compile(
    r"\b(?:bought|buy|buys|purchased|ordered|sold|sell|get) (?:\w+ ){0,2}?together\b|\bfrequently bought\b"
    r"|\bcross.?sell|\b(?:market )?basket analysis\b"
    r"|\bwhat(?:'s| is| else)? (?:\w+ )?(?:goes|go|pairs?|sells?|is bought|gets bought|is ordered|bought)"
    r" (?:well )?with\b"
    r"|\bwhat else do (?:people|customers|buyers|shoppers|they)\b.*\b(?:buy|get|order)",
    re.I,
)
# "what goes with the jumbo bag", "what else do buyers of the wool coat get": the product asked about
WITH = re.compile(
    r"\b(?:with|alongside|buyers of|people who buy|customers who buy)\s+(?:the |our |a |an )?"
    r"(?P<what>[a-z0-9][\w '&-]*?)\s*(?:$|[?.!,]|\b(?:in|from|last|this|most|often|usually|also|get|buy|order)\b)",
    re.I,
)
LINES = "WITH l AS (SELECT DISTINCT order_id, sku FROM orders WHERE NOT is_return AND sku IS NOT NULL)"
PAIRS = (
    LINES + ' SELECT pa.name AS "Product", pb.name AS "Bought with", count(*) AS "Orders with both", '
    "count(*) OVER () AS _pairs FROM l a JOIN l b ON a.order_id = b.order_id AND a.sku < b.sku "
    "LEFT JOIN products pa ON pa.sku = a.sku LEFT JOIN products pb ON pb.sku = b.sku "
    "GROUP BY a.sku, b.sku, pa.name, pb.name HAVING count(*) > 1 ORDER BY 3 DESC, 1, 2 LIMIT 20"
)
NAMED = "lower(p.name) LIKE '%' || lower($search) || '%'"
WITH_ONE = (
    LINES + f", x AS (SELECT DISTINCT l.order_id FROM l JOIN products p ON p.sku = l.sku WHERE {NAMED}) "
    'SELECT p.name AS "Bought with", count(DISTINCT l.order_id) AS "Orders", '
    'round(count(DISTINCT l.order_id) / (SELECT count(*) FROM x), 3) AS "Share of its orders", '
    "(SELECT count(*) FROM x) AS _orders FROM l JOIN x USING (order_id) JOIN products p ON p.sku = l.sku "
    f"WHERE NOT ({NAMED}) GROUP BY l.sku, p.name HAVING count(DISTINCT l.order_id) > 1 ORDER BY 2 DESC, 1 LIMIT 20"
)


def asked(text: str) -> bool:
    return TOGETHER.search(text) is not None


def plan(req: Request) -> Plan | None:
    """What sells together, or with one product, from the orders; None when the request asks no such thing."""
    if not asked(req.text):
        return None
    named = WITH.search(req.text)
    what = slots.singular(named["what"].lower()) if named and named["what"].lower() not in ("us", "it", "them") else ""
    steps, recorded = products_recorded(req)
    if recorded is None:
        return call("query_data", sql=RECORDED)
    if not recorded.get("skus"):
        return Plan(
            answer="Your orders log does not record which products each order held, so I cannot tell what is bought "
            "together. Import an orders log with a product code on each line (Shopify's or your till's export)."
        )
    if len(steps) == 1:
        return call("query_data", sql=WITH_ONE, params={"search": what}) if what else call("query_data", sql=PAIRS)
    if not steps[-1].ok:
        return Plan(answer=report(req))
    rows = steps[-1].records()
    if what and not rows:
        return Plan(answer=f"No product was bought with “{what}” in more than one order, by your orders log.")
    if what:
        first, orders = rows[0], int(rows[0]["_orders"])
        return Plan(
            answer=f"Orders with “{what}” ({orders:,} of them) most often also held **{first['Bought with']}** "
            f"({first['Orders']:,} orders, {first['Share of its orders']:.0%})."
        )
    if not rows:
        return Plan(answer="No two products were bought together in more than one order, by your orders log.")
    first, pairs = rows[0], int(rows[0]["_pairs"])
    return Plan(
        answer=f"Bought together most often: **{first['Product']}** and **{first['Bought with']}**, in "
        f"{first['Orders with both']:,} orders; {pairs:,} pairs were bought together in more than one order."
    )
