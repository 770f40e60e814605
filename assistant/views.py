"""What the model gets to see of a tool result: compact, and without customer PII unless the user opted in.

The UI shows full tables and charts; the model only needs enough to reason and answer: the
summary, the data (long lists cut), the first rows of each table and the names of the charts.

Privacy is decided by column, not by pattern: a pattern cannot know that `name@@example.org` or
`+44 20 7946 0958` is personal, but its column can. Unless `Settings.share_pii` is on, a value is
replaced by "[redacted]" when its key or table column is personal (`PERSONAL`: names, addresses,
phones, free text), and raw cell values copied out of the data (`RAW_VALUES`: a check's examples,
an issue's raw value) are hidden unless the same row names a `field` that is not personal. The view
is built here, so its shape is known: tables are redacted as tables, `data` by its keys; nothing is
guessed from what a value looks like. An email pattern still blanks addresses in free text, as a
second net only.
"""

from __future__ import annotations

import re
from typing import Any

from tools.results import Table, ToolResult, jsonable

PERSONAL = {
    "email", "email_address", "first_name", "last_name", "full_name", "customer_name", "to", "recipient",
    "phone", "phone_number", "mobile", "address", "street", "postcode", "zip", "city", "birth_date",
    "notes", "note", "comment", "comments", "free_text",
}  # fmt: skip
RAW_VALUES = {"examples", "raw_value", "new_value", "old_value", "value", "values", "sample"}
EMAIL = re.compile(r"[^\s@<>\"'(),;:]*@+[^\s<>\"'(),;:]*")  # second net: anything around an @, malformed too
REDACTED = "[redacted]"
MAX_ROWS = 10
MAX_ITEMS = 20
MAX_TEXT = 1500


def model_view(result: ToolResult, *, share_pii: bool = False) -> dict[str, Any]:
    hide = not share_pii
    view: dict[str, Any] = {"ok": True, "summary": _text(result.summary, hide)}
    if result.data:
        view["data"] = _shorten(_data(jsonable(result.data), hide))
    if result.tables:
        view["tables"] = [_table(t, hide) for t in result.tables]
    if result.charts:
        view["charts_shown_to_user"] = [c.title for c in result.charts]
    if result.approval:
        view["approval"] = {
            "campaign_id": result.approval.campaign_id,
            "version": result.approval.version,
            "subject": _text(result.approval.subject, hide),
            "status": "Shown to the user with Approve / Revise / Reject buttons. Only the user can approve.",
        }
    return view


def error_view(message: str, hint: str | None = None, **details: Any) -> dict[str, Any]:
    return {"ok": False, "error": message, "hint": hint, **jsonable(details)}


def private_error(error: dict[str, Any], *, share_pii: bool = False) -> dict[str, Any]:
    """An error for the model: a `UserError` may quote a value from the data, so the same rules apply."""
    return error if share_pii else _data(error, True)


def bug_view(tool: str, exc: Exception) -> dict[str, Any]:
    """A tool that raised something other than a `UserError`: a bug, reported without ending the chat."""
    return error_view(
        f"{tool} failed unexpectedly ({type(exc).__name__}: {exc}).",
        "This is a bug in PromoPilot, not in the request; try another way or report it.",
    )


def _table(table: Table, hide: bool) -> dict[str, Any]:
    rows = [jsonable(r) for r in table.rows[:MAX_ROWS]]
    if hide:
        rows = [_row(table.columns, row) for row in rows]
    rows = [[_shorten(cell) for cell in row] for row in rows]
    return {
        "name": table.name,
        "columns": table.columns,
        "rows": rows,
        "total_rows": table.total if table.total is not None else len(table.rows),
    }


def _row(columns: list[str], row: list[Any]) -> list[Any]:
    values = dict(zip((c.lower() for c in columns), row, strict=False))
    return [
        REDACTED if value is not None and _personal(column.lower(), values) else _data(value, True)
        for column, value in zip(columns, row, strict=False)
    ]


def _data(value: Any, hide: bool) -> Any:
    if not hide:
        return value
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        return {
            k: REDACTED if v is not None and _personal(str(k).lower(), lowered) else _data(v, True)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_data(v, True) for v in value]
    return _text(value, True)


def _personal(column: str, row: dict[str, Any]) -> bool:
    """Is this column's value personal? A raw data value is, unless its row names a field that is not."""
    if column in PERSONAL:
        return True
    if column in RAW_VALUES:
        field = row.get("field")
        return not (isinstance(field, str) and field.strip("- ") and field.lower() not in PERSONAL)
    return False


def _text(value: Any, hide: bool) -> Any:
    return EMAIL.sub(REDACTED, value) if hide and isinstance(value, str) else value


def _shorten(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_shorten(v) for v in value[:MAX_ITEMS]]
        return [*items, f"... {len(value) - MAX_ITEMS} more"] if len(value) > MAX_ITEMS else items
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + " ..."
    return value
