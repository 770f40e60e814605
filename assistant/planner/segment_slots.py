"""Segments in what the marketer says: by number ("group 2", "the second group", a bare "3" under a segments
table), as "that group", by the words of a name in use ("the luxury buyers") or a nickname one name fits ("the big
spenders"). Split from slots.py (numbers, SKUs, products and the rest)."""

from __future__ import annotations

import re

from assistant.planner.memory import Memory
from assistant.planner.slots import (
    ORDINAL_ONE,
    ORDINAL_SEGMENT,
    ORDINALS,
    SEGMENT_WORD,
    THAT_ONE,
    THAT_SEGMENT,
    THEM,
    number_after,
    singular,
)
from tools.segments import naming

SEGMENT_LEAD = (
    r"(?:(?:and|ok|okay|then|what about|how about|tell me (?:more )?about|more about|describe|show(?: me)?|open"
    r"|what'?s in|who'?s in|who are) )?"
)
BARE_NUMBER = re.compile(SEGMENT_LEAD + r"(?:(?:number|no\.?) ?|#)?(?P<n>\d{1,2})(?:,? please| pls)?[.!?]*")


def segment_ref(text: str, memory: Memory) -> int | None:
    """A segment by number ("group 2"), by its name ("the bargain hunters"), or as "that group"."""
    number = number_after(text, r"\b" + SEGMENT_WORD)
    if number is not None:
        return number
    t, after_segments = text.lower(), memory.shown == "segments"
    if after_segments and (bare := BARE_NUMBER.fullmatch(t.strip())):
        return int(bare["n"])
    place = ORDINAL_SEGMENT.search(t) or (ORDINAL_ONE.search(t) if after_segments else None)
    if place and (number := segment_at(next(g for g in place.groups() if g), memory)) is not None:
        return number
    named = segment_named(text, memory.segment_names)
    if named is not None:
        return named
    if memory.segment is not None and (
        THAT_SEGMENT.search(t) or (after_segments and (THEM.search(t) or THAT_ONE.search(t)))
    ):
        return memory.segment
    return None


def segment_at(place: str, memory: Memory) -> int | None:
    """The segment at a place ("second", "3rd", "last") in the last segment table (segments are listed 1..k)."""
    listed = memory.segments or sorted(memory.segment_names)
    if place == "last":
        return listed[-1] if listed else None
    position = ORDINALS[place]
    return listed[position - 1] if position <= len(listed) else position


# "the big spenders" for a segment the rules named "High-spending premium buyers": each trait's noun, and a few
# everyday words for it, read as the adjective the names are built from.
NICKNAMES = {noun: adjective for pair in naming.WORDS.values() for adjective, noun, _ in pair} | {
    "high spenders": "High-spending",
    "low spenders": "Light-spending",
    "top spenders": "High-spending",
    "heavy spenders": "High-spending",
    "loyal customers": "Frequent",
    "regulars": "Frequent",
    "deal hunters": "Deal-seeking",
    "discount hunters": "Deal-seeking",
    "deal seekers": "Deal-seeking",
    "bargain seekers": "Deal-seeking",
}
# The nicknames that name a segment in a figure's question ("revenue from the big spenders"); not those a figure
# reads as a kind of customer by their orders ("lapsed customers", "recent buyers", "regulars")
SEGMENT_NICKNAMES = {
    noun: trait
    for noun, trait in NICKNAMES.items()
    if noun not in ("lapsed customers", "recent buyers", "loyal customers", "regulars", "loyalists")
}


WEAK = {"high", "low", "big", "small", "new", "full", "price", "buyer", "shopper", "spender"}


def segment_named(phrase: str, names: dict[int, str]) -> int | None:
    """The segment whose name shares the most words with `phrase` (none shared: None); a trait's nickname
    ("the big spenders") counts as the words of the name it stands for ("High-spending")."""
    said = phrase.lower()
    said += "".join(f" {adjective.lower()}" for noun, adjective in NICKNAMES.items() if noun in said)
    words = {singular(w) for w in re.findall(r"[a-z]{3,}", said)} - {"the", "segment", "group", "customer"}
    shared = [(words & {singular(w) for w in re.findall(r"[a-z]{3,}", name.lower())}, n) for n, name in names.items()]
    # one word a product or a figure says as often ("show high margin items" is no "High-spending ..." segment)
    scored = [
        (len(both), number) for both, number in sorted(shared, key=lambda s: s[1]) if both - WEAK or len(both) > 1
    ]
    best = max(scored, default=(0, None))
    return best[1] if best[0] else None
