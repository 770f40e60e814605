"""Campaign content as a marketer sees it: draft, revise, preview, approve, reject."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from cli import main
from storage.db import Database
from storage.errors import UserError
from tests import campaign_fixtures
from tests.smtp_server import FaultySMTPServer
from tools import run_tool
from tools.campaigns.render import CampaignRenderer, Recipient

SEGMENTS = [
    (0, "Bargain hunters", "Price-sensitive shoppers who wait for deals", {"discount_sensitivity": 0.81}),
    (1, "Luxury loyalists", "Premium spenders with a taste for luxury brands", {"luxury_affinity": 0.9}),
]

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop  # a small demo shop, copied per test


@pytest.fixture
def segmented(shop):
    """The small demo shop with an active two-segment run (segmentation itself is tested elsewhere)."""
    shop.db.execute("INSERT INTO segment_runs (run_id, k, is_active) VALUES (1, 2, true)")
    shop.db.execute("INSERT INTO segment_members SELECT 1, customer_id, hash(customer_id) % 2 FROM customers")
    for segment, name, description, profile in SEGMENTS:
        shop.db.execute(
            "INSERT INTO segments (run_id, segment, name, description, named_by, size, share, profile)"
            " VALUES (1, ?, ?, ?, 'rule', 15, 0.5, ?)",
            [segment, name, description, json.dumps(profile)],
        )
    return shop


def skus(ctx, n=2):
    return [r[0] for r in ctx.db.execute("SELECT sku FROM products ORDER BY sku LIMIT ?", [n]).fetchall()]


def campaign_row(ctx, campaign_id):
    return ctx.db.rows("SELECT * FROM campaigns WHERE campaign_id = ?", [campaign_id])[0]


def test_a_draft_is_version_one_with_distinct_variants_and_an_approval_request(segmented):
    result = run_tool(segmented, "campaign_draft", segment=1, skus=skus(segmented), variants=3)
    campaign_id = result.data["campaign_id"]
    campaign = campaign_row(segmented, campaign_id)
    assert (campaign["status"], campaign["segments"], campaign["run_id"]) == ("draft", [1], 1)
    assert campaign["approved_version"] is None
    assert result.data["author"] == "template" and "no model configured" in result.summary
    subjects = list(result.data["subjects"].values())
    assert len(set(subjects)) == 3, subjects
    assert result.approval.campaign_id == campaign_id and result.approval.version == 1
    assert result.approval.subject == subjects[0]
    assert "<html" in result.approval.preview_html and "Hi there," in result.approval.preview_text
    assert "Luxury loyalists" in campaign["name"]


def test_the_default_shortlist_supplies_the_products(segmented):
    with pytest.raises(UserError, match="shortlist 'default' is empty") as caught:
        run_tool(segmented, "campaign_draft", segment=0)
    assert "--skus SKU" in caught.value.hint  # draft's own option, not match's --product
    run_tool(segmented, "shortlist_add", skus=skus(segmented, 3))
    result = run_tool(segmented, "campaign_draft", segment=0)
    assert campaign_row(segmented, result.data["campaign_id"])["skus"] == skus(segmented, 3)


def test_bad_segments_and_products_are_named(segmented):
    with pytest.raises(UserError, match="No segment 7") as caught:
        run_tool(segmented, "campaign_draft", segment=7, skus=skus(segmented))
    assert "0, 1" in caught.value.hint
    with pytest.raises(UserError, match="NOPE-1"):
        run_tool(segmented, "campaign_draft", segment=0, skus=["NOPE-1"])
    with pytest.raises(UserError, match="url"):
        run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented), url="javascript:alert(1)")
    assert segmented.db.scalar("SELECT count(*) FROM campaigns") == 0


def test_approval_records_version_who_and_when_and_unlocks_sending(segmented):
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented)).data["campaign_id"]
    with pytest.raises(UserError, match="not approved"):
        CampaignRenderer.for_campaign(segmented, campaign_id)
    run_tool(segmented, "campaign_approve", campaign_id=campaign_id, version=1, approved_by="Dana")
    campaign = campaign_row(segmented, campaign_id)
    assert (campaign["status"], campaign["approved_version"], campaign["approved_by"]) == ("approved", 1, "Dana")
    assert campaign["approved_at"] is not None
    assert CampaignRenderer.for_campaign(segmented, campaign_id).version == 1


def test_the_assistant_cannot_approve(segmented):
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented)).data["campaign_id"]
    segmented.actor = "agent"
    with pytest.raises(UserError, match="only be done by a person"):
        run_tool(segmented, "campaign_approve", campaign_id=campaign_id, version=1)
    campaign = campaign_row(segmented, campaign_id)
    assert campaign["status"] == "draft" and campaign["approved_version"] is None
    from tools import agent_schemas

    offered = {s["function"]["name"] for s in agent_schemas()}
    assert "campaign_approve" not in offered and {"campaign_draft", "campaign_revise"} <= offered


def test_revising_after_approval_withdraws_it(segmented):
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented)).data["campaign_id"]
    run_tool(segmented, "campaign_approve", campaign_id=campaign_id, version=1)
    result = run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="make it shorter")
    assert result.data["version"] == 2 and "approval was withdrawn" in result.summary
    campaign = campaign_row(segmented, campaign_id)
    assert campaign["status"] == "draft"
    assert (campaign["approved_version"], campaign["approved_by"], campaign["approved_at"]) == (None, None, None)
    with pytest.raises(UserError, match="not approved"):
        CampaignRenderer.for_campaign(segmented, campaign_id)
    assert segmented.db.scalar("SELECT instruction FROM campaign_versions WHERE version = 2") == "make it shorter"


def test_offline_revisions_follow_the_instruction(segmented):
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented, 3)).data["campaign_id"]

    def version(n):
        raw = segmented.db.scalar(
            "SELECT variants FROM campaign_versions WHERE campaign_id = ? AND version = ?", [campaign_id, n]
        )
        return json.loads(raw)

    run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="make it shorter")
    before, after = version(1), version(2)
    assert all(len(a["blocks"]) < len(b["blocks"]) for a, b in zip(after, before, strict=True))
    assert [a["subject"] for a in after] == [b["subject"] for b in before]

    run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="more playful subject")
    playful = version(3)
    assert all(p["subject"] != a["subject"] for p, a in zip(playful, after, strict=True))
    assert [p["blocks"] for p in playful] == [a["blocks"] for a in after]
    assert len({p["subject"] for p in playful}) == len(playful)

    run_tool(
        segmented,
        "campaign_revise",
        campaign_id=campaign_id,
        instruction='set the subject of variant B to "Hello again"',
    )
    assert [v["subject"] for v in version(4)] == [playful[0]["subject"], "Hello again", playful[2]["subject"]]

    run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="add the code SPRING20 for 10% off")
    preview = run_tool(segmented, "campaign_preview", campaign_id=campaign_id).approval
    assert "<b>SPRING20</b> at checkout for 10% off" in preview.preview_html
    assert "Use code SPRING20 at checkout for 10% off." in preview.preview_text


def test_an_instruction_templates_cannot_follow_changes_nothing(segmented):
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented)).data["campaign_id"]
    with pytest.raises(UserError, match="without a model") as caught:
        run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="rewrite it as a sonnet")
    assert "shorter" in caught.value.hint
    assert segmented.db.scalar("SELECT count(*) FROM campaign_versions") == 1


def test_a_rejected_draft_is_final(segmented):
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented)).data["campaign_id"]
    run_tool(segmented, "campaign_reject", campaign_id=campaign_id)
    assert campaign_row(segmented, campaign_id)["status"] == "cancelled"
    for name, extra in [("campaign_approve", {"version": 1}), ("campaign_revise", {"instruction": "shorter"})]:
        with pytest.raises(UserError, match="cancelled"):
            run_tool(segmented, name, campaign_id=campaign_id, **extra)
    with pytest.raises(UserError, match="not approved"):
        CampaignRenderer.for_campaign(segmented, campaign_id)


def test_preview_as_a_customer_uses_their_name_and_best_product(segmented):
    products = skus(segmented, 3)
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=products).data["campaign_id"]
    customer = segmented.db.rows("SELECT customer_id, first_name FROM customers WHERE first_name IS NOT NULL LIMIT 1")[
        0
    ]
    result = run_tool(segmented, "campaign_preview", campaign_id=campaign_id, customer=customer["customer_id"])
    assert f"Hi {customer['first_name']}," in result.approval.preview_text
    picked = re.search(r"Picked for you: (.+) \(", result.approval.preview_text).group(1)
    assert picked in dict(segmented.db.execute("SELECT name, sku FROM products").fetchall())

    segmented.actor = "agent"  # the assistant may look at the layout, not at the person
    as_agent = run_tool(segmented, "campaign_preview", campaign_id=campaign_id, customer=customer["customer_id"])
    assert customer["first_name"] not in as_agent.summary + json.dumps(as_agent.data)
    assert f"Hi {customer['first_name']}," in as_agent.approval.preview_text, "the marketer's screen shows the name"

    with pytest.raises(UserError, match="no variant 'Q'"):
        run_tool(segmented, "campaign_preview", campaign_id=campaign_id, variant="Q")


def add_people(ctx, people):
    """Customers with chosen names, made up so no demo customer shares them (the demo's names are random)."""
    for customer_id, first, last in people:
        ctx.db.execute(
            "INSERT INTO customers (customer_id, email, first_name, last_name, source) VALUES (?, ?, ?, ?, 'test')",
            [customer_id, f"{customer_id.lower()}@example.com", first, last],
        )


def test_preview_for_a_customer_named_in_words_finds_them_by_first_last_or_full_name(segmented):
    add_people(segmented, [("Z3", "Elowen", "Kowalczyk"), ("Z1", "elowen", "Nowakowska"), ("Z2", "Elowen", "Berg")])
    add_people(segmented, [("Z4", "Peregrine", "Thistlewood")])
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented)).data["campaign_id"]

    several = run_tool(segmented, "campaign_preview", campaign_id=campaign_id, customer="ELOWEN")
    assert several.summary.startswith("3 customers are called Elowen; this is elowen Nowakowska (customer Z1).")
    assert several.data["customer"] == "Z1" and "Hi Elowen," in several.approval.preview_text
    assert several.approval.shown_as == "3 customers are called Elowen; this is elowen Nowakowska (customer Z1)."

    for reference in ("Mr Thistlewood", "thistlewood", "peregrine  THISTLEWOOD", "Z4"):
        found = run_tool(segmented, "campaign_preview", campaign_id=campaign_id, customer=reference)
        assert (found.data["customer"], found.data["customers_with_that_name"]) == ("Z4", 1), reference
        assert "as Peregrine Thistlewood (customer Z4) sees it" in found.summary
        assert found.approval.shown_as == "Shown as Peregrine Thistlewood (customer Z4)."

    with pytest.raises(UserError, match=r"No customer has the ID or the name 'Zorro'.*first, last and full") as err:
        run_tool(segmented, "campaign_preview", campaign_id=campaign_id, customer="Zorro")
    assert "random customer" in err.value.hint


def test_a_named_preview_tells_the_model_the_id_and_the_count_never_the_name(segmented):
    add_people(segmented, [("Z1", "Elowen", "Kowalczyk"), ("Z2", "Elowen", "Berg")])
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented)).data["campaign_id"]
    segmented.actor = "agent"

    one = run_tool(segmented, "campaign_preview", campaign_id=campaign_id, customer="Elowen Kowalczyk")
    assert "as customer Z1 sees it" in one.summary
    several = run_tool(segmented, "campaign_preview", campaign_id=campaign_id, customer="elowen")
    assert several.summary.startswith("2 customers share that name; this is the first by ID, customer Z1.")
    told = json.dumps([one.summary, one.data, several.summary, several.data]).lower()
    assert "kowalczyk" not in told and "elowen" not in told
    assert "Elowen Kowalczyk" in several.approval.shown_as, "the name is for the marketer's screen"


def test_campaign_list_shows_state_and_versions(segmented):
    first = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented)).data["campaign_id"]
    second = run_tool(segmented, "campaign_draft", segment=1, skus=skus(segmented)).data["campaign_id"]
    run_tool(segmented, "campaign_approve", campaign_id=second, version=1)
    table = run_tool(segmented, "campaign_list").tables[0].to_df().set_index("campaign_id")
    assert table.loc[first, "status"] == "draft" and table.loc[second, "status"] == "approved"
    assert list(run_tool(segmented, "campaign_list", status="approved").tables[0].to_df()["campaign_id"]) == [second]


def test_approve_from_the_cli(segmented):
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented)).data["campaign_id"]
    path = segmented.db.path
    segmented.db.close()
    result = CliRunner().invoke(
        main,
        ["--db", path, "campaign", "approve", str(campaign_id), "--version", "1", "--approved-by", "Lee", "--json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["data"]["approved_by"] == "Lee"
    with Database(path) as db:
        assert db.scalar("SELECT approved_by FROM campaigns WHERE campaign_id = ?", [campaign_id]) == "Lee"
    segmented.db = Database(path)


def test_preview_as_a_customer_and_a_test_copy_from_the_cli(segmented):
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented)).data["campaign_id"]
    customer = segmented.db.rows("SELECT customer_id, first_name FROM customers WHERE first_name IS NOT NULL LIMIT 1")[
        0
    ]
    path = segmented.db.path
    segmented.db.close()
    with FaultySMTPServer() as server:
        runner = CliRunner(env={"PROMOPILOT_SMTP_URL": server.url})
        cid = customer["customer_id"]
        shown = runner.invoke(
            main, ["--db", path, "campaign", "preview", str(campaign_id), "--customer", cid, "--json"]
        )
        sent = runner.invoke(
            main,
            ["--db", path, "campaign", "test-send", str(campaign_id), "--to", "me@example.com", "--customer", cid],
        )
    segmented.db = Database(path)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["data"]["paragraphs"][0] == f"Hi {customer['first_name']},"
    assert sent.exit_code == 0, sent.output
    assert dict(server.received) == {"me@example.com": 1}
    assert segmented.db.scalar("SELECT count(*) FROM messages") == 0  # a test copy is not part of the campaign


# -- with a model ---------------------------------------------------------------------------------
HOSTILE_REPLY = {
    "variants": [
        {
            "angle": "benefit",
            "subject": "Your account <script>alert('x')</script> needs {{ first_name.__class__ }} attention",
            "preheader": "Log in at http://phish.example.net",
            "blocks": [
                '<p onclick="steal()">Hello!</p><form action="https://phish.example.net"><input name="pw"></form>',
                '<a href="https://phish.example.net/login">Confirm your password</a> at phish-login.com today.',
            ],
            "cta_text": "Log in",
        },
        {
            "angle": "curiosity",
            "subject": "Guess what, {{ first_name }}?",
            "blocks": ["Something new."],
            "cta_text": "See",
        },
    ]
}


@pytest.fixture
def model_shop(segmented, fake_openai):
    import openai

    from services.llm import OpenAIStructured

    client = openai.OpenAI(base_url=fake_openai.base_url, api_key="test-key", max_retries=0, timeout=5)
    segmented.llm = OpenAIStructured(client, "fake-model")
    return segmented


def test_model_copy_is_sanitised_and_renders_harmless(model_shop, fake_openai):
    fake_openai.reply(json.dumps(HOSTILE_REPLY))
    result = run_tool(model_shop, "campaign_draft", segment=1, skus=skus(model_shop), variants=2)
    assert result.data["author"] == "model"
    campaign_id = result.data["campaign_id"]
    stored = model_shop.db.scalar("SELECT variants FROM campaign_versions WHERE campaign_id = ?", [campaign_id])
    for needle in ["<script", "onclick", "<form", "phish", "{{ first_name.__class__", "href"]:
        assert needle not in stored, needle
    run_tool(model_shop, "campaign_approve", campaign_id=campaign_id, version=1)
    renderer = CampaignRenderer.for_campaign(model_shop, campaign_id)
    raw = renderer.render(Recipient("C0000001", "a@example.com", "Ann", "A", None, "m1@promopilot.test"))
    assert b"phish" not in raw and b"<script" not in raw.lower() and b"<form" not in raw.lower()
    assert renderer.preview(Recipient("C1", "a@example.com", "Ann", "B", None, "m")).subject == "Guess what, Ann?"


def test_no_customer_detail_reaches_the_model(model_shop, fake_openai):
    fake_openai.reply(json.dumps(HOSTILE_REPLY))
    campaign_id = run_tool(model_shop, "campaign_draft", segment=0, skus=skus(model_shop), variants=2).data[
        "campaign_id"
    ]
    playful = {"variants": [dict(v, cta_text=v["cta_text"] + "!") for v in HOSTILE_REPLY["variants"]]}
    fake_openai.reply(json.dumps(playful))  # a revision that changes nothing is not saved: this one adds a "!"
    run_tool(model_shop, "campaign_revise", campaign_id=campaign_id, instruction="more playful")
    authors = model_shop.db.execute("SELECT author FROM campaign_versions ORDER BY version").fetchall()
    assert authors == [("model",), ("model",)]
    sent = fake_openai.bodies()
    assert len(fake_openai.requests) == 2
    assert "Bargain hunters" in sent and json.loads(sent.split("\n")[0])["messages"]  # the brief did go out
    people = model_shop.db.rows("SELECT customer_id, first_name, last_name, email FROM customers")
    for person in people:
        assert person["email"] not in sent
        assert person["customer_id"] not in sent
        assert f"{person['first_name']} {person['last_name']}" not in sent


def test_a_failing_model_falls_back_to_templates_and_says_so(model_shop, fake_openai):
    fake_openai.fault(500).fault(500).fault(500)
    result = run_tool(model_shop, "campaign_draft", segment=0, skus=skus(model_shop), variants=3)
    assert result.data["author"] == "template"
    assert "could not write the copy" in result.summary
    assert len(set(result.data["subjects"].values())) == 3


def test_too_few_model_variants_are_topped_up_from_templates(model_shop, fake_openai):
    fake_openai.reply(json.dumps({"variants": HOSTILE_REPLY["variants"][1:]}))
    result = run_tool(model_shop, "campaign_draft", segment=0, skus=skus(model_shop), variants=3)
    assert list(result.data["subjects"]) == ["A", "B", "C"]
    assert result.data["subjects"]["A"] == "Guess what?"  # no name, no dangling comma


def test_a_draft_can_still_be_revised_after_its_segmentation_is_gone(segmented):
    campaign_id = run_tool(segmented, "campaign_draft", segment=1, skus=skus(segmented)).data["campaign_id"]
    segmented.db.execute("DELETE FROM segments")
    result = run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="make it more formal")
    assert result.data["version"] == 2


def test_the_assistant_may_link_only_to_the_shop_or_allowed_sites_a_person_to_any(demo_ctx):
    from dataclasses import replace

    sku = demo_ctx.db.scalar("SELECT sku FROM products ORDER BY stock DESC LIMIT 1")
    agent = replace(demo_ctx, actor="agent")
    for url in ("https://evil.example/login", "https://shop.example.com.evil.example/", "https://example.com/"):
        with pytest.raises(UserError, match="not on the shop's own site"):
            run_tool(agent, "campaign_draft", skus=[sku], variants=1, url=url)
    assert demo_ctx.db.scalar("SELECT count(*) FROM campaigns") == 0

    run_tool(agent, "campaign_draft", skus=[sku], variants=1, url="https://shop.example.com/sale")
    run_tool(agent, "campaign_draft", skus=[sku], variants=1, url="https://www.shop.example.com/sale")
    demo_ctx.settings.link_domains = ["lookbook.example.net"]
    run_tool(agent, "campaign_draft", skus=[sku], variants=1, url="https://lookbook.example.net/spring")
    run_tool(demo_ctx, "campaign_draft", skus=[sku], variants=1, url="https://evil.example/anything")  # a person
    assert demo_ctx.db.scalar("SELECT count(*) FROM campaigns") == 4


def test_a_revision_says_what_changed_and_one_that_changes_nothing_is_not_saved(segmented):
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented)).data["campaign_id"]
    free = run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="mention free shipping over 60")
    assert free.summary.startswith(
        f"Revised campaign {campaign_id} (version 2): added the line “Free shipping over 60.” before the closing "
        "line in all 3 variants."
    )
    assert "Free shipping over 60." in free.approval.preview_text
    calm = run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="less salesy please")
    assert "(version 3): the tone is now calm, new subject lines, new buttons" in calm.summary
    with pytest.raises(UserError, match="unchanged: version 3 already reads that way"):
        run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="less salesy please")
    assert segmented.db.scalar("SELECT max(version) FROM campaign_versions") == 3


def test_a_first_name_added_to_the_subject_shows_where_the_name_goes(segmented):
    """Most recipients' subject reads the same without a name, so the revision must show the name's place."""
    campaign_id = run_tool(segmented, "campaign_draft", segment=1, skus=skus(segmented)).data["campaign_id"]
    asked = "put their first name in the subject"
    result = run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction=asked)
    shown = dict(zip(*(result.tables[0].to_df()[c] for c in ("variant", "subject")), strict=True))
    assert all(subject.startswith("[First name], ") for subject in shown.values()), shown
    assert f"A: “{shown['A']}”" in result.summary
    assert "[First name]" not in result.data["subjects"]["A"]  # what a recipient without a name sees
    with pytest.raises(UserError, match="unchanged: version 2 already reads that way"):  # not "could not apply"
        run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="add their name to the subject")


def test_going_back_to_an_earlier_version_makes_a_new_version_with_its_copy(segmented):
    campaign_id = run_tool(segmented, "campaign_draft", segment=1, skus=skus(segmented)).data["campaign_id"]
    with pytest.raises(UserError, match="only one version"):
        run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="undo that")
    run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="make it shorter")
    run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="add an emoji")

    def copy(version: int) -> str:
        return segmented.db.scalar(
            "SELECT variants::VARCHAR FROM campaign_versions WHERE campaign_id = ? AND version = ?",
            [campaign_id, version],
        )

    back = run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="go back to the previous one")
    assert back.data["version"] == 4 and copy(4) == copy(2)
    assert "back to the copy of version 2" in back.summary
    first = run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="revert to version 1")
    assert first.data["version"] == 5 and copy(5) == copy(1)
    with pytest.raises(UserError, match=r"latest version of campaign \d+ already"):
        run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="go back to version 5")
    with pytest.raises(UserError, match="no version 9"):
        run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction="restore version 9")


def test_undo_again_walks_back_through_the_edits_rather_than_to_and_fro(segmented):
    """It went back and forth: "undo" after an undo went back to the version the first undo had just undone."""
    campaign_id = run_tool(segmented, "campaign_draft", segment=1, skus=skus(segmented)).data["campaign_id"]

    def revise(instruction: str) -> int:
        return run_tool(segmented, "campaign_revise", campaign_id=campaign_id, instruction=instruction).data["version"]

    def copy(version: int) -> str:
        return segmented.db.scalar(
            "SELECT variants::VARCHAR FROM campaign_versions WHERE campaign_id = ? AND version = ?",
            [campaign_id, version],
        )

    assert (revise("make it shorter"), revise("add an emoji"), revise("mention free shipping")) == (2, 3, 4)
    assert revise("undo that") == 5 and copy(5) == copy(3)
    assert revise("undo") == 6 and copy(6) == copy(2), "the emoji goes too, the shipping line stays gone"
    assert revise("revert it") == 7 and copy(7) == copy(1)
    with pytest.raises(UserError, match=r"nothing left to undo: version 7 of campaign \d+ reads as the first draft"):
        revise("undo that")
    assert revise("mention free shipping") == 8 and revise("undo that") == 9 and copy(9) == copy(1)


@pytest.mark.parametrize(
    ("said", "named"),
    [
        ("make variant B's subject shorter", {"B"}),
        ("change the second subject line to 'Last chance'", {"B"}),
        ("make subject C more playful", {"C"}),
        ("warmer copy in option 1 and the last variant", {"A", "C"}),
        ("make it shorter", set()),
        ("make the subject a question", set()),  # the article, not variant A
        ("variant a and variant c: warmer", {"A", "C"}),
        ("go back to version 2", set()),  # a version is the copy over time, not a variant
        ("make variant A more playful", {"A"}),  # a capital A is the label (all three changed)
        ("make the variant a bit warmer", set()),
    ],
)
def test_the_variants_an_instruction_names(said, named):
    from tools.campaigns.copy_points import variants_named

    assert variants_named(said, ["A", "B", "C"]) == named


def test_a_revision_of_one_variant_leaves_the_others_as_they_were(model_shop, fake_openai):
    """ "change the second subject line" rewrote all three subjects (offline), and a model's rewrite of every variant
    was kept whole."""
    fake_openai.reply(json.dumps(HOSTILE_REPLY))
    campaign_id = run_tool(model_shop, "campaign_draft", segment=0, skus=skus(model_shop), variants=2).data[
        "campaign_id"
    ]
    everything = {"variants": [dict(v, subject=f"New {v['angle']}") for v in HOSTILE_REPLY["variants"]]}
    fake_openai.reply(json.dumps(everything))  # the model rewrote both, though one was asked for
    result = run_tool(model_shop, "campaign_revise", campaign_id=campaign_id, instruction="rewrite the second subject")
    before = run_tool(model_shop, "campaign_preview", campaign_id=campaign_id, version=1, variant="A").data["subject"]
    assert result.data["subjects"] == {"A": before, "B": "New curiosity"}


def test_a_preview_for_someone_the_campaign_would_not_reach_says_so(segmented):
    """It showed the email as they would see it, with no word that the campaign's segment leaves them out."""
    campaign_id = run_tool(segmented, "campaign_draft", segment=0, skus=skus(segmented, 1)).data["campaign_id"]
    member = "SELECT customer_id, segment FROM segment_members WHERE segment {} 0 ORDER BY customer_id LIMIT 1"
    inside = segmented.db.rows(member.format("="))[0]
    outside = segmented.db.rows(member.format("<>"))[0]
    preview = run_tool(segmented, "campaign_preview", campaign_id=campaign_id, customer=outside["customer_id"])
    assert (
        f"They are in segment {outside['segment']}, and this campaign is for segment 0: it would not reach them."
        in (preview.summary)
    )
    preview = run_tool(segmented, "campaign_preview", campaign_id=campaign_id, customer=inside["customer_id"])
    assert "would not reach them" not in preview.summary
