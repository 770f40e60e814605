"""The report recipe: how a sent campaign did, in words ("how did it do?", "which segment responded best?", "did it
make us any money?"); for a draft, what can be said before it is sent (its reach, how long sending takes).

Split from campaign_recipes.py, whose `campaign_action` and `recipients` it uses.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from assistant.planner import audience_words, emails_sent, guards, periods, slots
from assistant.planner.campaign_recipes import campaign_action, recipients, who_asked
from assistant.planner.memory import Plan, Request, call
from assistant.planner.recipes import RECIPES, recipe
from assistant.present import plain


@recipe("report")
def report_recipe(req: Request) -> Plan:
    """The report; with nothing opened yet it says so in words, with the delivery figures, not empty rates. Asked
    right after drafting (a follow-up, say) with no campaign named, it is the report of the campaign sent last."""
    if emails_sent.asked(req.text):  # "how many emails have we sent this month": every campaign's, counted
        return emails_sent.plan(req)
    switched = sent_instead(req)
    plan = _report(req)
    if switched and plan.answer and not plan.calls:
        drafted, sent = switched
        return Plan(answer=f"Campaign {drafted} is not sent yet, so this is campaign {sent}, the last one sent. "
                    + plan.answer)  # fmt: skip
    return plan


def _report(req: Request) -> Plan:
    not_engaged = (audience_words.engagement(req.text) or "").startswith(("not_", "opened_not"))
    if not req.done and who_asked(req.lower) and not_engaged:
        return recipients(req)  # "who didn't open it": those people, not the openers
    if req.last("campaign_recipients"):
        return recipients(req)
    everyone = req.has(r"unsubscri|opt(?:ed)?.?out") and SHOP_WIDE.search(req.lower)
    if listed := req.last("unreachable_customers"):  # "how many unsubscribed" before any campaign: the shop's lists
        said = plain(listed.result.get("summary") or listed.result.get("error") or "")
        if everyone:
            unsubscribed = int(((listed.result.get("data") or {}).get("excluded") or {}).get("unsubscribed") or 0)
            have = "customer has" if unsubscribed == 1 else "customers have"
            return Plan(answer=f"**{unsubscribed:,}** {have} unsubscribed in all, from every campaign and every list "
                        f"you imported. {said}")  # fmt: skip
        return Plan(answer=f"No campaign has gone out yet, so this is from your imported lists: {said}")
    if everyone:  # "how many have unsubscribed ever": the shop's, not the last campaign's
        return call("unreachable_customers", reason=["unsubscribed", "suppressed"])
    plan = campaign_action("campaign_report", "Opens and clicks keep arriving; ask again later.")(req)
    if plan.answer.startswith("There is no campaign yet"):
        if req.has(r"unsubscrib|opt(?:ed)?.?out|suppress"):
            return call("unreachable_customers", reason=["unsubscribed", "suppressed"])
        if periods.periods(req.text, req.today):  # "how was 2004", with no campaign: how the shop did then
            req.done = [step for step in req.done if step.name != "campaign_list"]
            return RECIPES["analytics"](req)
    step = req.last("campaign_report")
    data = (step.result.get("data") or {}) if step and step.ok else {}
    if step and not step.ok and "not been sent" in str(step.result.get("error")):  # a draft: its copy, not figures
        # "how long will sending take": the reach gives the time; "how many of them opted out": who it leaves out
        asks_a_rate = req.has(r"\brate\b|percent|%|been like")  # "what's the unsubscribe rate been like": a sent one's
        people = who_asked(req.lower) and not req.has(r"\b(?:will|would|could)\b")  # "show me who unsubscribed": sent
        if (
            not asks_a_rate
            and not people
            and req.has(
                r"how long|when will|finish|opt(?:ed)?.?out|unsubscri|left out|excluded|can'?t (?:get|be e-?mail)"
            )
        ):
            if (reached := req.last("campaign_reach")) is None:
                return call("campaign_reach", campaign_id=step.arguments.get("campaign_id"))
            said = plain(reached.result.get("summary") or reached.result.get("error") or "")
            excluded = (reached.result.get("data") or {}).get("excluded") or {}
            said_no = excluded.get("unsubscribed") or excluded.get("no_consent")
            if req.has(r"opt(?:ed)?.?out|unsubscri") and not said_no:
                said = f"Nobody it is meant for has unsubscribed or opted out. {said}"
            return Plan(answer=said)
        if (instead := last_sent(req, int(step.arguments.get("campaign_id") or 0))) is not None:
            return instead  # "how many bounced" after drafting a follow-up: the campaign that went out
        drafted, none_sent = step.arguments.get("campaign_id"), not sent_ids(req)
        said = plain(step.result.get("error") or "")
        first = f"{said} No campaign has been sent yet, so there are no opens or clicks to report." if none_sent else ""
        return Plan(answer=f"{first or plan.answer}\n\nNext: *show campaign {drafted}*.")
    if not plan.calls and data and req.has(r"bounc") and step.arguments.get("who") == "bounced":  # "who bounced"
        return Plan(answer=f"{bounced(step.records())}\n\n{plan.answer}")
    if not plan.calls and data and req.has(r"bounc"):  # "how many bounced": the refusals at sending are what it knows
        failed = int(data.get("failed") or 0)
        return Plan(
            answer=f"**{failed:,}** {'was' if failed == 1 else 'were'} refused by the receiving mail server when sent "
            "(*failed* in the report); an address refused as unknown or disabled (a hard bounce) is on the suppression "
            "list now, so it is not emailed again. Bounces that come back later by email are not read here: import "
            f"your email provider's bounce list as suppressions, and those are never emailed again.\n\n{plan.answer}"
        )
    if not plan.calls and data and SENT_WHEN.search(req.lower):  # "when was it sent"
        return Plan(answer=f"{sent_when(data)}\n\n{plan.answer}")
    if not plan.calls and data and COMPLAINTS.search(req.lower):  # "did anyone complain": not told to PromoPilot
        return Plan(answer=f"{NO_COMPLAINTS}\n\n{plan.answer}")
    if not plan.calls and data and req.has(SALES_ASKED):  # "did the email make us any money": not known here
        return Plan(answer=f"{NO_ATTRIBUTION}\n\n{plan.answer}")
    if not plan.calls and data.get("unique_opens") and guards.ENGAGED_SEGMENT.search(req.lower):
        return Plan(answer=f"{segment_response(data)}\n\n{plan.answer}")  # "which segment responded best"
    if not plan.calls and data.get("sent") and LINKS_ASKED.search(req.lower):  # "which links did they click"
        return Plan(answer=f"{links_clicked(data)}\n\n{plan.answer}")
    if not plan.calls and data.get("sent") and (said := figure_asked(req.lower, data)):  # "how many didn't open"
        return Plan(answer=f"{said}\n\n{plan.answer}")
    if not plan.calls and data and HOW_GOOD.search(req.lower):  # "is that good?": against the shop's own campaigns
        return Plan(answer=f"{how_good(data)}\n\n{plan.answer}")
    if plan.calls or not data or data.get("unique_opens"):
        return plan
    sent, failed, waiting = (int(data.get(key) or 0) for key in ("sent", "failed", "waiting"))
    left = {"sent": "It has finished sending", "sending": f"Still sending, {waiting:,} to go", "paused": "Paused"}
    unsubscribed = int(data.get("unsubscribes") or 0)
    return Plan(
        answer=f"No one has opened campaign {data.get('campaign_id')} yet, and "
        f"{f'{unsubscribed:,} unsubscribed' if unsubscribed else 'nobody has unsubscribed'}. "
        f"{left.get(str(data.get('status')), 'Delivery so far')}: **{sent:,} sent**, {failed:,} failed, "
        f"{int(data.get('skipped') or 0):,} skipped. Opens and clicks arrive over hours or days (some mail apps "
        "never report opens).\n\nNext: *how did it do?* again later."
    )


# "how many people have unsubscribed ever", "unsubscribes in total": the shop's, whichever campaign or list it was
SHOP_WIDE = re.compile(
    r"\b(?:ever|in total|altogether|all told|in all|overall|all[- ]time|to date|so far in total"
    r"|since (?:we|the) start\w*"
    r"|(?:across|over|from) (?:all|every)(?: (?:of )?(?:the|our))? (?:campaigns?|emails?|sends?))\b"
)
# "which links did people click", "what did they click on", "the most clicked product": the links, not the rate
LINKS_ASKED = re.compile(
    r"\b(?:which|what) (?:links?|urls?|products?|buttons?|items?)\b.*\bclick|\bwhat did (?:\w+ )?click(?:ed)? on\b"
    r"|\bmost[- ]clicked\b|\bclicks? (?:by|per) (?:link|product|url)\b|\bclicked on what\b|\bclick map\b"
    r"|\bwhat (?:was|got|did \w+) clicked\b|\bclicked (?:on )?(?:the )?most\b"
)


def links_clicked(data: dict[str, Any]) -> str:
    """The links clicked, most people first: "the main button (12 people), WOOL COAT (3 people)"."""
    links = data.get("links") or []
    if not links:
        return "Nobody has clicked a link in it yet."
    told = ", ".join(
        f"{link['link']} ({link['people']:,} {'person' if link['people'] == 1 else 'people'})" for link in links[:5]
    )
    more = f", and {len(links) - 5:,} more in the table" if len(links) > 5 else ""
    return f"Clicked, most people first: {told}{more}."


SENT_WHEN = re.compile(
    r"\bwhen (?:was|did|were) (?:it|that|the (?:campaign|e-?mail|newsletter|send|emails)|campaign \d+)\b"
    r"(?: \w+)? (?:sent|go out|went out|send|delivered)\b|\bwhat (?:time|day|date) (?:was|did) (?:it|the \w+) "
    r"(?:sent|go out|send)\b|\bsend (?:time|date)\b"
)
COMPLAINTS = re.compile(
    r"\bcomplain\w*|\bspam (?:reports?|complaints?|flags?)\b|\b(?:mark|report|flag)(?:ed|s)? (?:it |us |them )?as "
    r"(?:spam|junk)\b|\babuse reports?\b"
)
NO_COMPLAINTS = (
    "Spam complaints go to your email provider, not back to PromoPilot, so none are counted here: when someone "
    "marks the email as spam, their mail service tells the sender's provider. Ask your provider for its complaint "
    "list and import it as suppressions (reason *complaint*): those addresses are never emailed again. The "
    "unsubscribes in the report are the people who asked to stop."
)


def bounced(rows: list[dict[str, Any]]) -> str:
    """The addresses the receiving server refused at sending, with its reply and whether they are suppressed now."""
    if not rows:
        return "No address was refused when it was sent."
    listed = "; ".join(
        f"{r['customer_id']} (“{r['Server reply'] or 'no reply'}”; "
        f"{'not suppressed' if r['Suppressed'] == 'not suppressed' else 'suppressed as ' + str(r['Suppressed'])})"
        for r in rows[:5]
    )
    more = f" and {len(rows) - 5:,} more in the table" if len(rows) > 5 else ""
    return (
        f"**{len(rows):,}** {'address was' if len(rows) == 1 else 'addresses were'} refused by the receiving mail "
        f"server when sent: {listed}{more}. A hard bounce (no such address) is suppressed at once; a spam or policy "
        "refusal is not, as the address may be fine."
    )


def sent_when(data: dict[str, Any]) -> str:
    first, last = data.get("first_sent"), data.get("last_sent")
    if not first:
        return f"Campaign {data.get('campaign_id')} has not sent any message yet."
    said = [datetime.fromisoformat(t).strftime("%-d %b %Y at %H:%M") for t in (first, last or first)]
    lasted = f"; the last message at {said[1]}" if said[1] != said[0] else ""
    return f"Campaign {data.get('campaign_id')} went out on **{said[0]}**{lasted}."


def last_sent(req: Request, drafted: int) -> Plan | None:
    """The calls for the results of the campaign sent last, when the one in play is an unsent draft no request named
    ("which variant won" right after drafting a follow-up); None when a campaign was named or none was sent."""
    if slots.number_after(req.text, r"\bcampaign") is not None or req.vocabulary().campaign_named(req.text):
        return None
    sent = sent_ids(req)
    if sent is None:
        return call("campaign_list", status="sent")
    sent = [c for c in sent if c != drafted]
    who = {"who": w} if (w := who_asked(req.lower)) else {}  # "show me everyone who unsubscribed from it": them
    return call("campaign_report", campaign_id=max(sent), **who) if sent else None


def sent_ids(req: Request) -> list[int] | None:
    """The sent campaigns this turn listed (None before it listed them). Only the sent: a list of every campaign
    (looked up to find the one in play) has the draft too, and reporting on it again asked the same question until
    the rounds ran out ("has anybody clicked" with only a draft)."""
    listed = next((s for s in reversed(req.done) if s.name == "campaign_list" and s.arguments.get("status") == "sent"),
                  None)  # fmt: skip
    if listed is None:
        return None
    return [int(c) for c in listed.rows("campaign_id")] if listed.ok else []


def sent_instead(req: Request) -> tuple[int, int] | None:
    """(the draft, the campaign sent last) once `last_sent` reported on the latter; the draft's refusal is then
    taken out of this turn's steps (the list looked up is never told), so the answer is that report alone."""
    refused = [s for s in req.done if s.name == "campaign_report" and "not been sent" in str(s.result.get("error"))]
    reported = [s for s in req.done if s.name == "campaign_report" and s.ok]
    if not (refused and reported and req.last("campaign_list")):
        return None
    req.done = [s for s in req.done if s not in refused]
    return int(refused[0].arguments["campaign_id"]), int(reported[-1].arguments["campaign_id"])


SALES_ASKED = r"\b(?:money|revenue|sales|sell|sold|roi|return on|convert\w*|conversions?|purchas\w*|bought|buy)\b"
NO_ATTRIBUTION = (
    "I cannot tell what it sold: orders are not linked to emails here (no purchase tracking after a click), so any "
    "figure would be a guess. What it did measure: opens, clicks and unsubscribes."
)


def segment_response(data: dict[str, Any]) -> str:
    """The segment that clicked most, with how many it was sent to (a small one's rate says little)."""
    groups = [g for g in data.get("by_segment") or [] if g.get("sent") and g.get("segment") is not None]
    if len(groups) < 2:
        return f"Campaign {data.get('campaign_id')} went to one audience, so there is no segment to compare it with."
    best = max(groups, key=lambda g: (g.get("click_rate") or 0, g["sent"]))
    return (
        f"By segment, **{best['segment_name']}** (segment {best['segment']}) clicked most: {best['click_rate']:.1%} "
        f"of the {best['sent']:,} it was sent to, against {data.get('click_rate') or 0:.1%} overall."
    )


# "is that good?", "is 30% decent", "how does that compare", "what's the industry average": a yardstick asked for
HOW_GOOD = re.compile(
    r"\b(?:is|was|are|were|seems?|sounds?|looks?)\b.{0,25}\b(?:good|bad|ok|okay|decent|normal|high|low|alright|healthy"
    r"|poor|great|average)\b|\bhow (?:does|did) (?:that|this|it|we) compare|\bcompared? to (?:the )?(?:others|usual"
    r"|normal|average|industry|before|last time)|\b(?:industry|benchmark|typical|usual)\b"
)
NO_YARDSTICK = (
    "I keep no industry averages: they differ by sector, and some mail apps (Apple Mail) now open emails on their own, "
    "which makes open rates look higher than they are. Clicks and unsubscribes are the surer signs."
)


def how_good(data: dict[str, Any]) -> str:
    """The campaign against the shop's other sent campaigns, pooled; with none, what it can be judged by instead."""
    sent = int(data.get("sent") or 0)
    rates = {
        "opened": data.get("open_rate") or 0,
        "clicked": data.get("click_rate") or 0,
        "unsubscribed": int(data.get("unsubscribes") or 0) / sent if sent else 0,
    }
    others = data.get("other_campaigns") or {}
    if not others.get("campaigns"):
        return (
            f"Campaign {data.get('campaign_id')} is the first you have sent, so there is nothing of yours to compare "
            f"it with yet. {NO_YARDSTICK} Your next campaign will have this one to beat."
        )
    before = {
        "opened": others["open_rate"],
        "clicked": others["click_rate"],
        "unsubscribed": others["unsubscribe_rate"],
    }
    n = int(others["campaigns"])
    said = ", ".join(f"{what} {rates[what]:.1%} against {before[what] or 0:.1%}" for what in rates)
    better = rates["clicked"] >= (before["clicked"] or 0) and rates["unsubscribed"] <= (before["unsubscribed"] or 0)
    worse = rates["clicked"] < (before["clicked"] or 0) and rates["unsubscribed"] > (before["unsubscribed"] or 0)
    verdict = "better than" if better else "worse than" if worse else "mixed against"
    return (
        f"Against your other {n} campaign{'s' if n != 1 else ''} ({int(others['sent']):,} emails), campaign "
        f"{data.get('campaign_id')} did **{verdict}** usual: {said}. {NO_YARDSTICK}"
    )


NOISE = re.compile(r"significan|\bnoise\b|\bchance\b|\bluck|\bfluke|\breal (?:difference|winner)|statistic|confiden")
BEST_OPENED = re.compile(r"(?=.*\b(?:variant|version|subject)).*(?=.*\bopen).*\b(?:best|highest|most|won|wins?|top)\b")
NOT_OPENED = re.compile(r"\bhow many\b.*\b(?:didn'?t|did not|haven'?t|have not|not yet|never) (?:open|read)")
UNSUBSCRIBE_RATE = re.compile(r"\b(?:unsub\w*|opt.?outs?) rate\b|\brate of (?:unsub|opt)")
CLICKED = re.compile(r"\bhow many\b(?!.*\b(?:didn'?t|did not|not)\b).*\bclick")
OPENED = re.compile(r"\bhow many\b(?!.*\b(?:didn'?t|did not|not|never)\b)(?!.*\brate\b).*\b(?:opened|open|read)\b")
UNSUBSCRIBED = re.compile(r"\bhow many\b(?!.*\brate\b).*\b(?:unsubscribed|unsubscribes|opted out|opt.?outs)\b")
# "why did they unsubscribe": no reason is asked for (one click, as the law and the inbox providers want)
WHY_UNSUBSCRIBED = re.compile(r"\bwhy\b.*\b(?:unsubscri\w*|opt(?:ed)?.?out|left (?:the|our) list)")
JUDGED = re.compile(r"\b(?:industry|average|benchmark|typical|normal|decent|good|bad|compare\w*|vs|versus)\b")
CLICK_RATE = re.compile(r"\bclick(?:[- ]?through)?[- ]rates?\b|\bctr\b")
OPEN_RATE = re.compile(r"\bopen(?:ing)?[- ]rates?\b")
BEST_CLICKED = re.compile(
    r"\bwhich (?:variant|version|subject(?: line)?|one)s?\b.*\b(?:won|wins?|best|better|ahead|top)\b"
)
DEVICE = re.compile(r"\b(?:phones?|mobiles?|desktops?|devices?|tablets?|iphones?|android|laptops?|mail apps?)\b")


def figure_asked(text: str, data: dict[str, Any]) -> str | None:
    """One figure of the report a question asks for, said first (the report follows); None for the whole report."""
    sent, opens, clicks = (int(data.get(key) or 0) for key in ("sent", "unique_opens", "unique_clicks"))
    variants = [v for v in data.get("by_variant") or [] if v.get("sent")]
    if NOISE.search(text) and len(variants) > 1:
        return variants_noise(data, variants)
    if BEST_OPENED.search(text) and len(variants) > 1 and opens:
        ranked = sorted(variants, key=lambda v: -(v.get("open_rate") or 0))
        best, rest = ranked[0], ", ".join(f"{(v.get('open_rate') or 0):.1%} for {v['variant']}" for v in ranked[1:])
        subject = f" (“{best['subject']}”)" if best.get("subject") else ""
        return f"By open rate, **variant {best['variant']}**{subject} did best: {best['open_rate']:.1%}; {rest}."
    if BEST_CLICKED.search(text) and len(variants) > 1 and clicks:  # "which variant won": by clicks, the reliable one
        ranked = sorted(variants, key=lambda v: -(v.get("click_rate") or 0))
        best, rest = ranked[0], ", ".join(f"{(v.get('click_rate') or 0):.1%} for {v['variant']}" for v in ranked[1:])
        subject = f" (“{best['subject']}”)" if best.get("subject") else ""
        return f"By click rate, **variant {best['variant']}**{subject} did best: {best['click_rate']:.1%}; {rest}."
    if DEVICE.search(text):
        return (
            "Which device or mail app people read it on is not recorded: the tracking counts whether each person "
            f"opened and clicked, not where. **{opens:,} of the {sent:,}** it reached opened it."
        )
    if NOT_OPENED.search(text):
        return (
            f"**{sent - opens:,} of the {sent:,}** it reached have not opened it so far (some mail apps never report "
            "an open, so a few of them did)."
        )
    if WHY_UNSUBSCRIBED.search(text):
        unsubscribed = int(data.get("unsubscribes") or 0)
        return (
            "Nobody is asked why: unsubscribing is one click, with no form, as the law and the big mail providers "
            f"expect. **{unsubscribed:,} of the {sent:,}** it reached unsubscribed. What can hint at why: how often "
            "they were emailed, and whether the email suited their segment."
        )
    if UNSUBSCRIBE_RATE.search(text):
        unsubscribed = int(data.get("unsubscribes") or 0)
        return f"**{unsubscribed / sent:.1%}** unsubscribed: {unsubscribed:,} of the {sent:,} it reached."
    if CLICKED.search(text):
        return f"**{clicks:,}** of the {sent:,} it reached clicked a link ({clicks / sent:.1%})."
    if OPENED.search(text):
        return f"**{opens:,}** of the {sent:,} it reached opened it ({opens / sent:.1%}, the rough figure)."
    if UNSUBSCRIBED.search(text) and not SHOP_WIDE.search(text) and opens:  # with none opened, the report says it
        unsubscribed = int(data.get("unsubscribes") or 0)
        return f"**{unsubscribed:,}** of the {sent:,} it reached unsubscribed ({unsubscribed / sent:.1%})."
    if JUDGED.search(text):  # "is a 20% open rate decent", "the industry average open rate": not this figure alone
        return None
    if CLICK_RATE.search(text):
        return f"**{clicks / sent:.1%}** clicked a link: {clicks:,} of the {sent:,} it reached."
    if OPEN_RATE.search(text):
        return f"**{opens / sent:.1%}** opened it: {opens:,} of the {sent:,} it reached (the rough figure)."
    return None


def variants_noise(data: dict[str, Any], variants: list[dict[str, Any]]) -> str:
    """Whether the variants' rates differ by more than chance would give, from the report's chi-squared test."""
    tested = data.get("variants_differ") or {}
    said = []
    for rate, what in (("click_rate", "click"), ("open_rate", "open")):
        p = tested.get(rate)
        rates = ", ".join(f"{v['variant']} {(v.get(rate) or 0):.1%}" for v in variants)
        if p is None:
            said.append(f"There are no {what}s to compare yet.")
        elif p < 0.05:
            said.append(f"The {what} rates ({rates}) differ by more than chance would give (p = {p:.2f}): a real gap.")
        else:
            said.append(
                f"The {what} rates ({rates}) are within what chance gives with these numbers (p = {p:.2f}): no "
                "variant has clearly won; a clearer answer needs a bigger gap or more recipients."
            )
    return " ".join(said)
