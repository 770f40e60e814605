"""Where the data stands: the data-issue log and a one-screen status of everything in the database.

Imports and validation write one `data_issues` row per problem they find (rejected, fixed,
quarantined or just flagged), all sharing a run id, so a marketer can ask "what happened to my
file?" and get the rows, the fields and the raw values back.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from storage.db import Database
from storage.orders import orders_placed
from storage.segments import active_run_id
from tools.catalog.audience import describe_exclusions, scored_audience
from tools.context import ToolContext
from tools.registry import tool
from tools.results import Table, ToolResult


def new_run_id(kind: str) -> str:
    """A readable, unique id for one import/validation run: `import-20260101-120000-1a2b`."""
    return f"{kind}-{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def open_issue_count(db: Database) -> int:
    """Problems still in the data: rejected rows and fixes are done with, flags are not, and so are
    quarantines while the customer is still quarantined. Only the last run that quarantined a customer
    counts: an import with new values judges them again, and then the older findings no longer hold."""
    return db.scalar("""
        SELECT (SELECT count(*) FROM data_issues WHERE action = 'flagged')
             + (SELECT count(*) FROM (
                    SELECT d.run_id, max_by(d.run_id, d.issue_id) OVER (PARTITION BY d.row_key) AS last_run
                    FROM data_issues d JOIN customers c ON c.customer_id = d.row_key
                    WHERE d.action = 'quarantined' AND c.quarantine_reason IS NOT NULL)
                WHERE run_id = last_run)""")


class IssuesArgs(BaseModel):
    run: str | None = Field(None, description="Only this import/validation run (its run id); 'latest' = the last.")
    table: str | None = Field(None, description="Only issues about this table (customers, products, orders, ...).")
    problem: str | None = Field(None, description="Only problems containing this text (e.g. 'email').")
    action: Literal["rejected", "quarantined", "fixed", "flagged"] | None = Field(
        None, description="Only issues handled this way."
    )
    limit: int = Field(50, ge=1, le=10_000, description="Show at most this many issues.")


@tool(cli="data-issues")
def list_data_issues(ctx: ToolContext, args: IssuesArgs) -> ToolResult:
    """List the data problems found by imports and validation: which row, field and value, and what was done
    (for a repair, the new value beside the old).

    Use it to see why rows of an imported file were rejected, which emails were repaired and
    which customers were quarantined (never segmented or emailed).
    """
    run = args.run
    if run == "latest":
        run = ctx.db.scalar("SELECT run_id FROM data_issues ORDER BY issue_id DESC LIMIT 1")
    where = "WHERE (? IS NULL OR run_id = ?) AND (? IS NULL OR table_name = ?) AND (? IS NULL OR action = ?)"
    where += " AND (? IS NULL OR problem ILIKE '%' || ? || '%')"
    params = [run, run, args.table, args.table, args.action, args.action, args.problem, args.problem]
    issues = ctx.db.df(
        f"SELECT issue_id, run_id, table_name, row_key, source_file, line, field, problem, "  # noqa: S608 - fixed text
        f"left(raw_value, 80) AS raw_value, left(new_value, 80) AS new_value, action FROM data_issues {where} "
        "ORDER BY issue_id LIMIT ?",
        [*params, args.limit],
    )
    by_problem = ctx.db.df(
        f"SELECT table_name, problem, action, count(*) AS issues FROM data_issues {where} "  # noqa: S608
        "GROUP BY ALL ORDER BY issues DESC, problem",
        params,
    )
    total = int(by_problem["issues"].sum()) if len(by_problem) else 0
    if total == 0:
        summary = "No data issues recorded" + (" for that filter." if any(params) else ".")
    else:
        summary = f"{total:,} data issue{'s' if total != 1 else ''}" + (
            f"; showing the first {len(issues):,}." if total > len(issues) else "."
        )
        said = "; ".join(in_words(issue) for issue in issues.head(SAID).to_dict("records"))
        summary += f" {said}" + (f"; {total - SAID:,} more in the table." if total > SAID else ".")
    return ToolResult(
        summary=summary,
        data={"total": total, "run": run, "by_problem": by_problem.to_dict("records")},
        tables=[Table.from_df("Issues by problem", by_problem), Table.from_df("Data issues", issues, total=total)]
        if total
        else [],
    )


SAID = 3  # issues said in the answer's sentence; the table has them all


def in_words(issue: dict) -> str:
    """ "customers.csv line 8, total_spent: not a number (rejected)": where, which field, what was done. Never the
    value: it is often an email address, which the model must not see (the table beside it shows it locally)."""
    file = Path(str(issue.get("source_file") or "")).name
    row = f"{str(issue['table_name']).removesuffix('s')} {issue['row_key']}" if issue.get("row_key") else None
    where = f"{file} line {issue['line']}" if file and issue.get("line") is not None else row  # "customer 1002"
    field = f", {issue['field']}" if issue.get("field") else ""
    from tools.data.validate import LABELS  # here: validate imports this module (new_run_id)

    problem = LABELS.get(issue["problem"], issue["problem"])  # a check's key ("email_format") in words
    return f"{where or issue['table_name']}{field}: {problem} ({issue['action']})"


class OverviewArgs(BaseModel):
    pass


@tool(cli="status")
def data_overview(ctx: ToolContext, args: OverviewArgs) -> ToolResult:
    """Show what is in the database: customers (usable vs quarantined), products, orders, open data issues,
    segmentation runs and campaigns by status. A good first step in any conversation."""
    counts = ctx.db.rows(f"""
        SELECT (SELECT count(*) FROM customers) AS customers,
               (SELECT count(*) FROM customers WHERE quarantine_reason IS NULL) AS usable_customers,
               (SELECT count(*) FROM customers WHERE quarantine_reason IS NOT NULL) AS quarantined_customers,
               (SELECT count(*) FROM customers WHERE nullif(trim(email), '') IS NULL) AS not_contactable,
               (SELECT count(*) FROM customers WHERE NOT email_consent) AS no_consent,
               (SELECT count(*) FROM customers WHERE email_consent IS NULL) AS consent_unknown,
               (SELECT count(*) FROM products) AS products,
               (SELECT count(*) FROM orders) AS order_lines,
               (SELECT {orders_placed("")} FROM orders) AS orders,
               (SELECT count(DISTINCT order_id) FILTER (WHERE is_return) FROM orders) AS returns,
               (SELECT count(*) FROM segment_runs) AS segment_runs""")[0]  # noqa: S608 - a constant count
    counts["open_data_issues"] = open_issue_count(ctx.db)
    counts["can_email"], excluded = can_email(ctx)
    counts["active_segment_run"] = active_run_id(ctx.db)
    campaigns = ctx.db.df("SELECT status, count(*) AS campaigns FROM campaigns GROUP BY status ORDER BY status")
    counts["campaigns"] = dict(zip(campaigns["status"], campaigns["campaigns"].astype(int), strict=True))
    quarantine = ctx.db.df("""
        SELECT quarantine_reason AS reason, count(*) AS customers FROM customers
        WHERE quarantine_reason IS NOT NULL GROUP BY 1 ORDER BY 2 DESC""")
    span = ctx.db.execute("SELECT min(ordered_at), max(ordered_at) FROM orders").fetchone()  # what the log covers
    if not (counts["customers"] or counts["order_lines"] or counts["products"]):
        summary = "The database is empty: generate demo data (promopilot demo) or import a customer file."
    else:
        contact = [
            f"{counts[k]:,} {words}"
            for k, words in (
                ("not_contactable", "without an email address"),
                ("no_consent", "said no to marketing email"),
            )
            if counts[k]
        ]
        summary = (
            f"{counts['customers']:,} customers ({counts['usable_customers']:,} usable, "
            f"{counts['quarantined_customers']:,} quarantined"
            + "".join(f"; {c}" for c in contact)
            + f"), {counts['products']:,} products, {counts['order_lines']:,} order lines "
            f"({counts['orders']:,} orders{_returns(counts['returns'])}{_span(span)}), "
            f"{counts['open_data_issues']:,} open data issues; "
            + (
                f"active segmentation run {counts['active_segment_run']}."
                if counts["active_segment_run"] is not None
                else "not segmented yet."
            )
            + f" {emailable_sentence(counts['can_email'], excluded, counts['customers'])}"
        )
    counts["not_emailable"] = {reason: n for reason, n in excluded.items() if n}
    rows = [{"item": k.replace("_", " "), "value": v} for k, v in counts.items() if not isinstance(v, dict)]
    rows += [{"item": f"campaigns {status}", "value": n} for status, n in counts["campaigns"].items()]
    tables = [Table.from_rows("Status", rows)]
    if len(quarantine):
        tables.append(Table.from_df("Quarantined customers by reason", quarantine))
    counts["quarantine_reasons"] = quarantine.to_dict("records")
    dates = {"first_order": span[0].date().isoformat(), "last_order": span[1].date().isoformat()} if span[0] else {}
    return ToolResult(summary=summary, data=counts | dates, tables=tables)


def _returns(returns: int) -> str:
    """ " and 10 returns or cancellations": counted apart, as every figure counts them (a return is no order)."""
    if not returns:
        return ""
    return " and 1 return or cancellation" if returns == 1 else f" and {returns:,} returns or cancellations"


def _span(span: tuple) -> str:
    """ ", 6 Jan 2003 to 31 May 2005": the period an orders log covers (recency counts back from its end)."""
    first, last = span
    return f", {first:%-d %b %Y} to {last:%-d %b %Y}" if first is not None else ""


def can_email(ctx: ToolContext) -> tuple[int, dict[str, int]]:
    """How many customers a campaign to everyone could email now, and why the others would be skipped
    (the rules every send follows: consent, suppressions, valid address, the frequency cap)."""
    _, excluded, eligible = scored_audience(
        ctx.db,
        run_id=None,
        segments=None,
        skus=[],  # who is reachable does not depend on products
        frequency_cap_days=ctx.settings.frequency_cap_days,
        limit=1,
        unknown_consent=ctx.settings.email_unknown_consent,
    )
    return eligible, excluded


def emailable_sentence(eligible: int, excluded: dict[str, int], customers: int) -> str:
    """ "2 of 57 customers can be emailed now; the others: 55 not contactable (no email address)." """
    sentence = f"{eligible:,} of {customers:,} customer{'s' if customers != 1 else ''} can be emailed now"
    why = describe_exclusions(excluded)
    return f"{sentence}; the others: {why}." if why else f"{sentence}."
