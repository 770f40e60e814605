"""Segmentation runs: which run is in use."""

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
