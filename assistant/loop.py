"""The agent loop: model turn -> tool calls (in parallel, in worker threads) -> results back -> repeat.

`Agent.run(conversation, text)` is an async iterator of events that the terminal and the chat UI
both consume: `Token`s as the answer streams, `ToolStart` / `ToolProgress` / `ToolEnd` around each
tool call, `Error` when the model service fails or the step limit is hit, and a final `Done`. One
agent serves every chat: the UI passes each run its session's own `ToolContext` (its chat id).

Whatever the model sends, the loop does not crash: bad JSON, an unknown tool, a human-only tool
or a tool's `UserError` go back to the model as a structured error it can correct, and every tool
call is answered (an error result at worst), so the conversation stays valid for the next request.
Tools run as `actor="agent"`, so the registry refuses human-only tools (approving a campaign) on its
own and never lets the agent confirm a destructive call or start a real send: such a call ends with a
`confirmation` request that the UI shows the person as a button.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.chat_model import ChatModel, Completion, ModelServiceError, ToolCall, Usage
from assistant.prompts import SYSTEM_PROMPT
from assistant.views import bug_view, error_view, model_view, private_error
from storage.errors import NeedsConfirmation, UserError
from tools.context import Progress, ToolContext
from tools.registry import REGISTRY, agent_schemas, load_all
from tools.results import ConfirmationRequest, ToolResult

log = logging.getLogger(__name__)
CONFIRM_HINT = "Only you can confirm this: press Confirm to go ahead, or Cancel to keep everything as it is."


@dataclass
class Conversation:
    """One chat: the messages so far (without the system prompt) and the tokens it has used.

    Everything the assistant remembers (the last campaign, SKUs, segment) lives in these
    messages, so two chats never share state.
    """

    messages: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    def note(self, text: str) -> None:
        """Record something the user did outside the chat text (a button press) for the model to know."""
        self.messages.append({"role": "user", "content": text})


# -- events ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class ToolStart:
    call_id: str
    name: str
    arguments: dict[str, Any] | str  # the raw text when it is not a JSON object


@dataclass(frozen=True)
class ToolProgress:
    call_id: str
    name: str
    description: str
    completed: float
    total: float | None


@dataclass(frozen=True)
class ToolEnd:
    call_id: str
    name: str
    arguments: dict[str, Any] | str
    result: ToolResult | None
    error: dict[str, Any] | None
    seconds: float  # time spent inside the tool itself
    confirmation: ConfirmationRequest | None = None  # refused until the person confirms (the UI offers a button)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Error:
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class Done:
    content: str
    usage: Usage
    steps: int


Event = Token | ToolStart | ToolProgress | ToolEnd | Error | Done


# -- the loop --------------------------------------------------------------------------------------
class Agent:
    def __init__(self, ctx: ToolContext, model: ChatModel, *, max_steps: int = 8, system_prompt: str = SYSTEM_PROMPT):
        self.ctx = ctx
        self.model = model
        self.max_steps = max_steps
        self.system_prompt = system_prompt
        load_all()
        self.tools = agent_schemas()

    async def run(
        self, conversation: Conversation, text: str, *, ctx: ToolContext | None = None
    ) -> AsyncIterator[Event]:
        """One turn. `ctx`: what this run's tools get (a chat session's own, with its chat id); default the agent's."""
        ctx = ctx or self.ctx
        conversation.messages.append({"role": "user", "content": text})
        answer: list[str] = []
        for step in range(1, self.max_steps + 1):
            completion = Completion()
            try:
                async for item in self.model.stream(self._messages(conversation), self.tools):
                    if isinstance(item, Completion):
                        completion = item
                    else:
                        answer.append(item.text)
                        yield Token(item.text)
            except ModelServiceError as exc:
                yield Error(exc.message, exc.hint)
                yield Done("".join(answer), conversation.usage, step)
                return
            conversation.usage.add(completion.usage)
            conversation.messages.append(_assistant_message(completion))
            if not completion.tool_calls:
                yield Done("".join(answer), conversation.usage, step)
                return
            async for event in self._call_tools(completion.tool_calls, conversation, ctx):
                yield event
        yield Error(
            f"I stopped after {self.max_steps} steps without finishing.",
            "Try a smaller request, or say what to do next.",
        )
        yield Done("".join(answer), conversation.usage, self.max_steps)

    def _messages(self, conversation: Conversation) -> list[dict[str, Any]]:
        return [{"role": "system", "content": self.system_prompt}, *conversation.messages]

    async def _call_tools(
        self, calls: list[ToolCall], conversation: Conversation, ctx: ToolContext
    ) -> AsyncIterator[Event]:
        """Run every call of one model turn at once; stream progress; answer each call in the order asked."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        parsed = {c.id: _parse_arguments(c.arguments) for c in calls}
        for call in calls:
            yield ToolStart(call.id, call.name, parsed[call.id])

        async def one(call: ToolCall) -> None:
            progress = EventProgress(lambda e: loop.call_soon_threadsafe(queue.put_nowait, e), call)
            await queue.put(await self.execute(call, parsed[call.id], progress, ctx))

        tasks = [asyncio.create_task(one(c)) for c in calls]
        ended: dict[str, ToolEnd] = {}
        try:
            while len(ended) < len(calls):
                event = await queue.get()
                if isinstance(event, ToolEnd):
                    ended[event.call_id] = event
                yield event
        finally:
            for task in tasks:
                task.cancel()
            for call in calls:  # every call answered, even when this turn was cut short
                conversation.messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": _answer(call, ended.get(call.id), ctx)}
                )

    async def execute(
        self, call: ToolCall, arguments: dict[str, Any] | str, progress: Progress, ctx: ToolContext
    ) -> ToolEnd:
        """Run one tool call as the agent; every failure becomes a structured error, never an exception."""

        def end(
            result: ToolResult | None = None,
            error: dict[str, Any] | None = None,
            seconds: float = 0.0,
            confirmation: ConfirmationRequest | None = None,
        ) -> ToolEnd:
            return ToolEnd(call.id, call.name, arguments, result, error, seconds, confirmation)

        if isinstance(arguments, str):
            return end(error=_bad_json(call))
        tool = REGISTRY.get(call.name)
        if tool is None:
            return end(
                error=error_view(
                    f"There is no tool called {call.name!r}.",
                    "Use one of the tools you were given.",
                    available_tools=[t["function"]["name"] for t in self.tools],
                )
            )
        ctx = replace(ctx, actor="agent", progress=progress)
        started = time.perf_counter()
        try:
            result = await asyncio.to_thread(tool, ctx, arguments)
        except NeedsConfirmation as exc:
            return end(
                error=error_view(exc.message, CONFIRM_HINT, needs_confirmation=True),
                seconds=time.perf_counter() - started,
                confirmation=ConfirmationRequest.from_error(exc),
            )
        except UserError as exc:
            return end(error=error_view(exc.message, exc.hint), seconds=time.perf_counter() - started)
        except Exception as exc:  # a bug in a tool must not end the conversation
            log.exception("tool %s failed", call.name)
            return end(error=bug_view(call.name, exc), seconds=time.perf_counter() - started)
        return end(result=result, seconds=time.perf_counter() - started)


class EventProgress(Progress):
    """A tool's progress as `ToolProgress` events, at most ten a second per task (plus the last one)."""

    interval = 0.1

    def __init__(self, emit: Callable[[Event], Any], call: ToolCall) -> None:
        self.emit = emit
        self.call = call

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Callable[[float], None]]:
        completed = 0.0
        last = 0.0

        def advance(amount: float = 1) -> None:
            nonlocal completed, last
            completed += amount
            now = time.monotonic()
            if now - last >= self.interval or (total is not None and completed >= total):
                last = now
                self.emit(ToolProgress(self.call.id, self.call.name, description, completed, total))

        self.emit(ToolProgress(self.call.id, self.call.name, description, 0, total))
        yield advance


def _answer(call: ToolCall, end: ToolEnd | None, ctx: ToolContext) -> str:
    """The tool message for one call: its view, or an error saying why there is none (never nothing)."""
    share_pii = ctx.settings.share_pii
    try:
        if end is None:
            view = error_view(f"{call.name} was interrupted before it finished.", "Check what it did before retrying.")
        elif end.result is None:
            view = private_error(end.error or error_view(f"{call.name} failed."), share_pii=share_pii)
        else:
            view = model_view(end.result, share_pii=share_pii)
    except Exception as exc:  # a view that cannot be built is a bug; the conversation must stay valid anyway
        log.exception("the result of %s could not be shown to the model", call.name)
        view = bug_view(call.name, exc)
    return json.dumps(view, ensure_ascii=False, default=str)


def _parse_arguments(text: str) -> dict[str, Any] | str:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return text
    return value if isinstance(value, dict) else text


def _bad_json(call: ToolCall) -> dict[str, Any]:
    try:
        json.loads(call.arguments or "{}")
        problem = "is not a JSON object"
    except json.JSONDecodeError as exc:
        problem = f"is not valid JSON ({exc.msg} at position {exc.pos})"
    return error_view(
        f"The arguments for {call.name} {problem}.",
        "Call the tool again with one JSON object matching its parameters.",
        arguments_received=call.arguments[:500],
    )


def _assistant_message(completion: Completion) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": completion.content or None}
    if completion.tool_calls:
        message["tool_calls"] = [
            # Invalid arguments are replaced by {} here (some servers reject them on the next request);
            # the tool's error message quotes what was received.
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": _valid_or_empty(c.arguments)}}
            for c in completion.tool_calls
        ]
    return message


def _valid_or_empty(arguments: str) -> str:
    return arguments if isinstance(_parse_arguments(arguments), dict) else "{}"
