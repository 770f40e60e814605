"""Chainlit glue: chat messages become agent runs; agent events become steps, elements and buttons.

`app.py` only registers these handlers. The process owns one database (DuckDB allows one writer
process) and one agent; each chat session has its own `Conversation` and its own `ToolContext`
(`chat_ctx`: its id, so its shortlist is its own), handed to the agent run by run. Approving a campaign happens
only here, in the Approve button's callback, as the user (`actor="user"`), never through the agent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import chainlit as cl
from chainlit.logger import logger as chainlit_log
from chainlit.utils import utc_now

from assistant.chat_elements import offer_next_steps, show_result
from assistant.chat_model import Usage
from assistant.loop import Agent, Conversation, Done, Error, Event, Token, ToolEnd, ToolProgress, ToolStart
from assistant.models import chat_model
from assistant.planner.memory import NOTE_PREFIX
from assistant.planner.vocabulary import Vocabulary
from assistant.present import plain
from assistant.views import bug_view
from services.llm import structured_model
from services.settings import Settings
from storage.db import Database
from storage.errors import UserError
from tools.catalog.products import forget_chat_shortlists
from tools.context import ToolContext
from tools.registry import run_tool
from tools.results import ConfirmationRequest, ToolResult

log = logging.getLogger(__name__)

DATA_SUFFIXES = {".csv", ".tsv", ".txt", ".parquet", ".jsonl", ".ndjson", ".json"}
STARTERS = [
    ("Generate demo data", "generate 5000 demo customers"),
    ("Check the data", "check the data"),
    ("Segment customers", "segment customers"),
    ("Find products", "show products with margin over 60% and stock above 100"),
    ("Who would buy trench coats?", "which customers would buy the new trench coats?"),
    ("What can you do?", "help"),
]
PROGRESS_AFTER = 0.5  # seconds: a tool still working by then (sending, a segment sweep) gets a live line
WELCOME = (
    "**Welcome to PromoPilot.** Take one email campaign from customer data to a sent email by chatting: "
    "generate or attach data, check it, segment customers, pick products, draft the email, approve it, "
    "send it and see how it did. Pick a starter below, or type *help*."
)
EMPTY_MESSAGE = (
    "Type a request, or attach a CSV/Parquet file to import it. For example: *generate 5000 demo customers*, "
    "*segment customers*, or *help* for everything I can do."
)


# -- process-wide state ----------------------------------------------------------------------------
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


async def on_app_startup() -> None:
    """Say which model answers (a wrong key or base URL shows at once), and drop earlier chats' shortlists:
    chats live in this process's memory, so none from an earlier run can come back to its own."""
    chainlit_log.info("PromoPilot chat answered by %s", settings().model_label)
    forget_chat_shortlists(get_db())
    if not settings().openai_api_key:  # the offline planner learns its phrasings now, not in the first request
        from assistant.planner.classifier import classifier

        await asyncio.to_thread(classifier)


# -- handlers --------------------------------------------------------------------------------------
async def on_chat_start() -> None:
    cl.user_session.set("conversation", Conversation())


async def starters(user: Any = None, language: str | None = None) -> list[cl.Starter]:
    return [cl.Starter(label=label, message=message) for label, message in STARTERS]


async def chat_profiles(user: Any = None, language: str | None = None) -> list[cl.ChatProfile]:
    """One profile, only for the welcome screen: Chainlit shows a sole profile's icon and text above the starters."""
    return [
        cl.ChatProfile(
            name="PromoPilot",
            markdown_description=WELCOME,
            icon="/public/avatars/promopilot.svg",
            default=True,
            starters=await starters(user, language),
        )
    ]


async def on_message(message: cl.Message) -> None:
    files = [e for e in message.elements or [] if getattr(e, "path", None)]
    if files:
        await import_files(files, message.content or "")
        return
    text = (message.content or "").strip()
    if not text:
        await cl.Message(content=EMPTY_MESSAGE).send()
        return
    await run_turn(text)


async def run_turn(text: str) -> None:
    view = TurnView(text)
    try:
        async for event in agent().run(conversation(), text, ctx=chat_ctx()):
            await view.show(event)
    except Exception:  # the chat must survive any bug: say so, keep the session
        log.exception("agent turn failed")
        await view.end()
        await cl.Message(
            content="Something went wrong on my side while doing that. The chat still works: try again, "
            "or rephrase the request."
        ).send()
    else:
        await view.end()


class TurnView:
    """Shows one turn: streamed text in messages, each tool call as a step, results as elements.

    A step is collapsed, so a long tool's progress (a send) would be hidden inside it: a tool still
    working after `PROGRESS_AFTER` seconds also gets a progress line in the chat, updated as it
    advances and removed when the tool ends (its result and summary take over). Quick tools just
    finish, without a line flashing by.
    """

    def __init__(self, request: str = "") -> None:
        self.request = request
        self.answer = ""  # everything written this turn, for the buttons under it
        self.results: list[ToolResult] = []  # shown under the answer, once it is written
        self.message: cl.Message | None = None
        self.steps: dict[str, cl.Step] = {}
        self.started: dict[str, float] = {}
        self.latest: dict[str, ToolProgress] = {}
        self.progress: dict[str, cl.Message] = {}
        self.reveal: dict[str, asyncio.Task[None]] = {}

    async def show(self, event: Event) -> None:
        if isinstance(event, Token):
            if self.message is None:
                self.message = cl.Message(content="")
            self.answer += event.text
            await self.message.stream_token(event.text)
        elif isinstance(event, ToolStart):
            await self.finish()  # text before a tool call stays above its step
            run = cl.context.current_step  # keep the step inside this turn, in order with its messages
            step = cl.Step(
                name=step_name(event.name), type="tool", show_input="json", parent_id=run.id if run else None
            )
            step.input = event.arguments if isinstance(event.arguments, str) else json.dumps(event.arguments)
            step.start = utc_now()  # "Using <tool>" until it ends, then "Used <tool>"
            await step.send()
            self.steps[event.call_id] = step
            self.started[event.call_id] = time.monotonic()
            self.reveal[event.call_id] = asyncio.create_task(self._reveal(event.call_id))
        elif isinstance(event, ToolProgress):
            step = self.steps[event.call_id]
            step.output = progress_text(event)
            await step.update()
            self.latest[event.call_id] = event
            await self._progress_line(event.call_id)
        elif isinstance(event, ToolEnd):
            step = self.steps[event.call_id]
            step.output = plain(event.result.summary) if event.result else _error_text(event.error or {})
            step.is_error = not event.ok
            step.end = utc_now()
            await step.update()
            await self._drop_progress(event.call_id)
            if event.result:
                self.results.append(event.result)
            if event.confirmation:
                await show_confirmation(event.confirmation)
        elif isinstance(event, Error):
            await self.finish()
            await cl.Message(content=f"**{event.message}**" + (f"\n\n{event.hint}" if event.hint else "")).send()
        elif isinstance(event, Done):
            if event.usage.total_tokens:  # a model answered (the offline planner uses none): what it has cost so far
                if self.message is None:
                    await cl.Message(content=usage_line(event.usage)).send()
                else:
                    await self.message.stream_token(f"\n\n{usage_line(event.usage)}")
            await self.finish()

    async def finish(self) -> None:
        """Send the text streamed so far (the next text starts a new message)."""
        if self.message is not None:
            await self.message.send()
            self.message = None

    async def end(self) -> None:
        """Close the turn, also after a failure: text sent, then the results and the buttons under it."""
        await self.finish()
        for call_id in list(self.reveal):
            await self._drop_progress(call_id)
        for result in self.results:
            await show_result(result, get_db())
        self.results = []
        await offer_next_steps(self.answer, self.request)

    async def _reveal(self, call_id: str) -> None:
        """Show the progress line on time even when the tool reports rarely (a send reports per batch)."""
        await asyncio.sleep(PROGRESS_AFTER)
        await self._progress_line(call_id)

    async def _progress_line(self, call_id: str) -> None:
        event = self.latest.get(call_id)
        if event is None or time.monotonic() - self.started[call_id] < PROGRESS_AFTER:
            return
        line = self.progress.get(call_id)
        if line is None:
            line = self.progress[call_id] = cl.Message(content=progress_text(event))
            await line.send()
        elif line.content != progress_text(event):
            line.content = progress_text(event)
            await line.update()

    async def _drop_progress(self, call_id: str) -> None:
        task = self.reveal.pop(call_id, None)
        if task is not None:
            task.cancel()
        line = self.progress.pop(call_id, None)
        if line is not None:
            await line.remove()


def usage_line(usage: Usage) -> str:
    """The conversation's token count so far, as a quiet line under the answer."""
    tokens = usage.total_tokens
    return f"*{tokens:,} token{'s' if tokens != 1 else ''} this conversation*"


def step_name(tool: str) -> str:
    """A tool's step as the chat shows it: "Used generate demo data", words rather than an identifier."""
    return tool.replace("_", " ")


def progress_text(event: ToolProgress) -> str:
    if not event.total:
        return f"{event.description}: {event.completed:,.0f}"
    return f"{event.description}: {event.completed:,.0f}/{event.total:,.0f} ({event.completed / event.total:.0%})"


async def show_confirmation(request: ConfirmationRequest) -> None:
    """Ask the person before a destructive call; the request stays in this session, the button holds only its id."""
    pending = cl.user_session.get("confirmations") or {}
    key = secrets.token_urlsafe(8)
    pending[key] = request
    cl.user_session.set("confirmations", pending)
    await cl.Message(
        content=f"**Are you sure?** {request.message}\n\n**Confirm** goes ahead; **Cancel** keeps everything as it is.",
        actions=[
            cl.Action(name="confirm", label="Confirm", payload={"id": key}, tooltip="Go ahead: this cannot be undone"),
            cl.Action(name="cancel", label="Cancel", payload={"id": key}, tooltip="Keep everything as it is"),
        ],
    ).send()


# -- the decision buttons --------------------------------------------------------------------------
async def on_confirm(action: cl.Action) -> None:
    """The person confirmed: repeat exactly the refused call as the user, confirmed (never the agent)."""
    request = (cl.user_session.get("confirmations") or {}).pop(str(action.payload.get("id")), None)
    if request is None:
        await cl.Message(content="That request was already answered or has expired; nothing was changed.").send()
        return
    result = await _user_tool(request.tool, confirmed=True, **request.arguments)
    if result:
        conversation().note(f"{NOTE_PREFIX} The user confirmed {request.tool}: {result.summary}")
        await show_result(result, get_db())
        await cl.Message(content=result.summary).send()


async def on_cancel(action: cl.Action) -> None:
    request = (cl.user_session.get("confirmations") or {}).pop(str(action.payload.get("id")), None)
    if request is not None:
        conversation().note(f"{NOTE_PREFIX} The user cancelled {request.tool}; nothing was changed.")
    await cl.Message(content="Cancelled: nothing was changed.").send()


async def on_approve(action: cl.Action) -> None:
    campaign_id, version = int(action.payload["campaign_id"]), int(action.payload["version"])
    user = cl.user_session.get("user")
    approved_by = getattr(user, "identifier", None) or "chat user"
    result = await _user_tool("campaign_approve", campaign_id=campaign_id, version=version, approved_by=approved_by)
    if result:
        conversation().note(f"{NOTE_PREFIX} The user pressed Approve: campaign {campaign_id} version {version}.")
        await cl.Message(content=f"{result.summary}\n\nSay *send it* when you are ready.").send()


async def on_reject(action: cl.Action) -> None:
    campaign_id = int(action.payload["campaign_id"])
    result = await _user_tool("campaign_reject", campaign_id=campaign_id)
    if result:
        conversation().note(f"{NOTE_PREFIX} The user pressed Reject: campaign {campaign_id}.")
        await cl.Message(content=result.summary).send()


async def on_revise(action: cl.Action) -> None:
    campaign_id = int(action.payload["campaign_id"])
    reply = await cl.AskUserMessage(content="What should I change? (e.g. *make it shorter*)", timeout=600).send()
    instruction = (reply or {}).get("output", "").strip()
    if instruction:
        await run_turn(f"Revise campaign {campaign_id}: {instruction}")


async def on_reading(action: cl.Action) -> None:
    """A clarifying question answered by a button: do what the chosen reading says, for the text typed."""
    label, text = str(action.payload["label"]), str(action.payload["text"])
    await cl.Message(content=f"*{label.capitalize()}*", author="You", type="user_message").send()
    await run_turn(f"{NOTE_PREFIX} The user chose “{label}” for: {text}")


async def on_say(action: cl.Action) -> None:
    """A suggested next step pressed: as if the user had typed it."""
    text = str(action.payload["text"])
    await cl.Message(content=text, author="You", type="user_message").send()
    await run_turn(text)


async def _user_tool(name: str, *, confirmed: bool = False, **arguments: Any) -> ToolResult | None:
    """Run a tool as the user, showing it as a step; any failure becomes a message, not a crash.

    `confirmed`: the person pressed Confirm for exactly this call (destructive tools refuse otherwise)."""
    async with cl.Step(name=step_name(name), type="tool", show_input="json") as step:
        step.input = json.dumps(arguments)
        ctx = replace(chat_ctx(), confirmed=confirmed)
        try:
            result = await asyncio.to_thread(run_tool, ctx, name, arguments)
        except Exception as exc:  # a UserError is expected; anything else is a bug, and the chat goes on
            if not isinstance(exc, UserError):
                log.exception("tool %s failed", name)
            text = _error_text(exc.to_dict() if isinstance(exc, UserError) else bug_view(name, exc))
            step.output, step.is_error = text, True
            await cl.Message(content=text).send()
            return None
        step.output = plain(result.summary)
    return result


# -- uploads ---------------------------------------------------------------------------------------
async def import_files(files: list[Any], text: str) -> None:
    for file in files:
        name = file.name or Path(file.path).name
        if Path(name).suffix.lower() not in DATA_SUFFIXES:
            await cl.Message(
                content=f"“{name}” is not a data file I can import. Attach a CSV, TSV, Parquet or JSON-lines "
                "file with customers, products or orders (say *products* or *orders* if it holds those)."
            ).send()
            continue
        cl.user_session.set("uploads", [*(cl.user_session.get("uploads") or []), str(file.path)])
        kind = guess_kind(name, text)
        result = await _user_tool("import_data", kind=kind, path=str(file.path))
        if result:
            conversation().note(f"{NOTE_PREFIX} The user uploaded {name!r} as {kind}: {result.summary}")
            await show_result(result, get_db())
            await cl.Message(content=f"{result.summary}\n\nNext: *check the data*.").send()


def guess_kind(file_name: str, text: str) -> str:
    """products / orders when the file name or the message says so; customers otherwise."""
    words = f"{file_name} {text}".lower()
    for kind, stems in (("orders", ("order", "purchase", "transaction")), ("products", ("product", "inventory"))):
        if any(stem in words for stem in stems):
            return kind
    return "customers"


def _error_text(error: dict[str, Any]) -> str:
    message = plain(error.get("error") or "") or "That did not work."
    hint = plain(error.get("hint") or "")
    return f"{message} {hint}" if hint else message
