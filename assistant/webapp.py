"""Chainlit glue: chat messages become agent runs, and the buttons and uploads run tools as the user.

`app.py` only registers these handlers. What the process and each chat own is `assistant.session`; how
a turn's events are shown (steps, progress, results, the confirmation question) is `assistant.turn_view`.
Approving a campaign happens only here, in the Approve button's callback, as the user (`actor="user"`),
never through the agent; so does anything the agent was refused until a person confirms (a real send,
replacing data): the Confirm button repeats that call as the user, with its step and live progress.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import chainlit as cl
from chainlit.logger import logger as chainlit_log

from assistant.chat_elements import offer_next_steps, show_result
from assistant.chat_model import ToolCall
from assistant.loop import Conversation, Event, EventProgress, ToolEnd, ToolStart
from assistant.planner.memory import NOTE_PREFIX
from assistant.present import plain
from assistant.session import agent, chat_ctx, conversation, get_db, settings
from assistant.turn_view import TurnView, error_text
from assistant.uploads import (
    DATA_SUFFIXES,
    guess_kind,
    header,
    named_upload,
    said_columns,
    said_date_order,
    upload_note,
)
from assistant.views import bug_view
from storage.errors import UserError
from tools.catalog.products import forget_chat_shortlists
from tools.registry import run_tool
from tools.results import ToolResult

log = logging.getLogger(__name__)

STARTERS = [
    ("Generate demo data", "generate 5000 demo customers"),
    ("Check the data", "check the data"),
    ("Segment customers", "segment customers"),
    ("Find products", "show products with margin over 60% and stock above 100"),
    ("Who would buy trench coats?", "which customers would buy the new trench coats?"),
    ("What can you do?", "help"),
]
WELCOME = (
    "**Welcome to PromoPilot.** Take one email campaign from customer data to a sent email by chatting: "
    "generate or attach data, check it, segment customers, pick products, draft the email, approve it, "
    "send it and see how it did. Pick a starter below, or type *help*."
)
AFTER_CONFIRM = {"campaign_send": "Next: *how did it do?* (opens and clicks arrive over hours and days)."}
EMPTY_MESSAGE = (
    "Type a request, or attach a CSV/Parquet file to import it. For example: *generate 5000 demo customers*, "
    "*segment customers*, or *help* for everything I can do."
)


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
    failed_upload = cl.user_session.get("failed_upload")
    said, dates = said_columns(text), said_date_order(text)
    if failed_upload and (said or dates):  # "Client is the customer id", "the dates are day first": after a failure
        await import_upload(failed_upload["path"], failed_upload["name"], failed_upload["kind"], said, dates)
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
        follow = AFTER_CONFIRM.get(request.tool, "")
        await cl.Message(content=plain(result.summary) + (f"\n\n{follow}" if follow else "")).send()
        await offer_next_steps(follow, "")


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
        await cl.Message(content=f"{plain(result.summary)}\n\nSay *send it* when you are ready.").send()


async def on_reject(action: cl.Action) -> None:
    campaign_id = int(action.payload["campaign_id"])
    result = await _user_tool("campaign_reject", campaign_id=campaign_id)
    if result:
        conversation().note(f"{NOTE_PREFIX} The user pressed Reject: campaign {campaign_id}.")
        await cl.Message(content=plain(result.summary)).send()


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


async def _user_tool(
    name: str, failed: list[str] | None = None, *, confirmed: bool = False, **arguments: Any
) -> ToolResult | None:
    """Run a tool as the user, shown as the assistant's calls are: a step, and a live progress line when it
    is slow (a confirmed send, a large import). Any failure becomes a message, not a crash (and its text is
    added to `failed`, when given).

    `confirmed`: the person pressed Confirm for exactly this call (destructive tools refuse otherwise)."""
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[Event | None] = asyncio.Queue()
    call = ToolCall(f"user-{secrets.token_hex(6)}", name, json.dumps(arguments))
    progress = EventProgress(lambda event: loop.call_soon_threadsafe(events.put_nowait, event), call)
    ctx = replace(chat_ctx(), confirmed=confirmed, progress=progress)
    view = TurnView()
    await view.show(ToolStart(call.id, name, arguments))
    started = time.perf_counter()
    work = asyncio.ensure_future(asyncio.to_thread(run_tool, ctx, name, arguments))
    work.add_done_callback(lambda _: events.put_nowait(None))  # after the progress the tool reported
    while (event := await events.get()) is not None:
        await view.show(event)
    result, error = None, None
    try:
        result = work.result()
    except Exception as exc:  # a UserError is expected; anything else is a bug, and the chat goes on
        if not isinstance(exc, UserError):
            log.exception("tool %s failed", name)
        error = exc.to_dict() if isinstance(exc, UserError) else bug_view(name, exc)
    await view.show(ToolEnd(call.id, name, arguments, result, error, time.perf_counter() - started))
    if error is not None:
        await cl.Message(content=error_text(error)).send()
        if failed is not None:
            failed.append(error_text(error))
    return result


# -- uploads ---------------------------------------------------------------------------------------
async def import_files(files: list[Any], text: str) -> None:
    for file in files:
        name = file.name or Path(file.path).name
        if Path(name).suffix.lower() not in DATA_SUFFIXES:
            await cl.Message(
                content=f"“{name}” is not a data file I can import. Attach a CSV, TSV, Parquet or JSON-lines "
                "file with customers, products, orders or addresses never to email (say *products*, *orders* or "
                "*suppressions* if it holds those)."
            ).send()
            continue
        path = named_upload(str(file.path), name)  # its own name: what the answer says, Mailchimp's consent
        cl.user_session.set("uploads", [*(cl.user_session.get("uploads") or []), path])
        # "Client is the customer id": a column no alias names
        await import_upload(path, name, guess_kind(name, text, header(path)), said_columns(text), said_date_order(text))


async def import_upload(path: str, name: str, kind: str, said: dict[str, str], dates: str | None = None) -> None:
    """Import one uploaded file as the person; a failure is remembered, so that saying which column is which
    ("Client is the customer id") or how the dates are written retries it without attaching the file again."""
    failed: list[str] = []
    options = ({"map": said} if said else {}) | ({"date_format": dates} if dates else {})
    result = await _user_tool("import_data", failed, kind=kind, path=path, **options)
    cl.user_session.set("failed_upload", {"path": path, "name": name, "kind": kind} if failed else None)
    if failed:  # "why did that fail?" is answered from this
        conversation().note(f"{NOTE_PREFIX} {upload_note(name, kind, failed=failed[0])}")
    if result:
        conversation().note(f"{NOTE_PREFIX} {upload_note(name, kind, summary=result.summary)}")
        await show_result(result, get_db())
        await cl.Message(content=f"{plain(result.summary)}\n\nNext: *check the data*.").send()
