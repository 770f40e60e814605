"""Customers who have not bought since a day the marketer names: "who hasn't bought since December", "how many
haven't ordered since Christmas", "people whose last order was before June 2011".

Read as the customers whose last purchase (an order that is no return or cancellation, as their recency counts
it) is before the START of the day, month or period named: "since December" is 1 December, and a month named
alone is its latest occurrence up to today, as periods.py reads "since December" for revenue. The answer says
that day, so the reading is never hidden. A day is read here ("15 June", "Christmas", "Easter"); a month, a
year or a period ("since last month", "since Q4") by periods.py. An event no calendar dates ("the summer sale",
"our launch") is refused with what to ask instead, never guessed. A span back from today ("haven't ordered in
6 months") is not this: it stays the recency filter in analytics_filters.

The SELECT is a vetted template; the day is a bound parameter ($since_start), and a country the data's own
spelling, so nothing the user typed reaches the SQL text. Best customers (by total spend) are listed first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from string import capwords

from dateutil.easter import easter
from dateutil.relativedelta import relativedelta, weekday

from assistant.planner import analytics_filters as filters
from assistant.planner import periods, slots
from assistant.planner.analytics_questions import ACTIVE_SEGMENT
from assistant.planner.memory import Plan, Request, call
from assistant.planner.periods import MONTH, MONTHS, YEAR, day
from assistant.planner.recipes import report
from services.money import format_money

_NOT = r"(?:haven'?t|havent|have not|hasn'?t|hasnt|has not|have n[o']t|not|didn'?t|did not|no longer|never)"
_VERB = (
    r"(?:bought|ordered|purchased|shopped|spent|been back|come back|came back|returned|been in|visited"
    r"|buy|order|purchase|shop"  # "didn't buy this year"
    r"|placed (?:an? |any )?orders?|made (?:an? |any )?(?:purchases?|orders?))"
)
_FILL = r"(?:\s+(?:anything|again|a thing|from us|with us|here|at all|one|once|a single thing))*"
NOT_ORDERED = re.compile(rf"\b{_NOT}\s+(?:\w+\s+)?{_VERB}", re.I)  # "haven't ordered", "did not buy anything"
# "since then", "since they signed up", "since their first order": no day to read (left to the other readings)
_DAY_NEXT = r"(?!(?:then|ever|forever|ages|a while|long|they|their|signing|joining|we|our first|the first)\b)"
_WHEN = r"(?P<{}>[^?.!,;:()]+)"
NOT_SINCE = re.compile(
    rf"\b{_NOT}\s+(?:\w+\s+)?{_VERB}{_FILL}\s+since\s+{_DAY_NEXT}{_WHEN.format('a')}"
    rf"|\b(?:haven'?t|have not|not)\s+(?:seen|heard from)(?:\s+(?:them|him|her|anyone))?\s+since\s+{_DAY_NEXT}"
    rf"{_WHEN.format('b')}"
    rf"|\b(?:stopped|quit)\s+(?:buying|ordering|shopping|purchasing)(?:\s+(?:from|with)\s+us)?\s+(?:after|since)\s+"
    rf"{_DAY_NEXT}{_WHEN.format('c')}"
    rf"|\b(?:last|latest|most recent)\s+(?:orders?|purchases?|bought|ordered|purchased|shopped)"
    rf"(?:\s+(?:was|is|were|came|happened))?\s+(?:before|prior to|earlier than)\s+{_WHEN.format('d')}"
    rf"|\b(?:no|zero|without(?: any)?)\s+(?:orders?|purchases?)\s+since\s+{_DAY_NEXT}{_WHEN.format('e')}"
    # "who hasn't ordered this year": the period runs to today, so that is since its start (a past one is not:
    # "not in 2004" leaves out who bought before and after it)
    rf"|\b{_NOT}\s+(?:\w+\s+)?{_VERB}{_FILL}\s+(?:(?:yet|so far)\s+)?(?:in\s+|during\s+)?"
    rf"(?P<f>this (?:year|month|quarter|week))\b",
    re.I,
)
WHO = re.compile(r"\b(?:customers?|shoppers?|buyers?|clients?|people|anyone|anybody|who|whom|whose|folks?)\b", re.I)
COUNT = re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b|\bhow much of\b", re.I)
LIST = re.compile(r"\b(?:who|whom|whose|which|list|show|name|names|see|give|them|export|top|all)\b", re.I)
ASKS_WHO = re.compile(  # "customers who haven't ordered in the last 60 days", said alone, is a list too
    r"^\W*(?:who|which)\b|\b(?:list|show|name|names|see|give|export|top|all|them)\b"
    r"|^\W*(?:the |our |my )?(?:customers|people|shoppers|buyers|clients|everyone|anyone) (?:who|that)\b",
    re.I,
)
# What ends the day's words: "since December and who are they", "since the summer sale in the UK".
TAIL = re.compile(r"\s+(?:and|or|please|pls|who|which|that|in|from|with|by|for|as|so|list|show)\b.*$", re.I)

FIXED = {  # days a calendar names every year (month, day)
    "christmas eve": (12, 24), "christmas day": (12, 25), "christmas": (12, 25), "xmas": (12, 25),
    "boxing day": (12, 26), "new year's eve": (12, 31), "new years eve": (12, 31), "new year's day": (1, 1),
    "new years day": (1, 1), "new year's": (1, 1), "new years": (1, 1), "new year": (1, 1),
    "valentine's day": (2, 14), "valentines day": (2, 14), "valentine's": (2, 14), "valentines": (2, 14),
    "halloween": (10, 31),
}  # fmt: skip
THANKSGIVING = relativedelta(weekday=weekday(3, 4))  # the fourth Thursday, counting from 1 November
MOVING = {"easter": easter, "black friday": lambda y: date(y, 11, 1) + THANKSGIVING + timedelta(days=1)}
HOLIDAY = re.compile(
    r"^(?:the\s+)?(?:last\s+)?(?P<name>" + "|".join(sorted([*FIXED, *MOVING], key=len, reverse=True)) + r")"
    rf"(?:\s+(?P<y>{YEAR}))?\b",
    re.I,
)
DAY_MONTH = re.compile(
    rf"^(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{MONTH})\.?(?:,?\s+(?P<y>{YEAR}))?\b"
    rf"|^(?P<m2>{MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y2>{YEAR}))?"
    r"|^(?P<iso>\d{4}-\d\d-\d\d)\b",
    re.I,
)
EVENT = re.compile(
    r"\b(?:sales?|weekend|break|promo\w*|campaigns?|launch\w*|events?|drops?|rush|party|season|holidays?|newsletter)\b",
    re.I,
)
LAST_MONTH_NAMED = re.compile(rf"^last\s+(?P<m>{MONTH})\b", re.I)  # "since last March"
DATED = re.compile(rf"^(?:(?P<m>{MONTH})\s+)?(?P<y>{YEAR})\b", re.I)  # "March 2012", "2012": maybe after today


def shown(typed: str) -> str:
    """The words as the answer says them: month names capitalised ("since jan" -> "since Jan")."""
    return " ".join(w.capitalize() if w.lower() in MONTHS else w for w in typed.split())


@dataclass(frozen=True)
class Cutoff:
    start: date  # their last order is before this day
    typed: str  # as the marketer named it ("December", "Christmas")

    def __post_init__(self) -> None:
        object.__setattr__(self, "typed", shown(self.typed))


def asked(text: str) -> str | None:
    """The words naming the day in "who hasn't bought since <day>" (as typed), or None when the text asks no such
    thing; "haven't ordered in 6 months" is the recency filter, not this."""
    if filters.LAPSED.search(text.lower()):
        return None
    match = NOT_SINCE.search(text)
    if match is None or (match["e"] and not WHO.search(text)):  # "no orders since March" is the shop's, alone
        return None
    when = next(match[g] for g in "abcdef" if match[g])
    return TAIL.sub("", when.strip()).strip() or None


def cutoff(when: str, today: date) -> Cutoff | str:
    """The day the words name (the latest such day up to today), or why there is none to read."""
    if EVENT.search(when):  # "the Christmas sale", "the Easter weekend": when it ran is the shop's to say
        return unknown(when, today)
    if m := DAY_MONTH.match(when):
        try:
            if m["iso"]:
                return Cutoff(date.fromisoformat(m["iso"]), m["iso"])
            month, d, year = MONTHS[(m["m"] or m["m2"]).lower()], int(m["d"] or m["d2"]), m["y"] or m["y2"]
            if year:
                return Cutoff(date(int(year), month, d), m.group(0).strip())
            start = date(today.year, month, d)
        except ValueError:
            return f"There is no such day as “{m.group(0).strip()}”."
        return Cutoff(start if start <= today else start.replace(year=today.year - 1), m.group(0).strip())
    if m := HOLIDAY.match(when):
        name = m["name"].lower()
        on = (lambda y: date(y, *FIXED[name])) if name in FIXED else MOVING[name]
        start = on(int(m["y"])) if m["y"] else on(today.year)
        if not m["y"] and start > today:
            start = on(today.year - 1)
        return Cutoff(start, capwords(name) + (f" {m['y']}" if m["y"] else ""))
    if m := LAST_MONTH_NAMED.match(when):
        month = MONTHS[m["m"].lower()]
        start = date(today.year if month < today.month else today.year - 1, month, 1)
        return Cutoff(start, m.group(0).strip())
    candidate = f"since {when}"
    for period in periods.found(candidate, today):
        if candidate.lower().find(period.typed.lower()) <= len("since "):
            return Cutoff(period.start, re.sub(r"^since\s+", "", period.typed, flags=re.I))
        break
    if m := DATED.match(when):
        return Cutoff(date(int(m["y"]), MONTHS[m["m"].lower()] if m["m"] else 1, 1), m.group(0).strip())
    return unknown(when, today)


def unknown(when: str, today: date) -> str:
    event = " ".join(when.split()[:5])
    return (
        f"I cannot tell from your data when “{event}” was, so I will not guess a date for it. Tell me the day or "
        f"month it began, e.g. *who hasn't bought since {day(today.replace(day=1))}* or *how many haven't ordered "
        f"since {today - relativedelta(months=1):%B}*."
    )


LAST_BOUGHT = (
    " {join} (SELECT customer_id, max(ordered_at) AS last_at FROM orders WHERE NOT is_return AND customer_id IS "
    "NOT NULL GROUP BY 1) l ON l.customer_id = c.customer_id"
)
FROM = (
    "FROM customers c" + LAST_BOUGHT + " LEFT JOIN customer_behavior b ON b.customer_id = c.customer_id "
    + ACTIVE_SEGMENT.format(key="c.customer_id") + " WHERE c.quarantine_reason IS NULL{where}"
)  # fmt: skip
BEFORE = "l.last_at < CAST($since_start AS DATE)"
COUNTED = f'SELECT count(*) FILTER (WHERE {BEFORE}) AS "Customers", count(*) AS _buyers {FROM}'
LISTED = (
    'SELECT c.customer_id, round(b.total_spent, 2) AS "Total spent", b.order_count AS "Orders", '
    f'strftime(l.last_at, \'%Y-%m-%d\') AS "Last order", g.name AS "Segment", count(*) OVER () AS _customers'
    f"{filters.A_SET} {FROM} "
    "AND {before} ORDER BY b.total_spent DESC NULLS LAST, c.customer_id LIMIT {n}"
)


def counts(text: str) -> bool:
    """Whether the wording asks how many alone ("how many haven't ..."), not who they are."""
    return bool(COUNT.search(text)) and not LIST.search(COUNT.sub("", text))


def lapsed_list(text: str) -> tuple[filters.Recency, str] | None:
    """ "who hasn't bought in the last 6 months", "list customers who haven't ordered in 90 days": the recency
    filter asked as a list (how many of them stays the analytics count, as does a bare "customers who ...")."""
    found = filters.recency(text.lower())
    lapsed = found is not None and isinstance(found[0], filters.Recency) and found[0].lapsed  # not "how often"
    if not lapsed or ((counts(text) or not ASKS_WHO.search(text)) and not filters.OF_THEM.search(text)):
        return None  # "how many of those ...": the list just shown, narrowed (with its count)
    return found


BY_GROUP = re.compile(
    r"^\W*(?:which|what) (?:group|segment|cluster|country|category|kind)s?\b|\b(?:by|per|each) (?:group|segment)"
)


def plan(req: Request) -> Plan | None:
    """The answer to a question about customers who have not bought since a day or for a span; None otherwise."""
    if when := asked(req.text):
        return answer(req, when)
    if BY_GROUP.search(req.lower):  # "which group has the most people who haven't bought in 6 months": per segment
        return None
    if lapsed := lapsed_list(req.text):
        return listed_recently(req, *lapsed)
    return None


def top_n(req: Request) -> int:
    return 500 if re.search(r"\ball\b|\bevery", req.lower) else min(slots.number_after(req.text, r"\btop") or 10, 500)


def listed(req: Request, rows: list[dict], n: int) -> str:
    if not rows:
        return ""
    money = format_money(rows[0]["Total spent"] or 0, req.vocabulary().currency)
    shown = f"the {len(rows)} who spent most are listed" if n > len(rows) else "they are listed"
    return f" Best customers first, {shown}; the top one has spent **{money}** in all."


def listed_recently(req: Request, recency: filters.Recency, span: str) -> Plan:
    """Those who have not bought in the last `span`, counted back from the latest order as their recency is (the
    same customers "how many haven't ordered in 6 months" counts), best first."""
    if attribute := filters.unknown_attribute(req.text, filters.shop_words(req)):
        return Plan(answer=filters.unknown_refused(attribute))
    if not req.done:
        before = f"b.days_since_last_purchase > {recency.days}"  # a number, never the user's text
        them, scoped = filters.among(req)  # "which of those haven't ordered in 3 months"
        sql = LISTED.format(join="LEFT JOIN", where=them, before=before, n=top_n(req))
        return call("query_data", sql=sql, **({"params": scoped} if scoped else {}))
    step = req.done[-1]
    if not step.ok:
        return Plan(answer=report(req))
    rows = step.records()
    n = int(rows[0]["_customers"]) if rows else 0
    log = req.vocabulary().orders_span
    back = f" (counted back from your latest order, {day(log[1])})" if log else ""
    said = f"{filters.who_of(req, n, f'**{n:,} customers**')} {recency.words(span).removeprefix('who ')}{back}."
    if log and not n and (log[1] - log[0]).days < recency.days:
        said += f" Your orders log covers only {day(log[0])} to {day(log[1])}, so no one in it can have gone that long."
    return Plan(answer=said + listed(req, rows, n))


def answer(req: Request, when: str) -> Plan:
    """The count of those customers, or the list (best first) with the count, whichever the wording asks."""
    if attribute := filters.unknown_attribute(req.text, filters.shop_words(req)):
        return Plan(answer=filters.unknown_refused(attribute))
    found = cutoff(when, req.today)
    if isinstance(found, str):
        return Plan(answer=found)
    span = req.vocabulary().orders_span
    if refused := out_of_range(found, req.today, span):
        return Plan(answer=refused)
    country, refused = filters.recorded_country(req.text, req.vocabulary().countries, filters.shop_words(req))
    if refused:
        return Plan(answer=refused)
    counted = counts(req.text)
    if not req.done:
        where, scoped = filters.among(req)
        if country:  # as the orders log spells it: a value from the data, never the user's text
            spelt = filters.sql_text(country)
            where += f" AND c.customer_id IN (SELECT customer_id FROM orders WHERE country = {spelt})"  # noqa: S608
        joined = {"join": "JOIN", "where": where}
        sql = COUNTED.format(**joined) if counted else LISTED.format(**joined, before=BEFORE, n=top_n(req))
        return call("query_data", sql=sql, params={"since_start": found.start.isoformat()} | scoped)
    step = req.done[-1]
    if not step.ok:
        return Plan(answer=report(req))
    rows = step.records()
    n = int((rows[0]["Customers"] if counted else rows[0]["_customers"]) or 0) if rows else 0
    where = f" in {country} (who ordered from there)" if country else ""
    of = f" of {int(rows[0]['_buyers']):,}" if counted and rows else ""
    since = "" if found.typed.lower().startswith("this ") else "since "  # "have not bought this year"
    sentence = f"{filters.who_of(req, n, f'**{n:,}{of} customers**')}{where} have not bought {since}{found.typed}: "
    sentence += f"their last order was before {day(found.start)}."
    if span is not None and found.start > span[1]:
        sentence += (
            f" Your orders run to {day(span[1])}, so that is everyone who ordered; orders after that day are not in "
            "your data."
        )
    return Plan(answer=sentence + ("" if counted else listed(req, rows, n)))


def out_of_range(found: Cutoff, today: date, span: tuple[date, date] | None) -> str | None:
    """Why a day cannot be answered: after today, or on or before the orders log's first day (nobody can have
    last bought before the log begins), or no dated orders at all."""
    if found.start > today:
        return (
            f"{day(found.start)} (“{found.typed}”) is after today ({day(today)}), so no one can have stopped buying "
            "then."
        )
    if span is None:
        return (
            "Your data has no dated orders, so I cannot tell when customers last bought. Attach an orders log "
            "(with a date and a customer for each order) and ask again."
        )
    if found.start <= span[0]:
        later = (span[0].replace(day=1) + relativedelta(months=1)).strftime("%B %Y")
        return (
            f"Your orders log begins on {day(span[0])}, so it cannot show who stopped buying before "
            f"{day(found.start)} (“since {found.typed}”): everyone in it bought on or after that day. Ask for a later "
            f"day, e.g. *who hasn't bought since {later}*."
        )
    return None
