"""A read-only SQL sandbox for questions the fixed tools do not answer.

Safety comes from where the query runs, not from inspecting its text:

1. DuckDB's own parser must see exactly one statement, of type SELECT (this refuses writes, COPY,
   ATTACH, INSTALL/LOAD, PRAGMA, SET, CALL, EXPORT, transactions... with a clear message).
2. It runs in a separate in-memory DuckDB with `enable_external_access=false` (no files, URLs,
   extensions: read_csv, read_text, glob, '/etc/passwd' as a table all fail), no temp directory (the
   one directory DuckDB would still allow), Python replacement scans off (no peeking at Python
   variables), one thread, a memory cap, and `lock_configuration=true` so a query cannot switch any of
   it back. The database is opened once per process (that costs ~20 ms, a connection to it
   microseconds); each query gets its own connection, and the snapshots it registers are that
   connection's temporary views, gone when it closes. A SELECT can leave nothing else behind.
3. The sandbox holds only snapshots (Arrow, registered as views) of the allow-listed tables the
   query names, without secret tables and, unless PII may be shown, without name/email columns:
   a column that is not there cannot be aliased back into a result.
4. A row limit (the query is wrapped in LIMIT) and a time limit (the connection is interrupted).

Why not the app's own connection: DuckDB shares one configuration per database file within a
process, so locking it would lock the app; and a second connection to the same file with a
different configuration is refused ("Can't open a connection to same database file with a
different configuration") as is ATTACHing it READ_ONLY elsewhere ("Unique file handle conflict").
"""

from __future__ import annotations

import functools
import json
import threading
from typing import Annotated, Any

import duckdb
from pydantic import BaseModel, Field

from storage.db import Database
from storage.errors import UserError
from tools.catalog.audience import pii_visible
from tools.context import ToolContext
from tools.registry import Positional, tool
from tools.results import Table, ToolResult

# Table -> columns never copied into the sandbox (secrets, blobs). app_secrets is simply not listed.
TABLES: dict[str, set[str]] = {
    "customers": set(),
    "customer_behavior": set(),
    "customer_preferences": set(),
    "products": set(),
    "orders": set(),
    "data_issues": set(),
    "suppressions": set(),
    "segment_runs": {"transformer"},
    "segment_members": set(),
    "segments": set(),
    "shortlists": set(),
    "campaigns": set(),
    "campaign_versions": set(),
    "messages": set(),
    "events": set(),
}
# Columns that identify a person: left out unless PII may be shown (see `pii_visible`).
PII: dict[str, set[str]] = {
    "customers": {"first_name", "last_name", "email"},
    "messages": {"email", "first_name"},
    "suppressions": {"email"},
    "data_issues": {"raw_value", "new_value"},  # the offending cell and its repair, often an email address
    "events": {"user_agent"},
}
WHY_NOT: dict[str, str] = {
    "COPY": "COPY reads or writes files",
    "ATTACH": "ATTACH opens other databases",
    "DETACH": "DETACH changes the open databases",
    "LOAD": "INSTALL/LOAD adds extensions",
    "PRAGMA": "PRAGMA changes or inspects settings",
    "SET": "SET/RESET/USE change settings",
    "CALL": "CALL runs procedures",
    "EXPORT": "EXPORT writes files",
    "EXPLAIN": "EXPLAIN is not needed here",
    "MULTI": "it expands to several statements; for PIVOT list the values with IN (...)",
    "UNKNOWN": "DuckDB reports a statement kind its Python API cannot name",
}
SANDBOX_CONFIG = {
    "enable_external_access": False,
    "python_enable_replacements": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "threads": 1,
    "memory_limit": "1GB",
    # No spill directory: DuckDB always allows reading and globbing its temp directory (default `./.tmp`,
    # relative to the working directory), even with external access off. A query too big for memory fails.
    "temp_directory": "",
}


MAX_CELL = 1000  # characters of one value in a result
MAX_RESULT_BYTES = 2_000_000  # of a whole result, for the model and the terminal
CUT_MARK = " …[cut]"
BATCH_ROWS = 64
PLAIN_TYPES = {  # fixed-size values, kept as they are; everything else becomes text, cut to MAX_CELL
    "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL", "DATE", "TIME", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "INTERVAL", "UUID",
}  # fmt: skip


class QueryArgs(BaseModel):
    sql: Annotated[str, Positional()] = Field(min_length=1, description="One SELECT statement.")
    params: dict[str, str] = Field(
        default_factory=dict,
        description="Values for $name placeholders in the SQL (e.g. start=2011-01-01 for $start), bound by DuckDB, "
        "never written into the SQL text.",
    )
    max_rows: int = Field(200, ge=1, le=5000, description="Return at most this many rows.")
    timeout_seconds: float = Field(10.0, gt=0, le=120, description="Stop the query after this many seconds.")


def check_select(sql: str) -> None:
    """Refuse anything but exactly one SELECT, judged by DuckDB's own parser."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise UserError(f"The query does not parse: {str(exc).splitlines()[0]}", hint="Fix the SQL.") from None
    if len(statements) != 1:
        raise UserError(
            f"Only one statement at a time, got {len(statements)}.", hint="Send a single SELECT without ';' chains."
        )
    try:
        kind = statements[0].type.name
    except ValueError:  # e.g. UPDATE EXTENSIONS: the parser knows it, the Python enum does not
        kind = "UNKNOWN"
    if kind != "SELECT":
        why = WHY_NOT.get(kind, f"{kind} statements change data or settings")
        raise UserError(
            f"Refused: only read-only SELECT queries can run here ({why}).",
            hint="Ask a question the data can answer with one SELECT, e.g. average spend by segment.",
        )


def _table_names(sandbox: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    """The tables a query names, from DuckDB's parse tree (`get_table_names` also binds, which needs the
    tables to exist). A statement the serializer cannot express gets every allowed table."""
    tree = json.loads(sandbox.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])
    if tree.get("error"):
        return set(TABLES)
    found: set[str] = set()
    stack: list[object] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and isinstance(node.get("table_name"), str):
                found.add(node["table_name"].lower())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _load(db: Database, sandbox: duckdb.DuckDBPyConnection, sql: str, show_pii: bool) -> None:
    """Snapshot the allowed tables the query names into the sandbox connection."""
    wanted = _table_names(sandbox, sql)
    present = {r[0] for r in db.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    with db.con.cursor() as source:  # its own cursor: an unfinished result elsewhere cannot block it
        for table in sorted(wanted & set(TABLES) & present):
            hidden = TABLES[table] | (set() if show_pii else PII.get(table, set()))
            exclude = f" EXCLUDE ({', '.join(sorted(hidden))})" if hidden else ""
            snapshot = source.sql(f"SELECT *{exclude} FROM {table}").to_arrow_table()  # noqa: S608 - allow-listed
            sandbox.register(table, snapshot)


@functools.cache
def _sandbox_database() -> duckdb.DuckDBPyConnection:
    database = duckdb.connect(":memory:", config=SANDBOX_CONFIG)
    database.execute("SET lock_configuration = true")
    return database


@tool(cli="query")
def query_data(ctx: ToolContext, args: QueryArgs) -> ToolResult:
    """Run one read-only SELECT for questions no other tool answers (e.g. average spend of a segment by category).

    Tables: customers(customer_id, created_at, source, quarantine_reason, email_consent), customer_behavior(customer_id,
    customer_type, total_spent, order_count, avg_order_value, days_since_last_purchase, visit_frequency,
    cart_abandonment_rate, categories_bought), customer_preferences(customer_id, style, preferred_categories,
    preferred_brands, price_range_min, price_range_max, discount_sensitivity, luxury_affinity), products(sku, name,
    category, brand, brand_tier, cost, margin (gross: (price - cost) / price), markup, price, stock, units_sold),
    orders(order_id, customer_id, ordered_at, amount, quantity, unit_price, sku, category, country, is_return),
    segment_members(run_id, customer_id, segment), segments(run_id, segment, name, size, share),
    segment_runs(run_id, k, is_active), shortlists(name, sku), campaigns, campaign_versions, messages(campaign_id,
    customer_id, segment, variant, recommended_sku, status, sent_at), events(campaign_id, customer_id, kind, url,
    occurred_at), suppressions(reason), data_issues. Values (dates, amounts) go in `params` as $name placeholders.
    Names and emails are hidden unless the user allowed sharing them. Files, URLs, settings and writes are refused;
    results stop at max_rows and timeout_seconds.
    """
    check_select(args.sql)
    sandbox = _sandbox_database().cursor()
    timer = threading.Timer(args.timeout_seconds, sandbox.interrupt)
    try:
        _load(ctx.db, sandbox, args.sql, pii_visible(ctx))
        timer.start()
        frame, cut = _capped(sandbox.sql(args.sql, params=args.params or None).limit(args.max_rows + 1))
    except duckdb.InterruptException:
        raise UserError(
            f"The query took longer than {args.timeout_seconds:g} s and was stopped.",
            hint="Filter or aggregate more, or avoid joins that multiply rows.",
        ) from None
    except duckdb.OutOfMemoryException:  # DuckDB's own text suggests SET temp_directory, which is refused here
        raise UserError(
            f"The query needs more memory than the sandbox's {SANDBOX_CONFIG['memory_limit']}.",
            hint="Aggregate or filter before collecting lists or sorting, or ask for fewer columns.",
        ) from None
    except duckdb.PermissionException:
        raise UserError(
            "Refused: the query tries to read files, URLs or extensions; only the shop's tables are available.",
            hint=f"Query these tables: {', '.join(TABLES)}.",
        ) from None
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        if "configuration has been locked" in first:  # enable_logging(), enable_profiling()... inside a SELECT
            raise UserError(
                "Refused: the query tries to change DuckDB settings (logging, profiling, extensions).",
                hint="Ask a question the data can answer with one SELECT over the shop's tables.",
            ) from None
        hint = f"Available tables: {', '.join(TABLES)}." if isinstance(exc, duckdb.CatalogException) else None
        pii_columns = {c for columns in PII.values() for c in columns}
        if not pii_visible(ctx) and any(f'"{c}"' in first for c in pii_columns):
            hint = "Names and emails are hidden unless sharing them is allowed (PROMOPILOT_SHARE_PII)."
        raise UserError(f"The query failed: {first}", hint=hint or "Fix the SQL and try again.") from None
    finally:
        timer.cancel()
        sandbox.close()
    truncated = len(frame) > args.max_rows
    frame = frame.head(args.max_rows)
    notes = [f"stopped at the limit of {args.max_rows:,} rows"] if truncated else []
    if cut["bytes"]:
        notes.append(f"stopped at {MAX_RESULT_BYTES // 1_000_000} MB of results")
    if cut["cells"]:
        notes.append(f"values longer than {MAX_CELL:,} characters were cut, marked '{CUT_MARK}'")
    return ToolResult(
        summary=f"{len(frame):,} row{'s' if len(frame) != 1 else ''}" + (f" ({'; '.join(notes)})." if notes else "."),
        data={
            "rows": len(frame),
            "truncated": bool(truncated or cut["bytes"] or cut["cells"]),
            "columns": [str(c) for c in frame.columns],
        },
        tables=[Table.from_df("Query result", frame, limit=None)],
    )


def _capped(relation: duckdb.DuckDBPyRelation) -> tuple[Any, dict[str, bool]]:
    """The result with every text-like value cut to MAX_CELL characters (inside DuckDB, before Python
    holds it) and the rows cut at MAX_RESULT_BYTES, read batch by batch: `SELECT repeat('x', 300000000)`
    must not become a 300 MB value in the CLI or in a message to the model."""
    import pyarrow as pa

    exprs = [
        f"#{i}" if str(kind).split("(")[0] in PLAIN_TYPES else f'left(CAST(#{i} AS VARCHAR), {MAX_CELL + 1}) AS "{i}"'
        for i, kind in enumerate(relation.types, start=1)
    ]
    reader = relation.project(", ".join(exprs)).to_arrow_reader(BATCH_ROWS)
    batches, size, cut_bytes = [], 0, False
    for batch in reader:
        for part in (
            (batch,) if size + batch.nbytes <= MAX_RESULT_BYTES else (batch.slice(i, 1) for i in range(len(batch)))
        ):
            if size + part.nbytes > MAX_RESULT_BYTES:
                cut_bytes = True
                break
            batches.append(part)
            size += part.nbytes
        if cut_bytes:
            break
    frame = pa.Table.from_batches(batches, schema=reader.schema).to_pandas()
    frame.columns = relation.columns
    cut_cells = False
    for i, kind in enumerate(relation.types):
        if str(kind).split("(")[0] not in PLAIN_TYPES:
            column = frame.iloc[:, i]
            long = column.str.len() > MAX_CELL
            if long.any():
                cut_cells = True
                frame.iloc[:, i] = column.where(~long, column.str[:MAX_CELL] + CUT_MARK)
    return frame, {"bytes": cut_bytes, "cells": cut_cells}
