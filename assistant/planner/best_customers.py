"""The best customers by total spend ("who are our best customers", "top 20 in the USA", "who spent more than
500"): a vetted SELECT over the customers' figures, narrowed by a floor on spend or a country the orders log names
(as it spells it); a group ("which category makes the most money") is the analytics recipe's. For a period ("best
customers last month") they are ranked by what they spent in it, from its orders (net of returns, as revenue is),
never by their all-time spend."""

# The SQL is fixed fragments, a number, and a country as the data spells it (never the user's text).
# ruff: noqa: S608

from __future__ import annotations

import re
from datetime import date

from assistant.planner import analytics_filters as filters
from assistant.planner import analytics_one, lapsed_since, outright, periods, returners, segment_slots, slots
from assistant.planner.analytics import analytics
from assistant.planner.analytics_figures import ONE_TIMERS, REPEATERS
from assistant.planner.analytics_questions import ACTIVE_SEGMENT, SOURCES, understand
from assistant.planner.memory import Plan, Request, call
from assistant.planner.predict_recipes import LONGEST_QUIET, WITHOUT_A_PREDICTION
from assistant.planner.recipes import recipe, report
from services.money import format_money
from storage.orders import not_cancelled, orders_placed

BEST_CUSTOMERS = (
    'SELECT c.customer_id, round(b.total_spent, 2) AS "Total spent", b.order_count AS "Orders", '
    'round(b.avg_order_value, 2) AS "Average order value", b.days_since_last_purchase AS "Days since last purchase", '
    'g.name AS "Segment", count(*) OVER () AS _customers{kind} ' + SOURCES["customers"] + "{where}"
    " ORDER BY {by} LIMIT {n}"
)
IN_PERIOD = (
    'SELECT o.customer_id, round(sum(o.amount), 2) AS "Spent", '
    f'{orders_placed()} AS "Orders", any_value(g.name) AS "Segment", '
    "count(*) OVER () AS _customers{kind} FROM orders o "
    "JOIN customers c ON c.customer_id = o.customer_id AND c.quarantine_reason IS NULL "
    + ACTIVE_SEGMENT.format(key="o.customer_id")
    + " WHERE {period}{where} GROUP BY o.customer_id{having} ORDER BY {by}, 1 LIMIT {n}"
)
# "who buys most often", "who placed the most orders": ranked by their number of orders, then by spend.
MOST_ORDERS = re.compile(
    r"\bmost (?:often|frequent\w*|orders|regular\w*|repeat)\b|\b(?:order|buy|shop|purchase)\w* (?:the )?most\b"
    r"|\bmost (?:times|purchases)\b|\bby (?:the )?(?:number|count|amount) of (?:orders|purchases|visits)\b"
    r"|\bby (?:order (?:count|frequency|numbers?)|orders placed|orders|frequency|how often)\b"
)
# "who are our newest customers": the latest to place a first order (or to join, for a shop without orders).
NEWEST = re.compile(
    r"\b(?:newest|latest|most recent(?:ly)?(?: (?:joined|acquired|signed))?|just (?:joined|signed up))\b"
    r"|\brecent(?:ly)? (?:joined|signed|acquired|new)"
)
NEWEST_CUSTOMERS = (
    "SELECT * FROM (SELECT c.customer_id, strftime((SELECT min(o.ordered_at) FROM orders o "
    "WHERE o.customer_id = c.customer_id AND NOT o.is_return), '%Y-%m-%d') AS \"First order\", "
    "strftime(c.created_at, '%Y-%m-%d') AS \"Joined\", "
    'b.order_count AS "Orders", round(b.total_spent, 2) AS "Total spent", g.name AS "Segment", '
    "count(*) OVER () AS _customers "
    + SOURCES["customers"]
    + ') ORDER BY coalesce("First order", "Joined") DESC NULLS LAST, 1 LIMIT {n}'
)
# "who spent more than 500", "customers who've spent over €1,000": a floor on the total spent.
AMOUNT = r"[€$£]?\s*(?P<amount>\d[\d,]*(?:\.\d+)?)\s*(?P<k>k\b|m\b|thousand\b|million\b)?"  # "1k", "50 thousand"
SPENT_OVER = re.compile(rf"\bspen[dt]\w*\s+(?:more than|over|above|at least)\s+{AMOUNT}")
SPENT_UNDER = re.compile(rf"\bspen[dt]\w*\s+(?:less than|under|below|at most)\s+{AMOUNT}")
# "who are the worst customers", "bottom 5 by spend", "which customers spent the least": the lowest spenders first,
# of those who bought (a customer who never bought is no low spender; "at least 500" is a floor)
LEAST = re.compile(r"\b(?:worst|bottom|lowest|smallest|weakest)\b|(?<!\bat )\bleast\b")

# "list the one-time buyers", "who are our repeat customers": a condition on the number of orders (fixed SQL)
BY_ORDERS = [
    (ONE_TIMERS, " AND b.order_count = 1", "have ordered only once"),
    (REPEATERS, " AND b.order_count > 1", "have ordered more than once"),
]


def amount(said: re.Match[str]) -> float:
    """The amount an "over 1k", "less than 50,000" says, as a number."""
    scale = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}.get(said["k"] or "", 1)
    return float(said["amount"].replace(",", "")) * scale


@recipe("best_customers")
def best_customers(req: Request) -> Plan:
    if attribute := filters.unknown_attribute(req.text, filters.shop_words(req)):
        return Plan(answer=filters.unknown_refused(attribute))
    if lapsed := lapsed_since.plan(req):  # "who hasn't bought since December": not a figure of those who did
        return lapsed
    if returners.asked(req.text):  # "which customers sent stuff back": by what they returned
        return returners.plan(req)
    question = understand(req.text)
    if question is not None and question.group is not None:  # "which category makes the most money"
        return analytics(req)
    from assistant.planner import analytics_periods as dated

    named = dated.asked(req)
    if named and (outside := dated.no_orders_then(req, named[0])):
        return Plan(answer=outside)
    ranked = r"(?:best|top|biggest|customers|newest|latest|most)"  # "the 5 most recent customers"
    one = re.search(r"\b(?:best|top|biggest) (?:single )?(?:customer|client|buyer|shopper|spender)\b", req.lower)
    n = slots.number_after(req.text, r"\b(?:top|first)") or slots.number_before(req.text, ranked) or (1 if one else 10)
    over = SPENT_OVER.search(req.lower)
    floor = amount(over) if over else None
    under = SPENT_UNDER.search(req.lower)
    ceiling = amount(under) if under else None
    least = ceiling is not None or LEAST.search(req.lower) is not None
    often = next(((sql, said) for pattern, sql, said in BY_ORDERS if re.search(pattern, req.lower)), None)
    vocabulary = req.vocabulary()
    country, refused = filters.recorded_country(req.text, vocabulary.countries, filters.shop_words(req))
    if refused:  # "best customers in the USA" is never answered for everyone
        return Plan(answer=refused)
    by_orders = MOST_ORDERS.search(req.lower) is not None
    segment = segment_slots.segment_ref(req.text, req.memory)  # "customers in segment 2 who spent over 1000"
    if segment is None and len(named_segments := {k for _, _, k in analytics_one.segments_named(req)}) == 1:
        segment = named_segments.pop()  # "... in the Recent decisive buyers group", its name in use
    of_segment = f" AND g.segment = {int(segment)}" if segment is not None else ""  # a number, never the user's text
    bounded = floor is not None or ceiling is not None
    counted = segment is not None and re.match(r"\s*how many\b", req.lower) is not None  # "how many ... in group 2"
    ordered_then = bool(named) and ORDERED_THEN.search(req.lower) is not None  # "which customers ordered in May 2005"
    a_set = filters.A_SET if bounded or counted or ordered_then or (often and not named) else ""  # "17 customers ..."
    if NEWEST.search(req.lower) and not named and not bounded and not country:
        return newest(req, min(int(n), 500))
    if outright.LONGEST_QUIET.search(req.text) and not named and not bounded and not country:
        return longest_quiet(req, min(int(n), 500))
    if not req.done:
        n = min(int(n), 500)
        if named:  # the period's dates are bound parameters; the floor is a number, never the user's text
            limits = [f"bool_or(NOT o.is_return AND {not_cancelled('o.')})"]  # an order then, not only a cancelled one
            limits += [f"sum(o.amount) > {floor}"] if floor is not None else []
            limits += [f"sum(o.amount) < {ceiling}"] if ceiling is not None else []
            having = f" HAVING {' AND '.join(limits)}"
            where = (f" AND o.country = {filters.sql_text(country)}" if country else "") + of_segment
            them, listed = filters.among(req, "o.customer_id")  # "which of them spent over 500": those just listed
            by = "3 DESC, 2 DESC" if by_orders else ("2 ASC" if least else "2 DESC")
            sql = IN_PERIOD.format(period=periods.where(), where=where + them, having=having, by=by, n=n, kind=a_set)
            return call("query_data", sql=sql, params=named[0].params() | listed)
        where = (f" AND b.total_spent > {floor}" if floor is not None else "") + of_segment  # numbers only
        where += (f" AND b.total_spent < {ceiling}" if ceiling is not None else "") + (
            " AND b.order_count > 0" if least else ""
        )
        them, listed = filters.among(req)
        where += them + (often[0] if often else "")
        if country:  # as the orders log spells it: a value from the data
            spelt = filters.sql_text(country)
            where += f" AND c.customer_id IN (SELECT customer_id FROM orders WHERE country = {spelt})"
        by = "b.order_count DESC NULLS LAST, " if by_orders else ""
        spend = "b.total_spent ASC NULLS LAST" if least else "b.total_spent DESC NULLS LAST"
        sql = BEST_CUSTOMERS.format(where=where, by=by + spend, n=n, kind=a_set)
        return call("query_data", sql=sql, **({"params": listed} if listed else {}))
    step = req.done[-1]
    if not step.ok:
        return Plan(answer=report(req, "Generate or import data first."))
    rows, money = step.records(), lambda v: format_money(v, req.vocabulary().currency)
    during = f" {dated.when_words(named[0])}" if named else ""
    of_it = f" in segment {segment}" if segment is not None and not counted else ""
    if bounded or counted or ordered_then or (often and not named):
        found = int(rows[0]["_customers"]) if rows else 0
        most = "least" if least else "most"
        shown = f"; the {len(rows)} who spent {most} are listed" if found > len(rows) else ""
        said = [f"have spent more than {money(floor)}{during}"] if floor is not None else []
        said += [f"have spent less than {money(ceiling)}{during}"] if ceiling is not None else []
        said += [f"are in segment {segment}{during and f' and ordered{during}'}"] if counted and not said else []
        said += [often[1]] if often and not named else []
        said += [f"ordered{during}"] if not said else []  # "which customers ordered in May 2005"
        who = filters.who_of(req, found, f"**{found:,} customers**{of_it}")
        return Plan(answer=f"{who} {' and '.join(said)}{shown}.")
    if not rows and segment is not None and filters.of_those_listed(req):  # "which of those are high spenders"
        called = req.vocabulary().segments.get(segment)
        return Plan(
            answer=f"None of those {filters.how_many_listed(req):,} customers are in segment {segment}"
            f"{f' ({called})' if called else ''}{during}."
        )
    if not rows:
        return Plan(
            answer=f"No customer with an id ordered{during}."
            if named
            else report(req, "Generate or import data first.")
        )
    best, where = rows[0], f" in {country} (who ordered from there)" if country else ""
    placed = orders(best["Orders"])
    if by_orders:
        spent = money(best["Spent"] if named else best["Total spent"])
        ranked = f" by their number of orders{during}: the top one placed **{placed}**, spending {spent}"
    elif named:
        ranked = (
            f"{during}, by what they spent then (net of returns): the top one spent **{money(best['Spent'])}** over "
            f"{placed}"
        )
    else:
        ranked = f" by total spend: the top one has spent **{money(best['Total spent'])}** over {placed}"
    coverage = dated.coverage(req, named[0]) if named else ""
    if len(rows) == 1:  # "who's our best customer in Ireland": one, not "your 1 best customers"
        ranked = ranked.replace(": the top one ", " ")
    listed = min(int(n), 500, int(best.get("_customers") or len(rows)))  # the table's rows, not those shown here
    best_ones = f"{listed} best customers" if listed != 1 else "best customer"
    if least and not by_orders:  # the lowest spenders first, of those who bought
        ranked = ranked.replace("the top one", "the lowest")
        best_ones = best_ones.replace("best customer", "lowest-spending customer") + " (of those who bought)"
    if filters.of_those_listed(req):  # "which of those are high spenders" after "who clicked"
        best_ones += f" of those {filters.how_many_listed(req):,}"
    answer = f"Your {best_ones}{of_it}{where}{ranked}.{coverage}"
    if EMAIL_TO_THEM.search(req.lower):  # "send a thank you email to my top 10 customers": not a list, said so
        return Plan(answer=f"{answer} {to_a_list(rows)}")
    return Plan(answer=f"{answer} Next: *which products would they buy?* or *draft an email for their segment*.")


# "which customers ordered in May 2005", "list the customers who bought in 2005": all who did, then (a period named)
ORDERED_THEN = re.compile(
    r"^\W*(?:which|list|show(?: me)?|who are|give me)?\s*(?:the |all |our |all the )?"
    r"(?:customers?|clients?|people|buyers)\s+(?:who |that )?(?:have )?"
    r"(?:ordered|bought|purchased|placed (?:an )?orders?|shopped)\b"
)
# "send a thank you email to my top 10 customers", "email my best customers": an email to the people listed
EMAIL_TO_THEM = re.compile(
    r"\b(?:send|write|draft|e-?mail)\b.*\b(?:e-?mail|note|message|newsletter|to them)\b|^\W*e-?mail\b"
)


def to_a_list(rows: list[dict]) -> str:
    """Why no email goes to the customers listed, and the audience nearest to them."""
    segments = [r.get("Segment") for r in rows if r.get("Segment")]
    most = max(set(segments), key=segments.count) if segments else None
    nearest = (
        f"{'all' if segments.count(most) == len(rows) else segments.count(most)} of these {len(rows)} are in the "
        f"segment '{most}': *draft an email for {most} about "
        "...* reaches them and the rest of that segment"
        if most
        else "*segment customers* first, then *draft an email for* the segment most of them are in"
    )
    return (
        "An email goes to a segment, to customers chosen by their predicted value, or to those who did something "
        f"with an earlier email, not to a list of people, so I did not draft one. The nearest: {nearest}."
    )


def longest_quiet(req: Request, n: int) -> Plan:
    """The customers who have gone longest without an order (among those who ordered), counted to the log's end."""
    if not req.done:
        return call("query_data", sql=WITHOUT_A_PREDICTION.format(order=LONGEST_QUIET, n=n))
    rows = req.done[-1].records() if req.done[-1].ok else []
    if not rows:
        return Plan(answer=report(req, "Import an orders log first: the time since each order comes from it."))
    first = rows[0]
    return Plan(
        answer=f"The {len(rows)} customers who have gone longest without ordering, out of {int(first['_buyers']):,} "
        f"who bought: {first['customer_id']} last ordered **{int(first['Days since last purchase']):,} days** before "
        "the latest order in your log. Next: *tell me about the first one*, or *group the customers* to email a group."
    )


def orders(n: int) -> str:
    return f"{n:,} order" if n == 1 else f"{n:,} orders"


def newest(req: Request, n: int) -> Plan:
    """The customers whose first order (or, without one, whose joining) is latest."""
    if not req.done:
        return call("query_data", sql=NEWEST_CUSTOMERS.format(n=n))
    step = req.done[-1]
    rows = step.records() if step.ok else []
    if not rows or not (rows[0]["First order"] or rows[0]["Joined"]):
        return Plan(answer=report(req) if not step.ok else "I know no customer's first order or joining date yet.")
    first = rows[0]["First order"] or rows[0]["Joined"]
    how = "first ordered" if rows[0]["First order"] else "joined"
    return Plan(
        answer=f"Your {len(rows)} newest customers, by their first order (or when they joined, without one): the "
        f"newest {how} on {periods.day(date.fromisoformat(first))}. Next: *more on the first one*."
    )
