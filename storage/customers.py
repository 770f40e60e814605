"""Customers, and the one address check: how an address is compared, and which ones may be emailed.

Every comparison of addresses (suppressions, recently emailed, duplicates, unsubscribe links)
goes through `address_sql`, so an address typed with a capital or a stray space is the same
address everywhere; `ADDRESS_PATTERN` is the shape an address must have to be emailed at all.
"""

from __future__ import annotations

import re

from storage.db import Database
from storage.errors import UserError

# Conservative shape check (RE2): dot-atom local part, dotted host, alphabetic TLD. The validation
# tool does the full RFC/deliverability check; this only keeps obvious junk out of an audience.
ADDRESS_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def address_sql(column: str) -> str:
    """SQL for the comparable form of the address in `column`: trimmed and lower-cased."""
    return f"lower(trim({column}))"


# Suppressions are stored lower-cased (migration m001); a message's address is compared in the same form.
SUPPRESSED_SQL = f"{address_sql('email')} IN (SELECT {address_sql('email')} FROM suppressions)"  # noqa: S608
# A message row (email, customer_id) not to send any more: its address suppressed, or its customer said no.
WITHDRAWN_SQL = f"({SUPPRESSED_SQL} OR customer_id IN (SELECT customer_id FROM customers WHERE NOT email_consent))"  # noqa: S608


def is_sendable(address: str) -> bool:
    """Has the address the shape the audience accepts (ASCII, a dotted host)?"""
    return re.fullmatch(ADDRESS_PATTERN, address) is not None


def require_customers(db: Database) -> int:
    count = db.scalar("SELECT count(*) FROM customers")
    if not count:
        raise UserError(
            "There are no customers in the database yet.",
            hint="Generate demo data (promopilot demo) or import a file (promopilot import customers FILE).",
        )
    return count


def first_name(db: Database, customer_id: str, *, hint: str) -> str | None:
    """The customer's first name (None if not known); a UserError with `hint` if there is no such customer."""
    rows = db.execute("SELECT first_name FROM customers WHERE customer_id = ?", [customer_id]).fetchall()
    if not rows:
        raise UserError(f"There is no customer {customer_id!r}.", hint=hint)
    return rows[0][0]


def names(db: Database, customer_ids: list[str]) -> dict[str, str]:
    """Customers' full names by id, for the marketer's own screen (never for the model)."""
    rows = db.execute(
        "SELECT customer_id, trim(concat_ws(' ', first_name, last_name)) FROM customers "
        "WHERE list_contains(?::VARCHAR[], customer_id)",
        [customer_ids],
    ).fetchall()
    return {customer_id: name for customer_id, name in rows if name}


TITLES = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr|prof)\.?\s+", re.IGNORECASE)
_FULL = "trim(regexp_replace(concat_ws(' ', trim(first_name), trim(last_name)), '\\s+', ' ', 'g'))"
NAMED_SQL = (  # constants only: the name is a parameter
    "SELECT customer_id, first_name, " + _FULL + " AS full_name, count(*) OVER () AS matches FROM customers"  # noqa: S608
    " WHERE lower(trim(first_name)) = $n OR lower(trim(last_name)) = $n OR lower(" + _FULL + ") = $n"
    " ORDER BY customer_id LIMIT 1"
)


def named(db: Database, name: str) -> tuple[int, dict[str, str] | None]:
    """Customers whose first, last or full name is `name` (any case, spacing and a title like "Mr" ignored):
    how many there are, and the first by ID with its `customer_id`, `first_name` and `full_name`.

    A marketer says "Anna" or "Mr Jones", not an ID; several Annas are normal, so the caller shows the
    first and says how many share the name rather than refusing."""
    wanted = " ".join(TITLES.sub("", name.strip()).split()).lower()
    if not wanted:
        return 0, None
    rows = db.rows(NAMED_SQL, {"n": wanted})
    if not rows:
        return 0, None
    found = rows[0]
    return int(found.pop("matches")), {k: str(v) if v is not None else "" for k, v in found.items()}
