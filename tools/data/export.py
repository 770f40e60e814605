"""Export customers, products, orders or the data-issue log to CSV or Parquet, safe to open in Excel.

Imported text is stored exactly as it came, so a "name" like `=HYPERLINK(...)` is still there.
A CSV opened in a spreadsheet would evaluate it (CSV injection), so every text cell that starts
with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, and every cell is quoted,
as the OWASP CSV-injection guidance says. Parquet is not evaluated by anything, so it is exact.
"""

# Only fixed table names and column names from DuckDB's own catalog are formatted into SQL here.
# ruff: noqa: S608

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import duckdb
from pydantic import BaseModel, Field

from storage.db import ident
from storage.errors import UserError, first_line
from tools.context import ToolContext
from tools.registry import Positional, tool
from tools.results import ToolResult

SOURCES = {
    "customers": """SELECT c.*, b.* EXCLUDE (customer_id), p.* EXCLUDE (customer_id) FROM customers c
                    LEFT JOIN customer_behavior b USING (customer_id)
                    LEFT JOIN customer_preferences p USING (customer_id) ORDER BY c.customer_id""",
    "products": "SELECT * FROM products ORDER BY sku",
    "orders": "SELECT * FROM orders ORDER BY order_id, line",
    "data_issues": "SELECT * FROM data_issues ORDER BY issue_id",
}
FORMULA_START = "^[=+\\-@\t\r]"


class ExportArgs(BaseModel):
    what: Annotated[Literal["customers", "products", "orders", "data_issues"], Positional()] = Field(
        description="What to export: customers (with behaviour and preferences), products, orders or data_issues."
    )
    path: Annotated[str, Positional()] = Field(description="The file to write: .csv or .parquet.")
    overwrite: bool = Field(False, description="Replace the file if it already exists.")


@tool(cli="export", agent=False)
def export_data(ctx: ToolContext, args: ExportArgs) -> ToolResult:
    """Write customers, products, orders or data issues to a CSV or Parquet file.

    CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @) are prefixed
    with ' so opening the file is safe; lists are written as "a|b|c", which import reads back.
    """
    path = Path(args.path).expanduser()
    fmt = {".csv": "csv", ".parquet": "parquet"}.get(path.suffix.lower())
    if fmt is None:
        raise UserError(f"Cannot export to {path.name}: unknown file type.", hint="Use a .csv or .parquet file name.")
    if path.is_dir():
        raise UserError(f"{path} is a folder.", hint="Give a file name inside it, e.g. customers.csv.")
    if path.exists() and not args.overwrite:
        raise UserError(f"{path} already exists.", hint="Choose another name or pass --overwrite.")
    if not path.parent.is_dir():
        raise UserError(f"The folder {path.parent} does not exist.", hint="Create it first or choose another path.")
    source = SOURCES[args.what]
    if fmt == "csv":
        types = ctx.db.con.execute(f"DESCRIBE {source}").fetchall()
        source = f"SELECT {', '.join(_csv_cell(name, str(kind)) for name, kind, *_ in types)} FROM ({source})"
        options = "FORMAT csv, HEADER, FORCE_QUOTE *"
    else:
        options = "FORMAT parquet"
    rows = ctx.db.scalar(f"SELECT count(*) FROM ({SOURCES[args.what]})")
    try:
        with ctx.progress.task(f"Exporting {rows:,} {args.what.replace('_', ' ')}", total=1) as advance:
            ctx.db.execute(f"COPY ({source}) TO '{_literal(str(path))}' ({options})")
            advance(1)
    except duckdb.IOException as exc:
        raise UserError(
            f"Cannot write {path}: {first_line(exc)}",
            hint="Check that the folder is writable and has space, or choose another path.",
        ) from None
    return ToolResult(
        summary=f"Exported {rows:,} {args.what.replace('_', ' ')} to {path}.",
        data={"what": args.what, "path": str(path), "rows": rows, "format": fmt},
    )


def _csv_cell(name: str, kind: str) -> str:
    """SQL for one column as a spreadsheet-safe CSV cell."""
    quoted = ident(name)
    if kind.endswith("[]"):
        value = f"array_to_string({quoted}, '|')"
    elif kind == "VARCHAR":
        value = quoted
    else:
        return quoted
    return f"CASE WHEN regexp_matches({value}, '{FORMULA_START}') THEN '''' || {value} ELSE {value} END AS {quoted}"


def _literal(text: str) -> str:
    """COPY's target cannot be a bound parameter: quote the path as an SQL string literal."""
    return text.replace("'", "''")
