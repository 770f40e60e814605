"""Copy without a model: templates give distinct, sensible variants; model answers are sanitised on the way in."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from storage.errors import UserError
from tools.campaigns.brief import ANGLES, CopyBrief, VariantCopy
from tools.campaigns.copy_templates import DEFAULT_FLAVOUR, SUBJECTS, template_copy, template_revision, tone_of
from tools.campaigns.sanitise import MERGE_FIELDS, safe_template

PRODUCTS = [
    {"sku": "TOP-1", "name": "Northlane Soft Cotton T-Shirt", "category": "Tops", "brand": "Northlane", "price": 19.9},
    {"sku": "JEA-2", "name": "Fieldnote Straight Jeans", "category": "Jeans", "brand": "Fieldnote", "price": 59.0},
]


def brief(audience_text="Everyday shoppers", tone=None, products=PRODUCTS, description=None):
    return CopyBrief(products=products, audience=[{"name": audience_text, "description": description}], tone=tone)


@pytest.mark.parametrize("tone", [None, *SUBJECTS])
@pytest.mark.parametrize("count", [1, 3, 5])
def test_every_tone_gives_n_distinct_subjects_each_a_different_angle(tone, count):
    variants = template_copy(brief(tone=tone), count)
    assert [v["variant"] for v in variants] == list("ABCDE"[:count])
    assert len({v["subject"] for v in variants}) == count
    assert len({v["cta_text"] for v in variants}) == count
    assert [v["angle"] for v in variants] == ANGLES[:count]
    for v in variants:
        VariantCopy.model_validate(v)  # template copy passes the same validation as model copy
        assert safe_template(v["subject"]) == v["subject"]  # only plain merge fields


def test_the_first_three_angles_are_benefit_urgency_and_curiosity():
    subjects = [v["subject"] for v in template_copy(brief(), 3)]
    assert "love" in subjects[0]
    assert "today" in subjects[1]
    assert subjects[2].endswith("for you")


def stocked(*units):
    return [dict(p, stock=n) for p, n in zip(PRODUCTS, units, strict=False)]


def all_text(variants):
    return " ".join(" ".join([v["subject"], v["preheader"], v["cta_text"], *v["blocks"]]) for v in variants)


SCARCITY = re.compile(r"selling fast|almost gone|sells? out|going fast|stock lasts|limited|won't wait|most wanted|gone")


@pytest.mark.parametrize("tone", [None, *SUBJECTS])
def test_scarcity_is_claimed_only_when_every_product_is_low_on_stock(tone):
    plenty, unknown, one_low = brief(tone=tone, products=stocked(400, 3)), brief(tone=tone), stocked(12, 400)
    for honest in (plenty, unknown, brief(tone=tone, products=one_low)):
        assert not SCARCITY.search(all_text(template_copy(honest, 5)).lower())
    assert SCARCITY.search(all_text(template_copy(brief(tone="urgent", products=stocked(12, 3)), 5)).lower())


def test_an_urgent_revision_of_well_stocked_products_claims_no_scarcity():
    plenty = brief(products=stocked(400, 250))
    friendly = template_copy(plenty, 5)
    urgent = template_revision(plenty, friendly, "make it urgent")
    assert all(v["tone"] == "urgent" for v in urgent)
    assert not SCARCITY.search(all_text(urgent).lower())
    back = template_revision(plenty, urgent, "make it friendly")
    assert [v["blocks"] for v in back] == [v["blocks"] for v in friendly], "the tone lines swap back exactly"


def test_the_audience_profile_changes_the_wording():
    def body(text):
        return " ".join(template_copy(brief(text), 1)[0]["blocks"])

    assert "quality you expect" in body("Luxury loyalists")
    assert "We'd love to see you back" in body("Lapsed customers, inactive for a year")
    assert "{{ price }}" in body("Bargain hunters who love a deal")
    assert body("Bargain hunters") != body("Luxury loyalists")


def test_names_speak_first_and_negated_phrases_do_not_count():
    def body(name, description):
        return " ".join(template_copy(brief(name, description=description), 1)[0]["blocks"])

    practical = body("Practical shoppers", "customers who lean less to luxury and care less about discounts")
    assert DEFAULT_FLAVOUR in practical
    assert "most loyal" in body("Frequent decisive buyers", "customers who order more often, bought more recently")
    assert "quality you expect" in body("Segment 3", "customers who spend more and lean more to luxury")


def test_one_product_does_not_promise_more():
    single = " ".join(template_copy(brief(products=PRODUCTS[:1]), 1)[0]["blocks"])
    several = " ".join(template_copy(brief(), 1)[0]["blocks"])
    assert "other piece" not in single and "1 other piece we chose" in several


def test_tone_words_map_to_template_tones():
    assert tone_of("elegant") == "luxurious"
    assert tone_of("warmer") == "friendly" and tone_of("make it friendlier") == "friendly"
    assert tone_of("make it more Playful please") == "playful"
    assert tone_of("in a warm voice") == "friendly"
    assert tone_of("a bit less formal") == "friendly" and tone_of("less pushy") == "calm"
    assert tone_of("sonnet") is None and tone_of(None) is None


def test_model_text_is_cleaned_on_validation():
    copy = VariantCopy.model_validate(
        {
            "subject": "<b>Hi</b> {{ first_name }} visit https://evil.example.com/x now",
            "preheader": "{% include 'x' %}",
            "blocks": ["<p>One</p><script>x()</script>", "<em onmouseover='x'>Two</em> www.evil.com"],
            "cta_text": "  Shop   now ",
        }
    )
    assert copy.subject == "Hi {{ first_name }} visit now"
    assert "{" not in copy.preheader
    assert copy.blocks == ["One", "<em>Two</em>"]
    assert copy.cta_text == "Shop now"


def test_copy_that_is_nothing_but_markup_is_refused():
    with pytest.raises(ValidationError, match="subject"):
        VariantCopy.model_validate({"subject": "<script>x</script>", "blocks": ["ok"], "cta_text": "Go"})
    with pytest.raises(ValidationError, match="blocks"):
        VariantCopy.model_validate({"subject": "Hi", "blocks": ["<script>x</script>"], "cta_text": "Go"})


def test_overlong_copy_is_cut_at_a_word_not_refused():
    copy = VariantCopy.model_validate({"subject": "word " * 60, "blocks": ["ok"], "cta_text": "Go"})
    assert len(copy.subject) <= 151 and copy.subject.endswith("word…")


def test_the_template_prompt_lists_every_merge_field():
    from tools.campaigns.copywriting import SYSTEM

    assert all("{{ " + field + " }}" in SYSTEM for field in MERGE_FIELDS)


def test_revisions_keep_what_was_not_asked_for():
    current = template_copy(brief(), 3)
    formal = template_revision(brief(), current, "make the button more formal")
    assert [v["subject"] for v in formal] == [v["subject"] for v in current]
    assert all(f["cta_text"] != c["cta_text"] for f, c in zip(formal, current, strict=True))
    personal = template_revision(brief(), current, "add their first name to the subject")
    assert all(v["subject"].startswith("{{ first_name }}, ") for v in personal)
    plain = template_revision(brief(tone="playful"), template_copy(brief(tone="playful"), 3), "no emoji please")
    assert not any("👋" in v["subject"] or "⏳" in v["subject"] for v in plain)
    shorter = template_revision(brief(), current, "shorter subject")
    assert all(len(s["subject"]) <= len(c["subject"]) for s, c in zip(shorter, current, strict=True))
    assert sum(len(s["subject"]) for s in shorter) < sum(len(c["subject"]) for c in current)
    assert [s["blocks"] for s in shorter] == [c["blocks"] for c in current]


def test_a_discount_code_the_marketer_gives_goes_in_above_the_closing_line():
    current = template_copy(brief(), 3)
    coded = template_revision(brief(), current, "add the code SPRING20 for 10% off")
    for new, old in zip(coded, current, strict=True):
        assert new["blocks"] == [
            *old["blocks"][:-1],
            "Use code <b>SPRING20</b> at checkout for 10% off.",
            old["blocks"][-1],
        ]
    only_b = template_revision(brief(), coded, 'include discount code "vip-5" in variant B')
    assert [v["blocks"] for v in only_b][::2] == [v["blocks"] for v in coded][::2]
    assert only_b[1]["blocks"][-2] == "Use code <b>vip-5</b> at checkout.", "a new code replaces the old one"
    assert sum("Use code" in b for b in only_b[1]["blocks"]) == 1
    shorter = template_revision(brief(), coded, "make it shorter")
    assert all(v["blocks"][-1].startswith("Use code <b>SPRING20</b>") for v in shorter), "shortening keeps the code"


def test_removing_the_discount_takes_out_a_code_never_the_free_shipping_line():
    """ "remove the discount" on a draft with no discount took out its "Free shipping." line."""
    shipping = template_revision(brief(), template_copy(brief(), 2), "mention free shipping")
    with pytest.raises(UserError) as caught:
        template_revision(brief(), shipping, "remove the discount")
    assert caught.value.message == "The draft has no discount code or offer line to remove."
    coded = template_revision(brief(), shipping, "add the code SAVE10")
    uncoded = template_revision(brief(), coded, "remove the discount code")
    assert [v["blocks"] for v in uncoded] == [v["blocks"] for v in shipping]
    plain = template_revision(brief(), shipping, "no free shipping")
    assert all("Free shipping." not in v["blocks"] for v in plain)
    no_offer = template_revision(brief(), coded, "no offer this time")  # every offer line
    assert not any("SAVE10" in b or b == "Free shipping." for v in no_offer for b in v["blocks"])


def test_a_discount_code_is_never_made_up():
    with pytest.raises(UserError) as caught:
        template_revision(brief(), template_copy(brief(), 2), "add a discount code")
    assert "Which discount code" in caught.value.message and "SPRING20" in caught.value.hint


def test_an_unknown_instruction_explains_the_offline_options():
    with pytest.raises(UserError) as caught:
        template_revision(brief(), template_copy(brief(), 2), "translate into Klingon")
    assert "playful" in caught.value.hint and "shorter" in caught.value.hint


@pytest.mark.parametrize(
    ("instruction", "line"),
    [
        ("mention free shipping over 60", "Free shipping over 60."),
        ("say the sale ends Friday", "The sale ends Friday."),
        ("please tell them that the sale ends Friday!", "The sale ends Friday!"),
        ("add a line about our gift wrapping", "And don't forget our gift wrapping."),
        ("mention free returns, see https://evil.example/x", "Free returns."),
        ("add a P.S. saying the sale ends Sunday", "The sale ends Sunday."),  # was ". saying the sale ends Sunday."
        ("add a ps: free gift wrap this week", "Free gift wrap this week."),
        ("put a PS at the end: free delivery over £50", "Free delivery over £50."),  # was refused
    ],
)
def test_without_a_model_a_point_in_the_marketers_words_becomes_its_own_line(instruction, line):
    """ "Mention free shipping" is a revision a marketer expects to work: their words, cleaned, above the close."""
    current = template_copy(brief(), 3)
    revised = template_revision(brief(), current, instruction)
    for new, old in zip(revised, current, strict=True):
        assert new["blocks"] == [*old["blocks"][:-1], line, old["blocks"][-1]]
        assert new["subject"] == old["subject"] and new["cta_text"] == old["cta_text"]
    assert template_revision(brief(), revised, instruction) == revised, "asked twice, it is there once"


@pytest.mark.parametrize(
    "instruction",
    ["less salesy please", "it's too pushy", "not so urgent", "make it softer", "make it sound less like an ad",
     "not such a hard sell", "less promotional please"],
)  # fmt: skip
def test_less_salesy_is_a_calm_tone_with_new_words(instruction):
    current = template_copy(brief(), 3)
    calm = template_revision(brief(), current, instruction)
    assert tone_of(instruction) == "calm" and all(v["tone"] == "calm" for v in calm)
    for new, old in zip(calm, current, strict=True):
        assert new["subject"] != old["subject"] and new["cta_text"] != old["cta_text"]
    assert not re.search(r"don't|miss|now|hurry|today|before", all_text(calm).lower())


@pytest.mark.parametrize("instruction", ["make it punchier", "snappier please", "get to the point"])
def test_without_a_model_punchier_means_a_shorter_body(instruction):
    current = template_copy(brief(), 3)
    punchy = template_revision(brief(), current, instruction)
    assert all(len(" ".join(p["blocks"])) < len(" ".join(c["blocks"])) for p, c in zip(punchy, current, strict=True))


def test_without_a_model_a_subject_can_become_a_question():
    current = template_copy(brief(), 3)
    asked = template_revision(brief(), current, "make the subject a question")
    assert all(v["subject"].endswith("?") for v in asked) and len({v["subject"] for v in asked}) == 3
    assert [v["blocks"] for v in asked] == [v["blocks"] for v in current]
    for v in asked:
        assert safe_template(v["subject"]) == v["subject"]


def test_two_instructions_in_one_sentence_both_apply():
    """ "Warmer and mention free returns": a warmer tone AND the line, not only whichever is read first."""
    urgent = template_copy(brief(tone="urgent"), 3)
    both = template_revision(brief(), urgent, "make it a bit warmer and mention free returns")
    assert all(v["tone"] == "friendly" for v in both)
    for new, old in zip(both, urgent, strict=True):
        assert new["subject"] != old["subject"] and "Free returns." in new["blocks"]
        assert new["blocks"][-2:] == ["Free returns.", new["blocks"][-1]], "the line sits just above the close"


def test_the_point_ends_where_the_next_instruction_begins():
    current = template_copy(brief(), 3)
    both = template_revision(brief(), current, "mention free shipping over 60 and make it more urgent")
    assert all(v["tone"] == "urgent" and "Free shipping over 60." in v["blocks"] for v in both)
    kept = template_revision(brief(), current, "mention free shipping and returns")
    assert all("Free shipping and returns." in v["blocks"] for v in kept), "one point, not cut at 'and'"


def test_shorter_and_the_first_name_in_the_subject_shortens_the_body_not_the_subject():
    current = template_copy(brief(), 3)
    both = template_revision(brief(), current, "shorter and add the first name to the subject")
    for new, old in zip(both, current, strict=True):
        whole = old["subject"][:1].lower() + old["subject"][1:]
        assert new["subject"] == "{{ first_name }}, " + whole, "the whole subject, with the name in front"
        assert len(" ".join(new["blocks"])) < len(" ".join(old["blocks"]))


def test_a_sentence_with_no_part_understood_still_changes_nothing():
    with pytest.raises(UserError, match="could not apply"):
        template_revision(brief(), template_copy(brief(), 2), "translate into Klingon and sing it")


def test_a_subject_in_quotes_is_kept_when_the_same_sentence_changes_the_tone():
    current = template_copy(brief(), 2)
    revised = template_revision(brief(), current, 'subject "Sun, sea and savings" and make it urgent')
    assert [v["subject"] for v in revised] == ["Sun, sea and savings"] * 2 and revised[0]["tone"] == "urgent"


@pytest.mark.parametrize(
    ("instruction", "key", "value"),
    [
        ("change the button to say Shop the sale", "cta_text", "Shop the sale"),
        ("subject line: Last chance for winter coats", "subject", "Last chance for winter coats"),
        ("the button should read See the edit.", "cta_text", "See the edit"),
        ("change the call to action to Shop the collection", "cta_text", "Shop the collection"),  # "could not apply"
        ("set the subject to Our winter edit", "subject", "Our winter edit"),
    ],
)
def test_the_words_for_a_button_or_subject_need_no_quotes(instruction, key, value):
    """ "change the button to say Shop the sale" could not be applied without a model."""
    revised = template_revision(brief(), template_copy(brief(), 2), instruction)
    assert [v[key] for v in revised] == [value] * 2


def test_a_subject_changed_to_something_warmer_is_a_tone_not_those_words():
    current = template_copy(brief(), 2)
    revised = template_revision(brief(), current, "change the subject to something more playful")
    assert revised == template_revision(brief(), current, "make the subject more playful")


def test_a_discount_without_a_code_says_that_a_code_is_needed():
    """ "use a 10% discount" got the generic "could not apply" with the list of what works offline."""
    with pytest.raises(UserError) as caught:
        template_revision(brief(), template_copy(brief(), 2), "use a 10% discount")
    assert "code you have set up in your shop, and I never invent one" in caught.value.message
    assert "SPRING20" in caught.value.hint


@pytest.mark.parametrize("missing", [("category", "brand"), ("category",), ("brand",)])
@pytest.mark.parametrize("tone", [None, *SUBJECTS])
def test_a_product_without_a_category_or_brand_is_never_named_by_them(tone, missing):
    """ "{{ category }} you'll love, just in" reached every recipient as " you'll love, just in" for a log's products.
    Low stock, so the scarcity lines (with the brand and category) are among them too."""
    product = {**PRODUCTS[0], "stock": 3} | dict.fromkeys(missing)
    variants = template_copy(brief(tone=tone, products=[product]), 5)
    for instruction in ("make the subject a question", "make it more urgent", "make it calm"):
        variants += template_revision(brief(tone=tone, products=[product]), variants[:5], instruction)
    text = all_text(variants)
    for fact in missing:
        assert "{{ " + fact + " }}" not in text
    for fact in {"category", "brand"} - set(missing):
        assert "{{ " + fact + " }}" in text, "a fact the shop records is still used"
