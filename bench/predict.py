"""Prediction benchmark: fit and score a million customers, and the reference library side by side.

    uv run python -m bench.predict --customers 1000000 --json

1. End to end at `--customers` (target <= 10 s at 1M on 2 cores): an orders log drawn from the models
   (one purchase per customer-day, 18 months) is written to a DuckDB file; then a fresh process runs the
   `predict` tool on it (purchase summaries in SQL, both fits, every customer's scores, stored, with the
   tables and charts of the answer) and reports its wall and CPU time and its peak resident memory.
   The same process times the model part alone (fits and scores on the arrays, without the database).
2. Side by side on `--reference-customers` summaries (default 100,000): this module's fits and conditional
   expectations against `lifetimes` 0.11.3 (the dev group), parameters and times, with the ratio.
   Skipped, saying so, where lifetimes is not installed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DAYS = 540
SEED = 21


def models():
    from tools.predict.models import BGNBD, GammaGamma

    # CDNOW's shape, with rates per day: a customer buys about every 40 days while active
    return BGNBD(r=0.5, alpha=20.0, a=0.8, b=2.5, log_likelihood=0), GammaGamma(6.25, 3.74, 15.44, 0)


def make_shop(path: Path, customers: int) -> dict:
    from storage.db import Database
    from tools.predict import simulate

    start = time.perf_counter()
    orders = simulate.order_log(*models(), customers, DAYS, seed=SEED)
    with Database(path) as db:
        db.con.register("log", orders)
        db.execute("""INSERT INTO orders (order_id, customer_id, ordered_at, amount, source)
                      SELECT order_id, customer_id, ordered_at, amount, 'bench' FROM log""")
    return {
        "customers": customers,
        "orders": len(orders),
        "days": DAYS,
        "seconds": round(time.perf_counter() - start, 1),
    }


def run_predict(path: str) -> dict:
    """In a fresh process: the predict tool end to end, then the models alone on the same summaries."""
    from storage import predictions as store
    from storage.db import Database
    from tools import Settings, ToolContext, run_tool
    from tools.predict import scoring

    with Database(path) as db:
        ctx = ToolContext(db=db, settings=Settings(db_path=path))
        start, cpu = time.perf_counter(), time.process_time()
        result = run_tool(ctx, "predict")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        summary = store.order_summary(db, result.data["as_of"])
    start = time.perf_counter()
    fitted = scoring.fit(summary)
    fit_seconds = time.perf_counter() - start
    scoring.score(fitted, summary, result.data["as_of"], 1.0)
    truth = models()[0]
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),  # on a shared machine, wall time includes waiting for a core
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "customers_scored": result.data["customers"],
        "repeat_customers": result.data["repeat_customers"],
        "models_only": {
            "fit_seconds": round(fit_seconds, 2),
            "score_seconds": round(time.perf_counter() - start - fit_seconds, 2),
        },
        "fitted": {k: round(result.data[k], 3) for k in ("r", "alpha", "a", "b", "p", "q", "gamma")},
        "drawn_with": {"r": truth.r, "alpha": truth.alpha, "a": truth.a, "b": truth.b},
        "target_met": seconds <= 10,
    }


def side_by_side(customers: int) -> dict:
    # scipy is loaded before the clock starts, as lifetimes is: the race is the fitting, not the imports
    import scipy.optimize
    import scipy.special  # noqa: F401

    from tools.predict import simulate
    from tools.predict.models import BGNBD, GammaGamma

    buying, spending = models()
    ages = np.random.default_rng(SEED).integers(60, DAYS, customers)
    drawn = simulate.summaries(buying, customers, ages, SEED).round()  # whole days, as from the orders log
    x, t_x, T = (drawn[c].to_numpy() for c in ("x", "t_x", "T"))
    repeat = x > 0
    zbar = simulate.mean_spend(spending, x, seed=SEED)[repeat]

    start = time.perf_counter()
    ours = BGNBD.fit(x, t_x, T)
    ours_spend = GammaGamma.fit(x[repeat], zbar)
    ours_expected = ours.expected_purchases(90, x, t_x, T)
    ours_seconds = time.perf_counter() - start
    report = {
        "customers": customers,
        "ours": {"seconds": round(ours_seconds, 2), **_params(ours, ours_spend)},
    }
    try:
        import lifetimes
    except ImportError:
        report["lifetimes"] = "not installed (it is in the dev group: uv sync installs it)"
        return report
    start = time.perf_counter()
    reference = lifetimes.BetaGeoFitter().fit(x, t_x, T)
    reference_spend = lifetimes.GammaGammaFitter().fit(x[repeat], zbar)
    reference_expected = reference.conditional_expected_number_of_purchases_up_to_time(90, x, t_x, T)
    seconds = time.perf_counter() - start
    p = reference.params_
    s = reference_spend.params_
    report["lifetimes"] = {
        "version": lifetimes.__version__,
        "seconds": round(seconds, 2),
        "r": round(p["r"], 4), "alpha": round(p["alpha"], 4), "a": round(p["a"], 4), "b": round(p["b"], 4),
        "p": round(s["p"], 4), "q": round(s["q"], 4), "gamma": round(s["v"], 4),
    }  # fmt: skip
    report["max_relative_difference_in_expected_purchases"] = float(
        np.max(np.abs(ours_expected - reference_expected) / np.maximum(reference_expected, 1e-9))
    )
    report["speedup"] = round(seconds / ours_seconds, 1)
    return report


def _params(bg, gg) -> dict:
    values = {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b, "p": gg.p, "q": gg.q, "gamma": gg.gamma}
    return {k: round(v, 4) for k, v in values.items()}


def stage(name: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {name}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--reference-customers", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--run", help=argparse.SUPPRESS)  # internal: the fresh process of step 1
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_predict(args.run)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        stage(f"drawing an orders log for {args.customers:,} customers")
        shop = make_shop(path, args.customers)
        stage("predicting, in a fresh process")
        out = subprocess.run(
            [sys.executable, "-m", "bench.predict", "--run", str(path)], capture_output=True, text=True, check=True
        )
        end_to_end = json.loads(out.stdout)
    stage(f"side by side with lifetimes on {args.reference_customers:,} customers")
    report = {"shop": shop, "predict": end_to_end, "reference": side_by_side(args.reference_customers)}
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
