""" "Who hasn't bought since December": the customers whose last order is before the day a marketer names, counted
or listed (best first), on the demo shop and on two real-shaped orders logs. Expected figures are worked out here
from the files (pandas) or from the demo's orders table, never copied from what the tools printed."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from assistant.planner.lapsed_since import Cutoff, asked, cutoff
from assistant.planner.model import understood
from tests.test_new_shop_chat import FIXTURES, Chat, load
from tests.uci import uci_lines

UCI_TODAY, KAGGLE_TODAY = date(2011, 3, 5), date(2005, 7, 1)


def uci_last_orders() -> pd.DataFrame:
    """Each UCI customer's last purchase (a return or cancellation is none: a C invoice or a negative line) and
    their net spend."""
    lines = uci_lines()
    lines = lines[lines["customer"] != ""]
    bought = lines[~lines["returned"]]
    last = bought.groupby("customer")["when"].max()
    spent = lines.groupby("customer")["amount"].sum()
    return pd.DataFrame({"last": last, "spent": spent.reindex(last.index)})


def kaggle_last_orders(cancelled_count: bool) -> pd.DataFrame:
    """Each Kaggle customer's last order, counting a cancelled order as placed or not, and their spend (net of
    cancellations); an order on hold was never paid and is no order."""
    lines = pd.read_csv(FIXTURES / "sales_data_sample.csv", dtype=str, keep_default_na=False, encoding="cp1252")
    lines = lines[lines["STATUS"] != "On Hold"]  # never paid: not an order (the import does not store it)
    when = pd.to_datetime(lines["ORDERDATE"], format="%m/%d/%Y %H:%M")
    kept = lines["STATUS"] != "Cancelled"
    counted = lines.index == lines.index if cancelled_count else kept
    last = when[counted].groupby(lines["CUSTOMERNAME"][counted]).max()
    spent = lines["SALES"].astype(float)[kept].groupby(lines["CUSTOMERNAME"][kept]).sum()
    return pd.DataFrame({"last": last, "spent": spent.reindex(last.index).fillna(0)})


@pytest.mark.parametrize(
    ("words", "start"),
    [
        ("December", date(2010, 12, 1)),  # a month named alone: its latest occurrence up to today
        ("March", date(2011, 3, 1)),
        ("March 2010", date(2010, 3, 1)),
        ("last March", date(2010, 3, 1)),
        ("Christmas", date(2010, 12, 25)),
        ("xmas 2009", date(2009, 12, 25)),
        ("Easter", date(2010, 4, 4)),
        ("20 January", date(2011, 1, 20)),
        ("June 15th", date(2010, 6, 15)),
        ("last month", date(2011, 2, 1)),
        ("2010", date(2010, 1, 1)),
        ("Q4", date(2010, 10, 1)),
        ("March 2012", date(2012, 3, 1)),  # after today: read, then refused by the answer
    ],
)
def test_the_day_named_is_the_start_of_what_was_named(words, start):
    found = cutoff(words, UCI_TODAY)
    assert isinstance(found, Cutoff) and found.start == start


@pytest.mark.parametrize(
    "words", ["the summer sale", "our launch", "the summer", "the Easter weekend", "December sale", "31 February"]
)
def test_an_event_no_calendar_dates_is_refused_with_what_to_ask(words):
    refused = cutoff(words, UCI_TODAY)
    assert isinstance(refused, str)
    assert "31 February" in refused if words[0].isdigit() else f"“{words}”" in refused and "*" in refused


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("who hasn't bought since December", "December"),
        ("how many shoppers have not ordered anything since Christmas?", "Christmas"),
        ("anyone not purchased since March 2011", "March 2011"),
        ("list people whose last order was before June", "June"),
        ("customers we haven't seen since February and who are they", "February"),
        ("which clients stopped buying from us after Easter", "Easter"),
        ("buyers with no orders since 2010", "2010"),
        ("how many haven't been back since the summer sale", "the summer sale"),
    ],
)
def test_a_question_about_customers_lapsed_since_a_day_is_read(text, when):
    assert asked(text) == when


@pytest.mark.parametrize(
    "text",
    [
        "who hasn't bought in the last 6 months",  # a span back from today: the recency filter
        "how many customers haven't ordered in 6 months",
        "customers who have bought since December",
        "no orders since March?",  # the shop's orders, not customers
        "customers who haven't bought again since their first order",
        "who hasn't opened the email since Monday",
    ],
)
def test_other_questions_are_not_read_as_lapsed_since_a_day(text):
    assert asked(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "who hasn't bought since December",
        "customers who haven't ordered since Christmas",
        "list people whose last order was before June",
        "how many customers haven't been back since the summer sale",
    ],
)
def test_those_questions_are_answered_from_the_data_not_asked_back(text):
    assert understood(text)[0][0] == "analytics"


def test_an_email_for_them_is_still_a_draft():
    assert understood("draft an email for customers who haven't bought since January")[0][0] == "draft"


def test_uci_count_and_list_are_the_customers_last_ordering_before_the_day(ctx):
    load(ctx, "orders", "online_retail.csv")
    chat, last = Chat(ctx, UCI_TODAY), uci_last_orders()
    lapsed = last[last["last"] < pd.Timestamp(2010, 12, 25)]
    answer, _ = chat.say("how many customers haven't ordered since Christmas")
    assert answer.startswith(f"**{len(lapsed)} of {len(last)} customers** have not bought since Christmas")
    assert "before 25 Dec 2010" in answer
    lapsed = last[last["last"] < pd.Timestamp(2011, 1, 1)].sort_values(["spent"], ascending=False)
    answer, ended = chat.say("customers who haven't ordered since January")
    assert answer.startswith(f"**{len(lapsed)} customers** have not bought since January")
    table = ended[-1].result.tables[0].to_df()
    assert table["customer_id"].iloc[0] == lapsed.index[0]
    assert table["Total spent"].iloc[0] == pytest.approx(lapsed["spent"].iloc[0], abs=0.01)
    assert len(table) == min(10, len(lapsed)) and (table["Last order"] < "2011-01-01").all()
    assert list(table["Total spent"]) == sorted(table["Total spent"], reverse=True)  # best customers first


def test_uci_a_day_before_the_log_after_today_or_after_its_last_order_is_said(ctx):
    load(ctx, "orders", "online_retail.csv")
    chat, last = Chat(ctx, UCI_TODAY), uci_last_orders()
    answer, ended = chat.say("who hasn't bought since December")  # 1 Dec 2010: the log's first day
    assert "begins on 1 Dec 2010" in answer and "*who hasn't bought since January 2011*" in answer and not ended
    answer, ended = chat.say("who hasn't bought since March 2012")
    assert "after today (5 Mar 2011)" in answer and not ended
    answer, ended = chat.say("how many customers haven't been back since the summer sale")
    assert "“the summer sale”" in answer and "will not guess" in answer and not ended
    answer, _ = chat.say("how many haven't bought since 1 March 2011")  # after the last order, before today
    assert answer.startswith(f"**{len(last)} of {len(last)} customers**") and "run to 14 Feb 2011" in answer


def test_uci_which_of_them_is_about_the_customers_just_listed(ctx):
    """ "which of them haven't ordered since January" after the top 10 counted the whole shop's customers."""
    load(ctx, "orders", "online_retail.csv")
    chat, last = Chat(ctx, UCI_TODAY), uci_last_orders()
    _, ended = chat.say("who are my top 10 customers")
    top = list(ended[-1].result.tables[0].to_df()["customer_id"])
    assert len(top) == 10
    quiet = days_quiet(last["last"]).loc[top]
    assert 0 < (quiet > 30).sum() < 10
    answer, _ = chat.say("how many of those haven't ordered in 30 days")
    assert answer.startswith(f"**{(quiet > 30).sum()} of the 10 customers just listed** have not bought in the last")
    chat.say("who are my top 10 customers")
    lapsed = last.loc[top][last.loc[top, "last"] < pd.Timestamp(2011, 1, 1)]
    assert 0 < len(lapsed) < 10
    answer, ended = chat.say("which of them haven't ordered since january")
    assert answer.startswith(f"**{len(lapsed)} of the 10 customers just listed** have not bought since January")
    assert set(ended[-1].result.tables[0].to_df()["customer_id"]) == set(lapsed.index)


def test_uci_which_of_them_after_a_count_is_about_every_one_counted(ctx):
    """ "which of them spent over 500" after "35 customers have not bought this year (the 10 who spent most are
    listed)" counted every customer who spent over 500 (17), not those 35 (9)."""
    load(ctx, "orders", "online_retail.csv")
    chat, last = Chat(ctx, UCI_TODAY), uci_last_orders()
    lapsed = last[last["last"] < pd.Timestamp(2011, 1, 1)]
    answer, _ = chat.say("who hasn't bought anything this year")
    assert answer.startswith(f"**{len(lapsed)} customers** have not bought this year") and len(lapsed) > 10
    over = lapsed[lapsed["spent"] > 500]
    assert len(over) < (last["spent"] > 500).sum()
    answer, ended = chat.say("which of them spent over 500")
    assert answer.startswith(f"**{len(over)} of those {len(lapsed)} customers** have spent more than £500.00")
    listed = ended[-1].result.tables[0].to_df()["customer_id"]
    assert set(listed) <= set(over.index) and len(listed) == min(10, len(over))


def days_quiet(last: pd.Series) -> pd.Series:
    """Days from each customer's last purchase to the latest purchase in the log (calendar days, as recency)."""
    return (last.max().normalize() - last.dt.normalize()).dt.days


def test_uci_the_recency_filter_counts_and_lists_back_from_the_last_order(ctx):
    """ "how many haven't ordered in 2 months" stays the count; "list those who haven't ordered in 30 days" lists
    the same kind of customers (it was a prediction the log is too short for), best first."""
    load(ctx, "orders", "online_retail.csv")
    chat, last = Chat(ctx, UCI_TODAY), uci_last_orders()
    quiet = days_quiet(last["last"])
    answer, _ = chat.say("how many customers haven't ordered in 2 months")
    assert answer == f"Customers who have not bought in the last 2 months: **{(quiet > 60).sum()}**."
    answer, ended = chat.say("list customers who haven't ordered in 30 days")
    assert answer.startswith(f"**{(quiet > 30).sum()} customers** have not bought in the last 30 days (counted back")
    table = ended[-1].result.tables[0].to_df()
    assert table["customer_id"].iloc[0] == last[quiet > 30]["spent"].idxmax()
    answer, _ = chat.say("who hasn't bought in the last 6 months")  # the log covers 76 days
    assert answer.startswith("**0 customers**") and "covers only 1 Dec 2010 to 14 Feb 2011" in answer


@pytest.fixture
def kaggle(ctx) -> Chat:
    load(ctx, "orders", "sales_data_sample.csv")
    return Chat(ctx, KAGGLE_TODAY)


@pytest.mark.parametrize("day", [date(2005, 3, 1), date(2004, 11, 1)])
def test_kaggle_count_since_a_month(kaggle, day):
    placed, paid = kaggle_last_orders(True), kaggle_last_orders(False)
    expected = (placed["last"] < pd.Timestamp(day)).sum()
    assert (paid["last"] < pd.Timestamp(day)).sum() == expected  # a day where a cancelled order changes no one
    answer, _ = kaggle.say(f"how many customers haven't bought since {day:%B %Y}")
    assert answer.startswith(f"**{expected} of {len(placed)} customers** have not bought since {day:%B %Y}")


def test_kaggle_list_is_best_customers_first(kaggle):
    last = kaggle_last_orders(True)
    lapsed = last[last["last"] < pd.Timestamp(2005, 5, 1)].sort_values("spent", ascending=False)
    answer, ended = kaggle.say("which clients haven't placed an order since May")  # May 2005, up to 1 Jul 2005
    assert answer.startswith(f"**{len(lapsed)} customers** have not bought since May")
    table = ended[-1].result.tables[0].to_df()
    assert list(table["customer_id"]) == list(lapsed.index[:10])


def test_demo_shop_count_and_list(demo_ctx):
    orders = demo_ctx.db.df(
        "SELECT o.customer_id, o.ordered_at FROM orders o JOIN customers c USING (customer_id) "
        "WHERE NOT o.is_return AND c.quarantine_reason IS NULL"
    )
    last = orders.groupby("customer_id")["ordered_at"].max()
    chat = Chat(demo_ctx, date(2026, 1, 15))  # the demo's orders run to 1 Jan 2026
    answer, _ = chat.say("how many customers have not purchased since December")
    expected = (last < pd.Timestamp(2025, 12, 1)).sum()
    assert answer.startswith(f"**{expected:,} of {len(last):,} customers** have not bought since December")
    answer, ended = chat.say("who hasn't bought since October")
    assert answer.startswith(f"**{(last < pd.Timestamp(2025, 10, 1)).sum():,} customers**")
    assert len(ended[-1].result.tables[0].to_df()) == 10
    quiet = (days_quiet(last) > 180).sum()  # the count and the list of "in 6 months" are the same customers
    answer, _ = chat.say("how many customers haven't ordered in 6 months")
    assert answer == f"Customers who have not bought in the last 6 months: **{quiet:,}**."
    answer, _ = chat.say("who hasn't bought in the last 6 months")
    assert answer.startswith(f"**{quiet:,} customers** have not bought in the last 6 months")


def test_how_many_is_that_counts_the_list_on_screen(demo_ctx):
    """It listed the campaigns ("There is no campaign yet"), or gave the overview."""
    chat = Chat(demo_ctx)
    quiet = demo_ctx.db.scalar("SELECT count(*) FROM customer_behavior WHERE days_since_last_purchase > 180")
    everyone = demo_ctx.db.scalar("SELECT count(*) FROM customers WHERE quarantine_reason IS NULL")
    chat.say("who hasnt ordered in 6 months")
    answer, _ = chat.say("how many is that")
    assert answer == f"That is **{quiet:,} customers**."
    answer, _ = chat.say("how many is that as a percentage")
    assert answer == f"That is **{quiet:,} customers**, {quiet / everyone:.1%} of your {everyone:,} customers."
    chat.say("who are my top 5 customers")
    answer, _ = chat.say("how many is that")
    assert answer == "That is **5 customers**."


@pytest.mark.parametrize(
    ("said", "days"),
    [
        ("how many people havent ordered in over a year", 365),
        ("how many customers haven't bought anything for 12 months?", 360),
    ],
)
def test_how_many_have_not_ordered_for_a_span_said_other_ways(demo_ctx, said, days):
    """ "in over a year" counted everyone who had ordered (2,000); "bought anything for 12 months" the customers
    without any order among them (0)."""
    quiet = demo_ctx.db.scalar("SELECT count(*) FROM customer_behavior WHERE days_since_last_purchase > ?", [days])
    answer, _ = Chat(demo_ctx).say(said)
    assert answer.startswith("Customers who have not bought in the last ") and answer.endswith(f"**{quiet:,}**.")


def test_revenue_to_expect_next_quarter_is_the_prediction_not_the_past(demo_ctx):
    """It gave the revenue of every order so far."""
    _, ended = Chat(demo_ctx).say("how much revenue should we expect next quarter?")
    assert "predict" in [e.name for e in ended] and "query_data" not in [e.name for e in ended]
