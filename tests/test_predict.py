"""Predicting customer value from a shop's orders: every buyer scored once, checked on held-back days, too
little history refused, and the scores found again by risk, value and next-order date."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from services.money import format_money
from storage import predictions as store
from storage.db import Database
from storage.errors import UserError
from storage.shop import get_currency
from tools import run_tool
from tools.predict import simulate
from tools.predict.models import BGNBD, GammaGamma

BUYING = BGNBD(r=0.5, alpha=20.0, a=0.8, b=2.5, log_likelihood=0)  # rates per day
SPENDING = GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0)


def add_orders(db: Database, orders: pd.DataFrame) -> None:
    db.con.register("new_orders", orders)
    db.execute("""INSERT INTO orders (order_id, customer_id, ordered_at, amount, source)
                  SELECT order_id, customer_id, ordered_at, amount, 'test' FROM new_orders""")
    db.con.unregister("new_orders")


@pytest.fixture
def shop(ctx):
    """3,000 customers' orders over 18 months, drawn from the models themselves."""
    add_orders(ctx.db, simulate.order_log(BUYING, SPENDING, 3000, 540, seed=11))
    return ctx


def test_every_buyer_is_scored_once_and_the_fit_is_recorded(shop):
    db = shop.db
    db.execute("INSERT INTO customers (customer_id, source) VALUES ('NEVER-BOUGHT', 'test')")
    result = run_tool(shop, "predict")

    buyers = db.scalar("SELECT count(DISTINCT customer_id) FROM orders")
    assert db.scalar("SELECT count(*) FROM predictions") == buyers == result.data["customers"]
    assert db.scalar("SELECT count(*) FROM predictions WHERE customer_id = 'NEVER-BOUGHT'") == 0
    fit = store.latest_fit(db)
    assert fit["source"] == "orders"
    assert fit["as_of"] == db.scalar("SELECT max(ordered_at)::DATE FROM orders")
    assert fit["repeat_customers"] == db.scalar("SELECT count(*) FROM predictions WHERE repeat_purchases > 0")
    assert fit["r"] == pytest.approx(BUYING.r, rel=0.25) and fit["b"] == pytest.approx(BUYING.b, rel=0.5)
    # bands follow the probability of no purchase in 90 days: under 1/3 low, over 2/3 high
    misbanded = db.scalar("""SELECT count(*) FROM predictions WHERE churn_risk <>
        CASE WHEN p_no_purchase_90d < 1/3 THEN 'low' WHEN p_no_purchase_90d > 2/3 THEN 'high' ELSE 'medium' END""")
    assert misbanded == 0
    assert db.scalar("SELECT count(DISTINCT churn_risk) FROM predictions") == 3
    assert "high for" in result.summary and "next 90 days" in result.summary
    assert [c.title for c in result.charts] == [
        "Probability active by recency and frequency",
        "Predicted value distribution",
    ]


def test_value_as_profit_is_revenue_times_the_margin(shop):
    run_tool(shop, "predict")
    revenue = shop.db.df("SELECT customer_id, value_12m FROM predictions ORDER BY customer_id")
    result = run_tool(shop, "predict", margin=0.4)
    profit = shop.db.df("SELECT customer_id, value_12m FROM predictions ORDER BY customer_id")
    pd.testing.assert_series_equal(profit["value_12m"], revenue["value_12m"] * 0.4, rtol=1e-9)
    assert "profit (at a 40% margin)" in result.summary
    total = shop.db.scalar("SELECT sum(value_12m) FROM predictions")
    assert f"bring {format_money(total, get_currency(shop.db))} in profit" in result.summary  # the shop's money


def test_predicted_value_is_said_in_the_shops_currency(shop):
    run_tool(shop, "shop_settings", currency="GBP")
    run_tool(shop, "predict")
    result = run_tool(shop, "find_predicted_customers", risk=["high", "medium"])
    assert "predicted to bring £" in result.summary


def test_a_purchase_is_one_customer_day_and_refunds_never_count(db):
    add_orders(
        db,
        pd.DataFrame(
            {
                "order_id": ["A", "B", "C", "D", "E", "F"],
                "customer_id": ["C1"] * 6,
                "ordered_at": pd.to_datetime(
                    ["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-05", "2024-01-05", "2024-01-09", "2024-01-20"],
                    format="ISO8601",
                ),
                "amount": [10.0, 5.0, 40.0, -40.0, 0.0, -3.0],  # two orders on day 1; a refund; a zero line
            }
        ),
    )
    row = store.order_summary(db, date(2024, 1, 31)).to_pylist()[0]
    assert row == {
        "customer_id": "C1",
        "x": 1,
        "t_x": 4,
        "T": 30,
        "zbar": 40.0,
        "days_since_last_purchase": 26,
        "later": 0,
    }


def test_holdout_shows_predicted_against_actual_purchases(shop):
    result = run_tool(shop, "predict", holdout_days=90)
    check = result.data["holdout"]

    end = shop.db.scalar("SELECT max(ordered_at)::DATE FROM orders")
    cutoff = end - timedelta(days=90)
    assert check["calibration_end"] == cutoff.isoformat()
    actual = shop.db.scalar(
        f"""SELECT count(*) FROM ({store.PURCHASE_DAYS}) WHERE day > $cutoff
            AND customer_id IN (SELECT customer_id FROM orders WHERE ordered_at::DATE <= $cutoff)""",  # noqa: S608
        {"cutoff": cutoff},
    )
    assert check["actual"] == actual > 0
    assert check["predicted"] == pytest.approx(actual, rel=0.2)  # the data follow the model: it should be close
    assert sum(g["customers"] for g in check["by_past_purchases"]) == check["customers"]
    assert [g["past_repeat_purchases"] for g in check["by_past_purchases"]][:2] == ["0", "1"]
    assert check["mean_absolute_error"] < check["naive_mean_absolute_error"]
    assert result.charts[0].title == "Predicted against actual purchases"
    assert "held back" in result.summary and "off by" in result.summary
    assert store.latest_fit(shop.db)["holdout"] == check


def test_too_little_history_is_refused_and_nothing_is_scored(ctx):
    add_orders(ctx.db, simulate.order_log(BUYING, SPENDING, 150, 60, seed=2))
    with pytest.raises(UserError) as refused:
        run_tool(ctx, "predict")
    assert "only 5" in refused.value.message and "at least 200" in refused.value.message
    assert "covers 59 days" in refused.value.message and "at least 90 (about 3 months)" in refused.value.message
    assert ctx.db.scalar("SELECT count(*) FROM predictions") == 0
    assert ctx.db.scalar("SELECT count(*) FROM prediction_fits") == 0


def test_a_holdout_needs_three_months_before_the_held_back_days(ctx):
    add_orders(ctx.db, simulate.order_log(BUYING, SPENDING, 3000, 150, seed=3))
    with pytest.raises(UserError, match=r"before the last 90 days covers 5\d days"):
        run_tool(ctx, "predict", holdout_days=90)
    assert run_tool(ctx, "predict").data["customers"] > 0  # without the check there is enough


def test_find_customers_by_risk_value_and_next_order(shop):
    with pytest.raises(UserError, match="no predictions yet"):  # a person's `promopilot predictions`
        run_tool(shop, "find_predicted_customers")
    none_yet = run_tool(replace(shop, actor="agent"), "find_predicted_customers")  # the assistant knows to predict
    assert none_yet.data == {"customers": 0, "predictions": False} and "no predictions yet" in none_yet.summary
    run_tool(shop, "predict")
    result = run_tool(shop, "find_predicted_customers", risk=["high", "medium"], min_value=20, top=10)
    rows = result.tables[0].to_df()
    expected = shop.db.scalar("SELECT count(*) FROM predictions WHERE churn_risk <> 'low' AND value_12m > 20")
    assert result.data["customers"] == expected > len(rows) == 10
    assert set(rows["churn_risk"]) <= {"high", "medium"} and (rows["value_12m"] > 20).all()
    assert rows["value_12m"].is_monotonic_decreasing
    assert result.summary.startswith(f"{expected:,} customers at high or medium churn risk and with a predicted value")

    soon = run_tool(shop, "find_predicted_customers", due_within_days=30, sort="next_order").tables[0].to_df()
    as_of = store.latest_fit(shop.db)["as_of"]
    due = pd.to_datetime(soon["next_order_date"]).dt.date
    assert len(soon) and due.is_monotonic_increasing and (due <= as_of + timedelta(days=30)).all()


def test_without_an_orders_log_the_behaviour_columns_are_used(ctx):
    """Customer totals made from the model: order count, days since the last order, average order value, sign-up."""
    drawn = simulate.summaries(BUYING, 3000, np.random.default_rng(4).integers(120, 700, 3000), seed=4).round()
    drawn["zbar"] = simulate.mean_spend(SPENDING, drawn["x"], seed=4)
    totals = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(3000)],
            "created_at": pd.Timestamp(date.today()) - pd.to_timedelta(drawn["T"], unit="D"),
            "order_count": drawn["x"] + 1,
            "days_since_last_purchase": drawn["T"] - drawn["t_x"],
            "avg_order_value": drawn["zbar"].fillna(30.0),
        }
    )
    totals.loc[0, "days_since_last_purchase"] = 5000  # a last order before sign-up: contradictory, left out
    ctx.db.con.register("totals", totals)
    ctx.db.execute(
        "INSERT INTO customers (customer_id, created_at, source) SELECT customer_id, created_at, 't' FROM totals"
    )
    ctx.db.execute("""
        INSERT INTO customer_behavior (customer_id, order_count, days_since_last_purchase, avg_order_value)
        SELECT customer_id, order_count, days_since_last_purchase, avg_order_value FROM totals""")

    result = run_tool(ctx, "predict")
    assert result.data["source"] == "behaviour" and result.data["customers"] == 2999
    assert result.data["r"] == pytest.approx(BUYING.r, rel=0.25) and result.data["a"] == pytest.approx(
        BUYING.a, rel=0.5
    )
    assert "no orders log" in result.summary and "sign-up date" in result.summary
    assert "1 buyer was left out" in result.summary
    with pytest.raises(UserError, match="needs an orders log"):
        run_tool(ctx, "predict", holdout_days=90)


def test_the_command_line_mirrors_the_tool(tmp_path):
    path = tmp_path / "shop.duckdb"
    with Database(path) as db:
        add_orders(db, simulate.order_log(BUYING, SPENDING, 3000, 540, seed=11))
    result = CliRunner().invoke(main, ["--db", str(path), "predict", "--holdout-days", "90", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["data"]["holdout"]["days"] == 90
    result = CliRunner().invoke(main, ["--db", str(path), "predictions", "--risk", "high", "--top", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["tables"][0]["rows"]) == 3


def test_the_heatmap_shows_mean_probability_active_by_purchases_and_recency(shop):
    chart = run_tool(shop, "predict").charts[0].figure["data"][0]
    cell = shop.db.scalar("""SELECT avg(p_active) FROM predictions
                             WHERE repeat_purchases = 2 AND days_since_last_purchase BETWEEN 31 AND 90""")
    row = chart["y"].index("2")
    assert chart["x"][1] == "31-90 days"
    assert chart["z"][row][1] == pytest.approx(cell, abs=1e-3)
    assert chart["y"][-1] == "10+"  # ten or more repeat purchases share the top row


def test_a_held_back_period_without_purchases_is_reported_not_divided_by():
    from tools.predict.tools import _check_summary

    check = {"days": 90, "predicted": 12.0, "actual": 0.0, "customers": 300}
    check |= {"mean_absolute_error": 0.04, "naive_mean_absolute_error": 0.05}
    assert "they made 0 (none happened)" in _check_summary(check)
