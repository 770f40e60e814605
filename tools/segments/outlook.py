"""Segments by their predicted future: the median predicted 12-month value and the share at high churn risk.

A segmentation describes what customers did; a prediction says what they are likely to do. Showing both
per segment answers "which segment is worth the most next year, and which is slipping away" without a
second question. The figures are read from the current predictions when a segment is shown (a newer
prediction updates them), and nothing is added when there is none: predicting is optional.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from services.money import format_money
from storage import predictions
from storage.db import Database
from storage.shop import get_currency

VALUE = "predicted 12-month value (median)"
HIGH_RISK = "share at high churn risk"


def with_outlook(db: Database, run_id: int, table: pd.DataFrame) -> tuple[pd.DataFrame, list[dict[str, Any]], str]:
    """`table` (one row per segment) with the two columns after its `share`, the figures as data, and a sentence
    for the summary; unchanged, `[]` and "" when nothing has been predicted."""
    scores = predictions.by_segment(db, run_id)
    if scores.empty:
        return table, [], ""
    currency = get_currency(db)
    found = scores.set_index("segment")
    shown = table.copy()
    at = list(shown.columns).index("share") + 1 if "share" in shown.columns else len(shown.columns)
    shown.insert(at, VALUE, shown["segment"].map(found["median_value_12m"]))
    shown.insert(at + 1, HIGH_RISK, shown["segment"].map(found["high_risk_share"]))
    data = [
        {"segment": int(s), "scored_customers": int(r.scored), "median_predicted_value_12m": _num(r.median_value_12m),
         "share_high_churn_risk": _num(r.high_risk_share), "currency": currency}
        for s, r in found.iterrows() if int(s) in set(shown["segment"])
    ]  # fmt: skip
    return shown, data, sentence(data, currency)


def sentence(outlook: list[dict[str, Any]], currency: str) -> str:
    """ "By the latest prediction: segment 1 median 12-month value €412.30, 8% at high churn risk; ..."."""
    parts = []
    for row in outlook:
        if not row["scored_customers"]:
            parts.append(f"segment {row['segment']} has no predictions (no orders)")
            continue
        value = format_money(row["median_predicted_value_12m"], currency)
        parts.append(
            f"segment {row['segment']} median 12-month value {value}, "
            f"{row['share_high_churn_risk']:.0%} at high churn risk"
        )
    return "By the latest prediction: " + "; ".join(parts) + "." if parts else ""


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
