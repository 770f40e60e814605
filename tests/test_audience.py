"""Who a campaign may email: exclusions counted by reason, segments, the best product per customer."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from storage.db import Database
from storage.errors import UserError
from tools.catalog.audience import EXCLUSION_REASONS, FEATURES_SQL, eligible_audience, score_one

SEGMENT_OF_TYPE = {"low": 0, "medium": 1, "high": 2, "premium": 3}


def fake_segmentation(db: Database, run_id: int = 1) -> int:
    """Stand-in for `segment_run`: one segment per spender type, written straight to the tables."""
    with db.transaction() as con:
        con.execute("UPDATE segment_runs SET is_active = false")
        con.execute("INSERT INTO segment_runs (run_id, k, method, is_active) VALUES (?, 4, 'test', true)", [run_id])
        con.execute(
            """INSERT INTO segment_members
               SELECT ?, customer_id, CASE customer_type WHEN 'low' THEN 0 WHEN 'medium' THEN 1
                                                         WHEN 'high' THEN 2 ELSE 3 END
               FROM customer_behavior JOIN customers USING (customer_id) WHERE quarantine_reason IS NULL""",
            [run_id],
        )
        con.execute(
            """INSERT INTO segments (run_id, segment, name, size)
               SELECT run_id, segment, 'Spenders ' || segment, count(*) FROM segment_members
               WHERE run_id = ? GROUP BY ALL""",
            [run_id],
        )
    return run_id


def some(db: Database, n: int, offset: int) -> list[str]:
    rows = db.execute("SELECT customer_id FROM customers ORDER BY customer_id LIMIT ? OFFSET ?", [n, offset])
    return [r[0] for r in rows.fetchall()]


@pytest.fixture
def shop(demo_ctx):
    """The demo shop with one customer of each kind the audience must leave out."""
    db = demo_ctx.db
    quarantined, invalid, unsubscribed, suppressed, recent, old, failed, duplicate, no_address, said_no, unknown = (
        some(db, 2, 2 * i) for i in range(11)
    )
    now = datetime.now()
    with db.transaction() as con:
        con.execute(
            "UPDATE customers SET quarantine_reason = 'test' WHERE customer_id IN (SELECT unnest(?))", [quarantined]
        )
        con.execute("UPDATE customers SET email = 'not an email' WHERE customer_id = ?", [invalid[0]])
        con.execute("UPDATE customers SET email = 'x@@example.com' WHERE customer_id = ?", [invalid[1]])
        con.execute("UPDATE customers SET email = NULL WHERE customer_id = ?", [no_address[0]])
        con.execute("UPDATE customers SET email = ' ' WHERE customer_id = ?", [no_address[1]])
        con.execute("UPDATE customers SET email_consent = false WHERE customer_id IN (SELECT unnest(?))", [said_no])
        con.execute("UPDATE customers SET email_consent = NULL WHERE customer_id IN (SELECT unnest(?))", [unknown])
        # Suppressions are stored lower-case; the customer's address may not be.
        con.execute("UPDATE customers SET email = upper(email) WHERE customer_id = ?", [unsubscribed[0]])
        con.execute(
            "INSERT INTO suppressions (email, reason, source) SELECT lower(email), 'unsubscribed', 'campaign 1' "
            "FROM customers WHERE customer_id IN (SELECT unnest(?))",
            [unsubscribed],
        )
        # Two spellings of one unsubscribed address: still one customer, still counted as unsubscribed.
        con.execute(
            "INSERT INTO suppressions (email, reason) SELECT upper(email), 'bounced' FROM customers "
            "WHERE customer_id = ?",
            [unsubscribed[1]],
        )
        for customer_id, reason in zip(suppressed, ["bounced", "complaint"], strict=True):
            con.execute(
                "INSERT INTO suppressions (email, reason) SELECT lower(email), ? FROM customers WHERE customer_id = ?",
                [reason, customer_id],
            )
        for ids, status, when in (
            (recent, "sent", now - timedelta(days=1)),
            (old, "sent", now - timedelta(days=30)),
            (failed, "failed", now - timedelta(days=1)),
        ):
            con.execute(
                """INSERT INTO messages (campaign_id, customer_id, email, status, sent_at)
                           SELECT 1, customer_id, email, ?, ? FROM customers WHERE customer_id IN (SELECT unnest(?))""",
                [status, when, ids],
            )
        # Two customers share one inbox: only the first (by id) is kept.
        con.execute(
            "UPDATE customers SET email = (SELECT email FROM customers WHERE customer_id = ?) WHERE customer_id = ?",
            [duplicate[0], duplicate[1]],
        )
    return {
        "ctx": demo_ctx,
        "out": {
            "quarantined": quarantined,
            "no_address": no_address,
            "invalid_email": invalid,
            "no_consent": said_no,
            "consent_unknown": unknown,
            "unsubscribed": unsubscribed,
            "suppressed": suppressed,
            "recently_emailed": recent,
            "duplicate_email": duplicate[1:],
        },
        "kept": old + failed + duplicate[:1],
        "unknown": unknown,
    }


def sku_list(db: Database, n: int) -> list[str]:
    return [r[0] for r in db.execute("SELECT sku FROM products ORDER BY sku LIMIT ?", [n]).fetchall()]


def test_every_exclusion_is_counted_under_its_reason_and_left_out(shop):
    db = shop["ctx"].db
    audience, excluded = eligible_audience(db, run_id=None, segments=None, skus=sku_list(db, 2), frequency_cap_days=7)
    assert excluded == {reason: len(shop["out"][reason]) for reason in EXCLUSION_REASONS}
    left_out = {c for ids in shop["out"].values() for c in ids}
    assert left_out.isdisjoint(audience["customer_id"])
    assert set(shop["kept"]) <= set(audience["customer_id"])  # old, failed and first-of-duplicate stay
    assert len(audience) == db.scalar("SELECT count(*) FROM customers") - len(left_out)
    assert list(audience.columns) == ["customer_id", "email", "first_name", "segment", "recommended_sku", "score"]


def test_unknown_consent_is_emailed_only_when_the_setting_allows_it(shop):
    db = shop["ctx"].db
    audience, excluded = eligible_audience(
        db, run_id=None, segments=None, skus=[], frequency_cap_days=7, unknown_consent=True
    )
    assert excluded["consent_unknown"] == 0 and excluded["no_consent"] == 2
    assert set(shop["unknown"]) <= set(audience["customer_id"])
    assert set(shop["out"]["no_consent"]).isdisjoint(audience["customer_id"])  # an explicit no never is


def test_unsubscribes_are_counted_apart_from_other_suppressions(shop):
    db = shop["ctx"].db
    _, excluded = eligible_audience(db, run_id=None, segments=None, skus=[], frequency_cap_days=7)
    assert (excluded["unsubscribed"], excluded["suppressed"]) == (2, 2)
    db.execute("UPDATE suppressions SET reason = 'unsubscribed' WHERE reason = 'complaint'")
    _, excluded = eligible_audience(db, run_id=None, segments=None, skus=[], frequency_cap_days=7)
    assert (excluded["unsubscribed"], excluded["suppressed"]) == (3, 1)
    assert list(excluded) == EXCLUSION_REASONS, "the same keys, in the same order, for every caller"


def test_a_longer_frequency_cap_also_excludes_older_sends(shop):
    db = shop["ctx"].db
    _, excluded = eligible_audience(db, run_id=None, segments=None, skus=[], frequency_cap_days=60)
    assert excluded["recently_emailed"] == len(shop["out"]["recently_emailed"]) + 2


def test_segments_limit_the_audience_and_the_counts(shop):
    db = shop["ctx"].db
    run_id = fake_segmentation(db)
    audience, excluded = eligible_audience(db, run_id=run_id, segments=[3], skus=sku_list(db, 1), frequency_cap_days=7)
    premium = db.scalar("SELECT count(*) FROM customer_behavior WHERE customer_type = 'premium'")
    assert set(audience["segment"]) == {3}
    assert 0 < len(audience) <= premium
    everyone, _ = eligible_audience(db, run_id=run_id, segments=None, skus=[], frequency_cap_days=7)
    in_segment = everyone[everyone["segment"] == 3]
    assert set(in_segment["customer_id"]) == set(audience["customer_id"])
    assert excluded["quarantined"] == 0  # quarantined customers are not members of any segment
    assert sum(excluded.values()) + len(audience) == db.scalar(
        "SELECT count(*) FROM segment_members WHERE run_id = ? AND segment = 3", [run_id]
    )


def test_the_recommended_product_is_the_best_scoring_of_the_skus(demo_ctx):
    db = demo_ctx.db
    skus = sku_list(db, 4)
    audience, _ = eligible_audience(db, run_id=None, segments=None, skus=skus, frequency_cap_days=7, limit=25)
    assert len(audience) == 25 and audience["score"].is_monotonic_decreasing
    products = {p["sku"]: p for p in db.rows("SELECT * FROM products WHERE sku IN (SELECT unnest(?))", [skus])}
    for row in audience.itertuples():
        customer = db.rows(FEATURES_SQL + " WHERE f.customer_id = ?", [row.customer_id])[0]
        scores = {sku: score_one(customer, products[sku])["score"] for sku in skus}
        assert row.score == pytest.approx(max(scores.values()))
        assert scores[row.recommended_sku] == pytest.approx(row.score)


def test_a_sold_out_product_is_recommended_only_when_every_product_is_sold_out(demo_ctx):
    db = demo_ctx.db
    skus = sku_list(db, 4)
    db.execute("UPDATE products SET stock = 10 WHERE sku IN (SELECT unnest(?))", [skus])  # all in stock at first
    before, _ = eligible_audience(db, run_id=None, segments=None, skus=skus, frequency_cap_days=7)
    favourite = before["recommended_sku"].mode()[0]
    db.execute("UPDATE products SET stock = 0 WHERE sku = ?", [favourite])
    after, _ = eligible_audience(db, run_id=None, segments=None, skus=skus, frequency_cap_days=7)
    assert len(after) == len(before) and favourite not in set(after["recommended_sku"])
    db.execute("UPDATE products SET stock = 0 WHERE sku IN (SELECT unnest(?))", [skus])
    sold_out, _ = eligible_audience(db, run_id=None, segments=None, skus=skus, frequency_cap_days=7)
    assert (
        sold_out.sort_values("customer_id")
        .reset_index(drop=True)
        .equals(before.sort_values("customer_id").reset_index(drop=True))
    )  # nothing in stock: the best fit as before


def test_without_skus_there_is_no_recommendation(demo_ctx):
    audience, _ = eligible_audience(demo_ctx.db, run_id=None, segments=None, skus=[], frequency_cap_days=7, limit=3)
    assert len(audience) == 3
    assert audience["recommended_sku"].isna().all() and audience["score"].isna().all()


def test_bad_requests_say_what_to_do(demo_ctx):
    db = demo_ctx.db
    with pytest.raises(UserError, match="NOPE-1"):
        eligible_audience(db, run_id=None, segments=None, skus=["NOPE-1"], frequency_cap_days=7)
    with pytest.raises(UserError, match="segment"):
        eligible_audience(db, run_id=None, segments=[1], skus=[], frequency_cap_days=7)
