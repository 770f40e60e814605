"""Tables as a marketer reads them: key columns, labels in words, money and rates, names, no empty charts."""

from __future__ import annotations

import plotly.graph_objects as go

from assistant.present import compact, key_columns, label, markdown, with_names, worth_drawing
from services.money import format_money
from tools.registry import run_tool
from tools.results import Chart, Table


def test_money_has_the_currency_and_thousands_separators():
    assert format_money(1234567.891) == "€1,234,567.89"
    assert format_money(49.5) == "€49.50"
    assert format_money(-12.3, "USD") == "-$12.30"
    assert format_money(2500, "chf") == "2,500.00 CHF"
    assert format_money(1234.4, "JPY") == "¥1,234"
    assert format_money(-0.001) == "€0.00", "no minus sign on an amount that rounds to zero"
    assert format_money(None) == "–"


def test_a_compact_table_shows_six_key_columns_in_words():
    table = Table(
        name="Products",
        columns=["sku", "name", "category", "brand", "brand_tier", "cost", "margin", "price", "stock", "created_at"],
        rows=[["OUT-000001", "Trench Coat", "Outerwear", "Acme", "mid", 40.0, 0.625, 1065.0, 1200, "2026-01-01"]],
    )
    shown = compact(table, "EUR")
    assert list(shown.columns) == ["SKU", "Name", "Category", "Gross margin", "Price", "Stock"]
    assert shown.iloc[0].tolist() == ["OUT-000001", "Trench Coat", "Outerwear", "62%", "€1,065.00", "1,200"]
    assert key_columns(["a", "b"]) == ["a", "b"]
    assert label("avg_order_value") == "Average order value" and label("days_since_x") == "Days since x"
    assert markdown(shown).splitlines()[0] == "| SKU | Name | Category | Gross margin | Price | Stock |"


def test_segments_with_predictions_show_value_as_money_and_churn_risk_as_a_share():
    table = Table(
        name="Segments of run 1",
        columns=["segment", "name", "size", "share", "predicted 12-month value (median)", "share at high churn risk",
                 "named_by", "description"],
        rows=[[1, "Loyal regulars", 700, 0.35, 412.3, 0.081, "rule", "Buy often"]],
    )  # fmt: skip
    shown = compact(table, "GBP")
    assert dict(zip(shown.columns, shown.iloc[0], strict=True)) == {
        "Segment": "1", "Name": "Loyal regulars", "Size": "700", "Share of customers": "35%",
        "Predicted 12-month value (median)": "£412.30", "Share at high churn risk": "8.1%",
    }  # fmt: skip


def test_an_all_zero_or_empty_chart_is_not_drawn():
    zero = Chart.from_figure("Opens", go.Figure(go.Bar(x=["A", "B"], y=[0, 0])))
    some = Chart.from_figure("Opens", go.Figure(go.Bar(x=["A", "B"], y=[0, 3])))
    empty = Chart.from_figure("Opens", go.Figure())
    assert not worth_drawing(zero) and worth_drawing(some) and not worth_drawing(empty)


def test_customer_rankings_get_names_locally(demo_ctx):
    customer = demo_ctx.db.rows("SELECT customer_id, first_name, last_name FROM customers LIMIT 1")[0]
    sku, product = demo_ctx.db.rows("SELECT sku, name FROM products LIMIT 1")[0].values()
    table = Table(name="Best", columns=["customer_id", "sku", "score"], rows=[[customer["customer_id"], sku, 0.9]])
    named = with_names(table, demo_ctx.db)
    assert named.columns == ["name", "product", "customer_id", "sku", "score"]
    assert named.rows[0][:2] == [f"{customer['first_name']} {customer['last_name']}".strip(), product]
    assert table.columns == ["customer_id", "sku", "score"], "the tool's own table (what the model sees) is unchanged"
    ranked = run_tool(demo_ctx, "find_products", limit=2).tables[0]
    assert with_names(ranked, demo_ctx.db) == ranked, "a table that has names already is left alone"


def test_a_compact_table_keeps_what_each_row_is_and_leaves_out_all_zero_columns():
    report = Table(
        name="By variant",
        columns=["variant", "sent", "unique_opens", "open_rate", "unique_clicks", "click_rate", "failed", "skipped"],
        rows=[["A", 48, 0, 0.0, 0, None, 1, 2], ["B", 68, 0, 0.0, 0, None, 0, 3]],
    )
    shown = compact(report, "EUR")
    assert list(shown.columns)[:2] == ["Variant", "Sent"], "the variant is what each row is"
    assert list(shown.columns) == ["Variant", "Sent", "Failed", "Skipped"], "delivery figures, not empty rates"


def test_chat_text_leaves_out_command_lines_flags_and_run_ids():
    from assistant.present import plain

    assert plain("Not approved. Approve it with `promopilot campaign approve 1`. Then send it.") == (
        "Not approved. Then send it."
    )
    assert plain("No products match. Loosen --min-stock to see more. Fixed 3 (run validate-1f).") == (
        "No products match. Fixed 3."
    )
    assert plain("Segment 2 of run 1, VIPs (30 customers).") == "Segment 2, VIPs (30 customers)."


def test_a_predicted_chance_reads_as_a_percentage_in_words():
    table = Table(name="Customers", columns=["customer_id", "p_no_purchase_90d"], rows=[["C1", 0.997], ["C2", 0.41]])
    shown = compact(table, "EUR")
    assert list(shown.columns) == ["Customer", "Chance of no order in 90 days"]
    assert list(shown.iloc[:, 1]) == ["100%", "41%"]


def test_a_command_in_brackets_is_left_out_and_its_sentence_kept():
    """The empty shop's overview lost its whole sentence for naming `promopilot demo` in brackets."""
    from assistant.present import plain

    assert plain("The database is empty: generate demo data (promopilot demo) or import a customer file.") == (
        "The database is empty: generate demo data or import a customer file."
    )
    assert plain("Approved. It can now be sent (promopilot campaign send 1).") == "Approved. It can now be sent."
