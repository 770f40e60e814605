"""Campaign content: draft, revise, preview, approve or reject, as versions a marketer can trust.

A campaign moves draft -> approved -> (sending -> sent, by `tools.campaigns.sending`), or to cancelled.
Every draft and every revision is a numbered, immutable version; approval names one version and
records who approved it and when. Revising after approval creates a new version and withdraws the
approval, so what gets sent is always exactly what a person looked at. Approving is a human-only
tool (`agent=False`): the assistant can draft and revise, never approve.
"""

from __future__ import annotations

import getpass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

from storage import campaigns
from storage import predictions as scores
from storage.campaigns import EDITABLE, CampaignStatus
from storage.db import Database
from storage.errors import UserError
from storage.followups import FollowUp
from storage.segments import active_run_id, require_active_run
from tools.campaigns.brief import Copy, audience_for, brief_for, default_name, outlook_for
from tools.campaigns.copy_points import describe_changes, variants_named
from tools.campaigns.copy_templates import OFFLINE_HINT, tone_of
from tools.campaigns.copywriting import revise_copy, write_copy
from tools.campaigns.followup import FollowUpArgs, FollowUpPlan, follow_up_reach
from tools.campaigns.links import check_link
from tools.campaigns.preview_customer import PreviewCustomer, outside_audience, recommended_for
from tools.campaigns.render import CampaignRenderer, Recipient
from tools.campaigns.sanitise import to_plain
from tools.campaigns.versions import earlier_version
from tools.catalog.audience import pii_visible
from tools.catalog.products import hand_over_to_campaign, resolve_skus
from tools.context import ToolContext
from tools.predict.outlook import OutlookArgs
from tools.registry import Positional, tool
from tools.results import ApprovalRequest, Table, ToolResult


def web_url(url: str | None) -> str | None:
    """A landing page: an http(s) address with a host (no javascript:, no relative path)."""
    if url is not None and (urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname):
        raise ValueError("must be an http(s) URL such as https://shop.example.com/sale")
    return url


class DraftArgs(OutlookArgs, FollowUpArgs):
    segment: int | None = Field(None, description="The segment to write for (its number in the active segmentation).")
    segments: list[int] = Field(default_factory=list, description="Several segments, instead of one.")
    skus: list[str] = Field(
        default_factory=list,
        description="Products to feature (SKUs); default: the shortlist (this chat's own; 'default' at the CLI).",
    )
    variants: int = Field(3, ge=1, le=5, description="How many variants (subject lines) to write, 1-5.")
    tone: str | None = Field(
        None, max_length=60, description="Tone of voice, e.g. friendly, playful, urgent, formal, luxurious."
    )
    name: str | None = Field(None, max_length=120, description="A name for the campaign (default: made up).")
    url: str | None = Field(None, description="Landing page for the main button (default: the shop's home page).")

    _http = field_validator("url")(web_url)


class ReviseArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The campaign to revise.")
    instruction: str = Field(
        min_length=2, max_length=500, description="What to change, e.g. 'make it shorter', 'more playful subject'."
    )
    url: str | None = Field(None, description="A new landing page for the main button (the copy stays as it is).")

    _http = field_validator("url")(web_url)


class PreviewArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The campaign to show.")
    customer: str | None = Field(
        None, description="Show it as this customer would see it: an ID, or a name (first, last or full)."
    )
    version: int | None = Field(None, ge=1, description="Which version (default: the approved one, else the latest).")
    variant: str = Field("A", description="Which variant (A, B, ...).")


class ApproveArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The campaign to approve.")
    version: int | None = Field(
        None, ge=1, description="The version you checked and approve (shown with the preview); default the latest."
    )
    approved_by: str | None = Field(None, max_length=120, description="Who approves (default: your user name).")


class RejectArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The draft to discard.")


class ListArgs(BaseModel):
    status: Literal["draft", "approved", "sending", "paused", "sent", "cancelled"] | None = Field(
        None, description="Only campaigns in this state."
    )


@tool(cli="campaign draft")
def campaign_draft(ctx: ToolContext, args: DraftArgs) -> ToolResult:
    """Write a new email campaign for a segment and products: several variants with different subject lines.

    The copy comes from the model (or from templates without one) using product facts and the
    segment's profile, never customer details. Personal touches (first name, a recommended
    product, the unsubscribe link) are filled in per recipient when sending. The result is
    draft version 1, shown for approval; nothing is sent. A follow-up (`follow_up`: an earlier, sent
    campaign) goes to the people it reached who opened it, did not, clicked or did not (`engagement`);
    who may be emailed is checked again when it is sent.
    """
    check_link(ctx, args.url)
    wanted = sorted({*args.segments, *([args.segment] if args.segment is not None else [])})
    run_id = require_active_run(ctx.db) if wanted else active_run_id(ctx.db)
    audience = audience_for(ctx.db, run_id, wanted)
    follow_up = args.chosen_follow_up()
    plan = FollowUpPlan.prepare(ctx, follow_up, audience) if follow_up else None  # refuses an unsent campaign
    audience = plan.audience if plan else audience
    skus = resolve_skus(ctx, args.skus or (plan.skus if plan else []), None, option="--skus")
    outlook = args.outlook(ctx.db)
    brief = brief_for(ctx.db, skus, audience, args.tone, outlook_for(ctx.db, run_id, wanted, outlook))
    copy = write_copy(ctx, brief, args.variants)
    copy = plan.second_chance(copy) if plan else copy
    called = outlook.words() if outlook and not wanted else ""
    name = args.name or (plan.name() if plan else default_name(audience, brief.products, called))
    kept = (follow_up.campaign_id, follow_up.engagement) if follow_up else None
    with ctx.db.transaction() as con:
        outlook_json = outlook and outlook.to_json()
        campaign_id = campaigns.create(con, to_plain(name), run_id, wanted or None, skus, outlook_json, kept)
        _insert_version(con, campaign_id, 1, copy, None, args.url, skus)
    when = "by the latest prediction" if outlook and outlook.predicted else "counted again"
    when += " when it is sent"
    chosen = f" for customers {outlook.words()} ({when})" if outlook else ""
    headline = f"Drafted campaign {campaign_id} “{to_plain(name)}”{chosen} (version 1)"
    result = _version_result(ctx, campaign_id, 1, copy, headline, audience)
    if follow_up:
        result.summary += " " + follow_up_reach(ctx, campaigns.load(ctx.db, campaign_id))
        result.data |= {"follow_up": follow_up.campaign_id, "engagement": follow_up.engagement}
    result.summary += hand_over_to_campaign(ctx, skus, campaign_id)
    return result


@tool(cli="campaign revise")
def campaign_revise(ctx: ToolContext, args: ReviseArgs) -> ToolResult:
    """Change a campaign's copy as asked ("make it shorter", "more playful subject"): a new draft version.

    Revising an approved campaign withdraws the approval: the new version needs approving again.
    """
    campaign = _editable(ctx.db, args.campaign_id, "revise")
    latest = campaigns.latest_version(ctx.db, args.campaign_id)
    previous = campaigns.load_version(ctx.db, args.campaign_id, latest)
    if args.url is not None:  # "the link should go to …": the same copy, another landing page
        check_link(ctx, args.url)
        if args.url == previous["cta_url"]:
            raise UserError(f"Campaign {args.campaign_id}'s button already links to {args.url}.")
        copy, moved = Copy(campaigns.variants(previous), previous["author"]), {**previous, "cta_url": args.url}
        return _new_version(ctx, campaign, latest + 1, copy, args.instruction, moved, f"the button links to {args.url}")
    skus = list(previous["skus"] or [])
    segments = campaign["segments"] or []
    audience = audience_for(ctx.db, campaign["run_id"], segments, strict=False)
    if follow_up := FollowUp.of(campaign):  # the copy is still written for the people it follows up
        audience = FollowUpPlan.prepare(ctx, follow_up, audience).audience
    outlook = outlook_for(ctx.db, campaign["run_id"], segments, scores.Outlook.from_json(campaign["outlook"]))
    history = campaigns.instructions(ctx.db, args.campaign_id)
    if (earlier := earlier_version(args.instruction, latest, args.campaign_id, history)) is not None:
        older = campaigns.load_version(ctx.db, args.campaign_id, earlier)  # names the latest when it does not exist
        copy, changes = Copy(campaigns.variants(older), older["author"]), f"back to the copy of version {earlier}"
        return _new_version(ctx, campaign, latest + 1, copy, args.instruction, older, changes)
    brief = brief_for(ctx.db, skus, audience, None, outlook)
    current = campaigns.variants(previous)
    copy = revise_copy(ctx, brief, current, args.instruction)
    if named := variants_named(args.instruction, [v["variant"] for v in current]):  # "subject C": the others stay
        kept = [new if new["variant"] in named else old for old, new in zip(current, copy.variants, strict=True)]
        copy = Copy(kept, copy.author, copy.note)
    asked_tone = tone_of(args.instruction) if copy.author == "template" else None  # a model may reword in tone
    changes = describe_changes(current, copy.variants, asked_tone)
    if changes is None:  # an identical version would only look like progress
        raise UserError(
            f"Campaign {args.campaign_id} is unchanged: version {latest} already reads that way, so "
            f"“{args.instruction}” changes nothing.",
            hint=OFFLINE_HINT if copy.author == "template" else "Say what to change in other words.",
        )
    return _new_version(ctx, campaign, latest + 1, copy, args.instruction, previous, changes)


def _new_version(
    ctx: ToolContext, campaign: dict[str, Any], version: int, copy: Copy, instruction: str, base: dict, changes: str
) -> ToolResult:
    """Save a revision as the next version (its link and products those of `base`); any approval is withdrawn."""
    campaign_id = campaign["campaign_id"]
    with ctx.db.transaction() as con:
        _editable(ctx.db, campaign_id, "revise")  # re-checked inside: nobody started sending meanwhile
        _insert_version(con, campaign_id, version, copy, instruction, base["cta_url"], list(base["skus"] or []))
        campaigns.withdraw_approval(con, campaign_id)
    headline = f"Revised campaign {campaign_id} (version {version})"
    withdrawn = campaign["approved_version"] is not None
    return _version_result(ctx, campaign_id, version, copy, headline, withdrawn=withdrawn, changes=changes)


@tool(cli="campaign preview")
def campaign_preview(ctx: ToolContext, args: PreviewArgs) -> ToolResult:
    """Show one rendered email of a campaign: subject, text and HTML, optionally as a given customer sees it.

    The customer may be given by ID or by name ("Anna", "Mr Jones", "Anna Kowalski"); when several share
    the name, the first by ID is shown and the preview says how many share it."""
    campaign = campaigns.load(ctx.db, args.campaign_id)
    renderer = CampaignRenderer.for_preview(ctx, args.campaign_id, args.version)
    variant = args.variant.strip().upper()
    if variant not in renderer.variants:
        raise UserError(
            f"Campaign {args.campaign_id} has no variant {args.variant!r}.",
            hint=f"Its variants are {', '.join(renderer.variants)}.",
        )
    person = PreviewCustomer.find(ctx, args.customer) if args.customer else None
    sku = recommended_for(ctx, args.campaign_id, renderer, person.customer_id) if person else None
    customer_id = person.customer_id if person else "preview"
    named = pii_visible(ctx)
    shown = renderer.preview(Recipient(customer_id, "", person and person.first_name, variant, sku, ""))
    # The model gets the layout, not the person: the same email with the name left out (unless shared).
    told = shown if named else renderer.preview(Recipient(customer_id, "", None, variant, sku, ""))
    who = person.who(named=named) if person else "a typical recipient"
    note = f"{person.note(named=named)} " if person and person.matches > 1 else ""
    state = _state(campaign, renderer.version)
    data: dict[str, Any] = {
        "campaign_id": args.campaign_id,
        "version": renderer.version,
        "variant": variant,
        "status": campaign["status"],
        "subject": told.subject,
        "paragraphs": [p.strip() for p in told.text.split("\n\n") if p.strip()],
        "variants": list(renderer.variants),
    }
    if person:
        data |= {"customer": person.customer_id, "customers_with_that_name": person.matches}
    followed = follow_up_reach(ctx, campaign) if campaign["status"] in EDITABLE else ""
    outside = outside_audience(ctx, campaign, person.customer_id) if person else ""
    return ToolResult(
        summary=f"{note}Campaign {args.campaign_id} version {renderer.version} ({state}), variant {variant} "
        f"as {who} sees it: “{told.subject}”."
        + (f" {outside}" if outside else "")
        + (f" {followed}" if followed else ""),
        data=data,
        approval=ApprovalRequest(
            campaign_id=args.campaign_id,
            version=renderer.version,
            subject=renderer.subject(variant),
            preview_html=shown.html,
            preview_text=shown.text,
            shown_as=(person.note(named=True) or f"Shown as {person.who(named=True)}.") if person else "",
        ),
    )


@tool(cli="campaign list")
def campaign_list(ctx: ToolContext, args: ListArgs) -> ToolResult:
    """List the campaigns: state, latest and approved version, who approved, and how many were sent."""
    df = campaigns.listing(ctx.db, args.status)
    counts = df["status"].value_counts().to_dict() if len(df) else {}
    breakdown = ", ".join(f"{n} {s}" for s, n in counts.items())
    return ToolResult(
        summary=f"{len(df)} campaign{'s' if len(df) != 1 else ''}" + (f": {breakdown}." if breakdown else "."),
        data={"campaigns": len(df), "by_status": counts},
        tables=[Table.from_df("Campaigns", df)],
    )


@tool(cli="campaign approve", agent=False)
def campaign_approve(ctx: ToolContext, args: ApproveArgs) -> ToolResult:
    """Approve one version of a campaign for sending (a person's decision: the assistant cannot do this)."""
    if args.version is None:
        campaigns.load(ctx.db, args.campaign_id)  # a clear error for a campaign that does not exist
        args = args.model_copy(update={"version": campaigns.latest_version(ctx.db, args.campaign_id)})
    campaigns.load_version(ctx.db, args.campaign_id, args.version)  # names the latest version if this one is missing
    who = (args.approved_by or _os_user()).strip() or "marketer"
    with ctx.db.transaction() as con:
        _editable(ctx.db, args.campaign_id, "approve")
        latest = campaigns.latest_version(ctx.db, args.campaign_id)
        campaigns.approve(con, args.campaign_id, args.version, who)
    older = f" (note: version {latest} is newer)" if latest != args.version else ""
    return ToolResult(
        summary=f"Campaign {args.campaign_id} version {args.version} approved by {who}{older}. "
        f"It can now be sent (promopilot campaign send {args.campaign_id}).",
        data={"campaign_id": args.campaign_id, "version": args.version, "approved_by": who, "status": "approved"},
    )


@tool(cli="campaign reject")
def campaign_reject(ctx: ToolContext, args: RejectArgs) -> ToolResult:
    """Discard a draft (or an approved campaign not yet sending): it is cancelled and can no longer be sent.

    Asked for by the assistant, it waits for the person's Confirm: a discarded campaign cannot come back
    ("scrap it" may have meant the last change, not the whole campaign)."""
    campaign = _editable(ctx.db, args.campaign_id, "reject")
    approved = " It is approved, and" if campaign["status"] == CampaignStatus.APPROVED else " It"
    ctx.ask_first(
        f"Discard campaign {args.campaign_id} (“{campaign['name']}”) for good?{approved} could not be sent or "
        "edited afterwards."
    )
    with ctx.db.transaction() as con:
        _editable(ctx.db, args.campaign_id, "reject")
        campaigns.move(con, args.campaign_id, CampaignStatus.CANCELLED)
    return ToolResult(
        summary=f"Campaign {args.campaign_id} was discarded; nothing was sent.",
        data={"campaign_id": args.campaign_id, "status": "cancelled"},
    )


# -- helpers -------------------------------------------------------------------------------------
def _insert_version(
    con: Any, campaign_id: int, version: int, copy: Copy, instruction: str | None, url: str | None, skus: list[str]
) -> None:
    campaigns.add_version(
        con,
        campaign_id,
        version,
        author=copy.author,
        instruction=instruction,
        variants=copy.variants,
        cta_url=url,
        skus=skus,
    )


def _version_result(
    ctx: ToolContext,
    campaign_id: int,
    version: int,
    copy: Copy,
    headline: str,
    audience: list[dict[str, Any]] | None = None,
    *,
    withdrawn: bool = False,
    changes: str | None = None,
) -> ToolResult:
    renderer = CampaignRenderer.for_preview(ctx, campaign_id, version)
    first = renderer.variants[0]
    rendered = renderer.preview(Recipient("preview", "", None, first, None, ""))
    subjects = {label: renderer.subject(label) for label in renderer.variants}
    shown = {label: renderer.subject(label, name_shown=True) for label in renderer.variants}  # "[First name], ..."
    by = "the model" if copy.author == "model" else "templates (no model configured)" if not copy.note else "templates"
    lines = "; ".join(f"{label}: “{s}”" for label, s in shown.items())
    summary = f"{headline}, {len(subjects)} variant{'s' if len(subjects) != 1 else ''} written by {by}: {lines}."
    if changes:  # a revision: what changed first, then the subject lines as they are now
        summary = f"{headline}: {changes}. Subject lines now, written by {by.replace(' (', ', ').rstrip(')')}: {lines}."
    if withdrawn:
        summary += " The approval was withdrawn: approve the new version to send it."
    if copy.note:
        summary += f" {copy.note}"
    table = Table.from_rows(
        "Variants",
        [
            {
                "variant": v["variant"],
                "angle": v.get("angle", ""),
                "subject": shown.get(v["variant"], v["subject"]),
                "preheader": v.get("preheader", ""),
                "button": v["cta_text"],
            }
            for v in copy.variants
        ],
    )
    data = {
        "campaign_id": campaign_id,
        "version": version,
        "status": "draft",
        "author": copy.author,
        "subjects": subjects,
        "note": copy.note,
    }
    if audience is not None:
        data["audience"] = [a["name"] for a in audience]
    return ToolResult(
        summary=summary,
        data=data,
        tables=[table],
        approval=ApprovalRequest(
            campaign_id=campaign_id,
            version=version,
            subject=subjects[first],
            preview_html=rendered.html,
            preview_text=rendered.text,
        ),
    )


def _editable(db: Database, campaign_id: int, action: str) -> dict[str, Any]:
    campaign = campaigns.load(db, campaign_id)
    if campaign["status"] not in EDITABLE:
        raise UserError(
            f"Cannot {action} campaign {campaign_id}: it is {campaign['status']}, so its content is final.",
            hint="Draft a new campaign instead (promopilot campaign draft ...).",
        )
    return campaign


def _state(campaign: dict[str, Any], version: int) -> str:
    if campaign["approved_version"] == version:
        return f"approved by {campaign['approved_by']}"
    return "not approved" if campaign["status"] in EDITABLE else campaign["status"]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "marketer"
