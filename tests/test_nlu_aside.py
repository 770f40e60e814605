"""The phrasings kept aside (tests/fixtures/nlu_aside.toml): never trained on, and still understood."""

from __future__ import annotations

import re

from assistant.planner.intents import examples, intents
from bench import nlu


def plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_no_phrasing_kept_aside_is_trained_on():
    trained = {plain(e.text) for e in examples()}
    leaked = [text for text, _ in nlu.aside_examples() if plain(text) in trained]
    assert not leaked, f"kept-aside phrasings found in intents.toml (take them out of intents.toml): {leaked}"


def test_every_phrasing_kept_aside_names_an_intent_and_appears_once():
    data = nlu.aside_examples()
    assert {intent for _, intent in data} <= set(intents())
    assert len({intent for _, intent in data}) == len(intents()), "every intent is checked"
    assert len({plain(text) for text, _ in data}) == len(data), "no phrasing twice"


def test_the_phrasings_kept_aside_are_understood_no_worse_than_on_2026_11_27():
    """A floor that catches a regression, not a goal: 89.9% when the set was written (2026-11-27), 94.0% after
    that evening's new families, concepts and guards (rounded down to 93%). Raise it when the figure rises;
    never tune on these phrasings."""
    figures = nlu.kept_aside()
    assert figures["aside_phrasings"] == len(nlu.aside_examples())
    assert figures["aside_accuracy"] >= 0.93, figures["aside_misses"]
    for intent, misses in figures["aside_misses"].items():
        assert all(read_as != intent for _, read_as in misses)
