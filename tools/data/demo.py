"""Synthetic demo data: a realistic clothing e-shop, its customers and its inventory.

Faker fills small pools of names; numpy draws every column for all rows at once, with
correlated distributions (premium spenders order more, more recently, with bigger baskets, and
lean to luxury styles); DuckDB composes strings and writes the tables in one transaction.
The same seed gives the same shop. `defects` plants the dirt real exports have, so validation
has something to find. Every customer also gets an orders log that adds up to their behaviour figures
(order count, total spent, the last purchase), so predicting customer value has a history to fit.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa
from pydantic import BaseModel, Field

from tools.context import ToolContext
from tools.data import vocabulary as catalog
from tools.registry import tool
from tools.results import Table, ToolResult

DEFECT_KINDS = ["invalid_email", "missing_value", "negative_amount", "aov_mismatch", "duplicate", "empty_row"]
EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]  # reserved (RFC 2606): never a real inbox
DATASET_TABLES = [
    "segment_members",
    "segments",
    "segment_runs",
    "data_issues",
    "orders",
    "customer_preferences",
    "customer_behavior",
    "customers",
    "products",
]


class DemoArgs(BaseModel):
    customers: int = Field(5000, ge=10, le=5_000_000, description="How many customers to generate.")
    products: int = Field(300, ge=1, le=2_000_000, description="How many products in the inventory.")
    seed: int = Field(42, description="Random seed: the same seed gives the same data.")
    defects: float = Field(
        0.0,
        ge=0.0,
        le=0.5,
        description="Share of customers given realistic defects (invalid emails, missing values, "
        "negative amounts, inconsistent average order value, duplicates, empty rows).",
    )


@tool(cli="demo", confirm=True)
def generate_demo_data(ctx: ToolContext, args: DemoArgs) -> ToolResult:
    """Create a synthetic clothing shop: customers with behaviour and preferences, plus an inventory.

    Replaces all existing customers, products, orders and segmentations, so over existing data a
    person must confirm it first. Use it to try PromoPilot without your own data.
    """
    ctx.confirm("replace", existing_data(ctx))
    rng = np.random.default_rng(args.seed)
    now = datetime(2026, 1, 1)
    with ctx.progress.task("Generating demo shop", total=3) as advance:
        people = _customers(rng, args.customers, args.seed, now)
        defects = _plant_defects(rng, people, args.defects)
        advance(1)
        inventory = _products(rng, args.products, now)
        advance(1)
        with ctx.db.transaction() as con:
            for table in DATASET_TABLES:
                con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            _write(con, people, inventory)
            _write_orders(con, _orders(rng, people, now))
        advance(1)
    mix = ctx.db.df("""
        SELECT customer_type, count(*) AS customers, round(avg(total_spent), 2) AS avg_total_spent,
               round(avg(order_count), 1) AS avg_orders
        FROM customer_behavior WHERE customer_type IS NOT NULL
        GROUP BY 1 ORDER BY avg_total_spent""")
    return ToolResult(
        summary=f"Generated {args.customers:,} customers and {args.products:,} products "
        f"(seed {args.seed}" + (f", {sum(defects.values()):,} planted defects)." if defects else ")."),
        data={"customers": args.customers, "products": args.products, "seed": args.seed, "defects": defects},
        tables=[Table.from_df("Customer types", mix)],
    )


def existing_data(ctx: ToolContext) -> list[str]:
    """What replacing the shop's data would lose, in words ("3,000 customers"); empty for an empty shop."""
    counts = ctx.db.rows("""
        SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM products) AS products,
               (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM segment_runs) AS segmentations""")[0]
    return [f"{n:,} {noun if n != 1 else noun[:-1]}" for noun, n in counts.items() if n]


def _pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row from per-row probability rows (vectorised inverse CDF)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return (u > cum).sum(axis=1)


def _top_k_lists(
    rng: np.random.Generator, weights: np.ndarray, group: np.ndarray, counts: np.ndarray, labels: list[str]
) -> pa.Array:
    """Per row, `counts[i]` distinct labels drawn by the weights of its group (Gumbel top-k), most
    likely first, as an Arrow list column. `weights` has one row per group (style), so the logs are
    taken once per group. (argpartition + sorting the top k measured no faster than argsort on 9-16
    columns; the cost that mattered was building strings, which `_labels` leaves to Arrow.)"""
    with np.errstate(divide="ignore"):
        log_weights = np.log(weights)
    keys = log_weights[group] + rng.gumbel(size=(len(group), weights.shape[1]))
    k = int(counts.max())
    top = np.argsort(-keys, axis=1)[:, :k]
    mask = np.arange(k)[None, :] < counts[:, None]
    values = _labels(labels, top[mask])
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _labels(pool: Sequence[str], index: np.ndarray) -> pa.Array:
    """pool[index] as an Arrow string column. Arrow's take is ~100x faster than indexing a numpy
    object array and converting it (3.7 s vs 0.03 s for a million strings)."""
    return pa.array(list(pool), type=pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))


def _draw(rng: np.random.Generator, labels: list[str], n: int) -> pa.Array:
    return _labels(labels, rng.integers(0, len(labels), n))


def _email_keys(pool: Sequence[str]) -> list[str]:
    """The ASCII form of each name for email addresses, computed once per pool name, not per row."""
    return [
        k
        for (k,) in duckdb.execute(
            "SELECT lower(regexp_replace(strip_accents(name), '[^A-Za-z.]', '', 'g')) "
            "FROM (SELECT unnest(?) AS name, generate_subscripts(?, 1) AS n) ORDER BY n",
            [list(pool), list(pool)],
        ).fetchall()
    ]


@functools.lru_cache(maxsize=4)
def _pools(seed: int) -> tuple[list[str], list[str]]:
    """Name pools from Faker (slow: thousands of calls), so kept per seed for repeated generations."""
    from faker import Faker  # here, not at the top: ~0.15 s that every CLI command would pay

    fake = Faker("en_US")
    fake.seed_instance(seed)
    first = sorted({fake.first_name() for _ in range(3000)})
    last = sorted({fake.last_name() for _ in range(3000)})
    return first, last


def _customers(rng: np.random.Generator, n: int, seed: int, now: datetime) -> dict[str, object]:
    first_pool, last_pool = _pools(seed)
    ctype = rng.choice(4, size=n, p=catalog.CUSTOMER_TYPE_SHARE)
    style = _pick(rng, np.asarray(catalog.STYLE_GIVEN_TYPE)[ctype])

    orders = 1 + rng.poisson(np.array([1.0, 3.0, 7.0, 14.0])[ctype])
    aov = rng.lognormal(np.log(np.array([38.0, 65.0, 115.0, 270.0]))[ctype], 0.35)
    total = np.round(orders * aov, 2)
    aov = np.round(total / orders, 2)
    recency = np.clip(rng.exponential(np.array([150.0, 70.0, 35.0, 18.0])[ctype]), 0, 1095).astype(np.int32)
    visits = np.round(rng.gamma(2.0, np.array([0.6, 1.6, 3.5, 7.0])[ctype]), 1)
    abandon = np.round(rng.beta(np.array([4.0, 3.0, 2.5, 2.0])[ctype], np.array([4.0, 4.0, 5.0, 6.0])[ctype]), 3)
    tenure = recency + rng.exponential(420, n).astype(np.int32)
    created = np.datetime64(now) - tenure.astype("timedelta64[D]") - rng.integers(0, 86400, n).astype("timedelta64[s]")

    discount = np.round(rng.beta(np.array([6.0, 4.0, 3.0, 1.5])[style], np.array([2.0, 3.0, 4.0, 6.0])[style]), 3)
    luxury = np.round(rng.beta(np.array([1.0, 2.0, 3.0, 7.0])[style], np.array([8.0, 6.0, 4.0, 2.0])[style]), 3)
    price_min = np.round(aov * 0.3 * rng.lognormal(0, 0.2, n), 0)
    price_max = np.round(aov * 1.6 * rng.lognormal(0, 0.2, n), 0)

    categories = list(catalog.CATEGORIES)
    cat_weights = np.asarray([catalog.CATEGORY_WEIGHT_GIVEN_STYLE[s] for s in catalog.STYLES], float)
    brands = [b for tier in catalog.BRAND_TIERS.values() for b in tier]
    tier_brands = list(catalog.BRAND_TIERS.values())
    brand_w = np.asarray(
        [
            [catalog.TIER_WEIGHT_GIVEN_STYLE[s][t] / len(bs) for t, bs in enumerate(tier_brands) for _ in bs]
            for s in catalog.STYLES
        ]
    )

    first = rng.integers(0, len(first_pool), n)
    last = rng.integers(0, len(last_pool), n)
    return {
        "i": np.arange(1, n + 1, dtype=np.int64),
        "first_name": _labels(first_pool, first),
        "last_name": _labels(last_pool, last),
        "first_key": _labels(_email_keys(first_pool), first),
        "last_key": _labels(_email_keys(last_pool), last),
        "domain": _draw(rng, EMAIL_DOMAINS, n),
        "created_at": created,
        "customer_type": _labels(catalog.CUSTOMER_TYPES, ctype),
        "ctype": ctype,
        "total_spent": total,
        "order_count": orders.astype(np.int32),
        "avg_order_value": aov,
        "days_since_last_purchase": recency,
        "visit_frequency": visits,
        "cart_abandonment_rate": abandon,
        "style": _labels(catalog.STYLES, style),
        "preferred_categories": _top_k_lists(rng, cat_weights, style, rng.integers(1, 4, n), categories),
        "preferred_brands": _top_k_lists(rng, brand_w, style, rng.integers(1, 4, n), brands),
        "price_range_min": price_min,
        "price_range_max": np.maximum(price_max, price_min + 5),
        "discount_sensitivity": discount,
        "luxury_affinity": luxury,
        "defect": pa.nulls(n, pa.string()),
        "copy_of": np.zeros(n, dtype=np.int64),
    }


def _orders(rng: np.random.Generator, people: dict[str, object], now: datetime) -> dict[str, np.ndarray]:
    """Each customer's orders, consistent with their figures: `order_count` orders, the first some time after
    signing up, the last `days_since_last_purchase` days ago, the others at random in between, amounts summing to
    `total_spent` (gamma-distributed shares, the rounding cents put on the last order). Vectorised: one row per
    order, never a loop over customers."""
    counts = np.asarray(people["order_count"], dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    start = np.cumsum(counts) - counts  # each customer's first row
    rank = np.arange(len(owner)) - start[owner]
    last = (np.datetime64(now, "s") - people["days_since_last_purchase"].astype("timedelta64[D]")).astype(
        "datetime64[s]"
    ) + rng.integers(9 * 3600, 21 * 3600, len(counts)).astype("timedelta64[s]")
    signed_up = np.minimum(people["created_at"].astype("datetime64[s]") + np.timedelta64(3600, "s"), last)
    # Some customers bought briskly for a while and then stopped (more of them among low spenders): their buying
    # fills a short stretch before the last purchase. The others bought all along since signing up. These
    # drop-outs are what a prediction has to tell apart from slow buyers (with buying spread over the whole
    # tenure for everyone, nobody looks gone and the model cannot be fitted).
    lapsed = rng.random(len(counts)) < np.array([0.55, 0.4, 0.25, 0.15])[people["ctype"]]
    share = np.where(lapsed, rng.beta(1.0, 4.0, len(counts)), rng.beta(4.0, 1.0, len(counts)))
    active = ((last - signed_up).astype(np.int64) * share).astype("timedelta64[s]")
    first = last - active
    span = (last - first).astype(np.int64)[owner]
    offset = np.where(rank == 0, 0, np.where(rank == counts[owner] - 1, span, rng.random(len(owner)) * span))
    ordered_at = first[owner] + offset.astype("timedelta64[s]")
    ordered_at[counts[owner] == 1] = last[owner][counts[owner] == 1]  # a single order is the last purchase
    share = rng.gamma(4.0, 1.0, len(owner))
    amount = np.round(people["total_spent"][owner] * share / np.add.reduceat(share, start)[owner], 2)
    final = start + counts - 1
    amount[final] = 0.0
    amount[final] = np.round(people["total_spent"] - np.add.reduceat(amount, start), 2)
    keep = np.ones(len(owner), dtype=bool)
    keep[people["defect"].to_numpy(zero_copy_only=False)[owner] == "empty_row"] = False
    return {
        "n": np.arange(1, int(keep.sum()) + 1),
        "i": people["i"][owner[keep]],
        "ordered_at": ordered_at[keep],
        "amount": amount[keep],
    }


def _plant_defects(rng: np.random.Generator, people: dict[str, object], rate: float) -> dict[str, int]:
    n = len(people["i"])
    count = round(n * rate)
    if count == 0:
        return {}
    rows = rng.choice(n, size=count, replace=False)
    kinds = rng.integers(0, len(DEFECT_KINDS), count)
    defect = np.full(n, None, dtype=object)
    defect[rows] = np.asarray(DEFECT_KINDS, dtype=object)[kinds]
    people["defect"] = pa.array(defect, type=pa.string())
    copy_of = people["copy_of"]
    dup_rows = rows[np.asarray(DEFECT_KINDS)[kinds] == "duplicate"]
    # A duplicate copies the identity (1-based row) of a customer without defects of its own, so every
    # planted defect stays one finding: copying a row with a broken email would hide the duplicate.
    clean = np.ones(n, dtype=bool)
    clean[rows] = False
    sources = np.flatnonzero(clean)
    copy_of[dup_rows] = sources[rng.integers(0, len(sources), len(dup_rows))] + 1
    labels, counts = np.unique(np.asarray(DEFECT_KINDS)[kinds], return_counts=True)
    return {str(k): int(c) for k, c in zip(labels, counts, strict=True)}


def _products(rng: np.random.Generator, n: int, now: datetime) -> dict[str, object]:
    categories = list(catalog.CATEGORIES)
    tiers = list(catalog.BRAND_TIERS)
    cat = rng.integers(0, len(categories), n)
    tier = rng.choice(len(tiers), size=n, p=[0.3, 0.4, 0.2, 0.1])
    sizes = np.asarray([len(catalog.BRAND_TIERS[t]) for t in tiers])
    widest = sizes.max()
    brand_table = [bs[j % len(bs)] for bs in catalog.BRAND_TIERS.values() for j in range(widest)]
    brand = _labels(brand_table, tier * widest + rng.integers(0, 1 << 30, n) % sizes[tier])
    items = [catalog.CATEGORIES[c][0][j % len(catalog.CATEGORIES[c][0])] for c in categories for j in range(60)]
    item = _labels(items, cat * 60 + rng.integers(0, 60, n))
    base = np.asarray([catalog.CATEGORIES[c][1] for c in categories])[cat]
    factor = np.asarray([catalog.TIER_COST_FACTOR[t] for t in tiers])[tier]
    cost = np.round(base * factor * rng.lognormal(0, 0.25, n), 2)
    low = np.asarray([catalog.TIER_MARGIN[t][0] for t in tiers])[tier]
    high = np.asarray([catalog.TIER_MARGIN[t][1] for t in tiers])[tier]
    markup = np.round(rng.uniform(low, high), 3)
    stock = np.where(rng.random(n) < 0.08, 0, rng.negative_binomial(2, 0.02, n)).astype(np.int32)
    return {
        "i": np.arange(1, n + 1, dtype=np.int64),
        "prefix": _labels([c[:3].upper() for c in categories], cat),
        "category": _labels(categories, cat),
        "brand": brand,
        "brand_tier": _labels(tiers, tier),
        "adjective": _draw(rng, catalog.ADJECTIVES, n),
        "material": _draw(rng, catalog.MATERIALS, n),
        "item": item,
        "cost": cost,
        "markup": markup,
        "stock": stock,
        "created_at": np.datetime64(now - timedelta(days=1)) - rng.integers(0, 730, n).astype("timedelta64[D]"),
    }


def _write(con, people: dict[str, object], inventory: dict[str, object]) -> None:
    people_tbl = pa.table(people)  # noqa: F841 - read by DuckDB below
    stock_tbl = pa.table(inventory)  # noqa: F841
    con.execute("""
        CREATE OR REPLACE TEMP TABLE demo_people AS
        SELECT p.*, 'C' || lpad(p.i::VARCHAR, 7, '0') AS customer_id,
               p.first_key || '.' || p.last_key || p.i::VARCHAR || '@' || p.domain AS email
        FROM people_tbl p""")
    # Duplicates take another customer's identity (name and email) under a new id.
    con.execute("""
        UPDATE demo_people d SET first_name = o.first_name, last_name = o.last_name, email = o.email
        FROM demo_people o WHERE d.defect = 'duplicate' AND o.i = d.copy_of""")
    con.execute("""
        INSERT INTO customers (customer_id, first_name, last_name, email, created_at, source, quarantine_reason,
                               email_consent, consent_source, consent_at)
        SELECT customer_id,
               CASE WHEN defect IN ('empty_row') OR (defect = 'missing_value' AND i % 2 = 0)
                    THEN NULL ELSE first_name END,
               CASE WHEN defect = 'empty_row' THEN NULL ELSE last_name END,
               CASE WHEN defect = 'empty_row' THEN NULL
                    WHEN defect = 'invalid_email' THEN
                        CASE i % 3 WHEN 0 THEN replace(email, '@', ' at ')
                                   WHEN 1 THEN split_part(email, '@', 1) || '@'
                                   ELSE replace(email, '@', '@@') END
                    ELSE email END,
               CASE WHEN defect = 'empty_row' THEN NULL ELSE created_at END,
               'demo', NULL, true, 'demo', created_at  -- the demo shop's customers said yes when they signed up
        FROM demo_people""")
    con.execute("""
        INSERT INTO customer_behavior
        SELECT customer_id,
               CASE WHEN defect = 'empty_row' THEN NULL ELSE customer_type END,
               CASE WHEN defect = 'empty_row' OR (defect = 'missing_value' AND i % 2 = 1) THEN NULL
                    WHEN defect = 'negative_amount' THEN -total_spent ELSE total_spent END,
               CASE WHEN defect = 'empty_row' THEN NULL ELSE order_count END,
               CASE WHEN defect = 'empty_row' THEN NULL
                    WHEN defect = 'aov_mismatch' THEN round(avg_order_value * 3.0, 2) ELSE avg_order_value END,
               CASE WHEN defect = 'empty_row' THEN NULL ELSE days_since_last_purchase END,
               CASE WHEN defect = 'empty_row' THEN NULL ELSE visit_frequency END,
               CASE WHEN defect = 'empty_row' THEN NULL ELSE cart_abandonment_rate END,
               NULL
        FROM demo_people""")
    con.execute("""
        INSERT INTO customer_preferences
        SELECT customer_id, style, preferred_categories, preferred_brands, price_range_min, price_range_max,
               discount_sensitivity, luxury_affinity
        FROM demo_people WHERE defect IS DISTINCT FROM 'empty_row'""")
    con.execute("""
        INSERT INTO products (sku, name, category, brand, brand_tier, cost, price, margin, markup, stock, created_at,
                              source)
        SELECT prefix || '-' || lpad(i::VARCHAR, 6, '0'), brand || ' ' || adjective || ' ' || material || ' ' || item,
               category, brand, brand_tier, cost, price, round((price - cost) / price, 3), markup, stock, created_at,
               'demo'
        FROM (SELECT *, round(cost * (1 + markup), 2) AS price FROM stock_tbl)""")
    con.execute("DROP TABLE demo_people")


def _write_orders(con, orders: dict[str, np.ndarray]) -> None:
    order_tbl = pa.table(orders)  # noqa: F841 - read by DuckDB below
    con.execute("""
        INSERT INTO orders (order_id, line, customer_id, ordered_at, amount, source)
        SELECT 'D' || lpad(n::VARCHAR, 9, '0'), 1,
               'C' || lpad(i::VARCHAR, 7, '0'), ordered_at, amount, 'demo'
        FROM order_tbl""")
