"""Campaigns and their versions: loading them, and the one state machine every status change goes through.

    draft <-> approved --send--> sending <-> paused --(queue empty)--> sent
    draft | approved | sending | paused --cancel / reject--> cancelled

Revising an approved campaign takes it back to draft (the approval is withdrawn); a send that
finds its queue empty after a pause ends as sent. `sent` and `cancelled` are final. A move the
table does not allow changes nothing, so a status is never set by a bare string elsewhere.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import duckdb
import pandas as pd
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed

from storage.db import Database
from storage.errors import UserError


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"


S = CampaignStatus
TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    S.DRAFT: frozenset({S.DRAFT, S.APPROVED, S.CANCELLED}),
    S.APPROVED: frozenset({S.DRAFT, S.APPROVED, S.SENDING, S.CANCELLED}),
    S.SENDING: frozenset({S.SENDING, S.PAUSED, S.SENT, S.CANCELLED}),
    S.PAUSED: frozenset({S.SENDING, S.PAUSED, S.SENT, S.CANCELLED}),
    S.SENT: frozenset(),
    S.CANCELLED: frozenset(),
}
EDITABLE = (S.DRAFT, S.APPROVED)  # after that the content is frozen: it is being or has been sent
SENDABLE = (S.APPROVED, S.SENDING, S.PAUSED)


Connection = Database | duckdb.DuckDBPyConnection


def sources(to: CampaignStatus) -> list[str]:
    """The statuses a campaign may move to `to` from."""
    return [str(status) for status, targets in TRANSITIONS.items() if to in targets]


def move(
    con: Connection, campaign_id: int, to: CampaignStatus, *, only_from: tuple[CampaignStatus, ...] | None = None
) -> bool:
    """Set the campaign's status to `to` if TRANSITIONS allows it from the current status and, when
    given, the current status is in `only_from`. Returns whether it moved."""
    return _move(con, campaign_id, to, "", [], only_from)


def approve(con: Connection, campaign_id: int, version: int, approved_by: str) -> bool:
    """Approve one version: the campaign may now be sent, exactly as that version reads."""
    return _move(
        con,
        campaign_id,
        S.APPROVED,
        "approved_version = ?, approved_by = ?, approved_at = now(), ",
        [version, approved_by],
    )


def withdraw_approval(con: Connection, campaign_id: int) -> bool:
    """Back to draft, forgetting who approved what: a new version needs approving again."""
    return _move(con, campaign_id, S.DRAFT, "approved_version = NULL, approved_by = NULL, approved_at = NULL, ", [])


def set_outlook(con: Connection, campaign_id: int, outlook: str | None) -> None:
    """Choose a campaign's customers anew (storage.predictions.Outlook.to_json; NULL for none) and withdraw any
    approval: what a person approved was sent to the audience they saw."""
    con.execute("UPDATE campaigns SET outlook = ?, updated_at = now() WHERE campaign_id = ?", [outlook, campaign_id])
    withdraw_approval(con, campaign_id)


def _move(
    con: Connection,
    campaign_id: int,
    to: CampaignStatus,
    sets: str,
    values: list[Any],
    only_from: tuple[CampaignStatus, ...] | None = None,
) -> bool:
    allowed = [s for s in sources(to) if only_from is None or s in only_from]
    moved = con.execute(
        f"UPDATE campaigns SET status = ?, {sets}updated_at = now()"  # noqa: S608 - `sets` is one of ours
        " WHERE campaign_id = ? AND list_contains(?, status)",
        [str(to), *values, campaign_id, allowed],
    ).fetchone()
    return bool(moved and moved[0])


@retry(retry=retry_if_exception_type(duckdb.TransactionException), stop=stop_after_attempt(5), wait=wait_fixed(0.05))
def settle_send(
    db: Database,
    campaign_id: int,
    to: CampaignStatus,
    reason: str | None,
    only_from: tuple[CampaignStatus, ...] | None = None,
) -> None:
    """Move a campaign that is being sent, and note why its run stopped (retried: a concurrent pause and
    the send loop may touch the row at once)."""
    with db.transaction() as con:
        move(con, campaign_id, to, only_from=only_from)
        con.execute(
            "UPDATE campaign_sends SET last_stop = ?, finished_at = CASE WHEN ? = 'sent' THEN now() END"
            " WHERE campaign_id = ?",
            [reason, str(to), campaign_id],
        )


def status(db: Database, campaign_id: int) -> CampaignStatus:
    return CampaignStatus(db.scalar("SELECT status FROM campaigns WHERE campaign_id = ?", [campaign_id]))


def load(db: Database, campaign_id: int) -> dict[str, Any]:
    rows = db.rows("SELECT * FROM campaigns WHERE campaign_id = ?", [campaign_id])
    if not rows:
        raise UserError(f"There is no campaign {campaign_id}.", hint="See the campaigns with: promopilot campaign list")
    return rows[0]


def latest_version(db: Database, campaign_id: int) -> int:
    return db.scalar("SELECT max(version) FROM campaign_versions WHERE campaign_id = ?", [campaign_id]) or 1


def instructions(db: Database, campaign_id: int) -> list[str]:
    """What made each version, oldest first ("" for the first draft): to tell an edit from a going back."""
    rows = db.rows(
        "SELECT coalesce(instruction, '') AS said FROM campaign_versions WHERE campaign_id = ? ORDER BY version",
        [campaign_id],
    )
    return [r["said"] for r in rows]


def load_version(db: Database, campaign_id: int, version: int) -> dict[str, Any]:
    rows = db.rows("SELECT * FROM campaign_versions WHERE campaign_id = ? AND version = ?", [campaign_id, version])
    if not rows:
        load(db, campaign_id)  # a missing campaign is the problem to name, not its version
        raise UserError(
            f"Campaign {campaign_id} has no version {version}.",
            hint=f"Its latest version is {latest_version(db, campaign_id)}.",
        )
    return rows[0]


def variants(version: dict[str, Any]) -> list[dict[str, Any]]:
    """A version's variants (stored as JSON)."""
    raw = version["variants"]
    return json.loads(raw) if isinstance(raw, str) else list(raw)


def approved_version(db: Database, campaign_id: int) -> dict[str, Any] | None:
    """The version a person approved, or None."""
    campaign = load(db, campaign_id)
    if campaign["approved_version"] is None:
        return None
    return load_version(db, campaign_id, campaign["approved_version"])


def create(
    con: Connection,
    name: str,
    run_id: int | None,
    segments: list[int] | None,
    skus: list[str],
    outlook: str | None = None,
    follow_up: tuple[int, str] | None = None,
) -> int:
    """A new draft campaign; returns its id. Its first version is added with `add_version`. `outlook` is the
    predicted-outlook filter as JSON (storage.predictions.Outlook.to_json), NULL for none; `follow_up` the earlier
    campaign and the engagement its recipients are chosen by (storage.followups), None for none."""
    of, engagement = follow_up or (None, None)
    return con.execute(
        "INSERT INTO campaigns (name, run_id, segments, skus, outlook, follow_up_of, follow_up_engagement)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING campaign_id",
        [name, run_id, segments, skus, outlook, of, engagement],
    ).fetchone()[0]


def add_version(
    con: Connection,
    campaign_id: int,
    version: int,
    *,
    author: str,
    instruction: str | None,
    variants: list[dict[str, Any]],
    cta_url: str | None,
    skus: list[str],
) -> None:
    """Versions are immutable: a revision is a new number, never an edit."""
    con.execute(
        "INSERT INTO campaign_versions (campaign_id, version, author, instruction, variants, cta_url, skus)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [campaign_id, version, author, instruction, json.dumps(variants), cta_url, skus],
    )


def listing(db: Database, status: str | None = None) -> pd.DataFrame:
    """Every campaign (or those in `status`), newest first: latest and approved version, how many were sent."""
    return db.df(
        """
        SELECT c.campaign_id, c.name, c.status, v.versions AS latest_version, c.approved_version, c.approved_by,
               c.segments, c.skus, coalesce(m.sent, 0) AS sent
        FROM campaigns c
        LEFT JOIN (SELECT campaign_id, max(version) AS versions FROM campaign_versions GROUP BY 1) v USING (campaign_id)
        LEFT JOIN (SELECT campaign_id, count(*) FILTER (status = 'sent') AS sent FROM messages GROUP BY 1) m
            USING (campaign_id)
        WHERE $status IS NULL OR c.status = $status
        ORDER BY c.campaign_id DESC""",
        {"status": status},
    )


def unsent_on_active_run(db: Database) -> tuple[int, list[int]] | None:
    """The active segmentation and the campaigns still to be sent (or sending) that target it; None if none do."""
    unsent = [str(status) for status in CampaignStatus if TRANSITIONS[status]]
    found = db.rows(
        """SELECT r.run_id, list(c.campaign_id ORDER BY c.campaign_id) AS campaigns
           FROM segment_runs r JOIN campaigns c ON c.run_id = r.run_id
           WHERE r.is_active AND c.status IN (SELECT unnest(?)) GROUP BY r.run_id""",
        [unsent],
    )
    return (found[0]["run_id"], found[0]["campaigns"]) if found else None


def excluded_at_send(db: Database, campaign_id: int) -> dict[str, int]:
    """How many customers were left out, by reason, when the recipient list was frozen."""
    raw = db.scalar("SELECT excluded FROM campaign_sends WHERE campaign_id = ?", [campaign_id])
    return json.loads(raw) if raw else {}
