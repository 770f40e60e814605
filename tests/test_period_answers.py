"""Figures for a period, in the chat: "last month", "in December 2010", "this year vs last year".

The shop is the UCI orders log in tests/fixtures (its orders run from 1 Dec 2010 to 14 Feb 2011, none in
January) and "today" is 5 March 2011, given to the planner; every expected figure is worked out here with
pandas from the CSV, not read from what the tools printed.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tests.test_new_shop_chat import Chat, load
from tests.uci import uci_lines


@pytest.fixture
def chat(ctx) -> Chat:
    load(ctx, "orders", "online_retail.csv")
    return Chat(ctx, today=date(2011, 3, 5))


@pytest.fixture(scope="module")
def lines() -> pd.DataFrame:
    frame = uci_lines()
    frame["day"] = pd.to_datetime(frame["InvoiceDate"], format="%m/%d/%Y %H:%M").dt.normalize()
    return frame


def between(lines: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    return lines[(lines["day"] >= first) & (lines["day"] <= last)]


def orders(lines: pd.DataFrame) -> int:
    return lines[~lines["returned"]]["InvoiceNo"].nunique()


@pytest.mark.parametrize(
    ("text", "first", "last", "dates"),
    [
        ("how many orders last month", "2011-02-01", "2011-02-28", "1–28 Feb 2011"),
        ("number of orders in December 2010", "2010-12-01", "2010-12-31", "1–31 Dec 2010"),
        ("orders in the last 30 days", "2011-02-04", "2011-03-05", "4 Feb–5 Mar 2011"),
        ("how many orders since December 2010", "2010-12-01", "2011-03-05", "1 Dec 2010–5 Mar 2011"),
    ],
)
def test_orders_in_a_period_are_counted_from_that_periods_orders(chat, lines, text, first, last, dates):
    answer, _ = chat.say(text)
    assert f"Orders, {dates}: **{orders(between(lines, first, last)):,}**" in answer


def test_revenue_cancellations_and_order_value_this_year(chat, lines):
    """Cancellations lower revenue on their own day, as the all-time total counts them, and are never an order."""
    mine = between(lines, "2011-01-01", "2011-03-05")
    answer, _ = chat.say("what's our revenue this year")
    assert f"Total revenue, 1 Jan–5 Mar 2011: **£{mine['amount'].sum():,.2f}**" in answer
    answer, _ = chat.say("how many orders were cancelled this year")
    assert f"Returns and cancellations, 1 Jan–5 Mar 2011: **{mine[mine['returned']]['InvoiceNo'].nunique()}**" in answer
    answer, _ = chat.say("average order value this year")
    assert f"Average order value, 1 Jan–5 Mar 2011: **£{mine['amount'].sum() / orders(mine):,.2f}**" in answer


def test_customers_who_ordered_in_a_quarter(chat, lines):
    mine = between(lines, "2010-10-01", "2010-12-31")
    buyers = mine[~mine["returned"] & (mine["CustomerID"] != "")]["CustomerID"].nunique()
    answer, _ = chat.say("how many customers did we have in Q4")
    assert f"Customers who ordered, 1 Oct–31 Dec 2010: **{buyers}**" in answer


def test_a_breakdown_for_a_period_names_the_highest_group_of_that_period(chat, lines):
    mine = between(lines, "2011-02-01", "2011-02-28")
    by_country = mine.groupby("Country")["amount"].sum()
    answer, _ = chat.say("revenue by country last month")
    assert f"1–28 Feb 2011, {len(by_country)} countries: highest is {by_country.idxmax()}" in answer
    assert f"**£{by_country.max():,.2f}**" in answer


def test_a_period_without_orders_says_where_the_orders_run(chat):
    answer, ended = chat.say("how much did we sell in 2025")
    assert not ended  # known before any query
    assert "No orders in 2025 (1 Jan–31 Dec 2025): your orders run from 1 Dec 2010 to 14 Feb 2011." in answer
    answer, _ = chat.say("orders in January")  # inside the log's span, but a month without orders
    assert "No orders in January (1–31 Jan 2011): your orders run from 1 Dec 2010 to 14 Feb 2011." in answer


def test_two_periods_side_by_side(chat, lines):
    """Side by side; with the orders stopping on 14 February no change is told (it said "Down 29%"): the change
    itself is tested on the demo shop, whose orders cover both periods."""
    now = between(lines, "2011-02-01", "2011-02-28")["amount"].sum()
    before = between(lines, "2010-12-01", "2010-12-31")["amount"].sum()
    answer, _ = chat.say("revenue last month compared to December 2010")
    assert f"1–28 Feb 2011 (last month): **£{now:,.2f}**; 1–31 Dec 2010 (December 2010): **£{before:,.2f}**" in answer
    assert "I cannot say how it changed" in answer


def test_this_month_against_last_month_says_a_month_without_orders(chat):
    answer, _ = chat.say("how are sales this month compared to last month?")
    assert "1–5 Mar 2011 (this month): **no orders**" in answer and "1–28 Feb 2011 (last month): **£" in answer
    assert "runs to today, so it is not over yet" in answer


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("average days since last purchase last year", "about each customer's whole history"),
        ("average lifetime spend per customer in 2010", "about each customer's whole history"),
        ("how many repeat customers did we have last year", "about each customer's whole history"),
        ("average price of our products last month", "describes your catalogue as it is today"),
        ("revenue by country this year vs last year", "two periods side by side for one figure"),
        ("new customers in December 2010", "Your orders log starts on 1 Dec 2010, so I cannot tell new customers"),
    ],
)
def test_what_a_period_cannot_cut_is_refused_with_the_reason(chat, text, why):
    answer, ended = chat.say(text)
    assert not ended and why in answer


def test_last_year_on_the_demo_shop(demo_ctx):
    """The demo shop's orders end on 1 Jan 2026; said on 27 Nov 2026, "last year" is 2025."""
    frame = demo_ctx.db.execute("SELECT ordered_at, amount, is_return FROM orders").df()
    mine = frame[(frame["ordered_at"] >= "2025-01-01") & (frame["ordered_at"] < "2026-01-01")]
    answer, _ = Chat(demo_ctx, today=date(2026, 11, 27)).say("how much did we sell last year")
    assert f"Total revenue, 1 Jan–31 Dec 2025: **€{mine['amount'].sum():,.2f}**" in answer
    assert "only part" not in answer  # the demo's orders cover the whole year


def firsts(lines: pd.DataFrame) -> pd.Series:
    """Each customer's first order time in the log (cancellations and returns are no first order)."""
    bought = lines[~lines["returned"] & (lines["CustomerID"] != "")]
    return pd.to_datetime(bought["InvoiceDate"], format="%m/%d/%Y %H:%M").groupby(bought["CustomerID"]).min()


def test_new_and_returning_customers_in_a_period(chat, lines):
    """New: the first order in the log falls in the period; returning: ordered in it, first ordered before."""
    first = firsts(lines)
    february = between(lines, "2011-02-01", "2011-02-28")
    buyers = set(february[~february["returned"] & (february["CustomerID"] != "")]["CustomerID"])
    new = {c for c in buyers if first[c] >= pd.Timestamp("2011-02-01")}
    assert new and buyers - new  # the fixture has both, so a swapped figure would fail
    answer, _ = chat.say("how many new customers did we get last month")
    assert f"New customers, 1–28 Feb 2011: **{len(new)}**" in answer
    assert "New means their first order in your orders log, which starts on 1 Dec 2010." in answer
    answer, _ = chat.say("how many returning customers last month")
    assert f"Returning customers, 1–28 Feb 2011: **{len(buyers - new)}**" in answer
    answer, _ = chat.say("new vs returning customers last month")
    assert f"Last month (1–28 Feb 2011): **{len(new)} new** and **{len(buyers - new)} returning**" in answer


def test_new_customers_per_month_says_the_first_month_counts_everyone(chat, lines):
    months = firsts(lines).dt.strftime("%Y-%m").value_counts()
    answer, _ = chat.say("new customers per month")
    assert f"highest is {months.idxmax()} at **{months.max()}**, lowest is {months.idxmin()} at **{months.min()}**" in (
        answer
    )
    assert "so its first month counts everyone as new" in answer


def test_returning_customers_without_a_period_are_the_repeat_customers(chat):
    answer, _ = chat.say("how many returning customers do we have")
    assert answer.startswith("Repeat customers: **")


def test_best_customers_for_a_period_are_ranked_by_what_they_spent_then(chat, lines):
    """Not their all-time spend: a customer's February orders, net of February's returns."""
    february = between(lines, "2011-02-01", "2011-02-28")
    spent = february[february["CustomerID"] != ""].groupby("CustomerID")["amount"].sum()
    all_time = lines[lines["CustomerID"] != ""].groupby("CustomerID")["amount"].sum()
    assert spent.idxmax() != all_time.idxmax() or spent.max() != all_time.max()  # the two rankings differ
    answer, ended = chat.say("who were our best customers last month")
    assert "best customers last month (1–28 Feb 2011), by what they spent then (net of returns)" in answer
    assert f"the top one spent **£{spent.max():,.2f}**" in answer
    assert ended[-1].name == "query_data" and ended[-1].error is None


def test_a_floor_on_spend_for_a_period_counts_that_periods_spend(chat, lines):
    february = between(lines, "2011-02-01", "2011-02-28")
    spent = february[february["CustomerID"] != ""].groupby("CustomerID")["amount"].sum()
    answer, _ = chat.say("who spent more than 500 last month")
    assert f"**{(spent > 500).sum()} customers** have spent more than £500.00 last month" in answer


def test_how_a_month_went_in_one_sentence(chat, lines):
    """ "How did feb go": revenue, orders, their average, the customers and the new ones, from February's orders."""
    february = between(lines, "2011-02-01", "2011-02-28")
    placed, revenue = orders(february), february["amount"].sum()
    bought = february[~february["returned"] & (february["CustomerID"] != "")]["CustomerID"]
    new = (firsts(lines)[bought.unique()] >= pd.Timestamp("2011-02-01")).sum()
    answer, _ = chat.say("how did feb go")
    assert answer.startswith(
        f"In feb (1–28 Feb 2011): revenue **£{revenue:,.2f}** from **{placed} orders** (average "
        f"£{revenue / placed:,.2f}); **{bought.nunique()} customers** ordered, {new} of them new;"
    )
    answer, _ = chat.say("how did december go")  # the log's first month: who was new cannot be told
    assert "In december (1–31 Dec 2010): revenue **£" in answer and "new" not in answer


def test_best_sellers_of_a_period_are_counted_from_its_order_lines(chat, lines):
    """Not the catalogue's all-time best sellers: February's units, net of February's returns; then kept by position."""
    february = between(lines[~lines["service"]], "2011-02-01", "2011-02-28")
    units = february.assign(q=february["Quantity"].astype(float)).groupby("StockCode")["q"].sum()
    units = units.sort_values(ascending=False, kind="stable")
    answer, _ = chat.say("top 5 best sellers last month")
    name = lines.loc[lines["StockCode"] == units.index[0], "Description"].iloc[0]
    assert f"Best sellers last month (1–28 Feb 2011), by units sold then (net of returns): **{name}** sold " in answer
    assert f"sold {units.iloc[0]:,.0f} (" in answer and f"{len(units)} products sold in all" in answer
    answer, ended = chat.say("keep the first two")
    assert ended[-1].name == "shortlist_add" and ended[-1].arguments["skus"][:1] == [units.index[0]]


def test_best_sellers_of_a_period_need_order_lines_with_products(demo_ctx):
    """The demo shop's orders carry no product: said so, not "nothing sold"."""
    answer, _ = Chat(demo_ctx, today=date(2026, 1, 20)).say("which products sold best in december")
    assert "Your orders log does not record which products were ordered" in answer


def test_who_bought_the_most_in_a_period_is_the_best_customers_then(chat, lines):
    february = between(lines, "2011-02-01", "2011-02-28")
    spent = february[february["CustomerID"] != ""].groupby("CustomerID")["amount"].sum()
    answer, _ = chat.say("who bought the most last month")
    assert f"the top one spent **£{spent.max():,.2f}**" in answer


def units_by_product(lines: pd.DataFrame) -> pd.DataFrame:
    """Units sold (net of returns) and revenue per product, best first, as the chat ranks them."""
    lines = lines[~lines["service"]]
    sold = lines.assign(units=lines["Quantity"].astype(float)).groupby("StockCode")[["units", "amount"]].sum()
    return sold.reset_index().sort_values(["units", "amount", "StockCode"], ascending=[False, False, True])


@pytest.mark.parametrize("text", ["which products sell best in France", "top products in france"])
def test_best_sellers_in_a_country_are_counted_from_that_countrys_order_lines(chat, lines, text):
    """It once listed the shop's all-time best sellers everywhere, and said nothing of France."""
    sold = units_by_product(lines[lines["Country"] == "France"])
    top = sold.iloc[0]
    name = lines.loc[lines["StockCode"] == top["StockCode"], "Description"].iloc[-1].strip()
    answer, _ = chat.say(text)
    assert (
        f"Best sellers in France, by units sold there (net of returns): **{name}** sold {top['units']:,.0f} (" in answer
    )
    assert f"{len(sold)} products sold in all" in answer


def test_best_sellers_in_a_country_in_a_period(chat, lines):
    february = between(lines[lines["Country"] == "Germany"], "2011-02-01", "2011-02-28")
    sold = units_by_product(february)
    answer, _ = chat.say("what sold best last month in Germany")
    assert "Best sellers in Germany last month (1–28 Feb 2011), by units sold then" in answer
    assert f"sold {sold.iloc[0]['units']:,.0f} (" in answer and f"{len(sold)} products sold in all" in answer
    answer, _ = chat.say("what sold best in december in Germany")  # the log's Germans all ordered in February
    assert answer.startswith("No products sold in Germany in december (1–31 Dec 2010).")


@pytest.mark.parametrize("text", ["what didn't sell in the UK", "which products are not selling in the uk"])
def test_slow_sellers_in_a_country_count_the_products_that_sold_nothing_there(chat, lines, text):
    answer, _ = chat.say(text)
    products = set(chat.ctx.db.df("SELECT sku FROM products")["sku"])
    sold = units_by_product(lines[lines["Country"] == "United Kingdom"])
    sold_there = set(sold[sold["units"] > 0]["StockCode"]) & products
    unsold = len(products - sold_there)
    assert (
        f"Slowest sellers in United Kingdom, by units sold (net of returns): {unsold:,} of your {len(products):,} "
        in answer
    )
    assert f"{len(products):,} products sold nothing" in answer


def test_slow_sellers_of_a_period_are_ranked_not_asked_about(chat):
    answer, ended = chat.say("slowest sellers in 2010")
    assert answer.startswith("Slowest sellers in 2010 (1 Jan–31 Dec 2010), by units sold") and ended


@pytest.mark.parametrize(
    ("text", "span"),
    [("what sold best over christmas", "over christmas"), ("best sellers during the holidays", "during the holidays")],
)
def test_best_sellers_of_a_period_the_grammar_does_not_know_are_refused(chat, text, span):
    """It searched the catalogue for products named “over christma”, and found none."""
    answer, ended = chat.say(text)
    assert not ended and answer.startswith(f"I cannot limit sales by product to a period (“{span}”) yet")


def test_a_country_the_log_never_names_is_said_so_and_a_holiday_is_no_country(chat):
    answer, _ = chat.say("best sellers in Narnia")
    assert "Your orders log has no orders from Narnia. The countries it has: Australia, EIRE, France" in answer
    answer, ended = chat.say("best selling products for Mothers Day")
    assert "no orders from" not in answer and ended[-1].name == "find_products"


def test_best_sellers_in_a_country_need_an_orders_log_with_countries(demo_ctx):
    answer, _ = Chat(demo_ctx, today=date(2026, 1, 20)).say("what sells best in France")
    assert "Your data has no countries" in answer


def test_two_countries_side_by_side_and_a_country_in_lower_case(chat, lines):
    """ "in the uk vs france" gave the UK's figure alone; "in france last month" gave everyone's month."""

    def basket(country: str) -> float:
        mine = lines[lines["Country"] == country]
        return round(mine["amount"].sum() / mine[~mine["returned"]]["InvoiceNo"].nunique(), 2)

    answer, _ = chat.say("average basket size in the uk vs france")
    assert f"Average order value in United Kingdom: **£{basket('United Kingdom'):,.2f}**; " in answer
    assert f"in France: **£{basket('France'):,.2f}**" in answer
    february = between(lines[lines["Country"] == "France"], "2011-02-01", "2011-02-28")
    answer, _ = chat.say("how much did we make in france last month")
    assert f"Total revenue in France, 1–28 Feb 2011: **{money(february['amount'].sum())}**" in answer
    answer, _ = chat.say("best sellers in the UK vs France")
    assert answer.startswith("I can answer that for one country at a time")


def test_bought_from_us_is_no_country(chat, lines):
    """ "from us" was read as the USA, and refused: the log has no orders from there."""
    december = between(lines[~lines["returned"]], "2010-12-01", "2010-12-31")  # who ordered, not who returned
    answer, _ = chat.say("how many people bought from us in december")
    assert (
        f"Customers who ordered, 1–31 Dec 2010: **{december[december['CustomerID'] != '']['CustomerID'].nunique()}**"
        in (answer)
    )


def money(value: float) -> str:
    return f"-£{-value:,.2f}" if value < 0 else f"£{value:,.2f}"


def test_did_sales_go_up_sets_the_period_against_the_one_before(chat, lines):
    """ "did sales go up or down last month" gave last month's revenue alone."""
    february = between(lines, "2011-02-01", "2011-02-28")["amount"].sum()
    answer, _ = chat.say("did sales go up or down last month")
    assert f"1–28 Feb 2011 (last month): **£{february:,.2f}**; 1–31 Jan 2011 (January 2011): **no orders**" in answer


def test_compare_two_months_named_alone(chat, lines):
    """ "compare december and february" summed up December and said nothing of February. The later comes first:
    a change is from the earlier period to the later, whichever is named first ("compare 2003 and 2004" said
    "Down 19%" when 2004 was up 23%)."""
    december = between(lines, "2010-12-01", "2010-12-31")["amount"].sum()
    february = between(lines, "2011-02-01", "2011-02-28")["amount"].sum()
    answer, _ = chat.say("compare december and february")
    assert f"1–28 Feb 2011 (february): **£{february:,.2f}**; 1–31 Dec 2010 (december): **£{december:,.2f}**" in answer


def test_on_black_friday_is_refused_not_every_order(chat):
    answer, ended = chat.say("how many orders did we get on black friday")
    assert not ended and "I cannot limit orders to a period (“on black friday”)" in answer


@pytest.mark.parametrize("text", ["which products had the most returns", "what got returned the most"])
def test_the_most_returned_products_are_counted_from_the_return_lines(chat, lines, text):
    """It answered with the shop's number of returns, not which products."""
    back = lines[lines["returned"] & (lines["amount"] < 0)]  # not a stock write-off at price 0
    back = back.assign(units=-back["Quantity"].astype(float), value=-back["amount"])
    per = back[~back["service"]].groupby("StockCode")[["units", "value"]].sum().reset_index()
    top = per.sort_values(["units", "value", "StockCode"], ascending=[False, False, True]).iloc[0]
    name = lines.loc[lines["StockCode"] == top["StockCode"], "Description"].iloc[-1].strip()
    answer, _ = chat.say(text)
    assert f"Most returned or cancelled: **{name}**, {top['units']:,.0f} units (£{top['value']:,.2f} back); " in answer
    assert f"{len(per)} products had returns or cancellations" in answer


def test_products_nobody_bought_last_month_are_the_slow_sellers_then(chat):
    answer, ended = chat.say("show me products nobody bought last month")
    assert answer.startswith("Slowest sellers last month (1–28 Feb 2011), by units sold") and ended


@pytest.mark.parametrize(
    ("text", "country"),
    [("which items did the irish buy most", "EIRE"), ("what are australians buying", "Australia")],
)
def test_a_countrys_people_named_instead_of_the_country(chat, lines, text, country):
    """ "the Irish", "Australians": the shop's all-time best sellers everywhere were listed."""
    sold = units_by_product(lines[lines["Country"] == country])
    answer, _ = chat.say(text)
    assert (
        answer.startswith(f"Best sellers in {country}, by units sold there") and f"{len(sold)} products sold" in answer
    )


def test_a_french_product_is_no_country(chat):
    answer, ended = chat.say("show me the french blue metal door sign")
    assert ended[-1].name == "find_products" and "France" not in answer


def test_customers_who_ordered_more_than_n_times_are_counted(chat, lines):
    """ "how many customers bought more than 3 times" answered with every customer."""
    bought = lines[~lines["returned"] & (lines["CustomerID"] != "")]
    orders = bought.groupby("CustomerID")["InvoiceNo"].nunique()
    answer, _ = chat.say("how many customers bought more than 3 times")
    assert answer.startswith(f"Customers who ordered more than 3 times: **{(orders > 3).sum()}**")
    answer, _ = chat.say("how many customers ordered at least twice")
    assert answer.startswith(f"Customers who ordered at least 2 times: **{(orders >= 2).sum()}**")


def test_the_trend_is_by_month(chat):
    """It answered with the all-time total."""
    answer, _ = chat.say("what's the trend in revenue")
    assert answer.startswith("Total revenue by month, 2 months: highest is 2010-12")
    assert answer.endswith("1 month from 1 Dec 2010 to 14 Feb 2011 had no orders.")  # January: lower than February


@pytest.mark.parametrize(
    ("text", "kind", "key"),
    [  # both were refused, and before that answered with the all-time total; "what time of day" was a send time
        ("which day of the week do people order most", "day of the week", "%A"),
        ("what time of day do people order", "hour", "%H:00"),
    ],
)
def test_orders_by_day_of_the_week_and_by_hour(chat, lines, text, kind, key):
    bought = lines[~lines["returned"]]
    when = pd.to_datetime(bought["InvoiceDate"], format="%m/%d/%Y %H:%M").dt.strftime(key)
    per = bought.groupby(when)["InvoiceNo"].nunique()
    answer, _ = chat.say(text)
    assert f"Orders by {kind}, {len(per)} " in answer
    assert f"highest is {per.idxmax()} at **{per.max()}**, lowest is {per.idxmin()} at **{per.min()}**" in answer


def test_a_log_of_days_without_times_is_not_broken_down_by_hour(demo_ctx):
    demo_ctx.db.execute("UPDATE orders SET ordered_at = date_trunc('day', ordered_at)")
    answer, _ = Chat(demo_ctx, today=date(2026, 1, 2)).say("revenue by hour")
    assert answer.startswith("Your orders log gives each order's day, not its time, so I cannot break total revenue")


def test_what_did_we_sell_on_a_day_is_that_days_sales_not_the_catalogue(chat):
    answer, ended = chat.say("what did we sell yesterday")
    assert not ended and answer.startswith("No orders yesterday (4 Mar 2011): your orders run from 1 Dec 2010")


def test_has_it_grown_this_year_sets_the_year_so_far_against_the_same_days_of_last_year(demo_ctx):
    """It gave this year's revenue alone; a year so far against all of last year would always look like a fall."""
    frame = demo_ctx.db.execute("SELECT ordered_at, amount FROM orders").df()

    def revenue(first: str, stop: str) -> float:
        return frame[(frame["ordered_at"] >= first) & (frame["ordered_at"] < stop)]["amount"].sum()

    now, before = revenue("2025-01-01", "2025-07-01"), revenue("2024-01-01", "2024-07-01")
    answer, _ = Chat(demo_ctx, today=date(2025, 6, 30)).say("has revenue grown this year?")
    assert f"Total revenue, 1 Jan–30 Jun 2025 (this year): **€{now:,.2f}**" in answer
    assert f"1 Jan–30 Jun 2024 (the same days of last year): **€{before:,.2f}**" in answer
    assert f"{'Up' if now > before else 'Down'} {abs(now - before) / before:.0%}" in answer
    assert "not over yet" not in answer


def test_the_year_so_far_ends_on_the_day_of_the_last_order(chat, lines):
    """Said on 5 March with orders up to 14 February, this year and the same days of last year end on 14 February."""
    so_far = between(lines, "2011-01-01", "2011-02-14")["amount"].sum()
    answer, _ = chat.say("has revenue grown this year")
    said = (
        f"1 Jan–14 Feb 2011 (this year, to the last order on 14 Feb 2011): **£{so_far:,.2f}**; 1 Jan–14 Feb 2010 "
        "(the same days of last year)"
    )
    assert said in answer


@pytest.mark.parametrize(
    ("text", "partly"),
    [  # February's orders stop on the 14th, and this year has six weeks of orders: no rise or fall can be told
        ("compare december and february", "1–28 Feb 2011"),
        ("revenue this year compared with last year", "1 Jan–5 Mar 2011"),
    ],
)
def test_no_change_is_told_when_the_orders_cover_only_part_of_a_period(chat, text, partly):
    answer, _ = chat.say(text)
    assert f"I cannot say how it changed: your orders cover only part of {partly}." in answer
    assert "Down" not in answer and "Up" not in answer


def test_a_year_so_far_cut_to_the_last_order_says_so(demo_ctx):
    """The demo's orders end on 1 Jan 2026: said on 27 Nov, "this year" is one day of orders, and the answer says it
    (it read "1 Jan 2026 (this year)", with a rise of several hundred per cent)."""
    answer, _ = Chat(demo_ctx, today=date(2026, 11, 27)).say("has revenue grown this year")
    assert answer.startswith("Total revenue, 1 Jan 2026 (this year, to the last order on 1 Jan 2026): **€")
    assert "1 Jan 2025 (the same days of last year)" in answer


@pytest.mark.parametrize(
    "said", ["what does segment 2 buy most", "best sellers in segment 2", "what do they usually buy"]
)
def test_what_a_segment_buys_is_counted_from_its_members_order_lines(chat, lines, said):
    """It gave the products that would suit the segment (fit scores), or asked what was meant: not what they bought."""
    from tools import run_tool

    run_tool(chat.ctx, "segment_run", k=3)
    members = {
        r[0] for r in chat.ctx.db.execute("SELECT customer_id FROM segment_members WHERE segment = 2").fetchall()
    }
    theirs = lines[~lines["service"] & lines["customer"].isin(members)]
    units = theirs.groupby("StockCode")["quantity"].sum().sort_values(ascending=False, kind="stable")
    if "they" in said:
        chat.say("describe segment 2")
    answer, ended = chat.say(said)
    assert [e.name for e in ended] == ["query_data"]
    name = lines.loc[lines["StockCode"] == units.index[0], "Description"].iloc[0]
    assert answer.startswith(f"Best sellers among segment 2, by units sold to them (net of returns): **{name}** sold "
                             f"{units.iloc[0]:,.0f} (")  # fmt: skip
    assert f"{(units != 0).sum()} products sold in all" in answer


def test_what_a_segment_buys_needs_order_lines_with_products(demo_ctx):
    """The demo shop's orders name no product: what suits the segment, said to be that, not what they bought."""
    from tools import run_tool

    run_tool(demo_ctx, "segment_run", k=4)
    chat = Chat(demo_ctx)
    chat.say("describe segment 2")
    answer, ended = chat.say("what do they usually buy")
    assert [(e.name, e.arguments) for e in ended] == [("suggest_products", {"segment": 2})]
    assert answer.startswith("Your orders log does not record which products were ordered, so these are the products "
                             "that suit them best, not what they bought. Best fits for segment 2")  # fmt: skip


def test_what_suits_a_segment_whose_best_sellers_are_shown_is_for_that_segment(chat, lines):
    """'What would suit them' under a segment's best sellers asked which segment: 'them' is that segment, and a
    later 'what do they usually buy' counted the whole shop's best sellers."""
    from tools import run_tool

    run_tool(chat.ctx, "segment_run", k=3)
    chat.say("best sellers in segment 2")
    answer, ended = chat.say("what would suit them")
    assert [(e.name, e.arguments) for e in ended] == [("suggest_products", {"segment": 2})]
    assert answer.startswith("Best fits for segment 2")
    answer, ended = chat.say("what do they usually buy")
    assert [e.name for e in ended] == ["query_data"]
    assert answer.startswith("Best sellers among segment 2, by units sold to them (net of returns)")


def test_what_suits_them_under_a_segments_best_fits_is_that_segment_again(demo_ctx):
    from tools import run_tool

    run_tool(demo_ctx, "segment_run", k=4)
    chat = Chat(demo_ctx)
    chat.say("best sellers in segment 3")
    _, ended = chat.say("what would suit them")
    assert [(e.name, e.arguments) for e in ended] == [("suggest_products", {"segment": 3})]


def test_a_month_named_alone_compared_to_another_is_both(chat, lines):
    """ "how did february do compared to december" summed up December alone: February had no "in"."""
    december = between(lines, "2010-12-01", "2010-12-31")["amount"].sum()
    february = between(lines, "2011-02-01", "2011-02-28")["amount"].sum()
    answer, _ = chat.say("how did february do compared to december")
    both = f"1–28 Feb 2011 (in february): **£{february:,.2f}**; 1–31 Dec 2010 (december): **£{december:,.2f}**"
    assert both in answer
