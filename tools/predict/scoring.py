"""From purchase summaries to scores: the honest limits, the two fits, each customer's outlook, the holdout check.

Times are in days. Churn risk is the probability of no purchase in the next 90 days, banded low (< 1/3),
medium and high (> 2/3). The 12-month value is expected purchases in 365 days times the expected spend per
order (Gamma-Gamma), times the margin: revenue by default, profit with the shop's margin. It is not discounted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from storage.errors import UserError
from tools.predict.models import BGNBD, GammaGamma, NotConverged

MIN_REPEAT_CUSTOMERS = 200
MIN_HISTORY_DAYS = 90  # about three months
HORIZON_DAYS = 90  # predicted orders and churn risk look this far ahead
VALUE_DAYS = 365
LOW_RISK, HIGH_RISK = 1 / 3, 2 / 3
NEXT_ORDER_LIMIT_DAYS = 3650  # a "next order" further out than ten years is no date to plan by
SPEND_CORRELATION_LIMIT = 0.3  # above this, say that spend per order and frequency move together
PAST_PURCHASE_GROUPS = 7  # the holdout table shows 0..6 repeat purchases and "7 or more"


@dataclass(frozen=True)
class Models:
    purchases: BGNBD
    spend: GammaGamma


def arrays(summary: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x, t_x, T and zbar as float arrays (zbar NaN where there is no repeat purchase)."""
    return tuple(summary.column(c).to_numpy(zero_copy_only=False).astype(float) for c in ("x", "t_x", "T", "zbar"))


def require_enough(summary: pa.Table, history_days: int, what: str) -> None:
    """Refuse, saying everything that is missing, when there are too few repeat buyers or too short a history."""
    repeat = int(pc.sum(pc.greater(summary.column("x"), 0)).as_py() or 0)
    missing = []
    if repeat < MIN_REPEAT_CUSTOMERS:
        missing.append(
            f"only {repeat:,} customer{' ' if repeat == 1 else 's '}bought again on a later day, and a reliable "
            "prediction needs at least "
            f"{MIN_REPEAT_CUSTOMERS}"
        )
    if history_days < MIN_HISTORY_DAYS:
        missing.append(f"{what} covers {history_days} days, and it needs at least {MIN_HISTORY_DAYS} (about 3 months)")
    if missing:
        raise UserError(
            f"Not enough purchase history to predict: {'; '.join(missing)}.",
            hint="Import a longer or fuller orders log (every order with customer, date and amount), then try again.",
        )


def fit(summary: pa.Table) -> Models:
    """Fit both models; a fit that does not converge is refused, never used."""
    x, t_x, T, zbar = arrays(summary)
    repeat = x > 0
    try:
        purchases = BGNBD.fit(x, t_x, T)
        spend = GammaGamma.fit(x[repeat], zbar[repeat])
    except NotConverged as exc:
        raise UserError(
            f"The prediction could not be made: {exc}",
            hint="An orders log with every order's customer, date and amount, over a longer time, gives the model more "
            "to learn from than customer totals or a short log.",
        ) from None
    if spend.q <= 1:
        raise UserError(
            "The prediction could not be made: order values vary so much between customers that an expected "
            "spend per order cannot be given.",
            hint="Check the orders for extreme amounts (a test order, a wholesale deal) and import them again.",
        )
    return Models(purchases, spend)


def spend_note(summary: pa.Table) -> str | None:
    """A warning when spend per order moves with how often people buy: the Gamma-Gamma model assumes it does not
    (Fader & Hardie check the correlation: 0.11 on CDNOW)."""
    x, _, _, zbar = arrays(summary)
    repeat = x > 0
    if repeat.sum() < 3 or np.ptp(x[repeat]) == 0 or np.ptp(zbar[repeat]) == 0:
        return None
    correlation = float(np.corrcoef(x[repeat], zbar[repeat])[0, 1])
    if abs(correlation) <= SPEND_CORRELATION_LIMIT:
        return None
    direction = "more" if correlation > 0 else "less"
    lean = "low" if correlation > 0 else "high"
    return (
        f"One caution: here customers who buy more often also spend {direction} per order, which the value model "
        f"assumes they do not, so the predicted value of frequent buyers is likely on the {lean} side "
        f"(correlation {correlation:.2f})."
    )


def score(models: Models, summary: pa.Table, as_of: date, margin: float) -> pa.Table:
    """Every customer's outlook, in the `predictions` table's columns."""
    x, t_x, T, zbar = arrays(summary)
    bg = models.purchases
    no_purchase = bg.p_no_purchase(HORIZON_DAYS, x, t_x, T)
    wait = bg.time_to_next_purchase(x, t_x, T)
    wait = np.where(wait <= NEXT_ORDER_LIMIT_DAYS, np.ceil(wait), np.nan)
    next_order = pd.Series(pd.Timestamp(as_of) + pd.to_timedelta(wait, unit="D")).dt.date
    order_value = models.spend.expected_spend(x, zbar)
    with np.errstate(invalid="ignore", divide="ignore"):
        between = np.where(x > 0, t_x / x, np.nan)
    return pa.table(
        {
            "customer_id": summary.column("customer_id"),
            "repeat_purchases": x.astype(np.int32),
            "days_since_last_purchase": summary.column("days_since_last_purchase").to_numpy().astype(np.int32),
            "orders_90d": bg.expected_purchases(HORIZON_DAYS, x, t_x, T),
            "p_active": bg.p_alive(x, t_x, T),
            "p_no_purchase_90d": no_purchase,
            "churn_risk": pa.array(risk_band(no_purchase)),
            "next_order_date": pa.array(next_order, pa.date32(), from_pandas=True),
            "avg_days_between_orders": pa.array(between, from_pandas=True),
            "expected_order_value": order_value,
            "value_12m": bg.expected_purchases(VALUE_DAYS, x, t_x, T) * order_value * margin,
        }
    )


def risk_band(p_no_purchase: np.ndarray) -> np.ndarray:
    bands = np.array(["low", "medium", "high"], dtype=object)
    return bands[(p_no_purchase >= LOW_RISK).astype(int) + (p_no_purchase > HIGH_RISK).astype(int)]


def holdout(models: Models, summary: pa.Table, days: int, cutoff: date) -> dict:
    """Predicted against actual purchases in the `days` after `cutoff`, for customers who had bought by then.

    Also the error per customer (mean absolute, root mean square) beside a naive forecast that repeats each
    customer's past rate (repeat purchases per day since their first), so a marketer sees what the model adds."""
    x, t_x, T, _ = arrays(summary)
    actual = summary.column("later").to_numpy().astype(float)
    predicted = models.purchases.expected_purchases(days, x, t_x, T)
    with np.errstate(invalid="ignore", divide="ignore"):
        naive = np.where(T > 0, x / T * days, 0.0)
    group = np.minimum(x, PAST_PURCHASE_GROUPS).astype(int)
    frame = pd.DataFrame({"group": group, "predicted": predicted, "actual": actual})
    by_group = frame.groupby("group").agg(
        customers=("actual", "size"), predicted=("predicted", "mean"), actual=("actual", "mean")
    )
    by_group.index = [f"{g}+" if g == PAST_PURCHASE_GROUPS else str(g) for g in by_group.index]
    return {
        "days": days,
        "calibration_end": cutoff.isoformat(),
        "holdout_end": (cutoff + timedelta(days=days)).isoformat(),
        "customers": len(x),
        "parameters": {
            "r": models.purchases.r,
            "alpha": models.purchases.alpha,
            "a": models.purchases.a,
            "b": models.purchases.b,
        },
        "predicted": float(predicted.sum()),
        "actual": float(actual.sum()),
        "mean_absolute_error": float(np.abs(predicted - actual).mean()),
        "rmse": float(np.sqrt(np.square(predicted - actual).mean())),
        "naive_mean_absolute_error": float(np.abs(naive - actual).mean()),
        "by_past_purchases": [
            {
                "past_repeat_purchases": k,
                "customers": int(r.customers),
                "predicted": float(r.predicted),
                "actual": float(r.actual),
            }
            for k, r in by_group.iterrows()
        ],
    }
