"""Versions (the copy over time) and variants (subject lines side by side) are not mixed up in the chat."""

from __future__ import annotations

import pytest

from assistant.planner.model import understood
from tests.test_new_shop_chat import Chat
from tools import run_tool
from tools.campaigns.render import CampaignRenderer


@pytest.fixture
def revised(ctx):
    """A campaign drafted, then revised twice: three versions, each with its own subject."""
    run_tool(ctx, "generate_demo_data", customers=200, products=40, seed=3)
    skus = [r["sku"] for r in ctx.db.rows("SELECT sku FROM products ORDER BY sku LIMIT 2")]
    campaign_id = run_tool(ctx, "campaign_draft", skus=skus).data["campaign_id"]
    for instruction in ("make it shorter", "more playful subject"):
        run_tool(ctx, "campaign_revise", campaign_id=campaign_id, instruction=instruction)
    return ctx, campaign_id


def test_the_tool_lists_each_version_with_its_instruction_and_subject(revised):
    ctx, campaign_id = revised
    result = run_tool(ctx, "campaign_versions", campaign_id=campaign_id)
    assert result.data["versions"] == [1, 2, 3]
    table = result.tables[0]
    rows = [dict(zip(table.columns, r, strict=True)) for r in table.rows]
    assert [r["instruction"] for r in rows] == ["first draft", "make it shorter", "more playful subject"]
    rendered = [CampaignRenderer.for_preview(ctx, campaign_id, v).subject("A") for v in (1, 2, 3)]
    assert [r["subject_a"] for r in rows] == rendered and not any("{{" in s for s in rendered)
    assert [r["state"] for r in rows] == ["", "", "latest"]
    assert f"Campaign {campaign_id} has 3 versions, oldest first: 1 (first draft)" in result.summary


@pytest.mark.parametrize("text", ["Show me the other versions", "earlier drafts please", "the history of this email"])
def test_asking_for_the_versions_lists_them_not_variant_b(revised, text):
    ctx, _ = revised
    answer, ended = Chat(ctx).say(text)
    assert [e.name for e in ended][-1] == "campaign_versions", answer
    assert "3 versions" in answer and "make it shorter" in answer


def test_variant_b_is_still_the_variant_and_version_2_the_version(revised):
    ctx, _ = revised
    _, ended = Chat(ctx).say("show me variant B")
    assert ended[-1].name == "campaign_preview" and ended[-1].arguments.get("variant") == "B"
    _, ended = Chat(ctx).say("give me a look at version 2")
    assert ended[-1].name == "campaign_preview" and ended[-1].arguments.get("version") == 2
    assert ended[-1].result.data["version"] == 2


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("show me the other versions", "campaign_versions"),
        ("can we look at the earlier drafts", "campaign_versions"),
        ("show me variant B", "preview"),
        ("give me a look at version 2", "preview"),
        ("go back to the earlier draft", "revise"),
        ("have I made any drafts", "campaign_list"),
        ("which campaigns are still drafts", "campaign_list"),
        ("how many versions are there", "campaign_versions"),
        ("what's the difference between version 1 and 2", "campaign_versions"),  # each with what changed
        ("compare version 1 and version 2", "campaign_versions"),
        ("how is version 2 different", "campaign_versions"),
        ("show version 2", "preview"),
    ],
)
def test_versions_in_the_plural_are_listed_and_one_version_or_variant_is_not(text, intent):
    assert understood(text)[0][0] == intent


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("make it a bit warmer and mention free returns", ["added the line “Free returns.”", "friendly"]),
        ("mention free shipping over 60 and make it more urgent", ["the tone is now urgent", "Free shipping over 60"]),
        ("shorter and add the first name to the subject", ["new subject lines", "a shorter body"]),
    ],
)
def test_two_instructions_in_one_chat_message_make_one_new_version_saying_both(ctx, text, said):
    run_tool(ctx, "generate_demo_data", customers=200, products=40, seed=3)
    skus = [r["sku"] for r in ctx.db.rows("SELECT sku FROM products ORDER BY sku LIMIT 2")]
    campaign_id = run_tool(ctx, "campaign_draft", skus=skus).data["campaign_id"]
    answer, ended = Chat(ctx).say(text)
    assert ended[-1].name == "campaign_revise" and ended[-1].ok, answer
    assert f"Revised campaign {campaign_id} (version 2)" in answer
    assert all(words in answer for words in said), answer


def test_a_message_none_of_whose_parts_is_understood_still_changes_nothing(ctx):
    run_tool(ctx, "generate_demo_data", customers=200, products=40, seed=3)
    skus = [r["sku"] for r in ctx.db.rows("SELECT sku FROM products ORDER BY sku LIMIT 2")]
    campaign_id = run_tool(ctx, "campaign_draft", skus=skus).data["campaign_id"]
    with pytest.raises(Exception, match="could not apply"):
        run_tool(ctx, "campaign_revise", campaign_id=campaign_id, instruction="translate it into Klingon and sing it")
