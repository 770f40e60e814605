"""'What should I promote this week?': products worth promoting, ranked by a score the answer explains."""

from __future__ import annotations

import pandas as pd
import pytest

from assistant.planner import slots
from assistant.planner.vocabulary import Vocabulary
from tests.test_new_shop_chat import Chat
from tools import run_tool


@pytest.fixture
def shop(ctx):
    run_tool(ctx, "generate_demo_data", customers=50, products=60, seed=11)
    return ctx


@pytest.mark.parametrize(
    "text",
    [
        "What should I promote this week?",
        "what could we push?",
        "any ideas what to feature?",
        "what would you recommend I send this week",
    ],
)
def test_asking_for_ideas_ranks_products_worth_promoting_not_a_search_for_this_week(text):
    assert slots.product_filters(text, Vocabulary()) == {"sort": "worth_promoting"}


@pytest.mark.parametrize("text", ["what's selling", "what is selling well", "what sells"])
def test_what_is_selling_is_the_best_sellers(text):
    assert slots.product_filters(text, Vocabulary()) == {"sort": "best_selling"}


def test_without_an_orders_log_stock_and_margin_rank_and_sold_out_products_are_left_out(shop):
    best_margin = "SELECT sku FROM products ORDER BY margin DESC LIMIT 1"
    shop.db.execute(f"UPDATE products SET stock = 0 WHERE sku IN ({best_margin})")  # noqa: S608 - constant
    result = run_tool(shop, "find_products", sort="worth_promoting", limit=500)
    products = shop.db.df("SELECT sku, name, margin, stock FROM products")
    # The score worked out here: percentile of margin and of stock among all products, averaged.
    for column in ("margin", "stock"):
        products[column + "_rank"] = products[column].rank(method="min", na_option="top").sub(1) / (len(products) - 1)
    products["score"] = (100 * (products.margin_rank + products.stock_rank) / 2).round()
    kept = products[products.stock.isna() | (products.stock > 0)]
    expected = kept.sort_values(["score", "margin", "stock", "sku"], ascending=[False, False, False, True])
    assert result.data["skus"] == expected["sku"].tolist()
    top = expected.iloc[0]
    assert f"{top['name']} ({top['stock']:,.0f} in stock, {top['margin']:.0%} margin)" in result.summary
    assert "How they are ranked: score = how margin and stock rank among all products" in result.summary
    table = result.tables[0]
    assert table.rows[0][table.columns.index("why")] == f"{top['stock']:,.0f} in stock, {top['margin']:.0%} margin"


def test_with_an_orders_log_recent_good_sellers_lead_and_the_reason_says_how_many_sold(shop):
    low, high = shop.db.rows("SELECT min(sku) AS a, max(sku) AS b FROM products")[0].values()
    shop.db.execute("UPDATE products SET stock = 500, margin = 0.45 WHERE sku = ?", [low])
    recent = pd.Timestamp("2026-11-01")
    lines = [(f"N{i}", recent - pd.Timedelta(days=i), low) for i in range(12)]
    lines += [("OLD", recent - pd.Timedelta(days=400), high)]  # long ago: not a recent seller
    for order_id, at, sku in lines:
        shop.db.execute(
            "INSERT INTO orders (order_id, line, customer_id, ordered_at, amount, sku, source) "
            "VALUES (?, 1, 'C0000001', ?, 10, ?, 'test')",
            [order_id, at, sku],
        )
    result = run_tool(shop, "find_products", sort="worth_promoting", limit=500)
    assert result.data["skus"][0] == low
    assert "500 in stock, 45% margin, 12 orders in the last 90 days" in result.summary
    assert "recent sales, margin and stock" in result.summary
    table = result.tables[0]
    row = next(r for r in table.rows if r[0] == high)
    assert row[table.columns.index("sold_90d")] == 0


def test_the_chat_answers_what_to_promote_with_picks_and_reasons(shop):
    answer, ended = Chat(shop).say("What should I promote this week?")
    assert [e.name for e in ended] == ["find_products"]
    assert ended[0].arguments.get("sort") == "worth_promoting" and "search" not in ended[0].arguments
    assert "No products matching" not in answer and "Worth promoting:" in answer and "% margin" in answer
