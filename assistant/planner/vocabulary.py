"""The shop's own words: the categories and brands in its products table, the countries its orders log
names, its campaigns' names, and the columns it has.

Read from the database rather than from the demo catalogue, so an imported shop's "Sneakers" or
"Acme Outdoor" work as filters the same way the demo's "Outerwear" does, and an analytic question
about a column the shop's data does not have ("per country") gets a plain answer instead of a failed query.
The dates the orders run between let a question about a period without orders ("last year", in a log that
ends in 2011) be answered with where they do run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Database


@dataclass(frozen=True)
class Vocabulary:
    categories: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    columns: dict[str, set[str]] = field(default_factory=dict)  # table -> its columns
    currency: str = "EUR"  # the shop's, for money in answers
    orders_span: tuple[date, date] | None = None  # the first and last order date, for "no orders in 2025"
    countries: list[str] = field(default_factory=list)  # as the orders log spells them ("USA", "EIRE")
    stock_known: bool = True  # whether any product records its stock (a catalogue from an orders log does not)
    campaigns: dict[int, str] = field(default_factory=dict)  # "how did the spring edit do": campaigns by name
    # "describe the VIPs" once another segmentation is in use: the names a marketer gave in runs not in use,
    # each with (run, segment, k) of the latest run that has it
    earlier_segments: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    segment_counts: frozenset[int] = frozenset()  # "switch to 6 groups": the k of every segmentation kept
    products_ordered: bool = True  # whether any order line names its product ("what does segment 2 buy")
    segments: dict[int, str] = field(default_factory=dict)  # the segmentation in use: "revenue of the big spenders"
    # Customer ids that are names (a B2B log keyed by company: "Mini Gifts Distributors Ltd."), longest first
    named_customers: tuple[str, ...] = ()

    @classmethod
    def empty(cls) -> Vocabulary:
        return cls()

    @classmethod
    def from_db(cls, db: Database) -> Vocabulary:
        from storage import products, shop

        categories, brands = products.vocabulary(db)
        columns: dict[str, set[str]] = {}
        for table, column in db.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall():
            columns.setdefault(table, set()).add(column)
        first, last = db.execute("SELECT min(ordered_at)::DATE, max(ordered_at)::DATE FROM orders").fetchone()
        span = (first, last) if first is not None else None
        countries = [
            r[0]
            for r in db.execute(
                "SELECT DISTINCT country FROM orders WHERE country IS NOT NULL ORDER BY 1 LIMIT 500"
            ).fetchall()
        ]
        stocked = db.execute("SELECT count(stock) > 0 OR count(*) = 0 FROM products").fetchone()[0]
        ordered = db.execute("SELECT count(sku) > 0 FROM orders").fetchone()[0]
        named = dict(db.execute("SELECT campaign_id, name FROM campaigns").fetchall())
        earlier = {
            name: (run_id, segment, k)
            for name, run_id, segment, k in db.execute(
                "SELECT s.name, s.run_id, s.segment, r.k FROM segments s JOIN segment_runs r USING (run_id) "
                "WHERE s.named_by = 'user' AND NOT r.is_active AND s.name NOT IN "
                "(SELECT name FROM segments JOIN segment_runs USING (run_id) WHERE is_active AND name IS NOT NULL) "
                "ORDER BY s.run_id"
            ).fetchall()
        }
        counts = frozenset(k for (k,) in db.execute("SELECT DISTINCT k FROM segment_runs").fetchall())
        active = dict(
            db.execute(
                "SELECT s.segment, s.name FROM segments s JOIN segment_runs r USING (run_id) WHERE r.is_active "
                "AND s.name IS NOT NULL"
            ).fetchall()
        )
        currency = shop.get_currency(db)
        companies = tuple(r[0] for r in db.execute(NAMED_IDS).fetchall())
        return cls(categories, brands, columns, currency, span, countries, bool(stocked), named, earlier, counts,
                   bool(ordered), active, companies)  # fmt: skip

    def campaign_named(self, text: str) -> tuple[int, str] | None:
        """The campaign whose whole name the text says ("how did the Spring edit do"), the newest if several."""
        said = [(i, name) for i, name in self.campaigns.items() if name and says(text, name)]
        return max(said) if said else None

    def earlier_segment_named(self, text: str) -> tuple[str, int, int, int] | None:
        """The name given to a segment of a segmentation not in use that the text says, with its run, segment, k."""
        said = [(name, *at) for name, at in self.earlier_segments.items() if says(text, name)]
        return max(said, key=lambda found: len(found[0])) if said else None

    def segment_said(self, text: str) -> int | None:
        """The segment in use whose whole name the text says ("revenue of the High-spending premium buyers")."""
        said = [(len(name), number) for number, name in self.segments.items() if says(text, name)]
        return max(said)[1] if said else None

    def customer_said(self, text: str) -> tuple[str, str] | None:
        """The customer whose id is a name the text says, whole or by its first two words or more ("Mini Gifts" for
        "Mini Gifts Distributors Ltd."), as (id, the words said); the longest said wins."""
        found = []
        for name in self.named_customers:
            words = re.sub(r"[.,]+$", "", name).split()
            for n in range(len(words), 1, -1):
                said = " ".join(words[:n])
                if len(said) >= 8 and (m := re.search(rf"(?<!\w){re.escape(said)}(?!\w)", text, re.I)):
                    found.append((len(said), name, m[0]))
                    break
        return max(found)[1:] if found else None

    def has_column(self, table: str, column: str) -> bool:
        """Whether the table has the column; without a schema (no database at hand) assume it does."""
        return not self.columns or column in self.columns.get(table, set())


# Customer ids that read as names: letters, with a space (never "C0000042" nor "17850"); a few thousand at most
NAMED_IDS = (
    "SELECT customer_id FROM customers WHERE customer_id LIKE '% %' AND regexp_matches(customer_id, '[A-Za-z]{3,}') "
    "ORDER BY length(customer_id) DESC, customer_id LIMIT 5000"
)


def says(text: str, name: str) -> bool:
    """Whether the text says the whole name, in any case ("the spring edit" says "Spring edit", "spring" does not)."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I) is not None
