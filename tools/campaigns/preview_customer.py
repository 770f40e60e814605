"""Whom a campaign preview is shown as: a customer named by ID or by name, and what they would get.

The marketer says "show it as Anna would see it" or "what would Mr Jones get", not an ID, so a name is
looked up here, locally in DuckDB. Several customers often share a first name: the first by ID is shown
and the marketer is told how many share it, rather than being asked to pick. The name and the full
sentence about who it is are for the marketer's screen; what the model sees names the customer by ID
only (`named=False`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import customers, messages
from storage.errors import UserError
from tools.campaigns.render import CampaignRenderer
from tools.catalog.audience import FEATURES_SQL, require_products, score_one
from tools.context import ToolContext

NOT_FOUND_HINT = (  # two sentences: the chat drops the one naming a command-line flag
    "Check the spelling or use the customer's ID, or say *preview it for a random customer*. "
    "At the command line, leave out --customer for a typical recipient."
)


@dataclass(frozen=True)
class PreviewCustomer:
    customer_id: str
    first_name: str | None
    full_name: str
    searched: str | None = None  # the name asked for, when it was a name rather than an ID
    matches: int = 1  # how many customers have that name

    @classmethod
    def find(cls, ctx: ToolContext, reference: str) -> PreviewCustomer:
        """The customer with this ID, else the first by ID with this first, last or full name (any case)."""
        reference = reference.strip()
        by_id = ctx.db.rows(
            "SELECT customer_id, first_name, trim(concat_ws(' ', trim(first_name), trim(last_name))) AS full_name "
            "FROM customers WHERE customer_id = ? OR customer_id = upper(?) ORDER BY customer_id = ? DESC LIMIT 1",
            [reference, reference, reference],
        )
        if by_id:
            row = by_id[0]
            return cls(str(row["customer_id"]), row["first_name"], row["full_name"] or "")
        matches, found = customers.named(ctx.db, reference)
        if found is None:
            raise UserError(
                f"No customer has the ID or the name {reference!r} "
                "(searched customer IDs, and first, last and full names, ignoring case).",
                hint=NOT_FOUND_HINT,
            )
        return cls(found["customer_id"], found["first_name"] or None, found["full_name"], reference, matches)

    def who(self, *, named: bool) -> str:
        """ "Anna Kowalski (customer C0000123)" for the marketer; "customer C0000123" for the model."""
        if named and self.full_name:
            return f"{self.full_name} (customer {self.customer_id})"
        return f"customer {self.customer_id}"

    def note(self, *, named: bool) -> str:
        """When several share the name: "3 customers are called Anna; this is Anna Kowalski (customer C0000123)."
        (for the model: "3 customers share that name; this is the first by ID, customer C0000123.")."""
        if self.matches < 2:
            return ""
        if named:
            said = self.searched or ""
            said = said.title() if said in {said.lower(), said.upper()} else said  # "anna" -> "Anna"
            return f"{self.matches:,} customers are called {said}; this is {self.who(named=True)}."
        return f"{self.matches:,} customers share that name; this is the first by ID, {self.who(named=False)}."


def recommended_for(ctx: ToolContext, campaign_id: int, renderer: CampaignRenderer, customer_id: str) -> str | None:
    """The product this customer would be recommended: as sent, or as scored now."""
    listed, sku = messages.recommended_sku(ctx.db, campaign_id, customer_id)
    if listed:
        return sku
    skus = list(renderer.products)
    if not skus:
        return None
    features = ctx.db.rows(f"SELECT * FROM ({FEATURES_SQL}) WHERE customer_id = ?", [customer_id])  # noqa: S608
    products = require_products(ctx.db, skus).to_dict("records")
    return max(products, key=lambda p: (score_one(features[0], p)["score"], -skus.index(p["sku"])))["sku"]


def outside_audience(ctx: ToolContext, campaign: dict[str, Any], customer_id: str) -> str:
    """ "They are in segment 4, and this campaign is for segment 1: it would not reach them.": a preview for someone
    its segments leave out ("" when they are in one of them, or it is for everyone)."""
    segments = list(campaign.get("segments") or [])
    if not segments or campaign.get("run_id") is None:
        return ""
    theirs = ctx.db.scalar(
        "SELECT segment FROM segment_members WHERE run_id = ? AND customer_id = ?", [campaign["run_id"], customer_id]
    )
    if theirs in segments:
        return ""
    aimed = ", ".join(str(s) for s in segments)
    where = f"in segment {theirs}" if theirs is not None else "in none of its segmentation's segments"
    segment_word = "segments" if len(segments) > 1 else "segment"
    return f"They are {where}, and this campaign is for {segment_word} {aimed}: it would not reach them."
