"""After a campaign is drafted from this chat's shortlist, the products live on in the campaign and the
chat's shortlist starts the next email empty; a named shortlist (the CLI's 'default' too) is never emptied."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.test_new_shop_chat import Chat
from tools import run_tool
from tools.catalog.products import shortlist_skus


@pytest.fixture
def shop(ctx):
    run_tool(ctx, "generate_demo_data", customers=200, products=40, seed=5)
    return replace(ctx, chat_id="marketer-1")


def test_keep_the_top_one_after_a_draft_starts_a_new_shortlist_and_the_campaign_keeps_its_three(shop):
    chat = Chat(shop)
    chat.say("show products with lots of stock")
    chat.say("keep the first three")
    three = shortlist_skus(shop.db, shop.shortlist())
    assert len(three) == 3
    answer, ended = chat.say("draft an email about them for everyone")
    drafted = next(e for e in ended if e.name == "campaign_draft").result
    campaign_id = drafted.data["campaign_id"]
    assert f"moved from this chat's shortlist into campaign {campaign_id}" in answer
    assert "it is empty for the next email" in answer and ", ".join(three) in answer  # how to get them back
    assert shortlist_skus(shop.db, shop.shortlist()) == []
    kept = shop.db.rows("SELECT skus FROM campaigns WHERE campaign_id = ?", [campaign_id])[0]["skus"]
    assert sorted(kept) == sorted(three)  # nothing lost: the campaign has them

    chat.say("show products with lots of stock")
    chat.say("keep the top one")
    assert len(shortlist_skus(shop.db, shop.shortlist())) == 1


def test_a_named_shortlist_and_the_cli_default_are_never_emptied_by_a_draft(shop):
    skus = [r["sku"] for r in shop.db.rows("SELECT sku FROM products ORDER BY sku LIMIT 2")]
    run_tool(shop, "shortlist_add", skus=skus, shortlist="spring")
    result = run_tool(shop, "campaign_draft", skus=skus)  # in a chat, but the products are on a named list
    assert shortlist_skus(shop.db, "spring") == skus and "moved" not in result.summary
    cli = replace(shop, chat_id=None)
    run_tool(cli, "shortlist_add", skus=skus)
    run_tool(cli, "campaign_draft")
    assert shortlist_skus(shop.db, "default") == skus
