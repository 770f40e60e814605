"""Who received a campaign: one row per recipient, with whether they opened it, clicked and unsubscribed.

"Who got the spring sale?", "who didn't open it?": the count first, then the people. A person at the command
line (or a chat that allowed sharing personal data with the model) sees names and addresses; the assistant
otherwise gets customer ids only, and the chat's own screen adds the names locally (assistant.present).
An open counts when the pixel loaded or a link was clicked, as in the report.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from storage import campaigns
from storage.errors import UserError
from storage.followups import OPEN_CAVEAT, WORDS, Engagement
from tools.catalog.audience import pii_visible
from tools.context import ToolContext
from tools.registry import Positional, tool
from tools.results import Table, ToolResult

RECIPIENTS_SQL = """
    WITH per_person AS (
        SELECT m.customer_id, trim(concat_ws(' ', c.first_name, c.last_name)) AS name, m.email, m.variant, m.status,
               m.sent_at,
               coalesce(bool_or(e.kind IN ('open', 'click')), false) AS opened,
               coalesce(bool_or(e.kind = 'click'), false) AS clicked,
               coalesce(bool_or(e.kind = 'unsubscribe'), false) AS unsubscribed
        FROM messages m
        LEFT JOIN customers c USING (customer_id)
        LEFT JOIN events e ON e.campaign_id = m.campaign_id AND e.customer_id = m.customer_id
        WHERE m.campaign_id = $campaign AND m.status IN ('sent', 'unknown')
        GROUP BY ALL
    )
    SELECT *, count(*) OVER () AS matching FROM per_person
    WHERE CASE $engagement WHEN 'opened' THEN opened WHEN 'not_opened' THEN NOT opened
                           WHEN 'clicked' THEN clicked WHEN 'not_clicked' THEN NOT clicked
                           WHEN 'opened_not_clicked' THEN opened AND NOT clicked ELSE true END
    ORDER BY clicked DESC, opened DESC, customer_id
    LIMIT $limit"""


class RecipientsArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The campaign whose recipients to list.")
    engagement: Engagement | None = Field(
        None,
        description="Only those who opened, not_opened, clicked, not_clicked or opened_not_clicked (default: "
        "everyone it reached).",
    )
    limit: int = Field(200, ge=1, le=100_000, description="List at most this many (the counts cover everyone).")


@tool(cli="campaign recipients")
def campaign_recipients(ctx: ToolContext, args: RecipientsArgs) -> ToolResult:
    """Who received a campaign: how many, then each recipient with whether they opened it, clicked and
    unsubscribed (clickers first). Names and addresses are shown to a person, never sent to the assistant's
    model unless sharing personal data is allowed."""
    campaign = campaigns.load(ctx.db, args.campaign_id)
    cid, name = args.campaign_id, campaign["name"]
    totals = ctx.db.rows(
        "SELECT count(*) FILTER (status IN ('sent', 'unknown')) AS reached, count(*) FILTER (status = 'failed')"
        " AS failed, count(*) FILTER (status IN ('skipped', 'cancelled')) AS not_sent,"
        " count(*) FILTER (status IN ('queued', 'sending')) AS waiting FROM messages WHERE campaign_id = ?",
        [cid],
    )[0]
    if not any(totals.values()):
        raise UserError(
            f"Campaign {cid} (“{name}”) has not been sent yet (status: {campaign['status']}), so nobody has "
            "received it.",
            hint="Send it first; until then, its reach says who it would go to.",
        )
    engagement = args.engagement or "received"
    people = ctx.db.df(RECIPIENTS_SQL, {"campaign": cid, "engagement": engagement, "limit": args.limit})
    matching = int(people["matching"].iloc[0]) if len(people) else 0
    counts = _engagement(ctx, cid)
    reached = int(totals["reached"])
    summary = (
        f"Campaign {cid} (“{name}”) reached {reached:,} customer{'s' if reached != 1 else ''}: {counts['opened']:,} "
        f"opened it, {counts['clicked']:,} clicked, {counts['unsubscribed']:,} unsubscribed"
    )
    summary += "".join(
        f", {int(totals[key]):,} {words}"
        for key, words in (("failed", "failed"), ("not_sent", "not sent"), ("waiting", "still to send"))
        if totals[key]
    )
    summary += "."
    if engagement != "received":
        summary = f"{matching:,} of them {WORDS[engagement].removesuffix(' in')} it. " + summary
        summary += f" {OPEN_CAVEAT}" if "opened" in engagement else ""
    if matching > len(people):
        summary += f" Listed: the first {len(people):,}."
    people = people.drop(columns=["matching"])
    for column in ("opened", "clicked", "unsubscribed"):
        people[column] = people[column].map({True: "yes", False: "no"})
    people["sent_at"] = people["sent_at"].map(lambda t: None if t is None or t != t else f"{t:%d %b %Y %H:%M}")
    if not pii_visible(ctx):
        people = people.drop(columns=["name", "email"])  # the model sees ids; the chat's screen adds the names
    title = "Recipients" if engagement == "received" else f"Recipients who {WORDS[engagement].removesuffix(' in')} it"
    return ToolResult(
        summary=summary,
        data={"campaign_id": cid, "reached": reached, **counts, "engagement": engagement, "matching": matching}
        | {key: int(totals[key]) for key in ("failed", "not_sent", "waiting")},
        tables=[Table.from_df(title, people, limit=None, total=matching)],
    )


def _engagement(ctx: ToolContext, campaign_id: int) -> dict[str, int]:
    row = ctx.db.rows(
        """SELECT count(DISTINCT customer_id) FILTER (kind IN ('open', 'click')) AS opened,
                  count(DISTINCT customer_id) FILTER (kind = 'click') AS clicked,
                  count(DISTINCT customer_id) FILTER (kind = 'unsubscribe') AS unsubscribed
           FROM events e JOIN messages m USING (campaign_id, customer_id)
           WHERE campaign_id = ? AND m.status IN ('sent', 'unknown')""",
        [campaign_id],
    )[0]
    return {key: int(value or 0) for key, value in row.items()}
