"""What an import tells the marketer: the preview of a dry run and the summary of a real one."""

# Only fixed table names and quoted identifiers are formatted into SQL here; every value is bound.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from services.money import format_money
from tools.data import service_lines
from tools.data.coerce import STAGED, issue_counts
from tools.data.columns import KEYS, header_key, read_by_fallback
from tools.data.read import Source
from tools.data.write import existing
from tools.results import Table, ToolResult


def _mapping_table(source: Source, mapping: dict[str, str], unmatched: list[str]) -> Table:
    rows = [{"file column": src, "field": dst} for src, dst in mapping.items()]
    rows += [{"file column": c, "field": None} for c in unmatched]
    return Table.from_rows("Column matching", rows)


_TOTAL_ONCE = (
    "{column} gives each order's total once, on its first line (as Shopify exports it, with shipping and taxes), "
    "so each line's amount is its quantity x unit price: revenue counts the items sold, not shipping or taxes."
)


def preview(con, kind: str, source: Source, mapping, unmatched, missing, stats) -> ToolResult:
    data: dict[str, Any] = {
        "kind": kind,
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
            f"{source.path.name} cannot be imported as {kind} yet: no column for {', '.join(missing)}. "
            f"Map one with --map 'Column={missing[0]}'."
        )
    else:
        data["would_update"] = existing(con, kind, KEYS[kind])
        data["would_insert"] = stats["imported"] - data["would_update"]
        summary = (
            f"Dry run: {stats['imported']:,} of {stats['rows']:,} rows would be imported "
            f"({data['would_insert']:,} new, {data['would_update']:,} updates), {stats['rejected']:,} rejected"
            + (f"; unmatched columns: {', '.join(unmatched)}." if unmatched else "; every column is matched.")
        )
        for column, order in source.details.get("date_order", {}).items():
            summary += f" Dates in {column}: read {order}."
        if detected := source.details.get("currency_detected"):
            summary += f" Currency: {detected}."
        if total := source.details.get("order_total_once"):
            summary += f" {_TOTAL_ONCE.format(column=total)}"
        if kind == "orders" and (unpaid := con.execute(f"SELECT count(*) FROM {STAGED} WHERE __unpaid").fetchone()[0]):
            lines = f"{unpaid:,} of these lines are" if unpaid != 1 else "1 of these lines is"
            summary += f" {lines} of orders never paid (pending, failed, on hold...): they would not be stored."
        if kind == "customers" and "email_consent" not in mapping.values():
            summary += " No consent column: these customers' email consent would stay unknown."
        problems = issue_counts(con)
        data["problems"] = problems.to_dict("records")
        hidden = "__line, __rid, __empty, __key"
        if kind == "orders":  # the status flags (order_status) are the importer's, not the file's
            hidden += ", __cancelled, __unpaid, __partly_refunded, __refunded"
        sample = con.execute(f"SELECT * EXCLUDE ({hidden}) FROM {STAGED} ORDER BY __line LIMIT 5").df()
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


def report(kind: str, source: Source, mapping, unmatched, stats, written, run_id) -> ToolResult:
    existed = written.get("file_lines_existing", written[kind]["updated"])  # orders: not their reversals
    # never-paid orders and stock movements are not stored
    imported = stats["imported"] - written.get("unpaid_lines", 0) - written.get("stock_movement_lines", 0)
    inserted = imported - existed
    changed = written["changed"]
    summary = (
        f"Imported {imported:,} of {stats['rows']:,} rows from {source.path.name} "
        f"({inserted:,} new, {changed:,} changed, {existed - changed:,} unchanged)"
    )
    if stats["rejected"]:
        summary += f"; {stats['rejected']:,} rejected (see `promopilot data-issues --run {run_id}`)"
    if stats["empty_rows"]:
        summary += f"; {stats['empty_rows']:,} empty rows skipped"
    summary += "."
    if kind == "orders":
        summary += " " + _orders_sentences(written, mapping)
    if kind == "customers":
        summary += " " + _consent_sentence(written, mapping)
    if written.get("margin_read_as_markup"):
        summary += (
            " The margin column holds markups on cost (price = cost x (1 + margin)): stored as markup, and "
            "margin is the gross margin, (price - cost) / price."
        )
    if total := source.details.get("order_total_once"):
        summary += f" {_TOTAL_ONCE.format(column=total)}"
    if kind == "orders" and (unit := _unit_price_as_amount(mapping)):
        summary += (
            f" Warning: {unit} looks like a price per unit but was read as the line amount; with a quantity "
            f"column, map it with --map '{unit}=unit_price' so that amounts are quantity x unit price."
        )
    if code := source.details.get("currency_unknown"):
        summary += (
            " The file does not say its currency (no currency signs on the amounts, and no one country has most "
            f"of the lines): money shows in {code} until you say which, e.g. *our prices are in dollars*."
        )
    if lifted := written.get("rejudged", 0):
        summary += f" {_rejudged(lifted, written['released'], written['requarantine_reasons'], run_id)}"
    if unmatched:
        summary += f" {_not_imported(unmatched)}"
    data = {
        "kind": kind,
        "file": str(source.path),
        "run_id": run_id,
        "format": source.format,
        **source.details,
        **stats,
        "inserted": inserted,
        "updated": changed,
        "unchanged": existed - changed,
        "columns": mapping,
        "unmatched_columns": unmatched,
        **{k: v for k, v in written.items() if not isinstance(v, dict)},
    }
    tables = [_mapping_table(source, mapping, unmatched)]
    if written["problems"]:
        tables.append(Table.from_rows("Rejected rows by problem", written["problems"]))
    return ToolResult(summary=summary.strip(), data=data, tables=tables)


def _orders_sentences(written: dict[str, Any], mapping: dict[str, str]) -> str:
    """Returns, revenue without a customer (one line, not an alarm per row), linking and new customers."""
    money = " ".join(_money_sentences(written))
    if "customer_id" not in mapping.values():
        return (
            f"{money} The file has no column naming the customer, so its lines count for products and totals but "
            "no customer can be segmented or emailed from them. If one of its columns names the customer, "
            "import it again saying which, e.g. *Client is the customer id*."
            + (
                f" {written['products_added']:,} products added to the catalogue (stock unknown)."
                if written.get("products_added")
                else ""
            )
        ).strip()
    reversing = written["return_lines"] - written.get("cancelled_orders", 0)
    parts = [
        *(
            f"The file has no customer id, so each customer is known by the {src} column (lines with the same "
            "name are one customer)."
            for src in read_by_fallback("orders", mapping)
        ),
        f"Spend, order count and recency updated for {written['customers_updated']:,} customers"
        + (f" ({reversing:,} cancelled or returned lines lower spend, never count as orders)." if reversing else "."),
    ]
    if cancelled := written.get("cancelled_orders"):
        parts.append(
            f"{cancelled:,} line{'s' if cancelled != 1 else ''} of orders the status column says were cancelled or "
            "refunded are kept with their cancellation: they add nothing to spend, revenue or the number of orders."
        )
    if money:
        parts.append(money)
    if written["revenue_without_customer"]:
        parts.append(
            f"{written['revenue_without_customer_share']:.1%} of the file's revenue is on lines without a customer id "
            "(kept for products and totals, not linked to anyone)."
        )
    if written["customers_before"] and written["file_customers"]:
        linked, total = written["linked_customers"], written["file_customers"]
        parts.append(f"{linked:,} of the file's {total:,} customers matched existing customers.")
        if linked < total / 2:
            parts.append(
                "Warning: fewer than half matched: check that the customer ids are the same in both files "
                "(the rest were added as new customers without an address)."
            )
    if written.get("customers_created"):
        parts.append(
            f"{written['customers_created']:,} customers were added from the log; without an email address they "
            "can be segmented but not emailed."
        )
    if written.get("products_added"):
        parts.append(f"{written['products_added']:,} products added to the catalogue (stock unknown).")
    return " ".join(parts)


def _money_sentences(written: dict[str, Any]) -> list[str]:
    """What the revenue holds and leaves out, in words (`order_status`, `service_lines`): never-paid orders,
    postage and fees, partial refunds taken off or not known."""
    currency = written.get("currency") or "EUR"
    parts = []
    if lines := written.get("unpaid_lines"):
        orders, statuses = written["unpaid_orders"], ", ".join(written["unpaid_statuses"])
        parts.append(
            f"{orders:,} order{'s' if orders != 1 else ''} ({lines:,} line{'s' if lines != 1 else ''}, "
            f"{format_money(written['unpaid_value'], currency)}) {'was' if orders == 1 else 'were'} never paid"
            + (f" (status {statuses})" if statuses else "")
            + ": not stored and not counted in revenue"
            + (
                f"; {removed:,} line{'s' if removed != 1 else ''} an earlier import had stored "
                f"{'is' if removed == 1 else 'are'} removed."
                if (removed := written.get("unpaid_removed"))
                else "."
            )
        )
    if lines := written.get("stock_movement_lines"):
        note = written.get("stock_movement_note")
        parts.append(
            f"{lines:,} line{'s' if lines != 1 else ''} with units but no customer and no money "
            + (f"(such as “{note}”) " if note else "")
            + f"{'is a' if lines == 1 else 'are'} stock movement{'s' if lines != 1 else ''} (write-offs, corrections), "
            "not sales or returns: not stored."
        )
    if written.get("service_lines"):
        value = format_money(written["service_value"], currency)
        parts.append(service_lines.sentence(written["service_lines"], value))
    if refunded := written.get("refunded_orders"):
        parts.append(
            f"{refunded:,} order{'s' if refunded != 1 else ''} {'was' if refunded == 1 else 'were'} partly refunded: "
            f"{format_money(written['refunded_value'], currency)} taken off revenue and spend."
        )
    if unknown := written.get("partial_refunds_without_amount"):
        parts.append(
            f"{unknown:,} order{'s' if unknown != 1 else ''} {'was' if unknown == 1 else 'were'} partly refunded "
            "but the file gives no refunded amount: counted in full, so revenue and those customers' spend are "
            "somewhat high (a Refunded Amount column would settle it)."
        )
    return parts


UNUSED_NAMED = 4  # more columns left out are counted, not listed (the column matching table lists them all)


def _not_imported(unmatched: list[str]) -> str:
    """The file's columns nothing matched: named when few; a Mailchimp export's twenty are counted."""
    if len(unmatched) <= UNUSED_NAMED + 1:
        return f"Not imported columns: {', '.join(unmatched)}."
    rest = len(unmatched) - UNUSED_NAMED
    return f"Not imported columns: {', '.join(unmatched[:UNUSED_NAMED])} and {rest} other columns not used."


def _unit_price_as_amount(mapping: dict[str, str]) -> str | None:
    """The column read as the amount when it is named like a unit price and the file has quantities."""
    if "quantity" not in mapping.values() or "unit_price" in mapping.values():
        return None
    return next((src for src, dst in mapping.items() if dst == "amount" and "price" in header_key(src)), None)


def _consent_sentence(written: dict[str, Any], mapping: dict[str, str]) -> str:
    if "email_consent" not in mapping.values():
        return "The file has no consent column: these customers' email consent stays as it was (unknown for new ones)."
    sentence = (
        f"Email consent: {written['consent_yes']:,} yes, {written['consent_no']:,} no (never emailed), "
        f"{written['consent_unknown']:,} unknown."
    )
    if kept := written.get("kept_unsubscribed"):
        who = "1 person who unsubscribed earlier is" if kept == 1 else f"{kept:,} people who unsubscribed earlier are"
        sentence += f" {who} marked yes in this file: they stay unsubscribed (only their own new opt-in changes that)."
    if stale := written.get("stale_unsubscribes"):
        who = "1 unsubscribe in this file is" if stale == 1 else f"{stale:,} unsubscribes in this file are"
        sentence += f" {who} older than the person's own new opt-in: not applied, they stay subscribed."
    if unsubscribed := written.get("suppressed_unsubscribes"):
        who = (
            "1 person who unsubscribed stays" if unsubscribed == 1 else f"{unsubscribed:,} people who unsubscribed stay"
        )
        sentence += f" {who} unsubscribed, whatever a later file says."
    return sentence
