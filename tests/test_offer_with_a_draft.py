"""An offer said with the request that drafts ("… with 10% off", "… offering free shipping") is in the copy: before,
the draft was written without it, and nothing said so."""

from __future__ import annotations

import json

import pytest

from tests.test_new_shop_chat import Chat
from tests.test_report_yardstick import send_one, shop  # noqa: F401 - the fixture
from tools import run_tool


def latest_copy(ctx, campaign: int) -> tuple[int, str]:
    version, variants = ctx.db.execute(
        "SELECT version, variants FROM campaign_versions WHERE campaign_id = ? ORDER BY version DESC LIMIT 1",
        [campaign],
    ).fetchone()
    return version, " ".join(" ".join(v["blocks"]) for v in json.loads(variants))


@pytest.mark.parametrize(
    ("said", "line"),
    [
        ("draft an email for segment 2 about outerwear with 10% off", "10% off"),
        ("draft an email about shoes for segment 1 offering free shipping", "Free shipping"),
    ],
)
def test_an_offer_said_with_the_draft_is_in_its_copy(demo_ctx, said, line):
    run_tool(demo_ctx, "segment_run", k=4)
    answer, ended = Chat(demo_ctx).say(said)
    assert [e.name for e in ended][-2:] == ["campaign_draft", "campaign_revise"]
    version, copy = latest_copy(demo_ctx, 1)
    assert version == 2 and line in copy
    assert "Revised campaign 1 (version 2)" in answer


def test_a_draft_with_no_offer_is_not_revised(demo_ctx):
    run_tool(demo_ctx, "segment_run", k=4)
    _, ended = Chat(demo_ctx).say("draft an email for segment 2 about outerwear")
    assert [e.name for e in ended][-1] == "campaign_draft"
    assert latest_copy(demo_ctx, 1)[0] == 1


def test_a_follow_up_with_an_offer_has_it(shop):  # noqa: F811
    sent = send_one(shop, 3, 12, 40)
    _, ended = Chat(shop).say("follow up with the non-openers with 10% off")
    assert [e.name for e in ended][-2:] == ["campaign_draft", "campaign_revise"]
    follow_up = int(ended[-1].arguments["campaign_id"])
    assert follow_up != sent and "10% off" in latest_copy(shop, follow_up)[1]


def test_a_discount_code_is_removed_when_asked_and_not_invented_when_there_is_none(demo_ctx):
    """ "remove the discount code" was refused as if a code had been asked for without saying which."""
    run_tool(demo_ctx, "segment_run", k=4)
    chat = Chat(demo_ctx)
    chat.say("draft an email for segment 2 about outerwear")
    chat.say("add the code SPRING20 for 10% off")
    assert "SPRING20" in latest_copy(demo_ctx, 1)[1]
    answer, _ = chat.say("remove the discount code")
    version, copy = latest_copy(demo_ctx, 1)
    assert version == 3 and "SPRING20" not in copy
    assert "removed the line “Use code SPRING20 at checkout for 10% off.” in all 3 variants" in answer
    answer, _ = chat.say("remove the discount code")
    assert "The draft has no discount code or offer line to remove." in answer
    assert latest_copy(demo_ctx, 1)[0] == 3


def test_taking_the_offer_out_is_a_revision_not_a_shortlist_change(demo_ctx):
    """ "take out the 10% off" asked which shortlisted product to remove."""
    run_tool(demo_ctx, "segment_run", k=4)
    chat = Chat(demo_ctx)
    chat.say("draft an email for segment 2 about outerwear with 10% off")
    answer, ended = chat.say("take out the 10% off")
    assert [e.name for e in ended] == ["campaign_revise"]
    version, copy = latest_copy(demo_ctx, 1)
    assert version == 3 and "10% off" not in copy
    assert "removed the line “10% off.”" in answer
