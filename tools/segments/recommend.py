"""Recommending how many segments: the model reads the metric table, Kneedle's elbow rule is the fallback.

kneed is imported in the function that uses it, to keep CLI start-up fast.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from services.llm import ModelUnavailable, StructuredModel


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


def recommendation_text(rec: dict[str, Any]) -> str:
    by = "the AI model" if rec["decided_by"] == "model" else f"the elbow rule ({rec['fallback']})"
    return f"Recommended k = {rec['k']}, decided by {by}: {rec['reason']}"
