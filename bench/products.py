"""Product filtering and customer ranking at scale, against the simple approaches.

    uv run python -m bench.products --products 1000000 --customers 1000000 --json

Targets (issue 5): a typical product filter p50 <= 50 ms over 1M products (the whole
`find_products` tool: page + total count); ranking 1M customers for one product <= 1 s. The
baselines run in the same process on the same data: pandas boolean masks for filtering, and the
seed's row-by-row `iterrows` scoring (with the same formula, `score_one`) on 10k customers,
extrapolated per million for the ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from storage.db import Database
from tools import Settings, ToolContext, run_tool
from tools.audience import FEATURES_SQL, eligible_audience, score_one

FILTERS: dict[str, dict[str, Any]] = {
    "overstocked outerwear under 150": {"category": ["Outerwear"], "min_stock": 100, "price_max": 150},
    "text search, cheapest first": {"search": "merino", "sort": "price_asc"},
    "high margin of two brands": {"min_margin": 1.0, "brand": ["Solenne", "Maison Ardent"], "sort": "margin_desc"},
    "price band, second page": {"price_min": 40, "price_max": 80, "limit": 20, "offset": 20},
}


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def pandas_filter(df: pd.DataFrame, f: dict[str, Any]) -> pd.DataFrame:
    """The simple approach: boolean masks over a DataFrame already in memory."""
    mask = pd.Series(True, index=df.index)
    if "category" in f:
        mask &= df.category.str.lower().isin([c.lower() for c in f["category"]])
    if "brand" in f:
        mask &= df.brand.str.lower().isin([b.lower() for b in f["brand"]])
    if "min_stock" in f:
        mask &= df.stock >= f["min_stock"]
    if "min_margin" in f:
        mask &= df.margin >= f["min_margin"]
    if "price_min" in f:
        mask &= df.price >= f["price_min"]
    if "price_max" in f:
        mask &= df.price <= f["price_max"]
    if "search" in f:
        hay = (df.name + "|" + df.sku + "|" + df.brand + "|" + df.category).str.lower()
        mask &= hay.str.contains(f["search"].lower(), regex=False)
    column, _, order = f.get("sort", "stock_desc").rpartition("_")
    hits = df[mask]
    page = hits.sort_values([column or "stock", "sku"], ascending=[order == "asc", True])
    return page.iloc[f.get("offset", 0) : f.get("offset", 0) + f.get("limit", 20)]


def iterrows_ranking(customers: pd.DataFrame, product: dict[str, Any]) -> pd.DataFrame:
    """The seed's way: score each row in a Python loop, then sort."""
    scores = []
    for _, row in customers.iterrows():
        scores.append(score_one(row.to_dict(), product)["score"])
    return customers.assign(score=scores).sort_values("score", ascending=False)


def run(products: int, customers: int, repeats: int) -> dict[str, Any]:
    db = Database(":memory:")
    ctx = ToolContext(db=db, settings=Settings(db_path=":memory:"))
    start = time.perf_counter()
    run_tool(ctx, "generate_demo_data", customers=customers, products=products, seed=1)
    setup_s = time.perf_counter() - start

    everything = db.df("SELECT * FROM products")
    filters = {}
    for label, f in FILTERS.items():
        run_tool(ctx, "find_products", **f)  # warm-up
        duck = timed(lambda f=f: run_tool(ctx, "find_products", **f), repeats)
        simple = timed(lambda f=f: pandas_filter(everything, f), max(3, repeats // 3))
        filters[label] = {
            "p50_ms": round(statistics.median(duck) * 1000, 2),
            "max_ms": round(max(duck) * 1000, 2),
            "pandas_p50_ms": round(statistics.median(simple) * 1000, 2),
            "total": run_tool(ctx, "find_products", **f).data["total"],
        }
    p50 = statistics.median(v["p50_ms"] for v in filters.values())
    pandas_p50 = statistics.median(v["pandas_p50_ms"] for v in filters.values())

    sku = db.scalar("SELECT sku FROM products WHERE brand_tier = 'premium' ORDER BY sku LIMIT 1")
    product = db.rows("SELECT * FROM products WHERE sku = ?", [sku])[0]
    rank_all = timed(lambda: eligible_audience(db, run_id=None, segments=None, skus=[sku], frequency_cap_days=7), 3)
    rank_top = timed(lambda: run_tool(ctx, "rank_customers", product=[sku], top=100), 3)
    sample = db.df(FEATURES_SQL + " ORDER BY f.customer_id LIMIT 10000")
    loop_s = timed(lambda: iterrows_ranking(sample, product), 1)[0]
    loop_per_million = loop_s * 1_000_000 / len(sample)
    rank_s = statistics.median(rank_all)
    db.close()
    return {
        "products": products,
        "customers": customers,
        "setup_s": round(setup_s, 1),
        "filters": filters,
        "filter_p50_ms": p50,
        "filter_target_ms": 50,
        "filter_pandas_p50_ms": pandas_p50,
        "filter_ratio_pandas_over_duckdb": round(pandas_p50 / p50, 2),
        "rank_all_customers_s": round(rank_s, 3),
        "rank_top100_tool_s": round(statistics.median(rank_top), 3),
        "rank_target_s": 1.0,
        "iterrows_10k_s": round(loop_s, 3),
        "iterrows_per_customer_count_est_s": round(loop_per_million * customers / 1_000_000, 1),
        "rank_speedup_vs_iterrows": round(loop_per_million * customers / 1_000_000 / rank_s, 1),
        "meets_targets": p50 <= 50 and rank_s <= 1.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    figures = run(args.products, args.customers, args.repeats)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
