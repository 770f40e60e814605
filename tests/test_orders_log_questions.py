"""Questions a marketer asked of the UCI orders log that gave a different figure without a word. Each test names
the old answer; the expected figures are worked out here from the fixture with pandas."""

from __future__ import annotations

import pytest

from services.settings import Settings
from storage.db import Database
from tests.test_new_shop_chat import Chat, load
from tests.uci import uci_lines
from tools import ToolContext


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> ToolContext:
    path = tmp_path_factory.mktemp("uci") / "shop.duckdb"
    ctx = ToolContext(db=Database(path), settings=Settings(db_path=str(path)))
    load(ctx, "orders", "online_retail.csv")
    return ctx


@pytest.fixture
def chat(shop) -> Chat:
    return Chat(shop)


def money(value: float) -> str:
    return f"£{value:,.2f}"


@pytest.mark.parametrize(
    ("said", "country"),
    [
        ("how much did germany spend", "Germany"),  # was the average customer's spend over every country
        ("what did the french customers spend", "France"),
        ("germany's revenue", "Germany"),
    ],
)
def test_a_country_named_without_in_is_that_countrys_total(chat, said, country):
    lines = uci_lines()
    expected = lines[lines["Country"] == country]["amount"].sum()
    answer, _ = chat.say(said)
    assert answer.startswith(f"Total revenue in {country}: **{money(expected)}**")


def test_two_countries_side_by_side(chat):
    """ "uk vs ireland sales" was the whole shop's revenue."""
    lines = uci_lines()
    uk, eire = (lines[lines["Country"] == c]["amount"].sum() for c in ("United Kingdom", "EIRE"))
    answer, _ = chat.say("uk vs ireland sales")
    assert answer.startswith(f"Total revenue in United Kingdom: **{money(uk)}**; in EIRE: **{money(eire)}**")


def test_a_countrys_best_customers_ordered_from_there(chat):
    """ "which uk customers spent the most" ranked every country's customers."""
    lines = uci_lines()
    answer, ended = chat.say("which uk customers spent the most")
    assert "best customers in United Kingdom" in answer
    ranked = set(ended[-1].result.tables[0].to_df()["customer_id"])
    from_uk = {c.removesuffix(".0") for c in lines[lines["Country"] == "United Kingdom"]["CustomerID"]}
    assert ranked and ranked <= from_uk


@pytest.mark.parametrize("said", ["revenue excluding returns", "total sales after cancellations"])
def test_revenue_excluding_returns_is_the_net_revenue_not_the_returns(chat, said):
    """It was "Value of returns and cancellations": the returns alone."""
    answer, _ = chat.say(said)
    assert answer.startswith(f"Total revenue: **{money(uci_lines()['amount'].sum())}**")
    assert "returns and cancellations are already taken off" in answer


def test_the_returns_value_is_still_asked_by_name(chat):
    lines = uci_lines()
    answer, _ = chat.say("revenue from returns")
    assert f"**{money(-lines[lines['returned']]['amount'].sum())}**" in answer


def by_product(country: str | None = None):
    lines = uci_lines()
    if country:
        lines = lines[lines["Country"] == country]
    return lines.groupby("StockCode").agg(revenue=("amount", "sum"), name=("Description", "first"))


def test_top_products_by_revenue_rank_by_takings(chat):
    """ "top 5 products by revenue" was the shop's total; the best sellers rank by units, not takings."""
    top = by_product().nlargest(5, "revenue")
    answer, ended = chat.say("top 5 products by revenue")
    assert [e.name for e in ended] == ["find_products"]
    shown = ended[-1].result.tables[0].to_df()
    assert shown["sku"].tolist() == top.index.tolist()
    assert f"Most revenue: {top['name'].iloc[0]} ({money(top['revenue'].iloc[0])})" in answer


def test_top_products_by_revenue_in_a_country(chat):
    top = by_product("Germany").nlargest(1, "revenue")
    answer, _ = chat.say("top 5 products by revenue in germany")
    assert answer.startswith(f"Most revenue in Germany (net of returns): **{top['name'].iloc[0]}** took ")
    assert money(top["revenue"].iloc[0]) in answer


@pytest.mark.parametrize(
    ("said", "smallest"),
    [("biggest single order", False), ("what was our largest order", False), ("smallest order", True)],
)
def test_the_biggest_single_order_is_an_order(chat, said, smallest):
    """ "biggest single order" was "One-time customers: 1"."""
    lines = uci_lines()
    bought = lines[~lines["returned"] & (lines["amount"] > 0)]
    totals = bought.groupby("InvoiceNo")["amount"].sum().round(2).sort_values(ascending=smallest)
    answer, ended = chat.say(said)
    assert [e.name for e in ended] == ["query_data"]
    which = "smallest" if smallest else "biggest"
    assert answer.startswith(f"The {which} single order: **{money(totals.iloc[0])}**, order {totals.index[0]}")
    assert f"{len(totals):,} orders in all, returns left out" in answer


def test_the_biggest_orders_of_a_month_are_that_months(chat):
    lines = uci_lines()
    december = lines["InvoiceDate"].str.startswith("12/")
    bought = lines[december & ~lines["returned"] & (lines["amount"] > 0)]
    totals = bought.groupby("InvoiceNo")["amount"].sum().round(2)
    answer, ended = chat.say("top 3 orders in december")
    assert len(ended[-1].result.tables[0].to_df()) == 3
    assert f"**{money(totals.max())}**" in answer and f"{len(totals):,} orders in all" in answer


def test_anyone_buy_a_product_lists_its_buyers(chat):
    """ "anyone buy the regency cakestand?" listed the campaigns."""
    lines = uci_lines()
    named = lines["Description"].str.lower().str.contains("regency cakestand")
    buyers = lines[named & ~lines["returned"] & (lines["CustomerID"] != "")]["CustomerID"].nunique()
    answer, _ = chat.say("anyone buy the regency cakestand?")
    assert answer.startswith(f"**{buyers:,} customer{'s' if buyers != 1 else ''}** bought “regency cakestand”")


@pytest.mark.parametrize(
    ("said", "country"),
    [("which products are never returned", None), ("products with no returns in germany", "Germany")],
)
def test_the_products_never_returned_are_those_sold_without_a_return(chat, said, country):
    """ "which products are never returned" showed the empty shortlist, "which items never get returned" the best
    sellers, and the words "never returned" once counted the one-time customers."""
    lines = uci_lines()
    lines = lines[~lines["service"] & ((lines["Country"] == country) if country else True)]
    sold = lines[~lines["returned"]].groupby("StockCode")["quantity"].sum()
    back = set(lines.loc[lines["returned"], "StockCode"])
    kept = sold[(sold > 0) & ~sold.index.isin(back)].sort_values(ascending=False)
    answer, _ = chat.say(said)
    where = f" in {country}" if country else ""
    assert answer.startswith(f"{len(kept):,} of the {len(sold):,} products sold{where} had no returns or cancellations")
    assert f"({kept.iloc[0]:,.0f} sold)" in answer
    answer, _ = chat.say("how many customers never returned")
    assert answer.startswith("One-time customers:"), "customers who never came back are still the one-time buyers"


@pytest.mark.parametrize(
    ("said", "country", "month"),
    [("show me orders from france", "France", None), ("show me orders from germany in february 2011", "Germany", 2)],
)
def test_the_orders_of_a_country_are_listed_latest_first(chat, said, country, month):
    """ "show me orders from france" asked whether a product search was meant."""
    lines = uci_lines()
    bought = lines[~lines["returned"] & (lines["amount"] > 0) & (lines["Country"] == country)]
    if month:
        bought = bought[bought["when"].dt.month == month]
    orders = bought.groupby("InvoiceNo").agg(at=("when", "min"), total=("amount", "sum")).sort_values("at")
    answer, ended = chat.say(said)
    assert [e.name for e in ended] == ["query_data"]
    assert answer.startswith(f"**{len(orders):,} order{'s' if len(orders) != 1 else ''}** from {country}")
    assert f"the latest, order {orders.index[-1]} " in answer and f"**{money(orders['total'].iloc[-1])}**" in answer


def test_orders_from_a_country_the_log_does_not_have_are_not_all_orders(chat):
    """A country the log does not record must not be dropped silently (every order listed as if it were its)."""
    answer, ended = chat.say("show me orders from japan")
    assert not ended
    assert answer.startswith("No orders from japan in your orders log. Its countries: Australia, EIRE, France")


def test_a_figure_asked_again_for_another_month_country_or_grouping(chat):
    """ "and the month before?", "what about the uk?", "and by country?" after a figure got the help or a question
    back: each is that figure again, with the month, country or grouping said."""
    lines = uci_lines()
    month = lines["when"].dt.to_period("M")
    answer, _ = chat.say("what was our revenue in february 2011")
    assert answer.startswith(f"Total revenue, 1–28 Feb 2011: **{money(lines[month == '2011-02']['amount'].sum())}**")
    answer, _ = chat.say("and december 2010?")
    december = lines[month == "2010-12"]
    assert answer.startswith(f"Total revenue, 1–31 Dec 2010: **{money(december['amount'].sum())}**")
    answer, _ = chat.say("and the month before?")
    assert answer.startswith("No orders in November 2010"), "before the log begins: said, not £0"
    answer, _ = chat.say("what about the uk")  # the last figure the log could give: December's
    uk = december[december["Country"] == "United Kingdom"]["amount"].sum()
    assert answer.startswith(f"Total revenue in United Kingdom, 1–31 Dec 2010: **{money(uk)}**")
    answer, ended = chat.say("and by country?")
    assert ended[-1].name == "query_data" and "by country" in answer and money(uk) in answer
    _, ended = chat.say("show me the coat racks")
    assert ended[-1].name == "find_products", "a request of its own is not a figure's follow-up"


def test_the_products_selling_worse_than_before_are_ranked_by_their_fall(chat):
    """ "Which products are selling worse than last month" listed the all-time best sellers, as if no period were
    named. The units per product on each day, worked out with pandas; a period the log covers in part is refused."""
    lines = uci_lines()
    lines = lines[~lines["service"]]
    day = lines["when"].dt.strftime("%Y-%m-%d")
    units = lambda on: lines[day == on].groupby("StockCode")["quantity"].sum()  # noqa: E731
    change = units("2010-12-13").sub(units("2010-12-01"), fill_value=0)
    answer, ended = chat.say("which products sold less on 13 dec 2010 than on 1 dec 2010")
    assert ended[-1].name == "query_data"
    falls = change[change < 0].sort_values(kind="stable")
    assert answer.startswith(f"{len(falls):,} products sold fewer units on 13 Dec 2010 than on 1 Dec 2010.")
    shown = ended[-1].result.tables[0].to_df()
    assert list(shown["Change"][:3]) == list(falls[:3]) and set(shown["sku"][:3]) <= set(
        falls[falls <= falls.iloc[2]].index
    )
    answer, _ = chat.say("which products sold more in february than in december")
    assert answer.startswith("I cannot compare them: your orders cover only part of 1–28 Feb 2011")
    answer, _ = chat.say("which products are selling worse than last month")  # on 5 March 2011: none this month
    assert answer.startswith("No orders this month (1–5 Mar 2011)") and "nothing to compare" in answer
    answer, _ = chat.say("which items are selling worse than before")
    assert answer.startswith("Compared with when?")


@pytest.mark.parametrize(
    "said", ["how many orders does a typical customer place", "how many times does a customer order on average"]
)
def test_orders_a_customer_places_is_per_customer_not_the_shops_total(chat, said):
    """It answered "Orders: 67", every order in the log."""
    lines = uci_lines()
    known = lines[lines["customer"] != ""]
    placed = known[~known["returned"]].groupby("customer")["InvoiceNo"].nunique()
    per_customer = placed.reindex(known["customer"].unique(), fill_value=0).mean()
    answer, _ = chat.say(said)
    assert answer.startswith(f"Average orders per customer: **{per_customer:.1f}**")


@pytest.mark.parametrize("said", ["whats my average order value", "aov overall?"])
def test_the_average_order_value_is_over_every_order_in_the_log(chat, said):
    """It was £444.59 (the customers' own totals, which leave out the orders with no customer), and "aov overall?"
    the sum of every customer's average."""
    lines = uci_lines()
    orders = lines.loc[~lines["returned"], "InvoiceNo"].nunique()
    answer, _ = chat.say(said)
    assert answer == f"Average order value: **{money(lines['amount'].sum() / orders)}**."


def test_how_many_people_bought_something_counts_those_with_an_order(chat):
    """It counted every customer record (63 with a customer file; 50 here, as it has none), whoever had ordered: a
    customer whose only line is a return is no buyer."""
    lines = uci_lines()
    bought = lines.loc[~lines["returned"] & (lines["customer"] != ""), "customer"].nunique()
    assert bought < lines.loc[lines["customer"] != "", "customer"].nunique()
    answer, _ = chat.say("how many different people bought something")
    assert answer == f"Customers who ordered: **{bought}**."


@pytest.mark.parametrize("said", ["what % of orders get cancelled", "what proportion of our orders are returned"])
def test_the_share_of_orders_returned_is_a_rate(chat, said):
    """It gave the count of returns and cancellations alone."""
    lines = uci_lines()
    rate = lines.loc[lines["returned"], "InvoiceNo"].nunique() / lines["InvoiceNo"].nunique()
    answer, _ = chat.say(said)
    assert answer == f"Return and cancellation rate: **{rate:.0%}**."


@pytest.mark.parametrize(
    "said", ["which country buys the most apart from the uk", "sales by country but leave out the uk"]
)
def test_a_country_left_out_is_left_out(chat, said):
    """The United Kingdom stayed in ("highest is United Kingdom"): the words after "apart from" were not read."""
    by_country = uci_lines().groupby("Country")["amount"].sum().drop("United Kingdom").sort_values()
    answer, _ = chat.say(said)
    assert answer.startswith(
        f"Total revenue by country (each order's, from your orders log) excluding United Kingdom, {len(by_country)} "
        f"countries: highest is {by_country.index[-1]} at **{money(by_country.iloc[-1])}**"
    )


def test_a_total_without_one_country(chat):
    lines = uci_lines()
    answer, _ = chat.say("revenue excluding the uk")
    rest = lines.loc[lines["Country"] != "United Kingdom", "amount"].sum()
    assert answer == f"Total revenue excluding United Kingdom: **{money(rest)}**."


def test_revenue_from_repeat_buyers_is_theirs_and_its_share(chat):
    """It gave the shop's total revenue, the repeat buyers left unread."""
    lines = uci_lines()
    bought = lines[~lines["returned"] & (lines["customer"] != "")].groupby("customer")["InvoiceNo"].nunique()
    repeat = lines.loc[lines["customer"].isin(bought.index[bought > 1]), "amount"].sum()
    answer, _ = chat.say("how much of our revenue comes from repeat buyers")
    assert answer.startswith(
        f"Total revenue, repeat customers: **{money(repeat)}** ({repeat / lines['amount'].sum():.1%} of all)"
    )


@pytest.mark.parametrize("said", ["which customers sent stuff back", "who returned the most", "customers with returns"])
def test_the_customers_who_sent_something_back_are_listed_by_what_they_returned(chat, said):
    """It listed the campaigns ("There is no campaign yet")."""
    lines = uci_lines()
    returned = lines[lines["returned"] & (lines["customer"] != "")].groupby("customer")["amount"].sum().sort_values()
    answer, ended = chat.say(said)
    assert answer.startswith(f"**{len(returned)} customers have returned or cancelled something.**")
    assert f"customer {returned.index[0]} returned {money(-returned.iloc[0])}" in answer
    assert list(ended[-1].result.tables[0].to_df()["customer_id"]) == list(returned.index[:10])


def test_items_in_a_typical_order_is_the_average_not_the_overview(chat):
    lines = uci_lines()
    bought = lines[~lines["returned"]]
    answer, _ = chat.say("how many items does a typical order have")
    assert answer == f"Average items per order: **{bought['quantity'].sum() / bought['InvoiceNo'].nunique():,.0f}**."


def test_what_about_another_country_after_a_countrys_best_customer(chat):
    """ "wat about france" asked what was meant; and one best customer was "your 1 best customers"."""
    answer, _ = chat.say("whos our best customer in ireland")
    assert answer.startswith("Your best customer in EIRE (who ordered from there) by total spend has spent **£")
    answer, _ = chat.say("wat about france")
    assert answer.startswith("Your best customer in France (who ordered from there) by total spend has spent **£")


def test_the_cheapest_products_we_sell_are_every_product_cheapest_first(chat):
    """It searched for a product called "products we sell"."""
    _, ended = chat.say("cheapest products we sell?")
    assert [(e.name, e.arguments) for e in ended] == [("find_products", {"sort": "price_asc"})]


def test_a_greeting_before_the_question_is_not_read_as_part_of_it(chat):
    """ "hi, just loaded my shop's orders. how did we do in december?" gave the orders of December alone (the
    greeting's "orders" read as the figure asked)."""
    plain, _ = Chat(chat.ctx).say("how did we do in december?")
    answer, _ = chat.say("hi, just loaded my shop's orders. how did we do in december?")
    assert answer == plain and answer.startswith("In december (1–31 Dec 2010): revenue **£")


def test_the_top_of_a_list_of_customers_is_those_customers(chat):
    """ "the top 3 of those" after a list of customers asked which products were meant."""
    lines = uci_lines()
    spent = lines[lines["customer"] != ""].groupby("customer")["amount"].sum().sort_values(ascending=False)
    chat.say("list customers who spent over 1000")
    answer, ended = chat.say("the top 3 of those")
    assert answer.startswith(
        f"Your 3 best customers of those {(spent > 1000).sum()} by total spend: the top one has spent "
        f"**{money(spent.iloc[0])}**"
    )
    assert list(ended[-1].result.tables[0].to_df()["customer_id"]) == list(spent.index[:3])
    chat.say("who are my top 10 customers")
    _, ended = chat.say("the first two")
    assert list(ended[-1].result.tables[0].to_df()["customer_id"]) == list(spent.index[:2])


def test_customers_in_both_of_two_months_or_one_and_not_the_other(chat):
    """ "bought in both December and February" gave February's buyers (15), and "in December but not in February"
    both months' counts, side by side."""
    lines = uci_lines()
    bought = lines[~lines["returned"] & (lines["customer"] != "")]
    december = set(bought.loc[bought["when"].dt.month == 12, "customer"])
    february = set(bought.loc[bought["when"].dt.month == 2, "customer"])
    answer, _ = chat.say("how many people bought in both december and february?")
    both = len(december & february)
    assert answer.startswith(f"**{both} customer{'s' * (both != 1)}** ordered both in december (1–31 Dec 2010)")
    answer, _ = chat.say("how many customers ordered in december but not in february?")
    assert answer.startswith(f"**{len(december - february)} customers** ordered in december (1–31 Dec 2010) but not")
