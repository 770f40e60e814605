"""Which products suit a segment: matching the other way round ("what should I promote to group 2?").

`match_segments` starts from a product and ranks the segments; a marketer as often starts from an
audience. This scores every product that can be sold (not sold out) against the segment's members
with the same fit score (`tools.catalog.audience`, averaged over the members by
`matching.segment_fit`), so "product X suits segment 2" means the same thing from both ends, and
gives each product the same plain reason.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from storage.errors import UserError
from storage.segments import require_segment
from storage.shop import get_currency
from tools.catalog.audience import require_products
from tools.catalog.matching import fit_reason, product_label, segment_fit
from tools.catalog.product_words import either, price_words
from tools.context import ToolContext
from tools.registry import Positional, tool
from tools.results import Table, ToolResult

# Scoring is members x products in one query; past this many products, the best sellers are scored.
MAX_CANDIDATES = 2_000
CANDIDATES_SQL = """
    SELECT p.sku FROM products p
    LEFT JOIN (SELECT sku, sum(quantity) AS units FROM orders WHERE NOT is_return GROUP BY sku) s USING (sku)
    WHERE coalesce(p.stock, 1) > 0 AND p.price >= coalesce(?, p.price) AND p.price <= coalesce(?, p.price)
      AND (len(?) = 0 OR lower(p.category) IN (SELECT lower(unnest(?))))
    ORDER BY coalesce(s.units, 0) DESC, p.sku
    LIMIT ?"""


class SuggestArgs(BaseModel):
    segment: Annotated[int, Positional()] = Field(description="The segment to find products for (active run).")
    top: int = Field(10, ge=1, le=100, description="How many of the best-fitting products to list.")
    price_min: float | None = Field(None, ge=0, allow_inf_nan=False, description="Only products at this price or more.")
    price_max: float | None = Field(None, ge=0, allow_inf_nan=False, description="Only products at this price or less.")
    category: list[str] = Field(default_factory=list, description="Only products of these categories.")


@tool(cli="suggest")
def suggest_products(ctx: ToolContext, args: SuggestArgs) -> ToolResult:
    """Which products suit one customer segment best: every product not sold out scored against the segment's
    members (category and brand affinity, price fit, brand tier, discount appetite), best first, each with a reason;
    only those within a price range or categories, when given ("products for group 2 under 50")."""
    run_id, segment = require_segment(ctx.db, args.segment)
    bounds = [args.price_min, args.price_max, args.category, args.category]
    skus = [str(s) for s in ctx.db.df(CANDIDATES_SQL, [*bounds, MAX_CANDIDATES + 1])["sku"]]
    if not skus and kept_to(args):
        raise UserError(
            f"No product in stock is {limits(args, get_currency(ctx.db))}, so there is nothing to suggest.",
            hint="Ask without the price or category, or with a wider one.",
        )
    if not skus:
        raise UserError("No product is in stock, so there is nothing to suggest.", hint="Import a product catalogue.")
    capped = len(skus) > MAX_CANDIDATES
    skus = skus[:MAX_CANDIDATES]
    fit = segment_fit(ctx.db, run_id, skus, segment=args.segment)
    fit = fit.sort_values(["score", "sku"], ascending=[False, True]).head(args.top).reset_index(drop=True)
    products = require_products(ctx.db, fit["sku"].tolist()).set_index("sku")
    currency = get_currency(ctx.db)
    fit["reason"] = [fit_reason(row, products.loc[row.sku], currency) for row in fit.itertuples()]
    fit["rank"] = range(1, len(fit) + 1)
    fit = fit.drop(columns=["name"]).join(products[["name", "category", "price", "stock"]], on="sku")
    name, size = segment["name"], int(segment["size"])
    who = f"segment {args.segment}" + (
        f" ({name}, {size:,} customer{'s' * (size != 1)})" if isinstance(name, str) else ""
    )
    best = "; ".join(
        f"{product_label(products, sku)}, fit {score:.2f}"
        for sku, score in zip(fit["sku"][:3], fit["score"][:3], strict=True)
    )
    within = f" among products {limits(args, currency)}" if kept_to(args) else ""
    summary = f"Best fits for {who}{within}: {best}. Why the first: {fit['reason'][0]}"
    if capped:
        summary += f" Scored the {MAX_CANDIDATES:,} best-selling products in stock."
    shown = ["rank", "sku", "name", "category", "price", "stock", "score", "reason"]
    table = fit[shown].round({"score": 3})
    return ToolResult(
        summary=summary,
        data={"run_id": run_id, "segment": args.segment, "skus": fit["sku"].tolist(), "scored": len(skus)},
        tables=[Table.from_df(f"Products for segment {args.segment}", table)],
    )


def kept_to(args: SuggestArgs) -> bool:
    return args.price_min is not None or args.price_max is not None or bool(args.category)


def limits(args: SuggestArgs, currency: str) -> str:
    """ "in outerwear, between €20 and €50": the products the suggestions were kept to, in the words a product
    search uses."""
    said = [f"in {either([c.lower() for c in args.category])}"] if args.category else []
    return ", ".join([*said, *filter(None, [price_words(args.price_min, args.price_max, currency)])])
