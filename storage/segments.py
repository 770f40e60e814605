"""Small queries more than one capability needs, kept in one place."""

from __future__ import annotations

from storage.db import Database
from storage.errors import UserError


def active_run_id(db: Database) -> int | None:
    """The segmentation run in use, or None before the first `segment run`."""
    return db.scalar("SELECT run_id FROM segment_runs WHERE is_active ORDER BY run_id DESC LIMIT 1")


def require_active_run(db: Database) -> int:
    run_id = active_run_id(db)
    if run_id is None:
        raise UserError(
            "There are no customer segments yet.",
            hint="Segment the customers first (promopilot segment run, or ask 'segment my customers').",
        )
    return run_id


def require_customers(db: Database) -> int:
    count = db.scalar("SELECT count(*) FROM customers")
    if not count:
        raise UserError(
            "There are no customers in the database yet.",
            hint="Generate demo data (promopilot demo) or import a file (promopilot import customers FILE).",
        )
    return count
