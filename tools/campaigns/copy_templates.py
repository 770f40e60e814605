"""Copy without a model: templates write each variant from a different angle (benefit-led, urgency,
curiosity, personal, value) in the chosen tone, with wording picked from the audience's profile
(premium, price-conscious, lapsed, new, loyal). Revisions ("make it shorter", "more playful
subject") are deterministic edits of the same material.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from storage.errors import UserError
from tools.campaigns.brief import ANGLES, LABELS, CopyBrief, VariantCopy, truncate
from tools.campaigns.copy_facts import known_facts
from tools.campaigns.copy_points import (
    IS_CODE_LINE,
    clauses,
    code_line,
    own_words,
    point_line,
    variants_named,
    with_point,
)
from tools.campaigns.sanitise import to_plain

# -- templates -----------------------------------------------------------------------------------
TONE_ALIASES = {
    "friendly": "friendly",
    "warm": "friendly",
    "casual": "friendly",
    "playful": "playful",
    "fun": "playful",
    "cheeky": "playful",
    "witty": "playful",
    "exciting": "playful",
    "urgent": "urgent",
    "urgency": "urgent",
    "pushy": "urgent",
    "salesy": "urgent",
    "formal": "formal",
    "professional": "formal",
    "serious": "formal",
    "luxurious": "luxurious",
    "luxury": "luxurious",
    "elegant": "luxurious",
    "premium": "luxurious",
    "sophisticated": "luxurious",
    "classy": "luxurious",
    "calm": "calm",
    "gentle": "calm",
    "gentler": "calm",
    "soft": "calm",
    "subtle": "calm",
    "relaxed": "calm",
    "understated": "calm",
    "low-key": "calm",
    "laid-back": "calm",
}

# Per tone, one subject per angle (benefit, urgency, curiosity, personal, value): five really different lines.
SUBJECTS = {
    "friendly": [
        "{{ category }} you'll love, just in",
        "Selling fast: the {{ product }}",
        "We picked something just for you",
        "{{ first_name }}, this {{ brand }} piece has your name on it",
        "{{ brand }} style at {{ price }}",
    ],
    "playful": [
        "New {{ category }} alert 👋",
        "Psst… this one won't hang around for long ⏳",
        "Guess what just landed in our shop? 👀",
        "{{ first_name }}, we think you'll be obsessed with this",
        "Treat yourself: {{ brand }} at {{ price }} 🎉",
    ],
    "urgent": [
        "Don't miss it: {{ category }} favourites are going fast",
        "Almost gone: the {{ product }}",
        "Before it sells out, take a look at this",
        "{{ first_name }}, your pick won't wait much longer",
        "While stock lasts: {{ brand }} at {{ price }}",
    ],
    "formal": [
        "Introducing the {{ product }}",
        "Limited availability: {{ brand }} {{ category }}",
        "A selection we believe you will appreciate",
        "{{ first_name }}, a recommendation selected for you",
        "{{ brand }} {{ category }} at {{ price }}",
    ],
    "luxurious": [
        "The {{ product }}: made to be treasured",
        "A rare arrival, in limited numbers",
        "Something exceptional awaits you",
        "{{ first_name }}, an exclusive selection for you",
        "{{ brand }}: timeless {{ category }} at {{ price }}",
    ],
    "calm": [  # no pressure at all: what "less salesy", "not so pushy" ask for
        "New in our {{ category }}, when you have a moment",
        "Have a look at the {{ product }}",
        "A piece we thought you might like",
        "{{ first_name }}, something we picked out for you",
        "{{ brand }} {{ category }}, {{ price }}",
    ],
}
QUESTIONS = [  # "make the subject a question": one per angle, no scarcity claimed
    "Ready for something new in {{ category }}?",
    "Still thinking about the {{ product }}?",
    "Have you seen what we picked for you?",
    "{{ first_name }}, is this your next favourite?",
    "{{ brand }} at {{ price }}: tempted?",
]
PREHEADERS = [
    "Picked for you, from the pieces customers love most.",  # no claim of newness the data cannot back
    "Popular pieces sell out quickly, so don't wait too long.",
    "Open up to see what we picked for you.",
    "Chosen with your style in mind.",
    "Great pieces at prices worth a look.",
]
CTAS = {
    "friendly": ["Shop now", "Grab yours", "Take a look", "See my pick", "Browse the range"],
    "playful": ["Show me!", "Yes please", "Take a peek", "Treat me", "Let's go"],
    "urgent": ["Shop before it's gone", "Get it now", "Don't miss out", "Claim my pick", "Shop now"],
    "formal": ["Discover more", "View the collection", "Learn more", "View your selection", "Explore the range"],
    "luxurious": ["Discover the piece", "Reserve yours", "Explore", "View your selection", "Discover the collection"],
    "calm": ["Have a look", "See the details", "Browse at leisure", "View my pick", "See the range"],
}
OPENERS = {
    "friendly": "We've been looking forward to showing you this one.",
    "playful": "Okay, we can't keep this to ourselves any longer.",
    "urgent": "Quick heads-up: this is one of our most wanted pieces right now.",
    "formal": "We are pleased to present a new addition to our collection.",
    "luxurious": "Some pieces are simply made to be remembered.",
    "calm": "No rush: here is something we thought you might like.",
}
CLOSINGS = {
    "friendly": "Happy browsing!",
    "playful": "Go on, you deserve it. 😉",
    "urgent": "Stock is limited, so don't wait too long.",
    "formal": "We look forward to welcoming you.",
    "luxurious": "We look forward to seeing you again.",
    "calm": "Whenever you are ready, it will be here.",
}
LOW_STOCK = 50  # units: when every product in the email is at or under this, scarcity lines are true
# Scarcity and popularity claims the data must back (the model is told the same: no invented stock levels).
# Unless every product is low on stock, each of these template lines gives way to the plain one beside it.
UNBACKED = {
    "Selling fast: the {{ product }}": "Worth a look today: the {{ product }}",
    "Psst… this one won't hang around for long ⏳": "Psst… this one is too good to keep quiet about ⏳",
    "Don't miss it: {{ category }} favourites are going fast": "Don't miss it: {{ category }} to shop today",
    "Almost gone: the {{ product }}": "Today's the day: the {{ product }}",
    "Before it sells out, take a look at this": "Take a look at this today",
    "{{ first_name }}, your pick won't wait much longer": "{{ first_name }}, don't keep your pick waiting",
    "While stock lasts: {{ brand }} at {{ price }}": "Shop it now: {{ brand }} at {{ price }}",
    "Limited availability: {{ brand }} {{ category }}": "Now available: {{ brand }} {{ category }}",
    "A rare arrival, in limited numbers": "A rare arrival, worth your attention",
    "Popular pieces sell out quickly, so don't wait too long.": "Have a look while it's on your mind.",
    "Shop before it's gone": "Shop it today",
    "Quick heads-up: this is one of our most wanted pieces right now.": "Quick heads-up: this one deserves a look.",
    "Stock is limited, so don't wait too long.": "Don't wait too long.",
}
PRODUCT_BLOCK = "Meet the <b>{{ product }}</b>, from our {{ category }} collection, at {{ price }}."
PERSONAL_BLOCK = "We think you'll love the <b>{{ recommended }}</b>: we picked it with your style in mind."
# Audience flavour: the first rule matching the segment names (else their descriptions) picks a line.
FLAVOURS = [
    (("lapsed", "inactive", "dormant", "win-back", "win back", "at risk", "churn", "sleeping",
      "have not bought for longer"),
     "It's been a while, and a lot has changed in our shop. We'd love to see you back."),
    (("luxury", "premium", "vip", "high-spending", "high spend", "big spenders?", "upmarket"),
     "Made with the quality you expect, in materials that last."),
    (("budget", "bargain", "bargain hunters", "deals?", "deal-seeking", "discounts?", "value", "price-sensitive",
      "light-spending", "spend less", "thrifty"),
     "Great style doesn't have to cost the earth: this one is {{ price }}."),
    (("loyal", "loyalists", "frequent", "regulars?", "champions?", "devoted", "engaged", "order more often"),
     "As one of our most loyal customers, you get the first look."),
    (("new customers?", "newcomers?", "first purchase", "new shoppers?"),
     "As one of our newer customers, we wanted you to see this first."),
]  # fmt: skip
_FLAVOUR_PATTERNS = [(re.compile(r"\b(?:" + "|".join(words) + r")\b"), line) for words, line in FLAVOURS]
_NEGATED = re.compile(r"\bless (?:to|about) (?:luxury|discounts?)\b")  # "lean less to luxury" is not luxury
DEFAULT_FLAVOUR = "Picked with your style in mind, from the pieces customers like you love most."


# "less like an ad", "not such a hard sell", "less promotional": no pressure, as "less salesy"
SOFT_SELL = re.compile(
    r"\b(?:less|not|never)\b(?: \w+){0,2} like (?:an? )?(?:ad|advert|advertisement|commercial|sales ?pitch|pitch)\b"
    r"|\bhard[- ]sell|\bsoft(?:er)?[- ]sell|\bless (?:promotional|commercial|markety|marketing-?y)\b"
)


def tone_of(text: str | None) -> str | None:
    """The template tone a request names ('elegant' -> 'luxurious', 'less formal' -> 'friendly'), or None."""
    if SOFT_SELL.search((text or "").lower()):
        return "calm"
    words = re.findall(r"[a-z-]+", (text or "").lower())
    for i, word in enumerate(map(_positive, words)):
        if word in TONE_ALIASES:
            if not _toned_down(words[max(i - 2, 0) : i]):
                return TONE_ALIASES[word]
            return {"friendly": "formal", "urgent": "calm"}.get(TONE_ALIASES[word], "friendly")
    return None


def _toned_down(before: list[str]) -> bool:
    """ "less salesy", "too pushy", "not so formal": the words before a tone ask for less of it."""
    return bool(before) and (before[-1] in {"less", "too", "not"} or before == ["not", "so"] or before == ["not", "as"])


def _positive(word: str) -> str:
    """ "warmer" -> "warm", "friendlier" -> "friendly": a comparative asks for more of the same tone."""
    if word in TONE_ALIASES or len(word) < 5:
        return word
    if word.endswith("ier"):
        return word[:-3] + "y"
    return word[:-2] if word.endswith("er") else word


def template_copy(brief: CopyBrief, count: int) -> list[dict[str, Any]]:
    """`count` variants, each a different angle, in the brief's tone (friendly if none)."""
    tone = tone_of(brief.tone) or "friendly"
    say = _stock_honest(brief)
    flavour = _outlook_line(brief.outlook) or _flavour(brief.audience)
    more = len(brief.products) - 1
    variants = []
    for i in range(count):
        blocks = [say(OPENERS[tone]), say(PERSONAL_BLOCK if ANGLES[i] == "personal" else PRODUCT_BLOCK), flavour]
        if more:
            blocks.append(f"And there is more: {more} other piece{'s' if more > 1 else ''} we chose for you below.")
        blocks.append(say(CLOSINGS[tone]))
        variants.append(
            {
                "variant": LABELS[i],
                "angle": ANGLES[i],
                "tone": tone,
                "subject": say(SUBJECTS[tone][i]),
                "preheader": say(PREHEADERS[i]),
                "blocks": blocks,
                "cta_text": say(CTAS[tone][i]),
            }
        )
    return variants


def _stock_honest(brief: CopyBrief) -> Callable[[str], str]:
    """How template lines read for this brief: scarcity claims stand only when every product is low on stock, and
    the category or brand is named only when the shop records it (`copy_facts`)."""
    stocks = [p.get("stock") for p in brief.products]
    known = known_facts(brief.products)
    if stocks and all(s is not None and s <= LOW_STOCK for s in stocks):
        return known
    return lambda line: known(UNBACKED.get(line, line))


RESTOCK_LINE = "By our reckoning it is nearly time for your next order, so we picked what you may want to restock."
WIN_BACK_LINE = "It has been a while and we have missed you: here is what we picked for your return."
RESTOCK_DAYS = 30  # the audience's next orders are due within a month (median): time for a restock reminder


def _outlook_line(outlook: dict[str, Any] | None) -> str | None:
    """The line for customers chosen by predicted outlook: a restock reminder when their next orders are due
    soon (replenishment timing), a welcome back when they are slipping away; None to fall back on the segments."""
    if not outlook:
        return None
    due = outlook.get("median_days_to_next_order")
    if due is not None and due <= RESTOCK_DAYS:
        return RESTOCK_LINE
    return WIN_BACK_LINE if "high" in outlook.get("churn_risk", []) else None


def _flavour(audience: list[dict[str, Any]]) -> str:
    """The line for the audience: its names say most, descriptions next; numeric profiles are left to the model."""
    for field in ("name", "description"):
        text = _NEGATED.sub("", " ".join(str(a.get(field) or "") for a in audience).lower())
        for pattern, line in _FLAVOUR_PATTERNS:
            if pattern.search(text):
                return line
    return DEFAULT_FLAVOUR


# -- offline revisions ---------------------------------------------------------------------------
OFFLINE_HINT = (
    "Without a model I can: make it shorter or longer; change the tone (playful, urgent, formal, friendly, luxurious, "
    'calm) of the subject, the button or everything; set a subject or button text in quotes (subject "..."); '
    "add or remove emoji; add the first name to the subject; make the subject a question; "
    "add a discount code you have set up in your shop "
    "(add the code SPRING20 for 10% off); add a line in your words (mention free shipping over 60); "
    "several in one sentence (make it warmer and mention free returns); all for one variant if you name it (variant B)."
)
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u23f3\u231b]\ufe0f?")
_SHORTER = re.compile(
    r"\b(short|shorter|shorten|concise|brief|briefer|less text|too long|trim|tighter|punchy|punchier|snappy|snappier"
    r"|to the point)\b"
)
# "remove the discount code", "take out the 10% off", "no offer this time": the code line or offer line added before
_NO_OFFER = re.compile(
    r"\b(?:remove|drop|delete|take out|take off|lose|get rid of|no|without|cut)\b[^.]*"
    r"\b(?:code|discount|coupon|promo|voucher|offer|\d+\s*%\s*off|percent off|free (?:shipping|delivery|returns))"
)


def _is_offer(block: str) -> bool:
    """A line that only gives the offer: a code line, or a short one such as "10% off." or "Free shipping."."""
    short = len(to_plain(block)) <= 60
    return bool(IS_CODE_LINE.match(block)) or (short and bool(_OFFER_LINE.search(block)))


def _offer_named(instruction: str, block: str) -> bool:
    """Whether `block` is an offer line of the kind a removal names: "remove the discount" takes out a code or a
    money-off line, never "Free shipping."; "no free returns" that line alone; "no offer" any of them."""
    if not _is_offer(block):
        return False
    if re.search(r"\boffers?\b", instruction):
        return True
    if (free := re.search(r"\bfree (shipping|delivery|returns)", instruction)) and free[1] in block.lower():
        return True
    money_off = bool(IS_CODE_LINE.match(block)) or re.search(r"%\s*off|[£$€]\s?\d", block) is not None
    return money_off and _DISCOUNT.search(instruction.replace("code", "discount")) is not None


_OFFER_LINE = re.compile(
    r"\d+(?:[.,]\d+)?\s*%\s*off|[£$€]\s?\d+(?:[.,]\d{2})?\s*off|\bfree (?:shipping|delivery|returns)", re.I
)
_DISCOUNT = re.compile(r"\b(?:discount|coupon|promo|voucher|\d+\s*%\s*off|percent off)", re.IGNORECASE)


def template_revision(brief: CopyBrief, current: list[dict[str, Any]], instruction: str) -> list[dict[str, Any]]:
    """Apply every instruction the sentence gives ("warmer and mention free returns"), in order, deterministically;
    a variant named anywhere in it scopes them all. A UserError says what works offline when none is understood."""
    scope = {label.lower() for label in variants_named(instruction, [v["variant"] for v in current])}
    revised = None
    parts = clauses(instruction, lambda part: _revise_one(brief, current, part, scope) is not None)
    for part in sorted(parts, key=lambda part: bool(own_words(part))):  # own words win
        revised = _revise_one(brief, revised or current, part, scope) or revised
    if revised is None and _NO_OFFER.search(instruction.lower()):  # "remove the discount code" when there is none
        raise UserError(
            "The draft has no discount code or offer line to remove.", hint="Say *preview it* to read the draft."
        )
    if revised is None and _DISCOUNT.search(instruction):  # "use a 10% discount": no code, and none is invented
        raise UserError(
            "A discount goes in the email as a code you have set up in your shop, and I never invent one.",
            hint="Say the code: *add the code SPRING20 for 10% off*.",
        )
    if revised is None:
        raise UserError(f"I could not apply “{instruction}” without a model.", hint=OFFLINE_HINT)
    return revised


def _revise_one(brief: CopyBrief, current: list[dict[str, Any]], instruction: str, scope: set[str]) -> list | None:
    """One instruction applied to every variant in scope; None when it is not one understood offline."""
    text = instruction.lower()
    targets_subject = "subject" in text
    targets_button = any(w in text for w in ("button", "cta", "call to action"))
    tone = tone_of(text)
    quoted = own_words(instruction)
    say = _stock_honest(brief)
    added_code = code_line(instruction)
    changed = False
    revised = []
    for i, old in enumerate(current):
        variant = {**old, "blocks": list(old["blocks"])}
        angle = ANGLES.index(old["angle"]) if old.get("angle") in ANGLES else i % len(ANGLES)
        if scope and old["variant"].lower() not in scope:
            revised.append(variant)
            continue
        if tone:
            if targets_subject or not targets_button:
                variant["subject"] = say(SUBJECTS[tone][angle])
            if targets_button or not targets_subject:
                variant["cta_text"] = say(CTAS[tone][angle])
            if not (targets_subject or targets_button):
                variant["tone"] = tone
                variant["blocks"] = _retone(variant["blocks"], old.get("tone"), tone, say)
            changed = True
        if targets_subject and re.search(r"\bquestions?\b", text):
            variant["subject"] = say(QUESTIONS[angle])
            changed = True
        if re.search(_SHORTER, text):
            if targets_subject:
                variant["subject"] = _short_subject(variant["subject"])
            else:
                first, rest = variant["blocks"][:2], variant["blocks"][2:]
                variant["blocks"] = [_first_sentence(b) for b in first] + [b for b in rest if IS_CODE_LINE.match(b)]
                variant["preheader"] = _first_sentence(variant.get("preheader", ""))
            changed = True
        if re.search(r"\b(longer|more detail|more details|expand|elaborate)\b", text):
            extra = [_flavour(brief.audience), say(CLOSINGS.get(variant.get("tone"), CLOSINGS["friendly"]))]
            variant["blocks"] += [b for b in extra if b not in variant["blocks"]] or [DEFAULT_FLAVOUR]
            changed = True
        if _NO_OFFER.search(text) and any(_offer_named(text, b) for b in variant["blocks"]):  # "remove the code"
            variant["blocks"] = [b for b in variant["blocks"] if not _offer_named(text, b)]
            changed = True
        if re.search(r"\b(no|without|remove|drop|fewer)\b[^.]*\bemoji", text):
            for key in ("subject", "preheader", "cta_text"):
                variant[key] = " ".join(_EMOJI.sub("", variant[key]).split())
            variant["blocks"] = [" ".join(_EMOJI.sub("", b).split()) for b in variant["blocks"]]
            changed = True
        elif re.search(r"\b(add|with|more)\b[^.]*\bemoji", text):
            if not _EMOJI.search(variant["subject"]):
                variant["subject"] = f"{variant['subject']} ✨"
            changed = True
        if re.search(r"\b(first name|their name|personal|personali[sz]e)", text):
            if "{{ first_name }}" not in variant["subject"]:  # already there: "unchanged", not "could not apply"
                variant["subject"] = "{{ first_name }}, " + variant["subject"][:1].lower() + variant["subject"][1:]
            changed = True
        if added_code:
            blocks = [b for b in variant["blocks"] if not IS_CODE_LINE.match(b)]
            variant["blocks"] = [*blocks[:-1], added_code, *blocks[-1:]]  # before the closing line
            changed = True
        for field, value in quoted:
            key = {"subject": "subject", "preheader": "preheader"}.get(field, "cta_text")
            variant[key] = value
            changed = True
        revised.append(VariantCopy.model_validate(variant).model_dump() | _extras(variant))
    if not changed and (line := point_line(instruction)):  # "mention free shipping over 60": their own words
        return [v if scope and v["variant"].lower() not in scope else with_point(v, line) for v in current]
    return revised if changed else None


def _extras(variant: dict[str, Any]) -> dict[str, Any]:
    return {"variant": variant["variant"], "angle": variant.get("angle", ""), "tone": variant.get("tone", "friendly")}


def _retone(blocks: list[str], old: str | None, new: str, say: Callable[[str], str]) -> list[str]:
    """Swap the tone's opener and closing lines (as written then, whatever the stock was); keep everything else."""
    swap = {}
    for table in (OPENERS, CLOSINGS):
        line = table.get(old or "friendly", "")
        swap |= {line: say(table[new]), UNBACKED.get(line, line): say(table[new])}
    return [swap.get(b, b) for b in blocks]


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?…])(\s|$)", text)
    return match.group(1) if match else text


def _short_subject(subject: str) -> str:
    """The strongest half of a subject line: the part after a colon, or the first clause, or the first words."""
    if ":" in subject and len(subject.split(":", 1)[1].strip()) >= 12:
        rest = subject.split(":", 1)[1].strip()
        return rest[:1].upper() + rest[1:]
    for mark in (" – ", " - ", ", "):
        if mark in subject and len(subject.split(mark, 1)[0]) >= 12:
            return subject.split(mark, 1)[0]
    return truncate(subject, 40)
