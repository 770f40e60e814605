"""The intents, loaded from `intents.toml`: what a marketer may ask for, with example phrasings.

Intents are data so that adding a phrasing never means touching code, and so that the same
examples train the classifier, measure it (`python -m bench.nlu`) and evaluate a real model.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

INTENTS_FILE = Path(__file__).with_name("intents.toml")


@dataclass(frozen=True)
class Intent:
    name: str
    label: str  # how a clarifying question offers it: "Did you mean: show the segments?"
    recipe: str
    calls: dict[str, list[str]]  # tool -> the arguments its recipe fills in
    families: dict[str, list[str]]  # paraphrase family -> phrasings
    requires: re.Pattern[str] | None  # the text must match this for the intent to be chosen

    def allows(self, text: str) -> bool:
        return self.requires is None or self.requires.search(text.lower()) is not None

    @property
    def phrasings(self) -> list[str]:
        return [p for family in self.families.values() for p in family]


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    family: str  # "intent/family": a family is never split between training and test


@cache
def intents() -> dict[str, Intent]:
    with INTENTS_FILE.open("rb") as f:
        data = tomllib.load(f)
    return {
        item["name"]: Intent(
            name=item["name"],
            label=item["label"],
            recipe=item["recipe"],
            calls=item.get("calls", {}),
            families=item["families"],
            requires=re.compile(item["requires"]) if item.get("requires") else None,
        )
        for item in data["intent"]
    }


def examples() -> list[Example]:
    return [
        Example(text, intent.name, f"{intent.name}/{family}")
        for intent in intents().values()
        for family, texts in intent.families.items()
        for text in texts
    ]


def by_label(label: str) -> Intent | None:
    return next((i for i in intents().values() if i.label == label), None)


def problems(registry: dict[str, Any]) -> list[str]:
    """Tools and arguments the intents name that the registry does not have (or keeps from the agent)."""
    found = []
    for intent in intents().values():
        for name, arguments in intent.calls.items():
            tool = registry.get(name)
            if tool is None:
                found.append(f"{intent.name}: no tool {name!r}")
                continue
            if not tool.agent:
                found.append(f"{intent.name}: {name!r} is for a person only")
            fields = tool.args_model.model_fields
            found += [f"{intent.name}: {name} has no argument {a!r}" for a in arguments if a not in fields]
    return found
