"""The options that choose customers by their predicted outlook, by how long they have gone without an order, or by
what they bought, shared by every tool that builds an audience (match-customers, campaign draft), so "high churn
risk and predicted value over 200", "no order in 90 days" and "who bought the jam making set" read the same
everywhere."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from storage.db import Database
from storage.errors import UserError
from storage.predictions import Outlook

Risk = Literal["low", "medium", "high"]


class OutlookArgs(BaseModel):
    risk: list[Risk] | None = Field(
        None, description="Only customers at this churn risk (low, medium, high), from the latest prediction."
    )
    min_value: float | None = Field(
        None, ge=0, description="Only customers whose predicted 12-month value is over this."
    )
    due_within_days: int | None = Field(
        None, ge=1, le=365, description="Only customers whose next order is expected within this many days."
    )

    quiet_days: int | None = Field(
        None,
        ge=1,
        le=3650,
        description="Only customers with no order in this many days (to the orders log's last day); "
        "needs no prediction.",
    )

    bought: list[str] | None = Field(
        None,
        description="Only customers who bought one of these products (SKUs) before, returns left out; needs an "
        "orders log with a product on each line.",
    )

    def outlook(self, db: Database) -> Outlook | None:
        """The filter these options ask for (the products bought checked and named), or None when none is given."""
        bought = tuple(dict.fromkeys(self.bought or ()))
        named = products_named(db, bought) if bought else ""
        chosen = Outlook(tuple(self.risk or ()), self.min_value, self.due_within_days, self.quiet_days, bought, named)
        return chosen or None


def products_named(db: Database, skus: tuple[str, ...]) -> str:
    """The products in words: "JAM MAKING SET PRINTED or JAM MAKING SET WITH JARS", "one of 12 products (A, B, …)".
    Refuses a SKU the catalogue does not have: nobody could have bought it."""
    names = dict(
        db.execute(
            "SELECT sku, coalesce(name, sku) FROM products WHERE sku IN (SELECT unnest(?))", [list(skus)]
        ).fetchall()
    )
    if missing := [sku for sku in skus if sku not in names]:
        raise UserError(
            f"No product with SKU {', '.join(missing)} in the catalogue.",
            hint="Find the products first, then name them.",
        )
    said = [names[sku] for sku in skus]
    return " or ".join(said) if len(said) <= 3 else f"one of {len(said)} products ({said[0]}, {said[1]}, …)"
