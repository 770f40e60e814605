"""Recipes for following a campaign up, and for questions about what happens to the people it reaches.

"Resend to the non-openers", "follow up with everyone who clicked", "email the people who didn't open the
spring sale again": a new draft whose audience is the earlier campaign's recipients who did (or did not) do
that; it is approved and sent like any other (only a person approves, and a send waits for Confirm). The
earlier campaign is the one the text names (by number or by words of its name), else the conversation's when
it was sent, else the newest sent one; the draft tool refuses, saying what to do, when it has not been sent.

"What happens if someone unsubscribes?" and its kin are answered in words, from what the code does.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.planner import audience_words, draft_recipe, glossary, slots
from assistant.planner.memory import Memory, Plan, Request, call
from assistant.planner.recipes import RECIPES, listed_campaigns, recipe, report

SENT = ("sent", "cancelled", "sending", "paused")  # reached somebody (the tool says if it is still going out)
NAME_STOP = {  # words of a request that name no campaign: "resend it to the non-openers" is no "…non-openers" campaign
    "campaign", "email", "emails", "newsletter", "mailing", "edit", "follow", "with", "from", "that", "this", "sale",
    "resend", "again", "openers", "opened", "open", "clicked", "clickers", "click", "people", "everyone", "those",
    "them", "ones", "didn", "didnt", "never", "ignored", "missed", "recipients", "last", "time", "send", "they",
}  # fmt: skip


NEVER_THE_UNSUBSCRIBED = (
    "No: someone who unsubscribed is never emailed again, not once more and not with a discount. Unsubscribing "
    "means no more marketing email (in most places the law says so too, e.g. GDPR and CAN-SPAM), and emailing them "
    "anyway brings spam complaints that hurt delivery to everyone else. Only their own new opt-in brings them back."
)


# "what did the clickers buy", "whats the status of the follow up", "where are we with the follow up email": asked
ASKED_OF_IT = re.compile(r"\W*(?:what|whats|what's|how|where|when|did|does|do|is|are|has|have)\b(?! about\b)")
WRITE = re.compile(  # a verb that asks for the email ("the follow up email" is only its name)
    r"\b(?:send|draft|write|resend|re-send|remind|nudge|follow(?:ing)? up with)\b"
    r"|\b(?:e-?mail|mail|message|contact)\s+(?:them|those|these|the|everyone|everybody|people|all)\b"
)
STATUS = re.compile(r"\b(?:status|where are we|happening|progress|going on|stand)\b")


@recipe("follow_up")
def follow_up(req: Request) -> Plan:
    if audience_words.to_the_unsubscribed(req.lower):  # the follow-up would have gone to everyone else
        return Plan(answer=f"{NEVER_THE_UNSUBSCRIBED}\n\n{FOLLOW_UP_NEXT}")
    if (offered := draft_recipe.with_offer(req)) is not None:  # "… with 10% off"
        return offered
    if ASKED_OF_IT.match(req.lower) and not WRITE.search(req.lower):  # a question drafts nothing, in any round
        if STATUS.search(req.lower):  # "what's the status of the follow up": the campaigns, as they are
            return RECIPES["campaign_list"](req)
        return RECIPES["report"](req)  # "what did the clickers buy": what the report can say of it
    if req.last("campaign_draft"):
        follow = (
            "Look at the preview, then press **Approve**, **Revise** or **Reject**; once approved, say *send it* "
            "(I will ask you to confirm first)."
        )
        return Plan(answer=report(req, follow))
    earlier = slots.number_after(req.text, r"\bcampaign")
    if earlier is None:
        listed = listed_campaigns(req)
        if isinstance(listed, Plan):
            return listed
        earlier = earlier_campaign(req, listed)
    if earlier is None:
        return Plan(
            answer="There is no campaign to follow up yet: a follow-up goes to the people an earlier campaign "
            "reached. Draft one first (*draft an email about ...*), approve and send it, then follow it up."
        )
    arguments: dict[str, Any] = {"follow_up": earlier}
    if wanted := audience_words.engagement(req.text) or listed_engagement(req):
        arguments["engagement"] = wanted
    if tone := slots.tone(req.text):
        arguments["tone"] = tone
    if named := slots.skus(req.text):
        arguments["skus"] = named
    return call("campaign_draft", **arguments)


def listed_engagement(req: Request) -> str | None:
    """ "Follow up with them" right after the recipients who opened but did not click: those, not all it reached."""
    shown = req.before.last_tool == "campaign_recipients" and req.before.shown == "customers"
    return req.before.engagement if shown and re.search(r"\b(?:them|they|those|these)\b", req.lower) else None


def earlier_campaign(req: Request, campaigns: list[dict[str, Any]]) -> int | None:
    """The campaign a follow-up is for: named by words of its name ("the spring sale"), else the conversation's
    if it went out, else the newest that went out, else the conversation's or the newest (the draft tool then
    says it has not been sent)."""
    said = set(re.findall(r"[a-z]{4,}", req.lower)) - NAME_STOP
    names = {int(c["campaign_id"]): str(c.get("name") or "").lower().split(": follow-up to ")[0] for c in campaigns}
    overlap = [(len(said & set(re.findall(r"[a-z]{4,}", names[int(c["campaign_id"])]))), c) for c in campaigns]
    follow_ups = {i for i, c in enumerate(campaigns) if ": follow-up to " in str(c.get("name") or "").lower()}
    ranked = sorted(enumerate(overlap), key=lambda x: (-x[1][0], x[0] in follow_ups, -int(x[1][1]["campaign_id"])))
    named = [c for _, (n, c) in ranked if n]  # "the spring edit": the campaign itself before its follow-ups
    if named:
        return int(named[0]["campaign_id"])
    went = [int(c["campaign_id"]) for c in campaigns if c.get("status") in SENT]
    mine = req.memory.campaign_id
    if mine is not None and mine in went:
        return mine
    if went:
        return max(went)
    if mine is not None:
        return mine
    return max((int(c["campaign_id"]) for c in campaigns), default=None)


# -- what happens to the people a campaign reaches --------------------------------------------------------
UNSUBSCRIBE = (
    "Every email carries an unsubscribe link and a one-click unsubscribe header, so mail apps such as Gmail can "
    "show their own **Unsubscribe** button. One click is enough, with no login or questions: the address goes on "
    "the suppression list at once (reason *unsubscribed*, noting the campaign) and is counted in that campaign's "
    "report. From then on it is left out of **every later campaign**, follow-ups included, and counted as "
    "*unsubscribed* wherever I say who was left out; a send already under way skips it too. No import brings "
    "them back (a file saying *subscribed* leaves their consent at no): only their own new opt-in, recorded by a "
    "person at the shop with PromoPilot's consent resubscribe command, lifts it."
)
BOUNCE = (
    "A message the receiving server refuses is marked *failed* in the campaign's report, with the server's "
    "reply; a temporary refusal is retried a few times first. When the reply says the address itself does not work "
    "(no such user, mailbox disabled: a hard bounce), the address goes on the suppression list at once (reason "
    "*bounced*, noting the campaign and the reply); a spam or policy refusal does not, as the address may be fine. "
    "Bounces that come back later by email are not read here: import your email provider's bounce or "
    "spam-complaint list (or Mailchimp's *cleaned* export) as suppressions. A bounce or a complaint is never "
    "lifted, not even by a new opt-in."
)
RESUBSCRIBE = (
    "Only the person's own new opt-in brings back someone who unsubscribed: a person at the shop records it with "
    'PromoPilot\'s consent resubscribe command, saying what the customer did ("signed up again on the website"); '
    "it is logged, and their consent is yes again. I cannot do it from the chat, and no import does it. A bounced "
    "or complained address is never lifted."
)
TRACKING = (
    "An open is counted when the email's tiny tracking image loads, and a click (which also counts as an open) "
    "when someone follows one of its links. Opens are the rough figure: some mail apps block images, so people "
    "who read it are missed, and Apple Mail's privacy protection loads every image, so some opens are not real. "
    "That is why *did not open* includes some who did. Clicks are the reliable signal. Each person counts once "
    "however often they open or click."
)
VARIANTS = (
    "Yes: a draft has up to three variants (A, B and C), each with its own subject line and opening. When it is "
    "sent, every recipient gets one of them, split evenly by their customer id (so the same person always gets the "
    "same one, even if a send is resumed). The campaign's report then gives opens and clicks per variant, and says "
    "which subject line is ahead. Ask for three subject lines when you draft: *draft an email about ... with 3 "
    "subject lines*."
)
FOLLOW_UP_NEXT = "Next: *who received it*, or *resend to the non-openers*."
# "which one do you think is best" under a draft: no one can tell before it is sent, which is what variants are for
VARIANT_PICK = re.compile(
    r"\bwhich (?:one|variant|version|subject(?: line)?|option|email|of (?:them|these|those|the (?:three|two)))s?\b"
    r"(?!.*\b(?:did|won|was|were|got|had)\b).*\b(?:best|better|win|go (?:with|for)|pick|choose|recommend|prefer"
    r"|perform|work)"
    r"|\b(?:what|which) (?:would|do|should) (?:you|we|i) (?:pick|choose|go (?:with|for)|recommend|send)\b"
    r"|\byour (?:pick|favou?rite|recommendation)\b"
)
PICK = (
    "I can't tell which will do best before it is sent, and a guess from me is no better than yours: that is what "
    "the variants are for. When it is sent, every recipient gets one of them (split evenly by customer id), and the "
    "report then gives opens and clicks per variant and says which subject line is ahead, and whether the gap is more "
    "than chance. Next: press **Approve** when the copy is right, then *send it*; later, *which subject line won?*"
)


BEST_FOR_WHAT = (
    "Best for what? I can rank products for a segment (*which segment fits them*), or show what sells best "
    "(*show the best sellers*); a draft's subject lines are compared once it is sent."
)
# "what's a good discount to offer them", "is 20% off too much": advice no figure here can back
DISCOUNT_ADVICE = re.compile(
    r"^(?=.*(?:\b(?:discounts?|percent(?:age)? off|money off|much off|markdowns?)\b|\d\s?%))"
    r"(?=.*\b(?:offer|give|run|use|go (?:with|for)|afford|work|best|good|right|ideal|enough|too (?:much|little|big)"
    r"|recommend|suggest|should)\b)(?!.*\b(?:did|was|were|had|used|gave|offered)\b)"
    r"\W*(?:(?:so|ok|okay|and|hmm|also|right)\W+)?(?:what|which|how|should|would|is|are|do you|any)\b"
)
DISCOUNT = (
    "I can't say which discount will work: nothing in your data records a discount that was offered and what it did, "
    "so any figure from me would be a guess. Two things help you choose. Your margin is what a discount must fit in "
    "(*show products with margin over 40%*). And your customers' discount appetite, which the fit score already "
    "weighs against that margin (*what does fit score mean?*). When you have picked one, set the code up in your "
    "shop and say it: *add the code SPRING20 for 20% off*. To learn what works, send it to one segment and compare "
    "its report with a campaign without it."
)


def drafting(memory: Memory) -> bool:
    """Whether a draft is what the last answer showed (its copy, preview or reach), not a sent campaign's report."""
    return memory.shown == "campaign" and memory.last_tool != "campaign_report"


@recipe("explain")
def explain(req: Request) -> Plan:
    """Answers from what the code does: unsubscribes, bounces and complaints, opting back in, open tracking,
    subject-line variants, and the frequency cap (its number from the shop's settings); and what a term means
    ("what's the difference between a segment and a shortlist")."""
    if glossary.asked(req.text):
        return Plan(answer=glossary.answer(req.text))
    if DISCOUNT_ADVICE.search(req.lower):
        return Plan(answer=DISCOUNT)
    if VARIANT_PICK.search(req.lower):
        return Plan(answer=PICK if drafting(req.memory) else BEST_FOR_WHAT)
    if OVERRIDE_CAP.search(req.lower):  # "override the 7 day thing": a setting, not the chat's to lift
        seen = req.last("shop_settings")
        if seen is None:
            return call("shop_settings")
        days = int((seen.result.get("data") or {}).get("frequency_cap_days") or 0)
        return Plan(answer=NOT_LIFTED + frequency_cap(days))
    if req.has(
        r"how often|frequen|(?:emailed|mailed|get|gets|receive\w*|sent|send) \w* ?twice|too many emails"
        r"|two (?:emails|campaigns)|same (?:person|customer)|\bcap\b"
        r"|\bwhen (?:can|could|may|will|should) (?:i|we|you)\b"
    ):
        seen = req.last("shop_settings")
        if seen is None:
            return call("shop_settings")
        days = int((seen.result.get("data") or {}).get("frequency_cap_days") or 0)
        return Plan(answer=frequency_cap(days))
    if req.has(
        r"resubscri|re-?subscri|sign(?:ed|s)? ?(?:up|back)|signup|opt(?:ed|s)? (?:back )?in again"
        r"|add (?:them|him|her) back"
    ):
        return Plan(answer=f"{RESUBSCRIBE}\n\n{FOLLOW_UP_NEXT}")
    if req.has(r"\ba/?b\b|split.?test|variants?\b|same version|different versions?|which subject"):
        return Plan(answer=VARIANTS)
    if req.has(r"bounc|spam|junk|complain|undeliver|invalid|blocked|rejected"):
        return Plan(answer=f"{BOUNCE}\n\n{FOLLOW_UP_NEXT}")
    if req.has(r"ope?n|click|track|accura|reliab|pixel|know if|tell if"):
        return Plan(answer=f"{TRACKING}\n\n{FOLLOW_UP_NEXT}")
    return Plan(answer=f"{UNSUBSCRIBE}\n\n{FOLLOW_UP_NEXT}")


# "override the 7 day thing", "ignore the frequency cap", "can we skip the 7-day rule for this one"
OVERRIDE_CAP = re.compile(
    r"\b(?:override|overrule|ignore|skip|lift|bypass|turn off|switch off|disable|get around|work around|remove|drop)"
    r"\b.{0,25}\b(?:\d+[- ]days?|seven[- ]days?|a week'?s?|frequency|cap)\b(?:.{0,10}\b(?:thing|rule|cap|limit|gap))?"
)
NOT_LIFTED = (
    "I cannot lift the frequency cap from the chat: it is a shop-wide setting, changed only by whoever runs "
    "PromoPilot, so that nobody gets two campaigns in a row by mistake. "
)


def frequency_cap(days: int) -> str:
    if days <= 0:
        return (
            "The frequency cap is off in the settings, so the same customer can get several campaigns in a row. "
            "Unsubscribed, bounced and complained addresses are still never emailed."
        )
    return (
        f"Nobody gets two campaigns within **{days} days** (the frequency cap, a setting): anyone emailed in that "
        "time is left out of the next send and counted as *recently emailed*, follow-ups included; a follow-up says "
        "from when its people can be emailed again. A test copy to your own inbox does not count.\n\n"
        "Next: *how many would get it?*"
    )
