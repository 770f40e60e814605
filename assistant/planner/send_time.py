"""'What's the best time to send?': when the shop's customers buy, by day of the week and by hour.

A send starts when the marketer confirms it; PromoPilot schedules nothing. So the useful answer to
"when should we send" is the evidence for choosing that moment: the orders log's busiest day of the
week and hour (the hour only when the log records times: a log of dates alone puts every order at
midnight). Opens are not used: every recipient of a campaign gets it at the same moment, so when
they open mostly says when it was sent.
"""

from __future__ import annotations

import re

from assistant.planner.analytics_questions import WEEKDAYS, Question, understand
from assistant.planner.memory import Plan, Request, Step, call

BEST_TIME = re.compile(  # asked ahead ("what day should I send it"), never of a send done ("what day did we send")
    r"\b(?:best|ideal|optimal|right|good|better|smartest) (?:time|day|hour|moment|weekday)s?\b.{0,40}"
    r"\b(?:send|email|e-mail|mail|launch|go out|schedule|blast)"
    r"|\bwhen (?:should|shall|would|is it best to|is best to) (?:i|we|you)\b.{0,20}\b(?:send|email|launch|schedule)"
    r"|\bwhat (?:time|day|hour)\b.{0,25}\b(?:should|shall|would|best|to)\b.{0,25}\b(?:send|email|launch|go(?:es)? out)"
)
# "when do our customers shop", "what time of day do people buy": the same evidence, asked for itself
WHEN_THEY_SHOP = re.compile(
    r"\bwhen (?:do|does|are) (?:our |my |the |most )*(?:customers|people|shoppers|buyers|clients|they)\b.{0,15}"
    r"\b(?:shop|buy|order|purchase|spend|most active)"
)
EVEN = 0.03  # the busiest and the quietest day this close (as shares of the orders): no day stands out
QUESTIONS = ("number of orders by day of the week", "number of orders by hour")
NO_TIMES = "00:00"  # the one hour of a log that records dates without times
NOT_SCHEDULED = (
    "A send starts when you say *send it* and press **Confirm**, so you choose the moment: I cannot schedule it."
)


def asked(req: Request) -> bool:
    return bool(BEST_TIME.search(req.lower) or WHEN_THEY_SHOP.search(req.lower))


def plan(req: Request) -> Plan:
    """The day-of-week breakdown, then the hour breakdown, then the answer from both."""
    questions = [understand(text) for text in QUESTIONS]
    done = {step.arguments.get("sql"): step for step in req.done if step.name == "query_data"}
    for question in questions:
        if question is not None and question.sql() not in done:
            return call("query_data", sql=question.sql())
    by_day, by_hour = (busiest(done[q.sql()], q) if q is not None else None for q in questions)
    sending = NOT_SCHEDULED if BEST_TIME.search(req.lower) else ""
    if by_day is None:
        return Plan(answer=f"There are no orders yet to see when your customers buy. {sending}".strip())
    said = f"Your customers order most on **{by_day[0]}** ({by_day[1]:.0%} of orders; "
    if missing := weekdays_without(done[questions[0].sql()].rows("Day of the week")):
        said += f"none on {missing}). "
    else:
        even = by_day[1] - by_day[3] < EVEN
        said += f"fewest on {by_day[2]}, {by_day[3]:.0%}" + ("; no day stands out). " if even else "). ")
    if by_hour is not None and by_hour[0] != NO_TIMES:
        said += f"The busiest hour is **{by_hour[0]}** ({by_hour[1]:.0%} of orders). "
    return Plan(answer=(said + sending).strip())


def busiest(step: Step, question: Question) -> tuple[str, float, str, float] | None:
    """The busiest group and its share of the orders, and the quietest and its share; None with no orders."""
    rows = step.records() if step.ok else []
    first = rows[0] if rows else {}
    whole = float(first.get("_whole") or 0)
    if not whole or question.group is None:
        return None
    high, low = (question.group.called.format(first[key]) for key in ("_highest", "_lowest"))
    return high, float(first["_highest_value"]) / whole, low, float(first["_lowest_value"]) / whole


def weekdays_without(present: list[str]) -> str:
    """ "Saturday and Sunday": the days of the week a breakdown has no row for (no orders), in words; "" if none."""
    missing = [d for d in WEEKDAYS if d not in set(present)]
    return ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + (missing[-1] if missing else "")
