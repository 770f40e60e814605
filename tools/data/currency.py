"""The shop's currency, told by the data when nobody set it: currency signs on the amounts, or the
country nearly every order line comes from (a shop's home market; its foreign customers pay in the
shop's currency too). What is found is stored as a detected setting, never over the user's choice.
"""

# Only quoted identifiers are formatted into SQL here; values are bound.
# ruff: noqa: S608

from __future__ import annotations

import duckdb

from storage.db import ident
from storage.shop import COUNTRY_CURRENCY, SYMBOL_CURRENCY
from tools.data.columns import SCHEMAS
from tools.data.read import RAW

HOME_MARKET = 0.8  # the share of lines one country needs to count as the shop's home


def detect(con: duckdb.DuckDBPyConnection, kind: str, mapping: dict[str, str]) -> tuple[str, str] | None:
    """(ISO code, why) from the file in RAW, or None when it says nothing clear."""
    schema = {c.name: c for c in SCHEMAS[kind]}
    money = [src for src, dst in mapping.items() if schema[dst].type == "number" and dst != "quantity"]
    if money:
        cells = " || ' ' || ".join(f"coalesce({ident(c)}, '')" for c in money)
        signs = con.execute(
            f"SELECT {', '.join(f'count(*) FILTER (WHERE contains({cells}, ?))' for _ in SYMBOL_CURRENCY)} "
            f"FROM (SELECT * FROM {RAW} LIMIT 20000)",
            list(SYMBOL_CURRENCY),
        ).fetchone()
        found = [(n, s) for n, s in zip(signs, SYMBOL_CURRENCY, strict=True) if n]
        if len(found) == 1:
            return SYMBOL_CURRENCY[found[0][1]], f"amounts are written with {found[0][1]}"
    country = next((src for src, dst in mapping.items() if dst == "country"), None)
    if country:
        row = con.execute(
            f"SELECT lower(trim({ident(country)})) AS c, count(*) / sum(count(*)) OVER () AS share FROM {RAW} "
            f"WHERE nullif(trim({ident(country)}), '') IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
        if row and row[1] >= HOME_MARKET and row[0] in COUNTRY_CURRENCY:
            return COUNTRY_CURRENCY[row[0]], f"{row[1]:.0%} of the lines come from {row[0].title()}"
    return None
