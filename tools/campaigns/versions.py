"""Going back to an earlier version of a campaign's copy ("undo that", "revert to version 2"): which one is meant.

Going back never rewrites history: the copy of the earlier version becomes the next version, as any revision does.
"""

from __future__ import annotations

import re

from storage.errors import UserError

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
