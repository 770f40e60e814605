"""Segmentation benchmark: the k sweep at scale, how close the fast method is, and the seed's way.

    uv run python -m bench.segments --customers 1000000 --json

1. `segment sweep` (k = 2..10, end to end: features from DuckDB, scaling, fits, metrics) on a demo
   shop of `--customers` (target <= 60 s at 1M) and of 100,000 customers (target <= 10 s).
2. Accuracy on 50,000 customers: the method used for big shops (best of several MiniBatchKMeans
   starts, Lloyd polish, silhouette on a fixed sample) against full KMeans with the exact silhouette,
   per k; target: within 0.02 for every k (`target_met`).
   The exact silhouette of 50k points is computed with a BLAS formulation (distances in chunks,
   per-cluster sums as one matrix product for all k at once), checked against scikit-learn's on 3k;
   scikit-learn's own would take minutes per k.
3. The seed's way (KMeans n_init=10 + scikit-learn's exact silhouette for every k) against
   PromoPilot's sweep on the same 20,000 customers, with the ratio.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

KS = range(2, 11)


def demo_ctx(path: Path, customers: int):
    from storage.db import Database
    from tools import Settings, ToolContext, run_tool

    db = Database(path)
    ctx = ToolContext(db=db, settings=Settings(db_path=str(path)))
    run_tool(ctx, "generate_demo_data", customers=customers, products=200, seed=11)
    return ctx


def timed_sweep(ctx) -> dict:
    from tools import run_tool

    start, cpu = time.perf_counter(), time.process_time()
    result = run_tool(ctx, "segment_sweep", k_min=KS.start, k_max=KS.stop - 1)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),  # on a shared machine, wall time includes waiting for a core
        "customers": result.data["customers"],
        "method": result.data["method_detail"],
        "recommended_k": result.data["recommendation"]["k"],
    }


def exact_silhouettes(matrix: np.ndarray, labelings: list[np.ndarray], chunk: int = 500) -> list[float]:
    """Exact mean silhouette for several labelings of the same points, in one pass over the distances."""
    x = matrix.astype(np.float64)
    sq = (x * x).sum(axis=1)
    blocks = [np.eye(labels.max() + 1, dtype=np.float64)[labels] for labels in labelings]
    onehot = np.hstack(blocks)  # n x sum(k)
    sizes = onehot.sum(axis=0)
    bounds = np.cumsum([0, *(b.shape[1] for b in blocks)])
    totals = [np.zeros(len(x)) for _ in labelings]
    for start in range(0, len(x), chunk):
        rows = slice(start, start + chunk)
        dist = np.sqrt(np.maximum(sq[rows, None] + sq[None, :] - 2 * x[rows] @ x.T, 0))
        sums = dist @ onehot  # chunk x sum(k): distance sums to every cluster of every labeling
        for i, labels in enumerate(labelings):
            part = sums[:, bounds[i] : bounds[i + 1]]
            own = labels[rows]
            own_size = sizes[bounds[i] + own]
            a = part[np.arange(len(own)), own] / np.maximum(own_size - 1, 1)
            means = part / sizes[bounds[i] : bounds[i + 1]]
            means[np.arange(len(own)), own] = np.inf
            b = means.min(axis=1)
            s = (b - a) / np.maximum(a, b)
            totals[i][rows] = np.where(own_size > 1, s, 0.0)
    return [float(t.mean()) for t in totals]


def accuracy(matrix: np.ndarray, seed: int) -> dict:
    """Per k: the big-shop method's silhouette (as it reports it) against full KMeans' exact silhouette.

    Two settings of the big-shop method: centres from all 50k (as for shops up to FIT_SAMPLE), and
    centres from a 10% sample with everyone assigned (the proportion a 1M shop gets)."""
    from tools.segments import cluster as segments

    check = matrix[:3000]
    check_labels = KMeans(4, n_init=1, random_state=seed).fit_predict(check)
    ours, sklearns = exact_silhouettes(check, [check_labels])[0], silhouette_score(check, check_labels)
    assert abs(ours - sklearns) < 1e-6, (ours, sklearns)

    fast = segments.Method(minibatch=True, silhouette_sample=segments.SILHOUETTE_SAMPLE)
    settings = {"centres_from_all": segments.FIT_SAMPLE, "centres_from_10pct": len(matrix) // 10}
    rows = {name: [] for name in settings}
    full_labels = []
    with threadpool_limits(1):
        for k in KS:
            for name, fit_sample in settings.items():
                segments.FIT_SAMPLE = fit_sample
                labels, _, _ = segments.fit(matrix, k, seed, fast)
                rows[name].append(segments.score(matrix, labels, seed, fast)["silhouette"])
            segments.FIT_SAMPLE = settings["centres_from_all"]
            full_labels.append(KMeans(k, n_init=4, random_state=seed).fit_predict(matrix))
        exact = exact_silhouettes(matrix, full_labels)
    report: dict = {"customers": len(matrix), "kmeans_exact_silhouette": by_k(exact)}
    for name, values in rows.items():
        diffs = np.asarray(values) - np.asarray(exact)
        report[name] = {
            "silhouette": by_k(values),
            "difference": by_k(diffs),
            "max_abs_difference": round(float(np.abs(diffs).max()), 4),
            "k_within_0.02": int((np.abs(diffs) <= 0.02).sum()),
            "target_met": bool((np.abs(diffs) <= 0.02).all()),
        }
    return report


def by_k(values) -> dict[int, float]:
    return {k: round(float(v), 4) for k, v in zip(KS, values, strict=True)}


def seed_way(matrix: np.ndarray, seed: int) -> float:
    """Also on one thread, so the ratio measures the method, not OpenMP contention on a shared machine."""
    start = time.perf_counter()
    with threadpool_limits(1):
        for k in KS:
            labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(matrix)
            silhouette_score(matrix, labels)
    return time.perf_counter() - start


def stage(name: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {name}", file=sys.stderr, flush=True)


def ours_on(matrix: np.ndarray, seed: int) -> tuple[float, str]:
    from tools.segments.cluster import Method, sweep_matrix

    method = Method.for_size(len(matrix))
    start = time.perf_counter()
    with method.threads():
        sweep_matrix(matrix, KS, seed, method)
    return time.perf_counter() - start, method.describe(len(matrix))


def main() -> None:
    parser = argparse.ArgumentParser(description="PromoPilot segmentation benchmark")
    parser.add_argument("--customers", type=int, default=1_000_000, help="size of the big sweep")
    parser.add_argument("--mid-customers", type=int, default=100_000, help="size of the second sweep")
    parser.add_argument("--seed-customers", type=int, default=20_000, help="size for the seed's way")
    parser.add_argument("--accuracy-customers", type=int, default=50_000, help="size for the accuracy check")
    parser.add_argument("--skip-big", action="store_true", help="leave out the big sweep")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    from tools.data.features import load_features

    report: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        stage(f"sweep on {args.mid_customers:,}")
        mid = demo_ctx(Path(tmp) / "mid.duckdb", args.mid_customers)
        report["sweep_mid"] = {**timed_sweep(mid), "target_seconds": 10}
        matrix = load_features(mid.db).matrix
        mid.db.close()
        rng = np.random.default_rng(3)
        subset = matrix[rng.choice(len(matrix), args.accuracy_customers, replace=False)]
        stage(f"accuracy on {args.accuracy_customers:,}")
        report["accuracy"] = accuracy(subset, seed=42)
        stage("the seed's way against ours")
        same = matrix[rng.choice(len(matrix), args.seed_customers, replace=False)]
        ours, method = ours_on(same, 42)
        seed_seconds = seed_way(same, 42)
        report["seed_way"] = {
            "customers": args.seed_customers,
            "seed_seconds": round(seed_seconds, 2),
            "promopilot_seconds": round(ours, 2),
            "promopilot_method": method,
            "ratio": round(seed_seconds / ours, 1),
        }
        if not args.skip_big:
            stage(f"sweep on {args.customers:,}")
            start = time.perf_counter()
            big = demo_ctx(Path(tmp) / "big.duckdb", args.customers)
            generated = time.perf_counter() - start
            report["sweep_big"] = {**timed_sweep(big), "generate_seconds": round(generated, 2), "target_seconds": 60}
            big.db.close()
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
