"""The page the button opens, changed in words: "the link should go to https://…". Before, it offered unrelated
readings (find products, settings), and the revise tool could not change a link at all."""

from __future__ import annotations

import pytest

from storage.errors import UserError
from tests.test_new_shop_chat import Chat
from tools import run_tool


@pytest.fixture
def chat(demo_ctx) -> Chat:
    run_tool(demo_ctx, "segment_run", k=4)
    chat = Chat(demo_ctx)
    chat.say("draft an email for segment 2 about outerwear")
    return chat


def latest(ctx) -> tuple[int, str | None, str]:
    return ctx.db.execute(
        "SELECT version, cta_url, variants::VARCHAR FROM campaign_versions WHERE campaign_id = 1 "
        "ORDER BY version DESC LIMIT 1"
    ).fetchone()


@pytest.mark.parametrize(
    "said",
    ["the link should go to https://shop.example.com/sale", "make the button go to https://shop.example.com/sale."],
)
def test_the_button_links_to_the_page_said_with_the_copy_unchanged(chat, said):
    _, _, copy_before = latest(chat.ctx)
    answer, ended = chat.say(said)
    assert [e.name for e in ended] == ["campaign_revise"]
    version, url, copy = latest(chat.ctx)
    assert (version, url, copy) == (2, "https://shop.example.com/sale", copy_before)
    assert "Revised campaign 1 (version 2): the button links to https://shop.example.com/sale" in answer


def test_a_page_off_the_shops_site_is_refused_from_the_chat(chat):
    answer, _ = chat.say("point the button at https://evil.example/login")
    assert "is not on the shop's own site" in answer
    assert latest(chat.ctx)[0] == 1


def test_the_same_page_again_is_no_new_version(chat):
    chat.say("the link should go to https://shop.example.com/sale")
    with pytest.raises(UserError, match="already links to"):
        run_tool(chat.ctx, "campaign_revise", campaign_id=1, instruction="link", url="https://shop.example.com/sale")
