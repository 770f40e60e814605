"""One figure of a sent campaign's report, asked for in a marketer's words, said first and right; and questions about
who the shop can email now, asked once a campaign has gone out, answered for the shop, not that campaign."""

# ruff: noqa: S608 - the SQL is the test's own constants

from __future__ import annotations

from datetime import date

import pytest
from scipy.stats import chi2_contingency

from tests.test_new_shop_chat import Chat
from tests.test_report_yardstick import send_one, shop  # noqa: F401 - the fixture
from tools import run_tool
from tools.campaigns.links import campaign_urls

FIGURES = (
    "SELECT variant, count(*) AS sent, count(*) FILTER (WHERE {done}) AS done FROM messages m WHERE status = 'sent' "
    "GROUP BY 1 ORDER BY 1"
)
DID = (
    "EXISTS (SELECT 1 FROM events e WHERE e.customer_id = m.customer_id AND e.campaign_id = m.campaign_id "
    "AND e.kind IN ({kinds}))"
)


def per_variant(ctx, kinds: str) -> list[tuple[str, int, int]]:
    return ctx.db.execute(FIGURES.format(done=DID.format(kinds=kinds))).fetchall()


@pytest.fixture
def chat(shop):  # noqa: F811
    send_one(shop, 3, 12, 40)
    chat = Chat(shop)
    chat.say("how did it do?")
    return chat


def test_the_variant_with_the_best_open_rate_is_by_opens_not_clicks(chat):
    """It named the variant with the highest click rate."""
    opened = per_variant(chat.ctx, "'open', 'click'")
    best = max(opened, key=lambda row: row[2] / row[1])
    answer, _ = chat.say("which variant got the best open rate")
    assert answer.startswith(f"By open rate, **variant {best[0]}**")
    assert f"did best: {best[2] / best[1]:.1%}" in answer


def test_whether_the_variants_differ_by_more_than_chance(chat):
    """It repeated the report."""
    clicked = per_variant(chat.ctx, "'click'")
    p = chi2_contingency([[done, sent - done] for _, sent, done in clicked]).pvalue
    answer, _ = chat.say("is that difference actually significant or just noise")
    verdict = "differ by more than chance would give" if p < 0.05 else "are within what chance gives with these numbers"
    assert answer.startswith("The click rates (") and f"{verdict} (p = {p:.2f})" in answer


@pytest.mark.parametrize(
    ("said", "kinds", "says"),
    [
        ("how many didnt open", "'open', 'click'", "**{rest:,} of the {sent:,}** it reached have not opened it"),
        ("how many people clicked on the parka link", "'click'", "**{done:,}** of the {sent:,} it reached clicked"),
        ("unsubscribe rate?", "'unsubscribe'", "**{rate:.1%}** unsubscribed: {done:,} of the {sent:,}"),
    ],
)
def test_one_figure_asked_is_said_first(chat, said, kinds, says):
    """Each gave the whole report, without the figure asked for (a count of non-openers, clickers; a rate)."""
    rows = per_variant(chat.ctx, kinds)
    sent, done = sum(r[1] for r in rows), sum(r[2] for r in rows)
    answer, _ = chat.say(said)
    assert answer.startswith(says.format(rest=sent - done, sent=sent, done=done, rate=done / sent))


def test_who_cannot_be_emailed_now_is_the_shops_once_a_campaign_went_out(chat):
    """It gave the sent campaign's reach ("its recipients are fixed"), or a menu of readings."""
    chat.ctx.db.execute(
        "INSERT INTO suppressions (email, reason, source) SELECT lower(email), 'unsubscribed', 'test' FROM customers "
        "ORDER BY customer_id LIMIT 7"
    )
    answer, ended = chat.say("how many ppl cant we email at the moment")
    assert [e.name for e in ended] == ["unreachable_customers"]
    assert answer.startswith("7 of your 2,000 customers cannot be emailed now: 7 unsubscribed")
    _, ended = chat.say("how many on the suppression list")
    assert [e.name for e in ended] == ["unreachable_customers"]
    assert ended[0].arguments["reason"] == ["unsubscribed", "suppressed"]


@pytest.mark.parametrize("said", ["how many people have unsubscribed ever", "how many unsubscribes in total"])
def test_unsubscribes_in_all_are_the_shops_even_with_a_draft_in_play(chat, said):
    """It gave the draft's reach ("Nobody it is meant for has unsubscribed"), or the last campaign's report alone."""
    chat.ctx.db.execute(  # as the tracker records them, then an imported list's and two bounces
        "INSERT INTO suppressions (email, reason, source) SELECT DISTINCT lower(c.email), 'unsubscribed', 'campaign' "
        "FROM events e JOIN customers c USING (customer_id) WHERE e.kind = 'unsubscribe'"
    )
    chat.ctx.db.execute(
        "INSERT INTO suppressions (email, reason, source) SELECT lower(email), CASE WHEN customer_id > 'C0001995' "
        "THEN 'bounced' ELSE 'unsubscribed' END, 'import' FROM customers ORDER BY customer_id DESC LIMIT 7"
    )
    unsubscribed = chat.ctx.db.scalar("SELECT count(*) FROM suppressions WHERE reason = 'unsubscribed'")
    chat.say("draft an email about jeans for everyone")
    answer, ended = chat.say(said)
    assert [e.name for e in ended] == ["unreachable_customers"]
    assert answer.startswith(f"**{unsubscribed:,}** customers have unsubscribed in all, from every campaign")


def test_a_send_told_of_is_not_a_send_asked_for(chat):
    """It called campaign_send for the campaign already sent."""
    _, ended = chat.say("that parka send went ok, now i want to do something for the premium crowd")
    assert "campaign_send" not in [e.name for e in ended]


def test_someone_who_wants_off_with_their_address_is_unsubscribed_once_confirmed(chat):
    """The generic help: nothing was unsubscribed."""
    email = chat.ctx.db.scalar("SELECT email FROM customers ORDER BY customer_id LIMIT 1 OFFSET 5")
    _, ended = chat.say(f"Someone Else wants off too, {email}")
    assert [e.name for e in ended] == ["consent_unsubscribe"] and ended[0].confirmation is not None


@pytest.mark.parametrize(
    "said",
    [
        "what about emailing the 11 who unsubscribed one last time with a discount",
        "send a follow up to the people who unsubscribed",
    ],
)
def test_the_people_who_unsubscribed_are_never_emailed_and_it_says_so(chat, said):
    """The first got the generic help; the second drafted a follow-up to everyone the campaign reached, silently."""
    answer, ended = chat.say(said)
    assert ended == [] and answer.startswith("No: someone who unsubscribed is never emailed again")
    _, ended = chat.say("send it to everyone except the people who unsubscribed")
    assert "campaign_send" in [e.name for e in ended], "leaving them out is what a send does anyway"


def test_who_bounced_names_them_with_the_servers_reply(chat):
    """It gave the count alone. Two refusals as the sender records them: a hard bounce (suppressed) and a policy one."""
    hard, policy = (row[0] for row in chat.ctx.db.execute("SELECT customer_id, email FROM messages LIMIT 2").fetchall())
    for customer, reply in ((hard, "550 5.1.1 No such user here"), (policy, "554 5.7.1 Message rejected as spam")):
        chat.ctx.db.execute(
            "UPDATE messages SET status = 'failed', sent_at = NULL, last_reply = ? WHERE customer_id = ?",
            [reply, customer],
        )
    chat.ctx.db.execute(
        "INSERT INTO suppressions (email, reason) SELECT lower(email), 'bounced' FROM messages WHERE customer_id = ?",
        [hard],
    )
    answer, ended = chat.say("who bounced")
    assert answer.startswith("**2** addresses were refused by the receiving mail server when sent: ")
    assert f"{hard} (“550 5.1.1 No such user here”; suppressed as bounced)" in answer
    assert f"{policy} (“554 5.7.1 Message rejected as spam”; not suppressed)" in answer
    assert ended[-1].arguments["who"] == "bounced"
    first = ended[-1].result.tables[0].to_df()["customer_id"].iloc[0]
    _, ended = chat.say("tell me about the first one")  # the list is what "the first one" points at
    assert [(e.name, e.arguments["customer"]) for e in ended] == [("customer_card", first)]


def test_when_it_was_sent_is_its_first_message(chat):
    """It repeated the report."""
    first = chat.ctx.db.scalar("SELECT min(sent_at) FROM messages WHERE status = 'sent'")
    answer, _ = chat.say("when was it sent")
    assert answer.startswith(f"Campaign 1 went out on **{first:%-d %b %Y at %H:%M}**")


@pytest.mark.parametrize("said", ["did anyone complain", "any spam complaints?", "did people mark it as spam"])
def test_spam_complaints_are_said_to_be_the_providers(chat, said):
    """It repeated the report, or checked the data for problems ("any spam complaints?")."""
    answer, ended = chat.say(said)
    assert [e.name for e in ended] == ["campaign_report"]
    assert answer.startswith("Spam complaints go to your email provider, not back to PromoPilot")


@pytest.mark.parametrize("said", ["override the 7 day thing", "can we ignore the frequency cap for this one"])
def test_the_frequency_cap_is_not_lifted_from_the_chat(chat, said):
    """It offered a menu of unrelated readings (revise the draft, fix the data)."""
    answer, ended = chat.say(said)
    assert answer.startswith("I cannot lift the frequency cap from the chat")
    assert [e.name for e in ended] == ["shop_settings"]


def test_engagement_asked_with_only_a_draft_says_nothing_went_out(demo_ctx):
    """ "has anybody clicked" with one draft and nothing sent asked for the draft's report until the rounds ran out
    (seven refusals in one turn)."""
    from tools import run_tool

    sku = demo_ctx.db.scalar("SELECT sku FROM products ORDER BY sku LIMIT 1")
    run_tool(demo_ctx, "campaign_draft", skus=[sku], variants=1)
    answer, ended = Chat(demo_ctx).say("has anybody clicked")
    assert [e.name for e in ended].count("campaign_report") == 1
    said = "Campaign 1 has not been sent yet (status: draft). No campaign has been sent yet, so there are no opens"
    assert answer.startswith(said + " or clicks to report.")
    assert "*show campaign 1*" in answer


def test_a_call_that_failed_is_not_made_again_in_the_same_turn(demo_ctx, monkeypatch):
    """A recipe that asks again for what just failed (as the report did for a draft) gets its error said once,
    not the same refusal until the rounds run out."""
    from assistant.planner.memory import call
    from assistant.planner.recipes import RECIPES

    monkeypatch.setitem(RECIPES, "report", lambda req: call("campaign_report", campaign_id=99))
    answer, ended = Chat(demo_ctx).say("how are we doing?")
    assert [e.name for e in ended] == ["campaign_report"]
    assert answer.startswith("There is no campaign 99.")


def test_which_links_were_clicked_is_told_by_what_they_show(shop):  # noqa: F811
    """Which links were clicked was recorded but never told ("which links did people click" listed the clickers); the
    lookup that found the campaign was told before the report ("1 campaign: 1 sent.")."""
    send_one(shop, 3, 12, 40)
    main_button = campaign_urls(shop.db, shop.settings, 1)[0]  # where the tracker sends a click on it (and records)
    shop.db.execute("UPDATE events SET url = ? WHERE kind = 'click'", [main_button])
    clickers = shop.db.scalar("SELECT count(DISTINCT customer_id) FROM events WHERE kind = 'click'")
    answer, ended = Chat(shop).say("which links did people click")
    assert [e.name for e in ended] == ["campaign_list", "campaign_report"]
    assert answer.startswith(f"Clicked, most people first: the main button ({clickers:,} people).\n\nCampaign ")
    for said in ("most clicked link?", "what was clicked most"):
        answer, _ = Chat(shop).say(said)
        assert answer.startswith("Clicked, most people first: the main button"), said


def test_a_rate_or_the_winner_asked_in_other_words_is_said_first(chat):
    """ "did the parka email work" asked what was meant; the click-through rate, the winner and the phone question
    got the whole report, the figure asked for somewhere in it or nowhere."""
    _, ended = chat.say("did the parka email work")
    assert [e.name for e in ended][-1] == "campaign_report"
    rows = per_variant(chat.ctx, "'click'")
    sent, clicked = sum(r[1] for r in rows), sum(r[2] for r in rows)
    answer, _ = chat.say("what was the click through rate")
    assert answer.startswith(f"**{clicked / sent:.1%}** clicked a link: {clicked:,} of the {sent:,} it reached.")
    best = max(rows, key=lambda row: row[2] / row[1])
    answer, _ = chat.say("which variant won")
    assert answer.startswith(f"By click rate, **variant {best[0]}**")
    answer, _ = chat.say("how many people opened it on their phone")
    assert answer.startswith("Which device or mail app people read it on is not recorded")


def test_after_drafting_a_follow_up_a_question_is_not_a_draft_and_scrap_that_keeps_it(chat):
    """ "when can I email the openers again" drafted a follow-up to them; "actually scrap that" asked whether to
    cancel or reject; "show me everyone who unsubscribed from it" gave the draft's reach ("nobody")."""
    _, ended = chat.say("resend to those who didn't open")
    drafted = ended[-1].result.data["campaign_id"]
    answer, ended = chat.say("actually scrap that")
    assert ended == [] and answer.startswith(f"No problem. Nothing was sent: campaign {drafted} stays a draft")
    answer, ended = chat.say("when can I email the openers again")
    assert [e.name for e in ended] == ["shop_settings"] and "frequency cap" in answer
    _, ended = chat.say("show me everyone who unsubscribed from it")
    assert (ended[-1].name, ended[-1].arguments) == ("campaign_report", {"campaign_id": 1, "who": "unsubscribed"})
    unsubscribed = chat.ctx.db.scalar("SELECT count(DISTINCT customer_id) FROM events WHERE kind = 'unsubscribe'")
    assert len(ended[-1].result.tables[0].to_df()) == unsubscribed


@pytest.mark.parametrize(
    ("said", "when"),
    [
        ("how many emails have we sent this month", " this month ("),
        ("how many emails did we send in total", ""),
        ("how many customers received an email from us this year", " this year ("),
    ],
)
def test_how_many_emails_went_out_counts_the_messages_not_the_campaigns(chat, said, when):
    """It said "1 campaign: 1 sent." (the campaign list), or asked what was meant."""
    sent, failed = chat.ctx.db.execute(
        "SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'failed') FROM messages"
    ).fetchone()
    assert sent > 1
    answer, ended = Chat(chat.ctx, today=date.today()).say(said)  # sent today
    assert [e.name for e in ended] == ["query_data"]
    assert answer.startswith(f"**{sent:,} emails** went out{when}")
    assert "from 1 campaign." in answer and ("could not be delivered" in answer) == bool(failed)


def test_no_email_went_out_in_a_period_before_the_send(chat):
    answer, _ = Chat(chat.ctx, today=date.today()).say("how many people did we email last year")
    assert answer.startswith(f"No email was sent last year (1 Jan–31 Dec {date.today().year - 1})")


def test_how_many_a_sent_campaign_went_to_does_not_say_to_approve_it(chat):
    """Its reach ended "When the copy is right, press Approve under the preview, then send it"."""
    answer, _ = chat.say("how many emails did the parka campaign send")
    assert "Approve" not in answer and "is sent: its recipients are fixed" in answer


def test_follow_up_with_them_is_for_the_recipients_just_listed(chat):
    """ "Follow up with them" after "who opened but didn't click" drafted a follow-up to everyone it reached, and
    "who clicked" after that said the new draft had not been sent."""
    openers = per_variant(chat.ctx, "'open', 'click'")
    clickers = sum(done for _, _, done in per_variant(chat.ctx, "'click'"))
    chat.say("who opened but didnt click")
    _, ended = chat.say("follow up with them")
    assert ended[-1].name == "campaign_draft" and ended[-1].arguments["engagement"] == "opened_not_clicked"
    assert f"It follows up the {sum(d for _, _, d in openers) - clickers:,} customers who opened but did not click" in (
        ended[-1].result.summary
    )
    answer, ended = chat.say("who clicked")
    assert answer.startswith("Campaign 2 is not sent yet, so this is campaign 1, the last one sent. ")
    assert f"{clickers:,} of them clicked it" in answer
    _, ended = chat.say("follow up with them with a 10% code")
    assert [e.name for e in ended][-2:] == ["campaign_draft", "campaign_revise"]
    assert ended[-2].arguments["engagement"] == "clicked" and ended[-1].arguments["instruction"] == "mention 10% off"


def test_how_many_opened_it_is_the_count(chat):
    """It gave the whole report, with the open rate and never the count."""
    rows = per_variant(chat.ctx, "'open', 'click'")
    sent, opened = sum(r[1] for r in rows), sum(r[2] for r in rows)
    answer, _ = chat.say("how many opened it")
    assert answer.startswith(f"**{opened:,}** of the {sent:,} it reached opened it ({opened / sent:.1%}")


def test_why_they_unsubscribed_is_not_known_and_said_so(chat):
    """It repeated the report."""
    rows = per_variant(chat.ctx, "'unsubscribe'")
    answer, _ = chat.say("why did they unsubscribe")
    assert answer.startswith("Nobody is asked why: unsubscribing is one click")
    assert f"**{sum(r[2] for r in rows):,} of the {sum(r[1] for r in rows):,}** it reached unsubscribed" in answer


@pytest.mark.parametrize(
    ("listed", "kind"), [("who clicked?", "('click')"), ("show me the people who opened", "('open', 'click')")]
)
def test_which_of_those_after_the_recipients_asks_of_all_of_them_not_the_rows_shown(chat, listed, kind):
    """ "which of those are high spenders" after "who clicked?" ranked the 10 ids the model was shown, not the
    clickers: its top one was not the clickers' top spender."""
    theirs = chat.ctx.db.execute(
        f"SELECT b.total_spent, count(*) OVER () FROM messages m JOIN customer_behavior b USING (customer_id) "
        f"WHERE m.status = 'sent' AND {DID.format(kinds=kind[1:-1])} ORDER BY 1 DESC LIMIT 3"
    ).fetchall()
    chat.say(listed)
    answer, ended = chat.say("which of those are high spenders?")
    assert answer.startswith(f"Your 10 best customers of those {theirs[0][1]:,} by total spend")
    assert f"**€{theirs[0][0]:,.2f}**" in answer
    _, ended = chat.say("the top 3")
    assert ended[-1].result.tables[0].to_df()["Total spent"].tolist() == [round(t[0], 2) for t in theirs]


OPENED = DID.format(kinds="'open', 'click'")
IN_SEGMENT = (
    "SELECT count(*) FROM messages m JOIN segment_members s USING (customer_id) JOIN segment_runs r USING (run_id) "
    f"WHERE r.is_active AND s.segment = ? AND m.status = 'sent' AND {OPENED}"
)


def test_how_many_of_the_openers_are_in_a_group_is_counted_not_drafted(chat):
    """ "how many of the openers are in the Recent decisive buyers group" drafted a follow-up to the openers; "how
    many of them are in group 1" showed segment 1's card."""
    run_tool(chat.ctx, "segment_run", k=4)
    name = chat.ctx.db.scalar(
        "SELECT name FROM segments JOIN segment_runs USING (run_id) WHERE is_active AND segment = 2"
    )
    openers = chat.ctx.db.scalar(f"SELECT count(*) FROM messages m WHERE m.status = 'sent' AND {OPENED}")
    chat.say("show me the people who opened")
    answer, ended = chat.say(f"how many of the openers are in the {name} group")
    assert not any(e.name == "campaign_draft" for e in ended)
    in_two, in_one = (chat.ctx.db.scalar(IN_SEGMENT, [n]) for n in (2, 1))
    assert answer.startswith(f"**{in_two:,} of those {openers:,} customers** are in segment 2")
    chat.say("who opened it?")
    answer, _ = chat.say("how many of them are in group 1")
    assert answer.startswith(f"**{in_one:,} of those {openers:,} customers** are in segment 1")
