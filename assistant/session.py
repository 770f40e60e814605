"""What the chat process owns and what each chat session owns.

The process owns one database (DuckDB allows one writer process), the settings and one agent; each
chat session has its own `Conversation` and its own `ToolContext` (`chat_ctx`: its id, so its shortlist
is its own), handed to the agent run by run.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import chainlit as cl

from assistant.loop import Agent, Conversation
from assistant.models import chat_model
from assistant.planner.vocabulary import Vocabulary
from services.llm import structured_model
from services.settings import Settings
from storage.db import Database
from tools.context import ToolContext


@cache
def settings() -> Settings:
    return Settings.from_env()


@cache
def get_db() -> Database:
    return Database(settings().db_path)


def user_ctx(chat_id: str | None = None) -> ToolContext:
    """The context for what the user does directly (buttons, uploads): the only way to approve.

    `chat_id` is the chat session it acts for (tools default to that chat's shortlist); None outside one."""
    return ToolContext(
        db=get_db(), settings=settings(), llm=structured_model(settings()), actor="user", chat_id=chat_id
    )


def chat_ctx() -> ToolContext:
    """This chat session's context: what it runs, by button or through the agent, uses its own shortlist
    and may import the files uploaded in this chat (the assistant no others, outside the import folder)."""
    return replace(user_ctx(cl.user_session.get("id")), uploads=tuple(cl.user_session.get("uploads") or ()))


@cache
def agent() -> Agent:
    """One agent for the process (the model client is shared); each run gets its chat's `chat_ctx`."""
    return Agent(user_ctx(), chat_model(settings(), vocabulary=lambda: Vocabulary.from_db(get_db())))


def conversation() -> Conversation:
    current = cl.user_session.get("conversation")
    if current is None:
        current = Conversation()
        cl.user_session.set("conversation", current)
    return current
