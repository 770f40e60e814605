"""A campaign's messages: one row per recipient, frozen at the first send, and what became of each.

`messages.status` moves only forwards:

    queued -> sending -> sent | failed | unknown | queued (not handed over: tried again next run)
    queued -> skipped     (the address was suppressed after the list was frozen)
    queued -> cancelled   (the campaign was cancelled before it went out)

`sending` means claimed for the batch in flight. `unknown` means handed to the server without an
answer (a crash, a lost connection): it is never sent again, because it may have arrived. `sent`,
`failed`, `unknown`, `skipped` and `cancelled` are final.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import pandas as pd
import pyarrow as pa

from storage.customers import WITHDRAWN_SQL
from storage.db import Database


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


FINAL_STATUSES = ("sent", "failed", "unknown", "skipped", "cancelled")
# A refusal that says the address itself does not work (a hard bounce): RFC 3463 "bad destination mailbox /
# system / address syntax" (5.1.x) or "mailbox disabled" (5.2.1), or a bare 550/553 saying the user is unknown.
# Its address goes on the suppression list when the outcome is recorded, so no later campaign emails it again.
# A policy or spam refusal (5.7.x: the sender is blocked, not the address) is not one: the address may be fine.
HARD_BOUNCE = re.compile(
    r"^\s*5\d\d[ -](?:5\.1\.\d+|5\.2\.1)\b"
    r"|^\s*55[03][ -](?!5\.7\.).*\b(?:no such (?:user|mailbox|recipient|address)|user unknown"
    r"|unknown (?:user|recipient)|mailbox (?:unavailable|not found|does not exist)|does not exist"
    r"|invalid (?:recipient|mailbox|address)|recipient (?:rejected|unknown)|address rejected)",
    re.I,
)
SUPPRESSED_REPLY = "address suppressed (unsubscribed, bounced or consent withdrawn) after the list was frozen"

# A message's recipient, in the order a `Recipient` takes them; a claimed row has its status first.
RECIPIENT_COLUMNS = "customer_id, email, first_name, variant, recommended_sku, message_id"
CLAIMED_COLUMNS = f"status, {RECIPIENT_COLUMNS}"


# The frozen recipient list, from the audience relation `audience`: each gets a variant by a hash of
# its id (stable across runs) and its own Message-ID.
RECIPIENTS_SQL = """
    SELECT $campaign AS campaign_id, customer_id, trim(email) AS email, first_name, segment,
           list_extract($variants, 1 + (md5_number_lower(customer_id || ':' || $campaign::VARCHAR)
                                        % len($variants)::UBIGINT)::INTEGER) AS variant,
           recommended_sku,
           '<pp.' || $campaign::VARCHAR || '.' || replace(gen_random_uuid()::VARCHAR, '-', '') || '@'
               || $domain || '>' AS message_id
    FROM audience"""


@dataclass(frozen=True)
class Outcome:
    customer_id: str
    status: str  # sent / failed / unknown / queued (not handed over: try again next run)
    attempts: int
    reply: str | None
    at: datetime = field(default_factory=datetime.now)


def freeze(
    con: Any, campaign_id: int, audience: pd.DataFrame, variants: tuple[str, ...], domain: str, excluded: str
) -> None:
    """Queue one message per recipient in `audience` and note the send (inside the caller's transaction)."""
    con.register("audience", audience)
    try:
        con.execute(
            "INSERT INTO messages (campaign_id, customer_id, email, first_name, segment, variant, recommended_sku,"
            f" message_id) {RECIPIENTS_SQL}",
            _recipient_params(campaign_id, variants, domain),
        )
    finally:
        con.unregister("audience")
    con.execute(
        "INSERT INTO campaign_sends (campaign_id, recipients, excluded) VALUES (?, ?, ?)",
        [campaign_id, len(audience), excluded],
    )


def would_freeze(
    db: Database, campaign_id: int, audience: pd.DataFrame, variants: tuple[str, ...], domain: str
) -> pd.DataFrame:
    """The messages `freeze` would queue, without writing them (a dry run)."""
    con = db.con
    con.register("audience", audience)
    try:
        return con.execute(
            f"SELECT {RECIPIENT_COLUMNS} FROM ({RECIPIENTS_SQL})",  # noqa: S608 - constants
            _recipient_params(campaign_id, variants, domain),
        ).df()
    finally:
        con.unregister("audience")


def queued(db: Database, campaign_id: int) -> pd.DataFrame:
    """The messages still to send, as a dry run renders them."""
    return db.df(
        f"SELECT {RECIPIENT_COLUMNS} FROM messages WHERE campaign_id = ? AND status = 'queued' ORDER BY customer_id",  # noqa: S608
        [campaign_id],
    )


def _recipient_params(campaign_id: int, variants: tuple[str, ...], domain: str) -> dict[str, Any]:
    return {"campaign": campaign_id, "variants": list(variants) or ["A"], "domain": domain}


def claim(db: Database, campaign_id: int, size: int) -> list[tuple[Any, ...]]:
    """Mark the next `size` queued messages 'sending' in one commit (suppressed ones 'skipped');
    returns the claimed rows, CLAIMED_COLUMNS each."""
    with db.transaction() as con:
        return con.execute(
            f"""UPDATE messages SET
                    status = CASE WHEN {WITHDRAWN_SQL} THEN 'skipped' ELSE 'sending' END,
                    last_reply = CASE WHEN {WITHDRAWN_SQL} THEN $reply ELSE last_reply END,
                    updated_at = now()
                WHERE campaign_id = $campaign AND status = 'queued' AND customer_id IN (
                    SELECT customer_id FROM messages WHERE campaign_id = $campaign AND status = 'queued'
                    ORDER BY customer_id LIMIT $size)
                RETURNING {CLAIMED_COLUMNS}""",  # noqa: S608 - constants
            {"campaign": campaign_id, "size": size, "reply": SUPPRESSED_REPLY},
        ).fetchall()


def record(db: Database, campaign_id: int, outcomes: list[Outcome]) -> None:
    """Write a batch's outcomes in one statement (only to rows still marked 'sending'), and suppress the addresses
    that bounced hard, in the same transaction."""
    batch = pa.table(  # noqa: F841 - read by DuckDB below
        {
            "customer_id": [o.customer_id for o in outcomes],
            "status": [o.status for o in outcomes],
            "attempts": pa.array([o.attempts for o in outcomes], pa.int32()),
            "reply": [o.reply for o in outcomes],
            "at": pa.array([o.at for o in outcomes], pa.timestamp("us")),
            "hard": [o.status == "failed" and bool(o.reply and HARD_BOUNCE.search(o.reply)) for o in outcomes],
        }
    )
    with db.transaction() as con:
        con.execute(
            """UPDATE messages AS m SET status = b.status, attempts = m.attempts + b.attempts,
                   last_reply = coalesce(b.reply, m.last_reply),
                   sent_at = CASE WHEN b.status = 'sent' THEN b.at ELSE m.sent_at END, updated_at = b.at
               FROM batch b
               WHERE m.campaign_id = ? AND m.customer_id = b.customer_id AND m.status = 'sending'""",
            [campaign_id],
        )
        con.execute(  # a hard bounce: never emailed again (a bounce is never lifted, not even by a new opt-in)
            """INSERT INTO suppressions (email, reason, source)
               SELECT DISTINCT lower(trim(m.email)), 'bounced',
                      'refused when campaign ' || m.campaign_id || ' was sent: ' || b.reply
               FROM messages m JOIN batch b ON m.customer_id = b.customer_id
               WHERE m.campaign_id = ? AND b.hard AND m.status = 'failed'
               ON CONFLICT DO NOTHING""",
            [campaign_id],
        )


def in_flight(db: Database, campaign_id: int) -> list[str]:
    """Customers whose message a run claimed and never recorded (it crashed or was killed)."""
    rows = db.execute(
        "SELECT customer_id FROM messages WHERE campaign_id = ? AND status = 'sending'", [campaign_id]
    ).fetchall()
    return [customer for (customer,) in rows]


def cancel_queued(db: Database, campaign_id: int) -> None:
    with db.transaction() as con:
        con.execute(
            "UPDATE messages SET status = 'cancelled', last_reply = 'campaign cancelled', updated_at = now()"
            " WHERE campaign_id = ? AND status = 'queued'",
            [campaign_id],
        )


def counts(db: Database, campaign_id: int) -> Counter[str]:
    rows = db.execute("SELECT status, count(*) FROM messages WHERE campaign_id = ? GROUP BY 1", [campaign_id])
    return Counter(dict(rows.fetchall()))


def count(db: Database, campaign_id: int, status: str | None = None) -> int:
    """How many messages the campaign has (in `status`, when given)."""
    return db.scalar(
        "SELECT count(*) FROM messages WHERE campaign_id = ? AND status = coalesce(?, status)", [campaign_id, status]
    )


def undelivered(db: Database, campaign_id: int, limit: int = 20) -> pd.DataFrame:
    """The first messages that failed or whose fate is unknown, with the server's last reply."""
    return db.df(
        "SELECT customer_id, email, status, attempts, last_reply FROM messages"
        " WHERE campaign_id = ? AND status IN ('failed', 'unknown') ORDER BY customer_id LIMIT ?",
        [campaign_id, limit],
    )


def recommended_sku(db: Database, campaign_id: int, customer_id: str) -> tuple[bool, str | None]:
    """(whether the customer is on the campaign's list, the product recommended to them there)."""
    rows = db.execute(
        "SELECT recommended_sku FROM messages WHERE campaign_id = ? AND customer_id = ?", [campaign_id, customer_id]
    ).fetchall()
    return (True, rows[0][0]) if rows else (False, None)
