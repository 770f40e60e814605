"""Segment profiles, aggregated in DuckDB (the model only ever sees aggregates), and a stored run's map."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from storage.db import Database
from tools.data.features import NUMERIC, feature_sql, load_transformer
from tools.segments import charts
from tools.segments.cluster import TOP_ITEMS


def profiles(db: Database, members: pa.Table) -> tuple[dict[int, dict[str, Any]], dict[str, dict[str, float]]]:
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
    return round(value, 3) if abs(value) < 10 else round(value, 2)  # money to the cent: shown as £376.67


def stored_map(db: Database, run: dict[str, Any], listing: pd.DataFrame) -> Any:
    """The run's 2-D map, rebuilt with its own stored transformer on a sample of its members."""
    features, transformer = load_transformer(run["transformer"])
    frame = db.df(
        f"""SELECT * FROM (
                SELECT m.segment, {feature_sql(features)}
                FROM segment_members m JOIN customers c USING (customer_id)
                LEFT JOIN customer_behavior b USING (customer_id) LEFT JOIN customer_preferences p USING (customer_id)
                LEFT JOIN predictions s USING (customer_id)
                WHERE m.run_id = ?
            ) USING SAMPLE reservoir({charts.MAP_POINTS} ROWS) REPEATABLE (7)""",  # noqa: S608 - constants
        [run["run_id"]],
    ).dropna()
    if frame.empty:
        return None
    name_of = dict(zip(listing["segment"], listing["name"], strict=True))
    labels = frame["segment"].map(lambda s: f"{s}. {name_of.get(s, s)}").to_numpy()
    return charts.map_chart(transformer.transform(frame[features]), labels, int(run["seed"] or 0))
