"""Customer segmentation: compare k, recommend one, fit KMeans, profile, name and store the segments.

Up to KMEANS_LIMIT customers: exact KMeans (several initialisations). Above: MiniBatchKMeans on a
fixed-seed fit sample, polished by Lloyd, everyone assigned, so a million customers take seconds.
The silhouette (quadratic in n) is exact up to SILHOUETTE_SAMPLE customers and on a fixed-seed
sample above; inertia is always on everyone; Calinski-Harabasz and Davies-Bouldin on everyone up
to FIT_SAMPLE and on the fit sample above. Every result says which method was used. Segments are
numbered 1..k from the largest down, so "segment 1" is stable to talk about. Profiles are
aggregated in DuckDB; the model only ever sees aggregates. scikit-learn, kneed and threadpoolctl are
imported in the functions that fit and score: they take ~1.5 s, which every CLI command would otherwise pay.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.llm import ModelUnavailable, StructuredModel
from storage.db import Database
from storage.errors import UserError
from storage.queries import active_run_id
from tools import segment_charts as charts
from tools.context import ToolContext
from tools.data.features import FEATURES, NUMERIC, Prepared, feature_sql, load_features, load_transformer
from tools.registry import Positional, tool
from tools.results import Table, ToolResult, jsonable
from tools.segment_naming import name_segments

if TYPE_CHECKING:
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

KMEANS_LIMIT = 50_000  # above this, MiniBatchKMeans
SILHOUETTE_SAMPLE = 3_000  # exact silhouette up to this many customers, a fixed-seed sample above
FIT_SAMPLE = 100_000  # big data: centres are learnt from at most this many, then everyone is assigned
PROPOSALS = 4  # big data: MiniBatchKMeans starts compared per fit
PROPOSAL_SAMPLE = 20_000  # ... each on at most this many customers
STABILITY_SAMPLE = 100_000  # the second-seed fit for the stability check uses at most this many
MIN_PER_SEGMENT = 5
AUTO_K_MAX = 10
K_LIMIT = 30
TOP_ITEMS = 3
MAX_SEED = 2**31 - 2  # scikit-learn takes seeds below 2**32; the stability check uses seed + 1

FeatureList = Field(
    None,
    description=f"Features to cluster on (default: behaviour, preferences and style). Any of: {', '.join(FEATURES)}.",
)


# -- clustering core (also used by bench.segments) ------------------------------------------------------------
@dataclass(frozen=True)
class Method:
    minibatch: bool
    silhouette_sample: int | None  # None = exact

    @classmethod
    def for_size(cls, n: int) -> Method:
        return cls(minibatch=n > KMEANS_LIMIT, silhouette_sample=SILHOUETTE_SAMPLE if n > SILHOUETTE_SAMPLE else None)

    @property
    def name(self) -> str:
        return "minibatch" if self.minibatch else "kmeans"

    @staticmethod
    def threads() -> threadpool_limits:
        """One BLAS/OpenMP thread: on a shared 2-core machine, spin-waiting threads made fits 6-10x slower
        (measured: MiniBatchKMeans on 200k, 0.9 s with one thread, 6.4 s with two)."""
        from threadpoolctl import threadpool_limits

        return threadpool_limits(1)

    def describe(self, n: int) -> str:
        algo = f"KMeans on all {n:,} customers"
        if self.minibatch:
            algo = f"best of {PROPOSALS} MiniBatchKMeans starts + Lloyd polish " + (
                f"on a fixed sample of {FIT_SAMPLE:,}, every customer assigned" if n > FIT_SAMPLE else f"on all {n:,}"
            )
        sil = (
            "exact silhouette"
            if self.silhouette_sample is None
            else f"silhouette on a fixed sample of {self.silhouette_sample:,}"
        )
        if self.minibatch and n > FIT_SAMPLE:
            sil += ", Calinski-Harabasz and Davies-Bouldin on the fit sample"
        return f"{algo}, {sil}"


def sample_rows(n: int, size: int, seed: int) -> np.ndarray | slice:
    """A fixed-seed sample of row positions (sorted), or every row when there are few enough."""
    if n <= size:
        return slice(None)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def fit(matrix: np.ndarray, k: int, seed: int, method: Method) -> tuple[np.ndarray, float, Any]:
    """Labels (0-based), inertia on everyone, and the fitted model.

    Big data: on a fixed-seed sample of at most FIT_SAMPLE (MiniBatchKMeans' cost grows with n even at a
    fixed number of steps), the best of several MiniBatchKMeans starts is polished by Lloyd iterations,
    and every customer goes to the nearest centre."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import pairwise_distances_argmin_min

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if method.minibatch:
            train = matrix[sample_rows(len(matrix), FIT_SAMPLE, seed)]
            model = KMeans(n_clusters=k, init=_best_start(train, k, seed), n_init=1, max_iter=100).fit(train)
            labels, distances = pairwise_distances_argmin_min(matrix, model.cluster_centers_)
            inertia = float(np.square(distances).sum())
        else:
            model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(matrix)
            labels, inertia = model.labels_, float(model.inertia_)
    if len(np.unique(labels)) < k:
        raise UserError(
            f"The customers have fewer than {k} distinct feature combinations, so {k} segments cannot be formed.",
            hint="Ask for fewer segments or use more features.",
        )
    return labels, inertia, model


def _best_start(train: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Centres to polish: PROPOSALS MiniBatchKMeans runs on a small sample, each given ten Lloyd steps; the
    lowest inertia wins. Why several: from a single start, the polished centres sat in a poorer local
    optimum for k >= 7 on the demo shop, 0.02-0.03 silhouette below full KMeans; with four, within 0.015,
    for about 10% more CPU in the 100k sweep (bench.segments measures both)."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    small = train[sample_rows(len(train), PROPOSAL_SAMPLE, seed)]

    def trial(start: int) -> KMeans:
        proposal = MiniBatchKMeans(n_clusters=k, batch_size=4096, n_init=1, random_state=start).fit(small)
        return KMeans(n_clusters=k, init=proposal.cluster_centers_, n_init=1, max_iter=10).fit(small)

    starts = np.random.SeedSequence(seed).generate_state(PROPOSALS)
    return min((trial(int(start)) for start in starts), key=lambda model: model.inertia_).cluster_centers_


def score(matrix: np.ndarray, labels: np.ndarray, seed: int, method: Method) -> dict[str, float]:
    """Silhouette (exact, or on a fixed sample); Calinski-Harabasz and Davies-Bouldin on the fit sample."""
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    rows = sample_rows(len(matrix), FIT_SAMPLE, seed) if method.minibatch else slice(None)
    return {
        "silhouette": float(silhouette_score(matrix, labels, sample_size=method.silhouette_sample, random_state=seed)),
        "calinski_harabasz": float(calinski_harabasz_score(matrix[rows], labels[rows])),
        "davies_bouldin": float(davies_bouldin_score(matrix[rows], labels[rows])),
    }


def sweep_matrix(matrix: np.ndarray, ks: range, seed: int, method: Method, advance=lambda step=1: None) -> pd.DataFrame:
    """The metric table: one row per k."""
    rows = []
    with method.threads():
        for k in ks:
            labels, inertia, _ = fit(matrix, k, seed, method)
            rows.append({"k": k, "inertia": inertia, **score(matrix, labels, seed, method)})
            advance(1)
    return pd.DataFrame(rows)


def require_enough(n: int, k: int) -> None:
    if n < MIN_PER_SEGMENT * k:
        most = n // MIN_PER_SEGMENT
        raise UserError(
            f"Only {n:,} usable customers: too few for {k} segments (at least {MIN_PER_SEGMENT} per segment).",
            hint=f"Ask for at most {most} segments, or add or un-quarantine customers."
            if most >= 2  # one segment is no segmentation: say how many customers it takes instead
            else f"Segmenting needs at least {2 * MIN_PER_SEGMENT} usable customers: add or un-quarantine some.",
        )


# -- recommending k ----------------------------------------------------------------------------------------------
class KChoice(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    k: int = Field(description="The recommended number of segments.")
    reason: str = Field(min_length=1, max_length=600, description="One or two sentences grounded in the metrics.")


K_SYSTEM = (
    "You advise a marketer how many customer segments to use. You get a table of clustering metrics per "
    "number of segments k: inertia (lower is tighter; look for the elbow), silhouette (higher is better, "
    "max 1), Calinski-Harabasz (higher is better), Davies-Bouldin (lower is better). Recommend one k from "
    "the table that is at least the stated minimum, balancing separation with usefulness for marketing."
)


def rule_k(table: pd.DataFrame, min_k: int) -> dict[str, Any]:
    """Kneedle's elbow of inertia (of several knees, the best silhouette); no knee: the best silhouette.

    The table must hold at least one k >= min_k (SweepArgs and segment_run make sure of it)."""
    from kneed import KneeLocator

    allowed = table[table["k"] >= min_k]
    best_silhouette = allowed.loc[allowed["silhouette"].idxmax()]
    knees: set[int] = set()
    if len(table) >= 3:
        locator = KneeLocator(table["k"], table["inertia"], curve="convex", direction="decreasing", online=True)
        knees = {int(k) for k in locator.all_knees if k is not None}
    candidates = allowed[allowed["k"].isin(knees)]
    if candidates.empty:
        k = int(best_silhouette["k"])
        why = "no elbow in inertia" if not knees else f"the elbow (k = {min(knees)}) is below the minimum of {min_k}"
        reason = f"{why}, so the k with the best silhouette ({best_silhouette['silhouette']:.3f}) was chosen"
    else:
        row = candidates.loc[candidates["silhouette"].idxmax()]
        k = int(row["k"])
        reason = f"the elbow of the inertia curve is at k = {k} (silhouette {row['silhouette']:.3f})"
    return {"k": k, "reason": reason[0].upper() + reason[1:] + ".", "decided_by": "rule"}


def recommend_k(llm: StructuredModel | None, table: pd.DataFrame, min_k: int) -> dict[str, Any]:
    """The model's k from the metric table alone, or the rule's when there is no model or it answers nonsense.

    Either way: {k, reason, decided_by: model|rule, fallback: why the rule decided, or None}."""
    if llm is None:
        return {**rule_k(table, min_k), "fallback": "no AI model is configured"}
    allowed = [int(k) for k in table["k"] if k >= min_k]
    prompt = f"Metrics per k:\n{table.round(4).to_csv(index=False)}\nChoose k from {allowed}; the minimum is {min_k}."
    try:
        answer = llm.ask(K_SYSTEM, prompt, KChoice)
        if answer.k not in allowed:
            raise ModelUnavailable(f"answered k = {answer.k}, not one of {allowed}")
    except ModelUnavailable as exc:
        return {**rule_k(table, min_k), "fallback": f"the AI model gave no usable answer ({exc})"}
    return {"k": answer.k, "reason": answer.reason.strip(), "decided_by": "model", "fallback": None}


def _recommendation_text(rec: dict[str, Any]) -> str:
    by = "the AI model" if rec["decided_by"] == "model" else f"the elbow rule ({rec['fallback']})"
    return f"Recommended k = {rec['k']}, decided by {by}: {rec['reason']}"


# -- tools ----------------------------------------------------------------------------------------------------------
class SweepArgs(BaseModel):
    k_min: int = Field(2, ge=2, le=K_LIMIT, description="Smallest number of segments to try.")
    k_max: int = Field(
        10, ge=2, le=K_LIMIT, description="Largest number of segments to try (default 10, fewer for few customers)."
    )
    features: list[str] | None = FeatureList
    min_k: int = Field(3, ge=2, le=K_LIMIT, description="Never recommend fewer segments than this.")
    seed: int = Field(42, ge=0, le=MAX_SEED, description="Random seed: the same seed gives the same numbers.")

    @model_validator(mode="after")
    def _range(self) -> SweepArgs:
        if self.k_max < self.k_min:
            raise ValueError(f"k_max ({self.k_max}) must be at least k_min ({self.k_min})")
        if self.k_max < self.min_k:
            raise ValueError(
                f"k_max ({self.k_max}) is below min_k ({self.min_k}), so no compared k could be recommended: "
                "raise k_max or lower min_k"
            )
        return self


def _sweep(ctx: ToolContext, prepared: Prepared, args: SweepArgs) -> tuple[pd.DataFrame, Method]:
    k_max = args.k_max
    if "k_max" not in args.model_fields_set:  # the default reaches only as far as the customers can fill
        k_max = max(min(k_max, prepared.n // MIN_PER_SEGMENT), args.k_min, args.min_k)
    require_enough(prepared.n, k_max)
    method = Method.for_size(prepared.n)
    ks = range(args.k_min, k_max + 1)
    with ctx.progress.task(f"Comparing k = {args.k_min}..{k_max}", total=len(ks)) as advance:
        return sweep_matrix(prepared.matrix, ks, args.seed, method, advance), method


def _customers_note(prepared: Prepared) -> str:
    out = prepared.left_out
    parts = [f"{v:,} {k.replace('_', ' ')}" for k, v in out.items() if v]
    return f"{prepared.n:,} customers" + (f" ({', '.join(parts)} left out)" if parts else "")


@tool(cli="segment sweep")
def segment_sweep(ctx: ToolContext, args: SweepArgs) -> ToolResult:
    """Compare numbers of customer segments (k) and recommend one.

    For each k: inertia (the elbow), silhouette, Calinski-Harabasz and Davies-Bouldin, on the
    prepared features of usable (non-quarantined) customers. The AI model, seeing only this
    metric table, recommends k; without it the elbow rule decides. Nothing is stored.
    """
    prepared = load_features(ctx.db, args.features)
    table, method = _sweep(ctx, prepared, args)
    rec = recommend_k(ctx.llm, table, args.min_k)
    return ToolResult(
        summary=f"Compared k = {args.k_min}..{table['k'].max()} on {_customers_note(prepared)} "
        f"({method.describe(prepared.n)}). {_recommendation_text(rec)}",
        data={
            "recommendation": rec,
            "metrics": table.to_dict("records"),
            "method": method.name,
            "method_detail": method.describe(prepared.n),
            "customers": prepared.n,
            "left_out": prepared.left_out,
            "features": prepared.features,
            "notes": prepared.notes,
        },
        tables=[Table.from_df("Metrics by k", table.round(4))],
        charts=[charts.sweep_chart(table, rec["k"])],
    )


class RunArgs(BaseModel):
    k: Annotated[int, Field(ge=2, le=K_LIMIT)] | Literal["auto"] = Field(
        "auto", description='Number of segments (2-30), or "auto" to compare k = 2..10 and take the recommended one.'
    )
    seed: int = Field(42, ge=0, le=MAX_SEED, description="Random seed: the same seed and data give the same segments.")
    features: list[str] | None = FeatureList
    min_k: int = Field(3, ge=2, le=K_LIMIT, description='With k "auto": never fewer segments than this.')


@tool(cli="segment run")
def segment_run(ctx: ToolContext, args: RunArgs) -> ToolResult:
    """Segment the customers with KMeans, profile and name the segments, and make this run the active one.

    Stores the run (settings, features, fitted scalers/encoders, quality metrics), every usable
    customer's segment, and each segment's profile and name. Reports stability: how much the
    segments agree when fitted again with another seed (adjusted Rand index, 1 = identical).
    """
    prepared = load_features(ctx.db, args.features)
    sweep_table, rec = None, None
    if args.k == "auto":
        k_max = _auto_k_max(prepared, args.min_k)
        sweep_args = SweepArgs(min_k=args.min_k, seed=args.seed, k_min=2, k_max=k_max, features=args.features)
        sweep_table, _ = _sweep(ctx, prepared, sweep_args)
        rec = recommend_k(ctx.llm, sweep_table, args.min_k)
        k = rec["k"]
    else:
        k = args.k
    require_enough(prepared.n, k)
    method = Method.for_size(prepared.n)
    with ctx.progress.task(f"Fitting {k} segments", total=3) as advance, method.threads():
        raw, inertia, _ = fit(prepared.matrix, k, args.seed, method)
        labels = _number_by_size(raw, k)
        metrics = {"inertia": inertia, **score(prepared.matrix, labels, args.seed, method)}
        advance(1)
        stability = _stability(prepared.matrix, labels, k, args.seed, method)
        advance(1)
        members = pa.table({"customer_id": pa.array(prepared.customer_ids, pa.string()), "segment": labels})
        profiles, overall = _profiles(ctx.db, members)
        advance(1)
    names, named_by, naming_note = name_segments(ctx.llm, profiles)
    params = {"k": k, "k_requested": args.k, "seed": args.seed, "min_k": args.min_k, "customers": prepared.n,
              "left_out": prepared.left_out, "notes": prepared.notes}  # fmt: skip
    metrics.update(method=method.describe(prepared.n), overall=overall, recommendation=rec,
                   sweep=None if sweep_table is None else sweep_table.to_dict("records"))  # fmt: skip
    run = {"created_at": datetime.now(UTC).replace(tzinfo=None), "k": k, "seed": args.seed, "method": method.name,
           "features": json.dumps(prepared.features), "params": json.dumps(jsonable(params)),
           "metrics": json.dumps(jsonable(metrics)), "transformer": prepared.dump_transformer(),
           "stability_ari": stability}  # fmt: skip
    segments = _segments_frame(profiles, names, named_by)
    # Everything shown is built before anything is stored, so a failure leaves the database as it was.
    listing = segments[["segment", "name", "size", "share", "named_by", "description"]].round({"share": 4})
    result_charts = [] if sweep_table is None else [charts.sweep_chart(sweep_table, k)]
    result_charts += _run_charts(listing, overall, profiles)
    name_of = dict(zip(listing["segment"], listing["name"], strict=True))
    result_charts.append(
        charts.map_chart(prepared.matrix, np.vectorize(lambda s: f"{s}. {name_of[s]}")(labels), args.seed)
    )
    run_id = _store(ctx.db, run, members, segments)
    chosen = "" if rec is None else _recommendation_text(rec) + " "
    naming = "named by the AI model" if named_by == "model" else f"named by rules ({naming_note})"
    return ToolResult(
        summary=f"Run {run_id}: {k} segments of {_customers_note(prepared)}, {naming}; it is now the active "
        f"segmentation. {chosen}Silhouette {metrics['silhouette']:.3f}, stability (ARI between two seeds) "
        f"{stability:.2f}. Method: {method.describe(prepared.n)}.",
        data={
            "run_id": run_id,
            "k": k,
            "method": method.name,
            "method_detail": metrics["method"],
            "metrics": {m: metrics[m] for m in ("inertia", "silhouette", "calinski_harabasz", "davies_bouldin")},
            "stability_ari": stability,
            "recommendation": rec,
            "named_by": named_by,
            "customers": prepared.n,
            "left_out": prepared.left_out,
            "features": prepared.features,
            "notes": prepared.notes + ([f"Names by rules: {naming_note}."] if naming_note else []),
            "segments": listing.drop(columns="description").to_dict("records"),
        },
        tables=[Table.from_df("Segments", listing)]
        + ([Table.from_df("Metrics by k", sweep_table.round(4))] if sweep_table is not None else []),
        charts=result_charts,
    )


def _auto_k_max(prepared: Prepared, min_k: int) -> int:
    """The largest k "auto" compares: AUTO_K_MAX (or min_k if higher), but no more than the customers can fill
    or than they have distinct points (clustering on style alone gives a handful). Refuses when even min_k
    cannot be formed."""
    require_enough(prepared.n, min_k)
    distinct = len(pd.DataFrame(prepared.matrix).drop_duplicates())
    if distinct < min_k:
        raise UserError(
            f"The customers have only {distinct} distinct combinations of {', '.join(prepared.features)}, "
            f"too few for {min_k} segments.",
            hint="Add features (--features ...) or allow fewer segments (--min-k).",
        )
    return min(max(AUTO_K_MAX, min_k), prepared.n // MIN_PER_SEGMENT, distinct)


def _number_by_size(raw: np.ndarray, k: int) -> np.ndarray:
    """Renumber clusters 1..k, largest first, so numbers mean the same thing across seeds."""
    counts = np.bincount(raw, minlength=k)
    rank = np.empty(k, dtype=np.int32)
    rank[np.argsort(-counts, kind="stable")] = np.arange(1, k + 1, dtype=np.int32)
    return rank[raw]


def _stability(matrix: np.ndarray, labels: np.ndarray, k: int, seed: int, method: Method) -> float:
    """ARI between this fit and one with another seed (on a fixed sample when n is big)."""
    from sklearn.metrics import adjusted_rand_score

    rows = np.arange(len(matrix))
    if len(matrix) > STABILITY_SAMPLE:
        rows = np.random.default_rng(seed).choice(len(matrix), STABILITY_SAMPLE, replace=False)
    other, _, _ = fit(matrix[rows], k, seed + 1, method)
    return float(adjusted_rand_score(labels[rows], other))


def _store(db: Database, run: dict[str, Any], members: pa.Table, segments: pd.DataFrame) -> int:
    """One transaction: the run, every member, every segment; the new run becomes the only active one.

    `run` holds the segment_runs columns; `segments` one row per segment (segment, name, description,
    named_by, size, share, profile as JSON text)."""
    with db.transaction() as con:
        run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM segment_runs").fetchone()[0]
        con.execute("UPDATE segment_runs SET is_active = false WHERE is_active")
        columns = ", ".join(run)
        con.execute(
            f"INSERT INTO segment_runs (run_id, is_active, {columns}) VALUES (?, true{', ?' * len(run)})",  # noqa: S608
            [run_id, *run.values()],
        )
        con.register("new_members", members)
        con.register("new_segments", segments)
        try:
            con.execute("INSERT INTO segment_members SELECT ?, customer_id, segment FROM new_members", [run_id])
            con.execute(
                """INSERT INTO segments (run_id, segment, name, description, named_by, size, share, profile)
                   SELECT ?, segment, name, description, named_by, size, share, profile::JSON FROM new_segments""",
                [run_id],
            )
        finally:
            con.unregister("new_members")
            con.unregister("new_segments")
    return run_id


def _segments_frame(
    profiles: dict[int, dict[str, Any]], names: dict[int, tuple[str, str]], named_by: str
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": list(profiles),
            "name": [names[s][0] for s in profiles],
            "description": [names[s][1] for s in profiles],
            "named_by": named_by,
            "size": [p["size"] for p in profiles.values()],
            "share": [p["share"] for p in profiles.values()],
            "profile": [json.dumps(jsonable(p)) for p in profiles.values()],
        }
    )


# -- profiles (aggregated in DuckDB) ---------------------------------------------------------------------------------
def _profiles(db: Database, members: pa.Table) -> tuple[dict[int, dict[str, Any]], dict[str, dict[str, float]]]:
    """Per segment: size, share, means/medians, price range, style/type mix, top categories and brands, and
    the features that most distinguish it (mean against everyone else's, in overall standard deviations)."""
    stats = ", ".join(
        f'avg({e}) AS "{f}:mean", median({e}) AS "{f}:median", sum({e}) AS "{f}:sum", '
        f'count({e}) AS "{f}:n", stddev_pop({e}) AS "{f}:sd"'
        for f, e in NUMERIC.items()
    )
    joins = "LEFT JOIN customer_behavior b USING (customer_id) LEFT JOIN customer_preferences p USING (customer_id)"
    con = db.con
    con.register("profile_members", members)
    try:
        agg = con.execute(
            f"SELECT m.segment, count(*) AS size, {stats} FROM profile_members m {joins} "  # noqa: S608 - constants
            "GROUP BY GROUPING SETS ((m.segment), ())"
        ).df()
        mixes = {
            name: con.execute(
                f"SELECT m.segment, lower({expr}) AS item, count(*) AS n FROM profile_members m {joins} "  # noqa: S608
                f"WHERE {expr} IS NOT NULL GROUP BY ALL"
            ).df()
            for name, expr in (("style_mix", "p.style"), ("customer_types", "b.customer_type"))
        }
        tops = {
            name: con.execute(
                f"""SELECT segment, item, count(*) AS n
                    FROM (SELECT m.segment, unnest(p.{column}) AS item FROM profile_members m {joins})
                    GROUP BY segment, item
                    QUALIFY row_number() OVER (PARTITION BY segment ORDER BY count(*) DESC, item) <= ?
                """,  # noqa: S608 - constants
                [TOP_ITEMS],
            ).df()
            for name, column in (("top_categories", "preferred_categories"), ("top_brands", "preferred_brands"))
        }
    finally:
        con.unregister("profile_members")
    everyone = agg[agg["segment"].isna()].iloc[0]
    per_segment = agg[agg["segment"].notna()].astype({"segment": int}).set_index("segment").sort_index()
    total = int(everyone["size"])
    overall = {f: {"mean": everyone[f"{f}:mean"], "sd": everyone[f"{f}:sd"]} for f in NUMERIC
               if pd.notna(everyone[f"{f}:mean"])}  # fmt: skip
    profiles = {}
    for segment, row in per_segment.iterrows():
        size = int(row["size"])
        profile: dict[str, Any] = {"size": size, "share": round(size / total, 4)}
        profile["means"] = {f: _r(row[f"{f}:mean"]) for f in overall}
        profile["medians"] = {f: _r(row[f"{f}:median"]) for f in overall}
        if {"price_range_min", "price_range_max"} <= overall.keys():
            profile["price_range"] = [_r(row["price_range_min:median"]), _r(row["price_range_max:median"])]
        for name, df in mixes.items():
            part = df[df["segment"] == segment].sort_values("n", ascending=False)
            if not part.empty:
                profile[name] = {i: round(n / size, 3) for i, n in zip(part["item"], part["n"], strict=True)}
        for name, df in tops.items():
            part = df[df["segment"] == segment].sort_values(["n", "item"], ascending=[False, True])
            if not part.empty:
                profile[name] = {i: round(n / size, 3) for i, n in zip(part["item"], part["n"], strict=True)}
        profile["distinguishing"] = _distinguishing(row, everyone, overall)
        profiles[int(segment)] = profile
    return profiles, {f: {k: _r(v) for k, v in s.items()} for f, s in overall.items()}


def _distinguishing(row: pd.Series, everyone: pd.Series, overall: dict) -> list[dict[str, Any]]:
    """The three features whose segment mean differs most from the rest's, in overall standard deviations."""
    diffs = []
    for f, s in overall.items():
        rest_n = everyone[f"{f}:n"] - row[f"{f}:n"]
        if not s["sd"] or rest_n <= 0 or not row[f"{f}:n"]:
            continue
        rest_mean = (everyone[f"{f}:sum"] - row[f"{f}:sum"]) / rest_n
        diffs.append({"feature": f, "d": round(float((row[f"{f}:mean"] - rest_mean) / s["sd"]), 2)})
    return sorted(diffs, key=lambda d: -abs(d["d"]))[:3]


def _r(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return round(value, 3) if abs(value) < 10 else round(value, 1)


# -- reading runs back ---------------------------------------------------------------------------------------------
def _run_or_active(db: Database, run_id: int | None) -> int:
    if run_id is None:
        run_id = active_run_id(db)
        if run_id is None:
            raise UserError(
                "There are no customer segments yet.",
                hint="Segment the customers first: promopilot segment run (or ask 'segment my customers').",
            )
    elif not db.scalar("SELECT count(*) FROM segment_runs WHERE run_id = ?", [run_id]):
        runs = [r for (r,) in db.execute("SELECT run_id FROM segment_runs ORDER BY run_id").fetchall()]
        raise UserError(f"There is no segmentation run {run_id}.", hint=f"Existing runs: {runs or 'none'}.")
    return run_id


def _segment_table(db: Database, run_id: int) -> pd.DataFrame:
    return db.df(
        "SELECT segment, name, size, round(share, 4) AS share, named_by, description FROM segments "
        "WHERE run_id = ? ORDER BY segment",
        [run_id],
    )


def _run_charts(listing: pd.DataFrame, overall: dict, profiles: dict[int, dict[str, Any]]) -> list:
    """Sizes and the heatmap; a segment with no values for a feature (e.g. none of its members has preferences)
    gets an empty cell."""
    z = pd.DataFrame(
        {f: [np.nan if (m := profiles[s]["means"][f]) is None else (m - o["mean"]) / o["sd"] if o["sd"] else 0.0
             for s in listing["segment"]]
         for f, o in overall.items()},
        index=[f"{s}. {n}" for s, n in zip(listing["segment"], listing["name"], strict=True)],
    )  # fmt: skip
    return [charts.sizes_chart(listing), charts.heatmap_chart(z)]


def _stored(db: Database, run_id: int) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    run = db.rows("SELECT * FROM segment_runs WHERE run_id = ?", [run_id])[0]
    for key in ("features", "params", "metrics"):
        run[key] = json.loads(run[key]) if isinstance(run[key], str) else run[key]
    profiles = {
        s: json.loads(p)
        for s, p in db.execute(
            "SELECT segment, profile FROM segments WHERE run_id = ? ORDER BY segment", [run_id]
        ).fetchall()
    }
    return run, profiles


def _stored_map(db: Database, run: dict[str, Any], listing: pd.DataFrame) -> Any:
    """The run's 2-D map, rebuilt with its own stored transformer on a sample of its members."""
    features, transformer = load_transformer(run["transformer"])
    frame = db.df(
        f"""SELECT * FROM (
                SELECT m.segment, {feature_sql(features)}
                FROM segment_members m JOIN customers c USING (customer_id)
                LEFT JOIN customer_behavior b USING (customer_id) LEFT JOIN customer_preferences p USING (customer_id)
                WHERE m.run_id = ?
            ) USING SAMPLE reservoir({charts.MAP_POINTS} ROWS) REPEATABLE (7)""",  # noqa: S608 - constants
        [run["run_id"]],
    ).dropna()
    if frame.empty:
        return None
    name_of = dict(zip(listing["segment"], listing["name"], strict=True))
    labels = frame["segment"].map(lambda s: f"{s}. {name_of.get(s, s)}").to_numpy()
    return charts.map_chart(transformer.transform(frame[features]), labels, int(run["seed"] or 0))


class ListArgs(BaseModel):
    run_id: int | None = Field(None, description="Segmentation run (default: the active one).")


@tool(cli="segment list")
def segment_list(ctx: ToolContext, args: ListArgs) -> ToolResult:
    """List the segments of a segmentation run (names, sizes, descriptions) and all stored runs."""
    run_id = _run_or_active(ctx.db, args.run_id)
    listing = _segment_table(ctx.db, run_id)
    runs = ctx.db.df("""
        SELECT run_id, created_at, k, method, round((metrics->>'$.silhouette')::DOUBLE, 3) AS silhouette,
               round(stability_ari, 3) AS stability_ari, is_active AS active
        FROM segment_runs ORDER BY run_id""")
    return ToolResult(
        summary=f"Run {run_id} has {len(listing)} segments: "
        + "; ".join(
            f"{s}. {n} ({sh:.0%})"
            for s, n, sh in zip(listing["segment"], listing["name"], listing["share"], strict=True)
        )
        + ".",
        data={"run_id": run_id, "segments": listing.to_dict("records"), "runs": runs.to_dict("records")},
        tables=[Table.from_df(f"Segments of run {run_id}", listing), Table.from_df("Segmentation runs", runs)],
    )


class ShowArgs(BaseModel):
    segment: Annotated[int | None, Positional()] = Field(None, description="One segment to show (default: all).")
    run_id: int | None = Field(None, description="Segmentation run (default: the active one).")


@tool(cli="segment show")
def segment_show(ctx: ToolContext, args: ShowArgs) -> ToolResult:
    """Show segment profiles and names: sizes, behaviour, preferences, what sets each segment apart, with charts."""
    run_id = _run_or_active(ctx.db, args.run_id)
    run, profiles = _stored(ctx.db, run_id)
    listing = _segment_table(ctx.db, run_id)
    overall = run["metrics"].get("overall") or {}
    if args.segment is not None:
        if args.segment not in profiles:
            raise UserError(
                f"Run {run_id} has no segment {args.segment}.", hint=f"Its segments are 1..{len(profiles)}."
            )
        return _show_one(run_id, listing, profiles[args.segment], args.segment, overall)
    summary = pd.DataFrame(
        [{"segment": s, "name": n, "size": p["size"], "share": p["share"],
          "distinguished by": ", ".join(f"{d['feature']} {d['d']:+.1f}" for d in p.get("distinguishing", [])),
          "top categories": ", ".join(p.get("top_categories", {})), "top brands": ", ".join(p.get("top_brands", {})),
          "price range": p.get("price_range"), **p["means"]}
         for (s, p), n in zip(profiles.items(), listing["name"], strict=True)]
    )  # fmt: skip
    chart_list = _run_charts(listing, overall, profiles)
    if run["metrics"].get("sweep"):
        chart_list.insert(0, charts.sweep_chart(pd.DataFrame(run["metrics"]["sweep"]), run["k"]))
    if (scatter := _stored_map(ctx.db, run, listing)) is not None:
        chart_list.append(scatter)
    return ToolResult(
        summary=f"Run {run_id} ({run['k']} segments, {run['method']}, created {run['created_at']:%Y-%m-%d %H:%M}): "
        + "; ".join(f"{r.segment}. {r.name}: {r.description}" for r in listing.itertuples()),
        data={"run_id": run_id, "segments": listing.to_dict("records"), "profiles": profiles,
              "features": run["features"], "metrics": {k: v for k, v in run["metrics"].items() if k != "overall"}},
        tables=[Table.from_df(f"Segment profiles of run {run_id}", summary)],
        charts=chart_list,
    )  # fmt: skip


def _show_one(run_id: int, listing: pd.DataFrame, profile: dict[str, Any], segment: int, overall: dict) -> ToolResult:
    row = listing[listing["segment"] == segment].iloc[0]
    features = pd.DataFrame(
        [{"feature": f, "segment mean": m, "segment median": profile["medians"].get(f),
          "everyone mean": overall.get(f, {}).get("mean")} for f, m in profile["means"].items()]
    )  # fmt: skip
    tables = [Table.from_df(f"Segment {segment}: {row['name']}", features)]
    for key, title in (("top_categories", "Top categories"), ("top_brands", "Top brands"), ("style_mix", "Style mix")):
        if profile.get(key):
            tables.append(Table.from_rows(title, [{"value": k, "share": v} for k, v in profile[key].items()]))
    return ToolResult(
        summary=f"Segment {segment} of run {run_id}, {row['name']} ({row['size']:,} customers, {row['share']:.0%}): "
        f"{row['description']}",
        data={"run_id": run_id, "segment": segment, "name": row["name"], "description": row["description"],
              "named_by": row["named_by"], "profile": profile},
        tables=tables,
    )  # fmt: skip


class RenameArgs(BaseModel):
    segment: Annotated[int, Positional()] = Field(description="The segment number.")
    name: Annotated[str, Positional()] = Field(min_length=1, max_length=60, description="The new name.")
    description: str | None = Field(None, max_length=300, description="A new one-sentence description (optional).")
    run_id: int | None = Field(None, description="Segmentation run (default: the active one).")


@tool(cli="segment rename")
def segment_rename(ctx: ToolContext, args: RenameArgs) -> ToolResult:
    """Give a segment your own name (and optionally description); it is kept as the user's choice."""
    run_id = _run_or_active(ctx.db, args.run_id)
    name = args.name.strip()
    if not name:
        raise UserError("A segment name cannot be blank.", hint="Give a short name, e.g. 'Weekend bargain hunters'.")
    with ctx.db.transaction() as con:
        old = con.execute(
            "SELECT name FROM segments WHERE run_id = ? AND segment = ?", [run_id, args.segment]
        ).fetchone()
        if old is None:
            count = con.execute("SELECT count(*) FROM segments WHERE run_id = ?", [run_id]).fetchone()[0]
            raise UserError(f"Run {run_id} has no segment {args.segment}.", hint=f"Its segments are 1..{count}.")
        con.execute(
            "UPDATE segments SET name = ?, description = coalesce(?, description), named_by = 'user' "
            "WHERE run_id = ? AND segment = ?",
            [name, args.description.strip() if args.description else None, run_id, args.segment],
        )
    return ToolResult(
        summary=f"Segment {args.segment} of run {run_id} is now called {name!r} (was {old[0]!r}).",
        data={"run_id": run_id, "segment": args.segment, "name": name, "previous_name": old[0], "named_by": "user"},
    )
