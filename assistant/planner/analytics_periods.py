"""Analytic figures for a period ("how much did we sell last year", "orders in March 2011", "AOV this year vs
last year"): which figures a period can cut, the answer's dates, and two periods side by side.

A period is a WHERE on each order's date, so it applies to the figures the orders make: revenue (net of
returns and cancellations, dated on their own day, as the totals count them), orders, returns and
cancellations and their rate, and, from the orders of the period, the average order value, the customers
who ordered and their spend and orders. Figures about each customer's whole history (days since the last
purchase, repeat buyers, lifetime value) and about the catalogue as it is (price, margin, stock) have no
value for a period: those are refused with the reason rather than answered for all time.
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.planner import analytics_filters as filters
from assistant.planner import periods
from assistant.planner.analytics import (
    FROM_ORDERS,
    Figure,
    Question,
    aggregate_for,
    formatted,
)
from assistant.planner.memory import Plan, Request, call
from assistant.planner.periods import Period, day
from assistant.planner.recipes import report

BUYERS = "count(DISTINCT o.customer_id) FILTER (WHERE NOT o.is_return)"  # customers who ordered in the period
PER_BUYER = "nullif(" + BUYERS + ", 0)"
BUYERS_ORDERS = "count(DISTINCT o.order_id) FILTER (WHERE NOT o.is_return AND o.customer_id IS NOT NULL)"
PERIOD_FIGURES = {  # a customers' figure -> the same figure from the period's orders
    "order value": FROM_ORDERS["order value"],
    "spend": Figure(
        "", "orders", f"sum(o.amount) FILTER (WHERE o.customer_id IS NOT NULL) / {PER_BUYER}",
        "spend per customer who ordered", "avg", money=True, whole=True,
    ),
    "orders per customer": Figure(
        "", "orders", f"{BUYERS_ORDERS} / {PER_BUYER}",
        "orders per customer who ordered", "avg", whole=True,
    ),
    "customers": Figure("", "orders", BUYERS, "customers who ordered", "count", whole=True),
}  # fmt: skip
NEW = re.compile(r"\b(?:new|first[- ]time|newly acquired)\s+(?:customers?|shoppers?|buyers?|clients?)\b", re.I)
LIFETIME = re.compile(r"\b(?:lifetime|clv|ltv|all[- ]time|ever)\b", re.I)
# A period as typed that reads after "No orders" as it is ("last year", "in 2011"); else "in " goes before it.
SAYS_WHEN = re.compile(
    r"(?:in|during|for|over|between|since|from|throughout|within|across|of|last|this|the|past|previous|prior"
    r"|current|yesterday|today|year|month|quarter|ytd|mtd|qtd)\b",
    re.I,
)
FOR_A_PERIOD = (
    "For a period I can give revenue, orders, average order value, returns and cancellations, and the customers "
    "who ordered, their spend and orders, in total or by segment, country, category or month."
)


def asked(req: Request) -> list[Period]:
    """The period or two periods the question names, leaving out a span that says how recently customers bought
    ("customers who haven't ordered in 6 months": a filter on the customers, applied as it is)."""
    text = req.text
    if match := filters.LAPSED.search(req.lower) or filters.RECENT.search(req.lower):
        text = text[: match.start()] + text[match.end() :]
    return periods.periods(text, req.today)


def limited(req: Request, question: Question) -> Question | Plan:
    """The question limited to the period it names; itself when it names none; or the answer (see `cut`)."""
    named = asked(req)
    if not named and (span := filters.period(req.text)):  # a span the grammar does not know ("over Christmas")
        return Plan(answer=filters.period_refused(span, question.label))
    return cut(req, question, named) if named else question


def ranking_refused(req: Request) -> str | None:
    """The best customers are ranked by all they have spent: for a period, refused rather than given for all time."""
    named = asked(req)
    if not named:
        return None
    return (
        f"I rank customers by everything they have spent, so I cannot rank them for a period (“{named[0].typed}”) "
        f"yet. I can give how many customers ordered {named[0].typed} and their spend: ask *how many customers "
        f"ordered {named[0].typed}* or *average spend per customer {named[0].typed}*."
    )


def bound(question: Question) -> dict[str, dict[str, str]]:
    """The query's parameters: the period's dates, when it has one."""
    return {"params": question.period.params()} if question.period else {}


def cut(req: Request, question: Question, named: list[Period]) -> Question | Plan:
    """The question for the (first) period named, or the answer itself: a refusal with the reason, two periods
    side by side, or "no orders then" when the period lies outside the orders."""
    period = named[0]
    if question.when is not None:
        return Plan(
            answer="I can count customers by when they last bought, or give a figure for a period, but not both "
            f"at once. Ask *{question.label.lower()}* or ask for a figure {period.typed}."
        )
    figure = for_period(question, period, req.lower)
    if isinstance(figure, str):
        return Plan(answer=figure)
    dated = replace(question, figure=figure, aggregate=aggregate_for(figure, question.aggregate), period=period)
    if len(named) > 1:
        return compare(req, dated, named[0], named[1])
    if outside := no_orders_then(req, period):
        return Plan(answer=outside)
    return dated


def for_period(question: Question, period: Period, text: str) -> Figure | str:
    """The figure the period's orders give, or why there is none."""
    figure, label = question.figure, question.label
    if figure.level == "orders":
        return figure
    if figure.level == "products":
        return (
            f"{label} describes your catalogue as it is today, not orders over time, so I cannot limit it to a "
            f"period (“{period.typed}”). {FOR_A_PERIOD}"
        )
    if figure.label == "customers" and NEW.search(text):
        return (
            f"I cannot tell new customers from returning ones for a period (“{period.typed}”) yet. I can count the "
            "customers who ordered in it: ask *how many customers ordered " + f"{period.typed}*."
        )
    if LIFETIME.search(text) or figure.label not in PERIOD_FIGURES:
        return (
            f"{label} is about each customer's whole history, so I cannot cut it to a period (“{period.typed}”) "
            f"without it being a different figure. {FOR_A_PERIOD}"
        )
    return PERIOD_FIGURES[figure.label]


def when_words(period: Period) -> str:
    """The period as the answer names it: "last year (1 Jan–31 Dec 2025)", "in March 2011 (1–31 Mar 2011)"."""
    typed = period.typed.removesuffix("'s")
    if not SAYS_WHEN.match(typed):
        typed = f"in {typed}"  # "2011", "Q4", "March 2011"
    return f"{typed} ({period.span()})"


def runs(req: Request) -> str:
    span = req.vocabulary().orders_span
    if span is None:
        return "there are no orders yet (attach your orders log and say it is orders)"
    return f"your orders run from {day(span[0])} to {day(span[1])}"


def no_orders_then(req: Request, period: Period) -> str | None:
    """ "No orders last year (…): your orders run from … to …", when the period lies outside them, before any query."""
    span = req.vocabulary().orders_span
    if span is not None and period.start <= span[1] and period.last >= span[0]:
        return None
    return f"No orders {when_words(period)}: {runs(req)}."


def no_orders(req: Request, question: Question) -> str | None:
    """The same, read from the query's result: the period overlaps the orders but holds none of them."""
    step = req.done[-1]
    if not step.ok or question.period is None:
        return None
    rows = step.records()
    if rows and (question.group is not None or rows[0].get("_lines")):
        return None
    return f"No orders {when_words(question.period)}: {runs(req)}."


def coverage(req: Request, period: Period | None) -> str:
    """A note when the orders cover only part of the period."""
    span = req.vocabulary().orders_span if period else None
    if period is None or span is None or (period.start >= span[0] and period.last <= span[1]):
        return ""
    return f" Your orders run from {day(span[0])} to {day(span[1])}, so that is only part of {period.span()}."


def compare(req: Request, question: Question, first: Period, second: Period) -> Plan:
    """One figure for two periods side by side, with the change; a breakdown by two periods is not made."""
    place = filters.place(req.text, filters.shop_words(req))
    if question.group is not None or place:
        by = f"by {question.group.label}" if question.group else f"in {place}"
        return Plan(
            answer=f"I can set two periods side by side for one figure over all your orders, not {by} yet. Ask "
            f"for each period on its own, e.g. *{question.label.lower()} {by} {first.typed}*, then "
            f"*… {second.typed}*."
        )
    if not req.done:
        sides = [replace(question, period=first), replace(question, period=second)]
        sql = " UNION ALL ".join(  # vetted templates; the dates and spans are bound parameters
            f'SELECT ${name}_span AS "Period", *, {n} AS _n FROM ({side.sql(name)})'  # noqa: S608
            for n, (name, side) in enumerate(zip(("period", "compare"), sides, strict=True), start=1)
        )
        params = {**first.params("period"), **second.params("compare")}
        params |= {"period_span": first.span(), "compare_span": second.span()}
        return call("query_data", sql=f"{sql} ORDER BY _n", params=params)  # vetted templates, dates bound
    step = req.done[-1]
    if not step.ok:
        return Plan(answer=report(req))
    rows = step.records()
    if len(rows) != 2:
        return Plan(answer=report(req))
    return Plan(answer=side_by_side(req, question, (first, rows[0]), (second, rows[1])))


def side_by_side(req: Request, question: Question, *sides: tuple[Period, dict]) -> str:
    label, currency = question.label, req.vocabulary().currency
    said = []
    for period, row in sides:
        value = formatted(question, row[label], currency) if row.get("_lines") else "no orders"
        said.append(f"{period.span()} ({period.typed}): **{value}**")
    (first, a), (second, b) = sides
    answer = f"{label}, {said[0]}; {said[1]}."
    if a.get("_lines") and b.get("_lines") and a[label] is not None and b[label] is not None:
        answer += f" {change(question, float(a[label]), float(b[label]), currency)}"
    if first.to_date(req.today) and not second.to_date(req.today):
        answer += f" {first.span()} runs to today, so it is not over yet."
    if not a.get("_lines") or not b.get("_lines") or coverage(req, first) or coverage(req, second):
        answer += f" Note: {runs(req)}."
    return answer


def change(question: Question, now: float, before: float, currency: str) -> str:
    """The change from the second period to the first, in words: "Up 12% (£1,234 more)."."""
    if now == before:
        return "No change."
    way = "Up" if now > before else "Down"
    if question.figure.percent:
        return f"{way} {abs(now - before) * 100:.1f} percentage points."
    amount = formatted(question, abs(now - before), currency)
    counted = question.aggregate == "count" or question.figure.counted
    more = "more" if now > before else "fewer" if counted else "less"
    share = f" {abs(now - before) / abs(before):.0%}" if before else ""
    return f"{way}{share} ({amount} {more})."
