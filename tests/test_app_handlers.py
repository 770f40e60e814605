"""The Chainlit handlers without a browser: a mocked session records what would reach the page."""

from __future__ import annotations

import asyncio
import json
import re
from types import SimpleNamespace
from unittest.mock import AsyncMock, Mock

import pytest

chainlit = pytest.importorskip("chainlit")

import chainlit as cl  # noqa: E402
from chainlit.context import ChainlitContext, context_var  # noqa: E402
from chainlit.emitter import BaseChainlitEmitter  # noqa: E402
from chainlit.session import WebsocketSession  # noqa: E402
from chainlit.user_session import user_sessions  # noqa: E402

from assistant import session, webapp  # noqa: E402
from assistant.chat_elements import show_approval  # noqa: E402
from assistant.loop import ToolEnd, ToolProgress, ToolStart  # noqa: E402
from tools.results import ApprovalRequest, ToolResult  # noqa: E402
from web import pages  # noqa: E402


def run_handler(
    handler, make_arg=None, *, session_store: dict | None = None, session_id: str = "sess-1"
) -> ChainlitContext:
    """Run one handler inside a fake Chainlit session; returns the context whose emitter recorded the calls."""

    async def go() -> ChainlitContext:
        session = Mock(spec=WebsocketSession)
        session.id, session.thread_id, session.user = session_id, f"thread-{session_id}", None
        session.user_env, session.chat_settings, session.files = {}, {}, {}
        session.client_type, session.has_first_interaction = "webapp", True
        session.chat_profile = None
        emitter = AsyncMock(spec=BaseChainlitEmitter)
        emitter.session = session
        ctx = ChainlitContext(session, emitter)
        token = context_var.set(ctx)
        store = session_store if session_store is not None else {}
        user_sessions[session.id] = store
        try:
            await (handler(make_arg()) if make_arg else handler())
        finally:
            context_var.reset(token)
        return ctx

    return asyncio.run(go())


def sent_steps(ctx: ChainlitContext) -> list[dict]:
    calls = ctx.emitter.send_step.call_args_list + ctx.emitter.update_step.call_args_list
    calls += ctx.emitter.stream_start.call_args_list
    return [c.args[0] for c in calls]


def texts(ctx: ChainlitContext) -> str:
    """Everything written to the page: message and step outputs plus streamed tokens."""
    outputs = [s.get("output") or "" for s in sent_steps(ctx)]
    tokens = [c.kwargs.get("token", "") for c in ctx.emitter.send_token.call_args_list]
    return "\n".join(outputs) + "".join(tokens)


def elements(ctx: ChainlitContext) -> list[dict]:
    return [c.args[0] for c in ctx.emitter.send_element.call_args_list]


@pytest.fixture
def web(tmp_path, monkeypatch):
    """The web app's process state pointed at a fresh database, offline."""
    monkeypatch.setenv("PROMOPILOT_DB", str(tmp_path / "web.duckdb"))
    for cached in (webapp.settings, webapp.get_db, webapp.agent):
        cached.cache_clear()
    yield webapp
    webapp.get_db().close()
    for cached in (webapp.settings, webapp.get_db, webapp.agent):
        cached.cache_clear()


def test_an_empty_message_gets_a_hint_and_no_agent_run(web):
    ctx = run_handler(web.on_message, lambda: cl.Message(content="   "))
    assert "Type a request" in texts(ctx)
    assert not [s for s in sent_steps(ctx) if s["type"] == "tool"]


def test_the_welcome_screen_greets_and_offers_the_first_steps(web):
    (profile,) = asyncio.run(web.chat_profiles())  # a sole profile: its text shows, no profile picker
    assert profile.default and "Welcome to PromoPilot" in profile.markdown_description
    assert [s.message for s in profile.starters][:3] == [
        "generate 5000 demo customers",
        "check the data",
        "segment customers",
    ]


def test_a_request_shows_the_tool_step_its_table_and_streams_the_answer(web):
    store: dict = {}
    ctx = run_handler(web.on_message, lambda: cl.Message(content="generate 60 demo customers"), session_store=store)

    tool_steps = [s for s in sent_steps(ctx) if s["type"] == "tool"]
    assert tool_steps[0]["name"] == "generate demo data"
    assert json.loads(tool_steps[0]["input"]) == {"customers": 60}
    assert any("Generated 60 customers" in (s.get("output") or "") for s in tool_steps)
    assert [e["type"] for e in elements(ctx)] == ["file", "dataframe"], "a CSV download, and the full table"
    assert ctx.emitter.send_token.call_count > 3, "the answer streams"
    assert "check the data" in texts(ctx)
    assert web.get_db().scalar("SELECT count(*) FROM customers") == 60
    assert len(store["conversation"].messages) == 4  # user, tool call, tool result, answer
    assert "tokens this conversation" not in texts(ctx), "the offline planner uses no tokens: no count shown"


def test_two_chats_each_keep_their_own_shortlist(web):
    from tools.registry import run_tool

    run_tool(session.user_ctx(), "generate_demo_data", customers=60, products=20)
    a, b, c = web.get_db().df("SELECT sku FROM products ORDER BY sku LIMIT 3")["sku"]
    stores: dict[str, dict] = {"tab-1": {}, "tab-2": {}}

    def say(tab: str, text: str) -> str:
        ctx = run_handler(web.on_message, lambda: cl.Message(content=text), session_store=stores[tab], session_id=tab)
        return texts(ctx)

    say("tab-1", f"shortlist SKU {a} {b}")
    say("tab-2", f"shortlist SKU {c}")  # the other marketer, at the same time
    first, second = say("tab-1", "show the shortlist"), say("tab-2", "show the shortlist")
    name = dict(web.get_db().execute("SELECT sku, name FROM products").fetchall())  # names in words, SKUs in tables
    assert f"This chat's shortlist holds 2: {name[a]} and {name[b]}." in first and name[c] not in first
    assert f"This chat's shortlist holds 1: {name[c]}." in second and name[a] not in second
    lists = web.get_db().rows("SELECT name, list(sku ORDER BY position) AS skus FROM shortlists GROUP BY 1 ORDER BY 1")
    assert lists == [{"name": "chat-tab-1", "skus": [a, b]}, {"name": "chat-tab-2", "skus": [c]}]
    assert web.agent().ctx.chat_id is None, "the shared agent itself belongs to no chat"


def test_a_restart_forgets_earlier_chats_shortlists_but_keeps_named_ones(web):
    from tools.registry import run_tool

    run_tool(session.user_ctx(), "generate_demo_data", customers=60, products=20)
    a, b = web.get_db().df("SELECT sku FROM products ORDER BY sku LIMIT 2")["sku"]
    run_tool(session.user_ctx("tab-1"), "shortlist_add", skus=[a])
    run_tool(session.user_ctx(), "shortlist_add", skus=[b], shortlist="spring")
    asyncio.run(web.on_app_startup())
    assert web.get_db().rows("SELECT name, sku FROM shortlists") == [{"name": "spring", "sku": b}]


def test_a_progressing_tool_updates_its_step():
    async def show() -> None:
        view = webapp.TurnView()
        await view.show(ToolStart("c1", "campaign_send", {"campaign_id": 1}))
        await view.show(ToolProgress("c1", "campaign_send", "Sending", 40, 100))
        await view.show(ToolEnd("c1", "campaign_send", {}, ToolResult(summary="Sent 100."), None, 0.1))

    ctx = run_handler(show)
    updates = [c.args[0] for c in ctx.emitter.update_step.call_args_list]
    assert [u["output"] for u in updates] == ["Sending: 40/100 (40%)", "Sent 100."]
    assert updates[0]["start"] and not updates[0]["end"], "running: the step says 'Using campaign_send'"
    assert updates[1]["end"], "ended: 'Used campaign_send'"
    assert not ctx.emitter.delete_step.called, "a quick tool gets no separate progress line"


def asked_to_send(web, draft, store: dict) -> tuple[ChainlitContext, dict]:
    """An approved campaign, and "send campaign N" typed in the chat: (the page, the Confirm button)."""
    from tools.registry import run_tool

    campaign_id, version = draft
    run_tool(session.user_ctx(), "campaign_approve", campaign_id=campaign_id, version=version)  # the button
    ctx = run_handler(web.on_message, lambda: cl.Message(content=f"send campaign {campaign_id}"), session_store=store)
    buttons = {c.args[1]["name"]: c.args[1] for c in ctx.emitter.emit.call_args_list if c.args[0] == "action"}
    return ctx, buttons


def press(web, button: dict, store: dict) -> ChainlitContext:
    handler = {"confirm": web.on_confirm, "cancel": web.on_cancel}[button["name"]]
    return run_handler(handler, lambda: cl.Action(name=button["name"], payload=button["payload"]), session_store=store)


def test_send_in_the_chat_asks_first_and_confirm_sends_once(mail_sink, web, draft):
    store: dict = {}
    asked, buttons = asked_to_send(web, draft, store)

    assert re.search(rf"Send campaign {draft[0]} \(“.+”\) to 2\d\d customers now\?", texts(asked))
    assert set(buttons) == {"confirm", "cancel"} and mail_sink.received.total() == 0
    assert web.get_db().scalar("SELECT count(*) FROM messages") == 0

    done = press(web, buttons["confirm"], store)
    sent = web.get_db().scalar("SELECT count(*) FROM messages WHERE status = 'sent'")
    assert sent > 150 and mail_sink.received.total() == sent and set(mail_sink.received.values()) == {1}
    assert "is sent" in texts(done)
    assert "smtp://" not in texts(done), "the mail server's address is not the marketer's word"
    assert "how did it do?" in texts(done), "what to do next: see how it does"
    assert "confirmed campaign_send" in store["conversation"].messages[-1]["content"], "the model is told"

    again = press(web, buttons["confirm"], store)
    assert "already answered" in texts(again) and mail_sink.received.total() == sent, "a Confirm counts once"


def test_cancel_sends_nothing(mail_sink, web, draft):
    store: dict = {}
    _, buttons = asked_to_send(web, draft, store)

    cancelled = press(web, buttons["cancel"], store)

    assert "nothing was changed" in texts(cancelled)
    assert mail_sink.received.total() == 0 and web.get_db().scalar("SELECT count(*) FROM messages") == 0
    assert web.get_db().scalar("SELECT status FROM campaigns") == "approved"
    assert "already answered" in texts(press(web, buttons["confirm"], store)), "Cancel used up the question"
    assert mail_sink.received.total() == 0


def test_a_confirmed_send_shows_live_progress_in_the_chat_while_it_runs(mail_sink, web, draft):
    store: dict = {}
    _, buttons = asked_to_send(web, draft, store)

    ctx = press(web, buttons["confirm"], store)

    sent = web.get_db().scalar("SELECT count(*) FROM messages WHERE status = 'sent'")
    assert sent > 150 and mail_sink.received.total() == sent, "two batches of 150 at most"
    page = [(name, args[0]) for name, args, _ in ctx.emitter.mock_calls if name.endswith("_step")]
    line_id = next(d["id"] for n, d in page if n == "send_step" and d["output"].startswith("Sending campaign"))
    line = [(i, n, d["output"]) for i, (n, d) in enumerate(page) if d["id"] == line_id]
    counts = [int(m.group(1)) for _, _, out in line if (m := re.search(r": ([\d,]+)/", out))]
    assert counts[0] == 0 and 0 < counts[1] < sent, f"shown before the first batch, moved after it: {counts}"
    send_ended = next(i for i, (n, d) in enumerate(page) if d["name"] == "campaign send" and d.get("end"))
    assert [n for i, n, _ in line if i > send_ended] == ["delete_step"], "the line goes when the send ends"
    assert "is sent" in page[send_ended][1]["output"]


def test_a_draft_shows_a_sandboxed_preview_with_three_decision_buttons(web):
    request = ApprovalRequest(campaign_id=7, version=2, subject="Hello", preview_html="<p>Hi</p>")
    ctx = run_handler(lambda: show_approval(request))

    (preview,) = elements(ctx)
    assert preview["type"] == "custom" and preview["name"] == "EmailPreview"
    assert preview["props"] == {"html": "<p>Hi</p>", "subject": "Hello"}
    actions = [c.args[1] for c in ctx.emitter.emit.call_args_list if c.args[0] == "action"]
    assert [(a["name"], a["payload"]) for a in actions] == [
        (name, {"campaign_id": 7, "version": 2}) for name in ("approve", "revise", "reject")
    ]


def test_a_preview_for_a_named_customer_says_who_it_is_on_the_marketers_screen(web):
    who = "3 customers are called Anna; this is Anna Kowalski (customer C0000123)."
    request = ApprovalRequest(campaign_id=7, version=2, subject="Hello", preview_html="<p>Hi Anna</p>", shown_as=who)
    ctx = run_handler(lambda: show_approval(request))
    assert who in texts(ctx)


def test_approve_on_a_campaign_that_does_not_exist_explains_and_approves_nothing(web):
    action = cl.Action(name="approve", payload={"campaign_id": 999, "version": 1}, label="Approve")
    ctx = run_handler(web.on_approve, lambda: action)
    step = next(s for s in sent_steps(ctx) if s["type"] == "tool" and s.get("output"))
    assert step["name"] == "campaign approve" and step["isError"]
    assert web.get_db().scalar("SELECT count(*) FROM campaigns WHERE status = 'approved'") == 0


def test_an_upload_that_is_not_data_gets_an_explanation(web, tmp_path):
    picture = tmp_path / "logo.png"
    picture.write_bytes(b"\x89PNG\r\n")
    upload = SimpleNamespace(name="logo.png", path=str(picture), mime="image/png")
    ctx = run_handler(web.on_message, lambda: cl.Message(content="", elements=[upload]))
    assert "not a data file" in texts(ctx)
    assert web.get_db().scalar("SELECT count(*) FROM customers") == 0


def test_a_bug_in_a_button_or_upload_tool_is_a_message_and_the_chat_goes_on(web, tmp_path, monkeypatch):
    csv = tmp_path / "customers.csv"
    csv.write_text("customer_id,email\nC1,a@example.com\n")
    upload = SimpleNamespace(name="customers.csv", path=str(csv), mime="text/csv")

    def broken(ctx, name, arguments):
        raise RuntimeError("disk on fire")

    async def upload_then_talk() -> None:
        with monkeypatch.context() as patch:
            patch.setattr(web, "run_tool", broken)
            await web.on_message(cl.Message(content="", elements=[upload]))
        await web.on_message(cl.Message(content="help"))

    ctx = run_handler(upload_then_talk)
    step = next(s for s in sent_steps(ctx) if s["type"] == "tool" and s.get("output"))
    assert step["isError"] and "import_data failed unexpectedly (RuntimeError: disk on fire)" in step["output"]
    assert "bug in PromoPilot" in texts(ctx)
    assert "I can take you from data to a sent campaign" in texts(ctx), "the next message is answered"


def test_an_uploaded_product_csv_is_imported_as_the_user(web, tmp_path):
    csv = tmp_path / "new_products.csv"
    csv.write_text(
        "sku,name,category,brand,cost,margin,price,stock\nOUT-1,Rain Coat,Outerwear,Northlane,40,0.8,72,30\n"
    )
    upload = SimpleNamespace(name="new_products.csv", path=str(csv), mime="text/csv")
    ctx = run_handler(web.on_message, lambda: cl.Message(content="", elements=[upload]))
    step = next(s for s in sent_steps(ctx) if s["type"] == "tool" and s.get("output"))
    assert json.loads(step["input"])["kind"] == "products"
    assert web.get_db().scalar("SELECT name FROM products WHERE sku = 'OUT-1'") == "Rain Coat"


def test_a_failed_upload_is_retried_when_the_person_says_which_column_is_which(web, tmp_path):
    """No need to attach the file again: "Client is the customer id" imports the upload that failed for it."""
    csv = tmp_path / "crm.csv"
    csv.write_text("Client,Mail,Spent\nA1,a@example.com,10\nA2,b@example.com,20\n")
    upload = SimpleNamespace(name="crm.csv", path=str(csv), mime="text/csv")
    store: dict = {}
    failed = run_handler(web.on_message, lambda: cl.Message(content="", elements=[upload]), session_store=store)
    assert "just tell me which column it is, e.g. *Client is the customer id*" in texts(failed)
    assert web.get_db().scalar("SELECT count(*) FROM customers") == 0
    retried = run_handler(web.on_message, lambda: cl.Message(content="Client is the customer id"), session_store=store)
    assert web.get_db().rows("SELECT customer_id, email FROM customers ORDER BY 1") == [
        {"customer_id": "A1", "email": "a@example.com"},
        {"customer_id": "A2", "email": "b@example.com"},
    ]
    assert "Imported 2" in texts(retried)
    again = run_handler(web.on_message, lambda: cl.Message(content="Client is the customer id"), session_store=store)
    assert web.get_db().scalar("SELECT count(*) FROM customers") == 2
    assert not any(json.loads(s["input"] or "{}").get("kind") for s in sent_steps(again) if s["type"] == "tool"), (
        "once it worked, the same words do not import it again"
    )


def test_a_failed_upload_is_retried_when_the_person_says_how_the_dates_are_written(web, tmp_path):
    """Dates that could be day/month or month/day were refused with "--date-format", a flag the chat has not got,
    so the chat gave the reason and no way on: now it says what to say, and saying it imports the file."""
    csv = tmp_path / "orders.csv"
    csv.write_text("order id,customer id,order date,amount\nO1,C1,03/04/2024,10\nO2,C2,05/06/2024,20\n")
    upload = SimpleNamespace(name="orders.csv", path=str(csv), mime="text/csv")
    store: dict = {}
    failed = run_handler(web.on_message, lambda: cl.Message(content="orders", elements=[upload]), session_store=store)
    assert "could be day/month or month/day" in texts(failed) and "*the dates are day first*" in texts(failed)
    assert "--date-format" not in texts(failed)
    assert web.get_db().scalar("SELECT count(*) FROM orders") == 0
    run_handler(web.on_message, lambda: cl.Message(content="the dates are day first"), session_store=store)
    assert [str(d) for d in web.get_db().df("SELECT ordered_at FROM orders ORDER BY order_id")["ordered_at"]] == [
        "2024-04-03 00:00:00",
        "2024-06-05 00:00:00",
    ]


def test_a_model_service_that_is_down_gives_a_message_and_the_session_goes_on(web, fake_openai, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    web.settings.cache_clear()
    web.agent.cache_clear()
    web.agent().model.max_wait = 0.01
    for _ in range(4):
        fake_openai.fault(500)
    fake_openai.reply(content="I am back.")

    async def two_messages() -> None:
        await web.on_message(cl.Message(content="hello"))
        await web.on_message(cl.Message(content="hello again"))

    shown = texts(run_handler(two_messages))
    assert "not answering" in shown
    assert shown.index("not answering") < shown.index("I am back.")


def test_with_a_model_each_answer_ends_with_the_conversations_token_count(web, fake_openai, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    web.settings.cache_clear()
    web.agent.cache_clear()
    fake_openai.reply(tool_calls=[{"name": "generate_demo_data", "arguments": {"customers": 20, "products": 5}}])
    fake_openai.reply(content="Done: 20 customers.")
    fake_openai.reply(content="Anything else?")
    store: dict = {}

    def say(text: str) -> ChainlitContext:
        return run_handler(web.on_message, lambda: cl.Message(content=text), session_store=store)

    first = say("make some demo data")  # two model calls (the tool call, then the answer), 15 tokens each
    page = [args[0] for name, args, _ in first.emitter.mock_calls if name in ("send_step", "update_step")]
    answer = [s["output"] for s in page if s["type"] == "assistant_message" and s["output"].startswith("Done")]
    final = answer[-1]  # the answer message as it ends (the tables come after it)
    assert final == "Done: 20 customers.\n\n*30 tokens this conversation*"
    second = say("thanks")
    assert "Anything else?\n\n*45 tokens this conversation*" in texts(second), "counted over the whole conversation"
    assert store["conversation"].usage.total_tokens == 45


def test_tracking_links_are_served_ahead_of_chainlits_catch_all(web):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    server = FastAPI()

    @server.get("/{full_path:path}")
    def spa(full_path: str) -> str:
        return "the chat page"

    pages.mount_tracking(server, web.get_db, web.settings())
    mounted = len(server.router.routes)
    pages.mount_tracking(
        server, web.get_db, web.settings()
    )  # chainlit's watch mode imports app.py again: nothing is added twice
    assert len(server.router.routes) == mounted
    client = TestClient(server)
    assert client.get("/t/c/not-a-valid-token", follow_redirects=False).status_code == 404
    assert client.get("/anything-else").json() == "the chat page"


def test_the_chat_page_asks_no_other_host_for_anything(monkeypatch):
    import chainlit.server as server

    external = re.compile(r'(?:href|src|content)="(?:https?:)?//[^"]*"')
    assert external.search(server.get_html_template("")), "Chainlit's own page links to Google Fonts and a CDN"
    monkeypatch.setattr(server, "get_html_template", server.get_html_template)  # restored after the test
    pages.keep_page_local(server)
    pages.keep_page_local(server)  # app.py imported twice (watch mode) wraps once

    page = server.get_html_template("")
    assert external.findall(page) == []
    assert re.search(r'<script type="module"[^>]*src="/assets/index-[^"]+\.js"', page), "the app itself still loads"
    assert 'href="/public/promopilot.css"' in page and "--primary" in page, "our stylesheet and theme stay"


@pytest.fixture
def mail_sink(monkeypatch):
    """The embedded SMTP sink; at 75 messages/s (batches of 150) a 200-customer send is two batches."""
    from tests.smtp_server import free_port
    from tools.campaigns.smtp_sink import start_sink

    sink = start_sink(directory=None, port=free_port())
    monkeypatch.setenv("PROMOPILOT_SMTP_URL", sink.url)
    monkeypatch.setenv("PROMOPILOT_SEND_RATE", "75")
    yield sink
    sink.stop()


@pytest.fixture
def draft(web):
    """A drafted campaign in the web app's database: (campaign_id, version)."""
    from tools.registry import run_tool

    ctx = session.user_ctx()
    run_tool(ctx, "generate_demo_data", customers=200, products=40)
    sku = ctx.db.scalar("SELECT sku FROM products ORDER BY stock DESC LIMIT 1")
    approval = run_tool(ctx, "campaign_draft", skus=[sku], variants=1).approval
    return approval.campaign_id, approval.version


def test_the_approve_button_approves_that_version_as_the_user(web, draft):
    campaign_id, version = draft
    store: dict = {}
    action = cl.Action(name="approve", payload={"campaign_id": campaign_id, "version": version}, label="Approve")
    ctx = run_handler(web.on_approve, lambda: action, session_store=store)

    row = web.get_db().rows("SELECT status, approved_version, approved_by FROM campaigns")[0]
    assert row == {"status": "approved", "approved_version": version, "approved_by": "chat user"}
    assert "send it" in texts(ctx)
    assert "promopilot" not in texts(ctx), "the chat shows no command line"
    assert f"campaign {campaign_id}" in store["conversation"].messages[-1]["content"], "the model is told"


def test_the_revise_button_asks_what_to_change_and_makes_a_new_version(web, draft, monkeypatch):
    campaign_id, version = draft

    async def answer(self):
        return {"output": "make it shorter"}

    monkeypatch.setattr(cl.AskUserMessage, "send", answer)
    action = cl.Action(name="revise", payload={"campaign_id": campaign_id, "version": version}, label="Revise")
    ctx = run_handler(web.on_revise, lambda: action)

    revised = next(s for s in sent_steps(ctx) if s["name"] == "campaign revise")
    assert json.loads(revised["input"]) == {
        "campaign_id": campaign_id,
        "instruction": f"Revise campaign {campaign_id}: make it shorter",
    }
    assert web.get_db().scalar("SELECT max(version) FROM campaign_versions") == version + 1
    assert [a["name"] for c in ctx.emitter.emit.call_args_list if c.args[0] == "action" for a in [c.args[1]]][:1] == [
        "approve"
    ], "the new version comes with its own buttons"


def test_the_reject_button_drops_the_draft(web, draft):
    campaign_id, version = draft
    action = cl.Action(name="reject", payload={"campaign_id": campaign_id, "version": version}, label="Reject")
    run_handler(web.on_reject, lambda: action)
    assert web.get_db().scalar("SELECT status FROM campaigns") != "draft"


def page_order(ctx: ChainlitContext) -> list[str]:
    """What reached the page, in order: "answer" (the streamed text), a table's title, "buttons: ..."."""
    seen = []
    for name, args, _ in ctx.emitter.mock_calls:
        if name == "stream_start" and args[0].get("type") == "assistant_message":
            seen.append("answer")
        elif name == "send_step" and (args[0].get("output") or "").startswith("**"):
            seen.append(args[0]["output"].split("**")[1])
        elif name == "emit" and args[0] == "action":
            seen.append(f"button: {args[1]['label']}")
    return seen


def test_the_answer_comes_first_then_one_compact_table_then_next_steps_as_buttons(web):
    ctx = run_handler(web.on_message, lambda: cl.Message(content="generate 60 demo customers"))
    order = page_order(ctx)
    tables = [x for x in order if x != "answer" and not x.startswith("button")]
    assert order[0] == "answer" and len(tables) == 1, f"the answer, then one compact table: {order}"
    assert "button: Check the data" in order, "the suggested next step is a button"
    table = next(s["output"] for s in sent_steps(ctx) if (s.get("output") or "").startswith("**"))
    header = next(line for line in table.splitlines() if line.startswith("| "))
    assert 1 <= header.count("|") - 1 <= 6, "at most six key columns"
    assert "_" not in header, "column labels in words"
    full_table = next(s for s in sent_steps(ctx) if s["name"].startswith("full table: "))
    assert full_table["type"] == "tool" and not full_table.get("defaultOpen"), "the full table waits, collapsed"
    assert "promopilot" not in texts(ctx) and not re.search(r"\s--\w", texts(ctx)), "no command lines in the chat"


def test_an_unclear_request_offers_its_readings_as_buttons_and_a_press_acts_on_it(web, monkeypatch):
    from assistant.planner import model
    from tools.registry import run_tool

    monkeypatch.setattr(model, "SURE", 1.1)  # whatever the classifier's figures, this request is unclear

    run_tool(session.user_ctx(), "generate_demo_data", customers=60, products=20)
    run_tool(session.user_ctx(), "segment_run", k=3)
    store: dict = {}
    ctx = run_handler(web.on_message, lambda: cl.Message(content="the numbers for group 2 please"), session_store=store)
    actions = [c.args[1] for c in ctx.emitter.emit.call_args_list if c.args[0] == "action"]
    assert "Did you mean" in texts(ctx) and "could not work out" not in texts(ctx)
    readings = {a["payload"]["label"]: a for a in actions if a["name"] == "reading"}
    assert "describe one segment" in readings and 2 <= len(readings) <= 3

    chosen = readings["describe one segment"]
    action = cl.Action(name="reading", payload=chosen["payload"], label=chosen["label"])
    pressed = run_handler(web.on_reading, lambda: action, session_store=store)
    steps = [s for s in sent_steps(pressed) if s["type"] == "tool"]
    assert steps[0]["name"] == "segment show" and json.loads(steps[0]["input"]) == {"segment": 2}
