"""The options that choose customers by their predicted outlook, or by how long they have gone without an order,
shared by every tool that builds an audience (match-customers, campaign draft), so "high churn risk and predicted
value over 200" and "no order in 90 days" read the same everywhere."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

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

    def outlook(self) -> Outlook | None:
        """The filter these options ask for, or None when none is given."""
        chosen = Outlook(tuple(self.risk or ()), self.min_value, self.due_within_days, self.quiet_days)
        return chosen or None
