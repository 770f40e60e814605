"""Which chat model answers: the OpenAI-compatible service when a key is set, else the offline planner."""

from __future__ import annotations

from collections.abc import Callable

from assistant.chat_model import ChatModel, OpenAIChat
from assistant.planner.vocabulary import Vocabulary
from services.settings import Settings


def chat_model(
    settings: Settings, *, timeout: float = 60.0, vocabulary: Callable[[], Vocabulary] | None = None
) -> ChatModel:
    """The configured model. `vocabulary` gives the offline planner the shop's own categories and brands."""
    if not settings.openai_api_key:
        from assistant.planner.model import OfflinePlanner

        return OfflinePlanner(vocabulary, settings.test_addresses)
    import openai

    client = openai.AsyncOpenAI(
        api_key=settings.openai_api_key, base_url=settings.openai_base_url, timeout=timeout, max_retries=0
    )
    return OpenAIChat(client, settings.model)
