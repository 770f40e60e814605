"""`promopilot consent resubscribe`: a person's own new opt-in lifts their unsubscribe, and nothing else does."""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner

from cli import main
from storage.errors import UserError
from tests.test_real_shop_data import FIXTURES, MAILCHIMP, SHOPIFY, load, write
from tools import run_tool
from tools.registry import agent_schemas

ISLA = "SELECT email_consent FROM customers WHERE customer_id = '7061123456793'"
SUPPRESSED = "SELECT reason FROM suppressions WHERE email = 'isla.ward@example.com'"


@pytest.fixture
def unsubscribed(ctx):
    """Isla said yes in Shopify, then unsubscribed in Mailchimp."""
    load(ctx, "customers", SHOPIFY)
    load(ctx, "customers", MAILCHIMP / "unsubscribed_members_export_3a9f1c.csv")
    assert ctx.db.scalar(ISLA) is False and ctx.db.scalar(SUPPRESSED) == "unsubscribed"
    return ctx


def test_her_own_opt_in_lifts_the_unsubscribe_and_is_recorded(unsubscribed):
    ctx = unsubscribed
    result = run_tool(
        ctx, "consent_resubscribe", email=" Isla.Ward@example.com ", source="signed up again on the website 2026-11-20"
    )
    assert ctx.db.scalar(SUPPRESSED) is None
    isla = "SELECT email_consent, consent_source, consent_at IS NOT NULL AS dated FROM customers WHERE customer_id = ?"
    assert ctx.db.rows(isla, ["7061123456793"]) == [
        {"email_consent": True, "consent_source": "opt-in: signed up again on the website 2026-11-20", "dated": True}
    ]
    assert result.data["lifted_unsubscribe"] and result.data["customers"] == ["7061123456793"]
    assert "opted in again" in result.summary and "unsubscribe is lifted" in result.summary
    logged = run_tool(ctx, "list_data_issues", table="consent")
    assert logged.data["total"] == 1
    issue = ctx.db.rows("SELECT row_key, field, problem, raw_value, new_value, action FROM data_issues "
                        "WHERE table_name = 'consent'")[0]  # fmt: skip
    assert issue["row_key"] == "7061123456793" and issue["action"] == "fixed" and issue["new_value"] == "yes"
    assert "website 2026-11-20" in issue["problem"] and "unsubscribed" in issue["raw_value"]
    # Now her next yes counts again, and a later no is taken as usual.
    load(ctx, "customers", SHOPIFY)
    assert ctx.db.scalar(ISLA) is True


@pytest.mark.parametrize(("address", "reason"), [("bounced.person@example.com", "bounced"),
                                                 ("amelia.hughes@example.com", "complaint"),
                                                 ("someone@example.com", "manual")])  # fmt: skip
def test_a_bounce_complaint_or_manual_suppression_is_refused_with_its_reason(ctx, address, reason):
    load(ctx, "suppressions", FIXTURES / "suppressions.csv")
    with pytest.raises(UserError, match="not because the person unsubscribed") as refused:
        run_tool(ctx, "consent_resubscribe", email=address, source="asked us by phone")
    assert ("bounced" if reason == "bounced" else "complaint" if reason == "complaint" else "manual") in str(
        refused.value
    )
    assert ctx.db.scalar("SELECT reason FROM suppressions WHERE email = ?", [address]) == reason
    assert ctx.db.scalar("SELECT count(*) FROM data_issues WHERE table_name = 'consent'") == 0


def test_an_unknown_address_and_a_blank_source_are_refused(unsubscribed):
    with pytest.raises(UserError, match="No customer has the address"):
        run_tool(unsubscribed, "consent_resubscribe", email="nobody@example.com", source="website")
    with pytest.raises(UserError, match="source"):
        run_tool(unsubscribed, "consent_resubscribe", email="isla.ward@example.com", source="  ")
    assert unsubscribed.db.scalar(SUPPRESSED) == "unsubscribed"


def test_the_assistant_can_never_call_it(unsubscribed):
    assert "consent_resubscribe" not in {s["function"]["name"] for s in agent_schemas()}
    with pytest.raises(UserError, match="only be done by a person"):
        run_tool(replace(unsubscribed, actor="agent"), "consent_resubscribe", email="isla.ward@example.com",
                 source="the assistant thinks so")  # fmt: skip
    assert unsubscribed.db.scalar(SUPPRESSED) == "unsubscribed"


def test_an_imports_yes_still_does_not_resubscribe_a_suppressed_person(unsubscribed, tmp_path):
    """Without the command, a file saying yes (with her address, or only her id) leaves her unsubscribed."""
    ctx = unsubscribed
    load(
        ctx,
        "customers",
        write(tmp_path, "crm.csv", "Customer ID,Email,Opt-in\n7061123456793,isla.ward@example.com,yes\n"),
    )
    load(ctx, "customers", MAILCHIMP / "subscribed_members_export_3a9f1c.csv")
    assert ctx.db.scalar(ISLA) is False and ctx.db.scalar(SUPPRESSED) == "unsubscribed"


def test_the_cli_command(unsubscribed):
    path = unsubscribed.db.path
    unsubscribed.db.close()
    args = ["--db", path, "consent", "resubscribe", "isla.ward@example.com"]
    result = CliRunner().invoke(main, [*args, "--source", "signed up again on the website"])
    assert result.exit_code == 0, result.output
    assert "opted in again" in result.stdout
    again = CliRunner().invoke(main, ["--db", path, "consent", "resubscribe", "bounced@example.com", "--source", "x"])
    assert again.exit_code == 1 and "Traceback" not in again.output


def test_an_old_unsubscribed_export_imported_again_does_not_undo_her_new_opt_in(unsubscribed, tmp_path):
    """Mailchimp dates each unsubscribe (UNSUB_TIME): Isla's of 2024 is older than her opt-in today, so the same
    export imported again is history, not a new no. A newer unsubscribe, or an undated one, still counts."""
    ctx = unsubscribed
    run_tool(ctx, "consent_resubscribe", email="isla.ward@example.com", source="signed up again on the website")
    again = load(ctx, "customers", MAILCHIMP / "unsubscribed_members_export_3a9f1c.csv")
    assert ctx.db.scalar(ISLA) is True and ctx.db.scalar(SUPPRESSED) is None
    assert "1 unsubscribe in this file is older than the person's own new opt-in" in again.summary

    header = (MAILCHIMP / "unsubscribed_members_export_3a9f1c.csv").read_text().splitlines()[0]
    columns = header.split(",")
    row = dict.fromkeys(columns, "")
    row |= {"Email Address": "isla.ward@example.com", "First Name": "Isla", "UNSUB_TIME": "2099-01-01 10:00:00"}
    newer = write(tmp_path, "unsubscribed_members_export_later.csv", header + "\n" + ",".join(row.values()) + "\n")
    load(ctx, "customers", newer)
    assert ctx.db.scalar(ISLA) is False and ctx.db.scalar(SUPPRESSED) == "unsubscribed", "a later no counts"


def test_an_undated_unsubscribe_always_counts(unsubscribed, tmp_path):
    ctx = unsubscribed
    run_tool(ctx, "consent_resubscribe", email="isla.ward@example.com", source="signed up again on the website")
    load(
        ctx, "customers", write(tmp_path, "unsubscribed_members_export_x.csv", "Email Address\nisla.ward@example.com\n")
    )
    assert ctx.db.scalar(ISLA) is False and ctx.db.scalar(SUPPRESSED) == "unsubscribed"
