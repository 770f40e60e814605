"""What the model gets to see of a tool result: compact, and without customer PII unless the user opted in.

The UI shows full tables and charts; the model only needs enough to reason and answer: the
summary, the data (long lists cut), the first rows of each table and the names of the charts.
Emails and customer names are replaced by "[redacted]" unless `Settings.share_pii` is on.
"""

from __future__ import annotations

import re
from typing import Any

from tools.results import ToolResult, jsonable

PII_FIELDS = {"email", "first_name", "last_name", "full_name", "customer_name", "to", "recipient"}
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
REDACTED = "[redacted]"
MAX_ROWS = 10
MAX_ITEMS = 20
MAX_TEXT = 1500


def model_view(result: ToolResult, *, share_pii: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {"ok": True, "summary": result.summary}
    if result.data:
        view["data"] = _shorten(jsonable(result.data))
    if result.tables:
        view["tables"] = [
            {
                "name": t.name,
                "columns": t.columns,
                "rows": [jsonable(r) for r in t.rows[:MAX_ROWS]],
                "total_rows": t.total if t.total is not None else len(t.rows),
            }
            for t in result.tables
        ]
    if result.charts:
        view["charts_shown_to_user"] = [c.title for c in result.charts]
    if result.approval:
        view["approval"] = {
            "campaign_id": result.approval.campaign_id,
            "version": result.approval.version,
            "subject": result.approval.subject,
            "status": "Shown to the user with Approve / Revise / Reject buttons. Only the user can approve.",
        }
    return view if share_pii else redact(view)


def error_view(message: str, hint: str | None = None, **details: Any) -> dict[str, Any]:
    return {"ok": False, "error": message, "hint": hint, **jsonable(details)}


def bug_view(tool: str, exc: Exception) -> dict[str, Any]:
    """A tool that raised something other than a `UserError`: a bug, reported without ending the chat."""
    return error_view(
        f"{tool} failed unexpectedly ({type(exc).__name__}: {exc}).",
        "This is a bug in PromoPilot, not in the request; try another way or report it.",
    )


def redact(value: Any) -> Any:
    """Blank PII fields (by key or table column) and any email address inside text."""
    if isinstance(value, dict):
        if "columns" in value and "rows" in value:
            hidden = {i for i, c in enumerate(value["columns"]) if str(c).lower() in PII_FIELDS}
            rows = [[REDACTED if i in hidden else redact(v) for i, v in enumerate(r)] for r in value["rows"]]
            return {**{k: redact(v) for k, v in value.items() if k != "rows"}, "rows": rows}
        return {k: REDACTED if str(k).lower() in PII_FIELDS and v is not None else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return EMAIL.sub(REDACTED, value)
    return value


def _shorten(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_shorten(v) for v in value[:MAX_ITEMS]]
        return [*items, f"... {len(value) - MAX_ITEMS} more"] if len(value) > MAX_ITEMS else items
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + " ..."
    return value
