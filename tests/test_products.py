"""Finding products with bound-parameter filters, and keeping chosen ones on a shortlist."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from typing import get_args

import pytest
from click.testing import CliRunner

from assistant.present import plain
from cli import main
from storage.errors import UserError
from tools import run_tool
from tools.catalog.products import SortKey

INJECTIONS = [
    "'; DROP TABLE products; --",
    "x' OR '1'='1",
    "%",
    "_",
    "50% off_sale \\",
    '") OR 1=1 --',
    "Outerwear' UNION SELECT * FROM app_secrets --",
]


@pytest.fixture
def shop(ctx):
    run_tool(ctx, "generate_demo_data", customers=50, products=400, seed=11)
    return ctx


def everything(ctx):
    return ctx.db.df("SELECT * FROM products")


def test_each_filter_returns_exactly_the_matching_products(shop):
    all_products = everything(shop)
    expected = all_products[
        (all_products.stock >= 20)
        & (all_products.stock <= 400)
        & (all_products.margin >= 0.4)
        & (all_products.price >= 20)
        & (all_products.price <= 300)
        & all_products.category.isin(["Outerwear", "Knitwear"])
    ]
    result = run_tool(
        shop,
        "find_products",
        min_stock=20,
        max_stock=400,
        min_margin=0.4,
        price_min=20,
        price_max=300,
        category=["outerwear", "KNITWEAR"],  # case does not matter
        limit=500,
    )
    assert result.data["total"] == len(expected) > 0
    assert sorted(result.data["skus"]) == sorted(expected.sku)


def test_search_brand_sort_and_paging(shop):
    all_products = everything(shop)
    brands = ["Northlane", "Fieldnote"]
    wool = all_products[all_products.name.str.lower().str.contains("cotton") & all_products.brand.isin(brands)]
    first = run_tool(
        shop, "find_products", search="COTTON", brand=["northlane", "FIELDNOTE"], sort="price_asc", limit=3
    )
    assert first.data["total"] == len(wool) > 3
    assert first.data["skus"] == wool.sort_values(["price", "sku"]).sku.head(3).tolist()
    second = run_tool(shop, "find_products", search="cotton", brand=brands, sort="price_asc", limit=3, offset=3)
    assert second.data["skus"] == wool.sort_values(["price", "sku"]).sku.iloc[3:6].tolist()
    assert first.tables[0].total == len(wool)


ORDERS = {  # sort key -> (column, ascending), written out rather than derived from the key
    "stock_desc": ("stock", False),
    "stock_asc": ("stock", True),
    "price_desc": ("price", False),
    "price_asc": ("price", True),
    "margin_desc": ("margin", False),
    "margin_asc": ("margin", True),
    "name": ("name", True),
    "newest": ("created_at", False),
    "best_selling": ("stock", False),  # the demo's orders name no products: most stock first, and said so
    "slow_selling": ("stock", False),  # the same, for the slowest sellers
    "top_revenue": ("stock", False),  # and for the most revenue
}


@pytest.mark.parametrize("sort", [s for s in get_args(SortKey) if s != "worth_promoting"])  # a score: its own test
def test_every_sort_orders_as_named_with_missing_values_last(shop, sort):
    shop.db.execute(
        "UPDATE products SET price = NULL, margin = NULL, stock = NULL WHERE sku IN (SELECT min(sku) FROM products)"
    )
    column, ascending = ORDERS[sort]
    expected = everything(shop).sort_values([column, "sku"], ascending=[ascending, True], na_position="last")
    assert run_tool(shop, "find_products", sort=sort, limit=500).data["skus"] == expected["sku"].tolist()


def test_contradictory_bounds_are_refused(shop):
    with pytest.raises(UserError, match="--price-min") as caught:
        run_tool(shop, "find_products", price_min=100, price_max=10)
    assert "Swap" in caught.value.hint
    with pytest.raises(UserError, match="--min-stock"):
        run_tool(shop, "find_products", min_stock=10, max_stock=1)
    for field in ("price_min", "price_max", "min_margin"):
        for value in ("nan", "inf"):
            with pytest.raises(UserError, match=field):
                run_tool(shop, "find_products", **{field: value})


def test_an_empty_result_says_which_filter_to_loosen(shop):
    result = run_tool(shop, "find_products", category=["Shoes"], price_max=1)
    assert result.data["total"] == 0
    shoes = int((everything(shop).category == "Shoes").sum())
    assert f"Without --price-max there would be {shoes:,} products" in result.summary
    unknown = run_tool(shop, "find_products", category=["Hats"])
    assert "no category Hats" in unknown.summary and "Outerwear" in unknown.summary


def test_products_without_a_category_are_not_listed_as_a_category_called_none(shop):
    shop.db.execute("UPDATE products SET category = NULL, brand = NULL WHERE sku IN (SELECT min(sku) FROM products)")
    unknown = run_tool(shop, "find_products", category=["Hats"])
    assert "Outerwear" in unknown.summary and "None" not in unknown.summary
    # "none" is not a brand either: the hint still names it as unknown
    assert "There is no brand none" in run_tool(shop, "find_products", brand=["none"]).summary


@pytest.mark.parametrize("filters", [{}, {"category": ["Outerwear"], "price_max": 100}])
def test_an_empty_shop_says_to_load_products_first(ctx, filters):
    with pytest.raises(UserError, match="no products in the database") as caught:
        run_tool(ctx, "find_products", **filters)
    assert "promopilot import products" in caught.value.hint


def test_sql_in_any_filter_field_is_just_a_value(shop):
    products = everything(shop)
    haystack = (products.name + "|" + products.sku + "|" + products.brand + "|" + products.category).str.lower()
    for attack in INJECTIONS:
        found = run_tool(shop, "find_products", search=attack)
        assert found.data["total"] == int(haystack.str.contains(attack.lower(), regex=False).sum())  # % _ literal
        for field in ("category", "brand"):
            found = run_tool(shop, "find_products", **{field: [attack]})
            assert found.data["total"] == int((products[field].str.lower() == attack.lower()).sum())
        for field in ("price_min", "price_max", "min_margin", "min_stock", "max_stock", "limit", "offset", "sort"):
            with pytest.raises(UserError, match=field):  # a non-number never reaches SQL
                run_tool(shop, "find_products", **{field: attack})
    assert shop.db.scalar("SELECT count(*) FROM products") == len(products)


def test_product_names_holding_sql_are_found_and_harmless(shop):
    evil = [f"EVIL-{i}{attack}" for i, attack in enumerate(INJECTIONS)]  # the SKU too
    with shop.db.transaction() as con:
        for sku, attack in zip(evil, INJECTIONS, strict=True):
            con.execute(
                "INSERT INTO products (sku, name, category, brand, price, margin, stock, source) "
                "VALUES (?, ?, ?, ?, 10, 1, 5, 'test')",
                [sku, f"Coat {attack}", attack, attack],
            )
    for sku, attack in zip(evil, INJECTIONS, strict=True):
        found = run_tool(shop, "find_products", search=f"coat {attack}")
        assert sku in found.data["skus"]
        by_category = run_tool(shop, "find_products", category=[attack], brand=[attack])
        assert by_category.data["skus"] == [sku]
    run_tool(shop, "shortlist_add", skus=evil[:1])  # on the default list: an OR '1'='1' name must not see it
    assert run_tool(shop, "shortlist_show", shortlist=INJECTIONS[1]).data["skus"] == []
    run_tool(shop, "shortlist_add", skus=evil, shortlist=INJECTIONS[1])
    assert run_tool(shop, "shortlist_show", shortlist=INJECTIONS[1]).data["skus"] == evil
    ranked = run_tool(shop, "rank_customers", shortlist=INJECTIONS[1], top=5)  # the scoring SQL binds them too
    assert len(ranked.data["customer_ids"]) == 5 and set(ranked.tables[0].to_df()["recommended_sku"]) <= set(evil)
    assert run_tool(shop, "shortlist_remove", skus=evil[:2], shortlist=INJECTIONS[1]).data["skus"] == evil[2:]
    assert shop.db.scalar("SELECT count(*) FROM products WHERE source = 'test'") == len(INJECTIONS)


def test_the_shortlist_remembers_products_in_order(shop):
    a, b, c = (r[0] for r in shop.db.execute("SELECT sku FROM products ORDER BY sku LIMIT 3").fetchall())
    run_tool(shop, "shortlist_add", skus=[b, a])
    added = run_tool(shop, "shortlist_add", skus=[a, c])  # a is already there: kept once, in place
    assert added.data["skus"] == [b, a, c]
    assert run_tool(shop, "shortlist_show").tables[0].to_df()["sku"].tolist() == [b, a, c]
    assert run_tool(shop, "shortlist_show", shortlist="summer").data["skus"] == []
    assert run_tool(shop, "shortlist_remove", skus=[a]).data["skus"] == [b, c]
    assert run_tool(shop, "shortlist_remove").data["skus"] == []
    assert run_tool(shop, "shortlist_remove").summary == "The shortlist 'default' is already empty."  # not "Removed 0"


def test_unknown_skus_are_named(shop):
    sku = shop.db.scalar("SELECT min(sku) FROM products")
    with pytest.raises(UserError, match="NOPE-1, NOPE-2"):
        run_tool(shop, "shortlist_add", skus=[sku, "NOPE-1", "NOPE-2"])
    assert run_tool(shop, "shortlist_show").data["skus"] == []  # nothing half-added
    with pytest.raises(UserError, match="Not on the shortlist"):
        run_tool(shop, "shortlist_remove", skus=["NOPE-1"])


def test_each_chat_has_its_own_shortlist_and_the_cli_keeps_default(shop):
    a, b, c = shop.db.df("SELECT sku FROM products ORDER BY sku LIMIT 3")["sku"]
    tab1, tab2 = replace(shop, chat_id="tab-1"), replace(shop, chat_id="tab-2")
    run_tool(tab1, "shortlist_add", skus=[a, b])
    run_tool(tab2, "shortlist_add", skus=[c])

    shown = run_tool(tab1, "shortlist_show")
    assert shown.data == {"name": "chat-tab-1", "skus": [a, b]}
    names = dict(shop.db.execute("SELECT sku, name FROM products").fetchall())
    assert shown.summary == f"This chat's shortlist holds 2: {names[a]} and {names[b]}.", "names; SKUs in the table"
    assert run_tool(tab2, "shortlist_show").data == {"name": "chat-tab-2", "skus": [c]}
    cli = run_tool(shop, "shortlist_show")
    assert cli.data == {"name": "default", "skus": []}
    assert "chat-" not in cli.summary, "other chats' own lists are not offered"

    # What reads the shortlist when no product is named reads the chat's own.
    assert run_tool(tab1, "rank_customers", top=3).data["skus"] == [a, b]
    assert run_tool(tab2, "rank_customers", top=3).data["skus"] == [c]
    campaign_id = run_tool(tab2, "campaign_draft", variants=1).approval.campaign_id
    assert shop.db.scalar("SELECT skus FROM campaigns WHERE campaign_id = ?", [campaign_id]) == [c]
    assert run_tool(tab2, "shortlist_show").data["skus"] == []  # moved into the campaign: the next email starts afresh
    run_tool(tab2, "shortlist_add", skus=[c])
    with pytest.raises(UserError, match="shortlist 'default' is empty"):
        run_tool(shop, "rank_customers", top=3)

    # A named shortlist is shared on purpose; clearing a chat's own leaves the others alone.
    run_tool(tab1, "shortlist_add", skus=[c], shortlist="spring")
    assert run_tool(tab2, "shortlist_show", shortlist="spring").data["skus"] == [c]
    assert run_tool(tab2, "shortlist_remove").summary == "Removed 1 from this chat's shortlist; it is now empty."
    assert run_tool(tab1, "shortlist_show").data["skus"] == [a, b]
    assert run_tool(shop, "shortlist_show").summary == "The shortlist 'default' is empty. Other shortlists: spring."


def test_cli_products_and_shortlist(shop):
    shop.db.close()  # the CLI opens the file itself
    runner, db = CliRunner(), ["--db", shop.settings.db_path]
    found = runner.invoke(main, [*db, "products", "--category", "Jeans", "--limit", "2", "--json"])
    assert found.exit_code == 0, found.output
    skus = json.loads(found.stdout)["data"]["skus"]
    assert len(skus) == 2
    added = runner.invoke(main, [*db, "shortlist", "add", *skus, "--json"])
    assert json.loads(added.stdout)["data"]["skus"] == skus
    bad = runner.invoke(main, [*db, "products", "--price-min", "9", "--price-max", "1"])
    assert bad.exit_code == 1 and "--price-max" in bad.stderr and "Traceback" not in bad.output


def test_the_bench_baseline_filters_agree_with_the_tool(shop):
    """bench.products compares DuckDB with pandas masks: only fair if both find the same page."""
    from bench.products import FILTERS, pandas_filter

    products = everything(shop)
    for label, filters in FILTERS.items():
        found = run_tool(shop, "find_products", **filters).data["skus"]
        assert found and pandas_filter(products, filters)["sku"].tolist() == found, label


def test_the_bench_runs_with_its_documented_flags():
    out = subprocess.run(
        [sys.executable, "-m", "bench.products", "--products", "300", "--customers", "300", "--repeats", "1", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    figures = json.loads(out.stdout)
    assert figures["products"] == figures["customers"] == 300
    for key in ("filter_p50_ms", "rank_top100_tool_s", "iterrows_10k_s", "rank_speedup_vs_iterrows"):
        assert figures[key] > 0, key
    assert figures["filter_ratio_pandas_over_duckdb"] > 0


def test_shortlisting_a_sold_out_product_says_so(shop):
    sold_out, in_stock = shop.db.df("SELECT sku FROM products WHERE stock > 0 ORDER BY sku LIMIT 2").sku.tolist()
    shop.db.execute("UPDATE products SET stock = 0 WHERE sku = ?", [sold_out])
    result = run_tool(shop, "shortlist_add", skus=[sold_out, in_stock], shortlist="w")
    name = dict(shop.db.execute("SELECT sku, name FROM products").fetchall())
    out = result.summary.split("Out of stock: ")[1]
    assert out.startswith(name[sold_out]) and name[in_stock] not in out
    assert "Out of stock" not in run_tool(shop, "shortlist_add", skus=[in_stock], shortlist="v").summary


def test_a_search_answers_in_words_not_flags(shop):
    dresses = run_tool(shop, "find_products", category=["Dresses"], price_max=50, limit=100)
    total = dresses.data["total"]
    assert total > 1
    top = shop.db.rows(
        "SELECT name, stock FROM products WHERE category = 'Dresses' AND price <= 50 ORDER BY stock DESC, sku LIMIT 3"
    )
    named = "; ".join(f"{r['name']} ({r['stock']:,} in stock)" for r in top)
    assert dresses.summary == f"{total} dresses under €50; the ones with most stock first. Most in stock: {named}."
    paged = run_tool(shop, "find_products", sort="margin_desc", limit=5)
    best = shop.db.rows("SELECT name, margin FROM products ORDER BY margin DESC, sku LIMIT 3")
    named = "; ".join(f"{r['name']} ({r['margin']:.0%} margin)" for r in best)
    assert paged.summary == (
        f"{paged.data['total']:,} products; best margin first, showing the first 5. Best margins: {named}."
    )
    one = run_tool(shop, "find_products", search=paged.data["skus"][0], brand=["x", "y"])
    assert one.summary.startswith("No products from x or y"), "what to loosen still names the filters"
    nothing = run_tool(shop, "find_products", search="this week")
    assert plain(nothing.summary) == "No products matching “this week”.", "the chat's words: what was looked for"


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # the first listed the cheapest of all products (a beanie); the second, the most stocked
        ("what's our cheapest jacket", {"search": "jacket", "sort": "price_asc"}),
        ("which products have the highest markup", {"sort": "margin_desc"}),  # markup orders as margin does
        ("cheapest first", {"sort": "price_asc"}),
    ],
)
def test_the_product_named_after_an_order_word_is_searched(text, expected):
    from assistant.planner import slots
    from assistant.planner.vocabulary import Vocabulary

    assert slots.product_filters(text, Vocabulary()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # the first listed every dress; the second, every product by stock
        ("show me dresses between 40 and 80 euros", {"price_min": 40.0, "price_max": 80.0, "category": ["Dresses"]}),
        ("how many products have no stock", {"max_stock": 0, "sort": "stock_asc"}),
        ("stock between 10 and 20", {}),  # not a price
    ],
)
def test_a_price_range_and_no_stock(text, expected):
    from assistant.planner import slots
    from assistant.planner.vocabulary import Vocabulary

    assert slots.product_filters(text, Vocabulary(categories=["Dresses"])) == expected


def test_a_follow_up_narrows_the_last_search_and_places_pick_from_its_table():
    """ "Only the ones in stock" after a search for dresses listed every product in stock; "add the second and
    fourth" added one."""
    from assistant.planner.memory import Memory, Request, Step
    from assistant.planner.model import choose

    memory = Memory()
    rows = [[f"DRE-00000{i}", f"Dress {i}"] for i in range(5)]
    table = {"name": "Products", "columns": ["sku", "name"], "rows": rows}
    searched = {"category": ["Dresses"], "price_min": 40.0, "price_max": 80.0, "offset": 20}
    memory.learn(Step("find_products", searched, {"ok": True, "summary": "5 dresses", "tables": [table]}))
    narrowed = {"category": ["Dresses"], "price_min": 40.0, "price_max": 80.0, "min_stock": 1}
    assert choose(Request("only the ones in stock", memory, [])).calls == [("find_products", narrowed)]
    assert choose(Request("sort them by margin", memory, [])).calls == [
        ("find_products", {"category": ["Dresses"], "price_min": 40.0, "price_max": 80.0, "sort": "margin_desc"})
    ]
    assert choose(Request("add the second and fourth to the shortlist", memory, [])).calls == [
        ("shortlist_add", {"skus": ["DRE-000001", "DRE-000003"]})
    ]
