"""The segmentation tools: sweep k, run (fit, profile, name and store), list, show and rename segments.

The clustering core is `cluster`, choosing k `recommend`, profiles `profile`, names `naming`,
pictures `charts`; runs are stored by `storage.segments`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, Field, model_validator

from storage import campaigns as campaign_store
from storage import segments as segment_store
from storage.errors import UserError
from tools.context import ToolContext
from tools.data.features import FEATURES, Prepared, load_features
from tools.registry import Positional, tool
from tools.results import Table, ToolResult, jsonable
from tools.segments import charts, cluster, outlook, profile, recommend
from tools.segments.cluster import (
    AUTO_K_MAX,
    K_LIMIT,
    MAX_SEED,
    MIN_PER_SEGMENT,
    Method,
    fit,
    require_enough,
    score,
    sweep_matrix,
)
from tools.segments.naming import apart, name_segments
from tools.segments.recommend import recommend_k, run_summary

if TYPE_CHECKING:
    pass

FeatureList = Field(
    None,
    description=f"Features to cluster on (default: behaviour, preferences and style). Any of: {', '.join(FEATURES)}.",
)


UsePredictions = Field(
    False,
    description="Also cluster on each customer's predicted 12-month value and churn risk (needs a prediction; "
    "customers who never ordered have none and are left out).",
)


class SweepArgs(BaseModel):
    k_min: int = Field(2, ge=2, le=K_LIMIT, description="Smallest number of segments to try.")
    k_max: int = Field(
        10, ge=2, le=K_LIMIT, description="Largest number of segments to try (default 10, fewer for few customers)."
    )
    features: list[str] | None = FeatureList
    use_predictions: bool = UsePredictions
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


# Why customers were left out, in words ("1 missing values" read as a count of values, not of customers).
LEFT_OUT_WORDS = {"missing_values": "with missing figures"}


def _customers_note(prepared: Prepared, use_predictions: bool = False) -> str:
    out = prepared.left_out
    parts = [f"{v:,} {LEFT_OUT_WORDS.get(k, k.replace('_', ' '))}" for k, v in out.items() if v]
    note = f"{prepared.n:,} customers" + (f" ({', '.join(parts)} left out)" if parts else "")
    return note + (", by their predicted value and churn risk too" if use_predictions else "")


@tool(cli="segment sweep")
def segment_sweep(ctx: ToolContext, args: SweepArgs) -> ToolResult:
    """Compare numbers of customer segments (k) and recommend one.

    For each k: inertia (the elbow), silhouette, Calinski-Harabasz and Davies-Bouldin, on the
    prepared features of usable (non-quarantined) customers. The AI model, seeing only this
    metric table, recommends k; without it the elbow rule decides. Nothing is stored.
    """
    prepared = load_features(ctx.db, args.features, args.use_predictions)
    table, method = _sweep(ctx, prepared, args)
    rec = recommend_k(ctx.llm, table, args.min_k)
    return ToolResult(
        summary=recommend.sweep_summary(
            rec,
            args.k_min,
            int(table["k"].max()),
            _customers_note(prepared, args.use_predictions),
            method.describe(prepared.n),
        ),
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
    use_predictions: bool = UsePredictions
    min_k: int = Field(3, ge=2, le=K_LIMIT, description='With k "auto": never fewer segments than this.')


@tool(cli="segment run", confirm=True)
def segment_run(ctx: ToolContext, args: RunArgs) -> ToolResult:
    """Segment the customers with KMeans, profile and name the segments, and make this run the active one.

    Stores the run (settings, features, fitted scalers/encoders, quality metrics), every usable
    customer's segment, and each segment's profile and name. Reports stability: how much the
    segments agree when fitted again with another seed (adjusted Rand index, 1 = identical).
    Replacing an active segmentation that unsent campaigns target needs a person's confirmation.
    """
    ctx.confirm("replace", active_run_in_use(ctx))
    prepared = load_features(ctx.db, args.features, args.use_predictions)
    sweep_table, rec = None, None
    if args.k == "auto":
        k_max = _auto_k_max(prepared, args.min_k)
        sweep_args = SweepArgs(
            min_k=args.min_k,
            seed=args.seed,
            k_min=2,
            k_max=k_max,
            features=args.features,
            use_predictions=args.use_predictions,
        )
        sweep_table, _ = _sweep(ctx, prepared, sweep_args)
        rec = recommend_k(ctx.llm, sweep_table, args.min_k)
        k = rec["k"]
    else:
        k = args.k
    require_enough(prepared.n, k)
    method = Method.for_size(prepared.n)
    with ctx.progress.task(f"Fitting {k} segments", total=3) as advance, method.threads():
        raw, inertia, _ = fit(prepared.matrix, k, args.seed, method)
        labels = cluster.number_by_size(raw, k)
        metrics = {"inertia": inertia, **score(prepared.matrix, labels, args.seed, method)}
        advance(1)
        stability = cluster.stability(prepared.matrix, labels, k, args.seed, method)
        advance(1)
        members = pa.table({"customer_id": pa.array(prepared.customer_ids, pa.string()), "segment": labels})
        profiles, overall = profile.profiles(ctx.db, members)
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
    result_charts += charts.run_charts(listing, overall, profiles)
    name_of = dict(zip(listing["segment"], listing["name"], strict=True))
    result_charts.append(
        charts.map_chart(prepared.matrix, np.vectorize(lambda s: f"{s}. {name_of[s]}")(labels), args.seed)
    )
    run_id = segment_store.save_run(ctx.db, run, members, segments)
    quality, who = (metrics["silhouette"], stability), _customers_note(prepared, args.use_predictions)
    return ToolResult(
        summary=run_summary(run_id, k, who, listing, rec, quality, method.describe(prepared.n), naming_note),
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


class ListArgs(BaseModel):
    run_id: int | None = Field(None, description="Segmentation run (default: the active one).")
    segments: list[int] = Field(default_factory=list, description="Only these segments, by number (default: all).")


@tool(cli="segment list")
def segment_list(ctx: ToolContext, args: ListArgs) -> ToolResult:
    """List the segments of a segmentation run (names, sizes, descriptions) and all stored runs."""
    run_id = segment_store.run_or_active(ctx.db, args.run_id)
    listing = segment_store.listing(ctx.db, run_id)
    if unknown := sorted(set(args.segments) - set(listing["segment"])):
        raise UserError(
            f"Run {run_id} has no segment {', '.join(map(str, unknown))}.",
            hint=f"Its segments are {', '.join(map(str, listing['segment']))}.",
        )
    every = len(listing)
    if args.segments:  # "the top two of those": those rows, kept as what the conversation is about
        listing = listing[listing["segment"].isin(args.segments)].reset_index(drop=True)
    runs = segment_store.runs(ctx.db)
    shown, future, said = outlook.with_outlook(ctx.db, run_id, listing)
    return ToolResult(
        summary=f"Run {run_id} has {every} segments"
        + (f"; {len(listing)} of them here" if len(listing) < every else "")
        + ": "
        + "; ".join(
            f"{s}. {n} ({sh:.0%})"
            for s, n, sh in zip(listing["segment"], listing["name"], listing["share"], strict=True)
        )
        + "."
        + (f" {said}" if said else "")
        + _quality(ctx, run_id),
        data={"run_id": run_id, "segments": listing.to_dict("records"), "runs": runs.to_dict("records")}
        | ({"outlook": future} if future else {}),
        tables=[Table.from_df(f"Segments of run {run_id}", shown), Table.from_df("Segmentation runs", runs)],
    )


def _quality(ctx: ToolContext, run_id: int) -> str:
    """How good the run's split is, as the run said when it was made (nothing for a run without the figures)."""
    metrics, stability = ctx.db.execute(
        "SELECT metrics, stability_ari FROM segment_runs WHERE run_id = ?", [run_id]
    ).fetchone()
    silhouette = json.loads(metrics or "{}").get("silhouette")
    return f" {recommend.how_good(silhouette, stability)}" if silhouette is not None else ""


class ShowArgs(BaseModel):
    segment: Annotated[int | None, Positional()] = Field(None, description="One segment to show (default: all).")
    run_id: int | None = Field(None, description="Segmentation run (default: the active one).")


@tool(cli="segment show")
def segment_show(ctx: ToolContext, args: ShowArgs) -> ToolResult:
    """Show segment profiles and names: sizes, behaviour, preferences, what sets each segment apart, with charts."""
    run_id = segment_store.run_or_active(ctx.db, args.run_id)
    run, profiles = segment_store.load_run(ctx.db, run_id)
    listing = segment_store.listing(ctx.db, run_id)
    overall = run["metrics"].get("overall") or {}
    if args.segment is not None:
        if args.segment not in profiles:
            raise UserError(
                f"Run {run_id} has no segment {args.segment}.", hint=f"Its segments are 1..{len(profiles)}."
            )
        shown = _show_one(run_id, listing, profiles[args.segment], args.segment, overall)
        _, future, said = outlook.with_outlook(ctx.db, run_id, listing[listing["segment"] == args.segment])
        if future:
            shown.summary += f" {said}"
            shown.data["outlook"] = future[0]
        return shown
    summary = pd.DataFrame(
        [{"segment": s, "name": n, "size": p["size"], "share": p["share"],
          "compared with the rest, they": apart(p),
          "top categories": ", ".join(p.get("top_categories", {})), "top brands": ", ".join(p.get("top_brands", {})),
          "price range": p.get("price_range"), **p["means"]}
         for (s, p), n in zip(profiles.items(), listing["name"], strict=True)]
    )  # fmt: skip
    summary, future, said = outlook.with_outlook(ctx.db, run_id, summary)
    chart_list = charts.run_charts(listing, overall, profiles)
    if run["metrics"].get("sweep"):
        chart_list.insert(0, charts.sweep_chart(pd.DataFrame(run["metrics"]["sweep"]), run["k"]))
    if (scatter := profile.stored_map(ctx.db, run, listing)) is not None:
        chart_list.append(scatter)
    return ToolResult(
        summary=f"Run {run_id} ({run['k']} segments, {run['method']}, created {run['created_at']:%Y-%m-%d %H:%M}): "
        + "; ".join(f"{r.segment}. {r.name}: {r.description}" for r in listing.itertuples()).rstrip(".")
        + (f". {said}" if said else ""),
        data={"run_id": run_id, "segments": listing.to_dict("records"), "profiles": profiles,
              "features": run["features"], "metrics": {k: v for k, v in run["metrics"].items() if k != "overall"}}
        | ({"outlook": future} if future else {}),
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
    run_id = segment_store.run_or_active(ctx.db, args.run_id)
    name = args.name.strip()
    if not name:
        raise UserError("A segment name cannot be blank.", hint="Give a short name, e.g. 'Weekend bargain hunters'.")
    description = args.description.strip() if args.description else None
    old = segment_store.rename(ctx.db, run_id, args.segment, name, description)
    return ToolResult(
        summary=f"Segment {args.segment} of run {run_id} is now called {name!r} (was {old!r}).",
        data={"run_id": run_id, "segment": args.segment, "name": name, "previous_name": old, "named_by": "user"},
    )


def active_run_in_use(ctx: ToolContext) -> list[str]:
    """The active segmentation, in words, when campaigns not yet sent target it (a new run replaces it)."""
    found = campaign_store.unsent_on_active_run(ctx.db)
    if found is None:
        return []
    run_id, ids = found
    which = f"campaign{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))}"
    return [f"the active segmentation (run {run_id}) that {which}, not yet sent, target"]
