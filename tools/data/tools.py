"""The data tools' entry points: importing a file (see read, columns, coerce, write and report for
how) and the data checks (validate)."""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path
from typing import Annotated

import duckdb
from pydantic import AliasChoices, BaseModel, Field

from services.money import currency_codes
from storage.errors import UserError, first_line
from storage.shop import get_currency, get_setting, set_setting
from tools.context import ToolContext
from tools.data import catalogue_gaps, currency
from tools.data.coerce import ISSUES, STAGED, stage
from tools.data.columns import Kind, field_words, header_key, match_columns, missing_fields
from tools.data.consent import implied_columns
from tools.data.import_folder import readable_path
from tools.data.overview import new_run_id
from tools.data.read import RAW, Source, read
from tools.data.report import preview, report
from tools.data.validate import ACTION_WORDS, CHECKS, LABELS, apply_fixes, drop_scratch, find, prepare, summarise
from tools.data.write import LIFTED, write
from tools.registry import Positional, tool
from tools.results import Table, ToolResult


class ImportArgs(BaseModel):
    kind: Annotated[Kind, Positional()] = Field(
        description="What the file holds: customers, products, orders, or suppressions (addresses never to email: "
        "unsubscribes, bounces, complaints; an optional reason column)."
    )
    path: Annotated[str, Positional()] = Field(
        description="The file: .csv/.tsv/.txt, .parquet, .jsonl or .json (JSON lines or an array of objects); "
        "CSV and JSON may be gzip- or zstd-compressed (.csv.gz, .jsonl.zst)."
    )
    map: dict[str, str] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("map", "mapping"),
        description="Map a file column to a schema column when its name is not recognised, as SRC=DST "
        "(DST 'ignore' skips the column).",
    )
    dry_run: bool = Field(False, description="Only preview: show what would be imported, change nothing.")
    date_format: str | None = Field(
        None,
        description="How to read day/month dates when the file cannot tell: day-first (31/12/2024), month-first "
        "(12/31/2024) or a pattern such as %m/%d/%Y %H:%M. Without it each date column's order is decided from "
        "all its values.",
    )


@tool(cli="import")
def import_data(ctx: ToolContext, args: ImportArgs) -> ToolResult:
    """Import customers, products, orders or suppressions from a CSV, Parquet or JSON-lines file (upsert by id).

    CSV and JSON files may be gzip- or zstd-compressed (export.csv.gz).

    Column names are matched to PromoPilot's fields automatically (e.g. "E-mail", "Customer ID",
    "cust_id"); use map for the rest. Rows with values that do not fit (a text in a number column,
    a missing id) are skipped and listed as data issues; the rest are imported. Importing the same
    file again updates rather than duplicates. Use dry_run first to preview the column matching.
    Orders are also summarised into each customer's spend, order count, recency and categories
    (cancellations and returns lower spend, never count as orders) and fill the catalogue. Consent
    columns (accepts email marketing, opt-in, Mailchimp's status) are kept per customer; kind
    suppressions takes addresses never to email. Each date column's day/month order is decided from
    all its values; date_format settles a column that cannot tell.
    """
    args = args.model_copy(update={"path": readable_path(ctx, args.path)})  # the assistant: uploads, import folder
    con = ctx.db.con
    try:
        with ctx.progress.task(f"Importing {Path(args.path).name}", total=3) as advance:
            source = read(con, Path(args.path).expanduser())
            advance(1)
            mapping, unmatched = match_columns(args.kind, source, args.map)
            if args.kind == "customers":
                implied_columns(con, source, mapping)
            missing = missing_fields(args.kind, list(mapping.values()))
            if missing and not args.dry_run:
                raise UserError(
                    f"{source.path.name} has no column for {', '.join(missing)} "
                    f"(its columns: {', '.join(source.columns) or 'none'}).",
                    hint=_missing_hint(args.kind, source.columns, missing),
                    in_words=_missing_in_words(args.kind, source, missing),
                )
            stats = {} if missing else stage(con, args.kind, source, mapping, args.date_format)
            found = None if missing else currency.detect(con, args.kind, mapping)
            if found:
                source.details["currency_detected"] = f"{found[0]} ({found[1]})"
            elif not missing and args.kind in ("orders", "products") and get_setting(ctx.db, "currency") is None:
                source.details["currency_unknown"] = get_currency(ctx.db)  # the default, said rather than assumed
            advance(1)
            if args.dry_run:
                return preview(con, args.kind, source, mapping, unmatched, missing, stats)
            run_id = new_run_id("import")
            try:
                with ctx.db.transaction():
                    written = write(con, args.kind, source, mapping, run_id)
                    if found:
                        set_setting(ctx.db, "currency", found[0], source="detected")
                    written["currency"] = get_currency(ctx.db)  # the summary's amounts are in it
            except duckdb.Error as exc:  # rolled back: the database is as it was
                raise UserError(
                    f"Cannot import {source.path.name}: {first_line(exc)}",
                    hint="Nothing was imported. Check the values the message names (a --dry-run shows how "
                    "the file is read) and try again.",
                ) from None
            advance(1)
    finally:
        for name in (RAW, STAGED, ISSUES, LIFTED, "import_bad", "import_json", "import_refunds"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return report(args.kind, source, mapping, unmatched, stats, written, run_id)


def _missing_hint(kind: str, columns: list[str], missing: list[str]) -> str:
    """What to do about a missing column; an orders log offered as products is told where it belongs."""
    keys = {header_key(c) for c in columns}
    if kind == "products" and keys & {"invoiceno", "invoice", "orderid", "ordernumber"}:
        return (
            "This looks like an orders log: import it as orders (promopilot import orders FILE); the catalogue "
            "is filled from it, with stock left unknown."
        )
    return f"Map the right column, e.g. --map 'Your Column={missing[0]}', or preview with --dry-run."


HEADERS = {
    "customer_id": "Customer ID",
    "email": "Email",
    "sku": "SKU",
    "order_id": "Order ID",
    "ordered_at": "Order Date",
}


def _missing_in_words(kind: str, source: Source, missing: list[str]) -> str:
    """The whole answer in the chat's words (it has no command line): the columns found, the ones needed, and
    what to do."""
    name = source.path.name
    if kind == "products" and {header_key(c) for c in source.columns} & {"invoiceno", "invoice", "orderid"}:
        return (
            f"Nothing was imported: {name} looks like an orders log, not a product list. Attach it again with "
            "the message *orders*: the catalogue is filled from it."
        )
    needed = " and ".join(field_words(m) for m in missing)
    found = ", ".join(f"“{c}”" for c in source.columns) or "none"
    first, example = field_words(missing[0]), source.columns[0] if source.columns else "ID"
    header = HEADERS.get(missing[0]) or first[:1].upper() + first[1:]
    return (
        f"Nothing was imported: I could not tell which column of {name} holds the {needed}. Its columns are "
        f"{found}; a {kind} file needs the {needed}. Rename that column to “{header}” and "
        f"attach the file again, or just tell me which column it is, e.g. *{example} is the {first}*."
    )


class ValidateArgs(BaseModel):
    fix: bool = Field(
        False,
        description="Repair what is safe (trim/lower-case emails, recompute average order value) and quarantine "
        "customers that cannot be repaired, recording every change as a data issue.",
    )
    examples: int = Field(3, ge=0, le=50, description="How many example rows to show per check.")


@tool(cli="validate")
def validate_data(ctx: ToolContext, args: ValidateArgs) -> ToolResult:
    """Check the data for problems: invalid or duplicate emails, missing values, negative amounts,
    average order value that does not match total/orders, duplicate ids and outliers.

    Reports per check how many rows, what share and a few examples. With fix, repairs the safe
    cases and quarantines customers that cannot be repaired: quarantined customers are never
    segmented or emailed. Every change is listed in the data issues.
    """
    if not ctx.db.scalar("SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM products)"):
        raise UserError(  # "Checked 0 customers: no problems found" read as a clean bill of health
            "There is no data to check yet: no customers and no products.",
            hint="Attach your customer list (a CSV export), or say 'generate demo data' to try a sample shop.",
        )
    con = ctx.db.con
    try:
        with ctx.progress.task("Validating", total=len(CHECKS) + 1) as advance:
            emails_checked = prepare(con)
            checked = {
                "customers": con.execute("SELECT count(*) FROM usable").fetchone()[0],
                "quarantined": ctx.db.scalar("SELECT count(*) FROM customers WHERE quarantine_reason IS NOT NULL"),
                "products": ctx.db.scalar("SELECT count(*) FROM products"),
                "orders": ctx.db.scalar("SELECT count(*) FROM orders"),
                "emails_checked_by_validator": emails_checked,
                "without_address": ctx.db.scalar(
                    "SELECT count(*) FROM customers WHERE quarantine_reason IS NULL AND nullif(trim(email), '') IS NULL"
                ),
            }
            advance(1)
            for check in CHECKS:
                find(con, check)
                advance(1)
        report = summarise(ctx.db, checked, args.examples)
        changes = apply_fixes(ctx.db) if args.fix else None
    finally:
        drop_scratch(con)
    return validation_result(report, checked, changes, catalogue_gaps.uncategorised_from_orders(ctx.db))


def validation_result(
    report: list[dict], checked: dict[str, int], changes: dict | None, uncategorised: int = 0
) -> ToolResult:
    problems = [r for r in report if r["rows"]]
    listed = "; ".join(f"{LABELS[r['check']]} ({r['rows']:,})" for r in problems)
    summary = f"Checked {checked['customers']:,} customers"
    if checked["quarantined"]:
        summary += f" (plus {checked['quarantined']:,} already quarantined, not rechecked)"
    summary += f" and {checked['products']:,} products: " + (f"found {listed}." if problems else "no problems found.")
    if changes:
        summary += (
            f" Fixed {changes['fixed']:,} values, quarantined {changes['quarantined']:,} customers, "
            f"flagged {changes['flagged']:,} new issues (run {changes['run_id']})."
        )
    if no_address := checked.get("without_address"):  # not a defect ("any missing emails?" is answered, though)
        who = "1 customer has" if no_address == 1 else f"{no_address:,} customers have"
        summary += (
            f" {who} no email address (known from an orders log only): they can be segmented but not emailed "
            "until a customer file with their addresses is imported."
        )
    if uncategorised:  # information, not a problem: the log cannot know categories
        summary += f" {catalogue_gaps.note(uncategorised)}"
    rows = [  # what was found, in words; the checks that found nothing are only in the data
        {
            "problem": LABELS[r["check"]],
            "in": "customers" if r["table"].startswith("customer") else r["table"],
            "rows": r["rows"],
            "share of rows": r["share"],
            "what fixing does": ACTION_WORDS[r["action"]],
            "examples": "; ".join(map(str, r["examples"])),
        }
        for r in problems
    ]
    return ToolResult(
        summary=summary,
        data={"checked": checked, "checks": report, "changes": changes}
        | ({"products_from_orders_without_category": uncategorised} if uncategorised else {}),
        tables=[Table.from_rows("Problems found", rows)],
    )


class ShopArgs(BaseModel):
    currency: str | None = Field(
        None, pattern=r"^[A-Za-z]{3}$", description="Set the shop's currency (ISO code such as GBP, EUR, USD)."
    )


@tool(cli="shop")
def shop_settings(ctx: ToolContext, args: ShopArgs) -> ToolResult:
    """Show the shop's settings (currency, the sender, the postal address in every email, whether customers
    without a consent answer may be emailed), or set its currency."""
    if args.currency and args.currency.upper() not in currency_codes():
        raise UserError(
            f"{args.currency!r} is not a currency code, so the currency was not changed.",
            hint="Use an ISO 4217 code such as GBP, EUR, USD or CHF.",
        )
    if args.currency:
        set_setting(ctx.db, "currency", args.currency.upper(), source="user")
    row = ctx.db.rows("SELECT value, source FROM shop_settings WHERE name = 'currency'")
    code = get_currency(ctx.db)
    how = {"user": "set by you", "detected": "detected from your data"}.get(row[0]["source"], "") if row else "default"
    settings = {
        "currency": code,
        "currency_source": how,
        "from_address": ctx.settings.from_address,
        "postal_address": ctx.settings.postal_address,
        "email_unknown_consent": ctx.settings.email_unknown_consent,
        "frequency_cap_days": ctx.settings.frequency_cap_days,
    }
    address = ctx.settings.postal_address
    demo = address == type(ctx.settings).model_fields["postal_address"].default
    if args.currency:  # the answer is about the change asked for
        summary = f"The shop's currency is now {code}: figures and emails show money in it."
    else:
        sender = parseaddr(ctx.settings.from_address)[0] or "the shop"  # its address is in the table (see views.py)
        summary = f"Currency {code} ({how}). Emails go out as “{sender}” and carry the postal address {address}. "
        summary += (
            "Customers without a consent answer may be emailed."
            if ctx.settings.email_unknown_consent
            else "Only customers who said yes to marketing email are emailed."
        )
    if demo and not args.currency:  # the law wants the sender's real postal address in every marketing email
        summary += " That address is the demo's: set PROMOPILOT_POSTAL_ADDRESS to yours before a real send."
    rows = [
        {"setting": "Currency", "value": f"{code} ({how})"},
        {"setting": "Emails come from", "value": ctx.settings.from_address},
        {"setting": "Postal address in every email", "value": f"{address} (the demo's)" if demo else address},
        {
            "setting": "Customers without a consent answer",
            "value": "may be emailed" if ctx.settings.email_unknown_consent else "never emailed",
        },
    ]
    return ToolResult(summary=summary, data=settings, tables=[Table.from_rows("Shop settings", rows)])
