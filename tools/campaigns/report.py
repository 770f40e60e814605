"""How a sent campaign did: delivery, unique opens and clicks, unsubscribes, by variant and by segment.

One SQL pass: each recipient's events are folded into flags (opened, clicked, unsubscribed), then
counted with GROUPING SETS for the whole campaign, each variant and each segment at once. Repeated
opens and clicks by one person count once. A click counts as an open too (the message was read
even if the mail app blocked the pixel), so the click-to-open rate never exceeds 100%. Messages
whose delivery is unconfirmed (status unknown: the connection dropped after the message was handed
over and before the server answered; never resent, to avoid duplicates) are reported apart: "sent"
and every rate count only the sends the server confirmed.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

import pandas as pd
from pydantic import BaseModel, Field

from storage import campaigns
from storage.errors import UserError
from storage.followups import FollowUp
from tools.campaigns.links import campaign_urls
from tools.catalog.audience import describe_exclusions
from tools.context import ToolContext
from tools.registry import Positional, tool
from tools.results import Chart, Table, ToolResult

REPORT_SQL = """
    WITH per_person AS (
        SELECT m.customer_id, m.variant, m.segment, s.name AS segment_name, m.status,
               coalesce(bool_or(e.kind IN ('open', 'click')), false) AS opened,
               coalesce(bool_or(e.kind = 'click'), false) AS clicked,
               coalesce(bool_or(e.kind = 'unsubscribe'), false) AS unsubscribed
        FROM messages m
        LEFT JOIN events e ON e.campaign_id = m.campaign_id AND e.customer_id = m.customer_id
        LEFT JOIN segments s ON s.run_id = $run AND s.segment = m.segment
        WHERE m.campaign_id = $campaign
        GROUP BY ALL
    )
    SELECT CASE WHEN grouping(variant) = 0 THEN 'variant' WHEN grouping(segment) = 0 THEN 'segment'
                ELSE 'total' END AS level,
           variant, segment, any_value(segment_name) AS segment_name,
           count(*) FILTER (WHERE status = 'sent') AS sent,
           count(*) FILTER (WHERE status = 'unknown') AS unconfirmed,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status IN ('skipped', 'cancelled')) AS not_sent,
           count(*) FILTER (WHERE status IN ('queued', 'sending')) AS waiting,
           count(*) FILTER (WHERE opened AND status = 'sent') AS unique_opens,
           count(*) FILTER (WHERE clicked AND status = 'sent') AS unique_clicks,
           count(*) FILTER (WHERE unsubscribed) AS unsubscribes
    FROM per_person
    GROUP BY GROUPING SETS ((), (variant), (segment))
    ORDER BY level DESC, variant, segment
"""
# The shop's other campaigns pooled, for "is that good?": the only yardstick held here (no industry averages,
# which vary by sector and count opens mail apps make on their own). Confirmed sends only, as the rates above.
OTHERS_SQL = """
    WITH per_person AS (
        SELECT m.campaign_id, m.customer_id,
               coalesce(bool_or(e.kind IN ('open', 'click')), false) AS opened,
               coalesce(bool_or(e.kind = 'click'), false) AS clicked,
               coalesce(bool_or(e.kind = 'unsubscribe'), false) AS unsubscribed
        FROM messages m
        LEFT JOIN events e ON e.campaign_id = m.campaign_id AND e.customer_id = m.customer_id
        WHERE m.status = 'sent' AND m.campaign_id <> $campaign
        GROUP BY ALL
    )
    SELECT count(DISTINCT campaign_id) AS campaigns, count(*) AS sent,
           avg(opened::INT) AS open_rate, avg(clicked::INT) AS click_rate, avg(unsubscribed::INT) AS unsubscribe_rate
    FROM per_person
"""


class ReportArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The campaign to report on.")
    who: Literal["opened", "clicked", "unsubscribed", "bounced"] | None = Field(
        None,
        description="Also list the customers who opened, clicked or unsubscribed, or whose address the receiving "
        "server refused at sending (bounced, with its reply) (that table first).",
    )


WHO_KINDS = {"opened": ("open", "click"), "clicked": ("click",), "unsubscribed": ("unsubscribe",)}
WHO_SQL = """
    SELECT e.customer_id, strftime(min(e.occurred_at), '%d %b %Y %H:%M') AS "when", count(*) AS times
    FROM events e JOIN messages m USING (campaign_id, customer_id)
    WHERE e.campaign_id = ? AND e.kind IN (SELECT unnest(?))
    GROUP BY ALL ORDER BY min(e.occurred_at), e.customer_id
"""
# Refused at sending: the server's reply says why, and whether the address is now suppressed (a hard bounce is).
BOUNCED_SQL = """
    SELECT m.customer_id, strftime(m.updated_at, '%d %b %Y %H:%M') AS "when", m.last_reply AS "Server reply",
           coalesce(s.reason, 'not suppressed') AS "Suppressed"
    FROM messages m LEFT JOIN suppressions s ON s.email = lower(m.email)
    WHERE m.campaign_id = ? AND m.status = 'failed' ORDER BY m.updated_at, m.customer_id
"""
SENT_WHEN = "SELECT min(sent_at), max(sent_at) FROM messages WHERE campaign_id = ? AND status = 'sent'"
# Which links were clicked: people (each once per link) and clicks, confirmed sends only, as the rates above.
LINKS_SQL = """
    SELECT e.url, count(DISTINCT e.customer_id) AS people, count(*) AS clicks
    FROM events e JOIN messages m USING (campaign_id, customer_id)
    WHERE e.campaign_id = ? AND e.kind = 'click' AND m.status = 'sent'
    GROUP BY 1 ORDER BY people DESC, clicks DESC, e.url
"""


@tool(cli="report")
def campaign_report(ctx: ToolContext, args: ReportArgs) -> ToolResult:
    """Report how a campaign did: sent, failed and skipped messages, unique opens and open rate, unique
    clicks and click-through rate, click-to-open rate and unsubscribes, overall, by variant and by segment."""
    campaign = campaigns.load(ctx.db, args.campaign_id)
    if not ctx.db.scalar("SELECT count(*) FROM messages WHERE campaign_id = ?", [args.campaign_id]):
        raise UserError(
            f"Campaign {args.campaign_id} has not been sent yet (status: {campaign['status']}).",
            hint=f"Send it first: promopilot campaign send {args.campaign_id}",
        )
    rows = _with_rates(ctx.db.df(REPORT_SQL, {"campaign": args.campaign_id, "run": campaign["run_id"]}))
    excluded = json.loads(
        ctx.db.scalar("SELECT excluded FROM campaign_sends WHERE campaign_id = ?", [args.campaign_id]) or "{}"
    )
    total = rows[rows["level"] == "total"].iloc[0]
    skipped = int(total["not_sent"]) + sum(excluded.values())
    by_variant = rows[rows["level"] == "variant"].drop(columns=["level", "segment", "segment_name"])
    subjects = _subjects(ctx, campaign)
    by_variant.insert(1, "subject", [subjects.get(v, "") for v in by_variant["variant"]])
    by_segment = rows[rows["level"] == "segment"].drop(columns=["level", "variant"])
    by_segment["segment_name"] = by_segment["segment_name"].fillna(by_segment["segment"].map(_segment_label))
    totals = {
        "sent": int(total["sent"]),
        "unconfirmed": int(total["unconfirmed"]),
        "failed": int(total["failed"]),
        "skipped": skipped,
        "waiting": int(total["waiting"]),
        "unique_opens": int(total["unique_opens"]),
        "open_rate": total["open_rate"],
        "unique_clicks": int(total["unique_clicks"]),
        "click_rate": total["click_rate"],
        "click_to_open_rate": total["click_to_open_rate"],
        "unsubscribes": int(total["unsubscribes"]),
    }
    first_sent, last_sent = ctx.db.execute(SENT_WHEN, [args.campaign_id]).fetchone()
    totals |= {"first_sent": first_sent and str(first_sent)[:16], "last_sent": last_sent and str(last_sent)[:16]}
    unconfirmed = (
        f"{totals['unconfirmed']:,} unconfirmed (the connection dropped before the server answered; "
        "not resent to avoid duplicates), "
        if totals["unconfirmed"]
        else ""
    )
    summary = (
        f"Campaign {args.campaign_id} ({campaign['name']}, {campaign['status']}): {totals['sent']:,} sent, "
        f"{unconfirmed}{totals['failed']:,} failed, {skipped:,} skipped; {_pct(totals['open_rate'])} opened, "
        f"{_pct(totals['click_rate'])} clicked ({_pct(totals['click_to_open_rate'])} of openers), "
        f"{totals['unsubscribes']:,} unsubscribed."
    )
    if follow_up := FollowUp.of(campaign):  # who it came from, and who of them was left out
        was = campaigns.load(ctx.db, follow_up.campaign_id)["name"]
        left_out = describe_exclusions(excluded)
        summary += f" It followed up {follow_up.words(was)}"
        summary += f"; left out before sending: {left_out}." if left_out else "."
    people = None
    if args.who:
        if args.who == "bounced":
            people = ctx.db.df(BOUNCED_SQL, [args.campaign_id])
        else:
            people = ctx.db.df(WHO_SQL, [args.campaign_id, list(WHO_KINDS[args.who])])
        n = len(people)
        summary = f"{n:,} customer{'s' if n != 1 else ''} {args.who}. " + summary
    links = _links(ctx, args.campaign_id)
    if len(links):
        top = links.iloc[0]
        summary += f" Most clicked: {top['link']} ({top['people']:,} {'person' if top['people'] == 1 else 'people'})."
    if len(by_variant) > 1 and totals["unique_clicks"]:
        best = by_variant.sort_values("click_rate", ascending=False).iloc[0]
        said = f" (“{best['subject']}”)" if best["subject"] else ""
        summary += f" Variant {best['variant']}{said} has the highest click rate ({_pct(best['click_rate'])})."
    return ToolResult(
        summary=summary,
        data={
            "campaign_id": args.campaign_id,
            "status": campaign["status"],
            **totals,
            "excluded": excluded,
            "by_variant": by_variant.to_dict("records"),
            "by_segment": by_segment.to_dict("records"),
            "other_campaigns": ctx.db.rows(OTHERS_SQL, {"campaign": args.campaign_id})[0],
            "variants_differ": variants_differ(by_variant),
            "links": links.to_dict("records"),
        },
        tables=[
            *([Table.from_df(f"Who {args.who}", people, limit=200)] if people is not None else []),
            Table.from_df("By variant", by_variant),
            *([Table.from_df("Links clicked", links)] if len(links) else []),
            Table.from_df("By segment", by_segment),
            Table.from_rows(
                "Skipped before sending", [{"reason": r, "customers": n} for r, n in excluded.items() if n]
            ),
        ],
        charts=[
            _rates_chart(f"Campaign {args.campaign_id}: rates by variant", by_variant, "variant"),
            _rates_chart(f"Campaign {args.campaign_id}: rates by segment", by_segment, "segment_name"),
        ],
    )


def _links(ctx: ToolContext, campaign_id: int) -> pd.DataFrame:
    """Each clicked link as the marketer knows it: the main button or the product it shows, then its address."""
    clicked = ctx.db.df(LINKS_SQL, [campaign_id])
    version = campaigns.approved_version(ctx.db, campaign_id)
    skus = list(version["skus"] or []) if version else []
    names = dict(ctx.db.execute("SELECT sku, name FROM products WHERE sku IN (SELECT unnest(?))", [skus]).fetchall())
    urls = campaign_urls(ctx.db, ctx.settings, campaign_id)
    said = ["the main button"] + [names.get(sku) or sku for sku in skus]
    known = dict(zip(urls, said, strict=False))
    clicked.insert(0, "link", [known.get(url, url) or "a link not recorded" for url in clicked["url"]])
    return clicked


def variants_differ(by_variant: pd.DataFrame) -> dict[str, float | None]:
    """For "is that difference real?": the chance (p-value, a chi-squared test of independence from scipy) that the
    variants' open and click rates differ this much by luck alone; None where there is nothing to compare."""
    from scipy.stats import chi2_contingency  # here: only a report with variants needs it

    tested: dict[str, float | None] = {}
    sent = by_variant["sent"].astype(int)
    for rate, counted in (("open_rate", "unique_opens"), ("click_rate", "unique_clicks")):
        done = by_variant[counted].astype(int)
        table = [[int(d), int(n - d)] for d, n in zip(done, sent, strict=True) if n > 0]
        usable = len(table) > 1 and sum(d for d, _ in table) > 0 and sum(r for _, r in table) > 0
        tested[rate] = round(float(chi2_contingency(table).pvalue), 4) if usable else None
    return tested


def _subjects(ctx: ToolContext, campaign: dict) -> dict[str, str]:
    """Each variant's subject line as sent (the first name shown as [First name]); none if it cannot be rendered."""
    from tools.campaigns.render import CampaignRenderer

    try:
        renderer = CampaignRenderer.for_preview(ctx, campaign["campaign_id"], campaign["approved_version"])
    except UserError:  # e.g. a product gone from the catalogue since: the figures still stand
        return {}
    return {label: renderer.subject(label, name_shown=True) for label in renderer.variants}


def _with_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Add open, click-through and click-to-open rates (None where the base is zero)."""
    sent = df["sent"].where(df["sent"] > 0)
    opens = df["unique_opens"].where(df["unique_opens"] > 0)
    df["open_rate"] = (df["unique_opens"] / sent).round(4)
    df["click_rate"] = (df["unique_clicks"] / sent).round(4)
    df["click_to_open_rate"] = (df["unique_clicks"] / opens).round(4)
    return df.astype(object).where(df.notna(), None)


def _rates_chart(title: str, df: pd.DataFrame, by: str) -> Chart:
    import plotly.graph_objects as go  # here, not at the top: ~0.6 s that every CLI command would pay

    labels = df[by].astype(str).tolist()  # plain lists: the figure's JSON stays readable by any client
    fig = go.Figure(
        [
            go.Bar(name=name, x=labels, y=(df[column].astype(float).fillna(0) * 100).round(2).tolist())
            for name, column in (
                ("Open rate", "open_rate"),
                ("Click rate", "click_rate"),
                ("Click-to-open", "click_to_open_rate"),
            )
        ]
    )
    fig.update_layout(title=title, barmode="group", yaxis_title="%", xaxis_title=by.replace("_", " "))
    return Chart.from_figure(title, fig)


def _segment_label(segment: object) -> str:
    return "no segment" if segment is None or pd.isna(segment) else f"segment {segment}"


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"
