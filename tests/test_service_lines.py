"""Postage, carriage, fees, discounts and manual adjustments are order lines, not products
(tools/data/service_lines.py): revenue and spend keep them, the catalogue does not.

The UCI Online Retail log's own such lines are found here by its stock codes (POST, DOT, C2, M, D, ...), a
different sign from the descriptions the importer reads, so the two checks do not share a mistake.
"""

from __future__ import annotations

import pytest

from tests.uci import FIXTURE, uci_lines
from tools import run_tool


def load(ctx, path=FIXTURE):
    return run_tool(ctx, "import_data", kind="orders", path=str(path))


def test_the_uci_logs_postage_and_adjustments_make_no_product_but_stay_revenue(ctx):
    """ "what's not selling" listed "Manual" and "Discount" first; 959 products held 5 that are not."""
    lines = uci_lines()
    service = lines[lines["service"]]
    assert set(service["StockCode"]) == {"POST", "DOT", "C2", "M", "D"}  # the slice has these five
    result = load(ctx)
    products = {r["sku"] for r in ctx.db.rows("SELECT sku FROM products")}
    assert products == set(lines.loc[~lines["service"], "StockCode"])
    assert ctx.db.scalar("SELECT count(*) FROM orders") == len(lines)  # every line is still an order line
    assert ctx.db.scalar("SELECT round(sum(amount), 2) FROM orders") == pytest.approx(lines["amount"].sum(), abs=0.01)
    assert (result.data["service_lines"], result.data["service_value"]) == (
        len(service),
        pytest.approx(service["amount"].sum(), abs=0.01),
    )
    assert (
        f"{len(service)} lines were postage, fees or adjustments (£{service['amount'].sum():,.2f}): counted in "
        "revenue, not as products." in result.summary
    )
    slow = run_tool(ctx, "find_products", sort="slow_selling", limit=5).tables[0].to_df()
    assert not set(slow["name"]) & {"Manual", "Discount", "POSTAGE", "CARRIAGE", "DOTCOM POSTAGE"}


def test_a_customers_spend_keeps_their_postage(ctx):
    lines = uci_lines()
    paid_postage = lines[(lines["StockCode"] == "POST") & (lines["customer"] != "")].iloc[0]
    who = paid_postage["customer"]
    load(ctx)
    mine = lines[lines["customer"] == who]
    assert ctx.db.scalar("SELECT total_spent FROM customer_behavior WHERE customer_id = ?", [who]) == pytest.approx(
        mine["amount"].sum(), abs=0.01
    )


def test_a_product_whose_name_only_contains_a_service_word_stays_a_product(ctx, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "1,22501,POSTAGE STAMP MAGNET,2,2011-01-05 10:00,1.25,1,United Kingdom\n"
        "1,22502,VINTAGE CARRIAGE CLOCK,1,2011-01-05 10:00,8.50,1,United Kingdom\n"
        "1,POST,  Postage ,1,2011-01-05 10:00,18.00,1,United Kingdom\n"
        "2,SHIP,Shipping fee,1,2011-01-06 10:00,4.95,2,United Kingdom\n"
        "2,CR,CRUK Commission,1,2011-01-06 10:00,-1.60,2,United Kingdom\n"
        "2,BC,Bank Charges,1,2011-01-06 10:00,15.00,2,United Kingdom\n"
        "2,AF,AMAZON FEE,1,2011-01-06 10:00,-10.00,2,United Kingdom\n"
        "2,S,SAMPLES,1,2011-01-06 10:00,-3.00,2,United Kingdom\n"
        "2,B,Adjust bad debt,1,2011-01-06 10:00,-11.06,2,United Kingdom\n"
    )
    result = load(ctx, path)
    assert {r["sku"] for r in ctx.db.rows("SELECT sku FROM products")} == {"22501", "22502"}
    assert result.data["service_lines"] == 7


def test_a_product_an_earlier_import_made_of_a_postage_line_is_removed(ctx):
    load(ctx)
    # as the importer used to: "Manual" made a product from the log
    ctx.db.execute("INSERT INTO products (sku, name, source) VALUES ('M', 'Manual', 'import:online_retail.csv')")
    ctx.db.execute("INSERT INTO products (sku, name, source) VALUES ('D', 'Discount', 'catalogue.csv')")
    load(ctx)
    assert {r["sku"] for r in ctx.db.rows("SELECT sku FROM products WHERE sku IN ('M', 'D')")} == {"D"}
