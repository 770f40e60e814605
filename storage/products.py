"""Products and shortlists: the rows a campaign and the catalog tools read by SKU."""

from __future__ import annotations

from typing import Any

from storage.db import Database


def by_sku(db: Database, skus: list[str]) -> dict[str, dict[str, Any]]:
    """The products with these SKUs, by SKU (unknown SKUs are simply absent)."""
    rows = db.rows(
        "SELECT sku, name, brand, category, price FROM products WHERE list_contains(?::VARCHAR[], sku)", [skus]
    )
    return {r["sku"]: r for r in rows}


def shortlist_skus(db: Database, name: str) -> list[str]:
    """The SKUs on a shortlist, in the order they were added."""
    rows = db.execute("SELECT sku FROM shortlists WHERE name = ? ORDER BY position", [name]).fetchall()
    return [r[0] for r in rows]


def forget_shortlists(db: Database, prefix: str) -> int:
    """Drop every shortlist whose name starts with `prefix`; returns how many products were on them."""
    with db.transaction() as con:
        return con.execute("DELETE FROM shortlists WHERE starts_with(name, ?)", [prefix]).fetchone()[0]


def vocabulary(db: Database) -> tuple[list[str], list[str]]:
    """The shop's own categories and brands (sorted), as the chat understands them in requests."""
    row = db.execute(
        "SELECT list(DISTINCT category ORDER BY category) FILTER (category IS NOT NULL), "
        "list(DISTINCT brand ORDER BY brand) FILTER (brand IS NOT NULL) FROM products"
    ).fetchone()
    return list(row[0] or []), list(row[1] or [])
