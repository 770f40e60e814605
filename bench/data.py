"""Data-layer benchmark: generate, validate, write a CSV and import it, against the per-row way.

    uv run python -m bench.data --customers 1000000 --json
    uv run python -m bench.data --customers 0 --orders 1000000   # only the orders log

Times each stage of the real tools at `--customers` rows, then the same stages done the simple
way (a Python loop per row, row-wise `DataFrame.apply`) on `--simple` rows, with the same columns
(the simple import reads the first `--simple` rows of the very CSV the real import reads), and
prints seconds, rows per second, the per-row speed-up and the process's peak RSS. Targets (2-core machine):
generate 1M customers <= 15 s, validate 1M <= 3 s, import a 1M-row CSV <= 10 s, peak RSS <= 2 GB.

`--orders` adds an orders log shaped like the UCI Online Retail one (m/d/yyyy h:mm dates, quantity
and unit price without a line total, 2% cancellations as C-invoices with negative quantities, a
quarter of the lines without a customer id, ids written as 17850.0): imported with the real tool
(amounts, returns, behaviour, catalogue) <= 10 s at 1M lines, against a csv.DictReader loop that
computes the same per-customer figures on `--simple` lines.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import random
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from email_validator import EmailNotValidError, validate_email
from faker import Faker

from storage.db import Database
from tools import Settings, ToolContext, load_all, run_tool
from tools.data.vocabulary import (
    BRAND_TIERS,
    CATEGORIES,
    CATEGORY_WEIGHT_GIVEN_STYLE,
    CUSTOMER_TYPE_SHARE,
    CUSTOMER_TYPES,
    STYLE_GIVEN_TYPE,
    STYLES,
    TIER_WEIGHT_GIVEN_STYLE,
)

TARGETS = {"generate": 15.0, "validate": 3.0, "import": 10.0, "orders_import": 10.0, "peak_rss_mb": 2048.0}
# An orders log like the UCI retail one, made in SQL: `range` gives the line number i.
ORDERS_LOG = """
    COPY (SELECT CASE WHEN i % 50 = 0 THEN 'C' ELSE '' END || (500000 + i // 20)::VARCHAR AS InvoiceNo,
                 (20000 + hash(i) % 4000)::VARCHAR AS StockCode, 'ITEM ' || (hash(i) % 4000)::VARCHAR AS Description,
                 CASE WHEN i % 50 = 0 THEN -1 ELSE 1 END * (1 + hash(i * 7) % 24) AS Quantity,
                 strftime(TIMESTAMP '2010-12-01' + to_minutes(((i // 20) * 7919 % 525600)::BIGINT), '%-m/%-d/%Y %-H:%M')
                     AS InvoiceDate,
                 round(0.5 + (hash(i) % 2000) / 100.0, 2) AS UnitPrice,
                 CASE WHEN (i // 20) % 4 = 0 THEN '' ELSE (12000 + hash(i // 20) % 60000)::VARCHAR || '.0' END
                     AS CustomerID,
                 CASE WHEN hash(i // 20) % 10 = 0 THEN 'France' ELSE 'United Kingdom' END AS Country
          FROM range({n}) t(i)) TO '{path}' (HEADER)"""
# How the simple importer parses the exported columns (the rest are text).
FLOAT_COLUMNS = (
    "total_spent",
    "avg_order_value",
    "visit_frequency",
    "cart_abandonment_rate",
    "price_range_min",
    "price_range_max",
    "discount_sensitivity",
    "luxury_affinity",
)
INT_COLUMNS = ("order_count", "days_since_last_purchase")
LIST_COLUMNS = ("preferred_categories", "preferred_brands")
EXPORT = """
    COPY (SELECT c.customer_id, c.first_name, c.last_name, c.email, c.created_at,
                 b.* EXCLUDE (customer_id, categories_bought), p.* EXCLUDE (customer_id)
          FROM customers c LEFT JOIN customer_behavior b USING (customer_id)
          LEFT JOIN customer_preferences p USING (customer_id)) TO '{path}' (HEADER)"""


CPU_SECONDS: dict[str, float] = {}  # per stage: user + system CPU of this process (all DuckDB threads)


def timed(fn: Callable[[], Any], stage: str | None = None) -> float:
    """Wall seconds of `fn`; also records its CPU seconds, which a busy shared machine inflates less."""
    cpu, start = _cpu(), time.perf_counter()
    fn()
    if stage:
        CPU_SECONDS[stage] = round(_cpu() - cpu, 3)
    return round(time.perf_counter() - start, 3)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def context(path: Path) -> ToolContext:
    db = Database(path)
    return ToolContext(db=db, settings=Settings(db_path=str(path)))


def fast(n: int, seed: int, folder: Path) -> dict[str, float]:
    """The real tools, on a database file like the app's."""
    ctx = context(folder / "fast.duckdb")
    csv_path = folder / "customers.csv"
    out = {
        "generate": timed(
            lambda: run_tool(ctx, "generate_demo_data", customers=n, products=max(1, n // 10), seed=seed, defects=0.02),
            "generate",
        ),
        "validate": timed(lambda: run_tool(ctx, "validate_data"), "validate"),
        "write_csv": timed(lambda: ctx.db.execute(EXPORT.format(path=csv_path)), "write_csv"),
    }
    ctx.db.close()
    target = context(folder / "import.duckdb")
    out["import"] = timed(lambda: run_tool(target, "import_data", kind="customers", path=str(csv_path)), "import")
    out["reimport_unchanged"] = timed(
        lambda: run_tool(target, "import_data", kind="customers", path=str(csv_path)), "reimport_unchanged"
    )
    target.db.close()
    out["csv_mb"] = round(csv_path.stat().st_size / 1e6, 1)
    return out


# -- the simple way: what the code would look like without vectorising -------------------------


def simple_generate(n: int, seed: int) -> pd.DataFrame:
    """One customer at a time, every column the real generator makes: Faker per row, `random` per value."""
    fake, rnd = Faker("en_US"), random.Random(seed)
    fake.seed_instance(seed)
    categories = list(CATEGORIES)
    brands = [b for tier in BRAND_TIERS.values() for b in tier]
    now = datetime(2026, 1, 1)
    rows = []
    for i in range(1, n + 1):
        ctype = rnd.choices(range(4), CUSTOMER_TYPE_SHARE)[0]
        style = rnd.choices(STYLES, STYLE_GIVEN_TYPE[ctype])[0]
        orders = 1 + int(rnd.expovariate(1 / [1.0, 3.0, 7.0, 14.0][ctype]))
        aov = rnd.lognormvariate([3.6, 4.2, 4.7, 5.6][ctype], 0.35)
        recency = min(int(rnd.expovariate(1 / [150.0, 70.0, 35.0, 18.0][ctype])), 1095)
        first, last = fake.first_name(), fake.last_name()
        tier_weights = TIER_WEIGHT_GIVEN_STYLE[style]
        brand_weights = [w / len(bs) for w, bs in zip(tier_weights, BRAND_TIERS.values(), strict=True) for _ in bs]
        rows.append(
            {
                "customer_id": f"C{i:07d}",
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}{i}@example.com".lower(),
                "created_at": now - timedelta(days=recency + int(rnd.expovariate(1 / 420))),
                "customer_type": CUSTOMER_TYPES[ctype],
                "total_spent": round(orders * aov, 2),
                "order_count": orders,
                "avg_order_value": round(aov, 2),
                "days_since_last_purchase": recency,
                "visit_frequency": round(rnd.gammavariate(2.0, [0.6, 1.6, 3.5, 7.0][ctype]), 1),
                "cart_abandonment_rate": round(rnd.betavariate(3.0, 4.0), 3),
                "style": style,
                "preferred_categories": list(
                    dict.fromkeys(rnd.choices(categories, CATEGORY_WEIGHT_GIVEN_STYLE[style], k=rnd.randint(1, 3)))
                ),
                "preferred_brands": list(dict.fromkeys(rnd.choices(brands, brand_weights, k=rnd.randint(1, 3)))),
                "price_range_min": round(aov * 0.3 * rnd.lognormvariate(0, 0.2)),
                "price_range_max": round(aov * 1.6 * rnd.lognormvariate(0, 0.2)),
                "discount_sensitivity": round(rnd.betavariate(4.0, 3.0), 3),
                "luxury_affinity": round(rnd.betavariate(2.0, 6.0), 3),
            }
        )
    return pd.DataFrame(rows)


def simple_validate(frame: pd.DataFrame) -> dict[str, int]:
    """Row-wise `apply`, email-validator on every address, a Python set for duplicates."""

    def problems(row: pd.Series) -> list[str]:
        found = []
        try:
            validate_email(str(row["email"]), check_deliverability=False)
        except EmailNotValidError:
            found.append("invalid_email")
        if pd.isna(row["total_spent"]) or pd.isna(row["email"]):
            found.append("missing_value")
        elif row["total_spent"] < 0:
            found.append("negative_amount")
        elif row["order_count"] and abs(row["avg_order_value"] - row["total_spent"] / row["order_count"]) > 0.01:
            found.append("aov_mismatch")
        return found

    counts: dict[str, int] = {}
    for found in frame.apply(problems, axis=1):
        for name in found:
            counts[name] = counts.get(name, 0) + 1
    seen: set[str] = set()
    for email in frame["email"]:
        if email in seen:
            counts["duplicate_email"] = counts.get("duplicate_email", 0) + 1
        seen.add(email)
    return counts


def simple_import(path: Path, n: int, db: Database) -> int:
    """The first `n` rows of the real tools' CSV, parsed the way a hand-written importer would:
    csv.DictReader, then float/int/fromisoformat/split per value of every column, a row skipped
    when any value fails; the good rows then go in with one bulk insert per table (kinder to the
    simple way than an INSERT per row would be)."""
    parse: dict[str, Callable[[str], Any]] = {c: float for c in FLOAT_COLUMNS} | {c: int for c in INT_COLUMNS}
    parse |= {"created_at": datetime.fromisoformat} | {c: _simple_list for c in LIST_COLUMNS}
    good = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in itertools.islice(csv.DictReader(fh), n):
            try:
                parsed = {k: (parse[k](v) if v else None) if k in parse else (v or None) for k, v in row.items()}
            except ValueError:
                continue
            if parsed["customer_id"]:
                good.append(parsed)
    db.con.register("simple_rows", pd.DataFrame(good))
    for table in ("customers", "customer_behavior", "customer_preferences"):
        columns = [c for c in db.df(f"SELECT * FROM {table} LIMIT 0").columns if c in good[0]]  # noqa: S608
        extra = ", source" if table == "customers" else ""
        db.execute(
            f"INSERT INTO {table} ({', '.join(columns)}{extra}) "  # noqa: S608 - names from the schema
            f"SELECT {', '.join(columns)}{', ' + repr('bench') if extra else ''} FROM simple_rows"
        )
    return len(good)


def _simple_list(text: str) -> list[str]:
    """DuckDB writes a list as "[a, b]"."""
    return [item for item in text.strip("[]").split(", ") if item]


def simple(n: int, seed: int, folder: Path, real_csv: Path) -> dict[str, float]:
    frame: pd.DataFrame | None = None

    def generate() -> None:
        nonlocal frame
        frame = simple_generate(n, seed)

    out = {"generate": timed(generate)}
    out["validate"] = timed(lambda: simple_validate(frame))
    with Database(folder / "simple.duckdb") as db:
        out["import"] = timed(lambda: simple_import(real_csv, n, db))
    return out


def fast_orders(n: int, folder: Path) -> dict[str, float]:
    """Write an `n`-line orders log, then import it with the real tool into a fresh database."""
    path = folder / "orders.csv"
    with Database(folder / "orders-source.duckdb") as db:
        db.execute(ORDERS_LOG.format(n=n, path=path))
    ctx = context(folder / "orders.duckdb")
    out = {"orders_import": timed(lambda: run_tool(ctx, "import_data", kind="orders", path=str(path)), "orders_import")}
    out["orders_reimport_unchanged"] = timed(
        lambda: run_tool(ctx, "import_data", kind="orders", path=str(path)), "orders_reimport_unchanged"
    )
    ctx.db.close()
    out["orders_csv_mb"] = round(path.stat().st_size / 1e6, 1)
    return out


def simple_orders(path: Path, n: int, db: Database) -> dict[str, dict[str, Any]]:
    """The first `n` lines the way a hand-written importer would: per line strptime, float, a return
    check, per-customer net spend, order set and last purchase in dicts; the lines then go in with one
    bulk insert (kinder to the simple way than an INSERT per line would be)."""
    customers: dict[str, dict[str, Any]] = {}
    lines, numbers = [], Counter()
    with path.open(newline="", encoding="utf-8") as fh:
        for row in itertools.islice(csv.DictReader(fh), n):
            when = datetime.strptime(row["InvoiceDate"], "%m/%d/%Y %H:%M")
            quantity, price = float(row["Quantity"]), float(row["UnitPrice"])
            amount = round(quantity * price, 2)
            returned = row["InvoiceNo"].startswith("C") or amount < 0
            amount = -abs(amount) if returned else amount
            customer = row["CustomerID"].removesuffix(".0").strip() or None
            numbers[row["InvoiceNo"]] += 1
            lines.append((row["InvoiceNo"], numbers[row["InvoiceNo"]], customer, when, amount, row["StockCode"],
                          quantity, price, returned))  # fmt: skip
            if customer is None:
                continue
            figures = customers.setdefault(customer, {"net": 0.0, "orders": set(), "last": None})
            figures["net"] += amount
            if not returned:
                figures["orders"].add(row["InvoiceNo"])
                figures["last"] = max(figures["last"] or when, when)
    columns = ["order_id", "line", "customer_id", "ordered_at", "amount", "sku", "quantity", "unit_price", "is_return"]
    db.con.register("simple_lines", pd.DataFrame(lines, columns=columns))
    db.execute(f"INSERT INTO orders ({', '.join(columns)}, source) SELECT *, 'bench' FROM simple_lines")  # noqa: S608
    return customers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="rows for the real tools")
    parser.add_argument("--orders", type=int, default=0, help="lines of an orders log to import (0 = none)")
    parser.add_argument("--simple", type=int, default=20_000, help="rows for the per-row baseline")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()

    load_all()  # importing every tool module is start-up cost, not a stage
    load_before = os.getloadavg()[0]
    report: dict[str, Any] = {"targets": TARGETS}
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        folder = Path(tmp)
        if args.customers:
            report |= customers_report(args, folder)
        if args.orders:
            report["orders"] = orders_report(args, folder)
    report["load_average_1min"] = {
        "before": round(load_before, 2),
        "after": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
    }
    report["cpu_seconds"] = CPU_SECONDS
    report["peak_rss_mb"] = rss = peak_rss_mb()
    if args.customers:
        report["within_target"]["peak_rss_mb"] = rss <= TARGETS["peak_rss_mb"]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    if args.customers:
        real, baseline, per_row = report["seconds"], report["simple"]["seconds"], report["per_row_speedup"]
        for stage in ("generate", "validate", "write_csv", "import", "reimport_unchanged"):
            line = f"{stage:>25}: {real[stage]:7.2f} s"
            if stage in per_row:
                line += f"   simple way {baseline[stage]:.2f} s for {args.simple:,} rows -> {per_row[stage]}x per row"
            print(line)
    if args.orders:
        o = report["orders"]
        print(
            f"{'orders_import':>25}: {o['seconds']['orders_import']:7.2f} s for {args.orders:,} lines "
            f"({o['seconds']['orders_csv_mb']} MB)   simple way {o['simple_seconds']:.2f} s for {args.simple:,} "
            f"lines -> {o['per_row_speedup']}x per row"
        )
        print(f"{'orders_reimport_unchanged':>25}: {o['seconds']['orders_reimport_unchanged']:7.2f} s")
    print(f"{'peak RSS':>25}: {rss:,.0f} MB   (targets: {TARGETS})")


def customers_report(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    real = fast(args.customers, args.seed, folder)
    baseline = simple(args.simple, args.seed, folder, folder / "customers.csv")
    per_row = {
        stage: round((baseline[stage] / args.simple) / (real[stage] / args.customers), 1)
        for stage in ("generate", "validate", "import")
        if real[stage] > 0
    }
    return {
        "customers": args.customers,
        "seconds": real,
        "rows_per_second": {s: round(args.customers / real[s]) for s in ("generate", "validate", "import")},
        "simple": {"customers": args.simple, "seconds": baseline},
        "per_row_speedup": per_row,
        "within_target": {s: real[s] <= TARGETS[s] for s in ("generate", "validate", "import")},
    }


def orders_report(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    real = fast_orders(args.orders, folder)
    with Database(folder / "simple-orders.duckdb") as db:
        simple_seconds = timed(lambda: simple_orders(folder / "orders.csv", args.simple, db))
    return {
        "lines": args.orders,
        "seconds": real,
        "lines_per_second": round(args.orders / real["orders_import"]),
        "simple_lines": args.simple,
        "simple_seconds": simple_seconds,
        "per_row_speedup": round((simple_seconds / args.simple) / (real["orders_import"] / args.orders), 1),
        "within_target": real["orders_import"] <= TARGETS["orders_import"],
    }


if __name__ == "__main__":
    main()
