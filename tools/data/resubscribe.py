"""A person's own new opt-in: the one way back for someone who unsubscribed.

An unsubscribe sticks (tools/data/consent.py): no import re-subscribes anyone. When the person opts in
again themselves (signs up on the website, ticks the box at checkout), a person at the shop records it
with `promopilot consent resubscribe EMAIL --source "..."`: the address's unsubscribe is lifted, every
customer with that address gets consent yes with that source and time, and the change is logged in
`data_issues` (action fixed, so `promopilot data-issues --table consent` shows who did it and why).
A bounce, a complaint or a manual suppression is never lifted here: an opt-in does not make an address
deliverable, nor undo a complaint. The assistant cannot call this (agent=False): consent is the person's.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from storage.customers import address_sql
from storage.errors import UserError
from tools.context import ToolContext
from tools.data.consent import LOG_TABLE, UNSUBSCRIBED
from tools.data.overview import new_run_id
from tools.registry import Positional, tool
from tools.results import ToolResult


class ResubscribeArgs(BaseModel):
    email: Annotated[str, Positional()] = Field(description="The address of the person who opted in again.")
    source: str = Field(
        description="What the person did to opt in again, e.g. 'signed up again on the website 2026-11-20'."
    )

    @field_validator("email", "source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


@tool(cli="consent resubscribe", agent=False)
def consent_resubscribe(ctx: ToolContext, args: ResubscribeArgs) -> ToolResult:
    """Record a person's own new opt-in: lift their unsubscribe and set their consent to yes.

    Only for someone who opted in again themselves (say what they did with --source). A bounced,
    complained or manually suppressed address is refused: an opt-in does not lift those.
    """
    address = args.email.strip().lower()
    where = f"{address_sql('email')} = ?"
    suppression = ctx.db.rows(f"SELECT reason, source FROM suppressions WHERE {where}", [address])  # noqa: S608
    if suppression and suppression[0]["reason"].lower() != UNSUBSCRIBED:
        reason, source = suppression[0]["reason"], suppression[0]["source"]
        raise UserError(
            f"{address} is suppressed because it {_why(reason)}"
            + (f" ({source})" if source else "")
            + ", not because the person unsubscribed: a new opt-in does not lift that.",
            hint="Only an unsubscribe is lifted by the person's own opt-in; a bounce or complaint stays.",
        )
    customers = [r["customer_id"] for r in ctx.db.rows(f"SELECT customer_id FROM customers WHERE {where}", [address])]  # noqa: S608
    if not suppression and not customers:
        raise UserError(
            f"No customer has the address {address}, and it is not suppressed.",
            hint="Check the spelling, or import the customer first (promopilot import customers FILE).",
        )
    given = f"opt-in: {args.source}"
    run = new_run_id("resubscribe")
    before = f"suppressed: unsubscribed ({suppression[0]['source']})" if suppression else "not suppressed"
    with ctx.db.transaction() as con:
        con.execute(f"DELETE FROM suppressions WHERE {where}", [address])  # noqa: S608
        con.execute(
            f"UPDATE customers SET email_consent = true, consent_source = ?, consent_at = current_timestamp "  # noqa: S608
            f"WHERE {where}",
            [given, address],
        )
        for row_key in customers or [None]:
            con.execute(
                "INSERT INTO data_issues (run_id, table_name, row_key, field, problem, raw_value, new_value, action) "
                "VALUES (?, ?, ?, 'email_consent', ?, ?, 'yes', 'fixed')",
                [run, LOG_TABLE, row_key, f"re-subscribed by their own opt-in: {args.source}", before],
            )
    lifted = "their unsubscribe is lifted" if suppression else "they were not suppressed"
    who = f"{len(customers)} customer{'s' if len(customers) != 1 else ''}" if customers else "no customer yet"
    return ToolResult(
        summary=f"{address} opted in again ({args.source}): {lifted}, consent yes for {who}.",
        data={
            "email": address,
            "lifted_unsubscribe": bool(suppression),
            "customers": customers,
            "consent_source": given,
            "run_id": run,
        },
    )


def _why(reason: str) -> str:
    return {"bounced": "bounced", "complaint": "was reported as spam (a complaint)"}.get(
        reason.lower(), f"was suppressed ({reason})"
    )
