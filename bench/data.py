"""Data-layer benchmark: generate, validate, write a CSV and import it, against the per-row way.

    uv run python -m bench.data --customers 1000000 --json

Times each stage of the real tools at `--customers` rows, then the same stages done the simple
way (a Python loop per row, row-wise `DataFrame.apply`) on `--simple` rows, and prints seconds,
rows per second, the per-row speed-up and the process's peak RSS. Targets (2-core machine):
generate 1M customers <= 15 s, validate 1M <= 3 s, import a 1M-row CSV <= 10 s, peak RSS <= 2 GB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from email_validator import EmailNotValidError, validate_email
from faker import Faker

from storage.db import Database
from tools import Settings, ToolContext, load_all, run_tool
from tools.catalog import CUSTOMER_TYPE_SHARE, CUSTOMER_TYPES

TARGETS = {"generate": 15.0, "validate": 3.0, "import": 10.0, "peak_rss_mb": 2048.0}
TEXT_COLUMNS = (
    "customer_id",
    "first_name",
    "last_name",
    "email",
    "customer_type",
    "style",
    "preferred_categories",
    "preferred_brands",
    "created_at",
)
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
    """One customer at a time: Faker per row, `random` per value."""
    fake, rnd = Faker("en_US"), random.Random(seed)
    fake.seed_instance(seed)
    rows = []
    for i in range(1, n + 1):
        ctype = rnd.choices(range(4), CUSTOMER_TYPE_SHARE)[0]
        orders = 1 + int(rnd.expovariate(1 / [1.5, 5.0, 13.0, 28.0][ctype]))
        aov = rnd.lognormvariate([3.6, 4.2, 4.7, 5.6][ctype], 0.35)
        first, last = fake.first_name(), fake.last_name()
        rows.append(
            {
                "customer_id": f"C{i:07d}",
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}{i}@example.com".lower(),
                "customer_type": CUSTOMER_TYPES[ctype],
                "total_spent": round(orders * aov, 2),
                "order_count": orders,
                "avg_order_value": round(aov, 2),
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


def simple_import(path: Path, db: Database) -> int:
    """csv.DictReader and a try/float per value of every column; the good rows then go in with one
    bulk insert per table (kinder to the simple way than an INSERT per row would be)."""
    good = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            try:
                parsed = {k: (float(v) if v else None) for k, v in row.items() if k not in TEXT_COLUMNS}
                parsed["created_at"] = datetime.fromisoformat(row["created_at"]) if row["created_at"] else None
            except ValueError:
                continue
            if row["customer_id"]:
                good.append({k: row[k] or None for k in TEXT_COLUMNS if k in row} | parsed)
    db.con.register("simple_rows", pd.DataFrame(good))
    db.execute(
        "INSERT INTO customers (customer_id, first_name, last_name, email, created_at, source) "
        "SELECT customer_id, first_name, last_name, email, created_at, 'bench' FROM simple_rows"
    )
    db.execute(
        "INSERT INTO customer_behavior (customer_id, total_spent, order_count, avg_order_value) "
        "SELECT customer_id, total_spent, order_count, avg_order_value FROM simple_rows"
    )
    return len(good)


def simple(n: int, seed: int, folder: Path) -> dict[str, float]:
    frame: pd.DataFrame | None = None

    def generate() -> None:
        nonlocal frame
        frame = simple_generate(n, seed)

    out = {"generate": timed(generate)}
    frame["created_at"] = pd.Timestamp("2025-01-01")
    out["validate"] = timed(lambda: simple_validate(frame))
    csv_path = folder / "simple.csv"
    frame.to_csv(csv_path, index=False)
    with Database(folder / "simple.duckdb") as db:
        out["import"] = timed(lambda: simple_import(csv_path, db))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="rows for the real tools")
    parser.add_argument("--simple", type=int, default=20_000, help="rows for the per-row baseline")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()

    load_all()  # importing every tool module is start-up cost, not a stage
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        folder = Path(tmp)
        baseline = simple(args.simple, args.seed, folder)
        real = fast(args.customers, args.seed, folder)
    per_row = {
        stage: round((baseline[stage] / args.simple) / (real[stage] / args.customers), 1)
        for stage in ("generate", "validate", "import")
        if real[stage] > 0
    }
    rss = peak_rss_mb()
    report = {
        "customers": args.customers,
        "seconds": real,
        "cpu_seconds": CPU_SECONDS,
        "load_average_1min": {
            "before": round(load_before, 2),
            "after": round(os.getloadavg()[0], 2),
            "cores": os.cpu_count(),
        },
        "rows_per_second": {s: round(args.customers / real[s]) for s in ("generate", "validate", "import")},
        "peak_rss_mb": rss,
        "simple": {"customers": args.simple, "seconds": baseline},
        "per_row_speedup": per_row,
        "targets": TARGETS,
        "within_target": {
            **{s: real[s] <= TARGETS[s] for s in ("generate", "validate", "import")},
            "peak_rss_mb": rss <= TARGETS["peak_rss_mb"],
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for stage in ("generate", "validate", "write_csv", "import", "reimport_unchanged"):
        line = f"{stage:>19}: {real[stage]:7.2f} s"
        if stage in per_row:
            line += f"   simple way {baseline[stage]:.2f} s for {args.simple:,} rows -> {per_row[stage]}x per row"
        print(line)
    print(f"{'peak RSS':>19}: {rss:,.0f} MB   (targets: {TARGETS})")


if __name__ == "__main__":
    main()
