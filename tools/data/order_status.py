"""What an order's status says about its money: sold, never paid, cancelled, or partly refunded.

Shops export each order with a state: Shopify's "Financial Status" (paid, pending, authorized,
partially_paid, refunded, partially_refunded, voided, expired), WooCommerce's "Status"/"Order Status"
(completed, processing, on-hold, pending, failed, cancelled, refunded, checkout-draft; "Pending payment",
"On hold" in its reports), the Kaggle sample sales log's STATUS (Shipped, Resolved, In Process, Disputed,
On Hold, Cancelled). By revenue a marketer means money the shop took, so per status:

- **Sold** (stored as the order): paid, authorized (the card payment is secured and captured on fulfilment),
  partially_paid (money changed hands), completed, processing (WooCommerce: paid, awaiting shipping), shipped,
  resolved, in process, disputed (paid; the dispute is not a refund yet), and any status not named here.
- **Never paid** (not stored as orders): pending / pending payment / awaiting payment / unpaid, failed,
  declined, voided, expired, draft / checkout-draft, abandoned, and on hold (WooCommerce holds an order until
  a bank transfer or cheque arrives; the Kaggle log's "On Hold" orders wait for payment over a credit limit).
  The payment never happened, so counting them would show sales the shop did not make. Their lines are not
  written (a line stored by an earlier import of the same order is removed, as the file now says it is
  unpaid) and the summary says how many and their value, so nothing vanishes without a word.
- **Cancelled or refunded** (cancelled, refunded, returned): stored as the order and its reversal, netting to
  nothing (`order_lines.add_reversals`).
- **Partly refunded** (partially_refunded): the order counts, less the refunded amount when the file gives one
  (Shopify's "Refunded Amount"), as one reversal line of that amount. Without an amount nothing is guessed: the
  order counts in full and the summary says how many such orders there were, so the figure is known to be high.
  A refunded amount on an order whose status says nothing of it (a WooCommerce order stays "completed" after a
  partial refund) is taken off the same way.

A Shopify export gives the order's status and refunded amount on its first line only; the order's other lines
take them from it. Everything is DuckDB SQL over the staged lines, never row by row.
"""

# ruff: noqa: S608 - the patterns are constants; table names are fixed

from __future__ import annotations

from typing import Any

import duckdb

RETURN_WORDS = "cancel|refund|return|credit|void"
UNPAID = (
    "pending( payment)?|awaiting payment|unpaid|not paid|payment failed|failed|declined|voided|void|expired"
    "|(checkout )?draft|abandoned|on hold"
)
PARTIAL = "partial"  # partially_refunded, "partially refunded", "partial refund"


def order_status(status: str) -> str:
    """SQL: the line's status, or its order's where the line leaves it blank (Shopify), lower-cased with
    `_`, `-` and runs of spaces as one space and WooCommerce's `wc-` prefix dropped."""
    own = f"nullif(trim({status}), '')"
    either = f"coalesce({own}, max({own}) OVER (PARTITION BY order_id))"
    return f"regexp_replace(regexp_replace(lower({either}), '[\\s_-]+', ' ', 'g'), '^wc ', '')"


def flags(typed: dict[str, str], reverses: str) -> str:
    """SQL columns for the staged SELECT: `__cancelled` (an order its status says was cancelled or refunded in
    full), `__unpaid`, `__partly_refunded` and `__refunded` (the order's refunded amount, NULL when not given).
    A line that is itself a return (`reverses`) is never also a cancelled order."""
    if "status" not in typed:
        said = unpaid = partly = "false"
    else:
        status = order_status("status")
        unpaid = f"coalesce(regexp_full_match({status}, '{UNPAID}'), false)"
        partly = f"coalesce(regexp_matches({status}, '{PARTIAL}') AND regexp_matches({status}, 'refund'), false)"
        said = f"coalesce(regexp_matches({status}, '{RETURN_WORDS}'), false) AND NOT {unpaid} AND NOT {partly}"
    refunded = "max(refunded_amount) OVER (PARTITION BY order_id)" if "refunded_amount" in typed else "NULL::DOUBLE"
    return (
        f"({said} AND NOT ({reverses})) AS __cancelled, {unpaid} AS __unpaid, "
        f"({partly} AND NOT ({reverses})) AS __partly_refunded, {refunded} AS __refunded"
    )


def drop_unpaid(con: duckdb.DuckDBPyConnection, staged: str) -> dict[str, Any]:
    """Take the never-paid lines out of `staged` (and out of the orders table, where an earlier import of the
    file stored them), returning how many lines and orders, their value and their statuses as the file spells
    them. In the caller's transaction."""
    lines, orders, value = con.execute(
        f"SELECT count(*), count(DISTINCT order_id), coalesce(sum(amount) FILTER (WHERE NOT is_return), 0) "
        f"FROM {staged} WHERE __unpaid"
    ).fetchone()
    if not lines:
        return {"unpaid_lines": 0}
    columns = {r[0] for r in con.execute(f"DESCRIBE {staged}").fetchall()}
    spelled = "status" if "status" in columns else "NULL"
    statuses = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT lower({spelled}) FROM {staged} WHERE __unpaid AND {spelled} IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    gone = con.execute(
        f"DELETE FROM orders o WHERE EXISTS (SELECT 1 FROM {staged} g WHERE g.__unpaid "
        "AND g.order_id = o.order_id AND g.line = o.line) RETURNING customer_id"
    ).fetchall()
    # A customer left with no orders at all has bought nothing (`order_lines.to_behavior` sees only those with some).
    con.execute(
        """UPDATE customer_behavior SET total_spent = 0, order_count = 0, avg_order_value = NULL,
               days_since_last_purchase = NULL, categories_bought = NULL
           WHERE customer_id IN (SELECT unnest(?)) AND customer_id NOT IN (
               SELECT customer_id FROM orders WHERE customer_id IS NOT NULL)""",
        [[r[0] for r in gone if r[0] is not None]],
    )
    con.execute(f"DELETE FROM {staged} WHERE __unpaid")
    return {
        "unpaid_lines": lines,
        "unpaid_orders": orders,
        "unpaid_value": round(value, 2),
        "unpaid_statuses": statuses,
        "unpaid_removed": len(gone),
    }


def add_refunds(con: duckdb.DuckDBPyConnection, staged: str) -> dict[str, Any]:
    """Beside each order with a refunded amount (and not cancelled in full), one reversal of that amount (the
    order id with " refund", at the order's first line number; no product or units, as the file says only the
    money), never more than the order's lines come to. Counts the partly refunded orders the file gives no
    amount for."""
    columns = {r[0] for r in con.execute(f"DESCRIBE {staged}").fetchall()}
    blanked = [f"NULL AS {c}" for c in ("quantity", "unit_price", "sku", "description", "category") if c in columns]
    refunded = ["order_id || ' refund' AS order_id", "-least(__refunded, __total) AS amount", "true AS is_return"]
    refunded += ["__key || ' refund' AS __key"] if "__key" in columns else []
    refunds = f"""
        SELECT * EXCLUDE (__total, __nth) REPLACE ({", ".join(refunded + blanked)}) FROM (
            SELECT *, sum(amount) OVER (PARTITION BY order_id) AS __total,
                   row_number() OVER (PARTITION BY order_id ORDER BY line) AS __nth
            FROM {staged} WHERE NOT is_return AND NOT __cancelled AND __refunded > 0)
        WHERE __nth = 1 AND __total > 0"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE import_refunds AS {refunds}")
    con.execute(f"INSERT INTO {staged} SELECT * FROM import_refunds")
    added, value = con.execute("SELECT count(*), coalesce(-sum(amount), 0) FROM import_refunds").fetchone()
    con.execute("DROP TABLE import_refunds")
    unknown = con.execute(
        f"SELECT count(DISTINCT order_id) FROM {staged} "
        "WHERE __partly_refunded AND NOT is_return AND coalesce(__refunded, 0) <= 0"
    ).fetchone()[0]
    return {"refunded_orders": added, "refunded_value": round(value, 2), "partial_refunds_without_amount": unknown}
