"""A campaign's versions: listing them ("show me the other versions"), and going back to one ("undo that",
"revert to version 2"): which one is meant.

Going back never rewrites history: the copy of the earlier version becomes the next version, as any revision does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

import pandas as pd
from pydantic import BaseModel, Field

from storage import campaigns
from storage.errors import UserError
from tools.campaigns.render import CampaignRenderer
from tools.context import ToolContext
from tools.registry import Positional, tool
from tools.results import Table, ToolResult

# "go back to the previous version", "undo that", "revert to version 2", "restore the original"
_GO_BACK = re.compile(
    r"\b(?:revert|undo|roll ?back)\b"
    r"|\bback to (?:the )?(?:previous|earlier|last|old|older|original|first|version|v\d|how it was|what it was|before)"
    r"|\b(?:previous|earlier|older|last|original|old) (?:version|draft|one|copy|email)\b"
    r"|\b(?:restore|bring back)\b.*\b(?:version|original|previous|earlier)\b"
    r"|\bversion \d+ again\b"
)


def earlier_version(instruction: str, latest: int, campaign_id: int, history: Sequence[str] = ()) -> int | None:
    """The version an instruction asks to go back to (named, the original, else the one before the latest change);
    None if it asks for no going back. `history` holds each version's instruction, oldest first."""
    text = instruction.lower()
    if not _GO_BACK.search(text):
        return None
    wanted = _named(text)
    if wanted == latest:
        raise UserError(f"Version {latest} is the latest version of campaign {campaign_id} already: nothing changed.")
    if wanted is not None:
        return wanted
    if latest == 1:
        raise UserError(
            f"Campaign {campaign_id} has only one version, so there is nothing to go back to.",
            hint="Say what to change instead, e.g. make it shorter.",
        )
    if (before := _before_last_change(latest, history)) < 1:
        raise UserError(
            f"There is nothing left to undo: version {latest} of campaign {campaign_id} reads as the first draft.",
            hint="Say what to change instead, or *show the versions* to pick one.",
        )
    return before


def _named(text: str) -> int | None:
    named = re.search(r"\bversion\s+(\d+)\b|\bv(\d+)\b", text)
    return int(named.group(1) or named.group(2)) if named else 1 if re.search(r"\b(original|first)\b", text) else None


def _before_last_change(latest: int, history: Sequence[str]) -> int:
    """The version before the latest change. When the latest version is itself a going back, the change before the
    one it went back to: "undo", "undo" again walks back through the edits, not to and fro between two versions."""
    current = latest
    while current > 1 and (went := _went_back_to(current, history)) is not None:
        current = went
    return current - 1


def _went_back_to(version: int, history: Sequence[str]) -> int | None:
    """The version that `version` copied when it was made by going back; None when it was an edit of its own."""
    if version > len(history) or not _GO_BACK.search(text := history[version - 1].lower()):
        return None
    named = _named(text)
    return named if named is not None else _before_last_change(version - 1, history)


# -- the history: "show me the other versions", "earlier drafts" ----------------------------------------
class VersionsArgs(BaseModel):
    campaign_id: Annotated[int, Positional()] = Field(description="The campaign whose versions to list.")


@tool(cli="campaign versions")
def campaign_versions(ctx: ToolContext, args: VersionsArgs) -> ToolResult:
    """List a campaign's versions, oldest first: when each was made, the instruction that made it, and the
    subject of its variant A. Versions are the copy over time; variants (A, B, ...) are the subject lines
    tried side by side within one version."""
    campaign = campaigns.load(ctx.db, args.campaign_id)
    rows = ctx.db.rows(
        "SELECT version, created_at, author, instruction, variants FROM campaign_versions "
        "WHERE campaign_id = ? ORDER BY version",
        [args.campaign_id],
    )
    table = pd.DataFrame(
        {
            "version": [r["version"] for r in rows],
            "made": [r["created_at"].strftime("%Y-%m-%d %H:%M") for r in rows],
            "by": [r["author"] for r in rows],
            "instruction": [r["instruction"] or "first draft" for r in rows],
            "subject_a": [_subject_a(ctx, args.campaign_id, r["version"]) for r in rows],
            "state": [_state(campaign, r["version"], rows[-1]["version"]) for r in rows],
        }
    )
    told = "; ".join(
        f"{v} ({i}): “{s}”" for v, i, s in zip(table.version, table.instruction, table.subject_a, strict=True)
    )
    many = f"{len(rows)} version{'s' if len(rows) != 1 else ''}"
    return ToolResult(
        summary=f"Campaign {args.campaign_id} has {many}, oldest first: {told}. "
        "To see one, say *preview version 2*; to use one again, *go back to version 2* (a new version, nothing lost).",
        data={"campaign_id": args.campaign_id, "versions": table.version.tolist(), "latest": int(rows[-1]["version"])},
        tables=[Table.from_df(f"Versions of campaign {args.campaign_id}", table, limit=None)],
    )


def _subject_a(ctx: ToolContext, campaign_id: int, version: int) -> str:
    """The subject of a version's first variant as a typical recipient reads it (placeholders filled in)."""
    renderer = CampaignRenderer.for_preview(ctx, campaign_id, version)
    return renderer.subject(renderer.variants[0])


def _state(campaign: dict[str, Any], version: int, latest: int) -> str:
    marks = ["approved"] if campaign["approved_version"] == version else []
    return ", ".join([*marks, "latest"] if version == latest else marks)
