"""Data validation: every check is one SQL query over the whole table, `--fix` repairs or quarantines.

Each check writes the rows it finds into a temporary findings table (check, row key, field,
value); counts, shares and examples come from there, and so do the repairs. Only customers not
yet quarantined are checked, so after `--fix` a second run comes back clean. Email syntax is
decided by email-validator (no DNS), but only for the few distinct addresses a strict regex does
not already accept, so a million clean rows cost one regex scan. An import that brings new values
for quarantined customers calls `rejudge`: the same quarantine checks, for just those customers.
"""

# Only fixed table names and fixed check SQL are formatted into queries here; values are bound.
# ruff: noqa: S608

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import duckdb
import pyarrow as pa
from email_validator import EmailNotValidError, validate_email

from storage.customers import ADDRESS_PATTERN, address_sql
from storage.db import Database
from tools.data.catalogue_gaps import FROM_ORDERS_LOG, UNCATEGORISED
from tools.data.overview import new_run_id

Action = Literal["fix", "quarantine", "flag"]
FINDINGS = "validation_findings"
# Accepts only addresses that are certainly valid: dot-atoms of common characters, a letters-only
# TLD, no special-use domains (email-validator refuses .test, .local, ...). The rest go to email-validator.
CLEARLY_VALID = r"^[a-z0-9_%+-]+(\.[a-z0-9_%+-]+)*@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
SPECIAL_USE = r"\.(arpa|invalid|local|localhost|onion|test)$"
ROBUST_Z = 3.5  # Iglewicz & Hoaglin's cut-off for the modified z-score


@dataclass(frozen=True)
class Check:
    name: str
    table: str
    action: Action
    description: str
    sql: str  # SELECT row_key, field, value FROM ... : one row per problem found
    # For action "fix": the column repaired and the SQL computing its new value from the row's own columns.
    repair: tuple[str, str] | None = None


def _any_of(template: str, **tests: str) -> str:
    """One filtered scan per field, glued with UNION ALL (faster than unnesting a list per row)."""
    return " UNION ALL ".join(template.format(field=field, test=test) for field, test in tests.items())


# `usable` is the temp table of not-quarantined customers with their behaviour (see `prepare`).
CHECKS = [
    Check(
        "empty_row",
        "customers",
        "quarantine",
        "Customer rows with no name, no email and no purchase history.",
        """SELECT customer_id, NULL, NULL FROM usable
           WHERE nullif(trim(first_name), '') IS NULL AND nullif(trim(last_name), '') IS NULL
             AND nullif(trim(email), '') IS NULL AND total_spent IS NULL AND order_count IS NULL""",
    ),
    Check(
        "missing_value",
        "customers",
        "quarantine",
        "Values needed to segment a customer are missing: total_spent or order_count (a missing email only "
        "makes a customer not contactable: they are left out of sends, not quarantined).",
        _any_of(
            "SELECT customer_id, '{field}', NULL FROM usable WHERE NOT is_empty AND {test}",
            total_spent="total_spent IS NULL",
            order_count="order_count IS NULL",
        ),
    ),
    Check(
        "missing_name",
        "customers",
        "flag",
        "No first name (flagged only: the email greets them without one).",
        """SELECT customer_id, 'first_name', NULL FROM usable
           WHERE nullif(trim(first_name), '') IS NULL AND NOT is_empty AND norm_email <> ''""",
    ),
    Check(
        "email_format",
        "customers",
        "fix",
        "Valid emails with stray spaces or capitals (repaired: trimmed and lower-cased).",
        """SELECT customer_id, 'email', email FROM usable
           WHERE email <> norm_email AND norm_email <> '' AND norm_email NOT IN (SELECT email FROM bad_emails)""",
        repair=("email", address_sql("email")),
    ),
    Check(
        "invalid_email",
        "customers",
        "quarantine",
        "Email addresses that are not valid syntax, even after trimming and lower-casing.",
        "SELECT customer_id, 'email', email FROM usable WHERE norm_email IN (SELECT email FROM bad_emails)",
    ),
    Check(
        "negative_amount",
        "customer_behavior",
        "quarantine",
        "Negative total spent, order count or average order value.",
        _any_of(
            "SELECT customer_id, '{field}', {field}::VARCHAR FROM usable WHERE {test}",
            total_spent="total_spent < 0",
            order_count="order_count < 0",
            avg_order_value="avg_order_value < 0",
        ),
    ),
    Check(
        "aov_mismatch",
        "customer_behavior",
        "fix",
        "Average order value missing or not total_spent / order_count (repaired: recomputed).",
        """SELECT customer_id, 'avg_order_value', avg_order_value::VARCHAR FROM usable
           WHERE total_spent >= 0 AND order_count > 0 AND (avg_order_value IS NULL
              OR abs(avg_order_value - total_spent / order_count) > 0.01 + 0.005 * total_spent / order_count)""",
        repair=("avg_order_value", "round(total_spent / order_count, 2)"),
    ),
    Check(
        "spend_without_orders",
        "customer_behavior",
        "quarantine",
        "Spend or an average order value with zero orders: inconsistent, and there is nothing to recompute from.",
        """SELECT customer_id, 'order_count', order_count::VARCHAR FROM usable
           WHERE order_count = 0 AND (total_spent > 0 OR avg_order_value > 0)""",
    ),
    Check(
        "duplicate_id",
        "customers",
        "quarantine",
        "Customer ids that differ only in case or spaces (the first is kept, the others quarantined).",
        """SELECT customer_id, 'customer_id', customer_id FROM (
               SELECT customer_id, row_number() OVER (PARTITION BY upper(trim(customer_id))
                                                      ORDER BY created_at NULLS LAST, customer_id) AS nth
               FROM usable WHERE upper(trim(customer_id)) IN (
                   SELECT upper(trim(customer_id)) FROM usable GROUP BY 1 HAVING count(*) > 1))
           WHERE nth > 1""",
    ),
    Check(
        "duplicate_email",
        "customers",
        "quarantine",
        "Several customers with the same email (the earliest is kept, the others quarantined).",
        """SELECT customer_id, 'email', email FROM (
               SELECT customer_id, email, row_number() OVER (PARTITION BY norm_email
                                                             ORDER BY created_at NULLS LAST, customer_id) AS nth
               FROM usable WHERE norm_email IN (
                   SELECT norm_email FROM usable WHERE norm_email <> '' GROUP BY 1 HAVING count(*) > 1))
           WHERE nth > 1""",
    ),
    Check(
        "outlier",
        "customer_behavior",
        "flag",
        f"Spend, order count or order value far from the rest (robust z-score above {ROBUST_Z} on a log scale; "
        "flagged only: big spenders are real).",
        " UNION ALL ".join(
            f"""(WITH x AS (SELECT customer_id, {f} AS value, ln(1 + {f}) AS x FROM usable WHERE {f} >= 0),
                      centre AS (SELECT median(x) AS med FROM x),
                      spread AS (SELECT med, median(abs(x - med)) AS mad FROM x, centre GROUP BY med)
                 SELECT customer_id, '{f}', value::VARCHAR FROM x, spread
                 WHERE mad > 0 AND abs(0.6745 * (x - med) / mad) > {ROBUST_Z})"""
            for f in ("total_spent", "order_count", "avg_order_value")
        ),
    ),
    Check(
        "product_missing_value",
        "products",
        "flag",
        "Products without a name, category or price.",
        _any_of(
            "SELECT sku, '{field}', NULL FROM products WHERE {test}",
            name="nullif(trim(name), '') IS NULL",
            category=f"{UNCATEGORISED} AND NOT {FROM_ORDERS_LOG}",  # the log's own: said once (catalogue_gaps)
            price="price IS NULL",
        ),
    ),
    Check(
        "product_negative_amount",
        "products",
        "flag",
        "Products with a negative cost, price or stock.",
        _any_of(
            "SELECT sku, '{field}', {field}::VARCHAR FROM products WHERE {test}",
            cost="cost < 0",
            price="price < 0",
            stock="stock < 0",
        ),
    ),
    Check(
        "order_negative_amount",
        "orders",
        "flag",
        "Order lines with a negative amount that are not a recognised cancellation, return or refund (errors).",
        "SELECT order_id || '/' || line, 'amount', amount::VARCHAR FROM orders WHERE amount < 0 AND NOT is_return",
    ),
]


# What a marketer reads in a summary: "found 4 unusual spenders, 959 products missing a name, category or price".
LABELS = {
    "empty_row": "empty customer rows",
    "missing_value": "customers missing their spend or order count",
    "missing_name": "customers without a first name",
    "email_format": "addresses with stray spaces or capitals",
    "invalid_email": "invalid email addresses",
    "negative_amount": "customers with negative figures",
    "aov_mismatch": "average order values that do not add up",
    "spend_without_orders": "customers with spend but no orders",
    "duplicate_id": "duplicate customer ids",
    "duplicate_email": "duplicate email addresses",
    "outlier": "unusual spenders (far from the rest; flagged only)",
    "product_missing_value": "products missing a name, category or price",
    "product_negative_amount": "products with a negative cost, price or stock",
    "order_negative_amount": "order lines with an unexplained negative amount",
}
# What fixing the data does with each check's rows, in a marketer's words.
ACTION_WORDS = {
    "fix": "repaired",
    "quarantine": "set aside: never segmented or emailed",
    "flag": "only flagged: nothing changes",
}

QUARANTINE = [c.name for c in CHECKS if c.action == "quarantine"]


def rejudge(con: duckdb.DuckDBPyConnection, scope: str, run_id: str) -> dict:
    """Run the quarantine-level checks for the customers listed in the table `scope` (a customer_id
    column) and quarantine, logged under `run_id`, those that fail one; the others stay as they are.

    For a caller that has just released these customers because they have new values (an import):
    it runs on the caller's connection inside the caller's transaction, so a failure later in that
    transaction undoes it too (and the rollback drops the temp tables). No repairs and no flags, and
    no other customer is judged, although the duplicate checks compare against every usable customer.
    """
    prepare(con, scope)
    for check in CHECKS:
        if check.action == "quarantine":
            find(con, check, scope)
    quarantined = _quarantine(con, run_id)
    reasons = con.execute(
        f"SELECT quarantine_reason AS reason, count(*) AS customers FROM customers "
        f"WHERE customer_id IN (SELECT customer_id FROM {scope}) AND quarantine_reason IS NOT NULL "
        "GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    drop_scratch(con)
    return {"quarantined": quarantined, "reasons": [{"reason": r, "customers": n} for r, n in reasons]}


def prepare(con: duckdb.DuckDBPyConnection, scope: str | None = None) -> int:
    """Temp tables: `usable` customers with behaviour and normalised email, `bad_emails`, FINDINGS.

    `usable` always holds every customer not quarantined (the duplicate checks compare against all
    of them); with a `scope` table only its customers' emails go to email-validator. Returns how
    many distinct addresses did.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE usable AS
        SELECT c.customer_id, c.first_name, c.last_name, c.email, c.created_at,
               coalesce({address_sql("c.email")}, '') AS norm_email,
               b.total_spent, b.order_count, b.avg_order_value,
               nullif(trim(c.first_name), '') IS NULL AND nullif(trim(c.last_name), '') IS NULL
                   AND nullif(trim(c.email), '') IS NULL AND b.total_spent IS NULL AND b.order_count IS NULL
                   AS is_empty
        FROM customers c LEFT JOIN customer_behavior b USING (customer_id)
        WHERE c.quarantine_reason IS NULL""")
    in_scope = f"AND customer_id IN (SELECT customer_id FROM {scope}) " if scope else ""
    candidates = [
        e
        for (e,) in con.execute(
            f"SELECT DISTINCT norm_email FROM usable WHERE norm_email <> '' {in_scope}"
            "AND NOT (regexp_matches(norm_email, ?) AND NOT regexp_matches(norm_email, ?) "
            "AND length(norm_email) <= 254 AND length(split_part(norm_email, '@', 1)) <= 64)",
            [CLEARLY_VALID, SPECIAL_USE],
        ).fetchall()
    ]
    bad = pa.table({"email": pa.array([e for e in candidates if not _valid_email(e)], pa.string())})  # noqa: F841
    con.execute("CREATE OR REPLACE TEMP TABLE bad_emails AS SELECT email FROM bad")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {FINDINGS} (check_name VARCHAR, table_name VARCHAR, row_key VARCHAR, "
        "field VARCHAR, value VARCHAR)"
    )
    return len(candidates)


def find(con: duckdb.DuckDBPyConnection, check: Check, scope: str | None = None) -> None:
    """Record what `check` finds in FINDINGS: every row, or only the customers listed in `scope`."""
    con.execute(
        f"INSERT INTO {FINDINGS} SELECT ?, ?, row_key, field, left(value, 200) "
        f"FROM ({check.sql}) AS found(row_key, field, value)"
        + (f" WHERE row_key IN (SELECT customer_id FROM {scope})" if scope else ""),
        [check.name, check.table],
    )


def drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    for name in (FINDINGS, "usable", "bad_emails"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _valid_email(address: str) -> bool:
    """Valid by RFC and sendable: email-validator accepts internationalised (SMTPUTF8) addresses, but
    the audience only addresses ASCII ones (ADDRESS_PATTERN), so anything else is reported here rather
    than silently left out of every campaign."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return re.fullmatch(ADDRESS_PATTERN, address) is not None


def summarise(db: Database, checked: dict[str, int], examples: int) -> list[dict]:
    found = db.df(f"""
        SELECT check_name, count(DISTINCT row_key) AS rows,
               list(row_key || coalesce(' ' || field, '') || coalesce(' = ' || value, '') ORDER BY row_key, field)
                   [1:{examples}] AS examples
        FROM {FINDINGS} GROUP BY check_name""")
    by_name = {r["check_name"]: r for r in found.to_dict("records")}
    report = []
    for check in CHECKS:
        total = checked["customers" if check.table.startswith("customer") else check.table]
        hit = by_name.get(check.name)
        rows = int(hit["rows"]) if hit else 0
        report.append(
            {
                "check": check.name,
                "table": check.table,
                "rows": rows,
                "share": round(rows / total, 4) if total else 0.0,
                "action": check.action,
                "examples": list(hit["examples"]) if hit and examples else [],
                "description": check.description,
            }
        )
    return report


def apply_fixes(db: Database) -> dict[str, int]:
    """Repair, quarantine and log, all in one transaction. Returns counts of each kind of change.

    A repair's log row takes its new value from the table after the UPDATE, so it is what is stored,
    not a second computation that could drift from it.
    """
    run_id = new_run_id("validate")
    fixable = [c.name for c in CHECKS if c.action == "fix"]
    with db.transaction() as con:
        for check in CHECKS:
            if check.repair is None:
                continue
            column, value = check.repair  # the repairable checks are all about customers, keyed by customer_id
            con.execute(
                f"UPDATE {check.table} SET {column} = {value} "
                f"WHERE customer_id IN (SELECT row_key FROM {FINDINGS} WHERE check_name = ?)",
                [check.name],
            )
            con.execute(
                "INSERT INTO data_issues (run_id, table_name, row_key, field, problem, raw_value, new_value, action) "
                f"SELECT ?, f.table_name, f.row_key, f.field, f.check_name, f.value, left(t.{column}::VARCHAR, 200), "
                f"'fixed' FROM {FINDINGS} f JOIN {check.table} t ON t.customer_id = f.row_key "
                "WHERE f.check_name = ? ORDER BY f.row_key",
                [run_id, check.name],
            )
        quarantined = _quarantine(con, run_id)
        flagged = con.execute(
            """INSERT INTO data_issues (run_id, table_name, row_key, field, problem, raw_value, action)
               SELECT ?, table_name, row_key, field, check_name, value, 'flagged' FROM validation_findings f
               WHERE check_name NOT IN (SELECT unnest(?)) AND NOT EXISTS (
                   SELECT 1 FROM data_issues d WHERE d.action = 'flagged' AND d.table_name = f.table_name
                     AND d.row_key = f.row_key AND d.problem = f.check_name
                     AND d.field IS NOT DISTINCT FROM f.field)""",
            [run_id, fixable + QUARANTINE],
        ).fetchone()[0]
        fixed = con.execute("SELECT count(*) FROM validation_findings WHERE check_name = ANY(?)", [fixable]).fetchone()[
            0
        ]
    return {"run_id": run_id, "fixed": fixed, "quarantined": quarantined, "flagged": flagged}


def _quarantine(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Quarantine the customers with a quarantine-level finding (the reason: the first such check in
    CHECKS order) and log every finding as a data issue. Returns how many customers were quarantined."""
    con.execute(
        "INSERT INTO data_issues (run_id, table_name, row_key, field, problem, raw_value, action) "
        f"SELECT ?, table_name, row_key, field, check_name, value, 'quarantined' FROM {FINDINGS} "
        "WHERE check_name = ANY(?)",
        [run_id, QUARANTINE],
    )
    return con.execute(
        f"""UPDATE customers c SET quarantine_reason = f.reason
            FROM (SELECT row_key, arg_min(check_name, array_position(?, check_name)) AS reason
                  FROM {FINDINGS} WHERE check_name = ANY(?) GROUP BY row_key) f
            WHERE c.customer_id = f.row_key AND c.quarantine_reason IS NULL""",
        [QUARANTINE, QUARANTINE],
    ).fetchone()[0]
