"""Plotly charts for prediction: the holdout check, probability active by recency and frequency, the value spread.

Values go in as plain lists (as in the segment charts); Plotly is imported in the functions, as it is slow to load."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from tools.results import Chart

RECENCY_BANDS = ["0-30 days", "31-90 days", "91-180 days", "181-365 days", "over a year"]
VALUE_BINS = 30


def holdout_chart(check: dict) -> Chart:
    """Mean purchases per customer in the held-back days, predicted beside actual, by purchases before."""
    import plotly.graph_objects as go

    rows = check["by_past_purchases"]
    groups = [r["past_repeat_purchases"] for r in rows]
    fig = go.Figure(
        [
            go.Bar(x=groups, y=[round(r["predicted"], 3) for r in rows], name="predicted"),
            go.Bar(x=groups, y=[round(r["actual"], 3) for r in rows], name="actual"),
        ]
    )
    fig.update_layout(
        title=f"Last {check['days']} days held back: purchases per customer, predicted and actual",
        xaxis_title="repeat purchases before the held-back days",
        yaxis_title="purchases per customer",
        barmode="group",
    )
    return Chart.from_figure("Predicted against actual purchases", fig)


def alive_heatmap(table: pd.DataFrame) -> Chart:
    """Mean probability active by repeat purchases (rows) and days since the last purchase (columns)."""
    import plotly.graph_objects as go

    grid = table.pivot(index="purchases", columns="recency_band", values="p_active").reindex(
        columns=range(len(RECENCY_BANDS))
    )
    counts = table.pivot(index="purchases", columns="recency_band", values="customers").reindex_like(grid)
    rows = [f"{p}+" if p == 10 else str(p) for p in grid.index]
    text = [[("" if np.isnan(c) else f"{int(c):,} customers") for c in row] for row in counts.to_numpy(float)]
    z = [[None if np.isnan(v) else round(float(v), 3) for v in row] for row in grid.to_numpy(float)]
    fig = go.Figure(
        go.Heatmap(z=z, x=RECENCY_BANDS, y=rows, text=text, colorscale="RdYlGn", zmin=0, zmax=1,
                   hovertemplate="%{y} repeat purchases, last %{x} ago<br>probability active %{z:.0%}<br>%{text}"
                   "<extra></extra>", colorbar={"title": "probability active"})
    )  # fmt: skip
    fig.update_layout(
        title="Who is still active? By repeat purchases and time since the last one",
        xaxis_title="last purchase",
        yaxis_title="repeat purchases",
        margin={"b": 110},
    )
    fig.add_annotation(
        text="Customers who bought only once count as active here (the model lets people drop out only after a "
        "repeat purchase);<br>their churn risk says how likely they are to buy again.",
        xref="paper", yref="paper", x=0, y=-0.28, showarrow=False, align="left", font={"size": 11},
    )  # fmt: skip
    return Chart.from_figure("Probability active by recency and frequency", fig)


def value_chart(values: pd.Series, margin: float) -> Chart:
    """Customers by predicted 12-month value; the top 1% share the last bar so the rest stays readable."""
    import plotly.graph_objects as go

    v = values.to_numpy(float)
    top = float(np.quantile(v, 0.99)) if len(v) else 1.0
    counts, edges = np.histogram(np.minimum(v, top), bins=VALUE_BINS, range=(0, top or 1.0))
    labels = [f"{lo:,.0f}-{hi:,.0f}" for lo, hi in itertools.pairwise(edges)]
    labels[-1] = f"{edges[-2]:,.0f} and over"
    kind = "revenue" if margin == 1 else f"profit at a {margin:.0%} margin"
    fig = go.Figure(go.Bar(x=labels, y=counts.tolist()))
    fig.update_layout(
        title=f"Predicted 12-month value ({kind})", xaxis_title="predicted value", yaxis_title="customers"
    )
    return Chart.from_figure("Predicted value distribution", fig)
