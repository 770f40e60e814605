"""Customers who have gone quiet, in a marketer's words: "have we lost", "only bought once", "an email for the
lapsed customers", on a shop that can be predicted (the demo's) and on one that cannot (UCI's 75 days)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_new_shop_chat import Chat, load
from tests.uci import uci_lines
from tools import run_tool


def test_customers_who_only_bought_once_are_counted_from_the_orders(ctx):
    """It asked whether the best customers or a question of the data was meant."""
    load(ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    known = lines[(lines["CustomerID"] != "") & ~lines["returned"]]
    placed = known.groupby("CustomerID")["InvoiceNo"].nunique()
    for said in ("customers who only bought once", "how many customers ordered just once"):
        answer, ended = Chat(ctx).say(said)
        assert [e.name for e in ended] == ["query_data"]
        assert f"One-time customers: **{(placed == 1).sum()}**" in answer


def test_which_customers_have_we_lost_is_who_has_gone_longest_without_ordering(ctx):
    """It listed the customers who order most often, as for "who will buy again"."""
    load(ctx, "orders", "online_retail.csv")
    answer, _ = Chat(ctx).say("which customers have we lost")
    assert answer.startswith("I cannot predict who is slipping away yet (")
    assert "customers who have gone longest without ordering" in answer


def test_an_email_for_the_lapsed_customers_predicts_first_then_drafts(demo_ctx):
    """It stopped at "Predict customer value first", a step the marketer had to know and ask for."""
    run_tool(demo_ctx, "segment_run", k=4)
    answer, ended = Chat(demo_ctx).say("write an email for the lapsed customers about coats")
    assert [e.name for e in ended] == ["find_products", "campaign_draft", "predict", "campaign_draft"]
    assert ended[-1].ok and ended[-1].arguments["risk"] == ["high"]
    assert "Drafted campaign 1" in answer and "for customers at high churn risk" in answer
    assert "Predict customer value first" not in answer and "nothing has been predicted" not in answer


def test_where_the_data_cannot_be_predicted_the_draft_says_why_and_what_works_instead(ctx):
    load(ctx, "orders", "online_retail.csv")
    answer, ended = Chat(ctx).say("write an email for the lapsed customers about the jumbo bag")
    assert [e.name for e in ended][-2:] == ["campaign_draft", "predict"] and not ended[-1].ok
    assert answer.startswith("I could not choose customers by how likely they are to lapse: Not enough purchase")
    assert "Nothing was drafted" in answer and "*who has gone longest without ordering*" in answer
    assert ctx.db.scalar("SELECT count(*) FROM campaigns") == 0


def test_who_has_gone_longest_without_ordering_is_ranked_from_the_orders(ctx):
    """It gave the best customers by spend; "in ages" was refused as a question about the customers' age."""
    import pandas as pd

    load(ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    known = lines[(lines["CustomerID"] != "") & ~lines["returned"]]
    when = pd.to_datetime(known["InvoiceDate"], format="%m/%d/%Y %H:%M")
    end = pd.to_datetime(lines["InvoiceDate"], format="%m/%d/%Y %H:%M").max().normalize()
    quiet = (end - when.dt.normalize()).dt.days.groupby(known["CustomerID"]).min()
    for said in ("who has gone longest without ordering", "who hasn't bought anything in ages"):
        answer, ended = Chat(ctx).say(said)
        assert [e.name for e in ended] == ["query_data"]
        assert answer.startswith(f"The 10 customers who have gone longest without ordering, out of {len(quiet)} who")
        assert f"last ordered **{quiet.max()} days** before the latest order" in answer
        shown = ended[0].result.tables[0].to_df()["Days since last purchase"]
        assert list(shown) == sorted(quiet, reverse=True)[:10]


def test_customers_who_have_not_ordered_in_a_span_are_those_and_their_figures_are_theirs(ctx):
    """ "customers who havent ordered in the last 60 days" tried to predict and listed the 10 quietest; "how many is
    that" then said 10 (it is 35), and "how much did they spend in total" gave every customer's spend."""
    load(ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    named = lines[lines["customer"] != ""]
    last = named[~named["returned"]].groupby("customer")["when"].max()
    quiet = last[last < last.max().normalize() - pd.Timedelta(days=59)].index  # counted back from the latest order
    theirs = named[named["customer"].isin(quiet)]
    chat = Chat(ctx)
    answer, _ = chat.say("customers who havent ordered in the last 60 days")
    assert answer.startswith(f"**{len(quiet)} customers** have not bought in the last 60 days")
    answer, _ = chat.say("how much did they spend in total")
    assert answer == f"Total spend of those {len(quiet)} customers: **£{theirs['amount'].sum():,.2f}**."
    chat.say("customers who havent ordered in the last 60 days")
    answer, _ = chat.say("what's their average order value")
    average = theirs["amount"].sum() / theirs[~theirs["returned"]]["InvoiceNo"].nunique()
    assert answer == f"Average order value of those {len(quiet)} customers: **£{average:,.2f}**."


@pytest.mark.parametrize(
    "said", ["which customers went quiet?", "which customers stopped ordering?", "who has gone cold"]
)
def test_customers_who_went_quiet_are_those_slipping_away_not_a_data_check_or_the_campaigns(ctx, said):
    """ "which customers went quiet?" checked the data; "which customers stopped ordering?" listed the campaigns
    ("stopped" was spelled into "shopped", a word the examples know)."""
    load(ctx, "orders", "online_retail.csv")
    answer, _ = Chat(ctx).say(said)
    assert answer.startswith("I cannot predict who is slipping away yet (")
    assert "customers who have gone longest without ordering" in answer
