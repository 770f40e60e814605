"""Advice the shop's data cannot back ("which one do you think is best", "what's a good discount to offer them") is
said to be so, with what does help; and an offer said as a verb under a draft ("offer free shipping") is in its copy.
Before, the first two asked what was meant, or got the unsubscribe explanation, and "offer 10% off" got "Good."."""

from __future__ import annotations

import pytest

from tests.test_new_shop_chat import Chat
from tests.test_offer_with_a_draft import latest_copy
from tools import run_tool


@pytest.fixture
def drafted(demo_ctx):
    run_tool(demo_ctx, "segment_run", k=4)
    chat = Chat(demo_ctx)
    chat.say("draft an email for segment 2 about outerwear")
    return chat


@pytest.mark.parametrize("said", ["which one do you think is best", "which of the three would work best"])
def test_which_variant_is_best_is_told_by_sending_them(drafted, said):
    answer, ended = drafted.say(said)
    assert ended == [] and answer.startswith("I can't tell which will do best before it is sent")
    assert "per variant" in answer


def test_which_one_is_best_under_a_product_list_is_not_about_variants(demo_ctx):
    chat = Chat(demo_ctx)
    chat.say("show me outerwear")
    answer, _ = chat.say("which one do you think is best")
    assert answer.startswith("Best for what? I can rank products for a segment")


@pytest.mark.parametrize(
    "said", ["what's a good discount to offer them", "is 20% off too much", "how much off should we give"]
)
def test_a_discount_to_offer_is_not_guessed(drafted, said):
    answer, ended = drafted.say(said)
    assert ended == [] and answer.startswith("I can't say which discount will work")
    assert "*add the code SPRING20 for 20% off*" in answer


@pytest.mark.parametrize(
    ("said", "line"),
    [
        ("offer free shipping", "Free shipping."),
        ("give them free returns", "Free returns."),
        ("offer 10% off", "10% off."),
    ],
)
def test_an_offer_said_as_a_verb_goes_in_the_draft(drafted, said, line):
    answer, ended = drafted.say(said)
    assert [e.name for e in ended] == ["campaign_revise"]
    version, copy = latest_copy(drafted.ctx, 1)
    assert version == 2 and line in copy
    assert f"added the line “{line}”" in answer
