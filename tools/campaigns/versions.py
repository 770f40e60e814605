"""A campaign's versions: listing them ("show me the other versions"), and going back to one ("undo that",
"revert to version 2"): which one is meant.

Going back never rewrites history: the copy of the earlier version becomes the next version, as any revision does.
"""

from __future__ import annotations

import re
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


def earlier_version(instruction: str, latest: int, campaign_id: int) -> int | None:
    """The version an instruction asks to go back to (named, the original, else the one before); None if it
    asks for no going back."""
    text = instruction.lower()
    if not _GO_BACK.search(text):
        return None
    named = re.search(r"\bversion\s+(\d+)\b|\bv(\d+)\b", text)
    wanted = int(named.group(1) or named.group(2)) if named else 1 if re.search(r"\b(original|first)\b", text) else None
    if wanted == latest:
        raise UserError(f"Version {latest} is the latest version of campaign {campaign_id} already: nothing changed.")
    if wanted is not None:
        return wanted
    if latest == 1:
        raise UserError(
            f"Campaign {campaign_id} has only one version, so there is nothing to go back to.",
            hint="Say what to change instead, e.g. make it shorter.",
        )
    return latest - 1


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
