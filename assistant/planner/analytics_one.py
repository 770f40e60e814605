"""A figure for one country, or one of the shop's own categories or brands: "the typical basket in the UK",
"revenue from motorcycles", "how many Northlane products".

Answered from the breakdown by that group, its rows looked up in the result, the named ones listed first:
nothing the user typed reaches the SQL (the rows to list first are values read from the data, `Vocabulary`).
The figure over every country or category would be silently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from assistant.planner import analytics_filters as filters
from assistant.planner import shop_terms
from assistant.planner.analytics import grouped, plural
from assistant.planner.analytics_questions import GROUPS, Question, formatted
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
    countries = filters.places(req.text, vocabulary.categories + vocabulary.brands, vocabulary.countries)
    country = " and ".join(countries)
    kinds = [kind for kind in ("category", "brand") if own[kind]] + (["country"] if country else [])
    if question.group is not None:  # "revenue by month for motorcycles": not every category's months, silently
        other = next((kind for kind in kinds if kind != question.group.label), None)
        if other is None:
            return question, None
        which = f"in {country}" if other == "country" else "for " + ", ".join(own[other])
        return Plan(
            answer=f"I can break {question.figure.label} down by {question.group.label} for all your orders, or give "
            f"it {which}, but not both at once yet. Ask *{question.label.lower()} by {question.group.label}* or "
            f"*{question.label.lower()} {which}*."
        )
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
    known = vocabulary.countries  # "the typical basket in the UK": that country's row of the breakdown by country
    recorded = [next((c for c in known if filters.same_country(asked, c)), None) for asked in countries]
    if known and (missing := next((a for a, r in zip(countries, recorded, strict=True) if r is None), None)):
        return Plan(answer=filters.no_such_country(missing, known))
    first = tuple(r for r in recorded if r) or None
    return replace(question, first=first), Named("country", countries)


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
            f"**{formatted(question, r[question.label], currency)}**"
            for n, r in enumerate(found)
        )
        return f"{values} (from your orders log; {groups}, the full breakdown is below)."
    if not rows and step.records():  # the demo's orders log: no category on any order
        level = question.figure.level
        return f"None of your {level} has a {named.kind} recorded, so I cannot give {question.label.lower()} for one."
    if not found:
        return f"There is no {question.figure.label} for {' or '.join(named.asked)}{question.during}."
    values = "; ".join(
        f"{question.label}, {r[column]}{question.during}: **{formatted(question, r[question.label], currency)}**"
        for r in found
    )
    return f"{values} ({groups}, the full breakdown by {named.kind} is below)."
