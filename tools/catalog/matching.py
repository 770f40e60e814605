"""Which segments, and which customers, fit a product: the seed's `select_best_segment`, made explainable.

Both tools use the one fit score of `tools.catalog.audience` (COMPONENT_SQL). A segment's fit is the
average fit of its members, component by component, computed in one GROUP BY, so a segment
ranking and a customer ranking can never disagree about what "fits" means. With a model, the
model may re-rank the segments and explain, seeing only those aggregates; without one (or if it
fails) the deterministic ranking stands and the result says so.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from services.llm import ModelUnavailable
from services.money import format_money
from storage.customers import require_customers
from storage.db import Database
from storage.errors import UserError
from storage.segments import active_run_id, require_active_run
from storage.shop import get_currency
from tools.catalog.audience import (
    BOUGHT_JOIN,
    COMPONENTS_SELECT,
    FEATURE_COLUMNS,
    FEATURE_JOINS,
    PRODUCT_SQL,
    SCORE_SQL,
    WEIGHTS,
    describe_exclusions,
    pii_visible,
    require_products,
    scored_audience,
)
from tools.catalog.products import resolve_skus
from tools.context import ToolContext
from tools.predict.outlook import OutlookArgs
from tools.registry import tool
from tools.results import Chart, Table, ToolResult

RANK_WORDS = {"fit": "fit", "value": "predicted 12-month value", "risk": "churn risk"}
LABELS = {
    "category_fit": "category",
    "price_fit": "price",
    "brand_fit": "brand",
    "tier_fit": "brand tier",
    "discount_fit": "discount",
}


class MatchArgs(OutlookArgs):
    product: list[str] = Field(default_factory=list, description="Product SKU to match (none = the shortlist).")
    shortlist: str | None = Field(None, description="Use this shortlist's products when no SKU is given.")
    run_id: int | None = Field(None, description="Segmentation run to use (default: the active one).")
    use_model: bool = Field(True, description="Let the AI model re-rank and explain (from aggregates only).")
    customers: bool = Field(False, description="Rank individual customers instead of segments (see match-customers).")
    top: int = Field(20, ge=1, le=10_000, description="With --customers: how many best-fitting customers to list.")
    rank_by: Literal["fit", "value", "risk"] = Field(
        "fit", description="With --customers: rank by product fit, predicted value or churn risk."
    )


class SegmentPick(BaseModel):
    segment: int
    reason: str = Field(description="One plain sentence for a marketer, grounded in the figures given.")


class ProductAdvice(BaseModel):
    sku: str
    segments: list[SegmentPick] = Field(description="Segments best first; may be a subset.")


class MatchAdvice(BaseModel):
    products: list[ProductAdvice]


def segment_fit(db: Database, run_id: int, skus: list[str], segment: int | None = None) -> pd.DataFrame:
    """Per product and segment (or one segment): members, mean fit score and components, and the figures behind them."""
    averages = ", ".join(f"avg({name}) AS {name}" for name in WEIGHTS)
    sql = f"""
        WITH f AS (SELECT customer_id, segment FROM segment_members
                   WHERE run_id = $run_id AND ($segment::INTEGER IS NULL OR segment = $segment)),
        c AS (SELECT f.customer_id, f.segment, {FEATURE_COLUMNS} FROM f {FEATURE_JOINS}),
        parts AS (
            SELECT c.segment, p.sku, p.pos, {COMPONENTS_SELECT}, bought.sku IS NOT NULL AS bought_product,
                   list_contains(coalesce(c.preferred_categories, []), p.category) AS likes_category,
                   list_contains(coalesce(c.categories_bought, []), p.category) AS bought_category,
                   list_contains(coalesce(c.preferred_brands, []), p.brand) AS likes_brand,
                   c.luxury_affinity, c.discount_sensitivity, c.price_range_min, c.price_range_max
            FROM c CROSS JOIN ({PRODUCT_SQL}) p {BOUGHT_JOIN}
        )
        SELECT x.sku, x.segment, s.name, x.members, x.score, x.* EXCLUDE (sku, segment, members, score, pos)
        FROM (
            SELECT sku, segment, any_value(pos) AS pos, count(*) AS members, avg({SCORE_SQL}) AS score, {averages},
                   avg(likes_category::INT) AS share_likes_category,
                   avg(bought_category::INT) AS share_bought_category, avg(likes_brand::INT) AS share_likes_brand,
                   avg(bought_product::INT) AS share_bought_product,
                   avg((price_fit = 1)::INT) AS share_in_price_range, avg(luxury_affinity) AS luxury_affinity,
                   avg(discount_sensitivity) AS discount_sensitivity,
                   median(price_range_min) AS typical_price_min, median(price_range_max) AS typical_price_max
            FROM parts GROUP BY sku, segment
        ) x LEFT JOIN segments s ON s.run_id = $run_id AND s.segment = x.segment
        ORDER BY x.pos, x.score DESC, x.segment"""  # noqa: S608 - fixed fragments, bound values
    return db.df(sql, {"run_id": run_id, "skus": skus, "segment": segment})


def product_label(by_sku: pd.DataFrame, sku: str) -> str:
    """A product as a marketer knows it: its name, with the SKU for the record."""
    name = by_sku.loc[sku, "name"] if "name" in by_sku.columns else None
    return f"{name} ({sku})" if isinstance(name, str) and name.strip() else sku


def fit_reason(row: Any, product: Any, currency: str) -> str:
    """A plain sentence from the aggregates: the strongest reasons for, and the weakest point."""
    bought = [f"{row.share_bought_product:.0%} bought this product before"] if row.share_bought_product else []
    if row.share_bought_category and isinstance(product.category, str):
        bought.append(f"{row.share_bought_category:.0%} bought {product.category} before")
    likes = [f"{row.share_likes_category:.0%} favour {product.category}"] if row.share_likes_category else []
    facts = {
        "category_fit": " and ".join([*bought, *likes]) or f"few favour or bought {product.category or 'it'}",
        "price_fit": f"{row.share_in_price_range:.0%} usually pay around {format_money(product.price, currency)}",
        "brand_fit": f"{row.share_likes_brand:.0%} name {product.brand} a favourite brand",
        "tier_fit": f"a {product.brand_tier} brand suits their luxury affinity of {row.luxury_affinity:.2f}",
        "discount_fit": f"their discount appetite ({row.discount_sensitivity:.2f}) fits the margin room",
    }
    if pd.isna(row.luxury_affinity):
        facts["tier_fit"] = "no luxury affinity known"
    if pd.isna(row.discount_sensitivity):
        facts["discount_fit"] = "no discount sensitivity known"
    gained = sorted(WEIGHTS, key=lambda name: WEIGHTS[name] * getattr(row, name), reverse=True)
    strong = [facts[n] for n in gained[:2] if getattr(row, n) >= 0.5]
    if row.share_bought_product and facts["category_fit"] not in strong:  # purchase history always speaks
        strong.insert(0, facts["category_fit"])
    weak = max(WEIGHTS, key=lambda name: WEIGHTS[name] * (1 - getattr(row, name)))  # costs the most
    level = "Strong" if row.score >= 0.6 else "Fair" if row.score >= 0.4 else "Weak"
    text = f"{level} fit ({row.score:.2f})" + (": " + "; ".join(strong) if strong else "")
    if getattr(row, weak) < 0.5:
        text += f". Held back by {LABELS[weak]} ({getattr(row, weak):.2f})"
    return text + "."


def _ask_model(ctx: ToolContext, fit: pd.DataFrame, products: pd.DataFrame) -> MatchAdvice:
    """The model's ranking from aggregates only (no customer rows), validated against the segments."""
    figures = fit.drop(columns=["reason"]).round(3).to_dict("records")
    catalogue = products[["sku", "name", "category", "brand", "brand_tier", "price", "margin"]].to_dict("records")
    advice = ctx.llm.ask(
        "You are a retail marketing analyst. Rank the customer segments for each product, best first, "
        "using only the aggregate figures given (fit components are 0..1 averages over members; the score is "
        f"their weighted sum with weights {WEIGHTS}). Give each a one-sentence reason a marketer understands.",
        f"Products: {catalogue}\nSegment figures: {figures}",
        MatchAdvice,
    )
    known = {sku: set(group["segment"]) for sku, group in fit.groupby("sku")}
    for item in advice.products:
        picks = [p.segment for p in item.segments]
        if item.sku not in known or not set(picks) <= known[item.sku] or len(set(picks)) != len(picks):
            raise ModelUnavailable(f"the model's ranking names unknown segments or products: {item.sku} {picks}")
    return advice


def _apply_advice(fit: pd.DataFrame, advice: MatchAdvice) -> pd.DataFrame:
    """Model-ranked segments first (with the model's reason), the rest after in deterministic order."""
    fit = fit.assign(model_rank=len(fit), model_reason=None)
    for item in advice.products:
        for rank, pick in enumerate(item.segments):
            at = (fit["sku"] == item.sku) & (fit["segment"] == pick.segment)
            fit.loc[at, "model_rank"] = rank
            fit.loc[at, "model_reason"] = pick.reason
    fit["reason"] = fit["model_reason"].fillna(fit["reason"])
    order = fit.reset_index(drop=True).reset_index().sort_values(["sku", "model_rank", "index"], kind="stable")
    return order.drop(columns=["index", "model_rank", "model_reason"])


def _chart(fit: pd.DataFrame, sku: str) -> Chart:
    import plotly.graph_objects as go  # here, not at the top: ~0.6 s that every CLI command would pay

    rows = fit[fit["sku"] == sku]
    labels = [
        f"{s}: {n}" if isinstance(n, str) else f"Segment {s}"
        for s, n in zip(rows["segment"], rows["name"], strict=True)
    ]
    fig = go.Figure(
        [go.Bar(name=LABELS[c], x=labels, y=rows[c] * WEIGHTS[c]) for c in WEIGHTS],
        layout={"barmode": "stack", "yaxis": {"title": "fit score", "range": [0, 1]}},
    )
    return Chart.from_figure(f"Segment fit for {sku}", fig)


@tool(cli="match")
def match_segments(ctx: ToolContext, args: MatchArgs) -> ToolResult:
    """Which customer segments fit a product best: every segment scored, with the score broken down and a reason.

    Scores category and brand affinity, price fit, brand tier vs luxury affinity, and discount
    appetite vs the product's margin room, averaged over each segment's members. Uses the
    shortlist when no SKU is given. With `customers` it ranks individual customers instead: the same
    as rank_customers (match-customers), which the agent should prefer.
    """
    if args.customers:
        if args.run_id is not None:
            raise UserError(
                "--run-id picks the segments to score; customers are ranked with the active segmentation.",
                hint="Leave out --run-id, or drop --customers to score the segments of that run.",
            )
        return rank_customers(ctx, RankArgs(**args.model_dump(include=set(RankArgs.model_fields))))
    if args.outlook(ctx.db) or args.rank_by != "fit":
        raise UserError(
            "Choosing or ranking by predicted outlook works on individual customers, not on segments.",
            hint="Add --customers to rank the customers themselves.",
        )
    run_id = args.run_id if args.run_id is not None else require_active_run(ctx.db)
    if not ctx.db.scalar("SELECT count(*) FROM segment_members WHERE run_id = ?", [run_id]):
        raise UserError(
            f"Segmentation run {run_id} has no members.",
            hint="Use the active run (leave out --run-id) or segment the customers again (promopilot segment run).",
        )
    skus = resolve_skus(ctx, args.product, args.shortlist)
    products = require_products(ctx.db, skus)
    fit = segment_fit(ctx.db, run_id, skus)
    by_sku = products.set_index("sku")
    currency = get_currency(ctx.db)
    fit["reason"] = [fit_reason(row, by_sku.loc[row.sku], currency) for row in fit.itertuples()]  # one per segment

    ranked_by, note = "rules", "Ranked by rules from each segment's buying (no AI model is set up)."
    if ctx.llm is not None and args.use_model:
        try:
            fit = _apply_advice(fit, _ask_model(ctx, fit, products))
            ranked_by, note = "model", "Re-ranked and explained by the AI model from segment aggregates."
        except ModelUnavailable as exc:
            note = f"Ranked by rules: the AI model was unavailable ({str(exc)[:120]})."
    elif ctx.llm is not None:
        note = "Ranked by rules (AI re-ranking is switched off)."
    fit["rank"] = fit.groupby("sku").cumcount() + 1

    shown = ["rank", "segment", "name", "members", "score", *WEIGHTS, "reason"]
    tables = [Table.from_df(f"Segments for {sku}", fit.loc[fit["sku"] == sku, shown].round(3)) for sku in skus]
    best = fit[fit["rank"] == 1].set_index("sku")
    lines = [
        f"{product_label(by_sku, sku)}: segment {int(best.loc[sku, 'segment'])}"
        + (f" ({best.loc[sku, 'name']})" if isinstance(best.loc[sku, "name"], str) else "")
        + f", fit {best.loc[sku, 'score']:.2f}"
        for sku in skus
    ]
    return ToolResult(
        summary="Best segment for " + "; ".join(lines) + f". {note}",
        data={
            "run_id": run_id,
            "ranked_by": ranked_by,
            "note": note,
            "best": {sku: int(best.loc[sku, "segment"]) for sku in skus},
            "matches": {sku: fit.loc[fit["sku"] == sku, shown].round(4).to_dict("records") for sku in skus},
        },
        tables=tables,
        charts=[_chart(fit, sku) for sku in skus[:3]],
    )


class RankArgs(OutlookArgs):
    product: list[str] = Field(default_factory=list, description="Product SKU (none = the shortlist).")
    shortlist: str | None = Field(None, description="Use this shortlist's products when no SKU is given.")
    top: int = Field(20, ge=1, le=10_000, description="How many of the best-fitting customers to list.")
    segment: list[int] = Field(default_factory=list, description="Only customers of these segments (active run).")
    frequency_cap_days: int | None = Field(
        None, ge=0, description="Leave out customers emailed within this many days (default: the app setting)."
    )
    rank_by: Literal["fit", "value", "risk"] = Field(
        "fit", description="Rank by product fit, predicted 12-month value or churn risk (highest first)."
    )


@tool(cli="match-customers")
def rank_customers(ctx: ToolContext, args: RankArgs) -> ToolResult:
    """Which individual customers fit a product (or the shortlist) best, with each score broken down.

    Ranks every eligible customer in one pass; for several products each customer gets the one that
    fits best. Quarantined, invalid, suppressed (unsubscribed, bounced), recently emailed and
    duplicate addresses are left out and counted. With a churn risk, a minimum predicted value or a next
    order due, only customers with that predicted outlook are in scope (win-back, replenishment); they
    can be ranked by predicted value or churn risk instead of fit. At the CLI also `promopilot match --customers`.
    """
    require_customers(ctx.db)
    skus = resolve_skus(ctx, args.product, args.shortlist)
    run_id = require_active_run(ctx.db) if args.segment else active_run_id(ctx.db)
    cap = ctx.settings.frequency_cap_days if args.frequency_cap_days is None else args.frequency_cap_days
    outlook = args.outlook(ctx.db)
    ranked, excluded, eligible = scored_audience(
        ctx.db,
        run_id=run_id,
        segments=args.segment or None,
        skus=skus,
        frequency_cap_days=cap,
        limit=args.top,
        breakdown=True,
        unknown_consent=ctx.settings.email_unknown_consent,
        outlook=outlook,
        rank_by=args.rank_by,
    )
    who = f" {outlook.words()}" if outlook else ""
    if not pii_visible(ctx):
        ranked = ranked.drop(columns=["email", "first_name"])  # the model sees ids and scores, not people
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    left_out = describe_exclusions(excluded)
    if not eligible:
        raise UserError(
            f"No customer{who} can be emailed about {', '.join(skus)}"
            + (f" in segment {', '.join(map(str, args.segment))}" if args.segment else "")
            + f": all were left out ({left_out or 'none in scope'}).",
            hint="Lower the frequency cap (--frequency-cap-days), pick other segments, "
            "or look at the data problems (promopilot validate, promopilot data-issues).",
        )
    summary = (
        f"Top {len(ranked):,} of {eligible:,} eligible customers{who} for {', '.join(skus)}"
        + (f", ranked by {RANK_WORDS[args.rank_by]}" if args.rank_by != "fit" else "")
        + (f" (best fit {ranked['score'].iloc[0]:.2f})" if len(ranked) and args.rank_by == "fit" else "")
        + (f". Left out: {left_out}." if left_out else ". Nobody was left out.")
    )
    return ToolResult(
        summary=summary,
        data={
            "skus": skus,
            "run_id": run_id,
            "eligible": eligible,
            "excluded": excluded,
            "customer_ids": ranked["customer_id"].tolist(),
        },
        tables=[Table.from_df("Best-fitting customers", ranked.round(3), limit=None, total=eligible)],
    )
