"""The status overview and the data-issue log."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main, output
from storage.db import Database
from tools import run_tool


def test_status_of_an_empty_database(ctx):
    result = run_tool(ctx, "data_overview")
    assert result.data["customers"] == 0 and result.data["active_segment_run"] is None
    assert "empty" in result.summary


def test_status_counts_usable_quarantined_and_campaigns(demo_ctx):
    db = demo_ctx.db
    with db.transaction() as con:
        con.execute(
            "UPDATE customers SET quarantine_reason = 'invalid_email' WHERE customer_id IN ('C0000001', 'C0000002')"
        )
        con.execute("INSERT INTO campaigns (name, status) VALUES ('a', 'draft'), ('b', 'draft'), ('c', 'sent')")
        con.execute("INSERT INTO segment_runs (run_id, k, is_active) VALUES (1, 4, false), (2, 5, true)")
    data = run_tool(demo_ctx, "data_overview").data
    assert (data["customers"], data["usable_customers"], data["quarantined_customers"]) == (2000, 1998, 2)
    assert data["products"] == 200 and data["segment_runs"] == 2 and data["active_segment_run"] == 2
    assert data["campaigns"] == {"draft": 2, "sent": 1}
    assert data["quarantine_reasons"] == [{"reason": "invalid_email", "customers": 2}]


def test_orders_are_counted_apart_from_returns_and_cancellations(ctx):
    """ "how many orders have we had" said "77 orders" for the UCI log: 67 orders and 10 returns or cancellations."""
    from tests.test_new_shop_chat import load
    from tests.uci import uci_lines

    load(ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    orders = lines.loc[~lines["returned"], "InvoiceNo"].nunique()
    returns = lines.loc[lines["returned"], "InvoiceNo"].nunique()
    result = run_tool(ctx, "data_overview")
    assert (result.data["orders"], result.data["returns"]) == (orders, returns)
    assert f"({orders} orders and {returns} returns or cancellations, 1 Dec 2010 to 14 Feb 2011)" in result.summary


def test_open_issues_are_the_quarantines_that_still_hold_and_the_flags(ctx, tmp_path):
    """A re-import that releases C1 closes its quarantine; C2, judged again on its new email, counts
    once (the import's finding, not the older one as well); C3's missing name stays flagged."""
    crm = tmp_path / "crm.csv"
    rows = "customer_id,first_name,email,total_spent,order_count\nC1,A,{},10,1\nC2,B,{},10,1\nC3,,c3@example.com,10,1\n"
    crm.write_text(rows.format("not-an-address", "also-bad"))
    run_tool(ctx, "import_data", kind="customers", path=str(crm))
    run_tool(ctx, "validate_data", fix=True)
    assert run_tool(ctx, "data_overview").data["open_data_issues"] == 3

    crm.write_text(rows.format("c1@example.com", "still(at)bad"))
    run_tool(ctx, "import_data", kind="customers", path=str(crm))
    status = run_tool(ctx, "data_overview")
    assert status.data["open_data_issues"] == 2 and "2 open data issues" in status.summary
    assert status.data["quarantine_reasons"] == [{"reason": "invalid_email", "customers": 1}]


def test_data_issues_filter_by_run_table_problem_and_limit(ctx, tmp_path):
    bad = tmp_path / "c.csv"
    bad.write_text("customer_id,total_spent,created_at\nC1,x,2024-01-01\nC2,1,never\nC3,y,soon\n")
    first = run_tool(ctx, "import_data", kind="customers", path=str(bad)).data["run_id"]
    run_tool(ctx, "import_data", kind="customers", path=str(bad))  # the same file's rows are not logged twice
    assert run_tool(ctx, "list_data_issues").data["total"] == 4
    again = tmp_path / "c2.csv"
    again.write_text(bad.read_text())
    run_tool(ctx, "import_data", kind="customers", path=str(again))  # another file's rows are its own issues

    everything = run_tool(ctx, "list_data_issues")
    assert everything.data["total"] == 8
    one_run = run_tool(ctx, "list_data_issues", run=first)
    assert one_run.data["total"] == 4
    latest = run_tool(ctx, "list_data_issues", run="latest")
    assert latest.data["total"] == 4 and latest.data["run"] != first
    dates = run_tool(ctx, "list_data_issues", run=first, problem="date", limit=1)
    assert dates.data["total"] == 2 and len(dates.tables[1].rows) == 1
    assert run_tool(ctx, "list_data_issues", table="products").data["total"] == 0
    nothing = run_tool(ctx, "list_data_issues", action="quarantined")
    assert "No data issues" in nothing.summary and nothing.tables == []  # no empty tables under the sentence


def test_data_issues_show_the_value_a_fix_wrote_beside_the_old_one(tmp_path, monkeypatch):
    """From the command line: import, validate --fix, then data-issues lists old and new values."""
    crm = tmp_path / "crm.csv"
    crm.write_text("customer_id,email,total_spent,order_count,avg_order_value\nK1, Kim@Shop.example ,90,3,10\n")
    db = ["--db", str(tmp_path / "cli.duckdb")]
    runner = CliRunner()
    assert runner.invoke(main, [*db, "import", "customers", str(crm)]).exit_code == 0
    assert runner.invoke(main, [*db, "validate", "--fix"]).exit_code == 0

    listed = runner.invoke(main, [*db, "data-issues", "--action", "fixed", "--json"])
    assert listed.exit_code == 0, listed.output
    table = json.loads(listed.stdout)["tables"][1]
    rows = sorted((dict(zip(table["columns"], row, strict=True)) for row in table["rows"]), key=lambda r: r["field"])
    assert [(r["field"], r["raw_value"], r["new_value"]) for r in rows] == [
        ("avg_order_value", "10.0", "30.0"),
        ("email", "Kim@Shop.example", "kim@shop.example"),  # import already trimmed the spaces
    ]
    monkeypatch.setattr(output.console, "width", 200)  # the console reads the terminal's width once, at import
    shown = runner.invoke(main, [*db, "data-issues", "--action", "fixed"])
    assert "new_value" in shown.stdout and "kim@shop.example" in shown.stdout


def test_an_older_database_gains_new_value_and_keeps_its_issues(tmp_path):
    """Opening a database made before the new_value migration adds the column and loses no issue."""
    path = tmp_path / "old.duckdb"
    with Database(path) as db:
        db.execute("ALTER TABLE data_issues DROP COLUMN new_value")
        db.execute("DELETE FROM schema_migrations WHERE name = 'm006_data_issue_new_value'")
        db.execute(
            "INSERT INTO data_issues (run_id, table_name, row_key, problem, raw_value, action) "
            "VALUES ('r1', 'customers', 'C1', 'email_format', ' A@b.example', 'fixed')"
        )
    with Database(path) as db:
        assert db.rows("SELECT row_key, raw_value, new_value FROM data_issues") == [
            {"row_key": "C1", "raw_value": " A@b.example", "new_value": None}
        ]


@pytest.mark.parametrize("text", ["what should I do next", "what's next", "ok, now what?"])
def test_what_to_do_next_follows_the_shops_state(text):
    """They got the full help, whatever had been done; now the overview, with the step the state calls for."""
    from assistant.planner.memory import Memory, Request, Step
    from assistant.planner.model import choose

    assert choose(Request(text, Memory(), [])).calls == [("data_overview", {})]
    states = [
        ({"customers": 5, "active_segment_run": None}, "Next: *check the data*, or *segment customers*."),
        ({"customers": 5, "active_segment_run": 1}, "Next: *show high margin items* to find products"),
        ({"customers": 5, "active_segment_run": 1, "campaigns": {"draft": 1}}, "Next: *preview it*, then press"),
        ({"customers": 5, "active_segment_run": 1, "campaigns": {"draft": 1, "approved": 1}}, "Next: *send it*"),
        ({"customers": 5, "active_segment_run": 1, "campaigns": {"sent": 2}}, "Next: *how did it do?*"),
    ]
    for data, follow in states:
        done = [Step("data_overview", {}, {"ok": True, "summary": "5 customers.", "data": data})]
        assert choose(Request(text, Memory(), done)).answer.startswith(f"5 customers.\n\n{follow}")
