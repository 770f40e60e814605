"""Segments by their place in the list, renamed by "that one", and compared: follow-ups after segmenting."""

from __future__ import annotations

import asyncio

import pytest

from assistant.loop import Agent, Conversation, Token, ToolStart
from assistant.planner.memory import Memory, Request, Step
from assistant.planner.model import OfflinePlanner, choose, understood
from assistant.planner.on_screen import on_screen
from assistant.planner.vocabulary import Vocabulary

NAMES = {1: "Occasional buyers", 2: "Deal-seeking shoppers", 3: "Recent buyers", 4: "Luxury buyers", 5: "Big spenders"}
LISTED = Memory(segment_names=NAMES, segments=[1, 2, 3, 4, 5], shown="segments")
PRODUCTS = [{"sku": f"OUT-00000{i}", "price": 10.0 * i} for i in range(1, 5)]
AFTER_PRODUCTS = Memory(
    segment_names=NAMES, segments=[1, 2, 3, 4, 5], found=[p["sku"] for p in PRODUCTS], products=PRODUCTS,
    shown="products",
)  # fmt: skip


def on(segment: int) -> Memory:
    """Right after segment `segment` was shown (or pointed at)."""
    return Memory(segment=segment, segment_names=NAMES, segments=[1, 2, 3, 4, 5], shown="segments")


def first_call(text: str, memory: Memory) -> tuple[str, dict] | None:
    plan = choose(Request(text, memory, [], segment_names=memory.segment_names))
    return plan.calls[0] if plan.calls else None


def offline_chat(ctx) -> tuple[Agent, Conversation]:
    """The chat as the app runs it without a model: the offline planner, reading the shop's own words."""
    return Agent(ctx, OfflinePlanner(lambda: Vocabulary.from_db(ctx.db))), Conversation()


def active_segments(ctx, column: str) -> dict[int, object]:
    """Each segment of the active segmentation with `column` (a fixed name, never user text)."""
    return dict(
        ctx.db.execute(
            f"SELECT s.segment, s.{column} FROM segments s JOIN segment_runs r USING (run_id) WHERE r.is_active"  # noqa: S608
        ).fetchall()
    )


def say(agent: Agent, conversation: Conversation, text: str) -> tuple[list, str]:
    async def run() -> list:
        return [e async for e in agent.run(conversation, text)]

    events = asyncio.run(run())
    return [(e.name, e.arguments) for e in events if isinstance(e, ToolStart)], "".join(
        e.text for e in events if isinstance(e, Token)
    )


def test_a_session_after_segmenting_points_at_renames_and_compares_the_segments(demo_ctx):
    """The session that showed the bugs: the second audience, "call that one ...", "the difference between them"."""
    agent, conversation = offline_chat(demo_ctx)
    calls, answer = say(agent, conversation, "split my customers into audiences")
    assert calls[-1][0] == "segment_run" and "5 segments" in answer
    calls, _ = say(agent, conversation, "tell me more about the second audience")
    assert calls == [("segment_show", {"segment": 2})]
    calls, answer = say(agent, conversation, "give it a better name")  # no name given: asked, with the current one
    named = demo_ctx.db.scalar("SELECT name FROM segments WHERE run_id = 1 AND segment = 2")
    assert calls == [] and f"What should segment 2 (now “{named}”) be called?" in answer
    calls, answer = say(agent, conversation, "call that one Deal hunters")
    assert calls == [("segment_rename", {"segment": 2, "name": "Deal hunters"})]
    calls, answer = say(agent, conversation, "what's the difference between them")
    assert [name for name, _ in calls] == ["segment_list"]
    assert "Deal hunters" in answer and "I could not work out" not in answer
    listed = demo_ctx.db.df("SELECT segment, description FROM segments WHERE run_id = 1 ORDER BY segment")
    assert all(d.rstrip(".") in answer for d in listed["description"]), "each segment: what sets it apart"
    calls, _ = say(agent, conversation, "the last one")
    assert calls == [("segment_show", {"segment": int(listed["segment"].max())})]


@pytest.mark.parametrize(
    ("text", "segment"),
    [
        ("tell me more about the second audience", 2),
        ("what's in the 3rd group", 3),
        ("describe the first segment", 1),
        ("the last one", 5),
        ("tell me about the last one", 5),
        ("the fourth one", 4),
        ("and the second?", 2),
    ],
)
def test_a_segment_by_its_place_in_the_list(text, segment):
    assert first_call(text, LISTED) == ("segment_show", {"segment": segment})


def test_a_place_counts_in_the_order_the_segments_were_shown():
    """After "which segment fits these", the best fit comes first: "the second one" is the runner-up."""
    memory = Memory(segment_names=NAMES)
    ranking = {"columns": ["segment", "name", "fit"], "rows": [[4, NAMES[4], 0.9], [2, NAMES[2], 0.7]]}
    memory.learn(Step("match_segments", {"product": ["OUT-000001"]}, {"ok": True, "tables": [ranking]}))
    assert first_call("the second one", memory) == ("segment_show", {"segment": 2})


def test_a_place_after_a_product_list_is_still_a_product_and_a_segment_word_a_segment():
    assert first_call("the second one", AFTER_PRODUCTS) == ("shortlist_add", {"skus": ["OUT-000002"]})
    assert first_call("the last one", AFTER_PRODUCTS) == ("shortlist_add", {"skus": ["OUT-000004"]})
    assert first_call("tell me more about the second audience", AFTER_PRODUCTS) == ("segment_show", {"segment": 2})


@pytest.mark.parametrize(
    ("text", "memory", "expected"),
    [
        ("call that one Deal hunters", on(2), (2, "Deal hunters")),
        ("rename it to Deal hunters", on(2), (2, "Deal hunters")),
        ("let's call segment 3 the Weekenders", LISTED, (3, "Weekenders")),
        ("name that group 'Big spenders'", on(4), (4, "Big spenders")),
        ("call this one “Night owls”", on(1), (1, "Night owls")),
        ("call them Early birds", on(2), (2, "Early birds")),
        ("call the second one Bargain fans", LISTED, (2, "Bargain fans")),
    ],
)
def test_a_rename_keeps_only_the_new_name(text, memory, expected):
    segment, name = expected
    assert first_call(text, memory) == ("segment_rename", {"segment": segment, "name": name})


@pytest.mark.parametrize(
    "text", ["what's the difference between them", "how are they different from one another", "so what separates them"]
)
def test_how_the_segments_differ_lists_them(text):
    assert first_call(text, LISTED) == ("segment_list", {})


def test_the_difference_between_two_versions_is_still_about_the_campaign():
    readings = understood("what's the difference between version 1 and 2")
    assert readings[0][0] != "segment_list", readings[:3]


def test_no_question_when_both_likely_readings_answer_with_the_same_breakdown():
    """ "which category makes the most money": best customers or a question of the data, both a breakdown."""
    from assistant.planner.model import same_answer

    readings = [("best_customers", 0.46), ("analytics", 0.35), ("find_products", 0.14)]
    assert same_answer("which category makes the most money", readings)
    assert not same_answer("who are my best customers", readings)
    assert not same_answer("which category makes the most money", [("find_products", 0.46), ("analytics", 0.35)])


@pytest.mark.parametrize(
    ("text", "segment"), [("what about 2", 2), ("and 3?", 3), ("tell me about 2", 2), ("number 4 please", 4)]
)
def test_a_bare_number_right_after_a_segment_table_is_that_segment(text, segment):
    assert first_call(text, LISTED) == ("segment_show", {"segment": segment})


@pytest.mark.parametrize(("shown", "meant"), [("segments", "segment_rename"), ("campaign", "revise"), (None, "revise")])
def test_what_is_on_screen_tells_a_rename_from_a_revision(shown, meant):
    """ "give it a better name": the segment just described, or the draft just shown; with neither, as read."""
    readings = [("revise", 0.51), ("segment_rename", 0.48), ("help", 0.01)]
    assert on_screen(Request("give it a better name", Memory(shown=shown), []), readings)[0][0] == meant


def test_the_people_in_a_segment_are_listed_and_merging_is_answered(demo_ctx):
    """ "show me some people from group 1" and "export group 1" gave the profile; "merge groups 2 and 3" described
    segment 2 as if asked."""
    agent, conversation = offline_chat(demo_ctx)
    say(agent, conversation, "group my customers into 4")
    members = demo_ctx.db.df(
        "SELECT m.customer_id, b.total_spent FROM segment_members m JOIN segment_runs r USING (run_id) "
        "LEFT JOIN customer_behavior b USING (customer_id) WHERE r.is_active AND m.segment = 1"
    )
    for text in ("show me some people from group 1", "export group 1"):
        calls, answer = say(agent, conversation, text)
        assert [name for name, _ in calls] == ["query_data"], text
        assert f"Segment 1 has **{len(members):,} customers**" in answer and "CSV download" in answer
    calls, answer = say(agent, conversation, "merge groups 2 and 3")
    assert calls == [] and "cannot merge segments by hand" in answer
    calls, answer = say(agent, conversation, "which group spends the most per order")
    assert answer.startswith("Average order value by segment, 4 segments: highest is segment")


def test_the_biggest_or_smallest_segment_is_picked_by_size(demo_ctx):
    agent, conversation = offline_chat(demo_ctx)
    say(agent, conversation, "group my customers into 4")
    sizes = dict(
        demo_ctx.db.execute(
            "SELECT segment, count(*) FROM segment_members m JOIN segment_runs r USING (run_id) WHERE r.is_active "
            "GROUP BY 1"
        ).fetchall()
    )
    for text, pick in (("tell me about the smallest segment", min), ("what's special about the biggest group", max)):
        calls, answer = say(agent, conversation, text)
        assert calls[-1] == ("segment_show", {"segment": pick(sizes, key=sizes.get)}), text
        assert answer.startswith(f"Segment {pick(sizes, key=sizes.get)}, "), "that one, not the list it was found in"
    calls, answer = say(agent, conversation, "describe the weekend warriors")  # no segment is called that
    assert "Which one did you mean?" in answer
    calls, answer = say(agent, conversation, "describe the bargain hunters")  # the rules' "Deal-seeking" one
    assert calls[-1][0] == "segment_show" and answer.startswith(f"Segment {calls[-1][1]['segment']}, Deal-seeking")


RULE_NAMES = {
    1: "Occasional small-basket buyers",
    2: "Deal-seeking practical shoppers",
    3: "High-spending premium buyers",
}


@pytest.mark.parametrize(
    ("said", "number"),
    [("the big spenders", 3), ("our top spenders", 3), ("the bargain hunters", 2), ("occasional buyers", 1)],
)
def test_a_segment_is_found_by_the_everyday_words_for_its_rule_name(said, number):
    """The rules name a segment "High-spending premium buyers"; a marketer calls them "the big spenders"."""
    from assistant.planner.segment_slots import segment_named

    assert segment_named(said, RULE_NAMES) == number


def test_promote_products_to_a_segment_by_its_everyday_name_drafts_for_that_segment(demo_ctx):
    """It was a product search, and "for the big spenders" drafted for whichever segment the coats fitted best."""
    agent, conversation = offline_chat(demo_ctx)
    say(agent, conversation, "segment customers")
    names = active_segments(demo_ctx, "name")
    spenders = next(n for n, name in names.items() if name.startswith("High-spending"))
    calls, answer = say(agent, conversation, "promote our coats to the big spenders")
    assert calls[0][0] == "find_products" and calls[0][1]["search"] == "coat"
    assert calls[-1][0] == "campaign_draft" and calls[-1][1]["segment"] == spenders
    fresh, chat = offline_chat(demo_ctx)  # a new conversation knows no names: the segments are looked up first
    calls, answer = say(fresh, chat, "make three versions of an email for the big spenders about our knitwear")
    assert [name for name, _ in calls][-2:] == ["segment_list", "campaign_draft"]
    assert calls[-1][1]["segment"] == spenders
    assert "segments:" not in answer and answer.count("Drafted campaign") == 1, "the lookup is not told"
    calls, _ = say(agent, conversation, "now draft an email about jackets for the bargain hunters")
    hunters = next(n for n, name in names.items() if name.startswith("Deal-seeking"))
    assert calls[-1][0] == "campaign_draft" and calls[-1][1]["segment"] == hunters


def test_a_segments_products_by_its_everyday_name_and_a_draft_about_other_products(demo_ctx):
    """ "what products do big spenders buy" listed the catalogue by stock; "email them about jeans" after a draft
    about coats featured the coats again; "about new arrivals" found no product called "arrival"."""
    agent, conversation = offline_chat(demo_ctx)
    say(agent, conversation, "segment customers")
    names = active_segments(demo_ctx, "name")
    spenders = next(n for n, name in names.items() if name.startswith("High-spending"))
    hunters = next(n for n, name in names.items() if name.startswith("Deal-seeking"))
    calls, _ = say(agent, conversation, "what products do big spenders buy")
    assert calls == [("suggest_products", {"segment": spenders})]
    calls, _ = say(agent, conversation, "email the bargain hunters about new arrivals")
    assert calls[0] == ("find_products", {"limit": 3, "sort": "newest"})
    assert calls[-1][0] == "campaign_draft" and calls[-1][1]["segment"] == hunters
    calls, _ = say(agent, conversation, "email them about jeans")
    assert calls[0] == ("find_products", {"limit": 3, "category": ["Jeans"]}) and calls[-1][0] == "campaign_draft"


@pytest.mark.parametrize(
    "text", ["compare segment 1 and segment 4", "how does group 2 differ from group 3"]
)  # a "did you mean" that offered to compare numbers of segments; one segment's profile
def test_two_segments_compared_are_shown_side_by_side(text):
    assert understood(text)[0][0] == "segment_list"
    assert understood("compare 3 and 5 segments")[0][0] == "segment_compare"  # how many segments to make


@pytest.mark.parametrize(
    ("asked", "pick"), [("which group spends the most", max), ("which segment spends the least", min)]
)
def test_that_group_after_a_figure_by_segment_is_the_one_asked_for(demo_ctx, asked, pick):
    """ "Tell me about that group" after "which group spends the most" asked which segment was meant, though the
    answer had just named it; "which segment spends the least" was read as matching products to segments."""
    agent, conversation = offline_chat(demo_ctx)
    say(agent, conversation, "segment customers")
    spend = dict(
        demo_ctx.db.execute(
            "SELECT m.segment, avg(b.total_spent) FROM segment_members m JOIN segment_runs r USING (run_id) "
            "JOIN customer_behavior b USING (customer_id) WHERE r.is_active GROUP BY m.segment"
        ).fetchall()
    )
    calls, _ = say(agent, conversation, asked)
    assert [name for name, _ in calls] == ["query_data"]
    calls, _ = say(agent, conversation, "tell me about that group")
    assert calls == [("segment_show", {"segment": pick(spend, key=spend.get)})]


@pytest.mark.parametrize("text", ["show me a chart of the segments", "can I see the segments as a graph"])
def test_a_chart_of_the_segments_is_their_profiles_with_charts(text):
    """It listed the segments: a table, no chart."""
    plan = choose(Request(text, Memory(segment_names={1: "Regulars", 2: "VIPs"}), []))
    assert plan.calls == [("segment_show", {})]


def test_the_segment_most_at_risk_of_churning_is_read_from_the_predictions(demo_ctx):
    """It got "I can answer questions like *average order value per segment*": churn risk is no figure of the
    data's, it is the predictions'. With none yet, the customers are scored first."""
    agent, conversation = offline_chat(demo_ctx)
    say(agent, conversation, "split them into 4 groups")
    calls, answer = say(agent, conversation, "which segment has the highest churn risk")
    assert [name for name, _ in calls] == ["segment_list", "predict", "segment_list"]
    share = dict(
        demo_ctx.db.execute(
            "SELECT m.segment, avg((p.churn_risk = 'high')::INTEGER) FROM predictions p "
            "JOIN segment_members m USING (customer_id) JOIN segment_runs r USING (run_id) WHERE r.is_active "
            "GROUP BY 1"
        ).fetchall()
    )
    riskiest = max(share, key=share.get)
    assert f"(segment {riskiest}) has the largest share at high churn risk, {share[riskiest]:.0%} of its" in answer
    calls, answer = say(agent, conversation, "which group is worth the most next year")
    assert [name for name, _ in calls] == ["segment_list"]
    assert "has the highest median predicted 12-month value" in answer


def test_several_rows_of_the_segments_table_are_those_segments(demo_ctx):
    """ "the top two of those" under the segments' table asked which products were meant. One conversation: each
    segmentation costs seconds, and the table is put back on screen before each reference."""
    agent, conversation = offline_chat(demo_ctx)
    say(agent, conversation, "split them into 4 groups")
    sizes = dict(demo_ctx.db.execute("SELECT segment, size FROM segments").fetchall())
    names = dict(demo_ctx.db.execute("SELECT segment, name FROM segments").fetchall())
    for text, picked in [
        ("the top two of those", [1, 2]),
        ("the last two", [3, 4]),
        ("the biggest two", sorted(sizes, key=lambda n: -sizes[n])[:2]),
    ]:
        say(agent, conversation, "list the segments")
        calls, answer = say(agent, conversation, text)
        assert calls == [("segment_list", {"segments": picked})] and "Which products" not in answer, text
        assert [line.split("**")[1] for line in answer.splitlines() if line.startswith("- **")] == [
            f"{n}. {names[n]}" for n in sorted(picked)
        ], text
        assert f"*draft an email for segments {' and '.join(map(str, sorted(picked)))} about ...*" in answer
    # The segments picked are what "them" means for the email, after products are found and kept in between.
    say(agent, conversation, "list the segments")
    calls, _ = say(agent, conversation, "the two smallest")
    smallest = sorted(sizes, key=lambda n: sizes[n])[:2]
    assert calls == [("segment_list", {"segments": smallest})]
    say(agent, conversation, "show coats")
    say(agent, conversation, "keep the first two")
    calls, _ = say(agent, conversation, "draft an email for them")
    assert calls[-1][0] == "campaign_draft" and calls[-1][1]["segments"] == sorted(smallest)


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # after "which group buys the most" pointed at segment 5
        ("tell me more about that one", ("segment_show", {"segment": 5})),  # asked which customer was meant
        ("what should we push to them", ("suggest_products", {"segment": 5})),  # asked products or a revision
    ],
)
def test_that_one_and_them_after_a_segment_was_pointed_at(text, expected):
    assert first_call(text, on(5)) == expected


def test_two_segments_compared_are_those_two_side_by_side(demo_ctx):
    """ "compare segment 1 and segment 2" described all the segments; "the difference between the bargain hunters and
    the big spenders" described the big spenders alone; "what makes them different from group 1" described group 1."""
    agent, conversation = offline_chat(demo_ctx)
    say(agent, conversation, "split them into 4 groups")
    names = dict(demo_ctx.db.execute("SELECT segment, name FROM segments").fetchall())
    deals = next(n for n, name in names.items() if name.startswith("Deal-seeking"))
    spenders = next(n for n, name in names.items() if name.startswith("High-spending"))
    other = next(n for n in names if n not in (deals, spenders))
    for text, pair in [
        ("compare segment 1 and segment 2", [1, 2]),
        ("how is group 3 different from group 1", [3, 1]),
        ("what's the difference between the bargain hunters and the big spenders", [deals, spenders]),
    ]:
        calls, answer = say(agent, conversation, text)
        assert calls == [("segment_list", {"segments": pair})], text
        assert [line.split("**")[1] for line in answer.splitlines() if line.startswith("- **")] == [
            f"{n}. {names[n]}" for n in sorted(pair)
        ], text
    say(agent, conversation, f"tell me about segment {other}")
    calls, _ = say(agent, conversation, f"what makes them different from group {spenders}")
    assert calls == [("segment_list", {"segments": [other, spenders]})]
