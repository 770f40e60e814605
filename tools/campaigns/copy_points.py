"""Revisions told in words: the marketer's own point added as a line, and what a revision changed.

Without a model, "mention free shipping over 60" cannot be woven into the copy, but it can be said:
the point, in the marketer's words and cleaned like any copy (no markup, no links, no template code),
goes into the body as its own short line just before the closing line (so just above the button).
Whoever wrote a revision, `describe_changes` says what a reader would see differ, or that nothing does.
"""

from __future__ import annotations

import re
from typing import Any

from tools.campaigns.brief import VariantCopy
from tools.campaigns.sanitise import safe_template, to_plain

POINT_CAP = 160  # characters: a line, not a paragraph
READERS = r"(?:them|people|customers|readers|everyone|shoppers)"
_ASK = re.compile(
    r"^\s*(?:(?:please|pls|can you|could you|also|and|then|just|ok|okay)[\s,]+)*"
    r"(?:mention|say|state|note|stress|highlight|point out|add (?:a |one |another )?(?:line|sentence|note|bit|p\.?s\.?)"
    rf"|add that|include (?:a line|a note|that)|tell {READERS}|remind {READERS}|let {READERS} know)\b"
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


FIELDS = [("subject", "subject line"), ("preheader", "preview text"), ("cta_text", "button")]


def describe_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> str | None:
    """What a reader would see differ between two versions, in words; None when nothing does."""
    pairs = list(zip(before, after, strict=False))
    changed = [(b, a) for b, a in pairs if _visible(b) != _visible(a)]
    if not changed:
        return None
    parts = []
    tones = {a.get("tone") for b, a in changed if a.get("tone") != b.get("tone")}
    if len(tones) == 1 and None not in tones:
        parts.append(f"the tone is now {tones.pop()}")
    for key, words in FIELDS:
        n = sum(b.get(key) != a.get(key) for b, a in changed)
        if n:
            parts.append(f"new {words}{'s' if n > 1 and words != 'preview text' else ''}")
    added = [[x for x in a["blocks"] if x not in b["blocks"]] for b, a in changed]
    removed = [[x for x in b["blocks"] if x not in a["blocks"]] for b, a in changed]
    common = [line for line in added[0] if all(line in more for more in added)]
    if len(common) == 1 and not any(removed):
        parts.append(f"added the line “{to_plain(common[0])}” before the closing line")
    elif any(added) or any(removed):
        longer = sum(len(a["blocks"]) for _, a in changed) - sum(len(b["blocks"]) for b, _ in changed)
        parts.append("a longer body" if longer > 0 else "a shorter body" if longer < 0 else "reworded body text")
    which = (
        f"in all {len(pairs)} variants"
        if len(changed) == len(pairs) and len(pairs) > 1
        else "in variant " + ", ".join(a["variant"] for _, a in changed)
    )
    return f"{_join(parts)} {which}" if parts else f"reworded {which}"


def _visible(variant: dict[str, Any]) -> tuple[Any, ...]:
    return (*(variant.get(k) for k, _ in FIELDS), tuple(variant.get("blocks") or ()))


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
