"""One customer looked up: "what did customer 17850 buy?", "tell me about anna@example.com", "who is Anna
Schmidt?", "more about the second one" after a ranking. The tool finds the person by id, address or name in the
local database; what it says of them is in `tools/data/customer_card.py`."""

from __future__ import annotations

import re

from assistant.planner import periods, slots
from assistant.planner.customer_names import NOT_NAMES, customer_named
from assistant.planner.memory import Memory, Plan, Request, call
from assistant.planner.recipes import RECIPES, recipe, report

# "customer 17850", "client no. 12583", "customer id: C0000042", "account #4411", "custmer 17850": an id has a digit.
SAID_ID = re.compile(
    r"\b(?:(?:cus\w{1,6}|client|shopper|buyer|account|member)(?:'?s)?(?:\s*(?:id|no\.?|number|#))?|id)\s*[:#]?\s*"
    r"(?P<id>[A-Za-z]*\d[\w-]*)",
    re.IGNORECASE,
)
# "tell me about Anna Schmidt", "look up Maria Lopez", "who is Anna?", "what has Anna Schmidt bought", "why can't I
# email Anna Schmidt".
ABOUT_NAME = re.compile(
    r"\b(?i:about|up|is|has|did|does|on|find|of|e-?mail|contact|reach)\s+(?P<name>[A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?)\b"
)
# "17850" said alone: an id of five digits or more, or of four that is no year ("orders in 2011").
BARE_ID = re.compile(r"(?<![\w#£$€.,])(?:\d{5,}|(?!(?:19|20)\d\d\b)\d{4})\b")
# "anna schmidt's orders", "who is maria lopez": a name in lower case, where a name stands.
SPOKEN_NAME = re.compile(
    r"\b(?P<name>[a-z][a-z'-]+ [a-z][a-z'-]+)['’]s (?:orders|profile|purchases?|history|account|record|details|spend)"
    r"|\b(?:who is|who's|look up|about|on|for) (?P<after>[a-z][a-z'-]+ [a-z][a-z'-]+)\s*[?.!]*$"
)
# "is raymond unsubscribed", "can we email dale", "did amy keith open it": a name in lower case where a person stands,
# in a question about their emails (the card says whether, and why not)
NAME_ASKED_ABOUT = re.compile(
    r"^\W*(?:is|has|did|was)\s+(?P<name>[a-z][a-z'-]+(?: [a-z][a-z'-]+)?)\s+(?:still\s+|ever\s+)?(?:unsubscribed"
    r"|subscribed|opted (?:in|out)|e-?mailable|on the (?:e-?mail(?:ing)? |mailing )?list|open(?:ed)?|click(?:ed)?"
    r"|bounced|unsubscribe)\b"
    r"|^\W*(?:can|could) (?:we|i) (?:still )?(?:e-?mail|contact|reach|mail) (?P<whom>[a-z][a-z'-]+(?: [a-z][a-z'-]+)?)"
    r"\s*[?.!]*$",
    re.I,
)
NOT_A_NAME = NOT_NAMES | {"anybody", "many", "most", "few", "lots", "none", "any", "today", "tomorrow", "again", "more"}


def name_asked_about(text: str) -> str | None:
    """The name in "is raymond unsubscribed" or "can we email dale", if it is no ordinary word."""
    said = NAME_ASKED_ABOUT.search(text)
    name = (said["name"] or said["whom"]) if said else None
    return name if name and not set(name.lower().split()) & NOT_A_NAME else None


# "the second one", "the top one", "number 3", "#1", "that customer" after a ranking.
POSITION = re.compile(
    r"\b(?P<ordinal>" + "|".join(slots.ORDINALS) + r"|top|best|last)\b|(?:\bnumber |\bno\.? ?|#)(?P<n>\d{1,3})\b"
)
# A place in a list that points at one person ("the second one", "the top customer", "number 3", "the last"), not a
# time ("last month") nor a count ("the top 10 products")
ONE_AT = re.compile(
    r"\b(?:" + "|".join(slots.ORDINALS) + r"|top|best|last)(?: (?:one|customer|client|person|guy|lady|buyer|shopper"
    r"|on the list|of (?:them|those|these))\b|\W*$)|(?:\bnumber |\bno\.? ?|#)\d{1,3}\b"
)


RETURNS_ASKED = re.compile(r"\breturn(?:s|ed)?\b|\brefund|\bcancel|\bsent (?:\w+ )?back\b")
# After one customer's card: "which segment fits them", "what group is he in", "is she in the VIPs segment"
SEGMENT_ASKED = re.compile(
    r"\b(?:segments?|groups?|audiences?|personas?|clusters?)\b.*\b(?:they|them|their|he|him|his|she|her)\b"
    r"|\b(?:they|them|their|he|him|his|she|her)\b.*\b(?:segments?|groups?|audiences?|personas?|clusters?)\b"
)


# After one customer's card: "what would you promote to them", "what should we recommend to her"
PROMOTE_ASKED = re.compile(r"\b(?:promot|recommend|suggest|offer|pitch|sell)\w*\b.*\b(?:they|them|he|him|she|her)\b")


AVERAGE = re.compile(r"\b(?:average|avg|mean|typical)\b")


@recipe("customer_card")
def customer_card(req: Request) -> Plan:
    from assistant.planner.analytics_questions import understand  # it imports the filters, which import this

    # "how much did Mini Gifts spend in 2004", "La Rochelle Gifts' average order": that figure of theirs, not the card
    if understand(req.text) is not None and (periods.found(req.text, req.today) or AVERAGE.search(req.lower)):
        return RECIPES["analytics"](req)
    if req.done:
        card = req.done[-1].result.get("data") or {}
        if RETURNS_ASKED.search(req.lower) and card.get("orders") and not card.get("returns"):  # the card says none
            return Plan(answer="No returns or cancellations on file for them. " + report(req))
        if SEGMENT_ASKED.search(req.lower) and req.memory.last_tool == "customer_card":
            return Plan(answer=in_segment(card))
        return Plan(answer=report(req))
    who = customer_meant(req)
    if who is None:
        return Plan(
            answer="Which customer? Say their id, email address or name, e.g. *tell me about customer C0000042* "
            "or *what did anna@example.com buy?*"
        )
    return call("customer_card", customer=who)


def in_segment(card: dict) -> str:
    """ "Which segment fits them" after a card: the segment they are in, from the card, and what to do with it."""
    if card.get("segment_said") is None:
        return "There are no segments yet: say *segment customers* first, then ask again."
    if card.get("segment") is None:
        return card["segment_said"] + " Say *segment customers* again to place everyone."
    number = card["segment"]
    return (
        f"They are in {card['segment_said'][0].lower()}{card['segment_said'][1:]} Next: *describe segment {number}*, "
        f"or *draft an email for segment {number} about ...*."
    )


# A person said without naming them yet: "a customer", "that person", "the second one", "him".
SOMEONE = re.compile(
    r"\b(?:a|one|this|that|the|some) (?:customer|client|shopper|person|buyer|guy|lady)\b|\b(?:one|him|her|his|she|he)\b"
)


# Right after a list of customers, "more on the second one", "who is the top one?" is that customer (not the next
# page, nor a preview or an email for them).
ABOUT_ONE = re.compile(
    r"^(?!.*\b(?:preview|e-?mail|send|draft|mail)).*\b(?:more|about|details?|look|zoom|who(?:'s| is)|profile|info)\b"
    r".*\b(?:one|customer|person|buyer|shopper|client|number \d+)\b"
)
# "look up a customer for me": this intent, whose recipe asks which one.
LOOK_UP_ONE = re.compile(r"\b(?:look\w* ?up|pull up|find|open|check on)\b.*\b(?:a|one) (?:customer|client|shopper)\b")


def promote_to_one_shown(req: Request) -> bool:
    """ "What would you promote to them" right after one customer's card (in a segment): their segment's best fits."""
    card = req.memory.last_tool == "customer_card" and len(req.memory.customers) == 1
    return card and req.memory.segment is not None and bool(PROMOTE_ASKED.search(req.lower))


def more_on_one_shown(req: Request) -> bool:
    """ "More on the second one" right after a list of customers, or "what did they buy" right after one customer's
    card: that customer, whatever the classifier reads."""
    shown = req.memory.shown in ("customers", "predicted customers")
    card = req.memory.last_tool == "customer_card" and len(req.memory.customers) == 1
    if shown and card and (ABOUT_THEM.search(req.lower) or SEGMENT_ASKED.search(req.lower)):
        return True
    return shown and bool(ABOUT_ONE.search(req.lower) and POSITION.search(req.lower))


# After one customer's card: "what did they buy", "did they return anything", "when was their last order"
ABOUT_THEM = re.compile(
    r"^(?!.*\b(?:segments?|groups?|fits?|suits?)\b)\W*(?:what|when|did|do|does|has|have|how (?:much|many|often)|which"
    r"|where|is|are|were|was|will|would)\b.*\b(?:they|them|their|he|him|his|she|her)\b"
)
# One customer's outlook: "is Andrew Stephens likely to buy again?", "what's the chance she stops buying": their card
OUTLOOK_OF_ONE = re.compile(
    r"\b(?:likely|chance|probability|churn|buy again|order again|come back|stop(?:s|ped)? (?:buying|ordering)"
    r"|next (?:order|purchase)|predicted|expected|lifetime value|clv)\b",
    re.I,
)


def said_id(text: str) -> str | None:
    """The email address or customer id a request says, if any ("C0000042" in capitals, as ids are stored)."""
    if found := slots.EMAIL.search(text):
        return found.group(0)
    if found := slots.CUSTOMER_ID.search(text):
        return found.group(0).upper()
    if found := SAID_ID.search(text):
        return found["id"]
    if found := BARE_ID.search(text):
        return found.group(0)
    return None


def names_one(text: str) -> bool:
    """Whether a request is about one person (named, or pointed at) rather than customers in general: "what do my
    customers buy most" is not a customer to look up, "what did customer 17850 buy" and "the second one" are."""
    lower = text.lower()
    return (
        said_id(text) is not None
        or bool(ABOUT_NAME.search(text) or SPOKEN_NAME.search(lower) or SOMEONE.search(lower) or ONE_AT.search(lower))
        or customer_named(Request(text, Memory(), [])) is not None
        or name_asked_about(text) is not None
    )


def customer_meant(req: Request) -> str | None:
    """The customer a request names: an address, an id (one that is a company's name too), a place in the last
    ranking, or a name."""
    if company := req.vocabulary().customer_said(req.text):
        return company[0]
    if found := said_id(req.text):
        return found
    ranked = req.memory.customers
    if ranked and (place := POSITION.search(req.lower)):
        ordinal, last = place["ordinal"], len(ranked) - 1
        at = int(place["n"]) - 1 if place["n"] else last if ordinal == "last" else slots.ORDINALS.get(ordinal, 1) - 1
        return ranked[min(max(at, 0), len(ranked) - 1)]
    if ranked and len(ranked) == 1 and (SOMEONE.search(req.lower) or re.search(r"\b(?:them|they)\b", req.lower)):
        return ranked[0]
    if name := customer_named(req):
        return name
    segments = [n.lower() for n in req.memory.segment_names.values()]
    said = [m["name"] for m in ABOUT_NAME.finditer(req.text)] + [n for n in [name_asked_about(req.text)] if n]
    said += [m["name"] or m["after"] for m in SPOKEN_NAME.finditer(req.lower)]
    for name in said:
        words = name.lower().split()
        if not set(words) & NOT_NAMES and not any(s.startswith(name.lower()) for s in segments):
            return name
    return None


# "unsubscribe Tom Baker", "take Tom Baker off the list", "Tom Baker asked to stop getting our emails".
STOPPING_NAME = re.compile(
    r"\b(?i:unsubscribe|opt[- ]?out|remove|take|drop|suppress|block|(?:stop|quit) (?:e-?mailing|mailing|sending to))"
    r"\s+(?P<name>[A-Z][a-z'-]+ [A-Z][a-z'-]+)\b"
    r"|^\W*(?P<asker>[A-Z][a-z'-]+ [A-Z][a-z'-]+) (?i:asked|wants|has asked|requested|replied|doesn't|does not|"
    r"no longer|would like|wrote|called|rang|emailed)\b"
)


@recipe("unsubscribe")
def unsubscribe(req: Request) -> Plan:
    """Someone asked for no more email: their address goes on the suppression list, once a person confirms."""
    if req.done:
        return Plan(answer=report(req))
    named = STOPPING_NAME.search(req.text)
    who = said_id(req.text) or (named and (named["name"] or named["asker"])) or customer_meant(req)
    if who is None:
        return Plan(
            answer="Who asked to be unsubscribed? Say their email address, customer id or full name, e.g. "
            "*unsubscribe anna@example.com*."
        )
    return call("consent_unsubscribe", customer=who)
