"""Who cannot be emailed, and why: the same reasons, counted the same way, as a campaign's reach."""

from __future__ import annotations

from dataclasses import replace

from click.testing import CliRunner

from cli import main
from tests import campaign_fixtures
from tests.test_new_shop_chat import Chat
from tools import run_tool

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop


def people(ctx) -> list[str]:
    return [r[0] for r in ctx.db.execute("SELECT customer_id FROM customers ORDER BY customer_id").fetchall()]


def left_out(ctx) -> dict[str, str]:
    """Five customers, each left out for a different reason."""
    said_no, unknown, no_address, bounced, unsubscribed = people(ctx)[:5]
    ctx.db.execute("UPDATE customers SET email_consent = false WHERE customer_id = ?", [said_no])
    ctx.db.execute("UPDATE customers SET email_consent = NULL WHERE customer_id = ?", [unknown])
    ctx.db.execute("UPDATE customers SET email = NULL WHERE customer_id = ?", [no_address])
    for who, reason in ((bounced, "bounced"), (unsubscribed, "unsubscribed")):
        ctx.db.execute(
            "INSERT INTO suppressions (email, reason, source) SELECT lower(email), ?, 'test' FROM customers"
            " WHERE customer_id = ?",
            [reason, who],
        )
    ctx.db.execute("INSERT INTO suppressions (email, reason, source) VALUES ('gone@nowhere.example', 'bounced', 't')")
    return {
        said_no: "no consent",
        unknown: "consent unknown",
        no_address: "not contactable (no email address)",
        bounced: "suppressed",
        unsubscribed: "unsubscribed",
    }


def test_everyone_who_cannot_be_emailed_with_the_reason_the_reach_counts(shop):
    expected = left_out(shop)
    result = run_tool(replace(shop, actor="agent"), "unreachable_customers")
    rows = {r["customer_id"]: r for r in result.tables[0].to_df().to_dict("records")}
    assert {c: r["why"] for c, r in rows.items()} == expected
    total = len(people(shop))
    assert result.summary.startswith(f"5 of your {total} customers cannot be emailed now: 1 not contactable (no email")
    assert "The suppression list also holds 1 address of no customer." in result.summary
    bounced = next(c for c, why in expected.items() if why == "suppressed")
    assert rows[bounced]["suppressed_for"] == "bounced" and rows[bounced]["suppressed_since"]
    assert "name" not in rows[bounced] and "email" not in rows[bounced], "the model sees ids, not names"

    draft = run_tool(shop, "campaign_draft", skus=[shop.db.scalar("SELECT min(sku) FROM products")])
    reach = run_tool(shop, "campaign_reach", campaign_id=draft.data["campaign_id"])
    listed = {k: v for k, v in result.data["excluded"].items() if v}
    assert listed == {k: v for k, v in reach.data["excluded"].items() if v}, "the list and the reach agree"


def test_only_the_reasons_asked_for_and_names_for_a_person(shop):
    expected = left_out(shop)
    person = replace(shop, actor="user")
    result = run_tool(person, "unreachable_customers", reason=["no_consent", "consent_unknown"])
    rows = result.tables[0].to_df().to_dict("records")
    assert sorted(r["why"] for r in rows) == ["consent unknown", "no consent"]
    assert all(r["name"] for r in rows), "a person sees who they are"
    assert "suppression list" not in result.summary
    assert set(expected) >= {r["customer_id"] for r in rows}


def test_the_chat_lists_them_by_what_was_asked(shop):
    expected = left_out(shop)
    chat = Chat(shop)
    answer, ended = chat.say("who's on the suppression list?")
    assert ended[-1].name == "unreachable_customers" and ended[-1].arguments == {
        "reason": ["unsubscribed", "suppressed"]
    }
    assert "2 of your" in answer and "1 unsubscribed, 1 suppressed" in answer
    answer, ended = chat.say("which customers haven't given consent")
    assert ended[-1].arguments == {"reason": ["no_consent", "consent_unknown"]}
    assert "1 no consent, 1 consent unknown" in answer
    answer, ended = chat.say("how many people unsubscribed")  # no campaign yet: the imported lists
    assert answer.startswith("No campaign has gone out yet, so this is from your imported lists:")
    assert len(expected) == 5


def test_the_cli_lists_them(shop):
    left_out(shop)
    out = CliRunner().invoke(main, ["--db", shop.settings.db_path, "unreachable", "--reason", "no_address"])
    assert out.exit_code == 0, out.output
    assert "1 of your" in out.output and "not contactable" in out.output


def test_how_many_of_one_segment_can_be_emailed_counts_that_segment(shop):
    """ "How many of group 1 can I email" answered for every customer."""
    expected = left_out(shop)
    run_tool(shop, "segment_run", k=2)
    members = {r[0] for r in shop.db.execute("SELECT customer_id FROM segment_members WHERE segment = 1").fetchall()}
    out = len(members & set(expected))
    answer, ended = Chat(shop).say("how many of group 1 can I email")
    assert ended[-1].name == "unreachable_customers" and ended[-1].arguments == {"segment": 1}
    assert answer.startswith(f"**{len(members) - out} of segment 1's {len(members)} customers** can be emailed now.")
