"""The phrasings kept aside (tests/fixtures/nlu_aside*.toml): never trained on, and still understood."""

from __future__ import annotations

import re

import pytest

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


FIRST, SECOND, THIRD, FOURTH, FIFTH, SIXTH = nlu.ASIDE_FILES


@pytest.mark.parametrize(
    ("aside", "floor", "size"),
    [
        # 89.9% when written (2026-11-27), 94.0% after that evening's families, concepts and guards, 96.5% with
        # the sentence encoder.
        (FIRST, 0.95, 250),
        # Written after the sentence encoder was chosen: 91.4% on arrival (words alone: 86.9%).
        (SECOND, 0.89, 250),
        # Written with the products-for-a-segment intent (12 of its phrasings, 4 for every other intent; 21 already
        # in intents.toml or an earlier set dropped): 93.9% on arrival.
        (THIRD, 0.92, 140),
        # Written with the follow-up, recipients and explain intents (10 phrasings each, 3 for every other intent;
        # 9 already in intents.toml or an earlier set dropped): 92.2% on arrival.
        (FOURTH, 0.91, 135),
        # Written with the one-customer intent (36 of its phrasings, 15 near misses): 61.5% on arrival; 80.4% once
        # its guard read a person named in any way and its families doubled (told the misses' count only).
        (FIFTH, 0.78, 50),
        # Written with the unsubscribe intent (24 of its phrasings, 13 near misses): 78.4% on arrival, no near miss
        # read as an unsubscribe; 81.1% after three families of its own and a guard for an address or id with
        # words that ask to stop (told the misses' count and readings only).
        (SIXTH, 0.8, 35),
    ],
    ids=lambda value: getattr(value, "name", value),
)
def test_the_phrasings_kept_aside_are_understood_no_worse_than_when_measured(aside, floor, size):
    """A floor that catches a regression, not a goal. Raise it when the figure rises; never tune on these."""
    data = nlu.aside_examples([aside])
    figures = nlu.kept_aside(data)
    assert figures["aside_phrasings"] == len(data) > size
    # A failure shows how many misses per intent, never the phrasings: reading them would be tuning on them.
    accuracy, misses = figures["aside_accuracy"], {i: len(m) for i, m in figures["aside_misses"].items()}
    assert accuracy >= floor, misses
    for intent, misses in figures["aside_misses"].items():
        assert all(read_as != intent for _, read_as in misses)
