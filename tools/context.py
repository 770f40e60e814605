"""What a tool gets besides its arguments: the database, settings, the model and a progress sink."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from services.settings import Settings
from storage.db import Database
from storage.errors import NeedsConfirmation

if TYPE_CHECKING:
    from services.llm import StructuredModel


DEFAULT_SHORTLIST = "default"  # the shortlist meant outside a chat (the CLI) when none is named
CHAT_SHORTLIST_PREFIX = "chat-"  # each chat's own shortlist is this plus the chat's id


class Progress:
    """A progress sink. The CLI shows a rich bar, the UI a live step; the default shows nothing."""

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Callable[[float], None]]:
        yield lambda advance=1: None


@dataclass
class ToolContext:
    db: Database
    settings: Settings = field(default_factory=Settings.from_env)
    llm: StructuredModel | None = None  # None = no model configured: tools use their fallback
    actor: Literal["user", "agent"] = "user"  # who called: the agent cannot call user-only tools
    progress: Progress = field(default_factory=Progress)
    chat_id: str | None = None  # the chat session calling (the web UI sets it); None at the CLI
    uploads: tuple[str, ...] = ()  # files the person uploaded in this chat (the assistant may import those)
    confirmed: bool = False  # a person confirmed this call (the chat's Confirm button, the CLI's --yes)

    def confirm(self, action: str, losses: list[str]) -> None:
        """Refuse to destroy `losses` ("3,000 customers") unless a person confirmed; nothing lost needs no asking.

        The agent's calls are never confirmed (the registry clears the flag), so only a person can go ahead."""
        losses = [loss for loss in losses if loss]
        if losses and not self.confirmed:
            raise NeedsConfirmation(action, losses)

    def ask_first(self, question: str) -> None:
        """Refuse the assistant's call until a person answers `question` ("Send campaign 3 to 1,234 customers now?").

        For a step that destroys nothing but cannot be taken back, started from the chat: a real send.
        The assistant (the offline planner or a model) may have misread the person ("I want to see it in
        gmail before it goes out" is not "send it"), so its call waits for the person's Confirm, which
        repeats it as the user. Not `confirm`: nothing is lost, and a person's own call (the CLI they
        typed, a button they pressed) is the decision already, so it goes ahead without a --yes."""
        if self.actor == "agent" and not self.confirmed:
            raise NeedsConfirmation(question=question)

    def shortlist(self, name: str | None = None) -> str:
        """The shortlist a call means: the one named, else this chat's own, else `DEFAULT_SHORTLIST`.

        Each chat has its own so that two marketers in two browser tabs never overwrite each
        other's "those three"; a named shortlist is shared on purpose (a campaign's, a team's).
        """
        if name:
            return name
        return f"{CHAT_SHORTLIST_PREFIX}{self.chat_id}" if self.chat_id else DEFAULT_SHORTLIST
