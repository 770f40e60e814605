"""Tables and charts as a marketer reads them in the chat: key columns, labels in words, money and rates.

The tools return full tables with their own column names (`avg_order_value`, `margin` as a
fraction). The chat shows one compact table of at most `KEY_COLUMNS` columns under the answer,
with labels in words, money in the shop's currency and rates as percentages; the full table goes
in an expandable element with a CSV download. Customer and product tables get names looked up
locally (`with_names`): the marketer sees who and what, the model never does (it gets IDs only).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from services.money import format_money
from storage import customers, products
from tools.data.columns import field_words

if TYPE_CHECKING:
    import pandas as pd

    from storage.db import Database
    from tools.results import Chart, Table

KEY_COLUMNS = 6
COMPACT_ROWS = 10
HIDDEN = "_"  # columns named "_..." carry figures for the planner (a breakdown's extremes), never shown
LABELS = {
    "sku": "SKU",
    "customer_id": "Customer",
    "campaign_id": "Campaign",
    "avg_order_value": "Average order value",
    "total_spent": "Total spent",
    "order_count": "Orders",
    "days_since_last_purchase": "Days since last purchase",
    "margin": "Gross margin",
    "stock": "Stock",
    "price": "Price",
    "cost": "Cost",
    "brand_tier": "Brand tier",
    "segment_name": "Segment name",
    "unique_opens": "Opens",
    "unique_clicks": "Clicks",
    "open_rate": "Open rate",
    "click_rate": "Click rate",
    "click_to_open_rate": "Click-to-open rate",
    "share": "Share of customers",
    "score": "Fit score",
    "k": "Number of segments",
    "p_no_purchase_90d": "Chance of no order in 90 days",
}
# The columns worth the first places, in order; the rest follow in the table's own order.
PREFERRED = [
    "name", "full_name", "first_name", "last_name", "customer_id", "sku", "segment", "segment_name", "subject",
    "category", "price", "margin", "stock", "brand", "size", "share", "predicted 12-month value (median)",
    "share at high churn risk", "score", "total_spent",
    "sent", "unique_opens", "open_rate", "unique_clicks", "click_rate", "unsubscribes",
]  # fmt: skip
# Not worth a place in the compact table (the full one and its CSV keep them): how a segment was named.
SHORT_HIDDEN = {"named_by"}
# Tables that back an answer up rather than answer it: only in the collapsed full table, never the one shown.
DETAIL_TABLES = {"Metrics by k"}
COLUMN_MATCHING = "Column matching"  # an import's table: file column -> field, the fields put in words
MONEY = re.compile(
    r"price|cost|spent|revenue|amount|order_value|order value|\bsales\b|value_12m|12-month value", re.IGNORECASE
)
RATE = re.compile(r"rate\b|margin|share|sensitivity|affinity|probability|^p_", re.IGNORECASE)


SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*])")
COMMAND = re.compile(r"promopilot |`|\s--[a-z]")  # a command line, a flag: the CLI's words, not the chat's
# "1 rejected (see `promopilot data-issues ...`)", "generate demo data (promopilot demo)": the aside goes
SEE_COMMAND = re.compile(r"\s*\((?:(?:see|run|try) )?(?:`[^`]*`|promopilot [^)]*)\)")
RUN_ID = re.compile(r"\s*\(run [\w-]+\)|\s+of run \d+\b|^Run \d+:\s*")


def plain(text: str) -> str:
    """A tool's text for the chat: sentences naming a command line or flag dropped, run ids left out."""
    kept = [s for s in SENTENCE_END.split(SEE_COMMAND.sub("", text)) if not COMMAND.search(s)]
    return RUN_ID.sub("", " ".join(kept)).strip()


def label(column: str) -> str:
    """A column's name in words: "avg_order_value" -> "Average order value"."""
    if column in LABELS:
        return LABELS[column]
    words = column.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def key_columns(columns: list[str], limit: int = KEY_COLUMNS, *, empty: frozenset[str] = frozenset()) -> list[str]:
    """The columns worth showing: the first (what each row is), then the preferred ones, then the rest in
    order; not those that are zero in every row (`empty`: the full table still has them), nor SHORT_HIDDEN."""
    empty = empty | SHORT_HIDDEN
    columns = [c for c in columns if not c.startswith(HIDDEN)]
    rest = [c for c in PREFERRED if c in columns] + [c for c in columns if c not in PREFERRED]
    ranked = list(dict.fromkeys([columns[0], *[c for c in rest if c not in empty]])) if columns else []
    return [c for c in columns if c in ranked[:limit]]


def cell(column: str, value: Any, currency: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if MONEY.search(column):
        return format_money(value, currency)
    if RATE.search(column) and -1.5 <= value <= 1.5:
        return f"{value:.0%}" if abs(value) >= 0.1 or value == 0 else f"{value:.1%}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def lead(tables: list[Table]) -> Table | None:
    """The table shown under an answer: the first that answers it (not a DETAIL_TABLES one)."""
    return next((t for t in tables if t.name not in DETAIL_TABLES), None)


def compact(table: Table, currency: str, *, rows: int = COMPACT_ROWS) -> pd.DataFrame:
    """The table's key columns and first rows, labelled and formatted for reading. A table of features (one
    row per figure: "total_spent", "avg_order_value") names each in words and formats each row as its figure."""
    import pandas as pd

    if table.columns[:1] == ["feature"]:
        shown = [[label(str(row[0]))] + [cell(str(row[0]), v, currency) for v in row[1:]] for row in table.rows[:rows]]
        return pd.DataFrame(shown, columns=[label(c) for c in table.columns])

    empty = frozenset(
        c
        for i, c in enumerate(table.columns)
        if table.rows and all(r[i] is None or (isinstance(r[i], int | float) and not r[i]) for r in table.rows)
    )
    columns = key_columns(table.columns, empty=empty)
    index = [table.columns.index(c) for c in columns]
    shown = [[cell(c, row[i], currency) for c, i in zip(columns, index, strict=True)] for row in table.rows[:rows]]
    if table.name == COLUMN_MATCHING and "field" in columns:  # "order_id" is "order number" to a person
        at = columns.index("field")
        shown = [[*row[:at], field_words(row[at]) if row[at] != "–" else "not used", *row[at + 1 :]] for row in shown]
    words = {"description": "What sets them apart"} if "segment" in columns else {}
    return pd.DataFrame(shown, columns=[words.get(c) or label(c) for c in columns])


def markdown(df: pd.DataFrame) -> str:
    """A small table as Markdown, which the chat renders as a table."""

    def text(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(text(c) for c in df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(text(v) for v in row) + " |" for row in df.itertuples(index=False, name=None)]
    return "\n".join(lines)


def full(table: Table) -> pd.DataFrame:
    """Every column, labelled in words (values as they are, for the CSV download)."""
    df = table.to_df()
    if table.columns[:1] == ["feature"]:
        df["feature"] = df["feature"].map(lambda f: label(str(f)))
    df = df[[c for c in df.columns if not str(c).startswith(HIDDEN)]]
    df.columns = [label(c) for c in df.columns]
    return df


def with_names(table: Table, db: Database) -> Table:
    """Add customers' and products' names to a table that only has their IDs (for the local UI only)."""
    columns = list(table.columns)
    added: list[tuple[str, int, dict[str, str]]] = []
    if "customer_id" in columns and not {"name", "first_name", "full_name"} & set(columns):
        ids = list({str(r[columns.index("customer_id")]) for r in table.rows})
        added.append(("name", columns.index("customer_id"), customers.names(db, ids)))
    if "sku" in columns and "name" not in columns:
        skus = list({str(r[columns.index("sku")]) for r in table.rows})
        found = {sku: row["name"] for sku, row in products.by_sku(db, skus).items()}
        added.append(("product", columns.index("sku"), found))
    added = [(column, i, names) for column, i, names in added if names]  # no one has a name: no empty column
    if not added:
        return table
    new_columns = [c for c, _, _ in added] + columns
    rows = [[names.get(str(row[i])) for _, i, names in added] + list(row) for row in table.rows]
    return table.model_copy(update={"columns": new_columns, "rows": rows})


def worth_drawing(chart: Chart) -> bool:
    """False for a chart with nothing on it: no traces, or every value zero or missing."""
    values = []
    for trace in chart.figure.get("data", []):
        for axis in ("y", "x", "z", "values"):
            found = trace.get(axis)
            if isinstance(found, dict) and "bdata" in found:  # plotly's packed numpy arrays
                found = _unpack(found)
            if isinstance(found, list) and found and all(isinstance(v, int | float) or v is None for v in _flat(found)):
                values += [v for v in _flat(found) if v is not None]
    return any(v != 0 for v in values)


def _unpack(packed: dict[str, Any]) -> list[Any]:
    import base64

    import numpy as np

    try:
        return np.frombuffer(base64.b64decode(packed["bdata"]), dtype=packed.get("dtype", "f8")).tolist()
    except (ValueError, TypeError):
        return [1]  # cannot read it: draw it rather than hide it


def _flat(values: list[Any]) -> list[Any]:
    return [x for v in values for x in (_flat(v) if isinstance(v, list) else [v])]
