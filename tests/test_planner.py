"""The offline planner: plain requests become the right tool calls, and the whole journey works without a key."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from assistant.chat_elements import next_steps
from assistant.loop import Agent, Conversation, Done, Token, ToolEnd, ToolStart
from assistant.planner.memory import Memory, Request, Step, read_request
from assistant.planner.model import OfflinePlanner, choose
from assistant.planner.vocabulary import Vocabulary
from storage.errors import UserError
from storage.shop import get_currency
from tools.data import vocabulary as catalog
from tools.registry import load_all, run_tool

# The demo shop's words, as the database would give them.
SHOP = Vocabulary(
    categories=list(catalog.CATEGORIES), brands=[b for tier in catalog.BRAND_TIERS.values() for b in tier]
)


def first_call(text: str, memory: Memory | None = None) -> tuple[str, dict] | None:
    plan = choose(Request(text=text, memory=memory or Memory(), done=[], vocabulary=lambda: SHOP))
    return plan.calls[0] if plan.calls else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("generate 5000 demo customers", ("generate_demo_data", {"customers": 5000})),
        ("Generate 20k customers with defects", ("generate_demo_data", {"customers": 20000, "defects": 0.05})),
        ("check the data", ("validate_data", {})),
        ("fix the data", ("validate_data", {"fix": True})),
        ("segment customers", ("segment_sweep", {})),
        ("segment customers into 4 segments", ("segment_run", {"k": 4})),
        (
            "show products with margin over 60% and stock above 100",
            ("find_products", {"min_margin": 0.6, "min_stock": 101}),  # above 100: 101 or more
        ),
        ("show outerwear products priced under 80", ("find_products", {"price_max": 80.0, "category": ["Outerwear"]})),
        ("which segment fits SKU OUT-000123", ("match_segments", {"product": ["OUT-000123"]})),
        (
            "which customers would buy the new trench coats?",
            ("find_products", {"search": "trench coat", "sort": "newest", "limit": 5}),
        ),
        (
            "draft an email for segment 2 about SKU OUT-000123 and show me three subject lines",
            ("campaign_draft", {"skus": ["OUT-000123"], "segment": 2, "variants": 3}),
        ),
        ("send it", ("campaign_list", {})),
        ("how did it do?", ("campaign_list", {})),
        ("list my campaigns", ("campaign_list", {})),
    ],
)
def test_plain_requests_become_tool_calls(text, expected):
    assert first_call(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # "fewer than 10 in stock" listed every product with at least 1, most stock first
        ("which products have fewer than 10 in stock", {"max_stock": 9, "sort": "stock_asc"}),
        ("products with 5 or fewer left", {"max_stock": 5, "sort": "stock_asc"}),
        ("stock below 3", {"max_stock": 2, "sort": "stock_asc"}),
        ("show me items with more than 300 in stock", {"min_stock": 301}),
        ("products with at least 50 units in stock", {"min_stock": 50}),
        ("what's sold out", {"max_stock": 0, "sort": "stock_asc"}),
        ("what's almost sold out", {"sort": "stock_asc"}),
        ("anything we need to reorder?", {"sort": "stock_asc"}),  # it listed the most stocked first
        ("how many jackets do we have left", {"search": "jacket"}),  # every product, unfiltered
    ],
)
def test_stock_levels_asked_in_words_are_the_filters(text, expected):
    assert first_call(text) == ("find_products", expected)


# Phrasings a marketer types, beyond the documented examples (found by chatting with the planner).
def offline(ctx) -> OfflinePlanner:
    """The planner as the app makes it: with the shop's own vocabulary from its database."""
    return OfflinePlanner(lambda: Vocabulary.from_db(ctx.db))


CAMPAIGN_4 = Memory(campaign_id=4, skus=["OUT-000001"], segment=3)
PICKED = Memory(skus=["OUT-000001", "OUT-000002"])


@pytest.mark.parametrize(
    ("text", "memory", "expected"),
    [
        # data
        ("are there problems in my data?", None, ("validate_data", {})),
        ("any issues with the data?", None, ("validate_data", {})),
        ("show me the data issues", None, ("list_data_issues", {})),
        ("repair the problems", None, ("validate_data", {"fix": True})),
        ("valdiate the data", None, ("validate_data", {})),
        ("whats in my database", None, ("data_overview", {})),
        # segments
        ("split my customers into groups", None, ("segment_sweep", {})),
        ("make 6 clusters", None, ("segment_run", {"k": 6})),
        ("segemnt customers", None, ("segment_sweep", {})),
        ("call segment 2 'Bargain hunters'", None, ("segment_rename", {"segment": 2, "name": "Bargain hunters"})),
        ("rename segment 1 to Loyal fans", None, ("segment_rename", {"segment": 1, "name": "Loyal fans"})),
        ('name segment 3 "Big spenders"', None, ("segment_rename", {"segment": 3, "name": "Big spenders"})),
        ("which segment should get these?", PICKED, ("match_segments", {"product": PICKED.skus})),
        # products
        ("show me dresses under 50 euros", None, ("find_products", {"price_max": 50.0, "category": ["Dresses"]})),
        ("products over €100", None, ("find_products", {"price_min": 100.0})),
        ("top 5 products by margin", None, ("find_products", {"sort": "margin_desc", "limit": 5})),
        ("what's overstocked?", None, ("find_products", {"sort": "stock_desc"})),
        ("what's running low on stock?", None, ("find_products", {"sort": "stock_asc"})),
        ("show me the cheapest shoes", None, ("find_products", {"category": ["Shoes"], "sort": "price_asc"})),
        ("most expensive products", None, ("find_products", {"sort": "price_desc"})),
        ("newest arrivals", None, ("find_products", {"sort": "newest"})),
        ("find jackets", None, ("find_products", {"search": "jacket"})),
        ("I want to promote coats", None, ("find_products", {"search": "coat"})),
        ("find me some jackets under 100", None, ("find_products", {"search": "jacket", "price_max": 100.0})),
        ("anything in stock under 30 quid", None, ("find_products", {"price_max": 30.0, "min_stock": 1})),
        ("show me the 5 newest jackets", None, ("find_products", {"search": "jacket", "sort": "newest", "limit": 5})),
        ("find the three cheapest coats", None, ("find_products", {"search": "coat", "sort": "price_asc", "limit": 3})),
        ("show us a few scarves", None, ("find_products", {"search": "scarf"})),
        ("got any puffer jackets?", None, ("find_products", {"search": "puffer jacket"})),
        ("find the cheapest coats", None, ("find_products", {"search": "coat", "sort": "price_asc"})),
        ("show me knitwear", None, ("find_products", {"category": ["Knitwear"]})),
        ("remove OUT-000002 from the shortlist", PICKED, ("shortlist_remove", {"skus": ["OUT-000002"]})),
        # matching
        ("who should I target with OUT-000012?", None, ("rank_customers", {"product": ["OUT-000012"], "top": 20})),
        # the campaign
        (
            "give me 3 subject lines",
            CAMPAIGN_4,
            ("campaign_revise", {"campaign_id": 4, "instruction": "give me 3 subject lines"}),
        ),
        (
            "add a discount code",
            CAMPAIGN_4,
            ("campaign_revise", {"campaign_id": 4, "instruction": "add a discount code"}),
        ),
        (
            "add the code SPRING20 for 10% off",
            CAMPAIGN_4,
            ("campaign_revise", {"campaign_id": 4, "instruction": "add the code SPRING20 for 10% off"}),
        ),
        (
            "include promo code WELCOME5 in variant B",
            CAMPAIGN_4,
            ("campaign_revise", {"campaign_id": 4, "instruction": "include promo code WELCOME5 in variant B"}),
        ),
        (
            "preview it for customer C0000042",
            CAMPAIGN_4,
            ("campaign_preview", {"campaign_id": 4, "customer": "C0000042"}),
        ),
        ("show me variant B", CAMPAIGN_4, ("campaign_preview", {"campaign_id": 4, "variant": "B"})),
        ("show campaign 1", CAMPAIGN_4, ("campaign_preview", {"campaign_id": 1})),
        ("how many emails were opened?", CAMPAIGN_4, ("campaign_report", {"campaign_id": 4})),
        ("what's the click rate?", CAMPAIGN_4, ("campaign_report", {"campaign_id": 4})),
        ("email segment 2 about OUT-000009", None, ("campaign_draft", {"skus": ["OUT-000009"], "segment": 2})),
        ("how many customers are in each segment?", None, ("segment_list", {})),
        ("GO AHEAD AND SEND", CAMPAIGN_4, ("campaign_send", {"campaign_id": 4})),
    ],
)
def test_a_marketers_phrasings_become_the_right_call(text, memory, expected):
    assert first_call(text, memory) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("export the customers to a csv", "CSV download"),
        ("hi", "I can take you from data to a sent campaign"),
        ("Thanks!", "You're welcome."),
        ("ty", "You're welcome."),
        ("that's brilliant, thank you so much", "You're welcome."),  # long, but nothing else it could be
        ("k", "Tell me what you would like to do next."),  # not "k" as in the number of segments
        ("nvm", "No problem."),
        ("ok bye", "Bye for now."),
    ],
)
def test_requests_the_planner_must_not_act_on_are_answered(text, says):
    plan = choose(Request(text, CAMPAIGN_4, []))
    assert not plan.calls
    assert says in plan.answer and "could not work out" not in plan.answer
    assert "promopilot" not in plan.answer and "--" not in plan.answer, "no command lines in chat text"


@pytest.mark.parametrize(
    ("text", "allowed", "expected"),
    [
        ("send me a test email", ("me@shop.com",), {"to": "me@shop.com"}),
        ("send it to myself first", ("me@shop.com",), {"to": "me@shop.com"}),
        ("send a test to bob@example.org", ("me@shop.com",), {"to": "bob@example.org"}),  # the tool refuses it
        ("send me a test as Anna would get it", ("me@shop.com",), {"to": "me@shop.com", "customer": "Anna"}),
        ("send me a test email", (), {}),  # the tool says what to set
        ("send me a test email", ("me@shop.com", "team@shop.com"), None),  # asks which
        ("send a test to my boss", ("me@shop.com",), None),  # asks: the boss may not be the address allowed
        ("send a test to a@shop.com, b@shop.com", ("a@shop.com", "b@shop.com"), None),  # one at a time
        ("send a test to b@shop.com as Anna would get it", ("a@shop.com",), {"to": "b@shop.com", "customer": "Anna"}),
    ],
)
def test_a_test_copy_goes_to_an_allowed_address_never_to_the_campaign(text, allowed, expected):
    """A test copy is never `campaign_send` (which would mail every customer); the tool checks the address."""
    plan = choose(Request(text, CAMPAIGN_4, [], test_addresses=allowed))
    call = plan.calls[0] if plan.calls else None
    assert call == (None if expected is None else ("campaign_test_send", {"campaign_id": 4, **expected}))
    if expected is None:
        assert "address" in plan.answer


def test_asked_which_address_the_buttons_keep_the_customer_named():
    both = ("a@x.com", "b@x.com")
    plan = choose(Request("send me a test as Anna would get it", CAMPAIGN_4, [], test_addresses=both))
    assert next_steps(plan.answer) == [f"send a test to {a} as Anna would get it" for a in both]
    plan = choose(Request("send me a test for C0000012", CAMPAIGN_4, [], test_addresses=both))
    assert next_steps(plan.answer)[0] == "send a test to a@x.com for C0000012"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("don't send it yet", None),
        ("wait before you send", None),
        ("hold off on sending", None),
        ("when should I send it?", ("query_data", None)),  # when the customers order: read-only, no send
        ("can you send it tomorrow at 9?", None),
        ("schedule it for monday", None),
        ("is it sent?", ("campaign_report", {"campaign_id": 4})),
        ("who did we send it to?", ("campaign_recipients", {"campaign_id": 4})),  # the people, count first
        ("resend it to the non-openers", ("campaign_list", {})),  # a follow-up draft: which campaign went out
        ("send it again to everyone who didn't open it", ("campaign_list", {})),
        ("stop sending", ("campaign_pause", {"campaign_id": 4})),
        ("how many people will get it?", ("campaign_reach", {"campaign_id": 4})),  # a count: nothing rendered
        ("simulate the send", ("campaign_send", {"campaign_id": 4, "dry_run": True})),
        ("count them but don't send", ("campaign_reach", {"campaign_id": 4})),
        ("send it to 100 people first", ("campaign_send", {"campaign_id": 4, "limit": 100})),
        ("ok, send it!", ("campaign_send", {"campaign_id": 4})),
    ],
)
def test_only_a_plain_request_sends(text, expected):
    """Once the user has pressed Approve, a misread "don't send it yet" would mail every customer."""
    plan = choose(Request(text, CAMPAIGN_4, []))
    first = plan.calls[0] if plan.calls else None
    if expected and expected[1] is None:  # a read-only query, whatever its SQL
        first = (first[0], None) if first else None
    assert first == expected
    if expected is None:
        assert "*send it*" in plan.answer


def test_a_draft_for_a_segment_by_its_name(demo_ctx):
    run_tool(demo_ctx, "segment_run", k=4)
    run_tool(demo_ctx, "segment_rename", segment=3, name="Bargain hunters")
    sku = run_tool(demo_ctx, "find_products", limit=1).data["skus"][0]
    agent, conversation = Agent(demo_ctx, offline(demo_ctx)), Conversation()

    async def say(text: str) -> list:
        return [
            (e.name, e.arguments) for e in [e async for e in agent.run(conversation, text)] if isinstance(e, ToolStart)
        ]

    assert asyncio.run(say(f"which segment fits {sku}"))[0][0] == "match_segments"
    assert asyncio.run(say("write a campaign for the bargain hunters about them")) == [
        ("segment_list", {}),
        ("campaign_draft", {"skus": [sku], "segment": 3}),
    ], "the named segment, not the best fit the conversation remembers"


def test_a_segment_question_compares_without_resegmenting():
    plan = choose(Request("how many segments should I use?", Memory(), []))
    assert plan.calls == [("segment_sweep", {})]
    swept = Step("segment_sweep", {}, {"ok": True, "summary": "Compared.", "data": {"recommendation": {"k": 5}}})
    plan = choose(Request("how many segments should I use?", Memory(), [swept]))
    assert not plan.calls and "*segment customers into 5 segments*" in plan.answer


def test_next_page_continues_the_last_product_search():
    found = Step("find_products", {"category": ["Shoes"], "limit": 20}, {"ok": True, "data": {"skus": ["SHO-000001"]}})
    request = read_request(
        [
            {"role": "user", "content": "show shoes"},
            {"role": "assistant", "content": None, "tool_calls": [_tool_call("a", found)]},
            {"role": "tool", "tool_call_id": "a", "content": json.dumps(found.result)},
            {"role": "user", "content": "next page"},
        ]
    )
    assert choose(request).calls == [("find_products", {"category": ["Shoes"], "limit": 20, "offset": 20})]


def _tool_call(call_id: str, step: Step) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": step.name, "arguments": json.dumps(step.arguments)}}


def test_those_products_go_on_the_shortlist():
    page = ["OUT-000001", "OUT-000002", "OUT-000003", "OUT-000004"]
    memory = Memory(found=page, skus=page[:3])
    assert first_call("keep the first two", memory) == ("shortlist_add", {"skus": page[:2]})
    assert first_call("add those three to the shortlist", memory) == ("shortlist_add", {"skus": page[:3]})
    assert first_call("shortlist SKU OUT-000004", memory) == ("shortlist_add", {"skus": ["OUT-000004"]})
    assert first_call("show the shortlist", memory) == ("shortlist_show", {})
    assert choose(Request(text="keep them", memory=Memory(), done=[])).answer.startswith("Which products?")


def test_a_product_search_puts_its_first_three_in_play(demo_ctx):
    run_tool(demo_ctx, "segment_run", k=4)
    agent = Agent(demo_ctx, offline(demo_ctx))
    conversation = Conversation()

    async def say(text: str) -> list:
        return [event async for event in agent.run(conversation, text)]

    asyncio.run(say("show outerwear products"))
    asyncio.run(say("keep the first two"))
    shortlisted = demo_ctx.db.df("SELECT sku FROM shortlists ORDER BY position")["sku"].tolist()
    page = run_tool(demo_ctx, "find_products", category=["Outerwear"]).data["skus"]
    assert shortlisted == page[:2]
    events = asyncio.run(say("which segment fits them"))
    assert [(e.name, e.arguments) for e in events if isinstance(e, ToolStart)] == [
        ("match_segments", {"product": page[:2]})
    ]
    best = run_tool(demo_ctx, "match_segments", product=page[:1]).tables[0].rows[0][1]
    answer = "".join(e.text for e in events if isinstance(e, Token))
    assert f"Next: *draft an email for segment {best} about" in answer, "the best-fitting segment is suggested"


def test_the_conversation_remembers_the_campaign_and_the_products():
    memory = Memory(campaign_id=4, skus=["OUT-000001"], segment=3)
    assert first_call("send it", memory) == ("campaign_send", {"campaign_id": 4})
    assert first_call("how did it do?", memory) == ("campaign_report", {"campaign_id": 4})
    assert first_call("make it shorter", memory) == (
        "campaign_revise",
        {"campaign_id": 4, "instruction": "make it shorter"},
    )
    assert first_call("draft an email about them", memory) == ("campaign_draft", {"skus": ["OUT-000001"], "segment": 3})


def test_memory_is_read_from_the_messages_not_kept_in_the_planner():
    messages = [
        {"role": "user", "content": "draft an email for segment 1 about SKU TOP-000001"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "a",
                    "type": "function",
                    "function": {"name": "campaign_draft", "arguments": '{"segment": 1, "skus": ["TOP-000001"]}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": json.dumps({"ok": True, "data": {"campaign_id": 12}})},
        {"role": "assistant", "content": "Draft ready."},
        {"role": "user", "content": "send it"},
    ]
    request = read_request(messages)
    assert (request.memory.campaign_id, request.memory.skus, request.memory.segment) == (12, ["TOP-000001"], 1)
    assert request.text == "send it" and request.done == []
    assert read_request(messages[:1]).memory.campaign_id is None, "another conversation starts empty"


def test_a_dry_run_does_not_promise_a_report():
    counted = Step("campaign_send", {"campaign_id": 4, "dry_run": True}, {"ok": True, "summary": "Would send 264."})
    plan = choose(Request("simulate the send", CAMPAIGN_4, [counted]))
    assert plan.answer == "Would send 264.\n\nSay *send it* to send it for real."


def test_a_refused_send_tells_the_user_to_press_approve():
    refused = Step("campaign_send", {"campaign_id": 3}, {"ok": False, "error": "Campaign 3 is not approved."})
    plan = choose(Request("send it", Memory(campaign_id=3), [refused]))
    assert not plan.calls
    assert "Press **Approve**" in plan.answer and "not approved" in plan.answer


def test_pausing_an_approved_campaign_that_is_not_sending_does_not_ask_to_approve_it():
    error = "Campaign 3 is approved, not sending, so there is nothing to pause."
    refused = Step("campaign_pause", {"campaign_id": 3}, {"ok": False, "error": error})
    answer = choose(Request("pause it", Memory(campaign_id=3), [refused])).answer
    assert answer.startswith(error) and "Approve" not in answer


def test_a_search_that_found_nothing_does_not_offer_to_keep_the_first_three():
    nothing = {"ok": True, "summary": "No products.", "data": {"total": 0}}
    found = Step("find_products", {"search": "this week"}, nothing)
    answer = choose(Request("what should I promote this week?", Memory(), [found])).answer
    assert "keep the first three" not in answer and "*show all products*" in answer


def test_a_draft_without_segments_says_it_is_for_everyone_not_that_matching_failed():
    none = {"ok": False, "error": "There are no customer segments yet."}
    unmatched = Step("match_segments", {"product": ["OUT-1"]}, none)
    drafted = Step("campaign_draft", {"skus": ["OUT-1"]}, {"ok": True, "summary": "Drafted campaign 1.", "data": {}})
    answer = choose(Request("draft an email about them", Memory(skus=["OUT-1"]), [unmatched, drafted])).answer
    assert "Match segments" not in answer and answer.startswith("Drafted campaign 1.")
    assert "all customers" in answer and "*segment customers*" in answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("show me the drafts", {"status": "draft"}),
        ("which campaigns have been sent", {"status": "sent"}),
        ("list the cancelled campaigns", {"status": "cancelled"}),
        ("list my campaigns", {}),
    ],
)
def test_campaigns_are_listed_by_their_state_when_one_is_named(text, expected):
    assert choose(Request(text, Memory(), [])).calls == [("campaign_list", expected)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("which campaigns did we cancel", {"status": "cancelled"}), ("which ones have gone out", {"status": "sent"})],
)
def test_a_state_said_as_a_verb_lists_those_campaigns(text, expected):
    plan = choose(Request(text, Memory(), [], chosen="list the campaigns"))
    assert plan.calls == [("campaign_list", expected)]


def test_cheap_products_come_cheapest_first():
    assert choose(Request("show me cheap accessories", Memory(), [])).calls[0][1]["sort"] == "price_asc"


def test_a_report_on_a_campaign_not_sent_offers_to_show_it():
    error = {"ok": False, "error": "Campaign 1 has not been sent yet (status: draft)."}
    asked = Step("campaign_report", {"campaign_id": 1}, error)
    answer = choose(Request("how did campaign 1 do", Memory(campaign_id=1), [asked])).answer
    assert answer.startswith("Campaign 1 has not been sent yet") and "Next: *show campaign 1*" in answer


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("list the people who unsubscribed", "unsubscribed"),
        ("how many clicks", None),
        ("how did it do?", None),
    ],
)
def test_who_did_what_lists_those_customers(text, who):
    expected = {"campaign_id": 4} | ({"who": who} if who else {})
    assert choose(Request(text, CAMPAIGN_4, [])).calls == [("campaign_report", expected)]


@pytest.mark.parametrize(("text", "engagement"), [("who clicked", "clicked"), ("which customers opened it", "opened")])
def test_who_opened_or_clicked_is_the_recipients_list_narrowed_to_them(text, engagement):
    assert choose(Request(text, CAMPAIGN_4, [])).calls == [
        ("campaign_recipients", {"campaign_id": 4, "engagement": engagement})
    ]


def test_a_failed_step_is_explained_in_the_marketers_words():
    asked = Step("campaign_revise", {}, {"ok": False, "error": "Which discount code?", "hint": "Add the code X."})
    assert choose(Request("add a discount code", CAMPAIGN_4, [asked])).answer == "Which discount code? Add the code X."
    shown = Step("campaign_preview", {}, {"ok": True, "summary": "Preview of campaign 4."})
    both = choose(Request("revise and show it", CAMPAIGN_4, [asked, shown])).answer
    assert both.startswith("**Campaign revise**: Which discount code?") and "campaign_revise" not in both


def test_approval_is_never_planned_as_a_tool_call():
    plan = choose(Request("approve campaign 3 please", Memory(campaign_id=3), []))
    assert not plan.calls and "Only you can approve" in plan.answer


@pytest.mark.parametrize("text", ["what's the weather?", "", "   "])
def test_requests_it_cannot_understand_get_examples(text):
    plan = choose(Request(text, Memory(), []))
    assert not plan.calls
    assert "generate 5000 demo customers" in plan.answer and "segment customers" in plan.answer


def test_the_answer_streams_in_pieces():
    async def pieces() -> list:
        return [item async for item in OfflinePlanner().stream([{"role": "user", "content": "help"}], [])]

    items = asyncio.run(pieces())
    assert len(items) > 10 and items[-1].content.startswith("I can take you")


# -- the whole journey, offline, through the agent loop --------------------------------------------
JOURNEY = [
    ("generate 600 demo customers with defects", {"generate_demo_data"}),
    ("check the data", {"validate_data"}),
    ("fix the data", {"validate_data"}),
    ("segment customers", {"segment_sweep", "segment_run"}),
    ("show products with margin over 60% and stock above 100", {"find_products"}),
    ("which customers would buy the new trench coats?", {"find_products", "rank_customers"}),
    ("which segment fits them", {"match_segments"}),
    ("draft an email about them and show me three subject lines", {"campaign_draft"}),
    ("make it shorter", {"campaign_revise"}),
    ("send it", {"campaign_send"}),  # refused: not approved yet
]
AFTER_APPROVAL = [("send it", {"campaign_send"}), ("how did it do?", {"campaign_report"})]


class Journey:
    def __init__(self, ctx):
        self.agent = Agent(ctx, offline(ctx))
        self.conversation = Conversation()

    def say(self, text: str, expected_tools: set[str]) -> list:
        missing = sorted(expected_tools - set(load_all()))
        if missing:
            pytest.skip(f"the journey stops at {text!r}: tools not registered yet: {', '.join(missing)}")

        async def collect() -> list:
            return [e async for e in self.agent.run(self.conversation, text)]

        events = asyncio.run(collect())
        called = {e.name for e in events if isinstance(e, ToolStart)}
        assert called == expected_tools, f"{text!r} called {called}"
        assert isinstance(events[-1], Done) and "".join(e.text for e in events if isinstance(e, Token))
        return events


def ends(events: list) -> list[ToolEnd]:
    return [e for e in events if isinstance(e, ToolEnd)]


def test_the_whole_journey_works_offline(ctx, smtp_sink_url):
    ctx.settings = ctx.settings.model_copy(update={"smtp_url": smtp_sink_url})
    journey = Journey(ctx)
    drafted = None
    for text, tools in JOURNEY:
        events = journey.say(text, tools)
        if text == "send it":
            (refused,) = ends(events)
            assert not refused.ok and "approv" in refused.error["error"].lower()
            continue
        assert all(e.ok for e in ends(events)), [e.error for e in ends(events) if not e.ok]
        approval = next((e.result.approval for e in ends(events) if e.result.approval), None)
        drafted = approval or drafted
    assert drafted is not None and drafted.version == 2, "the revision is the version to approve"

    run_tool(ctx, "campaign_approve", campaign_id=drafted.campaign_id, version=drafted.version)  # the button
    (asked,) = ends(journey.say(*AFTER_APPROVAL[0]))
    assert asked.confirmation is not None and asked.confirmation.question.startswith(
        f"Send campaign {drafted.campaign_id} (“"
    )
    assert ctx.db.scalar("SELECT count(*) FROM messages") == 0, "nothing goes out before the person confirms"
    confirmed = replace(ctx, confirmed=True)  # the Confirm button: the same call, as the person
    assert run_tool(confirmed, asked.confirmation.tool, asked.confirmation.arguments).data["status"] == "sent"
    (report,) = ends(journey.say(*AFTER_APPROVAL[1]))
    assert report.ok
    assert ctx.db.scalar("SELECT count(*) FROM messages WHERE status = 'sent'") > 0


@pytest.fixture
def smtp_sink_url():
    """The embedded mail sink on a free port, counting what it receives."""
    from tests.smtp_server import free_port
    from tools.campaigns.smtp_sink import start_sink

    sink = start_sink(directory=None, port=free_port())
    yield sink.url
    sink.stop()


def test_answers_leave_out_command_lines_and_run_ids():
    refused = Step(
        "campaign_send",
        {"campaign_id": 1},
        {
            "ok": False,
            "error": "Campaign 1 is not approved, so it cannot be sent (status: draft). A person must approve one "
            "version first: preview it (promopilot campaign preview 1) and approve it with `promopilot campaign "
            "approve 1`.",
        },
    )
    answer = choose(Request("send it", Memory(campaign_id=1), [refused])).answer
    assert answer.startswith("Campaign 1 is not approved, so it cannot be sent (status: draft).")
    assert "promopilot" not in answer and "`" not in answer
    fixed = Step("validate_data", {"fix": True}, {"ok": True, "summary": "Fixed 3 values (run validate-2026-1f6e)."})
    assert choose(Request("fix the data", Memory(), [fixed])).answer.startswith("Fixed 3 values.")
    segmented = Step("segment_run", {"k": 4}, {"ok": True, "summary": "Run 1: 4 segments of 800 customers."})
    answer = choose(Request("go with 4", Memory(), [segmented])).answer
    assert answer.startswith("4 segments of 800 customers.")


def test_an_unsure_reading_asks_with_the_likeliest_readings_and_a_choice_acts(monkeypatch):
    from assistant.planner import model

    monkeypatch.setattr(model, "SURE", 1.1)  # every reading is unsure now
    plan = choose(Request("describe group 2", Memory(), []))
    readings = model.offered_readings(plan.answer)
    assert not plan.calls and readings[0] == "describe one segment" and 2 <= len(readings) <= 3
    chosen = read_request(
        [{"role": "user", "content": "[UI] The user chose “describe one segment” for: describe group 2"}]
    )
    assert (chosen.text, chosen.chosen) == ("describe group 2", "describe one segment")
    assert choose(chosen).calls == [("segment_show", {"segment": 2})], "the choice is followed, not re-guessed"


@pytest.mark.parametrize("text", ["ok", "thanks a lot", "great", "cheers"])
def test_small_talk_gets_a_short_reply(text):
    plan = choose(Request(text, CAMPAIGN_4, []))
    assert not plan.calls and len(plan.answer) < 60


@pytest.mark.parametrize("text", ["not such a hard sell", "it reads too much like an ad, less like an ad please"])
def test_a_softer_sell_under_a_draft_revises_it(text):
    """ "not such a hard sell" asked whether products or "not now" were meant."""
    drafted = Memory(campaign_id=4, last_tool="campaign_draft", shown="campaign")
    assert choose(Request(text, drafted, [])).calls == [("campaign_revise", {"campaign_id": 4, "instruction": text})]


@pytest.mark.parametrize("text", ["actually no, forget that", "never mind"])
def test_calling_off_a_draft_just_made_says_it_stays_a_draft(text):
    """It said "Good." as if the draft were gone; it stays (nothing is deleted without a person), and is never sent."""
    drafted = Memory(campaign_id=5, last_tool="campaign_draft", shown="campaign")
    answer = choose(Request(text, drafted, [])).answer
    assert "campaign 5 stays a draft" in answer and "**Reject**" in answer
    assert choose(Request(text, Memory(), [])).answer == "No problem. Tell me what you would like to do next."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("segmnet my custmers", ("segment_sweep", {})),
        ("shwo me prodcuts under 50 euros", ("find_products", {"price_max": 50.0})),
        ("valdate teh data", ("validate_data", {})),
        ("how many custmers do we have", ("data_overview", {})),  # a typo the examples have is no word of theirs
    ],
)
def test_close_misspellings_are_read_as_the_word(text, expected):
    assert first_call(text) == expected


@pytest.mark.parametrize("yes", ["yes", "sure, do it", "yes please", "do it"])
def test_yes_does_the_step_the_last_answer_suggested(yes):
    messages = [
        {"role": "user", "content": "generate demo data"},
        {"role": "assistant", "content": "Generated 600 customers.\n\nNext: *check the data* to find problems."},
        {"role": "user", "content": yes},
    ]
    assert choose(read_request(messages)).calls == [("validate_data", {})]
    messages[1]["content"] = "Generated 600 customers."  # nothing suggested: "yes" alone is no request
    assert not choose(read_request(messages)).calls


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what currency are we using", ("shop_settings", {})),
        ("set the currency to GBP", ("shop_settings", {"currency": "GBP"})),
        ("our prices are in pounds", ("shop_settings", {"currency": "GBP"})),
    ],
)
def test_the_shops_currency_is_shown_or_set(text, expected):
    assert first_call(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("currency should be CHF", "CHF"),  # set nothing: no verb it knew
        ("we price everything in kronor", "SEK"),
        ("Our prices are in Pounds", "GBP"),  # a capital at the start of a word is still the word
        ("the emails had a dollar sign, can we change that to pounds", "GBP"),  # set USD: the first one named
    ],
)
def test_the_currency_wanted_is_the_one_the_shop_moves_to(text, code):
    plan = choose(Request(text, Memory(), [], chosen="show or set the shop's settings"))
    assert plan.calls == [("shop_settings", {"currency": code})]


def test_three_capitals_are_no_currency(ctx):
    plan = choose(Request("change the CSV settings", Memory(), [], chosen="show or set the shop's settings"))
    assert plan.calls == [("shop_settings", {})]
    with pytest.raises(UserError) as refused:
        run_tool(ctx, "shop_settings", currency="VIP")  # the tool refuses one, whoever asks
    assert "'VIP' is not a currency code" in refused.value.message and get_currency(ctx.db) == "EUR"


@pytest.mark.parametrize(
    ("text", "variable"),
    [  # each showed the settings as they were, as if the change had been made
        ("set our postal address to 1 High Street, London", "PROMOPILOT_POSTAL_ADDRESS"),
        ("change the sender name on our emails to Anna at Acme", "PROMOPILOT_FROM"),
        ("stop emailing people without explicit consent", "PROMOPILOT_EMAIL_UNKNOWN_CONSENT"),
        ("let us email customers who never answered the consent question", "PROMOPILOT_EMAIL_UNKNOWN_CONSENT"),
    ],
)
def test_a_setting_the_chat_cannot_change_says_where_it_is_set(text, variable):
    plan = choose(Request(text, Memory(), [], chosen="show or set the shop's settings"))
    assert not plan.calls and plan.answer.startswith("I cannot change ")
    assert f"it is the {variable} setting" in plan.answer


@pytest.mark.parametrize(
    ("text", "variable"),
    [  # asked without a button: each got "there is no campaign yet", or "did you mean" a revision
        ("change the sender name to Acme Deals", "PROMOPILOT_FROM"),
        ("update the from name to Jo at Acme", "PROMOPILOT_FROM"),
        ("can we set the reply-to address to hello@shop.com", "PROMOPILOT_REPLY_TO"),
    ],
)
@pytest.mark.parametrize("memory", [Memory(), CAMPAIGN_4], ids=["no campaign", "after a draft"])
def test_changing_the_sender_is_read_as_the_setting_it_is(text, variable, memory):
    plan = choose(Request(text, memory, []))
    assert not plan.calls and f"it is the {variable} setting" in plan.answer


@pytest.mark.parametrize("text", ["who do the emails come from", "what's our sender?"])
def test_who_the_emails_come_from_is_in_the_settings(text):
    assert choose(Request(text, CAMPAIGN_4, [])).calls == [("shop_settings", {})]


def test_the_settings_name_the_sender(ctx):
    result = run_tool(ctx, "shop_settings")
    assert "Emails go out as “PromoPilot Demo”" in result.summary
    assert {"setting": "Emails come from", "value": ctx.settings.from_address} in result.tables[0].to_df().to_dict(
        "records"
    )
    plan = choose(Request("what's our consent policy", Memory(), [], chosen="show or set the shop's settings"))
    assert plan.calls == [("shop_settings", {})]  # a question about a setting shows it


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("refresh the predictions", ("predict", {})),
        ("how accurate are the predictions?", ("predict", {"holdout_days": 90})),
        ("how confident are you in these predictions", ("predict", {"holdout_days": 90})),  # it listed customers
        ("predict revenue for next month", ("predict", {})),  # it listed those due within 30 days
        ("how much will segment 2 spend next quarter", ("predict", {})),  # "Average spend": of the past, everyone's
        ("forecast who will buy again", ("find_predicted_customers", {})),
        ("who is about to churn?", ("find_predicted_customers", {"risk": ["high"], "sort": "risk"})),
        (
            "win back our best customers who are slipping away",
            ("find_predicted_customers", {"risk": ["high"], "sort": "value"}),
        ),
    ],
)
def test_one_prediction_intent_runs_the_model_or_finds_customers_as_asked(text, expected):
    """Asked the same way, so one intent: the words decide whether the model runs or customers are listed."""
    assert first_call(text) == expected


def test_a_total_ahead_is_said_to_be_per_customer_then_given():
    predicted = Step("predict", {}, {"ok": True, "summary": "Scored 2,000 customers."})
    plan = choose(Request("predict revenue for next month", Memory(), [predicted], vocabulary=lambda: SHOP))
    assert plan.answer.startswith("I predict each customer's orders over the next 90 days and their value over the ")
    assert "not the revenue of a month" in plan.answer and plan.answer.endswith("Scored 2,000 customers.")


@pytest.mark.parametrize(
    ("text", "start"),
    [  # both got "attach a CSV, Parquet or JSON-lines file", which neither answers
        ("what columns does my customer file need", "A customer file needs customer id (or, without one, an email"),
        ("what format should the orders file be in", "An order file needs order number, order date and line amount"),
        ("can I upload an excel file", "I read CSV, Parquet and JSON-lines files, not Excel workbooks"),
    ],
)
def test_what_a_file_needs_is_said_from_the_imports_schema(text, start):
    plan = choose(Request(text, Memory(), [], chosen="import a file"))
    assert not plan.calls and plan.answer.startswith(start)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("how do I get my shopify customers in", "Export them from Shopify as a CSV file and attach it here"),
        ("merge segments 1 and 2", "I cannot merge segments by hand"),  # a "did you mean" of three other things
    ],
)
def test_questions_of_how_are_answered_with_how(text, start):
    plan = choose(Request(text, Memory(), []))
    assert not plan.calls and plan.answer.startswith(start)
