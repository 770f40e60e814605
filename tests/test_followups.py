"""Follow-ups resolve against what the last answer showed; analytic questions run as vetted SELECTs."""

from __future__ import annotations

import asyncio

import pytest

from assistant.loop import Agent, Conversation, Token, ToolEnd, ToolStart
from assistant.planner.analytics_questions import understand
from assistant.planner.customer_names import customer_named
from assistant.planner.guards import NOT_NOW, ONLY_COUNT
from assistant.planner.memory import Memory, Request, Step
from assistant.planner.model import OfflinePlanner, choose, understood
from assistant.planner.vocabulary import Vocabulary
from tests import campaign_fixtures
from tools.registry import run_tool

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop  # a small demo shop, copied per test

PAGE = [
    {"sku": "OUT-000001", "price": 120.0, "margin": 0.5, "stock": 10},
    {"sku": "OUT-000002", "price": 40.0, "margin": 0.7, "stock": 300},
    {"sku": "OUT-000003", "price": 80.0, "margin": 0.2, "stock": 50},
    {"sku": "OUT-000004", "price": 20.0, "margin": 0.4, "stock": 5},
]
SHOWN = Memory(found=[p["sku"] for p in PAGE], products=PAGE, skus=[p["sku"] for p in PAGE][:3], shown="products")
NAMED = Memory(segment=2, segment_names={1: "VIPs", 2: "Bargain hunters", 3: "Night owls"}, shown="segments")


def first_call(text: str, memory: Memory) -> tuple[str, dict] | None:
    plan = choose(Request(text, memory, [], segment_names=memory.segment_names))
    return plan.calls[0] if plan.calls else None


@pytest.mark.parametrize(
    ("text", "skus"),
    [
        ("keep the top two of those", ["OUT-000001", "OUT-000002"]),
        ("put the cheapest three on the shortlist", ["OUT-000004", "OUT-000002", "OUT-000003"]),
        ("save the second one", ["OUT-000002"]),
        ("add the last one to my picks", ["OUT-000004"]),
        ("keep the most expensive two", ["OUT-000001", "OUT-000003"]),
        ("keep the best two", ["OUT-000001", "OUT-000002"]),  # kept the three in play
        ("save the two best ones", ["OUT-000001", "OUT-000002"]),
    ],
)
def test_products_by_their_position_in_the_last_table(text, skus):
    assert first_call(text, SHOWN) == ("shortlist_add", {"skus": skus})


@pytest.mark.parametrize("text", ["the second one", "cheapest three", "top two", "the last one"])
def test_a_bare_position_after_a_product_list_keeps_never_removes(text):
    """With no verb, "the second one" right after a product list means those products: nothing is taken off."""
    call = choose(Request(text, SHOWN, [], chosen="remove from the shortlist")).calls[0]
    assert call[0] == "shortlist_add" and call[1]["skus"]
    assert first_call("drop the second one", SHOWN) == ("shortlist_remove", {"skus": ["OUT-000002"]})


@pytest.mark.parametrize(
    ("text", "skus"),
    [  # each was read as taking something off, and then put the products in play on the shortlist instead
        ("put the first one back", ["OUT-000001"]),
        ("the third one's a no", ["OUT-000003"]),
        ("kick the second one out", ["OUT-000002"]),
        ("oops, I didn't mean to add the second one", ["OUT-000002"]),
        ("the second one is discontinued, pull it from the list", ["OUT-000002"]),
        ("OUT-000004 shouldn't be in there", ["OUT-000004"]),
        ("remvoe the first one", ["OUT-000001"]),
    ],
)
def test_taking_products_off_in_everyday_words_removes_them(text, skus):
    plan = choose(Request(text, SHOWN, [], chosen="remove from the shortlist"))
    assert plan.calls == [("shortlist_remove", {"skus": skus})]


@pytest.mark.parametrize(
    ("text", "skus"),
    [("lose the first one", ["OUT-000001"]), ("the second one can go", ["OUT-000002"]),
     ("second one's out", ["OUT-000002"])],
)  # fmt: skip
def test_words_that_take_a_product_off_are_read_as_that_whatever_the_classifier_weighs(text, skus):
    """Read as keeping (or as nothing at all): the words that take something off decide between the two."""
    assert first_call(text, SHOWN) == ("shortlist_remove", {"skus": skus})


@pytest.mark.parametrize("text", ["wipe the shortlist", "start the picks from scratch", "reset my selection"])
def test_the_whole_shortlist_is_cleared_when_no_product_is_named(text):
    plan = choose(Request(text, Memory(), [], chosen="remove from the shortlist"))
    assert plan.calls == [("shortlist_remove", {"skus": []})]


@pytest.mark.parametrize(
    ("text", "segment", "name"),
    [  # each named the wrong thing ("of segment 5 to VIPs", "call segment 0 Sleepers") or found no name at all
        ("change the name of segment 5 to VIPs", 5, "VIPs"),
        ("I want to call segment 0 Sleepers", 0, "Sleepers"),
        ("give segment 4 a better name: Weekend shoppers", 4, "Weekend shoppers"),
        ("swap segment 1's generated name for Regulars", 1, "Regulars"),
        ("slap the label Bargain hunters on cluster 2", 2, "Bargain hunters"),
        ("dub segment 4 the Night owls", 4, "Night owls"),
        ("segment 2 -> Loyal fans", 2, "Loyal fans"),
        ("rename group 3 to vips pls", 3, "vips"),
        ("segment 1 should be called Loyal fans", 1, "Loyal fans"),
        ("group 2 becomes Weekenders", 2, "Weekenders"),
        ("let segment 3 be known as Night owls", 3, "Night owls"),
    ],
)
def test_a_new_name_is_read_however_the_rename_is_said(text, segment, name):
    plan = choose(Request(text, NAMED, [], chosen="rename a segment"))
    assert plan.calls == [("segment_rename", {"segment": segment, "name": name})]


def test_asking_whether_a_rename_is_possible_renames_nothing():
    """It renamed the segment in play to "possible to rename a segment?"."""
    plan = choose(Request("is it possible to rename a segment?", NAMED, [], chosen="rename a segment"))
    assert not plan.calls and "be called?" in plan.answer


def test_the_products_meant_carry_on_to_matching_and_ranking():
    assert first_call("which segment fits the cheapest two", SHOWN) == (
        "match_segments",
        {"product": ["OUT-000004", "OUT-000002"]},
    )
    assert first_call("who would buy the second one?", SHOWN) == (
        "rank_customers",
        {"product": ["OUT-000002"], "top": 20},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what's in group 2", ("segment_show", {"segment": 2})),
        ("describe the bargain hunters", ("segment_show", {"segment": 2})),
        ("tell me more about the VIPs", ("segment_show", {"segment": 1})),
        ("describe that group", ("segment_show", {"segment": 2})),
        ("describe them", ("segment_show", {"segment": 2})),
        ("call group 4 Loyalists", ("segment_rename", {"segment": 4, "name": "Loyalists"})),
        ("call that group Early birds", ("segment_rename", {"segment": 2, "name": "Early birds"})),
        ("go with 6 instead", ("segment_run", {"k": 6})),
        ("what k would you pick?", ("segment_sweep", {})),
        (
            "write an email for the night owls about OUT-000009",
            ("campaign_draft", {"skus": ["OUT-000009"], "segment": 3}),
        ),
    ],
)
def test_segments_by_number_name_or_reference(text, expected):
    assert first_call(text, NAMED) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("warmer", {"campaign_id": 4, "instruction": "warmer"}),
        ("less salesy", {"campaign_id": 4, "instruction": "less salesy"}),
        ("shorter subject line", {"campaign_id": 4, "instruction": "shorter subject line"}),
        ("mention free shipping", {"campaign_id": 4, "instruction": "mention free shipping"}),
    ],
)
def test_revisions_that_do_not_say_revise(text, expected):
    assert first_call(text, Memory(campaign_id=4)) == ("campaign_revise", expected)


@pytest.mark.parametrize(  # "a real customer" was shown as a typical recipient, with no one's name
    "text", ["preview for a random customer", "show me what it looks like for a real customer"]
)
def test_a_preview_for_a_random_customer_picks_one_who_would_get_it_first(text):
    """It picked any customer (the campaign's segment could leave them out), then said it would not reach them."""
    memory = Memory(campaign_id=4)
    plan = choose(Request(text, memory, []))
    assert plan.calls == [("campaign_reach", {"campaign_id": 4})]
    table = {"columns": ["customer_id", "segment"], "rows": [["C0042", 2], ["C0043", 2]]}
    reach = Step("campaign_reach", plan.calls[0][1], {"ok": True, "summary": "1,234 would get it.", "tables": [table]})
    plan = choose(Request(text, memory, [reach]))
    (picked,) = plan.calls
    assert picked[0] == "campaign_preview" and picked[1]["customer"] in ("C0042", "C0043")
    # The pick is no part of the answer; memory then holds the customer picked.
    shown = Step("campaign_preview", picked[1], {"ok": True, "summary": "Campaign 4 as C0042 sees it."})
    answer = choose(Request(text, Memory(campaign_id=4, customers=["C0042"]), [reach, shown])).answer
    assert answer.startswith("Campaign 4 as C0042 sees it.") and "would get it" not in answer


def test_a_report_with_no_opens_says_so_with_the_delivery_figures():
    report = Step(
        "campaign_report",
        {"campaign_id": 4},
        {
            "ok": True,
            "summary": "...",
            "data": {"campaign_id": 4, "sent": 1360, "failed": 2, "skipped": 17, "unique_opens": 0},
        },
    )
    answer = choose(Request("how did it do?", Memory(campaign_id=4), [report])).answer
    assert answer.startswith("No one has opened campaign 4 yet") and "**1,360 sent**" in answer and "0%" not in answer
    assert "nobody has unsubscribed" in answer and "Delivery so far" in answer

    report.result["data"] |= {"status": "sent", "unsubscribes": 3}  # "how many unsubscribed", "is it finished"
    answer = choose(Request("how many unsubscribed", Memory(campaign_id=4), [report])).answer
    assert "and 3 unsubscribed. It has finished sending: **1,360 sent**" in answer


@pytest.mark.parametrize(
    ("text", "figure", "aggregate", "group"),
    [
        ("average order value per segment", "order value", "avg", "segment"),
        ("how many customers per country", "customers", "count", "country"),
        ("total revenue by category", "revenue", "sum", "category"),
        ("orders per month", "orders", "count", "month"),
        ("average price by brand", "price", "avg", "brand"),
        ("what's our total revenue", "revenue", "sum", None),
    ],
)
def test_analytic_questions_map_onto_the_templates(text, figure, aggregate, group):
    question = understand(text)
    assert (question.figure.label, question.aggregate, question.group and question.group.label) == (
        figure,
        aggregate,
        group,
    )


def test_a_group_the_shop_has_no_column_for_is_refused_in_words():
    shop = Vocabulary(columns={"customers": {"customer_id", "first_name"}})
    plan = choose(Request("how many customers per country", Memory(), [], vocabulary=lambda: shop))
    assert not plan.calls and "no country" in plan.answer


def say(agent: Agent, conversation: Conversation, text: str) -> tuple[list, str]:
    async def run() -> list:
        return [e async for e in agent.run(conversation, text)]

    events = asyncio.run(run())
    return events, "".join(e.text for e in events if isinstance(e, Token))


@pytest.mark.parametrize(
    "text",
    [
        "average order value per segment",
        "average spend by customer type",
        "stock per category",
        "how many customers by style",
        "average margin of our products",
        "make a list of my best customers",
    ],
)
def test_analytic_questions_run_in_the_sandbox_and_answer_in_words(demo_ctx, text):
    run_tool(demo_ctx, "segment_run", k=3)
    agent = Agent(demo_ctx, OfflinePlanner(lambda: Vocabulary.from_db(demo_ctx.db)))
    events, answer = say(agent, Conversation(), text)
    (end,) = [e for e in events if isinstance(e, ToolEnd)]
    assert end.name == "query_data" and end.ok, end.error
    assert end.result.tables[0].rows, "the query returned rows"
    assert "**" in answer and "_" not in answer.split("Next:")[0], f"a figure, in words: {answer}"


def test_make_sure_the_data_is_clean_never_generates_data(demo_ctx):
    agent = Agent(demo_ctx, OfflinePlanner(lambda: Vocabulary.from_db(demo_ctx.db)))
    for text in ("make sure the data is clean", "make a list of my best customers", "can you make sense of this data?"):
        events, _ = say(agent, Conversation(), text)
        assert "generate_demo_data" not in [e.name for e in events if isinstance(e, ToolStart)], text


def test_a_figure_the_data_does_not_have_yet_is_said_in_words(demo_ctx):
    agent = Agent(demo_ctx, OfflinePlanner(lambda: Vocabulary.from_db(demo_ctx.db)))
    _, answer = say(agent, Conversation(), "revenue by category")  # the demo's orders log carries no products
    assert answer == "None of your orders has a category recorded, so I cannot break revenue down by category."


def test_them_is_a_segment_only_after_a_segment_table():
    after_products = Memory(segment=2, segment_names=NAMED.segment_names, shown="products", skus=["OUT-000001"])
    assert first_call("write to them about it", after_products) == (
        "campaign_draft",
        {"skus": ["OUT-000001"], "segment": 2},
    )
    assert first_call("call them Early birds", NAMED) == ("segment_rename", {"segment": 2, "name": "Early birds"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # "for the loyal fans" drafted for segment 2, the one in play: people the marketer did not mean
        ("draft an email for the loyal fans about it", None),
        ("write to our big spenders about it", None),
        ("draft an email for the night owls about it", ("campaign_draft", {"skus": ["OUT-000001"], "segment": 3})),
        ("draft an email for the winter sale about it", ("campaign_draft", {"skus": ["OUT-000001"], "segment": 2})),
    ],
)
def test_an_email_for_people_no_segment_is_called_is_not_drafted(text, expected):
    memory = Memory(segment=2, segment_names=NAMED.segment_names, shown="products", skus=["OUT-000001"])
    plan = choose(Request(text, memory, [], segment_names=memory.segment_names))
    assert (plan.calls[0] if plan.calls else None) == expected
    if expected is None:
        assert plan.answer.startswith("No segment is called “")
        assert "Your segments: 1 VIPs; 2 Bargain hunters; 3 Night owls." in plan.answer


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("average spend per segment", "Average spend"),
        ("total revenue by category", "Total revenue"),
        ("how many customers per style", "Customers"),
        ("median order value", "Median order value"),
        ("how many customers bought more than once", "Repeat customers"),
        ("how many customers came back for a second order", "Repeat customers"),  # counted the orders
    ],
)
def test_a_figure_is_labelled_as_what_it_is(text, label):
    assert understand(text).label == label


@pytest.mark.parametrize(
    ("text", "group"),
    [("which country buys the most", "country"), ("which group is most valuable", "segment")],
)
def test_who_buys_the_most_is_revenue_by_that_group(text, group):
    """Not the generic "which figure?" question: the revenue, grouped, whose answer names the highest."""
    question = understand(text)
    assert question.label == "Total revenue" and question.group.label == group


def test_the_most_loyal_group_is_the_share_of_repeat_customers_not_the_biggest_count():
    question = understand("which group has the most loyal customers")
    assert question.label == "Share of repeat customers" and question.group.label == "segment"
    assert understand("how many loyal customers do we have").label == "Repeat customers"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("show it as Anna would see it", "Anna"),
        ("preview for Anna", "Anna"),
        ("preview it for anna", "anna"),
        ("what would Mr Jones get", "Mr Jones"),
        ("how would Anna Kowalski see it?", "Anna Kowalski"),
        ("show the version Anna gets", "Anna"),
        ("can I see what Maria would get", "Maria"),
        ("what Maria would get", "Maria"),
        ("what would Maria see", "Maria"),
        ("Maria's version", "Maria"),
        ("show me Maria's copy", "Maria"),
        ("how does it look for Maria Lopez", "Maria Lopez"),
        ("what lands in Maria's inbox", "Maria"),
        ("show me what Maria receives", "Maria"),
        ("how would it look to Maria?", "Maria"),
        ("what maria would get", "maria"),
    ],
)
def test_a_preview_for_someone_named_in_the_chat_passes_the_name_to_the_tool(text, name):
    assert first_call(text, Memory(campaign_id=4)) == ("campaign_preview", {"campaign_id": 4, "customer": name})


@pytest.mark.parametrize(
    "text",
    ["preview it for everyone", "show it as a customer would see it", "preview it for Black Friday", "show variant B"],
)
def test_words_that_are_not_a_customer_are_not_looked_up_as_one(text):
    call = first_call(text, Memory(campaign_id=4, customers=["C0042"]))
    assert call[0] == "campaign_preview" and call[1].get("customer") in {None, "C0042"}


@pytest.mark.parametrize(
    "text",
    [
        "what would customers get",
        "what would they see",
        "what the VIPs would get",
        "what VIPs would get",
        "what the bargain hunters would get",
        "what others would get",
        "what everyone would see",
        "what it would look like",
        "what products would get",
        "what emails get opened",
    ],
)
def test_ordinary_words_and_segments_are_not_taken_for_a_customer_name(text):
    req = Request(text, NAMED, [], segment_names=NAMED.segment_names)
    assert customer_named(req) is None


def test_what_a_customer_of_the_demo_shop_would_get_previews_that_customer(shop):
    """ "Can I see what Maria would get": the customer looked up by name, not a typical recipient."""
    from tests.test_campaigns import skus

    first, customer_id = shop.db.rows(
        "SELECT first_name, min(customer_id) AS id FROM customers GROUP BY first_name HAVING count(*) = 1 "
        "ORDER BY first_name LIMIT 1"
    )[0].values()
    run_tool(shop, "campaign_draft", skus=skus(shop))
    agent = Agent(shop, OfflinePlanner(lambda: Vocabulary.from_db(shop.db)))
    for text in (f"can I see what {first} would get", f"what lands in {first}'s inbox"):
        events, answer = say(agent, Conversation(), text)
        ended = [e for e in events if isinstance(e, ToolEnd)]
        assert ended[-1].name == "campaign_preview" and ended[-1].arguments.get("customer") == first, answer
        assert "typical recipient" not in answer and f"customer {customer_id}" in answer, answer
    _, answer = say(agent, Conversation(), "can I see what Zorro would get")
    assert "No customer has the ID or the name 'Zorro'" in answer, "an unknown name is said, not a typical recipient"


@pytest.mark.parametrize(
    ("text", "preview"),
    [
        ("what Maria would get", True),
        ("what would Maria Lopez receive", True),
        ("what lands in Maria's inbox", True),
        ("what would customers get", False),
        ("what the VIPs would get", False),
        ("what emails get opened", False),
    ],
)
def test_a_question_about_what_someone_gets_is_a_preview_for_sure(text, preview):
    """The classifier alone wavers between a preview, a count and products; a person named settles it."""
    readings = understood(text, NAMED.segment_names)
    assert (readings[0] == ("preview", 1.0)) is preview, readings[:3]


def test_a_named_preview_says_how_many_share_the_name_or_that_no_one_has_it(shop):
    from tests.test_campaigns import add_people, skus

    add_people(shop, [("Z1", "Elowen", "Kowalczyk"), ("Z2", "Elowen", "Berg")])
    run_tool(shop, "campaign_draft", skus=skus(shop))
    agent = Agent(shop, OfflinePlanner(lambda: Vocabulary.from_db(shop.db)))
    _, answer = say(agent, Conversation(), "show campaign 1 as Elowen would see it")
    assert "2 customers share that name; this is the first by ID, customer Z1" in answer
    assert "Kowalczyk" not in answer, "the answer is built from what the model may see: ID, not name"
    _, answer = say(agent, Conversation(), "show campaign 1 as Zorro would see it")
    assert "No customer has the ID or the name 'Zorro'" in answer and "random customer" in answer


def test_who_is_about_to_churn_predicts_first_when_there_are_no_predictions(ctx):
    from tests.test_predict import BUYING, SPENDING, add_orders
    from tools.predict import simulate

    add_orders(ctx.db, simulate.order_log(BUYING, SPENDING, 3000, 540, seed=11))
    agent = Agent(ctx, OfflinePlanner(lambda: Vocabulary.from_db(ctx.db)))
    events, answer = say(agent, Conversation(), "who is about to churn?")
    calls = [(e.name, e.arguments) for e in events if isinstance(e, ToolStart)]
    assert calls == [
        ("find_predicted_customers", {"risk": ["high"], "sort": "risk"}),
        ("predict", {}),
        ("find_predicted_customers", {"risk": ["high"], "sort": "risk"}),
    ]
    failed = [e.name for e in events if isinstance(e, ToolEnd) and not e.ok]
    assert failed == [], "no red step: the find says there are no predictions yet, it does not fail"
    assert "no predictions yet" not in answer.lower() and "customers" in answer


def test_money_in_answers_is_in_the_shops_currency(demo_ctx):
    from storage.shop import set_setting

    set_setting(demo_ctx.db, "currency", "GBP", source="user")
    agent = Agent(demo_ctx, OfflinePlanner(lambda: Vocabulary.from_db(demo_ctx.db)))
    _, answer = say(agent, Conversation(), "average order value per style")
    assert "£" in answer and "€" not in answer


@pytest.mark.parametrize(
    ("found", "audience"),
    [
        ({"risk": ["high"], "sort": "risk"}, {"risk": ["high"]}),
        ({"risk": ["high"], "sort": "value", "min_value": 200.0}, {"risk": ["high"], "min_value": 200.0}),
        ({"due_within_days": 30, "sort": "next_order"}, {"due_within_days": 30}),
    ],
)
def test_an_email_for_them_after_predicted_customers_goes_to_that_outlook(found, audience):
    memory = Memory()
    table = {"columns": ["customer_id", "churn_risk"], "rows": [["C0007", "high"], ["C0042", "high"]]}
    memory.learn(Step("find_predicted_customers", found, {"ok": True, "tables": [table]}))
    assert first_call("draft an email for them about OUT-000009", memory) == (
        "campaign_draft",
        {"skus": ["OUT-000009"], **audience},
    )


@pytest.mark.parametrize(
    ("text", "sort"),
    [("show me jackets with good margins", "margin_desc"), ("outerwear with thin margins", "margin_asc")],
)
def test_a_request_that_mentions_margin_is_sorted_by_it(text, sort):
    assert first_call(text, Memory())[1]["sort"] == sort


def test_a_bare_amount_after_under_is_a_price():
    assert first_call("show me dresses under 50", Memory())[1]["price_max"] == 50
    assert "price_max" not in first_call("show products with stock under 50", Memory())[1]


@pytest.mark.parametrize(
    ("text", "call"),
    [
        ("group them using the predictions", ("segment_sweep", {"use_predictions": True})),
        ("cluster on future value", ("segment_sweep", {"use_predictions": True})),
        ("split the customers into groups by predicted value", ("segment_sweep", {"use_predictions": True})),
        ("segment into 4 groups using the churn forecast", ("segment_run", {"k": 4, "use_predictions": True})),
        ("segment customers", ("segment_sweep", {})),
    ],
)
def test_segmenting_by_the_predictions_says_so_to_the_tool(text, call):
    assert first_call(text, Memory()) == call


def test_segmenting_by_predicted_value_predicts_first_when_there_is_no_prediction(demo_ctx):
    agent = Agent(demo_ctx, OfflinePlanner(lambda: Vocabulary.from_db(demo_ctx.db)))
    events, answer = say(agent, Conversation(), "segment my customers by predicted value and churn risk")
    calls = [(e.name, e.ok) for e in events if isinstance(e, ToolEnd)]
    assert calls == [("segment_sweep", False), ("predict", True), ("segment_sweep", True), ("segment_run", True)]
    features = demo_ctx.db.scalar("SELECT features FROM segment_runs WHERE is_active")
    assert "predicted_value_12m" in features
    assert "nothing has been predicted" not in answer and "by their predicted value and churn risk too" in answer


@pytest.mark.parametrize(
    ("text", "skus"),
    [
        ("cheapest three", ["OUT-000004", "OUT-000002", "OUT-000003"]),
        ("the top two of those", ["OUT-000001", "OUT-000002"]),
        ("second one", ["OUT-000002"]),
    ],
)
def test_a_bare_position_right_after_a_product_list_picks_those_products(text, skus):
    """No verb, a product list on screen: the marketer is pointing at rows, never removing or asking."""
    assert first_call(text, SHOWN) == ("shortlist_add", {"skus": skus})


def test_after_taking_a_product_off_the_shortlist_them_means_what_is_left():
    """ "drop the second one", then "which segment fits these": the products still kept, never the one removed."""
    memory = Memory(found=[p["sku"] for p in PAGE], products=PAGE, shown="products")
    for name, arguments, kept in [
        ("shortlist_add", {"skus": ["OUT-000001", "OUT-000002"]}, ["OUT-000001", "OUT-000002"]),
        ("shortlist_remove", {"skus": ["OUT-000002"]}, ["OUT-000001"]),
    ]:
        memory.learn(Step(name, arguments, {"ok": True, "data": {"name": "chat-x", "skus": kept}}))
    assert memory.skus == ["OUT-000001"]
    assert first_call("which group fits these products", memory) == ("match_segments", {"product": ["OUT-000001"]})


@pytest.mark.parametrize(
    "text",
    ["people who haven't bought in a while", "lapsed buyers", "dormant customers", "customers who have gone quiet"],
)
def test_customers_who_have_gone_quiet_are_those_at_high_churn_risk(text):
    """Read as predicted customers (a count of them is an analytics reading the chat may ask about): high risk."""
    chosen = Request(text, Memory(), [], chosen="predict customers' outlook and find them by it")
    assert choose(chosen).calls[0] == ("find_predicted_customers", {"risk": ["high"], "sort": "risk"})


@pytest.mark.parametrize(
    "text", ["go back to the previous version", "undo that edit", "revert to version 1", "let's use version 2 again"]
)
def test_going_back_to_an_earlier_draft_is_a_revision_that_says_so(text):
    assert first_call(text, Memory(campaign_id=4, shown="campaign")) == (
        "campaign_revise",
        {"campaign_id": 4, "instruction": text},
    )


def test_swapping_a_product_for_another_takes_one_off_and_puts_the_other_on():
    text = "swap the second one for the third"
    assert first_call(text, SHOWN) == ("shortlist_remove", {"skus": ["OUT-000002"]})
    removed = Step("shortlist_remove", {"skus": ["OUT-000002"]}, {"ok": True, "data": {"skus": ["OUT-000001"]}})
    plan = choose(Request(text, SHOWN, [removed]))
    assert plan.calls == [("shortlist_add", {"skus": ["OUT-000003"]})]
    memory = Memory(found=SHOWN.found, products=PAGE, shown="products")
    kept = ["OUT-000001", "OUT-000003"]
    for step in (removed, Step("shortlist_add", {"skus": ["OUT-000003"]}, {"ok": True, "data": {"skus": kept}})):
        memory.learn(step)
    assert memory.skus == kept, "after a swap, 'them' is the shortlist as it now is"
    named = Memory(found=["OUT-000001", "OUT-000002"], shown="products")
    assert first_call("replace OUT-000002 with OUT-000009", named) == ("shortlist_remove", {"skus": ["OUT-000002"]})


def test_a_long_breakdown_is_summed_up_over_all_its_groups_not_the_rows_on_screen(demo_ctx):
    """The demo shop's orders span years: the busiest month is found over all months (the compact view the
    planner reads holds ten rows), and the table shown hides the helper columns."""
    import pandas as pd

    from assistant.present import compact, full

    orders = demo_ctx.db.df("SELECT order_id, ordered_at FROM orders")
    by_month = orders.groupby(pd.to_datetime(orders["ordered_at"]).dt.strftime("%Y-%m"))["order_id"].nunique()
    assert len(by_month) > 10
    agent = Agent(demo_ctx, OfflinePlanner(lambda: Vocabulary.from_db(demo_ctx.db)))
    events, answer = say(agent, Conversation(), "how many orders per month")
    assert f"{len(by_month)} months" in answer
    assert f"highest is {by_month.idxmax()} at **{by_month.max():,}**" in answer
    table = next(e for e in events if isinstance(e, ToolEnd)).result.tables[0]
    assert not [c for c in compact(table, "EUR").columns if c.startswith("_")]
    assert not [c for c in full(table).columns if str(c).startswith("_")]


def test_which_group_makes_the_most_money_is_a_breakdown_and_says_what_the_data_lacks(demo_ctx):
    agent = Agent(demo_ctx, OfflinePlanner(lambda: Vocabulary.from_db(demo_ctx.db)))
    _, answer = say(agent, Conversation(), "which category makes the most money")
    assert "has a category recorded" in answer
    _, answer = say(agent, Conversation(), "revenue per segment")
    assert "not segmented yet" in answer


@pytest.mark.parametrize(
    ("text", "lapsed", "days"),
    [
        ("how many customers haven't ordered in 6 months", True, 180),
        ("how many customers bought in the last 30 days", False, 30),
    ],
)
def test_how_many_customers_have_or_have_not_bought_lately(demo_ctx, text, lapsed, days):
    behaviour = demo_ctx.db.df(
        "SELECT b.days_since_last_purchase AS days FROM customers c JOIN customer_behavior b USING (customer_id) "
        "WHERE c.quarantine_reason IS NULL"
    )
    expected = int((behaviour["days"] > days).sum() if lapsed else (behaviour["days"] <= days).sum())
    agent = Agent(demo_ctx, OfflinePlanner(lambda: Vocabulary.from_db(demo_ctx.db)))
    _, answer = say(agent, Conversation(), text)
    assert answer.endswith(f": **{expected:,}**."), answer
    assert ("have not bought" in answer) == lapsed


def test_a_draft_about_products_nobody_picked_yet_finds_them_first():
    """'about our new coats' with no shortlist: the newest coats, not "which products should it feature?"."""
    asked = Request("draft a newsletter for everyone about our new coats", Memory(), [])
    assert choose(asked).calls == [("find_products", {"search": "coat", "sort": "newest", "limit": 3})]
    found = Step("find_products", {}, {"ok": True, "data": {"skus": ["OUT-000046", "OUT-000076"], "total": 2}})
    asked.done = [found]
    assert choose(asked).calls == [("campaign_draft", {"skus": ["OUT-000046", "OUT-000076"]})]
    nothing = Request("draft an email about the unicorn capes", Memory(), [])
    assert choose(nothing).calls == [("find_products", {"search": "unicorn cape", "limit": 3})]
    nothing.done = [Step("find_products", {}, {"ok": True, "summary": "No products matching “unicorn cape”."})]
    assert not choose(nothing).calls and "No products matching" in choose(nothing).answer
    assert choose(Request("draft an email about them", Memory(), [])).calls == [], "nothing in play: it asks which"


def test_segments_asked_for_before_any_say_how_to_make_them():
    refused = Step("segment_list", {}, {"ok": False, "error": "There are no customer segments yet."})
    answer = choose(Request("who are my VIPs", Memory(), [refused])).answer
    assert answer == "There are no customer segments yet. Say *segment customers* and I will make them."


def test_an_empty_shop_says_how_to_start_not_only_what_to_do_next(ctx):
    """The overview's own sentence names a command line, which the chat leaves out: it said only "Next: ..."."""
    agent = Agent(ctx, OfflinePlanner(lambda: Vocabulary.from_db(ctx.db)))
    _, answer = say(agent, Conversation(), "how does the data look")
    assert answer.startswith("There is no data yet.") and "*generate demo data*" in answer


@pytest.mark.parametrize(
    "text",
    [
        "what's the average age of our customers",
        "average spend of women",
        "how many customers do we have in London",
        "show me customers from London",  # it got a "did you mean"
        "list customers in Paris",
    ],
)
def test_a_question_about_what_the_data_does_not_hold_is_refused_not_answered_for_everyone(demo_ctx, text):
    """They were answered with the number of customers, everyone's average spend, and every customer."""
    agent = Agent(demo_ctx, OfflinePlanner(lambda: Vocabulary.from_db(demo_ctx.db)))
    events, answer = say(agent, Conversation(), text)
    assert not [e for e in events if isinstance(e, ToolStart)]
    assert answer.startswith("Your data does not record customers'")


def test_a_share_is_a_percentage_of_customers(demo_ctx):
    agent = Agent(demo_ctx, OfflinePlanner(lambda: Vocabulary.from_db(demo_ctx.db)))
    _, answer = say(agent, Conversation(), "what percentage of customers are repeat buyers")
    share = demo_ctx.db.scalar(
        "SELECT avg(CASE WHEN b.order_count > 1 THEN 1 ELSE 0 END) FROM customers c "
        "LEFT JOIN customer_behavior b USING (customer_id) WHERE c.quarantine_reason IS NULL"
    )
    assert answer == f"Share of repeat customers: **{share:.0%}**."


@pytest.mark.parametrize(
    "text",
    [
        "clear the customers",
        "get rid of the customers without emails",
        "remove the people who said no",
        "delete all our subscribers",
        "wipe the shop and start over",
        "reset everything",
    ],
)
def test_asking_to_delete_customers_changes_nothing_and_says_what_happens_to_them(text):
    """Not a data fix, not a shortlist change: nothing is deleted from the chat, and the answer says why."""
    plan = choose(Request(text, SHOWN, []))
    assert not plan.calls and plan.answer.startswith("I don't delete customers, and nothing was changed.")


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("remove the duplicates", "validate_data"),
        ("delete the broken customer records", "validate_data"),
        ("remove the second one from the shortlist", "shortlist_remove"),
    ],
)
def test_repairs_and_shortlist_changes_are_not_read_as_deleting_customers(text, tool):
    assert first_call(text, SHOWN)[0] == tool


@pytest.mark.parametrize("text", ["undo that", "oops, revert it", "go back", "take that back please", "undo"])
def test_undo_right_after_a_revision_goes_back_to_the_version_before_it(text):
    """It listed the versions: the marketer had to find the number and say *go back to version 2*."""
    after_a_revision = Memory(campaign_id=3, shown="campaign", last_tool="campaign_revise")
    assert first_call(text, after_a_revision) == ("campaign_revise", {"campaign_id": 3, "instruction": "undo that"})


def test_undo_lists_the_drafts_versions_after_a_draft_and_otherwise_says_there_is_no_undo():
    after_a_fix = Memory(campaign_id=3, shown=None, last_tool="validate_data")
    plan = choose(Request("undo that", after_a_fix, []))
    assert not plan.calls and plan.answer.startswith("There is no undo in the chat, and nothing was changed.")
    for bare in ("go back", "put it back", "undo the last step"):  # were a revision of campaign 3 with those words
        plan = choose(Request(bare, after_a_fix, []))
        assert not plan.calls and plan.answer.startswith("There is no undo in the chat"), bare
    after_a_draft = Memory(campaign_id=3, shown="campaign")
    assert first_call("undo that", after_a_draft) == ("campaign_versions", {"campaign_id": 3})
    assert first_call("make it warmer", after_a_draft)[0] == "campaign_revise"


@pytest.mark.parametrize("text", ["who's going to get this", "who will receive the email", "who gets it"])
def test_who_is_going_to_get_a_draft_is_its_reach(text):
    """It ranked the customers who fit the products best, not the people the campaign would go to."""
    assert first_call(text, Memory(campaign_id=4)) == ("campaign_reach", {"campaign_id": 4})


@pytest.mark.parametrize(
    ("text", "intent"),
    [  # "pausing" failed the pause guard ("pause" is not in it), "the whole thing" the cancel guard (one word only)
        ("we're pausing the campaign for now", "pause"),
        ("call the whole thing off", "cancel"),
        ("call it all off", "cancel"),
    ],
)
def test_a_send_is_paused_or_cancelled_in_everyday_words(text, intent):
    assert understood(text)[0][0] == intent


@pytest.mark.parametrize(
    ("text", "pattern"),
    [  # "discount" held "count", and "black friday" a day to send on: both stopped a plain send
        ("send the discount email", ONLY_COUNT),
        ("send the black friday email", NOT_NOW),
        ("send the cyber monday campaign now", NOT_NOW),
    ],
)
def test_a_campaign_named_after_a_day_or_a_discount_is_no_count_nor_a_later_send(text, pattern):
    assert not pattern.search(text)
    assert ONLY_COUNT.search("count who would get it") and NOT_NOW.search("send it on friday")


@pytest.mark.parametrize(
    ("text", "intent"),
    [  # the classifier read "friday" as a day to send on, and "the summer sale email" as one to write
        ("send the black friday email", "send"),
        ("ok, send out our summer sale newsletter", "send"),
        ("send the black friday email tomorrow", "not_now"),
        ("send the bargain hunters an email about coats", "draft"),
        ("send the email to me first", "test_send"),
    ],
)
def test_send_the_campaign_by_its_name_is_an_order_to_send_it(text, intent):
    assert understood(text)[0][0] == intent


def test_who_approved_it_is_answered_from_the_campaign(shop):
    """ "who approved it" was told "only you can approve a campaign"."""
    draft, approved = (
        campaign_fixtures.approved_campaign(shop, approved=False),
        campaign_fixtures.approved_campaign(shop),
    )
    agent = Agent(shop, OfflinePlanner(lambda: Vocabulary.from_db(shop.db)))
    _, answer = say(agent, Conversation(), f"is campaign {draft} approved yet?")
    assert answer.startswith(f"Campaign {draft} is not approved: it is a draft. Only you can approve it")
    _, answer = say(agent, Conversation(), f"who approved campaign {approved}")
    assert answer == f"Campaign {approved} version 1 was approved by tester, and it is ready to send."
    _, answer = say(agent, Conversation(), "approve it")
    assert answer.startswith("Only you can approve a campaign")


def test_a_b_testing_and_is_it_safe_to_send_are_answered():
    """Both got a "did you mean" or the generic help."""
    plan = choose(Request("can we A/B test the subject", Memory(campaign_id=4), []))
    assert plan.answer.startswith("Yes: a draft has up to three variants (A, B and C)")
    assert first_call("is it safe to send", Memory(campaign_id=4)) == ("campaign_reach", {"campaign_id": 4})


def test_the_average_order_value_is_the_spend_over_the_orders_in_all_and_per_segment(demo_ctx):
    """It was the mean of each customer's own average (€85 in the demo shop, against €137 by the orders log): a
    one-time buyer's single order weighed as much as a regular's fifty."""
    run_tool(demo_ctx, "segment_run", k=3)
    orders = demo_ctx.db.df(
        "SELECT o.order_id, o.amount, m.segment FROM orders o JOIN customers c USING (customer_id) "
        "JOIN segment_members m USING (customer_id) JOIN segment_runs r USING (run_id) "
        "WHERE r.is_active AND c.quarantine_reason IS NULL"
    )
    per_order = orders.groupby(["segment", "order_id"])["amount"].sum().reset_index()
    overall = run_tool(demo_ctx, "query_data", sql=understand("what's our average order value").sql())
    assert overall.tables[0].rows[0][0] == pytest.approx(per_order["amount"].mean(), abs=0.01)
    by_segment = run_tool(demo_ctx, "query_data", sql=understand("average order value per segment").sql())
    by_segment = by_segment.tables[0].to_df()
    expected = per_order.groupby("segment")["amount"].mean()
    for row in by_segment.itertuples():
        assert row[3] == pytest.approx(expected[row[1]], abs=0.01), row  # segment, its name, the figure
    median = run_tool(demo_ctx, "query_data", sql=understand("median order value").sql())
    assert median.tables[0].rows[0][0] != overall.tables[0].rows[0][0], "a median is still the customers' median"


def test_none_of_the_people_listed_in_the_segment_named_is_said_in_words():
    """ "which of those are high spenders" after "who clicked?", none of whom is in the High-spending segment,
    answered "0 rows. Generate or import data first."."""
    text = "which of those are high spenders?"
    shop = Vocabulary(segments={1: "Deal-seeking practical shoppers", 4: "High-spending premium buyers"})
    memory = Memory(shown="customers", customers=["C1", "C2", "C3"], customers_of=3)
    plan = choose(Request(text, memory, [], vocabulary=lambda: shop))
    ((name, arguments),) = plan.calls
    assert name == "query_data" and "g.segment = 4" in arguments["sql"] and "'C1', 'C2', 'C3'" in arguments["sql"]
    empty = Step(name, arguments, {"ok": True, "tables": [{"columns": ["customer_id", "_customers"], "rows": []}]})
    answer = choose(Request(text, memory, [empty], vocabulary=lambda: shop)).answer
    assert answer == "None of those 3 customers are in segment 4 (High-spending premium buyers)."
