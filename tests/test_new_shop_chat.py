"""A new shop owner's first chat with their own files (no demo data): what the answers say and show.

The files are the real-shaped exports in tests/fixtures; the chat is the offline planner in the real
agent loop. Expected figures come from the files, worked out here, not from what the tools printed.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from assistant.loop import Agent, Conversation, Token, ToolEnd
from assistant.planner.model import OfflinePlanner
from assistant.planner.vocabulary import Vocabulary
from tests.uci import uci_lines
from tools.registry import run_tool

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2011, 3, 5)  # the marketer's calendar: the UCI fixture's orders run from 1 Dec 2010 to 14 Feb 2011


class Chat:
    def __init__(self, ctx, today: date = TODAY) -> None:
        self.ctx = ctx
        self.agent = Agent(ctx, OfflinePlanner(lambda: Vocabulary.from_db(ctx.db), today=lambda: today))
        self.conversation = Conversation()

    def say(self, text: str) -> tuple[str, list[ToolEnd]]:
        async def run() -> tuple[str, list[ToolEnd]]:
            tokens, ended = [], []
            async for event in self.agent.run(self.conversation, text):
                if isinstance(event, Token):
                    tokens.append(event.text)
                elif isinstance(event, ToolEnd):
                    ended.append(event)
            return "".join(tokens), ended

        return asyncio.run(run())


@pytest.fixture
def chat(ctx) -> Chat:
    return Chat(ctx)


def load(ctx, kind: str, name: str) -> None:
    run_tool(ctx, "import_data", kind=kind, path=str(FIXTURES / name))


def test_how_many_can_i_email_before_any_campaign_counts_the_customers(chat):
    """Not "there is no campaign yet": how many of the shop's customers could be emailed, and why not the rest."""
    load(chat.ctx, "orders", "online_retail.csv")  # 57 customers known only by id: no address
    load(chat.ctx, "customers", "shopify_customers.csv")  # 6 with an address: 4 said yes, 2 no
    load(chat.ctx, "suppressions", "suppressions.csv")  # one of the four is on it
    answer, _ = chat.say("how many customers can I actually email?")
    assert "no campaign" not in answer.lower()
    assert "**3 of 63 customers** can be emailed now" in answer
    assert "57 not contactable" in answer and "2 no consent" in answer and "1 suppressed" in answer


def test_how_many_customers_can_i_email_is_understood_without_actually(chat):
    load(chat.ctx, "customers", "shopify_customers.csv")  # 4 of 6 said yes
    answer, _ = chat.say("how many customers can I email?")
    assert "**4 of 6 customers** can be emailed now" in answer


def test_how_many_can_i_email_with_nothing_imported_says_what_to_attach(chat):
    answer, _ = chat.say("how many people can I send to")
    assert "no customers yet" in answer and "Attach" in answer


def test_anything_wrong_shows_what_was_found_in_words_not_every_check(chat):
    """The table under the answer lists the problems found (the Shopify file's capitalised address), in words;
    not fourteen check ids with 0 rows, with what was found pushed past the first ten rows."""
    load(chat.ctx, "customers", "shopify_customers.csv")
    answer, ended = chat.say("anything wrong with my data?")
    table = next(e.result for e in ended if e.name == "validate_data").tables[0]
    assert table.rows and all(row[table.columns.index("rows")] > 0 for row in table.rows)
    problems = table.to_df()["problem"].tolist()
    assert "addresses with stray spaces or capitals" in problems
    assert not {"email_format", "empty_row"} & {str(v) for row in table.rows for v in row}
    assert answer.count("fix") <= 2  # one way to say what to do next, not the CLI's too


def test_an_import_summary_in_the_chat_keeps_its_counts_without_the_cli_command(ctx):
    """A suppression list with one bad value: the answer says 3 imported and 1 rejected, not a command line."""
    from assistant.present import plain

    summary = run_tool(ctx, "import_data", kind="suppressions", path=str(FIXTURES / "suppressions.csv")).summary
    assert "promopilot" in summary  # the CLI's own pointer
    shown = plain(summary)
    assert "Imported 3 of 4 rows" in shown and "1 rejected" in shown
    assert "promopilot" not in shown and "`" not in shown


def test_best_customers_from_an_orders_log_have_no_empty_name_column(chat):
    """The UCI log knows customers by id only: the table starts with the customer, not a column of dashes."""
    from assistant.present import compact, with_names

    load(chat.ctx, "orders", "online_retail.csv")
    _, ended = chat.say("who are my best customers")
    table = with_names(next(e.result for e in ended if e.result and e.result.tables).tables[0], chat.ctx.db)
    assert "name" not in table.columns
    shown = compact(table, "GBP")
    assert shown.columns[0] == "Customer" and shown.iloc[0, 0] == "16029"  # £3,702.12, the top spender by pandas


def retail_sales_by_pandas():
    """Units sold (net of returns: a cancellation's negative quantity counts) and revenue per stock code."""

    lines = uci_lines().rename(columns={"quantity": "units", "amount": "revenue"})
    sales = lines.groupby("StockCode")[["units", "revenue"]].sum().reset_index()
    # Most units first, then most revenue, then the SKU: 22386 and 85099C tie on both (310 units, £514.50).
    return sales.sort_values(["units", "revenue", "StockCode"], ascending=[False, False, True])


def test_which_products_sell_best_ranks_an_orders_log_by_units_sold_not_by_unknown_stock(chat):
    load(chat.ctx, "orders", "online_retail.csv")
    answer, ended = chat.say("which products sell best")
    result = next(e.result for e in ended if e.name == "find_products")
    expected = retail_sales_by_pandas()
    assert result.data["skus"] == expected["StockCode"].head(20).tolist()
    assert result.data["skus"][0] == "22693"
    assert "best sellers first (most units sold" in answer
    top = result.tables[0].to_df().iloc[0]
    assert (top["units_sold"], round(top["revenue"], 2)) == (1080, 1149.36)  # by pandas, as above
    assert f"Top sellers: {top['name']} (1,080 sold);" in answer, "the best seller is named in words"
    _, ended = chat.say("show me products that sell well")  # "that sell well" is the order, not a name to search
    again = next(e.result for e in ended if e.name == "find_products")
    assert again.data["skus"] == result.data["skus"]
    # Asking for products without an order: stock is unknown for every one, so best sellers first too.
    _, ended = chat.say("show me my products")
    assert next(e.result for e in ended if e.name == "find_products").data["skus"][0] == "22693"


def test_best_sellers_without_an_orders_log_say_they_are_unknown(chat):
    run_tool(chat.ctx, "generate_demo_data", customers=30, products=8, seed=1)  # orders without products
    answer, _ = chat.say("what are my top sellers")
    assert "cannot tell which sell best" in answer and "most stock first" in answer


def test_average_basket_by_country_groups_the_orders_by_their_own_country(chat):
    """The customers table has no country, the UCI log has one per line: each country's net revenue over its
    orders (a cancellation lowers the revenue and is not an order), as the customers' own averages are."""

    load(chat.ctx, "orders", "online_retail.csv")
    answer, ended = chat.say("average basket by country")
    lines = uci_lines()
    orders = lines[~lines["returned"]].groupby("Country")["InvoiceNo"].nunique()
    expected = (lines.groupby("Country")["amount"].sum() / orders).round(2).to_dict()
    table = next(e.result for e in ended if e.name == "query_data").tables[0].to_df()
    assert dict(zip(table["Country"], table["Average order value"], strict=True)) == pytest.approx(expected)
    assert "has no country" not in answer
    assert "highest is EIRE at **£1,560.36**" in answer and "lowest is Netherlands at **£192.60**" in answer


def test_country_without_any_in_the_orders_says_so(chat):
    run_tool(chat.ctx, "generate_demo_data", customers=30, products=8, seed=1)  # orders without a country
    answer, _ = chat.say("total revenue by country")
    assert "None of your orders has a country recorded" in answer


def test_split_into_groups_shows_the_segments_first_and_calls_out_a_lone_customer(chat):
    """The table under the answer is the segments (size, share, name, what sets them apart), not the metrics
    per number of segments (those stay in the collapsed full table), and without how each was named."""
    from assistant.present import compact, lead

    load(chat.ctx, "orders", "online_retail.csv")
    answer, ended = chat.say("split them into groups")
    shown = [lead(e.result.tables) for e in ended if e.result]
    assert [t.name for t in shown if t is not None] == ["Segments"]  # the sweep's metrics table is not shown
    table = compact(next(t for t in shown if t is not None), "GBP")
    assert list(table.columns) == ["Segment", "Name", "Size", "Share of customers", "What sets them apart"]
    sizes = chat.ctx.db.df("SELECT segment, count(*) AS n FROM segment_members GROUP BY 1")
    alone = sizes[sizes["n"] == 1]["segment"].tolist()
    assert len(alone) == 1  # the UCI sample has one customer far from the rest
    assert f"segment {alone[0]} (" in answer and "holds a single customer" in answer
    lone = table[table["Segment"] == str(alone[0])]["What sets them apart"].iloc[0]
    assert lone.startswith("A single customer, not a group")


def test_what_is_a_group_like_names_each_figure_and_writes_money_in_the_shops_currency(chat):
    from assistant.present import compact

    load(chat.ctx, "orders", "online_retail.csv")
    chat.say("split them into groups")
    _, ended = chat.say("what's group 3 like")
    table = compact(next(e.result for e in ended if e.name == "segment_show").tables[0], "GBP")
    assert table["Feature"].tolist()[:2] == ["Total spent", "Orders"]
    members = chat.ctx.db.df(
        "SELECT b.total_spent FROM segment_members m JOIN segment_runs r ON r.run_id = m.run_id AND r.is_active "
        "JOIN customer_behavior b USING (customer_id) WHERE m.segment = 3"
    )
    spent = table.set_index("Feature").loc["Total spent", "Segment mean"]
    assert spent == f"£{members['total_spent'].mean():,.2f}"  # e.g. £376.70, not 376.70


def uploaded(chat: Chat, name: str, kind: str = "customers", **options) -> None:
    """An upload as the web app makes it: imported, and noted in the conversation (what it did, or why not)."""
    from assistant.planner.memory import NOTE_PREFIX
    from assistant.turn_view import error_text
    from assistant.uploads import upload_note
    from storage.errors import UserError

    path = FIXTURES / name if (FIXTURES / name).exists() else Path(name)
    try:
        result = run_tool(chat.ctx, "import_data", kind=kind, path=str(path), **options)
    except UserError as exc:
        chat.conversation.note(f"{NOTE_PREFIX} {upload_note(path.name, kind, failed=error_text(exc.to_dict()))}")
    else:
        chat.conversation.note(f"{NOTE_PREFIX} {upload_note(path.name, kind, summary=result.summary)}")


def test_why_did_that_fail_after_a_failed_upload_says_why(chat, tmp_path):
    crm = tmp_path / "crm.csv"
    crm.write_text("Client,Mail\nA1,a@example.com\n", encoding="utf-8")
    uploaded(chat, str(crm))
    answer, _ = chat.say("why did that fail?")
    assert "No data issues recorded" not in answer
    assert answer.startswith("The last upload, crm.csv, failed.")
    assert "Its columns are “Client”, “Mail”" in answer


def test_why_were_rows_skipped_when_none_were_says_so_with_the_count(chat):
    import pandas as pd

    uploaded(chat, "shopify_customers.csv")
    answer, _ = chat.say("why were some rows skipped?")
    rows = len(pd.read_csv(FIXTURES / "shopify_customers.csv"))
    assert f"Nothing was skipped: the last import, shopify_customers.csv, took all {rows} rows" in answer


def test_an_uploads_column_matching_says_each_field_in_words(ctx):
    from assistant.present import compact, lead

    result = run_tool(ctx, "import_data", kind="orders", path=str(FIXTURES / "online_retail.csv"))
    shown = compact(lead(result.tables), "GBP")
    read_as = dict(zip(shown["File column"], shown["Field"], strict=True))
    assert read_as["InvoiceNo"] == "order number" and read_as["InvoiceDate"] == "order date"
    assert read_as["StockCode"] == "product code (SKU)"
    assert not {"order_id", "ordered_at", "email_consent"} & set(read_as.values())


def test_a_mailchimp_upload_counts_its_unused_columns_instead_of_listing_twenty(ctx):
    import pandas as pd

    path = FIXTURES / "mailchimp" / "unsubscribed_members_export_3a9f1c.csv"
    summary = run_tool(ctx, "import_data", kind="customers", path=str(path)).summary
    used = {"Email Address", "First Name", "Last Name"}
    unused = [c for c in pd.read_csv(path, nrows=0).columns if c not in used]
    assert f"Not imported columns: {', '.join(unused[:4])} and {len(unused) - 4} other columns not used." in summary
    assert unused[-1] not in summary


def test_changing_the_currency_answers_about_the_currency_in_words(chat):
    answer, ended = chat.say("set the currency to GBP")
    assert answer.startswith("The shop's currency is now GBP")
    assert "Example Street" not in answer  # the demo address is not the news here
    table = next(e.result for e in ended if e.name == "shop_settings").tables[0]
    said = {row[0]: row[1] for row in table.rows}
    assert said["Currency"] == "GBP (set by you)"
    assert said["Customers without a consent answer"] == "never emailed"  # not "email unknown consent | False"


def test_a_tiny_shop_has_no_unusual_spenders_and_one_customer_is_not_customers(chat):
    """Six Shopify customers, one of whom spent nothing: not an outlier (too few to have a "rest"), and
    segmenting one customer says "1 usable customer"."""
    from storage.errors import UserError
    from tools.segments.cluster import require_enough

    load(chat.ctx, "customers", "shopify_customers.csv")
    checked = run_tool(chat.ctx, "validate_data")
    assert [c["rows"] for c in checked.data["checks"] if c["check"] == "outlier"] == [0]
    with pytest.raises(UserError, match="Only 1 usable customer: too few"):
        require_enough(1, 2)


@pytest.mark.parametrize(
    ("text", "country"),
    [("what's the typical basket in the UK", "United Kingdom"), ("average order value in France", "France")],
)
def test_one_countrys_figure_is_that_countrys_not_everyones(chat, text, country):
    """It once answered the average over every customer, ignoring "in the UK"."""
    load(chat.ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    mine = lines[lines["Country"] == country]
    expected = round(mine["amount"].sum() / mine[~mine["returned"]]["InvoiceNo"].nunique(), 2)
    answer, _ = chat.say(text)
    assert f"Average order value in {country}: **£{expected:,.2f}**" in answer


def test_last_years_sales_are_last_years_with_the_dates_used(chat):
    """It once refused "last year"; "last year" said on 5 March 2011 is 2010, whose orders are December's."""
    load(chat.ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    december = lines[lines["InvoiceDate"].str.match(r"^\d+/\d+/2010 ")]
    answer, ended = chat.say("how much did we sell last year")
    assert ended and f"Total revenue, 1 Jan–31 Dec 2010: **£{december['amount'].sum():,.2f}**" in answer
    assert "Your orders run from 1 Dec 2010 to 14 Feb 2011" in answer  # only part of the year has orders


def test_a_period_the_planner_does_not_know_is_refused_not_ignored(chat):
    load(chat.ctx, "orders", "online_retail.csv")
    answer, ended = chat.say("how much did we sell over Christmas")
    assert not ended and "cannot limit total revenue to a period (“over Christmas”)" in answer


def test_cancelled_orders_and_the_busiest_month_come_from_the_orders_log(chat):
    load(chat.ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    answer, _ = chat.say("how many orders were cancelled")
    assert f"Returns and cancellations: **{lines[lines['returned']]['InvoiceNo'].nunique()}**" in answer

    kept = lines[~lines["returned"]].copy()
    month, year = kept["InvoiceDate"].str.extract(r"^(\d+)/\d+/(\d+)").T.values
    kept["month"] = [f"{y}-{int(m):02d}" for m, y in zip(month, year, strict=True)]
    per_month = kept.groupby("month")["InvoiceNo"].nunique()
    answer, _ = chat.say("what was the busiest month")
    assert f"highest is {per_month.idxmax()} at **{per_month.max()}**" in answer


def test_the_return_rate_is_a_share_of_orders_and_a_spend_floor_is_counted(chat):
    """ "what's our return rate" was answered with the number of returns; "who spent more than 500" with the top 10."""
    load(chat.ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    rate = lines[lines["returned"]]["InvoiceNo"].nunique() / lines["InvoiceNo"].nunique()
    answer, _ = chat.say("what's our return rate")
    assert f"Return and cancellation rate: **{rate:.0%}**" in answer

    known = lines[lines["CustomerID"] != ""]
    spent = known.groupby(known["CustomerID"].str.replace(r"\.0$", "", regex=True))["amount"].sum()
    answer, _ = chat.say("who spent more than 500")
    assert answer.startswith(f"**{(spent > 500).sum():,} customers** have spent more than £500")


def test_customer_worth_repeat_buyers_and_their_rate_in_words_a_marketer_uses(chat):
    """ "What's the average customer worth" and "how many customers ordered more than once" were answered with the
    number of customers; "repeat purchase rate" with a count."""
    load(chat.ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    known = lines[lines["CustomerID"] != ""]
    spent = known.groupby("CustomerID")["amount"].sum().clip(lower=0)  # returned it all: spent nothing
    placed = known[~known["returned"]].groupby("CustomerID")["InvoiceNo"].nunique()
    repeat = ((placed > 1) & (spent > 0)).sum()
    answer, _ = chat.say("what's the average customer worth")
    assert f"Average spend: **£{spent.mean():,.2f}**" in answer
    answer, _ = chat.say("how many customers ordered more than once")
    assert f"Repeat customers: **{repeat}**" in answer
    answer, _ = chat.say("what's our repeat purchase rate")  # of those who ordered: not who only returned something
    assert f"Share of repeat customers: **{repeat / (placed > 0).sum():.0%}**" in answer


def test_who_will_buy_again_without_enough_history_lists_the_most_regular_buyers(chat):
    """Not "who is slipping away": the refusal says what was asked, and gives the customers who order most often."""
    load(chat.ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    known = lines[(lines["CustomerID"] != "") & ~lines["returned"]]
    placed = known.groupby(known["CustomerID"].str.replace(r"\.0$", "", regex=True))["InvoiceNo"].nunique()
    answer, _ = chat.say("who's likely to buy again")
    assert answer.startswith("I cannot predict who will buy yet (")
    assert f"the 10 customers who have ordered most often, out of {len(placed)} who bought" in answer
    assert f"placed {placed.max()} orders" in answer


def test_in_stock_is_a_filter_only_where_the_catalogue_records_stock(chat):
    """A catalogue from an orders log has no stock: "anything in stock under 3 quid" found nothing at all."""
    load(chat.ctx, "orders", "online_retail.csv")
    _, ended = chat.say("anything in stock under 3 quid")
    assert ended[-1].name == "find_products" and ended[-1].arguments == {"price_max": 3.0}
    assert ended[-1].result.data["total"] > 0


def test_what_is_not_selling_lists_the_slowest_sellers_first(chat):
    """ "Which items have barely sold" listed the most stock first."""
    load(chat.ctx, "orders", "online_retail.csv")
    _, ended = chat.say("what's not selling")
    assert ended[-1].arguments == {"sort": "slow_selling"}
    table = ended[-1].result.tables[0].to_df()
    sold = table["units_sold"].fillna(0).clip(lower=0)
    assert sold.is_monotonic_increasing and sold.iloc[0] == 0


def test_the_slowest_sellers_without_products_in_the_orders_say_they_cannot_be_told(demo_ctx):
    answer, _ = Chat(demo_ctx).say("which items have barely sold")
    assert "cannot tell which sell worst" in answer


def test_questions_about_customers_in_a_marketers_words_are_figures_from_the_log(chat):
    import pandas as pd

    """Each was asked back, answered with the best customers, or with the number of orders."""
    load(chat.ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    known = lines[(lines["CustomerID"] != "") & ~lines["returned"]].copy()
    known["when"] = pd.to_datetime(known["InvoiceDate"], format="%m/%d/%Y %H:%M")
    answer, _ = chat.say("where are my customers from")
    # a customer counts in each country their purchases name (one with only a cancellation bought nothing there)
    countries = known.groupby("Country")["CustomerID"].nunique()
    assert (
        f"Customers by country (each order's, from your orders log), {len(countries)} countries: highest is " in answer
    )
    assert f"{countries.idxmax()} at **{countries.max()}**" in answer
    answer, _ = chat.say("what's the average time between orders")
    per = known.groupby("CustomerID").agg(first=("when", "min"), last=("when", "max"), n=("InvoiceNo", "nunique"))
    per = per[per["n"] > 1]
    gap = ((per["last"].dt.normalize() - per["first"].dt.normalize()).dt.days / (per["n"] - 1)).mean()
    assert f"Average days between orders: **{gap:,.0f}**" in answer or f"**{gap:,.1f}**" in answer
    answer, ended = chat.say("what do my customers buy most")
    assert ended[-1].name == "find_products" and ended[-1].arguments == {"sort": "best_selling"}
    answer, _ = chat.say("what time of year do we sell the most")
    assert answer.startswith("Total revenue by month")


@pytest.mark.parametrize("text", ["how many customers have never ordered", "how many customers have no orders"])
def test_customers_without_an_order_are_counted(chat, text):
    """Both showed the data overview (how many customers there are in all)."""
    load(chat.ctx, "customers", "shopify_customers.csv")
    export = pd.read_csv(FIXTURES / "shopify_customers.csv")
    none = int((export["Total Orders"] == 0).sum())
    assert 0 < none < len(export)
    answer, ended = chat.say(text)
    assert [e.name for e in ended] == ["query_data"] and f"Customers without an order: **{none}**" in answer


def test_a_customer_file_without_orders_says_why_revenue_is_not_known_and_who_cannot_be_emailed(chat):
    """ "What's our total revenue" said "Total revenue: not known"; "who can't I email and why" gave the overview."""
    load(chat.ctx, "customers", "shopify_customers.csv")
    export = pd.read_csv(FIXTURES / "shopify_customers.csv")
    answer, _ = chat.say("what's our total revenue")
    assert answer == "There are no orders in your data, so I cannot tell total revenue. Attach your orders log."
    said_no = int((export["Accepts Email Marketing"] == "no").sum())
    answer, ended = chat.say("who can't I email and why")
    assert [e.name for e in ended] == ["unreachable_customers"]
    assert answer.startswith(f"{said_no} of your {len(export)} customers cannot be emailed now: {said_no} no consent.")
