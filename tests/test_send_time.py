"""'What's the best time to send?': when the customers buy, by day of the week and hour, from the orders log.

Expected figures are computed with pandas from the fixture files (see tests/fixtures/README.md)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_new_shop_chat import Chat, load
from tests.test_real_shop_data import retail_by_pandas
from tests.test_sales_sample_shop import attach, read_log

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NOT_SCHEDULED = "you choose the moment: I cannot schedule it"


def shares(when: pd.Series, orders: pd.Series, key: str) -> pd.Series:
    """Each day's (or hour's) share of the distinct orders, busiest first."""
    frame = pd.DataFrame({"key": getattr(when.dt, key)() if key == "day_name" else when.dt.hour, "order": orders})
    counts = frame.drop_duplicates("order").groupby("key")["order"].count()
    return (counts / counts.sum()).sort_values(ascending=False)


@pytest.mark.parametrize(
    "text",
    ["what's the best time to send an email", "what day should I send it", "what time should the newsletter go out"],
)
def test_the_best_time_to_send_is_answered_from_when_the_customers_order(ctx, text):
    """It got "OK, I am not sending it now" (the not-now answer): "send" and "time" read as scheduling."""
    load(ctx, "orders", "online_retail.csv")
    log, _ = retail_by_pandas()
    bought = log[~log["returned"]]
    by_day = shares(bought["when"], bought["InvoiceNo"], "day_name")
    by_hour = shares(bought["when"], bought["InvoiceNo"], "hour")
    answer, ended = Chat(ctx).say(text)
    assert [e.name for e in ended] == ["query_data", "query_data"]
    none = [day for day in WEEKDAYS if day not in by_day.index]  # the fixture's lines come from two days
    assert none, "the fixture has days without orders"
    assert f"Your customers order most on **{by_day.index[0]}** ({by_day.iloc[0]:.0%} of orders; " in answer
    assert f"none on {', '.join(none[:-1])} and {none[-1]})." in answer, "not 'fewest on' a day with orders"
    assert f"The busiest hour is **{by_hour.index[0]:02d}:00** ({by_hour.iloc[0]:.0%} of orders)." in answer
    assert answer.endswith(NOT_SCHEDULED + ".")


def test_a_log_of_dates_without_times_gives_the_day_and_no_hour(ctx):
    attach(ctx)  # the Kaggle sales sample: order dates at midnight
    log = read_log()
    sold = log[~log["STATUS"].isin(["Cancelled", "On Hold"])]  # neither is an order placed and paid
    when = pd.to_datetime(sold["ORDERDATE"], format="%m/%d/%Y %H:%M")
    by_day = shares(when, sold["ORDERNUMBER"], "day_name")
    answer, _ = Chat(ctx).say("when should we send the campaign?")
    busiest, quietest = by_day.index[0], by_day.index[-1]
    assert f"order most on **{busiest}** ({by_day.iloc[0]:.0%} of orders; fewest on {quietest}" in answer
    assert "hour" not in answer


def test_a_breakdown_by_day_of_the_week_names_the_days_without_orders(ctx):
    """ "Lowest is Monday at 21" read as the quietest day; five days had no order at all."""
    load(ctx, "orders", "online_retail.csv")
    answer, _ = Chat(ctx).say("orders by day of the week")
    assert "There were no orders on Tuesday, Thursday, Friday, Saturday and Sunday." in answer


def test_when_the_customers_shop_is_the_same_evidence_without_the_scheduling(ctx):
    load(ctx, "orders", "online_retail.csv")
    answer, _ = Chat(ctx).say("when do our customers shop")
    assert answer.startswith("Your customers order most on **") and NOT_SCHEDULED not in answer


def test_not_sending_now_is_still_that(ctx):
    answer, ended = Chat(ctx).say("don't send it yet")
    assert answer.startswith("OK, I am not sending it now") and not ended
