"""The demo shop generator: reproducible, plausible, and dirty exactly where asked."""

from __future__ import annotations

import numpy as np
import pytest

from tools import run_tool


def customers(db):
    return db.df("""
        SELECT * FROM customers JOIN customer_behavior USING (customer_id)
        LEFT JOIN customer_preferences USING (customer_id) ORDER BY customer_id""")


def test_same_seed_same_shop_other_seed_other_shop(ctx):
    run_tool(ctx, "generate_demo_data", customers=300, products=40, seed=11)
    first = customers(ctx.db)
    ctx.confirmed = True  # replacing the shop needs a person's confirmation
    run_tool(ctx, "generate_demo_data", customers=300, products=40, seed=11)
    assert customers(ctx.db).equals(first)
    run_tool(ctx, "generate_demo_data", customers=300, products=40, seed=12)
    assert not customers(ctx.db)["email"].equals(first["email"])


def test_spender_types_are_ordered_and_correlated_with_style(demo_ctx):
    people = customers(demo_ctx.db)
    spend = people.groupby("customer_type")["total_spent"].median()
    assert spend["low"] < spend["medium"] < spend["high"] < spend["premium"]
    luxury_share = people.assign(lux=people["style"] == "luxury").groupby("customer_type")["lux"].mean()
    assert luxury_share["premium"] > luxury_share["low"]
    assert np.allclose(people["avg_order_value"], people["total_spent"] / people["order_count"], atol=0.01)
    assert (people["price_range_max"] > people["price_range_min"]).all()
    lists = people["preferred_categories"].map(len)
    assert lists.between(1, 3).all()
    assert people["preferred_categories"].map(lambda c: len(set(c)) == len(c)).all()  # no label twice


def test_inventory_prices_follow_cost_and_margin(demo_ctx):
    products = demo_ctx.db.df("SELECT * FROM products")
    assert len(products) == 200 and products["sku"].is_unique
    assert np.allclose(products["price"], products["cost"] * (1 + products["markup"]), atol=0.01)
    # margin is gross margin: the share of the price that is profit
    assert np.allclose(products["margin"], (products["price"] - products["cost"]) / products["price"], atol=0.001)
    tiers = products.groupby("brand_tier")["price"].median()
    assert tiers["budget"] < tiers["luxury"]


@pytest.mark.parametrize("rate", [0.0, 0.1])
def test_defect_counts_match_what_was_planted(ctx, rate):
    result = run_tool(ctx, "generate_demo_data", customers=1000, products=10, seed=3, defects=rate)
    planted = result.data["defects"]
    assert sum(planted.values()) == round(1000 * rate)
    db = ctx.db
    assert db.scalar("SELECT count(*) FROM customers WHERE email IS NULL AND first_name IS NULL") == planted.get(
        "empty_row", 0
    )
    assert db.scalar("SELECT count(*) FROM customer_behavior WHERE total_spent < 0") == planted.get(
        "negative_amount", 0
    )
    duplicates = db.scalar("SELECT count(*) - count(DISTINCT email) FROM customers WHERE email IS NOT NULL")
    assert duplicates == planted.get("duplicate", 0)


def test_the_orders_log_adds_up_to_each_customers_figures(demo_ctx):
    """Every customer's orders: as many as their order count, summing to what they spent, the last one on the
    day of their last purchase, none before they signed up."""
    mismatched = demo_ctx.db.df("""
        SELECT b.customer_id, b.order_count, o.n, b.total_spent, o.spent, b.days_since_last_purchase, o.last
        FROM customer_behavior b JOIN customers c USING (customer_id)
        LEFT JOIN (SELECT customer_id, count(*) AS n, round(sum(amount), 2) AS spent, max(ordered_at) AS last,
                          min(ordered_at) AS first, min(amount) AS smallest
                   FROM orders GROUP BY 1) o USING (customer_id)
        WHERE o.n IS DISTINCT FROM b.order_count OR abs(o.spent - b.total_spent) > 0.005 OR o.smallest <= 0
           OR o.last::DATE <> DATE '2026-01-01' - b.days_since_last_purchase OR o.first < c.created_at""")
    assert mismatched.empty, mismatched.head()
    assert demo_ctx.db.scalar("SELECT count(DISTINCT order_id) FROM orders") == demo_ctx.db.scalar(
        "SELECT sum(order_count) FROM customer_behavior"
    )


def test_the_demo_shop_can_be_predicted_and_the_check_beats_the_naive_forecast(ctx):
    run_tool(ctx, "generate_demo_data", customers=5000, products=20, seed=42)
    result = run_tool(ctx, "predict", holdout_days=90)
    assert result.data["source"] == "orders" and result.data["customers"] == 5000
    bands = {b["churn_risk"]: b["customers"] for b in result.data["risk_bands"]}
    assert set(bands) == {"low", "medium", "high"} and min(bands.values()) > 500  # some drop out, some stay
    check = result.data["holdout"]
    assert abs(check["predicted"] - check["actual"]) / check["actual"] < 0.25
    assert check["mean_absolute_error"] < check["naive_mean_absolute_error"]
