"""How a period went, from its orders: "how did December go" (revenue, orders, average order value, the customers
who ordered and how many were new), and which products sold best or least in a period or a country ("which
products sold best last month", "what didn't sell in France"), ranked by the units sold there.

The catalogue's own best-seller order counts every order ever; a period's or a country's best sellers are counted
from its order lines instead (net of its returns, as revenue is), or the answer would silently be all-time and
everywhere. A country is matched against the ones the orders log records before any query.
Vetted SQL fragments only; the period's dates are bound parameters.
"""

# ruff: noqa: S608 - fixed fragments; a category as the data spells it; the dates are bound parameters

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant.planner import analytics_filters as filters
from assistant.planner import analytics_periods as dated
from assistant.planner import periods
from assistant.planner.analytics_questions import ACTIVE_MEMBERS
from assistant.planner.memory import Plan, Request, call
from assistant.planner.periods import Period
from assistant.planner.recipes import report
from services.money import format_money
from storage.orders import orders_placed

SUMMARY = (
    f"SELECT round(sum(o.amount), 2) AS revenue, {orders_placed()} AS orders, "
    f"{dated.BUYERS} AS customers, {dated.NEWCOMERS['new'].sql} AS new_customers, "
    "count(DISTINCT o.order_id) FILTER (WHERE o.is_return) AS returns, count(*) AS _lines "
    f"FROM orders o{dated.FIRST_ORDER} WHERE "
)
# A period's or a country's products, by the units sold there (net of its returns, as revenue is), then revenue.
# Best sellers: the products sold there; slow sellers: every product, those never sold there first.
RANKED = (
    "WITH sold AS (SELECT o.sku, any_value(o.category) AS category, coalesce(sum(o.quantity), "
    "count(*) FILTER (WHERE NOT o.is_return) - count(*) FILTER (WHERE o.is_return)) AS units, sum(o.amount) AS revenue "
    "FROM orders o WHERE o.sku IS NOT NULL AND {where} GROUP BY o.sku) "
    'SELECT p.sku AS sku, p.name AS "Product", coalesce(p.category, s.category) AS "Category", '
    'coalesce(s.units, 0) AS "Units sold", round(coalesce(s.revenue, 0), 2) AS "Revenue", '
    "count(*) OVER () AS _products, count(s.sku) OVER () AS _sold, "
    "count(*) FILTER (WHERE coalesce(s.units, 0) <= 0) OVER () AS _unsold "
    "FROM products p {join} sold s ON s.sku = p.sku {category}"
    "ORDER BY {first} {direction} NULLS LAST, {then} {direction}, 1 LIMIT {n}"
)

# The products most returned or cancelled (units, then the value given back), in the period or country if named.
# A line that gives nothing back is a stock write-off (UCI's "thrown away", "damaged" at price 0), not a return.
RETURNED = (
    "WITH back AS (SELECT o.sku, coalesce(-sum(o.quantity), count(*)) AS units, -sum(o.amount) AS refunded "
    "FROM orders o WHERE o.is_return AND o.amount < 0 AND o.sku IS NOT NULL AND {where} GROUP BY o.sku) "
    'SELECT p.sku AS sku, p.name AS "Product", p.category AS "Category", b.units AS "Units returned", '
    'round(b.refunded, 2) AS "Value returned", count(*) OVER () AS _products '
    "FROM back b JOIN products p ON p.sku = b.sku ORDER BY 4 DESC NULLS LAST, 5 DESC, 1 LIMIT {n}"
)

# The products sold and never returned nor cancelled, best sellers first, with how many products sold in all
NEVER_RETURNED = (
    "WITH lines AS (SELECT o.* FROM orders o JOIN products p ON p.sku = o.sku WHERE {where}), "
    "kept AS (SELECT sku, sum(quantity) FILTER (WHERE NOT is_return) AS units FROM lines GROUP BY sku "
    "HAVING NOT bool_or(is_return) AND sum(quantity) FILTER (WHERE NOT is_return) > 0) "
    'SELECT p.sku AS sku, p.name AS "Product", p.category AS "Category", k.units AS "Units sold", '
    "count(*) OVER () AS _products, (SELECT count(DISTINCT sku) FROM lines WHERE NOT is_return) AS _sold "
    "FROM kept k JOIN products p ON p.sku = k.sku ORDER BY 4 DESC, 1 LIMIT {n}"
)

# A month named on its own ("how did December go", "how was feb"); not March or May, which are also words.
BARE_MONTH = re.compile(
    r"\b(january|february|april|june|july|august|september|october|november|december"
    r"|jan|feb|apr|jun|jul|aug|sept?|oct|nov|dec)\b",
    re.I,
)


def bare_month(req: Request) -> list[Period]:
    """The month a question names without "in" ("how did December go"), as the periods grammar reads "in December"."""
    month = BARE_MONTH.search(req.text)
    return periods.periods(f"in {month[1]}", req.today) if month else []


def summary(req: Request, period: Period, segment: int | None = None) -> Plan:
    """Revenue, orders, average order value, customers (how many new) and returns for the period, of one segment's
    members when one is named ("how many of group 1 ordered in 2025")."""
    if outside := dated.no_orders_then(req, period):
        return Plan(answer=outside)
    if not req.done:
        where, params = scoped(period, None, segment)
        return call("query_data", sql=SUMMARY + where, params=params)
    step = req.done[-1]
    rows = step.records() if step.ok else []
    if not rows:
        return Plan(answer=report(req))
    row, money = rows[0], lambda v: format_money(v or 0, req.vocabulary().currency)
    if not row["_lines"]:
        return Plan(answer=f"No orders {dated.when_words(period)}: {dated.runs(req)}.")
    orders, customers = int(row["orders"]), int(row["customers"])
    average = f" (average {money(row['revenue'] / orders)})" if orders else ""
    new = "" if dated.log_begins_in(req, period) else f", {int(row['new_customers']):,} of them new"
    returns = f"; {int(row['returns']):,} returns or cancellations" if row["returns"] else ""
    among = f"Segment {segment}'s customers, {dated.when_words(period)}" if segment is not None else ""
    return Plan(
        answer=f"{among or dated.upper_first(dated.when_words(period))}: revenue **{money(row['revenue'])}** from "
        f"**{orders:,} orders**{average}; **{customers:,} customers** ordered{new}{returns}."
        f"{dated.coverage(req, period)} Next: *revenue by category {period.typed}*, or *best customers "
        f"{period.typed}*."
    )


def scope_words(
    period: Period | None, country: str | None, categories: Sequence[str] = (), segment: str | None = None
) -> str:
    """Where and when, as the answer says it: " in Classic Cars in France last month (1–28 Feb 2011)"; a segment as
    " among segment 2 (Big spenders)"."""
    return "".join(
        [
            f" in {', '.join(categories)}" if categories else "",
            f" among {segment}" if segment else "",
            f" in {country}" if country else "",
            f" {dated.when_words(period)}" if period else "",
        ]
    )


# The order lines of one segment's members (of the segmentation in use)
OF_SEGMENT = f"o.customer_id IN (SELECT m.customer_id FROM {ACTIVE_MEMBERS} WHERE m.segment = $segment::INTEGER)"


def scoped(period: Period | None, country: str | None, segment: int | None = None) -> tuple[str, dict[str, str]]:
    """The WHERE on the order lines for a period, a country and a segment, and its bound parameters."""
    where = " AND ".join(
        [
            periods.where() if period else "TRUE",
            "o.country = $country" if country else "TRUE",
            OF_SEGMENT if segment is not None else "TRUE",
        ]
    )
    params = {**(period.params() if period else {}), **({"country": country} if country else {})}
    return where, params | ({"segment": str(segment)} if segment is not None else {})


def by_returns(req: Request, period: Period | None, country: str | None, wanted: dict[str, Any]) -> Plan:
    """From the order lines' returns (the catalogue keeps none): "which products had the most returns", the units
    returned or cancelled per product, most first; or "which are never returned", those sold without a return or
    cancellation, best sellers first."""
    most = wanted["sort"] == "most_returned"
    if period and (outside := dated.no_orders_then(req, period)):
        return Plan(answer=outside)
    if not req.done:
        where, params = scoped(period, country)
        sql = (RETURNED if most else NEVER_RETURNED).format(where=where, n=wanted.get("limit", 10))
        return call("query_data", sql=sql, params=params)
    step = req.done[0]
    if not step.ok:
        return Plan(answer=report(req))
    rows, scope, coverage = step.records(), scope_words(period, country), dated.coverage(req, period)
    if not rows:
        returned_none = f"No product was returned or cancelled{scope}."
        return Plan(answer=(returned_none if most else f"Every product sold{scope} had a return or cancellation.")
                    + coverage)  # fmt: skip
    if most:
        top = rows[0]
        said = (
            f"Most returned or cancelled{scope}: **{top['Product'] or top['sku']}**, "
            f"{top['Units returned']:,.0f} units ({format_money(top['Value returned'], req.vocabulary().currency)} "
            f"back); {int(top['_products']):,} products had returns or cancellations."
        )
    else:
        best = ", ".join(f"**{r['Product'] or r['sku']}** ({r['Units sold']:,.0f} sold)" for r in rows[:3])
        said = (
            f"{int(rows[0]['_products']):,} of the {int(rows[0]['_sold']):,} products sold{scope} had no returns or "
            f"cancellations; the best sellers among them: {best}."
        )
    other = "*show all products*" if most else "*which products had the most returns*"
    return Plan(answer=f"{said}{coverage} Next: *keep the first three*, or {other}.")


# "what does segment 2 buy most", "what do they usually buy": what they bought, not what would suit them
BOUGHT = re.compile(r"\b(?:buy|buys|bought|buying|purchas\w*|order(?:s|ed|ing)?|sells?|sold|sellers?|selling)\b")
WOULD = re.compile(r"\b(?:would|might|could|will|likely|suit\w*|fits?|like|love|want|should|promote|pitch|push)\b")


# "average order value of segment 4", "how many orders did group 2 place": a figure of theirs, not what they buy
FIGURE = re.compile(
    r"\b(?:average|avg|mean|median|total|revenue|value|aov|how (?:many|much)|spen[dt]|spending|per|rate|count"
    r"|number of)\b"
)


def asks_bought(text: str) -> bool:
    return bool(BOUGHT.search(text)) and not WOULD.search(text) and not FIGURE.search(text)


def bought_by(req: Request, segment: int) -> Plan | None:
    """A segment's best sellers, from its members' order lines, when the request asks what they buy and the orders
    log names products; else None (the products that suit them, said to be that, are the answer then)."""
    if not asks_bought(req.lower) or not req.vocabulary().products_ordered:
        return None
    if any(step.name != "query_data" for step in req.done):
        return None
    return ranked(req, None, None, {"sort": "best_selling"}, segment=segment)


def ranked(
    req: Request, period: Period | None, country: str | None, wanted: dict[str, Any], segment: int | None = None
) -> Plan:
    """The products that sold most units in the period, country or segment (then revenue), or least ("what didn't
    sell in France"), in a category when one is named. `country` is as the orders log spells it."""
    if period and (outside := dated.no_orders_then(req, period)):
        return Plan(answer=outside)
    categories, slow = wanted.get("category") or [], wanted.get("sort") == "slow_selling"
    by_revenue = wanted.get("sort") == "top_revenue"
    if not req.done:
        where, params = scoped(period, country, segment)
        chosen = f"WHERE coalesce(p.category, s.category) IN ({', '.join(map(filters.sql_text, categories))}) "
        sql = RANKED.format(
            where=where,
            join="LEFT JOIN" if slow else "JOIN",
            category=chosen if categories else "",
            direction="ASC" if slow else "DESC",
            first=5 if by_revenue else 4,  # revenue, or units sold
            then=4 if by_revenue else 5,
            n=wanted.get("limit", 10),
        )
        return call("query_data", sql=sql, params=params)
    step = req.done[0]
    rows = step.records() if step.ok else []
    if not step.ok:
        return Plan(answer=report(req))
    named = req.segment_names.get(segment) if segment is not None else None
    who = f"segment {segment}" + (f" ({named})" if named else "") if segment is not None else None
    scope = scope_words(period, country, categories, who)
    sold = int(rows[0]["_sold"]) if rows else 0
    if not sold and len(req.done) == 1:  # none: is it the period, or does the log not say what was ordered?
        return call("query_data", sql="SELECT count(sku) AS with_products FROM orders")
    if not sold and not req.done[-1].records()[0]["with_products"]:
        return Plan(
            answer="Your orders log does not record which products were ordered, so I cannot tell which sold "
            f"{'least' if slow else 'best'}{scope}. Import order lines with a product code (SKU) for each line."
        )
    if not sold:
        runs = f": {dated.runs(req)}" if period and not country else ""  # the orders' dates say why, not a country's
        return Plan(answer=f"No products sold{scope}{runs}.")
    return Plan(
        answer=slowest(req, rows, scope, period)
        if slow
        else best(req, rows, scope, period, by_revenue, segment is not None)
    )


def best(
    req: Request, rows: list[dict[str, Any]], scope: str, period: Period | None, by_revenue: bool, to_them: bool
) -> str:
    top, when = rows[0], "then" if period else "to them" if to_them else "there"
    money = format_money(top["Revenue"], req.vocabulary().currency)
    product, units = top["Product"] or top["sku"], f"{top['Units sold']:,.0f}"
    lead = (
        f"Most revenue{scope} (net of returns): **{product}** took {money} ({units} sold)"
        if by_revenue
        else f"Best sellers{scope}, by units sold {when} (net of returns): **{product}** sold {units} ({money})"
    )
    return (
        f"{lead}; {int(top['_sold']):,} products sold in all."
        f"{dated.coverage(req, period)} Next: *keep the first three*, or *which segment fits them*."
    )


def slowest(req: Request, rows: list[dict[str, Any]], scope: str, period: Period | None) -> str:
    unsold = int(rows[0]["_unsold"])  # none there, or every one returned
    names = ", ".join(f"**{r['Product'] or r['sku']}**" for r in rows[:3])
    if unsold:
        lead = f"{unsold:,} of your {int(rows[0]['_products']):,} products sold nothing; the first: {names}."
    else:
        lead = f"every product sold some; the fewest units: {names} ({rows[0]['Units sold']:,.0f} for the first)."
    return (
        f"Slowest sellers{scope}, by units sold (net of returns): {lead}{dated.coverage(req, period)} "
        "Next: *keep the first three*, or *show all products*."
    )
