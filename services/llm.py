"""Structured answers from a model, for tools that want AI help (recommend k, name segments, draft copy).

Tools ask with `ctx.llm.ask(system, prompt, SomeModel)` and get a validated pydantic object or a
`ModelUnavailable`, after which they use their deterministic fallback. Only aggregates go in
the prompt: never customer names or emails unless the user opted in (`PROMOPILOT_SHARE_PII`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from services.settings import Settings

if TYPE_CHECKING:
    import openai

T = TypeVar("T", bound=BaseModel)


def is_transient(exc: BaseException) -> bool:
    """A fault worth retrying: rate limit, timeout, lost connection or a 5xx from the model service.

    `openai` is imported here and not at the top because it takes ~0.8 s, paid by every CLI command,
    tool registration and test otherwise; this only runs once a client (hence `openai`) is loaded."""
    import openai

    return isinstance(
        exc, (openai.RateLimitError, openai.APITimeoutError, openai.APIConnectionError, openai.InternalServerError)
    )


class ModelUnavailable(Exception):
    """The model could not give a valid answer (no key, network, refusal or nonsense)."""


class StructuredModel(Protocol):
    def ask(self, system: str, prompt: str, schema: type[T]) -> T: ...


class OpenAIStructured:
    """JSON-mode Chat Completions, validated against a pydantic model, retried on transient faults."""

    def __init__(self, client: openai.OpenAI, model: str) -> None:
        self.client = client
        self.model = model

    def ask(self, system: str, prompt: str, schema: type[T]) -> T:
        instructions = (
            f"{system}\n\nAnswer with one JSON object only, matching this JSON Schema:\n"
            f"{json.dumps(schema.model_json_schema())}"
        )
        import openai  # already loaded: this object holds a client

        try:
            content = self._complete(instructions, prompt)
            return schema.model_validate_json(_strip_fences(content))
        except (openai.OpenAIError, ValidationError, ValueError) as exc:
            raise ModelUnavailable(f"{type(exc).__name__}: {exc}") from exc

    @retry(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(3),
        wait=wait_exponential(multiplier=0.2, max=2),
        reraise=True,
    )
    def _complete(self, system: str, prompt: str) -> str:
        response = self.client.chat.completions.create(
            model=self.model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": prompt}],
            response_format={"type": "json_object"},
            temperature=0.2,
        )
        return response.choices[0].message.content or ""


def _strip_fences(text: str) -> str:
    text = text.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    return text


def openai_client(settings: Settings) -> openai.OpenAI | None:
    """The configured client, or None when no key is set (the offline mode)."""
    if not settings.openai_api_key:
        return None
    import openai

    return openai.OpenAI(
        api_key=settings.openai_api_key, base_url=settings.openai_base_url, timeout=30.0, max_retries=0
    )


def structured_model(settings: Settings) -> StructuredModel | None:
    client = openai_client(settings)
    return OpenAIStructured(client, settings.model) if client else None
