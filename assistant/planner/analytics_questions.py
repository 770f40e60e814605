"""An analytic question read from what the marketer typed: aggregate x figure x group-by, and its SELECT.

"average order value per segment" = average x order value x segment. Every piece is a constant SQL fragment
chosen from the tables below; nothing the user typed reaches the SQL except a row count (and a period's dates, as
bound parameters). `analytics.py` is the recipe that asks it and says the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.planner import analytics_filters as filters
from assistant.planner.analytics_figures import FIGURES, FROM_ORDERS, NET_OF_RETURNS, REVENUE, Figure
from assistant.planner.periods import Period, where
from services.money import format_money

# The members of the segmentation in use (m.customer_id, m.segment), for a FROM clause
ACTIVE_MEMBERS = "segment_members m JOIN segment_runs r ON r.run_id = m.run_id AND r.is_active"
ACTIVE_SEGMENT = (
    f"LEFT JOIN (SELECT m.customer_id, m.segment, s.name FROM {ACTIVE_MEMBERS} "  # noqa: S608 - constants only
    "JOIN segments s ON s.run_id = m.run_id AND s.segment = m.segment) g ON g.customer_id = {key}"
)
SOURCES = {  # level -> FROM clause (aliases c, b, p, g, o as the figures and groups use them)
    "customers": "FROM customers c LEFT JOIN customer_behavior b ON b.customer_id = c.customer_id "
    "LEFT JOIN customer_preferences p ON p.customer_id = c.customer_id "
    + ACTIVE_SEGMENT.format(key="c.customer_id")
    + " WHERE c.quarantine_reason IS NULL",
    "orders": "FROM orders o " + ACTIVE_SEGMENT.format(key="o.customer_id"),
    "products": "FROM products o",
}


@dataclass(frozen=True)
class Group:
    words: str
    sql: dict[str, str]  # level -> expression
    label: str
    column: tuple[str, str] | None = None  # (table, column) the shop's data must have
    called: str = "{}"  # a row in the answer: "segment 2", "the week of 2010-11-29"
    order: str = "1"  # the rows' order, over the group's column: the days of the week run from Monday


BUYER_KIND = (
    "(SELECT CASE WHEN count(DISTINCT x.order_id) > 1 THEN 'repeat' WHEN count(DISTINCT x.order_id) = 1 THEN "
    "'one-time' END FROM orders x WHERE x.customer_id = o.customer_id AND NOT x.is_return)"
)
OVER_TIME = ("year", "quarter", "month", "week", "day")  # the groups that are spans of time, one after another
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


GROUPS = [
    Group(
        r"segments?|groups?|clusters?|personas?|audiences?",
        {"customers": "g.segment", "orders": "g.segment"},
        "segment",
        called="segment {}",
    ),
    # The customers table has no country; an orders log has each order's (the UCI log's Country).
    Group(r"countr(?:y|ies)", {"orders": "o.country"}, "country", ("orders", "country")),
    Group(r"style", {"customers": "p.style"}, "style"),
    # Each order's customer as a repeat or a one-time buyer, by their orders in the log (an order with no customer:
    # neither): "how much of our revenue comes from repeat buyers"
    Group(r"buyer kind|repeat (?:vs\.?|or|versus) one.time(?: (?:buyers|customers))?", {"orders": BUYER_KIND},
          "buyer kind", called="{} customers"),
    Group(r"customer type|spender", {"customers": "b.customer_type"}, "customer type"),
    Group(
        r"categor(?:y|ies)|product (?:lines?|types?|ranges?)",
        {"orders": "o.category", "products": "o.category"},
        "category",
    ),
    Group(r"brand tier|tier", {"products": "o.brand_tier"}, "brand tier"),
    # An order line names its product, whose brand the catalogue gives.
    Group(r"brands?", {"products": "o.brand", "orders": "(SELECT p.brand FROM products p WHERE p.sku = o.sku)"},
          "brand"),
    Group(r"years?", {"orders": "strftime(o.ordered_at, '%Y')"}, "year"),
    Group(r"quarters?", {"orders": "strftime(o.ordered_at, '%Y') || ' Q' || quarter(o.ordered_at)"}, "quarter"),
    Group(r"months?|monthly", {"orders": "strftime(date_trunc('month', o.ordered_at), '%Y-%m')"}, "month"),
    Group(  # before the week and the day: "by day of the week", "which weekday"
        r"days? of (?:the )?week|week ?days?",
        {"orders": "dayname(o.ordered_at)"},
        "day of the week",
        order=f"list_position({list(WEEKDAYS)}, \"Day of the week\")",
    ),
    Group(r"weeks?", {"orders": "strftime(date_trunc('week', o.ordered_at), '%Y-%m-%d')"}, "week",
          called="the week of {}"),  # weeks from Monday
    Group(r"days?", {"orders": "strftime(o.ordered_at, '%Y-%m-%d')"}, "day"),
    Group(r"hours?", {"orders": "strftime(o.ordered_at, '%H:00')"}, "hour"),  # a log of dates alone: all 00:00
]  # fmt: skip
AGGREGATES = [
    (r"average|avg|mean|typical", "avg", "average"),
    (r"median", "median", "median"),
    (r"total|sum|overall", "sum", "total"),
    (r"highest|max(?:imum)?|biggest|largest", "max", "highest"),
    (r"lowest|min(?:imum)?|smallest", "min", "lowest"),
    (r"how many|number of|count", "count", "number of"),
]


@dataclass(frozen=True)
class Question:
    figure: Figure
    aggregate: str
    group: Group | None
    when: tuple[filters.Recency, str] | None = None  # only for figures about customers
    period: Period | None = None  # only for figures from the orders: a WHERE on their date (bound parameters)
    first: tuple[str, ...] | None = None  # groups listed first (as the data spells them): in the rows the answer sees
    # "revenue by category in France": only the rows of these values of another group (as the data spells them)
    only: tuple[Group, tuple[str, ...]] | None = None
    but: tuple[Group, tuple[str, ...]] | None = None  # "apart from the UK": the rows of every other value
    ranked: bool = False  # the rows highest first ("top categories"), not in the group's own order
    # "how much did they spend": the customers just listed, or one named (SQL after IN, and " of those 35 customers")
    listed: tuple[str, str] | None = None
    shares: bool = False  # a breakdown with each group's share of the whole, asked for ("share of revenue by country")

    @property
    def label(self) -> str:
        if self.aggregate == "count" or self.figure.counted or (self.figure.whole and self.figure.percent):
            base = self.figure.label
        else:
            base = f"{next(w for _, a, w in AGGREGATES if a == self.aggregate)} {self.figure.label}"
        if self.when is not None:
            who = self.when[0].words(self.when[1])
            base = f"customers {who}" if self.figure.label == "customers" else f"{base} of customers {who}"
        return base.capitalize()

    @property
    def during(self) -> str:
        """The dates the figure covers, for the answer (", 1 Jan–31 Dec 2011"); empty for all of them; and the
        one country, category or brand it is for (" in France")."""
        within = ""
        if self.only is not None:
            group, values = self.only
            within = f" {'in' if group.label == 'country' else 'for'} {' and '.join(map(group.called.format, values))}"
        if self.but is not None:
            within += f" excluding {' and '.join(map(self.but[0].called.format, self.but[1]))}"
        if self.listed is not None:
            within += self.listed[1]
        return within + (f", {self.period.span()}" if self.period else "")

    def measure(self) -> str:
        value = self.figure.sql if self.figure.whole else f"{self.aggregate}({self.figure.sql})"
        if self.aggregate == "avg" and self.figure.mean:
            value = self.figure.mean
        if self.aggregate == "avg" or self.figure.money:
            value = f"round({value}, 2)"
        whole = f", {self.figure.part_of[0]} AS _part_of" if self.figure.part_of[0] and self.group is None else ""
        return f'{value} AS "{self.label}"{whole}'

    def sql(self, period: str = "period") -> str:
        """The SELECT; a period's dates are the parameters $<period>_start and $<period>_stop."""
        measure, source = self.measure(), SOURCES[self.figure.level] + self.figure.joins
        if self.when is not None:
            source += f" AND {self.when[0].sql}"  # the customers' source ends in its WHERE
        if self.period is not None:  # only orders: their source has no WHERE of its own
            source += f" WHERE {where(period)}"
            measure += ", count(*) AS _lines"  # no orders in the period: said so, with where the orders run
        if self.only is not None:  # values read from the data (Vocabulary), never what the user typed
            group, values = self.only
            joiner = " AND " if self.figure.level == "customers" or self.period is not None else " WHERE "
            spelt = ", ".join(filters.sql_text(value) for value in values)
            source += f"{joiner}{group.sql[self.figure.level]} IN ({spelt})"
        if self.but is not None:  # values read from the data, never what the user typed
            group, values = self.but
            joiner = " AND " if self.figure.level == "customers" or self.period or self.only else " WHERE "
            column, spelt = group.sql[self.figure.level], ", ".join(filters.sql_text(value) for value in values)
            source += f"{joiner}({column} IS NULL OR {column} NOT IN ({spelt}))"
        if self.listed is not None:  # the planner's own query or the data's ids (`analytics_filters.listed_ids`)
            joiner = " AND " if self.figure.level == "customers" or self.period or self.only or self.but else " WHERE "
            source += f"{joiner}{'c' if self.figure.level == 'customers' else 'o'}.customer_id IN {self.listed[0]}"
        if self.group is None:
            return f"SELECT {measure} {source}"
        key, group = self.group.sql[self.figure.level], self.group.label.capitalize()
        name = ', any_value(g.name) AS "Segment name"' if self.group.label == "segment" else ""
        breakdown = f'SELECT {key} AS "{group}"{name}, {measure} {source} GROUP BY 1'
        if self.shares:  # a column the table shows as a percentage
            share = f'"{self.label}" / sum("{self.label}") OVER () AS "Share"'
            breakdown = f"SELECT *, {share} FROM ({breakdown})"  # noqa: S608 - vetted templates only
        # The highest and lowest over ALL groups, beside every row (hidden columns, "_"): the answer must not
        # be read off the first rows of a long breakdown (120 months) that the compact view shows.
        known = f'CASE WHEN "{group}" IS NOT NULL THEN "{self.label}" END'
        named = f"\"{group}\" || coalesce(' (' || \"Segment name\" || ')', '')" if name else f'"{group}"::VARCHAR'
        extremes = ", ".join(
            [
                f"arg_max({named}, {known}) OVER () AS _highest, max({known}) OVER () AS _highest_value",
                f"arg_min({named}, {known}) OVER () AS _lowest, min({known}) OVER () AS _lowest_value",
                f"count({known}) OVER () AS _groups",
                f'sum("{self.label}") OVER () AS _whole',  # a total's or a count's whole, for a row's share of it
            ]
        )
        order = f'"{self.label}" DESC NULLS LAST, 1' if self.ranked else self.group.order
        if self.first is not None:  # values read from the data (Vocabulary), never what the user typed
            spelt = ", ".join(filters.sql_text(value) for value in self.first)
            order = f'("{group}" IN ({spelt})) DESC NULLS LAST, 1'
        return f"SELECT *, {extremes} FROM ({breakdown}) ORDER BY {order}"  # noqa: S608 - vetted templates only


def from_orders(figure: Figure, group: Group, aggregate: str | None = None) -> Figure | None:
    """A customers' figure asked per a group only the orders have ("average basket by country"): from the orders.
    Their spend together ("how much did Germany spend") is the takings of their orders."""
    if figure.level not in group.sql and figure.label in FROM_ORDERS and "orders" in group.sql:
        if figure.label == "spend" and aggregate == "sum":
            return REVENUE
        return FROM_ORDERS[figure.label]
    return None


def aggregate_for(figure: Figure, asked: str | None) -> str:
    """The aggregate asked for, where it makes sense for the figure: "how many orders per customer" is an
    average already, "average orders per country" counts them (there is no average of order ids)."""
    if asked is None or asked == "count" or figure.whole or figure.aggregate == "count":
        return figure.aggregate
    return asked


# "where are my customers from", "what time of year do we sell the most": a breakdown asked without its name.
WHERE_OR_WHEN = {
    "country": r"\bwhere\b.*\b(?:from|based|located|live|come from)\b",
    "month": r"\btime of (?:the )?year\b|\bseason(?:al|ality)?\b|\bwhich months?\b|\btrend(?:s|ing)?\b|\bover time\b"
    r"|\bmonthly\b",
    # "which day do people order most" (a habit: the day of the week); "what was our busiest day" is a date
    "day of the week": r"\b(?:which|what) days?\b.*\b(?:do|does|tend|usually)\b",
    "year": r"\byearly\b",  # not "annual", which is as often one year's total
    "quarter": r"\bquarterly\b",
    "week": r"\bweekly\b",
    "day": r"\bdaily\b|\b(?:by|per) date\b",
    "hour": r"\bhourly\b|\btime of (?:the )?day\b|^\W*(?:at )?what time\b",
}
RANKED = r"top|best|biggest|leading|strongest|most popular"  # "our top 3 product lines": the highest first
LEAST = r"busiest|quietest|slowest|worst|weakest"
SELLING = r"[- ](?:selling|performing|earning)"  # "best-selling category", "worst performing country"
HOW_MUCH_SPENT = re.compile(
    r"\b(?:how much|what)\b(?! \w+ (?:each|per|an?|the average))[\w' ]*\bspen[dt]\b(?!.*\b(?:each|per)\b)"
)
SHARE = re.compile(r"\b(?:percent(?:age)?|share|proportion|fraction|ratio|rate)\b|%")  # "repeat purchase rate"


def understand(text: str) -> Question | None:
    t = text.lower()
    group = next(
        (
            g
            for g in GROUPS
            if re.search(r"\b(?:per|by|each|every|for each|across|in each)\s+(?:\w+\s+)?(?:" + g.words + r")\b", t)
            or re.search(r"^\W*(?:which|what)\s+(?:" + g.words + r")\b", t)  # "which category makes the most"
            or re.search(rf"\b(?:{RANKED}|{LEAST})(?:{SELLING})?\s+(?:\d+\s+)?(?:{g.words})\b", t)
            or (g.label in WHERE_OR_WHEN and re.search(WHERE_OR_WHEN[g.label], t))
        ),
        None,
    )
    if group is not None:  # the figure and the aggregate from the rest: "top 3 product lines" counts no products
        t = re.sub(
            rf"\b(?:(?:{RANKED})\s+(?:\d+\s+)?)?(?:{group.words})\b",
            " ",
            t,  # "busiest" stays: it counts orders
        )
    t = NET_OF_RETURNS.sub(" ", t)
    figures = [f for f in FIGURES if re.search(f.words, t)]
    if re.search(r"\bmost (?:often|frequently)\b", t):  # "which group buys most often": how often, not how much
        figures = [f for f in figures if f.label == "orders per customer"] or figures
    if group is not None:  # "customers per segment": the group's own word is not the figure
        figures = [f for f in figures if not re.fullmatch(f.words, group.label)] or figures
        if figures and (orders_figure := from_orders(figures[0], group)):
            figures = [orders_figure]  # the most specific figure, from the orders log
        figures = [f for f in figures if f.level in group.sql] or figures
    if not figures and group is not None and re.search(rf"\b(?:{RANKED}|worst|weakest|most|least|sells?|sold)\b"
                                                       rf"|{SELLING}", text.lower()):  # fmt: skip
        figures = [f for f in FIGURES if f.label == "revenue"]  # "our worst month", "which line sells most": takings
    if not figures:
        return None
    figure = figures[0]
    # "what percentage of customers are repeat buyers"; "which group has the most loyal customers": not the
    # biggest group's count, the share of each
    if figure.counted and (SHARE.search(t) or (group is not None and "loyal" in t)):
        among = f" FILTER (WHERE {figure.among})" if figure.among else ""
        share = f"avg({figure.sql}){among}"
        figure = replace(figure, sql=share, label=f"share of {figure.label}", whole=True, percent=True)
    asked = next((a for pattern, a, _ in AGGREGATES if re.search(r"\b(?:" + pattern + r")\b", t)), None)
    if asked is None and figure.label == "spend" and HOW_MUCH_SPENT.search(t):
        asked = "sum"  # "how much did Germany spend": what they spent together, not each one's average
    if group is not None and figure.aggregate == "sum" and asked in ("max", "min"):
        asked = None  # "which month had the highest sales": the months ranked by their total, not a largest line
    aggregate = aggregate_for(figure, asked)
    when = filters.recency(t) if figure.level == "customers" else None
    ranked = group is not None and group.label not in OVER_TIME and bool(re.search(rf"\b(?:{RANKED})\b", text.lower()))
    # "what share of revenue comes from each group", "share of revenue by country": each group's part of the whole
    shares = group is not None and bool(SHARE.search(t)) and not figure.percent and aggregate in ("sum", "count")
    return Question(figure, aggregate, group, when, ranked=ranked, shares=shares)


def formatted(question: Question, v: float | None, currency: str) -> str:
    if v is None:
        return "not known"
    if question.figure.money:
        return format_money(v, currency)
    if question.figure.percent:
        return f"{v:.0%}"
    return f"{v:,.0f}" if float(v).is_integer() or abs(v) >= 100 else f"{v:,.1f}"
