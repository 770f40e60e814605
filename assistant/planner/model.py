"""The offline planner as a `ChatModel`: reads the conversation, picks an intent, runs its recipe.

It plugs into the same agent loop as the OpenAI client: it answers with tool calls, reads the
results that come back (the same compact JSON a model gets) and finally streams an answer. Which
intent a request is comes from the classifier; a few guards keep an unsure reading from doing
something that cannot be undone ("ok" never sends, "make sure the data is clean" never generates
demo data); below a confidence threshold it asks, offering the likeliest readings as buttons.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import re
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date
from functools import cache
from typing import Any

from assistant.chat_model import Completion, TextDelta, ToolCall
from assistant.planner import (  # noqa: F401 - registers their recipes
    analytics,
    analytics_questions,
    best_customers,
    campaign_recipes,
    followup_recipes,
    lapsed_since,
    one_customer,
    periods,
    predict_recipes,
    product_recipes,
    segment_recipes,
    slots,
)
from assistant.planner.analytics_filters import places, unknown_attribute
from assistant.planner.classifier import Classifier, classifier, normalise
from assistant.planner.concepts import topics
from assistant.planner.customer_names import asks_what_someone_gets
from assistant.planner.intents import by_label, examples, intents
from assistant.planner.memory import Plan, Request, read_request
from assistant.planner.product_recipes import SWAP
from assistant.planner.recipes import RECIPES, help_text
from assistant.planner.shop_terms import forms
from assistant.planner.vocabulary import Vocabulary

SURE = 0.3  # below this probability, ask which reading was meant
CLOSE = 0.12  # ... or when the runner-up is this close to a reading under 50%: "the numbers for group 2"
LOST = 0.12  # below this (or with no known word), it is not a request the planner knows: show the help
CLARIFY = "Did you mean"
# Only a plain request sends: "don't send it yet", "send it tomorrow", "when should I send?", "before it goes
# out", "before launch" do not.
NOT_NOW = re.compile(
    r"\b(don'?t|do not|never|not yet|wait|hold off|before)\b.*\b(send|go(es|ing)? out|launch)|\bschedul"
    r"|^\W*(when|should)\b(?!.*\b(finish\w*|done|complete\w*|over)\b).*\bsend"  # not "when will it finish sending"
    r"|\bsend\b.*\b(later|tomorrow|tonight|next week|at \d"
    r"|(?<!black )(?<!cyber )(mon|tues|wednes|thurs|fri|satur|sun)day)"  # "the black friday email" is a name
)
# "send the black friday email", "ok, send out our spring newsletter": an order to send the campaign of that name
# (the classifier reads "friday" as a day to send on, or "the summer sale email" as one to write). "Send an
# email to ..." is a new one to draft, and "send the email tomorrow" a later send (NOT_NOW).
SEND_THE_ONE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|please|right|so|now|go ahead and|you can)\W+)*send (?:out )?(?:the|our|this|that|my) "
    r"(?:(?!an?\b)[\w'-]+ ){0,4}(?:e-?mail|campaign|newsletter|mailing|blast)\b(?!.*\b(?:to|for) (?:me|myself)\b)"
)
# "simulate the send", "count them but don't send": a count, never a real send.
ONLY_COUNT = re.compile(
    r"simulat|dry.?run|rehears|practi[cs]e|estimat|eligible|without (?:send|mail|email)|how many|\bcount"
    r"|but don'?t send"  # "count", not the "discount" of "send the discount email"
)
# "send it to myself first", "send me one": a test copy, never the campaign.
TO_MYSELF = re.compile(r"\bsend (?:it |one |a copy )?(?:to )?(?:me|myself)\b|\bsend\b.*\bto (?:me|myself)\b")
# "did it go out?", "who did we send it to?": a question about a send is not an order to send.
ASKS_ABOUT = re.compile(r"^\W*(?:did|was|were|has|have|had|is|are|who|what|how|why|when|where)\b")
# "the other versions", "earlier drafts", "the history of this email": the versions listed, not one previewed or
# gone back to (a version or variant in the singular, "version 2", "variant B", is one of them).
VERSIONS = re.compile(
    r"\b(?:other|all|earlier|previous|older|past|the|any) (?:versions|revisions)\b"
    r"|\b(?:other|earlier|previous|older|past) drafts\b|\bhow many (?:versions|revisions)\b"
    r"|\bhistory of (?:this|the|that|it|our)\b(?! campaigns)|\b(?:version|edit|revision|change) history\b"
    r"|\bversions? \d+ (?:and|vs\.?|versus|to|with) (?:version )?\d+\b|\bversion \d+ different\b"  # "version 1 and 2"
)
# "resend it to the non-openers", "send a follow-up to everyone who clicked": a new draft for those people, never
# this campaign sent again; "email the ones who didn't open it again" is such a draft, not a new one for everyone.
FOLLOW_UP = re.compile(
    r"follow.?up|\bresend|\bre-send|non.?(?:open|click)|\b(?:openers|clickers)\b"
    r"|\b(?:who|that|those|people|ones|everyone|everybody)\b.{0,30}\b(?:open|click|ignored|missed|got it|received)"
)
SMALL_TALK = {"ok", "thanks", "bye", "good", "job", "well", "done", "brilliant", "excellent", "a", "lot", "so", "much"}
SMALL_TALK |= {"k", "kk", "ty", "tysm", "lol", "haha", "wow", "fab", "sorry", "oops", "nvm", "yay"}  # chat shorthand
YES = re.compile(  # "yes", "sure, do it", "yes please": the step the last answer suggested
    r"(?:(?:yes|yeah|yep|sure|ok(?:ay)?)[ ,]*)?"
    r"(?:yes|yeah|yep|sure|do it|do that|go on|please do|let'?s do (?:it|that))(?: please)?[.!]*"
)
# Right after a product list, a bare position ("cheapest three", "the top two of those", "second one") picks them.
BARE_PICK = re.compile(
    r"(?:and |ok |okay |then )?(?:the )?(?:(?:top|first|last|cheapest|priciest|dearest|most expensive|best|biggest)"
    r"\s*)?(?:one|two|three|four|five|six|\d+|second|third|fourth|fifth)?(?: ones?)?(?: of (?:those|them|these))?"
    r"(?:,? please| pls)?[.!]?"
)
# Right after a segment table, a bare place ("the second one", "and the last?") is that segment.
BARE_SEGMENT = re.compile(
    slots.SEGMENT_LEAD + r"(?:the )?"
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|1st|2nd|3rd|4th|5th|last)"
    r"(?: one)?(?:,? please| pls)?[.!?]*"
)
ABOUT_PEOPLE = {
    "overview", "rank", "best_customers", "predict", "analytics", "segment_list", "validate", "data_issues",
    "customer_card",
}  # fmt: skip
# "new customers in 2005", "first-time buyers last month": how many, from the orders (not a data check or an import)
NEW_PEOPLE = re.compile(r"^\W*(?:how many )?(?:new|first[- ]time) (?:customers|buyers|shoppers|clients)\b", re.I)
# "what time of day do people order", "which day of the week do we sell most": a breakdown of the orders (not when
# to send: "what time should I send it" names no buying)
WHEN_THEY_BUY = re.compile(
    r"\b(?:what time|time of (?:the )?day|hour|(?:which|what) days?|days? of (?:the )?week|weekdays?)\b"
    r".*\b(?:order|buy|bought|shop|purchas|sell|sold|sales|revenue|busiest|quietest)",
    re.I,
)
# "top 3 product lines in the USA", "our biggest countries": the groups ranked by what they took, not products
TOP_GROUPS = re.compile(
    r"\b(?:top|best|biggest|leading)\s+(?:\d+\s+|three\s+|five\s+)?(?:categor(?:y|ies)|product (?:lines?|types?"
    r"|ranges?)|countr(?:y|ies)|markets?)\b(?!.*\b(?:promot|feature|push|pitch|recommend|suggest|for (?:segment|group"
    r"|them|those|the \w+ (?:group|segment))))",  # "the best categories to promote to segment 2": what to suggest
    re.I,
)
# What acts on the customers a question names ("draft an email for those who haven't bought since June"): kept.
ACTS_ON_THEM = {"draft", "revise", "send", "send_count", "test_send", "export", "follow_up", "segment", "match"}
FORECAST = re.compile(r"\b(?:predict\w*|forecast\w*|likely|probably|risk|churn\w*|going to|will|won'?t)\b")
# "promote our coats to the big spenders": an email for that segment about them, not a product search
PROMOTE_TO = re.compile(
    r"\b(?:promote|push|pitch|advertise|market|feature|offer|sell)\b.+?\b(?:to|for) (?:the |our |my )?"
    r"(?P<who>[a-z][a-z' -]+)"
)
# "what products do the big spenders buy", "which products suit the bargain hunters": what suits that segment
SEGMENT_WANTS = re.compile(
    r"\b(?:what|which)\b.*?\b(?:do|does|would|will|might) (?:the |our |my )?(?P<who>[a-z][a-z' -]+?) "
    r"(?:buy|like|want|love|prefer|go for)\b"
    r"|\b(?:products?|items?)\b.*?\b(?:suit|suits|fit|fits|for) (?:the |our |my )?(?P<for>[a-z][a-z' -]+?)\s*[?.!]*$"
)
FOR_A_SEGMENT = [(PROMOTE_TO, "draft"), (SEGMENT_WANTS, "suggest")]


def for_a_segment(text: str, segment_names: dict[int, str]) -> str | None:
    """The reading of a product request said for a segment by its name: a draft for it, or what suits it."""
    for pattern, meant in FOR_A_SEGMENT:
        if (found := pattern.search(text.lower())) and slots.segment_named(
            next(who for who in found.groups() if who), segment_names
        ) is not None:
            return meant
    return None


# "slowest sellers in 2010", "what didn't sell in France": products ranked by their sales, not a figure or people
# ("top selling product line by revenue" is a breakdown, "who bought the most" is about people).
PRODUCT_SALES = re.compile(r"\b(?:sellers?|products?|items?|skus?)\b|\bsell|\bsold\b")
NOT_PRODUCT_SALES = re.compile(
    r"\b(?:who|whom|customers?|people|buyers|shoppers|clients|segments?|groups?|line|by|per|each|when|time|seasons?)\b"
    r"|\b(?:which|what) (?:month|day|week|year|quarter)"
)
# "list customers in France", "show me our clients from Germany": the people, best customers first
LIST_PEOPLE = re.compile(
    r"^\W*(?:(?:can you |please )?(?:list|show|give|get|pull|find)(?: me| us)?(?: all)?(?: of)?(?: the| our| my)?"
    r"|who are(?: the| our| my)?|which are(?: the| our| my)?) (?:customers|clients|buyers|shoppers)\b",
    re.I,
)
# "who's going to get this", "who will receive it": the campaign's reach (who got it, once sent, is its recipients)
WHO_GETS = re.compile(
    r"\bwho(?:'s| is|'ll| will| would|'d)? (?:going to |gonna |about to )?"
    r"(?:get|gets|getting|receive|receives|receiving) "
    r"(?:this|it|that|the (?:e-?mail|campaign|newsletter|mail(?:ing|er)?|offer))\b"
)
# Readings that refuse a question about what the customer data does not hold ("age", "London") alike.
REFUSE_ATTRIBUTES = {"overview", "analytics", "best_customers"}
# "what do my customers buy most", "what are people ordering the most": the best sellers, not the best customers
WHAT_THEY_BUY = re.compile(
    r"\bwhat (?:do|did|does|are) (?:my |our |the )?(?:customers|shoppers|people|buyers|clients|they) "
    r"(?:buy|order|purchase)\w* (?:the )?most\b"
)
# "how many motorcycles do we have", "how many products in outerwear" (read with the shop's categories as the
# placeholder): that category's products, counted (the overview's), not a figure of its sales.
HOW_MANY_OF_A_CATEGORY = re.compile(
    r"\bhow many (?:(?:products|items|kinds|types|different|of|sorts) )*(?:(?:in|of|are in|from) )?(?:the |our )?"
    r"garment\b(?!.*\b(?:sold|sell|sales|order\w*|bought|buy|return\w*|revenue|customers|spent)\b)"
)
UNREACHABLE_READINGS = {"overview", "shop_settings", "data_issues", "validate", "explain", "send_count", "analytics"}
SMALL = 5  # words: small talk is short ("ok", "thanks a lot"); "ok, send it now" is a request


def choose(req: Request) -> Plan:
    """The plan for this round of the request: the chosen intent's recipe, a clarifying question, or help."""
    if not req.text.strip():
        return Plan(answer=help_text("Type a request. "))
    if req.memory.suggested and YES.fullmatch(req.text.strip().lower()):
        req.text = req.memory.suggested  # "yes": the step the last answer suggested
    intent = by_label(req.chosen) if req.chosen else None
    text = req.text.strip().lower()
    if intent is None and req.memory.shown == "products" and BARE_PICK.fullmatch(text) and len(text.split()) > 1:
        intent = intents()["shortlist_add"]
    if (
        intent is None
        and req.memory.shown == "segments"
        and (BARE_SEGMENT.fullmatch(text) or slots.BARE_NUMBER.fullmatch(text))
    ):
        intent = intents()["segment_show"]
    if intent is None and one_customer.more_on_one_shown(req):
        intent = intents()["customer_card"]
    if intent is None:
        readings = on_screen(req, understood(req.text, req.segment_names, shop=req.vocabulary()))
        if not readings or readings[0][1] < LOST:
            return Plan(answer=help_text(f"I could not work out what to do with “{req.text.strip()[:80]}”. "))
        if unsure(readings) and not req.done and not same_answer(req.text, readings):
            return clarify(req.text, [name for name, _ in readings[:3]])
        intent = intents()[readings[0][0]]
    return RECIPES[intent.recipe](req)


# Two readings that what is on screen tells apart: "give it a better name" renames the segment just shown, or
# revises the draft just shown.
BY_SCREEN = {frozenset({"revise", "segment_rename"}): {"segments": "segment_rename", "campaign": "revise"}}


def on_screen(req: Request, readings: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The readings, the one that fits what the last answer showed first when the two likeliest are such a pair."""
    meant = BY_SCREEN.get(frozenset(name for name, _ in readings[:2]), {}).get(req.memory.shown or "")
    if meant is None or readings[1][1] < LOST:
        return readings
    return [(meant, 1.0), *(reading for reading in readings if reading[0] != meant)]


def unsure(readings: list[tuple[str, float]]) -> bool:
    """Whether to ask rather than act: the likeliest reading is weak, or barely ahead of the next."""
    first = readings[0][1]
    second = readings[1][1] if len(readings) > 1 else 0.0
    return first < SURE or (first < 0.5 and first - second < CLOSE)


def same_answer(text: str, readings: list[tuple[str, float]]) -> bool:
    """Whether the two likeliest readings would answer alike, so asking which is meant helps no one: "which
    category makes the most money" is a breakdown both as best customers and as a question of the data."""
    top = {name for name, _ in readings[:2]}
    if top == {"shortlist_add", "shortlist_remove"} and SWAP.search(text):
        return True  # "replace X with Y": both recipes take X off and put Y on
    if top <= REFUSE_ATTRIBUTES and unknown_attribute(text, []):
        return True  # "how many customers in London": each says the data holds no town
    question = analytics_questions.understand(text) if top == {"best_customers", "analytics"} else None
    return question is not None and question.group is not None


def spelled(text: str, vocabulary: frozenset[str]) -> str:
    """The text in lower case with close misspellings of the examples' words corrected ("segmnet my
    custmers" -> "segment my customers"); synonyms the lexicon knows are left as they are."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in vocabulary or word in STOP or len(word) < 5 or normalise(word) != word:
            return word
        close = difflib.get_close_matches(word, [v for v in vocabulary if v[0] == word[0]], n=1, cutoff=0.85)
        return close[0] if close else word  # a typo keeps the first letter: "weather" is not "leather"

    return re.sub(r"[a-z]+", fix, text.lower())


def understood(
    text: str,
    segment_names: dict[int, str] | None = None,
    model: Classifier | None = None,
    known: frozenset[str] | None = None,
    shop: Vocabulary | None = None,
) -> list[tuple[str, float]]:
    """The readings of a request, likeliest first, after the guards; empty when no word of it is known.

    `model` and `known` (the words of its training phrasings) default to the ones trained on every example;
    `shop` gives the shop's category and brand names, read as placeholders as its segment names are."""
    names = list((segment_names or {}).values())
    vocabulary = known_words() if known is None else known
    own = (tuple(shop.categories), tuple(shop.brands)) if shop else ((), ())
    someone = asks_what_someone_gets(text, segment_names)  # before the case is lost
    one_person = one_customer.names_one(text)  # "who is Anna Schmidt"
    text = spelled(text, vocabulary | own_words(*own))  # "trains" is the shop's, not a typo of "train"
    words = normalise(text, names, *own).split()
    if words and set(words) <= SMALL_TALK:
        return [("smalltalk", 1.0)]
    if not (set(words) | set(topics(text))) & vocabulary:
        return []  # no word (or concept) the examples know
    readings = (model or classifier()).ranked(text, names, *own)
    allowed = [(name, p) for name, p in readings if intents()[name].allows(text)]
    if allowed[1:] and allowed[0][0] == "customer_card" and not one_person:
        allowed = allowed[1:]  # "what do my customers buy most": no one person is named
    elif one_customer.LOOK_UP_ONE.search(text) and "customer_card" in [name for name, _ in allowed[:3]]:
        allowed.insert(0, ("customer_card", 1.0))  # "look up a customer for me": which one is asked next
    if allowed and SEND_THE_ONE.search(text) and not NOT_NOW.search(text) and not ONLY_COUNT.search(text):
        allowed.insert(0, ("send", 1.0))  # "send the black friday email": that one, now (after a confirmation)
    if allowed and allowed[0][0] == "send" and TO_MYSELF.search(text):
        allowed.insert(0, ("test_send", 1.0))
    elif allowed and allowed[0][0] == "send" and ASKS_ABOUT.search(text) and not ONLY_COUNT.search(text):
        allowed = [reading for reading in allowed if reading[0] != "send"]
    if (  # a draft "follow-up about the coats" (no recipients' engagement named) stays a draft
        allowed
        and (allowed[0][0] == "send" or (allowed[0][0] == "draft" and slots.engagement(text)))
        and FOLLOW_UP.search(text)
        and intents()["follow_up"].allows(text)
    ):
        allowed.insert(0, ("follow_up", 1.0))
    if allowed and allowed[0][0] == "send" and ONLY_COUNT.search(text):
        allowed.insert(0, ("send_count", 1.0))
    elif allowed and allowed[0][0] == "send_count" and ONLY_COUNT.search(text):
        pass  # "count them but don't send": the count asked for, not a "not now"
    elif allowed and allowed[0][0] in ("send", "send_count") and NOT_NOW.search(text):
        allowed.insert(0, ("not_now", 1.0))
    if (
        allowed
        and allowed[0][0]
        in ("preview", "revise", "approve", "campaign_list", "overview", "segment_show", "segment_compare")
        and VERSIONS.search(text)
    ):
        allowed.insert(0, ("campaign_versions", 1.0))
    if someone and "preview" in [name for name, _ in allowed[:3]]:  # "what Maria would get": her email, for sure
        allowed = [("preview", 1.0), *(reading for reading in allowed if reading[0] != "preview")]
    # Long, and something else it could well be ("ok thanks, what about the coats"): not small talk; but "that's
    # brilliant, thank you so much" is nothing else.
    long_talk = allowed and allowed[0][0] == "smalltalk" and len(text.split()) > SMALL
    if long_talk and allowed[1:2] and allowed[1][1] >= LOST:
        allowed = allowed[1:]
    if (  # "list the people who unsubscribed": the report's list, with when (read as either, it is the report)
        allowed
        and "recipients" in [name for name, _ in allowed[:2]]
        and allowed[0][0] in ("recipients", "report")
        and re.search(r"unsubscrib|opt(?:ed)?.?outs?\b", text.lower())
    ):
        allowed.insert(0, ("report", 1.0))
    if (
        allowed
        and allowed[0][0] in ABOUT_PEOPLE
        and (re.search(analytics_questions.WHERE_OR_WHEN["country"], text.lower()) or NEW_PEOPLE.search(text))
    ):
        allowed.insert(0, ("analytics", 1.0))  # "where are my customers from", "new customers in 2005"
    elif allowed and (
        (WHEN_THEY_BUY.search(text) and "analytics" in [name for name, _ in allowed[:3]])
        or (TOP_GROUPS.search(text) and allowed[0][0] not in ACTS_ON_THEM)
    ):
        allowed.insert(0, ("analytics", 1.0))
    if (
        allowed[1:]
        and allowed[0][0] in ("analytics", "predict", "find_products")
        and "find_products" in [name for name, _ in allowed[:3]]
        and slots.sort_asked(text) in ("best_selling", "slow_selling")
        and PRODUCT_SALES.search(text.lower())
        and not NOT_PRODUCT_SALES.search(text.lower())
    ):
        allowed.insert(0, ("find_products", 1.0))
    if allowed[1:] and slots.stock_bounds(text.lower()) and "find_products" in [name for name, _ in allowed[:3]]:
        allowed.insert(0, ("find_products", 1.0))  # "products with 5 or fewer left": a stock level, not the next page
    if allowed and allowed[0][0] in ("find_products", "best_customers") and WHAT_THEY_BUY.search(text):
        allowed.insert(0, ("find_products", 1.0))
    if allowed and allowed[0][0] == "find_products" and (meant := for_a_segment(text, segment_names or {})):
        allowed.insert(0, (meant, 1.0))  # "promote our coats to the big spenders", "what do big spenders buy"
    if (  # "who hasn't bought since December", "who hasn't ordered in 6 months": customers, from the data
        allowed
        and allowed[0][0] not in ACTS_ON_THEM
        and (lapsed_since.asked(text) or lapsed_since.lapsed_list(text))
        and not FORECAST.search(text.lower())
    ):
        allowed.insert(0, ("analytics", 1.0))
    if allowed and HOW_MANY_OF_A_CATEGORY.search(" ".join(words)) and allowed[0][0] in ("analytics", "overview"):
        allowed.insert(0, ("overview", 1.0))
    if slots.UNREACHABLE.search(text.lower()) and allowed and allowed[0][0] in UNREACHABLE_READINGS:
        allowed.insert(0, ("overview", 1.0))  # who cannot be emailed, and why: the data's state, not a setting
    if LIST_PEOPLE.search(text) and places(text, list(own[0] + own[1]), shop.countries if shop else ()):
        allowed.insert(0, ("best_customers", 1.0))  # "list customers in France": that country's, best first
    if WHO_GETS.search(text.lower()) and intents()["send_count"].allows(text):  # who a campaign would go to
        allowed.insert(0, ("send_count", 1.0))
    if slots.DELETE_PEOPLE.search(text.lower()) or slots.WIPE_SHOP.search(text.lower()):  # said what happens instead
        allowed.insert(0, ("fix_data", 1.0))
    return allowed


STOP = {"the", "a", "an", "to", "of", "it", "is", "me", "my", "i", "you", "what", "what's", "whats", "and", "for"}


def words_of(texts: list[str]) -> frozenset[str]:
    """The words of these phrasings, as typed and as the classifier reads them, and their topics."""
    typed = {w for t in texts for w in re.findall(r"[a-z]+", t.lower())}
    read = {w for t in texts for w in [*normalise(t).split(), *topics(t)]}
    return frozenset((typed | read) - STOP)


@cache
def own_words(categories: Sequence[str], brands: Sequence[str]) -> frozenset[str]:
    """The words of the shop's category and brand names, in the singular and plural, never corrected as typos."""
    return frozenset(
        form for name in [*categories, *brands] for word in re.findall(r"[a-z]+", name.lower()) for form in forms(word)
    )


@cache
def known_words() -> frozenset[str]:
    return words_of([e.text for e in examples()])


def clarify(text: str, names: list[str]) -> Plan:
    options = "\n".join(f"- *{intents()[n].label}*" for n in names)
    return Plan(answer=f"I am not sure what you mean by “{text.strip()[:80]}”. {CLARIFY}:\n{options}")


def offered_readings(answer: str) -> list[str]:
    """The readings a clarifying answer offers (the UI turns them into buttons)."""
    if f"{CLARIFY}:" not in answer:
        return []
    return re.findall(r"^- \*(.+?)\*$", answer.split(f"{CLARIFY}:", 1)[1], re.MULTILINE)


class OfflinePlanner:
    """A `ChatModel` that plans with the intents and recipes instead of calling a language model.

    `vocabulary` gives the shop's own categories, brands and columns (read from its database);
    without it, only what the request itself says is used.
    """

    name = "offline-planner"

    def __init__(
        self,
        vocabulary: Callable[[], Vocabulary] | None = None,
        test_addresses: Sequence[str] = (),
        today: Callable[[], date] = date.today,
    ) -> None:
        self.vocabulary = vocabulary or Vocabulary.empty
        self.today = today  # the marketer's calendar, for "last year"; tests give a fixed day
        # The settings' list, to ask "which address?" with buttons: the tool's own answers, as the model
        # sees them, have every address blanked. The tool checks every address itself.
        self.test_addresses = tuple(test_addresses)

    async def stream(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AsyncIterator[TextDelta | Completion]:
        request = read_request(messages)
        request.vocabulary = cache(self.vocabulary)  # read once per round, only when a recipe needs it
        request.test_addresses = self.test_addresses
        request.today = self.today()
        plan = choose(request)
        if plan.calls:
            base = len(messages)
            calls = [ToolCall(f"plan_{base}_{i}", name, json.dumps(args)) for i, (name, args) in enumerate(plan.calls)]
            yield Completion(tool_calls=calls)
            return
        for piece in re.findall(r"\S+\s*|\s+", plan.answer):
            yield TextDelta(piece)
            await asyncio.sleep(0)  # let the UI paint: a real stream arrives in pieces too
        yield Completion(content=plan.answer)
