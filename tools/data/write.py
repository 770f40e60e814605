"""Writing the staged rows: upserted by key in the caller's transaction, only where a value changed.

Quarantined customers whose values change are released and judged again (`rejudge`); a value
`validate --fix` repaired stays repaired while the file still has the old one; an orders log is
summarised into behaviour features and the catalogue (see order_lines).
"""

# Only fixed table names and quoted identifiers are formatted into SQL here; every value is bound.
# ruff: noqa: S608

from __future__ import annotations

import re
from typing import Any

import duckdb

from tools.data import consent, order_lines, order_status, service_lines
from tools.data.coerce import ISSUES, STAGED, issue_counts
from tools.data.columns import KEYS, SCHEMAS
from tools.data.read import Source
from tools.data.validate import CHECKS, rejudge

AOV = "round(g.total_spent / nullif(g.order_count, 0), 2)"
LIFTED = "import_lifted"
SUPPRESSION_REASON = """CASE WHEN regexp_matches({reason}, 'unsub|opt.?out') THEN 'unsubscribed'
    WHEN regexp_matches({reason}, 'bounce|clean|invalid|undeliver') THEN 'bounced'
    WHEN regexp_matches({reason}, 'complain|spam|abuse') THEN 'complaint' ELSE 'manual' END"""


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
        _price_parts(tables.setdefault("products", {}), fields)
    if kind == "orders":
        cols = tables["orders"]
        # An order line without a category takes its product's, so "categories bought" works from SKUs alone.
        from_product = "(SELECT p.category FROM products p WHERE p.sku = g.sku)" if "sku" in fields else "NULL"
        own = "g.category" if "category" in fields else "NULL"
        cols |= {"category": f"coalesce({own}, {from_product})", "amount": "g.amount", "is_return": "g.is_return"}
        for staged_only in ("line", "status", "refunded_amount"):
            cols.pop(staged_only, None)
    if kind == "suppressions":
        reason = "lower(coalesce(g.reason, ''))" if "reason" in fields else "''"
        tables["suppressions"] = {"reason": SUPPRESSION_REASON.format(reason=reason)}
    return tables


def _price_parts(cols: dict[str, str], fields: list[str]) -> None:
    """Price, gross margin and markup, each filled from the others where the file leaves it out:
    margin = (price - cost) / price, markup = (price - cost) / cost."""
    price = "g.price" if "price" in fields else "NULL"
    if "cost" in fields:
        from_margin = "round(g.cost / nullif(1 - g.margin, 0), 2)" if "margin" in fields else "NULL"
        from_markup = "round(g.cost * (1 + g.markup), 2)" if "markup" in fields else "NULL"
        price = f"coalesce({price}, {from_margin}, {from_markup})"
        if price != "coalesce(NULL, NULL, NULL)":
            cols["price"] = price
            margin = "g.margin" if "margin" in fields else "NULL"
            markup = "g.markup" if "markup" in fields else "NULL"
            cols["margin"] = f"coalesce({margin}, round(({price} - g.cost) / nullif({price}, 0), 3))"
            cols["markup"] = f"coalesce({markup}, round(({price} - g.cost) / nullif(g.cost, 0), 3))"


def _derive(columns: dict[str, str], fields: list[str], name: str, formula: str) -> None:
    """Fill `name` from its parts where the file leaves it empty (or has no such column)."""
    if set(re.findall(r"g\.(\w+)", formula)) <= set(fields):
        columns[name] = f"coalesce(g.{name}, {formula})" if name in columns else formula


def write(con: duckdb.DuckDBPyConnection, kind: str, source: Source, mapping: dict[str, str], run_id: str) -> dict:
    """Upsert the staged rows, judge quarantined customers with new values again and log the ISSUES;
    the caller holds the transaction."""
    tag = f"import:{source.path.name}"
    fields = list(mapping.values())
    written: dict[str, Any] = {}
    if kind == "products" and _margin_is_markup(con, fields):
        con.execute(f"ALTER TABLE {STAGED} RENAME COLUMN margin TO markup")
        fields = [("markup" if f == "margin" else f) for f in fields]
        written["margin_read_as_markup"] = True
    plan = _plan(kind, fields)
    if kind == "customers":
        _keep_repairs(con, fields)
        if "email_consent" in fields:
            written["stale_unsubscribes"] = consent.skip_stale_unsubscribes(con, STAGED, mapping)
            written["kept_unsubscribed"] = consent.before_write(con, STAGED)
            written |= consent.counts(con, STAGED)
    if kind == "orders":  # the never-paid lines go first: they are no sale, nor a product sold
        written |= order_status.drop_unpaid(con, STAGED)
        written |= order_lines.drop_stock_movements(con, STAGED)
        written |= order_lines.summarise_file(con, STAGED)
        written |= service_lines.summarise(con, STAGED)
        # The file's own lines, counted before the reversals are added beside them: "0 new" on a re-import.
        written["changed"] = _changed(con, kind, plan)
        written["file_lines_existing"] = existing(con, "orders", KEYS["orders"])
        written["cancelled_orders"] = order_lines.add_reversals(con, STAGED)
        written |= order_status.add_refunds(con, STAGED)
    else:
        written["changed"] = _changed(con, kind, plan)
    lifted = _release_changed(con, plan) if kind == "customers" else 0
    for table, values in plan.items():
        keys = KEYS[kind] if table == kind else ["customer_id"]
        if table in ("customers", "products", "orders", "suppressions"):
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
        written["customers_created"] = order_lines.create_customers(con, STAGED, tag)
        written["customers_updated"] = order_lines.to_behavior(con)
        if {"description", "unit_price"} & set(fields):
            written |= order_lines.to_catalogue(con, tag)
    if kind == "customers" and "email_consent" in fields:
        consent.after_write(con, tag)
        written |= consent.suppress_statuses(con, STAGED, mapping, tag)
    if kind == "customers":  # judged once all their new values are written, behaviour too
        again = rejudge(con, LIFTED, run_id) if lifted else {"quarantined": 0, "reasons": []}
        written |= {
            "rejudged": lifted,
            "released": lifted - again["quarantined"],
            "requarantined": again["quarantined"],
            "requarantine_reasons": again["reasons"],
        }
    written["problems"] = issue_counts(con).to_dict("records")
    # The same file's same rejected rows are logged once, however often it is imported.
    written["issues_logged"] = con.execute(
        "INSERT INTO data_issues (run_id, table_name, row_key, source_file, line, field, problem, raw_value, action) "
        f"SELECT ?, ?, row_key, ?, __line, field, problem, raw_value, 'rejected' FROM {ISSUES} i "
        "WHERE NOT EXISTS (SELECT 1 FROM data_issues d WHERE d.action = 'rejected' AND d.table_name = ? "
        "AND d.source_file = ? AND d.line IS NOT DISTINCT FROM i.__line AND d.field IS NOT DISTINCT FROM i.field "
        "AND d.problem = i.problem AND d.raw_value IS NOT DISTINCT FROM i.raw_value) ORDER BY __line",
        [run_id, kind, str(source.path), kind, str(source.path)],
    ).fetchone()[0]
    return written


def _margin_is_markup(con: duckdb.DuckDBPyConnection, fields: list[str]) -> bool:
    """Does the file's margin column hold markups on cost (price = cost x (1 + margin))? Decided once for
    the column, from the rows that have cost, price and margin, by which formula more of them satisfy."""
    if not {"margin", "cost", "price"} <= set(fields) or "markup" in fields:
        return False
    gross, markup = con.execute(f"""
        SELECT count(*) FILTER (WHERE abs(margin - (price - cost) / price) <= 0.005),
               count(*) FILTER (WHERE abs(margin - (price - cost) / cost) <= 0.005)
        FROM {STAGED} WHERE price > 0 AND cost > 0 AND margin IS NOT NULL""").fetchone()
    return markup > gross


def _keep_repairs(con: duckdb.DuckDBPyConnection, fields: list[str]) -> None:
    """Where the file still has the value `validate --fix` repaired, keep the repair: a re-import of the
    unchanged export must not bring back a stray space or a wrong average."""
    for check in CHECKS:
        if check.repair is None or check.repair[0] not in fields:
            continue
        column = check.repair[0]
        con.execute(
            f"""UPDATE {STAGED} g SET {column} = t.{column} FROM {check.table} t, data_issues d
                WHERE t.customer_id = g.customer_id AND d.action = 'fixed' AND d.problem = ?
                  AND d.row_key = g.customer_id AND d.raw_value = left(g.{column}::VARCHAR, 200)
                  AND d.new_value = left(t.{column}::VARCHAR, 200)""",
            [check.name],
        )


def _changed(con: duckdb.DuckDBPyConnection, kind: str, plan: dict[str, dict[str, str]]) -> int:
    """How many staged rows already exist and differ in at least one value they write."""
    keys = KEYS[kind]
    main = kind
    on = " AND ".join(f"{main}.{k} = g.{k}" for k in keys)
    joins = "".join(f" LEFT JOIN {t} ON {t}.customer_id = g.customer_id" for t in plan if t != main)
    differs = " OR ".join(f"{t}.{c} IS DISTINCT FROM {sql}" for t, values in plan.items() for c, sql in values.items())
    return con.execute(
        f"SELECT count(*) FROM {STAGED} g JOIN {main} ON {on}{joins} WHERE {differs or 'false'}"
    ).fetchone()[0]


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
