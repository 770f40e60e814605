"""A dry run of a send: render every message that would go out now, and count; nothing is written or sent."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from storage import messages
from tools.campaigns.render import CampaignRenderer, Recipient
from tools.catalog.audience import campaign_audience, describe_exclusions
from tools.context import ToolContext
from tools.results import ToolResult


def dry_run(ctx: ToolContext, campaign: dict[str, Any], renderer: CampaignRenderer, limit: int | None) -> ToolResult:
    """Render what a send would send now, and count it; nothing is written or sent."""
    cid = campaign["campaign_id"]
    excluded: dict[str, int] = {}
    if messages.count(ctx.db, cid):
        recipients = messages.queued(ctx.db, cid)
    else:
        audience, excluded = campaign_audience(
            ctx.db, campaign, ctx.settings.frequency_cap_days, ctx.settings.email_unknown_consent
        )
        recipients = messages.would_freeze(ctx.db, cid, audience, renderer.variants, ctx.settings.message_domain)
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
