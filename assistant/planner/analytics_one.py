"""A figure for one country, or one of the shop's own categories or brands: "the typical basket in the UK",
"revenue from motorcycles", "how many Northlane products".

Answered from the breakdown by that group, its rows looked up in the result, the named ones listed first:
nothing the user typed reaches the SQL (the rows to list first are values read from the data, `Vocabulary`).
The figure over every country or category would be silently wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.planner import analytics_filters as filters
from assistant.planner import segment_slots, shop_terms, slots
from assistant.planner.analytics import grouped, plural
from assistant.planner.analytics_figures import ONE_TIMERS, REPEATERS
from assistant.planner.analytics_questions import GROUPS, SHARE, Question, formatted, understand
from assistant.planner.memory import Plan, Request
from assistant.planner.recipes import report


@dataclass(frozen=True)
class Named:
    kind: str  # the group's label: "country", "category" or "brand"
    asked: list[str]  # as typed (a country) or as the shop spells it (its categories and brands)

    def same(self, asked: str, recorded: str) -> bool:
        if self.kind == "country":
            return filters.same_country(asked, recorded)
        return asked == recorded


def picked(req: Request, question: Question) -> tuple[Question, Named | None] | Plan:
    """The question cut to the country, categories or brands it names (None: it names none), or why it cannot be."""
    vocabulary = req.vocabulary()
    own = shop_terms.named(req.text, vocabulary.categories, vocabulary.brands)
    text, left_out = without_places_left_out(req)
    if left_out:  # "which country buys the most apart from the UK": every other country
        recorded = as_recorded(left_out, vocabulary.countries)
        if isinstance(recorded, Plan):
            return recorded
        group = next(g for g in GROUPS if g.label == "country")
        if question.figure.level not in group.sql:
            question = grouped(question, group)
        question = replace(question, but=(group, tuple(recorded)))
    countries = filters.places(text, filters.shop_words(req), vocabulary.countries)
    country = " and ".join(countries)
    kinds = [kind for kind in ("category", "brand") if own[kind]] + (["country"] if country else [])
    if segments := segments_asked(req, question):  # "revenue from segment 4": its members' orders
        own, kinds = own | {"segment": [str(n) for n in segments]}, [*kinds, "segment"]
    if (kind := buyer_kind(req.lower)) and question.figure.label in OF_AN_ORDER:  # "revenue from repeat buyers"
        own, kinds = own | {"buyer kind": [kind]}, [*kinds, "buyer kind"]
    if question.group is not None:  # "revenue by month for motorcycles": that category's months, not every one's
        return within(req, question, [kind for kind in kinds if kind != question.group.label], own, countries)
    if len(kinds) > 1:
        return Plan(
            answer=f"I can give a figure for one {kinds[0]} or one {kinds[1]}, not both at once: ask for each "
            f"on its own, or *{question.label.lower()} by {kinds[0]}*."
        )
    if not kinds:
        return question, None
    kind = kinds[0]
    question = grouped(question, next(g for g in GROUPS if g.label == kind))
    if kind != "country":  # "revenue from motorcycles": the category's row, listed first
        return replace(question, first=tuple(own[kind])), Named(kind, own[kind])
    recorded = as_recorded(countries, vocabulary.countries)  # "the typical basket in the UK": that country's row
    if isinstance(recorded, Plan):
        return recorded
    return replace(question, first=tuple(recorded) or None), Named("country", countries)


def segments_asked(req: Request, question: Question | None = None) -> list[int]:
    """The segments a figure is for: "revenue from segment 4", "how many of the second group ordered in May", "the
    average basket of that group", "orders from the VIPs" (a name in use, whole), "the premium buyers vs the deal
    seekers" (a nickname only one segment's name fits); none for a breakdown by segment, or none said."""
    if question is not None and question.group is not None and question.group.label == "segment":
        return []
    text, lower, memory = req.text, req.lower, req.before
    if (number := slots.number_after(text, r"\b" + slots.SEGMENT_WORD)) is not None:
        return [number]
    if place := slots.ORDINAL_SEGMENT.search(lower):
        found = segment_slots.segment_at(next(g for g in place.groups() if g), memory)
        return [found] if found is not None else []
    if slots.THAT_SEGMENT.search(lower) and memory.segment is not None:
        return [memory.segment]
    return list(dict.fromkeys(number for _, _, number in segments_named(req)))  # in the order said


def segments_named(req: Request) -> list[tuple[int, int, int]]:
    """Where the request names a segment in use, by its whole name or a nickname only its name fits ("the big
    spenders"): (start, end, segment), in the order said."""
    lower, names, said = req.lower, segment_names(req), []
    for noun, trait in segment_slots.SEGMENT_NICKNAMES.items():
        fits = [k for k, n in names.items() if trait.lower() in n.lower()]
        if (at := lower.find(noun)) >= 0 and len(fits) == 1:
            said.append((at, at + len(noun), fits[0]))
    for k, name in names.items():
        if (found := re.search(rf"(?<!\w){re.escape(name)}(?!\w)", req.text, re.I)) is not None:
            said.append((found.start(), found.end(), k))
    return sorted(said)


# "apart from the UK", "leave out the uk", "excluding France": the countries said after it are left out
LEAVE_OUT = re.compile(
    r"\b(?:apart from|except(?: for)?|excluding|excl\.?|other than|not counting|leav(?:e|ing) out|outside(?: of)?"
    r"|besides|but not|ignoring|without|minus)\s+(?:the\s+)?",
    re.I,
)


def without_places_left_out(req: Request) -> tuple[str, list[str]]:
    """The request (segments' names taken out) with the countries it leaves out taken out too, and those countries."""
    text = without_segments(req)
    cut = LEAVE_OUT.search(text)
    if cut is None:
        return text, []
    vocabulary = req.vocabulary()
    left_out = filters.places("in " + text[cut.end() :], filters.shop_words(req), vocabulary.countries)
    return (text[: cut.start()], left_out) if left_out else (text, [])


OF_AN_ORDER = ("revenue", "orders", "order value", "units sold, net of returns", "items per order")  # per buyer kind


def buyer_kind(text: str) -> str | None:
    """ "revenue from repeat buyers": "repeat"; "orders from one-time customers": "one-time"; else None."""
    if re.search(ONE_TIMERS, text):
        return "one-time"
    return "repeat" if re.search(REPEATERS, text) else None


# "how many deal seekers are there", "the big spenders, how many do we have": a segment's size
HOW_MANY_THERE = re.compile(r"\bhow many\b(?:[^?]*\b(?:are there|do we have|have we got|are in (?:it|there))\b|\W*$)")


def understood(req: Request) -> Question | None:
    """The figure asked, the segments' names taken out ("the big spenders" asks no spend); "how many deal seekers are
    there": the customers, counted (of that segment)."""
    question = understand(without_segments(req))
    if question is None and HOW_MANY_THERE.search(req.lower):
        counted = understand("how many customers")
        return counted if counted is not None and segments_asked(req, counted) else None
    return question


def segment_names(req: Request) -> dict[int, str]:
    return req.vocabulary().segments | req.segment_names


def without_segments(req: Request) -> str:
    """The request with the segments' names and nicknames taken out: "the big spenders" asks no spend."""
    text = req.text
    for said in sorted([*segment_names(req).values(), *segment_slots.SEGMENT_NICKNAMES], key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(said)}(?!\w)", " ", text, flags=re.I)
    return text


def as_recorded(countries: list[str], known: list[str]) -> list[str] | Plan:
    """The countries asked for as the orders log spells them ("the US" -> "USA"), or why they cannot be used: no
    countries at all (said so, not "no orders from Germany"), or one the log never names."""
    if not known:
        return Plan(answer=filters.no_countries(countries[0]))
    recorded = [next((c for c in known if filters.same_country(asked, c)), None) for asked in countries]
    if missing := next((a for a, r in zip(countries, recorded, strict=True) if r is None), None):
        return Plan(answer=filters.no_such_country(missing, known))
    return [r for r in recorded if r]


def within(
    req: Request, question: Question, kinds: list[str], own: dict[str, list[str]], countries: list[str]
) -> tuple[Question, None] | Plan:
    """A breakdown of the rows of one country, category or brand ("revenue by category in France"), or why not."""
    if not kinds:
        return question, None
    group = next(g for g in GROUPS if g.label == kinds[0])
    which = f"in {' and '.join(countries)}" if group.label == "country" else "for " + ", ".join(own[group.label])
    if len(kinds) > 1 or question.figure.level not in group.sql:
        return Plan(
            answer=f"I can break {question.figure.label} down by {question.group.label} for all your "
            f"{question.figure.level}, or give it {which}, but not both at once. Ask *{question.label.lower()} by "
            f"{question.group.label}* or *{question.label.lower()} {which}*."
        )
    values = as_recorded(countries, req.vocabulary().countries) if group.label == "country" else own[group.label]
    if isinstance(values, Plan):
        return values
    return replace(question, only=(group, tuple(values))), None


def describe(req: Request, question: Question, named: Named) -> str:
    """The named rows' figures, read from the breakdown; a country the orders never name is said so."""
    step = req.done[-1]
    if not step.ok:
        return report(req)
    column = named.kind.capitalize()
    rows = [r for r in step.records() if r.get(column) is not None]
    found = [r for asked in named.asked for r in rows if named.same(asked, str(r[column]))]
    currency = req.vocabulary().currency
    total = (rows[0].get("_groups") if rows else None) or len(rows)  # every group, not only the rows shown
    groups = f"{total:,} {plural(named.kind) if total != 1 else named.kind} in all"
    if named.kind == "country":
        missing = [a for a in named.asked if not any(named.same(a, str(r["Country"])) for r in found)]
        if missing:
            return filters.no_such_country(missing[0], [str(r["Country"]) for r in rows])
        values = "; ".join(
            f"{question.label + ' ' if n == 0 else ''}in {r['Country']}{question.during}: "
            f"**{formatted(question, r[question.label], currency)}**{share(req, question, r)}"
            for n, r in enumerate(found)
        )
        return f"{values} (from your orders log; {groups}, the full breakdown is below)."
    if named.kind == "segment" and not rows:
        return "Your customers are not segmented yet: say *segment customers* first, then ask again."
    if named.kind == "segment" and not found:
        return f"There is no segment {named.asked[0]} in the segmentation in use ({groups}): ask for one of those."
    if not rows and step.records():  # the demo's orders log: no category on any order
        level = question.figure.level
        return f"None of your {level} has a {named.kind} recorded, so I cannot give {question.label.lower()} for one."
    if not found:
        return f"There is no {question.figure.label} for {' or '.join(named.asked)}{question.during}."
    values = "; ".join(
        f"{question.label}, {called(named, r)}{question.during}: **{formatted(question, r[question.label], currency)}"
        f"**{share(req, question, r)}"
        for r in found
    )
    return f"{values} ({groups}, the full breakdown by {named.kind} is below)."


def called(named: Named, row: dict) -> str:
    """A row as the answer names it: "Outerwear", "segment 4 (High-spending premium buyers)"."""
    if named.kind == "buyer kind":
        return f"{row['Buyer kind']} customers"
    if named.kind != "segment":
        return str(row[named.kind.capitalize()])
    name = row.get("Segment name")
    return f"segment {row['Segment']}" + (f" ({name})" if name else "")


HOW_MUCH_OF = re.compile(r"\bhow (?:much|many) of (?:our |the |all )?(?:revenue|sales|orders|takings|turnover)\b")


def share(req: Request, question: Question, row: dict) -> str:
    """ "what percentage of revenue comes from the USA": the row's share of the whole (every group's, `_whole`),
    for a total or a count of orders, whose groups do not overlap; "" when not asked or not a share of anything."""
    asked = SHARE.search(req.lower) or HOW_MUCH_OF.search(req.lower)
    if not asked or question.aggregate not in ("sum", "count") or question.figure.percent:
        return ""
    if question.figure.level != "orders":  # a customer may be in two countries' rows: no whole to share
        return ""
    whole = float(row.get("_whole") or 0)
    return f" ({float(row[question.label] or 0) / whole:.1%} of all)" if whole > 0 else ""
