"""The one error type a user ever sees: what went wrong and what to do about it.

Tools, the CLI, the agent and the UI all catch `UserError` and show its message and hint
instead of a traceback; anything else is a bug.
"""

from __future__ import annotations

from typing import Any


def first_line(exc: BaseException) -> str:
    """The first line of a library's error (DuckDB's can run to a page), short enough to show a person."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


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


class NeedsConfirmation(UserError):
    """A call that waits for a person's confirmation; nothing was changed.

    Raised through `ToolContext.confirm` (the call would destroy data: it says what would be lost, and
    refuses anyone, so the CLI needs --yes) or `ToolContext.ask_first` (the assistant asked for a step
    that cannot be taken back, a real send: it asks what would happen, as a `question`). The registry
    fills in `tool` and `arguments`, so the chat can offer a Confirm button that repeats exactly this
    call as the user. The assistant can never confirm: its calls always run unconfirmed.
    """

    def __init__(self, action: str = "", losses: list[str] | None = None, *, question: str | None = None) -> None:
        if question:
            message = f"Nothing was done yet: {question}"
            hint = "Only a person can go ahead: press Confirm in the chat, or run the command yourself."
        else:
            message = f"Nothing was changed: this would {action} {_listing(losses or [])}."
            hint = "Only a person can confirm this: press Confirm in the chat, or run the command again with --yes."
        super().__init__(message, hint=hint)
        self.action = action
        self.losses = losses or []
        self.question = question  # "Send campaign 3 (“Spring coats”) to 1,234 customers now?"
        self.tool: str | None = None
        self.arguments: dict[str, Any] = {}


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
