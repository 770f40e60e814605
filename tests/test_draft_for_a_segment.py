"""An email for one segment about a category features that category's products that fit the segment best: "draft an
email for the deal seekers about jeans" featured the three most stocked jeans, a €518 luxury pair among them, in
copy that says "doesn't cost the earth"."""

from __future__ import annotations

from tests.test_new_shop_chat import Chat
from tools import run_tool


def test_a_draft_for_a_segment_about_a_category_features_its_best_fits_there(demo_ctx):
    run_tool(demo_ctx, "segment_run", k=5)
    deal = demo_ctx.db.scalar(
        "SELECT segment FROM segments JOIN segment_runs USING (run_id) WHERE is_active AND name LIKE 'Deal-seeking%'"
    )
    fits = run_tool(demo_ctx, "suggest_products", segment=deal, category=["Jeans"], top=3).data["skus"]
    _, ended = Chat(demo_ctx).say("draft an email for the deal seekers about jeans")
    drafted = ended[-1]
    assert drafted.name == "campaign_draft" and drafted.arguments == {"skus": fits, "segment": deal}
    prices = [demo_ctx.db.scalar("SELECT price FROM products WHERE sku = ?", [sku]) for sku in fits]
    most_stocked = demo_ctx.db.execute(
        "SELECT max(price) FROM (SELECT price FROM products WHERE category = 'Jeans' ORDER BY stock DESC LIMIT 3)"
    ).fetchone()[0]
    assert max(prices) < most_stocked, "the budget segment's jeans, not the luxury pair with most stock"
