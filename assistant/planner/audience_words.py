"""Words about who an email reaches: who cannot be emailed, and why ("who's on the suppression list", "who can't I
email"); who of a campaign's recipients a request means by what they did ("the non-openers", "everyone who clicked").

Split from slots.py (the other slots: numbers, SKUs, segments, products).
"""

from __future__ import annotations

import re

# "who's on the suppression list", "which customers haven't given consent", "list everyone I can't email": people
# who cannot be emailed, and why (a campaign's own unsubscribes are its report's).
UNREACHABLE = re.compile(
    r"^\W*(?:who|which (?:customers|people|subscribers|contacts|shoppers)|list|show|how many)\b.{0,40}"
    r"(?:suppress|consent|opted.?in|opt.?in|(?:can'?t|cannot|can not) (?:i |we |you )?(?:be )?e-?mail"
    r"|no e-?mail|without (?:an )?e-?mail|not e-?mailable|not contactable|unreachable|do not e-?mail|do-not-e-?mail)"
)
# "how many can't we email at the moment", "what's our list size": who the shop can email now (not a campaign's reach)
EMAILABLE_NOW = re.compile(
    r"\b(?:can'?t|cannot|can not|unable to) (?:we |i |you )?(?:e-?mail|reach|contact)\b|\b(?:e-?mailable|contactable)\b"
    r"|\blist size\b|\bhow big is (?:our|my|the) (?:e-?mail |mailing )?list\b"
)
# "email the 11 who unsubscribed one last time", "a follow-up to the people who opted out": never done (said why)
TO_THE_UNSUBSCRIBED = re.compile(
    r"\b(?:e-?mail\w*|send\w*|mail\w*|contact\w*|reach\w*|message\w*|follow(?:ing)?.?up|target\w*|win\w* back"
    r"|re-?engage\w*|write to)\b.*\b(?:unsubscrib(?:ed|ers)|unsubs|opted.?out|opt.?outs)\b"
)
BUT_NOT = re.compile(
    r"\b(?:except|excluding|exclude|but not|other than|apart from|minus|without|not (?:to )?(?:the|those))\b"
    r"|\b(?:stop|quit|no more|don'?t|do not|never|no longer|remove|take \w+ off)\b"  # "stop emailing her"
)


def to_the_unsubscribed(text: str) -> bool:
    """Whether a request asks to email those who unsubscribed (not "everyone except the people who unsubscribed", nor
    a question about them: "what happens if we email someone who unsubscribed" is explained)."""
    asks_about = re.match(r"\W*(?!what about)(?:what|how|why|when|where|who|which|did|does|do|is|are|has|have)\b", text)
    return TO_THE_UNSUBSCRIBED.search(text) is not None and BUT_NOT.search(text) is None and asks_about is None


REASONS = [  # words -> the unreachable_customers reasons they mean
    (r"consent|opted.?in|opt.?in", ["no_consent", "consent_unknown"]),
    (r"suppress|do.not.e-?mail", ["unsubscribed", "suppressed"]),
    (r"no e-?mail|without (?:an )?e-?mail|not contactable", ["no_address", "invalid_email"]),
]


def unreachable_reasons(text: str) -> list[str]:
    """The reasons a "who cannot be emailed" question names; none: every reason."""
    return next((reasons for pattern, reasons in REASONS if re.search(pattern, text)), [])


# Who of a campaign's recipients a follow-up or a list means: "the non-openers", "everyone who clicked", "those
# who opened but didn't click"; the first that matches, the negations before the bare words.
_NOT = r"(?:didn'?t|did not|don'?t|do not|doesn'?t|haven'?t|hasn'?t|have not|has not|never|not|non|un)[ -]?"
ENGAGEMENTS = [
    (
        "opened_not_clicked",
        r"\b(?:open(?:ed|ers?)?|read (?:it|the \w+))\b.{0,30}\b(?:but|and|yet)\b.{0,12}"
        r"(?:" + _NOT + r"\s*cli?c?k|no clicks?)",
    ),
    ("not_clicked", _NOT + r"\s*cli?c?k|ignored the link|no clicks?\b"),
    ("not_opened", _NOT + r"\s*ope?n|\bignored\b|\bmissed (?:it|the|our)\b|" + _NOT + r"\s*(?:yet )?read\b"),
    ("clicked", r"\bcli?c?k"),
    ("opened", r"\bope?n(?:ed|ers?)\b|\bread (?:it|the)\b"),
]


def engagement(text: str) -> str | None:
    """Which recipients a request means by what they did with the email (storage.followups), or None for all."""
    lower = text.lower()
    return next((name for name, pattern in ENGAGEMENTS if re.search(pattern, lower)), None)
