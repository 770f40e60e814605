"""What one product sold, from the UCI orders log: before, "sales of hot water bottles" gave the whole shop's
revenue, as if no product had been named."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_new_shop_chat import Chat, load, uci_lines


@pytest.fixture
def chat(ctx) -> Chat:
    load(ctx, "orders", "online_retail.csv")
    return Chat(ctx)


def sold(words: list[str], month: str | None = None) -> tuple[float, float, int]:
    """Net of returns, gross, and units sold, over the lines whose description holds every word."""
    lines = uci_lines()
    named = pd.Series(True, index=lines.index)
    for word in words:
        named &= lines["Description"].str.lower().str.contains(word, regex=False)
    if month:
        named &= pd.to_datetime(lines["InvoiceDate"], format="%m/%d/%Y %H:%M").dt.strftime("%Y-%m") == month
    chosen = lines[named]
    bought = chosen[~chosen["returned"]]
    return round(chosen["amount"].sum(), 2), round(bought["amount"].sum(), 2), int(bought["Quantity"].astype(int).sum())


@pytest.mark.parametrize(
    ("said", "words", "month"),
    [
        ("sales of hot water bottles", ["hot", "water", "bottle"], None),
        ("how much did the flytrap tins make us", ["flytrap", "tin"], None),
        ("how many units of the flytrap did we sell", ["flytrap"], None),
        ("sales of hot water bottles in december", ["hot", "water", "bottle"], "2010-12"),
        # each gave the whole shop's figure: revenue, units, December's revenue
        ("how much did we make on jumbo bags?", ["jumbo", "bag"], None),
        ("how many units did we sell of the night light?", ["night", "light"], None),
        ("how much did we make from the hot water bottles in december?", ["hot", "water", "bottle"], "2010-12"),
    ],
)
def test_a_products_sales_are_its_own(chat, said, words, month):
    net, gross, units = sold(words, month)
    answer, ended = chat.say(said)
    assert [e.name for e in ended] == ["query_data"]
    assert f"made **£{net:,.2f}** net of returns (£{gross:,.2f} sold, {units:,} units)" in answer
    assert "Total revenue" not in answer


def test_a_product_never_sold_is_said_not_the_shops_total(chat):
    answer, _ = chat.say("sales of unicorn saddles")
    assert answer.startswith("No product with “unicorn saddle” in its name was sold")


def test_a_country_is_still_the_breakdowns(chat):
    answer, _ = chat.say("revenue from the uk")
    assert answer.startswith("Total revenue in United Kingdom")


@pytest.mark.parametrize(
    ("said", "day", "figure"),
    [
        ("number of orders on 14th feb", "2011-02-14", "orders"),
        ("how many orders on feb 14 2011", "2011-02-14", "orders"),
        ("revenue on the 1st of december", "2010-12-01", "revenue"),
    ],
)
def test_a_day_said_is_that_days_figure(chat, said, day, figure):
    """ "Number of orders on 14th feb" gave every order in the log (68): the day was not read."""
    lines = uci_lines()
    on_the_day = lines[pd.to_datetime(lines["InvoiceDate"], format="%m/%d/%Y %H:%M").dt.strftime("%Y-%m-%d") == day]
    answer, _ = chat.say(said)
    when = f"{pd.Timestamp(day):%-d %b %Y}"
    if figure == "orders":
        assert answer.startswith(f"Orders, {when}: **{on_the_day[~on_the_day['returned']]['InvoiceNo'].nunique()}**")
    else:
        assert answer.startswith(f"Total revenue, {when}: **£{on_the_day['amount'].sum():,.2f}**")
