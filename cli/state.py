"""Per-invocation CLI state: opens the database lazily, once, for the command that needs it."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.llm import structured_model
from services.settings import Settings
from storage.db import Database
from tools.context import ToolContext


@dataclass
class CliState:
    db_path: str
    _ctx: ToolContext | None = field(default=None, repr=False)

    def context(self) -> ToolContext:
        if self._ctx is None:
            from cli.output import BarProgress

            settings = Settings.from_env().model_copy(update={"db_path": self.db_path})
            self._ctx = ToolContext(
                db=Database(self.db_path),
                settings=settings,
                llm=structured_model(settings),
                actor="user",
                progress=BarProgress(),
            )
        return self._ctx

    def close(self) -> None:
        if self._ctx is not None:
            self._ctx.db.close()
            self._ctx = None
