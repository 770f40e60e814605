"""How many emails went out: "how many emails have we sent this month", "how many people did we email last week",
"how many emails did we send in total".

Counted from the messages sent (one per person per campaign), not from the campaigns: a campaign list says "1 sent"
for 587 emails. The period is the marketer's calendar (periods.py), on the day each message went out; none named is
every email ever sent. The SELECT is a fixed template over bound dates, so nothing typed reaches the SQL text.
"""

from __future__ import annotations

import re

from assistant.planner import periods
from assistant.planner.memory import Plan, Request, call
from assistant.planner.recipes import report

_EMAILS = r"(?:e-?mails?|messages|mails|newsletters)"
_PEOPLE = r"(?:people|customers|recipients|subscribers|contacts|shoppers|persons)"
ASKED = re.compile(
    rf"\bhow many (?:{_EMAILS}|{_PEOPLE}) (?:have|has|did|had) (?:we|i|you|the shop)"
    rf" (?:(?:actually|already|ever|really) )?(?:sen[dt]|e-?mail(?:ed)?|mail(?:ed)?|reach(?:ed)?|contact(?:ed)?)\b"
    rf"|\bhow many {_EMAILS} (?:have |has |had )?(?:been |were |went |gone |got )(?:sent|out)\b"
    rf"|\bhow many {_PEOPLE} (?:have |has )?(?:got|received|were sent|been sent|have been e-?mailed)"
    rf" (?:an? |any |our )?{_EMAILS}\b",
    re.I,
)
# "how many were sent" about the campaign in play ("it", "campaign 2", "the parka email"): its report says that
ONE_CAMPAIGN = re.compile(
    r"\b(?:it|campaign \d+|(?:the|this|that|our last|the last) (?:\w+ )?(?:e-?mail|campaign|newsletter|send))\b", re.I
)

SENT = """
    SELECT count(*) FILTER (WHERE m.status = 'sent') AS "Emails sent",
           count(DISTINCT m.customer_id) FILTER (WHERE m.status = 'sent') AS "People",
           count(DISTINCT m.campaign_id) FILTER (WHERE m.status = 'sent') AS "Campaigns",
           count(*) FILTER (WHERE m.status = 'failed') AS "Failed"
    FROM messages m WHERE {when}"""
SENT_AT = "coalesce(m.sent_at, m.updated_at) >= CAST($period_start AS DATE) AND coalesce(m.sent_at, m.updated_at) < " \
          "CAST($period_stop AS DATE)"  # fmt: skip


def asked(text: str) -> bool:
    """Whether the request asks how many emails went out (or people got one), from the shop as a whole."""
    return bool(ASKED.search(text)) and not ONE_CAMPAIGN.search(ASKED.sub(" ", text))


def plan(req: Request) -> Plan:
    """The count in the period named (every email ever sent when none is), said in words."""
    named = periods.periods(req.text, req.today)
    period = named[0] if len(named) == 1 else None
    if len(named) > 1:
        return Plan(answer="Ask for one period at a time, e.g. *how many emails did we send this month*.")
    if not req.done:
        if period is None:
            return call("query_data", sql=SENT.format(when="m.status IN ('sent', 'failed')"))
        return call("query_data", sql=SENT.format(when=SENT_AT), params=period.params())
    step = req.done[-1]
    if not step.ok or not step.records():
        return Plan(answer=report(req))
    row = step.records()[0]
    sent, people, campaigns, failed = (int(row[k] or 0) for k in ("Emails sent", "People", "Campaigns", "Failed"))
    when = f" {period.typed} ({period.span()})" if period else ""
    if not sent:
        answer = f"No email was sent{when}." + ("" if period else " Nothing has gone out yet.")
    else:
        emails = "1 email" if sent == 1 else f"{sent:,} emails"
        from_campaigns = "1 campaign" if campaigns == 1 else f"{campaigns:,} campaigns"
        people_said = "" if people == sent else f", to {people:,} people"
        answer = f"**{emails}** went out{when}{people_said}, from {from_campaigns}."
    if failed:
        answer += f" {failed:,} could not be delivered." if failed > 1 else " 1 could not be delivered."
    return Plan(answer=(answer + " Ask *how did it do?* for opens and clicks.") if sent else answer)
