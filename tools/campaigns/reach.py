"""Who a campaign would reach: a count before approving, with who is left out and why.

A marketer wants the reach before pressing Approve, so this works on a draft too. Nothing is rendered,
written or sent: it is the audience's own count (the same rules a send applies: consent, unsubscribes
and other suppressions, invalid addresses, the frequency cap, duplicates), taken now.
"""

from __future__ import annotations

from storage import campaigns, messages
from storage import predictions as scores
from storage.campaigns import EDITABLE
from storage.followups import OPEN_CAVEAT, FollowUp
from tools.campaigns.sending import CampaignIdArgs
from tools.catalog.audience import describe_exclusions, scored_audience
from tools.context import ToolContext
from tools.registry import tool
from tools.results import Table, ToolResult

LISTED = 200  # would-be recipients listed at most (the count covers everyone)


@tool(cli="campaign reach")
def campaign_reach(ctx: ToolContext, args: CampaignIdArgs) -> ToolResult:
    """Count who a campaign would go to if it were sent now, and who would be skipped and why.

    Works on a draft (before approval) as well as on an approved campaign; renders and sends nothing.
    Once sending has started, the recipients are fixed: it says how many were sent and are still to go.
    """
    campaign = campaigns.load(ctx.db, args.campaign_id)
    cid, status = args.campaign_id, campaign["status"]
    if messages.count(ctx.db, cid):
        counts = messages.counts(ctx.db, cid)
        return ToolResult(
            summary=f"Campaign {cid} is {status}: its recipients are fixed. {counts.get('sent', 0):,} sent, "
            f"{counts.get('queued', 0):,} still to send, {counts.get('failed', 0):,} failed."
            + sending_time(counts.get("queued", 0), ctx.settings.send_rate, "the rest"),
            data={"campaign_id": cid, "status": status, "messages": dict(counts)},
        )
    audience, excluded, eligible = scored_audience(
        ctx.db,
        run_id=campaign["run_id"],
        segments=campaign["segments"],
        skus=[],  # who is reached does not depend on the products: nothing to score
        frequency_cap_days=ctx.settings.frequency_cap_days,
        limit=LISTED,  # "who exactly gets this": the first of them, by id (the screen adds their names)
        unknown_consent=ctx.settings.email_unknown_consent,
        outlook=scores.Outlook.from_json(campaign.get("outlook")),
        follow_up=(follow_up := FollowUp.of(campaign)),
    )
    skipped = sum(excluded.values())
    draft = campaign["approved_version"] is None
    state = "a draft (not approved yet)" if draft else "approved" if status in EDITABLE else status
    who = f"{eligible:,} customer{'s' if eligible != 1 else ''}"
    summary = f"Campaign {cid} is {state}; if it were sent now, it would go to {who}."
    if skipped:
        days = ctx.settings.frequency_cap_days
        why = describe_exclusions(excluded).replace("recently emailed", f"emailed in the last {days} days")
        summary += f" {skipped:,} would be skipped: {why}."
    else:  # "who's left out and why": nobody it is meant for; outside its segments, everyone else
        summary += " Nobody it is meant for would be skipped."
    if campaign["segments"] and (outside := _outside(ctx, campaign["run_id"], campaign["segments"])):
        plural = "s" if len(campaign["segments"]) > 1 else ""
        summary += f" The other {outside:,} customers are not in its segment{plural}."
    if follow_up:  # how many the earlier campaign gave, before eligibility
        name = campaigns.load(ctx.db, follow_up.campaign_id)["name"]
        of_whom = f", of whom the {skipped:,} above would be skipped" if skipped else ""
        summary += f" It follows up {follow_up.words(name)}: {eligible + skipped:,} in all{of_whom}."
        summary += f" {OPEN_CAVEAT}" if follow_up.engagement == "not_opened" else ""
    summary += sending_time(eligible, ctx.settings.send_rate, "sending")
    if draft:
        summary += " Nothing was sent."
    rows = [{"who": "would get it", "customers": eligible}]
    rows += [{"who": f"skipped: {reason.replace('_', ' ')}", "customers": n} for reason, n in excluded.items() if n]
    return ToolResult(
        summary=summary,
        data={"campaign_id": cid, "status": status, "would_send": eligible, "excluded": excluded}
        | ({"follow_up": follow_up.campaign_id, "from_follow_up": eligible + skipped} if follow_up else {}),
        tables=[Table.from_rows("Reach", rows)]
        + (
            [Table.from_df("Who would get it", audience[["customer_id", "segment"]], limit=None, total=eligible)]
            if eligible
            else []
        ),
    )


def _outside(ctx: ToolContext, run_id: int, segments: list[int]) -> int:
    """The customers a campaign for these segments leaves out by design: those in no segment of them."""
    return ctx.db.scalar(
        "SELECT count(*) FROM customers WHERE quarantine_reason IS NULL AND customer_id NOT IN "
        "(SELECT customer_id FROM segment_members WHERE run_id = ? AND list_contains(?, segment))",
        [run_id, segments],
    )


def sending_time(messages_left: int, rate: float, what: str) -> str:
    """ "How long will it take?": the time at the set pace (PROMOPILOT_SEND_RATE a second), as a sentence;
    nothing when there is nothing to send or no pace is set (0 = as fast as the mail server takes them)."""
    if messages_left <= 0 or rate <= 0:
        return ""
    seconds = messages_left / rate
    took = (
        "under a minute"
        if seconds < 60
        else f"about {round(seconds / 60):,} minute{'s' if round(seconds / 60) != 1 else ''}"
        if seconds < 5400
        else f"about {seconds / 3600:.1f} hours"
    )
    return f" At the set pace of {rate:g} a second, {what} takes {took}."
