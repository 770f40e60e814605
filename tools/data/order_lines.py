"""Order logs as shops export them: line amounts, cancellations and returns, lines without a customer.

- A line's amount is its line total, or quantity x unit price when the file has no total (the price
  alone when it has no quantities either).
- A cancellation, return or refund line (a negative quantity or amount, or an invoice number with a
  `C` prefix as in the UCI retail log) reverses an earlier purchase line: it is stored with a negative
  amount, lowers spend and is never an order, a purchase date or a category bought.
- A line whose status says cancelled/refunded/returned is an order that was then cancelled (Shopify's,
  WooCommerce's and the Kaggle sample sales log's exports list each order once, with its state): it is
  stored as that purchase and its reversal, as the UCI log records a cancellation, so it nets to nothing
  rather than taking its value off the shop's other sales a second time. Orders never paid (pending,
  failed, voided, on hold...) are not stored, and a partial refund takes off only what was refunded:
  `order_status` has the rules, status by status.
- Postage, fees, discounts and adjustments stay order lines (money paid or given) but make no product
  (`service_lines`).
- An order with no customer and no money in any line is a stock movement, not a sale or a return (UCI's
  "incorrectly made-thrown away." at -64 units, or 56 units found, both at a price of 0): it is not stored,
  so it is neither a cancelled order nor units sold, and the summary says how many and why.
- A customer whose lines net to nothing is not a buyer.
- Lines without a customer id are kept (they are revenue, and products sold); the summary gives
  their share of revenue in one line instead of one rejected row each.
- The customers an orders log names are created when missing, so a shop without a customer file
  (or without email addresses) can still be segmented; they are "not contactable" until an address
  arrives.
- The log also gives the catalogue: SKU, name, latest unit price and units sold; stock stays
  unknown (NULL), never the quantity ordered.
"""

# Only fixed table names are formatted into SQL here; values are bound.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

import duckdb

from storage.db import ident
from storage.orders import CANCELLED, orders_placed
from tools.data import order_status, service_lines
from tools.data.read import RAW

NO_AMOUNT = "no amount: the line has neither a total nor a quantity and unit price"
INVOICE_PREFIX = "[Cc][0-9].*"  # C536379: a cancellation in the UCI Online Retail log


def total_once(con: duckdb.DuckDBPyConnection, mapping: dict[str, str]) -> str | None:
    """The file's amount column when it holds each order's total on one line only (Shopify's "Total", with
    shipping and taxes, on an order's first line; its other lines blank) and the lines have a quantity and unit
    price. Read as line amounts, a two-line order would count its first line as the whole order and its second
    line again. None when the amount is a line's own."""
    wanted = {dst: src for src, dst in mapping.items()}
    if not {"amount", "quantity", "unit_price", "order_id"} <= wanted.keys():
        return None
    order, amount = ident(wanted["order_id"]), ident(wanted["amount"])
    several, once = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE filled <= 1) FROM (
            SELECT count(*) AS lines, count(nullif(trim({amount}::VARCHAR), '')) AS filled FROM {RAW} GROUP BY {order})
        WHERE lines > 1""").fetchone()
    return wanted["amount"] if several and several == once else None


def derive_amount(typed: dict[str, str]) -> None:
    """Fill the staged `amount` from quantity x unit price where the file gives no line total."""
    if "quantity" in typed and "unit_price" in typed:
        product = f"round(({typed['quantity']}) * ({typed['unit_price']}), 2)"
        typed["amount"] = f"coalesce({typed['amount']}, {product})" if "amount" in typed else product
    elif "unit_price" in typed and "amount" not in typed:  # no quantities at all: one item a line
        typed["amount"] = typed["unit_price"]


def with_returns(con: duckdb.DuckDBPyConnection, rows: str, mapping: dict[str, str], typed: dict[str, str]) -> str:
    """`rows` (the staged SELECT) with `is_return`, and the amount of a return made negative.

    The `C` prefix counts only when some, not all, invoice numbers carry it: a shop whose every
    order number starts with C has no cancellations by that sign."""
    signs = ["coalesce(amount, 0) < 0"]
    if "quantity" in typed:
        signs.append("coalesce(quantity, 0) < 0")
    order_column = next(src for src, dst in mapping.items() if dst == "order_id")
    prefixed, total = con.execute(
        f"SELECT count(*) FILTER (WHERE regexp_full_match(trim({ident(order_column)}), ?)), count(*) FROM {RAW}",
        [INVOICE_PREFIX],
    ).fetchone()
    if 0 < prefixed < total:
        signs.append(f"regexp_full_match(order_id, '{INVOICE_PREFIX}')")
    reverses = " OR ".join(signs)
    flagged = f"SELECT *, ({reverses}) AS is_return, {order_status.flags(typed, reverses)} FROM ({rows})"
    return f"SELECT * REPLACE (CASE WHEN is_return THEN -abs(amount) ELSE amount END AS amount) FROM ({flagged})"


def add_reversals(con: duckdb.DuckDBPyConnection, staged: str) -> int:
    """Beside each order its status says was cancelled, its reversal (the order id with " cancelled"): the two
    net to nothing, as a cancelled order's original and `C` invoice do in the UCI log. Returns how many."""
    columns = {r[0] for r in con.execute(f"DESCRIBE {staged}").fetchall()}
    negated = ["-abs(amount) AS amount", "true AS is_return", "false AS __cancelled"]
    negated += [f"order_id || '{CANCELLED}' AS order_id"]
    negated += ["-abs(quantity) AS quantity"] if "quantity" in columns else []
    negated += [f"__key || '{CANCELLED}' AS __key"] if "__key" in columns else []
    return con.execute(
        f"INSERT INTO {staged} SELECT * REPLACE ({', '.join(negated)}) FROM {staged} WHERE __cancelled"
    ).fetchone()[0]


def drop_stock_movements(con: duckdb.DuckDBPyConnection, staged: str) -> dict[str, Any]:
    """Take out of `staged` (and out of the orders table, where an earlier import stored them) the orders whose
    every line has no customer and an amount of 0 but some units: write-offs and stock corrections. Returns how
    many lines, and one of their notes as the file words it. In the caller's transaction."""
    columns = {r[0] for r in con.execute(f"DESCRIBE {staged}").fetchall()}
    if "quantity" not in columns:
        return {}
    note = "description" if "description" in columns else "NULL"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE stock_movements AS SELECT order_id, line, {note} AS note FROM {staged}
        WHERE order_id IN (SELECT order_id FROM {staged} GROUP BY order_id
                           HAVING count(customer_id) = 0 AND bool_and(coalesce(amount, 0) = 0)
                              AND bool_or(coalesce(quantity, 0) <> 0))""")
    lines, note = con.execute(
        "SELECT count(*), arg_max(note, length(note)) FILTER (WHERE note IS NOT NULL) FROM stock_movements"
    ).fetchone()
    if lines:
        con.execute("DELETE FROM orders o USING stock_movements m WHERE o.order_id = m.order_id AND o.line = m.line")
        con.execute(f"DELETE FROM {staged} g USING stock_movements m WHERE g.order_id = m.order_id AND g.line = m.line")
    return {"stock_movement_lines": lines, "stock_movement_note": note} if lines else {}


def summarise_file(con: duckdb.DuckDBPyConnection, staged: str) -> dict[str, Any]:
    """Before writing: the file's revenue without a customer id, returns, and how many of its customers
    are already known (the linking check). Revenue is the sum of the purchase lines (returns apart)."""
    lines, returns, revenue, unlinked, customers, known = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE is_return OR __cancelled),
               coalesce(sum(amount) FILTER (WHERE NOT is_return), 0),
               coalesce(sum(amount) FILTER (WHERE NOT is_return AND customer_id IS NULL), 0),
               count(DISTINCT customer_id),
               count(DISTINCT customer_id) FILTER (WHERE customer_id IN (SELECT customer_id FROM customers))
        FROM {staged}""").fetchone()
    return {
        "order_lines": lines,
        "return_lines": returns,
        "revenue": round(revenue, 2),
        "revenue_without_customer": round(unlinked, 2),
        "revenue_without_customer_share": round(unlinked / revenue, 4) if revenue > 0 else 0.0,
        "file_customers": customers,
        "linked_customers": known,
        "customers_before": con.execute("SELECT count(*) FROM customers").fetchone()[0],
    }


def create_customers(con: duckdb.DuckDBPyConnection, staged: str, tag: str) -> int:
    """The customers the log names that are not known yet, created with their id only."""
    return con.execute(
        f"""INSERT INTO customers (customer_id, source)
            SELECT DISTINCT customer_id, ? FROM {staged} WHERE customer_id IS NOT NULL
            ON CONFLICT (customer_id) DO NOTHING""",
        [tag],
    ).fetchone()[0]


def to_behavior(con: duckdb.DuckDBPyConnection) -> int:
    """RFM from the whole order log: monetary (net of returns), frequency and recency (purchases only),
    average order value, categories bought. A customer whose lines net to nothing has no orders.

    Recency counts days back from the latest purchase in the log, not from today, so an export
    from last month does not make every customer look lapsed.
    """
    con.execute(f"""
        INSERT INTO customer_behavior (customer_id, total_spent, order_count, avg_order_value,
                                       days_since_last_purchase, categories_bought)
        WITH per AS (
            SELECT customer_id, sum(amount) AS net,
                   {orders_placed("")} AS orders,
                   max(ordered_at) FILTER (WHERE NOT is_return) AS last_purchase,
                   list_sort(list(DISTINCT category) FILTER (WHERE category IS NOT NULL AND NOT is_return)) AS cats
            FROM orders WHERE customer_id IS NOT NULL GROUP BY customer_id
        ), buyer AS (SELECT *, orders > 0 AND net > 0 AS bought FROM per)
        SELECT customer_id, CASE WHEN bought THEN round(net, 2) ELSE 0 END,
               CASE WHEN bought THEN orders ELSE 0 END::INTEGER,
               CASE WHEN bought THEN round(net / orders, 2) END,
               CASE WHEN bought THEN date_diff('day', last_purchase,
                   (SELECT max(ordered_at) FROM orders WHERE NOT is_return))::INTEGER END,
               CASE WHEN bought THEN cats END
        FROM buyer
        ON CONFLICT (customer_id) DO UPDATE SET total_spent = excluded.total_spent,
            order_count = excluded.order_count, avg_order_value = excluded.avg_order_value,
            days_since_last_purchase = excluded.days_since_last_purchase,
            categories_bought = excluded.categories_bought
        WHERE (customer_behavior.total_spent, customer_behavior.order_count, customer_behavior.avg_order_value,
               customer_behavior.days_since_last_purchase, customer_behavior.categories_bought)
              IS DISTINCT FROM (excluded.total_spent, excluded.order_count, excluded.avg_order_value,
                                excluded.days_since_last_purchase, excluded.categories_bought)""")
    return con.execute("SELECT count(DISTINCT customer_id) FROM orders").fetchone()[0]


def to_catalogue(con: duckdb.DuckDBPyConnection, tag: str) -> dict[str, int]:
    """Products from the whole log: every SKU with its latest name and unit price and the units sold
    (net of returns). The name is a sale line's: a return or write-off line's description is often a note
    about it (UCI's "incorrectly made-thrown away."), and a write-off (a return that gave nothing back) is
    stock lost, not a sale taken back. Known products only get their units sold (and a name or price they lack);
    new ones come with stock unknown. Postage, fees and adjustments (`service_lines`) make no product,
    and one an earlier import made from them alone is removed (unless a catalogue import or a shortlist
    has it since)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE import_catalogue AS
        SELECT sku, coalesce(arg_max(description, ordered_at) FILTER (WHERE description IS NOT NULL AND NOT is_return),
                             arg_max(description, ordered_at) FILTER (WHERE description IS NOT NULL)) AS name,
               arg_max(unit_price, ordered_at) FILTER (WHERE unit_price > 0 AND NOT is_return) AS price,
               sum(quantity) FILTER (WHERE NOT (is_return AND amount = 0)) AS units_sold, min(category) AS category
        FROM orders WHERE sku IS NOT NULL AND NOT {service_lines.is_service("description")} GROUP BY sku""")
    con.execute(f"""
        DELETE FROM products WHERE source IN (SELECT DISTINCT source FROM orders)
           AND sku IN (SELECT sku FROM orders WHERE {service_lines.is_service("description")})
           AND sku NOT IN (SELECT sku FROM import_catalogue) AND sku NOT IN (SELECT sku FROM shortlists)""")
    try:
        added = con.execute(
            """INSERT INTO products (sku, name, category, price, units_sold, stock, source)
               SELECT sku, name, category, price, units_sold, NULL, ? FROM import_catalogue
               ON CONFLICT (sku) DO NOTHING""",
            [tag],
        ).fetchone()[0]
        con.execute("""
            UPDATE products p SET units_sold = c.units_sold, name = coalesce(p.name, c.name),
                   price = coalesce(p.price, c.price)
            FROM import_catalogue c
            WHERE p.sku = c.sku AND (p.units_sold IS DISTINCT FROM c.units_sold
                                     OR (p.name IS NULL AND c.name IS NOT NULL)
                                     OR (p.price IS NULL AND c.price IS NOT NULL))""")
    finally:
        con.execute("DROP TABLE IF EXISTS import_catalogue")
    return {"products_added": added}
