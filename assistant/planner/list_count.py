""" "How many is that?", "how many is that as a percentage?", right after a list of customers: how many the list was of
(the count its query found, not the rows shown), and that as a share of all the customers who can be counted.

Asked of a list, these name no figure and no intent of their own (they got a campaign list, or the status overview,
before): what they count is what is on screen.
"""

from __future__ import annotations

import re

from assistant.planner.memory import Plan, Request, call
from assistant.planner.recipes import report

ASKED = re.compile(
    r"^\W*(?:(?:and|so|ok|okay)\W+)?how many (?:people |customers )?(?:is|are|was|were)"
    r" (?:that|those|they|them|there)\b"
)
SHARE = re.compile(r"\b(?:percent\w*|share|proportion|fraction)\b|%|\bof (?:all|everyone|the total|our customers)\b")
EVERYONE = "SELECT count(*) AS customers FROM customers WHERE quarantine_reason IS NULL"


def plan(req: Request) -> Plan | None:
    """The count of the customers just listed (with its share, when asked); None when the request is not that."""
    if req.before.shown not in ("customers", "predicted customers") or not ASKED.search(req.lower):
        return None
    listed = len(req.before.customers)  # a ranking ("my top 5"): those; a set's first rows: the whole set
    n = max(req.before.customers_of, listed) if req.before.customers_query else listed
    people = "1 customer" if n == 1 else f"{n:,} customers"
    if not SHARE.search(req.lower):
        return Plan(answer=f"That is **{people}**.")
    if not req.done:
        return call("query_data", sql=EVERYONE)
    step = req.done[-1]
    rows = step.records() if step.ok else []
    if not rows or not rows[0]["customers"]:
        return Plan(answer=report(req))
    everyone = int(rows[0]["customers"])
    return Plan(answer=f"That is **{people}**, {n / everyone:.1%} of your {everyone:,} customers.")
