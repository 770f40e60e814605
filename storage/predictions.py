"""The SQL of customer-value prediction: purchase summaries in, fits and per-customer scores out.

A purchase is one customer-day with a positive amount, as in the BG/NBD paper: several orders on one day
count once, and returns, refunds and cancellations never count (`VALID_ORDER_LINE`, the one place that says so).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa

from storage.db import Database
from storage.errors import UserError
from storage.orders import not_cancelled

# Which order lines are purchases: imports mark cancellations, returns and refunds (is_return, with a
# negative amount), and keep lines without a customer id for the totals, which belong to nobody here.
VALID_ORDER_LINE = (
    f"amount > 0 AND NOT is_return AND ordered_at IS NOT NULL AND customer_id IS NOT NULL AND {not_cancelled()}"
)

PURCHASE_DAYS = f"""
    SELECT customer_id, ordered_at::DATE AS day, sum(amount) AS amount
    FROM orders WHERE {VALID_ORDER_LINE} GROUP BY ALL
"""  # noqa: S608 - a constant predicate, no input


def _arrow(db: Database, sql: str, params: dict[str, Any]) -> pa.Table:
    """A query's result as an Arrow table, without the extra copy a DB-API result makes (on its own cursor)."""
    with db.con.cursor() as cursor:
        return cursor.sql(sql, params=params).to_arrow_table()


def order_log_span(db: Database) -> tuple[date | None, date | None, int]:
    """First and last purchase day in the orders log, and how many customers bought."""
    first, last, customers = db.execute(
        f"SELECT min(day), max(day), count(DISTINCT customer_id) FROM ({PURCHASE_DAYS})"  # noqa: S608
    ).fetchone()
    return first, last, customers


def order_summary(db: Database, end: date) -> pa.Table:
    """Per customer who bought by `end`: repeat purchases x, t_x and T in days, the mean repeat purchase
    value zbar (NULL when x = 0), days since the last purchase, and purchases after `end` (a holdout's actuals)."""
    return _arrow(
        db,
        f"""
        WITH days AS ({PURCHASE_DAYS})
        SELECT customer_id,
               count(*) FILTER (WHERE day <= $end) - 1 AS x,
               date_diff('day', min(day), max(day) FILTER (WHERE day <= $end)) AS t_x,
               date_diff('day', min(day), $end) AS "T",
               (sum(amount) FILTER (WHERE day <= $end) - arg_min(amount, day))
                   / nullif(count(*) FILTER (WHERE day <= $end) - 1, 0) AS zbar,
               date_diff('day', max(day) FILTER (WHERE day <= $end), $end) AS days_since_last_purchase,
               count(*) FILTER (WHERE day > $end) AS later
        FROM days GROUP BY customer_id HAVING min(day) <= $end
        ORDER BY customer_id
        """,  # noqa: S608 - constant SQL, values bound
        {"end": end},
    )


BEHAVIOUR_COLUMNS = "order count, days since the last purchase, average order value, and the customer's sign-up date"


def behaviour_summary(db: Database, today: date) -> tuple[pa.Table, int]:
    """The same summary from behaviour columns, for a shop without an orders log, and how many buyers it skips.

    x = orders - 1; the sign-up date stands in for the first purchase (T = days from sign-up to `today`);
    t_x = T - days since the last purchase; zbar = the average order value (over all orders, the first too).
    Quarantined customers and those whose figures contradict each other (a last purchase before sign-up)
    are skipped."""
    usable = """b.order_count >= 1 AND c.created_at IS NOT NULL AND b.days_since_last_purchase >= 0
                AND b.avg_order_value > 0 AND c.quarantine_reason IS NULL
                AND b.days_since_last_purchase <= date_diff('day', c.created_at::DATE, $today)"""
    summary = _arrow(
        db,
        f"""
        SELECT c.customer_id, b.order_count - 1 AS x,
               date_diff('day', c.created_at::DATE, $today) - b.days_since_last_purchase AS t_x,
               date_diff('day', c.created_at::DATE, $today) AS "T",
               CASE WHEN b.order_count > 1 THEN b.avg_order_value END AS zbar,
               b.days_since_last_purchase, NULL::BIGINT AS later
        FROM customers c JOIN customer_behavior b USING (customer_id)
        WHERE {usable} ORDER BY c.customer_id
        """,  # noqa: S608 - constant SQL, values bound
        {"today": today},
    )
    buyers = db.scalar(
        "SELECT count(*) FROM customers c JOIN customer_behavior b USING (customer_id) WHERE b.order_count >= 1"
    )
    return summary, buyers - summary.num_rows


def save(db: Database, fit: dict[str, Any], scores: pa.Table) -> int:
    """Record a fit and make `scores` (one row per customer, the predictions columns) the current scores."""
    row = {**fit, "holdout": json.dumps(fit["holdout"]) if fit.get("holdout") is not None else None}
    names = ", ".join(row)
    with db.transaction() as con:
        fit_id = con.execute(
            f"INSERT INTO prediction_fits ({names}) VALUES ({', '.join('?' * len(row))}) RETURNING fit_id",  # noqa: S608
            list(row.values()),
        ).fetchone()[0]
        con.execute("DELETE FROM predictions")
        con.register("new_scores", scores)
        con.execute(
            """INSERT INTO predictions BY NAME
               SELECT * REPLACE (next_order_date::DATE AS next_order_date), ? AS fit_id FROM new_scores""",
            [fit_id],
        )
        con.unregister("new_scores")
    return fit_id


def latest_fit(db: Database) -> dict[str, Any] | None:
    rows = db.rows("SELECT * FROM prediction_fits ORDER BY fit_id DESC LIMIT 1")
    if not rows:
        return None
    fit = rows[0]
    fit["holdout"] = json.loads(fit["holdout"]) if fit["holdout"] else None
    return fit


def find(
    db: Database,
    *,
    risk: list[str] | None = None,
    min_value: float | None = None,
    min_p_active: float | None = None,
    ordered_within_days: int | None = None,
    segment: int | None = None,
    sort: str = "value_12m DESC",
    limit: int = 50,
) -> tuple[pd.DataFrame, int, float]:
    """Scored customers matching every filter given, the best `limit` by `sort`; the count and value of all matches.

    `sort` is one of `SORTS`' values; `ordered_within_days` keeps those whose next order is due within that many
    days of the fit's as-of date; `segment` keeps the members of that segment of the active segmentation."""
    if sort not in SORTS.values():
        raise ValueError(f"unknown sort {sort!r}")
    where, params = ["TRUE"], []
    if risk:
        where.append(f"s.churn_risk IN ({', '.join('?' * len(risk))})")
        params += risk
    if min_value is not None:
        where.append("s.value_12m > ?")
        params.append(min_value)
    if min_p_active is not None:
        where.append("s.p_active >= ?")
        params.append(min_p_active)
    if ordered_within_days is not None:
        where.append("s.next_order_date <= f.as_of + to_days(?)")
        params.append(ordered_within_days)
    if segment is not None:
        where.append(
            "s.customer_id IN (SELECT m.customer_id FROM segment_members m JOIN segment_runs r USING (run_id) "
            "WHERE r.is_active AND m.segment = ?)"
        )
        params.append(segment)
    matches = f"""FROM predictions s JOIN prediction_fits f USING (fit_id) WHERE {" AND ".join(where)}"""
    count, value = db.execute(f"SELECT count(*), coalesce(sum(s.value_12m), 0) {matches}", params).fetchone()
    page = db.df(
        f"""SELECT s.customer_id, s.churn_risk, round(s.p_no_purchase_90d, 3) AS p_no_purchase_90d,
                   round(s.p_active, 3) AS p_active, round(s.orders_90d, 2) AS orders_90d,
                   s.next_order_date::VARCHAR AS next_order_date,
                   round(s.value_12m, 2) AS value_12m, s.repeat_purchases, s.days_since_last_purchase,
                   round(s.avg_days_between_orders, 1) AS avg_days_between_orders
            {matches} ORDER BY s.{sort}, s.customer_id LIMIT ?""",  # sort is one of SORTS
        [*params, limit],
    )
    return page, count, float(value)


SORTS = {
    "value": "value_12m DESC",
    "risk": "p_no_purchase_90d DESC",
    "next_order": "next_order_date ASC NULLS LAST",
    "active": "p_active DESC",
}


def risk_bands(db: Database) -> pd.DataFrame:
    """Customers, expected orders and predicted value by churn-risk band, high risk first."""
    return db.df("""
        SELECT churn_risk, count(*) AS customers, round(count(*) / sum(count(*)) OVER (), 3) AS share,
               round(sum(orders_90d), 1) AS orders_next_90_days, round(sum(value_12m), 2) AS value_12_months,
               round(median(value_12m), 2) AS median_value
        FROM predictions GROUP BY churn_risk
        ORDER BY CASE churn_risk WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END""")


def by_segment(db: Database, run_id: int) -> pd.DataFrame:
    """Per segment of a run: how many members are scored, their median predicted 12-month value and the share
    of them at high churn risk, by the current scores (empty when nothing has been predicted)."""
    if not db.scalar("SELECT count(*) FROM predictions"):
        return pd.DataFrame(columns=["segment", "scored", "median_value_12m", "high_risk_share"])
    return db.df(
        """SELECT m.segment, count(s.customer_id) AS scored, round(median(s.value_12m), 2) AS median_value_12m,
                  round(avg((s.churn_risk = 'high')::INTEGER), 3) AS high_risk_share
           FROM segment_members m LEFT JOIN predictions s USING (customer_id)
           WHERE m.run_id = ? GROUP BY m.segment ORDER BY m.segment""",
        [run_id],
    )


def alive_by_recency_frequency(db: Database) -> pd.DataFrame:
    """Mean probability active and customers per (repeat purchases, days since the last purchase) band."""
    return db.df("""
        SELECT least(repeat_purchases, 10) AS purchases,
               CASE WHEN days_since_last_purchase <= 30 THEN 0 WHEN days_since_last_purchase <= 90 THEN 1
                    WHEN days_since_last_purchase <= 180 THEN 2 WHEN days_since_last_purchase <= 365 THEN 3
                    ELSE 4 END AS recency_band,
               avg(p_active) AS p_active, count(*) AS customers
        FROM predictions GROUP BY ALL ORDER BY ALL""")


def values(db: Database) -> pd.Series:
    """Every scored customer's predicted 12-month value (for the distribution chart)."""
    return db.df("SELECT value_12m FROM predictions WHERE value_12m IS NOT NULL")["value_12m"]


@dataclass(frozen=True)
class Outlook:
    """Customers to keep by their current scores ("high churn risk and predicted value over 200", "next order due
    within 30 days") or by the days since their last order ("no order in 90 days"): an audience, a customer ranking
    and a campaign's send all narrow to them the same way, through `outlook_scope`."""

    risk: tuple[str, ...] = ()  # churn-risk bands: low, medium, high
    min_value: float | None = None  # predicted 12-month value over this
    due_within_days: int | None = None  # next order expected within this many days of the fit
    # No order in this many days, to the orders log's last day: observed, not predicted, so a shop whose orders are
    # too few to predict can still email the customers who have gone quiet.
    quiet_days: int | None = None
    # Bought one of these products (SKUs) before, returns left out: observed too ("email everyone who bought the jam
    # making set"); `bought_as` says them in words, as the tool that chose them named them.
    bought: tuple[str, ...] = ()
    bought_as: str = ""

    def __bool__(self) -> bool:
        return self.predicted or self.quiet_days is not None or bool(self.bought)

    @property
    def predicted(self) -> bool:
        """Whether it chooses by the scores of a prediction (a recency alone needs none)."""
        return bool(self.risk) or self.min_value is not None or self.due_within_days is not None

    def to_json(self) -> str | None:
        """As a campaign stores it (NULL for no filter)."""
        return json.dumps(asdict(self)) if self else None

    @classmethod
    def from_json(cls, stored: str | None) -> Outlook | None:
        if not stored:
            return None
        fields = json.loads(stored)
        return cls(**{**fields, "risk": tuple(fields.get("risk", ())), "bought": tuple(fields.get("bought", ()))})

    def words(self) -> str:
        """'at high churn risk with a predicted 12-month value over 200' (empty when nothing is asked)."""
        parts = [f"at {' or '.join(self.risk)} churn risk"] if self.risk else []
        if self.min_value is not None:
            parts.append(f"with a predicted 12-month value over {self.min_value:,.0f}")
        if self.due_within_days is not None:
            parts.append(f"whose next order is expected within {self.due_within_days} days")
        if self.quiet_days is not None:
            parts.append(f"{'and ' if parts else ''}who have not ordered in the last {self.quiet_days} days")
        if self.bought:
            parts.append(f"{'and ' if parts else ''}who bought {self.bought_as or ' or '.join(self.bought)}")
        return " ".join(parts)


def require_scores(db: Database, what: str) -> None:
    """Refuse `what` ("Ranking customers by churn risk") when nothing has been predicted yet."""
    if not db.scalar("SELECT count(*) FROM predictions"):
        raise UserError(
            f"{what} needs predicted customer value, and nothing has been predicted yet.",
            hint="Predict customer value first (promopilot predict, or ask 'who is about to churn?').",
        )


def outlook_scope(db: Database, outlook: Outlook) -> tuple[str, dict[str, Any]]:
    """A SQL condition on `c.customer_id` keeping the customers whose current scores match (and what they did: the
    days since their last order, the products they bought), and its parameters. Refuses when a prediction is asked
    for and none was made: an empty audience would read as 'nobody is at risk'."""
    observed = "TRUE"
    params: dict[str, Any] = {}
    if outlook.quiet_days is not None:  # as the analytics count them: days since the last order, to the log's end
        observed = (
            "c.customer_id IN (SELECT customer_id FROM customer_behavior WHERE days_since_last_purchase > $quiet)"
        )
        params["quiet"] = outlook.quiet_days
    if outlook.bought:
        if not db.scalar("SELECT count(sku) FROM orders"):
            raise UserError(
                "Your orders log does not record which products each order held, so I cannot choose the customers "
                f"who bought {outlook.bought_as or 'them'}.",
                hint="Import an orders log with a product (SKU) on each line, or choose the customers another way.",
            )
        observed += (
            " AND c.customer_id IN (SELECT customer_id FROM orders WHERE NOT is_return"
            " AND sku IN (SELECT unnest($bought)))"
        )
        params["bought"] = list(outlook.bought)
    if not outlook.predicted:
        return observed, params
    require_scores(db, f"Choosing customers {outlook.words()}")
    where = ["TRUE"]
    if outlook.risk:
        where.append("s.churn_risk IN (SELECT unnest($outlook_risk))")
        params["outlook_risk"] = list(outlook.risk)
    if outlook.min_value is not None:
        where.append("s.value_12m > $outlook_min_value")
        params["outlook_min_value"] = outlook.min_value
    if outlook.due_within_days is not None:
        where.append("s.next_order_date <= f.as_of + to_days($outlook_due)")
        params["outlook_due"] = outlook.due_within_days
    matching = "SELECT customer_id FROM predictions s JOIN prediction_fits f USING (fit_id) WHERE "
    return f"{observed} AND c.customer_id IN ({matching}{' AND '.join(where)})", params


def outlook_facts(db: Database, customer_ids: str, params: dict[str, Any]) -> dict[str, Any]:
    """What the copy may say about an audience's outlook, as aggregates: how many are scored, their median
    predicted value, and the median days until their expected next order (replenishment timing).
    `customer_ids` is a query of the audience's ids."""
    row = db.rows(
        f"""SELECT count(*) AS scored, round(median(s.value_12m), 2) AS median_predicted_value_12m,
                   median(date_diff('day', f.as_of, s.next_order_date))::INTEGER AS median_days_to_next_order,
                   round(avg((s.next_order_date <= f.as_of + INTERVAL 30 DAY)::INTEGER), 3)
                       AS share_next_order_within_30_days
            FROM predictions s JOIN prediction_fits f USING (fit_id)
            WHERE s.customer_id IN ({customer_ids})""",  # noqa: S608 - the caller's fixed query, bound values
        params,
    )[0]
    return row if row["scored"] else {}


# How an audience can be ranked besides product fit, as ORDER BY over the columns `RANK_COLUMNS` adds.
RANK_ORDER = {
    "fit": "score DESC NULLS LAST",
    "value": "value_12m DESC NULLS LAST, score DESC NULLS LAST",
    "risk": "p_no_purchase_90d DESC NULLS LAST, score DESC NULLS LAST",
}
RANK_COLUMNS = "pv.churn_risk, round(pv.p_no_purchase_90d, 3) AS p_no_purchase_90d, round(pv.value_12m, 2) AS value_12m"
RANK_JOIN = "LEFT JOIN predictions pv USING (customer_id)"
