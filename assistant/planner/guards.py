"""The patterns that correct the classifier's reading of a request (`model.understood` applies them): words that
settle what a request is whatever it resembles ("send the black friday email" is a send, "send it on friday" is not
now). Each is a regular expression with the examples it was written for; the classifier stays the first reading.
"""

from __future__ import annotations

import re

from assistant.planner import segment_slots, slots

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
# "that parka send went ok, now ...", "the last email was sent fine": a send told of, not one asked for
SENT_ALREADY = re.compile(
    r"\b(?:send|sending|e-?mail|campaign|mailing|newsletter|blast) (?:went|was|worked|looked|did|has gone|is done"
    r"|finished|got out)\b"
)
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
# A bare "undo that" ("revert it", "take that back", "go back"): right after a revision, the version before it; after
# a draft, its versions; after anything else, that there is no undo (the revise recipe decides).
BARE_UNDO = re.compile(
    r"\W*(?:oops,? |no,? |hmm,? )?(?:(?:undo|revert|reverse|roll ?back)(?: (?:that|it|this|the last (?:one|change|edit"
    r"|step)|(?:that|the|my) (?:change|edit)))?|(?:take|put|change|set) (?:that|it) back|go back|back to how it was)"
    r"(?:,? please| pls)?[.!?]*"
)
# Right after a product list, a bare position ("cheapest three", "the top two of those", "second one") picks them.
# "why?", "how come", "why is that": a reason for what was just shown
WHY = re.compile(r"\W*(?:(?:and|but|ok|so)\W+)?(?:why|how come|why is that|why's that|what makes them different)\W*")
BARE_PICK = re.compile(
    r"(?:and |ok |okay |then )?(?:the )?(?:(?:top|first|last|cheapest|priciest|dearest|most expensive|best|biggest"
    r"|largest|smallest)\s*)?(?:one|two|three|four|five|six|\d+|second|third|fourth|fifth)?"
    r"(?: (?:biggest|largest|smallest))?(?: ones?)?(?: of (?:those|them|these))?"
    r"(?:,? please| pls)?[.!]?"
)
# Right after a segment table, a bare place ("the second one", "and the last?") is that segment.
BARE_SEGMENT = re.compile(
    segment_slots.SEGMENT_LEAD + r"(?:the )?"
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
# "which category sells best", "best-selling product lines", "which brand makes the most money": the groups ranked
# by what they took, not a product list
SELLING_GROUPS = re.compile(
    r"(?:\b(?:which|what) (?:categor(?:y|ies)|product (?:lines?|types?|ranges?)|brands?|countr(?:y|ies)|markets?)\b"
    r".{0,20}\b(?:sells?|sold|selling|makes?|made|brings? in|earns?|takes?|performs?|does best|did best)\b"
    r"|\b(?:best|worst|top|slowest)[- ](?:selling|performing|earning)\s+(?:categor(?:y|ies)|product (?:lines?|types?"
    r"|ranges?)|brands?|countr(?:y|ies)|markets?)\b)(?!.*\bfor (?:segment|group|them|those|the \w+ (?:group|segment)))",
    re.I,
)
# "which segment spends the least", "which group orders most often": a figure compared across the segments
SEGMENT_FIGURE = re.compile(
    r"^(?!.*\b(?:would|will|might|could|should|likely|fit|fits|suit|suits)\b)"  # "which group would buy": a match
    r"(?!.*\b(?:unsubscri\w*|opens?|opened|clicks?|clicked|bounce\w*|e-?mails?)\b)"  # a campaign's: its report
    r"(?!.*\b(?:churn\w*|at risk|predicted|slipping)\b)"  # the predictions': SEGMENT_OUTLOOK
    r"\W*(?:which|what) (?:segment|group|cluster|audience|persona)s?\b.{0,25}"
    r"\b(?:spends?|spent|buys?|bought|orders?|ordered|has|have|brings?|makes?|returns?)\b.{0,25}"
    r"\b(?:most|least|more|less|highest|lowest|fewest|biggest|smallest|best|worst)\b",
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
        if (found := pattern.search(text.lower())) and segment_slots.segment_named(
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
# ... read as a count of the category's products: the overview's, or a search's when it was read as one
COUNTED_AS = {name: "overview" for name in ("analytics", "overview", "shortlist_show", "next_page")} | {
    "find_products": "find_products"
}
# "compare segment 1 and segment 4", "group 2 vs group 3": two segments side by side (the segments' table), not a
# comparison of how many segments to make
TWO_SEGMENTS = re.compile(
    rf"\b{slots.SEGMENT_WORD}\s*(\d+)\b.*\b(?:and|with|vs\.?|versus|to|against|from)\s+(?:{slots.SEGMENT_WORD}\s*)?(\d+)\b"
)

# "change the sender name to Acme Deals", "set the reply-to address": a setting the chat cannot change (it says which)
SETS_SENDER = re.compile(
    r"\b(?:change|set|update|switch|make|use|rename)\b.{0,25}\b(?:sender|from[- ](?:name|address|line)|reply.?to)\b",
    re.I,
)
# "who do the emails come from", "what's our sender": the settings say (not a campaign's details)
ASKS_SENDER = re.compile(
    r"\b(?:who|what (?:name|address))\b.{0,30}\b(?:comes?|sent|go(?:es)? out) from\b"
    r"|\b(?:what|who)(?:'s| is| are) (?:the|our) (?:sender|from address|from name|reply.?to)\b",
    re.I,
)
# "which segment responded best", "what group engaged most": a sent campaign's report, by segment
ENGAGED_SEGMENT = re.compile(
    r"\b(?:which|what) (?:segment|group|audience|persona|cluster)s?\b.{0,30}"
    r"\b(?:respond\w*|react\w*|engag\w*|open\w*|click\w*|perform\w*|convert\w*"
    r"|(?:liked|loved|enjoyed|preferred) (?:it|this|that|the (?:e-?mail|campaign|newsletter|mail)))",  # not "coats"
    re.I,
)
# A segmentation named: "the 4 segments", "the old grouping", "run 1" (what "go back" goes back to)
SEGMENTATION = re.compile(r"\b(?:segment\w*|groups?|grouping|clusters?|split|run \d+)\b", re.I)
# "why is Carla not emailable", "why can't I email Anna Schmidt": one person's card says whether, and why not
WHY_NOT_REACHED = re.compile(
    r"\bwhy\b.{0,40}\b(?:e-?mail\w*|contact\w*|reach\w*|get (?:it|the e-?mail|our e-?mails?|e-?mails?)|receiv\w*)",
    re.I,
)
# "what did you find", "what did you change": what the last check or repair did
WHAT_DID_YOU = re.compile(
    r"^\W*(?:so\W+|ok\W+)?what (?:did|have) you (?:just )?(?:find|found|change|changed|fix|fixed|do|done|repair\w*)\b"
    r"|^\W*what(?:'s| was| were| got) (?:found|changed|fixed|repaired|wrong)\W*$",
    re.I,
)
# Customers named as people: "customers from London", "people aged 30"
PEOPLE = re.compile(r"\b(?:customers?|people|shoppers?|buyers?|clients?|subscribers?|who)\b", re.I)
# "compare variant A and B", "which variant won": the report's figures by variant (not segments compared)
VARIANT_RESULTS = re.compile(
    r"\b(?:compare|which|how did|how do|better|winner|won|winning|vs|versus|best)\b.*\bvariants?\b"
    r"|\bvariants?\s+[a-e]\b.*\b(?:and|vs\.?|versus|or|against)\s+(?:variant\s+)?[a-e]\b",
    re.I,
)
# "how many sales did it drive", "did the campaign make money": what a campaign sold (the report says it cannot tell)
CAMPAIGN_SALES = re.compile(
    r"\b(?:did|has|have|does) (?:it|that|the (?:e-?mail|campaign|newsletter|mailing|blast))\b.{0,25}"
    r"\b(?:drive|bring|generate|make|sell|earn|convert|lead to)"
    r"|\b(?:sales|revenue|money|orders|conversions?)\b.{0,20}\b(?:from|did|drive|driven|because of|due to|generated by)"
    r" (?:it|(?:the|this|that|our|my|last|the last) (?:e-?mail|campaign|newsletter|mailing|blast|send))\b",
    re.I,
)
# "what should I do next", "what's the next step": the step the shop's state calls for (the overview's). "Where do I
# start" is the help's: it walks the whole way.
WHAT_NEXT = re.compile(
    r"^\W*(?:(?:so|ok|okay|and|right)\W+)?(?:what(?:'s| is)? next|what (?:should|do|shall|can) (?:i|we) do next"
    r"|now what|what(?:'s| is) the next step)\W*$",
    re.I,
)
# "which segment has the highest churn risk", "which group is worth the most next year": the segments' predictions
SEGMENT_OUTLOOK = re.compile(
    r"\b(?:which|what) (?:segment|group|cluster|audience|persona)s?\b.{0,40}"
    r"\b(?:churn\w*|at risk|slipping|likely to (?:leave|churn)|predicted|worth the most (?:next|in the next)"
    r"|future value|most valuable next)",
    re.I,
)
