"""Feature preparation for segmentation: scaling, encoding, who is left out, and reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from storage.errors import UserError
from tools.data.features import DEFAULT_FEATURES, ORDINAL, load_features, load_transformer


def test_numbers_are_standardised_and_style_is_one_hot(demo_ctx):
    prepared = load_features(demo_ctx.db)
    assert prepared.features == DEFAULT_FEATURES
    assert prepared.n == 2000 and prepared.left_out == {"quarantined": 0, "missing_values": 0}
    names = list(prepared.transformer.get_feature_names_out())
    numeric = [i for i, n in enumerate(names) if not n.startswith("style_")]
    styles = [i for i, n in enumerate(names) if n.startswith("style_")]
    assert np.allclose(prepared.matrix[:, numeric].mean(axis=0), 0, atol=1e-4)
    assert np.allclose(prepared.matrix[:, numeric].std(axis=0), 1, atol=1e-3)
    # One style per customer: the one-hot block sums to 1 on every row.
    assert len(styles) == demo_ctx.db.scalar("SELECT count(DISTINCT style) FROM customer_preferences")
    assert (prepared.matrix[:, styles].sum(axis=1) == 1).all()


def test_spender_type_keeps_its_order(demo_ctx):
    prepared = load_features(demo_ctx.db, ["customer_type", "total_spent"])
    codes = prepared.matrix[:, list(prepared.transformer.get_feature_names_out()).index("customer_type")]
    by_type = {t: codes[(prepared.frame["customer_type"] == t).to_numpy()].mean() for t in ORDINAL["customer_type"]}
    assert list(by_type.values()) == sorted(by_type.values())  # low < medium < high < premium


def test_quarantined_and_incomplete_customers_are_left_out_and_counted(demo_ctx):
    db = demo_ctx.db
    db.execute("UPDATE customers SET quarantine_reason = 'invalid email' WHERE customer_id IN ('C0000001', 'C0000002')")
    db.execute("UPDATE customer_behavior SET total_spent = NULL WHERE customer_id BETWEEN 'C0000003' AND 'C0000005'")
    db.execute("DELETE FROM customer_preferences WHERE customer_id = 'C0000006'")
    prepared = load_features(db)
    assert prepared.left_out == {"quarantined": 2, "missing_values": 4}
    assert prepared.n == 1994
    assert not {"C0000001", "C0000003", "C0000006"} & set(prepared.customer_ids)
    assert any("4 customers were left out" in note for note in prepared.notes)


def test_the_stored_transformer_reproduces_the_matrix(demo_ctx):
    prepared = load_features(demo_ctx.db)
    features, transformer = load_transformer(prepared.dump_transformer())
    assert features == prepared.features
    again = transformer.transform(prepared.frame[features])
    assert np.allclose(again, prepared.matrix, atol=1e-5)


def test_unusable_features_are_explained(demo_ctx):
    db = demo_ctx.db
    with pytest.raises(UserError, match="Unknown feature"):
        load_features(db, ["shoe_size"])
    db.execute("UPDATE customer_behavior SET visit_frequency = 3.0")
    with pytest.raises(UserError, match="visit_frequency is the same for everyone"):
        load_features(db, ["visit_frequency", "total_spent"])
    # With the default features, a useless column is dropped with a note instead.
    prepared = load_features(db)
    assert "visit_frequency" not in prepared.features
    assert any("visit_frequency was left out" in note for note in prepared.notes)


def test_no_customers_or_nobody_usable(ctx):
    with pytest.raises(UserError, match="no customers"):
        load_features(ctx.db)
    ctx.db.execute("INSERT INTO customers (customer_id, source, quarantine_reason) VALUES ('X1', 'test', 'bad')")
    with pytest.raises(UserError, match="quarantined"):
        load_features(ctx.db)
