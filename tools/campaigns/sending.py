"""Sending a campaign: the tools a marketer (and the assistant) use to send, pause and cancel.

A campaign's send is one small state machine (campaigns.status):

    approved --send--> sending --(queue empty)--> sent
                       sending --pause / --limit / server gone--> paused --send--> sending
                       approved | sending | paused --cancel--> cancelled

The first `campaign send` freezes the audience into `messages` (one row per recipient with its
variant and Message-ID) in one transaction; every later `campaign send` resumes from the database
alone. `tools.campaigns.delivery` does the sending and explains how each message goes out exactly once.
Only an approved campaign is ever sent, whoever asks and whatever the conversation says. A test copy to
the marketer's own inbox is `tools.campaigns.test_copy`.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parseaddr
from typing import Annotated, Any

import pandas as pd
from pydantic import BaseModel, Field

from storage import campaigns, messages
from storage.campaigns import SENDABLE, CampaignStatus
from storage.db import Database
from storage.errors import UserError
from storage.messages import FINAL_STATUSES
from tools.campaigns.delivery import Journal, RetryPolicy, RunResult, Sender, recover
from tools.campaigns.dry_run import dry_run
from tools.campaigns.render import CampaignRenderer
from tools.campaigns.transports import Transport, open_transport
from tools.catalog.audience import EXCLUSION_REASONS, campaign_audience, describe_exclusions
from tools.context import ToolContext
from tools.registry import Positional, tool
from tools.results import Table, ToolResult

PAUSED = CampaignStatus.PAUSED
CONNECTIONS = 3  # a few reused connections: enough to keep a server busy, few enough to be polite
RETRY = RetryPolicy()

_active: dict[int, Sender | None] = {}  # campaigns with a send loop running in this process
_active_lock = threading.Lock()


class SendArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The campaign to send (or resume).")
    dry_run: bool = Field(False, description="Render every message and count, but send and save nothing.")
    limit: int | None = Field(
        None, ge=1, description="Send at most this many messages now; the rest wait for the next send."
    )
    rate: float | None = Field(None, gt=0, description="Messages per second (default PROMOPILOT_SEND_RATE, 50).")


class CampaignIdArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The campaign.")


@tool(cli="campaign send")
def campaign_send(ctx: ToolContext, args: SendArgs) -> ToolResult:
    """Send an approved campaign to its audience, or resume one that was paused or interrupted.

    Refuses any campaign a person has not approved. The first send freezes the recipient list
    (suppressed, unsubscribed, invalid and recently emailed customers are skipped and counted);
    sending again resumes where it stopped, and nobody gets a message twice. `dry_run` renders
    everything and sends nothing. Asked for by the assistant, a real send waits for the person's
    Confirm, which says to how many customers it goes.
    """
    campaign = campaigns.load(ctx.db, args.campaign_id)
    _require_sendable(campaign)
    renderer = CampaignRenderer.for_campaign(ctx, args.campaign_id)  # refuses an unapproved campaign too
    if args.dry_run:
        return dry_run(ctx, campaign, renderer, args.limit)
    question = _send_question(ctx, campaign, args.limit)
    if question:  # asked from the chat: a person confirms first (the CLI's command is the person's own)
        ctx.ask_first(question)
    rate = args.rate or (ctx.settings.send_rate if ctx.settings.send_rate > 0 else None)
    with _exclusive(args.campaign_id):
        transport = open_transport(ctx.settings)
        try:
            first = transport.connect()  # unreachable or refused: a UserError before anything changes
            journal = Journal.for_campaign(ctx.db, args.campaign_id)
            recovered = recover(ctx.db, args.campaign_id, journal, transport.resend_safe)
            frozen = _start(ctx, campaign, renderer.variants)
            sender = Sender(
                ctx.db,
                transport,
                renderer.render,
                envelope_from=parseaddr(ctx.settings.from_address)[1],
                journal=journal,
                rate=rate,
                connections=CONNECTIONS,
                retry=RETRY,
                first_connection=first,
            )
            with _active_lock:
                _active[args.campaign_id] = sender
            queued = messages.count(ctx.db, args.campaign_id, "queued")
            total = min(queued, args.limit) if args.limit else queued
            with ctx.progress.task(f"Sending campaign {args.campaign_id}", total=total) as advance:
                try:
                    run = sender.run(args.campaign_id, limit=args.limit, advance=advance)
                except BaseException as exc:
                    campaigns.settle_send(ctx.db, args.campaign_id, PAUSED, f"stopped by an error: {exc!r}")
                    raise
        finally:
            transport.close()
    status = _settle(ctx.db, args.campaign_id, run, args.limit)
    return _send_result(ctx.db, args.campaign_id, status, run, recovered, frozen, transport)


@tool(cli="campaign pause")
def campaign_pause(ctx: ToolContext, args: CampaignIdArgs) -> ToolResult:
    """Pause a campaign that is sending: it stops after the current batch. `campaign send` resumes it."""
    campaign = campaigns.load(ctx.db, args.campaign_id)
    if campaign["status"] == "paused":
        return ToolResult(summary=f"Campaign {args.campaign_id} is already paused.", data={"status": "paused"})
    if campaign["status"] != "sending":
        raise UserError(
            f"Campaign {args.campaign_id} is {campaign['status']}, not sending, so there is nothing to pause.",
            hint="Only a campaign that is being sent can be paused.",
        )
    campaigns.settle_send(ctx.db, args.campaign_id, PAUSED, "paused by the user", (CampaignStatus.SENDING,))
    _halt(args.campaign_id, "paused by the user")
    queued = messages.count(ctx.db, args.campaign_id, "queued")
    return ToolResult(
        summary=f"Paused campaign {args.campaign_id}: {queued:,} messages wait. "
        f"Resume with `promopilot campaign send {args.campaign_id}`.",
        data={"campaign_id": args.campaign_id, "status": "paused", "queued": queued},
    )


@tool(cli="campaign cancel", confirm=True)
def campaign_cancel(ctx: ToolContext, args: CampaignIdArgs) -> ToolResult:
    """Cancel a campaign for good: messages not yet sent are never sent. Already sent ones stay sent.

    An approved or started campaign is only cancelled once a person confirms."""
    campaign = campaigns.load(ctx.db, args.campaign_id)
    if campaign["status"] in {"sent", "cancelled"}:
        raise UserError(
            f"Campaign {args.campaign_id} is already {campaign['status']}.",
            hint=f"See how it did with `promopilot report {args.campaign_id}`.",
        )
    if campaign["status"] != "draft":  # an approved or started campaign: a person decides to drop it
        queued = messages.count(ctx.db, args.campaign_id, "queued")
        unsent = f"{queued:,} messages not yet sent would never be" if queued else "approved, it could never be sent"
        ctx.confirm("cancel", [f"campaign {args.campaign_id} for good ({unsent})"])
    with _active_lock:
        running = args.campaign_id in _active
    if not running:  # settle what a crashed run left behind before closing the books
        recover(ctx.db, args.campaign_id, Journal.for_campaign(ctx.db, args.campaign_id), resend_safe=False)
    # The status first, then the halt: a halted loop settles by the status it finds, so it must find this one.
    campaigns.settle_send(ctx.db, args.campaign_id, CampaignStatus.CANCELLED, "cancelled by the user")
    if running:
        _halt(args.campaign_id, "cancelled by the user")  # the loop cancels its own queue when it stops
    else:
        messages.cancel_queued(ctx.db, args.campaign_id)
    counts = messages.counts(ctx.db, args.campaign_id)
    sent, unsent = counts.get("sent", 0), counts.get("cancelled", 0) + counts.get("queued", 0)
    was = "a draft" if campaign["status"] == "draft" else "approved" if not counts else None
    return ToolResult(
        summary=f"Cancelled campaign {args.campaign_id} ({was}; nothing had been sent)."
        if was and not sent
        else f"Cancelled campaign {args.campaign_id}. {sent:,} messages had been sent; {unsent:,} will not be.",
        data={"campaign_id": args.campaign_id, "status": "cancelled", "messages": dict(counts)},
    )


# -- states ------------------------------------------------------------------------------------------
def _require_sendable(campaign: dict[str, Any]) -> None:
    status, cid = campaign["status"], campaign["campaign_id"]
    if status == "sent":
        raise UserError(f"Campaign {cid} has already been sent.", hint=f"See how it did: promopilot report {cid}")
    if status == "cancelled":
        raise UserError(f"Campaign {cid} was cancelled; it cannot be sent.", hint="Draft a new campaign instead.")
    if status not in SENDABLE or campaign["approved_version"] is None:
        raise UserError(
            f"Campaign {cid} is not approved, so it cannot be sent (status: {status}).",
            hint=f"A person must approve one version first: preview it (promopilot campaign preview {cid}) "
            f"and approve it in the chat or with `promopilot campaign approve {cid}`.",
        )


def _send_question(ctx: ToolContext, campaign: dict[str, Any], limit: int | None) -> str | None:
    """What a send would do now, as a question for the person ("Send campaign 3 (“Spring coats”) to 1,234
    customers now?"); None when it would send nobody. Counts without rendering: the audience on a first
    send, the messages still to go when resuming."""
    cid, name = campaign["campaign_id"], campaign.get("name")
    called = f"campaign {cid}" + (f" (“{name}”)" if name else "")
    counts = messages.counts(ctx.db, cid)
    if counts:
        to_go = sum(n for status, n in counts.items() if status not in FINAL_STATUSES)
    else:
        audience, _ = campaign_audience(
            ctx.db, campaign, ctx.settings.frequency_cap_days, ctx.settings.email_unknown_consent
        )
        to_go = len(audience)
    if not to_go:
        return None  # nothing goes out: the send itself says why
    customers = f"{to_go:,} customer{'s' if to_go != 1 else ''}"
    some = f"{limit:,} of " if limit and limit < to_go else ""  # --limit: this many now, the rest later
    if counts:
        return f"Resume {called} now? It goes to {some}the {customers} still to go."
    return f"Send {called} to {some and some + 'its '}{customers} now?"


def _start(ctx: ToolContext, campaign: dict[str, Any], variants: tuple[str, ...]) -> int:
    """Freeze the recipient list on the first send (returns how many were frozen), then mark 'sending'."""
    cid = campaign["campaign_id"]
    if messages.count(ctx.db, cid):
        campaigns.settle_send(ctx.db, cid, CampaignStatus.SENDING, None)
        return 0
    audience, excluded = campaign_audience(
        ctx.db, campaign, ctx.settings.frequency_cap_days, ctx.settings.email_unknown_consent
    )
    if audience.empty:
        left_out = describe_exclusions(excluded)
        raise UserError(
            f"Campaign {cid} has nobody to send to"
            + (f": every customer in scope was left out ({left_out})." if left_out else "."),
            hint="Target other segments, or wait until the frequency cap allows emailing them again.",
        )
    with ctx.db.transaction() as con:
        messages.freeze(con, cid, audience, variants, ctx.settings.message_domain, _json(excluded))
        campaigns.move(con, cid, CampaignStatus.SENDING)
    return len(audience)


def _settle(db: Database, campaign_id: int, run: RunResult, limit: int | None) -> str:
    """The campaign's status after a run: sent when nothing is left, else paused, unless a person decided."""
    status = campaigns.status(db, campaign_id)
    if status == CampaignStatus.CANCELLED:
        messages.cancel_queued(db, campaign_id)
        return status
    if status not in (CampaignStatus.SENDING, CampaignStatus.PAUSED):
        return status
    if not messages.count(db, campaign_id, "queued"):
        campaigns.settle_send(db, campaign_id, CampaignStatus.SENT, None, (status,))
    else:
        reason = run.stopped or (f"sent {limit:,} as asked (--limit)" if limit else "stopped")
        campaigns.settle_send(db, campaign_id, CampaignStatus.PAUSED, reason, (CampaignStatus.SENDING,))
    return campaigns.status(db, campaign_id)


@contextmanager
def _exclusive(campaign_id: int) -> Iterator[None]:
    with _active_lock:
        if campaign_id in _active:
            raise UserError(
                f"Campaign {campaign_id} is already being sent.",
                hint=f"Wait for it, or pause it with `promopilot campaign pause {campaign_id}`.",
            )
        _active[campaign_id] = None
    try:
        yield
    finally:
        with _active_lock:
            _active.pop(campaign_id, None)


def _halt(campaign_id: int, reason: str) -> bool:
    """Tell a send loop running in this process to stop after the messages in flight; False if none runs."""
    with _active_lock:
        if campaign_id not in _active:
            return False
        sender = _active[campaign_id]
    if sender is not None:
        sender.halt(reason)
    return True


# -- results ---------------------------------------------------------------------------
def _send_result(
    db: Database, campaign_id: int, status: str, run: RunResult, recovered: Counter, frozen: int, via: Transport
) -> ToolResult:
    counts = messages.counts(db, campaign_id)
    excluded = campaigns.excluded_at_send(db, campaign_id)
    this_run = ", ".join(f"{n:,} {s}" for s, n in sorted(run.counts.items()) if n and s != "queued") or "nothing"
    summary = f"Campaign {campaign_id} is {status}. This run: {this_run} via {via.words}."
    if frozen and sum(excluded.values()):  # the list was drawn up in this run: say who was left out
        summary += f" Left out: {describe_exclusions(excluded)}."
    if status == "paused":
        summary += (
            f" {counts.get('queued', 0):,} wait ({run.stopped or 'paused'}). "
            f"Resume with `promopilot campaign send {campaign_id}`."
        )
    if counts.get("unknown"):
        summary += (
            f" {counts['unknown']:,} were in flight when a send was interrupted and were not resent,"
            " to avoid duplicates (status unknown)."
        )
    if counts.get("failed"):
        summary += f" {counts['failed']:,} failed (see the reply per message)."
    table = pd.DataFrame(
        [(s, counts.get(s, 0)) for s in ("queued", *FINAL_STATUSES) if counts.get(s, 0)], columns=["status", "messages"]
    )
    failures = messages.undelivered(db, campaign_id)
    tables = [Table.from_df("Messages by status", table)]
    if not failures.empty:
        tables.append(
            Table.from_df("Not delivered", failures, total=counts.get("failed", 0) + counts.get("unknown", 0))
        )
    return ToolResult(
        summary=summary,
        data={
            "campaign_id": campaign_id,
            "status": status,
            "this_run": dict(run.counts),
            "messages": dict(counts),
            "excluded": excluded,
            "frozen_now": frozen,
            "recovered": dict(recovered),
            "stopped": run.stopped,
            "seconds": round(run.seconds, 2),
            "per_second": round(run.counts.get("sent", 0) / run.seconds, 1) if run.seconds else None,
            "transport": via.label,
        },
        tables=tables,
    )


# -- small helpers ----------------------------------------------------------------------------------
def _json(counts: dict[str, int]) -> str:
    return json.dumps({reason: int(counts.get(reason, 0)) for reason in [*EXCLUSION_REASONS, *counts]})
