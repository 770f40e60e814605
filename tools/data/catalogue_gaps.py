"""What an orders log cannot say about its products: their category, reported once, not per product.

An orders log names products (SKU, description, unit price) but rarely their category, so every product it
creates has none. Flagging each of them as a data problem buries the real problems under hundreds of lines
that no one can fix from the log; what the marketer needs to know is that matching by category will not use
them. A product imported from a catalogue file is different: there the category was the file's to give, so
a missing one is still flagged per product by the validation check.
"""

from __future__ import annotations

from storage.db import Database

# A product whose source is an orders file: created from the log (`order_lines.to_catalogue`) and not
# imported from a catalogue since (a catalogue import rewrites the source).
FROM_ORDERS_LOG = "source IN (SELECT DISTINCT source FROM orders)"
UNCATEGORISED = "nullif(trim(category), '') IS NULL"


def uncategorised_from_orders(db: Database) -> int:
    """How many products from an orders log have no category."""
    return int(db.scalar(f"SELECT count(*) FROM products WHERE {UNCATEGORISED} AND {FROM_ORDERS_LOG}"))  # noqa: S608


def note(count: int) -> str:
    """The sentence for the validation summary ("" when there is nothing to say)."""
    if not count:
        return ""
    if count == 1:
        return "1 product from the orders log has no category; matching by category will not use it."
    return f"{count:,} products from the orders log have no category; matching by category will not use them."
