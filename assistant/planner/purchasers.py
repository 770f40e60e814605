"""Who bought a product: "customers who bought jeans", "who bought the wool coat", "who has ordered Northlane".

Past purchases, from the orders log (returned lines left out), not who would buy (`rank_customers` scores the
fit). A log that records no products per line (the demo shop's, a CRM's order totals) cannot say who bought
what: that is said, with the fit ranking as what can be asked instead, never a list that would look like buyers.
"""

# The SQL is fixed fragments; what was named (a search word, the shop's categories and brands) is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import re

from assistant.planner import periods, slots
from assistant.planner.memory import Plan, Request, Step, call
from assistant.planner.recipes import one_row, report
from services.money import format_money

# "customers who bought jeans", "who purchased the wool coat", "people who have ordered Northlane": a product bought
BOUGHT = re.compile(
    r"(?:\b(?:who|customers|people|buyers|shoppers|clients|anyone|anybody|everyone|someone|somebody)\b"
    r"(?: (?:has|have|had|already|ever))? (?:bought|purchased|ordered)"
    r"|\b(?:any|some)(?:one|body) (?:ever )?(?:buy|order|purchase))"
    r"\s+(?!(?:the |a )?(?:most|more|less|again|once|twice|anything|something|nothing"
    r"|recently|lately|before|since|in|from|with|last|this|over|under|at|for|just|only|exactly|never|ever|at least"
    r"|multiple|several|many|repeatedly|online|\d))"
    r"(?P<what>[a-z0-9][\w '&-]*?)\s*(?:$|[?.!,]|\b(?:about|featuring|with|in|from|last|this|since|before|after"
    r"|during|between|within"
    r"|over|so far|q[1-4])\b)",
    re.I,
)
SEPARATOR = "|"  # between the names of a list passed as one parameter (no category or brand name holds one)
RECORDED = "SELECT count(sku) AS skus, count(category) AS categories FROM orders"
BUYERS = (
    'SELECT o.customer_id, sum(coalesce(o.quantity, 1)) AS "Units", round(sum(o.amount), 2) AS "Spent", '
    "strftime(max(o.ordered_at), '%Y-%m-%d') AS \"Last bought\", count(*) OVER () AS _customers "
    "FROM orders o LEFT JOIN products p ON p.sku = o.sku "
    "WHERE NOT o.is_return AND o.customer_id IS NOT NULL AND {named}{within} "
    'GROUP BY 1 ORDER BY "Spent" DESC, 1 LIMIT 20'
)


# The products bought, best sellers first, and whether the log names products at all (one row, even when none)
BOUGHT_SKUS = (
    f"SELECT string_agg(sku, '{SEPARATOR}' ORDER BY units DESC, sku) AS _skus, "
    "(SELECT count(sku) FROM orders) AS _recorded FROM ("
    "SELECT o.sku, sum(coalesce(o.quantity, 1)) AS units FROM orders o JOIN products p ON p.sku = o.sku "
    "WHERE NOT o.is_return AND o.customer_id IS NOT NULL AND {named} GROUP BY 1)"
)
COUNTED = re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b", re.I)  # "how many customers bought ...": a figure


def asked(text: str) -> bool:
    return BOUGHT.search(text) is not None and not COUNTED.search(text)


def plan(req: Request) -> Plan | None:
    """Who bought what the request names, from the orders; None when it asks no such thing."""
    if not asked(req.text):
        return None
    named, params, what = _named(bought_named(req))
    if not named:
        return Plan(answer="Which product? E.g. *customers who bought the wool coat*, or a category or brand.")
    if (limit := periods.within(req.text, req.today)) is None:
        return Plan(answer=f"One period at a time, please: e.g. *who bought {what} last month*.")
    within, params, period = limit.sql, params | limit.params, limit.period
    when = f"{period.typed} ({period.span()}; " if period else "at some time in your orders log ("
    when += "returns left out)"
    steps, recorded = products_recorded(req)
    if recorded is None:
        return call("query_data", sql=RECORDED)
    if not (recorded.get("skus") or recorded.get("categories")):
        return Plan(
            answer=f"Your orders log does not record which products each order held, so I cannot tell who bought "
            f"{what}. *Which customers would buy {what}?* ranks them by how well they fit instead."
        )
    if len(steps) == 1:
        return call("query_data", sql=BUYERS.format(named=named, within=within), params=params)
    if not steps[-1].ok:
        return Plan(answer=report(req))
    rows = steps[-1].records()
    if not rows:
        return Plan(answer=f"Nobody with a customer id bought {what} {when}.")
    first, count = rows[0], int(rows[0]["_customers"])
    spent = format_money(first["Spent"], req.vocabulary().currency)
    return Plan(
        answer=f"**{count:,} customer{'s' if count != 1 else ''}** bought {what} {when}; "
        f"the top one, {first['customer_id']}, spent {spent} on it, last on "
        f"{first['Last bought']}. Next: *tell me about the first one*."
    )


def bought_named(req: Request) -> dict:
    """What a request says was bought: a category or brand of the shop, the products just shown ("who bought
    them"), or the words after "bought" as a name ("the wool coat")."""
    wanted = slots.product_filters(req.text, req.vocabulary())
    if {"category", "brand"} & wanted.keys():
        return wanted
    said = re.sub(r"^(?:the|a|an|our|any|some|those|these)\s+", "", BOUGHT.search(req.text)["what"].lower())
    if said in ("them", "it", "those", "these", "those ones", "these ones"):  # the products just shown
        return {"skus": req.memory.skus} if req.memory.skus else {}
    return {"search": slots.singular(said)}


def products_bought(req: Request) -> Plan | list[str] | None:
    """For an email to the customers who bought something ("email everyone who bought the jam making set"): the
    SKUs they bought, best sellers first; a query to find them, or the answer when there are none; None when the
    request names no purchase."""
    if BOUGHT.search(req.text) is None:
        return None
    named, params, what = _named(bought_named(req))
    if not named:
        return Plan(answer="Which product did they buy? E.g. *email everyone who bought the wool coat*.")
    row = one_row(req, BOUGHT_SKUS.format(named=named), params)
    if isinstance(row, Plan):
        return row
    if not row.get("_recorded"):
        return Plan(
            answer=f"Your orders log does not record which products each order held, so I cannot tell who bought "
            f"{what}. Nothing was drafted: draft it for a segment instead."
        )
    if not row.get("_skus"):
        return Plan(answer=f"Nobody with a customer id bought {what} (returns left out), so nothing was drafted.")
    return str(row["_skus"]).split(SEPARATOR)


def products_recorded(req: Request) -> tuple[list[Step], dict | None]:
    """This turn's queries, and what the first of them (`RECORDED`) found the orders log to record: how many lines
    name a product and a category ({} when it failed); None until it has run."""
    steps = [step for step in req.done if step.name == "query_data"]
    if not steps:
        return steps, None
    return steps, (steps[0].records()[0] if steps[0].ok and steps[0].records() else {})


def _named(wanted: dict) -> tuple[str, dict[str, str], str]:
    """The condition on an order line for what was named, its parameters, and the name in words."""
    if wanted.get("category"):
        names = list(wanted["category"])
        condition = f"coalesce(o.category, p.category) IN (SELECT unnest(string_split($names, '{SEPARATOR}')))"
        return condition, {"names": SEPARATOR.join(names)}, " or ".join(names)
    if wanted.get("brand"):
        names = list(wanted["brand"])
        condition = f"p.brand IN (SELECT unnest(string_split($names, '{SEPARATOR}')))"
        return condition, {"names": SEPARATOR.join(names)}, " or ".join(names)
    if skus := wanted.get("skus"):
        condition = f"o.sku IN (SELECT unnest(string_split($names, '{SEPARATOR}')))"
        return condition, {"names": SEPARATOR.join(skus)}, "those products"
    if term := wanted.get("search"):
        return "lower(p.name) LIKE '%' || lower($search) || '%'", {"search": term}, f"“{term}”"
    return "", {}, ""
