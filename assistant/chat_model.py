"""Chat models the agent loop can drive: the OpenAI Chat Completions client and anything shaped like it.

A `ChatModel` streams one assistant turn: `TextDelta`s as the answer is written, then exactly one
`Completion` with the whole text, the tool calls (arguments as the raw JSON text the model wrote,
valid or not) and the token usage. The offline planner (`assistant.planner`) has the same shape,
so the loop, the CLI and the UI never know which one is talking; `assistant.models.chat_model`
picks the one the settings ask for (it lives there so this module and the planner do not import each other).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from services.llm import is_transient

if TYPE_CHECKING:
    import openai  # imported where a client is made or its errors caught: it costs every CLI command ~0.8 s


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # the JSON text exactly as the model wrote it


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass
class Completion:
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


class ModelServiceError(Exception):
    """The model service could not answer (down, refusing the key, or still failing after retries)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ChatModel(Protocol):
    name: str

    def stream(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AsyncIterator[TextDelta | Completion]: ...


class OpenAIChat:
    """Streaming Chat Completions with tools; opening the stream is retried with backoff on transient faults.

    Only opening is retried: once tokens have reached the user, repeating the request would show
    them twice, so a connection lost mid-answer becomes a `ModelServiceError` for the loop to report.
    """

    def __init__(self, client: openai.AsyncOpenAI, model: str, *, attempts: int = 4, max_wait: float = 4.0) -> None:
        self.client = client
        self.name = model
        self.attempts = attempts
        self.max_wait = max_wait

    async def stream(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AsyncIterator[TextDelta | Completion]:
        import openai  # already loaded: this object holds a client

        chunks = await self._open(messages, tools)
        text: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        usage = Usage()
        try:
            async for chunk in chunks:
                if chunk.usage:
                    usage = Usage(chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0)
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        text.append(delta.content)
                        yield TextDelta(delta.content)
                    for part in delta.tool_calls or []:
                        slot = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                        slot["id"] = part.id or slot["id"]
                        if part.function:
                            slot["name"] += part.function.name or ""
                            slot["arguments"] += part.function.arguments or ""
        except openai.OpenAIError as exc:
            raise _service_error(exc, midway=True) from exc
        tool_calls = [
            ToolCall(id=c["id"] or f"call_{i}", name=c["name"], arguments=c["arguments"])
            for i, c in sorted(calls.items())
        ]
        yield Completion(content="".join(text), tool_calls=tool_calls, usage=usage)

    async def _open(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        import openai

        extra: dict[str, Any] = {"tools": tools, "parallel_tool_calls": True} if tools else {}
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(is_transient),
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential_jitter(multiplier=0.2, max=self.max_wait),
                reraise=True,
            ):
                with attempt:
                    return await self.client.chat.completions.create(
                        model=self.name,
                        messages=messages,
                        stream=True,
                        stream_options={"include_usage": True},
                        **extra,
                    )
        except openai.OpenAIError as exc:
            raise _service_error(exc) from exc
        raise AssertionError("unreachable: tenacity returns or re-raises")


def _service_error(exc: openai.OpenAIError, *, midway: bool = False) -> ModelServiceError:
    import openai

    if midway:
        return ModelServiceError(
            f"The model service stopped in the middle of its answer ({type(exc).__name__}).",
            "Ask again; if it keeps happening, unset OPENAI_API_KEY to use the offline planner.",
        )
    if isinstance(exc, openai.AuthenticationError):
        return ModelServiceError(
            "The model service refused the API key.", "Check OPENAI_API_KEY, or unset it to use the offline planner."
        )
    if is_transient(exc):
        return ModelServiceError(
            f"The model service is not answering ({type(exc).__name__}), even after retrying.",
            "Try again in a minute; or unset OPENAI_API_KEY to use the offline planner.",
        )
    return ModelServiceError(
        f"The model service rejected the request ({type(exc).__name__}: {exc}).",
        "Check PROMOPILOT_MODEL and OPENAI_BASE_URL, or unset OPENAI_API_KEY to use the offline planner.",
    )
