"""Validation checks, the email pre-filter, and --fix repairs and quarantines."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import main
from storage.errors import UserError
from tools import run_tool
from tools.data.validate import CHECKS, CLEARLY_VALID, LABELS, SPECIAL_USE


def checks(result) -> dict[str, dict]:
    return {c["check"]: c for c in result.data["checks"]}


def add_customers(db, rows: list[tuple]) -> None:
    """rows: (id, first_name, email, total_spent, order_count, avg_order_value)."""
    with db.transaction() as con:
        for cid, first, email, total, count, aov in rows:
            con.execute(
                "INSERT INTO customers (customer_id, first_name, email, source) VALUES (?, ?, ?, 't')",
                [cid, first, email],
            )
            con.execute(
                "INSERT INTO customer_behavior (customer_id, total_spent, order_count, avg_order_value) "
                "VALUES (?, ?, ?, ?)",
                [cid, total, count, aov],
            )


def test_validation_finds_every_planted_defect(ctx):
    planted = run_tool(ctx, "generate_demo_data", customers=3000, products=20, seed=5, defects=0.06).data["defects"]
    found = checks(run_tool(ctx, "validate_data"))
    assert found["invalid_email"]["rows"] == planted["invalid_email"]
    assert found["missing_value"]["rows"] + found["missing_name"]["rows"] == planted["missing_value"]
    assert found["negative_amount"]["rows"] == planted["negative_amount"]
    assert found["aov_mismatch"]["rows"] == planted["aov_mismatch"]
    assert found["duplicate_email"]["rows"] == planted["duplicate"]
    assert found["empty_row"]["rows"] == planted["empty_row"]
    assert found["duplicate_id"]["rows"] == 0 and found["email_format"]["rows"] == 0
    assert found["invalid_email"]["share"] == pytest.approx(planted["invalid_email"] / 3000, abs=1e-4)
    assert len(found["invalid_email"]["examples"]) == 3


def test_clean_demo_data_passes_every_blocking_check(demo_ctx):
    result = run_tool(demo_ctx, "validate_data")
    blocking = [c for c in result.data["checks"] if c["action"] != "flag" and c["rows"]]
    assert blocking == []


def test_each_check_on_hand_made_rows(ctx):
    add_customers(
        ctx.db,
        [
            ("C1", "Ann", "ann@example.com", 100.0, 4, 25.0),  # fine
            ("C2", "Bob", "  Bob@Example.COM ", 50.0, 2, 25.0),  # fixable format
            ("C3", "Cy", "cy(at)example.com", 10.0, 1, 10.0),  # invalid
            ("C4", None, "d@example.com", 10.0, 1, 10.0),  # missing name
            ("C5", "Eve", None, 10.0, 1, 10.0),  # no email: not contactable, which is no data error
            ("C14", "Kim", "k@example.com", None, 1, 10.0),  # missing spend
            ("C6", "Fay", "f@example.com", -10.0, 1, 10.0),  # negative
            ("C7", "Gus", "g@example.com", 90.0, 3, 99.0),  # aov mismatch
            ("c1 ", "Ann", "ann2@example.com", 100.0, 4, 25.0),  # duplicate id of C1
            ("C9", "Ann", "ann@example.com", 100.0, 4, 25.0),  # duplicate email of C1
            ("C10", "Hal", "x@promopilot.test", 10.0, 1, 10.0),  # special-use domain: email-validator refuses
            ("C12", "Ida", "i@example.com", 40.0, 0, 40.0),  # spend without orders: nothing to recompute from
            ("C13", "Jo", "j@example.com", 0.0, 0, None),  # a customer who never bought: fine
        ],
    )
    with ctx.db.transaction() as con:
        con.execute("INSERT INTO customers (customer_id, source) VALUES ('C11', 't')")  # empty row
        con.execute(
            "INSERT INTO products (sku, name, category, price, cost, stock, source) "
            "VALUES ('P1', NULL, 'Tops', -5, 2, 1, 't')"
        )
        con.execute("INSERT INTO orders (order_id, customer_id, amount, source) VALUES ('O1', 'C1', -3, 't')")
    found = {
        name: sorted(e.split()[0] for e in c["examples"])
        for name, c in checks(run_tool(ctx, "validate_data", examples=10)).items()
    }
    assert found["email_format"] == ["C2"]
    assert found["invalid_email"] == ["C10", "C3"]
    assert found["missing_name"] == ["C4"]
    assert found["missing_value"] == ["C14"]
    assert not any("C5" in names for names in found.values())
    assert found["negative_amount"] == ["C6"]
    assert found["aov_mismatch"] == ["C7"]
    assert found["spend_without_orders"] == ["C12"]
    assert found["duplicate_id"] == ["c1"]  # the later spelling; "c1 " shown trimmed in the example text
    assert found["duplicate_email"] == ["C9"]
    assert found["empty_row"] == ["C11"]
    assert found["product_missing_value"] == ["P1"] and found["product_negative_amount"] == ["P1"]
    assert found["order_negative_amount"] == ["O1/1"]


def test_outliers_use_a_robust_z_score(ctx):
    rows = [(f"C{i}", "A", f"a{i}@example.com", 100.0 + i, 2, (100.0 + i) / 2) for i in range(50)]
    rows.append(("BIG", "B", "big@example.com", 1_000_000.0, 2, 500_000.0))
    add_customers(ctx.db, rows)
    outliers = checks(run_tool(ctx, "validate_data", examples=10))["outlier"]
    assert {e.split()[0] for e in outliers["examples"]} == {"BIG"}
    assert outliers["action"] == "flag"


def test_fix_repairs_quarantines_logs_and_a_second_run_is_clean(ctx):
    run_tool(ctx, "generate_demo_data", customers=1500, products=10, seed=9, defects=0.08)
    add_customers(ctx.db, [("X1", "Xi", " Xi@Example.com", 30.0, 3, 10.0), ("X2", "Yu", "yu@example.com", 9.0, 0, 9.0)])
    before = checks(run_tool(ctx, "validate_data"))
    result = run_tool(ctx, "validate_data", fix=True)
    changes = result.data["changes"]

    assert ctx.db.scalar("SELECT email FROM customers WHERE customer_id = 'X1'") == "xi@example.com"
    assert (
        ctx.db.scalar("""SELECT count(*) FROM customer_behavior
                            WHERE abs(avg_order_value - total_spent / order_count) > 0.01
                              AND total_spent >= 0 AND order_count > 0""")
        == 0
    )
    blocking = [
        "empty_row",
        "missing_value",
        "invalid_email",
        "negative_amount",
        "duplicate_email",
        "spend_without_orders",
    ]
    assert changes["quarantined"] == ctx.db.scalar("SELECT count(*) FROM customers WHERE quarantine_reason IS NOT NULL")
    assert changes["quarantined"] <= sum(before[c]["rows"] for c in blocking)
    reasons = set(ctx.db.scalar("SELECT list(DISTINCT quarantine_reason) FROM customers"))
    assert reasons - {None} == set(blocking)
    assert ctx.db.scalar("SELECT quarantine_reason FROM customers WHERE customer_id = 'X2'") == "spend_without_orders"
    fixed = ctx.db.rows("SELECT problem, raw_value FROM data_issues WHERE action = 'fixed' AND row_key = 'X1'")
    assert fixed == [{"problem": "email_format", "raw_value": " Xi@Example.com"}]
    assert changes["fixed"] == before["aov_mismatch"]["rows"] + before["email_format"]["rows"]

    after = checks(run_tool(ctx, "validate_data"))
    assert all(after[c]["rows"] == 0 for c in [*blocking, "aov_mismatch", "email_format"])


def test_every_fix_records_the_new_value_now_stored(ctx):
    run_tool(ctx, "generate_demo_data", customers=1500, products=10, seed=9, defects=0.08)
    add_customers(
        ctx.db,
        [
            ("X1", "Xi", " Xi@Example.com", 30.0, 3, 10.0),  # email only
            ("X3", "Zo", "zo@example.com", 100.0, 3, 50.0),  # average order value only: 33.33
            ("X4", "Al", "AL@example.com ", 10.0, 4, None),  # both: al@example.com, 2.5
        ],
    )
    run_id = run_tool(ctx, "validate_data", fix=True).data["changes"]["run_id"]

    issues = ctx.db.rows(
        "SELECT row_key, field, raw_value, new_value FROM data_issues "
        "WHERE run_id = ? AND action = 'fixed' AND row_key LIKE 'X%' ORDER BY row_key, field",
        [run_id],
    )
    assert issues == [
        {"row_key": "X1", "field": "email", "raw_value": " Xi@Example.com", "new_value": "xi@example.com"},
        {"row_key": "X3", "field": "avg_order_value", "raw_value": "50.0", "new_value": "33.33"},
        {"row_key": "X4", "field": "avg_order_value", "raw_value": None, "new_value": "2.5"},
        {"row_key": "X4", "field": "email", "raw_value": "AL@example.com ", "new_value": "al@example.com"},
    ]
    # Every repair of the run (the demo's planted ones too) names exactly the value the table holds now.
    stored = """
        SELECT d.problem, d.new_value, CASE d.field WHEN 'email' THEN c.email
                                                    ELSE b.avg_order_value::VARCHAR END AS now
        FROM data_issues d JOIN customers c ON c.customer_id = d.row_key
        LEFT JOIN customer_behavior b ON b.customer_id = d.row_key
        WHERE d.run_id = ? AND d.action = 'fixed'"""
    fixed = ctx.db.rows(stored, [run_id])
    assert {r["problem"] for r in fixed} == {"email_format", "aov_mismatch"} and len(fixed) > 20
    assert all(r["new_value"] is not None and r["new_value"] == r["now"] for r in fixed)
    others = "SELECT count(*) FROM data_issues WHERE action <> 'fixed' AND new_value IS NOT NULL"
    assert ctx.db.scalar(others) == 0  # quarantines and flags change no value

    ctx.actor = "agent"  # a repaired email is as personal as the original: the model's SQL sees neither
    seen = run_tool(ctx, "query_data", sql="SELECT * FROM data_issues WHERE action = 'fixed'").data["columns"]
    assert "raw_value" not in seen and "new_value" not in seen and "row_key" in seen


def test_validate_without_fix_changes_nothing(ctx):
    run_tool(ctx, "generate_demo_data", customers=300, products=5, seed=2, defects=0.1)
    before = ctx.db.rows("SELECT * FROM customers JOIN customer_behavior USING (customer_id) ORDER BY ALL")
    run_tool(ctx, "validate_data")
    assert ctx.db.rows("SELECT * FROM customers JOIN customer_behavior USING (customer_id) ORDER BY ALL") == before
    assert ctx.db.scalar("SELECT count(*) FROM data_issues") == 0


def test_cli_validate_json(tmp_path):
    db = str(tmp_path / "v.duckdb")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "demo", "--customers", "200", "--defects", "0.1"]).exit_code == 0
    out = runner.invoke(main, ["--db", db, "validate", "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert {c["check"] for c in payload["data"]["checks"]} >= {"invalid_email", "duplicate_email", "outlier"}
    table = runner.invoke(main, ["--db", db, "validate"])
    assert "Problems found" in table.stdout and "invalid" in table.stdout  # the problems in words, not check ids


def _accepted_by_regex(email: str) -> bool:
    import re

    return (
        bool(re.search(CLEARLY_VALID, email))
        and not re.search(SPECIAL_USE, email)
        and len(email) <= 254
        and len(email.split("@")[0]) <= 64
    )


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.emails().map(str.lower), st.text(alphabet="ab.-_+@%1 ", max_size=30)))
def test_the_regex_prefilter_never_accepts_what_email_validator_rejects(email):
    if _accepted_by_regex(email):
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"regex accepted {email!r} but email-validator says: {exc}")


def test_an_address_the_audience_cannot_email_is_reported_as_invalid_not_silently_dropped_later(ctx):
    """email-validator accepts internationalised addresses (SMTPUTF8), but sending only addresses plain
    ASCII ones: validation must say so, or these customers vanish from every audience unexplained."""
    add_customers(
        ctx.db,
        [
            ("C1", "Anna", "anna.müller@example.de", 100.0, 4, 25.0),
            ("C2", "Ben", "ben@müller.de", 100.0, 4, 25.0),
            ("C3", "Cy", "cy.mueller@example.de", 100.0, 4, 25.0),
        ],
    )
    found = checks(run_tool(ctx, "validate_data", examples=10))
    assert sorted(e.split()[0] for e in found["invalid_email"]["examples"]) == ["C1", "C2"]
    run_tool(ctx, "validate_data", fix=True)
    quarantined = ctx.db.df("SELECT customer_id FROM customers WHERE quarantine_reason = 'invalid_email' ORDER BY 1")
    assert quarantined.customer_id.tolist() == ["C1", "C2"]


def test_the_summary_names_each_problem_in_words(ctx):
    assert set(LABELS) == {c.name for c in CHECKS}  # every check has words for the summary
    with ctx.db.transaction() as con:
        con.execute("INSERT INTO products (sku, name, category, price, source) VALUES ('P1', 'Mug', NULL, 5, 't')")
    summary = run_tool(ctx, "validate_data").summary
    assert "products missing a name, category or price (1)" in summary and "product_missing_value" not in summary


def test_products_from_an_orders_log_without_a_category_are_said_once_not_flagged_one_by_one(ctx, tmp_path):
    log = tmp_path / "orders.csv"
    log.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
        + "".join(f"{500 + i},S{i},Mug {i},1,2025-01-0{1 + i % 9},{5 + i},C{i % 3}\n" for i in range(12))
    )
    run_tool(ctx, "import_data", kind="orders", path=str(log))
    assert ctx.db.scalar("SELECT count(*) FROM products WHERE category IS NULL") == 12

    result = run_tool(ctx, "validate_data")
    assert checks(result)["product_missing_value"]["rows"] == 0
    assert "12 products from the orders log have no category; matching by category will not use them." in (
        result.summary
    )
    assert result.data["products_from_orders_without_category"] == 12

    catalogue = tmp_path / "products.csv"  # a catalogue file is the place for a category: missing there, flagged
    catalogue.write_text("sku,name,price,category\nS1,Mug 1,6,\nNEW,Teapot,20,\n")
    run_tool(ctx, "import_data", kind="products", path=str(catalogue))
    result = run_tool(ctx, "validate_data", examples=10)
    assert sorted(e.split()[0] for e in checks(result)["product_missing_value"]["examples"]) == ["NEW", "S1"]
    assert "11 products from the orders log have no category" in result.summary


def test_an_empty_shop_is_not_checked_and_clean(ctx):
    """It said "Checked 0 customers and 0 products: no problems found"."""
    with pytest.raises(UserError, match="There is no data to check yet") as refused:
        run_tool(ctx, "validate_data")
    assert "generate demo data" in refused.value.hint
