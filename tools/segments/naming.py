"""Segment names and one-sentence descriptions: from the model (profiles only) or from rules.

The model sees each segment's aggregate profile, never a customer row, name or email. Its answer
must name every segment exactly once with distinct names; anything else is treated as no answer,
and the rule names stand: built from the features that most distinguish a segment (standardised
difference against everyone else), e.g. "Premium luxury lovers".
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from services.llm import ModelUnavailable, StructuredModel

# feature -> (adjective, noun, phrase) when the segment is higher, then the same when lower
WORDS: dict[str, tuple[tuple[str, str, str], tuple[str, str, str]]] = {
    "total_spent": (("High-spending", "big spenders", "spend more"),
                    ("Light-spending", "light spenders", "spend less")),
    "order_count": (("Frequent", "loyalists", "order more often"),
                    ("Occasional", "occasional buyers", "order less often")),
    "avg_order_value": (("Premium", "premium buyers", "fill bigger baskets"),
                        ("Small-basket", "small-basket buyers", "fill smaller baskets")),
    "days_since_last_purchase": (("Lapsed", "lapsed customers", "have not bought for longer"),
                                 ("Recent", "recent buyers", "bought more recently")),
    "visit_frequency": (("Engaged", "regular visitors", "visit the shop more often"),
                        ("Rarely visiting", "rare visitors", "visit the shop less often")),
    "cart_abandonment_rate": (("Hesitant", "cart abandoners", "abandon more carts"),
                              ("Decisive", "decisive buyers", "abandon fewer carts")),
    "discount_sensitivity": (("Deal-seeking", "bargain hunters", "respond more to discounts"),
                             ("Full-price", "full-price buyers", "care less about discounts")),
    "luxury_affinity": (("Luxury", "luxury lovers", "lean more to luxury"),
                        ("Practical", "practical shoppers", "lean less to luxury")),
    "price_range_min": (("Upmarket", "upmarket shoppers", "browse higher price points"),
                        ("Budget", "budget shoppers", "browse lower price points")),
    "price_range_max": (("Upmarket", "upmarket shoppers", "accept higher prices"),
                        ("Budget", "budget shoppers", "stay at lower prices")),
}  # fmt: skip

# What sets a segment apart on a feature the names are never built from: (higher, lower) as a phrase.
OTHER_PHRASES = {
    "predicted_value_12m": ("are predicted to spend more", "are predicted to spend less"),
    "churn_probability_90d": ("are likelier to stop buying", "are less likely to stop buying"),
    "customer_type": ("are a higher spender type", "are a lower spender type"),
}

SYSTEM = (
    "You name customer segments of a clothing e-shop for a marketer. You get each segment's aggregate "
    "profile: size, share, feature means and medians, the features that most distinguish it from everyone "
    "else (d = standardised difference; positive = higher than the rest), style mix, top categories and "
    "brands. Give every segment a short, distinct, memorable name (2-4 words, no numbers) and one plain "
    "sentence describing who they are and how to approach them, grounded in the figures."
)


class SegmentName(BaseModel):
    segment: int
    name: str = Field(min_length=2, max_length=40, description="2-4 words, distinct from the others")
    description: str = Field(min_length=10, max_length=300, description="one plain sentence")


class SegmentNames(BaseModel):
    segments: list[SegmentName]


def rule_name(profile: dict[str, Any], segment: int) -> tuple[str, str]:
    """A name from the two most distinguishing features and a sentence from the top three."""
    found = [d for d in profile["distinguishing"] if d["feature"] in WORDS]
    words = [WORDS[d["feature"]][d["d"] < 0] for d in found]
    alone = profile.get("size") == 1
    who = "A single customer" if alone else f"{profile['share']:.0%} of customers"
    if not words:
        return f"Segment {segment}", f"{who}, close to the average on every feature."
    # The noun comes from a feature with other words than the adjective's: price_range_min and _max share
    # "Budget"/"Upmarket", and "Budget upmarket shoppers" contradicts itself.
    vocabulary = [{adjective for adjective, _, _ in WORDS[d["feature"]]} for d in found]
    nouns = [w[1] for w, v in zip(words[1:], vocabulary[1:], strict=True) if not v & vocabulary[0]]
    name = f"{words[0][0]} {nouns[0]}" if nouns else f"{words[0][0]} customers"
    phrases = [w[2] for w in words[:3]]
    listed = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + f" and {phrases[-1]}"
    style = max(profile.get("style_mix") or {"": 0}, key=lambda s: (profile.get("style_mix") or {}).get(s, 0))
    mostly = f", mostly {style} style" if style and profile["style_mix"][style] >= 0.5 else ""
    return name[0].upper() + name[1:], (
        f"{who} who, compared with everyone else, {listed}{mostly}."
        if not alone
        else f"A single customer, not a group: compared with everyone else, they {listed}{mostly}."
    )


def apart(profile: dict[str, Any]) -> str:
    """What sets a segment apart, in words, strongest first: "spend more, order more often, fill bigger baskets"."""
    return ", ".join(_phrase(d["feature"], d["d"]) for d in profile.get("distinguishing", []))


def _phrase(feature: str, d: float) -> str:
    if feature in WORDS:
        return WORDS[feature][d < 0][2]
    higher, lower = OTHER_PHRASES.get(feature) or (f"have a higher {feature.replace('_', ' ')}",
                                                    f"have a lower {feature.replace('_', ' ')}")  # fmt: skip
    return lower if d < 0 else higher


def rule_names(profiles: dict[int, dict[str, Any]]) -> dict[int, tuple[str, str]]:
    """Rule names for every segment, made distinct by the segment number where two coincide."""
    names = {s: rule_name(p, s) for s, p in profiles.items()}
    seen: dict[str, int] = {}
    for name, _ in names.values():
        seen[name] = seen.get(name, 0) + 1
    return {s: (f"{n} ({s})" if seen[n] > 1 else n, d) for s, (n, d) in names.items()}


def model_names(llm: StructuredModel, profiles: dict[int, dict[str, Any]]) -> dict[int, tuple[str, str]]:
    """The model's names, or ModelUnavailable if it fails or misses, repeats or invents a segment."""
    prompt = "Segment profiles (aggregates only):\n" + json.dumps({str(s): p for s, p in profiles.items()})
    answer = llm.ask(SYSTEM, prompt, SegmentNames)
    got = {s.segment: (s.name.strip(), s.description.strip()) for s in answer.segments}
    if sorted(got) != sorted(profiles) or len(answer.segments) != len(profiles):
        raise ModelUnavailable(f"named segments {sorted(got)}, expected {sorted(profiles)}")
    if len({n.lower() for n, _ in got.values()}) != len(got):
        raise ModelUnavailable("gave two segments the same name")
    return got


def name_segments(
    llm: StructuredModel | None, profiles: dict[int, dict[str, Any]]
) -> tuple[dict[int, tuple[str, str]], str, str | None]:
    """(names, named_by, why the model was not used or None)."""
    if llm is None:
        return rule_names(profiles), "rule", "no AI model is configured"
    try:
        return model_names(llm, profiles), "model", None
    except ModelUnavailable as exc:
        return rule_names(profiles), "rule", f"the AI model gave no usable names ({exc})"
