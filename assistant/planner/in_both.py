"""Customers who ordered in each of two periods, or in one and not the other: "how many people bought in both
December and February", "customers who ordered in December but not in February".

A figure limited to one period (the second one named) answered these before, as if the other had not been said.
Counted as the customers with an order that is no return in the first period, and (or, with "but not", without
one) in the second, over bound dates: the SELECT is a fixed template.
"""

from __future__ import annotations

import re

from assistant.planner import periods
from assistant.planner.memory import Plan, Request, call
from assistant.planner.recipes import report

BOTH = re.compile(r"\b(?:in both|both in|both)\b|\band again in\b", re.I)
BUT_NOT = re.compile(r"\bbut not(?: in)?\b|\band not(?: in)?\b", re.I)
PEOPLE = re.compile(r"\b(?:customers?|people|buyers|shoppers|clients|who|anyone)\b", re.I)
BOUGHT = re.compile(r"\b(?:bought|ordered|purchased|shopped|buy|order|purchase|shop)\b", re.I)
# ruff: noqa: S608 - fixed fragments; the dates are bound parameters
BUYERS = "SELECT o.customer_id FROM orders o WHERE NOT o.is_return AND o.customer_id IS NOT NULL AND {when}"
COUNTED = f"SELECT count(*) AS customers FROM ({BUYERS.format(when=periods.where('a'))} {{op}} " \
          f"{BUYERS.format(when=periods.where('b'))})"  # fmt: skip


def plan(req: Request) -> Plan | None:
    """The count of those customers; None when the request is not about customers in two periods so."""
    both, but_not = BOTH.search(req.text), BUT_NOT.search(req.text)
    if not (both or but_not) or not PEOPLE.search(req.text) or not BOUGHT.search(req.text):
        return None
    said = re.sub(r"\b(?:in )?both (?:in )?", "in ", req.text, flags=re.I)  # "in both December and ...": in December
    named = periods.found(said, req.today)
    if len(named) != 2:
        return None
    first, second = named
    if not req.done:
        sql = COUNTED.format(op="EXCEPT" if but_not else "INTERSECT")
        return call("query_data", sql=sql, params=first.params("a") | second.params("b"))
    step = req.done[-1]
    if not step.ok or not step.records():
        return Plan(answer=report(req))
    n = int(step.records()[0]["customers"] or 0)
    who = "1 customer" if n == 1 else f"{n:,} customers"
    a, b = (f"{re.sub(r'^(?:in|during) ', '', p.typed)} ({p.span()})" for p in (first, second))
    if but_not:
        return Plan(answer=f"**{who}** ordered in {a} but not in {b}.")
    return Plan(answer=f"**{who}** ordered both in {a} and in {b}.")
