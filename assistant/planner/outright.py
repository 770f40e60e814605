"""Readings a request says outright, whatever the classifier weighs: an address to unsubscribe, an email for the
customers quiet for a span, who has gone longest without ordering, who bought the most, who bought a product,
what sells together, when a send will finish.

Each is a small pattern with the one reading it means; `first` puts that reading first. They live apart from
`guards.py` (the guards for things that cannot be undone and the classifier's known confusions) only to keep each
module short.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.planner import (
    analytics_figures,
    analytics_questions,
    audience_words,
    biggest_orders,
    campaign_recipes,
    emails_sent,
    followup_recipes,
    guards,
    one_customer,
    predict_recipes,
    product_recipes,
    product_sales,
    product_trend,
    purchasers,
    report_recipe,
    returners,
    slots,
    together,
)
from assistant.planner.intents import intents

# "who has gone longest without ordering", "who hasn't bought anything in ages", "oldest last order first": the
# customers ranked by the time since their last order, from the orders (no prediction needed).
LONGEST_QUIET = re.compile(
    r"\blongest (?:without|since)\b|\b(?:for|in) (?:the )?longest\b|\boldest last (?:order|purchase)"
    r"|\b(?:haven'?t|have not|hasn'?t|has not|not)\b.{0,25}\b(?:ordered|bought|purchased|shopped|been back)\b.{0,15}"
    r"\b(?:in|for) (?:ages|forever|a (?:long|good long) (?:time|while)|donkey'?s years)\b",
    re.I,
)
# "who bought the most last month", "who spends the most": customers, ranked (not a figure, nor a prediction)
WHO_BOUGHT_MOST = re.compile(
    r"^\W*who(?:'s| is| are| has| have| had)?\b[^?]*\b(?:bought|buys?|buying|spent|spends?|spending|ordered|orders"
    r"|ordering|purchased|shopped)\b[^?]*\bmost\b(?![^?]*\b(?:category|brand|product|item|country|segment)s?\b)",
    re.I,
)
# "when will it finish sending", "how long will the send take": the reach, with the time at the set pace
HOW_LONG_SENDING = re.compile(
    r"\b(?:when will (?:it|the send|sending|the campaign|the email) (?:be )?(?:finish|done|complete|end)\w*"
    r"|how long (?:will|does|would) (?:it|the send|sending|the campaign|the email) (?:take|last)(?: to send)?"
    r"|(?:finish|done|complete) sending)\b",
    re.I,
)
# An address or a customer id with words that ask to stop emailing ("take C0000042 off the list", "no more emails for
# anna@example.com"), said as a request, not asked about ("did anna@example.com unsubscribe?").
UNSUBSCRIBE_SOMEONE = re.compile(
    r"^(?!\W*(?:did|has|have|is|was|were|why|when|how|who|what|can|could)\b).*"
    r"(?:" + slots.EMAIL.pattern + "|" + slots.CUSTOMER_ID.pattern + r"|\b(?:customer|client) \d{4,}\b)",
    re.I,
)
# "take out the 10% off", "remove the discount code", "drop the free shipping line": the draft's offer
DROP_OFFER = re.compile(
    r"^\W*(?:please )?(?:remove|drop|delete|take out|take off|lose|get rid of|cut)\b.*\b(?:discount|coupon|promo"
    r"|voucher|code|\d+\s*%\s*off|percent off|free (?:shipping|delivery|returns))\b",
    re.I,
)
# "offer free shipping", "give them 10% off", "throw in free returns": an offer for the draft's copy
ADD_OFFER = re.compile(
    r"^\W*(?:(?:please|ok|okay|and|also|then|let'?s|maybe)\W+)*(?:offer|give (?:them|people|customers|everyone)"
    r"|throw in)\b.*(?:\d\s*%\s*off|[£$€]\s?\d+(?:[.,]\d{2})?\s*off|\bfree (?:shipping|delivery|returns)\b)",
    re.I,
)
# A question, not a request: "did anyone complain?", "any spam complaints" ("she complained, take her off" is a request)
ASKED = re.compile(r"^\W*(?:did|do|does|any|were|was|have|has|had|how many|is|are|what about)\b|\?\s*$", re.I)
# "email customers who haven't ordered in 6 months about ...", "draft a win-back email for ...": an email to write
WRITE_FOR = re.compile(
    r"^\W*(?:(?:please |can you |let'?s |i want to |we should )?(?:draft|write|email|e-mail|mail|send|create|make)"
    r"\b.*\b(?:about|featuring|with|for|to)\b)",
    re.I,
)
# "email everyone who bought …", "send something to customers who bought …": an email, not a question
EMAIL_THEM_ABOUT = re.compile(
    r"^\W*(?:(?:please |can you |could you |let'?s |i want to |i'?d like to |we should )?(?:draft|write|email|e-mail"
    r"|mail|send|create|make|target|message|contact)\b)",
    re.I,
)
# "email everyone about the best sellers": an email whose subject is a product search, not the search alone
EMAIL_ABOUT = re.compile(
    r"^\W*(?:(?:please|can you|could you|let'?s)\s+)?(?:e-?mail|mail|message|write to)\b.*\b(?:about|featuring"
    r"|promoting)\b",
    re.I,
)
# "when can I email the openers again": the frequency cap, never a draft for them
WHEN_AGAIN = re.compile(
    r"^\W*when (?:can|could|may|will|should|are) (?:i|we|you|they)\b.*\b(?:e-?mail\w*|mail|contact\w*|message|send"
    r"|reach|write to|target)\b.*\b(?:again|next|another)\b",  # "when should we send it" is the time of day
    re.I,
)
# "did the parka email work", "was the newsletter a success": how a sent campaign did
DID_IT_WORK = re.compile(
    r"^\W*(?:so\W+)?(?:did|has|have|was|were) (?:the |our |my |that |this )?(?:[\w'-]+ ){0,3}(?:e-?mails?|campaigns?"
    r"|newsletters?|sends?|blasts?|mailings?|mailouts?)\b.*\b(?:work(?:ed)?|do (?:well|ok|okay|any good)"
    r"|go (?:well|ok|okay)|land|perform|succeed|pay off|a success|any good|a hit|a flop)\b",
    re.I,
)
# "actually scrap that", "never mind, forget it": whatever was just done stays as it is (a draft stays a draft)
NEVER_MIND = re.compile(
    r"^\W*(?:(?:actually|no|nah|ok|okay|hmm|wait|oh|um|sorry)\W+)*(?:scrap|scratch|forget|bin|ditch|never ?mind|nvm)"
    r"(?: (?:that|it|this|about it))?(?: one)?\W*(?:please|pls)?\W*$",
    re.I,
)
# "what's the industry average open rate", "how does that compare": a yardstick for the campaign's figures
YARDSTICK = re.compile(
    r"\b(?:industry|benchmarks?)\b|\bhow (?:does|did) (?:that|this|it) compare\b(?! (?:to|with) (?:last|this|the) )",
    re.I,
)
# "show me the ones at high risk", "list the high risk ones": churn risk, never a data check or a product search
CHURN_RISK = re.compile(r"\b(?:high|medium|low|at)[- ](?:churn[- ])?risk\b|\bchurn", re.I)
NOT_CHURN = {"data_issues", "validate", "next_page", "find_products"}  # the readings the words "high", "list" pull in
# "which customers went quiet?", "who stopped ordering", "customers we've lost": slipping away (predicted, or where
# that cannot be, who has gone longest without ordering), never a data check or the campaigns
TWO_PERIODS = re.compile(  # two years or months compared ("compare 2004 and 2005", "march vs april")
    r"\b(?:(?:19|20)\d\d|q[1-4]|january|february|march|april|may|june|july|august|september|october|november"
    r"|december)\b.*\b(?:and|vs\.?|versus|with|to|against)\b.*\b(?:(?:19|20)\d\d|q[1-4]|january|february|march"
    r"|april|may|june|july|august|september|october|november|december)\b",
    re.I,
)


def best_customers_asked(text: str) -> bool:
    """ "which customers ordered in May 2005", "list the customers who bought in 2005" (a year or a month named)."""
    from assistant.planner.best_customers import ORDERED_THEN  # it imports the analytics, which import this

    return bool(ORDERED_THEN.search(text.lower())) and bool(
        re.search(
            r"\b(?:19|20)\d\d\b|\blast (?:month|year|week)\b"
            r"|\bthis (?:month|year)\b",
            text.lower(),
        )
    )


KEEP_FOR_QUIET = {"predict", "best_customers", "analytics", "customer_card", "unsubscribe", "explain"}
GONE_QUIET = re.compile(
    r"\b(?:went|gone|going|go|gone) (?:quiet|silent|cold|dark)\b|\bstopped (?:ordering|buying|shopping|purchasing"
    r"|coming)\b|\b(?:customers|people|buyers|shoppers|clients) (?:we'?ve|we have|we) lost\b|\bdropped off\b",
    re.I,
)
# "is it ok to send it now?", "are we ready to send?": whether it can go, and to how many (never a send, nor "not now")
READY_TO_SEND = re.compile(
    r"^\W*(?:is (?:it|this|that|the (?:email|campaign|draft))|are we|am i)\b.{0,20}\b(?:ok|okay|ready|good|safe|fine"
    r"|alright|all right|set)\b.{0,15}\bto (?:send|go)\b",
    re.I,
)
# Figures the data overview does not give, whatever else the words of one ask for
NOT_IN_THE_OVERVIEW = (
    "items per order",
    "order value",
    "units sold, net of returns",
    "revenue",
    "spend",
    "revenue with no customer",
    "orders with no customer",
)
EMAIL_THEM = {"draft", "follow_up", "send", "send_count", "test_send", "revise"}  # readings that would email someone
ABOUT = re.compile(r"\b(?:about|featuring|promoting)\b", re.I)  # a new email's subject: a draft, not a change

# "best customers in segment 3", "top 5 customers of the second group": that segment's best customers
BEST_OF_SEGMENT = re.compile(
    r"\b(?:best|top|biggest|most valuable|highest.spending)(?: \d+| ten| five)? (?:customers|spenders|buyers|shoppers"
    r"|clients)\b.*\b(?:in|of|from|among) (?:the )?(?:(?:segment|group|cluster) \d+|(?:first|second|third|fourth"
    r"|fifth|last) (?:segment|group|cluster))\b",
    re.I,
)
# "one-time buyers", "repeat customers", "what's our repeat purchase rate": counted (or their share) from the orders;
# "list the one-time buyers", "who only ordered once": those customers, listed
BY_ORDER_COUNT = re.compile(f"{analytics_figures.ONE_TIMERS}|{analytics_figures.REPEATERS}", re.I)
LIST_THEM = re.compile(
    r"^\W*(?:(?:can you |please )?(?:list|show|give|get|pull|export|download|find)\b|who\b"
    r"|which (?:customers|ones|people)\b)",
    re.I,
)

# About one person and the emails, named by a pronoun, an address or an id ("did he open the parka email", "is she
# unsubscribed", "can we still email him"): their card, which says what they did with each campaign and whether they
# can be emailed now. A name alone ("is april unsubscribed") is not read here yet.
THEIR_EMAILS = re.compile(
    r"^\W*(?=.*(?:\b(?:he|she|him|her)\b|@|\bc\d{5,}\b))(?:did|has|have|is|was|can (?:we|i)|could (?:we|i))\b"
    r".*\b(?:open(?:ed)?|click(?:ed)?|unsubscribed|opted out|bounced|e-?mailable|(?:still )?e-?mail (?:him|her))\b",
    re.I,
)

# "export the people who opened", "download who clicked as a csv": those recipients (their table has the download),
# not a follow-up email to them
EXPORT_WHO = re.compile(r"\b(?:export|download|csv|excel|spreadsheet|xlsx)\b", re.I)
# "show me night lights", "find lunch bags": a search of the catalogue by name, when that is among the likely readings
# and the thing named is none of what else can be shown (the draft, segments, the report, the data ...).
PRODUCT_WORD = re.compile(r"\b(?:products?|items?|skus?|goods)\b(?! lines?\b)|(?<!product )\blines\b", re.I)
SHOW_THINGS = re.compile(
    r"^\W*(?:show|find|list|get|see)(?: me| us)? (?:the |our |all |some |any )?"
    r"(?P<things>[a-z][a-z -]*?[a-z])\s*[?.!]*$",
    re.I,
)
NOT_PRODUCTS = re.compile(
    r"\b(?:e-?mails?|mails?|drafts?|previews?|segments?|groups?|clusters?|customers?|reports?|results?|campaigns?|data"
    r"|issues?|problems?|errors?|settings?|shortlists?|picks?|versions?|variants?|subjects?|details?|next|rest|more"
    r"|stats?|numbers?|charts?|options?|examples?|recipients?|people|buyers?|shoppers?|clients?|members?|figures?"
    r"|sales?|orders?|predictions?|scores?|opens?|clicks?|unsubscribes?|bounces?|steps?|commands?|things?|ones?|it"
    r"|this|that|them|these|those|everything|all|what|how|who|why|where|list|table|overview|status|help|history"
    r"|copy|text|body|message|newsletter|outlook|churn|risk|value|revenue|performance|progress|queue|log)\b",
    re.I,
)


def first(
    text: str, allowed: list[tuple[str, float]], segment_names: Sequence[str] = (), one_person: bool = False
) -> list[tuple[str, float]]:
    """The readings with the one the request says outright first (the last that applies wins). A request about one
    person (`one_person`: "what has C0000042 bought") is no product search nor a product's buyers."""
    top = allowed[0][0] if allowed else None
    if allowed and WHO_BOUGHT_MOST.search(text) and top in ("analytics", "predict", "best_customers"):
        allowed.insert(0, ("best_customers", 1.0))  # "who bought the most last month": those customers, ranked
    if HOW_LONG_SENDING.search(text) and intents()["send_count"].allows(text):
        allowed.insert(0, ("send_count", 1.0))  # "when will it finish sending": the reach, at the set pace
    if UNSUBSCRIBE_SOMEONE.search(text) and not text.rstrip().endswith("?") and intents()["unsubscribe"].allows(text):
        allowed.insert(0, ("unsubscribe", 1.0))  # "take C0000042 off the list": a person's address, not a product
    if allowed and WRITE_FOR.search(text) and predict_recipes.quiet_days(text.lower()) is not None:
        allowed.insert(0, ("draft", 1.0))  # "email customers who haven't ordered in 6 months about the coats"
    elif allowed and predict_recipes.audience_change(text.lower()) is not None and not ABOUT.search(text):
        allowed.insert(0, ("revise", 1.0))  # "exclude people who ordered in the last week": the draft's audience
    if allowed and together.asked(text) and not one_person and allowed[0][0] not in guards.ACTS_ON_THEM:
        allowed.insert(0, ("find_products", 1.0))  # "what do people buy together": pairs, from the orders
    if allowed and EMAIL_THEM_ABOUT.search(text) and purchasers.BOUGHT.search(text) and not one_person:
        allowed.insert(0, ("draft", 1.0))  # "email everyone who bought the jam making set": they are the audience
    if allowed and allowed[0][0] == "shortlist_add" and re.search(product_recipes.REMOVING, text.lower()):
        allowed.insert(0, ("shortlist_remove", 1.0))  # "no to the second one", "put the first one back"
    if allowed and product_trend.asked(text) and not one_person and allowed[0][0] not in guards.ACTS_ON_THEM:
        allowed.insert(0, ("find_products", 1.0))  # "which products sold less in February than in December"
    if allowed and purchasers.asked(text) and not one_person and allowed[0][0] not in guards.ACTS_ON_THEM:
        allowed.insert(0, ("rank", 1.0))  # "customers who bought jeans": the buyers, from the orders (the rank's)
    if (
        (shown := SHOW_THINGS.search(text))
        and not one_person
        and not NOT_PRODUCTS.search(things := shown["things"].lower())
        and not any(name.lower() in things or things in name.lower() for name in segment_names)  # "the VIPs"
        and "find_products" in [name for name, _ in allowed[:3]]
    ):
        allowed.insert(0, ("find_products", 1.0))
    returns = slots.sort_asked(text) in slots.FROM_RETURNS and PRODUCT_WORD.search(text)
    if allowed and returns and not one_person and not guards.PEOPLE.search(text):
        allowed.insert(0, ("find_products", 1.0))  # "which products are never returned": from the orders' returns
    if allowed and BEST_OF_SEGMENT.search(text) and allowed[0][0] not in guards.ACTS_ON_THEM:
        allowed.insert(0, ("best_customers", 1.0))
    if allowed and BY_ORDER_COUNT.search(text) and allowed[0][0] not in guards.ACTS_ON_THEM:
        allowed.insert(0, ("best_customers" if LIST_THEM.search(text) else "analytics", 1.0))
    if audience_words.to_the_unsubscribed(text.lower()) and (not allowed or allowed[0][0] in EMAIL_THEM):
        allowed.insert(0, ("follow_up", 1.0))  # "email the ones who unsubscribed one last time": never (said why)
    if allowed and one_person and (THEIR_EMAILS.search(text) or one_customer.name_asked_about(text)):
        allowed.insert(0, ("customer_card", 1.0))  # "did he open it", "is raymond unsubscribed": their card
    if allowed and EXPORT_WHO.search(text) and audience_words.engagement(text):
        allowed.insert(0, ("recipients", 1.0))
    if allowed and product_sales.named(text, []) and allowed[0][0] not in guards.ACTS_ON_THEM:
        allowed.insert(0, ("analytics", 1.0))  # "how much did the flytrap tins make us": that product's sales
    one_order = biggest_orders.ONE_ORDER.search(text)  # "show me order 538524": its number is no customer's id
    if (
        allowed
        and biggest_orders.asked(text)
        and (one_order or not one_person)
        and allowed[0][0] not in guards.ACTS_ON_THEM
    ):
        allowed.insert(0, ("analytics", 1.0))  # "our biggest single order": the orders ranked, not a customer figure
    if allowed and report_recipe.LINKS_ASKED.search(text.lower()) and not one_person:
        allowed.insert(0, ("report", 1.0))  # "which links did people click": the report's links, not who clicked
    if allowed and report_recipe.COMPLAINTS.search(text) and ASKED.search(text) and not one_person:
        allowed.insert(0, ("report", 1.0))  # "any spam complaints?": the report says where complaints go
    if allowed and followup_recipes.DISCOUNT_ADVICE.search(text.lower()):
        allowed.insert(0, ("explain", 1.0))  # "what's a good discount to offer them": not one the data can back
    if allowed and followup_recipes.OVERRIDE_CAP.search(text.lower()):
        allowed.insert(0, ("explain", 1.0))  # "override the 7 day thing": the cap, and that it is not lifted here
    if EMAIL_ABOUT.search(text) and "draft" in [name for name, _ in allowed[:2]]:
        allowed.insert(0, ("draft", 1.0))
    if allowed and WHEN_AGAIN.search(text):
        allowed.insert(0, ("explain", 1.0))
    if allowed and DID_IT_WORK.search(text):
        allowed.insert(0, ("report", 1.0))
    if NEVER_MIND.search(text):
        allowed.insert(0, ("smalltalk", 1.0))  # never a rejection or a cancel: those are a person's buttons
    if allowed and ADD_OFFER.search(text):
        allowed.insert(0, ("revise", 1.0))  # "offer 10% off": a line in the draft, not small talk
    if allowed and DROP_OFFER.search(text):
        allowed.insert(0, ("revise", 1.0))  # "take out the 10% off": the draft's offer line, not a shortlisted product
    if allowed and campaign_recipes.LINK_TO.search(text):
        allowed.insert(0, ("revise", 1.0))  # "the link should go to https://…": the draft's button, not a search
    overview = allowed and allowed[0][0] == "overview" and (asked := analytics_questions.understand(text))
    if overview and asked.figure.label in NOT_IN_THE_OVERVIEW:  # "how many items does a typical order have"
        allowed.insert(0, ("analytics", 1.0))
    if allowed and returners.asked(text) and not one_person and allowed[0][0] not in guards.ACTS_ON_THEM:
        allowed.insert(0, ("best_customers", 1.0))  # "which customers sent stuff back": listed by what they returned
    if allowed and READY_TO_SEND.search(text):
        allowed.insert(0, ("send_count", 1.0))  # its reach, with what is left to do before it can be sent
    if allowed and emails_sent.asked(text):
        allowed.insert(0, ("report", 1.0))  # "how many emails have we sent this month": the messages, not campaigns
    if allowed and CHURN_RISK.search(text) and allowed[0][0] in NOT_CHURN:
        allowed.insert(0, ("predict", 1.0))
    if allowed and allowed[0][0] == "segment_compare" and TWO_PERIODS.search(text):  # "compare 2004 and 2005"
        allowed.insert(0, ("analytics", 1.0))  # the two years side by side, not numbers of segments
    if allowed and best_customers_asked(text) and allowed[0][0] not in guards.ACTS_ON_THEM:
        allowed.insert(0, ("best_customers", 1.0))  # "which customers ordered in May 2005": those, listed
    if allowed and GONE_QUIET.search(text) and allowed[0][0] not in guards.ACTS_ON_THEM | KEEP_FOR_QUIET:
        allowed.insert(0, ("predict", 1.0))
    if allowed and YARDSTICK.search(text):
        allowed.insert(0, ("report", 1.0))  # the report says what it compares with (the shop's own campaigns)
    if allowed and LONGEST_QUIET.search(text) and allowed[0][0] not in guards.ACTS_ON_THEM:
        allowed.insert(0, ("best_customers", 1.0))  # "who has gone longest without ordering": ranked by it
    return allowed
