"""Which segments and which customers fit a product: rankings, breakdowns, reasons, the model's part."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main
from storage.errors import UserError
from tests.test_audience import fake_segmentation
from tools import run_tool
from tools.catalog.audience import WEIGHTS


def sku_where(db, condition: str) -> str:
    return db.scalar(f"SELECT sku FROM products WHERE {condition} ORDER BY sku LIMIT 1")  # noqa: S608 - test constant


@pytest.fixture
def segmented(demo_ctx):
    fake_segmentation(demo_ctx.db)
    return demo_ctx


def test_a_luxury_product_fits_the_segment_with_the_most_luxury_appetite(segmented):
    db = segmented.db
    sku = sku_where(db, "brand_tier = 'luxury'")
    result = run_tool(segmented, "match_segments", product=[sku])
    ranking = result.tables[0].to_df()
    assert len(ranking) == db.scalar("SELECT count(DISTINCT segment) FROM segment_members")
    assert ranking["score"].is_monotonic_decreasing
    richest = db.scalar("""SELECT segment FROM segment_members JOIN customer_preferences USING (customer_id)
                           GROUP BY segment ORDER BY avg(luxury_affinity) DESC LIMIT 1""")
    assert result.data["best"] == {sku: richest}
    assert result.data["ranked_by"] == "rules" and "no AI model" in result.summary
    name = db.scalar("SELECT name FROM products WHERE sku = ?", [sku])
    assert result.summary.startswith(f"Best segment for {name} ({sku}): segment {richest}")  # named, not a code
    # The breakdown adds up to the score, and every segment gets a reason in plain words.
    weighted = sum(ranking[name] * weight for name, weight in WEIGHTS.items())
    assert (abs(weighted - ranking["score"]) < 0.002).all()  # table values are rounded to 3 places
    assert ranking["reason"].str.contains("fit").all()
    assert result.charts and result.charts[0].figure["data"]


def test_several_products_and_the_shortlist(segmented):
    db = segmented.db
    cheap, dear = sku_where(db, "brand_tier = 'budget'"), sku_where(db, "brand_tier = 'luxury'")
    run_tool(segmented, "shortlist_add", skus=[cheap, dear])
    from_list = run_tool(segmented, "match_segments")
    assert list(from_list.data["best"]) == [cheap, dear]
    assert len(from_list.tables) == 2
    direct = run_tool(segmented, "match_segments", product=[dear])
    assert direct.data["matches"][dear] == from_list.data["matches"][dear]


def test_matching_needs_segments_and_a_known_product(demo_ctx):
    with pytest.raises(UserError, match="no customer segments") as caught:
        run_tool(demo_ctx, "match_segments", product=[sku_where(demo_ctx.db, "true")])
    assert "segment run" in caught.value.hint
    fake_segmentation(demo_ctx.db)
    with pytest.raises(UserError, match="NOPE-9"):
        run_tool(demo_ctx, "match_segments", product=["NOPE-9"])
    with pytest.raises(UserError, match="shortlist 'default' is empty"):
        run_tool(demo_ctx, "match_segments")


def test_category_purchase_history_counts_and_is_named_in_the_reason(demo_ctx):
    """Imported orders fill categories_bought: a segment that bought the category fits, and says why."""
    db = demo_ctx.db
    fake_segmentation(db)
    sku = sku_where(db, "category = 'Outerwear' AND brand_tier = 'mid'")
    db.execute(
        "UPDATE customer_preferences "
        "SET preferred_categories = list_filter(preferred_categories, lambda c: c <> 'Outerwear')"
    )
    db.execute(
        "UPDATE customer_behavior SET categories_bought = CASE WHEN customer_type = 'medium' THEN ['Outerwear'] END"
    )
    ranking = run_tool(demo_ctx, "match_segments", product=[sku]).tables[0].to_df().set_index("segment")
    assert ranking.loc[1, "category_fit"] == pytest.approx(0.8) and (ranking.drop(1)["category_fit"] == 0).all()
    assert "100% bought Outerwear before" in ranking.loc[1, "reason"]


@pytest.fixture
def small_segmented(model_ctx):
    run_tool(model_ctx, "generate_demo_data", customers=300, products=20, seed=5)
    fake_segmentation(model_ctx.db)
    return model_ctx


def test_the_model_may_rerank_from_aggregates_only(small_segmented, fake_openai):
    db = small_segmented.db
    sku = sku_where(db, "true")
    plan = {
        "products": [
            {
                "sku": sku,
                "segments": [
                    {"segment": 1, "reason": "Steady mid spenders."},
                    {"segment": 0, "reason": "Many of them."},
                ],
            }
        ]
    }
    fake_openai.reply(content=json.dumps(plan))
    result = run_tool(small_segmented, "match_segments", product=[sku])
    ranking = result.tables[0].to_df()
    assert result.data["ranked_by"] == "model" and "AI model" in result.summary
    assert ranking["segment"].tolist()[:2] == [1, 0]
    assert sorted(ranking["segment"].tolist()[2:]) == [2, 3]  # the rest keep their deterministic order
    assert ranking["reason"].iloc[0] == "Steady mid spenders."
    sent = fake_openai.bodies()
    assert "Spenders 1" in sent  # segment aggregates went out...
    for email, first, last in db.execute("SELECT email, first_name, last_name FROM customers LIMIT 50").fetchall():
        assert email not in sent and f"{first} {last}" not in sent  # ...but no person did


@pytest.mark.parametrize(
    "reply",
    [
        {"products": [{"sku": "X", "segments": [{"segment": 1, "reason": "?"}]}]},  # unknown product
        "SKU",  # replaced below: a segment that does not exist
        None,  # the server fails
    ],
)
def test_a_bad_or_missing_model_answer_leaves_the_rules_ranking(small_segmented, fake_openai, reply):
    db = small_segmented.db
    sku = sku_where(db, "true")
    if reply == "SKU":
        reply = {"products": [{"sku": sku, "segments": [{"segment": 42, "reason": "made up"}]}]}
    if reply is None:
        fake_openai.fault(500)
    else:
        fake_openai.reply(content=json.dumps(reply))
    result = run_tool(small_segmented, "match_segments", product=[sku])
    expected = run_tool(small_segmented, "match_segments", product=[sku], use_model=False)
    assert result.data["ranked_by"] == "rules" and "unavailable" in result.data["note"]
    assert result.data["matches"] == expected.data["matches"]


def test_customers_are_ranked_with_a_breakdown_and_exclusions(segmented):
    db = segmented.db
    sku = sku_where(db, "brand_tier = 'premium'")
    db.execute("UPDATE customers SET quarantine_reason = 'test' WHERE customer_id IN ('C0000001', 'C0000002')")
    db.execute(
        "INSERT INTO suppressions (email, reason) SELECT lower(email), if(customer_id = 'C0000003', 'bounced', "
        "'unsubscribed') FROM customers WHERE customer_id IN ('C0000003', 'C0000004')"
    )
    result = run_tool(segmented, "rank_customers", product=[sku], top=15)
    top = result.tables[0].to_df()
    assert top["rank"].tolist() == list(range(1, 16)) and top["score"].is_monotonic_decreasing
    assert (top["recommended_sku"] == sku).all()
    weighted = sum(top[name] * weight for name, weight in WEIGHTS.items())
    assert (abs(weighted - top["score"]) < 0.002).all()
    excluded = result.data["excluded"]
    assert (excluded["quarantined"], excluded["unsubscribed"], excluded["suppressed"]) == (2, 1, 1)
    assert result.data["eligible"] == db.scalar("SELECT count(*) FROM customers") - 4
    assert "2 quarantined, 1 unsubscribed, 1 suppressed" in result.summary
    assert {"C0000001", "C0000002", "C0000003", "C0000004"}.isdisjoint(top["customer_id"])
    assert "email" in top.columns  # a person at the CLI sees who they are


def test_ranking_says_what_to_do_when_nobody_is_left(ctx):
    with pytest.raises(UserError, match="no customers in the database"):
        run_tool(ctx, "rank_customers", product=["ANY-1"])
    run_tool(ctx, "generate_demo_data", customers=30, products=20, seed=3)
    sku = sku_where(ctx.db, "true")
    ctx.db.execute(
        "INSERT INTO messages (campaign_id, customer_id, email, status, sent_at) "
        "SELECT 1, customer_id, email, 'sent', now() - INTERVAL 2 DAY FROM customers"
    )
    with pytest.raises(UserError, match=rf"No customer can be emailed about {sku}: all were left out") as caught:
        run_tool(ctx, "rank_customers", product=[sku], frequency_cap_days=7)
    assert "recently emailed" in caught.value.message and "--frequency-cap-days" in caught.value.hint
    assert run_tool(ctx, "rank_customers", product=[sku], frequency_cap_days=1).data["eligible"] > 0


def test_the_agent_gets_ids_not_people_and_segments_narrow_the_ranking(segmented):
    segmented.actor = "agent"
    sku = sku_where(segmented.db, "true")
    result = run_tool(segmented, "rank_customers", product=[sku], top=5, segment=[2])
    top = result.tables[0].to_df()
    assert "email" not in top.columns and "first_name" not in top.columns
    assert set(top["segment"]) == {2}
    assert result.data["eligible"] == segmented.db.scalar("SELECT count(*) FROM segment_members WHERE segment = 2")


def test_the_cli_match_customers_flag_is_the_customer_ranking(segmented):
    db = segmented.db
    sku = sku_where(db, "brand_tier = 'mid'")
    expected = run_tool(segmented, "rank_customers", product=[sku], top=5)
    with pytest.raises(UserError, match="--run-id"):
        run_tool(segmented, "match_segments", product=[sku], customers=True, run_id=1)
    db.close()  # the CLI opens the file itself
    out = CliRunner().invoke(
        main, ["--db", segmented.settings.db_path, "match", "--product", sku, "--customers", "--top", "5", "--json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)["data"]
    assert data["customer_ids"] == expected.data["customer_ids"] and len(data["customer_ids"]) == 5
    assert data["excluded"] == expected.data["excluded"] and data["eligible"] == expected.data["eligible"]
