"""One turn as the chat shows it: streamed text, each tool call as a step, a progress line for a slow
tool, the results and buttons under the answer, and the "Are you sure?" question before a destructive call.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any

import chainlit as cl
from chainlit.utils import utc_now

from assistant.chat_elements import offer_next_steps, show_result
from assistant.chat_model import Usage
from assistant.loop import Done, Error, Event, Token, ToolEnd, ToolProgress, ToolStart
from assistant.present import plain
from assistant.session import get_db
from tools.results import ConfirmationRequest, ToolResult

PROGRESS_AFTER = 0.5  # seconds: a tool still working by then (sending, a segment sweep) gets a live line


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
            step.output = plain(event.result.summary) if event.result else error_text(event.error or {})
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
    """Ask the person before a destructive or irreversible call (a send: its own question, "Send campaign 3 to
    1,234 customers now?"); the request stays in this session, the button holds only its id."""
    pending = cl.user_session.get("confirmations") or {}
    key = secrets.token_urlsafe(8)
    pending[key] = request
    cl.user_session.set("confirmations", pending)
    asked = f"**{request.question}** Nothing has been done yet." if request.question else None
    asked = asked or f"**Are you sure?** {request.message}"
    await cl.Message(
        content=f"{asked}\n\n**Confirm** goes ahead; **Cancel** keeps everything as it is.",
        actions=[
            cl.Action(name="confirm", label="Confirm", payload={"id": key}, tooltip="Go ahead: this cannot be undone"),
            cl.Action(name="cancel", label="Cancel", payload={"id": key}, tooltip="Keep everything as it is"),
        ],
    ).send()


def error_text(error: dict[str, Any]) -> str:
    """An error in the chat's words: the tool's own wording for the chat (`in_words`) when it has one (its hint
    names command-line options the chat has not got), else its message and hint without command lines."""
    if error.get("in_words"):
        return str(error["in_words"])
    message = plain(error.get("error") or "") or "That did not work."
    hint = plain(error.get("hint") or "")
    return f"{message} {hint}" if hint else message
