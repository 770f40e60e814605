"""Products for a segment ("what should I promote to group 2?"): matching from the audience's end."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from assistant.planner.memory import Memory, Request, Step
from assistant.planner.model import choose
from assistant.planner.vocabulary import Vocabulary
from cli import main
from storage.errors import UserError
from tests.test_audience import fake_segmentation
from tools import run_tool
from tools.catalog.audience import FEATURES_SQL, score_one


@pytest.fixture
def segmented(demo_ctx):
    fake_segmentation(demo_ctx.db)
    return demo_ctx


def smallest_segment(db) -> int:
    return db.scalar("SELECT segment FROM segments WHERE run_id = 1 ORDER BY size, segment LIMIT 1")


def test_the_suggestions_are_the_products_its_members_fit_best_by_the_plain_formula(segmented):
    """The oracle: score_one (the readable formula) averaged over the segment's members, for the suggested
    products and a sample of others; none of the others beats the first suggestion."""
    db, segment = segmented.db, smallest_segment(segmented.db)
    result = run_tool(segmented, "suggest_products", segment=segment, top=5)
    suggested = result.data["skus"]
    assert len(suggested) == 5 and result.tables[0].to_df()["score"].is_monotonic_decreasing
    members = db.rows(
        FEATURES_SQL + " WHERE f.customer_id IN (SELECT customer_id FROM segment_members WHERE segment = ?)",  # noqa: S608
        [segment],
    )
    others = [s for s in db.df("SELECT sku FROM products WHERE stock > 0 ORDER BY hash(sku) LIMIT 25")["sku"]]
    products = {p["sku"]: p for p in db.rows("SELECT * FROM products")}

    def mean_fit(sku: str) -> float:
        return sum(score_one(m, products[sku])["score"] for m in members) / len(members)

    reported = dict(zip(result.tables[0].to_df()["sku"], result.tables[0].to_df()["score"], strict=True))
    for sku in suggested:
        assert mean_fit(sku) == pytest.approx(reported[sku], abs=5e-4)  # the table rounds to 3 places
    assert max(mean_fit(sku) for sku in others) <= mean_fit(suggested[0]) + 1e-9
    name = db.scalar("SELECT name FROM segments WHERE run_id = 1 AND segment = ?", [segment])
    first = db.scalar("SELECT name FROM products WHERE sku = ?", [suggested[0]])
    assert result.summary.startswith(f"Best fits for segment {segment} ({name}, ")
    assert f"{first} ({suggested[0]})" in result.summary and "Why the first:" in result.summary


def test_sold_out_products_are_never_suggested(segmented):
    db, segment = segmented.db, smallest_segment(segmented.db)
    best = run_tool(segmented, "suggest_products", segment=segment, top=3).data["skus"]
    db.execute("UPDATE products SET stock = 0 WHERE sku IN (SELECT unnest(?))", [best])
    again = run_tool(segmented, "suggest_products", segment=segment, top=3).data["skus"]
    assert not set(again) & set(best)


def test_an_unknown_segment_or_none_at_all_is_refused_with_what_to_do(demo_ctx):
    with pytest.raises(UserError, match="no customer segments"):
        run_tool(demo_ctx, "suggest_products", segment=1)
    fake_segmentation(demo_ctx.db)
    with pytest.raises(UserError, match="There is no segment 9") as caught:
        run_tool(demo_ctx, "suggest_products", segment=9)
    assert "0, 1, 2, 3" in caught.value.hint


def test_the_command_line_mirrors_it(segmented, monkeypatch):
    monkeypatch.setenv("PROMOPILOT_DB", str(segmented.db.path))
    segmented.db.close()
    out = CliRunner().invoke(main, ["suggest", "2", "--top", "3"])
    assert out.exit_code == 0, out.output
    assert "Best fits for segment 2" in out.output


SEGMENT_SHOWN = Step("segment_show", {"segment": 3}, {"ok": True, "summary": "Segment 3, Night owls."})


@pytest.mark.parametrize(
    ("text", "segment"),
    [
        ("find products for group 2", 2),
        ("what should I promote to segment 4", 4),
        ("which products would the Night owls like", 3),
    ],
)
def test_products_for_a_segment_from_the_chat(text, segment):
    memory = Memory(segment_names={2: "Bargain hunters", 3: "Night owls", 4: "VIPs"})
    plan = choose(Request(text, memory, [], segment_names=memory.segment_names))
    assert plan.calls == [("suggest_products", {"segment": segment})]


def test_them_after_a_segment_is_described_is_that_segment_and_the_list_can_be_kept():
    memory = Memory()
    memory.learn(SEGMENT_SHOWN)
    assert choose(Request("what would you promote to them", memory, [])).calls == [("suggest_products", {"segment": 3})]
    table = {"name": "Products for segment 3", "columns": ["rank", "sku"], "rows": [[1, "A-1"], [2, "B-2"], [3, "C-3"]]}
    memory.learn(Step("suggest_products", {"segment": 3}, {"ok": True, "summary": "Best fits", "tables": [table]}))
    assert choose(Request("keep the first two", memory, [])).calls == [("shortlist_add", {"skus": ["A-1", "B-2"]})]


def test_a_price_or_category_keeps_the_suggestions_to_it_in_the_same_order(segmented):
    """ "products for group 2 under €50": every product in stock inside the bound, best fit first, none outside."""
    db, segment = segmented.db, smallest_segment(segmented.db)
    bound = db.scalar("SELECT price FROM products WHERE stock > 0 ORDER BY price LIMIT 1 OFFSET 40")
    kept = run_tool(segmented, "suggest_products", segment=segment, top=100, price_max=bound).tables[0].to_df()
    cheap = db.df("SELECT sku FROM products WHERE stock > 0 AND price <= ?", [bound])
    assert sorted(kept["sku"]) == sorted(cheap["sku"]) and kept["score"].is_monotonic_decreasing
    unbounded = run_tool(segmented, "suggest_products", segment=segment, top=10).tables[0].to_df()
    assert unbounded["price"].max() > bound, "the bound changes the answer"
    category = db.scalar("SELECT category FROM products WHERE price > 60 GROUP BY category ORDER BY count(*) DESC")
    result = run_tool(segmented, "suggest_products", segment=segment, price_min=60, category=[category.lower()])
    table = result.tables[0].to_df()
    assert not table.empty and set(table["category"]) == {category} and (table["price"] >= 60).all()
    assert f"among products in {category.lower()}, from €60 up:" in result.summary


def test_a_bound_no_product_meets_is_refused_saying_which(segmented):
    with pytest.raises(UserError, match=r"No product in stock is under €0\.50, so") as caught:
        run_tool(segmented, "suggest_products", segment=1, price_max=0.5)
    assert "wider" in caught.value.hint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("find me some products for them under 50 euros", {"price_max": 50.0}),
        ("anything for that group over €100?", {"price_min": 100.0}),
        ("show coats for segment 3 under 80", {"category": ["Coats"]} | {"price_max": 80.0}),
    ],
)
def test_products_said_for_a_segment_are_that_segments_best_fits_within_the_bounds(text, expected):
    """Found by trying it: "find me some products for them under 50 euros" after a segment's profile searched the
    catalogue for a product called "products for them" and found none."""
    memory = Memory()
    memory.learn(Step("segment_show", {"segment": 3}, {"ok": True, "summary": "Segment 3, Night owls."}))
    vocabulary = Vocabulary(categories=["Coats", "Dresses"])
    plan = choose(Request(text, memory, [], vocabulary=lambda: vocabulary))
    assert plan.calls == [("suggest_products", {"segment": 3} | expected)]


def test_them_after_a_list_of_segments_is_asked_about_not_guessed():
    """After a table of five segments, "them" is none in particular (it was the segment described earlier)."""
    memory = Memory()
    memory.learn(Step("segment_show", {"segment": 3}, {"ok": True, "summary": "Segment 3, Night owls."}))
    listed = {"name": "Segments", "columns": ["segment", "name"], "rows": [[1, "A"], [2, "B"], [3, "C"]]}
    memory.learn(Step("segment_list", {}, {"ok": True, "summary": "3 segments", "tables": [listed]}))
    plan = choose(Request("find me some products for them under 50 euros", memory, []))
    assert not plan.calls and "Which segment should I find products for?" in plan.answer


def test_a_segments_name_is_no_category_of_its_suggestions():
    """ "Classic car lovers" names the segment, not the category "Classic Cars"; "motorcycles" is a category."""
    memory = Memory(segment_names={2: "Classic car lovers"})
    shop = Vocabulary(categories=["Classic Cars", "Motorcycles"])

    def calls(text: str) -> list:
        return choose(Request(text, memory, [], segment_names=memory.segment_names, vocabulary=lambda: shop)).calls

    assert calls("which products suit the Classic car lovers") == [("suggest_products", {"segment": 2})]
    assert calls("what would the classic car lovers buy under 50") == [
        ("suggest_products", {"segment": 2, "price_max": 50.0})
    ]
    assert calls("which motorcycles suit the Classic car lovers") == [
        ("suggest_products", {"segment": 2, "category": ["Motorcycles"]})
    ]
