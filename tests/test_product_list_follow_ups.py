"""Follow-ups that narrow or reorder the product list on screen. Before: "sort them by price high to low" kept the
stock order without a word, "only the ones with under 10 units" turned the page, and "which of them have fewer than 50
units" ran a segment sweep."""

from __future__ import annotations

import pytest

from assistant.planner import slots
from assistant.planner.vocabulary import Vocabulary
from tests.test_new_shop_chat import Chat


@pytest.fixture
def chat(demo_ctx) -> Chat:
    chat = Chat(demo_ctx)
    chat.say("show me outerwear")
    return chat


def outerwear(ctx, where: str = "TRUE", order: str = "sku") -> list[str]:
    sql = f"SELECT sku FROM products WHERE category = 'Outerwear' AND {where} ORDER BY {order}, sku"  # noqa: S608
    return [row[0] for row in ctx.db.execute(sql).fetchall()]


@pytest.mark.parametrize(
    ("said", "order"),
    [
        ("sort them by price high to low", "price DESC"),
        ("sort by price", "price ASC"),
        ("order them by price, lowest to highest", "price ASC"),
    ],
)
def test_a_product_list_is_reordered_as_said(chat, said, order):
    _, ended = chat.say(said)
    assert ended[-1].name == "find_products"
    assert ended[-1].result.data["skus"] == outerwear(chat.ctx, order=order)[:20]


@pytest.mark.parametrize(
    ("said", "most"), [("only the ones with under 10 units", 9), ("which of them have fewer than 50 units", 49)]
)
def test_a_product_list_is_narrowed_by_the_stock_said(chat, said, most):
    _, ended = chat.say(said)
    assert [e.name for e in ended] == ["find_products"]
    assert sorted(ended[-1].result.data["skus"]) == outerwear(chat.ctx, f"stock <= {most}")
    _, ended = chat.say("which of them are high margin")  # the narrowing stays, reordered
    assert ended[-1].result.data["skus"] == outerwear(chat.ctx, f"stock <= {most}", "margin DESC")


def test_units_sold_are_not_stock(demo_ctx):
    vocabulary = Vocabulary.from_db(demo_ctx.db)
    assert "max_stock" not in slots.product_filters("products that sold under 10 units", vocabulary)
    assert slots.product_filters("coats with under 10 units", vocabulary)["max_stock"] == 9


@pytest.mark.parametrize(
    ("said", "order", "n"),
    [("keep the cheapest one", "price ASC", 1), ("keep the 2 most expensive", "price DESC", 2)],
)
def test_the_cheapest_kept_is_the_cheapest_of_the_whole_list(demo_ctx, said, order, n):
    """The planner sees the first ten rows of a list (by stock): it kept the cheapest of those, not of the list."""
    chat = Chat(demo_ctx)
    chat.say("any knitwear under 50 euros?")
    sql = f"SELECT sku FROM products WHERE category = 'Knitwear' AND price < 50 ORDER BY {order}, sku LIMIT {n}"  # noqa: S608
    expected = [row[0] for row in demo_ctx.db.execute(sql).fetchall()]
    _, ended = chat.say(said)
    assert ended[-1].name == "shortlist_add" and ended[-1].arguments["skus"] == expected


@pytest.mark.parametrize(
    ("said", "noun"),
    [
        ("what coats do we have", "coat"),
        ("do we sell parkas", "parka"),
        ("do you stock any linen shirts?", "linen shirt"),
    ],
)
def test_the_product_asked_about_is_searched_for(said, noun):
    """ "what coats do we have" listed all 200 products, the T-shirt first."""
    assert slots.product_filters(said, Vocabulary()) == {"search": noun}


@pytest.mark.parametrize("said", ["what do we have", "what else do we have", "what products do we have"])
def test_no_product_is_read_from_a_question_naming_none(said):
    assert "search" not in slots.product_filters(said, Vocabulary())
