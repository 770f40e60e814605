"""The shop's own category and brand words understood by the chat (issue 13: "categories and brands come from the
database's own vocabulary, not the demo catalogue, so an imported shop's words work").

Driven through the offline chat on an imported shop (Kaggle's model-car wholesaler, tests/fixtures/
sales_data_sample.csv: categories "Classic Cars", "Motorcycles", "Trucks and Buses"...) and on the demo shop;
expected figures come from the file or the database, not from what the tools printed.
"""

from __future__ import annotations

import pandas as pd
import pytest

from assistant.planner import shop_terms
from assistant.planner.classifier import normalise
from assistant.planner.model import understood
from assistant.planner.vocabulary import Vocabulary
from tests.test_new_shop_chat import Chat
from tests.test_sales_sample_shop import SALES, attach
from tools import run_tool

CARS = ["Classic Cars", "Motorcycles", "Planes", "Ships", "Trains", "Trucks and Buses", "Vintage Cars"]


# -- how a request says a name -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("show me the classic cars", "Classic Cars"),
        ("a classic car under 200", "Classic Cars"),
        ("any motorcycle?", "Motorcycles"),
        ("email them about the trucks & buses", "Trucks and Buses"),
        ("TRUCKS AND BUS deals", "Trucks and Buses"),
        ("find me ships", "Ships"),
    ],
)
def test_a_category_is_found_in_the_singular_plural_or_any_case(text, category):
    assert shop_terms.named(text, CARS, [])["category"] == [category]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("any crème brûlée?", "Crème Brûlée"),
        ("mens shoes", "Men's Shoes"),
        ("men's shoes", "Men's Shoes"),
        ("t shirt", "T-Shirts"),
    ],
)
def test_a_name_with_accents_apostrophes_or_hyphens_is_found(text, name):
    found = shop_terms.named(text, ["Crème Brûlée", "Men's Shoes", "T-Shirts"], [])["category"]
    assert found == ([name] if name else [])


def test_the_longest_name_wins_and_is_not_also_a_shorter_one():
    assert shop_terms.named("our vintage cars", ["Cars", "Vintage Cars"], [])["category"] == ["Vintage Cars"]
    assert shop_terms.named("cars and vintage cars", ["Cars", "Vintage Cars"], [])["category"] == [
        "Vintage Cars",
        "Cars",
    ]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("how did the spring sale do", []),
        ("what sold best in the sale", []),
        ("ship it", []),  # the category is "Ships": "ship" is said as a verb
        ("draft a gift card email", []),
        ("show me the sale items", ["Sale"]),
        ("products in the Sale category", ["Sale"]),
        ("gift products under 20", ["Gifts"]),
        ("show me our candles", ["Candles"]),
    ],
)
def test_a_name_that_is_an_everyday_word_counts_only_said_as_a_product_word(text, names):
    assert shop_terms.named(text, ["Sale", "Gifts", "Candles", "Ships", "New In"], [])["category"] == names


def test_the_classifier_reads_the_shops_names_as_it_reads_the_demos_product_words():
    """Training (the demo's "coats") and prediction (the shop's "classic cars") agree on one placeholder."""
    assert normalise("show me the classic cars", (), CARS) == normalise("show me the coats") == "show me the garment"
    assert normalise("anything from Acme Outdoor?", (), [], ["Acme Outdoor"]) == "anything from garment ?"
    assert normalise("what do we stock from Northlane", (), [], ["Northlane"]) == "what do we stock from garment"
    assert normalise("ship it", (), CARS) == "send it"  # the verb, not the category


def test_the_shops_words_are_not_corrected_as_typos():
    """ "trains" was read as a misspelt "train" before it could be the category."""
    shop = Vocabulary(categories=CARS)
    assert understood("which trains are selling best", shop=shop)[0][0] == "find_products"


# -- an imported shop, through the chat ---------------------------------------------------------------
@pytest.fixture
def lines() -> pd.DataFrame:
    frame = pd.read_csv(SALES, dtype=str, keep_default_na=False, encoding="cp1252")
    frame = frame[frame["STATUS"] != "On Hold"].copy()  # waiting for payment: never paid, not stored
    frame["amount"] = frame["SALES"].astype(float)
    frame["signed"] = frame["amount"].where(frame["STATUS"] != "Cancelled", 0)  # a cancelled order nets to nothing
    frame["units"] = frame["QUANTITYORDERED"].astype(int).where(frame["STATUS"] != "Cancelled", 0)
    return frame


@pytest.fixture
def chat(ctx) -> Chat:
    attach(ctx)
    run_tool(ctx, "segment_run", k=3)
    return Chat(ctx)


def in_line(lines: pd.DataFrame, line: str) -> set[str]:
    return set(lines[lines["PRODUCTLINE"] == line]["PRODUCTCODE"])


def calls(ended) -> list[tuple[str, dict]]:
    return [(e.name, e.arguments) for e in ended]


def test_show_me_the_classic_cars_under_a_price_searches_that_category_with_the_cap(chat, lines):
    answer, ended = chat.say("show me the classic cars under 60")
    assert calls(ended) == [("find_products", {"category": ["Classic Cars"], "price_max": 60.0})]
    under = chat.ctx.db.execute(
        "SELECT count(*) FROM products WHERE category = 'Classic Cars' AND price <= 60"
    ).fetchone()[0]
    assert 0 < under < lines[lines["PRODUCTLINE"] == "Classic Cars"]["PRODUCTCODE"].nunique()
    assert f"{under} classic cars under €60" in answer


@pytest.mark.parametrize(
    ("text", "category", "extra"),
    [
        ("any motorcycles under 100?", "Motorcycles", {"price_max": 100.0}),
        ("find me ships", "Ships", {}),
        ("show me a classic car", "Classic Cars", {}),
        ("which trains are selling best", "Trains", {"sort": "best_selling"}),
    ],
)
def test_a_product_search_names_the_shops_category(chat, lines, text, category, extra):
    answer, ended = chat.say(text)
    assert calls(ended) == [("find_products", {"category": [category], **extra})]
    count = lines[lines["PRODUCTLINE"] == category]["PRODUCTCODE"].nunique()
    assert f"{count} {category.lower()}" in answer
    found = ended[0].result.data["skus"]
    assert found and set(found) <= in_line(lines, category) and f"Top sellers: {found[0]}" in answer


@pytest.mark.parametrize("text", ["how many motorcycles do we have", "how many products in motorcycles"])
def test_how_many_of_a_category_counts_its_products(chat, lines, text):
    """It gave the shop's overview (customers, every product, order lines) instead."""
    answer, ended = chat.say(text)
    assert calls(ended) == [("find_products", {"category": ["Motorcycles"]})]
    assert answer.startswith(f"{len(in_line(lines, 'Motorcycles'))} motorcycles; ")


def test_in_stock_without_stock_figures_is_said_not_ignored(chat, lines):
    """An orders log gives no stock: every classic car is listed, and the answer says why."""
    answer, ended = chat.say("how many classic cars are in stock")
    assert calls(ended) == [("find_products", {"category": ["Classic Cars"]})]
    assert answer.startswith("Your catalogue records no stock levels (an orders log does not give them)")
    assert f"{len(in_line(lines, 'Classic Cars'))} classic cars; " in answer


def test_which_segment_fits_the_motorcycles_matches_that_categorys_best_sellers(chat, lines):
    """It asked "which products?": the category named was not a product in play."""
    answer, ended = chat.say("which segment fits the motorcycles")
    top = ended[0].result.data["skus"]
    assert len(top) == 3 and set(top) <= in_line(lines, "Motorcycles")
    assert calls(ended) == [
        ("find_products", {"category": ["Motorcycles"], "limit": 3}),
        ("match_segments", {"product": top}),
    ]
    assert "Which products?" not in answer


def test_email_the_big_spenders_about_our_vintage_cars_drafts_about_them_for_that_segment(chat, lines):
    # the segment that spends most, whatever number the clustering gave it (its rule name may say "big spenders")
    big = chat.ctx.db.scalar(
        "SELECT segment FROM segments ORDER BY json_extract(profile, '$.means.total_spent')::DOUBLE DESC LIMIT 1"
    )
    run_tool(chat.ctx, "segment_rename", segment=big, name="Recent big spenders")
    chat.say("show me the segments")
    answer, ended = chat.say("email the big spenders about our vintage cars")
    drafted = next(e for e in ended if e.name == "campaign_draft")
    # the segment's best fits among the vintage cars, not the three most stocked
    assert calls(ended)[0] == ("suggest_products", {"segment": big, "category": ["Vintage Cars"], "top": 3})
    found = ended[0].result.data["skus"]
    assert set(found) <= in_line(lines, "Vintage Cars")
    assert drafted.arguments == {"skus": found, "segment": big}
    assert drafted.ok and "Approve" in answer


def test_a_draft_for_everyone_about_trucks_and_buses_is_about_that_whole_category(chat, lines):
    """ "about the trucks & buses" was cut at the "&" and searched for a product called "truck"."""
    _, ended = chat.say("draft an email to everyone about the trucks & buses")
    drafted = next(e for e in ended if e.name == "campaign_draft")
    assert calls(ended)[0] == ("find_products", {"category": ["Trucks and Buses"], "limit": 3})
    assert drafted.arguments == {"skus": ended[0].result.data["skus"]}
    assert set(drafted.arguments["skus"]) <= in_line(lines, "Trucks and Buses")


def test_a_newsletter_on_a_category_is_drafted_about_it(chat, lines):
    """No "about": it asked which products the email should feature."""
    answer, ended = chat.say("write a newsletter on motorcycles")
    assert calls(ended)[0] == ("find_products", {"category": ["Motorcycles"], "limit": 3})
    drafted = next(e for e in ended if e.name == "campaign_draft")
    assert drafted.arguments["skus"] == ended[0].result.data["skus"] and "Which products" not in answer


def test_a_segment_named_after_a_category_is_the_audience_not_the_products(chat):
    run_tool(chat.ctx, "segment_rename", segment=2, name="Classic car lovers")
    chat.say("show me the segments")
    answer, ended = chat.say("draft an email for the classic car lovers")
    assert "find_products" not in [e.name for e in ended] and "Which products" in answer


@pytest.mark.parametrize(
    ("text", "category"),
    [("revenue from motorcycles", "Motorcycles"), ("how much did we sell of trucks and buses", "Trucks and Buses")],
)
def test_revenue_from_a_category_is_that_categorys_not_the_shops_total(chat, lines, text, category):
    """It answered the shop's whole revenue (5.1 million) as if that were asked."""
    answer, ended = chat.say(text)
    assert [e.name for e in ended] == ["query_data"]
    net = lines[lines["PRODUCTLINE"] == category]["signed"].sum()
    assert f"Total revenue, {category}: **€{net:,.2f}**" in answer
    assert f"{lines['PRODUCTLINE'].nunique()} categories in all" in answer


def test_average_order_value_for_a_category_counts_that_categorys_orders(chat, lines):
    answer, _ = chat.say("average order value for motorcycles")
    bikes = lines[lines["PRODUCTLINE"] == "Motorcycles"]
    value = bikes["signed"].sum() / bikes["ORDERNUMBER"].nunique()  # a cancelled order was still placed
    assert f"Average order value, Motorcycles: **€{value:,.2f}**" in answer


def test_a_category_and_a_country_at_once_is_said_to_be_one_at_a_time(chat):
    answer, ended = chat.say("revenue from motorcycles in the USA")
    assert not ended and "not both at once" in answer


def test_which_customers_would_buy_a_vintage_car_ranks_for_that_category(chat):
    _, ended = chat.say("which customers would buy a vintage car")
    assert ended[0].name == "find_products" and ended[0].arguments["category"] == ["Vintage Cars"]
    assert ended[-1].name == "rank_customers"


# -- a shop whose categories are everyday words ------------------------------------------------------
@pytest.fixture
def gift_shop(ctx, tmp_path) -> Chat:
    path = tmp_path / "catalogue.csv"
    path.write_text(
        "Product ID,Product Name,Product Type,Brand,Price,Stock\n"
        "G-001,Lavender candle,Candles,Wick & Co,18,40\n"
        "G-002,Cedar candle,Candles,Wick & Co,22,15\n"
        "G-003,Gift box,Gifts,Wick & Co,35,60\n"
        "G-004,Last season candle,Sale,Wick & Co,9,80\n"
        "G-005,Linen spray,New In,Hearth Lane,14,25\n"
    )
    run_tool(ctx, "import_data", kind="products", path=str(path))
    return Chat(ctx)


@pytest.mark.parametrize("text", ["how did the spring sale do", "what's new", "how did the gift card email do"])
def test_a_category_called_sale_or_gifts_does_not_hijack_a_request(gift_shop, text):
    shop = Vocabulary.from_db(gift_shop.ctx.db)
    assert {"Sale", "Gifts", "New In"} <= set(shop.categories)
    with_shop, without = understood(text, shop=shop), understood(text)
    assert [r[0] for r in with_shop[:2]] == [r[0] for r in without[:2]]
    _, ended = gift_shop.say(text)
    assert "find_products" not in [e.name for e in ended]


def test_the_sale_category_said_as_products_is_searched(gift_shop):
    _, ended = gift_shop.say("show me the sale items")
    assert calls(ended) == [("find_products", {"category": ["Sale"]})]
    assert "G-004" in str(ended[0].result.data)


def test_a_brand_and_a_product_word_search_both(gift_shop):
    _, ended = gift_shop.say("show me Wick & Co candles under 20")
    assert calls(ended) == [("find_products", {"category": ["Candles"], "brand": ["Wick & Co"], "price_max": 20.0})]
    assert ended[0].result.data["skus"] == ["G-001"]


# -- the demo shop: its words come from its database too ---------------------------------------------
@pytest.fixture
def demo(demo_ctx) -> Chat:
    return Chat(demo_ctx)


def test_demo_knitwear_under_a_price_and_a_brands_coats(demo):
    _, ended = demo.say("any knitwear under 40?")
    assert calls(ended) == [("find_products", {"category": ["Knitwear"], "price_max": 40.0})]
    _, ended = demo.say("show me Northlane coats")
    assert calls(ended) == [("find_products", {"brand": ["Northlane"], "search": "coat"})]
    coats = demo.ctx.db.execute("SELECT sku FROM products WHERE brand = 'Northlane' AND name ILIKE '%coat%'").fetchall()
    assert ended[0].result.data["total"] == len(coats) > 0


def test_demo_average_price_of_a_category_is_that_categorys(demo):
    answer, ended = demo.say("average price of shoes")
    assert [e.name for e in ended] == ["query_data"]
    price = demo.ctx.db.execute("SELECT round(avg(price), 2) FROM products WHERE category = 'Shoes'").fetchone()[0]
    assert f"Average price, Shoes: **€{price:,.2f}**" in answer


def test_demo_revenue_from_a_category_the_orders_do_not_record_says_so(demo):
    """The demo's orders log has no category: not "no revenue for Knitwear", nor the whole shop's revenue."""
    assert demo.ctx.db.execute("SELECT count(category) FROM orders").fetchone()[0] == 0
    answer, _ = demo.say("revenue from knitwear")
    assert "None of your orders has a category recorded" in answer


@pytest.mark.parametrize(
    ("text", "kind", "only", "column", "key"),
    [
        ("revenue by month for motorcycles", "month", "for Motorcycles", "PRODUCTLINE", "Motorcycles"),
        ("revenue by category in the USA", "category", "in USA", "COUNTRY", "USA"),
    ],
)
def test_a_breakdown_for_one_category_or_country_is_of_its_rows_only(chat, lines, text, kind, only, column, key):
    """ "revenue by month for motorcycles" gave every category's months without a word, then was refused."""
    mine = lines[lines[column] == key]
    by = {"month": pd.to_datetime(mine["ORDERDATE"], format="%m/%d/%Y %H:%M").dt.strftime("%Y-%m"),
          "category": mine["PRODUCTLINE"]}[kind]  # fmt: skip
    per = mine["signed"].groupby(by).sum()
    answer, _ = chat.say(text)
    assert answer.startswith(f"Total revenue by {kind} {only}, {len(per)} ")
    assert f"highest is {per.idxmax()} at **€{per.max():,.2f}**" in answer
