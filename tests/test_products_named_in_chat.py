"""Which products a question about fit means: the ones it names, not the last ones shown."""

from __future__ import annotations

import pytest

from assistant.planner.memory import Memory, Request
from assistant.planner.model import choose
from assistant.planner.slots import product_filters
from assistant.planner.vocabulary import Vocabulary

JEANS_SHOWN = Memory(found=["JEA-1", "JEA-2", "JEA-3"], skus=["JEA-1", "JEA-2", "JEA-3"], shown="products")


def first_call(text: str, memory: Memory) -> tuple[str, dict] | None:
    plan = choose(Request(text, memory, []))
    return plan.calls[0] if plan.calls else None


@pytest.mark.parametrize(
    ("text", "search"),
    [
        ("best audience for our wool coats", "wool coat"),  # was the jeans on screen ("audience" searched first)
        ("which segment fits the trench coats?", "trench coat"),  # was the jeans on screen
    ],
)
def test_a_product_named_at_the_end_is_found_before_matching(text, search):
    assert first_call(text, JEANS_SHOWN) == ("find_products", {"search": search, "limit": 3})


@pytest.mark.parametrize("text", ["which segment fits them", "which segment fits best", "which group suits these"])
def test_a_reference_keeps_the_products_on_screen(text):
    assert first_call(text, JEANS_SHOWN) == ("match_segments", {"product": ["JEA-1", "JEA-2", "JEA-3"]})


def test_like_as_a_verb_is_not_a_name_to_search_for():
    """ "Who would like the jeans" searched for products named "the jean" and found none."""
    shop = Vocabulary(categories=["Jeans", "Outerwear"])
    assert product_filters("who would like the jeans", shop) == {"category": ["Jeans"]}
    assert product_filters("show products like linen", shop) == {"search": "linen"}


@pytest.mark.parametrize(
    "text", ["show our best-margin jackets", "show our best margin jackets", "show our highest margin jackets"]
)
def test_the_order_asked_is_not_part_of_the_product_searched_for(text):
    """The help's own example, "show our best-margin jackets", searched for products named "best-margin jacket"."""
    shop = Vocabulary(categories=["Outerwear"])
    assert product_filters(text, shop) == {"search": "jacket", "sort": "margin_desc"}


@pytest.mark.parametrize("text", ["show me the new arrivals", "what just came in", "what are the new arrivals"])
def test_new_arrivals_are_the_newest_products(text):
    """It asked whether a preview of the email was meant."""
    name, arguments = first_call(text, Memory())
    assert name == "find_products" and arguments.get("sort") == "newest"
