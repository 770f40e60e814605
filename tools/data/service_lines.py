"""Order lines that are not merchandise: postage, carriage, fees, discounts, manual adjustments.

Shops' logs carry them as lines of their own (the UCI Online Retail log: POST "POSTAGE", DOT "DOTCOM POSTAGE",
C2 "CARRIAGE", M "Manual", D "Discount", "Bank Charges", AMAZONFEE "AMAZON FEE", CRUK "CRUK Commission", S
"SAMPLES", B "Adjust bad debt"). They are money a customer paid or was given, so they stay in the orders table
(revenue and each customer's spend keep them), but they are no product: made into one, "what's not selling"
lists "Manual" and "Discount", and searches, suggestions and product counts include them.

A line is one when its description, trimmed and in any case, IS one of the phrases below: matched whole, never
as a substring, so "POSTAGE STAMP MAGNET" or "CARRIAGE CLOCK" stays a product. The SKU is not used (POST, D, M
are the UCI shop's own codes; another shop's D may be a dress).
"""

# ruff: noqa: S608 - the pattern is a constant; table names are fixed

from __future__ import annotations

import duckdb

SERVICE_PHRASES = (
    r"(dotcom )?postage( (and|&) packing)?",
    r"carriage",
    r"(shipping|delivery|postage)( (charges?|fees?|costs?))?",
    r"discount",
    r"manual",
    r"bank charges?",
    r"amazon fees?",
    r"([a-z0-9]+ )?commission",  # "CRUK Commission"
    r"samples",
    r"adjust bad debt",
)
PATTERN = "(" + "|".join(SERVICE_PHRASES) + ")"


def is_service(description: str) -> str:
    """SQL: the description (an SQL expression) names a service line, not a product. NULL is a product line
    (a line with a SKU and no description still sold something)."""
    spaced = f"regexp_replace(lower(trim({description})), '\\s+', ' ', 'g')"
    return f"coalesce(regexp_full_match({spaced}, '{PATTERN}'), false)"


def summarise(con: duckdb.DuckDBPyConnection, staged: str) -> dict[str, float | int]:
    """How many of the file's lines are service lines and what they add to revenue (returns included: a
    discount is usually a negative line; a cancelled order's postage adds nothing). Before the reversals of
    cancelled orders are added to `staged`."""
    columns = {r[0] for r in con.execute(f"DESCRIBE {staged}").fetchall()}
    if "description" not in columns:
        return {"service_lines": 0, "service_value": 0.0}
    lines, value = con.execute(
        f"SELECT count(*), coalesce(sum(amount) FILTER (WHERE NOT __cancelled), 0) FROM {staged} "
        f"WHERE {is_service('description')}"
    ).fetchone()
    return {"service_lines": lines, "service_value": round(value, 2)}


def sentence(lines: int, value: str) -> str:
    """The summary's words for them ("" when there are none)."""
    if not lines:
        return ""
    were = "1 line was" if lines == 1 else f"{lines:,} lines were"
    return f"{were} postage, fees or adjustments ({value}): counted in revenue, not as products."
