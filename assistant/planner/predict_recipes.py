"""The prediction recipe: predict each customer's outlook, or find customers by it.

One intent, because marketers ask both the same way ("forecast who will buy again"); the recipe
decides: a request to run, refresh or check the model runs it, anything else finds the customers
(predicting first when there are no predictions yet).
"""

from __future__ import annotations

import re
from typing import Any

from assistant.planner import slots
from assistant.planner.memory import Plan, Request, call
from assistant.planner.recipes import recipe, report

RISK_WORDS = (
    r"churn|slipping|at risk|about to leave|laps(?:ing|ed)|drifting|losing|win.?back|leave us|dormant|inactive"
    r"|gone quiet|stopped (?:buying|ordering|shopping)|haven'?t (?:bought|ordered|purchased|shopped|been back)"
)


AGAIN = r"(?:predict\w*|forecast|run|do) (?:it |them )?again"  # not "who will buy again"
# Asking for the model itself, not for customers: "refresh the predictions", "how accurate is the forecast".
RUN_WORDS = (
    rf"^(?:please )?(?:re-?)?(?:run|fit|train|build|refresh|update|redo|recompute|compute|calculate|estimate|score"
    rf"|make predictions|work out)\b|{AGAIN}|accura|backtest|check the predict|test the predict|how good"
)
PEOPLE_WORDS = r"\b(?:who|whom|whose|which|list|top|rank|most|highest|show|find)\b"  # "re-score and list the top 10"
REDO_WORDS = rf"accura|backtest|{AGAIN}|refresh|update"  # the model, even when customers are named


@recipe("predict")
def predict(req: Request) -> Plan:
    about_the_model = req.has(RUN_WORDS) and (req.has(REDO_WORDS) or not req.has(PEOPLE_WORDS))
    if not about_the_model:
        return predicted_customers(req)
    if req.done:
        return Plan(answer=report(req, "Next: *who is about to churn?* or *who will order in the next 30 days?*"))
    check = req.has(r"check|accura|backtest|how good|test the")
    return call("predict", holdout_days=90) if check else call("predict")


def predicted_customers(req: Request) -> Plan:
    """Customers by predicted outlook; with no predictions yet, predict first and then look again."""
    found = req.last("find_predicted_customers")
    if found is not None and not found.ok and "no predictions" in str(found.result.get("error", "")).lower():
        if not req.last("predict"):
            return call("predict")
        if req.done[-1].name == "predict" and req.done[-1].ok:
            return call("find_predicted_customers", **outlook(req))
    if found is None or (req.done and req.done[-1].name == "predict" and req.done[-1].ok):
        return call("find_predicted_customers", **outlook(req))
    if req.last("predict"):  # "no predictions yet" was answered by predicting: say what came of that
        req.done = [s for s in req.done if s.ok or s.name != "find_predicted_customers"] or req.done
    return Plan(answer=report(req, "Next: *draft an email for them about ...*, or *preview it for the first one*."))


def outlook(req: Request) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    if req.has(RISK_WORDS):
        arguments["risk"] = ["high"]
        arguments["sort"] = "value" if req.has(r"valu|worth|spend|big|best|most valuable|vip") else "risk"
    if m := re.search(r"(?:worth|value|spend\w*)\s+(?:over|above|more than|at least)\s+[€$£]?\s*(\d+)", req.lower):
        arguments["min_value"] = float(m.group(1))
    if m := re.search(r"(?:next|within|in the next)\s+(\d+)\s+days", req.lower):
        arguments["due_within_days"] = int(m.group(1))
        arguments["sort"] = "next_order"
    elif req.has(r"next (?:month|few weeks)|soon|due|about to (?:order|buy)|ready to (?:order|buy)"):
        arguments["due_within_days"] = 30
        arguments["sort"] = "next_order"
    if top := slots.number_after(req.text, r"\btop"):
        arguments["top"] = top
    return arguments


def chosen_by_outlook(req: Request) -> dict[str, Any]:
    """The predicted outlook a campaign's audience is named by ("a win-back email for customers slipping away",
    "customers at risk worth over 200"), or "them" right after a list of predicted customers: the draft narrows its
    audience to them, and so does its send."""
    if req.memory.shown == "predicted customers" and not req.has(RISK_WORDS) and slots.THEM.search(req.lower):
        return dict(req.memory.outlook)
    arguments = outlook(req) if req.has(RISK_WORDS) else {}
    return {name: arguments[name] for name in ("risk", "min_value") if name in arguments}
