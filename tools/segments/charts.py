"""Plotly charts for segmentation: the k sweep, segment sizes, the profile heatmap, a 2-D map.

Values go in as plain lists: Plotly would encode numpy arrays as base64 typed arrays, which the
`--json` output and older Plotly.js readers do not show. Plotly and scikit-learn are imported in the
functions: together they take ~2 s, which every CLI command would pay if this module loaded them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tools.results import Chart

MAP_POINTS = 3_000  # a scatter of more points says nothing more and makes the page heavy


def sweep_chart(table: pd.DataFrame, chosen: int | None = None) -> Chart:
    """Inertia (elbow) and silhouette against k, sharing the k axis; the chosen k is marked."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=table["k"], y=table["inertia"], name="inertia (elbow)", mode="lines+markers"))
    fig.add_trace(
        go.Scatter(x=table["k"], y=table["silhouette"], name="silhouette", mode="lines+markers"), secondary_y=True
    )
    if chosen is not None:
        fig.add_vline(x=chosen, line_dash="dash", annotation_text=f"k = {chosen}")
    fig.update_layout(title="How many segments? Elbow and silhouette by k", xaxis_title="number of segments (k)")
    fig.update_yaxes(title_text="inertia (lower = tighter)", secondary_y=False)
    fig.update_yaxes(title_text="silhouette (higher = better separated)", secondary_y=True)
    return Chart.from_figure("Elbow and silhouette by k", fig)


def sizes_chart(segments: pd.DataFrame) -> Chart:
    """Customers per segment, labelled by name."""
    import plotly.graph_objects as go

    labels = [f"{s}. {n}" for s, n in zip(segments["segment"], segments["name"], strict=True)]
    fig = go.Figure(go.Bar(x=labels, y=segments["size"], text=[f"{v:.0%}" for v in segments["share"]]))
    fig.update_layout(title="Segment sizes", yaxis_title="customers")
    return Chart.from_figure("Segment sizes", fig)


def heatmap_chart(z: pd.DataFrame) -> Chart:
    """Standardised means (segment mean minus overall mean, in overall standard deviations); NaN = no values."""
    import plotly.graph_objects as go

    values = np.abs(z.to_numpy(dtype=float))
    limit = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy().round(2).tolist(),
            x=list(z.columns),
            y=list(z.index),
            colorscale="RdBu",
            reversescale=True,
            zmin=-limit,
            zmax=limit,
            colorbar={"title": "std. dev. from average"},
        )
    )
    fig.update_layout(title="Segment profiles: how each differs from the average customer")
    return Chart.from_figure("Segment profile heatmap", fig)


def map_chart(matrix: np.ndarray, names: np.ndarray, seed: int) -> Chart:
    """A 2-D PCA projection of at most MAP_POINTS customers, coloured by segment."""
    import plotly.graph_objects as go
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(seed)
    pick = rng.choice(len(matrix), size=min(MAP_POINTS, len(matrix)), replace=False)
    points = PCA(n_components=2, random_state=seed).fit_transform(matrix[pick])
    fig = go.Figure()
    for name in sorted(set(names[pick])):
        mask = names[pick] == name
        fig.add_trace(go.Scatter(x=points[mask, 0].round(3).tolist(), y=points[mask, 1].round(3).tolist(),
                                 mode="markers", name=str(name),
                                   marker={"size": 4, "opacity": 0.6}))  # fmt: skip
    fig.update_layout(title=f"Customers by segment (PCA of {len(pick):,} customers)",
                      xaxis_title="component 1", yaxis_title="component 2")  # fmt: skip
    return Chart.from_figure("Segment map (PCA)", fig)


def run_charts(listing: pd.DataFrame, overall: dict, profiles: dict[int, dict[str, Any]]) -> list:
    """Sizes and the heatmap; a segment with no values for a feature (e.g. none of its members has preferences)
    gets an empty cell."""
    z = pd.DataFrame(
        {f: [np.nan if (m := profiles[s]["means"][f]) is None else (m - o["mean"]) / o["sd"] if o["sd"] else 0.0
             for s in listing["segment"]]
         for f, o in overall.items()},
        index=[f"{s}. {n}" for s, n in zip(listing["segment"], listing["name"], strict=True)],
    )  # fmt: skip
    return [sizes_chart(listing), heatmap_chart(z)]
