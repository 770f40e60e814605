""" "Revenue from segment 4", "how many orders did the deal seekers place": a figure of one segment is that segment's,
from its members' orders. It was the whole shop's figure, said as if it were the segment's (the segment was joined
and never filtered on), or a product search for the segment's name. Expected figures come from SQL written here."""

from __future__ import annotations

import pytest

from tests.test_new_shop_chat import Chat
from tools import run_tool

MEMBERS = (
    "FROM orders o JOIN segment_members m USING (customer_id) JOIN segment_runs r ON r.run_id = m.run_id AND "
    "r.is_active WHERE m.segment = ?"
)


@pytest.fixture
def shop(demo_ctx):
    run_tool(demo_ctx, "segment_run", k=4)
    return demo_ctx


def revenue(ctx, segment: int, year: int | None = None) -> float:
    when = f" AND year(o.ordered_at) = {year}" if year else ""
    return ctx.db.scalar(f"SELECT round(sum(o.amount), 2) {MEMBERS}{when}", [segment])


def names(ctx) -> dict[int, str]:
    return dict(
        ctx.db.execute("SELECT segment, name FROM segments JOIN segment_runs USING (run_id) WHERE is_active").fetchall()
    )


def money(value: float) -> str:
    return f"€{value:,.2f}"


def test_revenue_of_a_segment_by_number_is_its_members(shop):
    answer, ended = Chat(shop).say("revenue from segment 3")
    assert [e.name for e in ended] == ["query_data"]
    assert answer.startswith(f"Total revenue, segment 3 ({names(shop)[3]}): **{money(revenue(shop, 3))}**")
    whole = shop.db.scalar("SELECT round(sum(amount), 2) FROM orders")
    assert revenue(shop, 3) < whole  # the figure it gave before


def test_a_segment_by_its_whole_name_is_not_a_product(shop):
    """It searched the order lines for a product called like the segment."""
    name = names(shop)[2]
    answer, _ = Chat(shop).say(f"total revenue for the {name}")
    assert answer.startswith(f"Total revenue, segment 2 ({name}): **{money(revenue(shop, 2))}**")


def test_customers_of_a_segment_who_ordered_in_a_month(shop):
    last, month = shop.db.execute(
        "SELECT max(ordered_at)::DATE, (date_trunc('month', max(ordered_at)) - INTERVAL 1 MONTH)::DATE FROM orders"
    ).fetchone()  # the last whole month
    ordered = shop.db.scalar(
        f"SELECT count(DISTINCT o.customer_id) {MEMBERS} AND NOT o.is_return AND date_trunc('month', o.ordered_at) = ?",
        [4, month],
    )
    answer, _ = Chat(shop, today=last).say(f"how many customers in segment 4 ordered in {month:%B %Y}")
    assert f"Customers who ordered, segment 4 ({names(shop)[4]}), " in answer
    assert answer.split("**")[1] == f"{ordered:,}"


def test_a_nickname_only_one_segment_fits_names_it_and_asks_no_spend(shop):
    """ "the big spenders" read as the figure "spend per customer", and the question went to a campaign list."""
    from assistant.planner.segment_slots import SEGMENT_NICKNAMES

    fitting = {
        noun: [k for k, n in names(shop).items() if trait.lower() in n.lower()]
        for noun, trait in SEGMENT_NICKNAMES.items()
    }
    noun, (segment,) = next((noun, fits) for noun, fits in fitting.items() if len(fits) == 1)
    orders = shop.db.scalar(f"SELECT count(DISTINCT o.order_id) FILTER (WHERE NOT o.is_return) {MEMBERS}", [segment])
    answer, ended = Chat(shop).say(f"how many orders did the {noun} place")
    assert [e.name for e in ended] == ["query_data"]
    assert answer.startswith(f"Orders, segment {segment} ({names(shop)[segment]}): **{orders:,}**")


def test_two_segments_named_are_both_given(shop):
    aov = {s: shop.db.scalar(f"SELECT sum(o.amount) / count(DISTINCT o.order_id) FILTER (WHERE NOT o.is_return) "
                             f"{MEMBERS}", [s]) for s in (1, 4)}  # fmt: skip
    answer, _ = Chat(shop).say("what's the average order value of segment 4 vs segment 1")
    assert "segment 4" in answer  # the first said
    answer, _ = Chat(shop).say(f"average order value of the {names(shop)[4]} vs the {names(shop)[1]}")
    assert answer.startswith(f"Average order value, segment 4 ({names(shop)[4]}): **{money(aov[4])}**; Average order "
                             f"value, segment 1 ({names(shop)[1]}): **{money(aov[1])}**")  # fmt: skip


def test_a_figure_of_a_segment_is_not_what_it_buys(shop):
    """ "average order value of segment 4" gave the products that suit segment 4."""
    answer, ended = Chat(shop).say("average order value of segment 4")
    assert [e.name for e in ended] == ["query_data"] and answer.startswith("Average order value, segment 4 (")


def test_a_segment_not_in_use_or_no_segmentation_is_said(demo_ctx):
    answer, _ = Chat(demo_ctx).say("revenue from segment 2")
    assert answer == "Your customers are not segmented yet: say *segment customers* first, then ask again."
    run_tool(demo_ctx, "segment_run", k=4)
    answer, _ = Chat(demo_ctx).say("revenue from segment 9")
    assert answer.startswith("There is no segment 9 in the segmentation in use (4 segments in all)")


def nickname(ctx) -> tuple[str, int]:
    """A nickname only one segment's name fits ("the big spenders" for "High-spending premium buyers")."""
    from assistant.planner.segment_slots import SEGMENT_NICKNAMES

    for noun, trait in SEGMENT_NICKNAMES.items():
        fits = [k for k, n in names(ctx).items() if trait.lower() in n.lower()]
        if len(fits) == 1:
            return noun, fits[0]
    raise AssertionError("no nickname fits one segment")


def test_how_many_of_a_segment_by_its_nickname(shop):
    """ "how many high spenders do we have" listed the 10 best customers; "how many deal seekers are there" asked."""
    noun, segment = nickname(shop)
    members = shop.db.scalar(
        "SELECT count(*) FROM segment_members m JOIN segment_runs r ON r.run_id = m.run_id AND r.is_active "
        "WHERE m.segment = ?",
        [segment],
    )
    for said in (f"how many {noun} do we have", f"the {noun}, how many are there"):
        answer, _ = Chat(shop).say(said)
        assert answer.startswith(f"Customers, segment {segment} ({names(shop)[segment]}): **{members:,}**"), said


def test_how_many_of_a_segment_named_so_can_be_emailed(shop):
    """It gave the reach of the draft in play, or everyone's."""
    noun, segment = nickname(shop)
    _, ended = Chat(shop).say(f"how many of the {noun} can i email")
    assert [(e.name, e.arguments) for e in ended] == [("unreachable_customers", {"segment": segment})]


def test_a_segment_renamed_by_its_name_or_nickname(shop):
    """ "rename the premium buyers to VIPs" asked which segment and what name."""
    noun, segment = nickname(shop)
    _, ended = Chat(shop).say(f"rename the {noun} to VIPs")
    assert [(e.name, e.arguments) for e in ended] == [("segment_rename", {"segment": segment, "name": "VIPs"})]
    other = next(k for k in names(shop) if k != segment)
    _, ended = Chat(shop).say(f"call the {names(shop)[other]} Bargain fans")
    assert [(e.name, e.arguments) for e in ended] == [("segment_rename", {"segment": other, "name": "Bargain fans"})]
    answer, _ = Chat(shop).say("how many VIPs are there")
    assert answer.startswith(f"Customers, segment {segment} (VIPs): **")


def test_a_segment_renamed_by_a_word_of_its_name_to_a_nickname_of_another(shop):
    """ "change the name of the luxury buyers to Big Spenders" asked what the High-spending segment should be called:
    the new name, a nickname of another segment, was read as the segment meant."""
    named = names(shop)
    segment, first = next((k, n.split()[0]) for k, n in named.items() if not n.startswith("High-spending"))
    _, ended = Chat(shop).say(f"change the name of the {first.lower()} buyers to Big Spenders")
    assert [(e.name, e.arguments) for e in ended] == [("segment_rename", {"segment": segment, "name": "Big Spenders"})]


def test_what_kinds_of_customers_we_have_are_the_segments(shop):
    _, ended = Chat(shop).say("what kinds of customers do we have")
    assert [e.name for e in ended] == ["segment_list"]


def test_why_after_which_group_spends_most_describes_that_group(shop):
    """ "why?" got the generic help."""
    chat = Chat(shop)
    chat.say("which group spends the most")
    top = shop.db.scalar(
        "SELECT m.segment FROM segment_members m JOIN segment_runs r ON r.run_id = m.run_id AND r.is_active "
        "JOIN customer_behavior b USING (customer_id) GROUP BY 1 ORDER BY avg(b.total_spent) DESC LIMIT 1"
    )
    answer, ended = chat.say("why?")
    assert ("segment_show", {"segment": top}) in [(e.name, e.arguments) for e in ended]
    assert answer.startswith(f"Segment {top}, {names(shop)[top]} (")


def test_an_email_for_that_group_with_no_group_on_screen_asks_which(shop):
    """After "which group has the most people at risk of leaving" (a segment list, with one named in words), "email
    that group about knitwear" drafted for the segment knitwear fits best, another one."""
    chat = Chat(shop)
    chat.say("list the segments")
    answer, ended = chat.say("email that group about knitwear")
    assert "campaign_draft" not in [e.name for e in ended]
    assert answer.startswith("Which segment do you mean?")
    chat.say("describe segment 2")
    _, ended = chat.say("email that group about knitwear")
    assert ended[-1].name == "campaign_draft" and ended[-1].arguments["segment"] == 2


def test_how_a_segment_did_in_a_year_is_its_members_and_the_next_year_too(shop):
    """ "how many of group 1 ordered in 2025?" gave the whole shop's year (1,925 customers)."""
    chat = Chat(shop)
    for said, year in (("how many of group 1 ordered in 2025?", 2025), ("and in 2024?", 2024)):
        customers, orders = shop.db.execute(
            f"SELECT count(DISTINCT o.customer_id), count(DISTINCT o.order_id) {MEMBERS} AND year(o.ordered_at) = ?",
            [1, year],
        ).fetchone()
        answer, _ = chat.say(said)
        assert answer.startswith(f"Segment 1's customers, in {year} (1 Jan–31 Dec {year}): revenue ")
        assert f"**{money(revenue(shop, 1, year))}** from **{orders:,} orders**" in answer
        assert f"**{customers:,} customers** ordered" in answer


def test_which_group_buys_most_often_is_their_orders_per_customer(shop):
    """It gave the revenue by segment: how much, not how often."""
    per = dict(shop.db.execute(
        "SELECT m.segment, avg(b.order_count) FROM segment_members m JOIN segment_runs r USING (run_id) "
        "JOIN customer_behavior b USING (customer_id) WHERE r.is_active GROUP BY 1"
    ).fetchall())  # fmt: skip
    top = max(per, key=per.get)
    answer, _ = Chat(shop).say("which group buys most often?")
    assert answer.startswith("Average orders per customer by segment")
    assert f"highest is segment {top} ({names(shop)[top]}) at **{per[top]:,.1f}**" in answer


def test_each_groups_share_of_revenue_is_given_when_asked(shop):
    """ "what share of revenue comes from each group" gave the amounts alone."""
    per = dict(
        shop.db.execute(
            f"SELECT m.segment, sum(o.amount) {MEMBERS.replace('= ?', 'IS NOT NULL')} GROUP BY 1"
        ).fetchall()
    )
    whole = shop.db.scalar("SELECT sum(amount) FROM orders")
    top = max(per, key=per.get)
    answer, ended = Chat(shop).say("what share of revenue comes from each group")
    assert f"at **{money(per[top])}** ({per[top] / whole:.1%} of the total)" in answer
    shares = ended[-1].result.tables[0].to_df().set_index("Segment")["Share"]
    assert shares[top] == pytest.approx(per[top] / whole) and shares.sum() == pytest.approx(1)


def test_which_group_has_the_most_who_have_not_bought_lately_is_per_segment(shop):
    """It gave the shop's 276 and a list of customers, no group."""
    quiet = dict(shop.db.execute(
        "SELECT m.segment, count(*) FROM segment_members m JOIN segment_runs r USING (run_id) JOIN customer_behavior b "
        "USING (customer_id) WHERE r.is_active AND b.days_since_last_purchase > 180 GROUP BY 1"
    ).fetchall())  # fmt: skip
    top = max(quiet, key=quiet.get)
    answer, _ = Chat(shop).say("which group has the most people who havent bought in 6 months")
    assert answer.startswith("Customers who have not bought in the last 6 months by segment")
    assert f"highest is segment {top} ({names(shop)[top]}) at **{quiet[top]}**" in answer


def test_how_many_of_a_renamed_segment_ordered_in_a_year_and_of_a_name_no_segment_has(shop):
    """ "how many of the VIPs ordered in 2025" asked back; "how many of the big spenders bought something last year",
    once no segment's name says "High-spending", gave the whole shop's year."""
    high = next(k for k, n in names(shop).items() if n.startswith("High-spending"))
    run_tool(shop, "segment_rename", segment=high, name="VIPs")
    customers = shop.db.scalar(f"SELECT count(DISTINCT o.customer_id) {MEMBERS} AND year(o.ordered_at) = 2025", [high])
    answer, _ = Chat(shop).say("how many of the VIPs ordered in 2025")
    assert (
        answer.startswith(f"Segment {high}'s customers, in 2025") and f"**{customers:,} customers** ordered" in answer
    )
    answer, ended = Chat(shop).say("how many of the big spenders bought something in 2025")
    assert not ended and answer.startswith("Which segment do you mean by “the big spenders”?")
