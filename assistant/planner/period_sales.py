"""How a period went, from its orders: "how did December go" (revenue, orders, average order value, the customers
who ordered and how many were new) and "which products sold best last month" (ranked by the units sold in it).

The catalogue's own best-seller order counts every order ever; a period's best sellers are counted from the
period's order lines instead (net of its returns, as revenue is), or the answer would silently be all-time.
Vetted SQL fragments only; the period's dates are bound parameters.
"""

# ruff: noqa: S608 - fixed fragments; a category as the data spells it; the dates are bound parameters

from __future__ import annotations

import re
from typing import Any

from assistant.planner import analytics_filters as filters
from assistant.planner import analytics_periods as dated
from assistant.planner import periods
from assistant.planner.memory import Plan, Request, call
from assistant.planner.periods import Period
from assistant.planner.recipes import report
from services.money import format_money

SUMMARY = (
    "SELECT round(sum(o.amount), 2) AS revenue, count(DISTINCT o.order_id) FILTER (WHERE NOT o.is_return) AS orders, "
    f"{dated.BUYERS} AS customers, {dated.NEWCOMERS['new'].sql} AS new_customers, "
    "count(DISTINCT o.order_id) FILTER (WHERE o.is_return) AS returns, count(*) AS _lines "
    f"FROM orders o{dated.FIRST_ORDER} WHERE {periods.where()}"
)
BEST_SELLERS = (
    'SELECT o.sku AS sku, any_value(p.name) AS "Product", any_value(coalesce(p.category, o.category)) AS "Category", '
    "coalesce(sum(o.quantity), count(*) FILTER (WHERE NOT o.is_return) - count(*) FILTER (WHERE o.is_return)) "
    'AS "Units sold", round(sum(o.amount), 2) AS "Revenue", count(*) OVER () AS _products '
    "FROM orders o LEFT JOIN products p ON p.sku = o.sku "
    "WHERE o.sku IS NOT NULL AND {period}{where} GROUP BY o.sku ORDER BY 4 DESC NULLS LAST, 5 DESC, 1 LIMIT {n}"
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


def summary(req: Request, period: Period) -> Plan:
    """Revenue, orders, average order value, customers (how many new) and returns for the period."""
    if outside := dated.no_orders_then(req, period):
        return Plan(answer=outside)
    if not req.done:
        return call("query_data", sql=SUMMARY, params=period.params())
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
    return Plan(
        answer=f"{dated.upper_first(dated.when_words(period))}: revenue **{money(row['revenue'])}** from "
        f"**{orders:,} orders**{average}; **{customers:,} customers** ordered{new}{returns}."
        f"{dated.coverage(req, period)} Next: *revenue by category {period.typed}*, or *best customers "
        f"{period.typed}*."
    )


def best_sellers(req: Request, period: Period, wanted: dict[str, Any]) -> Plan:
    """The products that sold most units in the period (then revenue), in a category when one is named."""
    if outside := dated.no_orders_then(req, period):
        return Plan(answer=outside)
    categories = wanted.get("category") or []
    if not req.done:
        where = f" AND coalesce(p.category, o.category) IN ({', '.join(map(filters.sql_text, categories))})"
        sql = BEST_SELLERS.format(period=periods.where(), where=where if categories else "", n=wanted.get("limit", 10))
        return call("query_data", sql=sql, params=period.params())
    step = req.done[0]
    rows = step.records() if step.ok else []
    if not step.ok:
        return Plan(answer=report(req))
    within = f" in {', '.join(categories)}" if categories else ""
    if not rows and len(req.done) == 1:  # none: is it the period, or does the log not say what was ordered?
        return call("query_data", sql="SELECT count(sku) AS with_products FROM orders")
    if not rows and not req.done[-1].records()[0]["with_products"]:
        return Plan(
            answer="Your orders log does not record which products were ordered, so I cannot tell which sold best "
            f"{dated.when_words(period)}. Import order lines with a product code (SKU) for each line."
        )
    if not rows:
        return Plan(answer=f"No products{within} sold {dated.when_words(period)}: {dated.runs(req)}.")
    best = rows[0]
    name = best["Product"] or best["sku"]
    return Plan(
        answer=f"Best sellers{within} {dated.when_words(period)}, by units sold then (net of returns): **{name}** "
        f"sold {best['Units sold']:,.0f} ({format_money(best['Revenue'], req.vocabulary().currency)}); "
        f"{int(best['_products']):,} products sold in all.{dated.coverage(req, period)} Next: *keep the first "
        "three*, or *which segment fits them*."
    )
