"""Every phrase an answer suggests ("Next: *check the data*", "e.g. *show our best-margin jackets*") is one the
planner understands: a marketer who types what they were told to gets that, not the help or a question back."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from assistant.planner.encoder import encoded_ahead
from assistant.planner.memory import Memory, Request
from assistant.planner.model import choose, understood, unsure
from assistant.planner.on_screen import LOST
from assistant.uploads import said_date_order

ROOT = Path(__file__).parent.parent
# A phrase to type: lower-case words (a number, an apostrophe, a hyphen or an @ among them), at least two.
PHRASE = re.compile(r"\*([a-z][a-z0-9 '’@.?-]*[a-z0-9?]\s?)\*")
TERMS = "glossary.py"  # defines words in italics ("*fit score*"), which are terms, not requests


def suggested() -> dict[str, str]:
    """Each suggested phrase in the answers' text (string constants of the planner and the tools), with its file."""
    found: dict[str, str] = {}
    for path in sorted([*(ROOT / "assistant").rglob("*.py"), *(ROOT / "tools").rglob("*.py")]):
        if path.name == TERMS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for phrase in PHRASE.findall(node.value):
                    # Not a template ("about ..."), nor the date order of an upload (read before the planner).
                    if " " in phrase.strip() and ".." not in phrase and not said_date_order(phrase):
                        found.setdefault(phrase.strip(), str(path.relative_to(ROOT)))
    return found


def test_every_phrase_an_answer_suggests_is_understood():
    phrases = suggested()
    assert len(phrases) > 60, "the answers' suggestions are found"
    misread = {}
    with encoded_ahead(list(phrases)):
        for phrase, source in phrases.items():
            readings = understood(phrase)
            if not readings or readings[0][1] < LOST or unsure(readings):
                misread[phrase] = (source, readings[:2])
    assert not misread, misread


# Words that ask for an order, never part of a product's name
ORDER_WORDS = {"best", "highest", "lowest", "top", "cheapest", "priciest", "newest", "latest", "margin", "markup",
               "selling", "profitable", "expensive"}  # fmt: skip


def test_a_suggested_product_search_searches_for_the_product_only():
    """ "show our best-margin jackets" (the draft's own advice) searched for products named "best-margin jacket"."""
    searched = {}
    for phrase in suggested():
        plan = choose(Request(phrase, Memory(), []))
        if plan.calls and plan.calls[0][0] == "find_products" and (search := plan.calls[0][1].get("search")):
            searched[phrase] = search
    assert "show our best-margin jackets" in searched, "the draft's advice is among them"
    wrong = {phrase: search for phrase, search in searched.items() if set(re.split(r"[\s-]", search)) & ORDER_WORDS}
    assert not wrong, wrong
