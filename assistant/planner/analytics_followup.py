"""A figure asked again for another period, grouping or place: "and the month before?", "what about January?",
"same for last year", "and by country?", "what about Germany?", right after an answer from the data.

Such a fragment names no figure, so no intent fits it alone (it got the help, or a question back). After a
figure, it is read as the question that figure answered with its period, grouping or place put in the
fragment's place, and the planner goes on as if the whole question had been typed. The questions answered
from the data in a row are kept (`Memory.figures_asked`), so "and the one before that?" steps back again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import cache

from assistant.planner import analytics_filters as filters
from assistant.planner import periods
from assistant.planner.analytics_questions import understand
from assistant.planner.memory import Request

LEAD = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|right|great|thanks)\W+)?(?:and|wh?at about|how about|now|also|then|ok(?:ay)?|only|just"
    r"|same (?:thing |again )?(?:(?:for|in)\b|(?=by\b)))\b\W*",
    re.I,
)
# "the month before", "the previous one", "the one before that": the period just before the last one asked
BEFORE = re.compile(
    r"\b(?:the )?(?:month|year|quarter|one|period)(?: just)? before\b|\b(?:the )?(?:previous|prior) (?:month|year"
    r"|quarter|one|period)\b",
    re.I,
)
# "how many orders was that", "how many customers bought then": another figure of the period just asked about
THAT_PERIOD = re.compile(
    r"\b(?:was (?:that|it)|were there|is that|then|(?:in |during )?(?:that|the same) (?:month|year|quarter|week|period"
    r"|day|time))\b",
    re.I,
)
# "by country", "per day of the week": a grouping (its one or two words, not a period said after it)
GROUPED = re.compile(
    r"\b(?:by|per|for each|split by|broken down by) (?!the (?:way|time)\b)[a-z]+(?: of the week| type| tier)?", re.I
)
# "which month was best?", "what country did best": a question about the breakdown just shown (its period kept)
WHICH_OF_THEM = re.compile(
    r"^\W*(?:(?:so|and|ok(?:ay)?)\W+)?(?:which|what) (?P<group>month|year|quarter|week|day|country|category"
    r"|product line|brand|segment)s? (?:was|were|is|are|did|had|sold|made)\b",
    re.I,
)
TOP_OF_THEM = re.compile(r"^\W*(?:the )?(?:top|first|best) (?P<n>\d{1,3})(?: of (?:them|those|these))?\W*$", re.I)
MOST_WORDS = 6  # a fragment is short: "and what did germany spend in total last year" is a question of its own
PREPOSITION = re.compile(r"\b(?:in|during|for|of|over|from|since|throughout)\s*$", re.I)
# What may be said around the period: "in", "that", "then", "please" ("and the one before that, please")
FILLER = re.compile(r"(?:\W|\b(?:in|for|during|over|the|that|then|please|too|instead|as well)\b)*", re.I)


def rewritten(req: Request) -> str | None:
    """The whole question a fragment asks after a figure, or None when it is no such fragment."""
    asked = req.before.figures_asked
    if not asked:
        return None
    countries = cache(lambda: tuple(req.vocabulary().countries))  # read from the shop only for a place
    span = req.vocabulary().orders_span
    latest = min(req.today, span[1]) if span else req.today  # "and march?": a March with orders, if one is near
    question = asked[0]
    for said in asked[1:]:  # the earlier follow-ups, in order, each on the question before it
        if top := TOP_OF_THEM.match(said):  # "the top 3" of a ranking: the same question, for its first rows
            question = f"{question.strip(' ?!.')}, top {top['n']}"
            continue
        question = applied(question, said, req.today, countries, latest) or said
    return applied(question, req.text, req.today, countries, latest)


def applied(
    question: str, said: str, today: date, countries: Callable[[], tuple[str, ...]], latest: date | None = None
) -> str | None:
    """`question` with the period, grouping or place `said` names instead of its own; None when `said` is not a
    fragment of that kind. A month said alone is the one nearest the period asked, up to `latest` (today)."""
    asked = periods.found(question, today)
    which = WHICH_OF_THEM.match(said)  # "which month was best?" right after the revenue by month in 2005: of 2005
    same_group = which and re.search(rf"\b{which['group']}", question, re.I)
    if same_group and len(asked) == 1 and not periods.found(said, today):
        return f"{said.strip(' ?!.')} {in_words(asked[0]) or said_in(asked[0])}"
    lead = LEAD.match(said)
    rest = (said[lead.end() :] if lead else said).strip(" ?!.")
    if not rest or len(rest.split()) > MOST_WORDS:
        return None
    if len(asked) == 1 and (then := THAT_PERIOD.search(rest)) and not periods.found(rest, today):
        other = (rest[: then.start()] + rest[then.end() :]).strip()  # "how many orders was that": orders, then
        if understand(other) is not None:
            return f"{other} {in_words(asked[0]) or said_in(asked[0])}"
    if before := BEFORE.search(rest):
        shifted = periods.before(asked[0], today) if len(asked) == 1 and alone(rest, before[0]) else None
        words = in_words(shifted) if shifted else None
        return with_period(question, asked[0], words) if words else None
    if not periods.found(rest, today) and periods.found(f"in {rest}", today):
        rest = f"in {rest}"  # "what about January?", "and 2010?": a month or a year said alone
    if named := periods.found(rest, today):
        if len(named) != 1 or not alone(rest, named[0].typed):  # "show me orders from december": a request
            return None
        if len(asked) == 1 and (near := nearest_month(named[0], asked[0], latest or today)):
            rest = near  # "and november?" right after December 2025: November 2025, not this November
        return with_period(question, asked[0], rest) if len(asked) == 1 else f"{question} {rest}"
    if not lead:  # a grouping or a country said alone ("germany") is no follow-up
        return None
    if GROUPED.match(rest):
        return " ".join([*GROUPED.sub("", question).split(), rest])
    alone_place = re.sub(r"\s+(?:ones?|customers?|people|please|pls)$", "", rest, flags=re.I)  # "only the US ones"
    place = filters.bare_place(countries()).fullmatch(re.sub(r"^(?:in|from|for) ", "", alone_place, flags=re.I))
    if place:
        question = re.sub(r"\s*\b(?:by|per|for each) country\b", "", question, flags=re.I)  # one country, not each
        if said_before := filters.places(question, [], countries()):
            return re.sub(rf"\b{re.escape(said_before[0])}\b", place["place"], question, count=1, flags=re.I)
        return f"{question} in {place['place']}"
    return None


def nearest_month(said: periods.Period, asked: periods.Period, latest: date) -> str | None:
    """A month named without its year, after a figure for another period: that month nearest the period asked
    ("and november?" after December 2025 is November 2025), never after `latest`; None for anything else."""
    if not re.fullmatch(rf"(?:(?:in|during|for) )?{periods.MONTH}\.?", said.typed.strip(), re.I):
        return None
    year = asked.start.year
    candidates = [date(y, said.start.month, 1) for y in (year - 1, year, year + 1)]
    candidates = [d for d in candidates if d <= latest]
    if not candidates:
        return None
    month = lambda d: d.year * 12 + d.month  # noqa: E731
    nearest = min(candidates, key=lambda d: (abs(month(d) - month(asked.start)), -d.year))
    return f"in {nearest:%B %Y}"


def said_in(period: periods.Period) -> str:
    """A period as a question would end with it: "in December 2025", "last month", "since March"."""
    typed = period.typed
    return typed if re.match(r"(?:in|during|since|over|from|last|this|the)\b", typed, re.I) else f"in {typed}"


def alone(rest: str, period: str) -> bool:
    """Whether the fragment says nothing but the period (and a word such as "in" or "that")."""
    at = rest.lower().find(period.lower())
    return at >= 0 and FILLER.fullmatch(rest[:at] + " " + rest[at + len(period) :]) is not None


def with_period(question: str, period: periods.Period, words: str) -> str:
    """The question with its period's words replaced ("sales last month" -> "sales in January 2011")."""
    at = question.lower().find(period.typed.lower())
    if at < 0:
        return f"{question} {words}"
    before, after = question[:at], question[at + len(period.typed) :]
    if PREPOSITION.search(before):
        words = re.sub(r"^(?:in|during|for|over) ", "", words, flags=re.I)
    return f"{before}{words}{after}"


def in_words(period: periods.Period) -> str | None:
    """A whole month, quarter or year as the question would say it; None for any other span."""
    months = (period.stop.year - period.start.year) * 12 + period.stop.month - period.start.month
    if period.start.day != 1 or period.stop.day != 1:
        return None
    if months == 1:
        return f"in {period.start:%B %Y}"
    if months == 3 and period.start.month % 3 == 1:
        return f"in Q{period.start.month // 3 + 1} {period.start.year}"
    if months == 12 and period.start.month == 1:
        return f"in {period.start.year}"
    return None
