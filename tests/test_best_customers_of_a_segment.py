"""Best customers within one segment: "customers in segment 2 who spent over 1000", "best customers in segment 3"."""

from __future__ import annotations

import pytest

from tests.test_new_shop_chat import Chat
from tools import run_tool


@pytest.fixture
def shop(demo_ctx):
    run_tool(demo_ctx, "segment_run", k=4)
    return demo_ctx


def test_best_customers_of_one_segment_are_that_segments(shop):
    """ "Customers in segment 2 who spent over 1000" counted every segment's (309 of them, not 90), without a word."""
    members = (
        "SELECT count(*) FROM customer_behavior b JOIN segment_members m USING (customer_id) "
        "JOIN segment_runs r ON r.run_id = m.run_id AND r.is_active WHERE m.segment = ? AND b.total_spent > ?"
    )
    answer, _ = Chat(shop).say("show me customers in segment 2 who spent over 1000")
    assert answer.startswith(f"**{shop.db.scalar(members, [2, 1000]):,} customers** in segment 2 have spent more")
    answer, ended = Chat(shop).say("best customers in segment 3")
    listed = ended[-1].result.tables[0].to_df()
    assert answer.startswith("Your 10 best customers in segment 3 by total spend") and len(listed) == 10
    top = shop.db.scalar(members.replace("count(*)", "max(b.total_spent)"), [3, 0])
    assert f"the top one has spent **€{top:,.2f}**" in answer


def test_an_email_to_my_top_customers_lists_them_and_says_which_audience_reaches_them(shop):
    """ "send a thank you email to my top 10 customers" listed them and said nothing of the email."""
    answer, ended = Chat(shop).say("send a thank you email to my top 10 customers")
    assert [e.name for e in ended] == ["query_data"]
    segments = ended[-1].result.tables[0].to_df()["Segment"].tolist()
    most = max(set(segments), key=segments.count)
    assert "not to a list of people, so I did not draft one" in answer
    assert f"are in the segment '{most}': *draft an email for {most} about ...*" in answer


def test_the_number_of_best_customers_said_is_the_number_listed(shop):
    """ "my top 20 customers" said "Your 10 best customers" over a table of 20 (the rows the planner reads)."""
    answer, ended = Chat(shop).say("my top 20 customers")
    assert answer.startswith("Your 20 best customers by total spend") and len(ended[-1].result.tables[0].rows) == 20
