"""Who cannot be emailed, and why: "who's on the suppression list?", "which customers haven't given consent?",
"who can't I email?".

The reasons are the ones a campaign's reach counts (`audience.flag_scope`, over every customer), so the list and
the reach never disagree: quarantined, no address, an invalid address, no consent (or none on file, when the
shop's setting leaves those out), unsubscribed, suppressed (bounced, complained, added by hand) and emailed
within the frequency cap. A suppressed address also says why and since when, from the suppression list. A person
at the command line (or a chat that allowed sharing personal data) sees names and addresses; the assistant gets
customer ids only, and the chat's own screen adds the names locally.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from storage.customers import address_sql
from storage.segments import require_active_run
from tools.catalog.audience import EXCLUSION_REASONS, SCRATCH, WORDS, describe_exclusions, flag_scope, pii_visible
from tools.context import ToolContext
from tools.registry import tool
from tools.results import Table, ToolResult

Reason = Literal[
    "quarantined", "no_address", "invalid_email", "no_consent", "consent_unknown", "unsubscribed", "suppressed",
    "recently_emailed",
]  # fmt: skip
LISTED = f"""
    SELECT f.customer_id, trim(concat_ws(' ', c.first_name, c.last_name)) AS name, c.email, f.reason AS why,
           s.reason AS suppressed_for, s.source AS suppressed_by, s.created_at AS suppressed_since,
           count(*) OVER () AS matching
    FROM {SCRATCH} f JOIN customers c USING (customer_id)
    LEFT JOIN suppressions s ON {address_sql("s.email")} = {address_sql("c.email")}
    WHERE f.reason IS NOT NULL AND f.reason <> 'duplicate_email' AND f.reason IN (SELECT unnest($reasons))
    ORDER BY list_position($order, f.reason), f.customer_id
    LIMIT $limit"""  # noqa: S608 - fixed fragments; the reasons are bound


class UnreachableArgs(BaseModel):
    reason: list[Reason] = Field(
        default_factory=list,
        description="Only these reasons (default: every reason): no_consent and consent_unknown for consent, "
        "unsubscribed and suppressed for the suppression list, no_address and invalid_email for addresses.",
    )
    limit: int = Field(200, ge=1, le=100_000, description="List at most this many (the counts cover everyone).")
    segment: int | None = Field(None, ge=0, description="Only this segment of the active segmentation.")


@tool(cli="unreachable")
def unreachable_customers(ctx: ToolContext, args: UnreachableArgs) -> ToolResult:
    """Who cannot be emailed now, and why: how many for each reason, then each customer with the reason (a
    suppressed address with why and since when). Nothing is changed. Names and addresses are shown to a person,
    never sent to the assistant's model unless sharing personal data is allowed."""
    reasons = list(args.reason) or [r for r in EXCLUSION_REASONS if r != "duplicate_email"]
    since = datetime.now() - timedelta(days=max(ctx.settings.frequency_cap_days, 0))
    run_id = require_active_run(ctx.db) if args.segment is not None else None
    segments = [args.segment] if args.segment is not None else None
    try:
        counts = flag_scope(ctx.db, run_id, segments, since, ctx.settings.email_unknown_consent, None)
        people = ctx.db.df(LISTED, {"reasons": reasons, "order": EXCLUSION_REASONS, "limit": args.limit})
    finally:
        ctx.db.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
    everyone = sum(counts.values())
    excluded = {r: int(counts.get(r, 0)) for r in EXCLUSION_REASONS if r in reasons}
    matching = sum(excluded.values())
    whose = f"segment {args.segment}'s" if args.segment is not None else "your"
    if not everyone:
        summary = (
            "There are no customers yet, so nobody to list."
            if args.segment is None
            else (f"Segment {args.segment} has no customers in the active segmentation.")
        )
    elif not matching:
        summary = f"Nobody of {whose} {everyone:,} customers is left out{' for that reason' if args.reason else ''}."
    else:
        summary = (
            f"{matching:,} of {whose} {everyone:,} customers cannot be emailed now: {describe_exclusions(excluded)}."
        )
    if args.segment is not None and everyone:
        reachable = int(counts.get(None, 0))
        summary = f"**{reachable:,} of segment {args.segment}'s {everyone:,} customers** can be emailed now. " + summary
    unmatched = ctx.db.scalar(
        f"SELECT count(*) FROM suppressions WHERE {address_sql('email')} NOT IN "  # noqa: S608 - fixed fragments
        f"(SELECT {address_sql('email')} FROM customers WHERE email IS NOT NULL)"
    )
    if unmatched and {"unsubscribed", "suppressed"} & set(reasons):
        summary += (
            f" The suppression list also holds {unmatched:,} address{'es' if unmatched != 1 else ''} of no customer."
        )
    if matching > len(people):
        summary += f" Listed: the first {len(people):,}."
    people = people.drop(columns=["matching"])
    people["why"] = people["why"].map(lambda r: WORDS.get(r, r.replace("_", " ")))
    people["suppressed_since"] = people["suppressed_since"].map(
        lambda t: None if t is None or t != t else f"{t:%d %b %Y}"
    )
    if not pii_visible(ctx):
        people = people.drop(columns=["name", "email"])  # the model sees ids; the chat's screen adds the names
    return ToolResult(
        summary=summary,
        data={
            "customers": everyone,
            "cannot_email": matching,
            "excluded": excluded,
            "unmatched_suppressions": unmatched,
        },
        tables=[Table.from_df("Who cannot be emailed", people, limit=None, total=matching)],
    )
