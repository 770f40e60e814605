"""The draft recipe: which products and which audience an email is for, from what the marketer typed and what is
in play ("draft an email for the bargain hunters about those coats").

An audience named but unknown ("for the VIPs", with no segment of that name) is asked about, never replaced
by the segment in play: the email would go to people the marketer did not mean.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from assistant.planner import purchasers, segment_slots, slots
from assistant.planner.memory import Plan, Request, call
from assistant.planner.predict_recipes import chosen_by_outlook
from assistant.planner.product_recipes import ABOUT, products_about, products_meant, searched_for
from assistant.planner.recipes import recipe, report

# "for the VIPs", "to our loyal fans": people, by a name; "for the winter sale", "for our new coats" are not
# "about my shortlist", "featuring the shortlisted products", "with our picks": the shortlist's products
SHORTLISTED = re.compile(r"\bshort-?list(?:ed)?\b|\b(?:my|our|the) picks\b")
SEVERAL = re.compile(r"\b(?:segments|groups|clusters) \d+(?:(?:\s*,\s*|\s+and\s+|\s*&\s*|\s*\+\s*)\d+)+\b")
PEOPLE = re.compile(
    r"\b(?:customers|buyers|shoppers|clients|people|fans|members|subscribers|spenders|hunters|seekers|lovers"
    r"|owls|birds|vips|regulars|loyalists|crowd|folks?|audience|users|visitors|guests|patrons|whales)$",
    re.I,
)


# The draft's refusal when its audience is chosen by prediction ("for the lapsed customers") and none was made yet.
NOT_PREDICTED = "nothing has been predicted yet"


# "… with 10% off", "… offering free shipping": an offer said with the draft, added to its copy as a revision would
OFFER = re.compile(
    r"\b(?:with|offering|for|plus|giving|and)\s+(?:an? |the )?"
    r"(?P<offer>(?P<amount>\d{1,2}(?:[.,]\d+)?\s?%|[£$€]\s?\d+(?:[.,]\d{2})?)\s*(?:off|discount(?: code)?|code"
    r"|coupon|voucher)\b"
    r"(?: (?:everything|all|orders?|their next order|the \w+))?|free (?:shipping|delivery|returns)"
    r"|(?:discount|promo|coupon) code [A-Za-z0-9]{3,})",
    re.I,
)


def with_offer(req: Request) -> Plan | None:
    """The revision that adds the offer the request named to the draft just written; None when none was named (or it
    is added already). Drafting alone would drop it without a word."""
    drafted, offer = req.last("campaign_draft"), OFFER.search(req.text)
    if offer is None or drafted is None or not drafted.ok or req.last("campaign_revise"):
        return None
    campaign = (drafted.result.get("data") or {}).get("campaign_id")
    said = f"{offer['amount']} off" if offer["amount"] else offer["offer"]  # "a 10% code": 10% off
    return call("campaign_revise", campaign_id=campaign, instruction=f"mention {said}") if campaign else None


HAND_PICKED = (
    "An email goes to a segment, to everyone, or to customers chosen by what they did, so that they are counted again "
    "when it is sent: not to a list shown here. Say which, e.g. *email customers who haven't ordered in 60 days about "
    "...*, *email everyone who bought the jumbo bag*, or *draft an email for segment 1 about ...*. Nothing was drafted."
)
# The customers on screen as the audience: "email them", "write to those people", "a draft for these customers"
THEM = re.compile(
    r"\b(?:for|to|email|e-mail|mail|message|target)\s+(?:them|those|these)(?:\s+(?:people|customers|buyers))?\b"
)


@recipe("draft")
def draft(req: Request) -> Plan:
    if (after := predicted_first(req)) is not None:
        return after
    if (offered := with_offer(req)) is not None:
        return offered
    if req.last("campaign_draft"):
        follow = "Look at the preview, then press **Approve**, **Revise** or **Reject**."
        req.done = [s for s in req.done if s.name != "query_data"]  # who bought what: the draft's audience says it
        unsegmented = [s for s in req.done if s.name == "match_segments" and "segments yet" in str(s.result)]
        if unsegmented:  # no segments: not a failure to show, the email is for everyone
            req.done = [s for s in req.done if s not in unsegmented]
            follow = "There are no segments yet, so it is for all customers (*segment customers* to aim it). " + follow
        return Plan(answer=report(req, follow))
    buyers = req  # "email them about the doormats" right after "customers who bought the jumbo bag": those buyers
    if req.before.shown == "customers" and req.before.buyers_asked and THEM.search(req.lower):
        buyers = replace(req, text=req.before.buyers_asked)
    if isinstance(bought := purchasers.products_bought(buyers), Plan):  # "email everyone who bought the jam set"
        return bought
    if req.before.shown == "customers" and not bought and THEM.search(req.lower) and not chosen_by_outlook(req):
        return Plan(answer=HAND_PICKED)  # "who has gone longest without ordering", then "email them"
    skus, wanted = products_meant(req), products_about(req)
    if bought and not ABOUT.search(req.lower):  # featuring what they bought, unless other products are named
        skus, wanted = bought[:3], None
    if SHORTLISTED.search(req.lower) and not slots.skus(req.text):  # "about my shortlist": what it holds
        if (listed := req.last("shortlist_show")) is None:
            return call("shortlist_show")
        skus, wanted = [str(sku) for sku in (listed.result.get("data") or {}).get("skus") or []], None
        if not skus:
            return Plan(answer=report(req, "Keep some products first (*show coats*, then *keep the first two*)."))
    if skus and wanted and not slots.skus(req.text) and not searched_for(req, wanted):  # "about coats" after the jeans
        skus = []
    if not skus and wanted:  # "about our new coats", with nothing in play (or other products): find them
        found = req.last("find_products") or req.last("suggest_products")
        fits = fitting(req, wanted)  # "for the deal seekers about jeans": the jeans that fit them best
        if found is None:
            return call("suggest_products", **fits) if fits else call("find_products", **{"limit": 3, **wanted})
        skus = list((found.result.get("data") or {}).get("skus") or [])[:3]
        if not skus:
            return Plan(answer=report(req, "Name other products, or *show all products* to pick from."))
    if unordered(req, wanted):  # "about the best sellers" in a shop that cannot tell them: never other products
        return Plan(answer=report(req, "Nothing was drafted: name the products instead (*show coats*, then *keep "
                                  "the first two*), or import your orders log with products."))  # fmt: skip
    if not skus:
        return Plan(
            answer="Which products should the email feature? Find some first, e.g. *show our best-margin jackets*, "
            "keep the ones you like (*keep the top three*), then ask for the email again."
        )
    everyone = req.has(r"everyone|all (?:customers|of them)|everybody")
    seg = segment_slots.segment_ref(req.text, req.memory) if not everyone else None
    if seg is None and slots.THAT_SEGMENT.search(req.lower) and segment_slots.segment_ref(req.text, req.before) is None:
        return Plan(  # "email that group about knitwear" with no one group on screen: never the best fit instead
            answer="Which segment do you mean? Say it by number or name, e.g. *email segment 1 about ...*. Nothing "
            "was drafted."
        )
    chosen = chosen_by_outlook(req)  # customers slipping away: chosen by prediction, not by a segment's name
    chosen |= {"bought": bought} if bought else {}  # and those who bought a product: from the orders
    everyone = everyone or bool(chosen)
    audience = re.search(
        r"\b(?:for|to|email|e-mail|mail|message|target) (?!about\b)(?:the |our |my )?([a-z][a-z' -]+?)\s*"
        r"(?:$|[?.!,]|\babout\b|\bwith\b)",
        req.lower,
    )
    if seg is None and not everyone and audience and not re.fullmatch(r"them|these|those|it", audience[1]):
        listed = req.last("segment_list")  # "for the bargain hunters": a segment by its name
        if listed is None and not req.memory.segment_names:
            return call("segment_list")
        names = req.memory.segment_names
        if listed is not None:
            names = {int(n): str(x) for n, x in zip(listed.rows("segment"), listed.rows("name"), strict=False)}
        seg = segment_slots.segment_named(audience[1], names)
        if seg is None and (unknown := unknown_audience(req.text[audience.start(1) : audience.end(1)])):
            return Plan(answer=unknown + segments_are(names))
    meant = [] if seg is not None or everyone else req.memory.segments_meant  # "the top two of those", "for them"
    if seg is None and not everyone:
        seg = req.memory.segment
    if seg is None and not everyone and not meant:
        matched = req.last("match_segments")
        if matched is None:
            return call("match_segments", product=skus)
        best = matched.rows("segment")
        seg = int(best[0]) if best else None
    arguments: dict[str, Any] = {"skus": skus, **chosen}
    if (several := SEVERAL.search(req.lower)) and not everyone:  # "segments 3 and 4": both, not the first alone
        arguments["segments"] = sorted({int(n) for n in re.findall(r"\d+", several[0])})
    elif seg is not None:
        arguments["segment"] = seg
    elif meant:
        arguments["segments"] = meant
    variants = slots.number_after(req.text, r"(?:show me|give me|with|write)")
    if variants and req.has(r"subject|variant|version"):
        arguments["variants"] = variants
    if tone := slots.tone(req.text):
        arguments["tone"] = tone
    return call("campaign_draft", **arguments)


def fitting(req: Request, wanted: dict[str, Any]) -> dict[str, Any] | None:
    """The best fits of the one segment a draft names, among the categories it is about (no other order asked): a
    budget segment's jeans are its price, not the three most stocked (a €518 pair in a "doesn't cost the earth"
    email). None when no one segment is named, or the search is by words or in another order."""
    from assistant.planner.analytics_one import segments_named  # it imports the analytics, which need the recipes

    if set(wanted) - {"category", "limit"} or not wanted.get("category"):
        return None
    named = {k for _, _, k in segments_named(req)}
    if len(named) > 1:
        return None
    segment = named.pop() if named else segment_slots.segment_ref(req.text, req.before)
    if segment is None:
        return None
    categories = wanted["category"] if isinstance(wanted["category"], list) else [wanted["category"]]
    return {"segment": segment, "category": categories, "top": 3}


def unordered(req: Request, wanted: dict[str, Any] | None) -> bool:
    """Whether this turn's product search could not order them as the draft names them ("the best sellers" with no
    orders log of products: the search says so, and falls back to the most stocked)."""
    found = req.last("find_products")
    used = ((found.result.get("data") or {}).get("sort") if found else None) or (wanted or {}).get("sort")
    return bool(wanted and wanted.get("sort")) and used != wanted["sort"]


def predicted_first(req: Request) -> Plan | None:
    """ "An email for the lapsed customers" before any prediction: predict, then draft again (the refusal is dropped
    from the answer); when the data is too thin to predict, say why and what works instead. None otherwise."""
    tried = [s for s in req.done if s.name == "campaign_draft" and NOT_PREDICTED in str(s.result.get("error", ""))]
    if not tried:
        return None
    predicted = req.last("predict")
    if predicted is None:
        return call("predict")
    if not predicted.ok:
        why = str(predicted.result.get("error", "")).rstrip(".")
        return Plan(
            answer=f"I could not choose customers by how likely they are to lapse: {why}. Nothing was drafted. "
            "Instead, draft it for a segment, or ask *who has gone longest without ordering* to see them (from the "
            "orders alone)."
        )
    if req.done[-1].name == "predict":
        return call("campaign_draft", **tried[0].arguments)
    req.done = [s for s in req.done if s not in tried]  # the refusal is answered: it predicted, then drafted
    return None


def unknown_audience(said: str) -> str | None:
    """ "No segment is called “VIPs”." for people named by a name no segment has; None for anything else."""
    said = re.sub(r"^(?:(?:for|to)\s+)?(?:(?:the|our|my)\s+)?", "", said.strip(), flags=re.I)  # "email to our fans"
    return f"No segment is called “{said}”, so I did not draft it. " if PEOPLE.search(said) else None


def segments_are(names: dict[int, str]) -> str:
    if not names:
        return "There are no segments yet: say *segment customers* first, or draft it for everyone."
    listed = "; ".join(f"{n} {name}" for n, name in sorted(names.items()))
    first = min(names)
    return (
        f"Your segments: {listed}. Say *draft it for segment {first}*, or name one first (*call segment {first} ...*)."
    )
