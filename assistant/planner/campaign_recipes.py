"""Recipes for the campaign intents: revise, preview, send, pause, cancel, reject (a draft: draft_recipe.py; the
report: report_recipe.py).

Recipes that act on "the" campaign use the one the text names, else the conversation's, else the
newest one (looked up with campaign_list). Approving is never planned: only a person approves.
"""

from __future__ import annotations

import random
import re
from typing import Any

from assistant.planner import audience_words, guards, predict_recipes, segment_slots, send_time, slots
from assistant.planner.customer_names import customer_named
from assistant.planner.memory import Plan, Request, Step, call
from assistant.planner.recipes import Recipe, listed_campaigns, recipe, report
from assistant.planner.segment_recipes import segment_reach
from tools.catalog.audience import describe_exclusions

SEND_ANSWER = "Ask *how did it do?* in a while for the report."
REHEARSE = re.compile(r"simulat|dry.?run|rehears|practi[cs]e|pretend|trial|test run|mock")
TEST_SETTING = "PROMOPILOT_TEST_ADDRESSES"  # where a test copy may go from the chat


def campaign_action(name: str, follow: str, **extra: Any) -> Recipe:
    """A recipe that calls `name` for the campaign in play."""

    def act(req: Request) -> Plan:
        campaign_id = slots.number_after(req.text, r"\bcampaign")
        if campaign_id is None and (named := req.vocabulary().campaign_named(req.text)):
            campaign_id = named[0]  # "how did the Spring edit do"
        if campaign_id is None:
            campaign_id = req.memory.campaign_id
        if campaign_id is None:
            listed = listed_campaigns(req)
            if isinstance(listed, Plan):
                return listed
            ids = [int(c["campaign_id"]) for c in listed]
            if not ids:
                return Plan(answer="There is no campaign yet. Draft one first: *draft an email about ...*.")
            campaign_id = max(ids)
        step = req.last(name)
        if step is None:
            return call(name, campaign_id=campaign_id, **(options(name, req) | extra))
        if step.arguments.get("dry_run"):
            return Plan(answer=report(req, "Say *send it* to send it for real."))
        return Plan(answer=report(req, follow))

    return act


def options(name: str, req: Request) -> dict[str, Any]:
    """The arguments besides the campaign: the revision itself, who the preview is for, a first batch."""
    found: dict[str, Any] = {}
    if name == "campaign_revise":
        found["instruction"] = re.sub(r"^\s*revise campaign \d+:\s*", "", req.text)
        if link := LINK_TO.search(req.text):  # "the link should go to https://…": the button's page, copy unchanged
            found["url"] = link["url"].rstrip(".,;)")
    if name == "campaign_preview" and (version := re.search(r"\b(?:version|v)\s*(\d+)\b", req.lower)):
        found["version"] = int(version.group(1))  # "preview version 2"
    if name in ("campaign_preview", "campaign_test_send"):
        if customer := slots.CUSTOMER_ID.search(req.text):
            found["customer"] = customer.group(0).upper()
        elif name := customer_named(req):
            found["customer"] = name  # looked up by the tool, in the local database
        elif req.memory.customers and (pick := _customer_position(req.text)) is not None:
            found["customer"] = req.memory.customers[min(pick, len(req.memory.customers) - 1)]
        # Variants are the subject lines side by side ("variant B", "version B", "the other subject line");
        # versions are the copy over time ("version 2", listed by campaign_versions).
        if variant := re.search(r"\b(?:variant|version)\s+([a-e])\b", req.lower):
            found["variant"] = variant.group(1).upper()
        elif m := re.search(r"\b(second|third|other) (?:variant|subject)", req.lower):
            found["variant"] = {"second": "B", "other": "B", "third": "C"}[m.group(1)]
    if name == "campaign_report" and (who := who_asked(req.lower)):
        found["who"] = who
    if name == "campaign_send" and (
        m := re.search(r"\b(\d+)\s+(?:people|customers|recipients|emails|messages)\b|\bfirst\s+(\d+)\b", req.lower)
    ):
        found["limit"] = int(m.group(1) or m.group(2))
    return found


# "the link should go to https://shop.example.com/sale", "point the button at https://…"
LINK_TO = re.compile(
    r"\b(?:link|button|cta|call to action|landing page|url|go(?:es)? to|point|send (?:them|people))\b.*?"
    r"(?P<url>https?://\S+)",
    re.I,
)


def who_asked(text: str) -> str | None:
    """ "who clicked", "which customers opened it", "the people who unsubscribed", "which addresses bounced": list
    those customers."""
    if not re.search(
        r"\b(?:who|whom|which (?:customers|people|shoppers|addresses|emails)|list|names?|people|customers)\b", text
    ) or re.search(r"\b(?:which|what) (?:links?|urls?|products?|buttons?)\b", text):  # "which links did people click"
        return None
    for who, words in (
        ("bounced", r"bounc"),
        ("unsubscribed", r"unsubscri|opt(?:ed)?[ -]?out"),
        ("clicked", r"click"),
        ("opened", r"open"),
    ):
        if re.search(words, text) and not re.search(r"\bhow many\b|\brate\b", text):
            return who
    return None


def _customer_position(text: str) -> int | None:
    """Which customer of the last ranking: "the second one" -> 1; "a random customer" -> 0."""
    if m := re.search(r"\b(" + "|".join(slots.ORDINALS) + r")\b", text.lower()):
        return slots.ORDINALS[m.group(1)] - 1
    return 0 if SOMEONE.search(text.lower()) else None


# "for a random customer", "for a real customer", "as someone would see it": one who would receive it
SOMEONE = re.compile(
    r"\b(?:one|a|some|any|random)(?: (?:real|actual|random|single|specific|particular))? "
    r"(?:customer|person|shopper|recipient|subscriber|one)\b|\bsomeone\b|\bsomebody\b"
)


@recipe("preview")
def preview(req: Request) -> Plan:
    """A preview; "for a random customer" (no ranking shown yet) first picks one who would receive it;
    "as Anna would see it" passes the name on, for the tool to look up locally."""
    wants_someone = bool(SOMEONE.search(req.lower))
    by_name = customer_named(req) is not None
    if wants_someone and not by_name and not slots.CUSTOMER_ID.search(req.text):
        reach = req.last("campaign_reach")  # whom it would go to: "someone" is one of them, never anyone at all
        if reach is None and not req.memory.customers:
            return campaign_action("campaign_reach", "")(req)
        if reach is not None:  # the customer picked: a means, not part of the answer
            ids = reach.rows("customer_id")
            if not ids:
                return Plan(answer=report(req, "Nobody would get it yet, so there is no one to preview it for."))
            req.memory.customers = [str(random.choice(ids))]  # a pick, not a secret
            req.done = [s for s in req.done if s.name != "campaign_reach"]
    return campaign_action("campaign_preview", "")(req)


AFTER_REVISION = "Check the new preview, then press **Approve**."
revise_action = campaign_action("campaign_revise", AFTER_REVISION)
versions = campaign_action("campaign_versions", "")
recipe("versions")(versions)
NOTHING_TO_UNDO = (
    "There is no undo in the chat, and nothing was changed. A data fix logs every value it changed (*list the data "
    "issues* shows them); an email draft keeps each earlier version (*show the versions*)."
)


undo_revision = campaign_action("campaign_revise", AFTER_REVISION, instruction="undo that")


@recipe("revise")
def revise(req: Request) -> Plan:
    """The draft revised as asked. A bare "undo that" ("revert it", "go back") right after a revision goes back to
    the version before it (as a new version: nothing is lost); after a draft it lists the versions (each is kept),
    and after anything else says there is no undo rather than revising the last campaign with those words."""
    if (days := predict_recipes.audience_change(req.lower)) is not None:  # "exclude who ordered in the last week"
        if days < 0:
            return Plan(answer="How recent? E.g. *exclude people who ordered in the last 30 days*.")
        follow = "Look at the reach, then press **Approve** when it is right."
        return campaign_action("campaign_exclude_recent", follow, quiet_days=days)(req)
    if guards.BARE_UNDO.fullmatch(req.lower.strip()):
        if req.memory.last_tool == "campaign_revise":
            return undo_revision(req)
        if not req.has(r"\b(?:that|the|my) (?:change|edit)\b"):  # "undo that edit" names the draft: its revision
            return versions(req) if req.memory.shown == "campaign" else Plan(answer=NOTHING_TO_UNDO)
    return revise_action(req)


@recipe("send")
def send(req: Request) -> Plan:
    """Sends the campaign to the audience it was drafted (and approved) for: "send it only to segment 2" is a
    new draft for segment 2, not a send of this one to everyone."""
    if not req.done and (seg := segment_slots.segment_ref(req.text, req.memory)) is not None:
        return Plan(
            answer=f"A campaign goes to the audience it was drafted and approved for, so I did not send it. To email "
            f"segment {seg} only, say *draft an email for segment {seg} about ...*, then approve and send that one."
        )
    part = PART_OF_IT.search(req.lower) and not LEFT_OUT_ANYWAY.search(req.lower)  # "except the unsubscribed": so
    if not req.done and part:  # "only send it to the top 50 spenders": never to all of them
        return Plan(
            answer="A campaign goes to the whole audience it was drafted and approved for, so I did not send it: I "
            "cannot send it to part of that audience. To leave people out, change the draft's audience first (e.g. "
            "*exclude people who bought in the last 2 weeks*), or draft one for the customers you mean; approve it, "
            "then send."
        )
    return campaign_action("campaign_send", SEND_ANSWER)(req)


# A send to part of the audience: "only send it to the top 50", "send it just to those who haven't bought lately",
# "send it to everyone except the VIPs"
PART_OF_IT = re.compile(
    r"\b(?:only|just|solely)\b.{0,30}\b(?:to|for)\b|\b(?:top|first|best|biggest) \d+\b"
    r"|\bto (?:the )?\d+ (?:of|best|top)"
    r"|\b(?:except|excluding|but not|other than|apart from|minus|leave out|leaving out|skip(?:ping)?)\b"
    r"|\bwho (?:have|has|haven'?t|hasn'?t|did|didn'?t|bought|ordered|spent|opened|clicked)\b"
)
# Those a send leaves out whatever is asked: "everyone except the people who unsubscribed"
LEFT_OUT_ANYWAY = re.compile(
    r"\b(?:except|excluding|but not|other than|apart from|minus|leav\w* out|skip\w*|without)\b.{0,30}"
    r"\b(?:unsubscrib\w*|opted.?out|opt.?outs|bounced|suppress\w*|no consent|complain\w*)"
)


@recipe("send_count")
def send_count(req: Request) -> Plan:
    """How many a campaign would go to and who would be skipped (the reach, for a draft too: a marketer wants it
    before approving); "simulate the send" renders everything as a dry run (for a draft, the reach instead).
    With no campaign yet ("how many customers can I actually email?"), how many the shop could email at all,
    and why not the rest."""
    if (reach := segment_reach(req)) is not None:  # "how many of group 1 can I email"
        return reach
    shop_wide = audience_words.EMAILABLE_NOW.search(req.lower) and not THIS_ONE.search(req.lower)
    if no_campaign_yet(req) or shop_wide:  # "how many can't we email at the moment": the shop's, not a campaign's
        seen = req.last("data_overview")
        if seen is None:
            return call("data_overview")
        return Plan(answer=reachable(seen) if seen.ok else report(req))
    if REHEARSE.search(req.lower):  # "simulate the send": render everything, as a send would
        tried = req.last("campaign_send")
        if tried is None or tried.ok or "not approved" not in str(tried.result.get("error", "")):
            return campaign_action("campaign_send", SEND_ANSWER, dry_run=True)(req)
        if req.last("campaign_reach") is None:
            return call("campaign_reach", campaign_id=tried.arguments["campaign_id"])
        req.done = [s for s in req.done if s.name != "campaign_send"]
    elif req.last("campaign_reach") is None:  # "how many would get it": the count, for a draft too
        return campaign_action("campaign_reach", "")(req)
    data = (req.done[-1].result.get("data") or {}) if req.done else {}
    if data.get("would_send") == 0:
        return Plan(answer=report(req, "Nobody would get it now, so approving and sending it would send nothing."))
    if data.get("status") == "approved":
        return Plan(answer=report(req, "Say *send it* when you are ready; I will ask you to confirm first."))
    if data.get("status") in ("sent", "sending", "paused"):  # its recipients are fixed: nothing to approve
        return Plan(answer=report(req, "Ask *how did it do?* for its opens and clicks."))
    return Plan(answer=report(req, "When the copy is right, press **Approve** under the preview, then *send it*."))


THIS_ONE = re.compile(r"\b(?:it|this|that|them|the (?:draft|campaign|e-?mail|newsletter)|campaign \d+)\b")


def no_campaign_yet(req: Request) -> bool:
    listed = req.last("campaign_list")
    return bool(listed and listed.ok and not listed.rows("campaign_id") and req.memory.campaign_id is None)


def reachable(overview: Step) -> str:
    """How many customers can be emailed, from the data overview, with what to do next."""
    data = overview.result.get("data") or {}
    customers, eligible = int(data.get("customers") or 0), int(data.get("can_email") or 0)
    if not customers:
        return "There are no customers yet. Attach your customer list (a CSV export) to import it."
    why = describe_exclusions(data.get("not_emailable") or {})
    answer = f"**{eligible:,} of {customers:,} customers** can be emailed now"
    answer += f"; the others: {why}." if why else "."
    if eligible:
        return f"{answer}\n\nNext: *draft an email about ...* to reach them."
    return (
        f"{answer} Import a customer file with email addresses and their marketing consent (Shopify's "
        "*Accepts Email Marketing*, Mailchimp's subscribed export) to have someone to email."
    )


recipe("pause")(campaign_action("campaign_pause", "Say *resume sending* to carry on."))
recipe("cancel")(campaign_action("campaign_cancel", ""))
recipe("reject")(campaign_action("campaign_reject", "Draft a new one when you are ready."))


@recipe("recipients")
def recipients(req: Request) -> Plan:
    """Who received the campaign, with opened and clicked per person; "who didn't open it": only those."""
    wanted = audience_words.engagement(req.text)
    follow = {
        "not_opened": "Next: *follow up with the non-openers*.",
        "opened_not_clicked": "Next: *follow up with those who opened but didn't click*.",
        "not_clicked": "Next: *follow up with those who didn't click*.",
        "clicked": "Next: *follow up with everyone who clicked*.",
    }.get(wanted or "", "Next: *follow up with the non-openers*, or *follow up with everyone who clicked*.")
    extra = {"engagement": wanted} if wanted else {}
    if wanted and (sent := sent_instead_of_draft(req, "campaign_recipients")) is not None:
        if isinstance(sent, Plan):
            return sent
        if not any(s.ok for s in req.done if s.name == "campaign_recipients"):
            return call("campaign_recipients", campaign_id=sent, **extra)
        drafted = next(s for s in req.done if s.name == "campaign_recipients" and not s.ok).arguments["campaign_id"]
        req.done = [s for s in req.done if s.name != "campaign_recipients" or s.ok]
        note = f"Campaign {drafted} is not sent yet, so this is campaign {sent}, the last one sent. "
        return Plan(answer=note + report(req, follow))
    unsent = [s for s in req.done if s.name == "campaign_recipients" and "not been sent" in str(s.result.get("error"))]
    if unsent and not wanted:  # "who exactly gets this" on a draft: who it would go to now
        if req.last("campaign_reach") is None:
            return call("campaign_reach", campaign_id=unsent[0].arguments["campaign_id"])
        req.done = [s for s in req.done if s not in unsent]
        would = int(((req.last("campaign_reach").result.get("data") or {}).get("would_send")) or 0)
        listed = "They are listed in the table *Who would get it*" + (" (the first 200)" if would > 200 else "")
        follow = f"{listed}. Nothing is sent until you approve it and say *send it*." if would else ""
        return Plan(answer=report(req, follow))
    return campaign_action("campaign_recipients", follow, **extra)(req)


def sent_instead_of_draft(req: Request, tool: str) -> int | Plan | None:
    """ "Who clicked" right after drafting a follow-up: the campaign sent last (looked up first), once `tool` was
    refused for the draft in play; None when it was not refused, or no other campaign was sent."""
    from assistant.planner.report_recipe import sent_ids  # it builds on this module

    refused = next((s for s in req.done if s.name == tool and "not been sent" in str(s.result.get("error"))), None)
    if refused is None or slots.number_after(req.text, r"\bcampaign") is not None:
        return None
    if (sent := sent_ids(req)) is None:
        return call("campaign_list", status="sent")
    others = [c for c in sent if c != refused.arguments.get("campaign_id")]
    return max(others) if others else None


STATES = {  # "show me the drafts", "which ones went out": the campaigns in that state
    "draft": r"\bdrafts?\b|\bunsent\b|not (?:yet )?sent",
    "sent": r"\b(?:been |already )?sent\b|went out|(?:gone|go|goes) out\b",
    "cancelled": r"\bcancell?(?:ed)?\b|\bscrapped\b|\bcalled off\b",
    "approved": r"\bapproved\b",
}


@recipe("campaign_list")
def campaign_list(req: Request) -> Plan:
    if req.done:
        return Plan(answer=report(req))
    named = [state for state, words in STATES.items() if req.has(words)]
    return call("campaign_list", status=named[0]) if len(named) == 1 else call("campaign_list")


@recipe("not_now")
def not_now(req: Request) -> Plan:
    """Not sending now, or "what's the best time to send?" (which is read alike: both are about when to send)."""
    if send_time.asked(req):
        return send_time.plan(req)
    return Plan(
        answer="OK, I am not sending it now. Sending starts only when you say *send it* and then press "
        "**Confirm** (after you press **Approve**), and it starts at once: I cannot schedule a send for later. "
        "Say *pause* to stop a send that is under way."
    )


@recipe("approve")
def approve(req: Request) -> Plan:
    """Approving is a person's: only said how. "Who approved it?", "is it approved yet?": its state, as recorded."""
    if not re.match(r"^\W*(?:who|when|is|was|has|have|did|which)\b", req.lower):
        return Plan(
            answer="Only you can approve a campaign: press **Approve** under the draft preview. "
            "I cannot approve on your behalf."
        )
    listed = listed_campaigns(req)
    if isinstance(listed, Plan):
        return listed
    wanted = slots.number_after(req.text, r"\bcampaign") or req.memory.campaign_id
    found = [c for c in listed if wanted is None or int(c["campaign_id"]) == wanted][:1]  # newest first
    if not found:
        return Plan(answer="There is no such campaign yet." if listed else "There is no campaign yet.")
    c = found[0]
    state = {"draft": "a draft", "sending": "being sent", "approved": "ready to send"}.get(c["status"], c["status"])
    if c["approved_version"] is None:
        return Plan(
            answer=f"Campaign {c['campaign_id']} is not approved: it is {state}. Only you can approve it: press "
            "**Approve** under its preview."
        )
    return Plan(
        answer=f"Campaign {c['campaign_id']} version {c['approved_version']} was approved by {c['approved_by']}, "
        f"and it is {state}."
    )


@recipe("test_send")
def test_send(req: Request) -> Plan:
    """A test copy to the marketer's own inbox, only ever to an address the settings allow (the tool checks;
    this only picks one). "Send me a test" takes the only allowed address, or asks which when there are
    several, offering each as a button; an address typed goes to the tool as typed, which refuses it unless
    it is allowed. A customer named ("as Anna would get it") personalises the copy as for a preview."""
    step = req.last("campaign_test_send")
    if step is not None:
        return Plan(answer=_test_answer(req, step))
    typed = slots.EMAIL.findall(req.text)
    if len(typed) > 1:
        return Plan(answer="A test copy goes to one address at a time: say *send a test to* and one address.")
    allowed = req.test_addresses
    someone_else = not typed and req.has(r"\b(?:boss|colleague|manager|team|client|co-?worker|partner)\b")
    if not typed and (len(allowed) > 1 or (someone_else and allowed)):
        listed = ", ".join(allowed)
        customer = options("campaign_test_send", req).get("customer")  # kept in the buttons' words
        said = f" for {customer}" if customer and slots.CUSTOMER_ID.fullmatch(customer) else ""
        said = f" as {customer} would get it" if customer and not said else said
        offers = ", or ".join(f"*send a test to {a}{said}*" for a in allowed[:3])
        return Plan(
            answer=f"Which address should the test copy go to? From the chat it can go to {listed} "
            f"(the addresses in {TEST_SETTING}).\n\nNext: {offers}"
        )
    to = typed[0] if typed else allowed[0] if allowed else None
    return campaign_action("campaign_test_send", "", **({"to": to} if to else {}))(req)


def _test_answer(req: Request, step: Any) -> str:
    """What the tool said, plus where the copy went (the tool tells the model only "the allowed address"),
    or, when no address is set up, that the command line sends to any."""
    answer = report(req)
    if step.ok and (to := step.arguments.get("to") or (req.test_addresses[:1] or [None])[0]):
        return f"{answer}\n\nIt went to **{to}**: check that inbox."
    if not step.ok and "No address is set up" in str(step.result.get("error")):
        return f"{answer} At the command line, a test copy can go to any address."
    return answer


@recipe("export")
def export(req: Request) -> Plan:
    if (number := segment_slots.segment_ref(req.text, req.memory)) is not None:  # "export group 1": with a CSV
        from assistant.planner.segment_recipes import members

        return members(req, number)
    return Plan(
        answer="I do not write files from the chat. Every table I show has a CSV download under it; for a whole "
        "table of customers, products or orders, use PromoPilot's export on the command line."
    )
