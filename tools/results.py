"""What every tool returns: structured data plus optional tables and charts to present.

Tools never print. The CLI renders a `ToolResult` with rich (or as JSON), the chat UI turns
tables into dataframe elements and charts into Plotly elements, and the agent loop sends the
model a compact, privacy-filtered view of it.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field


def jsonable(value: Any) -> Any:
    """Plain JSON types for numpy/pandas/datetime values (NaN becomes None)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray | pd.Series):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if value is pd.NaT or value is pd.NA:
        return None
    return value


class Table(BaseModel):
    """Rows to show. `total` is the full count when `rows` is a page of a larger result."""

    name: str
    columns: list[str]
    rows: list[list[Any]]
    total: int | None = None

    @classmethod
    def from_df(cls, name: str, df: pd.DataFrame, *, limit: int | None = 50, total: int | None = None) -> Table:
        shown = df if limit is None else df.head(limit)
        rows = [jsonable(list(r)) for r in shown.itertuples(index=False, name=None)]
        return cls(name=name, columns=[str(c) for c in df.columns], rows=rows, total=total or len(df))

    @classmethod
    def from_rows(cls, name: str, rows: list[dict[str, Any]], *, total: int | None = None) -> Table:
        columns = list(rows[0]) if rows else []
        return cls(name=name, columns=columns, rows=[jsonable([r.get(c) for c in columns]) for r in rows], total=total)

    def to_df(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.columns)


class Chart(BaseModel):
    """A Plotly figure as its JSON spec, so it can cross process and wire boundaries."""

    title: str
    figure: dict[str, Any]

    @classmethod
    def from_figure(cls, title: str, fig: Any) -> Chart:
        return cls(title=title, figure=json.loads(fig.to_json()))

    def to_figure(self) -> Any:
        import plotly.io as pio

        return pio.from_json(json.dumps(self.figure))


class ApprovalRequest(BaseModel):
    """A campaign draft version waiting for the user's decision (the UI shows Approve/Revise/Reject)."""

    campaign_id: int
    version: int
    subject: str
    preview_html: str
    preview_text: str = ""
    shown_as: str = ""  # whom the preview is personalised for, by name: the marketer's screen only, never the model


class ConfirmationRequest(BaseModel):
    """A call a tool refused until a person confirms it (the UI shows Confirm / Cancel): a destructive
    one, or one the assistant may have misread that cannot be taken back (a real send).

    Confirming repeats exactly this call as the user, confirmed; the assistant cannot confirm."""

    tool: str
    arguments: dict[str, Any]
    message: str  # "Nothing was changed: this would replace 3,000 customers and 2 segmentations."
    question: str | None = None  # "Send campaign 3 (“Spring coats”) to 1,234 customers now?"

    @classmethod
    def from_error(cls, error: Any) -> ConfirmationRequest:
        """From a `storage.errors.NeedsConfirmation` the registry has filled in."""
        return cls(tool=error.tool, arguments=jsonable(error.arguments), message=error.message, question=error.question)


class ToolResult(BaseModel):
    summary: str = Field(description="One or two plain sentences a marketer can read.")
    data: dict[str, Any] = Field(default_factory=dict)
    tables: list[Table] = Field(default_factory=list)
    charts: list[Chart] = Field(default_factory=list)
    approval: ApprovalRequest | None = None

    def to_json(self) -> dict[str, Any]:
        return jsonable(self.model_dump())
