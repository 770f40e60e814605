"""Feature preparation for segmentation: which customer columns, how they are scaled and encoded.

Money and counts are heavy-tailed (a few premium customers spend 100x the median), so they are
log-transformed before `StandardScaler`, otherwise KMeans spends its clusters on outliers. The
nominal style is one-hot encoded; the spender type is ordinal (low < medium < high < premium) and
keeps its order. The fitted `ColumnTransformer` and the feature list are pickled with each run,
so a run's space can be rebuilt exactly (e.g. to plot it later). scikit-learn is imported where a
transformer is built, not at the top: it takes ~1.5 s, which every CLI command would otherwise pay.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from storage import predictions as scores
from storage.customers import require_customers
from storage.db import Database
from storage.errors import UserError

if TYPE_CHECKING:
    from sklearn.compose import ColumnTransformer

# feature -> SQL expression over customers c, customer_behavior b, customer_preferences p
LOG_SCALED = {
    "total_spent": "b.total_spent",
    "order_count": "b.order_count",
    "avg_order_value": "b.avg_order_value",
    "days_since_last_purchase": "b.days_since_last_purchase",
    "price_range_min": "p.price_range_min",
    "price_range_max": "p.price_range_max",
}
SCALED = {
    "visit_frequency": "b.visit_frequency",
    "cart_abandonment_rate": "b.cart_abandonment_rate",
    "discount_sensitivity": "p.discount_sensitivity",
    "luxury_affinity": "p.luxury_affinity",
}
NUMERIC = {**LOG_SCALED, **SCALED}
# From the latest prediction (predictions s): value is heavy-tailed like spend, churn risk a probability.
PREDICTED_LOG = {"predicted_value_12m": "s.value_12m"}
PREDICTED_SCALED = {"churn_probability_90d": "s.p_no_purchase_90d"}
PREDICTED = {**PREDICTED_LOG, **PREDICTED_SCALED}
ORDINAL = {"customer_type": ["low", "medium", "high", "premium"]}
NOMINAL = {"style": "p.style"}
FEATURES = [*NUMERIC, *PREDICTED, *ORDINAL, *NOMINAL]
DEFAULT_FEATURES = [*NUMERIC, *NOMINAL]  # the spender type is a label some imports lack: opt-in


@dataclass
class Prepared:
    """The scaled matrix of usable customers, in `customer_ids` order, and how it was made."""

    customer_ids: np.ndarray
    matrix: np.ndarray
    frame: pd.DataFrame  # the raw feature values (for profiles)
    features: list[str]
    transformer: ColumnTransformer
    left_out: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.customer_ids)

    def dump_transformer(self) -> bytes:
        return pickle.dumps({"features": self.features, "transformer": self.transformer})


def _log1p_nonneg(x: np.ndarray) -> np.ndarray:
    """log(1 + x) of amounts and counts; negatives (bad data not yet quarantined) count as 0."""
    return np.log1p(np.clip(x, 0, None))


def feature_sql(features: list[str]) -> str:
    """SELECT list of the raw feature values; unknown spender types become NULL (= missing)."""
    parts = []
    for name in features:
        if name in NUMERIC or name in PREDICTED:
            parts.append(f"{NUMERIC.get(name) or PREDICTED[name]}::DOUBLE AS {name}")
        elif name in ORDINAL:
            parts.append(f"CASE WHEN lower(b.{name}) IN {tuple(ORDINAL[name])} THEN lower(b.{name}) END AS {name}")
        else:
            parts.append(f"lower({NOMINAL[name]}) AS {name}")
    return ", ".join(parts)


USABLE_FROM = """
    FROM customers c
    LEFT JOIN customer_behavior b USING (customer_id)
    LEFT JOIN customer_preferences p USING (customer_id)
    LEFT JOIN predictions s USING (customer_id)
    WHERE c.quarantine_reason IS NULL"""


def check_features(features: list[str] | None) -> list[str]:
    if not features:
        return list(DEFAULT_FEATURES)
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise UserError(f"Unknown feature(s): {', '.join(unknown)}.", hint=f"Choose from: {', '.join(FEATURES)}.")
    return list(dict.fromkeys(features))


def load_features(db: Database, features: list[str] | None = None, use_predictions: bool = False) -> Prepared:
    """Usable customers' features, scaled and encoded with a freshly fitted transformer.

    Left out (and counted): quarantined customers and those missing any chosen feature. With the
    default features, a feature nobody has (e.g. an import without preferences) is dropped with a
    note; a feature the user asked for by name must be usable or it is an error. `use_predictions` adds
    predicted value and churn risk (`PREDICTED`); customers without a score (who never ordered) are left out.
    """
    require_customers(db)
    explicit = bool(features)
    chosen = check_features(features)
    if use_predictions:
        chosen = list(dict.fromkeys([*chosen, *PREDICTED]))
    if any(f in PREDICTED for f in chosen):
        scores.require_scores(db, "Segmenting by predicted value and churn risk")
    quarantined = db.scalar("SELECT count(*) FROM customers WHERE quarantine_reason IS NOT NULL")
    frame = db.df(f"SELECT c.customer_id, {feature_sql(chosen)} {USABLE_FROM} ORDER BY c.customer_id")
    if frame.empty:
        raise UserError(
            f"All {quarantined:,} customers are quarantined, so there is nobody to segment.",
            hint="Review the problems (promopilot data-issues), fix the data and import it again.",
        )
    notes = []
    for name in list(chosen):
        values = frame[name]
        problem = (
            "has no values" if values.isna().all() else "is the same for everyone" if values.nunique() == 1 else None
        )
        if problem is None:
            continue
        if explicit or len(chosen) == 1:
            raise UserError(
                f"The feature {name} {problem} among usable customers, so it cannot separate segments.",
                hint="Leave it out (--features ...) or import data that fills it.",
            )
        chosen.remove(name)
        frame = frame.drop(columns=name)
        notes.append(f"{name} was left out because it {problem}.")
    numeric = [f for f in chosen if f in NUMERIC or f in PREDICTED]
    finite = np.isfinite(frame[numeric].to_numpy(dtype=float)).all(axis=1) if numeric else True
    complete = frame[chosen].notna().all(axis=1).to_numpy() & finite
    left_out = {"quarantined": int(quarantined), "missing_values": int((~complete).sum())}
    frame = frame[complete].reset_index(drop=True)
    if frame.empty:
        raise UserError(
            "No usable customer has all of the chosen features.",
            hint=f"Fill the missing values or choose fewer features (now: {', '.join(chosen)}).",
        )
    transformer = build_transformer(chosen)
    matrix = transformer.fit_transform(frame[chosen]).astype(np.float64)  # MiniBatchKMeans copies float32
    if left_out["missing_values"]:
        notes.append(f"{left_out['missing_values']:,} customers were left out for missing feature values.")
    return Prepared(
        customer_ids=frame["customer_id"].to_numpy(),
        matrix=np.ascontiguousarray(matrix),
        frame=frame,
        features=chosen,
        transformer=transformer,
        left_out=left_out,
        notes=notes,
    )


def build_transformer(features: list[str]) -> ColumnTransformer:
    """Unfitted: log + scale heavy-tailed numbers, scale the rest, ordinal/one-hot the categories."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

    parts = []
    log_cols = [f for f in features if f in LOG_SCALED or f in PREDICTED_LOG]
    if log_cols:
        log = FunctionTransformer(_log1p_nonneg, feature_names_out="one-to-one")
        parts.append(("log_scaled", make_pipeline(log, StandardScaler()), log_cols))
    if scaled := [f for f in features if f in SCALED or f in PREDICTED_SCALED]:
        parts.append(("scaled", StandardScaler(), scaled))
    if ordinal := [f for f in features if f in ORDINAL]:
        encoder = OrdinalEncoder(categories=[ORDINAL[f] for f in ordinal])
        parts.append(("ordinal", make_pipeline(encoder, StandardScaler()), ordinal))
    if nominal := [f for f in features if f in NOMINAL]:
        parts.append(("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), nominal))
    return ColumnTransformer(parts, verbose_feature_names_out=False)


def load_transformer(blob: bytes) -> tuple[list[str], ColumnTransformer]:
    """The feature list and fitted transformer a run stored (our own pickle, from our own DB)."""
    saved = pickle.loads(blob)
    return saved["features"], saved["transformer"]
