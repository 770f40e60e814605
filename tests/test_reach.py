"""Reach before approval: how many a draft would go to and who would be skipped; and a cancelled draft says so."""

from __future__ import annotations

from assistant.planner.memory import Memory, Request, Step
from assistant.planner.model import choose
from tests import campaign_fixtures
from tools import run_tool

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop


def draft(shop) -> int:
    sku = shop.db.scalar("SELECT sku FROM products ORDER BY stock DESC LIMIT 1")
    return run_tool(shop, "campaign_draft", skus=[sku], variants=1).data["campaign_id"]


def test_a_draft_counts_who_it_would_go_to_and_who_is_skipped_without_rendering(shop):
    campaign_id = draft(shop)
    everyone = shop.db.scalar("SELECT count(*) FROM customers")
    said_no = shop.db.df("SELECT customer_id FROM customers ORDER BY customer_id LIMIT 3")["customer_id"].tolist()
    shop.db.execute("UPDATE customers SET email_consent = false WHERE customer_id IN (SELECT unnest(?))", [said_no])
    reach = run_tool(shop, "campaign_reach", campaign_id=campaign_id)
    assert reach.data["would_send"] + sum(reach.data["excluded"].values()) == everyone
    assert reach.data["excluded"]["no_consent"] >= 3
    assert reach.summary.startswith(
        f"Campaign {campaign_id} is a draft (not approved yet); if it were sent now, it would go to "
        f"{reach.data['would_send']:,} customers."
    )
    assert "no consent" in reach.summary and reach.summary.endswith("Nothing was sent.")
    assert shop.db.scalar("SELECT count(*) FROM messages") == 0


def test_who_is_left_out_is_said_when_nobody_is_skipped_and_outside_the_segments(shop):
    """ "Who's left out and why" had the reach say nothing of it: nobody is skipped, and the rest are elsewhere."""
    run_tool(shop, "segment_run", k=3)
    sku = shop.db.scalar("SELECT sku FROM products ORDER BY stock DESC LIMIT 1")
    campaign_id = run_tool(shop, "campaign_draft", skus=[sku], segment=2, variants=1).data["campaign_id"]
    members = shop.db.df("SELECT customer_id FROM segment_members m JOIN segment_runs USING (run_id) "
                         "WHERE is_active AND segment = 2")["customer_id"].tolist()  # fmt: skip
    shop.db.execute("UPDATE customers SET email_consent = true WHERE customer_id IN (SELECT unnest(?))", [members])
    reach = run_tool(shop, "campaign_reach", campaign_id=campaign_id)
    everyone = shop.db.scalar("SELECT count(*) FROM customers WHERE quarantine_reason IS NULL")
    skipped = sum(reach.data["excluded"].values())
    assert ("Nobody it is meant for would be skipped." in reach.summary) == (skipped == 0)
    assert f"The other {everyone - len(members):,} customers are not in its segment." in reach.summary


def test_how_many_on_a_draft_answers_with_the_reach_not_a_refusal():
    """A count is the reach itself: no dry run (refused for a draft, shown as a failed step) comes first."""
    memory = Memory(campaign_id=4)
    assert choose(Request("how many people would this go to", memory, [])).calls == [
        ("campaign_reach", {"campaign_id": 4})
    ]
    counted = Step("campaign_reach", {"campaign_id": 4}, {"ok": True, "summary": "Campaign 4 is a draft; 260."})
    answer = choose(Request("how many people would this go to", memory, [counted])).answer
    assert answer.startswith("Campaign 4 is a draft; 260.") and "cannot be sent" not in answer
    assert "**Approve**" in answer

    approved = Step(
        "campaign_reach",
        {"campaign_id": 4},
        {"ok": True, "summary": "Campaign 4 is approved; 260.", "data": {"status": "approved", "would_send": 260}},
    )
    answer = choose(Request("how many will actually receive it", memory, [approved])).answer
    assert "*send it*" in answer and "**Approve**" not in answer, "an approved campaign is not asked to be approved"


def test_simulating_the_send_of_a_draft_falls_back_to_the_reach():
    error = "Campaign 4 is not approved, so it cannot be sent (status: draft)."
    refused = Step("campaign_send", {"campaign_id": 4, "dry_run": True}, {"ok": False, "error": error})
    memory = Memory(campaign_id=4)
    assert choose(Request("simulate the send", memory, [])).calls == [
        ("campaign_send", {"campaign_id": 4, "dry_run": True})
    ]
    assert choose(Request("simulate the send", memory, [refused])).calls == [("campaign_reach", {"campaign_id": 4})]
    counted = Step("campaign_reach", {"campaign_id": 4}, {"ok": True, "summary": "Campaign 4 is a draft; 260."})
    answer = choose(Request("simulate the send", memory, [refused, counted])).answer
    assert answer.startswith("Campaign 4 is a draft; 260.") and "cannot be sent" not in answer


def test_cancelling_a_draft_says_nothing_had_been_sent(shop):
    campaign_id = draft(shop)
    cancelled = run_tool(shop, "campaign_cancel", campaign_id=campaign_id)
    assert cancelled.summary == f"Cancelled campaign {campaign_id} (a draft; nothing had been sent)."


def test_when_nobody_would_get_it_the_answer_does_not_say_approve_and_send():
    nobody = {"ok": True, "summary": "Campaign 4 ... would go to 0 customers.", "data": {"would_send": 0}}
    answer = choose(Request("how many will get it", Memory(campaign_id=4), [Step("campaign_reach", {}, nobody)]))
    assert "**Approve**" not in answer.answer and "Nobody would get it" in answer.answer


def test_the_reach_says_how_long_sending_takes_at_the_set_pace(shop):
    """ "How long will sending take?": the reach gives the time at PROMOPILOT_SEND_RATE, as a marketer reads it."""
    from tools.campaigns.reach import sending_time

    assert sending_time(548, 50, "sending") == " At the set pace of 50 a second, sending takes under a minute."
    assert sending_time(30_000, 50, "sending") == " At the set pace of 50 a second, sending takes about 10 minutes."
    assert sending_time(600_000, 50, "the rest") == " At the set pace of 50 a second, the rest takes about 3.3 hours."
    assert sending_time(0, 50, "sending") == sending_time(500, 0, "sending") == ""
    campaign_id = draft(shop)
    shop.settings.send_rate = 0.1
    reach = run_tool(shop, "campaign_reach", campaign_id=campaign_id)
    minutes = round(reach.data["would_send"] / 0.1 / 60)
    assert minutes > 1 and f"At the set pace of 0.1 a second, sending takes about {minutes} minutes." in reach.summary


def test_how_long_a_send_takes_is_answered_with_the_reach_before_it_is_sent():
    """Whether read as the reach or as the report (refused: not sent yet), the answer is the reach, with the time."""
    memory = Memory(campaign_id=4)
    results = {
        "campaign_report": {"ok": False, "error": "Campaign 4 has not been sent yet (status: draft)."},
        "campaign_reach": {"ok": True, "summary": "Campaign 4 is a draft; 260. Sending takes under a minute."},
    }
    for text in ("how long will sending take", "how long does the send take", "when will it finish sending"):
        steps: list[Step] = []
        while (plan := choose(Request(text, memory, steps))).calls:
            name, arguments = plan.calls[0]
            assert name in results and len(steps) < 3, (text, steps)
            steps.append(Step(name, arguments, results[name]))
        assert "Campaign 4 is a draft; 260. Sending takes under a minute." in plan.answer, text
        assert "has not been sent" not in plan.answer, text
    refused = Step("campaign_report", {"campaign_id": 4}, results["campaign_report"])
    assert choose(Request("how long will sending take", memory, [refused])).calls == [
        ("campaign_reach", {"campaign_id": 4})
    ]


def test_who_exactly_gets_a_draft_lists_those_it_would_go_to(shop):
    """ "who exactly gets this" on a draft said it had not been sent, so nobody had received it."""
    from tests.test_new_shop_chat import Chat

    run_tool(shop, "segment_run", k=3)
    chat = Chat(shop)
    sku = shop.db.scalar("SELECT sku FROM products ORDER BY stock DESC LIMIT 1")
    chat.say(f"draft an email about {sku} for segment 2")
    members = set(
        shop.db.df("SELECT customer_id FROM segment_members m JOIN segment_runs USING (run_id) "
                   "WHERE is_active AND segment = 2")["customer_id"]
    )  # fmt: skip
    answer, ended = chat.say("who exactly gets this")
    assert ended[-1].name == "campaign_reach" and "has not been sent" not in answer
    listed = ended[-1].result.tables[1].to_df()
    assert ended[-1].result.tables[1].name == "Who would get it"
    assert set(listed["customer_id"]) <= members and len(listed) == min(200, ended[-1].result.data["would_send"])
    assert "They are listed in the table *Who would get it*" in answer


def test_is_it_ok_to_send_says_what_is_left_and_to_how_many(shop):
    """ "is it ok to send it now?" was read as "not now" ("OK, I am not sending it now ... after you press Approve"),
    for a campaign already approved."""
    from tests.test_new_shop_chat import Chat

    campaign_id = draft(shop)
    chat = Chat(shop)
    chat.say(f"preview campaign {campaign_id}")
    answer, ended = chat.say("is it ok to send it now?")
    assert [e.name for e in ended] == ["campaign_reach"] and "press **Approve**" in answer
    run_tool(shop, "campaign_approve", campaign_id=campaign_id, version=1, approved_by="me")
    answer, ended = chat.say("are we ready to send?")
    assert [e.name for e in ended] == ["campaign_reach"]
    assert answer.startswith(f"Campaign {campaign_id} is approved;") and "Say *send it* when you are ready" in answer


def test_a_go_ahead_typed_under_a_confirmation_says_only_the_button_confirms(shop):
    """ "ok go" under "Send campaign 1 to 246 customers now?" answered "Good.", as if it had been sent."""
    from tests.test_new_shop_chat import Chat

    campaign_id = draft(shop)
    run_tool(shop, "campaign_approve", campaign_id=campaign_id, version=1, approved_by="me")
    chat = Chat(shop)
    _, ended = chat.say(f"send campaign {campaign_id}")
    assert ended[-1].confirmation is not None
    for said in ("ok go", "yes send it"):
        answer, ended = chat.say(said)
        assert answer.startswith("Press **Confirm** under the question to go ahead") and not ended
    assert shop.db.scalar("SELECT count(*) FROM messages WHERE status = 'sent'") == 0
