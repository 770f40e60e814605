"""Email consent from customer files, and the columns a file implies without having them.

Consent is stored per customer (`email_consent`: true, false or NULL = unknown) with where it
came from and when. A blank consent cell keeps what is known; a file without a consent column
leaves consent alone (and its summary says so). Mailchimp exports an audience as three files
without a status column (`subscribed_members_export_…`, `unsubscribed_…`, `cleaned_…`): the file
name is then the consent. Mailchimp files have no customer id either (they are told by their name
or their LEID and EUID columns): an address already on file keeps its customer, a new one becomes its
own id. Other files without an id column are refused, as an unrecognised id column is likelier.

An unsubscribe sticks: a file saying a person unsubscribed (Mailchimp's `unsubscribed_` file or status)
suppresses their address (reason unsubscribed, the file as its source), as an unsubscribe link does, and a
later file saying yes for a suppressed-as-unsubscribed address leaves their consent no. Only the person's
own new opt-in may bring them back, and no import is that: the suppression is lifted deliberately. An
unsubscribe the file dates before that opt-in (an old export imported again) is not applied.
"""

# Only fixed table names and quoted identifiers are formatted into SQL here; values are bound.
# ruff: noqa: S608

from __future__ import annotations

import re

import duckdb

from storage.customers import address_sql
from storage.db import ident
from tools.data.columns import header_key
from tools.data.read import RAW, Source

CHANGED = "import_consent_changed"
STALE = "import_stale_unsubscribes"  # rows whose unsubscribe is older than the person's own new opt-in
LOG_TABLE = "consent"  # data_issues.table_name of a consent change made by a person (consent resubscribe)
FROM_FILE_NAME = "(consent from the file name)"
FROM_EMAIL = "(customer id from the email address)"
UNSUBSCRIBED = "unsubscribed"  # the suppressions.reason an unsubscribe writes (as web/tracking.py's link does)
# Consent values saying the person took their consent back (not a never-given no, not a bounce).
UNSUBSCRIBED_VALUES = ("unsubscribed", "opted out", "opted-out", "opt-out")


def implied_columns(con: duckdb.DuckDBPyConnection, source: Source, mapping: dict[str, str]) -> None:
    """Add to RAW (and `mapping`) the customer columns the file implies: consent from a Mailchimp file
    name, the customer id from the email address when the file has no id column."""
    fields = set(mapping.values())
    status = re.match(r"(subscribed|unsubscribed|cleaned)_", source.path.name.lower())
    if "email_consent" not in fields and status:
        # Mailchimp's export names: the list a file holds is the consent of everyone in it.
        con.execute(f"ALTER TABLE {RAW} ADD COLUMN {ident(FROM_FILE_NAME)} VARCHAR DEFAULT '{status.group(1)}'")
        mapping[FROM_FILE_NAME] = "email_consent"
    mailchimp = status or {"leid", "euid"} <= {header_key(c) for c in source.columns}
    if "customer_id" not in fields and "email" in fields and mailchimp:
        email = ident(next(src for src, dst in mapping.items() if dst == "email"))
        con.execute(f"ALTER TABLE {RAW} ADD COLUMN {ident(FROM_EMAIL)} VARCHAR")
        given = address_sql(f"r.{email}")
        con.execute(f"""
            UPDATE {RAW} r SET {ident(FROM_EMAIL)} = coalesce(
                (SELECT min(c.customer_id) FROM customers c WHERE {address_sql("c.email")} = {given}),
                nullif({given}, ''))""")
        mapping[FROM_EMAIL] = "customer_id"


def skip_stale_unsubscribes(con: duckdb.DuckDBPyConnection, staged: str, mapping: dict[str, str]) -> int:
    """An unsubscribe the file dates (Mailchimp's UNSUB_TIME) before the person's own re-subscription (recorded
    by `consent resubscribe`) is history, not a new no: an old export imported again must not undo the opt-in.
    Those rows keep the stored consent and suppress nothing. An undated unsubscribe always counts. Returns how
    many rows were set aside."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STALE} (rid BIGINT)")
    columns = [c[0] for c in con.execute(f"DESCRIBE {RAW}").fetchall()]
    dated = next((c for c in columns if header_key(c) == "unsubtime"), None)
    if dated is None or "email" not in mapping.values():
        return 0
    status = ident(next(src for src, dst in mapping.items() if dst == "email_consent"))
    con.execute(
        f"""INSERT INTO {STALE}
            SELECT g.__rid FROM {staged} g JOIN {RAW} r ON r.rowid = g.__rid
            JOIN (SELECT {address_sql("c.email")} AS address, max(i.created_at) AS again
                  FROM data_issues i JOIN customers c ON c.customer_id = i.row_key
                  WHERE i.table_name = '{LOG_TABLE}' AND i.action = 'fixed' AND i.new_value = 'yes'
                  GROUP BY ALL) opted_in ON opted_in.address = {address_sql("g.email")}
            WHERE list_contains(?, lower(trim(r.{status})))
              AND try_cast(r.{ident(dated)} AS TIMESTAMP) < opted_in.again""",
        [list(UNSUBSCRIBED_VALUES)],
    )
    con.execute(f"""
        UPDATE {staged} g SET email_consent = c.email_consent FROM customers c
        WHERE c.customer_id = g.customer_id AND g.__rid IN (SELECT rid FROM {STALE})""")
    return con.execute(f"SELECT count(*) FROM {STALE}").fetchone()[0]


def before_write(con: duckdb.DuckDBPyConnection, staged: str) -> int:
    """Blank consent keeps the stored answer, a yes for an unsubscribed address stays no; note whose consent
    the file changes (for source and time). Returns how many yeses were kept as unsubscribed."""
    con.execute(f"""
        UPDATE {staged} g SET email_consent = c.email_consent FROM customers c
        WHERE c.customer_id = g.customer_id AND g.email_consent IS NULL""")
    # The address the file gives, else the one on file: a file of ids and yeses is no way round an unsubscribe.
    has_email = "email" in {c[0] for c in con.execute(f"DESCRIBE {staged}").fetchall()}
    on_file = "(SELECT min(c.email) FROM customers c WHERE c.customer_id = g.customer_id)"
    address = f"coalesce(nullif(trim(g.email), ''), {on_file})" if has_email else on_file
    kept = con.execute(f"""
        UPDATE {staged} g SET email_consent = false
        WHERE g.email_consent AND {address_sql(address)} IN (
            SELECT {address_sql("email")} FROM suppressions WHERE lower(reason) = '{UNSUBSCRIBED}')""").fetchone()[0]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {CHANGED} AS
        SELECT g.customer_id FROM {staged} g LEFT JOIN customers c USING (customer_id)
        WHERE g.email_consent IS NOT NULL AND g.email_consent IS DISTINCT FROM c.email_consent""")
    return kept


def after_write(con: duckdb.DuckDBPyConnection, tag: str) -> None:
    con.execute(
        f"UPDATE customers SET consent_source = ?, consent_at = current_timestamp "
        f"WHERE customer_id IN (SELECT customer_id FROM {CHANGED})",
        [tag],
    )
    con.execute(f"DROP TABLE IF EXISTS {CHANGED}")


def suppress_statuses(con: duckdb.DuckDBPyConnection, staged: str, mapping: dict[str, str], tag: str) -> dict:
    """Suppress the addresses a status says must not be emailed again, so a later "yes" elsewhere cannot
    bring them back into a send: Mailchimp's cleaned addresses bounced, an unsubscribed person opted out
    (its status column or its file name says so). Returns how many of each were newly suppressed."""
    if "email" not in mapping.values():
        return {"suppressed_bounces": 0, "suppressed_unsubscribes": 0}
    status = ident(next(src for src, dst in mapping.items() if dst == "email_consent"))
    added = {}
    for key, reason, values in (
        ("suppressed_bounces", "bounced", ("cleaned",)),
        ("suppressed_unsubscribes", UNSUBSCRIBED, UNSUBSCRIBED_VALUES),
    ):
        added[key] = con.execute(
            f"""INSERT INTO suppressions (email, reason, source)
                SELECT DISTINCT {address_sql("g.email")}, ?, ? FROM {staged} g JOIN {RAW} r ON r.rowid = g.__rid
                WHERE list_contains(?, lower(trim(r.{status}))) AND nullif(trim(g.email), '') IS NOT NULL
                  AND g.__rid NOT IN (SELECT rid FROM {STALE})
                ON CONFLICT (email) DO NOTHING""",
            [reason, tag, list(values)],
        ).fetchone()[0]
    con.execute(f"DROP TABLE IF EXISTS {STALE}")
    return added


def counts(con: duckdb.DuckDBPyConnection, staged: str) -> dict[str, int]:
    """Yes / no / unknown among the file's customers, for the summary."""
    yes, no, unknown = con.execute(
        f"SELECT count(*) FILTER (WHERE email_consent), count(*) FILTER (WHERE NOT email_consent), "
        f"count(*) FILTER (WHERE email_consent IS NULL) FROM {staged}"
    ).fetchone()
    return {"consent_yes": yes, "consent_no": no, "consent_unknown": unknown}
