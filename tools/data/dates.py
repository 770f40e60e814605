"""The day/month order of a date column, decided once from all its values.

`12/1/2010` is 1 December in a US export and 12 January in a European one, and no single value
says which: reading value by value turns one column into a mix of both. So each column's order
is decided from the values that do tell (a first part above 12 means day first, a second part
above 12 means month first), and every value of the column is then read that one way. A column
with evidence both ways, or none at all, is refused with a message naming `--date-format` (in the chat:
saying "the dates are day first" after the failed upload).
Dotted dates (`31.12.2024`) are day first wherever they are written. ISO dates need no decision.
"""

# Only quoted identifiers and fixed patterns are formatted into SQL here; values are bound.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from storage.db import ident
from storage.errors import UserError
from tools.data.read import RAW

# A day-month-year date in either order: the two leading parts, the separator, a 2- or 4-digit year.
NUMERIC_DATE = r"^\s*([0-9]{1,2})([/.-])([0-9]{1,2})[/.-]([0-9]{2}|[0-9]{4})([ T].*)?$"
ORDERS = {
    "day-first": "%d{sep}%m{sep}%Y",
    "month-first": "%m{sep}%d{sep}%Y",
}
ALIASES = {"dmy": "day-first", "day first": "day-first", "mdy": "month-first", "month first": "month-first"}
# The chat's way to say it (assistant.uploads.said_date_order reads it, and imports the file again)
SAY_ORDER = (
    "Tell me how your dates are written, *the dates are day first* (31/12/2024) or *the dates are month first* "
    "(12/31/2024), and I will import it again that way."
)
TIMES = [" %H:%M:%S", " %H:%M", "T%H:%M:%S", " %I:%M %p", ""]
OTHER_FORMATS = ["%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y%m%d"]


@dataclass(frozen=True)
class DateOrder:
    """How one column's dates are read, and why (shown by --dry-run)."""

    column: str
    order: str  # day-first / month-first / iso / a strptime pattern the user gave
    reason: str

    def formats(self) -> list[str]:
        if self.order not in ORDERS:
            return [self.order] if "%" in self.order else OTHER_FORMATS
        dates = [ORDERS[self.order].format(sep=sep) for sep in "/-."]
        dates += [d.replace("%Y", "%y") for d in dates]
        return [d + t for d in dates for t in TIMES] + OTHER_FORMATS


def decide(con: duckdb.DuckDBPyConnection, column: str, file_name: str, date_format: str | None) -> DateOrder:
    """The order of `column` in RAW, from all its values (or the user's `date_format`)."""
    if date_format:
        given = ALIASES.get(date_format.strip().lower(), date_format.strip())
        if given not in ORDERS and "%" not in given:
            raise UserError(
                f"--date-format {date_format!r} is not a date order.",
                hint="Use day-first (31/12/2024), month-first (12/31/2024) or a pattern such as %d/%m/%Y %H:%M.",
            )
        return DateOrder(column, given, "as given with --date-format")
    col = ident(column)
    parts = f"regexp_extract({col}, '{NUMERIC_DATE}', ['first', 'sep', 'second'])"
    day_first, month_first, dotted, numeric, example = con.execute(f"""
        SELECT count(*) FILTER (WHERE TRY_CAST(p.first AS INTEGER) > 12),
               count(*) FILTER (WHERE TRY_CAST(p.second AS INTEGER) > 12),
               count(*) FILTER (WHERE p.sep = '.'),
               count(*) FILTER (WHERE p.first <> ''),
               min({col}) FILTER (WHERE p.first <> '')
        FROM (SELECT {col}, {parts} AS p FROM {RAW})""").fetchone()
    if not numeric:
        return DateOrder(column, "iso", "no day/month dates")
    if day_first and month_first:
        found = (
            f"{file_name}: the dates in {column} are written both ways ({day_first:,} with the day first, "
            f"{month_first:,} with the month first), so none of them can be trusted."
        )
        raise UserError(
            found,
            hint="Say how to read them with --date-format day-first or --date-format month-first "
            "(or a pattern such as %m/%d/%Y %H:%M); nothing was imported.",
            in_words=f"{found} Nothing was imported. {SAY_ORDER}",
        )
    if month_first:
        return DateOrder(column, "month-first", f"{month_first:,} dates have a second part above 12 (e.g. 12/13)")
    if day_first:
        return DateOrder(column, "day-first", f"{day_first:,} dates have a first part above 12 (e.g. 13/12)")
    if dotted == numeric:
        return DateOrder(column, "day-first", "dotted dates (31.12.) are written day first")
    found = (
        f"{file_name}: the dates in {column} (e.g. {example}) could be day/month or month/day: "
        "no value has a part above 12 to tell."
    )
    raise UserError(
        found,
        hint="Say how to read them with --date-format day-first or --date-format month-first; nothing was imported.",
        in_words=f"{found} Nothing was imported. {SAY_ORDER}",
    )
