"""The intents file: it names only real tools and arguments, and every tool can be asked for in words."""

from __future__ import annotations

from collections import Counter

from assistant.planner.intents import examples, intents, problems
from assistant.planner.model import OfflinePlanner  # noqa: F401 - importing registers every recipe
from assistant.planner.recipes import RECIPES
from tools.registry import load_all


def test_every_tool_and_argument_named_exists_in_the_registry():
    assert problems(load_all()) == []


def test_a_misspelt_tool_or_argument_is_caught():
    registry = load_all()
    renamed = {("find_product" if k == "find_products" else k): v for k, v in registry.items()}
    assert any("no tool 'find_products'" in p for p in problems(renamed))
    fields = registry["campaign_send"].args_model.model_fields
    try:
        saved = fields.pop("dry_run")
        assert any("campaign_send has no argument 'dry_run'" in p for p in problems(registry))
    finally:
        fields["dry_run"] = saved


def test_every_tool_a_marketer_uses_is_reachable_by_five_phrasings():
    reach = Counter()
    for intent in intents().values():
        for tool in intent.calls:
            reach[tool] += len(intent.phrasings)
    agent_tools = {name for name, tool in load_all().items() if tool.agent}
    assert {name: reach[name] for name in agent_tools if reach[name] < 5} == {}


def test_every_intent_has_a_recipe_and_enough_paraphrase_families():
    assert {i.recipe for i in intents().values()} <= set(RECIPES)
    assert len(examples()) >= 400
    assert all(len(i.families) >= 2 for i in intents().values()), "a family held out must leave another"


def test_no_phrasing_is_labelled_twice():
    seen = Counter(e.text.lower() for e in examples())
    assert [text for text, n in seen.items() if n > 1] == []


def test_every_phrasing_passes_its_own_intents_guard():
    """A guard keeps a reading from being acted on without its words ("ok" never sends); a phrasing its own
    guard turned away could never be understood. Widen the guard, not the phrasing."""
    turned_away = {i.name: [p for p in i.phrasings if not i.allows(p)] for i in intents().values()}
    assert {name: phrasings for name, phrasings in turned_away.items() if phrasings} == {}


def test_the_send_guard_wants_a_sending_word_not_a_bare_out():
    send = intents()["send"]
    for text in ("is it out of stock", "find out who opened it", "check out the report", "what's out of date"):
        assert not send.allows(text), text
    for text in ("let it go out", "get it out the door", "send it out", "begin the mailing", "go live"):
        assert send.allows(text), text
