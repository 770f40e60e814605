"""Analytic figures for a period ("how much did we sell last year", "orders in March 2011", "AOV this year vs
last year"): which figures a period can cut, the answer's dates, two periods side by side, and new versus
returning customers.

A period is a WHERE on each order's date, so it applies to the figures the orders make: revenue (net of
returns and cancellations, dated on their own day, as the totals count them), orders, returns and
cancellations and their rate, and, from the orders of the period, the average order value, the customers
who ordered and their spend and orders. Figures about each customer's whole history (days since the last
purchase, repeat buyers, lifetime value) and about the catalogue as it is (price, margin, stock) have no
value for a period: those are refused with the reason rather than answered for all time.

A new customer in a period (or a month of a breakdown) is one whose first order in the log falls in it: the
order line that is their first is among the period's. A period that starts before the log does cannot tell
new customers from those who bought before the log began, so it is refused.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

from assistant.planner import analytics_filters as filters
from assistant.planner import periods
from assistant.planner.analytics_figures import FROM_ORDERS, REVENUE, Figure
from assistant.planner.analytics_questions import OVER_TIME, SHARE, Question, aggregate_for, formatted, understand
from assistant.planner.lapsed_since import NOT_ORDERED
from assistant.planner.memory import Plan, Request, call
from assistant.planner.periods import Period, day
from assistant.planner.recipes import report
from storage.orders import customers_who_bought, not_cancelled, orders_placed

# customers who ordered in the period (an order they cancelled was no order)
BUYERS = customers_who_bought()
PER_BUYER = "nullif(" + BUYERS + ", 0)"
BUYERS_ORDERS = orders_placed(also=" AND o.customer_id IS NOT NULL")
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
NEW = re.compile(
    r"\b(?:new|first[- ]time|newly acquired)\s+(?:customers?|shoppers?|buyers?|clients?)\b|\bacquired\b|\bacquisition",
    re.I,
)
RETURNING = re.compile(
    r"\b(?:returning|existing)\s+(?:customers?|shoppers?|buyers?|clients?)\b|\bcame back\b|\bcome back\b", re.I
)
PAIR = r"(?:\s+(?:customers|shoppers|buyers|clients))?\s+(?:vs\.?|versus|and|or|against|compared (?:to|with))\s+"
BOTH = re.compile(
    rf"\b(?:new|first[- ]time){PAIR}(?:returning|existing|repeat)\b|\b(?:returning|existing|repeat){PAIR}new\b", re.I
)
SOLD = f"NOT is_return AND {not_cancelled()}"
FIRST_ORDER = (
    f" LEFT JOIN (SELECT customer_id, min(ordered_at) AS first_at FROM orders WHERE {SOLD}"  # noqa: S608 - constant
    " AND customer_id IS NOT NULL GROUP BY 1) f ON f.customer_id = o.customer_id"
)
IS_FIRST = f"NOT o.is_return AND {not_cancelled('o.')} AND o.ordered_at = f.first_at"
NEWCOMERS = {
    "new": Figure(
        "", "orders", f"count(DISTINCT o.customer_id) FILTER (WHERE {IS_FIRST})", "new customers", "count",
        counted=True, whole=True, joins=FIRST_ORDER,
    ),
    "returning": Figure(
        "", "orders", f"{BUYERS} - count(DISTINCT o.customer_id) FILTER (WHERE {IS_FIRST})",
        "returning customers", "count", counted=True, whole=True, joins=FIRST_ORDER,
    ),
}  # fmt: skip
LIFETIME = re.compile(r"\b(?:lifetime|clv|ltv|all[- ]time|ever)\b", re.I)
# A period as typed that reads after "No orders" as it is ("last year", "in 2011"); else "in " goes before it.
SAYS_WHEN = re.compile(
    r"(?:in|during|for|over|between|since|from|throughout|within|across|of|last|this|the|past|previous|prior"
    r"|current|yesterday|today|year|month|quarter|ytd|mtd|qtd)\b",
    re.I,
)
FOR_A_PERIOD = (
    "For a period I can give revenue, orders, average order value, returns and cancellations, the customers "
    "who ordered (new and returning), their spend and orders, in total or by segment, country, category, year, "
    "quarter, month, week, day, day of the week or hour."
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
    if both := BOTH.search(req.text):  # "new vs returning customers last month": the "vs" compares no periods
        return new_and_returning(req, periods.periods(req.text[: both.start()] + req.text[both.end() :], req.today))
    newness = newcomers(req, question, named)
    if isinstance(newness, Plan):
        return newness
    question = newness or question
    if named and question.figure.level == "customers" and not question.figure.counted and NOT_ORDERED.search(req.text):
        first = named[0]  # "how many customers haven't ordered in 2005": not those who did, silently
        return Plan(
            answer=f"I can count the customers who ordered {when_words(first)} or, for those who have not, the "
            f"customers whose last order was before a day: *who hasn't bought since {day(first.start)}*."
        )
    return cut(req, question, named) if named else question


def new_and_returning(req: Request, named: list[Period]) -> Plan:
    """New and returning customers side by side, for one period: how many of those who ordered were new."""
    if not named:
        return Plan(answer="Ask for new and returning customers in a period, e.g. *new vs returning customers "
                    "last month*.")  # fmt: skip
    if outside := no_orders_then(req, named[0]):
        return Plan(answer=outside)
    if first := log_begins_in(req, named[0]):
        return Plan(answer=cannot_tell(first, "new customers from returning ones", named[0], "a later period."))
    if not req.done:
        sides = ", ".join(f'{figure.sql} AS "{figure.label}"' for figure in NEWCOMERS.values())
        sql = f"SELECT {sides} FROM orders o{FIRST_ORDER} WHERE {periods.where()}"  # noqa: S608 - vetted fragments
        return call("query_data", sql=sql, params=named[0].params())
    step = req.done[-1]
    if not step.ok or not step.records():
        return Plan(answer=report(req))
    row = step.records()[0]
    new, returning = int(row["new customers"] or 0), int(row["returning customers"] or 0)
    share = f" ({new / (new + returning):.0%} new)" if new + returning else ""
    return Plan(
        answer=f"{upper_first(when_words(named[0]))}: **{new:,} new** and **{returning:,} returning** customers "
        f"ordered{share}. {new_means(req)}." + coverage(req, named[0])
    )


def newcomers(req: Request, question: Question, named: list[Period]) -> Question | Plan | None:
    """New or returning customers, for a period or per month; None when the question is not about them."""
    kind = "new" if NEW.search(req.lower) else "returning" if RETURNING.search(req.lower) else None
    if kind is None or question.figure.label not in ("customers", "repeat customers"):
        return None
    over_time = question.group is not None and question.group.label in OVER_TIME
    if not named and not over_time:
        if kind == "returning":  # "how many returning customers do we have": those who ever came back
            if question.figure.label == "repeat customers":
                return None
            share = "what share of customers are repeat customers" if SHARE.search(req.lower) else ""
            return understand(share or "how many repeat customers")
        return Plan(
            answer="Every customer was new once: ask for a period, e.g. *how many new customers last month*, or "
            "*new customers per month*."
        )
    if question.group is not None and "orders" not in question.group.sql:
        return Plan(answer=f"I can count {kind} customers by segment, country, category or a span of time, not by "
                    f"{question.group.label}.")  # fmt: skip
    if named and (first := log_begins_in(req, named[0])):
        later = "a later period, or for *new customers per month*."
        return Plan(answer=cannot_tell(first, f"{kind} customers", named[0], later))
    return replace(question, figure=NEWCOMERS[kind], aggregate="count")


def log_begins_in(req: Request, period: Period) -> date | None:
    """The orders log's first day, when the period reaches back to it; None when it starts after it (or there is
    no log). Who was new in such a period cannot be told."""
    span = req.vocabulary().orders_span
    return span[0] if span and period.start <= span[0] <= period.last else None


def cannot_tell(first: date, what: str, period: Period, instead: str) -> str:
    return (
        f"Your orders log starts on {day(first)}, so I cannot tell {what} {when_words(period)}: anyone who bought "
        f"before the log begins would look new. Ask for {instead}"
    )


def new_means(req: Request) -> str:
    """What "new" counts from, for the answer (there are orders whenever a new-customer figure is answered)."""
    span = req.vocabulary().orders_span
    return f"New means their first order in your orders log, which starts on {day(span[0])}" if span else ""


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
        later, earlier = named[0], named[1]
        if later.start < earlier.start and not earlier.typed.startswith(periods.SAME_DAYS):
            later, earlier = earlier, later  # "compare 2003 and 2004": the change is from the earlier to the later
        return compare(req, dated, *like_for_like(req, later, earlier))
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
    if LIFETIME.search(text) or figure.label not in PERIOD_FIGURES:
        return (
            f"{label} is about each customer's whole history, so I cannot cut it to a period (“{period.typed}”) "
            f"without it being a different figure. {FOR_A_PERIOD}"
        )
    if figure.label == "spend" and question.aggregate == "sum":  # "how much did Germany spend in December"
        return REVENUE
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


def notes(req: Request, question: Question) -> str:
    """What the answer must say beside the figure: the part of the period the orders cover, what "new" means."""
    said = coverage(req, question.period)
    if question.figure in NEWCOMERS.values() and (means := new_means(req)):
        said += f" {means}"
        over_time = question.group is not None and question.group.label in OVER_TIME
        said += f", so its first {question.group.label} counts everyone as new." if over_time else "."
    return said


def coverage(req: Request, period: Period | None) -> str:
    """A note when the orders cover only part of the period."""
    span = req.vocabulary().orders_span if period else None
    if period is None or span is None or (period.start >= span[0] and period.last <= span[1]):
        return ""
    return f" Your orders run from {day(span[0])} to {day(span[1])}, so that is only part of {period.span()}."


PARTLY = 0.1  # a period whose days the orders miss more than this share of: no rise or fall is told


def uncovered(req: Request, period: Period) -> float:
    """The share of the period's days outside the orders' first and last day (a log that starts on 9 January
    misses 2% of its first year; one that stops on 14 February, half of that month)."""
    span = req.vocabulary().orders_span
    if span is None:
        return 1.0
    inside = (min(period.last, span[1]) - max(period.start, span[0])).days + 1
    return 1 - max(inside, 0) / ((period.last - period.start).days + 1)


def like_for_like(req: Request, first: Period, second: Period) -> tuple[Period, Period]:
    """This year so far against the same days of last year, both cut to the day of the last order when the
    orders end before today: a log exported last week would otherwise make this year look down."""
    span = req.vocabulary().orders_span
    if not second.typed.startswith(periods.SAME_DAYS) or span is None or not first.start <= span[1] < first.last:
        return first, second
    stop, cut = span[1] + timedelta(days=1), f", to the last order on {day(span[1])}"  # said in the answer
    return replace(first, stop=stop, typed=first.typed + cut), replace(second, stop=second.start + (stop - first.start))


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
    partial = [period for period in (first, second) if uncovered(req, period) > PARTLY]
    if a.get("_lines") and b.get("_lines") and a[label] is not None and b[label] is not None:
        # a period the orders cover only in part would make any change look like a rise or a fall
        answer += (
            f" I cannot say how it changed: your orders cover only part of {partial[0].span()}."
            if partial
            else f" {change(question, float(a[label]), float(b[label]), currency)}"
        )
    if first.to_date(req.today) and not second.to_date(req.today) and not second.typed.startswith(periods.SAME_DAYS):
        answer += (
            f" {first.span()} runs to today, so it is not over yet: *has it grown {first.typed}* sets it against "
            f"{periods.SAME_DAYS} {second.typed}."
        )
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


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]  # not str.capitalize, which would lower "Feb"
