"""The prediction tools: score every customer's outlook (with an optional check on held-back days), and find
customers by those scores ("high churn risk and predicted value over 200")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, Field

from services.money import format_money
from storage import predictions as store
from storage.db import Database
from storage.errors import UserError
from storage.segments import require_segment
from storage.shop import get_currency
from tools.context import ToolContext
from tools.predict import charts, scoring
from tools.predict.outlook import Risk
from tools.registry import tool
from tools.results import Table, ToolResult


class PredictArgs(BaseModel):
    holdout_days: int | None = Field(
        None,
        ge=30,
        le=365,
        description="Check first: fit on the history up to this many days before its end, predict those days "
        "and compare with what customers actually bought.",
    )
    margin: float = Field(
        1.0, gt=0, le=1, description="Share of revenue kept as profit, for value as profit (1 = value as revenue)."
    )


@tool(cli="predict")
def predict(ctx: ToolContext, args: PredictArgs) -> ToolResult:
    """Predict each customer's next months: who will buy again, how much, and who is slipping away.

    BG/NBD and Gamma-Gamma models fitted to the orders log (one purchase per customer-day, refunds excluded), or
    to the behaviour columns when there is no log. Per customer: expected orders in the next 90 days, the
    probability of still being active, churn risk (the chance of no purchase in 90 days: low under 33%, high
    over 66%), the date by which the next order is more likely than not, and the predicted 12-month value.
    Needs at least 200 customers who bought again and 3 months of history; customers who never ordered get no
    score. With holdout days it first shows how well it predicted the last days of the shop's own history.
    """
    today = datetime.now(UTC).date()
    source, summary, as_of, history_days, note = _history(ctx.db, today)
    check = None
    with ctx.progress.task("Predicting customer value", total=3 if args.holdout_days else 2) as advance:
        if args.holdout_days:
            check = _holdout(ctx.db, source, as_of, history_days, args.holdout_days)
            advance(1)
        scoring.require_enough(summary, history_days, "the orders log" if source == "orders" else "the history")
        models = scoring.fit(summary)
        advance(1)
        scores = scoring.score(models, summary, as_of, args.margin)
        bg, gg = models.purchases, models.spend
        fit = {
            "source": source,
            "as_of": as_of,
            "customers": scores.num_rows,
            "repeat_customers": int(pc.sum(pc.greater(summary.column("x"), 0)).as_py()),
            **{"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b, "p": gg.p, "q": gg.q, "gamma": gg.gamma},
            "log_likelihood": bg.log_likelihood,
            "margin": args.margin,
            "holdout": check,
        }
        fit_id = store.save(ctx.db, fit, scores)
        advance(1)
    bands = store.risk_bands(ctx.db)
    result_charts = [charts.alive_heatmap(store.alive_by_recency_frequency(ctx.db))]
    result_charts.append(charts.value_chart(store.values(ctx.db), args.margin))
    tables = [Table.from_df("Churn risk", bands)]
    if check:
        result_charts.insert(0, charts.holdout_chart(check))
        tables.append(Table.from_rows("Held-back days: predicted and actual", check["by_past_purchases"]))
    return ToolResult(
        summary=" ".join(
            filter(
                None,
                [
                    _summary(fit, bands, scores, get_currency(ctx.db)),
                    _check_summary(check),
                    scoring.spend_note(summary),
                    note,
                ],
            )
        ),
        data={"fit_id": fit_id, **fit, "risk_bands": bands.to_dict("records")},
        tables=tables,
        charts=result_charts,
    )


def _history(db: Database, today: date) -> tuple[str, pa.Table, date, int, str | None]:
    """The purchase summary to fit: from the orders log when there is one, else from behaviour columns."""
    first, last, buyers = store.order_log_span(db)
    if buyers:
        return "orders", store.order_summary(db, last), last, (last - first).days, None
    summary, skipped = store.behaviour_summary(db, today)
    if not summary.num_rows:
        raise UserError(
            "There is no purchase history to predict from: no orders log, and no customers with an order count, "
            "days since their last purchase, average order value and sign-up date.",
            hint="Import an orders log (customer, order, date and amount for every order), then try again.",
        )
    history = int(pc.max(summary.column("T")).as_py())
    note = (
        f"There is no orders log, so this is approximate: made from each customer's {store.BEHAVIOUR_COLUMNS} "
        "(taken as their first purchase), counting each order as a separate day's purchase."
    )
    if skipped:
        who = "1 buyer was" if skipped == 1 else f"{skipped:,} buyers were"
        note += f" {who} left out: quarantined, or with figures that contradict each other."
    return "behaviour", summary, today, history, note


def _holdout(db: Database, source: str, end: date, history_days: int, days: int) -> dict:
    if source != "orders":
        raise UserError(
            "Checking the prediction on held-back days needs an orders log with the date of every purchase; "
            "customer totals do not say when each order happened.",
            hint="Import an orders log, or predict without the check.",
        )
    cutoff = end - timedelta(days=days)
    calibration = store.order_summary(db, cutoff)
    scoring.require_enough(calibration, history_days - days, f"the history before the last {days} days")
    return scoring.holdout(scoring.fit(calibration), calibration, days, cutoff)


def _summary(fit: dict, bands: pd.DataFrame, scores: pa.Table, currency: str) -> str:
    by_band = dict(zip(bands["churn_risk"], bands["customers"], strict=True))
    orders = float(pc.sum(scores.column("orders_90d")).as_py())
    value = float(pc.sum(scores.column("value_12m")).as_py())
    kind = "revenue" if fit["margin"] == 1 else f"profit (at a {fit['margin']:.0%} margin)"
    source = "the orders log" if fit["source"] == "orders" else "customer totals"
    return (
        f"Scored {fit['customers']:,} customers from {source} up to {fit['as_of']:%d %B %Y}. "
        f"Churn risk (chance of no purchase in the next 90 days): high for {by_band.get('high', 0):,} customers "
        f"(over 66%), medium for {by_band.get('medium', 0):,}, low for {by_band.get('low', 0):,} (under 33%). "
        f"Together they are expected to place {orders:,.0f} orders in the next 90 days and bring "
        f"{format_money(value, currency)} in {kind} over 12 months."
    )


def _check_summary(check: dict | None) -> str | None:
    if not check:
        return None
    predicted, actual = check["predicted"], check["actual"]
    gap = (
        f"{abs(predicted - actual) / actual:.0%} {'more' if predicted > actual else 'fewer'} than happened"
        if actual
        else "none happened"
    )
    return (
        f"Checked on the last {check['days']} days, held back: it predicted {predicted:,.0f} purchases by "
        f"{check['customers']:,} customers, and they made {actual:,.0f} ({gap}). "
        f"Per customer it was off by {check['mean_absolute_error']:.2f} purchases on average, against "
        f"{check['naive_mean_absolute_error']:.2f} for simply repeating each customer's past pace."
    )


class FindArgs(BaseModel):
    risk: list[Risk] | None = Field(None, description="Churn-risk bands to keep: low, medium, high.")
    min_value: float | None = Field(
        None, ge=0, description="Keep customers whose predicted 12-month value is over this."
    )
    min_p_active: float | None = Field(
        None, ge=0, le=1, description="Keep customers at least this likely to be active (0-1)."
    )
    due_within_days: int | None = Field(
        None, ge=1, le=365, description="Keep customers whose next order is expected within this many days."
    )
    segment: int | None = Field(None, description="Keep the customers of this segment (active segmentation).")
    sort: Literal["value", "risk", "next_order", "active"] = Field(
        "value", description="Rank by predicted value, churn risk, soonest next order, or probability active."
    )
    top: int = Field(20, ge=1, le=1000, description="How many customers to show.")


@tool(cli="predictions")
def find_predicted_customers(ctx: ToolContext, args: FindArgs) -> ToolResult:
    """Find customers by their predicted outlook, e.g. high churn risk with a predicted value over 200 (win-back), or
    whose next order is due within 30 days (replenishment). Needs a prediction first (predict makes them)."""
    fit = store.latest_fit(ctx.db)
    if fit is None and ctx.actor == "agent":  # not a failure in the chat (no red step): the assistant predicts first
        return ToolResult(
            summary="There are no predictions yet: predict customer value first, then look again.",
            data={"customers": 0, "predictions": False},
        )
    if fit is None:  # a person's `promopilot predictions`: a clear error
        raise UserError(
            "There are no predictions yet.",
            hint="Predict customer value first (promopilot predict, or ask 'who is about to churn?').",
        )
    if args.segment is not None:
        require_segment(ctx.db, args.segment)
    page, count, value = store.find(
        ctx.db,
        risk=args.risk,
        min_value=args.min_value,
        min_p_active=args.min_p_active,
        ordered_within_days=args.due_within_days,
        segment=args.segment,
        sort=store.SORTS[args.sort],
        limit=args.top,
    )
    who = _describe(args)
    shown = f"the top {len(page):,} by {_SORT_WORDS[args.sort]} are listed" if count else "nobody to list"
    money = format_money(value, get_currency(ctx.db))
    return ToolResult(
        summary=f"{count:,} customers{who}; together they are predicted to bring {money} in "
        f"{'revenue' if fit['margin'] == 1 else 'profit'} over the next 12 months, and {shown}. "
        f"Scores as of {fit['as_of']:%d %B %Y}.",
        data={"customers": count, "value_12m": value, "fit_id": fit["fit_id"], "as_of": fit["as_of"]},
        tables=[Table.from_df("Customers by predicted outlook", page, limit=None, total=count)],
    )


_SORT_WORDS = {
    "value": "predicted value",
    "risk": "churn risk",
    "next_order": "soonest next order",
    "active": "probability active",
}


def _describe(args: FindArgs) -> str:
    parts = [f"in segment {args.segment}"] if args.segment is not None else []
    if args.risk:
        parts.append(f"at {' or '.join(args.risk)} churn risk")
    if args.min_value is not None:
        parts.append(f"with a predicted value over {args.min_value:,.0f}")
    if args.min_p_active is not None:
        parts.append(f"at least {args.min_p_active:.0%} likely to be active")
    if args.due_within_days is not None:
        parts.append(f"expected to order within {args.due_within_days} days")
    return (" " + " and ".join(parts)) if parts else " scored"
