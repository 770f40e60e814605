"""Who may receive a campaign, and which product fits each of them best.

Two pieces every targeting tool shares, written once, in SQL:

- **Eligibility.** A customer is reachable when not quarantined, has an address (one without is
  "not contactable", never "invalid"), the email looks valid, they did not say no to marketing email
  (and gave a yes, unless the unknown-consent setting allows emailing those without an answer), the
  address is not suppressed (unsubscribed, bounced, complained), it was not sent a message within
  the frequency cap, and no other eligible customer already has the same address (one inbox gets
  one message). Each excluded customer is counted under the first reason that applies, in
  `EXCLUSION_REASONS` order. Unsubscribes are counted apart from the other suppressions
  (bounces, complaints, manual ones): a marketer reads them as "people who said no", a signal
  about the campaigns, where a bounce is a data problem.
- **Fit score.** How well one product suits one customer, in [0, 1]: a weighted sum of
  components (`WEIGHTS`), each in [0, 1]. `COMPONENT_SQL` is the vectorised definition and
  `score_one` the same formula for one customer as plain Python, readable, used as the oracle in
  tests and the row-by-row baseline in `bench.products`.

`eligible_audience` is the contract the campaign helpers build on; `rank_customers` and
`match_segments` (tools/matching.py) reuse `scored_audience` and `COMPONENT_SQL`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from storage import campaigns
from storage import predictions as scores
from storage.customers import ADDRESS_PATTERN, address_sql
from storage.db import Database
from storage.errors import UserError
from storage.followups import FollowUp, follow_up_scope
from tools.context import ToolContext

EXCLUSION_REASONS = [
    "quarantined",
    "no_address",  # not contactable: no email address at all (a shop known from its orders log)
    "invalid_email",
    "no_consent",  # said no to marketing email (or Mailchimp: unsubscribed, cleaned, pending)
    "consent_unknown",  # no answer on file, and the setting does not allow emailing them
    "unsubscribed",  # suppressed by an unsubscribe
    "suppressed",  # suppressed for another reason: bounced, complaint, manual
    "recently_emailed",
    "duplicate_email",
]
WORDS = {"no_address": "not contactable (no email address)", "consent_unknown": "consent unknown"}
UNSUBSCRIBED = "unsubscribed"  # the suppressions.reason an unsubscribe link writes (web/tracking.py)

WEIGHTS: dict[str, float] = {
    "category_fit": 0.30,  # bought the product itself, likes (or bought) its category
    "price_fit": 0.25,  # price within the customer's usual range
    "brand_fit": 0.15,  # names the brand among favourites
    "tier_fit": 0.15,  # brand tier vs luxury affinity
    "discount_fit": 0.15,  # discount-hungry customers need a product with margin to discount
}
TIER_LEVEL = {"budget": 0.0, "mid": 1 / 3, "premium": 2 / 3, "luxury": 1.0}
NEUTRAL = 0.5  # a component we cannot judge (missing data) neither helps nor hurts
BOUGHT_ONLY = 0.8  # bought the category before, without naming it a preference
FULL_ROOM = 0.5  # a gross margin (share of the price) at or above this leaves full room to discount

# Purchase history: `bought` is the customer's purchase (returns apart) of product p, if any (see BOUGHT_JOIN).
# Customer columns c.*: preferred_categories, categories_bought, preferred_brands, price_range_min,
# price_range_max, avg_order_value, discount_sensitivity, luxury_affinity.
# Product columns p.*: category, brand, price, tier_level, margin_room (see PRODUCT_SQL).
COMPONENT_SQL: dict[str, str] = {
    "category_fit": f"""CASE WHEN bought.sku IS NOT NULL
                                  OR list_contains(coalesce(c.preferred_categories, []), p.category) THEN 1.0
        WHEN list_contains(coalesce(c.categories_bought, []), p.category) THEN {BOUGHT_ONLY} ELSE 0.0 END""",
    "price_fit": f"""CASE
        WHEN p.price IS NULL OR coalesce(c.price_range_min, c.avg_order_value) IS NULL THEN {NEUTRAL}
        WHEN p.price < coalesce(c.price_range_min, c.avg_order_value * 0.5)
            THEN greatest(0.0, 1 - (coalesce(c.price_range_min, c.avg_order_value * 0.5) - p.price)
                                   / greatest(coalesce(c.price_range_min, c.avg_order_value * 0.5), 1.0))
        WHEN p.price > coalesce(c.price_range_max, c.avg_order_value * 1.5)
            THEN greatest(0.0, 1 - (p.price - coalesce(c.price_range_max, c.avg_order_value * 1.5))
                                   / greatest(coalesce(c.price_range_max, c.avg_order_value * 1.5), 1.0))
        ELSE 1.0 END""",
    "brand_fit": "CASE WHEN list_contains(coalesce(c.preferred_brands, []), p.brand) THEN 1.0 ELSE 0.0 END",
    "tier_fit": f"coalesce(1 - abs(p.tier_level - coalesce(c.luxury_affinity, {NEUTRAL})), {NEUTRAL})",
    "discount_fit": f"1 - coalesce(c.discount_sensitivity, {NEUTRAL}) * (1 - p.margin_room)",
}
# As select-list items (DOUBLE, so the arithmetic matches `score_one` bit for bit), and their weighted sum.
COMPONENTS_SELECT = ", ".join(f"({sql})::DOUBLE AS {name}" for name, sql in COMPONENT_SQL.items())
SCORE_SQL = " + ".join(f"{w} * {name}" for name, w in WEIGHTS.items())

_TIER_CASE = " ".join(f"WHEN '{tier}' THEN {level}" for tier, level in TIER_LEVEL.items())
PRODUCT_SQL = f"""
    SELECT sku, name, category, brand, brand_tier, price, margin, stock,
           CASE lower(brand_tier) {_TIER_CASE} END AS tier_level,
           CASE WHEN margin IS NULL THEN {NEUTRAL}  -- least/greatest skip NULLs, so test first
                ELSE least(1.0, greatest(0.0, margin) / {FULL_ROOM}) END AS margin_room,
           list_position($skus, sku) AS pos, coalesce(stock <= 0, false) AS sold_out
    FROM products WHERE sku IN (SELECT unnest($skus))"""  # noqa: S608 - constants only

# Who bought which of the products scored ($skus), from the orders log, returns apart: joined to each
# (customer c, product p) pair, so a customer who bought the product itself gets the full category fit.
BOUGHT_JOIN = """LEFT JOIN (SELECT DISTINCT customer_id, sku FROM orders
                         WHERE sku IN (SELECT unnest($skus)) AND NOT is_return AND customer_id IS NOT NULL) bought
                ON bought.customer_id = c.customer_id AND bought.sku = p.sku"""
# What the score reads about a customer `f` (joined, so customers without preferences still score).
FEATURE_COLUMNS = """pr.preferred_categories, b.categories_bought, pr.preferred_brands, pr.price_range_min,
    pr.price_range_max, b.avg_order_value, pr.discount_sensitivity, pr.luxury_affinity"""
FEATURE_JOINS = """LEFT JOIN customer_preferences pr ON pr.customer_id = f.customer_id
    LEFT JOIN customer_behavior b ON b.customer_id = f.customer_id"""
# Every customer with what the score reads: for one-row-at-a-time use (the oracle, the baseline).
FEATURES_SQL = f"""SELECT f.customer_id, {FEATURE_COLUMNS},
    (SELECT list(DISTINCT o.sku) FROM orders o WHERE o.customer_id = f.customer_id AND NOT o.is_return) AS skus_bought
    FROM customers f {FEATURE_JOINS}"""  # noqa: S608


def score_one(customer: dict[str, Any], product: dict[str, Any]) -> dict[str, float]:
    """The fit of one product for one customer, component by component, plus `score`.

    `customer` has the FEATURE_COLUMNS keys and optionally skus_bought (missing ones count as
    unknown), `product` has sku, category, brand, brand_tier, price, margin. Must agree with COMPONENT_SQL.
    """

    def known(value: Any) -> bool:
        return value is not None and not (isinstance(value, float) and value != value)

    get = {k: (v if known(v) else None) for k, v in customer.items()}.get
    price = product.get("price")
    parts: dict[str, float] = {}

    def listed(key: str) -> list[Any]:  # lists may arrive as numpy arrays (from a DataFrame row)
        return [] if get(key) is None else list(get(key))

    if product.get("sku") in listed("skus_bought") or product["category"] in listed("preferred_categories"):
        parts["category_fit"] = 1.0
    elif product["category"] in listed("categories_bought"):
        parts["category_fit"] = BOUGHT_ONLY
    else:
        parts["category_fit"] = 0.0

    aov = get("avg_order_value")
    low = get("price_range_min") if get("price_range_min") is not None else (aov * 0.5 if aov is not None else None)
    high = get("price_range_max") if get("price_range_max") is not None else (aov * 1.5 if aov is not None else None)
    if not known(price) or low is None:
        parts["price_fit"] = NEUTRAL
    elif price < low:
        parts["price_fit"] = max(0.0, 1 - (low - price) / max(low, 1.0))
    elif high is not None and price > high:
        parts["price_fit"] = max(0.0, 1 - (price - high) / max(high, 1.0))
    else:
        parts["price_fit"] = 1.0

    parts["brand_fit"] = 1.0 if product["brand"] in listed("preferred_brands") else 0.0
    level = TIER_LEVEL.get(str(product.get("brand_tier") or "").lower())
    luxury = get("luxury_affinity") if get("luxury_affinity") is not None else NEUTRAL
    parts["tier_fit"] = NEUTRAL if level is None else 1 - abs(level - luxury)

    margin = product.get("margin")
    room = NEUTRAL if not known(margin) else min(1.0, max(0.0, margin) / FULL_ROOM)
    sensitivity = get("discount_sensitivity") if get("discount_sensitivity") is not None else NEUTRAL
    parts["discount_fit"] = 1 - sensitivity * (1 - room)
    parts["score"] = sum(WEIGHTS[name] * parts[name] for name in WEIGHTS)
    return parts


def pii_visible(ctx: ToolContext) -> bool:
    """May customer names and emails appear in a result? Yes for a person at the CLI, or when sharing
    with the model is allowed; results the agent asks for carry ids and scores only (the agent loop
    redacts as well, this keeps them out at the source)."""
    return ctx.actor == "user" or ctx.settings.share_pii


def require_products(db: Database, skus: list[str]) -> pd.DataFrame:
    """The products with these SKUs (in the given order); a UserError names any unknown SKU."""
    found = db.df(PRODUCT_SQL + " ORDER BY pos", {"skus": skus})
    missing = [s for s in skus if s not in set(found["sku"])]
    if missing:
        raise UserError(
            f"Unknown SKU{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.",
            hint="Find products with `promopilot products --search TEXT` (or ask 'find products ...').",
        )
    return found


SCRATCH = "audience_scope"  # a temp table: flag once, then count and score from it


def flag_scope(
    db: Database,
    run_id: int | None,
    segments: list[int] | None,
    since: datetime,
    unknown_consent: bool,
    outlook: scores.Outlook | None,
    follow_up: FollowUp | None = None,
) -> dict[Any, int]:
    """Write the customers in scope, each with its exclusion reason (NULL = eligible), to the SCRATCH
    temp table; returns the count per reason. String work (normalising and checking the address)
    is the costly part on a million rows, so it happens once per call, not per query. The scope is the
    given segments (or everyone), narrowed to the customers whose predicted outlook matches, if one is given,
    and to an earlier campaign's recipients who did what a follow-up asks (opened it, did not, ...)."""
    membership = "JOIN" if segments is not None else "LEFT JOIN"
    in_scope, scope_params = scores.outlook_scope(db, outlook) if outlook else ("TRUE", {})
    if follow_up:
        recipients, recipient_params = follow_up_scope(db, follow_up)
        in_scope, scope_params = f"{in_scope} AND {recipients}", scope_params | recipient_params
    if segments is not None:
        in_scope += " AND m.segment IN (SELECT unnest($segments))"
    db.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {SCRATCH} AS
        WITH sent AS (
            SELECT customer_id, {address_sql("email")} AS address FROM messages
            WHERE status = 'sent' AND sent_at >= $since
        ),
        base AS (
            SELECT c.customer_id, c.email, c.first_name, c.quarantine_reason, m.segment, c.email_consent,
                   nullif({address_sql("c.email")}, '') AS address
            FROM customers c {membership} segment_members m ON m.customer_id = c.customer_id AND m.run_id = $run_id
            WHERE {in_scope}
        ),
        suppressed AS (  -- one row per address (stored lower-case, but two spellings must not double a row)
            SELECT {address_sql("email")} AS address, bool_or(lower(reason) = $unsubscribed) AS unsubscribed
            FROM suppressions GROUP BY 1
        ),
        scope AS (
            SELECT b.* EXCLUDE (quarantine_reason, email_consent), CASE
                WHEN quarantine_reason IS NOT NULL THEN 'quarantined'
                WHEN b.address IS NULL THEN 'no_address'
                WHEN NOT regexp_full_match(b.address, $pattern) THEN 'invalid_email'
                WHEN NOT b.email_consent THEN 'no_consent'
                WHEN b.email_consent IS NULL AND NOT $unknown_consent THEN 'consent_unknown'
                WHEN x.unsubscribed THEN 'unsubscribed'
                WHEN x.address IS NOT NULL THEN 'suppressed'
                WHEN customer_id IN (SELECT customer_id FROM sent)
                  OR b.address IN (SELECT address FROM sent) THEN 'recently_emailed'
            END AS reason
            FROM base b LEFT JOIN suppressed x ON x.address = b.address
        ),
        shared AS (  -- addresses several eligible customers have: the first customer id keeps it
            SELECT address, min(customer_id) AS keeper FROM scope WHERE reason IS NULL
            GROUP BY address HAVING count(*) > 1
        )
        SELECT s.customer_id, s.segment,
               CASE WHEN d.keeper IS NOT NULL AND s.customer_id <> d.keeper THEN 'duplicate_email'
                    ELSE s.reason END AS reason
        FROM scope s LEFT JOIN shared d ON s.reason IS NULL AND d.address = s.address""",  # noqa: S608 - fixed
        {
            "run_id": run_id,
            "since": since,
            "pattern": ADDRESS_PATTERN,
            "unsubscribed": UNSUBSCRIBED,
            "unknown_consent": unknown_consent,
        }
        | scope_params
        | ({"segments": segments} if segments is not None else {}),
    )
    return dict(db.execute(f"SELECT reason, count(*) FROM {SCRATCH} GROUP BY 1").fetchall())  # noqa: S608


def scored_audience(
    db: Database,
    *,
    run_id: int | None,
    segments: list[int] | None,
    skus: list[str],
    frequency_cap_days: int,
    limit: int | None = None,
    breakdown: bool = False,
    unknown_consent: bool = False,
    outlook: scores.Outlook | None = None,
    rank_by: str = "fit",
    follow_up: FollowUp | None = None,
) -> tuple[pd.DataFrame, dict[str, int], int]:
    """`eligible_audience` plus the number of eligible customers (the frame stops at `limit`), optionally
    with the score's components per customer (`breakdown`). With an `outlook` or a `rank_by` other than
    "fit" (`scores.RANK_ORDER`), each customer's churn risk and predicted value come along."""
    if segments is not None and run_id is None:
        raise UserError(
            "Segments were given without the segmentation run they belong to.",
            hint="Segment the customers first (promopilot segment run), then pick segments of that run.",
        )
    if skus:
        require_products(db, skus)
    since = datetime.now() - timedelta(days=max(frequency_cap_days, 0))
    extra = ", " + ", ".join(WEIGHTS) if breakdown else ""
    predicted = bool(outlook) or rank_by != "fit"
    if rank_by != "fit":
        scores.require_scores(db, f"Ranking customers by {'churn risk' if rank_by == 'risk' else 'predicted value'}")
    order = scores.RANK_ORDER[rank_by]
    outlook_cols, outlook_join = (", " + scores.RANK_COLUMNS, scores.RANK_JOIN) if predicted else ("", "")
    top = "LIMIT $limit" if limit is not None else ""
    params: dict[str, Any] = {"limit": limit} if limit is not None else {}
    if skus:
        # With one product there is nothing to choose between: skip the per-customer best-of window.
        best = (
            # Scores equal but for floating-point noise are a tie, and a tie goes to the earlier SKU.
            "QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY sold_out, round(score, 9) DESC, pos) = 1"
            if len(skus) > 1
            else ""
        )
        sql = f"""
            WITH customer AS (
                SELECT f.customer_id, f.segment, {FEATURE_COLUMNS}
                FROM {SCRATCH} f {FEATURE_JOINS}
                WHERE f.reason IS NULL
            ),
            parts AS (
                SELECT c.customer_id, c.segment, p.sku, p.pos, p.sold_out, {COMPONENTS_SELECT}
                FROM customer c CROSS JOIN ({PRODUCT_SQL}) p {BOUGHT_JOIN}
            ),
            scored AS (SELECT *, {SCORE_SQL} AS score FROM parts),
            ranked AS (
                SELECT customer_id, segment, sku AS recommended_sku, score{extra}{outlook_cols}
                FROM scored {outlook_join} {best}
                ORDER BY {order}, customer_id {top}
            )  -- names and addresses only for the rows that made the cut
            SELECT r.customer_id, c.email, c.first_name, r.* EXCLUDE (customer_id)
            FROM ranked r JOIN customers c USING (customer_id)
            ORDER BY {order}, r.customer_id"""  # noqa: S608 - fixed fragments, bound values
        params["skus"] = skus
    else:
        nulls = ", " + ", ".join(f"NULL::DOUBLE AS {name}" for name in WEIGHTS) if breakdown else ""
        sql = f"""
            SELECT customer_id, c.email, c.first_name, f.segment, NULL::VARCHAR AS recommended_sku,
                   NULL::DOUBLE AS score{nulls}{outlook_cols}
            FROM {SCRATCH} f JOIN customers c USING (customer_id) {outlook_join}
            WHERE f.reason IS NULL ORDER BY {order}, customer_id {top}"""  # noqa: S608 - fixed fragments
    try:
        counts = flag_scope(db, run_id, segments, since, unknown_consent, outlook, follow_up)
        audience = db.df(sql, params)
    finally:
        db.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
    excluded = {reason: int(counts.get(reason, 0)) for reason in EXCLUSION_REASONS}
    return audience, excluded, int(counts.get(None, 0))


def describe_exclusions(excluded: dict[str, int]) -> str:
    """The non-zero exclusion counts as words, in reason order: "3 quarantined, 2 unsubscribed"."""
    return ", ".join(f"{n:,} {WORDS.get(reason, reason.replace('_', ' '))}" for reason, n in excluded.items() if n)


def eligible_audience(
    db: Database,
    *,
    run_id: int | None,
    segments: list[int] | None,
    skus: list[str],
    frequency_cap_days: int,
    limit: int | None = None,
    unknown_consent: bool = False,
    outlook: scores.Outlook | None = None,
    follow_up: FollowUp | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The customers a campaign may email, best fit first, and how many were excluded by reason.

    Columns: customer_id, email, first_name, segment (of `run_id`; NULL for customers outside it),
    recommended_sku (the best-fitting of `skus` still in stock, or of all when none is; ties go to the
    earlier SKU), score (0..1, of that product).
    `segments=None` = every usable customer. `excluded` has every reason in EXCLUSION_REASONS
    (0 when none), counted among the customers in scope (the given segments, or everyone);
    "suppressed" holds the suppressions other than unsubscribes (bounces, complaints, manual).
    `unknown_consent` lets customers without a consent answer in (the shop's setting); `outlook` narrows the
    scope to customers whose predicted outlook matches (and adds their churn risk and predicted value);
    `follow_up` to an earlier campaign's recipients who opened it, did not, clicked, did not (storage.followups).
    """
    audience, excluded, _ = scored_audience(
        db,
        run_id=run_id,
        segments=segments,
        skus=skus,
        frequency_cap_days=frequency_cap_days,
        limit=limit,
        unknown_consent=unknown_consent,
        outlook=outlook,
        follow_up=follow_up,
    )
    return audience, excluded


def campaign_audience(
    db: Database, campaign: dict[str, Any], frequency_cap_days: int, unknown_consent: bool = False
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Who an approved campaign would email now (its segments narrowed to its predicted outlook, if it has one,
    by the current scores, and to the earlier campaign's recipients it follows up; its approved version's products)."""
    version = campaigns.load_version(db, campaign["campaign_id"], campaign["approved_version"])
    return eligible_audience(
        db,
        run_id=campaign["run_id"],
        segments=campaign["segments"],
        skus=list(version["skus"] or campaign["skus"] or []),
        frequency_cap_days=frequency_cap_days,
        unknown_consent=unknown_consent,
        outlook=scores.Outlook.from_json(campaign.get("outlook")),
        follow_up=FollowUp.of(campaign),
    )
