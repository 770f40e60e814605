"""Product answers in a marketer's words: "11 dresses under €50; the ones with most stock first", and
shortlists by product name (the SKUs stay in the table and in the data)."""

from __future__ import annotations

from typing import Any

from services.money import format_money
from storage.db import Database

ORDER_WORDS = {
    "stock_desc": "the ones with most stock first",
    "stock_asc": "the ones with least stock first",
    "price_asc": "cheapest first",
    "price_desc": "most expensive first",
    "margin_desc": "best margin first",
    "margin_asc": "lowest margin first",
    "name": "by name",
    "newest": "newest first",
    "best_selling": "best sellers first (most units sold in your orders, net of returns; then revenue)",
    "top_revenue": "most revenue first (from your orders, net of returns)",
    "slow_selling": "slowest sellers first (fewest units sold in your orders, none for one they never name)",
    "worth_promoting": "the ones most worth promoting first",
}
NAMES_SHOWN = 5  # a shortlist of more is summed up: "A, B, C, D, E and 3 more"


def search_words(args: Any, total: int, first: int, last: int, currency: str) -> str:
    """What a product search found, in words: how many of what, the filters as a person would say them,
    the order, and which page when there is more than one."""
    words = [_what(args.category, total)]
    if args.brand:
        words.append("from " + either(args.brand))
    if args.search:
        words.append(f"matching “{args.search}”")
    if priced := price_words(args.price_min, args.price_max, currency):
        words.append(priced)
    if args.min_stock is not None:
        words.append(f"with at least {args.min_stock:,} in stock")
    if args.max_stock == 0:
        words.append("out of stock")
    elif args.max_stock is not None:
        words.append(f"with at most {args.max_stock:,} in stock")
    if args.min_margin is not None:
        words.append(f"with a margin of at least {args.min_margin:.0%}")
    page = ""
    if last < first:
        page = f", none after the first {args.offset:,}"
    elif first > 1 or last < total:
        page = f", showing the first {last:,}" if first == 1 else f", showing {first:,}-{last:,}"
    return f"{' '.join(words)}; {ORDER_WORDS[args.sort]}{page}."


def price_words(low: float | None, high: float | None, currency: str) -> str:
    """ "between €40 and €80", "under €50", "from €20 up"; "" without a bound."""
    if low is not None and high is not None:
        return f"between {_money(low, currency)} and {_money(high, currency)}"
    if high is not None:
        return f"under {_money(high, currency)}"
    return f"from {_money(low, currency)} up" if low is not None else ""


def _money(amount: float, currency: str) -> str:
    """ "€50", not "€50.00": a bound the marketer typed as a whole number."""
    written = format_money(amount, currency)
    return written.replace(".00", "", 1) if float(amount).is_integer() else written


def _what(categories: list[str], total: int) -> str:
    if not categories:
        return f"{total:,} product{'s' if total != 1 else ''}"
    if total == 1:
        return f"1 product in {either(categories)}"
    return f"{total:,} " + either([c.lower() for c in categories], "and")


def either(items: list[str], joint: str = "or") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {joint} " + items[-1]


def product_names(db: Database, skus: list[str]) -> str:
    """The products by name, in the given order ("Soft Denim Jacket, Linen Shirt and 3 more"); a SKU
    stands in for a product without a name."""
    named = dict(db.execute("SELECT sku, name FROM products WHERE sku IN (SELECT unnest(?))", [skus]).fetchall())
    names = [str(named.get(s) or s) for s in skus]
    if len(names) > NAMES_SHOWN:
        return ", ".join(names[:NAMES_SHOWN]) + f" and {len(names) - NAMES_SHOWN} more"
    return either(names, "and") if names else ""


# The figure each order names its leaders by: "Best margins: Storm Trench (72% margin); ...".
LEADERS = {
    "best_selling": ("Top sellers", "units_sold", "{:,.0f} sold"),
    "top_revenue": ("Most revenue", "revenue", "money"),
    "slow_selling": ("Slowest", "units_sold", "{:,.0f} sold"),
    "margin_desc": ("Best margins", "margin", "{:.0%} margin"),
    "margin_asc": ("Lowest margins", "margin", "{:.0%} margin"),
    "stock_desc": ("Most in stock", "stock", "{:,.0f} in stock"),
    "stock_asc": ("Least in stock", "stock", "{:,.0f} in stock"),
    "price_asc": ("Cheapest", "price", "money"),
    "price_desc": ("Most expensive", "price", "money"),
}


def leaders(rows: list[dict[str, Any]], sort: str, currency: str, shown: int = 3) -> str:
    """The first products of a list named in the answer, with the figure they are ordered by; a figure the
    shop does not record (stock from an orders log, nothing sold) names none."""
    if sort not in LEADERS:
        return ""
    title, column, written = LEADERS[sort]
    named = []
    for row in rows[:shown]:
        value = row.get(column)
        if sort == "slow_selling":
            value = 0 if value is None or value != value else max(value, 0)  # never named, or returned: none sold
        if (
            value is None or value != value or (sort in ("best_selling", "top_revenue") and value <= 0)
        ):  # None, NaN, unsold
            continue
        said = format_money(value, currency) if written == "money" else written.format(value)
        named.append(f"{row.get('name') or row['sku']} ({said})")
    return f" {title}: {'; '.join(named)}." if named else ""
