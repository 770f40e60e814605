"""Follow-up campaigns: an earlier sent campaign's recipients, all of them or those who opened it, did not open
it, clicked or did not click ("resend to the non-openers", "follow up with everyone who clicked").

The draft keeps the choice (storage.followups); the audience is drawn again from the messages and the tracking
events whenever it is counted or sent, and eligibility applies on top, as for any campaign: someone who has
unsubscribed, bounced or complained since, or was emailed within the frequency cap, is left out and counted.

The copy is a second chance, not the same email again: every subject line differs from the ones the earlier
campaign went out with (a resend to non-openers with the same subject mostly goes unopened again), led by words
that fit who it is for ("In case you missed it: …" for the non-openers, "Still thinking it over? …" for those who
opened but did not click). The model is told the same in its brief.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, model_validator

from storage import campaigns
from storage.followups import OPEN_CAVEAT, Engagement, FollowUp, counts, require_followable
from tools.campaigns.brief import SUBJECT_CAP, Copy, truncate
from tools.catalog.audience import describe_exclusions, scored_audience
from tools.context import ToolContext


class FollowUpArgs(BaseModel):
    follow_up: int | None = Field(
        None,
        ge=1,
        description="Follow up this earlier, sent campaign: its recipients are the audience (narrowed by "
        "engagement), and its products are featured unless others are given.",
    )
    engagement: Engagement | None = Field(
        None,
        description="Which of its recipients: received (everyone it reached, the default), opened, not_opened, "
        "clicked, not_clicked or opened_not_clicked. Anyone unsubscribed, suppressed or emailed within the frequency "
        "cap is left out.",
    )

    @model_validator(mode="after")
    def _needs_the_campaign(self) -> FollowUpArgs:
        if self.engagement is not None and self.follow_up is None:
            raise ValueError("engagement needs follow_up: the earlier campaign whose recipients to choose from")
        return self

    def chosen_follow_up(self) -> FollowUp | None:
        if self.follow_up is None:
            return None
        return FollowUp(self.follow_up, self.engagement or "received")


@dataclass
class FollowUpPlan:
    """What a follow-up draft is made from: the earlier campaign, its products and the audience in words."""

    follow_up: FollowUp
    source: dict[str, Any]
    skus: list[str]
    audience: list[dict[str, Any]]  # for the copy's brief: aggregates only
    subjects: list[str]  # the subject lines the earlier campaign went out with

    @classmethod
    def prepare(cls, ctx: ToolContext, follow_up: FollowUp, segments: list[dict[str, Any]]) -> FollowUpPlan:
        """Refuses (saying what to do) when the earlier campaign is not sent, or nobody opened or clicked it."""
        found = require_followable(ctx.db, follow_up)
        source = campaigns.load(ctx.db, follow_up.campaign_id)
        version = campaigns.approved_version(ctx.db, follow_up.campaign_id) or {}
        skus = list(version.get("skus") or source["skus"] or [])
        subjects = [v["subject"] for v in campaigns.variants(version) if v.get("subject")] if version else []
        earlier = "; ".join(f"“{s}”" for s in subjects)
        who = {
            "name": follow_up.words(source["name"]).removeprefix("the ").capitalize(),
            "description": f"A follow-up: {follow_up.words(source['name'])}. "
            + (f"Use subject lines unlike the earlier email's ({earlier})." if subjects else ""),
            "size": found[follow_up.engagement],
        }
        kept = [s for s in segments if "segment" in s]  # segments asked for as well narrow it further
        return cls(follow_up, source, skus, [who, *kept], subjects)

    def second_chance(self, copy: Copy) -> Copy:
        """The copy with every subject led by words for who it is for, and none the same as the earlier one's."""
        lead = LEADS[self.follow_up.engagement]
        earlier = {s.casefold() for s in self.subjects}
        variants = []
        for variant in copy.variants:
            subject = variant["subject"]
            if not subject.casefold().startswith(lead.casefold()):
                subject = lead + subject
            if subject.casefold() in earlier:  # the model kept an earlier line and its lead
                subject = f"{LEADS['received']}{subject}"
            variants.append({**variant, "subject": truncate(subject, SUBJECT_CAP)})
        return replace(copy, variants=variants)

    def name(self) -> str:
        return f"{self.source['name']}: follow-up to {WHO[self.follow_up.engagement]}"[:120]


LEADS = {  # what a follow-up's subject lines start with, by who it goes to
    "received": "A quick reminder: ",
    "opened": "More for you: ",
    "not_opened": "In case you missed it: ",
    "clicked": "Back for another look? ",
    "not_clicked": "Still thinking it over? ",
    "opened_not_clicked": "Still thinking it over? ",
}
WHO = {
    "received": "everyone who got it",
    "opened": "the openers",
    "not_opened": "the non-openers",
    "clicked": "the clickers",
    "not_clicked": "those who did not click",
    "opened_not_clicked": "those who opened but did not click",
}


def follow_up_reach(ctx: ToolContext, campaign: dict[str, Any]) -> str:
    """How many of the earlier campaign's recipients this follow-up reaches now, and who is left out and why:
    "It follows up the 12 customers who did not open campaign 3 (“Spring sale”): 10 can be emailed now; 2 are
    left out (1 unsubscribed, 1 emailed in the last 7 days)." Empty for a campaign that is no follow-up."""
    follow_up = FollowUp.of(campaign)
    if follow_up is None:
        return ""
    source = campaigns.load(ctx.db, follow_up.campaign_id)
    _, excluded, eligible = scored_audience(
        ctx.db,
        run_id=campaign["run_id"],
        segments=campaign["segments"],
        skus=[],
        frequency_cap_days=ctx.settings.frequency_cap_days,
        limit=1,
        unknown_consent=ctx.settings.email_unknown_consent,
        follow_up=follow_up,
    )
    left_out = sum(excluded.values())
    chosen = eligible + left_out
    words = follow_up.words(source["name"]).removeprefix("the customers ")
    said = f"It follows up the {chosen:,} customer{'s' if chosen != 1 else ''} {words}: {eligible:,} can be emailed now"
    days = ctx.settings.frequency_cap_days
    if left_out:
        why = describe_exclusions(excluded).replace("recently emailed", f"emailed in the last {days} days")
        said += f"; {left_out:,} {'are' if left_out != 1 else 'is'} left out ({why})"
    said += "."
    if excluded.get("recently_emailed") and (again := _cap_lifts(ctx, follow_up.campaign_id)):
        got = f"those who got campaign {follow_up.campaign_id}"
        said += f" The {days}-day frequency cap lets {got} be emailed again from {again}."
    if follow_up.engagement in ("not_opened", "opened_not_clicked"):
        said += f" {OPEN_CAVEAT}"
    if follow_up.engagement == "not_opened" and not counts(ctx.db, follow_up.campaign_id)["opened"]:
        said += (
            f" No opens at all are recorded for campaign {follow_up.campaign_id}, so this is everyone it reached: it "
            "may be too early, or the tracking links do not reach PromoPilot (its public address in the settings)."
        )
    return said


def _cap_lifts(ctx: ToolContext, campaign_id: int) -> str | None:
    """The day the frequency cap stops holding back the earlier campaign's recipients, if it is still to come."""
    last = ctx.db.scalar("SELECT max(sent_at) FROM messages WHERE campaign_id = ? AND status = 'sent'", [campaign_id])
    if last is None:
        return None
    lifts = last + timedelta(days=max(ctx.settings.frequency_cap_days, 0))
    return f"{lifts:%d %b %Y %H:%M}" if lifts > datetime.now() else None
