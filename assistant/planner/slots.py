"""Slot extraction: the numbers, amounts, SKUs, segments and products a request refers to.

Hand-written patterns rather than a library: the slots are few and domain-shaped (a SKU, "the
cheapest three of those", "group 2", "the VIPs" once a segment has that name), and the parsers
that exist (dateparser, quantulum, spaCy's matchers) bring large models for none of these.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.planner import shop_terms
from assistant.planner.memory import Memory
from assistant.planner.vocabulary import Vocabulary

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
}  # fmt: skip
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5,
}  # fmt: skip
NUMBER = r"(\d+|" + "|".join(NUMBER_WORDS) + r")"
SKU = re.compile(r"\b[A-Z]{2,5}-\d{3,}\b", re.IGNORECASE)
SKU_AFTER_WORD = re.compile(r"\bskus?\s*[:#]?\s*([A-Za-z0-9][\w-]*\d[\w-]*)", re.IGNORECASE)
CUSTOMER_ID = re.compile(r"\bC\d{3,}\b", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TONES = ["playful", "formal", "friendly", "luxurious", "urgent", "casual", "elegant", "warm"]
SEGMENT_WORD = r"(?:segment|group|cluster|persona|audience)s?"
THAT_SEGMENT = re.compile(r"\b(?:that|this|the same) (?:segment|group|cluster|persona|audience)\b")
THAT_ONE = re.compile(r"\b(?:that|this) one\b")  # a segment only right after a segment table
ORDINAL = r"(" + "|".join(ORDINALS) + r"|last)"
# "the second audience", "the 3rd group", "the last segment": a place in the segment list, whatever was shown
ORDINAL_SEGMENT = re.compile(r"\b" + ORDINAL + r"\s+" + SEGMENT_WORD + r"\b")
# "the second one", "and the last?": a place in the segment list only right after a segment table
ORDINAL_ONE = re.compile(r"\bthe\s+" + ORDINAL + r"(?:\s+one)?\s*[?.!]*$|\b" + ORDINAL + r"\s+one\b")
# "them": the segment, when the last table was segments ("about them" is the products, whatever was shown)
THEM = re.compile(r"(?<!about )(?<!of )(?<!with )\b(?:them|they|those people)\b")
# "clear the customers", "get rid of the people who said no": no customer is deleted from the chat, and no fix or
# shortlist change stands in for it; repairs ("remove the duplicates", "delete the broken records") are fixes.
DELETE_PEOPLE = re.compile(
    r"\b(?:delete|remove|clear|wipe|erase|get rid of|purge|drop|throw out|bin)\b"
    r"(?!.*\b(?:duplicat\w*|dupes?|broken|invalid|bad|typos?|errors?|shortlist|picks|version|draft|campaign)\b)"
    r".*\b(?:customers?|people|contacts|subscribers|shoppers|clients|everyone|everybody)\b"
)
# "wipe the shop and start over", "reset everything": nothing is erased from the chat either (the fix recipe says how
# to start again with other data).
WIPE_SHOP = re.compile(
    r"\b(?:wipe|erase|reset|clear out|delete|nuke)\b.*\b(?:the shop|my shop|our shop|the store|the database|everything"
    r"|all (?:the |my |our )?data)\b"
)
# How a list of products can be ordered when someone says "the cheapest three" (column, highest first?).
ORDERINGS = [
    (r"cheapest|least expensive|lowest.priced", "price", False),
    (r"most expensive|priciest|dearest|highest.priced", "price", True),
    (r"(?:best|highest|biggest|top) margins?|most profitable", "margin", True),
    (r"most (?:in )?stock|best stocked", "stock", True),
    (r"least (?:in )?stock|lowest stock", "stock", False),
]
SORT_WORDS = [  # (pattern, find_products sort): "cheapest shoes", "top 5 products by margin"
    (r"cheapest|lowest price|least expensive|\bcheap\b|budget|inexpensive|affordable", "price_asc"),
    (
        r"most expensive|priciest|highest price|price,? (?:from )?high(?:est)? to low|price,? descending"
        r"|(?:dearest|priciest|most expensive) first",
        "price_desc",
    ),
    (
        r"price,? (?:from )?low(?:est)? to high|price,? ascending|\b(?:sort|order|rank)\w* (?:\w+ )?by price\b",
        "price_asc",
    ),
    (r"(?:low|lowest|worst|poor|thin|smallest) (?:margin|markup)", "margin_asc"),
    # the markup on cost orders products as the margin does (markup = margin / (1 - margin))
    (r"(?:best|highest|top|by|high|most|biggest) (?:margin|markup)|most profitable", "margin_desc"),
    (r"newest|new arrivals|latest|just (?:in|arrived|landed|c[ao]me in(?:to)?)\b|\bnew (?:this|in)\b", "newest"),
    (
        r"low(?:est)? (?:on )?stock|running (?:low|out)|least stock|(?:almost|nearly) sold out|re-?order|restock"
        r"|replenish",
        "stock_asc",
    ),
    (r"overstock|most stock|too much stock|excess stock|too much of", "stock_desc"),
    (  # "top 5 products by revenue", "which products make the most money": takings first, not units
        r"\b(?:products?|items?|skus?|sellers?)\b(?! lines?\b).*\b(?:by|most|highest|biggest) "
        r"(?:revenue|sales value|takings)|\b(?:products?|items?|skus?)\b(?! lines?\b).*\b(?:makes?|made|earns?"
        r"|earned|brings? in|brought in|generates?) (?:(?:us|the) )?(?:most|more) (?:money|revenue)"
        r"|\bhighest.grossing\b|\btop.grossing\b",
        "top_revenue",
    ),
    (
        r"sells? (?:best|most|well)|selling (?:best|most|well)|best.?sell|top.?sell|most (?:popular|sold|bought)"
        r"|what(?:'?s| is| are)? (?:\w+ )?selling\b|\bwhat sells\b|\bmoving fast(?:est)?\b"
        r"|(?:buy|buying|bought|order|ordering) (?:the )?most\b|most (?:often )?(?:bought|ordered)\b"
        r"|sold (?:the )?(?:most|best|well)|sell(?:s|ing)? the most|(?:by|most) (?:units|revenue|sales)"
        r"|\btop (?:\d+ |\w+ )?(?:products|items|lines|sellers)\b(?! by (?!units|revenue|sales))"
        r"|\bwhat (?:are|do|does|did|is) (?:the |our |my )?[a-z]+(?: [a-z]+)? "
        r"(?:buying|buy|ordering|order|purchasing)\b",
        "best_selling",
    ),
]
SORT_WORDS.insert(  # before the best sellers: "barely sold", "not selling" are about selling too
    0,
    (
        r"\b(?:never|not|no one|nobody)\b.{0,12}\b(?:returned|returns?|sent back|refunded)\b|\bwithout (?:any )?returns"
        r"|\b(?:no|zero) returns\b",
        "never_returned",
    ),
)
SORT_WORDS.insert(
    1,
    (
        r"(?:most|highest|biggest|top|many) (?:returns|returned|refunds|refunded|cancellations|cancelled)"
        r"|(?:returned|refunded|sent back|cancelled) (?:the )?most|return rate by product",
        "most_returned",
    ),
)
SORT_WORDS.insert(
    2,
    (
        r"barely (?:sold|selling|sell)|(?:not|isn'?t|aren'?t|hardly) (?:selling|moving)|slow(?:est)?.?(?:mov|sell)\w*|"
        r"(?:didn'?t|did not|don'?t|do not|doesn'?t|does not|wasn'?t|weren'?t|haven'?t|hasn'?t) (?:\w+ )?"
        r"(?:sell|sold|selling|move|moved|moving)\b|"
        r"worst.?sell\w*|sell(?:s|ing)? (?:the )?(?:least|worst|badly|poorly)|sold (?:the )?(?:least|worst)|dead stock"
        r"|never sold|(?:least|fewest) (?:sold|popular)|\b(?:nobody|no one|no-one|noone) (?:\w+ )?"
        r"(?:bought|buys|ordered|orders|wants|purchased)",
        "slow_selling",
    ),
)
# "what should I promote this week?", "what could we push?", "any ideas what to feature?": asking for ideas,
# not for products called "this week" (a request with its own order, "cheapest", keeps that order).
PROMOTE_IDEAS = re.compile(
    r"\b(?:what|which)(?: \w+)?(?: \w+)? (?:should|could|can|shall|would|might|to|do)\b.{0,30}?"
    r"\b(?:promot|push|featur|highlight|spotlight|lead\b|put forward)"
    r"|\bideas?\b.{0,30}\b(?:promot|push|featur|highlight|spotlight)"
    r"|\bworth (?:promoting|pushing|featuring)|\bsuggest\b.{0,30}\b(?:promote|push|feature)\b"
    r"|\b(?:good|star|hero) (?:candidates?|picks?|products?)\b"
    r"|\b(?:recommend|suggest)\b.{0,40}\b(?:send|promot|push|featur|email|campaign|this week|this month)"
    r"|\b(?:should|could) (?:go|be) (?:in|into) (?:the |this |our |my )?(?:campaign|e-?mail|newsletter|mail)\b"
)
MARGIN = re.compile(r"\bmargins?\b|profitab")  # "jackets with good margins": a mention of margin sorts by it
ABOVE = r"(?:over|above|more than|greater than|at least|from|>=?)\s*"
BELOW = r"(?:under|below|less than|at most|up to|cheaper than|<=?)\s*"
CURRENCY_WORD = r"(?:€|\$|£|eur(?:os?)?\b|dollars?\b|pounds?\b|bucks\b|quids?\b|gbp\b|usd\b)"
AMOUNT = r"(?:[€$£]\s*(\d+(?:[.,]\d+)?)|(\d+(?:[.,]\d+)?)\s*" + CURRENCY_WORD + ")"


def as_number(word: str) -> int:
    return NUMBER_WORDS.get(word) or int(word)


def number_after(text: str, pattern: str) -> int | None:
    match = re.search(pattern + r"\s*(?:=\s*)?" + NUMBER + r"\b", text.lower())
    return as_number(match.group(1)) if match else None


def number_before(text: str, pattern: str) -> int | None:
    match = re.search(NUMBER + r"\s+" + pattern, text.lower())
    return as_number(match.group(1)) if match else None


def skus(text: str) -> list[str]:
    found = [m.upper() for m in SKU.findall(text)] + [m.upper() for m in SKU_AFTER_WORD.findall(text)]
    return list(dict.fromkeys(found))


def tone(text: str) -> str | None:
    return next((t for t in TONES if t in text.lower()), None)


# Right after a segment table, a bare number is that segment: "2", "what about 2?", "number 3 please".
# The words before a bare reference to a listed segment: "what about", "tell me more about", "and".
def pick_products(text: str, memory: Memory) -> list[str] | None:
    """The products a reference points at in the last product table: "the top two of those", "the cheapest
    three", "the second one", "the last one". None when the text points at no position."""
    rows = memory.products or [{"sku": s} for s in memory.found]
    if not rows:
        return None
    t = text.lower()
    count = r"(?:\s+(" + "|".join(NUMBER_WORDS) + r"|\d{1,2}))?"
    for pattern, column, highest in ORDERINGS:
        m = re.search(r"(?:\b" + NUMBER + r"\s+)?\b(?:" + pattern + r")" + count + r"\b", t)
        if m and all(column in r for r in rows):
            n = as_number(m.group(1) or m.group(2)) if (m.group(1) or m.group(2)) else 1
            ordered = sorted(rows, key=lambda r: r[column] if r[column] is not None else 0, reverse=highest)
            return [str(r["sku"]) for r in ordered[:n]]
    # "the top two", "the best two", "the two best": the first rows, as the list is ordered
    first = r"\b(?:top|first|those|these|the|best)\s+" + NUMBER + r"\b|\b" + NUMBER + r"\s+(?:best|top|first)\b"
    if m := re.search(rf"(?:{first})(?!\s*(?:%|percent|segments|groups))", t):
        return [str(r["sku"]) for r in rows[: as_number(m.group(1) or m.group(2))]]
    if m := re.search(r"\blast\s+" + NUMBER + r"\b", t):
        return [str(r["sku"]) for r in rows[-as_number(m.group(1)) :]]
    if re.search(r"\b(?:the )?last (?:one|pick|product|item)\b", t):
        return [str(rows[-1]["sku"])]
    if places := numbered_places(t):  # "keep 1 and 3", "items 2, 4 and 5", "number 2"
        return [str(rows[place - 1]["sku"]) for place in places if place <= len(rows)] or None
    not_a_segment = r"\b(?!\s+" + SEGMENT_WORD + r"\b)"  # "the second group" is a segment, never a product
    # "the second one", "the second and fourth", "1st, 3rd and 5th": each place said, in the order said
    said = re.findall(r"\b(" + "|".join(ORDINALS) + r")" + not_a_segment, t)
    if said:
        places = list(dict.fromkeys(ORDINALS[word] for word in said))
        return [str(rows[place - 1]["sku"]) for place in places if place <= len(rows)]
    return None


# Rows by their number: a list of two or more ("1 and 3", "2, 4 & 5"), or one said as a number ("item 2", "#3"),
# never a range ("between 40 and 80") nor amounts ("10 and 20%").
LISTED_PLACES = re.compile(
    r"(?<!between )(?<!from )\b(\d{1,2})((?:\s*(?:,|and|&)\s*#?\d{1,2}\b)+)"
    r"(?!\s*(?:%|percent|[€$£]|euros?|dollars?|pounds?|quid|k\b|units?|days?|weeks?|months?|years?))"
)
ONE_PLACE = re.compile(r"(?:\b(?:number|no\.?|item|product|row)\s*|#)(\d{1,2})\b(?!\s*(?:%|[€$£]))")


def numbered_places(t: str) -> list[int]:
    """The rows a text names by number, in the order said ("keep 1 and 3": [1, 3])."""
    if m := LISTED_PLACES.search(t):
        return list(dict.fromkeys(int(n) for n in re.findall(r"\d{1,2}", m.group(0))))
    return [int(m.group(1))] if (m := ONE_PLACE.search(t)) else []


# "fewer than 10 in stock" is at most 9, "more than 10" at least 11; "at least", "at most", "or more" keep theirs
STOCK_BOUND = {
    r"(?:more than|over|above|greater than|>)": ("min_stock", 1),
    r"(?:at least|from|>=)": ("min_stock", 0),
    r"(?:fewer than|less than|under|below|<)": ("max_stock", -1),
    r"(?:at most|up to|no more than|<=)": ("max_stock", 0),
}
STOCKED = r"(?:units?\s+|items?\s+|pieces?\s+)?(?:in stock|left|on hand|in the warehouse)"


def stock_bounds(t: str) -> dict[str, int]:
    """min_stock/max_stock from "stock below 10", "fewer than 5 left", "10 or more in stock" (both inclusive)."""
    found: dict[str, int] = {}
    for said, (key, step) in STOCK_BOUND.items():
        for m in re.finditer(rf"stock\s+(?:levels?\s+)?(?:of\s+)?{said}\s*(\d+)\b(?!\s*{CURRENCY_WORD})"
                             rf"|\b{said}\s*(\d+)\s+{STOCKED}", t):  # fmt: skip
            found[key] = max(0, int(m.group(1) or m.group(2)) + step)
    if m := re.search(rf"\b(\d+) or (more|fewer|less)\s+{STOCKED}", t):
        found["min_stock" if m.group(2) == "more" else "max_stock"] = int(m.group(1))
    if not found and not re.search(r"\b(?:sold|sells?|selling|bought|ordered|per order)\b", t):
        for said, (key, step) in STOCK_BOUND.items():  # "the ones with under 10 units": of a product list, its stock
            if m := re.search(rf"\b{said}\s*(\d+)\s+units?\b", t):
                found[key] = max(0, int(m.group(1)) + step)
    return found


def product_filters(text: str, vocabulary: Vocabulary) -> dict[str, Any]:
    """find_products arguments from a request: margins, stock, prices, the shop's categories and brands, order."""
    t, filters = text.lower(), {}
    if m := re.search(r"margins?\w*\s+(?:of\s+)?" + ABOVE + r"(\d+(?:\.\d+)?)\s*(%|percent)?", t):
        value = float(m.group(1))
        filters["min_margin"] = value / 100 if m.group(2) or value > 3 else value
    filters |= stock_bounds(t)
    if re.search(
        r"\b(?<!almost )(?<!nearly )(?:out of stock|sold out|no stock|zero stock|none left|nothing left)\b", t
    ):
        filters["max_stock"] = 0  # "what's sold out", "how many products have no stock"
    in_stock = re.search(r"\b(?:in stock|available)\b", t) and vocabulary.stock_known
    if in_stock and not {"min_stock", "max_stock"} & filters.keys():
        filters["min_stock"] = 1  # "anything in stock under 30 quid": what can be sold now
    priced = r"(?:price[sd]?|costing|costs?)\s+"
    between = re.search(r"\bbetween\s+[€$£]?\s*(\d+(?:\.\d+)?)\s*(?:€|eur\w*)?\s+and\s+[€$£]?\s*(\d+(?:\.\d+)?)\b"
                        r"(?!\s*(?:%|percent|units|items|pieces|in stock|left))", t)  # fmt: skip
    if between and not re.search(r"stock|margin|units", t):  # "dresses between 40 and 80 euros": a price range
        low, high = sorted(float(v) for v in between.groups())
        filters["price_min"], filters["price_max"] = low, high
    for bound, key in ((BELOW, "price_max"), (ABOVE, "price_min")):
        m = re.search(priced + bound + r"[€$£]?\s*(\d+(?:\.\d+)?)", t) or re.search(bound + AMOUNT, t)
        if m is None and not re.search(r"stock|margin|units|%|percent", t):  # "dresses under 50": a price
            m = re.search(bound + r"(\d+(?:\.\d+)?)\b(?!\s*(?:items|pieces|products|left|orders|customers|days))", t)
        if m:
            filters[key] = float(next(g for g in m.groups() if g).replace(",", "."))
    own = shop_terms.named(t, vocabulary.categories, vocabulary.brands)  # "a classic car": "Classic Cars"
    if own["category"]:
        filters["category"] = own["category"]
    if own["brand"]:
        filters["brand"] = own["brand"]
    said = r"(?:matching|named|called|containing|(?:products?|items?|things?|anything|something|ones) like)\s+"
    if m := re.search(said + r"[\"']?([\w\s-]+?)[\"']?\s*(?:$|[?.!,]|with)", t):
        filters["search"] = singular(m.group(1).strip())
    elif (
        "category" not in filters
        and not PROMOTE_IDEAS.search(t)  # "Northlane jackets": jackets, by Northlane
        and (noun := _product_noun(shop_terms.without(t, [], vocabulary.brands) if own["brand"] else t))
    ):
        filters["search"] = noun
    sort = sort_asked(t)
    if sort is None and PROMOTE_IDEAS.search(t):
        sort = "worth_promoting"
    if sort is None and "min_margin" not in filters and MARGIN.search(t):  # a margin floor is a filter, not an order
        sort = "margin_desc"
    if sort is None and "max_stock" in filters:  # "fewer than 10 left": the ones nearest to running out first
        sort = "stock_asc"
    if sort and sort not in FROM_RETURNS:  # not an order of the catalogue: counted from the order lines
        filters["sort"] = sort
    counted = r"\b" + NUMBER + r"\s+(?:" + ORDER_WORDS + r")\b"  # "the three cheapest coats"
    if m := re.search(r"\btop\s+" + NUMBER + r"\b|\b" + NUMBER + r"\s+(?:\w+\s+)?(?:products|items)\b|" + counted, t):
        filters["limit"] = as_number(m.group(1) or m.group(2) or m.group(3))
    return filters


FROM_RETURNS = ("most_returned", "never_returned")  # product orders only the orders log's returns can give


def sort_asked(text: str) -> str | None:
    """The product order a request names ("cheapest", "best sellers"), if any."""
    return next((key for pattern, key in SORT_WORDS if re.search(pattern, text.lower())), None)


GENERIC = {"product", "item", "thing", "stuff", "inventory", "catalogue", "catalog", "stock", "margin", "price", "most",
           "arrival", "seller", "collection", "range"}  # fmt: skip


# "the three cheapest", "top 5 newest": how many and in which order, not part of the product's name.
ORDER_WORDS = r"cheapest|priciest|most expensive|newest|latest|best[- ]selling|best|top"
# "our best-margin jackets", "the highest margin coats": the order asked, then the product
BY_MARGIN = r"(?:best|highest|top|high|biggest|most|lowest|low)[- ](?:margin|markup)|most profitable"
LEADING_ORDER = re.compile(
    r"^(?:(?:the|" + BY_MARGIN + r"|top|\d+|" + "|".join(NUMBER_WORDS) + "|" + ORDER_WORDS + r")\s+)+"
)


NOUN_ENDS = r"(?:$|[?.!,]|\b(?:under|over|in|from|with|by|for|we|you|that|which)\b)"  # "cheapest products we sell"
# Words that start no product's name: "cheapest first", "show me the ones", "newest of all"
NOT_A_NAME = {"me", "the", "what", "it", "them", "those", "these", "first", "last", "one", "ones", "few", "of", "to",
              "and", "at", "on", "we", "you", "i", "price", "prices", "audience", "audiences", "segment", "segments",
              "group", "groups", "fit", "match", "customer", "customers", "buyer", "buyers", "people", "time", "day",
              "way", "option", "choice", "idea", "bet"}  # fmt: skip
# "products for our wool coats", "which segment fits the trench coats": the product after what it is for.
FOR_PRODUCT = re.compile(
    r"\b(?:for|fits?|suits?|likes?|buy|wants?|about|of|to)\s+(?:the |our |my |all |those |these )?(?:new )?"
    r"(?P<noun>[a-z][a-z -]*?[a-z])\s*[?.!]*$"
)


def product_named_last(text: str) -> str | None:
    """The product a request ends on, after what it is for ("the best audience for our wool coats" -> "wool coat"),
    when it is a name to search for rather than a reference ("fits them") or an audience ("for segment 2")."""
    m = FOR_PRODUCT.search(text.lower())
    phrase = singular(m["noun"].strip()) if m else ""
    words = phrase.split()
    if not words or words[-1] in GENERIC or set(words) & NOT_A_NAME or re.search(ORDER_WORDS + r"|\bmost\b", phrase):
        return None
    return phrase


SHOP, SELL = r"(?:we|you|they|the shop)", r"(?:have|sell|stock|carry|offer|got)"
WE_SELL = rf"(?:(?:do|does|have) {SHOP} {SELL}|{SHOP} {SELL}|are there)"


def _product_noun(text: str) -> str | None:
    """ "find jackets", "promote coats", "show me the new trench coats": what to search for by name."""
    text = re.sub(r"\b(?:i|we)(?:'d| would)? (?:want|like|need|wish) to\b", "", text)
    m = re.search(
        r"\b(?:find|promote|show|search(?: for)?|browse|list|any|buy|want|like|need|how many)\s+(?:me\s+|us\s+)?"
        r"(?:the\s+|our\s+|some\s+|a few\s+|a couple of\s+)?(?:new\s+)?([a-z0-9][a-z0-9 -]*?[a-z])\s*"
        r"(?:$|[?.!,]|\b(?:under|over|above|below|with|from|priced|costing|by|that|which|we|to|do|are|have|left)\b"
        r"|\bfor (?:them|those|these|that|this)\b)",
        text,
    )
    # "what's our cheapest jacket", "our most expensive dresses": the product named after the order asked
    m = m or re.search(rf"\b(?:{ORDER_WORDS})\s+([a-z][a-z -]*?[a-z])\s*{NOUN_ENDS}", text)
    # "what coats do we have", "do we sell parkas", "do you stock any linen shirts"
    m = m or re.search(
        rf"^\W*(?:what|which)(?: kinds? of| sorts? of| types? of)? (?!(?:do|does|else|other|more)\b)"
        rf"([a-z][a-z -]*?[a-z]) {WE_SELL}\b",
        text,
    )
    m = m or re.search(rf"\b(?:do|does) {SHOP} {SELL}\s+(?:any\s+)?([a-z][a-z -]*?[a-z])\s*{NOUN_ENDS}", text)
    if not m:
        return None
    phrase = singular(re.sub(LEADING_ORDER, "", m.group(1).strip()))
    words = phrase.split()
    if not words or words[-1] in GENERIC or words[0] in NOT_A_NAME:
        return None
    return phrase


def singular(phrase: str) -> str:
    words = phrase.split()
    if words:
        last = words[-1]
        if re.search(r"(ss|x|ch|sh)es$", last):
            last = last[:-2]
        elif re.search(r"(ar|al|el|ol)ves$", last):  # scarves, halves, shelves (sleeves stay sleeve)
            last = last[:-3] + "f"
        elif last.endswith("s") and not last.endswith("ss") and len(last) > 3:
            last = last[:-1]
        words[-1] = last
    return " ".join(words)
