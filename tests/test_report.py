"""The campaign report: unique opens and clicks from real tracking requests, by variant and by segment."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from assistant.present import compact
from cli import main
from storage.errors import UserError
from tests import campaign_fixtures
from tests.campaign_fixtures import approved_campaign
from tests.smtp_server import Faults, FaultySMTPServer
from tools import run_tool
from tools.campaigns.links import LinkSigner
from web.tracking import tracking_app

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop


def segment_the_shop(ctx) -> None:
    """Two named segments (even and odd customers), as a segmentation run would leave them."""
    ctx.db.execute("INSERT INTO segment_runs (run_id, k, is_active) VALUES (1, 2, true)")
    ctx.db.execute(
        "INSERT INTO segment_members SELECT 1, customer_id, row_number() OVER (ORDER BY customer_id) % 2 FROM customers"
    )
    ctx.db.execute(
        "INSERT INTO segments (run_id, segment, name) VALUES (1, 0, 'Loyal regulars'), (1, 1, 'Bargain hunters')"
    )


@pytest.fixture
def reported(shop):
    """A sent campaign (one address bounced) and some tracking: returns (ctx, campaign, who did what)."""
    segment_the_shop(shop)
    campaign = approved_campaign(shop)
    shop.db.execute("UPDATE campaigns SET run_id = 1 WHERE campaign_id = ?", [campaign])
    bounced = shop.db.scalar("SELECT lower(email) FROM customers ORDER BY customer_id DESC LIMIT 1")
    with FaultySMTPServer(Faults(permanent={bounced})) as server:
        shop.settings.smtp_url = server.url
        run_tool(shop, "campaign_send", campaign_id=campaign)
    people = shop.db.rows(
        "SELECT customer_id, variant, segment FROM messages WHERE status = 'sent' ORDER BY customer_id LIMIT 4"
    )
    signer = LinkSigner.for_db(shop.db, shop.settings)
    client = TestClient(tracking_app(lambda: shop.db, shop.settings))

    def visit(kind, person, times=1):
        cid = person["customer_id"]
        for _ in range(times):
            if kind == "open":
                assert client.get(f"/t/o/{signer.token('open', campaign, cid)}.gif").status_code == 200
            elif kind == "click":
                response = client.get(f"/t/c/{signer.token('click', campaign, cid, 0)}", follow_redirects=False)
                assert response.status_code == 302
            else:
                assert client.post(f"/t/u/{signer.token('unsubscribe', campaign, cid)}").status_code == 200

    visit("open", people[0], 3)
    visit("click", people[0], 2)
    visit("open", people[1])
    visit("click", people[2])  # pixel blocked, but the click shows it was read
    visit("unsubscribe", people[3], 2)
    return shop, campaign, {"opened": people[:3], "clicked": [people[0], people[2]], "unsubscribed": [people[3]]}


def test_totals_count_each_person_once(reported):
    ctx, campaign, who = reported
    result = run_tool(ctx, "campaign_report", campaign_id=campaign)
    recipients = ctx.db.scalar("SELECT count(*) FROM messages")
    data = result.data
    assert data["sent"] == recipients - 1 and data["failed"] == 1
    assert data["unique_opens"] == len(who["opened"]) and data["unique_clicks"] == len(who["clicked"])
    assert data["open_rate"] == round(len(who["opened"]) / data["sent"], 4)
    assert data["click_rate"] == round(len(who["clicked"]) / data["sent"], 4)
    assert data["click_to_open_rate"] == round(len(who["clicked"]) / len(who["opened"]), 4)
    assert data["unsubscribes"] == 1
    assert f"{data['sent']:,} sent" in result.summary


@pytest.mark.parametrize(("level", "key"), [("by_variant", "variant"), ("by_segment", "segment")])
def test_breakdowns_add_up_and_match_who_did_what(reported, level, key):
    ctx, campaign, who = reported
    data = run_tool(ctx, "campaign_report", campaign_id=campaign).data
    groups = {row[key]: row for row in data[level]}
    assert sum(row["sent"] for row in groups.values()) == data["sent"]
    for group, row in groups.items():
        assert row["unique_opens"] == sum(p[key] == group for p in who["opened"])
        assert row["unique_clicks"] == sum(p[key] == group for p in who["clicked"])
    if key == "segment":
        assert {row["segment_name"] for row in groups.values()} == {"Loyal regulars", "Bargain hunters"}


def test_the_chart_shows_the_rates_per_variant(reported):
    ctx, campaign, _ = reported
    result = run_tool(ctx, "campaign_report", campaign_id=campaign)
    figure = result.charts[0].to_figure()
    opens = next(trace for trace in figure.data if trace.name == "Open rate")
    expected = {row["variant"]: (row["open_rate"] or 0) * 100 for row in result.data["by_variant"]}
    assert dict(zip(opens.x, opens.y, strict=True)) == pytest.approx(expected)


def test_a_campaign_not_sent_yet_has_no_report(shop):
    campaign = approved_campaign(shop)
    with pytest.raises(UserError, match="not been sent"):
        run_tool(shop, "campaign_report", campaign_id=campaign)


def test_the_cli_takes_the_campaign_id_as_an_argument(reported):
    ctx, campaign, _ = reported
    outcome = CliRunner().invoke(main, ["--db", ctx.db.path, "report", str(campaign), "--json"])
    assert outcome.exit_code == 0, outcome.output
    assert json.loads(outcome.output)["data"]["unique_clicks"] == 2


def test_unconfirmed_messages_are_reported_apart_and_rates_use_confirmed_sends(reported):
    """A connection dropped after DATA leaves a message 'unknown': maybe delivered, never resent, not 'sent'."""
    ctx, campaign, who = reported
    dropped = [p["customer_id"] for p in who["opened"][:2]]  # one of them opened: that open is not a confirmed send's
    ctx.db.execute(
        "UPDATE messages SET status = 'unknown' WHERE campaign_id = ? AND customer_id IN (SELECT unnest(?))",
        [campaign, dropped],
    )
    recipients = ctx.db.scalar("SELECT count(*) FROM messages")

    result = run_tool(ctx, "campaign_report", campaign_id=campaign)

    data = result.data
    assert (data["sent"], data["unconfirmed"], data["failed"]) == (recipients - 3, 2, 1)
    assert data["unique_opens"] == len(who["opened"]) - 2
    assert data["open_rate"] == round(data["unique_opens"] / data["sent"], 4)
    assert (
        f"{recipients - 3:,} sent, 2 unconfirmed (the connection dropped before the server answered" in result.summary
    )
    assert "not resent to avoid duplicates" in result.summary
    assert sum(row["sent"] for row in data["by_variant"]) == data["sent"]


def test_each_variant_is_shown_with_its_subject_line(reported):
    """ "Which variant is winning" means nothing without what each variant said."""
    ctx, campaign, _ = reported
    result = run_tool(ctx, "campaign_report", campaign_id=campaign)
    table = result.tables[0].to_df().set_index("variant")
    product = ctx.db.scalar("SELECT name FROM products ORDER BY sku LIMIT 1")
    assert table.loc["A", "subject"] == f"[First name], new in: {product}"
    best = max(result.data["by_variant"], key=lambda row: row["click_rate"] or 0)
    assert f"Variant {best['variant']} (“{table.loc[best['variant'], 'subject']}”) has the highest" in result.summary
    assert "subject" in compact(result.tables[0], "EUR").columns.str.lower(), "the chat's short table keeps it"


@pytest.mark.parametrize("who", ["clicked", "opened", "unsubscribed"])
def test_who_did_it_lists_those_customers_first(reported, who):
    ctx, campaign, did = reported
    result = run_tool(ctx, "campaign_report", campaign_id=campaign, who=who)
    first = result.tables[0]
    assert first.name == f"Who {who}" and first.total == len(did[who])
    assert sorted(first.to_df()["customer_id"]) == sorted(p["customer_id"] for p in did[who])
    assert f"{len(did[who])} {'customer' if len(did[who]) == 1 else 'customers'} {who}" in result.summary


@pytest.mark.parametrize("asked", ["which segment responded best", "which group liked it the most"])
def test_which_segment_responded_best_is_read_from_the_report_by_segment(asked):
    """It was read as matching products to segments ("Which products? Name one"); "which group liked it the most" listed
    the segments."""
    from assistant.planner.memory import Request, Step
    from assistant.planner.model import choose
    from tests.test_planner import CAMPAIGN_4

    assert choose(Request(asked, CAMPAIGN_4, [])).calls == [("campaign_report", {"campaign_id": 4})]
    by_segment = [  # as campaign_report gives them: the biggest is not the best
        {"segment": 1, "segment_name": "Regulars", "sent": 400, "unique_opens": 120, "click_rate": 0.05},
        {"segment": 2, "segment_name": "Night owls", "sent": 150, "unique_opens": 60, "click_rate": 0.12},
        {"segment": None, "segment_name": "no segment", "sent": 9, "unique_opens": 9, "click_rate": 0.5},
    ]
    data = {"campaign_id": 4, "status": "sent", "unique_opens": 189, "click_rate": 0.07, "by_segment": by_segment}
    done = [Step("campaign_report", {"campaign_id": 4}, {"ok": True, "summary": "Campaign 4: 559 sent.", "data": data})]
    answer = choose(Request(asked, CAMPAIGN_4, done)).answer
    assert answer.startswith("By segment, **Night owls** (segment 2) clicked most: 12.0% of the 150 it was sent to, "
                             "against 7.0% overall.")  # fmt: skip
    data["by_segment"] = by_segment[:1]
    assert choose(Request(asked, CAMPAIGN_4, done)).answer.startswith("Campaign 4 went to one audience")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how did the spring edit do", ("campaign_report", {"campaign_id": 1})),  # a "did you mean"
        ("how did Spring Edit go?", ("campaign_report", {"campaign_id": 1})),
        ("show me the spring edit email", ("campaign_preview", {"campaign_id": 1})),
    ],
)
def test_a_campaign_is_found_by_its_name(text, expected):
    """Not the campaign in play (4): the one named."""
    from assistant.planner.memory import Request
    from assistant.planner.model import choose
    from assistant.planner.vocabulary import Vocabulary
    from tests.test_planner import CAMPAIGN_4

    shop = Vocabulary(campaigns={1: "Spring edit", 4: "Black Friday"})
    assert choose(Request(text, CAMPAIGN_4, [], vocabulary=lambda: shop)).calls == [expected]


@pytest.mark.parametrize(
    ("text", "says"),
    [  # each was something else: the all-time revenue, a segment sweep, the bare report
        ("how many sales did it drive", "I cannot tell what it sold"),
        ("did the email make us any money", "I cannot tell what it sold"),
        ("compare variant A and B", "Campaign 4: 300 sent."),
        ("how many bounced", "**3** were refused by the receiving mail server when sent"),  # the bare report
    ],
)
def test_what_a_sent_campaign_sold_and_how_its_variants_did(text, says):
    from assistant.planner.memory import Request, Step
    from assistant.planner.model import choose
    from tests.test_planner import CAMPAIGN_4

    assert choose(Request(text, CAMPAIGN_4, [])).calls == [("campaign_report", {"campaign_id": 4})]
    data = {"campaign_id": 4, "status": "sent", "unique_opens": 90, "failed": 3, "by_segment": []}
    done = [Step("campaign_report", {"campaign_id": 4}, {"ok": True, "summary": "Campaign 4: 300 sent.", "data": data})]
    assert choose(Request(text, CAMPAIGN_4, done)).answer.startswith(says)


def test_the_links_clicked_are_told_by_what_they_show(reported):
    """Which links were clicked was recorded but never told: the main button or the product, people and clicks."""
    ctx, campaign, who = reported
    first = who["clicked"][0]["customer_id"]
    token = LinkSigner.for_db(ctx.db, ctx.settings).token("click", campaign, first, 1)  # the first product's page
    client = TestClient(tracking_app(lambda: ctx.db, ctx.settings))
    assert client.get(f"/t/c/{token}", follow_redirects=False).status_code == 302
    sku = ctx.db.execute("SELECT skus[1] FROM campaign_versions WHERE campaign_id = ?", [campaign]).fetchone()[0]
    product = ctx.db.scalar("SELECT name FROM products WHERE sku = ?", [sku])
    result = run_tool(ctx, "campaign_report", campaign_id=campaign)
    links = [(row["link"], row["people"], row["clicks"]) for row in result.data["links"]]
    assert links == [("the main button", 2, 3), (product, 1, 1)]
    assert "Most clicked: the main button (2 people)." in result.summary
