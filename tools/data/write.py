"""Writing the staged rows: upserted by key in the caller's transaction, only where a value changed.

Quarantined customers whose values change are released and judged again (`rejudge`); an orders
log is summarised into behaviour features (recency, frequency, monetary value) in SQL.
"""

# Only fixed table names and quoted identifiers are formatted into SQL here; every value is bound.
# ruff: noqa: S608

from __future__ import annotations

import re
from typing import Any

import duckdb

from tools.data.coerce import ISSUES, STAGED, issue_counts
from tools.data.columns import KEYS, SCHEMAS
from tools.data.read import Source
from tools.data.validate import rejudge

AOV = "round(g.total_spent / nullif(g.order_count, 0), 2)"
LIFTED = "import_lifted"


def existing(con: duckdb.DuckDBPyConnection, table: str, keys: list[str]) -> int:
    """How many staged rows already exist in `table` (they will be updated, not inserted)."""
    on = " AND ".join(f"t.{k} = g.{k}" for k in keys)
    return con.execute(f"SELECT count(*) FROM {STAGED} g WHERE EXISTS (SELECT 1 FROM {table} t WHERE {on})").fetchone()[
        0
    ]


def _plan(kind: str, fields: list[str]) -> dict[str, dict[str, str]]:
    """Per target table, the columns to write and the SQL computing each from the staged row `g`."""
    tables: dict[str, dict[str, str]] = {}
    for column in SCHEMAS[kind]:
        if column.name in fields and column.name not in KEYS[kind]:
            tables.setdefault(column.table, {})[column.name] = f"g.{column.name}"
    if kind == "customers":
        tables.setdefault("customers", {})
        _derive(tables.get("customer_behavior", {}), fields, "avg_order_value", AOV)
    if kind == "products":
        cols = tables.setdefault("products", {})
        _derive(cols, fields, "price", "round(g.cost * (1 + g.margin), 2)")
        _derive(cols, fields, "margin", "round(g.price / nullif(g.cost, 0) - 1, 3)")
    if kind == "orders":
        # An order line without a category takes its product's, so "categories bought" works from SKUs alone.
        from_product = "(SELECT p.category FROM products p WHERE p.sku = g.sku)" if "sku" in fields else "NULL"
        own = "g.category" if "category" in fields else "NULL"
        tables["orders"]["category"] = f"coalesce({own}, {from_product})"
        tables["orders"].pop("line", None)
    return tables


def _derive(columns: dict[str, str], fields: list[str], name: str, formula: str) -> None:
    """Fill `name` from its parts where the file leaves it empty (or has no such column)."""
    if set(re.findall(r"g\.(\w+)", formula)) <= set(fields):
        columns[name] = f"coalesce(g.{name}, {formula})" if name in columns else formula


def write(con: duckdb.DuckDBPyConnection, kind: str, source: Source, mapping: dict[str, str], run_id: str) -> dict:
    """Upsert the staged rows, judge quarantined customers with new values again and log the ISSUES;
    the caller holds the transaction."""
    tag = f"import:{source.path.name}"
    written: dict[str, Any] = {}
    plan = _plan(kind, list(mapping.values()))
    lifted = _release_changed(con, plan) if kind == "customers" else 0
    for table, values in plan.items():
        keys = KEYS[kind] if table == kind else ["customer_id"]
        if table in ("customers", "products", "orders"):
            values = {**values, "source": "?"}
        written[table] = {"updated": (overlap := existing(con, table, keys))}
        columns = [*keys, *values]
        select = ", ".join([*(f"g.{k}" for k in keys), *(f"{sql}" for sql in values.values())])
        # Only rows whose values differ are updated: a re-import rewrites nothing (and DuckDB updates of
        # list columns are slow, so this keeps an idempotent re-import fast).
        update = ", ".join(f"{c} = excluded.{c}" for c in values)
        changed = " OR ".join(f"{table}.{c} IS DISTINCT FROM excluded.{c}" for c in values)
        upsert = f"ON CONFLICT ({', '.join(keys)}) " + (
            f"DO UPDATE SET {update} WHERE {changed}" if update else "DO NOTHING"
        )
        con.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM {STAGED} g {upsert if overlap else ''}",
            [tag] if "source" in values else None,
        )
    if kind == "orders":
        written["customers_updated"] = _orders_to_behavior(con)
        written["unknown_customers"] = con.execute(
            f"SELECT count(DISTINCT customer_id) FROM {STAGED} g "
            "WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = g.customer_id)"
        ).fetchone()[0]
    if kind == "customers":  # judged once all their new values are written, behaviour too
        again = rejudge(con, LIFTED, run_id) if lifted else {"quarantined": 0, "reasons": []}
        written |= {
            "rejudged": lifted,
            "released": lifted - again["quarantined"],
            "requarantined": again["quarantined"],
            "requarantine_reasons": again["reasons"],
        }
    written["problems"] = issue_counts(con).to_dict("records")
    con.execute(
        "INSERT INTO data_issues (run_id, table_name, row_key, source_file, line, field, problem, raw_value, action) "
        f"SELECT ?, ?, row_key, ?, __line, field, problem, raw_value, 'rejected' FROM {ISSUES} ORDER BY __line",
        [run_id, kind, str(source.path)],
    )
    return written


def _release_changed(con: duckdb.DuckDBPyConnection, plan: dict[str, dict[str, str]]) -> int:
    """Release the quarantined customers whose row in the file changes any of their stored values,
    listing them in LIFTED for `rejudge`: quarantine has no other way out, and new values deserve a
    fresh judgement. Runs before the upsert (it compares against the old values). Returns how many."""
    joins = "".join(f" LEFT JOIN {t} ON {t}.customer_id = g.customer_id" for t in plan if t != "customers")
    differs = " OR ".join(f"{t}.{c} IS DISTINCT FROM {sql}" for t, values in plan.items() for c, sql in values.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {LIFTED} AS
        SELECT g.customer_id FROM {STAGED} g JOIN customers ON customers.customer_id = g.customer_id{joins}
        WHERE customers.quarantine_reason IS NOT NULL AND ({differs or "false"})""")
    return con.execute(
        f"UPDATE customers SET quarantine_reason = NULL WHERE customer_id IN (SELECT customer_id FROM {LIFTED})"
    ).fetchone()[0]


def _orders_to_behavior(con: duckdb.DuckDBPyConnection) -> int:
    """RFM from the whole order log: monetary, frequency, average order value, recency, categories.

    Recency counts days back from the latest order in the log, not from today, so an export
    from last month does not make every customer look lapsed.
    """
    con.execute("""
        INSERT INTO customer_behavior (customer_id, total_spent, order_count, avg_order_value,
                                       days_since_last_purchase, categories_bought)
        SELECT customer_id, round(sum(amount), 2), count(DISTINCT order_id)::INTEGER,
               round(sum(amount) / count(DISTINCT order_id), 2),
               date_diff('day', max(ordered_at), (SELECT max(ordered_at) FROM orders))::INTEGER,
               list_sort(list(DISTINCT category) FILTER (WHERE category IS NOT NULL))
        FROM orders GROUP BY customer_id
        ON CONFLICT (customer_id) DO UPDATE SET total_spent = excluded.total_spent,
            order_count = excluded.order_count, avg_order_value = excluded.avg_order_value,
            days_since_last_purchase = excluded.days_since_last_purchase,
            categories_bought = excluded.categories_bought
        WHERE (customer_behavior.total_spent, customer_behavior.order_count, customer_behavior.avg_order_value,
               customer_behavior.days_since_last_purchase, customer_behavior.categories_bought)
              IS DISTINCT FROM (excluded.total_spent, excluded.order_count, excluded.avg_order_value,
                                excluded.days_since_last_purchase, excluded.categories_bought)""")
    return con.execute("SELECT count(DISTINCT customer_id) FROM orders").fetchone()[0]
