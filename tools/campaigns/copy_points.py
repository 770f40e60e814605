"""Revisions told in words: the marketer's own point (or discount code) added as a line, and what a revision changed.

Without a model, "mention free shipping over 60" cannot be woven into the copy, but it can be said:
the point, in the marketer's words and cleaned like any copy (no markup, no links, no template code),
goes into the body as its own short line just before the closing line (so just above the button).
One sentence may give several instructions ("make it warmer and mention free returns"): `clauses` splits it
before each new verb, so every instruction applies, and the point ends where the next instruction begins.
Whoever wrote a revision, `describe_changes` says what a reader would see differ, or that nothing does.
A subject or button text the marketer wrote (`own_words`: in quotes, after "to say", or "change the button to ...")
is used as written. A revision that names variants ("subject C", "the second subject line", "B's subject") changes
only those (`variants_named`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from storage.errors import UserError
from tools.campaigns.brief import VariantCopy
from tools.campaigns.sanitise import safe_template, to_plain

# The variants an instruction names: "variant B", "subject C", "option 2", "the second subject line", "B's subject".
# Not "version 2": versions are the copy over time (campaign_versions), variants the subject lines side by side.
# (not the article: "make the subject a question", "variant a bit warmer")
_LETTER = re.compile(
    r"\b(?:variant|version|option|subject(?: line)?)\s+([b-e]|a(?=\s*(?:$|[,.;:!?)]|'s\b|\s(?:and|or|&)\b)))\b"
    r"|\b([a-e])'s (?:subject|copy|text|preheader)\b"
)
_CAPITAL_A = re.compile(r"\b(?:[Vv]ariant|[Oo]ption|[Ss]ubject(?: line)?)\s+A\b")  # a capital A is no article
_NUMBER = re.compile(r"\b(?:variant|option|subject(?: line)?)\s+([1-5])\b")
_ORDINAL = re.compile(r"\b(first|second|third|fourth|fifth|last) (?:variant|option|subject(?: line)?)s?\b")
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4}


def variants_named(instruction: str, labels: list[str]) -> set[str]:
    """The labels of the variants an instruction names (of `labels`, the campaign's: "A", "B", ...); empty when it
    names none, and so is for every variant."""
    text = instruction.lower()
    named = {(m[0] or m[1]).upper() for m in _LETTER.findall(text)}
    named |= {"A"} if _CAPITAL_A.search(instruction) else set()  # "make variant A more playful": the label, as typed
    named |= {labels[int(n) - 1] for n in _NUMBER.findall(text) if int(n) <= len(labels)}
    for word in _ORDINAL.findall(text):
        index = len(labels) - 1 if word == "last" else _ORDINALS[word]
        named |= {labels[index]} if index < len(labels) else set()
    return {label for label in named if label in labels}


POINT_CAP = 160  # characters: a line, not a paragraph
READERS = r"(?:them|people|customers|readers|everyone|shoppers)"
_ASK = re.compile(
    r"^\s*(?:(?:please|pls|can you|could you|also|and|then|just|ok|okay)[\s,]+)*"
    r"(?:mention|say|state|note|stress|highlight|point out|add (?:a |one |another )?(?:line|sentence|note|bit|p\.?s\.?)"
    rf"|add that|include (?:a line|a note|that)|tell {READERS}|remind {READERS}|let {READERS} know"
    r"|put (?:in )?(?:a |an |one |another )?(?:line|sentence|note|p\.?s\.?)(?: (?:at|in) the (?:end|bottom|footer))?"
    rf"|offer(?: {READERS})?|give {READERS}|throw in)(?:\b|(?<=\.))"  # "add a P.S." ends in its dot
    r"\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_LEAD = re.compile(r"^(?:(?:that|saying|to say|which says|:|-)\s*)+", re.IGNORECASE)
_ABOUT = re.compile(r"^(?:about|on|regarding|for)\s+", re.IGNORECASE)
_TAIL = re.compile(
    r"(?:\s+(?:please|too|as well|also|somewhere|in (?:the|this|each|every) (?:email|body|copy|mail|text|message)s?"
    r"|in all (?:of )?(?:them|the variants|variants)|to (?:the|this) (?:email|body|copy)))+\s*$",
    re.IGNORECASE,
)
_DANGLING = re.compile(r"(?:[\s,;:(-]+(?:see|at|on|via|visit|go to|here)?)+[.!]?\s*$", re.IGNORECASE)
_SCOPE = re.compile(r"\s*\b(?:in|for|to) (?:variant|version|option) [a-e]\b", re.IGNORECASE)

# A new instruction starts after a comma, "and", "then" or "also" with a verb of its own: "warmer and mention ...".
_VERB = (
    r"(?:make|add|mention|say|state|note|stress|highlight|point out|include|remove|drop|lose|cut|trim|shorten"
    r"|lengthen|expand|use|put|set|change|swap|give|tell|remind|let|insert|throw in|personali[sz]e|turn|go)"
)
_NEXT = re.compile(
    rf"(?:\s*[,;&]\s*|[.!]\s+|\s+(?:and|then|also|plus)\s+)(?:(?:and|then|also|plus|please|pls|maybe|just)\s+)*"
    rf"(?={_VERB}\b)",
    re.IGNORECASE,
)
_QUOTES = re.compile(r"[\"“][^\"“”]*[\"”]")


def clauses(instruction: str, understood: Callable[[str], bool]) -> list[str]:
    """The instructions in one sentence, in order: "make it warmer and mention free returns" -> both. A part not
    understood on its own stays with the one before ("mention free shipping and make returns easy" is one
    point); nothing inside quotes is split (a subject line in quotes is one)."""
    quoted = [m.span() for m in _QUOTES.finditer(instruction)]
    cuts = [m for m in _NEXT.finditer(instruction) if not any(a < m.start() < b for a, b in quoted)]
    parts: list[tuple[int, int | None]] = []
    for start, end in zip([0] + [m.end() for m in cuts], [m.start() for m in cuts] + [None], strict=True):
        if parts and not understood(instruction[start:end]):
            parts[-1] = (parts[-1][0], end)
        else:
            parts.append((start, end))
    return [instruction[start:end].strip() for start, end in parts]


def point_line(instruction: str) -> str | None:
    """The body line for "mention X" / "say X" / "add a line about X", in the marketer's words; None when the
    instruction is not one of those (or nothing is left of the point once cleaned)."""
    asked = _ASK.match(instruction)
    if asked is None:
        return None
    point = _TAIL.sub("", _SCOPE.sub("", _LEAD.sub("", asked["rest"].strip()))).strip(" ,;:\"“”'")
    about = _ABOUT.match(point)
    point = point[about.end() :] if about else point
    cleaned = to_plain(safe_template(point))
    if len(cleaned) < len(point):  # a link (or markup) went: no "see ." left dangling
        cleaned = _DANGLING.sub("", cleaned)
    point = cleaned.strip(" ,;:")
    if len(point.split()) < 2 and not about:
        return None
    if not point:
        return None
    if len(point) > POINT_CAP:
        point = point[:POINT_CAP].rsplit(" ", 1)[0] + "…"
    if about:  # "add a line about our gift wrapping": a reminder of it
        return f"And don't forget {point.rstrip('.!?')}."
    line = point[0].upper() + point[1:]
    return line if line[-1] in ".!?…" else line + "."


def with_point(variant: dict[str, Any], line: str) -> dict[str, Any]:
    """The variant with `line` just before its closing line (once: a second ask adds nothing)."""
    blocks = list(variant["blocks"])
    if line not in blocks:
        blocks = [*blocks[:-1], line, *blocks[-1:]] if len(blocks) > 1 else [*blocks, line]
    checked = VariantCopy.model_validate({**variant, "blocks": blocks}).model_dump()
    return checked | {k: variant[k] for k in ("variant", "angle", "tone") if k in variant}


# A code the marketer set up in the shop: in capitals (SPRING20) or in quotes. Copy never invents one.
_CODE = re.compile(r"\bcode\b\W{0,3}?(?:[\"“']([A-Za-z0-9_-]{3,24})[\"”']|([A-Z0-9][A-Z0-9_-]{2,23})\b)")
_CODE_ASKED = re.compile(r"\b(add|include|mention|with)\b.*\bcode\b", re.IGNORECASE)
_OFFER = re.compile(r"(\d{1,2}(?:[.,]\d+)?\s?%|[£$€]\s?\d+(?:[.,]\d{2})?)\s*off\b", re.IGNORECASE)
CODE_LINE = "Use code <b>{code}</b> at checkout{offer}."
IS_CODE_LINE = re.compile(r"^Use code <b>")


def code_line(instruction: str) -> str | None:
    """The body line for a discount code the instruction gives, None if it asks for none; a UserError
    when it asks for a code without saying which (a code must exist in the shop: copy cannot make one up)."""
    match = _CODE.search(instruction)
    if match is None:
        if _CODE_ASKED.search(instruction):
            raise UserError(
                "Which discount code? I can only add one you have set up in your shop.",
                hint="Give it in capitals or quotes, with the offer if you like: add the code SPRING20 for 10% off.",
            )
        return None
    offer = _OFFER.search(instruction)
    return CODE_LINE.format(code=match.group(1) or match.group(2), offer=f" for {offer.group(1)} off" if offer else "")


FIELDS = [("subject", "subject line"), ("preheader", "preview text"), ("cta_text", "button")]


def describe_changes(
    before: list[dict[str, Any]], after: list[dict[str, Any]], asked_tone: str | None = None
) -> str | None:
    """What a reader would see differ between two versions, in words; None when nothing does. A tone asked for
    that every variant had already ("warmer" for friendly copy) is said, so the ask is not silently dropped."""
    pairs = list(zip(before, after, strict=False))
    changed = [(b, a) for b, a in pairs if _visible(b) != _visible(a)]
    if not changed:
        return None
    parts = []
    tones = {a.get("tone") for b, a in changed if a.get("tone") != b.get("tone")}
    retoned = bool(tones)
    if len(tones) == 1 and None not in tones:
        parts.append(f"the tone is now {tones.pop()}")
    for key, words in FIELDS:
        n = sum(b.get(key) != a.get(key) for b, a in changed)
        if n:
            parts.append(f"new {words}{'s' if n > 1 and words != 'preview text' else ''}")
    added = [[x for x in a["blocks"] if x not in b["blocks"]] for b, a in changed]
    removed = [[x for x in b["blocks"] if x not in a["blocks"]] for b, a in changed]
    inserted = [_inserted(b["blocks"], a["blocks"]) for b, a in changed]
    gone = sorted({to_plain(line) for lines in removed for line in lines})
    if not any(added) and all(removed) and len(gone) <= 2:  # "remove the discount code": those lines, in words
        parts.append("removed the line" + ("s " if len(gone) > 1 else " ") + " and ".join(f"“{g}”" for g in gone))
    elif all(inserted) and len({line for line, _ in inserted}) == 1:  # one new line, the same in every variant
        parts.append(f"added the line “{to_plain(inserted[0][0])}” before the closing line")
        if any(rest for _, rest in inserted) and not retoned:  # a new tone explains its own opener and close
            parts.append("reworded body text")
    elif any(added) or any(removed):
        longer = sum(len(a["blocks"]) for _, a in changed) - sum(len(b["blocks"]) for b, _ in changed)
        parts.append("a longer body" if longer > 0 else "a shorter body" if longer < 0 else "reworded body text")
    which = (
        f"in all {len(pairs)} variants"
        if len(changed) == len(pairs) and len(pairs) > 1
        else "in variant " + ", ".join(a["variant"] for _, a in changed)
    )
    kept = asked_tone and all(b.get("tone") == a.get("tone") == asked_tone for b, a in pairs)
    told = f"{_join(parts)} {which}" if parts else f"reworded {which}"
    return f"{told}; the tone was {asked_tone} already" if kept else told


def _inserted(before: list[str], after: list[str]) -> tuple[str, int] | None:
    """The one line `after` adds to `before` (None unless it is one longer): the new line whose removal leaves
    the fewest other lines changed, and how many those are (a new tone also swaps the opener and close)."""
    if len(after) != len(before) + 1:
        return None
    ranked = []
    for i, line in enumerate(after):
        if line not in before:
            rest = [*after[:i], *after[i + 1 :]]
            ranked.append((sum(x != y for x, y in zip(before, rest, strict=True)), i == len(before), line))
    fewest, _, line = min(ranked, default=(0, False, None))  # on a tie, not the close: a line goes in above it
    return (line, fewest) if line is not None else None


def _visible(variant: dict[str, Any]) -> tuple[Any, ...]:
    return (*(variant.get(k) for k, _ in FIELDS), tuple(variant.get("blocks") or ()))


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


_QUOTED = re.compile(r"(subject|preheader|button|cta|call to action)\b[^\"“”']*[\"“']([^\"“”]+)[\"”']", re.IGNORECASE)
# "change the button to say Shop the sale", "subject line: Last chance": the words as typed, without quotes.
_SAYS = re.compile(
    r"(subject|preheader|button|cta|call to action)(?: line| text)?"
    r"(?:\s+(?:to say|to read|should say|should read|say)|\s*:)\s+(?![\"“'])(.+?)[.!]?\s*$",
    re.IGNORECASE,
)
# "change the call to action to Shop the collection", "set the subject to Our winter edit" (not "to something warmer")
_SET_TO = re.compile(
    r"\b(?:change|set|update|make|switch|rename)\s+(?:the\s+)?(subject|preheader|button|cta|call to action)"
    r"(?: line| text| copy)?\s+to\s+(?![\"“'])(?!(?:something|be|sound|read|say|more|less|a bit)\b)(.+?)[.!]?\s*$",
    re.IGNORECASE,
)


def own_words(instruction: str) -> list[tuple[str, str]]:
    """(field, text) for each subject, preheader or button text the marketer wrote: quoted first, else as typed."""
    found = [(m.group(1).lower(), m.group(2).strip()) for m in _QUOTED.finditer(instruction)]
    for said in (_SAYS, _SET_TO):
        found = found or [(m.group(1).lower(), m.group(2).strip()) for m in said.finditer(instruction)]
    return found
