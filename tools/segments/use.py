"""Going back to an earlier segmentation ("go back to the 4 segments"): that run is made the active one again.

Every run is kept (`segment_runs`), with its members, names and renames, so going back is switching which
run is in use, not clustering again: a new run with the same k would give new numbers and lose the names
the marketer gave. Like a new run, it needs a person's confirmation when unsent campaigns target the
segmentation it replaces.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from storage import segments as segment_store
from storage.errors import UserError
from tools.context import ToolContext
from tools.registry import Positional, tool
from tools.results import Table, ToolResult
from tools.segments.tools import active_run_in_use


class UseArgs(BaseModel):
    run_id: Annotated[int | None, Positional()] = Field(
        None, description="The run to use again (default: the one before the active run, or the latest with k)."
    )
    k: int | None = Field(None, ge=2, description="The latest earlier run with this many segments.")


@tool(cli="segment use", confirm=True)
def segment_use(ctx: ToolContext, args: UseArgs) -> ToolResult:
    """Make an earlier segmentation run the active one again, with its segments and their names as they were:
    by its number, the latest earlier run with k segments, or (with neither) the run used before this one."""
    active = segment_store.active_run_id(ctx.db)
    run_id = args.run_id if args.run_id is not None else earlier_run(ctx, active, args.k)
    segment_store.run_or_active(ctx.db, run_id)  # refused when there is no such run
    if run_id == active:
        listing = segment_store.listing(ctx.db, run_id)
        return ToolResult(
            summary=f"Run {run_id} ({len(listing)} segments) is already the segmentation in use.",
            data={"run_id": run_id, "changed": False},
            tables=[Table.from_df(f"Segments of run {run_id}", listing)],
        )
    ctx.confirm("replace", active_run_in_use(ctx))
    segment_store.activate(ctx.db, run_id)
    listing = segment_store.listing(ctx.db, run_id)
    named = "; ".join(f"{s}. {n} ({sh:.0%})" for s, n, sh in listing[["segment", "name", "share"]].itertuples(False))
    since = ctx.db.scalar(
        "SELECT count(*) FROM customers c WHERE c.quarantine_reason IS NULL AND c.customer_id NOT IN "
        "(SELECT customer_id FROM segment_members WHERE run_id = ?)",
        [run_id],
    )
    outside = f" {since:,} customers are in none of them (added or repaired since it was made)." if since else ""
    return ToolResult(
        summary=f"Run {run_id} is the segmentation in use again, as it was: {named}.{outside}",
        data={"run_id": run_id, "changed": True, "previous_run_id": active, "outside": since},
        tables=[Table.from_df(f"Segments of run {run_id}", listing)],
    )


def earlier_run(ctx: ToolContext, active: int | None, k: int | None) -> int:
    """The latest run other than the active one, with k segments when k is given (the active one when only it has
    k: "switch back to the 6" while the 6 are in use is told so, not that there are none)."""
    found = ctx.db.scalar(
        "SELECT run_id FROM segment_runs WHERE (? IS NULL AND run_id IS DISTINCT FROM ?) OR k = ? "
        "ORDER BY run_id IS DISTINCT FROM ? DESC, run_id DESC LIMIT 1",
        [k, active, k, active],
    )
    if found is None:
        runs = segment_store.runs(ctx.db)
        have = ", ".join(f"run {r} ({n} segments)" for r, n in zip(runs["run_id"], runs["k"], strict=True))
        raise UserError(
            f"There is no earlier segmentation{f' with {k} segments' if k else ''} to go back to.",
            hint=f"The runs are: {have}." if have else "Segment the customers first.",
        )
    return int(found)
