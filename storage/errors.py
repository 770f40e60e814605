"""The one error type a user ever sees: what went wrong and what to do about it.

Tools, the CLI, the agent and the UI all catch `UserError` and show its message and hint
instead of a traceback; anything else is a bug.
"""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A problem the user can fix. `message` says what is wrong, `hint` what to do next."""

    def __init__(self, message: str, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.message, "hint": self.hint, **self.details}


class DatabaseBusy(UserError):
    """Another process holds the DuckDB file (DuckDB allows one writer process at a time)."""
