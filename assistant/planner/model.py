"""The offline planner as a `ChatModel`: reads the conversation, picks an intent, runs its recipe.

It plugs into the same agent loop as the OpenAI client: it answers with tool calls, reads the
results that come back (the same compact JSON a model gets) and finally streams an answer. Which
intent a request is comes from the classifier; a few guards (guards.py) keep an unsure reading from doing
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
    analytics_followup,
    analytics_questions,
    audience_words,
    best_customers,
    campaign_recipes,
    draft_recipe,
    followup_recipes,
    glossary,
    guards,
    lapsed_since,
    list_count,
    one_customer,
    outright,
    periods,
    predict_recipes,
    product_recipes,
    report_recipe,
    segment_recipes,
    segment_slots,
    send_time,
    slots,
)
from assistant.planner.analytics_filters import places, unknown_attribute
from assistant.planner.classifier import Classifier, classifier, normalise
from assistant.planner.concepts import topics
from assistant.planner.customer_names import asks_what_someone_gets
from assistant.planner.intents import by_label, examples, intents
from assistant.planner.memory import Plan, Request, read_request
from assistant.planner.on_screen import LOST, on_screen
from assistant.planner.product_recipes import SWAP
from assistant.planner.recipes import RECIPES, help_text, report
from assistant.planner.shop_terms import forms
from assistant.planner.vocabulary import Vocabulary
from tools.catalog.products import SOLD

SURE = 0.3  # below this probability, ask which reading was meant
CLOSE = 0.12  # ... or when the runner-up is this close to a reading under 50%: "the numbers for group 2"
CLARIFY = "Did you mean"
UNREACHABLE_READINGS = {"overview", "shop_settings", "data_issues", "validate", "explain", "send_count", "analytics"}
# A greeting and what it says of the shop, before the request: "hi, just loaded my shop's orders. how did december go?"
GREETED = re.compile(
    r"^\W*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|morning|ok(?:ay)?|so)\b[^.!?]*[.!]+\s+(?P<rest>.+)$",
    re.I | re.S,
)
# A go-ahead typed under a question only a button answers: "ok go", "yes send it", "confirm", "go ahead"
GO_AHEAD = re.compile(
    r"\W*(?:(?:ok(?:ay)?|yes|yeah|yep|sure|right|fine|alright)\W*)*(?:go(?: ahead| for it)?|do it|send(?: it)?(?: now)?"
    r"|confirm(?:ed)?|proceed|yes|ok(?:ay)?|sure|yep|yeah|please|go on)?(?: please| now)?\W*"
)
SMALL = 5  # words: small talk is short ("ok", "thanks a lot"); "ok, send it now" is a request


def choose(req: Request) -> Plan:
    """The plan for this round of the request: the chosen intent's recipe, a clarifying question, or help."""
    if not req.text.strip():
        return Plan(answer=help_text("Type a request. "))
    if (asked := GREETED.match(req.text)) and asked["rest"].strip():
        req.text = asked["rest"]  # "hi, just loaded my orders. how did we do in december?": the question
    if req.memory.suggested and guards.YES.fullmatch(req.text.strip().lower()):
        req.text = req.memory.suggested  # "yes": the step the last answer suggested
    elif (again := analytics_followup.rewritten(req)) is not None:
        req.text = again  # "and the month before?" after a figure: that figure, for that month
    if req.before.awaiting and GO_AHEAD.fullmatch(req.text.strip().lower()):  # "ok go" under "Send it now?"
        return Plan(answer="Press **Confirm** under the question to go ahead, or **Cancel** to keep everything as it "
                    "is. Only your click confirms it: typing cannot, and I cannot confirm it for you.")  # fmt: skip
    if (counted := list_count.plan(req)) is not None:  # "how many is that" under a list of customers
        return counted
    intent = by_label(req.chosen) if req.chosen else None
    if intent is None and req.done and req.turn_intent in intents():
        intent = intents()[req.turn_intent]  # a later round of the turn: the reading its first round chose
    text = req.text.strip().lower()
    if intent is None and req.memory.shown == "products" and guards.BARE_PICK.fullmatch(text) and len(text.split()) > 1:
        intent = intents()["shortlist_add"]
    if (
        intent is None
        and req.memory.shown == "segments"
        and (guards.BARE_SEGMENT.fullmatch(text) or segment_slots.BARE_NUMBER.fullmatch(text))
    ):
        intent = intents()["segment_show"]
    elif intent is None and req.memory.shown == "segments" and guards.BARE_PICK.fullmatch(text) and " " in text:
        intent = intents()["segment_list"]  # "the top two of those": those rows of the segments' table
    if intent is None and one_customer.promote_to_one_shown(req):
        intent = intents()["suggest"]  # "what would you promote to them" after a card: their segment's best fits
    if intent is None and one_customer.more_on_one_shown(req):
        intent = intents()["customer_card"]
    if intent is None and guards.WHY.fullmatch(text) and req.memory.shown == "segments" and req.memory.segment:
        intent = intents()["segment_show"]  # "which group spends the most", then "why?": what sets that group apart
        req.text = f"describe segment {req.memory.segment}"
    top_of_them = re.search(r"\b(?:top|first|best|biggest)\b", text) and guards.BARE_PICK.fullmatch(text)
    if intent is None and req.before.shown == "customers" and top_of_them:
        intent = intents()["best_customers"]  # "the top 3 of those" under a list of customers: those, ranked
        req.text = text if re.search(r"\b(?:of|among) (?:those|them|these)\b", text) else f"{text} of those"
    if intent is None and req.memory.last_tool not in SHORTLIST_CHANGES and guards.BARE_UNDO.fullmatch(text):
        # "undo that": after a new segmentation, the one before; after a revision, the version before it; else said
        intent = intents()["segment" if req.memory.last_tool == "segment_run" or req.last("segment_use") else "revise"]
    if intent is None and guards.WHAT_DID_YOU.search(text) and req.memory.last_tool in CHECKS_AND_FIXES:
        intent = intents()["data_issues"]  # "what did you find" after a check: what it found
    if intent is None:
        readings = on_screen(req, understood(req.text, req.segment_names, shop=req.vocabulary()))
        if not readings or readings[0][1] < LOST:
            return Plan(answer=help_text(f"I could not work out what to do with “{req.text.strip()[:80]}”. "))
        if unsure(readings) and not req.done and not same_answer(req.text, readings):
            return clarify(req.text, [name for name, _ in readings[:3]])
        intent = intents()[readings[0][0]]
    plan = RECIPES[intent.recipe](req)
    plan.intent = plan.intent or intent.name
    return plan


CHECKS_AND_FIXES = {"validate_data", "import_data", "list_data_issues"}
SHORTLIST_CHANGES = {"shortlist_add", "shortlist_remove"}  # "undo that", "put it back" there: the shortlist's


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
    if top == {"validate", "data_issues"}:
        return True  # "any dodgy records?": each runs the read-only check when none has run, and says what it found
    if top <= guards.REFUSE_ATTRIBUTES and unknown_attribute(text, []):
        return True  # "how many customers in London": each says the data holds no town
    question = analytics_questions.understand(text) if top == {"best_customers", "analytics"} else None
    return question is not None and question.group is not None


def spelled(text: str, vocabulary: frozenset[str]) -> str:
    """The text in lower case with close misspellings of the examples' words corrected ("segmnet my
    custmers" -> "segment my customers"); synonyms the lexicon knows are left as they are."""

    def inflected(word: str) -> bool:  # "liked" is "like" said of the past, no typo: the tense stays
        stems = [word[: -len(end)] for end in ("ed", "d", "es", "s", "ing") if word.endswith(end)]
        stems += [word[: -len(end) - 1] for end in ("ed", "ing") if re.search(rf"([b-df-hj-np-tv-z])\1{end}$", word)]
        return any(stem in vocabulary or f"{stem}e" in vocabulary for stem in stems)

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in vocabulary or word in STOP or len(word) < 5 or normalise(word) != word or inflected(word):
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
    if shop and (campaign := shop.campaign_named(text)):  # "how did the Spring edit do": a campaign, by its name
        text = re.sub(rf"(?:\bthe )?{re.escape(campaign[1])}(?:\s+(?:campaign|e-?mail|newsletter))?", "the campaign",
                      text, flags=re.I)  # fmt: skip
    if shop and (customer := shop.customer_said(text)):  # "is La Rochelle Gifts a customer": read as any customer id
        text = re.sub(re.escape(customer[1]), "customer 10001", text, flags=re.I)
    someone = asks_what_someone_gets(text, segment_names)  # before the case is lost
    one_person = one_customer.names_one(text)  # "who is Anna Schmidt"
    # "is Andrew Stephens likely to buy again": his outlook, on his card (a full name, before the case is lost)
    named = one_customer.said_id(text) or re.search(r"\b[A-Z][a-z]+ [A-Z][a-z'-]+\b", text)
    outlook_of_one = one_person and named and one_customer.OUTLOOK_OF_ONE.search(text)
    a_term = glossary.asked(text)  # "define CTR": before a spelling fix makes it "defines"
    text = spelled(text, vocabulary | own_words(*own))  # "trains" is the shop's, not a typo of "train"
    words = normalise(text, names, *own).split()
    if words and set(words) <= guards.SMALL_TALK:
        return [("smalltalk", 1.0)]
    if not (set(words) | set(topics(text))) & vocabulary:
        return []  # no word (or concept) the examples know
    readings = (model or classifier()).ranked(text, names, *own)
    allowed = [(name, p) for name, p in readings if intents()[name].allows(text)]
    if allowed[1:] and allowed[0][0] == "customer_card" and not one_person:
        allowed = allowed[1:]  # "what do my customers buy most": no one person is named
    elif one_customer.LOOK_UP_ONE.search(text) and "customer_card" in [name for name, _ in allowed[:3]]:
        allowed.insert(0, ("customer_card", 1.0))  # "look up a customer for me": which one is asked next
    if (
        allowed
        and guards.SEND_THE_ONE.search(text)
        and not guards.NOT_NOW.search(text)
        and not guards.ONLY_COUNT.search(text)
    ):
        allowed.insert(0, ("send", 1.0))  # "send the black friday email": that one, now (after a confirmation)
    if allowed and allowed[0][0] in ("segment_compare", "segment_show") and guards.TWO_SEGMENTS.search(text.lower()):
        allowed.insert(0, ("segment_list", 1.0))  # "compare segment 1 and segment 4": both, in the segments' table
    if allowed and segment_recipes.MERGE.search(text.lower()):
        allowed.insert(0, ("segment_show", 1.0))  # "merge segments 1 and 2": said why not, and what instead
    if allowed and allowed[0][0] == "send" and guards.TO_MYSELF.search(text):
        allowed.insert(0, ("test_send", 1.0))
    elif (
        allowed
        and allowed[0][0] == "send"
        and (guards.ASKS_ABOUT.search(text) or guards.SENT_ALREADY.search(text))
        and not guards.ONLY_COUNT.search(text)
    ):
        allowed = [reading for reading in allowed if reading[0] != "send"]
    if (  # a draft "follow-up about the coats" (no recipients' engagement named) stays a draft
        allowed
        and (allowed[0][0] == "send" or (allowed[0][0] == "draft" and audience_words.engagement(text)))
        and guards.FOLLOW_UP.search(text)
        and intents()["follow_up"].allows(text)
    ):
        allowed.insert(0, ("follow_up", 1.0))
    if allowed and allowed[0][0] == "send" and guards.ONLY_COUNT.search(text):
        allowed.insert(0, ("send_count", 1.0))
    elif allowed and allowed[0][0] == "send_count" and guards.ONLY_COUNT.search(text):
        pass  # "count them but don't send": the count asked for, not a "not now"
    elif allowed and allowed[0][0] in ("send", "send_count") and guards.NOT_NOW.search(text):
        allowed.insert(0, ("not_now", 1.0))
    if allowed and segment_recipes.GO_BACK.search(text.lower()) and guards.SEGMENTATION.search(text):
        allowed.insert(0, ("segment", 1.0))  # "switch to run 1", "go back to the 4 segments": that run again
    if allowed and guards.PEOPLE.search(text) and unknown_attribute(text, [*own[0], *own[1], *names]):
        allowed.insert(0, ("overview", 1.0))  # "show me customers from London": the data holds no town (said so)
    if allowed and guards.SEGMENT_OUTLOOK.search(text):
        allowed.insert(0, ("segment_list", 1.0))  # "which segment has the highest churn risk": by the predictions
    if allowed and guards.WHAT_NEXT.search(text):
        allowed.insert(0, ("overview", 1.0))  # "what should I do next": where the shop stands, and the next step
    if allowed and guards.CAMPAIGN_SALES.search(text):
        allowed.insert(0, ("report", 1.0))  # "how many sales did it drive": the report says what it cannot tell
    if allowed and guards.VARIANT_RESULTS.search(text) and not a_term and allowed[0][0] != "explain":
        allowed.insert(0, ("report", 1.0))  # "compare variant A and B": how each did
    if allowed and guards.ENGAGED_SEGMENT.search(text) and not a_term:
        allowed.insert(0, ("report", 1.0))  # "which segment responded best": the report, by segment
    if allowed and one_person and guards.WHY_NOT_REACHED.search(text):
        allowed.insert(0, ("customer_card", 1.0))  # "why is Carla not emailable": her card says why
    if allowed and a_term:
        allowed.insert(0, ("explain", 1.0))  # "what does fit score mean": the term, not the figures
    if allowed and (guards.SETS_SENDER.search(text) or guards.ASKS_SENDER.search(text)):
        allowed.insert(0, ("shop_settings", 1.0))  # a setting of the environment's: said which, not a draft revised
    if allowed and send_time.BEST_TIME.search(text.lower()):
        allowed.insert(0, ("not_now", 1.0))  # "what's the best day to email them": when to send, from the orders
    elif allowed and send_time.WHEN_THEY_SHOP.search(text.lower()):
        allowed.insert(0, ("analytics", 1.0))  # "when do our customers shop": by day of the week and hour
    if (
        allowed
        and allowed[0][0]
        in (
            "preview",
            "revise",
            "approve",
            "campaign_list",
            "overview",
            "segment_show",
            "segment_compare",
            "explain",
            "campaign_versions",
        )
        and guards.VERSIONS.search(text)
    ):
        allowed.insert(0, ("campaign_versions", 1.0))
    first_three = [name for name, _ in allowed[:3]]
    if someone and ("preview" in first_three or first_three[:1] == ["customer_card"]):  # "what Maria would get"
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
        and guards.ABOUT_PEOPLE & {name for name, _ in allowed[:3]}
        and (re.search(analytics_questions.WHERE_OR_WHEN["country"], text.lower()) or guards.NEW_PEOPLE.search(text))
    ):
        allowed.insert(0, ("analytics", 1.0))  # "where are my customers from", "new customers in 2005"
    elif allowed and (
        (guards.WHEN_THEY_BUY.search(text) and "analytics" in [name for name, _ in allowed[:3]])
        or (
            (guards.TOP_GROUPS.search(text) or guards.SELLING_GROUPS.search(text))
            and allowed[0][0] not in guards.ACTS_ON_THEM
        )
        or guards.SEGMENT_FIGURE.search(text)
    ):
        allowed.insert(0, ("analytics", 1.0))
    if (
        allowed[1:]
        and allowed[0][0] in ("analytics", "predict", "find_products")
        and "find_products" in [name for name, _ in allowed[:3]]
        and slots.sort_asked(text) in SOLD
        and guards.PRODUCT_SALES.search(text.lower())
        and not guards.NOT_PRODUCT_SALES.search(text.lower())
        and not guards.SELLING_GROUPS.search(text)  # "which category sells best": the categories, ranked
    ):
        allowed.insert(0, ("find_products", 1.0))
    if allowed[1:] and slots.stock_bounds(text.lower()) and "find_products" in [name for name, _ in allowed[:3]]:
        allowed.insert(0, ("find_products", 1.0))  # "products with 5 or fewer left": a stock level, not the next page
    if allowed and allowed[0][0] in ("find_products", "best_customers") and guards.WHAT_THEY_BUY.search(text):
        allowed.insert(0, ("find_products", 1.0))
    if (
        allowed
        and allowed[0][0] in ("find_products", "suggest")
        and (meant := guards.for_a_segment(text, segment_names or {}))
    ):
        allowed.insert(0, (meant, 1.0))  # "promote our coats to the big spenders", "what do big spenders buy"
    if (  # "who hasn't bought since December", "who hasn't ordered in 6 months": customers, from the data
        allowed
        and allowed[0][0] not in guards.ACTS_ON_THEM
        and (lapsed_since.asked(text) or lapsed_since.lapsed_list(text))
        and not guards.FORECAST.search(text.lower())
    ):
        allowed.insert(0, ("analytics", 1.0))
    if allowed and guards.HOW_MANY_OF_A_CATEGORY.search(" ".join(words)):  # "how many products in motorcycles"
        counted = guards.COUNTED_AS.get(allowed[0][0])
        allowed = [(counted, 1.0), *allowed] if counted else allowed
    if (
        audience_words.UNREACHABLE.search(text.lower())
        and allowed
        and (allowed[0][0] in UNREACHABLE_READINGS or "overview" in [name for name, _ in allowed[:3]])
    ):
        allowed.insert(0, ("overview", 1.0))  # who cannot be emailed, and why: the data's state, not a setting
    in_a_country = places(text, list(own[0] + own[1]), shop.countries if shop else ())
    if guards.LIST_PEOPLE.search(text) and in_a_country:
        allowed.insert(0, ("best_customers", 1.0))  # "list customers in France": that country's, best first
    elif in_a_country and {name for name, _ in allowed[:2]} == {"analytics", "overview"}:
        allowed.insert(0, ("analytics", 1.0))  # "how many customers from germany": the overview has no countries
    if guards.WHO_GETS.search(text.lower()) and intents()["send_count"].allows(text):  # who a campaign would go to
        allowed.insert(0, ("send_count", 1.0))
    allowed = outright.first(text, allowed, names, one_person)
    if allowed and outlook_of_one:
        allowed.insert(0, ("customer_card", 1.0))
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
    """The words of the examples, less those of the misspelt ones ("make som dummy custmers"): a typo there is to be
    read, not a word to keep (kept, "how many custmers do we have" stayed a word of segmenting)."""
    return words_of([e.text for e in examples() if "typo" not in e.family.split("/")[-1]])


def clarify(text: str, names: list[str]) -> Plan:
    options = "\n".join(f"- *{intents()[n].label}*" for n in names)
    return Plan(answer=f"I am not sure what you mean by “{text.strip()[:80]}”. {CLARIFY}:\n{options}")


def offered_readings(answer: str) -> list[str]:
    """The readings a clarifying answer offers (the UI turns them into buttons)."""
    if f"{CLARIFY}:" not in answer:
        return []
    return re.findall(r"^- \*(.+?)\*$", answer.split(f"{CLARIFY}:", 1)[1], re.MULTILINE)


def failed_since_last_success(req: Request) -> list[tuple[str, dict[str, Any]]]:
    """The calls that failed this turn after its last call that worked: made again unchanged, they fail again (once
    something worked since, as a prediction before segmenting by it, they may not)."""
    worked = max((i for i, step in enumerate(req.done) if step.ok), default=-1)
    return [(step.name, step.arguments) for step in req.done[worked + 1 :]]


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
        if any(planned in failed_since_last_success(request) for planned in plan.calls):
            plan = Plan(answer=report(request))  # asked again with nothing done since, it would fail again: say why
        if plan.calls:
            base = len(messages)
            tail = f"_{plan.intent}" if plan.intent else ""
            calls = [
                ToolCall(f"plan_{base}_{i}{tail}", name, json.dumps(args)) for i, (name, args) in enumerate(plan.calls)
            ]
            yield Completion(tool_calls=calls)
            return
        for piece in re.findall(r"\S+\s*|\s+", plan.answer):
            yield TextDelta(piece)
            await asyncio.sleep(0)  # let the UI paint: a real stream arrives in pieces too
        yield Completion(content=plan.answer)
