"""The SQL ranking equals a slow, obvious Python reference on small random shops (property test).

The reference walks customers one by one: skip for the first exclusion reason that applies, score
every product with `score_one`, keep the best. `scored_audience` must agree on who is eligible,
why the others are not, each customer's best score, and the order; `segment_fit` must equal the
plain mean of its members' scores.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.customers import ADDRESS_PATTERN as EMAIL_PATTERN
from tools.catalog.audience import EXCLUSION_REASONS, WEIGHTS, score_one, scored_audience
from tools.catalog.matching import segment_fit
from tools.data import vocabulary as catalog

CATEGORIES = list(catalog.CATEGORIES)[:4]
BRANDS = ["Northlane", "Solenne", "Maison Ardent", "UrbanValue"]
CAP_DAYS = 7
PREFERENCES = [
    "preferred_categories",
    "preferred_brands",
    "price_range_min",
    "price_range_max",
    "discount_sensitivity",
    "luxury_affinity",
]
PRODUCT_COLUMNS = ["category", "brand", "brand_tier", "price", "margin"]


def maybe(strategy):
    return st.none() | strategy


def money(low, high):
    return st.floats(low, high, allow_nan=False).map(lambda x: round(x, 2))


customers = st.lists(
    st.fixed_dictionaries(
        {
            "quarantined": st.sampled_from([False, False, False, True]),
            "consent": st.sampled_from([True, True, True, False, None]),
            "email": st.sampled_from(["ok", "ok", "ok", "upper", "spaced", "bad", "double_at", "none", "blank", "dup"]),
            "suppressed": st.sampled_from([None, None, "unsubscribed", "bounced"]),
            "sent_days_ago": st.sampled_from([None, None, 1, 3, 10, 30]),
            "sent_status": st.sampled_from(["sent", "failed"]),
            "segment": st.integers(0, 2),
            "preferences": maybe(
                st.fixed_dictionaries(
                    {
                        "preferred_categories": maybe(st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True)),
                        "preferred_brands": maybe(st.lists(st.sampled_from(BRANDS), max_size=2, unique=True)),
                        "price_range_min": maybe(money(0, 150)),
                        "price_range_max": maybe(money(20, 400)),
                        "discount_sensitivity": maybe(money(0, 1)),
                        "luxury_affinity": maybe(money(0, 1)),
                    }
                )
            ),
            "behavior": maybe(
                st.fixed_dictionaries(
                    {
                        "avg_order_value": maybe(money(1, 400)),
                        "categories_bought": maybe(st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True)),
                    }
                )
            ),
        }
    ),
    min_size=1,
    max_size=12,
)
products = st.lists(
    st.fixed_dictionaries(
        {
            "category": st.sampled_from(CATEGORIES),
            "brand": st.sampled_from(BRANDS),
            "brand_tier": st.sampled_from([*catalog.BRAND_TIERS, "Luxury", "unknown", None]),
            "price": maybe(money(1, 500)),
            "margin": maybe(money(0, 1)),
        }
    ),
    min_size=1,
    max_size=3,
)


def address(i: int, kind: str) -> str | None:
    return {
        "ok": f"user{i}@example.com",
        "upper": f"User{i}@Example.COM",
        "spaced": f"  user{i}@example.com ",
        "bad": f"user{i} at example.com",
        "double_at": f"user{i}@@example.com",
        "none": None,
        "blank": "  ",
        "dup": "user0@example.com",
    }[kind]


def load(db, people, items, now):
    """Write the random shop; returns the customer and product rows as the reference sees them."""
    for table in (
        "customers",
        "customer_preferences",
        "customer_behavior",
        "products",
        "suppressions",
        "messages",
        "segment_members",
    ):
        db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
    rows = []
    for i, p in enumerate(people):
        cid, email = f"C{i:03d}", address(i, p["email"])
        rows.append({**p, "customer_id": cid, "email": email})
        db.execute(
            "INSERT INTO customers (customer_id, email, first_name, source, quarantine_reason, email_consent) "
            "VALUES (?, ?, 'X', 'test', ?, ?)",
            [cid, email, "test" if p["quarantined"] else None, p["consent"]],
        )
        db.execute("INSERT INTO segment_members VALUES (1, ?, ?)", [cid, p["segment"]])
        if p["preferences"] is not None:
            db.execute(
                "INSERT INTO customer_preferences (customer_id, preferred_categories, preferred_brands, "
                "price_range_min, price_range_max, discount_sensitivity, luxury_affinity) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [cid, *(p["preferences"][k] for k in PREFERENCES)],
            )
        if p["behavior"] is not None:
            db.execute(
                "INSERT INTO customer_behavior (customer_id, avg_order_value, categories_bought) VALUES (?, ?, ?)",
                [cid, p["behavior"]["avg_order_value"], p["behavior"]["categories_bought"]],
            )
        if p["suppressed"] and email:
            db.execute(
                "INSERT OR IGNORE INTO suppressions (email, reason) VALUES (lower(trim(?)), ?)",
                [email, p["suppressed"]],
            )
        if p["sent_days_ago"] is not None and email:
            db.execute(
                "INSERT INTO messages (campaign_id, customer_id, email, status, sent_at) VALUES (1, ?, ?, ?, ?)",
                [cid, email, p["sent_status"], now - timedelta(days=p["sent_days_ago"], hours=1)],
            )
    skus = []
    for j, item in enumerate(items):
        skus.append(f"P{j}")
        db.execute(
            "INSERT INTO products (sku, name, category, brand, brand_tier, price, margin, source) "
            "VALUES (?, 'x', ?, ?, ?, ?, ?, 'test')",
            [f"P{j}", *(item[k] for k in PRODUCT_COLUMNS)],
        )
    return rows, [{"sku": s, **item} for s, item in zip(skus, items, strict=True)]


def features(row):
    return {**(row["preferences"] or {}), **(row["behavior"] or {})}


def reference(rows, items, segments=None, unknown_consent=False):
    """One customer at a time, the obvious way (only members of `segments`, when given)."""

    def norm(email):
        return email.strip().lower()

    suppressed: dict[str, str] = {}  # address -> reason; the first insert wins (INSERT OR IGNORE)
    for r in rows:
        if r["suppressed"] and r["email"]:
            suppressed.setdefault(norm(r["email"]), r["suppressed"])
    recent = [
        r
        for r in rows
        if r["email"]
        and r["sent_status"] == "sent"
        and r["sent_days_ago"] is not None
        and r["sent_days_ago"] < CAP_DAYS
    ]
    recent_ids, recent_addresses = {r["customer_id"] for r in recent}, {norm(r["email"]) for r in recent}
    excluded, kept, taken = Counter(), {}, set()
    for r in sorted(rows, key=lambda r: r["customer_id"]):
        if segments is not None and r["segment"] not in segments:
            continue
        if r["quarantined"]:
            excluded["quarantined"] += 1
        elif r["email"] is None or not r["email"].strip():
            excluded["no_address"] += 1
        elif not re.fullmatch(EMAIL_PATTERN, r["email"].strip()):
            excluded["invalid_email"] += 1
        elif r["consent"] is False:
            excluded["no_consent"] += 1
        elif r["consent"] is None and not unknown_consent:
            excluded["consent_unknown"] += 1
        elif norm(r["email"]) in suppressed:
            excluded["unsubscribed" if suppressed[norm(r["email"])] == "unsubscribed" else "suppressed"] += 1
        elif r["customer_id"] in recent_ids or norm(r["email"]) in recent_addresses:
            excluded["recently_emailed"] += 1
        elif norm(r["email"]) in taken:
            excluded["duplicate_email"] += 1
        else:
            taken.add(norm(r["email"]))
            kept[r["customer_id"]] = {p["sku"]: score_one(features(r), p)["score"] for p in items}
    return kept, {reason: excluded[reason] for reason in EXCLUSION_REASONS}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=customers,
    items=products,
    segments=st.none() | st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
    limit=st.none() | st.integers(1, 6),
    unknown_consent=st.booleans(),
)
def test_sql_ranking_equals_the_reference(db, people, items, segments, limit, unknown_consent):
    now = datetime.now()
    rows, catalogue = load(db, people, items, now)
    skus = [p["sku"] for p in catalogue]
    ranked, excluded, eligible = scored_audience(
        db,
        run_id=1,
        segments=segments,
        skus=skus,
        frequency_cap_days=CAP_DAYS,
        limit=limit,
        breakdown=True,
        unknown_consent=unknown_consent,
    )
    expected, expected_excluded = reference(rows, catalogue, segments, unknown_consent)

    assert excluded == expected_excluded
    assert eligible == len(expected)
    best = {cid: max(scores.values()) for cid, scores in expected.items()}
    # Best first, ties by customer id; the top `limit` of that order.
    order = sorted(best, key=lambda cid: (-best[cid], cid))[:limit]
    assert len(ranked) == len(order)
    for row, cid in zip(ranked.itertuples(), order, strict=True):
        assert row.score == pytest.approx(best[cid], abs=1e-12)
        if row.customer_id != cid:  # only where two customers tie
            assert best[row.customer_id] == pytest.approx(best[cid], abs=1e-12)
        scores = expected[row.customer_id]
        first_best = next(sku for sku in skus if scores[sku] >= best[row.customer_id] - 1e-12)
        assert row.recommended_sku == first_best  # a tie between products goes to the earlier SKU
        parts = score_one(
            features(next(r for r in rows if r["customer_id"] == row.customer_id)),
            next(p for p in catalogue if p["sku"] == first_best),
        )
        for name in WEIGHTS:
            assert getattr(row, name) == pytest.approx(parts[name], abs=1e-12)
    assert set(ranked["customer_id"]) <= set(expected)

    fit = segment_fit(db, 1, skus)
    members = pd.DataFrame(
        [
            {"sku": p["sku"], "segment": r["segment"], "score": score_one(features(r), p)["score"]}
            for r in rows
            for p in catalogue
        ]
    )
    means = members.groupby(["sku", "segment"])["score"].mean()
    assert len(fit) == len(means)
    for row in fit.itertuples():
        assert row.score == pytest.approx(means[(row.sku, row.segment)], abs=1e-12)
