"""The shortlist in a marketer's words on the demo shop: "add the cheapest dress as well" (another category than the
list on screen), "email segments 3 and 4 about my shortlist" (both segments, the shortlist's products)."""

from __future__ import annotations

import pytest

from tests.test_new_shop_chat import Chat
from tools import run_tool


@pytest.fixture
def chat(demo_ctx) -> Chat:
    run_tool(demo_ctx, "segment_run", k=4)
    chat = Chat(demo_ctx)
    chat.say("show me shoes")
    chat.say("keep the first two")
    return chat


def cheapest(ctx, category: str) -> str:
    return ctx.db.scalar("SELECT sku FROM products WHERE category = ? ORDER BY price, sku LIMIT 1", [category])


def test_the_cheapest_of_a_category_named_is_searched_for_not_taken_from_the_screen(chat):
    """It added a pair of boots from the shoes on screen for "the cheapest dress", then the same boots again for
    "the cheapest jeans"."""
    for said, category in (("add the cheapest dress as well", "Dresses"), ("add the cheapest jeans too", "Jeans")):
        _, ended = chat.say(said)
        assert ended[0].name == "find_products" and ended[0].arguments["sort"] == "price_asc"
        assert ended[-1].name == "shortlist_add" and ended[-1].arguments["skus"] == [cheapest(chat.ctx, category)]
    held = run_tool(chat.ctx, "shortlist_show").data["skus"]
    assert len(held) == 4 and held[2:] == [cheapest(chat.ctx, "Dresses"), cheapest(chat.ctx, "Jeans")]


def test_an_email_about_my_shortlist_to_two_segments(chat):
    """It searched the catalogue for "shortlist" and drafted nothing; "segments 3 and 4" kept segment 3 only."""
    held = run_tool(chat.ctx, "shortlist_show").data["skus"]
    _, ended = chat.say("email segments 3 and 4 about my shortlist")
    drafted = ended[-1]
    assert drafted.name == "campaign_draft" and drafted.arguments["skus"] == held
    assert drafted.arguments["segments"] == [3, 4] and "segment" not in drafted.arguments


@pytest.mark.parametrize(("said", "places"), [("keep 1 and 3", [1, 3]), ("add items 2, 4 and 5", [2, 4, 5])])
def test_rows_named_by_number_are_those_rows_only(chat, said, places):
    """ "keep 1 and 3" kept the first three rows: the numbers were not read as places, so the products in play went."""
    _, ended = chat.say("show high margin items")
    shown = ended[-1].result.tables[0].to_df()["sku"].tolist()
    _, ended = chat.say(said)
    assert ended[-1].name == "shortlist_add" and ended[-1].arguments["skus"] == [shown[p - 1] for p in places]


def test_high_margin_items_after_segmenting_are_a_product_search_not_the_high_spenders_fits(chat):
    """With a segment named "High-spending ...", the app's own suggestion "show high margin items" gave that segment's
    best fits: one shared word ("high") was taken for the segment's name."""
    _, ended = chat.say("show high margin items")
    assert ended[-1].name == "find_products" and ended[-1].arguments["sort"] == "margin_desc"
