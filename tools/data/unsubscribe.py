"""A person's request to stop: "unsubscribe anna@example.com", "Tom Baker asked to be taken off the list".

Someone replies to a campaign, writes to the shop or calls, and asks for no more email. Their address goes on
the suppression list as unsubscribed, as if they had pressed the link in an email: every send leaves it out
from then on, no import re-subscribes it (tools/data/consent.py), and only their own new opt-in lifts it
(`consent resubscribe`). An address no customer has yet is suppressed all the same, so that a later import
does not email them. The change is logged in `data_issues` (table consent), like a re-subscription.
From the chat the person at the keyboard confirms first (`ask_first`): the assistant may have read the wrong
customer, and the shop cannot take it back on the customer's behalf.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from storage.customers import address_sql
from storage.errors import UserError
from tools.catalog.audience import pii_visible
from tools.context import ToolContext
from tools.data.consent import LOG_TABLE, UNSUBSCRIBED
from tools.data.customer_card import find_customer
from tools.data.overview import new_run_id
from tools.registry import Positional, tool
from tools.results import ToolResult

# ruff: noqa: S608 - fixed fragments; the address is always a bound parameter
SAME_ADDRESS = f"{address_sql('email')} = {address_sql('$address')}"


class UnsubscribeArgs(BaseModel):
    customer: Annotated[str, Positional()] = Field(
        description="The email address to unsubscribe, or the customer's id (e.g. C0000042) or full name."
    )
    source: str = Field(default="asked the shop", description="How they asked, e.g. 'replied to the spring campaign'.")

    @field_validator("customer", "source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


@tool(cli="consent unsubscribe")
def consent_unsubscribe(ctx: ToolContext, args: UnsubscribeArgs) -> ToolResult:
    """Unsubscribe someone who asked for no more email: their address is suppressed for every campaign.

    Takes an email address, a customer id or a full name. Only their own new opt-in lifts it
    (`consent resubscribe`). From the chat a person confirms first.
    """
    address = _address(ctx, args.customer)
    said, subject = (address, address) if pii_visible(ctx) else ("that address", "That address")
    customers = [
        r["customer_id"]
        for r in ctx.db.rows(f"SELECT customer_id FROM customers WHERE {SAME_ADDRESS}", {"address": address})
    ]
    held = ctx.db.rows(f"SELECT reason, source FROM suppressions WHERE {SAME_ADDRESS}", {"address": address})
    if held:
        reason, source = held[0]["reason"], held[0]["source"]
        return ToolResult(
            summary=f"{subject} is already suppressed "
            f"({reason}{', ' + source if source else ''}): no campaign emails it. Nothing changed.",
            data={"email": address, "customers": customers, "changed": False, "reason": reason},
        )
    ctx.ask_first(
        f"Unsubscribe {_target(args.customer, customers)}? No campaign will email them again; only their "
        "own new opt-in undoes it."
    )
    source = f"by hand: {args.source}"
    with ctx.db.transaction() as con:
        con.execute(
            "INSERT INTO suppressions (email, reason, source) VALUES (?, ?, ?)", [address, UNSUBSCRIBED, source]
        )
        run = new_run_id("unsubscribe")
        for row_key in customers or [None]:
            con.execute(
                "INSERT INTO data_issues (run_id, table_name, row_key, field, problem, raw_value, new_value, action) "
                "VALUES (?, ?, ?, 'email_consent', ?, 'not suppressed', 'suppressed: unsubscribed', 'fixed')",
                [run, LOG_TABLE, row_key, f"unsubscribed {source}"],
            )
    whom = (
        f"{len(customers)} customers share it"
        if len(customers) > 1
        else "it belongs to 1 customer"
        if customers
        else "no customer has it yet; if one is imported later, they are not emailed either"
    )
    return ToolResult(
        summary=f"Unsubscribed {said}: no campaign will email it again, unsent ones included ({whom}). "
        "Only their own new opt-in lifts this.",
        data={"email": address, "customers": customers, "changed": True, "source": source},
    )


def _target(said: str, customers: list[str]) -> str:
    """Who, in the words the request used ("customer C0000017 (Tom Baker)"): never the address a name was found by,
    which the assistant has not seen. An address said stands in brackets, where the model's redaction blanks it."""
    if not customers:
        return f"this address ({said})"
    who = f"customer {customers[0]}" if len(customers) == 1 else f"{len(customers)} customers"
    return who if said == customers[0] else f"{who} ({said})"


def _address(ctx: ToolContext, said: str) -> str:
    """The address meant: as given, or the one on file for the customer with that id or name."""
    if "@" in said:
        return said.lower()
    customer_id, namesakes = find_customer(ctx, said)
    if namesakes > 1:
        raise UserError(
            f"{namesakes} customers are called {said}, so I did not unsubscribe anyone.",
            hint="Say their email address or customer id instead.",
        )
    email = ctx.db.scalar("SELECT email FROM customers WHERE customer_id = $id", {"id": customer_id})
    if not email or "@" not in email:
        raise UserError(f"Customer {customer_id} has no email address on file, so there is nothing to unsubscribe.")
    return email.strip().lower()
