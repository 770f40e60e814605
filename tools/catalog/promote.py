"""Which products are worth promoting: a simple score a marketer can check, and a reason for each.

The score is the average of where a product ranks, among all products, on what is known:
recent sales (order lines with the product in the last 90 days of the orders log), margin and stock
(each a percentile, 0 = the lowest, 100 = the highest). A factor nobody has (no orders log with
products, no costs, no stock figures) is left out, and sold-out products are left out of the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database

RECENT_DAYS = 90  # as written in RECENT
# Order lines with a product, in the last RECENT_DAYS days of the log (the log may end before today).
RECENT = (
    "(SELECT sku, count(*) AS sold_90d FROM orders WHERE sku IS NOT NULL AND ordered_at >= "
    "(SELECT max(ordered_at) FROM orders WHERE sku IS NOT NULL) - INTERVAL 90 DAY GROUP BY sku)"
)
IN_STOCK = "(stock IS NULL OR stock > 0)"  # the filter the sort brings: a sold-out product is no idea


@dataclass(frozen=True)
class Factors:
    sales: bool
    margin: bool
    stock: bool

    def words(self) -> str:
        """What the score is made of, in words, for the answer."""
        names = [n for n, on in (("recent sales", self.sales), ("margin", self.margin), ("stock", self.stock)) if on]
        if not names:
            return "nothing is known to rank them by, so they are in name order"
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"score = how {joined} rank among all products, averaged (100 = top on every one)"


def factors(db: Database) -> Factors:
    sold, margin, stock = db.execute(
        f"SELECT (SELECT count(*) FROM {RECENT}), count(margin), count(stock) FROM products"  # noqa: S608 - constant
    ).fetchone()
    return Factors(sales=bool(sold), margin=bool(margin), stock=bool(stock))


def source(known: Factors) -> str:
    """The products with `sold_90d` and `score` columns (a constant SQL fragment)."""
    ranks = [
        f"percent_rank() OVER (ORDER BY {column} NULLS FIRST)"
        for column, on in (
            ("coalesce(s.sold_90d, 0)", known.sales),
            ("p.margin", known.margin),
            ("p.stock", known.stock),
        )
        if on
    ]
    score = f"round(100 * ({' + '.join(ranks)}) / {len(ranks)})" if ranks else "0"
    return (
        f"(SELECT p.*, coalesce(s.sold_90d, 0) AS sold_90d, {score} AS score "  # noqa: S608 - constant
        f"FROM products p LEFT JOIN {RECENT} s USING (sku))"
    )


ORDER = "score DESC, sold_90d DESC, margin DESC NULLS LAST, stock DESC NULLS LAST"


def why(row: dict, known: Factors) -> str:
    """ "120 in stock, 45% margin, 12 orders in the last 90 days": the figures behind a product's score."""
    parts = []
    if _known(row.get("stock")):
        parts.append(f"{row['stock']:,.0f} in stock")
    if _known(row.get("margin")):
        parts.append(f"{row['margin']:.0%} margin")
    if known.sales:
        sold = int(row["sold_90d"]) if _known(row.get("sold_90d")) else 0
        parts.append(f"{sold:,} order{'s' if sold != 1 else ''} in the last {RECENT_DAYS} days")
    return ", ".join(parts) or "no figures known"


def pitch(rows: list[dict], known: Factors, shown: int = 3) -> str:
    """The top picks with their reasons, as sentences for the answer."""
    picks = "; ".join(f"{r.get('name') or r['sku']} ({why(r, known)})" for r in rows[:shown])
    return f" Worth promoting: {picks}. How they are ranked: {known.words()}." if picks else ""


def _known(value: object) -> bool:
    return value is not None and value == value  # a missing figure is None, or NaN in a table
