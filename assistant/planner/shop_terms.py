"""The shop's own category and brand names as a request says them: "a classic car" and "the Classic Cars" are
the category "Classic Cars", "motorcycle" is "Motorcycles", "trucks & buses" is "Trucks and Buses".

Read from the shop's database (`Vocabulary`), never from the demo catalogue, so an imported shop's words work:
the classifier reads them as one placeholder (" garment ", as it reads the demo's product words and brands), the
way it reads segment names, and the product search, match, draft and analytic recipes use them as the filter.

A name made only of words a request uses in their own sense ("Sale", "New In", "Gifts" beside "gift card", a
"Ships" category's "ship" as in "ship it") must not hijack a request: "how did the spring sale do" is a report,
not a product search in the category "Sale". Such a word counts as the name only said as a product word: "the
Sale category", "sale items", "gift products". Everyday words are the ones the intents' example phrasings use
(the demo catalogue's product words apart) and a few more a request often says (EVERYDAY).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from tools.data.vocabulary import BRAND_TIERS

# The demo catalogue's product words, which the examples use as a category is used: read as the same placeholder.
DEMO_PRODUCTS = (
    r"shoes|boots|sneakers|sandals|jackets?|coats?|parkas?|blazers?|dress(?:es)?|knitwear|sweaters?"
    r"|cardigans?|hoodies?|tops|t-shirts?|shirts?|blouses?|jeans|trousers|chinos|leggings|accessories|outerwear"
    r"|activewear|scarf|scarves|belts?|bags?|beanies?|sunglasses"
)
DEMO_BRANDS = "|".join(re.escape(b.lower()) for tier in BRAND_TIERS.values() for b in tier)
# Words a request says in their own sense besides the examples' own ("the new arrivals", "our gifts for her").
EVERYDAY = {
    "sale", "sales", "new", "gift", "gifts", "offer", "offers", "deal", "deals", "home", "other", "others", "misc",
    "all", "best", "top", "latest", "popular", "featured", "special", "specials", "clearance", "outlet", "summer",
    "winter", "spring", "autumn", "fall", "christmas", "holiday", "men", "women", "kids", "ladies", "unisex", "vip",
    "extras", "basics", "essentials", "bundles", "more", "last", "first", "next", "black", "friday", "back",
}  # fmt: skip
# Said after (or before) an everyday name, it is the name for sure: "the Sale category", "gift products".
PRODUCT_WORD = r"(?:category|categories|range|collection|department|section|line|products?|items?|brand)"

JOIN = r"[\s'’.-]*"  # between a name's words: "trucks and buses", "men's", "t-shirts"
Kind = Literal["category", "brand"]
# One placeholder for a kind of product and for its maker: the word the lexicon has always read the demo's
# product words as, so the example phrasings read exactly as they did ("show me the coats": "show me the garment").
PLACEHOLDER: dict[Kind, str] = {"category": " garment ", "brand": " garment "}


@dataclass(frozen=True)
class Term:
    kind: Kind
    name: str  # as the shop's data spells it
    pattern: re.Pattern[str]  # how a request may say it (lower case)


def forms(word: str) -> set[str]:
    """The word and its plural or singular: "cars"/"car", "buses"/"bus", "accessories"/"accessory"."""
    found = {word}
    if word.endswith("ies") and len(word) > 4:
        found.add(word[:-3] + "y")
    elif word.endswith("es") and re.search(r"(?:s|x|z|ch|sh)es$", word):
        found |= {word[:-2], word[:-1]}
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        found.add(word[:-1])
    elif re.search(r"[^aeiou]y$", word):
        found.add(word[:-1] + "ies")
    elif re.search(r"(?:s|x|z|ch|sh)$", word):
        found.add(word + "es")
    else:
        found.add(word + "s")
    return found


@cache
def everyday() -> frozenset[str]:
    """Words a request uses in their own sense: the example phrasings' words (not the demo's product words)."""
    from assistant.planner.intents import examples

    products = re.compile(rf"(?:{DEMO_PRODUCTS}|{DEMO_BRANDS})")
    typed = {w for e in examples() for w in re.findall(r"[a-z][a-z'-]*", e.text.lower())}
    return frozenset({w for w in typed if not products.fullmatch(w)} | EVERYDAY)


def _bounded(alternatives: list[str]) -> str:
    return r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])"


def term(kind: Kind, name: str) -> Term | None:
    """How a request says this name; an everyday name only with a product word beside it. None: never."""
    words = re.findall(r"[^\W_]+|&", name.lower())  # "Crème", "Men's" (men, s), "T-Shirts" (t, shirts)
    if not words:
        return None
    common = everyday()
    ends = sorted(forms(words[-1]), key=len, reverse=True)
    if len(words) > 1 and not all(w in common or w == "&" for w in words):  # "Classic Cars", "Trucks and Buses"
        lead = JOIN.join("(?:and|&)" if w in ("and", "&") else re.escape(w) for w in words[:-1])
        said = [lead + JOIN + "(?:" + "|".join(map(re.escape, ends)) + ")"]
    else:
        said = [re.escape(f) for f in ends if len(words) == 1 and f not in common]
    if not said:  # "Sale", "New In": only "the Sale category", "sale items", "category Sale"
        spelt = "".join(re.escape(w) + JOIN for w in words[:-1])
        name_said = spelt + "(?:" + "|".join(map(re.escape, ends)) + ")"
        said = [rf"{name_said}\s+{PRODUCT_WORD}", rf"(?:category|brand)\s+(?:called\s+|named\s+)?{name_said}"]
    return Term(kind, name, re.compile(_bounded(said)))


@cache
def terms(categories: tuple[str, ...], brands: tuple[str, ...]) -> tuple[Term, ...]:
    """The shop's names, the longest first (so "Vintage Cars" is found before a category "Cars")."""
    found = [term("category", c) for c in categories] + [term("brand", b) for b in brands]
    return tuple(sorted((t for t in found if t), key=lambda t: -len(t.name)))


def named(text: str, categories: list[str], brands: list[str]) -> dict[Kind, list[str]]:
    """The categories and brands a request names, as the shop spells them, each once."""
    lower, found = text.lower(), {"category": [], "brand": []}
    for t in terms(tuple(categories), tuple(brands)):
        if t.pattern.search(lower):
            lower = t.pattern.sub(" ", lower)  # "Vintage Cars" is not also the category "Cars"
            if t.name not in found[t.kind]:
                found[t.kind].append(t.name)
    return found  # type: ignore[return-value]


def without(text: str, categories: list[str], brands: list[str]) -> str:
    """The request with the shop's names taken out ("Northlane jackets" -> " jackets")."""
    lower = text.lower()
    for t in terms(tuple(categories), tuple(brands)):
        lower = t.pattern.sub(" ", lower)
    return lower


def placeheld(text: str, categories: Sequence[str], brands: Sequence[str], instead: str | None = None) -> str:
    """The (lower-case) request with each of the shop's names as its placeholder (or as `instead`)."""
    for t in terms(tuple(categories), tuple(brands)):
        text = t.pattern.sub(instead or PLACEHOLDER[t.kind], text)
    return text
