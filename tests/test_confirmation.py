"""Nothing is destroyed without a person's say-so: destructive tools refuse, say what would be lost, and
only a person confirms (the chat's Confirm button, the CLI's --yes). The assistant never can."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner

from assistant.loop import Agent, Conversation, ToolEnd
from assistant.models import chat_model
from cli import main
from storage.db import Database
from storage.errors import NeedsConfirmation
from tests import campaign_fixtures
from tests.test_agent import make_agent, tool_messages, turn
from tools.registry import REGISTRY, agent_schemas, run_tool

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop


def shop_size(ctx) -> tuple[int, int, int]:
    return tuple(
        ctx.db.execute("""SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM products),
                                          (SELECT count(*) FROM segment_runs)""").fetchone()
    )


@pytest.fixture
def segmented(demo_ctx):
    run_tool(demo_ctx, "segment_run", k=3)
    return demo_ctx


def test_generating_over_an_empty_database_needs_no_confirmation(ctx):
    run_tool(ctx, "generate_demo_data", customers=50, products=5)
    assert shop_size(ctx) == (50, 5, 0)


def test_generating_over_existing_data_refuses_and_says_what_would_be_lost(segmented):
    with pytest.raises(NeedsConfirmation) as refused:
        run_tool(segmented, "generate_demo_data", customers=50, products=5)

    assert refused.value.message.startswith("Nothing was changed: this would replace 2,000 customers, 200 products")
    assert refused.value.message.endswith("and 1 segmentation.")
    assert (refused.value.tool, refused.value.arguments) == ("generate_demo_data", {"customers": 50, "products": 5})
    assert shop_size(segmented) == (2000, 200, 1)


def test_a_person_who_confirmed_replaces_the_data(segmented):
    segmented.confirmed = True
    run_tool(segmented, "generate_demo_data", customers=50, products=5)
    assert shop_size(segmented) == (50, 5, 0)


def test_resegmenting_under_an_unsent_campaign_asks_first(segmented):
    sku = segmented.db.scalar("SELECT sku FROM products ORDER BY sku LIMIT 1")
    campaign = run_tool(segmented, "campaign_draft", skus=[sku], segments=[1], variants=1).approval.campaign_id

    with pytest.raises(NeedsConfirmation, match=rf"active segmentation \(run 1\) that campaign {campaign}, not yet"):
        run_tool(segmented, "segment_run", k=4)
    assert segmented.db.scalar("SELECT run_id FROM segment_runs WHERE is_active") == 1

    segmented.confirmed = True
    assert run_tool(segmented, "segment_run", k=4).data["run_id"] == 2


def test_resegmenting_with_no_campaign_on_the_active_run_just_runs(segmented):
    assert run_tool(segmented, "segment_run", k=4).data["run_id"] == 2


def test_the_cli_refuses_without_yes_and_goes_ahead_with_it(demo_ctx):
    db = demo_ctx.db.path
    demo_ctx.db.close()
    runner = CliRunner()

    refused = runner.invoke(main, ["--db", db, "demo", "--customers", "40", "--products", "5"])
    assert refused.exit_code == 1
    assert "this would replace 2,000 customers and 200 products" in refused.stderr
    assert "--yes" in refused.stderr

    as_json = runner.invoke(main, ["--db", db, "demo", "--customers", "40", "--json"])
    assert as_json.exit_code == 1 and "--yes" in json.loads(as_json.stdout)["hint"]

    done = runner.invoke(main, ["--db", db, "demo", "--customers", "40", "--products", "5", "--yes"])
    assert done.exit_code == 0, done.output
    assert "Generated 40 customers" in done.stdout


def test_the_agent_is_offered_no_way_to_confirm():
    schemas = {s["function"]["name"]: s["function"]["parameters"] for s in agent_schemas()}
    for name, tool in REGISTRY.items():
        if tool.confirm and tool.agent:
            assert not {"confirmed", "confirm", "yes", "force"} & set(schemas[name].get("properties", {}))


def test_a_model_cannot_confirm_even_by_asking_for_it(segmented, fake_openai):
    segmented.confirmed = True  # even a context a person confirmed is not confirmed for the agent's calls
    fake_openai.reply(
        tool_calls=[{"name": "generate_demo_data", "arguments": {"customers": 20, "confirmed": True, "yes": True}}]
    )
    fake_openai.reply(content="Done.")

    events = turn(make_agent(segmented, fake_openai), Conversation(), "start over")

    assert shop_size(segmented) == (2000, 200, 1)
    (end,) = [e for e in events if isinstance(e, ToolEnd)]
    assert end.confirmation is not None and end.confirmation.tool == "generate_demo_data"
    assert end.confirmation.arguments == {"customers": 20}
    (answer,) = tool_messages(fake_openai.requests[1])
    assert answer["ok"] is False and answer["needs_confirmation"] is True
    assert "2,000 customers" in answer["error"]


@pytest.mark.parametrize(
    "sentence",
    ["make sure the data is clean", "make a list of my best customers", "can you make sense of this data?"],
)
def test_ordinary_sentences_in_the_offline_chat_leave_the_shop_intact(segmented, sentence):
    agent = Agent(segmented, chat_model(segmented.settings))

    async def one_turn() -> list:
        return [event async for event in agent.run(Conversation(), sentence)]

    events = asyncio.run(one_turn())

    assert shop_size(segmented) == (2000, 200, 1)
    replaced = [e for e in events if isinstance(e, ToolEnd) and e.name == "generate_demo_data" and e.ok]
    assert not replaced


def test_the_chat_asks_with_a_button_and_confirm_repeats_the_call_as_the_person(tmp_path, monkeypatch):
    import chainlit as cl

    from assistant import session, webapp
    from tests.test_app_handlers import run_handler, texts

    monkeypatch.setenv("PROMOPILOT_DB", str(tmp_path / "web.duckdb"))
    for cached in (webapp.settings, webapp.get_db, webapp.agent):
        cached.cache_clear()
    try:
        run_tool(session.user_ctx(), "generate_demo_data", customers=80, products=10)
        store: dict = {}
        asked = run_handler(
            webapp.on_message, lambda: cl.Message(content="generate 60 demo customers"), session_store=store
        )

        assert "this would replace 80 customers and 10 products" in texts(asked)
        assert webapp.get_db().scalar("SELECT count(*) FROM customers") == 80
        buttons = [c.args[1] for c in asked.emitter.emit.call_args_list if c.args[0] == "action"]
        assert [b["name"] for b in buttons] == ["confirm", "cancel"]
        assert set(buttons[0]["payload"]) == {"id"}, "the button holds a reference, not the call"

        confirm = buttons[0]
        done = run_handler(
            webapp.on_confirm,
            lambda: cl.Action(name="confirm", payload=confirm["payload"], label="Confirm"),
            session_store=store,
        )
        assert webapp.get_db().scalar("SELECT count(*) FROM customers") == 60
        assert "Generated 60 customers" in texts(done)

        again = run_handler(
            webapp.on_confirm,
            lambda: cl.Action(name="confirm", payload=confirm["payload"], label="Confirm"),
            session_store=store,
        )
        assert "already answered" in texts(again), "a confirmation is used once"
    finally:
        webapp.get_db().close()
        for cached in (webapp.settings, webapp.get_db, webapp.agent):
            cached.cache_clear()


def test_the_terminal_chat_names_the_command_that_goes_ahead(demo_ctx):
    db = demo_ctx.db.path
    demo_ctx.db.close()
    out = CliRunner().invoke(main, ["--db", db, "chat", "generate", "50", "demo", "customers"])
    assert "this would replace 2,000 customers and 200 products" in out.stderr
    assert "promopilot demo --customers 50 --yes" in out.stderr
    with Database(db) as reopened:
        assert reopened.scalar("SELECT count(*) FROM customers") == 2000


def test_cancelling_a_started_campaign_asks_first(shop_with_a_half_sent_campaign):
    ctx, campaign = shop_with_a_half_sent_campaign
    queued = ctx.db.scalar("SELECT count(*) FROM messages WHERE status = 'queued'")
    with pytest.raises(NeedsConfirmation, match=rf"cancel campaign {campaign} for good \({queued:,} messages not yet"):
        run_tool(ctx, "campaign_cancel", campaign_id=campaign)
    assert ctx.db.scalar("SELECT status FROM campaigns") == "paused"

    ctx.confirmed = True
    assert run_tool(ctx, "campaign_cancel", campaign_id=campaign).data["status"] == "cancelled"


@pytest.fixture
def shop_with_a_half_sent_campaign(shop, tmp_path):
    from tests.campaign_fixtures import approved_campaign

    campaign = approved_campaign(shop)
    shop.settings.smtp_url = f"outbox:{tmp_path / 'out'}"
    run_tool(shop, "campaign_send", campaign_id=campaign, limit=4)
    return shop, campaign
