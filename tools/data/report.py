"""What an import tells the marketer: the preview of a dry run and the summary of a real one."""

# Only fixed table names and quoted identifiers are formatted into SQL here; every value is bound.
# ruff: noqa: S608

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tools.data.coerce import STAGED, issue_counts
from tools.data.columns import KEYS
from tools.data.read import Source
from tools.data.write import existing
from tools.results import Table, ToolResult

if TYPE_CHECKING:
    from tools.data.tools import ImportArgs


def _mapping_table(source: Source, mapping: dict[str, str], unmatched: list[str]) -> Table:
    rows = [{"file column": src, "field": dst} for src, dst in mapping.items()]
    rows += [{"file column": c, "field": None} for c in unmatched]
    return Table.from_rows("Column matching", rows)


def preview(con, args: ImportArgs, source: Source, mapping, unmatched, missing, stats) -> ToolResult:
    data: dict[str, Any] = {
        "kind": args.kind,
        "file": str(source.path),
        "format": source.format,
        **source.details,
        "columns": mapping,
        "unmatched_columns": unmatched,
        "missing_required": missing,
        **stats,
    }
    tables = [_mapping_table(source, mapping, unmatched)]
    if missing:
        summary = (
            f"{source.path.name} cannot be imported as {args.kind} yet: no column for {', '.join(missing)}. "
            f"Map one with --map 'Column={missing[0]}'."
        )
    else:
        data["would_update"] = existing(con, args.kind, KEYS[args.kind])
        data["would_insert"] = stats["imported"] - data["would_update"]
        summary = (
            f"Dry run: {stats['imported']:,} of {stats['rows']:,} rows would be imported "
            f"({data['would_insert']:,} new, {data['would_update']:,} updates), {stats['rejected']:,} rejected"
            + (f"; unmatched columns: {', '.join(unmatched)}." if unmatched else "; every column is matched.")
        )
        problems = issue_counts(con)
        data["problems"] = problems.to_dict("records")
        sample = con.execute(
            f"SELECT * EXCLUDE (__line, __rid, __empty, __key) FROM {STAGED} ORDER BY __line LIMIT 5"
        ).df()
        tables += [Table.from_df("First rows as they would be imported", sample, total=stats["imported"])]
        if len(problems):
            tables.append(Table.from_df("Rows that would be rejected", problems))
    return ToolResult(summary=summary, data=data, tables=tables)


def _rejudged(lifted: int, released: int, reasons: list[dict], run_id: str) -> str:
    """The sentence on quarantined customers that had new values and were checked again."""
    parts = []
    if released:
        parts.append(f"{released:,} pass{'es' if released == 1 else ''} the checks now and {_is(released)} released")
    if kept := lifted - released:
        listed = ", ".join(f"{r['customers']:,} {r['reason'].replace('_', ' ')}" for r in reasons)
        parts.append(f"{kept:,} {_is(kept)} still quarantined ({listed}; see `promopilot data-issues --run {run_id}`)")
    return f"{lifted:,} quarantined customer{'s' if lifted != 1 else ''} had new values: {', '.join(parts)}."


def _is(n: int) -> str:
    return "is" if n == 1 else "are"


def report(args: ImportArgs, source: Source, mapping, unmatched, stats, written, run_id) -> ToolResult:
    main = written[args.kind]
    updated = main["updated"]
    inserted = stats["imported"] - updated
    summary = (
        f"Imported {stats['imported']:,} of {stats['rows']:,} rows from {source.path.name} "
        f"({inserted:,} new, {updated:,} updated)"
    )
    if stats["rejected"]:
        summary += f"; {stats['rejected']:,} rejected (see `promopilot data-issues --run {run_id}`)"
    if stats["empty_rows"]:
        summary += f"; {stats['empty_rows']:,} empty rows skipped"
    if args.kind == "orders":
        summary += f". Spend, order count and recency updated for {written['customers_updated']:,} customers"
        if written["unknown_customers"]:
            summary += f" ({written['unknown_customers']:,} not in the customer list yet)"
    summary += "."
    if lifted := written.get("rejudged", 0):
        summary += f" {_rejudged(lifted, written['released'], written['requarantine_reasons'], run_id)}"
    if unmatched:
        summary += f" Not imported columns: {', '.join(unmatched)}."
    data = {
        "kind": args.kind,
        "file": str(source.path),
        "run_id": run_id,
        "format": source.format,
        **source.details,
        **stats,
        "inserted": inserted,
        "updated": updated,
        "columns": mapping,
        "unmatched_columns": unmatched,
        **{k: v for k, v in written.items() if not isinstance(v, dict)},
    }
    tables = [_mapping_table(source, mapping, unmatched)]
    if written["problems"]:
        tables.append(Table.from_rows("Rejected rows by problem", written["problems"]))
    return ToolResult(summary=summary, data=data, tables=tables)
