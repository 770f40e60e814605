"""Analytic questions no fixed tool answers ("average order value per segment", "revenue by country last month"),
answered from a SELECT built from vetted templates (`analytics_questions.py`). The query still runs through the
read-only sandbox (query_data), like any other query.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

from assistant.planner import analytics_filters as filters
from assistant.planner import biggest_orders, guards, in_both, lapsed_since, periods, product_sales, send_time, slots
from assistant.planner.analytics_figures import FROM_ORDERS, NET_OF_RETURNS, Figure
from assistant.planner.analytics_questions import (
    GROUPS,
    OVER_TIME,
    Group,
    Question,
    aggregate_for,
    formatted,
    from_orders,
    understand,
)
from assistant.planner.memory import Plan, Request, call
from assistant.planner.periods import day
from assistant.planner.recipes import RECIPES, recipe, report
from assistant.planner.vocabulary import Vocabulary
from storage.orders import customers_who_bought

FUTURE = re.compile(r"\b(?:will|going to|gonna|forecast\w*|predict\w*|expect\w*|likely|project\w*)\b.*"
                    r"\bnext (?:week|month|quarter|year|\d+ (?:days|weeks|months))\b"
                    r"|^\W*(?:forecast|predict|project)\b")  # fmt: skip
MIDNIGHT = "00:00"  # every order at this hour: a log of dates without times
WHO = re.compile(r"\W*who(?:'s| is| are| were| was| did| has| have)?\b(?! (?:segment|group|categor|countr))")


@recipe("analytics")
def analytics(req: Request) -> Plan:
    if attribute := filters.unknown_attribute(req.text, filters.shop_words(req)):
        return Plan(answer=filters.unknown_refused(attribute))
    if lapsed := lapsed_since.plan(req):  # "who hasn't bought since December": not a figure of those who did
        return lapsed
    if (both := in_both.plan(req)) is not None:  # "how many bought in both December and February"
        return both
    if send_time.asked(req):  # "when do our customers shop": the busiest day of the week and hour
        return send_time.plan(req)
    if FUTURE.search(req.lower):  # "how much will segment 2 spend next quarter": not a figure of the past
        return RECIPES["predict"](req)
    if (biggest := biggest_orders.plan(req)) is not None:  # "our biggest single order": orders ranked by their total
        return biggest
    if (sold := product_sales.plan(req)) is not None:  # "sales of hot water bottles": that product's, not the shop's
        return sold
    from assistant.planner import analytics_one as one  # "in the UK", "from motorcycles": one row of a breakdown

    question = one.understood(req)  # "revenue from the big spenders" asks no spend
    if WHO.match(req.lower) and (question is None or question.group is None):  # "who bought the most last month"
        return RECIPES["best_customers"](req)
    from assistant.planner import period_sales  # it builds on this module's questions, as analytics_periods does

    named = periods.periods(req.text, req.today)
    sort = slots.sort_asked(req.text)  # "which products sold best in January", "what got returned the most"
    if (
        (
            (named and sort == "best_selling")
            or sort == "top_revenue"
            or (sort in slots.FROM_RETURNS and not WHO.match(req.lower) and not guards.PEOPLE.search(req.text))
        )
        and not returns_figure(req, question)
        and not (question is not None and question.group is not None)
    ):
        return RECIPES["products"](req)  # not "which product line sold best in 2004": the lines, ranked
    if question is None and len(named) > 1:  # "how did 2004 compare to 2003": the revenue of each, side by side
        question = understand("revenue")
    countries = req.vocabulary().countries
    if question is None and countries and filters.place(req.text, filters.shop_words(req), countries):
        question = understand("revenue")  # "how much did France buy in 2004": France's, not the whole shop's
    if question is None and (named := named or period_sales.bare_month(req)):  # "how did December go"
        asked = one.segments_asked(req)  # "how many of group 1 ordered in 2025": that segment's
        if not asked and (whom := OF_WHOM.match(req.lower)):  # "how many of the big spenders ...": never everyone's
            return Plan(
                answer=f"Which segment do you mean by “{whom['who']}”? Say it by number or by its name (*list the "
                "segments* shows them), e.g. *how many of group 2 ordered last year*."
            )
        return period_sales.summary(req, named[0], asked[0] if len(asked) == 1 else None)
    if question is None:
        return Plan(
            answer="I can answer questions like *average order value per segment*, *revenue by category*, "
            "*orders per month* or *how many customers per style*. Which figure, and grouped by what?"
        )
    from assistant.planner import analytics_periods as dated  # it builds on this module's questions

    question = from_the_log(question, req.vocabulary(), req.lower)
    question = dated.limited(req, question)  # to the period the question names, if any
    if isinstance(question, Plan):  # refused, two periods compared, or no orders then
        return question
    picked = one.picked(req, question)
    if isinstance(picked, Plan):
        return picked
    question, named_row = picked
    ids, listed = filters.listed_ids(req, pronoun=True) if question.figure.level != "products" else ("", {})
    if ids:  # "how much did they spend" under a list of customers: theirs, not the whole shop's
        question = replace(question, listed=(ids, f" of those {filters.how_many_listed(req):,} customers"))
    elif question.figure.level != "products" and (company := req.vocabulary().customer_said(req.text)):
        question = replace(question, listed=(f"({filters.sql_text(company[0])})", f" for {company[0]}"))  # theirs
    problem = unsupported(question, req.vocabulary())
    if problem:
        return Plan(answer=problem)
    if not req.done:
        params = dated.bound(question).get("params", {}) | listed
        return call("query_data", sql=question.sql(), **({"params": params} if params else {}))
    if empty := dated.no_orders(req, question):
        return Plan(answer=empty)
    answer = one.describe(req, question, named_row) if named_row else describe(req, question)
    if question.figure.label == "revenue" and NET_OF_RETURNS.search(req.lower):  # "revenue excluding returns"
        answer += " Revenue here is net: returns and cancellations are already taken off."
    return Plan(answer=answer + dated.notes(req, question))


# "how many of the big spenders bought something last year": some customers, named by words no segment's name has
OF_WHOM = re.compile(
    r"\W*how many of (?P<who>(?:the|our|my) (?!customers\b|clients\b|people\b|shoppers\b|buyers\b)[a-z][a-z' -]*?)"
    r"\s+(?:have |has )?(?:ordered|bought|purchased|shopped|spent|placed|came|come|are|were)\b"
)


def returns_figure(req: Request, question: Question | None) -> bool:
    """Whether returns are asked as a figure, not which products came back: per a group that is no product's
    ("which country has the most returns"), or counted ("how many returns did we have")."""
    returns = question is not None and question.figure.label.endswith("returns and cancellations")
    if not returns or PRODUCTS.search(req.lower):
        return False
    return question.group is not None or re.match(r"\W*(?:how many|number of)\b", req.lower) is not None


# "what got returned the most": products; "which product line gets cancelled most" is the lines'
PRODUCTS = re.compile(r"\b(?:products?|items?|skus?|goods|what)\b(?! lines?\b)|(?<!product )\blines\b")


def from_the_log(question: Question, vocabulary: Vocabulary, text: str) -> Question:
    """The shop's average order value from its orders log, when it has one: every order (one with no customer too),
    net of returns; and "how many people bought something": those with an order in it. The customers' own figures
    may come from a customer export (Shopify's "Total Spent" and "Total Orders" for people with no order line in the
    log), which is no average of the orders the log holds, and a customer record is no purchase."""
    if question.group is not None or question.when is not None or vocabulary.orders_span is None:
        return question
    if question.figure.label == "order value":
        return replace(question, figure=FROM_ORDERS["order value"], aggregate="avg")
    if question.figure.label == "customers" and BOUGHT_SOMETHING.search(text):
        return replace(question, figure=BUYERS, aggregate="count")
    return question


# "how many different people bought something", "how many customers have ordered": those with an order
BOUGHT_SOMETHING = re.compile(
    r"^(?!.*(?:\b(?:never|not|no|havent|hasnt|didnt|dont|doesnt)\b|n't))"
    r".*\b(?:bought|ordered|purchased|shopped|placed (?:an? )?orders?|made (?:a )?purchases?)\b"
)


BUYERS = Figure("", "orders", customers_who_bought(), "customers who ordered", "count", whole=True)


def grouped(question: Question, group: Group) -> Question:
    """The question broken down by `group`; a customers' figure only the orders have per group comes from them."""
    figure = from_orders(question.figure, group, question.aggregate) or question.figure
    return replace(question, figure=figure, aggregate=aggregate_for(figure, question.aggregate), group=group)


def unsupported(question: Question, vocabulary: Vocabulary) -> str | None:
    group = question.group
    if group is None:
        return None
    if question.figure.level not in group.sql:
        levels = ", ".join(g.label for g in GROUPS if question.figure.level in g.sql)
        return f"I can break {question.figure.label} down by {levels}, but not by {group.label}."
    if group.column and not vocabulary.has_column(*group.column):
        others = ", ".join(g.label for g in GROUPS if question.figure.level in g.sql and not g.column)
        return (
            f"Your {group.column[0]} data has no {group.column[1]}, so I cannot group by it. "
            f"I can group {question.figure.label} by {others}."
        )
    return None


def describe(req: Request, question: Question) -> str:
    """The answer sentence: the figure, and for a breakdown the highest and lowest group."""
    step = req.done[-1]
    if not step.ok:
        return report(req)
    rows = step.records()
    label = question.label

    def value(v: float | None) -> str:
        return formatted(question, v, req.vocabulary().currency)

    unknown = question.group is None and (not rows or rows[0][label] is None)
    if unknown and question.figure.level == "orders" and req.vocabulary().orders_span is None:
        return f"There are no orders in your data, so I cannot tell {label.lower()}. Attach your orders log."
    if unknown and question.figure.needs and req.vocabulary().orders_span is not None:
        return f"Your orders log does not record {question.figure.needs}, so I cannot tell {label.lower()}."
    if question.group is None:
        whole, words = rows[0].get("_part_of") if rows else None, question.figure.part_of[1]
        part = f" ({float(rows[0][label]) / float(whole):.1%} {words})" if whole and rows[0][label] is not None else ""
        return f"{label}{question.during}: **{value(rows[0][label]) if rows else 'not known'}**{part}."
    summary = rows[0] if rows else {}
    if not summary.get("_groups"):
        if question.group.label == "segment":
            return "Your customers are not segmented yet: say *segment customers* first, then ask again."
        if rows:  # figures there, but not one with the group recorded
            return (
                f"None of your {question.figure.level} has a {question.group.label} recorded, so I cannot break "
                f"{question.figure.label} down by {question.group.label}."
            )
        return f"There is no {question.figure.label} to break down by {question.group.label} yet."

    def name(key: str) -> str:
        return question.group.called.format(key)

    whose = " (each order's, from your orders log)" if question.group.label == "country" else ""
    groups, kind = int(summary["_groups"]), question.group.label
    if kind == "hour" and groups == 1 and summary["_highest"] == MIDNIGHT:
        return f"Your orders log gives each order's day, not its time, so I cannot break {label.lower()} down by hour."
    if question.ranked and (top := re.search(r"\btop\s+" + slots.NUMBER + r"\b", req.lower)):
        shown = [r for r in rows if r.get(kind.capitalize()) is not None][: slots.as_number(top.group(1))]
        listed = "; ".join(f"{name(r[kind.capitalize()])} **{value(r[label])}**" for r in shown)
        return f"{label} by {kind}{whose}{question.during}, the top {len(shown)} of {groups:,}: {listed}."
    whole = float(summary.get("_whole") or 0)

    def part(v: float | None) -> str:  # "(58.4% of the total)", when the shares were asked
        return f" ({float(v) / whole:.1%} of the total)" if question.shares and whole and v is not None else ""

    return (
        f"{label} by {kind}{whose}{question.during}, {groups:,} {plural(kind) if groups != 1 else kind}: highest is "
        f"{name(summary['_highest'])} at **{value(summary['_highest_value'])}**{part(summary['_highest_value'])}, "
        f"lowest is {name(summary['_lowest'])} at **{value(summary['_lowest_value'])}**"
        f"{part(summary['_lowest_value'])}.{' Each one’s share is in the table.' if question.shares else ''}"
        f"{without_orders(req, question, groups)}"
    )


def without_orders(req: Request, question: Question, groups: int) -> str:
    """ "1 month from Dec 2010 to Feb 2011 had no orders": a breakdown over time lists the periods with orders
    only, so the lowest of them is not the quietest when some had none."""
    span, kind = req.vocabulary().orders_span, question.group.label if question.group else ""
    if kind == "day of the week" and (missing := send_time.weekdays_without(req.done[-1].rows("Day of the week"))):
        return f" There were no orders on {missing}."
    if span is None or kind not in OVER_TIME:
        return ""
    first, last = span
    if question.period is not None:
        first, last = max(first, question.period.start), min(last, question.period.last)
    missing = UNITS_BETWEEN[kind](first, last) - groups
    if missing <= 0:
        return ""
    return f" {missing:,} {plural(kind) if missing != 1 else kind} from {day(first)} to {day(last)} had no orders."


def _months(d: date) -> int:
    return d.year * 12 + d.month - 1


UNITS_BETWEEN = {  # how many of each unit, first to last, both counted
    "year": lambda a, b: b.year - a.year + 1,
    "quarter": lambda a, b: _months(b) // 3 - _months(a) // 3 + 1,
    "month": lambda a, b: _months(b) - _months(a) + 1,
    "week": lambda a, b: ((b - timedelta(days=b.weekday())) - (a - timedelta(days=a.weekday()))).days // 7 + 1,
    "day": lambda a, b: (b - a).days + 1,
}


def plural(noun: str) -> str:
    """ "countries", "days", "days of the week"."""
    head, _, tail = noun.partition(" of ")
    head = head[:-1] + "ies" if re.search(r"[^aeiou]y$", head) else head + "s"
    return f"{head} of {tail}" if tail else head
