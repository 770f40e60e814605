"""Sending a campaign: the tools a marketer (and the assistant) use to send, pause, cancel and test.

A campaign's send is one small state machine (campaigns.status):

    approved --send--> sending --(queue empty)--> sent
                       sending --pause / --limit / server gone--> paused --send--> sending
                       approved | sending | paused --cancel--> cancelled

The first `campaign send` freezes the audience into `messages` (one row per recipient with its
variant and Message-ID) in one transaction; every later `campaign send` resumes from the database
alone. `tools.delivery` does the sending and explains how each message goes out exactly once.
Only an approved campaign is ever sent, whoever asks and whatever the conversation says.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parseaddr
from typing import Annotated, Any

import duckdb
import pandas as pd
from pydantic import BaseModel, Field
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed

from storage.db import Database
from storage.errors import UserError
from tools.audience import EMAIL_PATTERN, EXCLUSION_REASONS, describe_exclusions, eligible_audience
from tools.context import ToolContext
from tools.delivery import Journal, RetryPolicy, RunResult, Sender, recover
from tools.registry import Positional, tool
from tools.render import CampaignRenderer, Recipient, load_campaign, load_version
from tools.results import Table, ToolResult
from tools.transports import DeliveryError, open_transport

CONNECTIONS = 3  # a few reused connections: enough to keep a server busy, few enough to be polite
RETRY = RetryPolicy()
FINAL_STATUSES = ("sent", "failed", "unknown", "skipped", "cancelled")

_active: dict[int, Sender | None] = {}  # campaigns with a send loop running in this process
_active_lock = threading.Lock()

# The frozen recipient list, from the audience relation `audience` (see `_freeze`).
RECIPIENTS_SQL = """
    SELECT $campaign AS campaign_id, customer_id, trim(email) AS email, first_name, segment,
           list_extract($variants, 1 + (md5_number_lower(customer_id || ':' || $campaign::VARCHAR)
                                        % len($variants)::UBIGINT)::INTEGER) AS variant,
           recommended_sku,
           '<pp.' || $campaign::VARCHAR || '.' || replace(gen_random_uuid()::VARCHAR, '-', '') || '@'
               || $domain || '>' AS message_id
    FROM audience"""


class SendArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The campaign to send (or resume).")
    dry_run: bool = Field(False, description="Render every message and count, but send and save nothing.")
    limit: int | None = Field(
        None, ge=1, description="Send at most this many messages now; the rest wait for the next send."
    )
    rate: float | None = Field(None, gt=0, description="Messages per second (default PROMOPILOT_SEND_RATE, 50).")


class CampaignIdArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The campaign.")


class TestSendArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The campaign to send a test copy of.")
    to: str = Field(description="The address that gets the test copy (yours, not a customer's).")
    customer: str | None = Field(None, description="Personalise the copy as this customer ID.")
    variant: str | None = Field(None, description="Which variant (A, B, ...); default the first.")
    version: int | None = Field(None, ge=1, description="Draft version (default: the approved one, else the latest).")


@tool(cli="campaign send")
def campaign_send(ctx: ToolContext, args: SendArgs) -> ToolResult:
    """Send an approved campaign to its audience, or resume one that was paused or interrupted.

    Refuses any campaign a person has not approved. The first send freezes the recipient list
    (suppressed, unsubscribed, invalid and recently emailed customers are skipped and counted);
    sending again resumes where it stopped, and nobody gets a message twice. `dry_run` renders
    everything and sends nothing.
    """
    campaign = load_campaign(ctx.db, args.campaign_id)
    _require_sendable(campaign)
    renderer = CampaignRenderer.for_campaign(ctx, args.campaign_id)  # refuses an unapproved campaign too
    if args.dry_run:
        return _dry_run(ctx, campaign, renderer, args.limit)
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
            queued = _count(ctx.db, args.campaign_id, "queued")
            total = min(queued, args.limit) if args.limit else queued
            with ctx.progress.task(f"Sending campaign {args.campaign_id}", total=total) as advance:
                try:
                    run = sender.run(args.campaign_id, limit=args.limit, advance=advance)
                except BaseException as exc:
                    _finish(ctx.db, args.campaign_id, "paused", f"stopped by an error: {exc!r}")
                    raise
        finally:
            transport.close()
    status = _settle(ctx.db, args.campaign_id, run, args.limit)
    return _send_result(ctx.db, args.campaign_id, status, run, recovered, frozen, transport.label)


@tool(cli="campaign pause")
def campaign_pause(ctx: ToolContext, args: CampaignIdArgs) -> ToolResult:
    """Pause a campaign that is sending: it stops after the current batch. `campaign send` resumes it."""
    campaign = load_campaign(ctx.db, args.campaign_id)
    if campaign["status"] == "paused":
        return ToolResult(summary=f"Campaign {args.campaign_id} is already paused.", data={"status": "paused"})
    if campaign["status"] != "sending":
        raise UserError(
            f"Campaign {args.campaign_id} is {campaign['status']}, not sending, so there is nothing to pause.",
            hint="Only a campaign that is being sent can be paused.",
        )
    _finish(ctx.db, args.campaign_id, "paused", "paused by the user", only_from="sending")
    _halt(args.campaign_id, "paused by the user")
    queued = _count(ctx.db, args.campaign_id, "queued")
    return ToolResult(
        summary=f"Paused campaign {args.campaign_id}: {queued:,} messages wait. "
        f"Resume with `promopilot campaign send {args.campaign_id}`.",
        data={"campaign_id": args.campaign_id, "status": "paused", "queued": queued},
    )


@tool(cli="campaign cancel")
def campaign_cancel(ctx: ToolContext, args: CampaignIdArgs) -> ToolResult:
    """Cancel a campaign for good: messages not yet sent are never sent. Already sent ones stay sent."""
    campaign = load_campaign(ctx.db, args.campaign_id)
    if campaign["status"] in {"sent", "cancelled"}:
        raise UserError(
            f"Campaign {args.campaign_id} is already {campaign['status']}.",
            hint=f"See how it did with `promopilot report {args.campaign_id}`.",
        )
    with _active_lock:
        running = args.campaign_id in _active
    if not running:  # settle what a crashed run left behind before closing the books
        recover(ctx.db, args.campaign_id, Journal.for_campaign(ctx.db, args.campaign_id), resend_safe=False)
    # The status first, then the halt: a halted loop settles by the status it finds, so it must find this one.
    _finish(ctx.db, args.campaign_id, "cancelled", "cancelled by the user")
    if running:
        _halt(args.campaign_id, "cancelled by the user")  # the loop cancels its own queue when it stops
    else:
        _cancel_queue(ctx.db, args.campaign_id)
    counts = _status_counts(ctx.db, args.campaign_id)
    return ToolResult(
        summary=f"Cancelled campaign {args.campaign_id}. {counts.get('sent', 0):,} messages had been sent; "
        f"{counts.get('cancelled', 0) + counts.get('queued', 0):,} will not be.",
        data={"campaign_id": args.campaign_id, "status": "cancelled", "messages": dict(counts)},
    )


@tool(cli="campaign test-send", agent=False)
def campaign_test_send(ctx: ToolContext, args: TestSendArgs) -> ToolResult:
    """Send one copy of a campaign draft to an address of yours, to see it in a real inbox.

    Works before approval. The copy's links go straight to the shop (no tracking) and it is not
    counted in the campaign's report.
    """
    to = args.to.strip()
    if not re.fullmatch(EMAIL_PATTERN, to):
        raise UserError(f"{args.to!r} is not an email address.", hint="Give one address, e.g. --to you@example.com.")
    renderer = CampaignRenderer.for_preview(ctx, args.campaign_id, args.version, tracking=False)
    variant = args.variant or renderer.variants[0]
    if variant not in renderer.variants:
        raise UserError(
            f"Campaign {args.campaign_id} has no variant {variant!r}.",
            hint=f"Its variants are {', '.join(renderer.variants)}.",
        )
    first_name, sku = None, next(iter(renderer.products), None)
    if args.customer:
        found = ctx.db.rows("SELECT first_name FROM customers WHERE customer_id = ?", [args.customer])
        if not found:
            raise UserError(f"There is no customer {args.customer!r}.", hint="Leave out --customer, or check the ID.")
        first_name = found[0]["first_name"]
    domain = _domain(ctx.settings.from_address)
    message_id = f"<pp.test.{uuid.uuid4().hex}@{domain}>"
    payload = renderer.render(Recipient("test-send", to, first_name, variant, sku, message_id))
    transport = open_transport(ctx.settings)
    try:
        connection = transport.connect()
        try:
            reply = connection.send(parseaddr(ctx.settings.from_address)[1], to, payload, message_id, lambda: None)
        finally:
            connection.close()
    except DeliveryError as exc:
        raise UserError(f"The server did not take the test message: {exc.reply}.", hint="Check the address.") from None
    finally:
        transport.close()
    return ToolResult(
        summary=f"Sent a test copy of campaign {args.campaign_id} (version {renderer.version}, variant {variant}) "
        f"to {to} via {transport.label}.",
        data={"campaign_id": args.campaign_id, "to": to, "variant": variant, "reply": reply, "message_id": message_id},
    )


# -- states ------------------------------------------------------------------------------------------
def _require_sendable(campaign: dict[str, Any]) -> None:
    status, cid = campaign["status"], campaign["campaign_id"]
    if status == "sent":
        raise UserError(f"Campaign {cid} has already been sent.", hint=f"See how it did: promopilot report {cid}")
    if status == "cancelled":
        raise UserError(f"Campaign {cid} was cancelled; it cannot be sent.", hint="Draft a new campaign instead.")
    if status not in {"approved", "sending", "paused"} or campaign["approved_version"] is None:
        raise UserError(
            f"Campaign {cid} is not approved, so it cannot be sent (status: {status}).",
            hint=f"A person must approve one version first: preview it (promopilot campaign preview {cid}) "
            f"and approve it in the chat or with `promopilot campaign approve {cid}`.",
        )


def _start(ctx: ToolContext, campaign: dict[str, Any], variants: tuple[str, ...]) -> int:
    """Freeze the recipient list on the first send (returns how many were frozen), then mark 'sending'."""
    cid = campaign["campaign_id"]
    if ctx.db.scalar("SELECT count(*) FROM messages WHERE campaign_id = ?", [cid]):
        _finish(ctx.db, cid, "sending", None)
        return 0
    version = load_version(ctx.db, cid, campaign["approved_version"])
    skus = list(version["skus"] or campaign["skus"] or [])
    audience, excluded = eligible_audience(
        ctx.db,
        run_id=campaign["run_id"],
        segments=campaign["segments"],
        skus=skus,
        frequency_cap_days=ctx.settings.frequency_cap_days,
        unknown_consent=ctx.settings.email_unknown_consent,
    )
    if audience.empty:
        left_out = describe_exclusions(excluded)
        raise UserError(
            f"Campaign {cid} has nobody to send to"
            + (f": every customer in scope was left out ({left_out})." if left_out else "."),
            hint="Target other segments, or wait until the frequency cap allows emailing them again.",
        )
    with ctx.db.transaction() as con:
        con.register("audience", audience)
        con.execute(
            f"INSERT INTO messages (campaign_id, customer_id, email, first_name, segment, variant, recommended_sku,"
            f" message_id) {RECIPIENTS_SQL}",
            _recipient_params(ctx, cid, variants),
        )
        con.unregister("audience")
        con.execute(
            "INSERT INTO campaign_sends (campaign_id, recipients, excluded) VALUES (?, ?, ?)",
            [cid, len(audience), _json(excluded)],
        )
        con.execute("UPDATE campaigns SET status = 'sending', updated_at = now() WHERE campaign_id = ?", [cid])
    return len(audience)


def _settle(db: Database, campaign_id: int, run: RunResult, limit: int | None) -> str:
    """The campaign's status after a run: sent when nothing is left, else paused, unless a person decided."""
    status = db.scalar("SELECT status FROM campaigns WHERE campaign_id = ?", [campaign_id])
    if status == "cancelled":
        _cancel_queue(db, campaign_id)
        return status
    if status not in {"sending", "paused"}:
        return status
    if not _count(db, campaign_id, "queued"):
        _finish(db, campaign_id, "sent", None, only_from=status)
    else:
        reason = run.stopped or (f"sent {limit:,} as asked (--limit)" if limit else "stopped")
        _finish(db, campaign_id, "paused", reason, only_from="sending")
    return db.scalar("SELECT status FROM campaigns WHERE campaign_id = ?", [campaign_id])


@retry(retry=retry_if_exception_type(duckdb.TransactionException), stop=stop_after_attempt(5), wait=wait_fixed(0.05))
def _finish(db: Database, campaign_id: int, status: str, reason: str | None, only_from: str | None = None) -> None:
    """Move the campaign to `status` (retried: a concurrent pause and the send loop may touch the row at once)."""
    with db.transaction() as con:
        con.execute(
            "UPDATE campaigns SET status = ?, updated_at = now()"
            " WHERE campaign_id = ? AND status = coalesce(?, status)",
            [status, campaign_id, only_from],
        )
        con.execute(
            "UPDATE campaign_sends SET last_stop = ?, finished_at = CASE WHEN ? = 'sent' THEN now() END"
            " WHERE campaign_id = ?",
            [reason, status, campaign_id],
        )


def _cancel_queue(db: Database, campaign_id: int) -> None:
    with db.transaction() as con:
        con.execute(
            "UPDATE messages SET status = 'cancelled', last_reply = 'campaign cancelled', updated_at = now()"
            " WHERE campaign_id = ? AND status = 'queued'",
            [campaign_id],
        )


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


# -- dry run and results ---------------------------------------------------------------------------
def _dry_run(ctx: ToolContext, campaign: dict[str, Any], renderer: CampaignRenderer, limit: int | None) -> ToolResult:
    """Render what a send would send now, and count it; nothing is written or sent."""
    cid = campaign["campaign_id"]
    excluded: dict[str, int] = {}
    if ctx.db.scalar("SELECT count(*) FROM messages WHERE campaign_id = ?", [cid]):
        recipients = ctx.db.df(
            "SELECT customer_id, email, first_name, variant, recommended_sku, message_id FROM messages"
            " WHERE campaign_id = ? AND status = 'queued' ORDER BY customer_id",
            [cid],
        )
    else:
        version = load_version(ctx.db, cid, campaign["approved_version"])
        audience, excluded = eligible_audience(
            ctx.db,
            run_id=campaign["run_id"],
            segments=campaign["segments"],
            skus=list(version["skus"] or campaign["skus"] or []),
            frequency_cap_days=ctx.settings.frequency_cap_days,
            unknown_consent=ctx.settings.email_unknown_consent,
        )
        con = ctx.db.con
        con.register("audience", audience)
        try:
            recipients = con.execute(
                f"SELECT customer_id, email, first_name, variant, recommended_sku, message_id FROM ({RECIPIENTS_SQL})",  # noqa: S608
                _recipient_params(ctx, cid, renderer.variants),
            ).df()
        finally:
            con.unregister("audience")
    if limit:
        recipients = recipients.head(limit)
    recipients = recipients.astype(object).where(recipients.notna(), None)  # missing names: None, as when sending
    started, size, failures = time.perf_counter(), 0, Counter()
    with ctx.progress.task(f"Rendering campaign {cid} (dry run)", total=len(recipients)) as advance:
        for row in recipients.itertuples(index=False):
            try:
                size += len(renderer.render(Recipient(*row)))
            except ValueError as exc:
                failures[str(exc)] += 1
            advance(1)
    seconds = time.perf_counter() - started
    variants = recipients["variant"].value_counts().sort_index()
    rendered = len(recipients) - failures.total()
    summary = (
        f"Dry run of campaign {cid}: would send {rendered:,} messages "
        f"({', '.join(f'{v} {n:,}' for v, n in variants.items())}); nothing was sent or saved."
    )
    if sum(excluded.values()):
        summary += f" Left out: {describe_exclusions(excluded)}."
    return ToolResult(
        summary=summary,
        data={
            "campaign_id": cid,
            "dry_run": True,
            "would_send": rendered,
            "unrenderable": failures.total(),
            "excluded": excluded,
            "variants": {str(k): int(v) for k, v in variants.items()},
            "average_bytes": round(size / rendered) if rendered else 0,
            "render_per_second": round(rendered / seconds) if seconds else None,
        },
    )


def _send_result(
    db: Database, campaign_id: int, status: str, run: RunResult, recovered: Counter, frozen: int, via: str
) -> ToolResult:
    counts = _status_counts(db, campaign_id)
    excluded = db.scalar("SELECT excluded FROM campaign_sends WHERE campaign_id = ?", [campaign_id])
    excluded = json.loads(excluded) if excluded else {}
    this_run = ", ".join(f"{n:,} {s}" for s, n in sorted(run.counts.items()) if n and s != "queued") or "nothing"
    summary = f"Campaign {campaign_id} is {status}. This run: {this_run} via {via}."
    if frozen and sum(excluded.values()):  # the list was drawn up in this run: say who was left out
        summary += f" Left out: {describe_exclusions(excluded)}."
    if status == "paused":
        summary += (
            f" {counts.get('queued', 0):,} wait ({run.stopped or 'paused'}); `campaign send {campaign_id}` resumes."
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
    failures = db.df(
        "SELECT customer_id, email, status, attempts, last_reply FROM messages"
        " WHERE campaign_id = ? AND status IN ('failed', 'unknown') ORDER BY customer_id LIMIT 20",
        [campaign_id],
    )
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
            "transport": via,
        },
        tables=tables,
    )


# -- small helpers ----------------------------------------------------------------------------------
def _status_counts(db: Database, campaign_id: int) -> Counter[str]:
    rows = db.execute("SELECT status, count(*) FROM messages WHERE campaign_id = ? GROUP BY 1", [campaign_id])
    return Counter(dict(rows.fetchall()))


def _count(db: Database, campaign_id: int, status: str) -> int:
    return db.scalar("SELECT count(*) FROM messages WHERE campaign_id = ? AND status = ?", [campaign_id, status])


def _recipient_params(ctx: ToolContext, campaign_id: int, variants: tuple[str, ...]) -> dict[str, Any]:
    return {"campaign": campaign_id, "variants": list(variants) or ["A"], "domain": _domain(ctx.settings.from_address)}


def _domain(from_address: str) -> str:
    return parseaddr(from_address)[1].rpartition("@")[2] or "promopilot.invalid"


def _json(counts: dict[str, int]) -> str:
    return json.dumps({reason: int(counts.get(reason, 0)) for reason in [*EXCLUSION_REASONS, *counts]})
