"""An email "about the best sellers" features the products that sell best, counted from the orders log; a shop
whose log names no products cannot tell them, and nothing is drafted. Before, the most stocked products were drafted
as if they were the best sellers (the search's own note said it could not tell)."""

from __future__ import annotations

from datetime import date

from tests.test_new_shop_chat import Chat, load
from tests.uci import uci_lines


def test_an_email_about_the_best_sellers_features_them(ctx):
    load(ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    units = lines[~lines["service"]].groupby("StockCode")["quantity"].sum()  # net of returns (negative lines)
    _, ended = Chat(ctx, today=date(2011, 3, 5)).say("email everyone about the best sellers")
    assert [e.name for e in ended] == ["find_products", "campaign_draft"]
    assert set(ended[-1].arguments["skus"]) == set(units.nlargest(3).index.astype(str))


def test_best_sellers_nobody_can_tell_are_not_drafted(demo_ctx):
    answer, ended = Chat(demo_ctx).say("email everyone about the best sellers")
    assert [e.name for e in ended] == ["find_products"]
    assert "I cannot tell which sell best" in answer and "Nothing was drafted" in answer
    assert demo_ctx.db.scalar("SELECT count(*) FROM campaigns") == 0
