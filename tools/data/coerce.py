"""Coercing the text columns of a file to the schema's types, in one SQL pass.

Every value is converted with TRY_CAST (numbers with either decimal separator, dates in the
column's one day/month order); a value that does not convert, or a missing id, rejects its row
into ISSUES; the staged rows that remain are exactly the rows to write.
"""

# Only fixed table names and quoted identifiers are formatted into SQL here; every value is bound.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

import duckdb

from storage.customers import address_sql
from storage.db import ident
from storage.errors import UserError, first_line
from tools.data import dates, order_lines
from tools.data.columns import KEYS, SCHEMAS, Column
from tools.data.read import RAW, Source

STAGED, ISSUES = "import_staged", "import_issues"
PROBLEMS = {
    "consent": "not a yes or no (yes/no, true/false, 1/0, subscribed/unsubscribed)",
    "email": "not an email address",
    "number": "not a number",
    "integer": "not a whole number",
    "timestamp": "not a date",
    "text": "not text",
}
# Values meaning "no value" in exported spreadsheets (numbers and dates only: "Na" is a surname).
NULL_TOKENS = ("", "na", "n/a", "null", "none", "nan", "-", "#n/a")
# How exports spell consent (Shopify yes/no, spreadsheets TRUE/FALSE, Mailchimp's statuses). Mailchimp's
# "pending" has not confirmed a double opt-in and "cleaned" addresses bounced: neither is a yes.
CONSENT_YES = ("yes", "y", "true", "t", "1", "subscribed", "opted in", "opted-in", "opt-in", "confirmed", "granted")
CONSENT_NO = (
    "no", "n", "false", "f", "0", "unsubscribed", "cleaned", "pending", "non-subscribed", "not subscribed",
    "opted out", "opted-out", "opt-out", "declined", "denied", "transactional", "archived",
)  # fmt: skip
# Number spellings that tell the decimal separator (a thousands-grouped part, or any digits, then a
# decimal part; or two and more thousands groups) and the spelling that does not: "1,234" / "1.234".
DECIMAL_COMMA = r"-?(([0-9]+|[0-9]{1,3}(\.[0-9]{3})+),[0-9]+|[0-9]{1,3}(\.[0-9]{3}){2,})"
DECIMAL_DOT = r"-?(([0-9]+|[0-9]{1,3}(,[0-9]{3})+)\.[0-9]+|[0-9]{1,3}(,[0-9]{3}){2,})"
EITHER_WAY = r"-?[1-9][0-9]{0,2}[.,][0-9]{3}"
NOT_DIGITS = "[\\s€$£¥\u00a0]"  # spaces and currency signs around or inside a number: "1 234,50 €"


def _uses_decimal_comma(con: duckdb.DuckDBPyConnection, numeric: list[str], delimiter: str | None) -> bool:
    """Does the file write 1.234,50 rather than 1,234.50? Decided by majority over a sample.

    "1,234" and "1.234" say nothing (a thousands separator in one convention, a decimal in the
    other), so they are not counted. When only such values are found the delimiter decides: Excel
    writes ';' exactly where ',' is the decimal separator, so "1.234" in a ';' file is 1234.
    """
    if not numeric:
        return False
    columns = ", ".join(map(ident, numeric))
    n_comma, n_dot, n_either = con.execute(
        f"""SELECT count(*) FILTER (WHERE NOT either AND regexp_full_match(v, ?)),
                   count(*) FILTER (WHERE NOT either AND regexp_full_match(v, ?)), count(*) FILTER (WHERE either)
            FROM (SELECT v, regexp_full_match(v, ?) AS either FROM (
                SELECT regexp_replace(__value, ?, '', 'g') AS v FROM (SELECT {columns} FROM {RAW} LIMIT 20000)
                UNPIVOT (__value FOR __column IN ({columns}))))""",
        [DECIMAL_COMMA, DECIMAL_DOT, EITHER_WAY, NOT_DIGITS],
    ).fetchone()
    if n_comma != n_dot:
        return n_comma > n_dot
    return bool(n_either) and delimiter == ";"


def stage(
    con: duckdb.DuckDBPyConnection, kind: str, source: Source, mapping: dict[str, str], date_format: str | None = None
) -> dict:
    """`_stage`, with a value DuckDB cannot process at all reported as the file's problem, not a traceback."""
    try:
        return _stage(con, kind, source, mapping, date_format)
    except duckdb.Error as exc:
        raise UserError(
            f"Cannot import {source.path.name}: {first_line(exc)}",
            hint="Check the file's columns and values (a --dry-run shows how they are read); nothing was imported.",
        ) from None


def is_blank(raw: str) -> str:
    return f"({raw} IS NULL OR lower(trim({raw})) IN ({', '.join(repr(t) for t in NULL_TOKENS)}))"


def _parse(column: Column, raw: str, decimal_comma: bool, date_formats: list[str] | None = None) -> str:
    """SQL turning the raw text column `raw` into the schema type; NULL where it does not convert.

    Numbers and dates try a plain TRY_CAST first (most values are clean) and only the values it
    fails on pay for the slower path: null tokens, currency signs, thousands separators, decimal
    commas, other date formats.
    """
    if column.type == "text":
        return f"nullif(trim({raw}), '')"
    if column.type == "id":  # "'7000123" (Shopify) and "17850.0" (a spreadsheet's number) are 7000123 and 17850
        unquoted = f"trim(regexp_replace(trim({raw}), '^''+', ''))"
        return f"nullif(regexp_replace({unquoted}, '^([0-9]+)\\.0+$', '\\1'), '')"
    if column.type == "email":
        return f"CASE WHEN contains({raw}, '@') THEN {address_sql(raw)} END"
    if column.type == "consent":
        value = f"lower(trim({raw}))"
        return f"CASE WHEN {value} IN {CONSENT_YES!r} THEN true WHEN {value} IN {CONSENT_NO!r} THEN false END"
    if column.type == "list":
        # "[a, b]" (how DuckDB and Parquet lists print) splits without a regex: 2.5x faster.
        plain = f"starts_with({raw}, '[') AND NOT contains({raw}, '\"') AND NOT contains({raw}, '''')"
        items = f"string_split_regex(trim({raw}, '[]\"'' ;|,'), '[\"'']?\\s*[;|,]\\s*[\"'']?')"
        return f"nullif(CASE WHEN {plain} THEN string_split({raw}[2:-2], ', ') ELSE {items} END, [''])"
    blank = is_blank(raw)
    if column.type == "timestamp":
        slow = f"try_strptime(trim({raw}), {date_formats!r})"
        return f"coalesce(TRY_CAST({raw} AS TIMESTAMP), CASE WHEN {blank} THEN NULL ELSE {slow} END)"
    digits = f"regexp_replace({raw}, '{NOT_DIGITS}', '', 'g')"
    digits = f"replace(replace({digits}, '.', ''), ',', '.')" if decimal_comma else f"replace({digits}, ',', '')"
    slow = f"TRY_CAST({digits} AS DOUBLE)"
    if column.type == "integer":
        slow = f"CASE WHEN {slow} = trunc({slow}) THEN TRY_CAST({slow} AS INTEGER) END"
    slow = f"CASE WHEN {blank} THEN NULL ELSE {slow} END"
    if decimal_comma:  # "1.234" means 1234 here, so a plain cast would be wrong
        return f"nullif({slow}, 'NaN'::DOUBLE)" if column.type == "number" else slow
    if column.type == "integer":  # a plain cast would round "2.5" to 3
        return f"coalesce(CASE WHEN NOT contains({raw}, '.') THEN TRY_CAST({raw} AS INTEGER) END, {slow})"
    return f"nullif(coalesce(TRY_CAST({raw} AS DOUBLE), {slow}), 'NaN'::DOUBLE)"  # "nan" means no value


def _failed(column: Column, typed: str, raw: str) -> str:
    """SQL: the raw value was given but did not convert (or converted to infinity)."""
    failed = f"({typed} IS NULL AND NOT {is_blank(raw)})"
    return f"({failed} OR isinf({typed}))" if column.type == "number" else failed


def _stage(
    con: duckdb.DuckDBPyConnection, kind: str, source: Source, mapping: dict[str, str], date_format: str | None
) -> dict[str, Any]:
    """Coerce every value in one pass into STAGED; log failing rows in ISSUES and drop them (and
    earlier duplicates of a key) from STAGED, which then holds exactly the rows to write."""
    schema = {c.name: c for c in SCHEMAS[kind]}
    numeric = [src for src, dst in mapping.items() if schema[dst].type in ("number", "integer")]
    source.details["decimal_comma"] = decimal_comma = _uses_decimal_comma(con, numeric, source.details.get("delimiter"))
    fields = list(mapping.values())
    raw_of = {dst: f"r.{ident(src)}" for src, dst in mapping.items()}
    date_orders = {
        dst: dates.decide(con, src, source.path.name, date_format)
        for src, dst in mapping.items()
        if schema[dst].type == "timestamp"
    }
    if date_orders:
        source.details["date_order"] = {o.column: f"{o.order} ({o.reason})" for o in date_orders.values()}
    typed = {
        dst: _parse(schema[dst], ident(src), decimal_comma, date_orders[dst].formats() if dst in date_orders else None)
        for src, dst in mapping.items()
    }
    if kind == "orders":
        # The rows of one order are its lines, numbered in file order where the file leaves the line
        # number out or blank, so a re-import finds them again.
        position = "row_number() OVER (PARTITION BY order_id ORDER BY rowid)::INTEGER"
        if "line" in typed:
            blank = is_blank(ident(next(src for src, dst in mapping.items() if dst == "line")))
            position = f"CASE WHEN {blank} THEN {position} ELSE {typed['line']} END"
        typed["line"] = position
        typed.setdefault("customer_id", "NULL::VARCHAR")  # a log that names no customer: lines still count
        if total := order_lines.total_once(con, mapping):  # each order's total once: the lines are qty x price
            source.details["order_total_once"] = total
            del typed["amount"]
        order_lines.derive_amount(typed)
    columns = ", ".join(f"{sql} AS {dst}" for dst, sql in typed.items())
    key = " || '/' || ".join(f"coalesce({k}::VARCHAR, '')" for k in KEYS[kind] if k in fields) or "NULL"
    empty = " AND ".join(f"nullif(trim({ident(src)}), '') IS NULL" for src in mapping) or "true"
    rows = f"SELECT rowid AS __rid, {source.line_expr} AS __line, {empty} AS __empty, {columns} FROM {RAW}"
    if kind == "orders":
        rows = order_lines.with_returns(con, rows, mapping, typed)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGED} AS SELECT *, {key} AS __key FROM ({rows})")

    checks = {
        f: _failed(schema[f], f"s.{f}", raw_of[f]) for f in fields if schema[f].type not in ("text", "id", "list")
    }
    local = {f: _failed(schema[f], f"s.{f}", "s.r") for f in checks}
    required = {f: f"s.{f} IS NULL" for f in fields if schema[f].required}
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ISSUES} (__line BIGINT, row_key VARCHAR, field VARCHAR, problem VARCHAR, "
        "raw_value VARCHAR)"
    )
    if checks or required:
        raw_cols = ", ".join(f"{raw_of[f]} AS {ident('raw:' + f)}" for f in fields)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE import_bad AS
            SELECT s.*, {raw_cols} FROM {STAGED} s JOIN {RAW} r ON r.rowid = s.__rid
            WHERE NOT s.__empty AND ({" OR ".join([*checks.values(), *required.values()])})""")
        for f in checks:
            con.execute(f"""
                INSERT INTO {ISSUES} SELECT __line, __key, '{f}', '{PROBLEMS[schema[f].type]}', left(r, 200)
                FROM (SELECT *, {ident("raw:" + f)} AS r FROM import_bad) s
                WHERE {local[f]}""")
        for f in required:
            con.execute(f"""
                INSERT INTO {ISSUES} SELECT __line, __key, '{f}', 'required value missing', NULL
                FROM import_bad s WHERE s.{f} IS NULL AND {is_blank(ident("raw:" + f))}""")
        con.execute("DROP TABLE import_bad")
    if kind == "orders":
        con.execute(f"""
            INSERT INTO {ISSUES} SELECT __line, __key, 'amount', '{order_lines.NO_AMOUNT}', NULL FROM {STAGED}
            WHERE amount IS NULL AND NOT __empty AND __line NOT IN (SELECT __line FROM {ISSUES})""")
    if source.bad_records:
        con.executemany(f"INSERT INTO {ISSUES} VALUES (?, NULL, NULL, ?, NULL)", source.bad_records)
    con.execute(f"DELETE FROM {STAGED} WHERE __line IN (SELECT __line FROM {ISSUES})")

    keys = ", ".join(KEYS[kind])
    con.execute(f"""
        INSERT INTO {ISSUES}
        SELECT __line, __key, NULL, 'duplicate id in the file: a later row replaces this one', NULL FROM (
            SELECT __line, __key, __line < max(__line) OVER (PARTITION BY {keys}) AS earlier
            FROM {STAGED} WHERE NOT __empty AND ({keys}) IN (
                SELECT ({keys}) FROM {STAGED} WHERE NOT __empty GROUP BY ALL HAVING count(*) > 1))
        WHERE earlier""")
    con.execute(f"""
        DELETE FROM {STAGED} WHERE __empty
           OR __line IN (SELECT __line FROM {ISSUES} WHERE problem LIKE 'duplicate id%')""")
    rows = con.execute(f"SELECT count(*) FROM {RAW}").fetchone()[0] + len(source.bad_records)
    imported = con.execute(f"SELECT count(*) FROM {STAGED}").fetchone()[0]
    rejected = con.execute(f"SELECT count(DISTINCT __line) FROM {ISSUES}").fetchone()[0]
    return {"rows": rows, "imported": imported, "rejected": rejected, "empty_rows": rows - imported - rejected}


def issue_counts(con: duckdb.DuckDBPyConnection) -> Any:
    return con.execute(
        f"SELECT coalesce(field, '-') AS field, problem, count(*) AS rows FROM {ISSUES} GROUP BY ALL ORDER BY 3 DESC"
    ).df()
