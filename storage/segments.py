"""Segmentation runs: storing one, reading it back, and which run is in use."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pyarrow as pa

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


def require_segment(db: Database, segment: int) -> tuple[int, pd.Series]:
    """The active run and that segment of it (name, size), or a clear error naming the segments there are."""
    run_id = require_active_run(db)
    found = db.df("SELECT name, size FROM segments WHERE run_id = ? AND segment = ?", [run_id, segment])
    if found.empty:
        known = [int(n) for n in db.df("SELECT segment FROM segments WHERE run_id = ?", [run_id])["segment"]]
        raise UserError(
            f"There is no segment {segment}.",
            hint=f"The segments are {', '.join(map(str, sorted(known)))}: ask 'list the segments' to see them.",
        )
    return run_id, found.iloc[0]


def run_or_active(db: Database, run_id: int | None) -> int:
    """The run asked for, checked to exist, or else the active one."""
    if run_id is None:
        return require_active_run(db)
    if not db.scalar("SELECT count(*) FROM segment_runs WHERE run_id = ?", [run_id]):
        runs = [r for (r,) in db.execute("SELECT run_id FROM segment_runs ORDER BY run_id").fetchall()]
        raise UserError(f"There is no segmentation run {run_id}.", hint=f"Existing runs: {runs or 'none'}.")
    return run_id


def listing(db: Database, run_id: int) -> pd.DataFrame:
    return db.df(
        "SELECT segment, name, size, round(share, 4) AS share, named_by, description FROM segments "
        "WHERE run_id = ? ORDER BY segment",
        [run_id],
    )


def load_run(db: Database, run_id: int) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    run = db.rows("SELECT * FROM segment_runs WHERE run_id = ?", [run_id])[0]
    for key in ("features", "params", "metrics"):
        run[key] = json.loads(run[key]) if isinstance(run[key], str) else run[key]
    profiles = {
        s: json.loads(p)
        for s, p in db.execute(
            "SELECT segment, profile FROM segments WHERE run_id = ? ORDER BY segment", [run_id]
        ).fetchall()
    }
    return run, profiles


def activate(db: Database, run_id: int) -> None:
    """Make `run_id` the only active run (going back to an earlier segmentation), in one transaction."""
    with db.transaction() as con:
        con.execute("UPDATE segment_runs SET is_active = (run_id = ?)", [run_id])


def save_run(db: Database, run: dict[str, Any], members: pa.Table, segments: pd.DataFrame) -> int:
    """One transaction: the run, every member, every segment; the new run becomes the only active one.

    `run` holds the segment_runs columns; `segments` one row per segment (segment, name, description,
    named_by, size, share, profile as JSON text)."""
    with db.transaction() as con:
        run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM segment_runs").fetchone()[0]
        con.execute("UPDATE segment_runs SET is_active = false WHERE is_active")
        columns = ", ".join(run)
        con.execute(
            f"INSERT INTO segment_runs (run_id, is_active, {columns}) VALUES (?, true{', ?' * len(run)})",  # noqa: S608
            [run_id, *run.values()],
        )
        con.register("new_members", members)
        con.register("new_segments", segments)
        try:
            con.execute("INSERT INTO segment_members SELECT ?, customer_id, segment FROM new_members", [run_id])
            con.execute(
                """INSERT INTO segments (run_id, segment, name, description, named_by, size, share, profile)
                   SELECT ?, segment, name, description, named_by, size, share, profile::JSON FROM new_segments""",
                [run_id],
            )
        finally:
            con.unregister("new_members")
            con.unregister("new_segments")
    return run_id


def runs(db: Database) -> pd.DataFrame:
    """Every stored run: when, how many segments, how, how well separated and how stable."""
    return db.df("""
        SELECT run_id, created_at, k, method, round((metrics->>'$.silhouette')::DOUBLE, 3) AS silhouette,
               round(stability_ari, 3) AS stability_ari, is_active AS active
        FROM segment_runs ORDER BY run_id""")


def with_profiles(db: Database, run_id: int) -> list[dict[str, Any]]:
    """The run's segments with their names and aggregate profiles, in segment order."""
    return db.rows(
        "SELECT segment, name, description, size, share, profile FROM segments WHERE run_id = ? ORDER BY segment",
        [run_id],
    )


def rename(db: Database, run_id: int, segment: int, name: str, description: str | None) -> str:
    """Name a segment as the user chose (kept as theirs: named_by = 'user'); returns the previous name."""
    with db.transaction() as con:
        old = con.execute("SELECT name FROM segments WHERE run_id = ? AND segment = ?", [run_id, segment]).fetchone()
        if old is None:
            count = con.execute("SELECT count(*) FROM segments WHERE run_id = ?", [run_id]).fetchone()[0]
            raise UserError(f"Run {run_id} has no segment {segment}.", hint=f"Its segments are 1..{count}.")
        con.execute(
            "UPDATE segments SET name = ?, description = coalesce(?, description), named_by = 'user' "
            "WHERE run_id = ? AND segment = ?",
            [name, description, run_id, segment],
        )
    return old[0]
