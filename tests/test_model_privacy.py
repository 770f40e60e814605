"""With a model and the default settings (privacy on), every agent tool answers the model, and no customer's
name, address or phone ever reaches it: captured from every request body the fake model receives."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from pathlib import Path

import openai
import pytest

from assistant.loop import Conversation, ToolEnd
from services.llm import OpenAIStructured
from tests.fake_openai import FakeOpenAI, Scripted
from tests.test_agent import make_agent
from tools.registry import REGISTRY, load_all, run_tool

# Distinctive on purpose: none of these can turn up in a product name or a template by chance.
PEOPLE = [
    ("Z01", "Zebulon", "Quixworth", "zebulon.quixworth@example.org", "+44 20 7946 0958", "12 Quoggle Lane"),
    ("Z02", "Ottoline", "Fenwicke", "ottoline.fenwicke@@example.org", "0161 496 0731", "3 Wimbrel Court"),
    ("Z03", "Barnabus", "Plimsoll", "barnabus.plimsoll@", "(555) 014-2231", "77 Oxtail Row"),
    ("Z04", "Griselda", "Wobbleton", "griselda at wobbleton.example.com", "555-0199", "9 Pumpkin Yard"),
    ("Z05", "Thaddeus", "Crumhorn", " Thaddeus.Crumhorn@Example.ORG ", "+1 212 555 0144", "40 Larkspur Mews"),
]
# The user asks for a preview "as Marigold would see it": the first name is the user's own words, so the
# model has it; what the lookup finds (her surname, address, phone) must not reach it.
ASKED_FOR = ("Z06", "Marigold", "Snodgrove", "marigold.snodgrove@example.org", "+44 20 7946 0321", "5 Teasel Walk")
SECRETS = [value.strip() for person in PEOPLE for value in person[1:]] + list(ASKED_FOR[2:])
SECRETS += ["zebulon.quixworth", "ottoline.fenwicke", "barnabus.plimsoll", "thaddeus.crumhorn"]


@pytest.fixture
def shop(ctx, tmp_path):
    """A demo shop plus six customers from a file with names, malformed addresses, phones and free text."""
    run_tool(ctx, "generate_demo_data", customers=300, products=30, seed=3)
    lines = ["customer_id,first_name,last_name,email,phone,address,notes,total_spent,order_count"]
    lines += [f'{c},{f},{la},"{e}",{p},{a},"call {f} {la} on {p}",{120 + i},{2 + i}' for i, (c, f, la, e, p, a) in
              enumerate([*PEOPLE, ASKED_FOR])]  # fmt: skip
    upload = tmp_path / "upload" / "people.csv"
    upload.parent.mkdir()
    upload.write_text("\n".join(lines) + "\n")
    ctx.uploads = (str(upload),)
    ctx.settings.smtp_url = f"outbox:{tmp_path / 'out'}"
    ctx.settings.test_addresses = ["marketer@shop.example"]  # where the assistant may send a test copy
    ctx.settings.send_rate = 0
    return ctx


def calls_before_approval(sku: str) -> list[tuple[str, dict]]:
    return [
        ("data_overview", {}),
        ("shop_settings", {}),
        ("import_data", {"kind": "customers", "path": "people.csv", "dry_run": True}),
        ("import_data", {"kind": "customers", "path": "people.csv"}),
        ("validate_data", {"examples": 50}),
        ("validate_data", {"fix": True, "examples": 50}),
        ("list_data_issues", {"limit": 200}),
        ("query_data", {"sql": "SELECT * FROM customers WHERE customer_id LIKE 'Z%'"}),
        ("query_data", {"sql": "SELECT * FROM data_issues"}),
        ("segment_sweep", {"k_min": 2, "k_max": 4}),
        ("segment_run", {"k": 3}),
        ("segment_list", {}),
        ("segment_show", {"segment": 1}),
        ("segment_rename", {"segment": 1, "name": "Loyal regulars"}),
        ("segment_use", {"run_id": 1}),  # already in use: said so
        ("find_products", {"limit": 3}),
        ("shortlist_add", {"skus": [sku]}),
        ("shortlist_show", {}),
        ("match_segments", {"product": [sku]}),
        ("match_segments", {"product": [sku], "customers": True, "top": 400}),
        ("rank_customers", {"product": [sku], "top": 400}),
        ("suggest_products", {"segment": 1}),
        ("unreachable_customers", {}),  # who cannot be emailed: ids and reasons to the model, names on the screen
        ("customer_card", {"customer": "Z01"}),  # one customer: the id, never the name or the address
        ("customer_card", {"customer": "marigold"}),  # looked up by her name, which the answer does not repeat
        ("consent_unsubscribe", {"customer": "marigold"}),  # waits for the person's Confirm: nothing changes yet
        ("predict", {}),
        ("find_predicted_customers", {"top": 400}),
        ("campaign_draft", {"skus": [sku], "variants": 2}),
        ("campaign_preview", {"campaign_id": 1, "customer": "Z01"}),
        ("campaign_preview", {"campaign_id": 1, "customer": "marigold"}),
        ("campaign_test_send", {"campaign_id": 1, "customer": "marigold"}),  # her name goes to the inbox only
        ("campaign_test_send", {"campaign_id": 1, "to": "someone@elsewhere.example"}),  # refused: not allowed
        ("campaign_revise", {"campaign_id": 1, "instruction": "make it shorter"}),
        ("campaign_versions", {"campaign_id": 1}),
        ("campaign_exclude_recent", {"campaign_id": 1, "quiet_days": 7}),
        ("campaign_reach", {"campaign_id": 1}),
        ("campaign_list", {}),
        ("shortlist_remove", {"skus": [sku]}),
        ("generate_demo_data", {"customers": 20}),
    ]


CALLS_AFTER_APPROVAL = [
    ("campaign_send", {"campaign_id": 1, "dry_run": True}),
    ("campaign_send", {"campaign_id": 1}),  # asks the person (Confirm): the assistant never starts a real send
    ("campaign_pause", {"campaign_id": 1}),
    ("campaign_report", {"campaign_id": 1}),
    ("campaign_recipients", {"campaign_id": 1}),  # who received it: ids to the model, names on the local screen
    ("campaign_recipients", {"campaign_id": 1, "engagement": "not_opened"}),
    ("campaign_draft", {"follow_up": 1, "engagement": "not_opened"}),  # refused: it is still being sent
    ("campaign_cancel", {"campaign_id": 1}),
    ("campaign_reject", {"campaign_id": 1}),
    ("query_data", {"sql": "SELECT * FROM messages"}),
    ("query_data", {"sql": "SELECT * FROM events"}),
]


def script(server: FakeOpenAI, calls: list[tuple[str, dict]]) -> None:
    for name, arguments in calls:
        server.reply(tool_calls=[{"name": name, "arguments": arguments}])
    server.reply(content="Done.")


def test_every_tool_answers_the_model_and_no_customer_pii_reaches_it(shop, fake_openai):
    with FakeOpenAI() as writer:  # the copywriter and segment namer's model: answers nothing usable
        writer.default = Scripted(content="{}")
        client = openai.OpenAI(base_url=writer.base_url, api_key="test-key", max_retries=0, timeout=5)
        shop.llm = OpenAIStructured(client, "fake-writer")
        sku = shop.db.scalar("SELECT sku FROM products ORDER BY stock DESC LIMIT 1")
        before, after = calls_before_approval(sku), CALLS_AFTER_APPROVAL
        script(fake_openai, before)
        script(fake_openai, after)
        agent = make_agent(shop, fake_openai, max_steps=len(before) + 1)
        conversation = Conversation()

        async def two_turns() -> list:
            first = [e async for e in agent.run(conversation, "walk through everything", ctx=shop)]
            person = replace(shop, actor="user")
            run_tool(person, "campaign_approve", campaign_id=1, version=2, approved_by="me")
            run_tool(person, "campaign_send", campaign_id=1, limit=5)  # a person started it: the rest waits
            agent.max_steps = len(after) + 1
            return first + [e async for e in agent.run(conversation, "send and report", ctx=shop)]

        events = asyncio.run(two_turns())
        bodies = fake_openai.bodies() + "\n" + writer.bodies()

    ended = [e for e in events if isinstance(e, ToolEnd)]
    assert [e.name for e in ended] == [name for name, _ in before + after]
    bugs = {e.name: e.error["error"] for e in ended if e.error and "unexpectedly" in e.error["error"]}
    assert not bugs, f"tools that crashed instead of answering: {bugs}"
    tests = [e for e in ended if e.name == "campaign_test_send"]
    assert [e.ok for e in tests] == [True, False] and "not one of the addresses allowed" in tests[1].error["error"]
    outbox = Path(shop.settings.smtp_url.removeprefix("outbox:"))
    (test_copy,) = [m for m in (f.read_text() for f in outbox.iterdir()) if "Subject: [TEST]" in m]
    assert "Marigold" in test_copy, "the copy is personalised: her name reaches the allowed inbox, not the model"
    for name in ("import_data", "query_data", "validate_data", "list_data_issues", "campaign_send", "campaign_report"):
        assert any(e.ok for e in ended if e.name == name), f"{name} should have worked"
    assert all(e.ok for e in ended if e.name == "campaign_recipients"), "who received it works for the model too"
    assert all(e.ok for e in ended if e.name == "unreachable_customers"), "who cannot be emailed works for it too"
    assert [e.ok for e in ended if e.name == "customer_card"] == [True, True], "one customer, by id or by name"
    (unsubscribe,) = [e for e in ended if e.name == "consent_unsubscribe"]
    question = unsubscribe.confirmation.question if unsubscribe.confirmation else ""
    assert question.startswith("Unsubscribe customer Z06 (marigold)?"), "it waits, naming only what was said"
    assert not shop.db.scalar("SELECT count(*) FROM suppressions"), "the assistant alone unsubscribes nobody"
    (follow_up,) = [e for e in ended if e.name == "campaign_draft" and e.arguments.get("follow_up")]
    assert "still paused" in follow_up.error["error"], "a campaign still going out cannot be followed up yet"
    (asked,) = [e for e in ended if e.confirmation and e.name == "campaign_send"]
    still_to_go = r"Resume campaign 1 \(“.+”\) now\? It goes to the [\d,]+ customers still to go\."
    assert re.fullmatch(still_to_go, asked.confirmation.question), "a resumed send says how many are left"
    agent_tools = {name for name, tool in load_all().items() if tool.agent}
    assert agent_tools <= {e.name for e in ended}, "every agent tool is exercised"
    assert len(REGISTRY) > len(agent_tools) >= 20
    for body in fake_openai.requests:  # every call in every request is answered
        asked = [c["id"] for m in body["messages"] if m["role"] == "assistant" for c in m.get("tool_calls") or []]
        answered = [m["tool_call_id"] for m in body["messages"] if m["role"] == "tool"]
        assert answered == asked
    shown = [json.loads(m["content"]) for m in fake_openai.requests[-1]["messages"] if m["role"] == "tool"]
    assert not [v["error"] for v in shown if "unexpectedly" in (v.get("error") or "")], "every view was built"
    assert shop.db.scalar("SELECT count(*) FROM customers WHERE customer_id LIKE 'Z%'") == 6
    assert any(e.ok and e.result.data.get("customer") == "Z06" for e in ended if e.name == "campaign_preview")
    leaked = [s for s in SECRETS if s.lower() in bodies.lower()]
    assert not leaked, f"personal data sent to the model: {leaked}"


def test_a_result_that_cannot_be_shown_is_still_answered_so_the_next_request_is_valid(
    demo_ctx, fake_openai, monkeypatch
):
    def broken(*args, **kwargs):
        raise TypeError("cannot show this")

    monkeypatch.setattr("assistant.loop.model_view", broken)
    fake_openai.reply(tool_calls=[{"name": "data_overview", "arguments": {}}]).reply(content="Sorry.")

    events = asyncio.run(_collect(make_agent(demo_ctx, fake_openai), Conversation(), "what is there?"))

    assert any(isinstance(e, ToolEnd) for e in events)
    tool_message = next(m for m in fake_openai.requests[1]["messages"] if m["role"] == "tool")
    answer = json.loads(tool_message["content"])
    assert answer["ok"] is False and "TypeError" in answer["error"]


async def _collect(agent, conversation, text) -> list:
    return [e async for e in agent.run(conversation, text)]
