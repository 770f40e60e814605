"""An order's status decides its money (tools/data/order_status.py): never-paid orders are no sales, a partial
refund takes off what was refunded, and the summary says both in words.

The files are shaped as Shopify's and WooCommerce's order exports are: their column names and status values,
and Shopify's order-level fields (Financial Status, Refunded Amount) on an order's first line only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.errors import UserError
from tests.test_imports import snapshot
from tools import run_tool

SHOPIFY_HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Created at,Lineitem quantity,Lineitem name,"
    "Lineitem price,Lineitem sku,Refunded Amount,Id\n"
)
SHOPIFY = SHOPIFY_HEADER + (
    "#1001,ann@example.com,paid,2025-03-01 10:00:00 +0000,fulfilled,2025-03-01 09:58:00 +0000,1,Linen Shirt,40.00,"
    "SH-1,0.00,5001\n"
    "#1001,ann@example.com,,,,2025-03-01 09:58:00 +0000,2,Canvas Tote,10.00,TO-1,,5001\n"
    "#1002,bob@example.com,pending,,unfulfilled,2025-03-02 11:00:00 +0000,1,Linen Shirt,40.00,SH-1,0.00,5002\n"
    "#1002,bob@example.com,,,,2025-03-02 11:00:00 +0000,3,Canvas Tote,10.00,TO-1,,5002\n"
    "#1003,ann@example.com,partially_refunded,2025-03-03 12:00:00 +0000,fulfilled,2025-03-03 11:59:00 +0000,2,"
    "Wool Scarf,20.00,SC-1,15.00,5003\n"
    "#1004,cat@example.com,voided,,unfulfilled,2025-03-04 08:00:00 +0000,1,Wool Scarf,20.00,SC-1,0.00,5004\n"
    "#1005,bob@example.com,authorized,,unfulfilled,2025-03-05 08:00:00 +0000,1,Canvas Tote,10.00,TO-1,0.00,5005\n"
    "#1006,cat@example.com,partially_paid,2025-03-06 08:00:00 +0000,fulfilled,2025-03-06 08:00:00 +0000,1,"
    "Linen Shirt,40.00,SH-1,0.00,5006\n"
    "#1007,cat@example.com,refunded,2025-03-07 08:00:00 +0000,fulfilled,2025-03-07 08:00:00 +0000,1,Wool Scarf,"
    "20.00,SC-1,20.00,5007\n"
)


def load(ctx, path: Path, **options):
    return run_tool(ctx, "import_data", kind="orders", path=str(path), map={"Email": "customer_id"}, **options)


def spend(db) -> dict[str, tuple[float, int]]:
    rows = db.rows("SELECT customer_id, total_spent, order_count FROM customer_behavior ORDER BY 1")
    return {r["customer_id"]: (r["total_spent"], r["order_count"]) for r in rows}


def test_shopify_orders_never_paid_are_no_sales_and_a_partial_refund_takes_off_its_amount(ctx, tmp_path):
    """pending and voided orders counted as sales; partially_refunded (matching "refund") reversed all of #1003."""
    path = tmp_path / "orders_export_1.csv"
    path.write_text(SHOPIFY)
    result = load(ctx, path)
    # 5001: 40 + 2 x 10; 5003: 2 x 20 less 15 refunded; 5005 authorized 10; 5006 partially paid 40; 5007 nets to 0.
    assert ctx.db.scalar("SELECT sum(amount) FROM orders") == pytest.approx(60 + 25 + 10 + 40)
    # bob's pending order (both lines: the second says no status, as Shopify writes it) is not his; cat's refunded
    # #1007 (5007) was never a sale: no order of hers.
    assert spend(ctx.db) == {
        "ann@example.com": (85.0, 2),
        "bob@example.com": (10.0, 1),
        "cat@example.com": (40.0, 1),
    }
    assert ctx.db.scalar("SELECT count(*) FROM orders WHERE order_id IN ('5002', '5004')") == 0
    assert (result.data["unpaid_orders"], result.data["unpaid_lines"], result.data["unpaid_value"]) == (2, 3, 90.0)
    assert "2 orders (3 lines, €90.00) were never paid (status pending, voided): not stored" in result.summary
    assert "1 order was partly refunded: €15.00 taken off revenue and spend." in result.summary
    assert "Imported 6 of 9 rows" in result.summary
    # Units sold are the products', the refund only money: no units come back for 5003.
    assert ctx.db.scalar("SELECT units_sold FROM products WHERE sku = 'SC-1'") == 2 + 1 - 1


def test_a_partial_refund_without_an_amount_counts_in_full_and_says_the_figure_is_high(ctx, tmp_path):
    without = "\n".join(line.rsplit(",", 2)[0] + "," + line.rsplit(",", 1)[1] for line in SHOPIFY.splitlines())
    path = tmp_path / "orders_export_1.csv"
    path.write_text(without + "\n")
    assert "Refunded Amount" not in without
    result = load(ctx, path)
    assert spend(ctx.db)["ann@example.com"] == (100.0, 2)  # 5003 in full: nothing is guessed
    assert result.data["partial_refunds_without_amount"] == 1
    assert (
        "1 order was partly refunded but the file gives no refunded amount: counted in full, so revenue and those "
        "customers' spend are somewhat high" in result.summary
    )


WOO = (
    "Order Number,Order Date,Order Status,Customer ID,Order Total\n"
    "W1,2025-04-01,completed,7,30.00\n"
    "W2,2025-04-02,processing,7,20.00\n"
    "W3,2025-04-03,on-hold,8,50.00\n"
    "W4,2025-04-04,pending,8,60.00\n"
    "W5,2025-04-05,failed,9,70.00\n"
    "W6,2025-04-06,cancelled,9,80.00\n"
    "W7,2025-04-07,refunded,7,90.00\n"
    "W8,2025-04-08,checkout-draft,9,100.00\n"
)


def test_woocommerce_on_hold_pending_failed_and_draft_orders_are_not_sales(ctx, tmp_path):
    path = tmp_path / "orders-2025-04.csv"
    path.write_text(WOO)
    result = run_tool(ctx, "import_data", kind="orders", path=str(path))
    assert ctx.db.scalar("SELECT sum(amount) FROM orders") == 50  # completed + processing; W6, W7 net to nothing
    assert ctx.db.scalar("SELECT count(DISTINCT order_id) FROM orders") == 6  # W1, W2, W6, W7 and two reversals
    assert spend(ctx.db) == {"7": (50.0, 2), "9": (0.0, 0)}  # W7, refunded in full, was never a sale
    never_paid = "4 orders (4 lines, €280.00) were never paid (status checkout-draft, failed, on-hold, pending)"
    assert never_paid in result.summary


@pytest.mark.parametrize("status", ["Pending payment", "On hold", "Draft", "wc-pending", "Failed", "PENDING"])
def test_a_never_paid_status_is_read_however_the_export_spells_it(ctx, tmp_path, status):
    path = tmp_path / "orders.csv"
    path.write_text(f"Order Number,Order Date,Status,Customer ID,Order Total\nW1,2025-04-01,Completed,7,30\n"
                    f"W2,2025-04-02,{status},7,20\n")  # fmt: skip
    run_tool(ctx, "import_data", kind="orders", path=str(path))
    assert ctx.db.scalar("SELECT sum(amount) FROM orders") == 30


def test_an_order_stored_earlier_and_now_unpaid_is_removed_and_a_failure_changes_nothing(ctx, tmp_path, monkeypatch):
    from tools.data import order_lines

    path = tmp_path / "orders.csv"
    path.write_text(WOO.replace("W4,2025-04-04,pending", "W4,2025-04-04,processing"))
    run_tool(ctx, "import_data", kind="orders", path=str(path))
    assert ctx.db.scalar("SELECT count(*) FROM orders WHERE order_id = 'W4'") == 1
    path.write_text(WOO)  # the shop's later export: W4's payment never came

    def broken(con):
        raise __import__("duckdb").ConstraintException("Constraint Error: something the checks did not foresee")

    before = snapshot(ctx.db)
    with monkeypatch.context() as patched:
        patched.setattr(order_lines, "to_behavior", broken)
        with pytest.raises(UserError, match=r"Cannot import orders\.csv"):
            run_tool(ctx, "import_data", kind="orders", path=str(path))
    assert snapshot(ctx.db) == before
    result = run_tool(ctx, "import_data", kind="orders", path=str(path))
    assert ctx.db.scalar("SELECT count(*) FROM orders WHERE order_id = 'W4'") == 0
    assert "1 line an earlier import had stored is removed." in result.summary
    assert spend(ctx.db)["8"] == (0.0, 0)


def test_a_refund_recorded_on_a_completed_order_is_taken_off_never_below_nothing(ctx, tmp_path):
    """WooCommerce keeps a partly refunded order "completed": the refunded amount says it."""
    path = tmp_path / "orders.csv"
    path.write_text(
        "Order Number,Order Date,Order Status,Customer ID,Order Total,Refund Amount\n"
        "W1,2025-04-01,completed,7,30.00,12.50\nW2,2025-04-02,completed,7,20.00,25.00\nW3,2025-04-03,completed,7,5,\n"
    )
    result = run_tool(ctx, "import_data", kind="orders", path=str(path))
    assert result.data["columns"]["Refund Amount"] == "refunded_amount"
    assert ctx.db.scalar("SELECT sum(amount) FROM orders") == pytest.approx(30 - 12.5 + 5)
    assert spend(ctx.db)["7"] == (22.5, 3)
    again = run_tool(ctx, "import_data", kind="orders", path=str(path))
    assert "(0 new, 0 changed" in again.summary


def test_a_dry_run_says_which_lines_would_not_be_stored_and_shows_no_status_flags(ctx, tmp_path):
    path = tmp_path / "orders-2025-04.csv"
    path.write_text(WOO)
    result = run_tool(ctx, "import_data", kind="orders", path=str(path), dry_run=True)
    said = "4 of these lines are of orders never paid (pending, failed, on hold...): they would not be stored."
    assert said in result.summary
    assert not [c for c in result.tables[1].columns if c.startswith("__")]


def test_shopifys_order_total_given_once_is_not_a_line_amount(ctx, tmp_path):
    """Shopify writes "Total" (the order's, with shipping and taxes) on an order's first line only: read as line
    amounts, #1001's first line held the whole order and its tote line was counted again."""
    path = tmp_path / "orders_export_1.csv"
    path.write_text(
        "Name,Email,Financial Status,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Total,Id\n"
        "#1001,ann@example.com,paid,2025-03-01 09:58:00 +0000,1,Linen Shirt,40.00,SH-1,69.90,5001\n"
        "#1001,ann@example.com,,2025-03-01 09:58:00 +0000,2,Canvas Tote,10.00,TO-1,,5001\n"
        "#1002,bob@example.com,paid,2025-03-02 11:00:00 +0000,3,Canvas Tote,10.00,TO-1,35.95,5002\n"
    )
    result = load(ctx, path)
    assert spend(ctx.db) == {"ann@example.com": (60.0, 1), "bob@example.com": (30.0, 1)}
    assert "Total gives each order's total once, on its first line" in result.summary
    dry = run_tool(ctx, "import_data", kind="orders", path=str(path), map={"Email": "customer_id"}, dry_run=True)
    assert "Total gives each order's total once" in dry.summary


def test_a_total_on_every_line_is_each_lines_own(ctx, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "Order,Email,Date,Quantity,Price,SKU,Total\n"
        "A1,ann@example.com,2025-03-01,1,40.00,SH-1,40.00\n"
        "A1,ann@example.com,2025-03-01,2,10.00,TO-1,18.00\n"
    )
    result = load(ctx, path)
    assert spend(ctx.db) == {"ann@example.com": (58.0, 1)} and "total once" not in result.summary
