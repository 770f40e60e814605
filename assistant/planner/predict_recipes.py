"""The prediction recipe: predict each customer's outlook, or find customers by it.

One intent, because marketers ask both the same way ("forecast who will buy again"); the recipe
decides: a request to run, refresh or check the model runs it, anything else finds the customers
(predicting first when there are no predictions yet).
"""

from __future__ import annotations

import re
from typing import Any

from assistant.planner import analytics_filters as filters
from assistant.planner import lapsed_since, segment_slots, slots
from assistant.planner.memory import Plan, Request, Step, call
from assistant.planner.recipes import recipe, report

RISK_WORDS = (
    r"churn|slipping|at risk|about to leave|laps(?:e|es|ing|ed)|drifting|losing|\blos[et]\b|win.?back|leave us|dormant"
    r"|inactive|(?:going|gone|went|go) (?:cold|quiet|silent|dark)|dropped off"
    r"|gone quiet|stop(?:ped|s)? (?:buying|ordering|shopping|purchasing)|haven'?t (?:bought|ordered|purchased|shopped"
    r"|been back)|(?:at|high)[- ](?:churn[- ])?risk|(?:likely|going|about) to (?:leave|go|quit)|walk(?:ing)? away"
)


AGAIN = r"(?:predict\w*|forecast|run|do) (?:it |them )?again"  # not "who will buy again"
TRUST = r"confiden|reliab|\btrust|how sure"  # "how confident are you in these predictions": checked on held-back days
# Asking for the model itself, not for customers: "refresh the predictions", "how accurate is the forecast".
RUN_WORDS = (
    rf"^(?:please )?(?:re-?)?(?:run|fit|train|build|refresh|update|redo|recompute|compute|calculate|estimate|score"
    rf"|make predictions|work out)\b|{AGAIN}|accura|backtest|check the predict|test the predict|how good|{TRUST}"
)
PEOPLE_WORDS = r"\b(?:who|whom|whose|which|list|top|rank|most|highest|show|find)\b"  # "re-score and list the top 10"
# the model, even when customers are named
REDO_WORDS = rf"accura|backtest|{AGAIN}|refresh|update|{TRUST}"


# "predict revenue for next month", "how much will segment 2 spend next quarter": a total over a span, which the
# models do not give (they predict each customer's orders over 90 days and value over 12 months): said, with theirs.
TOTAL_AHEAD = r"\b(?:revenue|sales|turnover|takings|income|spend|make|earn|bring in)\b"
ONLY_PER_CUSTOMER = (
    "I predict each customer's orders over the next 90 days and their value over the next 12 months, not the "
    "revenue of a {span}: here is what the predictions add up to. "
)


@recipe("predict")
def predict(req: Request) -> Plan:
    if lapsed := lapsed_since.plan(req):  # "customers who didn't buy this year": the past, not a forecast
        return lapsed
    about_the_model = req.has(RUN_WORDS) and (req.has(REDO_WORDS) or not req.has(PEOPLE_WORDS))
    total = req.has(TOTAL_AHEAD) and not req.has(PEOPLE_WORDS) and not req.has(RISK_WORDS)
    if not about_the_model and not total:
        return predicted_customers(req)
    if req.done and total:
        span = re.search(r"\b(week|month|quarter|year|season|period)\b", req.lower)
        said = ONLY_PER_CUSTOMER.format(span=span[1] if span else "period")
        segment = segment_slots.segment_ref(req.text, req.memory)
        if segment is not None and req.done[-1].ok and req.last("find_predicted_customers") is None:
            return call("find_predicted_customers", segment=segment, top=10)  # what its members' predictions add up to
        if segment is not None:  # the segment's own total, not the whole shop's as well
            req.done = [step for step in req.done if step.name != "predict" or not step.ok]
        return Plan(answer=said + report(req))
    if req.done:
        return Plan(answer=report(req, "Next: *who is about to churn?* or *who will order in the next 30 days?*"))
    check = req.has(rf"check|accura|backtest|how good|test the|{TRUST}")
    return call("predict", holdout_days=90) if check else call("predict")


def predicted_customers(req: Request) -> Plan:
    """Customers by predicted outlook; with no predictions yet (the find answers so), predict first and look again."""
    found = req.last("find_predicted_customers")
    predicted = req.last("predict")
    if found is not None and none_yet(found) and predicted is None:
        return call("predict")
    if found is None or (none_yet(found) and req.done[-1].name == "predict" and predicted.ok):
        return call("find_predicted_customers", **(outlook(req) or same_customers(req)))
    if predicted is not None and too_little_history(predicted):
        return without_a_prediction(req, predicted)
    # "No predictions yet" was answered by predicting: say what came of that, not that there were none.
    req.done = [s for s in req.done if not (s.name == "find_predicted_customers" and none_yet(s))] or req.done
    return Plan(answer=report(req, "Next: *draft an email for them about ...*, or *preview it for the first one*."))


def none_yet(step: Step) -> bool:
    """A find that found no predictions to look in (an older conversation's error says it in words)."""
    if step.ok:
        return (step.result.get("data") or {}).get("predictions") is False
    return "no predictions" in str(step.result.get("error", "")).lower()


def outlook(req: Request) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    if req.has(RISK_WORDS):
        arguments["risk"] = ["high"]
        arguments["sort"] = "value" if req.has(r"valu|worth|spend|big|best|most valuable|vip") else "risk"
    if m := re.search(r"(?:worth|value|spend\w*)\s+(?:over|above|more than|at least)\s+[€$£]?\s*(\d+)", req.lower):
        arguments["min_value"] = float(m.group(1))
    if "risk" in arguments:
        pass  # "likely to churn soon": the time is the churn's, not a next order's (none is expected)
    elif m := re.search(r"(?:next|within|in the next)\s+(\d+)\s+days", req.lower):
        arguments["due_within_days"] = int(m.group(1))
        arguments["sort"] = "next_order"
    elif req.has(r"next (?:month|few weeks)|soon|due|about to (?:order|buy)|ready to (?:order|buy)"):
        arguments["due_within_days"] = 30
        arguments["sort"] = "next_order"
    if top := slots.number_after(req.text, r"\btop"):
        arguments["top"] = top
    if (segment := segment_slots.segment_ref(req.text, req.memory)) is not None:  # "who in that group is slipping away"
        arguments["segment"] = segment
    return arguments


def same_customers(req: Request) -> dict[str, Any]:
    """ "How much are they worth?" right after a list of predicted customers: the same customers again (as they were
    when the user wrote it: "draft an email for them about jeans" searches the products first)."""
    if req.before.shown == "predicted customers" and (slots.THEM.search(req.lower) or req.has(r"\btheir\b|that lot")):
        return dict(req.before.outlook)
    return {}


def quiet_shown(req: Request) -> int | None:
    """ "Write them a we-miss-you email" right after "who hasn't ordered in 6 months": those quiet that long."""
    if req.before.shown != "customers" or not slots.THEM.search(req.lower) or not req.before.figures_asked:
        return None
    return quiet_days(req.before.figures_asked[-1].lower())


def chosen_by_outlook(req: Request) -> dict[str, Any]:
    """The predicted outlook a campaign's audience is named by ("a win-back email for customers slipping away",
    "customers at risk worth over 200"), or "them" right after a list of predicted customers: the draft narrows its
    audience to them, and so does its send."""
    if not req.has(RISK_WORDS) and (same := same_customers(req)):
        return same
    arguments = outlook(req) if req.has(RISK_WORDS) else {}
    chosen = {name: arguments[name] for name in ("risk", "min_value") if name in arguments}
    if (quiet := quiet_days(req.lower) or quiet_shown(req)) is not None:  # a span said is that span, not a risk
        chosen = {"quiet_days": quiet, **{k: v for k, v in chosen.items() if k != "risk"}}
    return chosen


# "exclude people who ordered in the last week", "leave out anyone who bought this month": those who did not
EXCLUDING = re.compile(r"\b(?:exclud\w*|leav\w* out|skip\w*|except|but not|not (?:to )?(?:the )?(?:ones|people))\b")


def quiet_days(text: str) -> int | None:
    """ "Customers who haven't ordered in 90 days" (or "excluding those who ordered in the last week"): no order in
    that many days, observed in the orders rather than predicted."""
    found = filters.recency(text)
    if found is None or not isinstance(found[0], filters.Recency):
        return None
    recency = found[0]
    return recency.days if recency.lapsed or EXCLUDING.search(text) else None


# Said of a campaign's audience: "exclude people who ordered in the last week", "only send it to those who haven't
# ordered in 3 months" (narrowed by recency), "put the recent buyers back in" (that limit taken off).
NARROW = re.compile(
    r"^\W*(?:(?:please|ok|okay|and|also|now|but|can you|could you)\W+)*(?:exclud|leav\w* out|skip|remove|drop|take out"
    r"|don'?t (?:send|e-?mail|mail|include)|do not (?:send|e-?mail|mail|include)|only (?:send|e-?mail|mail|target)"
    r"|(?:send|e-?mail|mail) (?:it |this |the email )?only|just (?:send|e-?mail|mail))"
)
WIDEN = re.compile(
    r"\b(?:include|add|put|bring)\b.{0,25}\b(?:recent (?:buyers|customers|shoppers)|everyone|everybody)\b.{0,15}"
    r"\b(?:back|again)\b"
    r"|\b(?:remove|drop|take off|lift)\b.{0,20}\b(?:recency|recent.buyers?) (?:limit|filter|exclusion)\b"
)
RECENT_BUYERS = re.compile(r"\b(?:recent(?:ly)?|lately|just (?:bought|ordered))\b")


def audience_change(text: str) -> int | None:
    """The recency a campaign's audience is to keep, in days without an order (0: none), when that is what the
    request changes; -1 when it narrows by recent buying without saying how recent; None when it changes no audience."""
    if WIDEN.search(text):
        return 0
    if not NARROW.search(text):
        return None
    if (days := quiet_days(text)) is not None:
        return days
    return -1 if RECENT_BUYERS.search(text) else None


# Too little history to predict: from the same data, who has gone longest without ordering (for "who is slipping
# away") or who has ordered most often, the latest first (for "who will buy again").
WITHOUT_A_PREDICTION = (
    'SELECT c.customer_id, b.days_since_last_purchase AS "Days since last purchase", b.order_count AS "Orders", '
    'round(b.total_spent, 2) AS "Total spent", count(*) OVER () AS _buyers FROM customers c '
    "JOIN customer_behavior b ON b.customer_id = c.customer_id WHERE c.quarantine_reason IS NULL "
    "AND b.order_count > 0 AND b.days_since_last_purchase IS NOT NULL ORDER BY {order} LIMIT {n}"
)
LONGEST_QUIET = "b.days_since_last_purchase DESC, b.total_spent DESC"
MOST_REGULAR = "b.order_count DESC, b.days_since_last_purchase, b.total_spent DESC"


def too_little_history(step: Step) -> bool:
    return not step.ok and "not enough purchase history" in str(step.result.get("error", "")).lower()


def without_a_prediction(req: Request, predicted: Step) -> Plan:
    """The prediction's refusal, then what the same data can say instead of nothing: for who is slipping away, the
    customers longest without an order; for who will buy, the most regular buyers."""
    risk = req.has(RISK_WORDS)
    if req.done[-1].name != "query_data":
        return call("query_data", sql=WITHOUT_A_PREDICTION.format(order=LONGEST_QUIET if risk else MOST_REGULAR, n=10))
    why = str(predicted.result.get("error", "")).split(":", 1)[-1].strip().rstrip(".")
    rows = req.done[-1].records() if req.done[-1].ok else []
    if not rows:
        return Plan(answer=report(req))
    first, buyers = rows[0], int(rows[0]["_buyers"])
    if not risk:
        return Plan(
            answer=f"I cannot predict who will buy yet ({why}). Instead, here are the {len(rows)} customers who have "
            f"ordered most often, out of {buyers:,} who bought: {first['customer_id']} placed "
            f"{int(first['Orders']):,} orders, the last {int(first['Days since last purchase']):,} days before the "
            "latest order in your log. Next: *draft an email for them about ...*."
        )
    return Plan(
        answer=f"I cannot predict who is slipping away yet ({why}). Instead, here are the "
        f"{len(rows)} customers who have gone longest without ordering, out of {buyers:,} who bought: "
        f"{first['customer_id']} last ordered {int(first['Days since last purchase']):,} days before the latest "
        "order in your log. Next: *draft a win-back email for them about ...*."
    )
