"""Readings that what the last answer showed decides: the same words mean one thing under a segments table and
another under a draft or a product list ("give it a better name", "only the ones under 10 units", "go back to 4")."""

from __future__ import annotations

import re

from assistant.planner import followup_recipes, guards, predict_recipes, segment_recipes, segment_slots, slots
from assistant.planner.memory import Request
from assistant.planner.product_recipes import REFINES
from tools.campaigns.copy_templates import SOFT_SELL

LOST = 0.12  # a reading below this is none: with no better one, the request is not one the planner knows (help)

# Two readings that what is on screen tells apart: "give it a better name" renames the segment just shown, or
# revises the draft just shown.
BY_SCREEN = {
    frozenset({"revise", "segment_rename"}): {"segments": "segment_rename", "campaign": "revise"},
    # "what should we push to them": under a segment, what suits it; under products, a search
    frozenset({"suggest", "find_products"}): {"segments": "suggest"},
}
# An email to the people on screen: "email them again", "write them a thank you note", "message those customers"
EMAIL_THEM = re.compile(r"^\W*(?:(?:ok|okay|now|then|so|please|let'?s)\W+)*(?:e-?mail|mail|message|write(?: to)?|send"
                        r"|contact)\s+(?:them|those|these)\b")  # fmt: skip
KINDS_OF_CUSTOMERS = re.compile(
    r"\bwhat (?:kinds?|types?|sorts?) of (?:customers|shoppers|buyers|people|clients)\b"
    r"|\bwhat (?:customer )?(?:groups|segments) (?:do|have) we\b"
)
# Right after one customer's card: "she asked to be removed from the list", "take him off our emails"
OFF_THE_LIST = re.compile(
    r"\b(?:remov\w*|tak\w*|took|drop\w*|get)\b.{0,25}\b(?:off|from|out of)\b.{0,20}\b(?:list|emails?|newsletters?"
    r"|marketing|mailings?)\b|\bunsubscribe (?:her|him|them)\b|\b(?:stop|no more) (?:emailing|e-?mails? to|sending)\b"
)
# A pointer at what is on screen, no one named: "that one", "this one", "it"
THAT_ONE = re.compile(r"\b(?:that|this) one\b|\bit\b")


def on_screen(req: Request, readings: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The readings, the one that fits what the last answer showed first when the two likeliest are such a pair."""
    narrows = not req.done and req.memory.last_tool == "find_products" and REFINES.search(req.lower)
    if narrows and set(slots.product_filters(req.text, req.vocabulary())) - {"limit"}:  # "… fewer than 50 units"
        return [("find_products", 1.0), *readings]
    if not req.done and req.memory.shown == "segments" and segment_recipes.GO_BACK.search(req.lower):
        return [("segment", 1.0), *readings]  # "actually go back to 4" under a segments table: that run again
    # "which group buys the most", then "tell me more about that one": that group, not a customer
    pointed = req.memory.shown == "segments" and req.memory.segment is not None and THAT_ONE.search(req.lower)
    if pointed and readings and readings[0][0] == "customer_card":
        return [("segment_show", 1.0), *readings]
    if not req.done and req.memory.shown == "campaign" and SOFT_SELL.search(req.lower):
        return [("revise", 1.0), *readings]  # "not such a hard sell" under a draft: its copy, calmer
    likely = {name for name, _ in readings[:3]}
    if likely & {"segment_show", "suggest", "find_products"} and _bought_by_a_segment(req):
        return [("suggest", 1.0), *readings]  # "best sellers in segment 2": what its members bought
    asks_how_many = analytics_one_how_many(req)
    if ("analytics" in likely or asks_how_many or _how_many_of_a_segment_then(req)) and _figure_of_a_segment(req):
        return [("analytics", 1.0), *readings]  # "how many orders did the deal seekers place": theirs, counted
    if KINDS_OF_CUSTOMERS.search(req.lower):  # "what kinds of customers do we have": the segments
        return [("segment_list", 1.0), *readings]
    card = req.before.last_tool == "customer_card" and len(req.before.customers) == 1
    if card and OFF_THE_LIST.search(req.lower):  # "she asked to be removed from the list, pls do that"
        return [("unsubscribe", 1.0), *readings]
    if req.before.shown == "customers" and EMAIL_THEM.search(req.lower):  # every round: as the user wrote it
        # "email them again" under who clicked: a follow-up to them; under other customers, a draft (which says an
        # email goes to a segment or to customers chosen by what they did, not to a list on screen)
        return [("follow_up" if req.before.last_tool == "campaign_recipients" else "draft", 1.0), *readings]
    if req.before.shown == "customers" and _how_many_of_them_in_a_segment(req):  # "how many of the openers are in ..."
        return [("best_customers", 1.0), *readings]  # counted among them, never a draft nor the segment's card
    segment_first = {"segment_show", "segment_list"} & {name for name, _ in readings[:2]}
    if segment_first and _churn_in(req):
        return [("predict", 1.0), *readings]  # "who in that group is about to leave us": its members at risk
    if not req.done and followup_recipes.drafting(req.memory) and followup_recipes.VARIANT_PICK.search(req.lower):
        return [("explain", 1.0), *readings]  # "which one do you think is best" under a draft: told when it is sent
    meant = BY_SCREEN.get(frozenset(name for name, _ in readings[:2]), {}).get(req.memory.shown or "")
    if meant is None or readings[1][1] < LOST:
        return readings
    return [(meant, 1.0), *(reading for reading in readings if reading[0] != meant)]


def _churn_in(req: Request) -> bool:
    """Whether the request asks who in a segment is slipping away, in words other than the segment's own name
    ("describe the lapsing buyers" describes a segment so named)."""
    if segment_slots.segment_ref(req.text, req.before) is None:  # as written, like `_bought_by_a_segment`
        return False
    words = req.lower
    for name in req.segment_names.values():
        words = words.replace(name.lower(), " ")
    return bool(re.search(predict_recipes.RISK_WORDS, words))


def _how_many_of_them_in_a_segment(req: Request) -> bool:
    """ "how many of them are in group 1", "how many of the openers are in the Recent decisive buyers group"."""
    from assistant.planner import analytics_filters, analytics_one  # they import the analytics, as above

    if not re.match(r"\s*how many\b", req.lower) or not analytics_filters.of_those_listed(req):
        return False
    return segment_slots.segment_ref(req.text, req.before) is not None or bool(analytics_one.segments_named(req))


def analytics_one_how_many(req: Request) -> bool:
    from assistant.planner.analytics_one import HOW_MANY_THERE  # it imports the analytics, which need the recipes

    return bool(HOW_MANY_THERE.search(req.lower))


def _how_many_of_a_segment_then(req: Request) -> bool:
    """ "how many of the VIPs ordered in 2025": how that segment did in a period (its members' summary)."""
    from assistant.planner import periods

    return bool(re.match(r"\W*how many of\b", req.lower)) and bool(periods.found(req.text, req.today))


def _figure_of_a_segment(req: Request) -> bool:
    """Whether the request asks a figure of one segment ("revenue from the big spenders in 2025"), or how it did in a
    period ("how many of the VIPs ordered in 2025")."""
    from assistant.planner import analytics_one, period_sales  # they import the analytics, which need the recipes

    if _how_many_of_a_segment_then(req):
        return bool(analytics_one.segments_asked(req))
    question = analytics_one.understood(req)
    if question is None or not period_sales.FIGURE.search(req.lower):
        return False
    return bool(analytics_one.segments_asked(req, question))


def _bought_by_a_segment(req: Request) -> bool:
    """Whether the request asks what a segment it names buys ("best sellers in segment 2", "what does it buy")."""
    from assistant.planner.period_sales import asks_bought  # imports the analytics, which need the recipes first

    return (
        asks_bought(req.lower)
        and not guards.PEOPLE.search(req.lower)
        and (  # as written: this turn's lookups show other things
            segment_slots.segment_ref(req.text, req.before) is not None
            or segment_recipes.segment_of_products_shown(req) is not None  # "what do they buy" under its best fits
        )
    )
