"""Recommending how many segments: the model reads the metric table, Kneedle's elbow rule is the fallback;
and the run's summary in words (how many segments and why, the biggest, the smallest, a lone customer).

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


def sweep_summary(rec: dict[str, Any], k_min: int, k_max: int, customers: str, method: str) -> str:
    """The recommendation first, in words, then what was compared and how (the figures are in the data)."""
    if rec["decided_by"] == "model":
        why = "the AI model's pick from the comparison"
    else:
        why = "beyond that, more segments stop making the groups much tighter"
    return (
        f"I would make {rec['k']} segments: {why}. I compared {k_min} to {k_max} segments on {customers}."
        f"\n\nHow: {method}. {recommendation_text(rec)}"
    )


def run_summary(
    run_id: int,
    k: int,
    who: str,
    listing: pd.DataFrame,
    rec: dict[str, Any] | None,
    quality: tuple[float, float],
    method: str,
    naming_note: str | None,
) -> str:
    """The point first, in words (how many segments, why that many, the biggest and smallest), then the method
    in one short sentence; the figures themselves are all in the data."""
    silhouette, stability = quality
    why = "the clearest split the data allows" if rec is not None else "as asked"
    biggest, smallest = listing.iloc[listing["size"].argmax()], listing.iloc[listing["size"].argmin()]
    sizes = (
        f"Biggest: {biggest['name']} ({biggest['share']:.0%}); smallest: {smallest['name']} ({smallest['share']:.0%})."
    )
    if (alone := listing[listing["size"] == 1]).size:  # one unusual customer, not a group to email
        sizes += f" {_alone(alone)}"
    by = "" if rec is None else f"; k by {'the AI model' if rec['decided_by'] == 'model' else 'the elbow rule'}"
    names = "" if naming_note is None else f" Names by rules ({naming_note})."
    return (
        f"I split your {who} into {k} segments, {why}. {sizes} "
        f"This is now the active segmentation (run {run_id}).\n\nHow: {method.split(', ')[0]}{by}. "
        f"{how_good(silhouette, stability)}{names}"
    )


def how_good(silhouette: float, stability: float | None) -> str:
    """ "Are these groups any good?": how far apart the segments are and whether they come back when fitted again."""
    overlap = "stand clearly apart" if silhouette >= 0.5 else "are fairly distinct" if silhouette >= 0.25 else "overlap"
    said = f"The segments {overlap} (silhouette {silhouette:.2f})"
    if stability is None:
        return said + "."
    steady = "the same" if stability >= 0.9 else "much the same" if stability >= 0.6 else "noticeably different"
    return f"{said} and come out {steady} when fitted again with another seed (stability {stability:.2f})."


def _alone(segments: pd.DataFrame) -> str:
    named = " and ".join(f"segment {s} ({n})" for s, n in zip(segments["segment"], segments["name"], strict=True))
    one = len(segments) == 1
    return (
        f"Note: {named} {'holds' if one else 'each hold'} a single customer, an unusual one rather than a group; "
        "asking for fewer segments folds them into another."
    )
