"""Which customer a request names ("as Anna would see it", "what would Mr Jones get", "Maria's inbox").

Hand-written: a name is told from ordinary words by where it stands in the sentence (after "as",
"for", before "'s inbox"), a capital letter, and the shop's own segment names ("the VIPs" is a
segment, not a person); a general named-entity model would need the whole sentence in context and
a large model. The tools look the name up in the local database; the model only learns an ID.
"""

from __future__ import annotations

import re

from assistant.planner.memory import Request

_WORD = r"[A-Z][a-z'-]+"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?"
NAMED = re.compile(  # "for Anna Kowalski", "as Anna would", "the version Anna gets", "what would Mr Jones get"
    rf"\b{_TITLE} {_WORD}\b|\b(?i:as|for|would|does|version|what|look to) ({_WORD}(?: {_WORD})?)\b"
    rf"|\b({_WORD})['’]s (?:version|email|inbox|copy|preview)\b"  # "Jamal's version"
)
SPOKEN = re.compile(  # in lower case: "as anna would", "would mr jones get", "preview for anna", "what anna would get"
    r"\b(?:as|would) ((?:(?:mr|mrs|ms|miss|dr)\.? )?[a-z][a-z'-]+) (?:would|get|gets|see|sees|receive)\b"
    r"|\bwhat ((?:(?:mr|mrs|ms|miss|dr)\.? )?[a-z][a-z'-]+) (?:would|will) (?:get|see|receive)\b"
    r"|\bfor ((?:(?:mr|mrs|ms|miss|dr)\.? )?[a-z][a-z'-]+)\s*[?!.]*$",
    re.IGNORECASE,
)
SOMEONE_GETS = re.compile(  # "What Maria would get", "what would Mr Jones see", "Maria's inbox", "look to Maria"
    rf"\b(?i:what) (?:would |will |does |did )?({_TITLE} {_WORD}|{_WORD}(?: {_WORD})?) "
    r"(?:would |will )?(?:get|gets|see|sees|receive|receives)\b"
    rf"|\b({_WORD})['’]s (?:version|email|inbox|copy|preview)\b|\blook (?:to|for) ({_WORD}(?: {_WORD})?)\b"
    # in lower case only with "would": "what would maria see", "what maria would get" (not "what emails get opened")
    r"|\b(?i:what (?:would|will) ([a-z][a-z'-]+) (?:get|see|receive)|what ([a-z][a-z'-]+) (?:would|will) "
    r"(?:get|see|receive))\b"
)
NOT_NAMES = {
    "i", "a", "an", "the", "me", "us", "you", "it", "them", "him", "her", "this", "that", "customer", "customers",
    "variant", "version", "segment", "campaign", "everyone", "everybody", "someone", "somebody", "anyone", "one",
    "all", "random", "typical", "mobile", "desktop", "phone", "email", "now", "real", "approval", "review",
    "they", "we", "people", "shoppers", "recipients", "subscribers", "each", "some", "preview", "test",
    "he", "she", "others", "other", "members", "buyers", "users", "folks", "clients", "readers", "else", "exactly",
    "happens", "would", "will", "do", "does", "is", "was", "my", "our", "your", "their", "his", "its",
    "products", "items", "emails", "segments", "groups", "campaigns", "orders", "variants", "versions", "nobody",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "black", "cyber", "christmas",
    "easter", "summer", "winter", "spring", "autumn", "halloween", "valentine's", "mother's", "father's",
}  # fmt: skip


def customer_named(req: Request) -> str | None:
    """The customer a preview is for, named in words: "as Anna would see it" -> "Anna", "what would Mr Jones
    get" -> "Mr Jones", "preview for anna kowalski" -> no (two lower-case words are too often not a name).

    The tool looks the name up in the local database; the model only ever learns the customer's ID."""
    return _first_name_in([*NAMED.finditer(req.text), *SPOKEN.finditer(req.text)], req.memory.segment_names)


def asks_what_someone_gets(text: str, segment_names: dict[int, str] | None = None) -> bool:
    """ "What Maria would get", "what would Maria see", "what lands in Maria's inbox": a question about one
    customer's email, so a preview for her (not a count of who would get it, nor products)."""
    return _first_name_in(list(SOMEONE_GETS.finditer(text)), segment_names) is not None


def _first_name_in(matches: list[re.Match[str]], segment_names: dict[int, str] | None) -> str | None:
    """The first match that names a person: not an ordinary word ("they", "customers") nor a segment ("VIPs")."""
    segments = [n.lower() for n in (segment_names or {}).values()]
    for m in matches:
        name = next((g for g in m.groups() if g), m.group(0))
        words = re.sub(r"['’]s$", "", name).split()  # "Mrs Okafor's inbox" -> "Mrs Okafor"
        if words and words[-1].lower() in NOT_NAMES:
            words = words[:-1]
        if not words or words[0].lower() in NOT_NAMES or any(s.startswith(name.lower()) for s in segments):
            continue
        return " ".join(words)
    return None
