"""What PromoPilot's words mean ("what's the difference between a segment and a shortlist?", "what does fit
score mean?"): each term said as the code computes it, in a marketer's words.

Asked as a definition only: "what is a segment", "what does churn risk mean", "the difference between X and
Y". "What is segment 2" and "what's the open rate" ask for a figure, and are not caught here.
"""

from __future__ import annotations

import re

from tools.catalog.audience import WEIGHTS
from tools.predict.scoring import HIGH_RISK, HORIZON_DAYS, LOW_RISK

FIT_PARTS = {
    "category_fit": "the product's category (bought or liked before)",
    "price_fit": "its price against what they usually pay",
    "brand_fit": "the brand (among their favourites)",
    "tier_fit": "the brand's tier against their taste for luxury",
    "discount_fit": "room in the margin for the discounts they respond to",
}
TERMS: dict[str, tuple[str, str]] = {  # key: (how it is said, what it means)
    "segment": (
        r"segments?|clusters?|personas?|segmentation",
        "A **segment** is a group of your customers who buy alike (how often and how much they buy, what they like, "
        "their style), found by KMeans. Each customer is in exactly one segment of the segmentation in use; you can "
        "describe, rename and email a segment.",
    ),
    "shortlist": (
        r"short ?lists?",
        "The **shortlist** is the products you picked for a campaign (*keep the first three*). A draft features "
        "the shortlist's products unless you name others; it holds products, not people.",
    ),
    "fit": (
        r"fit(?: scores?)?|fits",
        "The **fit score** (0 to 1) says how well a product suits a customer: "
        + "; ".join(f"{FIT_PARTS[part]} {weight:.0%}" for part, weight in WEIGHTS.items())
        + ". A segment's fit is the average over its members.",
    ),
    "churn": (
        r"churn(?: risk)?|churning|slipping away|at risk",
        f"**Churn risk** is the chance a customer buys nothing in the next {HORIZON_DAYS} days, from their order "
        f"history (the BG/NBD model): low under {LOW_RISK:.0%}, high over {HIGH_RISK:.0%}, medium between.",
    ),
    "value": (
        r"predicted (?:value|spend)|(?:customer )?lifetime value|clv|ltv|12.month value",
        "The **predicted value** is what a customer is expected to spend in the next 12 months: the orders they are "
        "expected to place (BG/NBD) times their expected spend per order (Gamma-Gamma).",
    ),
    "silhouette": (
        r"silhouette(?: score)?",
        "The **silhouette** (from -1 to 1) says how far apart the segments are: 0.5 or more, they stand clearly "
        "apart; 0.25 to 0.5, fairly distinct; below 0.25, they overlap (customers near the borders could belong to "
        "either).",
    ),
    "stability": (
        r"stability",
        "The **stability** (0 to 1) says whether the same segments come back when KMeans is run again with another "
        "random start (the adjusted Rand index of the two): 0.9 or more, the same; 0.6 or more, much the same.",
    ),
    "open rate": (
        r"open rates?",
        "The **open rate** is the share of the emails sent that were opened, each person once. A click counts "
        "as an open; some mail apps block or pre-load the tracking image, so it is the rough figure.",
    ),
    "click rate": (
        r"click(?:.through)? rates?|ctr",
        "The **click rate** (click-through rate) is the share of the emails sent whose reader clicked a "
        "link, each person once: the reliable signal.",
    ),
    "click-to-open": (
        r"click.to.open(?: rates?)?|ctor",
        "The **click-to-open rate** is the share of the people who opened who also clicked: how good the email "
        "was once read.",
    ),
    "quarantine": (
        r"quarantin\w*",
        "A **quarantined** customer is a row the data check found unusable and could not repair safely (no name, "
        "email or history, or figures missing that segmenting needs): kept, with the reason in the data issues, but "
        "left out of segments and sends until fixed.",
    ),
    "suppression": (
        r"suppress\w*(?: list)?",
        "A **suppressed** address is never emailed: the person unsubscribed, the address bounced or complained, or "
        "it came in on a suppression list you imported.",
    ),
}
TERM = "|".join(f"(?:{said})" for said, _ in TERMS.values())
ARTICLE = r"(?:a |an |the |our |my |your |this |that )?"
ASKED = re.compile(
    rf"\bwhat (?:does|do) {ARTICLE}(?:term |word )?[\"'“]?(?:{TERM})[\"'”]? (?:mean|stand for|measure)\b"
    rf"|\bdifference between {ARTICLE}(?:{TERM}) and {ARTICLE}(?:{TERM})\b"
    rf"|\bwhat(?:'s| is| are) (?:a |an )?(?:{TERM})\s*[?.!]*$"
    rf"|\b(?:define|definition of|meaning of|what do you mean by|what is meant by) {ARTICLE}(?:{TERM})\b",
    re.I,
)


def asked(text: str) -> bool:
    return bool(ASKED.search(text))


def answer(text: str) -> str:
    """Each term the question names, in the order said ("click-to-open rate" is one term, not the open rate too)."""
    said = sorted(
        ((found.start(), -found.end(), key) for key, (words, _) in TERMS.items()
         for found in re.finditer(rf"\b(?:{words})\b", text, re.I)),
    )  # fmt: skip
    keys, reached = [], -1
    for start, end, key in said:
        if start >= reached and key not in keys:
            keys.append(key)
        reached = max(reached, -end)
    return "\n\n".join(TERMS[key][1] for key in keys)
