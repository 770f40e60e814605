"""A preview "for someone" is for someone the campaign would reach: it picked any customer, then said "it would not
reach them" (the campaign's segment left them out)."""

from __future__ import annotations

import pytest

from tests.test_new_shop_chat import Chat
from tools import run_tool


@pytest.mark.parametrize(
    "said",
    [
        "preview it for someone who will actually get it",
        "show me how it looks for one customer",
        "preview for a random customer",
    ],
)
def test_a_preview_for_someone_is_for_one_of_its_recipients(demo_ctx, said):
    run_tool(demo_ctx, "segment_run", k=5)
    chat = Chat(demo_ctx)
    chat.say("write an email for group 3 about jeans")
    members = {
        r[0] for r in demo_ctx.db.execute("SELECT customer_id FROM segment_members WHERE segment = 3").fetchall()
    }
    for _ in range(3):  # a pick at random, three times
        answer, ended = chat.say(said)
        (previewed,) = [e for e in ended if e.name == "campaign_preview"]
        assert previewed.arguments["customer"] in members
        assert "would not reach them" not in answer and "would get it" not in answer
