"""Recipes for the product and matching intents: searching the catalogue (or a period's or a country's
best sellers), paging, the shortlist, and which segment or customers fit the products in play.

Split from recipes.py, whose helpers (`recipe`, `report`) they use.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.planner import periods, product_trend, purchasers, segment_slots, shop_terms, slots, together
from assistant.planner.analytics_filters import period, period_refused, recorded_country, shop_words
from assistant.planner.memory import Plan, Request, call
from assistant.planner.recipes import RECIPES, once, recipe, report
from tools.catalog.products import SOLD

# -- products --------------------------------------------------------------------------------------
# "products for them", "something for that group": for a segment, when the last table showed segments
FOR_A_SEGMENT = re.compile(
    r"\bfor (?:them|those|these|those people|(?:that|this|the same) (?:one|" + slots.SEGMENT_WORD + r"))\b"
)


@recipe("products")
def products(req: Request) -> Plan:
    """A catalogue search; said for a segment ("find products for them under €50" after a segment's profile),
    the products that suit that segment, within the same price and category."""
    if (paired := together.plan(req)) is not None:  # "what do people buy together": from the orders
        return paired
    if (changed := product_trend.plan(req)) is not None:  # "which products are selling worse than last month"
        return changed
    if segment_slots.segment_ref(req.text, req.memory) is not None:
        return RECIPES["suggest"](req)
    if req.memory.shown == "segments" and FOR_A_SEGMENT.search(req.lower):
        return Plan(answer="Which segment should I find products for? Say, for example, *products for segment 1*.")
    wanted = slots.product_filters(req.text, req.vocabulary())
    if (from_returns := slots.sort_asked(req.text)) in slots.FROM_RETURNS:
        wanted["sort"] = from_returns
    named = periods.periods(req.text, req.today)
    if "sort" not in wanted and named and re.search(r"\b(?:sell|sold|sales)\b", req.lower):
        wanted["sort"] = "best_selling"  # "what did we sell yesterday": that day's sales, not the catalogue
    if wanted.get("sort") in (*SOLD, *slots.FROM_RETURNS):  # "what sold best in France in May"
        from assistant.planner import period_sales

        if not named and (span := period(req.text)):  # "over christmas": refused, never all-time instead
            return Plan(answer=period_refused(span, "sales by product"))

        country, refused = recorded_country(req.text, req.vocabulary().countries, shop_words(req))
        if refused:
            return Plan(answer=refused)
        if wanted["sort"] in slots.FROM_RETURNS:  # the catalogue keeps no returns: always from the order lines
            return period_sales.by_returns(req, named[0] if named else None, country, wanted)
        if named or country:
            return period_sales.ranked(req, named[0] if named else None, country, wanted)
    if req.done and not (req.done[-1].result.get("data") or {}).get("total", 1):  # nothing to keep
        return Plan(answer=report(req, "Next: *show all products*, or ask in other words."))
    if req.done:
        return Plan(
            answer=unknown_stock(req) + report(req, "Next: *keep the first three*, or ask *which segment fits them*.")
        )
    if REFINES.search(req.lower) and req.memory.search:  # "only the ones in stock": the last search, narrowed
        wanted = {key: value for key, value in req.memory.search.items() if key != "offset"} | wanted
    return call("find_products", **wanted)


# "only the ones in stock", "sort them by margin", "which of those are under 50": the last search, refined
REFINES = re.compile(
    r"^\W*(?:(?:and|but|now|ok|okay|so)\W+)?(?:only|just)\b|^\W*(?:sort|order|rank) (?:them|those|these|it|by)\b"
    r"|^\W*(?:which|what|any|how many) of (?:those|these|them)\b|^\W*the (?:ones|ones that)\b"
    r"|\b(?:of|from|among) (?:those|these|them)\W*$"
)


def unknown_stock(req: Request) -> str:
    """ "how many coats are in stock" where no stock is recorded (an orders log gives none): said, not ignored."""
    if req.vocabulary().stock_known or not re.search(r"\bin stock\b", req.lower):
        return ""
    return "Your catalogue records no stock levels (an orders log does not give them), so these are all of them. "


@recipe("next_page")
def next_page(req: Request) -> Plan:
    last = req.memory.search
    if last is None:
        return Plan(answer="Next page of what? Search first, e.g. *show outerwear products*.")
    if req.done:
        return Plan(answer=report(req, "Say *next page* for more."))
    return call("find_products", **{**last, "offset": last.get("offset", 0) + last.get("limit", 20)})


def products_meant(req: Request) -> list[str]:
    """The products a request means: SKUs it names, a position in the last table, or those in play."""
    named = slots.skus(req.text)
    if named:
        return named
    picked = slots.pick_products(req.text, req.memory)
    return picked if picked is not None else req.memory.skus


ABOUT = re.compile(  # "about our new coats", "promote the coats to the big spenders", "with the best sellers"
    r"\b(?:about|promote|promoting|push|pushing|pitch|pitching|feature|featuring|advertise|advertising"
    r"|with(?= (?:the |our )?(?:best[- ]?sellers|top sellers|new arrivals|newest|latest)\b)) (?!to\b)"
    r"(?:our |the |my |some |a few )?(.+?)\s*(?:$|[?.!,]|\b(?:for|to|with|and)\b)"
)


def products_about(req: Request) -> dict[str, Any] | None:
    """The product search a draft names ("about our new coats": coats, newest first; "a newsletter on motorcycles":
    the shop's category, wherever it is said), if it names one."""
    about = ABOUT.search(req.lower)
    vocabulary = req.vocabulary()
    said = req.lower[about.start(1) :] if about else req.lower
    for name in req.segment_names.values():  # a segment "Classic car lovers" is no product
        said = said.replace(str(name).lower(), " ")
    own = shop_terms.named(said, vocabulary.categories, vocabulary.brands)
    if about is None:
        return {kind: names for kind, names in own.items() if names} or None
    wanted = slots.product_filters(f"find {about[1]}", vocabulary)
    if not ({"category", "brand"} & wanted.keys()) and (own["category"] or own["brand"]):  # "trucks and buses"
        wanted = {kind: names for kind, names in own.items() if names}
    if not ({"search", "category", "brand"} & wanted.keys()) and wanted.get("sort") not in ("newest", "best_selling"):
        return None  # "about our new arrivals", "about our best sellers": those, though they name no product
    return wanted | ({"sort": "newest"} if re.search(r"\bnew\b", about[1]) else {})


def searched_for(req: Request, wanted: dict[str, Any]) -> bool:
    """Whether the products in play are the ones a request names ("about the coats"): the last search was for them."""
    last = req.memory.search or {}
    return all(last.get(key) == wanted[key] for key in ("search", "category", "brand", "sort") if key in wanted)


@recipe("shortlist_add")
def shortlist_add(req: Request) -> Plan:
    if not req.done and SWAP.search(req.text):  # "replace X with Y" keeps Y, and takes X off
        return shortlist_remove(req)
    if (ranked := ranked_in_a_category(req)) is not None:  # "add the cheapest dress as well": searched for first
        return ranked
    if req.done:
        return Plan(answer=report(req, "Next: *which segment fits them* or *draft an email about them*."))
    skus = products_meant(req)
    if not skus:
        return Plan(answer="Which products? Search first (*show outerwear products*), then *keep the first three*.")
    return call("shortlist_add", skus=skus)


def ranked_in_a_category(req: Request) -> Plan | None:
    """ "Add the cheapest dress as well", "keep the two best-selling jeans": that category's products in that order,
    searched for and the first kept (the list on screen may be another category's); "keep the cheapest one" under a
    search: the same search in that order (the rows the planner sees are the first page's first ten, by stock);
    None when neither."""
    named = slots.product_filters(req.text, req.vocabulary()).get("category")
    order = slots.sort_asked(req.text)
    search = req.before.search if req.before.last_tool == "find_products" and not named else None
    ordered = any(re.search(pattern, req.lower) for pattern, _, _ in slots.ORDERINGS)
    if not order or slots.skus(req.text) or not (named or (search is not None and ordered)):
        return None
    found = req.last("find_products")
    if found is None:
        kept = {k: v for k, v in (search or {}).items() if k not in ("sort", "limit", "offset", "page")}
        return call("find_products", **({"category": named} if named else kept), sort=order, limit=5)
    if req.last("shortlist_add") is None:
        n = slots.number_before(req.text, r"(?:cheapest|priciest|most|best|top|highest|lowest|newest)") or 1
        skus = [str(sku) for sku in found.rows("sku")[: min(n, 5)]] if found.ok else []
        if not skus:
            return Plan(answer=report(req, "No products match that."))
        return call("shortlist_add", skus=skus)
    return Plan(answer=report(req, "Next: *which segment fits them* or *draft an email about them*."))


@recipe("shortlist_show")
def shortlist_show(req: Request) -> Plan:
    return once(req, "shortlist_show", "Next: *which segment fits them*.")


# Words that take something off; without one, "the second one", "cheapest three" after a list mean keep those.
REMOVING = (
    r"\b(?:remove|drop|delete|take\b.*\b(?:off|out)|unpick|unshortlist|get rid|rid of|clear|empty|swap|replace"
    r"|switch|exchange|ditch|scrap"
    r"|lose|exclude|without|minus|forget|never ?mind|not (?:that|this|those|these|the)|no longer|don'?t (?:want|need)"
    r"|(?:do not|doesn'?t|won'?t) (?:want|need|fit|work)"
    r"|put\b.*\bback|go(?:es)? back|wipe|reset|from scratch|kick\b.*\bout|scratch|undo|shouldn'?t be|not featuring"
    r"|pull|take\b.*\baway|discontinued|remvoe|delet|no to|(?:'s| is) a no|changed my mind|didn'?t mean|wrong one"
    r"|too many|can go|(?:'s|is|are) out)\b"
)
# The whole list, no product named: "wipe the shortlist", "start the picks from scratch", "clear it".
WHOLE_LIST = re.compile(
    r"\b(?:clear|empty|wipe|reset|from scratch|start (?:\w+ )*?(?:over|again|afresh)|everything|all of (?:them|it)"
    r"|the (?:whole|entire) (?:list|shortlist|selection))\b"
)


# "swap the second one for the third", "replace OUT-000002 with the cheapest": one off, the other on
SWAP = re.compile(r"\b(?:swap|replace|switch|exchange)\b(?P<out>.+?)\b(?:for|with)\b(?P<new>.+)$", re.IGNORECASE)


@recipe("shortlist_remove")
def shortlist_remove(req: Request) -> Plan:
    if (swap := SWAP.search(req.text)) and (taken := req.last("shortlist_remove")) and taken.ok:
        new = slots.skus(swap["new"]) or slots.pick_products(swap["new"], req.memory)
        if new and not req.last("shortlist_add"):
            return call("shortlist_add", skus=new)
    if not req.done and not req.has(REMOVING) and not WHOLE_LIST.search(req.lower):
        return shortlist_add(req)  # a bare position never removes: nothing is lost by keeping
    if req.done:
        if req.last("shortlist_add"):
            return shortlist_add(req)
        return Plan(answer=report(req, ""))
    said = swap["out"] if swap else req.text
    skus = slots.skus(said) or slots.pick_products(said, req.memory) or []
    if not skus and WHOLE_LIST.search(req.lower):
        return call("shortlist_remove", skus=[])  # the tool clears the list
    if not skus:
        return Plan(answer="Which products? Name them, e.g. *remove the second one from the shortlist*.")
    return call("shortlist_remove", skus=skus)


# -- matching --------------------------------------------------------------------------------------
def named_products(req: Request) -> list[str] | Plan | None:
    """The best sellers of the shop's category or brand a request names ("which segment fits the motorcycles"),
    found first; None when it names neither (or names products outright: a SKU, "the second one")."""
    if slots.skus(req.text) or slots.pick_products(req.text, req.memory) is not None:
        return None
    wanted = slots.product_filters(req.text, req.vocabulary())
    if not ({"category", "brand"} & wanted.keys()):
        noun = wanted.get("search") or slots.product_named_last(req.text)
        if not noun:
            return None
        wanted = {"search": noun}  # "the best audience for our wool coats": those, not the last ones shown
    found = req.last("find_products")
    if found is None:
        searched = ("search", "category", "brand", "price_min", "price_max", "sort")
        own = {k: v for k, v in wanted.items() if k in searched}
        return call("find_products", **own, limit=3)
    skus = [str(s) for s in (found.result.get("data") or {}).get("skus") or []]
    return skus or Plan(answer=report(req, "No products match that; try other words or *show products ...*."))


@recipe("match")
def match(req: Request) -> Plan:
    named = named_products(req)
    if isinstance(named, Plan):
        return named
    skus = named or products_meant(req)
    if not skus:
        return Plan(answer="Which products? Name one, or search first: *show high margin outerwear*.")
    if not req.last("match_segments"):
        return call("match_segments", product=skus)
    segment = req.memory.segment if req.memory.segment is not None else 1  # the best fit, learnt from the ranking
    return Plan(answer=report(req, f"Next: *draft an email for segment {segment} about them*."))


@recipe("rank")
def rank(req: Request) -> Plan:
    if (bought := purchasers.plan(req)) is not None:  # "customers who bought jeans": past buyers, not the fit
        return bought
    skus = slots.skus(req.text) or slots.pick_products(req.text, req.memory) or []
    if not skus and (found := req.last("find_products")):
        skus = [str(s) for s in found.rows("sku")[:3]]
        if not skus:
            return Plan(answer=report(req, "No products match that; try other words or *show products ...*."))
    if not skus:
        search = slots.product_filters(req.text, req.vocabulary())
        if search.get("search") or search.get("category"):
            return call("find_products", **{**search, "sort": "newest", "limit": 5})
        if not req.memory.skus:
            return Plan(answer="Which products? E.g. *which customers would buy the new trench coats?*")
        skus = req.memory.skus
    if not req.last("rank_customers"):
        return call("rank_customers", product=skus, top=20)
    return Plan(answer=report(req, "Next: *draft an email about them*."))
