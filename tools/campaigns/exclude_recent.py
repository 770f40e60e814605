"""Narrow who a campaign not yet sent goes to by recency: "exclude people who ordered in the last week".

The audience is chosen when a campaign is drafted; a marketer often thinks of the recent buyers only after
reading the draft. The copy stays as it is (no new version: the words did not change), the recency is kept
with the campaign and counted again from the orders when it is sent, and any approval is withdrawn, because a
person approved the audience they saw.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from pydantic import BaseModel, Field

from storage import campaigns
from storage import predictions as scores
from storage.campaigns import EDITABLE
from storage.errors import UserError
from tools.campaigns.reach import campaign_reach
from tools.campaigns.render import CampaignRenderer, Recipient
from tools.campaigns.sending import CampaignIdArgs
from tools.catalog.audience import describe_exclusions
from tools.context import ToolContext
from tools.registry import Positional, tool
from tools.results import ApprovalRequest, ToolResult


class ExcludeRecentArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The campaign to change (a draft or approved).")
    quiet_days: int = Field(
        ge=0,
        le=3650,
        description="Only customers with no order in this many days, counted from the orders when it is sent "
        "(7: leave out who ordered in the last week); 0 removes the limit.",
    )


@tool(cli="campaign exclude-recent")
def campaign_exclude_recent(ctx: ToolContext, args: ExcludeRecentArgs) -> ToolResult:
    """Leave out a campaign's recent buyers (or take that limit off again) before it is sent.

    Its segments, products and copy stay; an approval is withdrawn, so a person approves the new audience.
    """
    campaign = campaigns.load(ctx.db, args.campaign_id)
    if campaign["status"] not in EDITABLE:
        raise UserError(
            f"Campaign {args.campaign_id} is {campaign['status']}, so who it goes to is settled.",
            hint="Draft a new campaign for the customers you want.",
        )
    before = scores.Outlook.from_json(campaign["outlook"]) or scores.Outlook()
    after = replace(before, quiet_days=args.quiet_days or None)
    if after == before:
        limit = f"customers with no order in the last {args.quiet_days} days" if args.quiet_days else "no such limit"
        raise UserError(f"Campaign {args.campaign_id} is already for {limit}, so nothing changes.")
    with ctx.db.transaction() as con:
        campaigns.set_outlook(con, args.campaign_id, after.to_json())
    changed = (
        f"Campaign {args.campaign_id} now leaves out everyone who ordered in the last {args.quiet_days} days "
        "(counted again from the orders when it is sent)"
        if args.quiet_days
        else f"Campaign {args.campaign_id} no longer leaves out recent buyers"
    )
    if before.quiet_days is not None and args.quiet_days:  # a shorter span widens the audience: said, not hidden
        changed += f", instead of {before.quiet_days} days"
    withdrawn = (
        " Its approval is withdrawn: approve it again for this audience." if campaign["approved_version"] else ""
    )
    reach = campaign_reach(ctx, CampaignIdArgs(campaign_id=args.campaign_id))
    would, excluded = reach.data["would_send"], reach.data["excluded"]
    counted = f" If it were sent now, it would go to {would:,} customer{'s' if would != 1 else ''}"
    if skipped := sum(excluded.values()):
        counted += f"; {skipped:,} more would be skipped ({describe_exclusions(excluded)})"
    return ToolResult(
        summary=f"{changed}.{withdrawn}{counted}.",
        data={**reach.data, "quiet_days": args.quiet_days or None},
        tables=reach.tables,
        approval=_approval(ctx, args.campaign_id),
    )


def _approval(ctx: ToolContext, campaign_id: int) -> ApprovalRequest:
    """The latest version, unchanged, for the person to approve for the new audience (the buttons come with it)."""
    version = campaigns.latest_version(ctx.db, campaign_id)
    renderer = CampaignRenderer.for_preview(ctx, campaign_id, version)
    first = renderer.variants[0]
    rendered = renderer.preview(Recipient("preview", "", None, first, None, ""))
    return ApprovalRequest(
        campaign_id=campaign_id,
        version=version,
        subject=renderer.subject(first),
        preview_html=rendered.html,
        preview_text=rendered.text,
    )
